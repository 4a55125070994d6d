"""The scenario engine: kernel, conservation, closure, start-year inputs, parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

import geoai
from geoai import InputError, scenario
from geoai._geodesy import kernel_points
from geoai.kernels.scenario import mobility_flows
from geoai.scenario import PRESETS, ScenarioParams
from geoai.scenario._simulator import _waterfill
from geoai.scenario.start import ai_investment_stock, country_ai_weights, natural_growth
from tests.reference import haversine_km

SMALL = geoai.load_metros(4_000_000)


@pytest.fixture(scope="module")
def sims():
    """The four presets on the >= 1 M metros, 2025-2050."""
    return {name: scenario.simulate(preset=name) for name in PRESETS}


# ------------------------------------------------------------------ kernel
def _reference_flows(lon, lat, country, w, o, lam, r, border, w_out):
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    f = ((1 - r) * np.exp(-d / lam) + r) * np.where(country[:, None] == country[None, :], 1, border)
    np.fill_diagonal(f, 1.0)
    s = (w[None, :] * f).sum(axis=1) + w_out
    t = o[:, None] * w[None, :] * f / s[:, None]
    np.fill_diagonal(t, 0.0)
    return t, o * w_out / s, country


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 30),
    r=st.floats(0, 1),
    border=st.floats(0.01, 1),
    w_out=st.floats(0, 5),
    seed=st.integers(0, 2**16),
)
def test_mobility_kernel_matches_dense_reference(n, r, border, w_out, seed):
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-30, 30, n), rng.uniform(-30, 30, n)
    country = rng.integers(0, 3, n)
    w, o = rng.uniform(0, 2, n), rng.uniform(0, 5, n)
    pts = kernel_points((lon, lat), crs=4326)
    geo = True  # great-circle distances on the kernel's unit-sphere points
    out, inflow, outside, _, idx, top, abroad = mobility_flows(
        pts.xyz, geo, country, w, o, 800.0, r, border, w_out, 2
    )
    t, ref_outside, _ = _reference_flows(lon, lat, country, w, o, 800.0, r, border, w_out)
    foreign = country[:, None] != country[None, :]
    np.testing.assert_allclose(abroad, (t * foreign).sum(axis=1), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(inflow, t.sum(axis=0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out, t.sum(axis=1) + ref_outside, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(outside, ref_outside, rtol=1e-9, atol=1e-12)
    best = np.sort(t, axis=1)[:, ::-1][:, :2]
    np.testing.assert_allclose(top, np.where(idx >= 0, best, 0.0), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------- conservation
def _check_conservation(sim):
    p = sim.panel
    for _, year in p[p["year"] > sim.start].groupby("year"):
        out, inflow = year["talent_out"].sum(), year["talent_in"].sum()
        sink = year["talent_to_outside"].sum()
        assert inflow + sink == pytest.approx(out, rel=1e-9)
        assert year["capital_in"].sum() == pytest.approx(year["capital_out"].sum(), rel=1e-9)
    stocks = ["population", "jobs_routine", "jobs_augmentable", "jobs_local", "ai_jobs"]
    assert (p[[*stocks, "talent", "capital", "unemployed"]].to_numpy() >= 0).all()
    # labour closure: commuting stays inside the agglomeration
    assert (p["jobs"] <= 0.75 * p["population"] * (1 + 1e-9)).all()
    assert (p["jobs"] <= p["labour_force"] * (1 + 1e-9)).all()
    assert p["unemployment_rate"].between(0, 1).all()


def test_conservation_in_every_preset(sims):
    for sim in sims.values():
        _check_conservation(sim)
        talent = sim.panel.groupby("year")["talent"].sum()
        sink = sim.outside.set_index("year")
        change = sink["talent_growth"] - sink["talent_to_outside"]  # natural growth, the sink
        np.testing.assert_allclose(talent.diff().iloc[1:], change, rtol=1e-7, atol=1e-3)


@settings(max_examples=8, deadline=None, phases=(Phase.explicit, Phase.generate))
@example(  # a subnormal mobility once underflowed the equilibrium calibration
    ceiling=0.82,
    theta=0.6,
    remote=0.79,
    pull=1.08,
    mobility=5e-324,
    invest=0.92,
    congestion=0.04,
    seed=321,
)
@given(
    ceiling=st.floats(0, 1),
    theta=st.floats(0, 4),
    remote=st.floats(0, 1),
    pull=st.floats(0, 2),
    mobility=st.floats(0, 1),
    invest=st.floats(0, 1),
    congestion=st.floats(0, 2),
    seed=st.integers(0, 1000),
)
def test_no_negative_stocks_and_conservation_for_random_parameters(
    ceiling, theta, remote, pull, mobility, invest, congestion, seed
):
    sim = scenario.simulate(
        SMALL,
        preset="concentration",
        end=2040,
        seed=seed,
        classify_roles=False,
        automation_ceiling=ceiling,
        colocation_premium=theta,
        remote_share=remote,
        outside_pull=pull,
        mobility=mobility,
        investable_share=invest,
        congestion=congestion,
        shock_sd=0.2,
    )
    _check_conservation(sim)


@settings(max_examples=6, deadline=None)
@given(
    preset=st.sampled_from(sorted(PRESETS)),
    employment=st.floats(0.3, 0.75),
    elasticity=st.floats(0, 3),
    inmigration=st.floats(0, 1),
    pool=st.floats(1e6, 2e8),
)
def test_jobs_never_exceed_the_labour_force(preset, employment, elasticity, inmigration, pool):
    sim = scenario.simulate(
        SMALL,
        preset=preset,
        end=2045,
        classify_roles=False,
        max_employment_rate=employment,
        local_income_elasticity=elasticity,
        vacancy_inmigration=inmigration,
        ai_pool_max=pool,
    )
    p = sim.panel
    assert (p["jobs"] <= employment * p["population"] * (1 + 1e-9)).all()
    assert (p["ai_jobs"] <= p["ai_jobs"].groupby(p["year"]).transform("sum")).all()
    world = p.groupby("year")["ai_jobs"].sum()
    assert (world <= sim.world_share * max(pool, 1e6) * (1 + 1e-9)).all()


def test_deterministic_for_a_seed():
    kw = {"preset": "exodus", "end": 2035, "shock_sd": 0.3}
    a = scenario.simulate(SMALL, seed=3, **kw)
    b = scenario.simulate(SMALL, seed=3, **kw)
    c = scenario.simulate(SMALL, seed=4, **kw)
    pd.testing.assert_frame_equal(a.panel, b.panel)
    assert a.roles["role"].equals(b.roles["role"])
    assert not np.allclose(a.panel["talent"], c.panel["talent"])


@settings(max_examples=6, deadline=None)
@given(
    ceiling=st.floats(0.5, 1.0),
    pool=st.floats(1e6, 1e8),
    theta=st.floats(1.0, 4.0),
    midpoint=st.floats(2028, 2045),
    steepness=st.floats(0.1, 0.6),
    replacement=st.floats(0.0, 0.3),
    elasticity=st.floats(0.8, 1.0),
    inmigration=st.floats(0.0, 1.0),
    employment=st.floats(0.5, 0.75),
)
def test_world_jobs_never_rise_above_the_no_shock_world_under_concentration(
    ceiling, pool, theta, midpoint, steepness, replacement, elasticity, inmigration, employment
):
    """The collapse thesis, over random parameters in its own neighbourhood: never more jobs.

    Local services follow income at most in proportion (elasticity <= 1, the
    economic base model); above 1 a concentration of income can raise local
    jobs in total, so it is outside the thesis.
    """
    labour = {
        "income_replacement": replacement,
        "local_income_elasticity": elasticity,
        "vacancy_inmigration": inmigration,
        "max_employment_rate": employment,
    }
    kw = {"end": 2045, "classify_roles": False, **labour}
    base = scenario.simulate(SMALL, preset="baseline", **kw).panel.groupby("year")["jobs"].sum()
    shock = scenario.simulate(
        SMALL,
        preset="concentration",
        automation_ceiling=ceiling,
        ai_pool_max=pool,
        colocation_premium=theta,
        adoption_midpoint=midpoint,
        adoption_steepness=steepness,
        **kw,
    )
    jobs = shock.panel.groupby("year")["jobs"].sum()
    assert (jobs <= base * (1 + 1e-9)).all()


# ------------------------------------------------------------ start inputs
@settings(max_examples=40, deadline=None)
@given(
    weight=st.lists(st.one_of(st.just(0.0), st.floats(0.01, 10)), min_size=1, max_size=12),
    cap=st.lists(st.one_of(st.just(0.0), st.floats(0.01, 10)), min_size=12, max_size=12),
    total=st.one_of(st.just(0.0), st.floats(0.01, 60)),
)
def test_waterfill_against_a_plain_reference(weight, cap, total):
    w = np.asarray(weight)
    c = np.asarray(cap[: w.size])
    out = _waterfill(total, w, c)
    assert (out <= c + 1e-9).all()
    assert (out >= 0).all()
    assert out.sum() == pytest.approx(min(total, c[w > 0].sum()), rel=1e-9, abs=1e-9)
    # the metros below their cap all got the same multiple of their weight
    free = (w > 0) & (out < c - 1e-9)
    if free.sum() > 1:
        ratio = out[free] / w[free]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
        assert (out[~free & (w > 0)] / w[~free & (w > 0)] <= ratio[0] * (1 + 1e-9)).all()


def test_country_ai_shares_follow_the_ai_index():
    countries = geoai.load_countries()
    share, source = country_ai_weights(countries)
    assert share.sum() == pytest.approx(1.0)
    table = geoai.datasets.load_ai_investment()
    stock = table["private_ai_investment_2013_2024_usd"]
    # listed countries keep the AI Index's own ratios
    for a, b in (("USA", "CHN"), ("CHN", "GBR"), ("GBR", "CAN")):
        assert share[a] / share[b] == pytest.approx(stock[a] / stock[b], rel=1e-9)
    assert source["USA"].startswith("Stanford AI Index 2025")
    assert source["NGA"].startswith("modelled")
    _, _, world = ai_investment_stock()
    assert pytest.approx(world, rel=1e-3) == scenario.params.AI_CAPITAL_WORLD
    rest = table.attrs["rest_of_world_2024_usd"] / table.attrs["world_total_2024_usd"]
    assert 1 - share.reindex(stock.dropna().index).sum() == pytest.approx(rest, rel=1e-6)


def test_natural_growth_is_the_un_series_then_fades():
    panel = geoai.load_metro_panel()
    ids = ["wup:23083", "wup:21228", "user:1"]  # New York, Delhi, a user's own metro
    years = np.arange(2025, 2051)
    g = natural_growth(ids, years, halflife=10.0)
    wide = panel.pivot(index="year", columns="metro_id", values="population")
    for j, mid in enumerate(ids[:2]):
        un = wide[mid]
        expect = (un.loc[2026:2035].to_numpy() / un.loc[2025:2034].to_numpy()) - 1
        np.testing.assert_allclose(g[1:11, j], expect, rtol=1e-12)
        tail = (un.loc[2035] / un.loc[2030]) ** 0.2 - 1
        assert g[25, j] == pytest.approx(tail * 0.5 ** (15 / 10), rel=1e-9)  # 2050
    assert (g[:, 2] == 0).all()
    assert (g[0] == 0).all()


def test_wages_of_the_job_kinds_are_oews_means():
    from geoai.labour import job_wages

    w = job_wages()
    occ = geoai.datasets.load_us_occupations()
    nation = occ[(occ["cbsa"] == "00000")].dropna(subset=["jobs", "wage_usd"])
    mean = np.average(nation["wage_usd"], weights=nation["jobs"])
    assert w.all_jobs == pytest.approx(mean, rel=1e-9)
    assert w.routine < w.augmentable < w.ai_talent
    ai = nation[nation["soc"].isin(list(geoai.labour.AI_TALENT_SOC))]
    assert w.ai_talent == pytest.approx(np.average(ai["wage_usd"], weights=ai["jobs"]), rel=1e-9)


def test_fiscal_buffer_is_unknown_where_niip_is(sims):
    sim = sims["concentration"]
    countries = geoai.load_countries()
    final = sim.panel[sim.panel["year"] == sim.end].set_index("metro_id")
    iso = sim.final["country_iso3"].reindex(final.index)
    known = countries["niip_gdp"].reindex(iso).notna().to_numpy()
    assert known.any()
    assert (~known).any()
    assert final["fiscal_buffer"][known].notna().all()
    assert final["fiscal_buffer"][~known].isna().all()
    assert final["fracture"][~known].isna().all()
    assert any("NIIP unknown" in note for note in sim.notes)
    # unemployment is measured against each metro's own labour force
    rate = final["unemployed"] / final["labour_force"]
    np.testing.assert_allclose(final["unemployment_rate"], rate, rtol=1e-12)


def test_monotone_responses():
    def top5(**kw):
        return scenario.simulate(
            SMALL, preset="divergence", end=2040, classify_roles=False, ai_pool_max=3e6, **kw
        ).top_share(5)

    assert top5(colocation_premium=2.5) > top5(colocation_premium=1.5) > top5(colocation_premium=1)
    assert top5(remote_share=0.5) < top5(remote_share=0.0)


def test_summary_and_outputs(sims):
    sim = sims["concentration"]
    table = sim.summary()
    assert table.loc["metros: superstar", "value"] + table.loc["metros: hub", "value"] >= 1
    assert table.loc["routine jobs automated, share", "unit"] == "share"
    assert sum(table.loc[f"metros: {r}", "value"] for r in geoai.ROLES) == len(sim.final)
    assert set(sim.flows) == {"talent", "capital"}
    assert (sim.flows["talent"]["flow"] > 0).all()
    assert "modelled" in sim.final.attrs["assumptions"]
    assert "observed" in sim.final.attrs["assumptions"]
    for col in ("population_source", "start_jobs_source", "ai_jobs_source", "capital_source"):
        assert sim.final[col].astype(str).str.len().gt(0).all()
    assert sim.final.crs.to_epsg() == 4326
    both = scenario.compare(sims)
    assert list(both.columns) == ["unit", *PRESETS]


def test_sweep_distributions():
    res = scenario.sweep(
        "exodus",
        {"remote_share": (0.2, 0.8), "colocation_premium": (0.3, 0.9)},
        n=3,
        metros=SMALL,
        end=2035,
        progress=False,
    )
    assert len(res.summary) == 3
    assert res.draws["remote_share"].between(0.2, 0.8).all()
    np.testing.assert_allclose(res.role_frequency.sum(axis=1), 1.0)
    assert res.quantiles().shape[1] == 3
    with pytest.raises(InputError, match="unknown parameter"):
        scenario.sweep("exodus", {"warp": (0, 1)}, n=2, metros=SMALL)


@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 12), st.integers(1, 9)),
    missing=st.floats(0.0, 1.0),
)
def test_role_shares_are_each_rows_value_counts(seed, shape, missing):
    from geoai.scenario.sweep import _role_shares

    rng = np.random.default_rng(seed)
    names = np.array(["superstar", "hub", "detroit_path", "hinterland", "stable"], dtype=object)
    values = names[rng.integers(0, names.size, shape)]
    values[rng.uniform(size=shape) < missing] = None
    roles = pd.DataFrame(values, index=pd.Index(rng.permutation(shape[0]) + 100))
    want = roles.apply(lambda row: row.value_counts(normalize=True), axis=1).fillna(0.0)
    got = _role_shares(roles)
    assert list(got.columns) == sorted(got.columns)  # the reference orders them as it meets them
    if want.shape[1] == 0:  # every role missing: no columns either way
        assert got.shape == (shape[0], 0)
        return
    pd.testing.assert_frame_equal(
        got,
        want.astype(float),
        rtol=1e-15,
        check_names=False,
        check_like=True,
        check_column_type=False,
    )


# ------------------------------------------------------------- parameters
def test_parameters_are_documented_and_validated(tmp_path):
    table = ScenarioParams().describe()
    assert table["unit"].str.len().gt(0).all()
    assert table["source"].str.len().gt(0).all()
    with pytest.raises(InputError, match="share and must lie in"):
        ScenarioParams(remote_share=1.5)
    with pytest.raises(InputError, match=">= 0"):
        ScenarioParams(capital_growth=-0.1)
    with pytest.raises(InputError, match="unknown scenario parameter"):
        scenario.preset("exodus", remote_shar=0.2)
    with pytest.raises(InputError, match="unknown preset"):
        scenario.simulate(SMALL, preset="utopia")
    with pytest.raises(InputError, match="before start"):
        scenario.simulate(SMALL, preset="baseline", start=2030, end=2029)
    job = tmp_path / "job.toml"
    job.write_text("[scenario]\nremote_share = 0.25\nai_pool_max = 5e6\n")
    p = ScenarioParams.from_toml(job, base=scenario.preset("exodus"))
    assert (p.remote_share, p.ai_pool_max, p.congestion) == (0.25, 5e6, 1.0)
    job.write_text("[scenario]\nwarp = 1\n")
    with pytest.raises(InputError, match="warp"):
        ScenarioParams.from_toml(job)
    assert scenario.AI_POOL_COMPANY_ARITHMETIC == 5e6
    assert scenario.preset("concentration").ai_pool_max == scenario.AI_POOL_COMPANY_ARITHMETIC


def test_bad_metros():
    with pytest.raises(InputError, match="lack column"):
        scenario.simulate(SMALL.drop(columns="jobs_local"), preset="baseline")
    with pytest.raises(InputError, match="empty"):
        scenario.simulate(SMALL.iloc[:0], preset="baseline")
    bad = SMALL.copy()
    bad.loc[bad.index[0], "country_iso3"] = "XXX"
    with pytest.raises(InputError, match="XXX"):
        scenario.simulate(bad, preset="baseline")
