"""Spatial-interaction kernels for one tile of origins × destinations (the cluster path).

A tile is a block of origins (rows ``io``) against a block of destinations
(columns ``jd``) of the decay matrix ``F_ij = f(d_ij)``, which is never
stored. Each kernel is serial (one thread, ``nogil``): the scheduler that runs
the tiles supplies the parallelism. Coordinates are ``(3, b)`` unit vectors
when ``geo`` (great-circle km) or ``(2, b)`` planar km otherwise, and decay is
``(kind, beta, a)`` as in :mod:`geoai.kernels.decay`, exactly as in
:mod:`geoai.kernels.interaction`, whose row loop (``_decay_row``) they reuse
so a tile's ``f_ij`` are the values the single-process kernels compute.

Index arrays hold the tile's global positions, destinations in increasing
order (``jd`` sorted): an origin whose index appears in ``jd`` is a self pair,
weighted by ``f(own)`` (``own`` NaN: no self pair).
"""

from __future__ import annotations

import numpy as np

from geoai.kernels import jit
from geoai.kernels.decay import decay_value
from geoai.kernels.distance import coordinate_rows
from geoai.kernels.interaction import TopK, _decay_row
from geoai.kernels.triangle import insert_filled

__all__ = [
    "block_matmat",
    "block_pair_matmat",
    "block_pair_top_k",
    "block_top_k",
    "block_triangle_matmat",
    "merge_top_k",
]


@jit()
def _self_column(jd: np.ndarray, i: int) -> int:
    """Position of the global index ``i`` in the sorted ``jd``, or -1."""
    p = np.searchsorted(jd, i)
    return int(p) if p < jd.size and jd[p] == i else -1


@jit()
def block_matmat(
    xo: np.ndarray,
    xd: np.ndarray,
    io: np.ndarray,
    jd: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    ta: float,
    v_block: np.ndarray,
) -> np.ndarray:
    """``F[io][:, jd] @ v_block[k]`` for every row ``k``: one tile's share of ``F @ v``.

    Parameters
    ----------
    xo : ndarray, shape (3, bo) or (2, bo)
        Origin coordinates (unit vectors or planar km).
    xd : ndarray, shape (3, bd) or (2, bd)
        Destination coordinates, same kind.
    io : ndarray of int64, shape (bo,)
        Global indices of the origins.
    jd : ndarray of int64, shape (bd,)
        Global indices of the destinations, increasing.
    geo : bool
        Great-circle (True) or planar (False) distances.
    own : ndarray, shape (bo,)
        Own distance (km) of each origin for its self pair; NaN excludes it.
    kind : int
        Decay function code.
    beta : float
        Its parameter.
    ta : float
        The Tanner exponent ``a`` (unused by the others).
    v_block : ndarray, shape (m, bd)
        Right-hand vectors at the destination columns.

    Returns
    -------
    ndarray, shape (m, bo)
        Row ``k``, entry ``r``: ``sum_c f(d(io[r], jd[c])) v_block[k, c]``.

    Examples
    --------
    The middle point of three on a line, against all three (box decay of 3 km):

    >>> import numpy as np
    >>> from geoai.kernels.decay import BOX
    >>> x = np.array([[0.0, 2.0, 5.0], [0.0, 0.0, 0.0]])
    >>> jd = np.arange(3)
    >>> out = block_matmat(x[:, 1:2], x, jd[1:2], jd, False, np.full(1, np.nan),
    ...                    BOX, 3.0, 0.0, np.array([[1.0, 10.0, 100.0]]))
    >>> out.tolist()  # point 0 (2 km) and point 2 (3 km) are in reach; no self pair
    [[101.0]]
    """
    m, nd = v_block.shape
    no = xo.shape[1]
    ox, oy, oz = coordinate_rows(xo)
    dx, dy, dz = coordinate_rows(xd)
    out = np.zeros((m, no))
    buf = np.empty(nd)
    for r in range(no):
        _decay_row(ox[r], oy[r], oz[r], dx, dy, dz, np.int64(0), nd, geo, kind, beta, ta, buf)
        c = _self_column(jd, io[r])
        if c >= 0:
            buf[c] = 0.0 if np.isnan(own[r]) else decay_value(own[r], kind, beta, ta)
        for k in range(m):
            vk = v_block[k]
            s = 0.0
            for j in range(nd):
                s += buf[j] * vk[j]
            out[k, r] = s
    return out


@jit()
def block_pair_matmat(
    xo: np.ndarray,
    xd: np.ndarray,
    geo: bool,
    kind: int,
    beta: float,
    ta: float,
    v_o: np.ndarray,
    v_d: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Both shares of a tile of the symmetric ``F``, each pair evaluated once.

    For two disjoint blocks (no self pair), returns ``F[o][:, d] @ v_d[k]`` and
    ``F[d][:, o] @ v_o[k]`` (``F`` is symmetric, so the second is the tile's
    transpose): half the distance and decay work of two :func:`block_matmat` calls.

    Parameters
    ----------
    xo : ndarray, shape (3, bo) or (2, bo)
        Coordinates of the first block.
    xd : ndarray, shape (3, bd) or (2, bd)
        Coordinates of the second block, disjoint from the first.
    geo : bool
        Great-circle (True) or planar (False) distances.
    kind : int
        Decay function code.
    beta : float
        Its parameter.
    ta : float
        The Tanner exponent ``a``.
    v_o : ndarray, shape (m, bo)
        Right-hand vectors at the first block's points.
    v_d : ndarray, shape (m, bd)
        Right-hand vectors at the second block's points.

    Returns
    -------
    out_o : ndarray, shape (m, bo)
        ``sum_c f_rc v_d[k, c]`` for each point ``r`` of the first block.
    out_d : ndarray, shape (m, bd)
        ``sum_r f_rc v_o[k, r]`` for each point ``c`` of the second block.

    Examples
    --------
    >>> import numpy as np
    >>> from geoai.kernels.decay import BOX
    >>> x = np.array([[0.0, 2.0, 5.0], [0.0, 0.0, 0.0]])
    >>> a, b = block_pair_matmat(x[:, :1], x[:, 1:], False, BOX, 3.0, 0.0,
    ...                          np.array([[1.0]]), np.array([[10.0, 100.0]]))
    >>> a.tolist(), b.tolist()  # only the pair (0, 1), 2 km apart, is in reach
    ([[10.0]], [[1.0, 0.0]])
    """
    m, nd = v_d.shape
    no = xo.shape[1]
    ox, oy, oz = coordinate_rows(xo)
    dx, dy, dz = coordinate_rows(xd)
    out_o = np.zeros((m, no))
    out_d = np.zeros((m, nd))
    buf = np.empty(nd)
    for r in range(no):
        _decay_row(ox[r], oy[r], oz[r], dx, dy, dz, np.int64(0), nd, geo, kind, beta, ta, buf)
        k = 0
        while k + 1 < m:  # two vectors per pass over the row (aggregate's totals: m = 2)
            out_o[k, r], out_o[k + 1, r] = _both_ways2(
                buf, v_d[k], v_d[k + 1], out_d[k], out_d[k + 1], v_o[k, r], v_o[k + 1, r], 0, nd
            )
            k += 2
        if k < m:
            out_o[k, r] = _both_ways(buf, v_d[k], out_d[k], v_o[k, r], 0, nd)
    return out_o, out_d


@jit(inline="always")
def _both_ways(
    f: np.ndarray, vd: np.ndarray, od: np.ndarray, vr: float, start: int, stop: int
) -> float:
    """Add ``f[j] vr`` to ``od[j]`` and return ``sum_j f[j] vd[j]``, over ``start:stop``."""
    s = 0.0
    for j in range(start, stop):
        s += f[j] * vd[j]
        od[j] += f[j] * vr
    return s


@jit(inline="always")
def _both_ways2(
    f: np.ndarray,
    va: np.ndarray,
    vb: np.ndarray,
    oa: np.ndarray,
    ob: np.ndarray,
    ra: float,
    rb: float,
    start: int,
    stop: int,
) -> tuple[float, float]:
    """:func:`_both_ways` for two vectors in one pass over ``f``."""
    sa = 0.0
    sb = 0.0
    for j in range(start, stop):
        fj = f[j]
        sa += fj * va[j]
        sb += fj * vb[j]
        oa[j] += fj * ra
        ob[j] += fj * rb
    return sa, sb


@jit()
def block_triangle_matmat(
    x: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    ta: float,
    v: np.ndarray,
) -> np.ndarray:
    """Multiply a diagonal tile of the symmetric ``F`` by ``v``, each pair evaluated once.

    The serial twin of :func:`geoai.kernels.interaction.symmetric_matmat` on one
    block: the tile ``F[b][:, b]`` of a block ``b`` of places, self pairs from ``own``.

    Parameters
    ----------
    x : ndarray, shape (3, nb) or (2, nb)
        Coordinates of the block.
    geo : bool
        Great-circle (True) or planar (False) distances.
    own : ndarray, shape (nb,)
        Own distance (km) per place for its self pair; NaN excludes it.
    kind : int
        Decay function code.
    beta : float
        Its parameter.
    ta : float
        The Tanner exponent ``a``.
    v : ndarray, shape (m, nb)
        Right-hand vectors at the block's places.

    Returns
    -------
    ndarray, shape (m, nb)
        ``F[b][:, b] @ v[k]`` for each row ``k``.

    Examples
    --------
    >>> import numpy as np
    >>> from geoai.kernels.decay import BOX
    >>> x = np.array([[0.0, 2.0, 5.0], [0.0, 0.0, 0.0]])
    >>> own = np.array([np.nan, 1.0, np.nan])  # only point 1 has its self pair
    >>> block_triangle_matmat(x, False, own, BOX, 3.0, 0.0, np.array([[1.0, 10.0, 100.0]])).tolist()
    [[10.0, 111.0, 10.0]]
    """
    m, n = v.shape
    cx, cy, cz = coordinate_rows(x)
    out = np.zeros((m, n))
    buf = np.empty(n)
    for i in range(n):
        if not np.isnan(own[i]):
            fii = decay_value(own[i], kind, beta, ta)
            for k in range(m):
                out[k, i] += fii * v[k, i]
        _decay_row(cx[i], cy[i], cz[i], cx, cy, cz, i + 1, n, geo, kind, beta, ta, buf)
        k = 0
        while k + 1 < m:
            sa, sb = _both_ways2(
                buf, v[k], v[k + 1], out[k], out[k + 1], v[k, i], v[k + 1, i], i + 1, n
            )
            out[k, i] += sa
            out[k + 1, i] += sb
            k += 2
        if k < m:
            out[k, i] += _both_ways(buf, v[k], out[k], v[k, i], i + 1, n)
    return out


@jit()
def block_top_k(
    xo: np.ndarray,
    xd: np.ndarray,
    io: np.ndarray,
    jd: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    ta: float,
    wd: np.ndarray,
    k: int,
) -> TopK:
    """Find the ``k`` largest ``wd[c] f(d(io[r], jd[c]))`` of each origin of a tile.

    Parameters
    ----------
    xo, xd, io, jd, geo, own, kind, beta, ta
        As in :func:`block_matmat`.
    wd : ndarray, shape (bd,)
        Destination weights at the tile's columns.
    k : int
        Entries kept per origin (>= 1).

    Returns
    -------
    TopK
        ``(column, value)``, both ``(bo, k)``: global destination indices
        (``jd``'s values; -1: none) and values (0: none), sorted by decreasing
        value, ties by increasing index; only positive values are kept.
        :func:`merge_top_k` merges the tiles of one origin block.

    Examples
    --------
    >>> import numpy as np
    >>> from geoai.kernels.decay import EXPONENTIAL
    >>> x = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])
    >>> col, val = block_top_k(x[:, :1], x[:, 1:], np.arange(1), np.arange(1, 3), False,
    ...                        np.full(1, np.nan), EXPONENTIAL, 0.1, 0.0, np.array([1.0, 10.0]), 1)
    >>> col.tolist(), bool(np.isclose(val[0, 0], 10 * np.exp(-0.4)))
    ([[2]], True)
    """
    nd = xd.shape[1]
    no = xo.shape[1]
    ox, oy, oz = coordinate_rows(xo)
    dx, dy, dz = coordinate_rows(xd)
    idx = np.full((no, k), -1, dtype=np.int64)
    val = np.zeros((no, k))
    buf = np.empty(nd)
    for r in range(no):
        _decay_row(ox[r], oy[r], oz[r], dx, dy, dz, np.int64(0), nd, geo, kind, beta, ta, buf)
        c = _self_column(jd, io[r])
        if c >= 0:
            buf[c] = 0.0 if np.isnan(own[r]) else decay_value(own[r], kind, beta, ta)
        vi = val[r]
        ii = idx[r]
        filled = 0
        for j in range(nd):
            t = wd[j] * buf[j]
            if t <= 0.0 or (filled == k and t <= vi[k - 1]):
                continue
            filled = insert_filled(vi, ii, filled, t, jd[j])
    return TopK(idx, val)


@jit()
def block_pair_top_k(
    xo: np.ndarray,
    xd: np.ndarray,
    io: np.ndarray,
    jd: np.ndarray,
    geo: bool,
    kind: int,
    beta: float,
    ta: float,
    wo: np.ndarray,
    wd: np.ndarray,
    k: int,
) -> tuple[TopK, TopK]:
    """Both top-k tables of a tile of the symmetric ``F``, each pair evaluated once.

    For two disjoint blocks (no self pair): the ``k`` largest ``wd[c] f_rc`` of
    each point ``r`` of the first block over the second, and the ``k`` largest
    ``wo[r] f_rc`` of each point ``c`` of the second over the first, with the
    order rule of :func:`block_top_k` (candidates of each table are offered in
    increasing index, so ties keep the lower index first).

    Parameters
    ----------
    xo, xd : ndarray, shape (3, bo) / (3, bd) or (2, bo) / (2, bd)
        Coordinates of the two blocks.
    io, jd : ndarray of int64, shapes (bo,) and (bd,)
        Their global indices, each increasing.
    geo, kind, beta, ta
        As in :func:`block_matmat`.
    wo, wd : ndarray, shapes (bo,) and (bd,)
        Weights of the points of each block (as destinations).
    k : int
        Entries kept per point (>= 1).

    Returns
    -------
    tuple of TopK
        The first block's table ``(bo, k)`` over ``jd`` and the second's ``(bd, k)`` over ``io``.

    Examples
    --------
    >>> import numpy as np
    >>> from geoai.kernels.decay import EXPONENTIAL
    >>> x = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])
    >>> a, b = block_pair_top_k(x[:, :2], x[:, 2:], np.arange(2), np.arange(2, 3), False,
    ...                         EXPONENTIAL, 0.1, 0.0, np.array([1.0, 10.0]), np.ones(1), 1)
    >>> a.column.ravel().tolist(), b.column.ravel().tolist()  # point 1 weighs 10 for point 2
    ([2, 2], [1])
    """
    nd = xd.shape[1]
    no = xo.shape[1]
    ox, oy, oz = coordinate_rows(xo)
    dx, dy, dz = coordinate_rows(xd)
    idx_o = np.full((no, k), -1, dtype=np.int64)
    val_o = np.zeros((no, k))
    idx_d = np.full((nd, k), -1, dtype=np.int64)
    val_d = np.zeros((nd, k))
    fill_d = np.zeros(nd, dtype=np.int64)
    buf = np.empty(nd)
    for r in range(no):
        _decay_row(ox[r], oy[r], oz[r], dx, dy, dz, np.int64(0), nd, geo, kind, beta, ta, buf)
        vi = val_o[r]
        ii = idx_o[r]
        filled = 0
        wr = wo[r]
        ir = io[r]
        for c in range(nd):
            t = wd[c] * buf[c]
            if t > 0.0 and not (filled == k and t <= vi[k - 1]):
                filled = insert_filled(vi, ii, filled, t, jd[c])
            u = wr * buf[c]
            if u > 0.0 and not (fill_d[c] == k and u <= val_d[c, k - 1]):
                fill_d[c] = insert_filled(val_d[c], idx_d[c], fill_d[c], u, ir)
    return TopK(idx_o, val_o), TopK(idx_d, val_d)


@jit()
def merge_top_k(idx_a: np.ndarray, val_a: np.ndarray, idx_b: np.ndarray, val_b: np.ndarray) -> TopK:
    """Merge two top-k tables of the same origins into one, with the same order rule.

    Parameters
    ----------
    idx_a, val_a : ndarray, shape (n, k)
        One table (int64 columns, -1: none; values, 0: none), rows sorted by
        decreasing value, ties by increasing column.
    idx_b, val_b : ndarray, shape (n, k)
        Another, over columns disjoint from the first's.

    Returns
    -------
    TopK
        The ``k`` largest of both per row, by decreasing value then increasing
        column: the table a single pass over all the columns would give. The
        merge is exact, commutative and associative, so tiles may come in any order.

    Examples
    --------
    >>> import numpy as np
    >>> col, val = merge_top_k(np.array([[4, 0]]), np.array([[5.0, 1.0]]),
    ...                        np.array([[2, -1]]), np.array([[5.0, 0.0]]))
    >>> col.tolist(), val.tolist()  # the tie at 5 keeps column 2 before column 4
    ([[2, 4]], [[5.0, 5.0]])
    """
    n, k = idx_a.shape
    idx = np.full((n, k), -1, dtype=np.int64)
    val = np.zeros((n, k))
    for r in range(n):
        p = 0
        q = 0
        for s in range(k):
            take_a = idx_a[r, p] >= 0 if p < k else False
            take_b = idx_b[r, q] >= 0 if q < k else False
            if take_a and take_b:  # both live: larger value first, then lower column
                va, vb = val_a[r, p], val_b[r, q]
                take_a = va > vb or (va == vb and idx_a[r, p] < idx_b[r, q])
            elif not take_b and not take_a:
                break
            if take_a:
                idx[r, s], val[r, s] = idx_a[r, p], val_a[r, p]
                p += 1
            else:
                idx[r, s], val[r, s] = idx_b[r, q], val_b[r, q]
                q += 1
    return TopK(idx, val)
