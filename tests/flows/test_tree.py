"""The tree code of flows.aggregate (rtol > 0): certified bounds, exact top-k, wiring."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoai import InputError, flows
from geoai._geodesy import kernel_points
from geoai.flows import _tree
from geoai.kernels import interaction as ki
from geoai.kernels import n_threads
from geoai.kernels import tree as kt
from geoai.kernels import tree_dual as kd
from geoai.kernels import tree_sums as ks
from geoai.kernels.decay import BOX, EXPONENTIAL, GAUSSIAN, KINDS, POWER, TANNER

SLACK = 1e-12  # rounding of the sums (the bound is an exact-arithmetic one)


def cloud(n, *, seed, geo, layout):
    """``n`` distinct places: uniform, clustered (a few tight towns) or on a grid (ties)."""
    rng = np.random.default_rng(seed)
    if layout == "grid":
        side = int(np.ceil(np.sqrt(n)))
        gx, gy = np.meshgrid(np.arange(side), np.arange(side))
        x, y = gx.ravel()[:n] * 1.0, gy.ravel()[:n] * 1.0
    elif layout == "clustered":
        centres = rng.uniform(0, 20, (max(n // 60, 2), 2))
        pick = rng.integers(0, len(centres), n)
        x = centres[pick, 0] + rng.normal(0, 0.3, n)
        y = centres[pick, 1] + rng.normal(0, 0.3, n)
    else:
        x, y = rng.uniform(0, 20, n), rng.uniform(0, 20, n)
    if geo:  # degrees, about 2,200 km across
        return kernel_points((x - 10.0, y + 30.0), crs=4326)
    return kernel_points((x * 111e3, y * 111e3), crs=3857)


def masses(n, rng, style):
    if style == "ties":
        return np.tile([1.0, 2.0, 2.0, 5.0], n // 4 + 1)[:n]
    w = rng.lognormal(0, 1.5, n)
    if style == "zeros":
        w[rng.random(n) < 0.4] = 0.0
    return w


def spec_of(kind, rng):
    """A decay whose scale fits the ~2,000 km clouds."""
    scale = float(np.exp(rng.uniform(np.log(30.0), np.log(800.0))))
    if kind == POWER:
        return POWER, float(rng.uniform(0.5, 3.0)), 0.0
    if kind == EXPONENTIAL:
        return EXPONENTIAL, 1.0 / scale, 0.0
    if kind == GAUSSIAN:
        return GAUSSIAN, 1.0 / (2.0 * scale**2), 0.0
    if kind == TANNER:
        return TANNER, 1.0 / scale, float(rng.uniform(-2.0, 2.0))
    return BOX, 3.0 * scale, 0.0


def check_bounds(pts, own, spec, v, rtol, leaf):
    """Tree against the exact kernel: measured <= certified bound <= rtol, per origin and row."""
    tree = _tree.build(pts, leaf)
    value, bound = _tree.tree_matmat(tree, own, spec, v, rtol)
    exact = ki.symmetric_matmat(pts.xyz, pts.geo, own, *spec, v, 2)
    assert np.all(np.isfinite(bound))
    assert np.all(bound >= 0.0)
    assert np.all(bound <= rtol)
    assert np.all(np.abs(value - exact) <= (bound + SLACK) * exact + 1e-300)
    mo = kt.node_moments(tree.tree, v)
    args = (tree.tree, mo, np.arange(pts.n), pts.geo, own, *spec, rtol, tree.eps, 2)
    # one walk per origin; one per group of <= 32 points (the default), of 128 or of a leaf;
    # with the multipoles of level 3 (power and exponential); without the local level
    walks = (
        kd.dual_matmat(*args, 32),
        kd.dual_matmat(*args, 128),
        kd.dual_matmat(*args, 1),
        kd.dual_matmat(*args, 32, 6),
        kd.dual_matmat(*args, 32, 0, False),  # noqa: FBT003 - positional (the no-JIT twin)
    )
    for raw in (ks.tree_matmat(*args), *walks):
        assert np.all(raw.lower <= exact * (1 + SLACK) + 1e-300)
        assert np.all(raw.error <= rtol * raw.lower * (1 + SLACK))
        assert np.all(np.abs(raw.value - exact) <= raw.error + SLACK * exact + 1e-300)
    return value, bound, exact


@pytest.mark.jit_heavy
@given(
    n=st.integers(2, 700),
    seed=st.integers(0, 2**31),
    geo=st.booleans(),
    layout=st.sampled_from(["uniform", "clustered", "grid"]),
    kind=st.sampled_from(sorted(KINDS.values())),
    style=st.sampled_from(["lognormal", "zeros", "ties"]),
    log_rtol=st.floats(np.log(1e-6), np.log(1e-1)),
    leaf=st.sampled_from([1, 4, 16]),
    own_km=st.sampled_from([None, 2.0]),
)
def test_measured_error_never_exceeds_the_certified_bound(
    n, seed, geo, layout, kind, style, log_rtol, leaf, own_km
):
    rng = np.random.default_rng(seed)
    pts = cloud(n, seed=seed, geo=geo, layout=layout)
    spec = spec_of(kind, rng)
    own = np.full(n, np.nan if own_km is None else own_km)
    v = np.vstack((masses(n, rng, style), masses(n, rng, "lognormal")))
    check_bounds(pts, own, spec, v, float(np.exp(log_rtol)), leaf)


@pytest.mark.jit_heavy
@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(
    "spec",
    [(POWER, 1.7, 0.0), (EXPONENTIAL, 1 / 300, 0.0), (GAUSSIAN, 1e-5, 0.0), (TANNER, 0.01, -0.5)],
)
def test_two_thousand_places_are_approximated_within_the_bound(geo, spec):
    pts = cloud(2000, seed=7, geo=geo, layout="clustered")
    v = np.random.default_rng(1).lognormal(0, 1, (2, 2000))
    value, bound, exact = check_bounds(pts, np.full(2000, np.nan), spec, v, 1e-4, 16)
    assert bound.max() > 0.0  # nodes were approximated, not all summed exactly
    assert np.abs(value - exact).max() > 0.0


def test_small_cloud_within_bound_for_every_kind():
    """The same property on a few fixed cases (small enough to run with the JIT off)."""
    rng = np.random.default_rng(3)
    for kind in sorted(KINDS.values()):
        for geo in (True, False):
            pts = cloud(40, seed=kind, geo=geo, layout="clustered")
            v = rng.lognormal(0, 1, (2, 40))
            check_bounds(pts, np.full(40, np.nan), spec_of(kind, rng), v, 1e-2, 2)


def test_origins_subset_gives_the_same_rows():
    pts = cloud(80, seed=2, geo=True, layout="uniform")
    own = np.full(80, np.nan)
    v = np.random.default_rng(0).lognormal(0, 1, (1, 80))
    tree = _tree.build(pts, 4)
    full, fb = _tree.tree_matmat(tree, own, (POWER, 2.0, 0.0), v, 1e-3)
    rows = np.array([79, 5, 17, 5])
    part, pb = _tree.tree_matmat(tree, own, (POWER, 2.0, 0.0), v, 1e-3, origins=rows)
    assert np.array_equal(part, full[:, rows])
    assert np.array_equal(pb, fb[:, rows])


def test_equal_rows_walk_once_with_the_same_result():
    pts = cloud(300, seed=4, geo=True, layout="clustered")
    own = np.full(300, np.nan)
    w = np.random.default_rng(2).lognormal(0, 1, 300)
    tree = _tree.build(pts, 8)
    spec = (POWER, 1.7, 0.0)
    v = np.vstack((w, w, w[::-1]))
    val, bound = _tree.tree_matmat(tree, own, spec, v, 1e-4)
    raw = kd.dual_matmat(
        tree.tree, kt.node_moments(tree.tree, v), np.arange(300), tree.geo, own, *spec, 1e-4,
        tree.eps, 2, _tree.TARGET_SIZE,
    )  # fmt: skip
    assert np.array_equal(val, raw.value)  # the deduplicated walk is the full one
    assert np.array_equal(bound, np.minimum(raw.error / raw.lower, 1e-4))
    assert np.array_equal(val[0], val[1])


@given(
    n=st.integers(1, 300),
    leaf=st.integers(1, 20),
    group=st.integers(1, 80),
    seed=st.integers(0, 99),
)
def test_target_groups_partition_the_origins(n, leaf, group, seed):
    rng = np.random.default_rng(seed)
    tree = kt.build_tree(rng.uniform(0, 10, (2, n)), leaf)
    origins = rng.integers(0, n, rng.integers(0, 2 * n))
    order, target, first = kd.target_groups(tree, origins, group)
    assert np.array_equal(np.sort(order), np.arange(origins.size))
    assert first[0] == 0
    assert first[-1] == origins.size
    assert np.all(np.diff(first) > 0)
    assert np.unique(target).size == target.size
    for g, t in enumerate(target):
        size = tree.stop[t] - tree.start[t]
        assert size <= group or tree.left[t] < 0
        if t > 0:  # the largest such node: its parent is bigger than a group
            parent = np.flatnonzero((tree.left == t) | (tree.left == t - 1))[0]
            assert tree.stop[parent] - tree.start[parent] > group
        pos = tree.pos[origins[order[first[g] : first[g + 1]]]]
        assert np.all((tree.start[t] <= pos) & (pos < tree.stop[t]))


@given(n=st.integers(1, 200), leaf=st.integers(1, 9), seed=st.integers(0, 99))
def test_exact_leaves_merge_into_the_same_positions(n, leaf, seed):
    rng = np.random.default_rng(seed)
    tree = kt.build_tree(rng.uniform(0, 10, (2, n)), leaf)
    leaves = np.flatnonzero(tree.left < 0)
    pick = rng.permutation(leaves)[: rng.integers(0, leaves.size + 1)]
    runs = np.empty((2, tree.left.size), np.int64)
    n_runs = kd._runs(tree, pick, pick.size, runs)
    got = np.concatenate([np.arange(s, e) for s, e in runs[:, :n_runs].T] or [np.zeros(0, int)])
    want = np.sort(np.concatenate([np.arange(tree.start[q], tree.stop[q]) for q in pick] or [[]]))
    assert np.array_equal(got, want)  # sorted, disjoint, the same positions
    starts, stops = runs[0, :n_runs], runs[1, :n_runs]
    assert np.all(starts[1:] > stops[:-1])  # adjacent runs were merged


@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize("kind", sorted(KINDS.values()))
def test_top_k_equals_the_exact_kernel_with_ties(geo, kind):
    rng = np.random.default_rng(kind)
    pts = cloud(64, seed=kind, geo=geo, layout="grid")  # equal distances everywhere
    own = np.where(rng.random(64) < 0.5, 1.0, np.nan)
    w = masses(64, rng, "ties")
    w[::7] = 0.0
    spec = spec_of(kind, rng)
    for k in (1, 5, 64):
        idx, val = _tree.tree_top_k(_tree.build(pts, 4), own, spec, w, k)
        ref = ki.top_k_rows(pts.xyz, pts.geo, own, *spec, w, k)
        assert np.array_equal(idx, ref.column)
        assert np.array_equal(val, ref.value)


def world(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-10, 10, n), rng.uniform(35, 45, n), rng.lognormal(10, 1, n)


def test_rtol_zero_is_the_exact_path_bit_for_bit():
    lon, lat, m = world(150)
    pts = kernel_points((lon, lat), crs=4326)
    res = flows.aggregate((lon, lat), m, crs=4326, decay="power", beta=1.7, top_k=3)
    r = ki.symmetric_matmat(
        pts.xyz, pts.geo, np.full(150, np.nan), POWER, 1.7, 0.0, np.vstack((m, m)), n_threads()
    )
    assert np.array_equal(res.outflow, m * r[0])
    assert np.array_equal(res.inflow, m * r[1])
    assert res.attrs == {"method": "exact", "rtol": 0.0}
    assert res.bound is not None
    assert not res.bound.any()
    frame = res.to_frame()
    assert frame.attrs == res.attrs


@pytest.mark.jit_heavy
@pytest.mark.parametrize("decay", ["power", "exponential"])
def test_tree_aggregate_within_bound_and_top_k_exact(decay):
    lon, lat, m = world(1500, seed=4)
    kw = {"crs": 4326, "decay": decay, "top_k": 4, "own_distance": 3.0}
    kw |= {"beta": 2.0} if decay == "power" else {"scale_km": 200}
    exact = flows.aggregate((lon, lat), m, **kw)
    tree = flows.aggregate((lon, lat), m, rtol=1e-3, **kw)
    assert tree.attrs["method"] == "tree"
    assert tree.attrs["rtol"] == 1e-3
    assert tree.attrs["max_bound"] == tree.bound.max() <= 1e-3
    for got, ref in ((tree.outflow, exact.outflow), (tree.inflow, exact.inflow)):
        assert np.all(np.abs(got - ref) <= (tree.bound + SLACK) * ref)
    assert np.array_equal(tree.top_index, exact.top_index)
    assert np.array_equal(tree.top_flow, exact.top_flow)
    assert tree.to_frame().attrs["max_bound"] == tree.attrs["max_bound"]


@pytest.mark.jit_heavy
def test_production_constrained_rows_sum_to_outflows():
    lon, lat, m = world(1200, seed=5)
    kw = {"crs": 4326, "decay": "exponential", "scale_km": 150, "constraint": "production"}
    exact = flows.aggregate((lon, lat), m, top_k=2, **kw)
    tree = flows.aggregate((lon, lat), m, top_k=2, rtol=3e-3, **kw)
    assert np.array_equal(tree.outflow, m)
    assert tree.bound.max() <= 3e-3
    # sum_j T_ij = o_i s_i / s~_i: every row, and so the inflows' total, within the bound
    assert abs(tree.inflow.sum() - m.sum()) <= tree.attrs["max_bound"] * m.sum() * (1 + 1e-9)
    assert np.all(np.abs(tree.inflow - exact.inflow) <= (tree.bound + SLACK) * exact.inflow)
    assert np.array_equal(tree.top_index, exact.top_index)
    rel = np.abs(tree.top_flow - exact.top_flow) / exact.top_flow
    assert np.all(rel <= tree.bound[:, None] + SLACK)


def test_production_bound_composes_within_rtol():
    rng = np.random.default_rng(0)
    for rtol in (1e-6, 1e-3, 0.3, 0.99):
        first, second = rng.uniform(0, rtol / 3, (2, 50))
        row, inflow = _tree.production_bound(first, second)
        assert np.all(row <= rtol)
        assert np.all(inflow <= rtol)


@pytest.mark.jit_heavy
def test_balance_with_the_tree_matches_its_margins():
    lon, lat, m = world(600, seed=6)
    d = m[::-1] * (m.sum() / m[::-1].sum())
    kw = {"crs": 4326, "decay": "exponential", "scale_km": 300, "tol": 1e-6}
    exact = flows.balance_matrix_free((lon, lat), m, d, storage="recompute", **kw)
    tree = flows.balance_matrix_free((lon, lat), m, d, rtol=1e-4, **kw)
    assert tree.storage == "recompute"
    assert tree.attrs["method"] == "tree"
    assert 0.0 <= tree.attrs["max_bound"] <= 1e-4
    assert tree.residual <= 1e-6
    # the factors balance a within-1e-4 operator: a_i b_j agree to a few times rtol
    ab_exact = np.outer(exact.a, exact.b)[:50, :50]
    ab_tree = np.outer(tree.a, tree.b)[:50, :50]
    assert np.abs(ab_tree / ab_exact - 1).max() < 1e-2
    assert exact.attrs == {"method": "exact", "rtol": 0.0}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rtol": -0.1}, "rtol must be >= 0"),
        ({"rtol": 1.0}, "rtol must be >= 0"),
        ({"rtol": 1e-13}, "below what the tree can certify"),
        ({"rtol": float("nan")}, "rtol must be a finite number"),
        ({"rtol": "1e-4"}, "rtol must be a finite number"),
        ({"method": "gpu"}, "method"),
        ({"scheduler": "tcp://127.0.0.1:8786"}, "only used with method='dask'"),
        ({"rtol": 1e-3, "method": "dask"}, "not available yet"),
    ],
)
def test_bad_options_raise_input_error(kwargs, match):
    lon, lat, m = world(20)
    with pytest.raises(InputError, match=match):
        flows.aggregate((lon, lat), m, crs=4326, **kwargs)


def test_balance_refuses_float32_with_the_tree():
    lon, lat, m = world(20)
    with pytest.raises(InputError, match="storage='float32'"):
        flows.balance_matrix_free((lon, lat), m, m, crs=4326, storage="float32", rtol=1e-3)
