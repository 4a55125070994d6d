"""Spatial-interaction kernels: distances, fused matrix-free sums, top-k, Furness, radiation.

Coordinates are ``(3, n)`` unit vectors when ``geo`` (great-circle km) or
``(2, n)`` planar km otherwise (see :mod:`geoai.kernels.distance`). ``own``
holds each point's own distance for the self pair (i = i); NaN excludes the
self pair. Decay is given by ``(kind, beta, a)`` as in
:mod:`geoai.kernels.decay`.

Each origin row is processed in vectorisable phases on a per-thread buffer:
distances, then decay in place, then the accumulation. Parallel reductions
use per-chunk accumulators: ``n_chunks`` chunks (one per thread) each own a
private output buffer, rows are dealt to chunks round-robin so triangular
loops stay balanced, and the buffers are summed at the end.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from geoai.kernels import jit
from geoai.kernels.decay import (
    EXPONENTIAL,
    GAUSSIAN,
    POWER,
    TANNER,
    decay_value,
)
from geoai.kernels.distance import chord_to_km, coordinate_rows, fill_distances
from geoai.kernels.fastmath import fast_exp, fast_log

__all__ = [
    "BalancingFactors",
    "TopK",
    "decay_matrix",
    "distance_matrix",
    "furness_sweep",
    "radiation_matrix",
    "symmetric_matmat",
    "top_k_rows",
]


class TopK(NamedTuple):
    """The ``k`` largest entries of every row (see :func:`top_k_rows`), both ``(n, k)``."""

    column: np.ndarray  #: column ``j`` of each entry (int64; -1: none)
    value: np.ndarray  #: the entry (0: none)


class BalancingFactors(NamedTuple):
    """Furness balancing factors of a doubly-constrained model (see :func:`furness_sweep`)."""

    a: np.ndarray  #: origin factors, shape (n_o,)
    b: np.ndarray  #: destination factors, shape (n_d,)


@jit(inline="always")
def _great_circle(
    px: float, py: float, pz: float, bx: np.ndarray, by: np.ndarray, bz: np.ndarray, j: int
) -> float:
    dx = px - bx[j]
    dy = py - by[j]
    dz = pz - bz[j]
    return chord_to_km(np.sqrt(dx * dx + dy * dy + dz * dz))


@jit(inline="always")
def _planar(px: float, py: float, bx: np.ndarray, by: np.ndarray, j: int) -> float:
    dx = px - bx[j]
    dy = py - by[j]
    return np.sqrt(dx * dx + dy * dy)


@jit()
def _decay_row(
    px: float,
    py: float,
    pz: float,
    cx: np.ndarray,
    cy: np.ndarray,
    cz: np.ndarray,
    start: int,
    stop: int,
    geo: bool,
    kind: int,
    beta: float,
    a: float,
    out: np.ndarray,
) -> None:
    """Write ``f(d)`` from point ``(px, py, pz)`` to points ``start:stop`` into ``out``.

    Distance and decay are fused in one loop per geometry and kind, with both
    choices made outside the loop: each loop is then straight-line arithmetic
    that LLVM vectorises, about twice as fast as a distance pass followed by
    a decay pass (:func:`~geoai.kernels.decay.apply_decay`, used where rows are
    not the hot loop).
    """
    if geo:
        _decay_row_sphere(px, py, pz, cx, cy, cz, start, stop, kind, beta, a, out)
    else:
        _decay_row_plane(px, py, cx, cy, start, stop, kind, beta, a, out)


@jit()
def _decay_row_sphere(
    px: float,
    py: float,
    pz: float,
    bx: np.ndarray,
    by: np.ndarray,
    bz: np.ndarray,
    start: int,
    stop: int,
    kind: int,
    beta: float,
    a: float,
    out: np.ndarray,
) -> None:
    """:func:`_decay_row` for unit vectors (great-circle km)."""
    zero = np.inf if a < 0.0 else (1.0 if a == 0.0 else 0.0)  # tanner at d = 0
    if kind == POWER and beta == 2.0:
        for j in range(start, stop):
            d = _great_circle(px, py, pz, bx, by, bz, j)
            out[j] = 1.0 / (d * d)
    elif kind == POWER and beta == 1.0:
        for j in range(start, stop):
            out[j] = 1.0 / _great_circle(px, py, pz, bx, by, bz, j)
    elif kind == POWER:
        for j in range(start, stop):
            d = _great_circle(px, py, pz, bx, by, bz, j)
            f = fast_exp(-beta * fast_log(d))
            out[j] = np.inf if d == 0.0 else f
    elif kind == EXPONENTIAL:
        for j in range(start, stop):
            out[j] = fast_exp(-beta * _great_circle(px, py, pz, bx, by, bz, j))
    elif kind == GAUSSIAN:
        for j in range(start, stop):
            d = _great_circle(px, py, pz, bx, by, bz, j)
            out[j] = fast_exp(-beta * d * d)
    elif kind == TANNER:
        for j in range(start, stop):
            d = _great_circle(px, py, pz, bx, by, bz, j)
            f = fast_exp(a * fast_log(d) - beta * d)
            out[j] = zero if d == 0.0 else f
    else:
        for j in range(start, stop):
            out[j] = 1.0 if _great_circle(px, py, pz, bx, by, bz, j) <= beta else 0.0


@jit()
def _decay_row_plane(
    px: float,
    py: float,
    bx: np.ndarray,
    by: np.ndarray,
    start: int,
    stop: int,
    kind: int,
    beta: float,
    a: float,
    out: np.ndarray,
) -> None:
    """:func:`_decay_row` for planar coordinates (km)."""
    zero = np.inf if a < 0.0 else (1.0 if a == 0.0 else 0.0)  # tanner at d = 0
    if kind == POWER and beta == 2.0:
        for j in range(start, stop):
            d = _planar(px, py, bx, by, j)
            out[j] = 1.0 / (d * d)
    elif kind == POWER and beta == 1.0:
        for j in range(start, stop):
            out[j] = 1.0 / _planar(px, py, bx, by, j)
    elif kind == POWER:
        for j in range(start, stop):
            d = _planar(px, py, bx, by, j)
            f = fast_exp(-beta * fast_log(d))
            out[j] = np.inf if d == 0.0 else f
    elif kind == EXPONENTIAL:
        for j in range(start, stop):
            out[j] = fast_exp(-beta * _planar(px, py, bx, by, j))
    elif kind == GAUSSIAN:
        for j in range(start, stop):
            d = _planar(px, py, bx, by, j)
            out[j] = fast_exp(-beta * d * d)
    elif kind == TANNER:
        for j in range(start, stop):
            d = _planar(px, py, bx, by, j)
            f = fast_exp(a * fast_log(d) - beta * d)
            out[j] = zero if d == 0.0 else f
    else:
        for j in range(start, stop):
            out[j] = 1.0 if _planar(px, py, bx, by, j) <= beta else 0.0


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
        _decay_row(cx[i], cy[i], cz[i], cx, cy, cz, 0, n, geo, kind, beta, ta, row)
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
    acc = np.zeros((n_chunks, m, n))
    for c in prange(n_chunks):
        out = np.zeros((m, n))  # private to the chunk (fresh memory: no aliasing)
        vv = v.copy()
        buf = np.empty(n)
        for i in range(c, n, n_chunks):
            if not np.isnan(own[i]):
                fii = decay_value(own[i], kind, beta, ta)
                for k in range(m):
                    out[k, i] += fii * vv[k, i]
            _decay_row(cx[i], cy[i], cz[i], cx, cy, cz, i + 1, n, geo, kind, beta, ta, buf)
            for k in range(m):
                vk = vv[k]
                ok = out[k]
                vik = vk[i]
                s = 0.0
                for j in range(i + 1, n):
                    s += buf[j] * vk[j]
                    ok[j] += buf[j] * vik
                ok[i] += s
        acc[c] = out
    total = np.zeros((m, n))
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
) -> TopK:
    """Find the ``k`` largest ``w_j f(d_ij)`` of every row, without storing the rows.

    Returns :class:`TopK` ``(column, value)``, both ``(n, k)``, sorted by decreasing value
    (ties keep the lower index first). Missing entries (fewer than ``k``
    candidates) have index -1 and value 0.

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
    cx, cy, cz = coordinate_rows(x)
    idx = np.full((n, k), -1, dtype=np.int64)
    val = np.zeros((n, k))
    for i in prange(n):
        row = np.empty(n)
        _decay_row(cx[i], cy[i], cz[i], cx, cy, cz, 0, n, geo, kind, beta, ta, row)
        row[i] = 0.0 if np.isnan(own[i]) else decay_value(own[i], kind, beta, ta)
        vi = val[i]
        ii = idx[i]
        filled = 0
        for j in range(n):
            t = w[j] * row[j]
            if t <= 0.0 or (filled == k and t <= vi[k - 1]):
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
            filled = min(filled + 1, k)
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


@jit(parallel=True)
def radiation_matrix(
    x: np.ndarray, geo: bool, mass: np.ndarray, outflows: np.ndarray, finite_size: bool
) -> np.ndarray:
    """Radiation-model flows ``(n, n)`` (Simini et al. 2012).

    ``T_ij = O_i m_i m_j / ((m_i + s_ij)(m_i + m_j + s_ij))`` with ``s_ij`` the
    mass strictly closer to ``i`` than ``j`` is, excluding ``i`` and ``j``.
    Distances of each origin are sorted once (``O(n log n)`` per row). With
    ``finite_size`` rows are divided by ``1 - m_i / M`` (Masucci et al. 2013)
    so they sum to ``O_i`` exactly.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])  # three planar points (km)
    >>> t = radiation_matrix(x, False, np.array([100.0, 50.0, 50.0]), np.full(3, 10.0), True)
    >>> t.sum(axis=1).round(12).tolist(), t.diagonal().tolist()
    ([10.0, 10.0, 10.0], [0.0, 0.0, 0.0])
    """
    n = x.shape[1]
    cx, cy, cz = coordinate_rows(x)
    total = mass.sum()
    out = np.zeros((n, n))
    for i in prange(n):
        d = np.empty(n)
        fill_distances(cx[i], cy[i], cz[i], cx, cy, cz, 0, n, geo, d)
        d[i] = -1.0
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
