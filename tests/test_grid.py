from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from affine import Affine

from geoai import CRSError, Grid, InputError
from geoai._geodesy import EARTH_RADIUS_KM


def test_world_half_degree():
    g = Grid.from_bounds((-180, -90, 180, 90), 0.5, crs="EPSG:4326")
    assert g.shape == (360, 720)
    assert g.n_cells == 259_200
    assert g.bounds == (-180, -90, 180, 90)
    assert g.is_geographic
    assert g.res == (0.5, 0.5)
    x, y = g.cell_centers()
    assert x[0] == -179.75
    assert x[-1] == 179.75
    assert y[0] == 89.75
    assert y[-1] == -89.75
    area = g.cell_area_km2()
    assert area.shape == (360,)
    assert area.sum() * g.width == pytest.approx(4 * math.pi * EARTH_RADIUS_KM**2, rel=1e-12)
    assert area[180] > area[0]  # equator cells are larger than polar ones


def test_world_30_arcsec_is_metadata_only():
    g = Grid.from_bounds((-180, -90, 180, 90), 1 / 120, crs=4326)
    assert g.shape == (21_600, 43_200)
    assert g.nbytes("float32") == 21_600 * 43_200 * 4


def test_non_multiple_extent_extends_by_less_than_a_cell():
    g = Grid.from_bounds((0, 0, 1050, 990), 100, crs="EPSG:3035")
    assert g.shape == (10, 11)
    xmin, ymin, xmax, ymax = g.bounds
    assert (xmin, ymax) == (0, 990)
    assert 1050 <= xmax < 1150
    assert -100 < ymin <= 0
    g2 = Grid.from_bounds((0, 0, 1000, 500), (100, 50), crs="EPSG:3035")
    assert g2.shape == (10, 10)
    assert g2.res == (100, 50)


def test_projected_units():
    metres = Grid.from_bounds((0, 0, 5000, 5000), 1000, crs="EPSG:3035")
    assert metres.km_per_unit == pytest.approx(0.001)
    np.testing.assert_allclose(metres.cell_area_km2(), 1.0)
    feet = Grid.from_bounds((0, 0, 5000, 5000), 1000, crs="EPSG:2263")  # NY State Plane, US ft
    assert feet.km_per_unit == pytest.approx(0.3048006096 / 1000)
    with pytest.raises(CRSError, match="no fixed length"):
        _ = Grid.from_bounds((0, 0, 1, 1), 0.1, crs=4326).km_per_unit


def test_to_xarray_keeps_crs_transform_coords():
    g = Grid.from_bounds((10, 40, 12, 41), 0.25, crs=4326)
    data = np.arange(g.n_cells, dtype="float32").reshape(g.shape)
    da = g.to_xarray(data, name="potential", attrs={"units": "people"})
    assert da.dims == ("y", "x")
    assert da.name == "potential"
    assert da.attrs["units"] == "people"
    assert da.rio.crs.to_epsg() == 4326
    assert da.rio.transform() == g.transform
    np.testing.assert_array_equal(da.x, g.cell_centers()[0])
    assert Grid.like(da) == g
    empty = g.to_xarray()
    assert np.isnan(empty).all()
    assert empty.dtype == np.float64
    with pytest.raises(InputError, match="shape"):
        g.to_xarray(np.zeros((2, 2)))


def test_from_raster_roundtrip(tmp_path):
    g = Grid.from_bounds((500_000, 4_000_000, 510_000, 4_005_000), 250, crs="EPSG:32633")
    path = tmp_path / "r.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=g.width,
        height=g.height,
        count=1,
        dtype="float32",
        crs=g.crs,
        transform=g.transform,
    ) as dst:
        dst.write(np.ones(g.shape, "float32"), 1)
    assert Grid.from_raster(path) == g
    assert Grid.like(str(path)) == g
    bare = tmp_path / "nocrs.tif"
    with rasterio.open(
        bare,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="uint8",
        transform=Affine(1, 0, 0, 0, -1, 2),
    ) as dst:
        dst.write(np.zeros((2, 2), "uint8"), 1)
    with pytest.raises(CRSError, match="no CRS"):
        Grid.from_raster(bare)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"bounds": (0, 0, 1, 1), "resolution": 0, "crs": 4326}, InputError, "resolution"),
        ({"bounds": (0, 0, 1, 1), "resolution": -1, "crs": 4326}, InputError, "resolution"),
        ({"bounds": (1, 0, 0, 1), "resolution": 0.1, "crs": 4326}, InputError, "xmin < xmax"),
        ({"bounds": (0, 0, np.nan, 1), "resolution": 0.1, "crs": 4326}, InputError, "finite"),
        ({"bounds": (0, 1), "resolution": 0.1, "crs": 4326}, InputError, "xmin, ymin"),
        ({"bounds": (0, 0, 1, 1), "resolution": 0.1, "crs": None}, CRSError, "missing"),
        ({"bounds": (0, 0, 5e5, 5e5), "resolution": 1e3, "crs": 4326}, CRSError, "geographic"),
    ],
)
def test_bad_grids(kwargs, error, message):
    with pytest.raises(error, match=message):
        Grid.from_bounds(**kwargs)


def test_rotated_or_south_up_rejected():
    with pytest.raises(InputError, match="north-up"):
        Grid(10, 10, Affine(1, 0, 0, 0, 1, 0), 4326)
    with pytest.raises(InputError, match="at least one cell"):
        Grid(0, 10, Affine(1, 0, 0, 0, -1, 0), 4326)
    with pytest.raises(InputError, match="cannot take a grid"):
        Grid.like(42)
