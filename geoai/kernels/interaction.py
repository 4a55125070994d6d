"""Spatial-interaction kernels: distances, fused matrix-free sums, top-k, Furness, radiation.

Coordinates come in one of two forms, chosen by the boolean ``geo``:
unit vectors ``(n, 3)`` (great-circle distances in km) or planar coordinates
``(n, 2)`` already in km. ``own`` holds each point's own distance for the
self pair (i = i); NaN excludes the self pair. Decay is given by
``(kind, beta, a)`` as in :mod:`geoai.kernels.decay`.

Parallel reductions use per-chunk accumulators: ``n_chunks`` chunks (one per
thread) each own a private output buffer, rows are dealt to chunks round-robin
so triangular loops stay balanced, and the buffers are summed at the end.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from geoai.kernels import jit
from geoai.kernels.decay import decay_value
from geoai.kernels.distance import euclidean_km, great_circle_km

__all__ = [
    "decay_matrix",
    "distance_matrix",
    "furness_sweep",
    "radiation_matrix",
    "symmetric_matmat",
    "top_k_rows",
]


@jit(inline="always")
def _distance(a: np.ndarray, i: int, b: np.ndarray, j: int, geo: bool) -> float:
    if geo:
        return great_circle_km(a, i, b, j)
    return euclidean_km(a, i, b, j)


@jit(parallel=True)
def distance_matrix(a: np.ndarray, b: np.ndarray, geo: bool) -> np.ndarray:
    """Dense distances ``(n_a, n_b)`` in km between two point sets."""
    na, nb = a.shape[0], b.shape[0]
    out = np.empty((na, nb))
    for i in prange(na):
        for j in range(nb):
            out[i, j] = _distance(a, i, b, j, geo)
    return out


@jit(parallel=True)
def decay_matrix(
    x: np.ndarray, geo: bool, own: np.ndarray, kind: int, beta: float, ta: float, out: np.ndarray
) -> np.ndarray:
    """Fill ``out`` ``(n, n)`` (float32/64) with ``f(d_ij)``; diagonal from ``own`` (NaN: 0)."""
    n = x.shape[0]
    for i in prange(n):
        for j in range(n):
            if i == j:
                out[i, j] = 0.0 if np.isnan(own[i]) else decay_value(own[i], kind, beta, ta)
            else:
                out[i, j] = decay_value(_distance(x, i, x, j, geo), kind, beta, ta)
    return out


@jit(parallel=True)
def symmetric_matmat(
    x: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    ta: float,
    v: np.ndarray,
    n_chunks: int,
) -> np.ndarray:
    """``F @ V`` for the symmetric decay matrix ``F_ij = f(d_ij)``, never stored.

    Each unordered pair is evaluated once and contributes to both rows.

    Parameters
    ----------
    x : ndarray, shape (n, 3) or (n, 2)
        Unit vectors (``geo``) or planar coordinates in km.
    geo : bool
        Great-circle (True) or planar (False) distances.
    own : ndarray, shape (n,)
        Own distance per point for the diagonal; NaN excludes the self pair.
    kind, beta, ta : int, float, float
        Decay function (see :mod:`geoai.kernels.decay`).
    v : ndarray, shape (n, m)
        Right-hand vectors.
    n_chunks : int
        Number of private accumulators (the number of threads).

    Returns
    -------
    ndarray, shape (n, m)
    """
    n, m = v.shape
    acc = np.zeros((n_chunks, n, m))
    for c in prange(n_chunks):
        out = acc[c]
        for i in range(c, n, n_chunks):
            if not np.isnan(own[i]):
                fii = decay_value(own[i], kind, beta, ta)
                for k in range(m):
                    out[i, k] += fii * v[i, k]
            for j in range(i + 1, n):
                f = decay_value(_distance(x, i, x, j, geo), kind, beta, ta)
                for k in range(m):
                    out[i, k] += f * v[j, k]
                    out[j, k] += f * v[i, k]
    total = np.zeros((n, m))
    for c in range(n_chunks):
        total += acc[c]
    return total


@jit(parallel=True)
def top_k_rows(
    x: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    ta: float,
    w: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Find the ``k`` largest ``w_j f(d_ij)`` of every row, without storing the row.

    Returns ``(index, value)``, both ``(n, k)``, sorted by decreasing value
    (ties keep the lower index first). Missing entries (fewer than ``k``
    candidates) have index -1 and value 0.
    """
    n = x.shape[0]
    idx = np.full((n, k), -1, dtype=np.int64)
    val = np.zeros((n, k))
    for i in prange(n):
        vi = val[i]
        ii = idx[i]
        filled = 0
        for j in range(n):
            if j == i:
                if np.isnan(own[i]):
                    continue
                t = w[j] * decay_value(own[i], kind, beta, ta)
            else:
                t = w[j] * decay_value(_distance(x, i, x, j, geo), kind, beta, ta)
            if t <= 0.0:
                continue
            if filled == k and t <= vi[k - 1]:
                continue
            # insertion into the sorted row (strictly greater moves ahead: stable ties)
            p = filled if filled < k else k - 1
            while p > 0 and vi[p - 1] < t:
                if p < k:
                    vi[p] = vi[p - 1]
                    ii[p] = ii[p - 1]
                p -= 1
            vi[p] = t
            ii[p] = j
            if filled < k:
                filled += 1
    return idx, val


@jit(parallel=True)
def _row_products(f: np.ndarray, v: np.ndarray) -> np.ndarray:
    n = f.shape[0]
    out = np.empty(n)
    for i in prange(n):
        s = 0.0
        for j in range(f.shape[1]):
            s += f[i, j] * v[j]
        out[i] = s
    return out


@jit(parallel=True)
def _column_products(f: np.ndarray, u: np.ndarray, n_chunks: int) -> np.ndarray:
    n, m = f.shape
    acc = np.zeros((n_chunks, m))
    for c in prange(n_chunks):
        out = acc[c]
        for i in range(c, n, n_chunks):
            ui = u[i]
            if ui == 0.0:
                continue
            for j in range(m):
                out[j] += f[i, j] * ui
    total = np.zeros(m)
    for c in range(n_chunks):
        total += acc[c]
    return total


@jit()
def furness_sweep(
    f: np.ndarray,
    outflows: np.ndarray,
    inflows: np.ndarray,
    b: np.ndarray,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One Furness (IPF) sweep of a doubly-constrained model ``T_ij = a_i O_i b_j D_j f_ij``.

    Given the destination factors ``b``, sets the origin factors ``a`` so
    that the row totals match ``O`` exactly, then returns new destination
    factors matching the column totals ``D``.

    Parameters
    ----------
    f : ndarray, shape (n_o, n_d), float32 or float64
        Deterrence ``f(c_ij)`` (zero where no interaction is possible).
    outflows, inflows : ndarray
        Row and column totals ``O`` (n_o,) and ``D`` (n_d,).
    b : ndarray, shape (n_d,)
        Current destination factors.
    n_chunks : int
        Private accumulators for the column pass (the number of threads).

    Returns
    -------
    a, b_new : ndarray
        Origin factors and the updated destination factors; a factor is 0
        where its margin is 0 and ``inf`` where a positive margin reaches no
        partner.
    """
    row = _row_products(f, b * inflows)
    a = np.zeros(f.shape[0])
    for i in range(a.size):
        if outflows[i] > 0.0:
            a[i] = 1.0 / row[i] if row[i] > 0.0 else np.inf
    col = _column_products(f, np.where(np.isinf(a), 0.0, a) * outflows, n_chunks)
    b_new = np.zeros(b.size)
    for j in range(b.size):
        if inflows[j] > 0.0:
            b_new[j] = 1.0 / col[j] if col[j] > 0.0 else np.inf
    return a, b_new


@jit(parallel=True)
def radiation_matrix(x: np.ndarray, geo: bool, mass: np.ndarray, outflows: np.ndarray,
                     finite_size: bool) -> np.ndarray:  # fmt: skip
    """Radiation-model flows ``(n, n)`` (Simini et al. 2012).

    ``T_ij = O_i m_i m_j / ((m_i + s_ij)(m_i + m_j + s_ij))`` with ``s_ij`` the
    mass strictly closer to ``i`` than ``j`` is, excluding ``i`` and ``j``.
    Distances of each origin are sorted once (``O(n log n)`` per row). With
    ``finite_size`` rows are divided by ``1 - m_i / M`` (Masucci et al. 2013)
    so they sum to ``O_i`` exactly.
    """
    n = x.shape[0]
    total = mass.sum()
    out = np.zeros((n, n))
    for i in prange(n):
        d = np.empty(n)
        for j in range(n):
            d[j] = _distance(x, i, x, j, geo) if j != i else -1.0
        order = np.argsort(d)
        mi = mass[i]
        scale = outflows[i]
        if finite_size:
            rest = 1.0 - mi / total
            scale = scale / rest if rest > 0.0 else 0.0
        closer = 0.0  # mass strictly closer than the current distance group
        p = 1  # order[0] is i itself (distance -1)
        while p < n:
            q = p
            group = 0.0
            while q < n and d[order[q]] == d[order[p]]:
                group += mass[order[q]]
                q += 1
            for r in range(p, q):
                j = order[r]
                mj = mass[j]
                denom = (mi + closer) * (mi + mj + closer)
                out[i, j] = scale * mi * mj / denom if denom > 0.0 else 0.0
            closer += group
            p = q
    return out
