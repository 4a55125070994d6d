"""Observed US metros: BLS OEWS May 2025 occupations × Eloundou et al. (2024) exposure."""

from __future__ import annotations

import importlib.util
import math
import time
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import geoai
from geoai import InputError
from geoai.datasets import data_path
from geoai.labour import AI_TALENT_SOC, jobs_from_occupations, match_exposure
from tests.reference import haversine_km

ROOT = Path(__file__).resolve().parents[2]
WUP_CSV = ROOT / "data" / "un_wup2018" / "source" / "WUP2018-F22-Cities_Over_300K_Annual.csv"

# CBSA codes of OMB's delineation (the MSA of each UN agglomeration's core city)
BIG = {
    "New York-Newark": "35620",
    "Los Angeles-Long Beach-Santa Ana": "31080",
    "Chicago": "16980",
    "Houston": "26420",
    "Detroit": "19820",
    "Atlanta": "12060",
    "San Jose": "41940",
    "San Francisco-Oakland": "41860",
}


@pytest.fixture(scope="module")
def us():
    return geoai.load_us_metros()


@pytest.fixture(scope="module")
def cities():
    return geoai.datasets.load_us_principal_cities()


@pytest.fixture(scope="module")
def occupations():
    return geoai.load_us_occupations()


@pytest.fixture(scope="module")
def exposure():
    return geoai.load_occupation_exposure()


@pytest.fixture(scope="module")
def wup_us():
    """UN WUP 2018 agglomerations of the US and Puerto Rico as points (read here, independently)."""
    wup = pd.read_csv(WUP_CSV, encoding="utf-8")
    iso = {"United States of America": "USA", "Puerto Rico": "PRI"}
    wup = wup[wup["Country or area"].isin(iso)].reset_index(drop=True)
    return gpd.GeoDataFrame(
        {
            "name": wup["Urban Agglomeration"],
            "country_iso3": wup["Country or area"].map(iso),
            "pop_2025": wup["2025"] * 1000.0,
        },
        geometry=gpd.points_from_xy(wup["Longitude"], wup["Latitude"]),
        crs="EPSG:4326",
    )


def national_ai_share(occupations):
    nat = occupations[(occupations["cbsa"] == "00000") & occupations["jobs"].notna()]
    return nat.loc[nat["soc"].isin(list(AI_TALENT_SOC)), "jobs"].sum() / nat["jobs"].sum()


# --- the MSA layer --------------------------------------------------------------


def test_us_metros_contract(us):
    assert len(us) >= 380
    assert not us["name"].str.contains("nonmetropolitan", case=False).any()
    assert us["cbsa"].is_unique
    assert us["cbsa"].str.fullmatch(r"\d{5}").all()
    assert "00000" not in set(us["cbsa"])
    assert us.crs.to_epsg() == 4326
    assert (us.geom_type == "Point").all()
    assert us.geometry.is_valid.all()
    assert not us.geometry.is_empty.any()
    assert us["jobs_total"].is_monotonic_decreasing
    assert us.attrs["source"] == (
        "BLS OEWS May 2025 (public domain); exposure: Eloundou et al. 2024 (MIT)"
    )
    assert us.attrs["modelled_columns"] == []
    assert (us["labour_source"] == "observed: BLS OEWS May 2025 × Eloundou et al. 2024").all()
    for col in ("principal_city", "place_match", "title_city"):
        assert us[col].str.len().gt(0).all(), col
    assert (us["geonameid"] > 0).all()


def test_state_and_country_follow_the_title(us):
    first_state = us["name"].str.rsplit(", ", n=1).str[1].str.split("-").str[0]
    assert (us["state"] == first_state).all()
    pr = us["state"] == "PR"
    assert pr.sum() >= 5  # San Juan, Ponce, Mayagüez, Aguadilla, Arecibo, Guayama
    assert (us.loc[pr, "country_iso3"] == "PRI").all()
    assert (us.loc[~pr, "country_iso3"] == "USA").all()


def test_points_inside_us_and_puerto_rico(us):
    x, y = us.geometry.x, us.geometry.y
    pr = us["country_iso3"] == "PRI"
    in_pr = x.between(-67.95, -65.2) & y.between(17.85, 18.55)
    conus = x.between(-124.8, -66.9) & y.between(24.4, 49.4)
    alaska = x.between(-170.0, -129.9) & y.between(51.2, 71.4)
    hawaii = x.between(-160.3, -154.8) & y.between(18.9, 22.3)
    assert in_pr[pr].all()
    assert (conus | alaska | hawaii)[~pr].all()
    assert us.loc[us["state"] == "AK"].shape[0] >= 2
    assert us.loc[us["state"] == "HI"].shape[0] >= 2


def test_points_agree_with_un_coordinates(us, wup_us):
    """Our GeoNames point and the UN's agglomeration centre are independent; they agree."""
    by_cbsa = us.set_index("cbsa")
    wup = wup_us.set_index("name")
    for name, cbsa in BIG.items():
        ours = by_cbsa.loc[cbsa, "geometry"]
        theirs = wup.loc[name, "geometry"]
        d = haversine_km(ours.x, ours.y, theirs.x, theirs.y)
        assert d < 50.0, (name, by_cbsa.loc[cbsa, "name"], d)


def test_title_rules_place_the_hard_cases(us):
    by_name = us.set_index("name")
    expect = {
        "San Jose-Sunnyvale-Santa Clara, CA": "San Jose",
        "Urban Honolulu, HI": "Honolulu",
        "Boise City, ID": "Boise",
        "Louisville/Jefferson County, KY-IN": "Louisville",
        "Nashville-Davidson--Murfreesboro--Franklin, TN": "Nashville",
        "Winston-Salem, NC": "Winston-Salem",
        "Mayaguez, PR": "Mayagüez",
        "Macon-Bibb County, GA": "Macon",
    }
    for title, city in expect.items():
        assert by_name.loc[title, "principal_city"] == city, title
    assert "Saint" in by_name.loc["St. Cloud, MN", "principal_city"]


# --- every principal city of the titles ------------------------------------------------


def test_principal_cities_contract(cities, us):
    assert list(cities.columns) == [
        "cbsa",
        "rank",
        "city",
        "state",
        "geonameid",
        "lon",
        "lat",
        "match",
    ]
    assert not cities.duplicated(["cbsa", "rank"]).any()
    assert cities[["cbsa", "rank"]].equals(cities.sort_values(["cbsa", "rank"])[["cbsa", "rank"]])
    assert set(cities["cbsa"]) == set(us["cbsa"])
    assert (cities["geonameid"] > 0).all()
    assert cities[["lon", "lat"]].notna().all().all()
    assert cities["match"].str.len().gt(0).all()
    # rank 1 is exactly the us_metros point: same place, coordinates, title city and match
    first = cities[cities["rank"] == 1].set_index("cbsa").loc[us["cbsa"]]
    assert len(first) == len(us)
    np.testing.assert_array_equal(first["geonameid"], us["geonameid"])
    np.testing.assert_array_equal(first["lon"], us.geometry.x)
    np.testing.assert_array_equal(first["lat"], us.geometry.y)
    np.testing.assert_array_equal(first["city"], us["title_city"])
    np.testing.assert_array_equal(first["match"], us["place_match"])
    # ranks run 1..n without gaps where every title city was placed
    assert (cities.groupby("cbsa")["rank"].max() == cities.groupby("cbsa").size()).all()


def test_principal_cities_lie_in_the_title_states_and_near_the_first(cities, us):
    title = us.set_index("cbsa")["name"]
    states = cities["cbsa"].map(title).str.rsplit(", ", n=1).str[1].str.split("-")
    assert all(st in allowed for st, allowed in zip(cities["state"], states, strict=True))
    first = cities[cities["rank"] == 1].set_index("cbsa")
    f = first.loc[cities["cbsa"]]
    d = haversine_km(f["lon"].to_numpy(), f["lat"].to_numpy(), cities["lon"], cities["lat"])
    assert d.max() < 150.0  # a principal city lies in its MSA; the widest is Miami's
    # two title cities of one MSA are two places
    assert not cities.duplicated(["cbsa", "geonameid"]).any()


def test_principal_cities_of_known_titles(cities, us):
    code = us.set_index("name")["cbsa"]
    by = {k: g.sort_values("rank") for k, g in cities.groupby("cbsa")}

    def listed(title):
        g = by[code[title]]
        return list(zip(g["city"], g["state"], strict=True))

    assert listed("San Francisco-Oakland-Fremont, CA") == [
        ("San Francisco", "CA"),
        ("Oakland", "CA"),
        ("Fremont", "CA"),
    ]
    assert listed("Philadelphia-Camden-Wilmington, PA-NJ-DE-MD") == [
        ("Philadelphia", "PA"),
        ("Camden", "NJ"),
        ("Wilmington", "DE"),
    ]
    assert listed("Huntington-Ashland, WV-KY-OH") == [("Huntington", "WV"), ("Ashland", "KY")]
    assert listed("Washington-Arlington-Alexandria, DC-VA-MD-WV")[1] == ("Arlington", "VA")
    assert [c for c, _ in listed("Nashville-Davidson--Murfreesboro--Franklin, TN")] == [
        "Nashville-Davidson",
        "Murfreesboro",
        "Franklin",
    ]
    assert [c for c, _ in listed("Scranton--Wilkes-Barre, PA")] == ["Scranton", "Wilkes-Barre"]
    for one in (
        "Winston-Salem, NC",
        "Augusta-Richmond County, GA-SC",
        "Macon-Bibb County, GA",
        "Lexington-Fayette, KY",
        "Louisville/Jefferson County, KY-IN",
    ):
        assert len(listed(one)) == 1, one
    assert len(listed("Riverside-San Bernardino-Ontario, CA")) == 3


def test_load_us_principal_cities_is_fast_and_returns_copies():
    from geoai._shipped import read_us_principal_cities

    read_us_principal_cities.cache_clear()
    t0 = time.perf_counter()
    first = geoai.datasets.load_us_principal_cities()
    assert time.perf_counter() - t0 < 1.0
    first.loc[first.index[0], "lon"] = 999.0
    again = geoai.datasets.load_us_principal_cities()
    assert again["lon"].between(-180, 180).all()
    assert "GeoNames" in again.attrs["source"]


# --- labour columns -----------------------------------------------------------------


def test_job_columns_sum_and_are_nonnegative(us):
    parts = us[["jobs_routine", "jobs_augmentable", "jobs_local"]]
    assert (parts >= 0).all().all()
    np.testing.assert_allclose(parts.sum(axis=1), us["jobs_total"], rtol=1e-9)
    assert us["exposure_mean"].between(0, 1).all()
    assert us["suppressed_share"].between(0, 1).all()
    assert (us["ai_talent"] >= 0).all()
    assert (us["ai_talent"] <= us["jobs_total"]).all()


def test_national_exposure_in_plausible_range(occupations, exposure):
    nat = jobs_from_occupations(occupations[occupations["cbsa"] == "00000"], exposure)
    assert 0.2 <= nat.loc["00000", "exposure_mean"] <= 0.5
    # every national detailed code gets an exposure; < 3 % of employment unmatched
    matched = match_exposure(occupations["soc"].unique(), exposure)
    share = occupations.loc[occupations["cbsa"] == "00000"].join(matched, on="soc")
    unmatched = share.loc[share["exposure_match"] == "none", "jobs"].sum()
    assert unmatched / share["jobs"].sum() < 0.03


def test_ai_talent_concentrates_in_san_jose(us, occupations):
    share = (us["ai_talent"] / us["jobs_total"]).set_axis(us["cbsa"])
    national = national_ai_share(occupations)
    assert 0.0 < national < 0.05
    assert share["41940"] >= 4 * national  # San Jose-Sunnyvale-Santa Clara
    assert share["32820"] < national  # Memphis
    assert share.idxmax() == "41940"


def test_metros_match_their_occupation_rows(us, occupations):
    """jobs_total is the OEWS all-occupation row and ai_talent its AI-SOC cells, scaled."""
    msa = occupations[occupations["cbsa"] != "00000"]
    assert set(msa["cbsa"]) == set(us["cbsa"])
    total = msa.groupby("cbsa")["area_jobs_total"].first()
    np.testing.assert_array_equal(us.set_index("cbsa")["jobs_total"], total[us["cbsa"]])
    sj = msa[msa["cbsa"] == "41940"]
    raw_ai = sj.loc[sj["soc"].isin(list(AI_TALENT_SOC)), "jobs"].sum()
    scaled = us.set_index("cbsa").loc["41940", "ai_talent"]
    # the reported cells' AI share, applied to the all-occupation total
    assert scaled == pytest.approx(raw_ai * total["41940"] / sj["jobs"].sum(), rel=1e-12)
    assert scaled >= raw_ai


# --- the aggregation against an obviously correct reference ------------------------


def reference_jobs(occ, exp):
    """Loop version of jobs_from_occupations (fallback: broad, then minor group)."""
    table = {r.soc: (r.exposure, r.automated_share) for r in exp.itertuples()}

    def lookup(soc):
        if soc in table:
            return table[soc]
        for width in (5, 4):
            group = [v for k, v in table.items() if k[:width] == soc[:width]]
            if group:
                beta = sum(b for b, _ in group) / len(group)
                routine = sum(b * s for b, s in group) / len(group)
                return beta, (routine / beta if beta > 0 else 0.0)
        return None

    rows = {}
    for cbsa, g in occ.groupby("cbsa"):
        total = g["area_jobs_total"].iloc[0]
        reported = [(s, j) for s, j in zip(g["soc"], g["jobs"], strict=True) if not math.isnan(j)]
        n_rep = sum(j for _, j in reported)
        usable = [(lookup(s), j) for s, j in reported if lookup(s) is not None]
        n_use = sum(j for _, j in usable)
        routine = total * sum(j * b * s for (b, s), j in usable) / n_use
        augment = total * sum(j * b * (1 - s) for (b, s), j in usable) / n_use
        ai = total * sum(j for s, j in reported if s in AI_TALENT_SOC) / n_rep
        rows[cbsa] = {
            "jobs_total": total,
            "jobs_routine": routine,
            "jobs_augmentable": augment,
            "jobs_local": total - routine - augment,
            "ai_talent": ai,
            "exposure_mean": sum(j * b for (b, _), j in usable) / n_use,
            "suppressed_share": max(0.0, 1 - n_rep / total),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


SYNTH_EXPOSURE = pd.DataFrame(
    {
        "soc": ["151252", "152051", "131021", "131022", "131199", "412031", "352014"],
        "exposure": [0.87, 0.75, 0.6, 0.4, 0.5, 0.3, 0.0],
        "automated_share": [0.12, 0.3, 0.5, 0.25, 1.0, 0.8, 0.0],
    }
)
# 151252, 152051, 412031, 352014: exact; 131020: broad fallback (13102x: 131021, 131022);
# 131111: minor fallback (1311xx: 131199 only); 999999: no match at all
SYNTH_SOC = ["151252", "152051", "131020", "131111", "412031", "352014", "999999"]


def synthetic_occupations(jobs, suppressed, totals_extra):
    rows = []
    for m, extra in enumerate(totals_extra):
        cbsa = f"1000{m}"
        cells = [
            (soc, np.nan if suppressed[m][k] else jobs[m][k]) for k, soc in enumerate(SYNTH_SOC)
        ]
        reported = sum(j for _, j in cells if not math.isnan(j))
        for soc, j in cells:
            rows.append({"cbsa": cbsa, "soc": soc, "jobs": j, "area_jobs_total": reported + extra})
    return pd.DataFrame(rows)


def test_aggregation_matches_reference_on_a_fixed_table():
    jobs = [[100.0, 20.0, 50.0, 30.0, 200.0, 400.0, 10.0], [5.0, 0.0, 7.0, 1.0, 3.0, 9.0, 2.0]]
    suppressed = [
        [False, True, False, False, False, False, False],
        [False, False, True, False, False, True, False],
    ]
    occ = synthetic_occupations(jobs, suppressed, [90.0, 0.0])
    got = jobs_from_occupations(occ, SYNTH_EXPOSURE)
    ref = reference_jobs(occ, SYNTH_EXPOSURE)
    pd.testing.assert_frame_equal(got[ref.columns], ref, check_names=False, rtol=1e-12)
    matched = match_exposure(SYNTH_SOC, SYNTH_EXPOSURE)["exposure_match"]
    assert matched["151252"] == "exact"
    assert matched["131020"] == "broad"
    assert matched["131111"] == "minor"
    assert matched["999999"] == "none"
    # broad fallback = plain mean of 131021 and 131022; its automated share keeps the
    # automated jobs consistent: (0.6*0.5 + 0.4*0.25) / 2 / 0.5
    fb = match_exposure(["131020"], SYNTH_EXPOSURE).loc["131020"]
    assert fb["exposure"] == pytest.approx(0.5)
    assert fb["automated_share"] == pytest.approx((0.6 * 0.5 + 0.4 * 0.25) / 2 / 0.5)


@given(
    jobs=st.lists(
        st.lists(st.floats(0, 1e5), min_size=len(SYNTH_SOC), max_size=len(SYNTH_SOC)),
        min_size=1,
        max_size=4,
    ),
    data=st.data(),
)
def test_aggregation_matches_reference_property(jobs, data):
    n = len(jobs)
    suppressed = [
        data.draw(st.lists(st.booleans(), min_size=len(SYNTH_SOC), max_size=len(SYNTH_SOC)))
        for _ in range(n)
    ]
    for m in range(n):  # keep at least one usable, positive reported cell per metro
        suppressed[m][0] = False
        jobs[m][0] = max(jobs[m][0], 1.0)
    extra = data.draw(st.lists(st.floats(0, 1e4), min_size=n, max_size=n))
    occ = synthetic_occupations(jobs, suppressed, extra)
    got = jobs_from_occupations(occ, SYNTH_EXPOSURE)
    ref = reference_jobs(occ, SYNTH_EXPOSURE)
    pd.testing.assert_frame_equal(got[ref.columns], ref, check_names=False, rtol=1e-9, atol=1e-9)
    parts = got[["jobs_routine", "jobs_augmentable", "jobs_local"]].sum(axis=1)
    np.testing.assert_allclose(parts, got["jobs_total"], rtol=1e-9)


def test_aggregation_rejects_bad_input():
    occ = pd.DataFrame({"cbsa": ["1"], "soc": ["151252"], "jobs": [1.0]})
    with pytest.raises(InputError, match="lacks column"):
        jobs_from_occupations(occ.drop(columns="jobs"), SYNTH_EXPOSURE)
    with pytest.raises(InputError, match="6-digit"):
        jobs_from_occupations(occ.assign(soc="15-1252"), SYNTH_EXPOSURE)
    with pytest.raises(InputError, match="major-group"):
        jobs_from_occupations(occ.assign(soc="000000"), SYNTH_EXPOSURE)
    with pytest.raises(InputError, match=">= 0"):
        jobs_from_occupations(occ.assign(jobs=-1.0), SYNTH_EXPOSURE)
    with pytest.raises(InputError, match="repeats"):
        jobs_from_occupations(pd.concat([occ, occ]), SYNTH_EXPOSURE)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        jobs_from_occupations(occ, SYNTH_EXPOSURE.assign(exposure=1.5))
    with pytest.raises(InputError, match="lacks column"):
        jobs_from_occupations(occ, SYNTH_EXPOSURE.drop(columns="automated_share"))


# --- the exposure file -----------------------------------------------------------------


def test_exposure_file(exposure):
    assert exposure["soc"].str.fullmatch(r"\d{6}").all()
    assert exposure["soc"].is_unique
    shares = [
        "exposure",
        "alpha",
        "gamma",
        "exposure_human",
        "alpha_human",
        "gamma_human",
        "t34_task_share",
        "automated_share",
        "augmented_share",
    ]
    assert exposure[shares].notna().all().all()
    assert ((exposure[shares] >= 0) & (exposure[shares] <= 1)).all().all()
    np.testing.assert_allclose(
        exposure["automated_share"] + exposure["augmented_share"], 1.0, atol=1e-12
    )
    # α <= β <= γ for both raters (E1 <= E1 + E2/2 <= E1 + E2)
    for suffix in ("", "_human"):
        beta = exposure["exposure" + suffix]
        assert (exposure["alpha" + suffix] <= beta + 1e-12).all()
        assert (beta <= exposure["gamma" + suffix] + 1e-12).all()
    # the automated part of exposed time never exceeds the T3-T4 task share
    automated_time = exposure["exposure"] * exposure["automated_share"]
    assert (automated_time <= exposure["t34_task_share"] + 1e-12).all()
    assert (exposure["n_tasks"] > 0).all()
    assert (exposure["onet_codes"].str.count(";") + 1 == exposure["n_onet"]).all()
    assert exposure.loc[exposure["soc"] == "151252", "title"].item() == "Software Developers"


# --- link_cbsa ---------------------------------------------------------------------------


def test_link_cbsa_on_un_agglomerations(wup_us):
    linked = geoai.link_cbsa(wup_us)
    assert linked.index.equals(wup_us.index)
    got = dict(zip(wup_us["name"], linked, strict=True))
    assert got["Detroit"] == "19820"
    assert got["Atlanta"] == "12060"
    assert got["San Francisco-Oakland"] == "41860"
    assert got["San Jose"] == "41940"
    big = wup_us["pop_2025"] >= 1e6
    assert big.sum() >= 40
    assert linked[big].notna().all()
    # a tighter radius links a subset, each to the same CBSA
    tight = geoai.link_cbsa(wup_us, max_km=10.0)
    assert tight.notna().sum() < linked.notna().sum()
    assert (tight.dropna() == linked[tight.notna()]).all()


def named(wup_us, name, lon=(-180.0, 180.0)):
    """Row label of a UN agglomeration (two are called Concord: CA and NC); ``lon``: range."""
    rows = [
        r for r in wup_us.index[wup_us["name"] == name] if lon[0] < wup_us.geometry[r].x < lon[1]
    ]
    assert len(rows) == 1, name
    return rows[0]


def test_link_cbsa_gravity_puts_suburbs_in_the_large_metro(wup_us, us):
    linked = geoai.link_cbsa(wup_us)
    code = us.set_index("name")["cbsa"]
    expect = {
        named(wup_us, "Concord", lon=(-125.0, -100.0)): "41860",  # Contra Costa County
        named(wup_us, "Antioch"): "41860",
        named(wup_us, "Mission Viejo"): "31080",  # Orange County
        named(wup_us, "Round Lake Beach-McHenry-Grayslake"): "16980",  # Lake County, IL
        named(wup_us, "Detroit"): "19820",
        named(wup_us, "Atlanta"): "12060",
        named(wup_us, "San Francisco-Oakland"): "41860",
        named(wup_us, "San Jose"): "41940",
        named(wup_us, "Riverside-San Bernardino"): "40140",
        named(wup_us, "Bridgeport-Stamford"): code["Bridgeport-Stamford-Danbury, CT"],
        named(wup_us, "Oxnard"): code["Oxnard-Thousand Oaks-Ventura, CA"],
        named(wup_us, "Concord", lon=(-100.0, -60.0)): code["Charlotte-Concord-Gastonia, NC-SC"],
    }
    for row, cbsa in expect.items():
        assert linked[row] == cbsa, (wup_us.loc[row, "name"], linked[row], cbsa)
    assert linked[named(wup_us, "Oxnard")] != "31080"


def test_every_big_agglomeration_links_to_a_metro_naming_a_nearby_city(wup_us, cities):
    linked = geoai.link_cbsa(wup_us)
    big = wup_us.index[wup_us["pop_2025"] >= 1e6]
    assert len(big) >= 40
    for row in big:
        cbsa = linked[row]
        assert isinstance(cbsa, str), wup_us.loc[row, "name"]
        own = cities[cities["cbsa"] == cbsa]
        pt = wup_us.geometry[row]
        d = haversine_km(pt.x, pt.y, own["lon"].to_numpy(), own["lat"].to_numpy())
        assert d.min() <= 60.0, (wup_us.loc[row, "name"], cbsa, d.min())


def test_link_cbsa_links_exactly_the_points_near_a_title_city(wup_us, us, cities):
    """A point links iff a title city of its country lies within max_km; count them."""
    linked = geoai.link_cbsa(wup_us)
    country = cities["cbsa"].map(us.set_index("cbsa")["country_iso3"])
    near = []
    for iso, pt in zip(wup_us["country_iso3"], wup_us.geometry, strict=True):
        c = cities[country == iso]
        near.append(bool((haversine_km(pt.x, pt.y, c["lon"], c["lat"]) <= 60.0).any()))
    near = np.array(near)
    np.testing.assert_array_equal(linked.notna().to_numpy(), near)
    n = int(near.sum())
    assert len(wup_us) >= 140
    # all but a handful of desert / high-desert agglomerations around Los Angeles link
    assert len(wup_us) - 5 <= n < len(wup_us), n
    unlinked = set(wup_us.loc[~near, "name"])
    assert {"Lancaster-Palmdale", "Indio-Cathedral City-Palm Springs"} <= unlinked


def test_us_links_shares_sum_to_one_per_cbsa():
    from geoai.datasets import DEFAULT_METRO_YEAR, _us_links, wup_agglomerations

    links = _us_links(DEFAULT_METRO_YEAR)
    np.testing.assert_allclose(links.groupby("cbsa")["share"].sum(), 1.0, rtol=1e-12)
    assert links["share"].between(0, 1, inclusive="right").all()
    every = wup_agglomerations(DEFAULT_METRO_YEAR, 0)
    us = every[every["country_iso3"].isin(["USA", "PRI"])]
    direct = geoai.link_cbsa(us).set_axis(us["metro_id"].to_numpy())
    assert links["cbsa"].equals(direct.dropna().loc[links.index])
    concord = us.loc[(us["name"] == "Concord") & (us.geometry.x < -100), "metro_id"].item()
    assert links.loc[concord, "cbsa"] == "41860"


def brute_force_link(lon, lat, iso, us, cities, max_km=60.0):
    """Plain loop over every (point, title city) pair: the rule of link_cbsa's docstring."""
    jobs = dict(zip(us["cbsa"], us["jobs_total"], strict=True))
    country = dict(zip(us["cbsa"], us["country_iso3"], strict=True))
    nearest = {}  # cbsa -> distance (km) to its nearest title city
    for cbsa, clon, clat in zip(cities["cbsa"], cities["lon"], cities["lat"], strict=True):
        if country[cbsa] != iso:
            continue
        d = float(haversine_km(lon, lat, clon, clat))
        nearest[cbsa] = min(d, nearest.get(cbsa, math.inf))
    best, best_score, best_d = None, -math.inf, math.inf
    for cbsa, d in nearest.items():
        if d > max_km:
            continue
        score = jobs[cbsa] / max(d, 5.0) ** 2
        if score > best_score or (score == best_score and d < best_d):
            best, best_score, best_d = cbsa, score, d
    return best


def test_link_cbsa_equals_a_brute_force_loop(wup_us, us, cities):
    rows = [
        named(wup_us, "Concord", lon=(-125.0, -100.0)),
        named(wup_us, "Temecula-Murrieta"),
        named(wup_us, "Victorville-Hesperia-Apple Valley"),
        named(wup_us, "Lancaster-Palmdale"),
        named(wup_us, "Bridgeport-Stamford"),
        named(wup_us, "Denton-Lewisville"),
        named(wup_us, "San Juan"),
        named(wup_us, "Trenton"),
    ]
    extra = gpd.GeoDataFrame(  # between metros, off the coast, and a suburb of Boston
        {"country_iso3": ["USA", "USA", "PRI", "USA"]},
        geometry=gpd.points_from_xy([-74.3, -71.0, -66.3, -71.3], [40.5, 39.0, 18.2, 42.3]),
        crs="EPSG:4326",
    )
    pts = pd.concat([wup_us.loc[rows, ["country_iso3", "geometry"]], extra], ignore_index=True)
    pts = gpd.GeoDataFrame(pts, geometry="geometry", crs="EPSG:4326")
    for max_km in (60.0, 25.0, 120.0):
        got = geoai.link_cbsa(pts, max_km=max_km)
        for k, (iso, pt) in enumerate(zip(pts["country_iso3"], pts.geometry, strict=True)):
            want = brute_force_link(pt.x, pt.y, iso, us, cities, max_km)
            assert (got.iloc[k] if isinstance(got.iloc[k], str) else None) == want, (k, max_km)


def test_link_cbsa_rule_on_synthetic_metros():
    """Own centre keeps its metro; a suburb joins the big neighbour; ties go to the nearer."""
    metros = gpd.GeoDataFrame(
        {
            "cbsa": ["00001", "00002", "00003"],
            "country_iso3": "USA",
            "jobs_total": [1e6, 1e5, 4e6],
        },
        geometry=gpd.points_from_xy([0.0, 0.2, 1.0], [0.0, 0.0, 0.0]),
        crs="EPSG:4326",
    )
    second = pd.DataFrame({"cbsa": ["00001"], "lon": [0.5], "lat": [0.0]})  # 00001's 2nd city
    none = pd.DataFrame({"cbsa": pd.Series([], dtype=str), "lon": [], "lat": []})
    pts = gpd.GeoDataFrame(
        {"country_iso3": ["USA"] * 4},
        geometry=gpd.points_from_xy([0.2, 0.3, 0.6, 3.0], [0.0, 0.0, 0.0, 0.0]),
        crs="EPSG:4326",
    )
    got = geoai.link_cbsa(pts, metros=metros, principal_cities=second, max_km=100.0)
    # 0.2, at 00002's centre: 1e5 / 5**2 = 4000 beats 00001 at 22 km (1e6 / 22.2**2 ~ 2000)
    assert got.iloc[0] == "00002"
    # 0.3: 00002 is nearest (11 km, ~810) but 00001's second city at 22 km scores ~2000
    assert got.iloc[1] == "00001"
    # 0.6: 00001's second city at 11 km (~8100) beats 00003 at 44 km (~2000) ...
    assert got.iloc[2] == "00001"
    # ... which wins when only first cities count (00001 then at 67 km, ~225)
    only_first = geoai.link_cbsa(pts, metros=metros, principal_cities=none, max_km=100.0)
    assert only_first.iloc[2] == "00003"
    assert pd.isna(got.iloc[3])  # 222 km from 00003
    assert pd.isna(only_first.iloc[3])
    # equal scores (both inside the 5 km floor, equal jobs) go to the nearer metro
    tie = gpd.GeoDataFrame(
        {"cbsa": ["00009", "00008"], "country_iso3": "USA", "jobs_total": [1e5, 1e5]},
        geometry=gpd.points_from_xy([-0.03, 0.01], [0.0, 0.0]),
        crs="EPSG:4326",
    )
    at0 = pts.iloc[:1].assign(geometry=gpd.points_from_xy([0.0], [0.0]))
    assert geoai.link_cbsa(at0, metros=tie, principal_cities=none).item() == "00008"
    assert geoai.link_cbsa(at0, metros=tie.iloc[::-1], principal_cities=none).item() == "00008"


def test_link_cbsa_of_principal_cities_is_identity(us):
    pts = us[["country_iso3", "geometry"]].copy()
    assert (geoai.link_cbsa(pts, max_km=1.0) == us["cbsa"]).all()
    # other countries, and US points far from any principal city, stay unlinked
    other = pts.assign(country_iso3="CAN")
    assert geoai.link_cbsa(other).isna().all()
    sea = gpd.GeoDataFrame(
        {"country_iso3": ["USA", "PRI"]},
        geometry=gpd.points_from_xy([-140.0, -60.0], [30.0, 15.0]),
        crs="EPSG:4326",
    )
    assert geoai.link_cbsa(sea).isna().all()


def test_link_cbsa_accepts_other_geographic_crs(wup_us):
    nad83 = wup_us.to_crs("EPSG:4269")
    pd.testing.assert_series_equal(geoai.link_cbsa(nad83), geoai.link_cbsa(wup_us))


def test_link_cbsa_rejects_bad_input(wup_us):
    with pytest.raises(InputError, match="no CRS"):
        geoai.link_cbsa(wup_us.set_crs(None, allow_override=True))
    with pytest.raises(InputError, match="projected"):
        geoai.link_cbsa(wup_us.to_crs("EPSG:5070"))
    with pytest.raises(InputError, match="country_iso3"):
        geoai.link_cbsa(wup_us.drop(columns="country_iso3"))
    with pytest.raises(InputError, match="GeoDataFrame"):
        geoai.link_cbsa(pd.DataFrame(wup_us.drop(columns="geometry")))
    with pytest.raises(InputError, match="max_km"):
        geoai.link_cbsa(wup_us, max_km=0.0)
    empty = wup_us.copy()
    empty.loc[empty.index[0], "geometry"] = None
    with pytest.raises(InputError, match="missing or empty"):
        geoai.link_cbsa(empty)
    us = geoai.load_us_metros()
    with pytest.raises(InputError, match="jobs_total"):
        geoai.link_cbsa(wup_us, metros=us.drop(columns="jobs_total"))
    with pytest.raises(InputError, match="principal_cities lacks"):
        geoai.link_cbsa(wup_us, principal_cities=pd.DataFrame({"cbsa": ["41860"]}))
    with pytest.raises(InputError, match="finite"):
        geoai.link_cbsa(wup_us, metros=us.assign(jobs_total=np.nan))
    with pytest.raises(InputError, match="repeats"):
        geoai.link_cbsa(wup_us, metros=pd.concat([us, us.iloc[:1]]))


# --- shipped files -----------------------------------------------------------------------


def load_build(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        pytest.fail(f"{path} not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_shipped_files_equal_a_fresh_rebuild():
    exp_build = load_build(ROOT / "data" / "ai_exposure" / "build.py", "build_ai_exposure")
    occ, tasks = exp_build.read_sources()
    fresh_exposure = exp_build.build_exposure(occ, tasks, exp_build.oews_titles())
    shipped_exposure = pd.read_csv(
        data_path("ai_exposure/occupation_exposure.csv"),
        dtype={"soc": str, "title": str, "onet_codes": str},
    )
    pd.testing.assert_frame_equal(fresh_exposure, shipped_exposure, check_dtype=False)

    oews_build = load_build(ROOT / "data" / "us_oews_2025" / "build.py", "build_us_oews")
    fresh_occ, fresh_metros, fresh_cities = oews_build.build_all()
    shipped_occ = pd.read_parquet(data_path("us_oews_2025/us_occupations.parquet"))
    pd.testing.assert_frame_equal(fresh_occ, shipped_occ, check_dtype=False)
    shipped = gpd.read_parquet(data_path("us_oews_2025/us_metros.parquet"))
    pd.testing.assert_frame_equal(
        pd.DataFrame(fresh_metros.drop(columns="geometry")),
        pd.DataFrame(shipped.drop(columns="geometry")),
        check_dtype=False,
    )
    assert fresh_metros.geom_equals_exact(shipped.geometry, tolerance=1e-9).all()
    shipped_cities = pd.read_parquet(data_path("us_oews_2025/us_principal_cities.parquet"))
    pd.testing.assert_frame_equal(fresh_cities, shipped_cities)
    # linking against what the build just made equals the shipped default
    pts = fresh_metros[["country_iso3", "geometry"]].copy()
    pd.testing.assert_series_equal(
        geoai.link_cbsa(pts, metros=fresh_metros, principal_cities=fresh_cities),
        geoai.link_cbsa(pts),
    )


def test_readme_figures_match_the_data(us, occupations):
    text = (ROOT / "data" / "us_oews_2025" / "README.md").read_text(encoding="utf-8")
    assert f"{len(us):,} MSAs" in text
    assert f"| 1 | {us.loc[(us['ai_talent'] / us['jobs_total']).idxmax(), 'name']} |" in text
    assert f"{national_ai_share(occupations):.2%}" in text
    cities = geoai.datasets.load_us_principal_cities()
    assert f"placed {len(cities)}, not placed" in text
    assert f"1: {(cities.groupby('cbsa').size() == 1).sum()}," in text


def test_wheel_ships_the_files():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = cfg["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    for name in (
        "us_oews_2025/us_metros.parquet",
        "us_oews_2025/us_occupations.parquet",
        "us_oews_2025/us_principal_cities.parquet",
        "ai_exposure/occupation_exposure.csv",
    ):
        assert include[f"data/{name}"] == f"geoai/_data/{name}"
        assert data_path(name).is_file()
    assert "geoai/_data/ai_exposure/LICENSE-GPTs-are-GPTs.txt" in include.values()


def test_load_us_metros_is_fast_and_returns_copies():
    from geoai._shipped import read_us_metros

    read_us_metros.cache_clear()
    t0 = time.perf_counter()
    first = geoai.load_us_metros()
    assert time.perf_counter() - t0 < 1.0
    first.loc[first.index[0], "jobs_total"] = -1.0
    assert geoai.load_us_metros()["jobs_total"].iloc[0] > 0
