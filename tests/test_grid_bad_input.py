"""Bad input to geoai.Grid becomes a geoai error that names the argument and the fix.

Each test is a case from issue #16 (or one the fuzz suite found): a raster
path that is missing, a folder, not a raster or truncated (RasterioIOError
before), degree bounds on a projected CRS (a grid in the sea off West Africa
before), strings read as numbers, a 5,000-digit bound, a resolution so fine
that the cell count overflowed, and a transform with NaN.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine

from geoai import CRSError, Grid, InputError
from geoai.grid import MAX_SIDE, as_grid

MARKER = "TOP-MARKER-LINE-7f3a"


# --- raster files --------------------------------------------------------------------------


def test_missing_raster_names_the_path_and_the_fix(tmp_path):
    path = tmp_path / "nowhere.tif"
    with pytest.raises(InputError, match="does not exist; check the path") as info:
        Grid.from_raster(path)
    assert str(path) in str(info.value)


def test_folder_is_not_a_raster(tmp_path):
    with pytest.raises(InputError, match="is a folder; pass the path of a file") as info:
        Grid.from_raster(tmp_path)
    assert str(tmp_path) in str(info.value)


@pytest.mark.parametrize(
    "content", [f"{MARKER}\nnot a raster\n".encode(), b"", bytes(range(256)) * 8]
)
def test_non_raster_file_is_refused_without_quoting_it(tmp_path, content):
    path = tmp_path / "data.tif"
    path.write_bytes(content)
    with pytest.raises(InputError, match="cannot be read") as info:
        Grid.from_raster(path)
    message = str(info.value)
    assert str(path) in message
    assert "Pass a GeoTIFF" in message  # the fix
    assert MARKER not in message


@pytest.mark.parametrize("keep", [0.97, 0.6, 0.05])
def test_truncated_raster_is_refused(tmp_path, keep):
    grid = Grid.from_bounds((0, 0, 400_000, 400_000), 1000, crs="EPSG:3035")
    values = np.random.default_rng(1).random(grid.shape)
    whole = tmp_path / "whole.tif"
    import rasterio

    profile = {"driver": "GTiff", "width": grid.width, "height": grid.height, "count": 1,
               "dtype": "float64", "crs": grid.crs, "transform": grid.transform,
               "tiled": True, "blockxsize": 256, "blockysize": 256}  # fmt: skip
    with rasterio.open(whole, "w", **profile) as dst:
        dst.write(values, 1)
    assert Grid.from_raster(whole) == grid  # the intact file reads
    data = whole.read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputError, match="truncated") as info:
        Grid.from_raster(cut)
    assert str(cut) in str(info.value)


@pytest.mark.parametrize("path", [None, 3, 2.5, ["a.tif"], ""])
def test_raster_path_of_the_wrong_type(path):
    with pytest.raises(InputError, match="raster must be a file path"):
        Grid.from_raster(path)


def test_as_grid_of_a_missing_path_names_it():
    with pytest.raises(InputError, match=r"'no-such-grid\.tif' does not exist"):
        as_grid("no-such-grid.tif")


# --- bounds and CRS ---------------------------------------------------------------------


def test_degree_bounds_on_a_projected_grid_name_the_crs_and_the_bounds():
    with pytest.raises(CRSError, match="look like longitude/latitude") as info:
        Grid.from_bounds((-10, 35, 30, 60), 1.0, crs="EPSG:3857")
    message = str(info.value)
    assert "EPSG:3857" in message
    assert "[-10, 30]" in message  # the x range of the bounds
    assert "[35, 60]" in message
    assert "crs='EPSG:4326'" in message  # the fix


def test_metre_bounds_on_a_projected_grid_are_fine():
    g = Grid.from_bounds((3.8e6, 2.8e6, 4.4e6, 3.4e6), 20_000, crs="EPSG:3035")
    assert g.shape == (30, 30)


@pytest.mark.parametrize(
    "bounds",
    [(0, 0, 1000, 1000), (-200, 0, 10, 10), (0, -95, 10, 10), (-180, -90, 200, 90)],
)
def test_lonlat_bounds_out_of_range_on_a_geographic_grid(bounds):
    with pytest.raises(CRSError, match="not longitude/latitude degrees") as info:
        Grid.from_bounds(bounds, 1.0, crs="EPSG:4326")
    assert "EPSG:4326" in str(info.value)
    assert "pass crs=" in str(info.value)


@pytest.mark.parametrize(
    ("bounds", "match"),
    [
        (("0", "0", "1", "1"), "bounds xmin must be a finite number; got str"),
        ((0, 0, math.nan, 1), "bounds xmax must be a finite number"),
        ((0, -math.inf, 1, 1), "bounds ymin must be a finite number"),
        ((0, 0, 10**5000, 1), "bounds xmax must be a finite number; got an int of"),
        ((0, 0, 1), "bounds must be four numbers"),
        ("0 0 1 1", "bounds must be four numbers"),
        (None, "bounds must be four numbers"),
        ((1, 0, 0, 1), "xmin < xmax"),
        ((0, 1, 1, 1), "ymin < ymax"),
    ],
)
def test_bad_bounds(bounds, match):
    with pytest.raises(InputError, match=match) as info:
        Grid.from_bounds(bounds, 0.5, crs="EPSG:4326")
    assert len(str(info.value)) < 400  # a 5,000-digit bound is not echoed


@pytest.mark.parametrize(
    ("resolution", "match"),
    [
        ("0.5", "resolution must be a number; got str"),
        (True, "resolution must be a number; got bool"),
        (math.nan, r"resolution must be finite and > 0; got nan"),
        (-1.0, r"resolution must be finite and > 0"),
        (0, r"resolution must be finite and > 0"),
        (math.inf, r"resolution must be finite and > 0"),
        ((1.0, 2.0, 3.0), r"one cell size or a pair"),
        ((1.0, "a"), r"resolution y must be a number"),
        (None, r"resolution must be a number"),
    ],
)
def test_bad_resolution(resolution, match):
    with pytest.raises(InputError, match=match):
        Grid.from_bounds((0, 40, 2, 42), resolution, crs="EPSG:4326")


def test_resolution_too_fine_for_a_geotiff_is_refused_not_overflowed():
    with pytest.raises(InputError, match="too fine") as info:
        Grid.from_bounds((0, 0, 1, 1), 1e-300, crs="EPSG:4326")
    assert f"{MAX_SIDE:,}" in str(info.value)
    with pytest.raises(InputError, match="too fine"):  # the extent itself overflows to inf
        Grid.from_bounds((-1e308, 0, 1e308, 1e6), 1.0, crs="EPSG:3035")
    edge = Grid.from_bounds((0, 0, MAX_SIDE, 1), 1.0, crs="EPSG:3035")  # the limit itself
    assert edge.width == MAX_SIDE


def test_bad_crs_is_a_crs_error():
    with pytest.raises(CRSError, match="is not a CRS pyproj understands"):
        Grid.from_bounds((0, 0, 1, 1), 0.5, crs="EPSG:999999")
    with pytest.raises(CRSError, match="crs is missing"):
        Grid.from_bounds((0, 0, 1, 1), 0.5, crs=None)


# --- the constructor and methods -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"width": 1.5}, "width must be a whole number"),
        ({"height": "2"}, "height must be a whole number"),
        ({"width": 0}, "at least one cell"),
        ({"width": MAX_SIDE + 1}, "at most"),
        ({"transform": None}, "transform must be an affine.Affine"),
        ({"transform": Affine(math.nan, 0, 0, 0, -1, 0)}, "NaN or infinite"),
        ({"transform": Affine(1, 0, 0, 0, 1, 0)}, "north-up"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    args = {"width": 2, "height": 2, "transform": Affine(1, 0, 0, 0, -1, 10), "crs": 4326}
    with pytest.raises(InputError, match=match):
        Grid(**{**args, **kwargs})


def test_numpy_integer_sizes_are_stored_as_int():
    g = Grid(np.int64(3), np.int32(2), Affine(1, 0, 0, 0, -1, 10), 4326)
    assert type(g.width) is int
    assert type(g.height) is int
    assert g == Grid(3, 2, Affine(1, 0, 0, 0, -1, 10), 4326)


def test_bad_arguments_of_methods():
    g = Grid.from_bounds((0, 40, 2, 42), 0.5, crs="EPSG:4326")
    with pytest.raises(InputError, match="is not a numpy dtype"):
        g.nbytes("no-such-type")
    with pytest.raises(InputError, match="fill must be a number"):
        g.to_xarray(fill="abc")
    with pytest.raises(InputError, match="attrs must be a dict"):
        g.to_xarray(attrs=[1, 2])
    with pytest.raises(InputError, match=r"data has shape \(2,\) but the grid is \(4, 4\)"):
        g.to_xarray([1.0, 2.0])
    da = g.to_xarray(np.ones(g.shape).tolist())  # a nested list is an array
    assert float(da.sum()) == g.n_cells
