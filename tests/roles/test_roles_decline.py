"""Detroit-path metros from observed history (geoai.roles.decline) and their backtest."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geoai
from geoai import InputError
from geoai.roles import DeclineThresholds, backtest, calibrate, decline

NUMBER = re.compile(r"\d")
WINDOWS = (1970, 1980, 1990, 2000)
LAST_ESTIMATE = 2015


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return geoai.load_metro_panel()


@pytest.fixture(scope="module")
def table(panel: pd.DataFrame) -> pd.DataFrame:
    return decline(panel)


def row(table: pd.DataFrame, name: str) -> pd.Series:
    hits = table[table["name"] == name]
    assert len(hits) == 1, f"{name!r} matches {len(hits)} rows"
    return hits.iloc[0]


def percent(share: float) -> str:
    """The rounded percentage as the reasons print it."""
    value = abs(share) * 100
    return f"{value:.1f} %" if round(value, 1) < 10 else f"{value:.0f} %"


# --- the UN panel, 1950-2015 -------------------------------------------------------------


def test_defaults_read_estimates_only(table: pd.DataFrame, panel: pd.DataFrame) -> None:
    assert table.attrs["as_of"] == LAST_ESTIMATE
    assert len(table) == panel["metro_id"].nunique()
    assert table["metro_id"].is_unique
    assert (table["peak_year"] <= LAST_ESTIMATE).all()
    # changing every projection leaves the result unchanged: they are never read
    altered = panel.copy()
    later = altered["population_kind"] == "projection"
    altered.loc[later, "population"] = altered.loc[later, "population"] // 3 + 1
    pd.testing.assert_frame_equal(decline(altered), table)


@pytest.mark.parametrize("name", ["Detroit", "Liverpool"])
def test_detroit_and_liverpool_are_on_the_detroit_path(table: pd.DataFrame, name: str) -> None:
    r = row(table, name)
    assert r["detroit_path"]
    assert 0.5 <= r["detroit_score"] <= 1
    assert r["change_since_peak"] < 0
    assert r["relative_change"] < r["change_since_peak"]
    assert r["years_in_decline"] == LAST_ESTIMATE - r["peak_year"]
    # the reason names the peak year, the loss, the country's change and the years
    text = r["reasons"]
    assert f"since its {r['peak_year']} peak" in text
    assert f"lost {percent(r['change_since_peak'])}" in text
    assert f"the country's cities grew {percent(r['country_urban_change'])}" in text
    assert f"{r['years_in_decline']} years in decline" in text
    assert "not a Detroit path" not in text


@pytest.mark.parametrize("name", ["Dhaka", "Lagos", "Shenzhen"])
def test_fast_growing_metros_are_not(table: pd.DataFrame, name: str) -> None:
    r = row(table, name)
    assert not r["detroit_path"]
    assert r["detroit_score"] == 0
    assert r["peak_year"] == LAST_ESTIMATE
    assert "no decline" in r["reasons"]
    assert NUMBER.search(r["reasons"])


#: Shrinking cities of the literature (Rust Belt, old industrial Britain, the Ruhr,
#: eastern Germany, post-socialist Poland, Ukraine and Russia, northern Italy) whose
#: UN WUP 2018 series shows a decline since the peak. Katowice and Halle are not in the
#: UN file (under 300,000 in 2018 as the UN delimits them).
SHRINKING = [
    "Pittsburgh",
    "Cleveland",
    "Buffalo",
    "Youngstown",
    "Flint",
    "New Orleans",
    "Glasgow",
    "Newcastle upon Tyne",
    "Leipzig",
    "Essen",
    "Duisburg",
    "Dortmund",
    "Wuppertal",
    "Łódź",
    "Donetsk",
    "Ivanovo",
    "Genova (Genoa)",
    "Torino (Turin)",
]
#: Named as shrinking in the literature, but the UN agglomeration is at its peak in
#: 2015 (it grew back, or the UN's wider delimitation grew): no decline in these data.
RECOVERED = ["St. Louis", "Manchester", "Sheffield", "Milwaukee", "Dayton"]


@pytest.mark.parametrize("name", SHRINKING)
def test_literature_shrinking_cities_are_flagged(table: pd.DataFrame, name: str) -> None:
    r = row(table, name)
    assert r["detroit_path"], r["reasons"]
    assert r["relative_change"] <= -DeclineThresholds().min_relative_loss


@pytest.mark.parametrize("name", RECOVERED)
def test_literature_cities_that_recovered_say_why(table: pd.DataFrame, name: str) -> None:
    r = row(table, name)
    assert not r["detroit_path"]
    assert r["peak_year"] == LAST_ESTIMATE
    assert re.search(r"grew [\d.,]+ % since 1950", r["reasons"]), r["reasons"]


def test_a_countrys_only_agglomeration_declines_nationally(table: pd.DataFrame) -> None:
    r = row(table, "Riga")  # lost people since 1989, but so did Latvia's only city
    assert r["change_since_peak"] < -0.1
    assert not r["detroit_path"]
    assert r["relative_change"] == 0
    assert "national decline" in r["reasons"]


def test_every_row_has_a_reason_with_a_number(table: pd.DataFrame) -> None:
    assert table["reasons"].map(lambda s: bool(NUMBER.search(s))).all()
    assert table["detroit_score"].between(0, 1).all()
    flagged = table["detroit_path"]
    assert (table.loc[flagged, "detroit_score"] >= 0.5).all()
    assert (table.loc[~flagged, "detroit_score"] <= 0.5).all()
    assert table.loc[~flagged, "reasons"].str.contains("no decline|not a Detroit|too small").all()
    assert table["detroit_score"].is_monotonic_decreasing


def test_decline_of_all_metros_is_fast(panel: pd.DataFrame) -> None:
    decline(panel)  # warm caches
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        decline(panel)
        best = min(best, time.perf_counter() - t0)
    assert best < 1.0, f"decline took {best:.2f} s on {len(panel):,} rows"


# --- backtest ----------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", WINDOWS)
def test_backtest_precision_beats_the_base_rate(panel: pd.DataFrame, as_of: int) -> None:
    result = backtest(panel, as_of=as_of)
    assert result.outcome_year == min(as_of + 25, LAST_ESTIMATE)
    assert result.n_flagged > 0
    assert result.precision > result.base_rate
    c = result.confusion
    assert len(c) == result.n_metros
    assert c["metro_id"].is_unique
    assert (c["cell"] == "true positive").sum() == result.true_positives
    assert c["detroit_path"].sum() == result.n_flagged
    assert c["declining"].mean() == pytest.approx(result.base_rate)
    # the outcome is its definition: shrank, or grew less than the country's cities
    expected = (c["growth"] < 0) | (c["growth"] < c["country_urban_growth"] - 1e-12)
    assert (c["declining"] == expected).all()
    growth = c["outcome_population"] / c["population"] - 1
    np.testing.assert_allclose(c["growth"], growth, rtol=1e-12)
    # identification used the years up to as_of only: the same flags as decline(as_of)
    flags = decline(panel, as_of=as_of).set_index("metro_id")["detroit_path"]
    assert (flags.loc[c["metro_id"]].to_numpy() == c["detroit_path"].to_numpy()).all()


def test_backtest_strict_outcome_and_cut_horizon(panel: pd.DataFrame) -> None:
    broad = backtest(panel, as_of=2000, horizon=40)
    assert broad.outcome_year == LAST_ESTIMATE  # never into the projections
    strict = backtest(panel, as_of=2000, horizon=40, outcome="shrinking")
    assert strict.n_declining <= broad.n_declining
    assert strict.precision > strict.base_rate
    assert (strict.confusion["declining"] == (strict.confusion["growth"] < 0)).all()


def test_calibration_sets_the_defaults(panel: pd.DataFrame) -> None:
    cal = calibrate(panel)
    assert cal.windows == (1970, 1980)
    assert cal.thresholds == DeclineThresholds()
    best = cal.table.iloc[0]
    assert best["chosen"]
    assert best["feasible"]
    feasible = cal.table[cal.table["feasible"]]
    assert (feasible["recall"] >= cal.min_recall).all()
    assert best["precision"] == feasible["precision"].max()
    assert best["precision"] > cal.base_rate
    # the pooled counts are those of the two backtests
    a, b = (backtest(panel, as_of=y) for y in cal.windows)
    assert best["n_flagged"] == a.n_flagged + b.n_flagged
    assert best["true_positives"] == a.true_positives + b.true_positives
    assert len(cal.table) == 150


# --- properties on synthetic panels ------------------------------------------------------


@st.composite
def synthetic(draw: st.DrawFn) -> tuple[pd.DataFrame, int, str]:
    n_metros = draw(st.integers(2, 6))
    n_years = draw(st.integers(2, 25))
    years = np.arange(1950, 1950 + n_years)
    steps = draw(
        st.lists(
            st.lists(st.floats(-0.2, 0.2), min_size=n_years, max_size=n_years),
            min_size=n_metros,
            max_size=n_metros,
        )
    )
    start = draw(st.lists(st.integers(50_000, 5_000_000), min_size=n_metros, max_size=n_metros))
    values = np.asarray(start, float)[:, None] * np.exp(np.cumsum(steps, axis=1))
    # metro "m0" only ever grows (non-decreasing)
    values[0] = start[0] * np.exp(np.cumsum(np.abs(steps[0])))
    countries = draw(
        st.lists(st.sampled_from(["AAA", "BBB"]), min_size=n_metros, max_size=n_metros)
    )
    frame = pd.DataFrame(
        {
            "metro_id": np.repeat([f"m{i}" for i in range(n_metros)], n_years),
            "year": np.tile(years, n_metros),
            "population": np.round(values.reshape(-1)) + 1,
            "country_iso3": np.repeat(countries, n_years),
        }
    )
    as_of = int(draw(st.sampled_from(years.tolist())))
    return frame, as_of, "m0"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=synthetic(), seed=st.integers(0, 2**32 - 1), min_peak=st.sampled_from([0, 1e6]))
def test_properties_on_synthetic_panels(
    case: tuple[pd.DataFrame, int, str], seed: int, min_peak: float
) -> None:
    frame, as_of, grower = case
    out = decline(frame, as_of=as_of, min_peak=min_peak)
    assert out["reasons"].map(lambda s: bool(s) and bool(NUMBER.search(s))).all()
    assert out["detroit_score"].between(0, 1).all()
    assert (out.loc[out["detroit_path"], "detroit_score"] >= 0.5).all()
    assert (out.loc[~out["detroit_path"], "detroit_score"] <= 0.5).all()
    assert not out.set_index("metro_id").loc[grower, "detroit_path"]
    assert (out["change_since_peak"] <= 0).all()
    assert (out["years_in_decline"] == as_of - out["peak_year"]).all()
    # no look-ahead: any change after as_of leaves the result as it was
    later = frame["year"] > as_of
    changed = frame.copy()
    rng = np.random.default_rng(seed)
    changed.loc[later, "population"] = rng.integers(1, 10_000_000, int(later.sum()))
    pd.testing.assert_frame_equal(decline(changed, as_of=as_of, min_peak=min_peak), out)


def test_a_simple_shrinking_metro() -> None:
    years = np.arange(2000, 2011)
    shrinking = np.linspace(1_000_000, 800_000, years.size)
    growing = np.linspace(1_000_000, 1_500_000, years.size)
    frame = pd.DataFrame(
        {
            "metro_id": np.repeat(["a", "b"], years.size),
            "year": np.tile(years, 2),
            "population": np.concatenate([shrinking, growing]),
            "country_iso3": "XXX",
            "name": np.repeat(["Shrinkton", "Growville"], years.size),
        }
    )
    out = decline(frame).set_index("name")
    a = out.loc["Shrinkton"]
    assert a["peak_year"] == 2000
    assert a["years_in_decline"] == 10
    assert a["change_since_peak"] == pytest.approx(-0.2)
    assert a["country_urban_change"] == pytest.approx(2.3 / 2 - 1)
    assert a["relative_change"] == pytest.approx(0.8 / 1.15 - 1)
    assert a["detroit_path"]
    assert "lost 20 % since its 2000 peak (the first year of data)" in a["reasons"]
    assert not out.loc["Growville", "detroit_path"]
    assert "grew 50 % since 2000" in out.loc["Growville", "reasons"]
    strict = decline(frame, thresholds=DeclineThresholds(0.25, 0.05, 1)).set_index("name")
    assert not strict.loc["Shrinkton", "detroit_path"]
    assert "the loss is under 25 %" in strict.loc["Shrinkton", "reasons"]


# --- bad input -----------------------------------------------------------------------------


def test_bad_inputs_raise_input_errors(panel: pd.DataFrame) -> None:
    small = geoai.load_metro_panel(1990, 2015)
    cases = [
        (lambda: decline(small.drop(columns="population")), "lacks the column"),
        (lambda: decline(small.iloc[:0]), "empty"),
        (lambda: decline(small.to_numpy()), "DataFrame"),
        (lambda: decline(small, as_of=1980), "outside the panel"),
        (lambda: decline(small, as_of=2040), "outside the panel"),
        (lambda: decline(small, as_of=1990.5), "whole year"),
        (lambda: decline(panel, as_of=2025), "allow_projections=True"),
        (lambda: decline(small, min_peak=-1), "min_peak"),
        (lambda: decline(small, thresholds={"min_loss": 0.1}), "DeclineThresholds"),
        (lambda: decline(small, allow_projections="yes"), "True or False"),
        (lambda: decline(pd.concat([small, small.iloc[:1]])), "duplicate"),
        (lambda: decline(small.iloc[1:]), "missing metro-year"),
        (lambda: decline(small.assign(population=0)), "non-positive"),
        (lambda: decline(small.assign(metro_id="x:" + small["metro_id"])), "country_iso3"),
        (lambda: backtest(small, as_of=2015), "no observed year"),
        (lambda: backtest(small, horizon=0), "horizon"),
        (lambda: backtest(small, outcome="lagging"), "outcome"),
        (lambda: calibrate(small, windows=()), "windows"),
        (lambda: calibrate(small, grid={"min_loss": [0.1]}), "grid"),
        (lambda: calibrate(panel, min_recall=0.9), "lower min_recall"),
        (lambda: DeclineThresholds(min_loss=5), "share in (0, 1)"),
        (lambda: DeclineThresholds(min_years=0), "min_years"),
    ]
    for call, words in cases:
        with pytest.raises(InputError, match=re.escape(words)):
            call()


def test_projections_need_an_explicit_yes(panel: pd.DataFrame) -> None:
    out = decline(panel, as_of=2030, allow_projections=True)
    assert out.attrs["as_of"] == 2030
    assert out["peak_year"].max() == 2030


def test_five_yearly_panel(panel: pd.DataFrame) -> None:
    fives = panel[(panel["year"] % 5 == 0) & (panel["year"] <= LAST_ESTIMATE)]
    out = decline(fives)
    annual = decline(panel).set_index("metro_id")
    liverpool = row(out, "Liverpool")
    assert liverpool["detroit_path"]
    assert liverpool["population"] == annual.loc[liverpool["metro_id"], "population"]
    assert row(out, "Lagos")["peak_year"] == LAST_ESTIMATE
    with pytest.raises(InputError, match="not a year of the panel"):
        decline(fives, as_of=1972)
