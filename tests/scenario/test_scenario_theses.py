"""The scenario on the observed world: its start, its baseline, and what each preset encodes.

The preset tests check that a preset *encodes* its seed's thesis (the
mechanism the seed argues for acts in the direction it says), not that the
thesis holds: the model cannot prove a seed right.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

import geoai
from geoai import scenario
from geoai.scenario import PRESETS

BROOKINGS_STARS = (
    "San Jose",
    "San Francisco-Oakland",
    "Seattle",
    "Boston",
    "Washington, D.C.",
)


@pytest.fixture(scope="module")
def sims():
    """The four presets on the >= 1 M metros, 2025-2050."""
    return {name: scenario.simulate(preset=name) for name in PRESETS}


def _ends(sim):
    p = sim.panel
    first = p[p["year"] == sim.start].set_index("metro_id")
    last = p[p["year"] == sim.end].set_index("metro_id")
    return first, last


def _ids(sim, names):
    final = sim.final
    found = final.index[final["name"].isin(names)]
    assert len(found) == len(names), f"not all of {names} are metros"
    return found


# ------------------------------------------------------------- the start
def test_start_is_the_observed_ai_geography(sims):
    sim = sims["baseline"]
    first, _ = _ends(sim)
    rank = first["ai_jobs"].rank(ascending=False)
    names = sim.final["name"]
    top = rank[names.isin(["San Francisco-Oakland", "San Jose"])].min()
    assert top <= 15
    for name in ("New York-Newark", "Seattle"):
        assert rank[names == name].iloc[0] <= 15, name
    iso = sim.final["country_iso3"].reindex(first.index)
    share = first["ai_jobs"].groupby(iso).sum() / first["ai_jobs"].sum()
    index = geoai.datasets.load_ai_investment()["private_ai_investment_2013_2024_usd"]
    # the US leads China by at least the AI Index's own margin at the start
    assert share["USA"] / share["CHN"] >= index["USA"] / index["CHN"]
    us = sim.final["country_iso3"] == "USA"
    assert sim.final.loc[us, "ai_jobs_source"].str.contains("observed: share of US AI talent").any()
    assert sim.final.loc[~us, "ai_jobs_source"].str.contains("modelled").all()
    assert sim.final["population_source"].str.startswith("UN WUP 2018").all()
    # the start is the same observed state in every preset
    for other in sims.values():
        np.testing.assert_allclose(_ends(other)[0]["ai_jobs"], first["ai_jobs"])


def test_baseline_follows_the_un_projections_to_2035():
    sim = scenario.simulate(preset="baseline", end=2035, classify_roles=False)
    un = geoai.load_metro_panel()
    un = un[un["year"] == 2035].set_index("metro_id")["population"]
    model = sim.panel[sim.panel["year"] == 2035].set_index("metro_id")["population"]
    error = (model / un.reindex(model.index) - 1).abs()
    assert error.notna().all()
    assert error.median() <= 0.03
    first = sim.panel[sim.panel["year"] == 2025].set_index("metro_id")
    routine = first["jobs_routine"] / first["jobs"]
    last = sim.panel[sim.panel["year"] == 2035].set_index("metro_id")
    np.testing.assert_allclose(last["jobs_routine"] / last["jobs"], routine, rtol=0.01)


def test_a_users_own_cities_get_their_share_of_the_world():
    europe = geoai.load_metros()
    europe = europe[europe["country_iso3"].isin(["FRA", "DEU", "GBR", "ITA", "ESP"])].head(30)
    sim = scenario.simulate(europe, preset="concentration", classify_roles=False)
    world = scenario.simulate(preset="concentration", classify_roles=False)
    assert 0 < sim.world_share < world.world_share < 1
    assert any(f"hold {sim.world_share:.1%}" in note for note in sim.notes)
    p = sim.panel
    assert (p["jobs"] <= 0.75 * p["population"]).all()
    pool = p.groupby("year")["ai_jobs"].sum()
    assert pool.max() <= sim.world_share * sim.params.ai_pool_max * (1 + 1e-9)
    paris = sim.final.index[sim.final["name"] == "Paris"][0]
    assert p.loc[p["metro_id"] == paris, "jobs"].max() < 10e6


# ------------------------------------------------------------ the theses
def test_concentration_encodes_seed_000(sims):
    sim = sims["concentration"]
    first, last = _ends(sim)
    assert last["jobs"].sum() <= first["jobs"].sum()  # the collapse thesis: world jobs fall
    assert sim.top_share(5) > sim.top_share(5, sim.start)
    flat = scenario.simulate(preset="concentration", classify_roles=False, colocation_premium=1.0)
    assert sim.top_share(5) > flat.top_share(5)  # the premium concentrates
    automated = last["jobs_automated"].sum() / (last["jobs_automated"] + last["jobs_routine"]).sum()
    assert automated > 0.8  # the ceiling of 0.9 of routine-exposed jobs, nearly saturated
    assert (last["fracture"].fillna(0) > 0).any()  # some fiscal buffer is exceeded
    creditors = geoai.load_countries()["niip_gdp"] > 0.5
    iso = sim.final["country_iso3"].reindex(last.index)
    winners = last["ai_jobs"].nlargest(5).index
    in_creditors = creditors.reindex(iso[winners]).fillna(value=False)
    assert in_creditors.mean() >= 0.6  # capital seeks creditors


def test_exodus_encodes_seed_001(sims):
    sim = sims["exodus"]
    shares = [sim.top_share(5, y) for y in range(sim.start, sim.end + 1, 5)]
    assert shares[-1] < shares[0]
    assert sim.outside["talent_to_outside"].sum() > 0  # talent leaves the metro system
    out = sim.outside
    between = (out["talent_out"] - out["talent_to_outside"]).sum()  # moves between metros
    crossing = out["talent_abroad"].sum() / between
    assert crossing <= 0.2
    assert sim.summary().loc[
        "talent moving between metros that crosses a border", "value"
    ] == pytest.approx(crossing)
    # no single metro is the main destination of more than 10 % of the others
    flows = sim.flows["talent"]
    main = flows.sort_values("flow", ascending=False).groupby("origin").head(1)
    assert main["destination"].value_counts().max() <= 0.1 * len(sim.final)
    first, last = _ends(sim)
    big = first["population"] >= first["population"].quantile(0.9)
    growth = last["population"] / first["population"]
    baseline = _ends(sims["baseline"])[1]["population"] / first["population"]
    assert (growth / baseline)[big].median() < (growth / baseline)[~big].median()


def test_divergence_encodes_seed_002(sims):
    sim = sims["divergence"]
    first, last = _ends(sim)
    stars = _ids(sim, list(BROOKINGS_STARS))
    assert (last.loc[stars, "jobs"] > first.loc[stars, "jobs"]).all()
    assert not sim.roles.loc[stars, "role"].astype(str).eq("detroit_path").any()
    us = sim.final.index[sim.final["country_iso3"] == "USA"]
    office = first["jobs_routine"] + first["jobs_augmentable"] + first["ai_jobs"]
    routine_share = (first["jobs_routine"] / office)[us]
    change = (last["jobs"] / first["jobs"] - 1)[us]
    assert spearmanr(routine_share, change).statistic <= -0.3
    # and the change the thesis causes: against the no-shock (UN) world of the same years
    no_shock = _ends(sims["baseline"])[1]
    caused = (last["jobs"] / no_shock["jobs"] - 1)[us]
    assert spearmanr(routine_share, caused).statistic <= -0.3
    # automation capital seeks cheaper places among those with AI roles, not the poorest
    income = geoai.load_countries()["gdp_pc_usd"]
    iso = sim.final["country_iso3"].reindex(last.index)
    gainers = (last["capital"] - first["capital"]).nlargest(20).index
    assert (income.reindex(iso[gainers]).to_numpy() > 4_500).all()


def test_summary_reports_the_start_shares(sims):
    table = sims["concentration"].summary()
    assert table.loc["jobs change", "unit"] == "share"
    assert table.loc["talent moving between metros that crosses a border", "value"] <= 0.2
    frame = pd.concat({k: s.summary()["value"] for k, s in sims.items()}, axis=1)
    assert frame.loc["routine jobs automated", "baseline"] == 0
