from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import geoai
from geoai import InputError, LabourAssumptions, datasets
from geoai.labour import JOB_COLUMNS
from tests.reference import haversine_km


@pytest.fixture(scope="module")
def metros():
    return geoai.load_metros()


def test_load_metros_contract(metros):
    assert len(metros) >= 500
    assert (metros["population"] >= 1_000_000).all()
    assert metros["metro_id"].is_unique
    assert metros.crs.to_epsg() == 4326
    assert (metros.geom_type == "Point").all()
    for col in ("metro_id", "name", "country_iso3", "population", "n_places", "geometry"):
        assert col in metros.columns
    assert metros["metro_id"].str.fullmatch(r"gn\d+").all()
    assert metros["population"].is_monotonic_decreasing


def test_load_metros_is_fast():
    datasets._read_metros.cache_clear()
    datasets._read_countries.cache_clear()
    t0 = time.perf_counter()
    geoai.load_metros()
    assert time.perf_counter() - t0 < 1.0


def test_famous_agglomerations(metros):
    by_name = metros.set_index("name")
    tokyo = by_name.loc["Tokyo"]
    # the agglomeration, not the 23 wards (9.7 M in GeoNames), and not the Tokaido chain
    assert 25e6 < tokyo["population"] < 45e6
    for suburb in ("Yokohama", "Kawasaki", "Saitama"):
        assert suburb in tokyo["places"]
    for other in ("Nagoya", "Osaka", "Seoul", "Delhi", "Mumbai", "New York City"):
        assert other in by_name.index
    assert "Ghāziābād" in by_name.loc["Delhi", "places"]
    assert by_name.loc["Delhi", "population"] > 15e6
    # no metro spans half a country: the largest stays below any plausible megaregion
    assert metros["population"].max() < 45e6
    span = haversine_km(tokyo.geometry.x, tokyo.geometry.y, 136.9, 35.18)  # to Nagoya
    assert span > 250


def test_modelled_jobs_are_labelled(metros):
    assert metros.attrs["modelled_columns"] == list(JOB_COLUMNS)
    assert metros.attrs["assumptions"]["routine_share"] == 0.5
    assert metros[list(JOB_COLUMNS)].notna().all().all()
    total = metros["jobs_routine"] + metros["jobs_augmentable"] + metros["jobs_local"]
    np.testing.assert_allclose(total, metros["employment"])
    assert (metros["employment"] < metros["population"]).all()
    rich = metros.loc[metros["name"] == "Tokyo"].iloc[0]
    poor = metros.loc[metros["name"] == "Kinshasa"].iloc[0]
    share = lambda r: (r.jobs_routine + r.jobs_augmentable) / r.employment  # noqa: E731
    assert share(rich) > share(poor)


def test_assumptions_change_jobs():
    base = geoai.load_metros()
    more = geoai.load_metros(assumptions=LabourAssumptions(routine_share=0.7))
    np.testing.assert_allclose(more["jobs_routine"] / base["jobs_routine"], 0.7 / 0.5)
    assert more.attrs["assumptions"]["routine_share"] == 0.7


def test_min_population(metros):
    small = geoai.load_metros(min_population=100_000)
    assert len(small) > 4 * len(metros)
    assert set(metros["metro_id"]) <= set(small["metro_id"])
    with pytest.raises(InputError, match="metros_from_places"):
        geoai.load_metros(min_population=10_000)
    with pytest.raises(InputError, match="min_population"):
        geoai.load_metros(min_population=-1)


def test_countries():
    c = geoai.load_countries()
    assert c.index.name == "iso3"
    assert c.index.is_unique
    assert c[["population", "gdp_usd"]].notna().all(axis=1).sum() >= 180
    seed = {
        "USA": -26.23e12,
        "JPN": 3.48e12,
        "CHN": 3.18e12,
        "SGP": 0.87e12,
        "FRA": -0.797e12,
        "GBR": -1.121e12,
    }
    niip = c["niip_usd"].dropna()
    assert set(niip.index) == set(seed)
    for iso3, value in seed.items():
        assert niip[iso3] == pytest.approx(value)
        assert isinstance(c.loc[iso3, "niip_source"], str)
        assert c.loc[iso3, "niip_source"]
    assert c.loc["USA", "niip_source"].startswith("US Bureau of Economic Analysis")
    assert c.loc["USA", "niip_gdp"] == pytest.approx(-26.23e12 / c.loc["USA", "gdp_usd"])
    assert c.loc["DEU", "continent"] == "Europe"
    assert c.loc["TWN", "gdp_pc_source"].startswith("imputed")
    assert c.loc["DEU", "gdp_pc_source"] == f"World Bank {c.loc['DEU', 'gdp_year']}"
    assert not {"WLD", "HIC", "EUU"} & set(c.index)  # aggregates are not countries
    # every shipped metro has a country row and an income figure
    all_metros = geoai.load_metros(100_000)
    assert all_metros["country_iso3"].isin(c.index).all()
    assert all_metros["gdp_pc_usd"].notna().all()


@pytest.mark.slow
def test_shipped_metros_rebuild_identically():
    """data/build_metros.py on the installed GeoNames data reproduces the shipped file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_metros", datasets.data_path("metros.parquet").parent / "build_metros.py"
    )
    if spec is None or spec.loader is None or not spec.origin:
        pytest.fail("data/build_metros.py not found")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    places = build.load_places()
    metros = build.delineate(places, build.LINK_KM, build.DENSITY)
    metros = metros.rename(columns={"country": "country_iso3"})
    metros = metros[metros["population"] >= build.KEEP_MIN_POP].reset_index(drop=True)
    metros["population"] = metros["population"].round().astype("int64")
    shipped = gpd.read_parquet(datasets.data_path("metros.parquet"))
    pd.testing.assert_frame_equal(
        pd.DataFrame(metros.drop(columns="geometry")),
        pd.DataFrame(shipped.drop(columns="geometry")),
    )
    assert metros.geom_equals_exact(shipped.geometry, tolerance=1e-9).all()
