"""classify's vectorised rules against a per-metro reference, and invariants of the row order.

The reference below reads one metro's rows of the panel at a time and applies
the documented hub and Detroit-path rules with plain Python scalars: slow and
obvious, so that a mask or an index slip in the vectorised rules shows up.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoai.roles import RoleThresholds, classify
from geoai.roles._classify_verdicts import Verdicts

T = RoleThresholds(permutations=99)
YEARS = range(2025, 2033)


def simulated(seed: int, n: int = 40) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """A random simulated panel: some metros shrink with an outflow, some grow their AI jobs."""
    rng = np.random.default_rng(seed)
    ids = [f"s{i}" for i in range(n)]
    points = gpd.GeoDataFrame(
        {"metro_id": ids, "name": [f"City {i}" for i in range(n)]},
        geometry=gpd.points_from_xy(rng.uniform(-10, 30, n), rng.uniform(35, 60, n)),
        crs="EPSG:4326",
    )
    pop0 = rng.lognormal(13, 1, n)
    jobs_rate = rng.uniform(-0.03, 0.03, n)  # yearly change of jobs
    pop_rate = np.where(jobs_rate < -0.01, jobs_rate * 0.8, rng.uniform(-0.01, 0.02, n))
    ai0 = pop0 * rng.lognormal(-5, 1, n)
    ai_rate = rng.uniform(-0.02, 0.06, n)
    pop0[:2], ai0[:2] = 5e4, 1e3  # small specialists: top intensity, scale below the median
    lead = np.argsort(-ai0)[:8]  # the largest AI metros mostly grow: hub candidates
    jobs_rate[lead[::2]] = np.abs(jobs_rate[lead[::2]])
    ai_rate[lead[::2]] = 0.05
    jobs_rate[:2], ai_rate[:2] = 0.01, 0.05  # the specialists grow
    net = rng.normal(0.0, 500.0, n)
    fracture = np.where(rng.uniform(size=n) < 0.2, rng.uniform(0.1, 1.0, n), 0.0)
    rows = []
    for year in YEARS:
        k = year - YEARS[0]
        wobble = 1 + rng.normal(0, 0.002, n)  # not every year falls
        rows.append(
            pd.DataFrame(
                {
                    "metro_id": ids,
                    "year": year,
                    "population": pop0 * (1 + pop_rate) ** k,
                    "jobs": 0.45 * pop0 * (1 + jobs_rate) ** k * wobble,
                    "ai_jobs": ai0 * (1 + ai_rate) ** k,
                    "net_talent": net + rng.normal(0, 50.0, n),
                    "fracture": fracture,
                }
            )
        )
    return pd.concat(rows, ignore_index=True), points


def reference(panel: pd.DataFrame, metro: str) -> dict[str, float]:
    """The trajectory of one metro from its own rows, with plain scalars."""
    years = sorted(panel["year"].unique())
    rows = panel[panel["metro_id"] == metro].set_index("year")

    def at(col: str, year: int) -> float:
        return float(rows.loc[year, col]) if year in rows.index else math.nan

    jobs = [at("jobs", y) for y in years]
    pop = [at("population", y) for y in years]
    falls = sum(1 for a, b in itertools.pairwise(jobs) if b - a < 0)
    gain = at("ai_jobs", years[-1]) - at("ai_jobs", years[0])
    first_ai = at("ai_jobs", years[0])
    growth = (gain / first_ai if first_ai > 0 else math.inf) if gain > 0 else 0.0
    return {
        "jobs_change": jobs[-1] / jobs[0] - 1.0,
        "population_change": pop[-1] / pop[0] - 1.0,
        "falling_share": falls / max(len(years) - 1, 1),
        "ai_growth": growth,
        "net_talent": float(rows["net_talent"].sum()),
        "fracture": at("fracture", years[-1]),
    }


def expected_role(row: pd.Series, ref: dict[str, float], bars: dict[str, float]) -> str | None:
    """The role the hub and Detroit-path rules give a metro that is no superstar (None: later)."""
    share, lq = row["ai_share"], row["ai_lq"]
    by_scale = share >= bars["hub_scale"] and lq >= bars["solid_lq"] and share > 0
    by_lq = lq >= bars["hub_lq"] and share >= bars["solid_scale"] and share > 0
    shrinking = ref["jobs_change"] < 0
    slow = math.isfinite(ref["ai_growth"]) and ref["ai_growth"] < T.hub_min_growth
    if (by_scale or by_lq) and not shrinking and not slow:
        return "hub"
    jobs, pop = ref["jobs_change"], ref["population_change"]
    if not (math.isfinite(jobs) and math.isfinite(pop)):
        return None
    falls = jobs <= -T.decline_jobs and pop <= -T.decline_population
    cause = ref["net_talent"] < 0 or ref["fracture"] > 0
    return "detroit_path" if falls and ref["falling_share"] > 0.5 and cause else None


@pytest.mark.parametrize("seed", [1, 7, 23])
def test_vectorised_rules_agree_with_a_per_metro_reference(seed):
    panel, points = simulated(seed)
    roles = classify(panel, metros=points, thresholds=T)
    bars = roles.attrs["bars"]
    seen = set()
    for metro, row in roles.iterrows():
        ref = reference(panel, str(metro))
        for col in ("jobs_change", "population_change", "net_talent"):
            assert row[col] == pytest.approx(ref[col], rel=1e-12, nan_ok=True), (metro, col)
        role = str(row["role"])
        seen.add(role)
        if role == "superstar":
            continue
        want = expected_role(row, ref, bars)
        if want is None:
            assert role in ("hinterland", "stable"), (metro, role, row["reasons"])
        else:
            assert role == want, (metro, role, want, row["reasons"])
        if role == "stable":  # one reason per rule that was tried: hub, Detroit path, hinterland
            assert row["reasons"].count("; ") >= 2, row["reasons"]
    assert {"hub", "detroit_path"} <= seen, seen  # the panel exercises both rules


def test_a_panel_with_gaps_agrees_with_the_reference():
    panel, points = simulated(5)
    gaps = (panel["metro_id"].isin(["s3", "s4"]) & (panel["year"] == YEARS[0])) | (
        (panel["metro_id"] == "s9") & (panel["year"] == 2029)
    )
    holed = panel[~gaps]
    roles = classify(holed, metros=points, thresholds=T)
    for metro in ("s3", "s4", "s9"):
        ref = reference(holed, metro)
        got = roles.loc[metro, "jobs_change"]
        assert got == pytest.approx(ref["jobs_change"], rel=1e-12, nan_ok=True)
    assert np.isnan(roles.loc["s3", "jobs_change"])
    for metro in ("s3", "s4"):  # no first year: no Detroit-path test, and a stable one says so
        assert roles.loc[metro, "role"] != "detroit_path"
        if roles.loc[metro, "role"] == "stable":
            assert "no history of jobs and population" in roles.loc[metro, "reasons"]


@pytest.mark.parametrize("seed", [2, 11])
def test_the_row_order_of_the_panel_changes_nothing(seed):
    panel, points = simulated(seed)
    roles = classify(panel, metros=points, thresholds=T)
    shuffled = panel.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    again = classify(shuffled, metros=points.iloc[::-1], thresholds=T)
    pd.testing.assert_frame_equal(again, roles, check_exact=True)
    assert again.attrs["bars"] == roles.attrs["bars"]


def test_each_metro_reads_its_own_rows():
    """Changing one metro's history changes its trajectory only (no row of another metro moves)."""
    panel, points = simulated(3)
    roles = classify(panel, metros=points, thresholds=T)
    target = "s6"
    mine = panel["metro_id"] == target
    altered = panel.copy()
    altered.loc[mine, "jobs"] *= np.linspace(1.0, 0.5, mine.sum())
    altered.loc[mine, "net_talent"] -= 10_000.0
    again = classify(altered, metros=points, thresholds=T)
    others = roles.index != target
    for col in ("jobs_change", "population_change", "net_talent", "n_years"):
        pd.testing.assert_series_equal(again.loc[others, col], roles.loc[others, col])
    assert again.loc[target, "jobs_change"] == pytest.approx(
        reference(altered, target)["jobs_change"], rel=1e-12
    )
    assert again.loc[target, "net_talent"] < roles.loc[target, "net_talent"]


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.tuples(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.sampled_from(["", "a", "b c"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_bulk_verdicts_equal_one_by_one(values):
    """Verdicts.give_all / miss_all leave the state that give / miss one metro at a time leave."""
    n = len(values)
    one, bulk = Verdicts(n), Verdicts(n)
    ev = np.array([v for v, _, _ in values])
    texts = [t for _, t, _ in values]
    for i in range(n):
        one.miss(i, ev[i], texts[i])
    bulk.miss_all(np.arange(n), ev, texts)
    given_ = np.flatnonzero([g for _, _, g in values])
    for i in given_.tolist():
        one.give(i, "hub", 1.0 - ev[i], texts[i], "x")
    bulk.give_all(given_, "hub", 1.0 - ev[given_], [(texts[i], "x") for i in given_])
    np.testing.assert_array_equal(one.near, bulk.near)
    np.testing.assert_array_equal(one.score, bulk.score)
    assert one.role.tolist() == bulk.role.tolist()
    assert one.reasons == bulk.reasons
    assert one.why_not == bulk.why_not
