"""Sensitivity screening and bands, the seeds' arithmetic, and their report sections.

Small metros (>= 4 M people) and short horizons keep every run cheap; the
properties checked (design, zero influence, bands as min/max over re-run
corners, the seeds' products) do not depend on the engine's exact numbers.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geoai
from geoai import InputError, scenario
from geoai.io.report import Report
from geoai.labour import national_jobs
from geoai.pipeline._report import job_bands
from geoai.pipeline.job import load_job
from geoai.scenario import ScenarioParams, preset
from geoai.scenario._format import fmt_band, fmt_number
from geoai.scenario.reporting import (
    ARITHMETIC_HEADING,
    headline_table,
    report_sections,
)
from geoai.scenario.seeds import seed_arithmetic
from geoai.scenario.sensitivity import _score, bands, screen, sensitivity
from geoai.scenario.sweep import sweep

SMALL = geoai.load_metros(4_000_000)
COUNTRIES = geoai.load_countries()
END = 2030
RUN = {"metros": SMALL, "countries": COUNTRIES, "end": END, "scheduler": "sync"}


def _year_params() -> list[str]:
    units = ScenarioParams().describe()["unit"]
    return [p for p, u in units.items() if str(u).strip().lower() == "year"]


def _clipped_upward(name: str, delta: float) -> str:
    """A parameter of the preset whose +delta leaves its validation range (a share near 1)."""
    base = preset(name)
    for p, value in base.describe()["value"].items():
        if p in _year_params() or value == 0:
            continue
        try:
            base.replace(**{p: value * (1 + delta)})
        except InputError:
            return str(p)
    raise AssertionError(f"no parameter of {name} leaves its range at +{delta}")


# ------------------------------------------------------------------ format
def _parse(text: str) -> float:
    """Read a number written by fmt_number back (12.3 M -> 12_300_000)."""
    scale = {"T": 1e12, "B": 1e9, "M": 1e6}
    parts = text.split(" ")
    head = parts[0].replace(",", "")
    factor = scale.get(parts[1], 1.0) if len(parts) > 1 else 1.0
    return float(head) * factor


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e15, 1e15, allow_nan=False) | st.integers(-(10**14), 10**14))
def test_numbers_for_people_have_no_exponent_and_read_back(x):
    for unit in ("jobs", "people", "USD", "index", "share"):
        text = fmt_number(x, unit)
        assert not re.search(r"\de[+-]?\d", text), text
    text = fmt_number(x, "jobs", with_unit=False)
    back = _parse(text)
    # three significant digits: within half a unit of the third digit
    assert back == pytest.approx(float(x), rel=5e-3, abs=5e-3), (x, text)


def test_number_formats_of_the_brief():
    assert fmt_number(12_345_678, "jobs") == "12.3 M jobs"
    assert fmt_number(0.48, "share") == "48 %"
    assert fmt_number(1.2e12, "USD") == "1.2 T USD"
    assert fmt_number(2035.0, "year") == "2035"
    assert fmt_number(float("nan"), "jobs") == "n/a"
    assert fmt_band(0.5, 0.4, 0.6, "share") == "50 % (40 % – 60 %)"
    assert fmt_band(3.0, 3.0, 3.0, "metros").endswith("(no change)")


# ------------------------------------------------------------------ sweep
def test_sweep_runs_an_explicit_design_with_common_seeds():
    design = pd.DataFrame({"mobility": [0.05, 0.1, np.nan]}, index=["a", "b", "c"])
    res = sweep("exodus", design=design, progress=False, classify_roles=False, **RUN)
    assert list(res.summary.index) == ["a", "b", "c"]
    assert res.role_frequency.empty
    assert "metros" not in set(res.units)
    # NaN keeps the preset's value: the same run as the preset itself
    sim = scenario.simulate(SMALL, COUNTRIES, preset="exodus", end=END, classify_roles=False)
    own = sim.summary()["value"]
    np.testing.assert_allclose(res.summary.loc["c", own.index], own.to_numpy(), rtol=1e-12)
    with pytest.raises(InputError, match="not both"):
        sweep("exodus", {"mobility": (0, 1)}, design=design, **RUN)
    with pytest.raises(InputError, match="unknown parameter"):
        sweep("exodus", design=pd.DataFrame({"warp": [1.0]}), **RUN)
    with pytest.raises(InputError, match="design row 'x'"):
        sweep("exodus", design=pd.DataFrame({"remote_share": [1.5]}, index=["x"]), **RUN)
    with pytest.raises(InputError, match="give ranges"):
        sweep("exodus", **RUN)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_a_sweep_prepares_each_world_once_and_gives_the_same_runs(monkeypatch, scheduler):
    """Runs sharing metros, countries and the employment cap share one prepared start."""
    import contextlib
    import importlib

    from geoai.scenario import _worlds, engine

    sweep_module = importlib.import_module("geoai.scenario.sweep")  # the name is the function

    calls = []
    real = engine.prepare_world

    def counted(*args, **kwargs):
        calls.append(kwargs["max_employment_rate"])
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "prepare_world", counted)
    design = pd.DataFrame(
        {"mobility": [0.05, 0.1, np.nan, 0.2], "max_employment_rate": [0.7, 0.7, 0.7, 0.8]},
        index=["a", "b", "c", "d"],
    )
    run = {**RUN, "scheduler": scheduler}
    shared = sweep("exodus", design=design, progress=False, classify_roles=True, **run)
    assert sorted(calls) == [0.7, 0.8]  # one world per cap
    assert _worlds._SHARED.worlds is None  # dropped after the sweep
    calls.clear()
    monkeypatch.setattr(sweep_module, "shared_worlds", contextlib.nullcontext)
    own = sweep("exodus", design=design, progress=False, classify_roles=True, **run)
    assert len(calls) == len(design)  # without sharing: one world per run
    pd.testing.assert_frame_equal(shared.summary, own.summary, check_exact=True)
    pd.testing.assert_frame_equal(shared.role_frequency, own.role_frequency, check_exact=True)


def test_outside_a_sweep_every_run_prepares_its_own_world(monkeypatch):
    from geoai.scenario import _worlds, engine

    calls = []
    real = engine.prepare_world
    monkeypatch.setattr(engine, "prepare_world", lambda *a, **k: calls.append(1) or real(*a, **k))
    a = _worlds.prepared(SMALL, COUNTRIES, max_employment_rate=0.7)
    b = _worlds.prepared(SMALL, COUNTRIES, max_employment_rate=0.7)
    assert len(calls) == 2
    assert a is not b
    with _worlds.shared_worlds(), _worlds.shared_worlds():  # re-entrant
        c = _worlds.prepared(SMALL, COUNTRIES, max_employment_rate=0.7)
        d = _worlds.prepared(SMALL, COUNTRIES, max_employment_rate=0.7)
        e = _worlds.prepared(SMALL.copy(), COUNTRIES, max_employment_rate=0.7)
    assert c is d
    assert e is not c  # another table: its own world
    assert len(calls) == 4
    assert _worlds._SHARED.worlds is None


# --------------------------------------------------------------- screening
@pytest.fixture(scope="module")
def concentration():
    """The full default screening of concentration at delta 0.2."""
    return screen("concentration", **RUN)


def test_design_has_two_runs_per_parameter_at_exactly_plus_minus_delta(concentration):
    s, base = concentration, preset("concentration")
    names = list(s.influence.index)
    assert len(s.design) == 1 + 2 * len(names)
    assert s.runs.loc["base", "side"] == 0
    years = set(_year_params())
    for name in names:
        x = getattr(base, name)
        for side in (-1, 1):
            label = f"{name} {'-' if side < 0 else '+'}"
            row = s.design.loc[label]
            others = row.drop(name)
            np.testing.assert_array_equal(others.to_numpy(), s.design.loc["base", others.index])
            factor = 1 + side * s.delta
            want = 2025 + factor * (x - 2025) if name in years else factor * x
            assert s.runs.loc[label, "requested"] == pytest.approx(want, rel=1e-12)
            if s.runs.loc[label, "clipped"]:
                assert abs(row[name] - x) < abs(want - x)  # moved back toward the preset
                base.replace(**{name: row[name]})  # and valid
            else:
                assert row[name] == pytest.approx(want, rel=1e-12)
    # parameters at 0 are not screened, and say why
    zero = [p for p, v in base.describe()["value"].items() if v == 0]
    assert zero
    assert set(zero) <= set(s.skipped)
    assert not set(zero) & set(names)


def test_a_share_that_would_leave_its_range_is_clipped_and_recorded():
    name = _clipped_upward("concentration", 0.5)
    s = screen("concentration", parameters=[name], delta=0.5, **RUN)
    up = s.runs.loc[f"{name} +"]
    assert bool(up["clipped"])
    assert up["requested"] == pytest.approx(getattr(preset("concentration"), name) * 1.5)
    assert up["value"] < up["requested"]
    with pytest.raises(InputError):
        preset("concentration", **{name: up["value"] * 1.001})  # the range's end, not short of it
    assert not bool(s.runs.loc[f"{name} -", "clipped"])


def test_a_parameter_without_effect_has_influence_zero():
    # with no automation (baseline: ceiling 0) the exposure elasticity scales nothing
    assert preset("baseline").automation_ceiling == 0
    s = screen(
        "baseline",
        parameters=["exposure_elasticity", "ai_pool_max"],
        overrides={"exposure_elasticity": 2.0},
        **RUN,
    )
    assert (s.influence.loc["exposure_elasticity"] == 0).all()
    assert s.score["exposure_elasticity"] == 0
    assert "exposure_elasticity" not in s.top(3)
    # the pool does change the AI roles; its low side is clipped at the start pool
    assert s.influence.loc["ai_pool_max"].max() > 0
    assert s.top(3) == ["ai_pool_max"]
    low = s.runs.loc["ai_pool_max -"]
    assert bool(low["clipped"])
    assert low["value"] >= preset("baseline").ai_jobs_start


def test_influence_and_score_follow_their_definitions(concentration):
    s = concentration
    assert (s.influence >= 0).all().all()
    assert s.score.between(0, 1).all()
    assert list(s.score.index) == list(s.score.sort_values(ascending=False, kind="stable").index)
    # recompute one influence from the runs
    name, metric = s.top(1)[0], s.influence.loc[s.top(1)[0]].idxmax()
    lo, hi, mid = (s.summary.loc[r, metric] for r in (f"{name} -", f"{name} +", "base"))
    span = abs(s.runs.loc[f"{name} +", "value"] - s.runs.loc[f"{name} -", "value"])
    x = getattr(preset("concentration"), name)
    ref = x - 2025 if name in _year_params() else x
    floor = {"share": 1e-3, "jobs": 1e3, "people": 1e3, "index": 1e-3}.get(s.units[metric], 1e-6)
    want = abs(hi - lo) / (abs(mid) + floor) * (2 * s.delta) / (span / abs(ref))
    assert s.influence.loc[name, metric] == pytest.approx(want, rel=1e-9)
    # the max aggregate is the largest influence on any figure
    again = _score(s.influence, "max")
    np.testing.assert_allclose(again, s.influence.max(axis=1).reindex(again.index))


def test_rank_normalised_scores():
    table = pd.DataFrame(
        {"m1": [3.0, 2.0, 1.0, 0.0], "m2": [0.3, 0.2, 0.2, 0.0]}, index=["a", "b", "c", "none"]
    )
    score = _score(table, "mean_rank")
    # a dominates b dominates c; ties share the higher score; no effect scores 0
    assert score["a"] == 1.0
    assert score["b"] == pytest.approx((0.75 + 0.75) / 2)
    assert score["c"] == pytest.approx((0.5 + 0.75) / 2)
    assert score["none"] == 0.0
    assert list(score.index) == ["a", "b", "c", "none"]


def test_screen_refuses_bad_input():
    with pytest.raises(InputError, match="delta"):
        screen("concentration", delta=1.5, **RUN)
    with pytest.raises(InputError, match="unknown parameter"):
        screen("concentration", parameters=["warp"], **RUN)
    with pytest.raises(InputError, match="unknown preset"):
        screen("nowhere", **RUN)
    with pytest.raises(InputError, match="aggregate"):
        screen("concentration", aggregate="median", **RUN)


# -------------------------------------------------------------------- bands
@pytest.fixture(scope="module")
def divergence_bands(concentration):
    base = preset("divergence")
    names = [p for p in concentration.top(6) if getattr(base, p) != 0][:2]
    return names, bands("divergence", names, **RUN)


def test_band_is_min_max_over_the_corners_recomputed_directly(divergence_bands):
    names, table = divergence_bands
    design, runs = table.attrs["design"], table.attrs["runs"]
    assert len(design) == 1 + 2 ** len(names)
    assert (table["parameters"] == ", ".join(names)).all()
    # every band holds the base value, and is exactly the runs' min and max
    assert (table["low"] <= table["value"]).all()
    assert (table["value"] <= table["high"]).all()
    np.testing.assert_array_equal(table["low"], runs.min(axis=0).reindex(table.index))
    np.testing.assert_array_equal(table["high"], runs.max(axis=0).reindex(table.index))
    assert (table["high"] > table["low"]).any()
    # two corners again, straight from simulate
    for label in (design.index[1], design.index[-1]):
        values = design.loc[label].dropna().to_dict()
        sim = scenario.simulate(SMALL, COUNTRIES, preset="divergence", end=END, **values)
        got = sim.summary()["value"]
        np.testing.assert_allclose(runs.loc[label, got.index], got.to_numpy(), rtol=1e-9)
        assert (table.loc[got.index, "low"] <= got + 1e-12).all()
        assert (got <= table.loc[got.index, "high"] + 1e-12).all()
    # the corners are the ±20 % ends of each parameter
    base = preset("divergence")
    for name in names:
        x = getattr(base, name)
        ref = 2025 if name in _year_params() else 0.0
        ends = sorted(set(design[name].round(12)))
        want = sorted({round(ref + f * (x - ref), 12) for f in (0.8, 1.0, 1.2)})
        assert ends == pytest.approx(want, rel=1e-9)


def test_sensitivity_screens_then_bands_the_top_three():
    found, table = sensitivity("exodus", **RUN)
    top = found.top(3)
    assert len(top) == 3
    assert table["parameters"].iloc[0] == ", ".join(top)
    assert set(table.attrs["influence"]) == set(top)
    assert "one-at-a-time" in table.attrs["method"]
    # the top three beat every other parameter's score
    rest = found.score.drop(top)
    assert rest.max() <= min(found.score[p] for p in top)


# ---------------------------------------------------------------- the seeds
@pytest.fixture(scope="module")
def sims():
    common = {"metros": SMALL, "countries": COUNTRIES, "end": 2045}
    return {p: scenario.simulate(preset=p, **common) for p in ("concentration", "exodus")}


def test_seed_arithmetic_computes_the_claims(sims):
    table = seed_arithmetic(sims, COUNTRIES)
    assert {"seed", "claim", "as_written", "seed_says", "model", "note"} <= set(table.columns)
    assert set(table["seed"]) == {"000", "001", "002"}
    assert table["claim"].str.split().str.len().max() <= 12
    # seed 000's company product, as written, and the reading labelled as one
    product = table[table["as_written"].str.contains("× 9,000 ×")].iloc[0]
    assert f"{1000 * 9000 * 5 * 100:,}" in product["as_written"]
    assert "4.5 billion" in product["note"]
    assert "reading" in product["note"]
    assert "5 million" in product["seed_says"]
    # the model's white-collar jobs are national_jobs' sum
    known = COUNTRIES[COUNTRIES["population"].notna()]
    jobs = national_jobs(known["population"], known["gdp_pc_usd"])
    white = table[table["claim"].str.contains("white-collar employment")].iloc[0]
    assert white["model_value"] == pytest.approx(
        jobs["jobs_routine"].sum() + jobs["jobs_augmentable"].sum(), rel=1e-12
    )
    # AI-leveraged roles at the end: the panel's sum
    sim = sims["concentration"]
    ai = table[table["claim"].str.contains("< 100 million")].iloc[0]
    end = sim.panel[sim.panel["year"] == sim.end]
    assert ai["model_value"] == pytest.approx(end["ai_jobs"].sum(), rel=1e-12)
    # the UN agglomerations >= 1 M in the start year
    cities = table[table["claim"].str.startswith("500 cities")].iloc[0]
    assert cities["model_value"] == len(geoai.load_metros(1_000_000, year=2025))
    # the 10 largest-AI metros' share of humanity in 2045
    year = sim.panel[sim.panel["year"] == 2045].nlargest(10, "ai_jobs")
    humanity = table[table["claim"].str.contains("humanity")].iloc[0]
    want = year["population"].sum() / COUNTRIES["population"].sum()
    assert humanity["model_value"] == pytest.approx(want, rel=1e-12)
    # divergence was not simulated: NaN and a note saying so
    missing = table[table["seed"] == "002"].iloc[0]
    assert math.isnan(missing["model_value"])
    assert "'divergence' was not simulated" in missing["note"]


def test_seed_arithmetic_without_simulations_gives_nan():
    table = seed_arithmetic({}, COUNTRIES)
    needs = table[table["note"].str.contains("was not simulated|No simulation")]
    assert len(needs) >= 8
    assert needs["model_value"].isna().all()
    assert (needs["model"] == "n/a").all()


# ------------------------------------------------------------------- report
def test_report_shows_bands_and_the_arithmetic(sims):
    few = {"concentration": sims["concentration"]}
    found, table = sensitivity("concentration", **{**RUN, "end": 2045})
    rep = Report("test")
    report_sections(rep, few, {"concentration": table}, seed_arithmetic(few, COUNTRIES))
    md = rep.markdown()
    summary = few["concentration"].summary()
    metric = next(m for m in table.index if table.loc[m, "high"] > table.loc[m, "low"])
    row = table.loc[metric]
    cell = fmt_band(
        summary.loc[metric, "value"], row["low"], row["high"], row["unit"], with_unit=False
    )
    assert "–" in cell
    assert cell in md
    for name in found.top(3):
        assert name in md
    assert "one-at-a-time" in md
    assert f"## {ARITHMETIC_HEADING}" in md
    assert "1,000 × 9,000 × 5 × 100 = 4,500,000,000" in md
    assert "e+" not in headline_table(few, {"concentration": table}).to_string()
    bare = Report("bare")
    report_sections(bare, few, None, None)
    assert "No sensitivity bands" in bare.markdown()
    assert ARITHMETIC_HEADING not in bare.markdown()


def test_job_switch_and_the_pipeline_report(tmp_path):
    assert load_job(None).sensitivity is True
    off = load_job({"outputs": {"sensitivity": False}})
    assert off.sensitivity is False
    assert job_bands(off, SMALL, COUNTRIES) is None
    with pytest.raises(InputError, match="wrong type"):
        load_job({"outputs": {"sensitivity": "yes"}})
    from geoai.pipeline import run

    job = {
        "data": {"min_population": 10_000_000},
        "scenario": {"presets": ["concentration"], "end": 2027},
        "grid": {"resolution": 10.0},
        "outputs": {"maps": False, "rasters": False, "qgis_project": False},
        "dask": {"scheduler": ""},
    }
    md = (run(job, tmp_path / "on", progress=False).out / "report.md").read_text()
    assert "Sensitivity bands" in md
    assert " – " in md
    assert ARITHMETIC_HEADING in md
    job["outputs"]["sensitivity"] = False
    md = (run(job, tmp_path / "off", progress=False).out / "report.md").read_text()
    assert "No sensitivity bands" in md


def test_nothing_to_band_gives_every_figure_its_own_value():
    over = {"exposure_elasticity": 2.0}
    found, table = sensitivity(
        "baseline", parameters=["exposure_elasticity"], overrides=over, **RUN
    )
    assert found.top(3) == []
    assert (table["parameters"] == "").all()
    assert (table["low"] == table["value"]).all()
    assert (table["high"] == table["value"]).all()
    rep = Report("flat")
    sim = scenario.simulate(SMALL, COUNTRIES, preset="baseline", end=END, **over)
    report_sections(rep, {"baseline": sim}, {"baseline": table}, None)
    assert "baseline: no screened parameter changes a headline" in rep.markdown()
