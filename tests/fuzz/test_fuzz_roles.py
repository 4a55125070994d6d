"""Fuzz geoai.roles: classify, decline, backtest and calibrate on tiny generated tables.

Each example builds a small valid table (a snapshot of metros or a
population panel), then maybe spoils it the way users do (a missing column,
NaN or negative populations, repeated ids, lon/lat labelled with a projected
CRS, a Series on other labels, junk parameters). The call must return a
well-formed result or raise a geoai error; a valid table must give a result.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
from hypothesis import event, given
from hypothesis import strategies as st

from geoai.roles import (
    ROLES,
    DeclineThresholds,
    RoleThresholds,
    backtest,
    calibrate,
    classify,
    decline,
)
from tests.fuzz._harness import FUZZ, Refused, assert_numbers, junk, numbers, outcome

FAST = RoleThresholds(permutations=19, gi_k=2, markov_k=2, markov_neighbours=2)
#: What an example spoils: nothing (half the cases), a column of the table, or one argument.
SPOILS = ("none",) * 6 + ("drop", "nan", "negative", "duplicate", "crs", "strings")
SPOILS += ("thresholds", "as_of", "min_peak")


def snapshot(rng: np.random.Generator, n: int) -> gpd.GeoDataFrame:
    """``n`` metros in lon/lat with population, jobs and AI jobs (a valid snapshot)."""
    pop = rng.lognormal(13, 1, n)
    jobs = pop * rng.uniform(0.3, 0.6, n)
    return gpd.GeoDataFrame(
        {
            "metro_id": [f"m{i}" for i in range(n)],
            "population": pop,
            "jobs": jobs,
            "ai_jobs": jobs * rng.uniform(0.001, 0.05, n),
        },
        geometry=gpd.points_from_xy(rng.uniform(-20, 40, n), rng.uniform(30, 60, n)),
        crs="EPSG:4326",
    )


def history(rng: np.random.Generator, n: int, years: int, first: int) -> pd.DataFrame:
    """A population panel of ``n`` metros over ``years`` years (a valid observed history)."""
    steps = rng.normal(0.0, 0.05, (n, years))
    values = rng.uniform(2e5, 5e6, n)[:, None] * np.exp(np.cumsum(steps, axis=1))
    return pd.DataFrame(
        {
            "metro_id": np.repeat([f"m{i}" for i in range(n)], years),
            "year": np.tile(np.arange(first, first + years), n),
            "population": np.round(values.reshape(-1)),
            "country_iso3": np.repeat(rng.choice(["AAA", "BBB"], n), years),
        }
    )


def spoil(frame: pd.DataFrame, how: str, rng: np.random.Generator) -> pd.DataFrame:
    """Spoil ``frame`` one way (or not at all, for ``"none"``)."""
    if how == "none" or len(frame) == 0:
        return frame
    out = frame.copy()
    i = int(rng.integers(len(out)))
    if "year" in out.columns:  # a panel: spoil a first-year row (read whatever as_of is)
        i = int(rng.choice(np.flatnonzero(out["year"].to_numpy() == out["year"].min())))
    if how == "drop":
        return out.drop(columns=str(rng.choice(["population", "metro_id"])))
    if how == "nan":
        out.loc[out.index[i], "population"] = np.nan
    elif how == "negative":
        out.loc[out.index[i], "population"] = -5.0
    elif how == "duplicate":
        out = pd.concat([out, out.iloc[[i]]])
    elif how == "crs" and isinstance(out, gpd.GeoDataFrame):
        out = out.set_crs("EPSG:3857", allow_override=True)
    elif how == "strings":
        out["population"] = out["population"].astype(str)
    return out


def check_roles(out: gpd.GeoDataFrame, n: int) -> None:
    """What classify promises: one row per metro, a known role, a score and reasons."""
    assert len(out) == n
    assert set(out["role"].astype(str)) <= set(ROLES)
    assert_numbers(out["role_score"], "role_score")
    assert out["reasons"].map(lambda s: isinstance(s, str) and bool(s)).all()


def role_thresholds() -> st.SearchStrategy[object]:
    """One field of the fast thresholds fuzzed, or not thresholds at all."""
    field = st.sampled_from(["fdr", "gi_k", "permutations", "hub_q", "seed", "min_peak"])
    return st.one_of(
        st.builds(lambda f, x: {f: x}, field, numbers(good=st.floats(0.01, 0.5))), junk()
    )


@FUZZ
@given(
    target=st.sampled_from(["classify", "classify_panel", "decline", "backtest", "calibrate"]),
    n=st.integers(0, 12),
    years=st.integers(1, 30),
    spoiling=st.sampled_from(SPOILS),
    bad_thresholds=role_thresholds(),
    bad_value=junk(),
    as_of=st.integers(0, 29),
    min_peak=st.sampled_from([0, 1e5, 3e5]),
    seed=st.integers(0, 2**16),
)
def test_fuzz_roles(target, n, years, spoiling, bad_thresholds, bad_value, as_of, min_peak, seed):
    rng = np.random.default_rng(seed)
    thresholds: object = FAST
    as_of = 1950 + min(as_of, max(years - 1 - (target == "backtest"), 0))  # a panel year
    if spoiling == "thresholds":
        if isinstance(bad_thresholds, dict):  # one field fuzzed: the constructor checks it
            thresholds = outcome(dataclasses.replace, FAST, **bad_thresholds)
            if isinstance(thresholds, Refused):
                return
        else:
            thresholds = bad_thresholds
    elif spoiling == "as_of":
        as_of = bad_value
    elif spoiling == "min_peak":
        min_peak = bad_value
    got = _call(target, n, years, spoiling, thresholds, as_of, min_peak, rng)
    event(f"{target} {'refused' if isinstance(got, Refused) else 'ok'}")
    if spoiling in ("drop", "nan", "negative", "duplicate", "strings") and n > 0:
        assert isinstance(got, Refused), f"{target} accepted a table with {spoiling!r}: {got}"
    if spoiling == "crs" and target == "classify" and n > 1:
        assert isinstance(got, Refused), "classify accepted lon/lat labelled EPSG:3857"


def _call(target, n, years, spoiling, thresholds, as_of, min_peak, rng):
    """Run one target on a generated table; check what a result promises."""
    if target == "classify":
        frame = spoil(snapshot(rng, n), spoiling, rng)
        got = outcome(classify, frame, thresholds=thresholds)
        if not isinstance(got, Refused):
            check_roles(got, len(frame))
        elif spoiling == "none" and n >= 4:
            raise AssertionError(f"a valid snapshot of {n} metros was refused: {got}")
        return got
    panel = spoil(history(rng, n, years, 1950), spoiling, rng)
    if target == "classify_panel":
        got = outcome(classify, panel, metros=snapshot(rng, n), thresholds=thresholds)
        if not isinstance(got, Refused):
            check_roles(got, n)
    elif target == "decline":
        th = DeclineThresholds() if thresholds is FAST else thresholds
        got = outcome(decline, panel, as_of=as_of, min_peak=min_peak, thresholds=th)
        if not isinstance(got, Refused):
            assert_numbers(got["detroit_score"], "detroit_score")
            assert got["detroit_score"].between(0, 1).all()
            assert got["metro_id"].is_unique
        elif spoiling == "none" and n > 0:
            raise AssertionError(f"a valid panel was refused by decline: {got}")
    elif target == "backtest":
        horizon = int(rng.integers(1, 30))
        got = outcome(backtest, panel, as_of=as_of, horizon=horizon, min_peak=min_peak)
        if not isinstance(got, Refused):
            assert 0 <= got.true_positives <= got.n_flagged <= got.n_metros
            for name in ("precision", "recall", "base_rate"):
                value = getattr(got, name)
                assert np.isnan(value) or 0.0 <= value <= 1.0, (name, value)
    else:
        windows = (1950 + min(2, years), as_of)
        grid = {"min_loss": [0.01, 0.05], "min_relative_loss": [0.05], "min_years": [1]}
        got = outcome(calibrate, panel, windows=windows, horizon=5, grid=grid, min_peak=min_peak)
        if not isinstance(got, Refused):
            assert isinstance(got.thresholds, DeclineThresholds)
    return got
