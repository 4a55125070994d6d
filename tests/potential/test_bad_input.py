"""Bad input to geoai.potential becomes a geoai error that names the argument and the fix.

Each test is a case that used to give a silent wrong answer or a library
traceback: duplicate index labels in dominance (centre ids misassigned),
masses whose sum overflows (an infinite surface), a float32 surface past
float32 range, pandas Series used by position, raster files that are
missing, folders, not rasters or truncated (RasterioIOError's text echoed),
a fractional band, and strings read as numbers.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoai import Grid, InputError
from geoai import potential as P  # noqa: N812 - P, the potential's usual symbol

GRID = Grid.from_bounds((-1, 44, 3, 48), 0.5, crs="EPSG:4326")
EXP = {"decay": "exponential", "scale_km": 150.0}
MARKER = "TOP-MARKER-LINE-91bd"


def places(index=("a", "b", "c", "d")):
    n = len(index)
    return gpd.GeoDataFrame(
        {"w": np.arange(1.0, n + 1)},
        geometry=gpd.points_from_xy(np.linspace(0, 2, n), np.linspace(45, 47, n)),
        crs=4326,
        index=pd.Index(list(index)),
    )


# --- dominance names its centres by label: labels must be unique -----------------------------


def test_duplicate_index_in_dominance_is_refused():
    pts = places(("a", "a", "b", "c"))
    with pytest.raises(InputError, match=r"points\.index .* must be unique") as info:
        P.dominance(pts, "w", GRID, **EXP)
    assert "'a'" in str(info.value)  # the repeated label
    assert "De-duplicate" in str(info.value)  # the fix


def test_dominance_ids_follow_the_points_labels():
    pts = places(("d", "c", "b", "a"))
    ds = P.dominance(pts, "w", GRID, **EXP)
    ids = ds.centre_id.to_numpy()
    assert ids.tolist() == ["d", "c", "b", "a"]
    dom = ds.dominant.to_numpy()
    reached = dom >= 0
    # the label of the dominant centre is the label of the row at that position
    assert set(ids[dom[reached]]) <= set(pts.index)
    assert (ids[dom[reached]] == pts.index.to_numpy()[dom[reached]]).all()


# --- mass overflow --------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ["surface", "dominance", "at_points"])
def test_masses_whose_sum_overflows_are_refused(fn):
    pts = places(("a", "b", "c"))
    kwargs = {} if fn == "at_points" else {"grid": GRID}
    with pytest.raises(InputError, match=r"weights sum to more than the largest float64") as info:
        getattr(P, fn)(pts, [1e308, 1e308, 1e308], **kwargs, **EXP)
    assert "rescale" in str(info.value)


def test_huge_but_finite_masses_give_finite_surfaces():
    pts = places(("a", "b", "c"))
    w = [1e307, 2e307, 3e307]  # the sum 6e307 is finite
    s = P.surface(pts, w, GRID, **EXP)
    assert np.isfinite(s.values).all()
    assert float(s.max()) <= sum(w)  # exponential decay: f <= 1
    assert float(s.attrs["error_bound"]) < np.inf
    p = P.at_points(pts, w, **EXP)
    assert np.isfinite(p).all()


@pytest.mark.jit_heavy  # a 16-million-cell grid: minutes as plain Python
def test_power_decay_past_float64_is_refused_not_infinite():
    pts = places(("a", "b", "c"))
    fine = Grid.from_bounds((-1, 44, 3, 48), 0.001, crs="EPSG:4326")  # own distance ~ 0.05 km
    with pytest.raises(InputError, match="exceeds the largest float64"):
        P.surface(pts, [1e306, 1.0, 1.0], fine, decay="power", beta=3.0, method="direct")


@pytest.mark.parametrize("method", ["direct", "dask"])
def test_float32_surface_past_float32_range_is_refused(method):
    pts = places(("a", "b", "c"))
    with pytest.raises(InputError, match=r"largest float32 .* pass dtype='float64'"):
        np.asarray(P.surface(pts, [1e300, 1.0, 1.0], GRID, **EXP, dtype="float32", method=method))


def test_power_potential_of_coincident_places_is_refused():
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 0, 1], [45, 45, 46]), crs=4326)
    with pytest.raises(InputError, match="infinite where places coincide"):
        P.at_points(pts, [1.0, 2.0, 3.0], decay="power", beta=1.0)


# --- pandas Series are aligned by label -----------------------------------------------------


@given(st.permutations(range(4)))
def test_shuffled_series_gives_the_numbers_of_the_ordered_array(perm):
    pts = places()
    mass = pts["w"] * 10.0
    shuffled = mass.iloc[list(perm)]
    ref = P.surface(pts, mass.to_numpy(), GRID, **EXP)
    got = P.surface(pts, shuffled, GRID, **EXP)
    np.testing.assert_array_equal(got.values, ref.values)
    np.testing.assert_allclose(
        P.at_points(pts, shuffled, **EXP), P.at_points(pts, mass.to_numpy(), **EXP), rtol=1e-12
    )
    if list(perm) != sorted(perm):  # used by position, the values would differ
        by_position = P.at_points(pts, shuffled.to_numpy(), **EXP)
        assert not np.allclose(by_position, P.at_points(pts, mass.to_numpy(), **EXP))


def test_series_with_other_labels_is_refused_naming_them():
    pts = places()
    other = pd.Series([1.0, 2.0, 3.0, 4.0], index=["w", "x", "y", "z"])
    for call in (
        lambda: P.surface(pts, other, GRID, **EXP),
        lambda: P.at_points(pts, other, **EXP),
    ):
        with pytest.raises(InputError, match=r"weights is a pandas Series whose index") as info:
            call()
        assert "'a'" in str(info.value)
        assert "reindex" in str(info.value)


# --- parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scale_km": "300"}, "scale_km must be a number; got str"),
        ({"scale_km": True}, "scale_km must be a number; got bool"),
        ({"scale_km": float("nan")}, "scale_km must be finite and > 0"),
        ({"scale_km": -5.0}, "scale_km must be finite and > 0"),
        ({"scale_km": 10**5000}, "scale_km must be finite and > 0"),
        ({"scale_km": 100.0, "rtol": 1.5}, r"rtol must be in \[0, 1\)"),
        ({"scale_km": 100.0, "cutoff_km": "x"}, "cutoff_km must be a number"),
        ({"scale_km": 100.0, "method": "fftt"}, "Did you mean 'fft'"),
        ({"scale_km": 100.0, "decay": "exponentail"}, "Did you mean 'exponential'"),
        ({"scale_km": 100.0, "dtype": "int8"}, "dtype must be 'float32' or 'float64'"),
        ({"scale_km": 100.0, "method": "dask", "chunks": (2.5, 4)}, "chunks must be a whole"),
        ({"scale_km": 100.0, "method": "dask", "chunks": (0, 4)}, "chunks must be >= 1"),
        ({"scale_km": 100.0, "method": "dask", "chunks": "a"}, "chunks must be an int"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(InputError, match=match):
        P.surface(places(), "w", GRID, **kwargs)


def test_long_values_are_not_echoed_whole():
    with pytest.raises(InputError) as info:
        P.surface(places(), "w", GRID, scale_km="9" * 5000)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize("points", [None, [1, 2], "points.csv", np.zeros((3, 2))])
def test_points_that_are_no_geodataframe(points):
    for call in (
        lambda: P.surface(points, [1.0], GRID, **EXP),
        lambda: P.at_points(points, [1.0], **EXP),
    ):
        with pytest.raises(InputError, match="points must be a GeoDataFrame or GeoSeries"):
            call()


# --- rasters --------------------------------------------------------------------------------


def test_from_raster_on_a_missing_file_a_folder_and_junk(tmp_path):
    with pytest.raises(InputError, match="does not exist; check the path") as info:
        P.from_raster(tmp_path / "people.tif", **EXP)
    assert "people.tif" in str(info.value)
    with pytest.raises(InputError, match="is a folder"):
        P.from_raster(tmp_path, **EXP)
    junk = tmp_path / "junk.tif"
    junk.write_text(f"{MARKER}\n1,2,3\n")
    with pytest.raises(InputError, match="cannot be read") as info:
        P.from_raster(junk, **EXP)
    assert MARKER not in str(info.value)
    assert "junk.tif" in str(info.value)
    with pytest.raises(InputError, match="must be a file path"):
        P.from_raster(42, **EXP)


def test_from_raster_on_a_truncated_file(tmp_path):
    import rasterio

    grid = Grid.from_bounds((0, 0, 300_000, 300_000), 1000, crs="EPSG:3035")
    whole = tmp_path / "whole.tif"
    profile = {"driver": "GTiff", "width": grid.width, "height": grid.height, "count": 1,
               "dtype": "float64", "crs": grid.crs, "transform": grid.transform}  # fmt: skip
    with rasterio.open(whole, "w", **profile) as dst:
        dst.write(np.random.default_rng(2).random(grid.shape), 1)
    cut = tmp_path / "cut.tif"
    cut.write_bytes(whole.read_bytes()[:-5000])
    with pytest.raises(InputError, match="truncated"):
        P.from_raster(cut, scale_km=20.0)


def test_from_raster_bad_band_and_values():
    grid = Grid.from_bounds((0, 0, 40_000, 40_000), 10_000, crs="EPSG:3857")
    people = grid.to_xarray(np.full(grid.shape, 100.0))
    with pytest.raises(InputError, match="band must be a whole number"):
        P.from_raster(people, scale_km=20, band=1.5)
    with pytest.raises(InputError, match="band must be >= 1"):
        P.from_raster(people, scale_km=20, band=0)
    with pytest.raises(InputError, match="cells sum to more than the largest float64"):
        P.from_raster(grid.to_xarray(np.full(grid.shape, 1e308)), scale_km=20)
    with pytest.raises(InputError, match="no positive mass"):
        P.from_raster(grid.to_xarray(np.zeros(grid.shape)), scale_km=20)
    with pytest.raises(InputError, match=r"xarray\.Dataset"):
        P.from_raster(people.to_dataset(name="people"), scale_km=20)
