from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from geoai import _validate as v
from geoai.errors import (
    BackendUnavailableError,
    ConvergenceError,
    CRSError,
    GeoAIError,
    InputError,
)


def test_hierarchy_matches_builtins():
    assert issubclass(InputError, GeoAIError)
    assert issubclass(InputError, ValueError)
    assert issubclass(CRSError, InputError)
    assert issubclass(ConvergenceError, RuntimeError)
    assert issubclass(BackendUnavailableError, ImportError)
    err = ConvergenceError("did not converge", residual=1e-3, n_iter=50)
    assert (err.residual, err.n_iter) == (1e-3, 50)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "empty"),
        ([1.0, np.nan], "NaN or infinite value"),
        ([1.0, np.inf], "NaN or infinite value"),
        ([1.0, -2.0], "negative"),
        ([0.0, 0.0], "sums to zero"),
        ([[1.0, 2.0]], "one-dimensional"),
        (["a", "b"], "numeric"),
        (pd.Series(["a", "b"]), "numeric"),
    ],
)
def test_as_mass_rejects(values, message):
    with pytest.raises(InputError, match=message):
        v.as_mass(values, "weights")


def test_as_mass_accepts_and_names_positions():
    out = v.as_mass(pd.Series([1, 2, 3]), "w")
    assert out.dtype == np.float64
    assert out.tolist() == [1, 2, 3]
    assert v.as_mass([0.0, 0.0], "w", allow_zero_sum=True).sum() == 0
    with pytest.raises(InputError, match=r"positions \[1, 3\]"):
        v.as_mass([1.0, np.nan, 2.0, np.nan], "w")
    with pytest.raises(InputError, match="3 values but 2 points"):
        v.as_mass([1, 2, 3], "w", n=2)


def test_choice_positive_lengths_ids():
    assert v.check_choice("power", ("power", "exponential"), "decay") == "power"
    with pytest.raises(InputError, match="unknown decay='powr'; expected one of 'power'"):
        v.check_choice("powr", ("power", "exponential"), "decay")
    for bad in (0, -1, np.nan, "x", None):
        with pytest.raises(InputError, match="scale"):
            v.check_positive(bad, "scale")
    assert v.check_positive(0, "x", allow_zero=True) == 0.0
    with pytest.raises(InputError, match="a has 2, b has 3"):
        v.check_same_length(a=[1, 2], b=[1, 2, 3])
    with pytest.raises(InputError, match=r"must be unique; 1 value\(s\) repeat, e.g. \['x'\]"):
        v.check_unique_ids(["x", "y", "x"], "metro_id")


def test_crs_checks():
    with pytest.raises(CRSError, match="missing"):
        v.as_crs(None)
    with pytest.raises(CRSError, match="not a CRS"):
        v.as_crs("EPSG:999999999")
    with pytest.raises(CRSError, match="needs a projected CRS"):
        v.require_projected("EPSG:4326", "an FFT potential")
    assert v.require_projected("EPSG:3035", "x").is_projected
    with pytest.raises(CRSError, match="needs longitude/latitude"):
        v.require_geographic("EPSG:3857", "haversine")
    gdf = gpd.GeoDataFrame(geometry=[Point(0, 0)])
    with pytest.raises(CRSError, match="set_crs"):
        v.require_crs(gdf, "metros")


def test_as_coords():
    pts = gpd.GeoDataFrame(geometry=[Point(1, 2), Point(3, 4)], crs=4326)
    x, y, crs = v.as_coords(pts)
    assert x.tolist() == [1, 3]
    assert y.tolist() == [2, 4]
    assert crs.to_epsg() == 4326
    square = Polygon([(0, 0), (2, 0), (2, 2), (0, 2)])
    x, y, _ = v.as_coords(gpd.GeoSeries([square], crs=3857))
    assert square.contains(Point(x[0], y[0]))
    with pytest.raises(InputError, match="GeoDataFrame or GeoSeries"):
        v.as_coords(pd.DataFrame({"x": [1]}))
    with pytest.raises(InputError, match="empty"):
        v.as_coords(pts.iloc[:0])
    with pytest.raises(InputError, match="missing or empty geometries"):
        v.as_coords(gpd.GeoDataFrame(geometry=[Point(0, 0), None], crs=4326))
    metres = gpd.GeoDataFrame(geometry=[Point(500_000, 4_000_000)], crs=4326)
    with pytest.raises(CRSError, match="CRS label is probably wrong"):
        v.as_coords(metres)


def test_optional_packages_say_which_extra_installs_them(monkeypatch):
    from geoai import BackendUnavailableError, _optional

    def missing(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(_optional.importlib, "import_module", missing)
    for module, purpose, extra in (
        ("matplotlib.pyplot", "maps", "viz"),
        ("dask.array", "method='dask'", "dask"),
        ("osmnx", "geoai.network", "osm"),
    ):
        with pytest.raises(BackendUnavailableError, match=rf"{purpose} needs .*geoai\[{extra}\]"):
            _optional.optional(module, purpose)
