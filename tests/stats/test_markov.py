"""Spatial Markov chains: parity with PySAL giddy, counts, steady states, bad input."""

from __future__ import annotations

import warnings

import geopandas as gpd
import giddy.markov as giddy_markov  # test-only dependency (dev extra)
import libpysal.weights as libpysal_weights
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mapclassify import Quantiles
from scipy.stats import chi2

import geoai
from geoai.datasets import wup_agglomerations
from geoai.errors import InputError
from geoai.stats import spatial_markov
from geoai.stats._markov import steady_state

YEARS = range(1950, 2016, 5)


# ------------------------------------------------------------------ helpers
def giddy_of(y: np.ndarray, sm, k: int):
    """giddy's Spatial_Markov on ``y`` with a libpysal W built from our neighbour lists."""
    w = sm.weights
    nb = {i: w.indices[w.indptr[i] : w.indptr[i + 1]].tolist() for i in range(w.n)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # disconnected-components notice, quantile ties
        lw = libpysal_weights.W(nb)
        lw.transform = "r"
        return giddy_markov.Spatial_Markov(y, lw, fixed=True, k=k, m=k)


def wide(panel: pd.DataFrame, value: str = "population") -> np.ndarray:
    return panel.pivot(index="metro_id", columns="year", values=value).to_numpy(np.float64)


def assert_same_as_giddy(sm, g) -> None:
    np.testing.assert_array_equal(sm.classes, g.class_ids)
    np.testing.assert_array_equal(sm.lag_classes, g.lclass_ids)
    # giddy's classic chain keeps only the classes that occur (ties can leave one empty)
    seen = np.unique(sm.classes)
    assert (np.bincount(sm.classes.ravel(), minlength=sm.k) > 0).sum() == seen.size
    np.testing.assert_array_equal(sm.transitions[np.ix_(seen, seen)], g.transitions)
    assert sm.transitions.sum() == g.transitions.sum()
    np.testing.assert_array_equal(sm.T, g.T)
    np.testing.assert_allclose(sm.p[np.ix_(seen, seen)], g.p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sm.P, g.P, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sm.cutoffs, g.cutoffs, rtol=1e-15)
    np.testing.assert_allclose(sm.lag_cutoffs, g.lag_cutoffs, rtol=1e-15)
    for ours, theirs in ((sm.LR, g.LR), (sm.Q, g.Q)):
        assert ours == pytest.approx(theirs, rel=1e-8, abs=1e-8)
    # giddy counts +1 dof for an origin class never left (no evidence); we count 0
    never_left = int((sm.transitions.sum(axis=1) == 0).sum())
    assert sm.dof == g.dof_hom - never_left
    if never_left == 0:
        expected = (g.LR_p_value, g.Q_p_value)
    else:
        expected = tuple(1 - chi2.cdf(x, sm.dof) for x in (g.LR, g.Q))
    for ours, theirs, stat in zip(
        (sm.LR_p_value, sm.Q_p_value), expected, (g.LR, g.Q), strict=True
    ):
        if np.isnan(theirs):
            assert np.isnan(ours)
        elif abs(stat) < 1e-6:
            # a statistic that is 0 up to rounding: at 1 dof, p = 1 - sqrt(2 x / pi) + ...,
            # so giddy's round-off (x ~ 1e-14) moves its p by ~1e-7 while ours is exactly 1
            assert ours == pytest.approx(theirs, abs=1e-5)
        else:
            assert ours == pytest.approx(theirs, rel=1e-8, abs=1e-8)


def assert_stationary(pi: np.ndarray, p: np.ndarray) -> None:
    if np.isnan(pi).all():
        return
    assert (pi >= 0).all()
    assert pi.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(pi @ p, pi, atol=1e-12)


def great_circle_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    h = np.sin(dphi / 2) ** 2 + np.cos(phi[:, None]) * np.cos(phi[None, :]) * np.sin(dlam / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


# ------------------------------------------------------------------ UN panel
@pytest.fixture(scope="module")
def un_panel() -> pd.DataFrame:
    return geoai.load_metro_panel(1950, 2015)


@pytest.fixture(scope="module")
def un_million(un_panel) -> pd.DataFrame:
    ids = wup_agglomerations(2015, 1_000_000)["metro_id"]
    return un_panel[un_panel["metro_id"].isin(ids) & un_panel["year"].isin(YEARS)]


@pytest.mark.parametrize("k", [3, 5, 7])
def test_un_million_equals_giddy(un_million, k):
    sm = spatial_markov(un_million, k=k)
    raw = wide(un_million)
    y = raw / raw.mean(axis=0)  # relative to the year's mean, computed independently
    assert sm.classes.shape == (513, 14)
    np.testing.assert_allclose(sm.y, y, rtol=1e-15)
    g = giddy_of(y, sm, k)
    assert_same_as_giddy(sm, g)
    np.testing.assert_allclose(sm.steady_state, g.s, atol=1e-12)


def test_whole_un_panel_equals_giddy(un_panel):
    """All 1,860 agglomerations, 14 five-year steps; conditional steady states too."""
    sm = spatial_markov(un_panel, years=YEARS)
    assert sm.classes.shape == (1860, 14)
    g = giddy_of(sm.y, sm, 5)
    assert_same_as_giddy(sm, g)
    assert sm.LR_p_value < 1e-6  # the dynamics depend on the neighbourhood
    np.testing.assert_allclose(sm.steady_state, g.s, atol=1e-12)
    for ours, theirs in zip(sm.lag_steady_states, g.S, strict=True):
        np.testing.assert_allclose(ours, np.asarray(theirs, float).reshape(-1), atol=1e-12)


def test_un_neighbours_are_the_nearest_by_great_circle(un_million):
    sm = spatial_markov(un_million, k=5, neighbours=8)
    pts = wup_agglomerations(2015, 0).set_index("metro_id").loc[sm.metro_ids].geometry
    d = great_circle_km(pts.x.to_numpy(), pts.y.to_numpy())
    np.fill_diagonal(d, np.inf)
    w = sm.weights
    for i in range(w.n):
        nbr = w.indices[w.indptr[i] : w.indptr[i + 1]]
        assert nbr.size == 8
        np.testing.assert_allclose(np.sort(d[i, nbr]), np.sort(d[i])[:8], rtol=1e-9)
        assert sm.lag[:, 0][i] == pytest.approx(sm.y[nbr, 0].mean(), rel=1e-12)


def test_counts_match_a_plain_loop(un_million):
    sm = spatial_markov(un_million, k=5)
    n, t = sm.classes.shape
    k = sm.k
    counts = np.zeros((k, k), dtype=np.int64)
    by_lag = np.zeros((k, k, k), dtype=np.int64)
    for i in range(n):
        for s in range(t - 1):
            a, b = sm.classes[i, s], sm.classes[i, s + 1]
            counts[a, b] += 1
            by_lag[sm.lag_classes[i, s], a, b] += 1
    np.testing.assert_array_equal(sm.transitions, counts)
    np.testing.assert_array_equal(sm.T, by_lag)
    assert counts.sum() == n * (t - 1)
    # classes are pooled quantiles: monotone in y, bounded by the cutoffs, ~equal sizes
    order = np.argsort(sm.y, axis=None, kind="stable")
    assert (np.diff(sm.classes.ravel()[order]) >= 0).all()
    bounds = np.concatenate(([-np.inf], sm.cutoffs, [np.inf]))
    c = sm.classes
    assert ((sm.y > bounds[c]) & (sm.y <= bounds[c + 1])).all()
    sizes = np.bincount(c.ravel(), minlength=k)
    assert sizes.max() - sizes.min() <= 2


def test_steady_states_are_stationary(un_panel):
    sm = spatial_markov(un_panel, years=YEARS, k=4)
    assert_stationary(sm.steady_state, sm.p)
    assert not np.isnan(sm.steady_state).any()
    for pi, p in zip(sm.lag_steady_states, sm.P, strict=True):
        assert_stationary(pi, p)


def test_summary_paths_and_tests(un_million):
    sm = spatial_markov(un_million, k=4, neighbours=6)
    n, t = sm.classes.shape
    table = sm.summary()
    assert list(table.index) == ["all", "lag 0", "lag 1", "lag 2", "lag 3"]
    assert table.loc["all", "moves"] == n * (t - 1) == table["moves"].iloc[1:].sum()
    np.testing.assert_allclose(table[["stay", "up", "down"]].sum(axis=1), 1.0)
    np.testing.assert_allclose(
        table.loc["all", "stay"], np.trace(sm.transitions) / sm.transitions.sum()
    )
    steady = table[[f"steady_{c}" for c in range(4)]].to_numpy()
    np.testing.assert_array_equal(steady[0], sm.steady_state)
    assert table.attrs["LR"] == sm.LR
    assert table.attrs["dof"] == sm.dof
    tests = sm.homogeneity().set_index("test")
    assert tests.loc["Q", "p_value"] == sm.Q_p_value
    assert tests.loc["LR", "dof"] == sm.dof
    paths = sm.paths()
    assert len(paths) == n * t
    row = paths[paths["metro_id"] == sm.metro_ids[7]]
    np.testing.assert_array_equal(row["class"], sm.classes[7])
    np.testing.assert_array_equal(row["next_class"].iloc[:-1], sm.classes[7, 1:])
    assert row["next_class"].iloc[-1] == -1


def test_projections_are_opt_in():
    panel = geoai.load_metro_panel(2005, 2025, min_population=5_000_000)
    with pytest.raises(InputError, match="projection"):
        spatial_markov(panel, years=range(2005, 2026, 5))
    sm = spatial_markov(panel, years=range(2005, 2026, 5), projections=True, k=3, neighbours=3)
    assert sm.years.tolist() == [2005, 2010, 2015, 2020, 2025]
    only_estimates = spatial_markov(panel, years=range(2005, 2016, 5), k=3, neighbours=3)
    assert only_estimates.years.max() == 2015


def test_relative_false_discretises_raw_values(un_million):
    sm = spatial_markov(un_million, k=5, relative=False)
    np.testing.assert_array_equal(sm.y, wide(un_million))
    assert_same_as_giddy(sm, giddy_of(wide(un_million), sm, 5))


# ------------------------------------------------------------------ synthetic
def synthetic(seed: int, n: int, t: int, trend: float = 0.0, levels: int = 0):
    """Random panel; ``levels > 0`` rounds values to that many levels (ties)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"m{i:03d}" for i in range(n)], dtype=object)
    points = gpd.GeoDataFrame(
        {"metro_id": ids[::-1]},  # reversed: aligned by id, not by position
        geometry=gpd.points_from_xy(rng.uniform(-180, 180, n), rng.uniform(-70, 70, n)),
        crs="EPSG:4326",
    )
    level = rng.lognormal(0.0, 1.0, n)[:, None]
    growth = np.exp(np.cumsum(rng.normal(trend, 0.3, (n, t)), axis=1))
    values = level * growth
    if levels:
        values = np.floor(levels * values / values.max())
    panel = pd.DataFrame(
        {
            "metro_id": np.repeat(ids, t),
            "year": np.tile(np.arange(2000, 2000 + 2 * t, 2), n),
            "jobs": values.ravel(),
        }
    ).sample(frac=1.0, random_state=seed)  # row order must not matter
    return panel, points


def assert_refusal_is_justified(message, panel, points, k, neighbours, relative):
    """Our refusals are cases where giddy gives fewer classes than asked, or divides by 0."""
    raw = wide(panel, "jobs")
    if "0 for every metro" in message:
        assert relative
        assert (raw.mean(axis=0) == 0).any()
        return
    assert "collapse" in message or "distinct" in message
    y = raw / raw.mean(axis=0) if relative else raw
    w = geoai.stats.weights(points.set_index("metro_id").loc[sorted(points.metro_id)], k=neighbours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify: "Not enough unique values"
        classes = [Quantiles(v.ravel(), k=k).bins.size for v in (y, w.sparse @ y)]
    assert min(classes) < k


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(8, 60),
    t=st.integers(2, 8),
    k=st.integers(2, 6),
    neighbours=st.integers(1, 7),
    relative=st.booleans(),
    trend=st.sampled_from([0.0, 0.4]),
    levels=st.sampled_from([0, 0, 4, 12, 40]),
)
def test_synthetic_equals_giddy(seed, n, t, k, neighbours, relative, trend, levels):
    panel, points = synthetic(seed, n, t, trend, levels)
    try:
        sm = spatial_markov(
            panel, "jobs", k=k, relative=relative, neighbours=neighbours, metros=points
        )
    except InputError as err:
        assert_refusal_is_justified(str(err), panel, points, k, neighbours, relative)
        return
    raw = wide(panel, "jobs")
    y = raw / raw.mean(axis=0) if relative else raw
    np.testing.assert_allclose(sm.y, y, rtol=1e-15)
    assert_same_as_giddy(sm, giddy_of(y, sm, k))
    assert_stationary(sm.steady_state, sm.p)
    for pi, p in zip(sm.lag_steady_states, sm.P, strict=True):
        assert_stationary(pi, p)


def test_class_never_left_adds_no_degree_of_freedom():
    """Every metro grows 10x a step: the top class is reached only in the last year."""
    n, t = 12, 4
    panel, points = synthetic(3, n, t)
    grow = 10.0 ** (panel["year"] - 2000) / 2
    panel = panel.assign(jobs=panel["jobs"] / panel["jobs"].max() + grow)
    sm = spatial_markov(panel, "jobs", k=t, relative=False, neighbours=3, metros=points)
    np.testing.assert_array_equal(sm.classes, np.tile(np.arange(t), (n, 1)))
    assert sm.transitions[t - 1].sum() == 0
    g = giddy_of(wide(panel, "jobs"), sm, t)
    assert_same_as_giddy(sm, g)  # dof: giddy's minus one for the class never left
    assert sm.dof == g.dof_hom - 1


# ------------------------------------------------------------------ steady_state
def test_steady_state_of_small_chains():
    a, b = 0.3, 0.1
    pi = steady_state(np.array([[1 - a, a], [b, 1 - b]]))
    np.testing.assert_allclose(pi, [b / (a + b), a / (a + b)], atol=1e-15)
    # state 0 is transient: it leaks into the closed class {1, 2}
    pi = steady_state(np.array([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8], [0.0, 0.6, 0.4]]))
    np.testing.assert_allclose(pi, [0.0, 0.6 / 1.4, 0.8 / 1.4], atol=1e-15)
    # two closed classes: no unique steady state
    assert np.isnan(steady_state(np.array([[1.0, 0.0], [0.0, 1.0]]))).all()
    # a class never observed as origin and never entered is left out with 0
    pi = steady_state(np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(pi, [0.5, 0.5, 0.0])
    # ... but entered without observed moves out of it: undefined
    assert np.isnan(steady_state(np.array([[0.5, 0.5], [0.0, 0.0]]))).all()


# ------------------------------------------------------------------ bad input
@pytest.fixture(scope="module")
def small(un_panel) -> pd.DataFrame:
    ids = wup_agglomerations(2015, 10_000_000)["metro_id"]
    return un_panel[un_panel["metro_id"].isin(ids) & un_panel["year"].isin(YEARS)].copy()


def test_bad_input_raises_input_error(small):
    n = small["metro_id"].nunique()
    cases = {
        "DataFrame": lambda: spatial_markov(small.to_numpy()),
        "lacks": lambda: spatial_markov(small.drop(columns="year")),
        "lacks the column": lambda: spatial_markov(small, "jobs"),
        "duplicated": lambda: spatial_markov(pd.concat([small, small.iloc[:1]])),
        "unbalanced": lambda: spatial_markov(small.iloc[1:]),
        "NaN": lambda: spatial_markov(
            small.assign(population=small.population.where(small.index != small.index[3]))
        ),
        "negative": lambda: spatial_markov(small.assign(population=-small.population)),
        "numeric": lambda: spatial_markov(small.assign(population="many")),
        "k must be": lambda: spatial_markov(small, k=1),
        "k must be a whole number": lambda: spatial_markov(small, k=True),
        "lower neighbours": lambda: spatial_markov(small, neighbours=n),
        "neighbours|k must": lambda: spatial_markov(small, neighbours=0),
        "distinct": lambda: spatial_markov(small.assign(population=small.year % 2 + 1), k=3),
        "not in the panel": lambda: spatial_markov(small, years=[1950, 1951]),
        "evenly spaced": lambda: spatial_markov(small, years=[1950, 1955, 1965]),
        "at least 2": lambda: spatial_markov(small, years=[1950]),
        "integers": lambda: spatial_markov(small.assign(year=small.year.astype(float))),
        "metros= is needed": lambda: spatial_markov(small.assign(metro_id="x" + small.metro_id)),
        "no location": lambda: spatial_markov(small, metros=wup_agglomerations(2015, 0).iloc[:10]),
        "duplicated metro_id": lambda: spatial_markov(
            small, metros=pd.concat([wup_agglomerations(2015, 0)] * 2)
        ),
        "GeoDataFrame": lambda: spatial_markov(small, metros=pd.DataFrame({"metro_id": []})),
        "projection": lambda: spatial_markov(
            geoai.load_metro_panel(2010, 2020, min_population=10_000_000)
        ),
        "0 for every metro": lambda: spatial_markov(
            small.assign(population=np.where(small.year == 1950, 0, small.population))
        ),
    }
    for message, call in cases.items():
        with pytest.raises(InputError, match=message):
            call()


def test_ties_that_collapse_quantiles_are_refused(small):
    # half the metros at one value: the lower quantiles coincide
    big = small.metro_id.unique()[: small.metro_id.nunique() // 2 + 2]
    tied = small.assign(population=np.where(small.metro_id.isin(big), 1.0, small.population))
    with pytest.raises(InputError, match="collapse"):
        spatial_markov(tied, k=5, relative=False)
