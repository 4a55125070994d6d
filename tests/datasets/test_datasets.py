from __future__ import annotations

import time

import numpy as np
import pytest

import geoai
from geoai import InputError, LabourAssumptions, datasets
from geoai.labour import JOB_COLUMNS
from tests.reference import haversine_km


@pytest.fixture(scope="module")
def metros():
    return geoai.load_metros()


@pytest.fixture(scope="module")
def geonames():
    return geoai.load_metros(source="geonames")


def test_load_metros_contract(metros):
    assert len(metros) >= 500
    assert (metros["population"] >= 1_000_000).all()
    assert metros["metro_id"].is_unique
    assert metros.crs.to_epsg() == 4326
    assert (metros.geom_type == "Point").all()
    for col in ("metro_id", "name", "country_iso3", "countries", "population", "geometry"):
        assert col in metros.columns
    assert metros["metro_id"].str.fullmatch(r"wup:\d+").all()
    assert metros["population"].is_monotonic_decreasing


def test_geonames_metros_contract(geonames):
    assert len(geonames) >= 500
    assert (geonames["population"] >= 1_000_000).all()
    assert geonames["metro_id"].is_unique
    assert geonames.crs.to_epsg() == 4326
    assert (geonames.geom_type == "Point").all()
    for col in ("metro_id", "name", "country_iso3", "population", "n_places", "geometry"):
        assert col in geonames.columns
    assert geonames["metro_id"].str.fullmatch(r"gn\d+").all()
    assert geonames["population"].is_monotonic_decreasing
    assert geonames.attrs["source"] == datasets.GEONAMES_ATTRIBUTION


def test_load_metros_is_fast():
    for source in ("wup2018", "geonames"):
        datasets._read_metros.cache_clear()
        datasets._read_countries.cache_clear()
        datasets._wup._read_agglomerations.cache_clear()
        datasets._wup._read_population.cache_clear()
        t0 = time.perf_counter()
        geoai.load_metros(source=source)
        assert time.perf_counter() - t0 < 1.0, source


def test_famous_agglomerations(metros):
    by_name = metros.set_index("name")
    tokyo = by_name.loc["Tokyo"]
    # the UN's Tokyo (Kanto M.M.A., 37 M), not the 23 wards and not the Tokaido chain
    assert 30e6 < tokyo["population"] < 45e6
    assert tokyo["statistical_concept"] == "metropolitan area"
    for other in (
        "Chukyo M.M.A. (Nagoya)",
        "Kinki M.M.A. (Osaka)",
        "Seoul",
        "Delhi",
        "Mumbai (Bombay)",
        "New York-Newark",
    ):
        assert other in by_name.index
    assert by_name.loc["Delhi", "population"] > 15e6
    # no metro spans half a country: the largest stays below any plausible megaregion
    assert metros["population"].max() < 45e6
    nagoya = by_name.loc["Chukyo M.M.A. (Nagoya)"]
    span = haversine_km(tokyo.geometry.x, tokyo.geometry.y, nagoya.geometry.x, nagoya.geometry.y)
    assert span > 250


def test_famous_geonames_agglomerations(geonames):
    by_name = geonames.set_index("name")
    tokyo = by_name.loc["Tokyo"]
    # the agglomeration, not the 23 wards (9.7 M in GeoNames), and not the Tokaido chain
    assert 25e6 < tokyo["population"] < 45e6
    for suburb in ("Yokohama", "Kawasaki", "Saitama"):
        assert suburb in tokyo["places"]
    for other in ("Nagoya", "Osaka", "Seoul", "Delhi", "Mumbai", "New York City"):
        assert other in by_name.index
    assert "Ghāziābād" in by_name.loc["Delhi", "places"]
    assert by_name.loc["Delhi", "population"] > 15e6
    assert geonames["population"].max() < 45e6
    span = haversine_km(tokyo.geometry.x, tokyo.geometry.y, 136.9, 35.18)  # to Nagoya
    assert span > 250


def test_job_columns_say_observed_or_modelled_row_by_row(metros):
    observed = metros["labour_source"].str.startswith("observed")
    assert set(metros.loc[observed, "country_iso3"]) <= {"USA", "PRI"}
    assert observed.sum() >= 50  # every US agglomeration >= 1 M links to its MSA
    assert metros.loc[~observed, "labour_source"].str.startswith("modelled").all()
    assert metros.loc[observed, "cbsa"].notna().all()
    assert set(JOB_COLUMNS) <= set(metros.attrs["modelled_columns"])
    assert metros.attrs["observed_rows"] == observed.sum()
    # 2025 is after the last UN estimate year: the population is a projection, and says so
    assert "population" in metros.attrs["modelled_columns"]
    assert "population" not in geoai.load_metros(year=2015).attrs["modelled_columns"]
    assert metros[list(JOB_COLUMNS)].notna().all().all()
    total = metros["jobs_routine"] + metros["jobs_augmentable"] + metros["jobs_local"]
    np.testing.assert_allclose(total, metros["employment"])
    assert (metros["employment"] < metros["population"]).all()
    rich = metros.loc[metros["name"] == "Tokyo"].iloc[0]
    poor = metros.loc[metros["name"] == "Kinshasa"].iloc[0]
    share = lambda r: (r.jobs_routine + r.jobs_augmentable) / r.employment  # noqa: E731 - a named formula
    assert share(rich) > share(poor)


def test_us_agglomerations_carry_their_msa_observations(metros):
    us = geoai.load_us_metros().set_index("cbsa")
    by_name = metros.set_index("name")
    for name, cbsa in (("San Jose", "41940"), ("Detroit", "19820"), ("Atlanta", "12060")):
        row = by_name.loc[name]
        assert row["cbsa"] == cbsa
        # the only UN agglomeration of its MSA: the MSA's jobs, unchanged
        assert row["employment"] == us.loc[cbsa, "jobs_total"]
        assert row["ai_talent"] == us.loc[cbsa, "ai_talent"]
    # the structure no longer follows national income only: San Jose and Memphis differ
    talent = by_name["ai_talent"] / by_name["employment"]
    assert talent["San Jose"] > 4 * talent["Memphis"]
    # an MSA shared by several UN agglomerations is split, never counted twice
    linked = metros.dropna(subset=["cbsa"])
    every = geoai.load_metros(0)
    per_msa = every.dropna(subset=["cbsa"]).groupby("cbsa")["employment"].sum()
    np.testing.assert_allclose(
        per_msa.to_numpy(), us.loc[per_msa.index, "jobs_total"].to_numpy(), rtol=1e-9
    )
    assert len(linked) <= len(per_msa)


def test_assumptions_change_jobs():
    base = geoai.load_metros()
    a = LabourAssumptions(exposed_share=(0.30, 0.40, 0.40, 0.60))
    more = geoai.load_metros(assumptions=a)
    modelled = base["labour_source"].str.startswith("modelled").to_numpy()
    poor = modelled & (base["gdp_pc_usd"] <= a.income_anchors_usd[0]).to_numpy()
    assert poor.sum() >= 5
    # a larger low-complementarity share in low-income countries: more routine jobs there
    ratio = (more["jobs_routine"] / base["jobs_routine"]).to_numpy()
    np.testing.assert_allclose(ratio[poor], (0.30 - 0.08) / (0.26 - 0.08))
    np.testing.assert_allclose(ratio[~modelled], 1.0)  # observed rows do not move
    assert more.attrs["assumptions"]["exposed_share"][0] == 0.30


def test_min_population(metros, geonames):
    small = geoai.load_metros(min_population=300_000)
    assert len(small) > 2 * len(metros)
    assert set(metros["metro_id"]) <= set(small["metro_id"])
    assert len(geoai.load_metros(min_population=0)) == 1860  # every UN agglomeration
    with pytest.raises(InputError, match="min_population"):
        geoai.load_metros(min_population=-1)
    gn_small = geoai.load_metros(min_population=100_000, source="geonames")
    assert len(gn_small) > 4 * len(geonames)
    assert set(geonames["metro_id"]) <= set(gn_small["metro_id"])
    with pytest.raises(InputError, match="metros_from_places"):
        geoai.load_metros(min_population=10_000, source="geonames")
    with pytest.raises(InputError, match="min_population"):
        geoai.load_metros(min_population=-1, source="geonames")


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
    assert set(seed) <= set(niip.index)  # the seed six; data/niip/ adds the EWN rest
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
    for all_metros in (geoai.load_metros(0), geoai.load_metros(100_000, source="geonames")):
        assert all_metros["country_iso3"].isin(c.index).all()
        assert all_metros["gdp_pc_usd"].notna().all()


def test_other_years_keep_jobs_within_their_population():
    """2025's observed US jobs are not pasted onto 1950 or 2035 populations."""
    for year in (1950, 1990, 2035):
        metros = geoai.load_metros(0, year=year)
        assert (metros["employment"] <= 0.75 * metros["population"]).all(), year
        us = metros.dropna(subset=["cbsa"])
        assert us["labour_source"].str.startswith("observed structure").all()
        assert set(JOB_COLUMNS) <= set(metros.attrs["modelled_columns"])
        assert metros.attrs["observed_rows"] == 0
        # the observed structure is kept: San Jose's AI-talent share as in 2025
        now = geoai.load_metros(0).set_index("name")
        then = metros.set_index("name")
        share = lambda t: t.loc["San Jose", "ai_talent"] / t.loc["San Jose", "employment"]  # noqa: E731 - a named formula
        assert share(then) == pytest.approx(share(now), rel=1e-9)
    with pytest.raises(InputError, match="no years"):
        geoai.load_metros(source="geonames", year=2025)
