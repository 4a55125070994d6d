"""Fuzz geoai.scenario: simulate, ScenarioParams, presets, compare, seed_arithmetic, bands, sweep.

Runs use tiny metro sets (the 4 to 8 largest UN agglomerations, or a few
drawn at random) and two-year horizons, so 300 examples stay within a few
seconds each. Every call returns a result whose promised numbers are finite,
or raises a geoai error; a valid call must give a result.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import TYPE_CHECKING

import pandas as pd
from hypothesis import event, given
from hypothesis import strategies as st

import geoai
from geoai import scenario
from geoai.scenario import PRESETS, ScenarioParams
from tests.fuzz._harness import FUZZ, Refused, assert_numbers, junk, outcome

if TYPE_CHECKING:
    import geopandas as gpd

FIELDS = {f.name: f.metadata["kind"] for f in dataclasses.fields(ScenarioParams)}
PRESET_NAMES = sorted(PRESETS)
#: A number in each kind's valid range (as ScenarioParams documents it).
VALID = {
    "share": st.floats(0.0, 1.0),
    "positive": st.floats(1e-3, 1e3),
    "nonnegative": st.floats(0.0, 5.0),
    "real": st.floats(-5.0, 5.0),
    "year": st.floats(2000.0, 2100.0),
}
NUMERIC_PANEL = [c for c in scenario.engine.PANEL_COLUMNS if c != "fiscal_buffer"]


@functools.cache
def world(k: int) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The ``k`` largest UN agglomerations of 2025 and the countries (cached per process)."""
    return geoai.load_metros(year=2025).nlargest(k, "population"), geoai.load_countries()


def check_simulation(sim: scenario.Simulation, start: int, end: int) -> None:
    """What a Simulation promises: every year, finite numbers, finite headline figures."""
    assert sorted(sim.panel["year"].unique().tolist()) == list(range(start, end + 1))
    assert_numbers(
        sim.panel[[c for c in NUMERIC_PANEL if c not in ("fiscal_stress", "fracture")]], "panel"
    )
    assert_numbers(sim.panel[["fiscal_stress", "fracture"]], "fiscal columns", allow_nan=True)
    summary = sim.summary()
    assert_numbers(summary["value"].to_numpy(dtype=float), "summary")
    share = sim.top_share(3)
    assert 0.0 <= share <= 1.0


def overrides(draw: st.DrawFn, *, valid: bool) -> dict[str, object]:
    """One or two parameter overrides: in range, or (not ``valid``) anything."""
    names = draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=0, max_size=2, unique=True))
    if valid:
        return {n: draw(VALID[FIELDS[n]]) for n in names}
    return {n: draw(st.one_of(VALID[FIELDS[n]], junk(), st.floats(-1e300, 1e300))) for n in names}


@st.composite
def simulate_case(draw: st.DrawFn) -> tuple[str, dict[str, object], bool]:
    """A simulate call: which argument (if any) is spoiled, and the keyword arguments."""
    spoiled = draw(st.sampled_from(["none"] * 4 + ["params", "start", "end", "seed", "preset"]))
    kw: dict[str, object] = {
        "preset": draw(st.sampled_from(PRESET_NAMES)),
        "start": 2025,
        "end": draw(st.sampled_from([2025, 2026, 2027])),
        "seed": draw(st.integers(0, 2**63 - 1)),
        **overrides(draw, valid=spoiled != "params"),
    }
    bad = draw(junk())
    if spoiled == "start":
        kw["start"] = draw(st.sampled_from([bad, 1949, 2036, -5, 2025.5, 10**5000]))
    elif spoiled == "end":
        kw["end"] = draw(st.sampled_from([bad, 2024, 2025 + 200_000, 2201, 10**5000, 2026.5]))
    elif spoiled == "seed":
        kw["seed"] = draw(st.sampled_from([bad, -1, 1.5, 10**5000, True, 2**64, "0"]))
    elif spoiled == "preset":
        kw["preset"] = draw(st.sampled_from([bad, "concentraton", "Baseline", "", "utopia"]))
    return spoiled, kw, spoiled in ("start", "end", "seed", "preset")


def _simulate(kw, spoiled, must_refuse, metros, countries, **_):
    got = outcome(scenario.simulate, metros, countries, classify_roles=False, **kw)
    if isinstance(got, Refused) and spoiled == "none":
        # in-range fields may still be refused together (a pool below its start) or make
        # a run leave finite numbers (divergence); nothing else
        reasons = ("finite numbers", "must be at least ai_jobs_start")
        assert any(r in str(got.error) for r in reasons), got
    elif not isinstance(got, Refused):
        assert not must_refuse, f"simulate accepted spoiled {spoiled}: {kw}"
        check_simulation(got, int(kw["start"]), int(kw["end"]))
    return got


def _params(data, **_):
    fields = overrides(data.draw, valid=data.draw(st.booleans()))
    got = outcome(ScenarioParams, **fields)
    if not isinstance(got, Refused):
        for name, value in dataclasses.asdict(got).items():
            assert math.isfinite(value), (name, value)
            if FIELDS[name] == "share":
                assert 0.0 <= value <= 1.0
    return got


def _preset(data, **_):
    name = data.draw(st.one_of(st.sampled_from(PRESET_NAMES), junk(), st.text(max_size=12)))
    got = outcome(scenario.preset, name)
    if isinstance(got, Refused) and isinstance(name, str) and name[:-1] in PRESET_NAMES:
        assert "Did you mean" in str(got.error), got
    got = outcome(scenario.candidates, name)
    if not isinstance(got, Refused):
        assert set(got) <= set(FIELDS)
    return got


def _compare(metros, countries, data, **_):
    sims = [
        scenario.simulate(metros, countries, preset=p, end=2026, classify_roles=False)
        for p in ("baseline", "concentration")
    ]
    given = data.draw(st.sampled_from(["list", "dict", "empty", "junk", "mixed"]))
    arg = {
        "list": sims,
        "dict": dict(zip(PRESET_NAMES, sims, strict=False)),
        "empty": [],
        "junk": data.draw(junk()),
        "mixed": [sims[0], 3],
    }[given]
    got = outcome(scenario.compare, arg)
    if not isinstance(got, Refused):
        assert_numbers(got.drop(columns="unit").to_numpy(dtype=float), "compare")
    named = arg if given != "list" else {"baseline": sims[0]}
    got = outcome(scenario.seed_arithmetic, named, countries)
    if not isinstance(got, Refused):
        assert len(got) > 0
    event(f"compare/seed_arithmetic {given} {'refused' if isinstance(got, Refused) else 'ok'}")
    return got


def _sweep(kw, metros, countries, data, **_):
    """A sweep of a two-row design, or the bands / screening of one parameter."""
    end = min(kw["end"], 2026) if type(kw["end"]) is int else kw["end"]
    common = {
        "metros": metros,
        "countries": countries,
        "start": kw["start"],
        "end": end,
        "seed": kw["seed"],
        "scheduler": "sync",
        "progress": False,
    }
    how = data.draw(st.sampled_from(["sweep", "bands", "screen"]))
    if how == "sweep":
        second = data.draw(st.one_of(st.floats(0, 1), junk()))
        design = pd.DataFrame({"mobility": [0.05, second]})
        got = outcome(scenario.sweep, kw["preset"], design=design, classify_roles=False, **common)
        if not isinstance(got, Refused):
            assert_numbers(got.summary.to_numpy(dtype=float), "sweep summary")
            assert len(got.summary) == 2
        return got
    name = data.draw(
        st.one_of(
            st.sampled_from(["mobility", "ai_pool_max"]),
            junk(),
            st.sampled_from(["mobilty", "", ["mobility"]]),
        )
    )
    delta = data.draw(st.one_of(st.just(0.2), junk()))
    fn = scenario.bands if how == "bands" else scenario.screen
    extra = {"classify_roles": False} if how == "bands" else {}
    got = outcome(fn, kw["preset"], parameters=name, delta=delta, **common, **extra)
    if how == "bands" and not isinstance(got, Refused):
        assert_numbers(got[["value", "low", "high"]].to_numpy(dtype=float), "bands")
        assert (got["low"] <= got["value"]).all()
        assert (got["value"] <= got["high"]).all()
    return got


TARGETS = {
    "simulate": _simulate,
    "params": _params,
    "preset": _preset,
    "compare": _compare,
    "sweep": _sweep,
}


@FUZZ
@given(
    target=st.sampled_from(["simulate"] * 5 + ["params", "preset", "compare", "sweep"]),
    case=simulate_case(),
    k=st.integers(4, 8),
    data=st.data(),
)
def test_fuzz_scenario(target, case, k, data):
    spoiled, kw, must_refuse = case
    metros, countries = world(k)
    got = TARGETS[target](
        kw=kw,
        spoiled=spoiled,
        must_refuse=must_refuse,
        metros=metros,
        countries=countries,
        data=data,
    )
    event(f"{target} {spoiled} {'refused' if isinstance(got, Refused) else 'ok'}")
