"""Flows on a Dask cluster (geoai.flows._cluster) and its tile kernels (geoai.kernels.blocks).

The tile kernels are checked against a dense NumPy reference; the cluster path
against the single-process kernels, to 1e-12 relative, on local clusters.
"""

from __future__ import annotations

import logging
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoai import BackendUnavailableError, InputError, flows
from geoai._geodesy import kernel_points
from geoai.flows import _cluster as fc
from geoai.flows._aggregate import _furness_recompute
from geoai.flows._models import _decay_spec
from geoai.kernels import blocks as kb
from geoai.kernels import interaction as ki
from geoai.kernels import n_threads
from geoai.kernels.decay import BOX, EXPONENTIAL, GAUSSIAN, POWER, TANNER
from tests.reference import decay_ref, haversine_km

distributed = pytest.importorskip("distributed")

#: (kernel spec, reference name and beta) for every decay form
SPECS = [
    ((POWER, 2.0, 0.0), ("power", 2.0)),
    ((POWER, 1.7, 0.0), ("power", 1.7)),
    ((EXPONENTIAL, 0.01, 0.0), ("exponential", 0.01)),
    ((GAUSSIAN, 1e-5, 0.0), ("gaussian", 1e-5)),
    ((TANNER, 0.005, -0.5), ("tanner", (-0.5, 0.005))),
    ((BOX, 300.0, 0.0), ("box", 300.0)),
]


# ------------------------------------------------------------ NumPy references
def places(n, *, geo, seed=0):
    """Random places: (coordinates for the kernels, dense distances in km by a textbook formula)."""
    rng = np.random.default_rng(seed)
    if geo:
        lon, lat = rng.uniform(-12, 12, n), rng.uniform(38, 52, n)
        lam, phi = np.radians(lon), np.radians(lat)
        x = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
        d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    else:
        x = rng.uniform(0, 800, (2, n))
        d = np.hypot(x[0][:, None] - x[0][None, :], x[1][:, None] - x[1][None, :])
    return np.ascontiguousarray(x), d


def dense_f(d, own, ref):
    """``f(d_ij)``, the diagonal from ``own`` (NaN: 0)."""
    f = decay_ref(d, *ref)
    diag = np.where(np.isnan(own), 0.0, decay_ref(np.nan_to_num(own, nan=1.0), *ref))
    np.fill_diagonal(f, diag)
    return f


def top_k_ref(t, k):
    """Rows' ``k`` largest positive entries: decreasing value, ties by increasing column."""
    n = t.shape[0]
    idx, val = np.full((n, k), -1), np.zeros((n, k))
    for r in range(n):
        cols = np.flatnonzero(t[r] > 0)
        order = cols[np.lexsort((cols, -t[r, cols]))][:k]
        idx[r, : order.size], val[r, : order.size] = order, t[r, order]
    return idx, val


# ------------------------------------------------------------ tile kernels
@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(("spec", "ref"), SPECS)
def test_block_matmat_is_the_dense_tile_product(geo, spec, ref):
    n = 23
    x, d = places(n, geo=geo, seed=1)
    own = np.where(np.arange(n) % 3 == 0, np.nan, 4.0)
    f = dense_f(d, own, ref)
    v = np.random.default_rng(2).uniform(0.5, 2.0, (2, n))
    io = np.array([0, 3, 4, 9, 15, 22])  # overlaps jd: self pairs 3, 9, 22 (3 and 9 have NaN own)
    jd = np.array([1, 3, 5, 9, 10, 11, 22])
    out = kb.block_matmat(x[:, io], x[:, jd], io, jd, geo, own[io], *spec, v[:, jd].copy())
    np.testing.assert_allclose(out, v[:, jd] @ f[np.ix_(io, jd)].T, rtol=1e-11, atol=0)
    # a diagonal tile by its triangle, self pairs included
    tri = np.arange(4, 15)
    out = kb.block_triangle_matmat(x[:, tri], geo, own[tri], *spec, v[:, tri].copy())
    np.testing.assert_allclose(out, v[:, tri] @ f[np.ix_(tri, tri)].T, rtol=1e-11, atol=0)
    # the pair kernel on two disjoint blocks gives the tile and its transpose
    a, b = np.array([0, 2, 4, 6]), np.array([1, 5, 7, 8, 20])
    out_a, out_b = kb.block_pair_matmat(
        x[:, a], x[:, b], geo, *spec, v[:, a].copy(), v[:, b].copy()
    )
    np.testing.assert_allclose(out_a, v[:, b] @ f[np.ix_(a, b)].T, rtol=1e-11, atol=0)
    np.testing.assert_allclose(out_b, v[:, a] @ f[np.ix_(a, b)], rtol=1e-11, atol=0)


@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(("spec", "ref"), [SPECS[1], SPECS[4], SPECS[5]])
def test_block_top_k_is_the_dense_tiles_top_k(geo, spec, ref):
    n = 30
    x, d = places(n, geo=geo, seed=3)
    own = np.full(n, 2.0)
    f = dense_f(d, own, ref)
    w = np.random.default_rng(4).uniform(0.1, 3.0, n)
    io, jd = np.arange(5, 17), np.arange(10, 30)
    for k in (1, 4, 25):  # 25 > the tile's 20 columns: the rest is -1 / 0
        col, val = kb.block_top_k(x[:, io], x[:, jd], io, jd, geo, own[io], *spec, w[jd], k)
        want_col, want_val = top_k_ref(f[np.ix_(io, jd)] * w[jd], k)
        valid = want_col >= 0
        np.testing.assert_array_equal(col, np.where(valid, jd[np.maximum(want_col, 0)], -1))
        np.testing.assert_allclose(val, want_val, rtol=1e-11, atol=0)
    # two disjoint blocks: both blocks' tables from one pass over the pairs
    a, b = np.arange(0, 12), np.arange(12, 30)
    for k in (1, 5, 15):  # 15 > the first block's 12 points
        got_a, got_b = kb.block_pair_top_k(
            x[:, a], x[:, b], a, b, geo, *spec, w[a].copy(), w[b].copy(), k
        )
        for got, rows, cols in ((got_a, a, b), (got_b, b, a)):
            want_col, want_val = top_k_ref(f[np.ix_(rows, cols)] * w[cols], k)
            valid = want_col >= 0
            np.testing.assert_array_equal(
                got.column, np.where(valid, cols[np.maximum(want_col, 0)], -1)
            )
            np.testing.assert_allclose(got.value, want_val, rtol=1e-11, atol=0)


@given(
    st.integers(1, 6),
    st.lists(st.integers(0, 4), min_size=1, max_size=40),
    st.randoms(use_true_random=False),
)
def test_merge_top_k_is_the_top_k_of_the_union(k, values, rnd):
    """Tables of disjoint column sets merge to the table of all columns, whatever the order."""
    t = np.array(values, dtype=float)[None, :]  # small integers: many ties, and zeros
    cols = list(range(t.shape[1]))
    rnd.shuffle(cols)
    cut = rnd.randint(0, len(cols))
    parts = []
    for chosen in (sorted(cols[:cut]), sorted(cols[cut:])):
        masked = np.zeros_like(t)
        masked[0, chosen] = t[0, chosen]
        parts.append(top_k_ref(masked, k))
    (ia, va), (ib, vb) = parts
    want = top_k_ref(t, k)
    for got in (kb.merge_top_k(ia, va, ib, vb), kb.merge_top_k(ib, vb, ia, va)):
        np.testing.assert_array_equal(got.column, want[0])
        np.testing.assert_array_equal(got.value, want[1])


def test_block_size_aims_at_tiles_per_thread():
    for n, threads in [(20_000, 2), (3_000, 8), (10**6, 64), (10**7, 4)]:
        b = fc.block_size(n, threads)
        assert fc.MIN_BLOCK <= b <= fc.MAX_BLOCK
        sides = -(-n // b)
        if fc.MIN_BLOCK < b < fc.MAX_BLOCK:  # unclamped: enough tiles for every thread
            assert sides * (sides + 1) // 2 >= fc.TILES_PER_THREAD * threads
    assert fc.block_size(10, 4) == 10  # never more than n


def test_compensated_sums_do_not_depend_on_the_order():
    """Tiles finish in any order: the compensated total agrees to the last place or so."""
    rng = np.random.default_rng(5)
    parts = [rng.lognormal(0, 4, (2, 50)) for _ in range(200)]  # wide dynamic range
    totals = []
    for seed in range(8):
        acc = fc._Compensated(2, 50)
        for p in np.random.default_rng(seed).permutation(len(parts)):
            acc.add(0, 50, parts[p])
        totals.append(acc.value())
    stacked = np.stack(parts)  # (tiles, 2, 50)
    exact = np.array(
        [[float(sum(map(Fraction, stacked[:, r, c]))) for c in range(50)] for r in range(2)]
    )
    for got in totals:  # within two units in the last place of the exact sum
        np.testing.assert_allclose(got, exact, rtol=4.5e-16, atol=0)
    acc = fc._Compensated(1, 2)  # an infinite share (f(0) of a power decay) stays infinite
    acc.add(0, 2, np.array([[np.inf, 1.0]]))
    acc.add(0, 2, np.array([[1.0, 2.0]]))
    assert acc.value().tolist() == [[np.inf, 3.0]]


# ------------------------------------------------------------ on a cluster
@pytest.fixture(scope="module")
def client():
    """Two single-threaded workers in this process (fast to start)."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as c,
    ):
        yield c


def kernel_places(n, *, geo, seed=0):
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-10, 10, n), rng.uniform(40, 50, n)
    if geo:
        return kernel_points((lon, lat), crs=4326)
    return kernel_points((lon * 80_000.0, lat * 110_000.0), crs=3035)


def relative_error(got, want):
    scale = np.where(want == 0, 1.0, np.abs(want))
    return float(np.max(np.abs(got - want) / scale))


@pytest.mark.jit_heavy
@pytest.mark.parametrize("geo", [True, False])
@pytest.mark.parametrize(("spec", "ref"), SPECS)
def test_cluster_matmat_equals_the_threaded_kernel(client, geo, spec, ref):
    del ref
    n = 403  # not a multiple of the block
    pts = kernel_places(n, geo=geo, seed=6)
    v = np.random.default_rng(7).uniform(0.0, 5.0, (2, n))
    for own in (np.full(n, np.nan), np.random.default_rng(8).uniform(1, 9, n)):
        want = ki.symmetric_matmat(pts.xyz, pts.geo, own, *spec, v, n_threads())
        got = fc.cluster_matmat(pts, own, spec, v, scheduler=client, block=97, progress=False)
        assert got.shape == (2, n)
        assert relative_error(got, want) <= 1e-12


def test_cluster_matmat_small_and_by_address(client):
    """A small case (also run with the JIT off), the client given by its address."""
    n = 41
    pts = kernel_places(n, geo=True, seed=9)
    own = np.where(np.arange(n) % 2 == 0, 3.0, np.nan)
    spec = (POWER, 1.7, 0.0)
    v = np.random.default_rng(10).uniform(0.0, 5.0, (1, n))
    want = ki.symmetric_matmat(pts.xyz, pts.geo, own, *spec, v, 2)
    address = client.scheduler.address
    for block in (7, n, 1000):  # several tiles, one tile, a block larger than n
        got = fc.cluster_matmat(pts, own, spec, v, scheduler=address, block=block, progress=False)
        assert relative_error(got, want) <= 1e-12


@pytest.mark.parametrize("geo", [True, False])
def test_cluster_top_k_equals_top_k_rows(client, geo):
    n = 60 if geo else 49  # planar: a 7 x 7 lattice with equal weights, so ties everywhere
    if geo:
        pts = kernel_places(n, geo=True, seed=11)
        w = np.random.default_rng(12).uniform(0.0, 3.0, n)
        w[::7] = 0.0  # zero weights: never a candidate
    else:
        gx, gy = np.meshgrid(np.arange(7.0), np.arange(7.0))
        pts = kernel_points((gx.ravel() * 10_000, gy.ravel() * 10_000), crs=3035)
        w = np.ones(n)
    own = np.where(np.arange(n) % 4 == 0, 1.0, np.nan)
    spec = (EXPONENTIAL, 0.05, 0.0)
    for k, block in ((3, 13), (20, 9), (n, 25)):  # k above the block, k = n
        want = ki.top_k_rows(pts.xyz, pts.geo, own, *spec, w, k)
        idx, val = fc.cluster_top_k(pts, own, spec, w, k, scheduler=client, block=block)
        np.testing.assert_array_equal(idx, want.column)
        np.testing.assert_allclose(val, want.value, rtol=1e-12, atol=0)
    idx, val = fc.cluster_top_k(pts, own, spec, w, 0, scheduler=client)
    assert idx.shape == val.shape == (n, 0)


def test_cluster_furness_equals_the_single_process_one(client):
    n = 80
    pts = kernel_places(n, geo=True, seed=13)
    rng = np.random.default_rng(14)
    o, d = rng.lognormal(3, 1, n), rng.lognormal(3, 1, n)
    d *= o.sum() / d.sum()
    own = np.full(n, 5.0)
    spec = _decay_spec("exponential", None, 150.0)
    want = _furness_recompute(pts, own=own, spec=spec, o=o, d=d, tol=1e-10, max_iter=500)
    got = fc.cluster_furness(
        pts, own, spec, o, d, tol=1e-10, max_iter=500, scheduler=client, block=23
    )
    assert got[2] == want[2]  # same sweeps
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10)
    assert got[3] <= 1e-10


def test_no_scheduler_uses_the_current_client(client, monkeypatch):
    def no_cluster(*_args, **_kwargs):
        raise AssertionError("a LocalCluster was started although a client is current")

    monkeypatch.setattr(distributed, "LocalCluster", no_cluster)
    pts = kernel_places(20, geo=False, seed=15)
    own, spec, v = np.full(20, np.nan), (GAUSSIAN, 1e-4, 0.0), np.ones((1, 20))
    want = ki.symmetric_matmat(pts.xyz, pts.geo, own, *spec, v, 2)
    with distributed.Client(client.scheduler.address):  # the current client from here
        got = fc.cluster_matmat(pts, own, spec, v, scheduler=None, progress=False)
    assert relative_error(got, want) <= 1e-12


@pytest.mark.slow
@pytest.mark.jit_heavy
def test_default_local_cluster_of_worker_processes(monkeypatch):
    """scheduler=None and no client: a LocalCluster of processes, started and closed."""
    monkeypatch.setattr(fc, "usable_cores", lambda: 2)
    n = 300
    pts = kernel_places(n, geo=True, seed=16)
    own, spec = np.full(n, 2.0), (POWER, 1.7, 0.0)
    v = np.random.default_rng(17).uniform(0, 1, (2, n))
    got = fc.cluster_matmat(pts, own, spec, v, scheduler=None, block=70, progress=True)
    want = ki.symmetric_matmat(pts.xyz, pts.geo, own, *spec, v, 2)
    assert relative_error(got, want) <= 1e-12
    with pytest.raises(ValueError, match="No global client"):
        distributed.get_client()  # the cluster's client was closed with it


# ------------------------------------------------------------ bad input
def test_bad_scheduler_and_block_give_geoai_errors():
    pts = kernel_places(10, geo=True)
    own, spec, v = np.full(10, np.nan), (POWER, 2.0, 0.0), np.ones((1, 10))
    with pytest.raises(InputError, match="has no port"):
        fc.cluster_matmat(pts, own, spec, v, scheduler="tcp://10.0.0.5")
    with pytest.raises(InputError, match="local Dask scheduler"):
        fc.cluster_top_k(pts, own, spec, v[0], 2, scheduler="threads")
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BackendUnavailableError, match="no Dask scheduler answered"):
        fc.cluster_matmat(pts, own, spec, v, scheduler=f"tcp://127.0.0.1:{port}")
    with pytest.raises(InputError, match="block"):
        fc.cluster_matmat(pts, own, spec, v, scheduler=None, block=0)
    with pytest.raises(InputError, match="vec has shape"):
        fc.cluster_matmat(pts, own, spec, np.ones(10), scheduler=None)


def test_missing_distributed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    pts = kernel_places(10, geo=True)
    with pytest.raises(BackendUnavailableError, match=r"geoai\[dask\]"):
        fc.cluster_matmat(pts, np.full(10, np.nan), (POWER, 2.0, 0.0), np.ones((1, 10)),
                          scheduler=None)  # fmt: skip


# ------------------------------------------------------------ through the public API
@pytest.mark.jit_heavy
def test_aggregate_method_dask_equals_the_default(client):
    """End to end, once flows.aggregate takes method="dask" (wired in _aggregate.py)."""
    n = 150
    rng = np.random.default_rng(18)
    lon, lat, m = rng.uniform(-10, 10, n), rng.uniform(40, 50, n), rng.lognormal(10, 1, n)
    kw = {"crs": 4326, "decay": "power", "beta": 1.7, "top_k": 4, "own_distance": 3.0}
    for constraint in ("none", "production"):
        want = flows.aggregate((lon, lat), m, constraint=constraint, **kw)
        with distributed.Client(client.scheduler.address):  # current: scheduler=None uses it
            got = flows.aggregate((lon, lat), m, constraint=constraint, method="dask", **kw)
        for name in ("outflow", "inflow"):
            assert relative_error(getattr(got, name), getattr(want, name)) <= 1e-12
        np.testing.assert_array_equal(got.top_index, want.top_index)
        np.testing.assert_allclose(got.top_flow, want.top_flow, rtol=1e-12)


@pytest.mark.jit_heavy
def test_balance_matrix_free_method_dask_equals_the_default(client):
    """Furness with each sweep's two products on the cluster, through the public API."""
    n = 120
    rng = np.random.default_rng(19)
    lon, lat = rng.uniform(-10, 10, n), rng.uniform(40, 50, n)
    o = rng.lognormal(5, 1, n)
    d = rng.lognormal(5, 1, n)
    d *= o.sum() / d.sum()
    kw = {"crs": 4326, "decay": "exponential", "scale_km": 200.0, "storage": "recompute"}
    want = flows.balance_matrix_free((lon, lat), o, d, tol=1e-9, **kw)
    got = flows.balance_matrix_free(  # by address: connected within geoai's 5 s timeout
        (lon, lat), o, d, tol=1e-9, method="dask", scheduler=client.scheduler.address, **kw
    )
    assert got.n_iter == want.n_iter
    np.testing.assert_allclose(got.a, want.a, rtol=1e-10)
    np.testing.assert_allclose(got.b, want.b, rtol=1e-10)
