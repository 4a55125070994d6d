"""Bad input to geoai.scenario becomes an InputError naming the argument, its range and the fix.

Each test is a case that used to overflow, leak numpy's message or answer
with NaN: a run of 200,000 years, seeds numpy cannot take, parameters out of
range, preset typos, a run whose parameters make its numbers overflow, and
the fuzz suite's finds (a one-year run's summary, lists of the same preset).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import geoai
from geoai import InputError, scenario
from geoai.scenario import ScenarioParams

METROS = geoai.load_metros(10_000_000)
#: A 5,000-digit int (its repr raises ValueError: the id keeps pytest from printing it).
HUGE = pytest.param(10**5000, id="int-of-5001-digits")


def run(**kw):
    return scenario.simulate(METROS, preset="baseline", classify_roles=False, **kw)


@pytest.mark.parametrize("end", [2025 + 200_000, 2201, HUGE, 2026.5, "2030", None])
def test_absurd_end_is_refused_up_front_naming_the_range(end):
    with pytest.raises(InputError) as info:
        run(end=end)
    message = str(info.value)
    assert message.startswith("end must be an integer year from start (2025) to 2200")
    assert "NaN" not in message
    assert len(message) < 300  # a 5,000-digit int is not echoed


@pytest.mark.parametrize("start", [1800, 2036, -5, 1e9, HUGE, True])
def test_absurd_start_is_refused_naming_the_range(start):
    with pytest.raises(InputError, match=r"start must be an integer year from 1950 to 2035"):
        run(start=start, end=2040)


def test_end_before_start_says_so():
    with pytest.raises(InputError, match=r"end \(2029\) must not be before start \(2030\)"):
        run(start=2030, end=2029)


@pytest.mark.parametrize("seed", [-1, 1.5, HUGE, True, 2**64, "0", None])
def test_seeds_numpy_cannot_take_are_input_errors(seed):
    with pytest.raises(InputError) as info:
        run(end=2026, seed=seed)
    message = str(info.value)
    assert message.startswith("seed must be a whole number from 0 to 2**63 - 1")
    assert "seed=0" in message  # the fix
    assert "SeedSequence" not in message  # not numpy's message
    assert "non-negative" not in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("mobility", math.nan, r"parameter mobility must be finite"),
        ("mobility", math.inf, r"parameter mobility must be finite"),
        ("remote_share", 1.5, r"remote_share is a share and must lie in \[0, 1\]"),
        ("remote_share", -0.1, r"remote_share is a share and must lie in \[0, 1\]"),
        ("capital_growth", -0.1, r"capital_growth must be >= 0"),
        ("talent_decay_km", 0.0, r"talent_decay_km must be > 0"),
        ("adoption_midpoint", 1e308, r"adoption_midpoint is a year and must lie in \[1900"),
        ("ai_pool_max", "20e6", r"parameter ai_pool_max must be a real number"),
        ("shock_sd", None, r"parameter shock_sd must be a real number"),
        pytest.param("household_size", 10**5000, "household_size must be finite", id="huge-int"),
    ],
)
def test_parameter_fields_name_the_field_and_its_range(field, value, expected):
    with pytest.raises(InputError, match=expected):
        ScenarioParams(**{field: value})
    with pytest.raises(InputError, match=expected):  # through simulate's overrides too
        run(end=2026, **{field: value})


def test_numpy_numbers_are_accepted_as_floats():
    p = ScenarioParams(mobility=np.float32(0.25), ai_jobs_start=np.int64(2_000_000))
    assert (p.mobility, p.ai_jobs_start) == (0.25, 2e6)
    assert isinstance(p.ai_jobs_start, float)


@pytest.mark.parametrize(("typo", "fix"), [("concentraton", "concentration"), ("Exodus", "exodus")])
def test_preset_typos_get_a_did_you_mean(typo, fix):
    for call in (
        lambda: scenario.preset(typo),
        lambda: scenario.simulate(METROS, preset=typo),
        lambda: scenario.candidates(typo),
    ):
        with pytest.raises(InputError, match=f"Did you mean '{fix}'"):
            call()
    with pytest.raises(InputError, match="preset must be a preset name"):
        scenario.preset(3)


def test_parameter_typos_get_a_did_you_mean():
    with pytest.raises(
        InputError,
        match=r"unknown scenario parameter\(s\) \['mobilty'\].*"
        r"Did you mean 'mobility'",
    ):
        scenario.preset("exodus", mobilty=0.1)
    with pytest.raises(InputError, match="Did you mean 'mobility'"):
        scenario.bands("baseline", "mobilty", end=2026, metros=METROS, scheduler="sync")


def test_parameters_that_overflow_are_refused_naming_them_never_nan():
    """capital_growth=1e300 compounds to inf in year 2; before: 'weights has NaN' from flows."""
    with pytest.raises(InputError) as info:
        run(end=2030, capital_growth=1e300)
    message = str(info.value)
    assert "stopped producing finite numbers in 202" in message
    assert "capital_growth=1e+300" in message  # the likely cause, named
    assert "weights" not in message


def test_a_one_year_run_has_a_summary():
    """Fuzz find: end == start left the sink without columns and summary() raised KeyError."""
    sim = run(end=2025)
    table = sim.summary()
    assert np.isfinite(table["value"].to_numpy(dtype=float)).all()
    assert table.loc["talent that left the metros", "value"] == 0.0


def test_compare_and_seed_arithmetic_check_their_simulations():
    sim = run(end=2026)
    with pytest.raises(InputError, match="two simulations of preset 'baseline'"):
        scenario.compare([sim, sim])  # before: one silently replaced the other
    for bad in ([sim, 3], 3, "baseline", {"a": "b"}):
        with pytest.raises(InputError, match="Simulation"):
            scenario.compare(bad)
    with pytest.raises(InputError, match="Simulation"):
        scenario.seed_arithmetic(math.nan)
    with pytest.raises(InputError, match="countries must be a pandas DataFrame"):
        scenario.seed_arithmetic({"baseline": sim}, countries=[1, 2])
    assert len(scenario.compare({"one": sim, "two": sim}).columns) == 3


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"n": 2.5}, "n must be a whole number"),
        ({"n": 0}, "n must be >= 1"),
        ({"seed": -1}, "seed must be a whole number"),
        ({"ranges": {"mobility": (0.1, math.inf)}}, "must be finite numbers"),
        ({"ranges": "mobility"}, "ranges must be a non-empty dict"),
        ({"end": 3000}, "to 2200"),
        ({"progress": "yes"}, "progress must be True or False"),
    ],
)
def test_sweep_arguments(kw, expected):
    args = {
        "ranges": {"mobility": (0.01, 0.1)},
        "n": 2,
        "metros": METROS,
        "end": 2026,
        "scheduler": "sync",
        "progress": False,
        "classify_roles": False,
        **kw,
    }
    with pytest.raises(InputError, match=expected):
        scenario.sweep("baseline", **args)


@pytest.mark.parametrize("delta", [0, 1, math.nan, "0.2", None, HUGE])
def test_screening_delta_is_a_number_in_the_open_unit_interval(delta):
    with pytest.raises(InputError, match=r"delta must be a number in \(0, 1\)"):
        scenario.screen("baseline", parameters="mobility", delta=delta, metros=METROS, end=2026)
    with pytest.raises(InputError, match=r"k must be a whole number"):
        scenario.sensitivity("baseline", k=1.5, metros=METROS, end=2026)
