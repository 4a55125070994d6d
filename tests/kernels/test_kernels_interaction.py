"""The symmetric pair kernels against dense NumPy references.

:func:`symmetric_matmat` evaluates each unordered pair once, in tiles of the pair
triangle shared among chunks (:mod:`geoai.kernels.triangle`); the references build
the whole decay matrix with NumPy's own ``arcsin``, ``exp`` and powers.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoai.kernels import interaction as ki
from geoai.kernels.decay import KINDS
from geoai.kernels.distance import EARTH_RADIUS_KM
from geoai.kernels.interaction import symmetric_matmat, top_k_rows
from geoai.kernels.triangle import TILE, share_start

ki_full = ki._top_k_full

#: Decay parameters per kind on the scales of the test points (km): a few km to 2,000 km.
BETA = {"power": 1.7, "exponential": 1 / 300, "gaussian": 1 / 5e5, "tanner": 1 / 400, "box": 0.0}


def _points(n: int, seed: int, *, geo: bool) -> np.ndarray:
    """``n`` distinct points: unit vectors ``(3, n)`` in a 40° cap, or planar km ``(2, n)``."""
    rng = np.random.default_rng(seed)
    lon = np.radians(rng.uniform(-20.0, 20.0, n))
    lat = np.radians(rng.uniform(30.0, 50.0, n))
    if not geo:
        return np.vstack((lon * EARTH_RADIUS_KM, lat * EARTH_RADIUS_KM))
    return np.vstack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def _distances(x: np.ndarray, *, geo: bool) -> np.ndarray:
    """Dense distances (km) by NumPy: the chord's arc on the sphere, or Euclidean."""
    diff = x[:, :, None] - x[:, None, :]
    length = np.sqrt((diff**2).sum(axis=0))
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(length / 2.0, 1.0)) if geo else length


def _decay(d: np.ndarray, kind: str, beta: float, a: float) -> np.ndarray:
    """The module table of :mod:`geoai.kernels.decay`, written with NumPy."""
    with np.errstate(divide="ignore"):
        if kind == "power":
            return d**-beta
        if kind == "exponential":
            return np.exp(-beta * d)
        if kind == "gaussian":
            return np.exp(-beta * d * d)
        if kind == "tanner":
            return d**a * np.exp(-beta * d)
    return (d <= beta).astype(float)


def _dense(x, geo, own, kind, beta, a):
    d = _distances(x, geo=geo)
    np.fill_diagonal(d, np.where(np.isnan(own), 1.0, own))
    f = _decay(d, kind, beta, a)
    np.fill_diagonal(f, np.where(np.isnan(own), 0.0, np.diagonal(f)))
    return f


def _box_cut(x: np.ndarray, *, geo: bool) -> float:
    """A box cut-off halfway between two pair distances, so no pair sits on the edge."""
    d = np.unique(_distances(x, geo=geo)[np.triu_indices(x.shape[1], 1)])
    mid = d.size // 2
    return float((d[mid] + d[mid + 1]) / 2) if d.size > 1 else 1.0


def _check_products(n, m, seed, geo, kind, a, n_chunks, own_km):
    x = _points(n, seed, geo=geo)
    beta = _box_cut(x, geo=geo) if kind == "box" else BETA[kind]
    rng = np.random.default_rng(seed + 1)
    v = rng.uniform(-1.0, 3.0, (m, n)) * (rng.random((m, n)) > 0.2)  # signs and zeros
    own = np.full(n, np.nan) if own_km is None else rng.uniform(0.5, 2.0, n) * own_km
    got = symmetric_matmat(x, geo, own, KINDS[kind], beta, a, v, n_chunks)
    f = _dense(x, geo, own, kind, beta, a)
    want = v @ f  # f is symmetric: row k of the result is F @ v[k]
    scale = np.abs(v) @ f  # the sum of magnitudes bounds the rounding error
    assert got.shape == (m, n)
    np.testing.assert_array_less(np.abs(got - want), 1e-12 * scale + 1e-300)


@given(
    n=st.integers(1, 40),
    m=st.integers(1, 3),
    seed=st.integers(0, 2**16),
    geo=st.booleans(),
    kind=st.sampled_from(sorted(KINDS)),
    a=st.sampled_from([-1.0, 0.0, 0.7]),
    n_chunks=st.integers(1, 5),
    own_km=st.sampled_from([None, 3.0]),
)
def test_symmetric_matmat_equals_dense(n, m, seed, geo, kind, a, n_chunks, own_km):
    """Every pair once, both rows, self pairs from ``own``: small n (one tile)."""
    _check_products(n, m, seed, geo, kind, a, n_chunks, own_km)


@pytest.mark.jit_heavy
@given(
    n=st.integers(TILE - 3, 3 * TILE + 5),
    m=st.integers(1, 3),
    seed=st.integers(0, 2**16),
    geo=st.booleans(),
    kind=st.sampled_from(sorted(KINDS)),
    n_chunks=st.sampled_from([1, 2, 3, 7]),
)
def test_symmetric_matmat_equals_dense_across_tiles(n, m, seed, geo, kind, n_chunks):
    """Several tiles, partial last tiles, and chunk boundaries inside tile rows."""
    _check_products(n, m, seed, geo, kind, -0.5, n_chunks, None)


def _tiles_of_chunks(nb: int, n_chunks: int) -> list[list[tuple[int, int]]]:
    """The tiles each chunk visits, walked as symmetric_matmat walks them."""
    share = (nb * (nb - 1) / 2 + nb / 2) / n_chunks
    out = []
    for c in range(n_chunks):
        bi, bj = share_start(nb, c * share)
        ei, ej = share_start(nb, (c + 1) * share) if c + 1 < n_chunks else (nb, nb)
        tiles = []
        while bi < ei or (bi == ei and bj < ej):
            tiles.append((bi, bj))
            bj += 1
            if bj == nb:
                bi += 1
                bj = bi
        out.append(tiles)
    return out


@given(nb=st.integers(1, 60), n_chunks=st.integers(1, 12))
def test_chunks_cover_the_triangle_once_in_equal_shares(nb, n_chunks):
    chunks = _tiles_of_chunks(nb, n_chunks)
    visited = [t for tiles in chunks for t in tiles]
    assert sorted(visited) == [(i, j) for i in range(nb) for j in range(i, nb)]
    work = [sum(0.5 if i == j else 1.0 for i, j in tiles) for tiles in chunks]
    total = nb * nb / 2
    assert max(work) - total / n_chunks <= 1.0  # no chunk more than one tile over its share


def _top_k_reference(x, geo, own, kind, beta, a, w, k):
    """Sorted by decreasing value, ties by increasing column; -1 / 0 where no candidate."""
    t = _dense(x, geo, own, kind, beta, a) * w[None, :]
    n = t.shape[0]
    idx = np.full((n, k), -1)
    val = np.zeros((n, k))
    for i in range(n):
        cand = np.flatnonzero(t[i] > 0)
        order = cand[np.lexsort((cand, -t[i, cand]))][:k]
        idx[i, : order.size] = order
        val[i, : order.size] = t[i, order]
    return idx, val


@given(
    n=st.integers(1, 40),
    k=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    geo=st.booleans(),
    kind=st.sampled_from(sorted(KINDS)),
    own_km=st.sampled_from([None, 3.0]),
    ties=st.booleans(),
)
def test_top_k_rows_equals_sorted_dense_rows(n, k, seed, geo, kind, own_km, ties):
    x = _points(n, seed, geo=geo)
    if ties:  # points on a regular planar grid: many equal distances
        side = int(np.ceil(np.sqrt(n)))
        g = np.arange(n)
        x = np.vstack(((g % side) * 10.0, (g // side) * 10.0))
        geo = False
    beta = _box_cut(x, geo=geo) if kind == "box" else BETA[kind]
    rng = np.random.default_rng(seed + 2)
    w = np.ones(n) if ties else rng.uniform(0.0, 2.0, n) * (rng.random(n) > 0.2)
    own = np.full(n, np.nan) if own_km is None else np.full(n, own_km)
    idx, val = top_k_rows(x, geo, own, KINDS[kind], beta, -0.5, w, k)
    ref_idx, ref_val = _top_k_reference(x, geo, own, kind, beta, -0.5, w, k)
    np.testing.assert_allclose(val, ref_val, rtol=1e-12, atol=0)
    if ties:  # exactly equal values: the order of columns must be the reference's
        assert (idx == ref_idx).all()
    else:  # values from two libms may swap near-ties; the columns must carry the values
        taken = idx >= 0
        assert (taken == (ref_idx >= 0)).all()
        rows = np.nonzero(taken)[0]
        dense = _dense(x, geo, own, kind, beta, -0.5) * w[None, :]
        np.testing.assert_allclose(dense[rows, idx[taken]], val[taken], rtol=1e-12)


@pytest.mark.jit_heavy
@given(
    n=st.integers(TILE - 3, 2 * TILE + 5),
    k=st.integers(1, 8),
    seed=st.integers(0, 2**16),
    kind=st.sampled_from(sorted(KINDS)),
    n_chunks=st.sampled_from([1, 2, 3, 5]),
)
def test_top_k_triangle_equals_full_rows_across_tiles(n, k, seed, kind, n_chunks):
    """The triangle with private tables gives exactly the row-by-row tables (same f(d) bits).

    The fused products equal :func:`symmetric_matmat`'s (same pairs, same tiles).
    """
    x = _points(n, seed, geo=True)
    beta = _box_cut(x, geo=True) if kind == "box" else BETA[kind]
    rng = np.random.default_rng(seed + 3)
    w = np.round(rng.uniform(0.0, 3.0, n))  # whole weights: ties between equal products
    own = np.full(n, np.nan)
    own[::7] = 2.0
    args = (x, True, own, KINDS[kind], beta, -0.5, w, k)
    v = np.vstack((w, np.sqrt(w + 1.0), -w))  # three right-hand vectors: a pair and one more
    products, (tri_idx, tri_val) = ki.symmetric_matmat_top_k(*args[:6], v, w, k, n_chunks)
    full_idx, full_val = ki._top_k_full(*args)
    assert (tri_idx == full_idx).all()
    assert (tri_val == full_val).all()
    alone = symmetric_matmat(*args[:6], v, n_chunks)
    np.testing.assert_allclose(products, alone, rtol=1e-13, atol=1e-13 * np.abs(alone).max())


def test_top_k_rows_falls_back_to_full_rows(monkeypatch):
    """Tables too large for one copy per thread: the row-by-row path, same answer."""
    x = _points(30, 4, geo=False)
    w = np.linspace(0.0, 2.0, 30)
    own = np.full(30, np.nan)
    args = (x, False, own, KINDS["exponential"], 1 / 300, 0.0, w, 4)
    idx, val = top_k_rows(*args)
    monkeypatch.setattr(ki, "TOP_K_PRIVATE_BYTES", 0)
    calls = []
    monkeypatch.setattr(ki, "_top_k_full", lambda *a: calls.append(a) or ki_full(*a))
    idx2, val2 = top_k_rows(*args)
    assert len(calls) == 1
    assert (idx == idx2).all()
    assert (val == val2).all()
