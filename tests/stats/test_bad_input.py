"""Bad input to geoai.stats becomes a geoai error that names the argument and the fix.

Each test is a case that used to give a library traceback or a silent wrong
answer: integers beyond float range (``OverflowError``, or a ``repr`` Python
refuses above 4,300 digits), strings and bools read as numbers, fractional
or negative seeds, a list as a column name, a non-square sparse matrix,
weights under which nobody has a neighbour, values near the float limits
that turned every statistic into NaN, a size Series with repeated labels in
dominant_flows, strings read as numbers by spatial_markov, and
``local_moran(permutations=10**9)``.
"""

from __future__ import annotations

import time
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from geoai import InputError, ResourceError, flows, stats
from geoai.stats import _local

HUGE = 10**5000  # its repr is refused by Python (more than 4,300 digits)


def places(n=10, seed=3, values=None):
    """``n`` points in lon/lat around the Mediterranean, indexed by name, with a column y."""
    rng = np.random.default_rng(seed)
    names = [f"m{i}" for i in range(n)]
    return gpd.GeoDataFrame(
        {"y": rng.lognormal(2, 1, n) if values is None else values},
        geometry=gpd.points_from_xy(rng.uniform(0, 20, n), rng.uniform(36, 46, n)),
        crs=4326,
        index=pd.Index(names, name="name"),
    )


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# --- parameters: NaN, negative, fractional, huge, bool or string -> InputError naming them ----
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 2.5}, r"k must be a whole number; got 2\.5, which would be truncated"),
        ({"k": HUGE}, r"k must be a whole number below 2\*\*63; got an integer of 5001 digits"),
        ({"k": "3"}, r"k must be a whole number; got str '3'"),
        ({"k": True}, r"k must be a whole number; got the bool True"),
        ({"permutations": -1}, r"permutations must be >= 0; got -1; 999 is usual"),
        ({"permutations": 9.5}, r"permutations must be a whole number; got 9\.5"),
        ({"permutations": HUGE}, r"permutations must be a whole number below 2\*\*63"),
        ({"seed": -1}, r"seed must be >= 0; got -1; seeds are ints in \[0, 2\*\*63\)"),
        ({"seed": 1.5}, r"seed must be a whole number; got 1\.5.*e\.g\. 1 or 2"),
        ({"seed": HUGE}, r"seed must be a whole number below 2\*\*63; got an integer of 5001"),
        ({"seed": 2**63}, r"seed must be a whole number below 2\*\*63"),
        ({"fdr": float("nan")}, r"fdr must be a number in \(0, 1\), e\.g\. 0\.05, or None"),
        ({"fdr": HUGE}, r"fdr must be a number in \(0, 1\).*an integer of 5001 digits"),
        ({"fdr": "0.05"}, r"fdr must be a number in \(0, 1\).*got '0\.05'"),
        ({"alpha": 1}, r"alpha must be in \(0, 1\), e\.g\. 0\.05; got 1"),
        ({"alpha": True}, r"alpha must be a number in \(0, 1\)"),
        ({"transform": "x"}, r"unknown transform='x'; expected one of 'r', 'b'"),
    ],
)
def test_local_moran_parameters_are_refused_by_name(kwargs, message):
    with pytest.raises(InputError, match=message):
        quiet(stats.local_moran, places(), "y", **{"k": 3, "permutations": 9, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"star": "yes"}, r"star must be True or False; got 'yes'"),
        ({"seed": -1}, r"seed must be >= 0"),
        ({"transform": "bb"}, r"unknown transform='bb'.* Did you mean 'b'\?"),
    ],
)
def test_getis_ord_parameters_are_refused_by_name(kwargs, message):
    with pytest.raises(InputError, match=message):
        quiet(stats.getis_ord, places(), "y", **{"k": 3, "permutations": 9, **kwargs})


@pytest.mark.parametrize(
    ("distance", "message"),
    [
        (True, r"distance_km must be a finite number; got bool True\. Pass a real number in km"),
        ("2", r"distance_km must be a finite number; got str '2'"),
        (HUGE, r"distance_km must be a finite number; got an integer of 5001 digits, beyond"),
        (-5.0, r"distance_km must be finite and > 0; got -5\.0\. Pass a distance in km"),
    ],
    ids=["bool", "str", "huge", "negative"],
)
def test_weights_distance_band_is_refused_by_name(distance, message):
    with pytest.raises(InputError, match=message):
        stats.weights(places(), distance_km=distance)


def test_fdr_alpha_and_pvalues():
    with pytest.raises(InputError, match=r"alpha must be a number in \(0, 1\).*5001 digits"):
        stats.fdr([0.01, 0.2], HUGE)
    with pytest.raises(InputError, match=r"alpha must be a number in \(0, 1\).*got '0\.05'"):
        stats.fdr([0.01, 0.2], "0.05")
    with pytest.raises(InputError, match=r"pvalues must be numbers"):
        stats.fdr([0.1, HUGE])
    with pytest.raises(InputError, match=r"pvalues must lie in \[0, 1\]"):
        stats.fdr([0.1, 1.5])


def test_a_list_as_column_name_is_an_input_error():
    with pytest.raises(InputError, match=r"column must be a single label.*got the list \['y'\]"):
        stats.local_moran(places(), ["y"], k=3)


def test_a_non_square_sparse_matrix_is_refused():
    w = sp.csr_array(np.ones((10, 11)))
    with pytest.raises(InputError, match=r"sparse weights matrix must be square.*\(10, 11\)"):
        stats.local_moran(places(), "y", weights=w)


# --- data that makes the statistic undefined: a clear error, never a silent all-NaN ---------
def test_weights_under_which_nobody_has_a_neighbour_are_refused():
    w = stats.weights(places(), distance_km=1.0)  # places lie hundreds of km apart
    assert w.islands.all()
    with pytest.raises(InputError, match=r"none of the 10 observations has a neighbour.*larger"):
        stats.local_moran(places(), "y", weights=w, permutations=9)
    with pytest.raises(InputError, match=r"none of the 10 observations has a neighbour"):
        stats.getis_ord(places(), "y", weights=w, permutations=9)


@pytest.mark.parametrize("fn", [stats.local_moran, stats.getis_ord])
def test_constant_and_nan_columns_are_refused(fn):
    with pytest.raises(InputError, match=r"column 'y' is constant.*Pick another column"):
        fn(places(values=np.full(10, 4.0)), "y", k=3)
    values = np.arange(10.0)
    values[4] = np.nan
    with pytest.raises(InputError, match=r"column 'y' has 1 NaN.*drop or fill"):
        fn(places(values=values), "y", k=3)
    with pytest.raises(InputError, match=r"column 'y' must be numeric.*to_numeric"):
        fn(places(values=[str(i) for i in range(10)]), "y", k=3)


def test_getis_g_refuses_a_zero_denominator_and_too_few_observations():
    one = np.zeros(10)
    one[3] = 5.0
    with pytest.raises(InputError, match=r"single nonzero value.*use star=True"):
        stats.getis_ord(places(values=one), "y", k=3, star=False, permutations=9)
    assert np.isfinite(
        quiet(stats.getis_ord, places(values=one), "y", k=3, permutations=9)["G"]
    ).all()
    with pytest.raises(
        InputError, match=r"star=False\) needs at least 3 observations.*got 2\. Pass more"
    ):
        stats.getis_ord(places(2), "y", k=1, star=False, permutations=9)


@given(st.integers(-1000, 1000))
def test_values_near_the_float_limits_give_the_numbers_of_ordinary_values(exponent):
    """Both statistics are scale-free; 2**e * y used to give all-NaN past 1e154 or below 1e-160."""
    y = places()["y"].to_numpy()
    scaled = np.ldexp(y, exponent)
    base = quiet(stats.local_moran, places(values=y), "y", k=3, permutations=19)
    got = quiet(stats.local_moran, places(values=scaled), "y", k=3, permutations=19)
    assert np.isfinite(got["I"]).all()
    pd.testing.assert_frame_equal(got, base)
    g0 = quiet(stats.getis_ord, places(values=y), "y", k=3, permutations=19)
    g1 = quiet(stats.getis_ord, places(values=scaled), "y", k=3, permutations=19)
    assert np.isfinite(g1[["G", "z", "p_norm", "p_sim"]].to_numpy()).all()
    pd.testing.assert_frame_equal(g1, g0)


def test_documented_nan_z_sim_where_every_permutation_is_the_same():
    # n = 3, k = 2: every observation's neighbours are all the others, whatever the draw
    lisa = quiet(stats.local_moran, places(3), "y", k=2, permutations=19, fdr=None)
    assert lisa["z_sim"].isna().all()
    assert np.isfinite(lisa[["I", "p_sim"]].to_numpy()).all()
    assert (lisa["p_sim"] == 1.0).all()  # every draw ties the observed value


def test_documented_nan_z_of_getis_under_binary_weights_covering_everyone():
    gi = quiet(stats.getis_ord, places(4), "y", k=3, transform="b", permutations=19)
    assert gi["z"].isna().all()
    assert gi["p_norm"].isna().all()
    assert np.isfinite(gi[["G", "p_sim"]].to_numpy()).all()
    assert (gi["G"] == 1.0).all()  # every neighbourhood is the whole sample


# --- the memory budget: refused up front, never all-NaN p-values -----------------------------
def test_a_billion_permutations_are_refused_before_the_kernel(monkeypatch):
    monkeypatch.setenv("GEOAI_MEMORY_BUDGET", "1GiB")

    def never(*_args, **_kwargs):
        raise AssertionError("the kernel ran")

    monkeypatch.setattr(_local, "permutation_null", never)
    start = time.perf_counter()
    with pytest.raises(ResourceError, match=r"1,000,000,000 permutations.*fewer permutations"):
        stats.local_moran(places(), "y", k=3, permutations=10**9)
    with pytest.raises(ResourceError, match=r"1,000,000,000 permutations"):
        stats.getis_ord(places(), "y", k=3, permutations=10**9)
    assert time.perf_counter() - start < 5


def test_an_unfinished_kernel_is_a_resource_error_not_nan_p_values(monkeypatch):
    def lost(x, *_args):
        n = x.size
        return np.full(n, -1), np.full(n, -1), np.full(n, np.nan), np.full(n, np.nan)

    monkeypatch.setattr(_local, "permutation_null", lost)
    with pytest.raises(ResourceError, match=r"left 10 of 10 observations unfinished"):
        stats.local_moran(places(), "y", k=3, permutations=99)


# --- dominant_flows ---------------------------------------------------------------------------
def table():
    return pd.DataFrame(
        {"origin": ["a", "b", "c", "c"], "destination": ["b", "c", "a", "b"], "flow": [5, 9, 1, 2]}
    )


def test_dominance_with_a_duplicated_size_index_is_refused():
    size = pd.Series([10.0, 50.0, 100.0, 7.0], index=["a", "b", "c", "a"])
    with pytest.raises(InputError, match=r"size has repeated index labels \(e\.g\. \['a'\]\).*"):
        stats.dominant_flows(table(), size)


@pytest.mark.parametrize(
    ("flows_", "size", "message"),
    [
        ([["0", "x"], ["1", "0"]], [1, 2], r"flows must be numbers"),
        ([[0, HUGE], [1, 0]], [1, 2], r"flows must be numbers"),
        (np.zeros((0, 0)), [], r"flows must be a square \(n, n\) matrix.*\(0, 0\)"),
        ([[0, 1], [2, 0]], "ab", r"size must hold one value per place \(2\); got str"),
        ([[0, 1], [2, 0]], [-1, 2], r"size has 1 negative value"),
        ([[0, 1], [2, 0]], [np.nan, 2], r"size has 1 NaN"),
    ],
)
def test_dominance_refuses_bad_matrices_and_sizes(flows_, size, message):
    with pytest.raises(InputError, match=message):
        stats.dominant_flows(flows_, size)


def test_dominance_refuses_bad_tables():
    size = pd.Series([10.0, 50.0, 100.0], index=["a", "b", "c"])
    with pytest.raises(InputError, match=r"flow column 'flow' must be numeric.*to_numeric"):
        stats.dominant_flows(table().assign(flow=["5", "9", "1", "2"]), size)
    with pytest.raises(InputError, match=r"origin must be a single label"):
        stats.dominant_flows(table(), size, origin=["origin"])
    big = table().assign(flow=1e308)
    with pytest.raises(InputError, match=r"add up beyond the float range"):
        stats.dominant_flows(pd.concat([big, big]), size)


@given(st.permutations(range(6)))
def test_dominance_aligns_a_size_series_to_the_flows_by_label(perm):
    rng = np.random.default_rng(5)
    names = [f"m{i}" for i in range(6)]
    pts = gpd.GeoDataFrame(
        {"population": rng.lognormal(12, 1, 6)},
        geometry=gpd.points_from_xy(rng.uniform(0, 20, 6), rng.uniform(36, 46, 6)),
        crs=4326,
        index=pd.Index(names),
    )
    agg = flows.aggregate(pts, pts["population"], decay="exponential", scale_km=300.0, top_k=1)
    size = pts["population"]
    ref = stats.dominant_flows(agg, size.to_numpy())
    got = stats.dominant_flows(agg, size.iloc[list(perm)])
    pd.testing.assert_frame_equal(got, ref)
    with pytest.raises(InputError, match=r"size must have a value for every place.*reindex"):
        stats.dominant_flows(agg, size.set_axis([f"x{i}" for i in range(6)]))


# --- spatial_markov ---------------------------------------------------------------------------
def panel(n=8, t=6, seed=1):
    rng = np.random.default_rng(seed)
    ids = [f"m{i}" for i in range(n)]
    rows = [(m, 2000 + 5 * j, rng.lognormal(10, 1)) for m in ids for j in range(t)]
    long = pd.DataFrame(rows, columns=["metro_id", "year", "population"])
    metros = gpd.GeoDataFrame(
        {"metro_id": ids},
        geometry=gpd.points_from_xy(rng.uniform(0, 10, n), rng.uniform(40, 50, n)),
        crs=4326,
    )
    return long, metros


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda p: p[p.year == 2000], {}, r"at least 2 metros and 2 years; got 8 metros and 1"),
        (lambda p: p[p.metro_id == "m0"], {}, r"at least 2 metros and 2 years; got 1 metros"),
        (lambda p: p.assign(population=p.population.astype(str)), {}, r"must be numeric"),
        (lambda p: p.assign(population=p.population.astype(object)), {}, r"must be numeric"),
        (lambda p: p.drop(index=3), {}, r"unbalanced panel"),
        (lambda p: p.assign(population=p.population.where(p.index != 3)), {}, r"1 NaN"),
        (None, {"years": ["2000", "2005", "2010"]}, r"years must be a whole number; got str"),
        (None, {"years": [2000.5, 2005]}, r"years must be a whole number; got 2000\.5"),
        (None, {"years": [HUGE]}, r"years must be a whole number below 2\*\*63"),
        (None, {"years": 2000}, r"years must be a list of integers"),
        (None, {"k": 2.5}, r"k must be a whole number; got 2\.5.*number of classes"),
        (None, {"k": HUGE}, r"k must be a whole number below 2\*\*63"),
        (None, {"neighbours": 8}, r"neighbours=8 nearest neighbours need .* lower neighbours"),
        (None, {"neighbours": "3"}, r"neighbours must be a whole number; got str '3'"),
        (None, {"relative": "yes"}, r"relative must be True or False; got 'yes'"),
        (None, {"projections": 0}, r"projections must be True or False; got 0"),
        (None, {"value": ["population"]}, r"value must be a single label"),
    ],
)
def test_spatial_markov_bad_panels_and_options(change, kwargs, message):
    long, metros = panel()
    data = long if change is None else change(long)
    options = {"metros": metros, "k": 3, "neighbours": 3, **kwargs}
    with pytest.raises(InputError, match=message):
        stats.spatial_markov(data, **options)


def test_spatial_markov_is_scale_free_up_to_the_float_limit():
    long, metros = panel()
    base = stats.spatial_markov(long, metros=metros, k=3, neighbours=3)
    huge = long.assign(population=np.ldexp(long.population.to_numpy(), 1000))
    got = stats.spatial_markov(huge, metros=metros, k=3, neighbours=3)
    np.testing.assert_array_equal(got.classes, base.classes)
    np.testing.assert_array_equal(got.P, base.P)
    assert np.isfinite(got.y).all()
