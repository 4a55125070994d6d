"""Spatial-interaction kernels: distances, fused matrix-free sums, top-k, Furness, radiation.

Coordinates are ``(3, n)`` unit vectors when ``geo`` (great-circle km) or
``(2, n)`` planar km otherwise (see :mod:`geoai.kernels.distance`). ``own``
holds each point's own distance for the self pair (i = i); NaN excludes the
self pair. Decay is given by ``(kind, beta, a)`` as in
:mod:`geoai.kernels.decay`.

Each origin row is processed in vectorisable phases on a per-thread buffer:
distances and decay in one fused loop, then the accumulation. Parallel
reductions use per-chunk accumulators: ``n_chunks`` chunks (one per thread)
each own a private output buffer and are summed at the end. The symmetric
kernels cut the pair triangle into cache-sized tiles and give every chunk a
contiguous run of them with an equal share of the pairs
(:mod:`geoai.kernels.triangle`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from geoai.kernels import jit, n_threads
from geoai.kernels.decay import decay_value
from geoai.kernels.distance import coordinate_rows, fill_distances
from geoai.kernels.radiation import radiation_matrix
from geoai.kernels.rows import _decay_row as _decay_row  # noqa: PLC0414 - mypy re-export
from geoai.kernels.triangle import (
    TILE,
    accumulate,
    insert,
    insert_filled,
    merge_rows,
    offer,
    share_start,
)

__all__ = [
    "TOP_K_PRIVATE_BYTES",
    "BalancingFactors",
    "TopK",
    "decay_matrix",
    "distance_matrix",
    "furness_sweep",
    "radiation_matrix",
    "symmetric_matmat",
    "symmetric_matmat_top_k",
    "top_k_rows",
]


#: Largest private top-k tables (bytes, all threads) :func:`top_k_rows` keeps for the triangle.
TOP_K_PRIVATE_BYTES = 2**28


class TopK(NamedTuple):
    """The ``k`` largest entries of every row (see :func:`top_k_rows`), both ``(n, k)``."""

    column: np.ndarray  #: column ``j`` of each entry (int64; -1: none)
    value: np.ndarray  #: the entry (0: none)


class BalancingFactors(NamedTuple):
    """Furness balancing factors of a doubly-constrained model (see :func:`furness_sweep`)."""

    a: np.ndarray  #: origin factors, shape (n_o,)
    b: np.ndarray  #: destination factors, shape (n_d,)


@jit(parallel=True)
def distance_matrix(a: np.ndarray, b: np.ndarray, geo: bool) -> np.ndarray:
    """Dense distances ``(n_a, n_b)`` in km between two point sets.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])  # three planar points (km)
    >>> distance_matrix(x, x, False).tolist()
    [[0.0, 3.0, 4.0], [3.0, 0.0, 5.0], [4.0, 5.0, 0.0]]
    """
    na, nb = a.shape[1], b.shape[1]
    ax, ay, az = coordinate_rows(a)
    bx, by, bz = coordinate_rows(b)
    out = np.empty((na, nb))
    for i in prange(na):
        row = np.empty(nb)
        fill_distances(ax[i], ay[i], az[i], bx, by, bz, 0, nb, geo, row)
        out[i] = row
    return out


@jit(parallel=True)
def decay_matrix(
    x: np.ndarray, geo: bool, own: np.ndarray, kind: int, beta: float, ta: float, out: np.ndarray
) -> np.ndarray:
    """Fill ``out`` ``(n, n)`` (float32/64) with ``f(d_ij)``; diagonal from ``own`` (NaN: 0).

    Examples
    --------
    A 4 km box: who is within 4 km of whom.

    >>> import numpy as np
    >>> from geoai.kernels.decay import BOX, EXPONENTIAL
    >>> x = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])  # three planar points (km)
    >>> own = np.full(3, np.nan)  # no self pairs
    >>> decay_matrix(x, False, own, BOX, 4.0, 0.0, np.empty((3, 3))).tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    """
    n = x.shape[1]
    cx, cy, cz = coordinate_rows(x)
    for i in prange(n):
        row = np.empty(n)
        _decay_row(cx[i], cy[i], cz[i], cx, cy, cz, np.int64(0), n, geo, kind, beta, ta, row)
        row[i] = 0.0 if np.isnan(own[i]) else decay_value(own[i], kind, beta, ta)
        for j in range(n):
            out[i, j] = row[j]
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
    x : ndarray, shape (3, n) or (2, n)
        Unit vectors (``geo``) or planar coordinates in km.
    geo : bool
        Great-circle (True) or planar (False) distances.
    own : ndarray, shape (n,)
        Own distance per point for the diagonal; NaN excludes the self pair.
    kind : int
        Decay function code (see :mod:`geoai.kernels.decay`).
    beta : float
        Its parameter.
    ta : float
        The exponent ``a`` of the Tanner decay (unused by the others).
    v : ndarray, shape (m, n)
        Right-hand vectors, one per row.
    n_chunks : int
        Number of private accumulators (the number of threads).

    Returns
    -------
    ndarray, shape (m, n)
        ``(F @ V.T).T``: row k is ``F @ v[k]``.

    Examples
    --------
    The same products as the dense matrix of :func:`decay_matrix`, whatever ``n_chunks``:

    >>> import numpy as np
    >>> from geoai.kernels.decay import BOX, EXPONENTIAL
    >>> x = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])  # three planar points (km)
    >>> own = np.full(3, np.nan)  # no self pairs
    >>> f = decay_matrix(x, False, own, EXPONENTIAL, 0.1, 0.0, np.empty((3, 3)))
    >>> v = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]])
    >>> bool(np.allclose(symmetric_matmat(x, False, own, EXPONENTIAL, 0.1, 0.0, v, 2), v @ f))
    True
    """
    m, n = v.shape
    cx, cy, cz = coordinate_rows(x)
    nb = (n + TILE - 1) // TILE
    share = (nb * (nb - 1) / 2 + nb / 2) / n_chunks  # work units per chunk (see share_start)
    acc = np.zeros((n_chunks, m, n))
    for c in prange(n_chunks):
        out = np.zeros((m, n))  # private to the chunk (fresh memory: no aliasing)
        buf = np.empty(n)  # f(d_ij) of one tile row, at the columns j of the tile
        bi, bj = share_start(nb, c * share)
        ei, ej = share_start(nb, (c + 1) * share) if c + 1 < n_chunks else (nb, nb)
        while bi < ei or (bi == ei and bj < ej):
            lo = bi * TILE
            stop = min(bj * TILE + TILE, n)
            for i in range(lo, min(lo + TILE, n)):
                start = max(bj * TILE, i + 1)
                if bj == bi and not np.isnan(own[i]):  # the self pair, once
                    fii = decay_value(own[i], kind, beta, ta)
                    for k in range(m):
                        out[k, i] += fii * v[k, i]
                if start >= stop:
                    continue
                _decay_row(cx[i], cy[i], cz[i], cx, cy, cz, start, stop, geo, kind, beta, ta, buf)
                accumulate(buf, v, out, i, start, stop)
            bj += 1
            if bj == nb:
                bi += 1
                bj = bi
        acc[c] = out
    total = np.zeros((m, n))
    for c in range(n_chunks):
        total += acc[c]
    return total


def top_k_rows(
    x: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    ta: float,
    w: np.ndarray,
    k: int,
) -> TopK:
    """Find the ``k`` largest ``w_j f(d_ij)`` of every row, without storing the rows.

    Returns :class:`TopK` ``(column, value)``, both ``(n, k)``, sorted by decreasing value
    (ties keep the lower index first). Missing entries (fewer than ``k``
    candidates) have index -1 and value 0.

    Each unordered pair is evaluated once, in the tiles of
    :func:`symmetric_matmat`, and offered to both rows; every thread keeps its
    own ``(n, k)`` tables, merged at the end. Where those private tables would
    exceed :data:`TOP_K_PRIVATE_BYTES`, each row is evaluated in full instead
    (twice the decay evaluations, no private tables).

    Examples
    --------
    Point 2 weighs ten times the others, so it is the largest partner of 0 and 1:

    >>> import numpy as np
    >>> from geoai.kernels.decay import BOX, EXPONENTIAL
    >>> x = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])  # three planar points (km)
    >>> own = np.full(3, np.nan)  # no self pairs
    >>> w = np.array([1.0, 1.0, 10.0])
    >>> index, value = top_k_rows(x, False, own, EXPONENTIAL, 0.1, 0.0, w, 1)
    >>> index.ravel().tolist(), bool(np.isclose(value[0, 0], 10 * np.exp(-0.4)))
    ([2, 2, 0], True)
    """
    n = x.shape[1]
    n_chunks = n_threads()  # read here, in Python: a kernel reading it could not be cached
    if 16 * n * k * n_chunks > TOP_K_PRIVATE_BYTES:
        return _top_k_full(x, geo, own, kind, beta, ta, w, k)
    return _pairs_top_k(x, geo, own, kind, beta, ta, np.zeros((0, n)), w, k, n_chunks)[1]


def symmetric_matmat_top_k(
    x: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    ta: float,
    v: np.ndarray,
    w: np.ndarray,
    k: int,
    n_chunks: int,
) -> tuple[np.ndarray, TopK]:
    """Return :func:`symmetric_matmat` and :func:`top_k_rows` from one pass over the pairs.

    Arguments as in those two (``v`` ``(m, n)`` the right-hand vectors, ``w`` ``(n,)`` the
    top-k weights). The decay of each pair, evaluated once, feeds both the products and
    the tables: half the evaluations of the two calls. Where the private tables would
    exceed :data:`TOP_K_PRIVATE_BYTES`, the two are computed apart.

    Examples
    --------
    >>> import numpy as np
    >>> from geoai.kernels.decay import EXPONENTIAL
    >>> x = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])  # three planar points (km)
    >>> own, w = np.full(3, np.nan), np.array([1.0, 1.0, 10.0])
    >>> v = np.vstack((w, np.ones(3)))
    >>> products, (index, value) = symmetric_matmat_top_k(x, False, own, EXPONENTIAL, 0.1, 0.0,
    ...                                                   v, w, 2, 2)
    >>> bool(np.allclose(products, symmetric_matmat(x, False, own, EXPONENTIAL, 0.1, 0.0, v, 1)))
    True
    >>> bool((index == top_k_rows(x, False, own, EXPONENTIAL, 0.1, 0.0, w, 2).column).all())
    True
    """
    n = x.shape[1]
    if 16 * n * k * n_chunks > TOP_K_PRIVATE_BYTES:
        products = symmetric_matmat(x, geo, own, kind, beta, ta, v, n_chunks)
        return products, _top_k_full(x, geo, own, kind, beta, ta, w, k)
    return _pairs_top_k(x, geo, own, kind, beta, ta, v, w, k, n_chunks)


@jit(parallel=True)
def _pairs_top_k(
    x: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    ta: float,
    v: np.ndarray,
    w: np.ndarray,
    k: int,
    n_chunks: int,
) -> tuple[np.ndarray, TopK]:
    """:func:`symmetric_matmat_top_k` over the pair triangle, private tables per chunk."""
    m, n = v.shape
    cx, cy, cz = coordinate_rows(x)
    nb = (n + TILE - 1) // TILE
    share = (nb * (nb - 1) / 2 + nb / 2) / n_chunks
    vals = np.zeros((n_chunks, n, k))
    cols = np.full((n_chunks, n, k), -1, dtype=np.int64)
    acc = np.zeros((n_chunks, m, n))
    for c in prange(n_chunks):
        out = np.zeros((m, n))
        val = vals[c]
        col = cols[c]
        floor = np.zeros(n)  # the k-th value of each row of this chunk's table
        buf = np.empty(n)
        bi, bj = share_start(nb, c * share)
        ei, ej = share_start(nb, (c + 1) * share) if c + 1 < n_chunks else (nb, nb)
        while bi < ei or (bi == ei and bj < ej):
            lo = bi * TILE
            stop = min(bj * TILE + TILE, n)
            for i in range(lo, min(lo + TILE, n)):
                start = max(bj * TILE, i + 1)
                if bj == bi and not np.isnan(own[i]):
                    fii = decay_value(own[i], kind, beta, ta)
                    for r in range(m):
                        out[r, i] += fii * v[r, i]
                    if w[i] * fii > 0.0:
                        insert(val[i], col[i], w[i] * fii, i)
                        floor[i] = val[i, k - 1]
                if start >= stop:
                    continue
                _decay_row(cx[i], cy[i], cz[i], cx, cy, cz, start, stop, geo, kind, beta, ta, buf)
                accumulate(buf, v, out, i, start, stop)
                offer(buf, w, i, start, stop, val, col, floor)
            bj += 1
            if bj == nb:
                bi += 1
                bj = bi
        acc[c] = out
    idx = np.full((n, k), -1, dtype=np.int64)
    value = np.zeros((n, k))
    for r in prange(n):
        merge_rows(vals, cols, np.int64(r), value[r], idx[r])
    total = np.zeros((m, n))
    for c in range(n_chunks):
        total += acc[c]
    return total, TopK(idx, value)


@jit(parallel=True)
def _top_k_full(
    x: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    ta: float,
    w: np.ndarray,
    k: int,
) -> TopK:
    """:func:`top_k_rows` row by row, every pair evaluated from both sides (O(n k) memory)."""
    n = x.shape[1]
    cx, cy, cz = coordinate_rows(x)
    idx = np.full((n, k), -1, dtype=np.int64)
    val = np.zeros((n, k))
    for i in prange(n):
        row = np.empty(n)
        _decay_row(cx[i], cy[i], cz[i], cx, cy, cz, np.int64(0), n, geo, kind, beta, ta, row)
        row[i] = 0.0 if np.isnan(own[i]) else decay_value(own[i], kind, beta, ta)
        vi = val[i]
        ii = idx[i]
        filled = 0
        for j in range(n):
            t = w[j] * row[j]
            if t <= 0.0 or (filled == k and t <= vi[k - 1]):
                continue
            filled = insert_filled(vi, ii, filled, t, j)
    return TopK(idx, val)


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
) -> BalancingFactors:
    """One Furness (IPF) sweep of a doubly-constrained model ``T_ij = a_i O_i b_j D_j f_ij``.

    Given the destination factors ``b``, sets the origin factors ``a`` so
    that the row totals match ``O`` exactly, then returns new destination
    factors matching the column totals ``D``.

    Parameters
    ----------
    f : ndarray, shape (n_o, n_d), float32 or float64
        Deterrence ``f(c_ij)`` (zero where no interaction is possible).
    outflows : ndarray, shape (n_o,)
        Row totals ``O``.
    inflows : ndarray, shape (n_d,)
        Column totals ``D``.
    b : ndarray, shape (n_d,)
        Current destination factors.
    n_chunks : int
        Private accumulators for the column pass (the number of threads).

    Returns
    -------
    a : ndarray, shape (n_o,)
        Origin factors; 0 where the outflow is 0 and ``inf`` where a positive
        outflow reaches no partner.
    b_new : ndarray, shape (n_d,)
        The updated destination factors, likewise.

    Both come as one :class:`BalancingFactors` named tuple ``(a, b)``.

    Examples
    --------
    Repeated sweeps converge to flows that match both margins:

    >>> import numpy as np
    >>> f = np.array([[1.0, 0.5], [0.2, 1.0]])
    >>> o, d, b = np.array([10.0, 5.0]), np.array([8.0, 7.0]), np.ones(2)
    >>> for _ in range(50):
    ...     a, b = furness_sweep(f, o, d, b, 1)
    >>> t = (a * o)[:, None] * f * (b * d)[None, :]
    >>> t.sum(axis=1).round(9).tolist(), t.sum(axis=0).round(9).tolist()
    ([10.0, 5.0], [8.0, 7.0])
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
    return BalancingFactors(a, b_new)
