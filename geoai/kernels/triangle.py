"""The pair triangle of a symmetric kernel, cut into tiles that stay in cache.

A symmetric matrix-free product (:func:`geoai.kernels.interaction.symmetric_matmat`)
evaluates each unordered pair ``i < j`` once and adds it to both rows. The
upper triangle of the ``n × n`` pairs is cut into square tiles of
:data:`TILE` points a side; a thread takes a contiguous run of tiles carrying
its share of the pairs (:func:`share_start`), and for each row ``i`` of a tile
fills a decay buffer for the tile's columns and adds it to both rows
(:func:`accumulate1`, :func:`accumulate2`: the sum for row ``i`` and the
scattered column updates in one vectorised pass).
"""

from __future__ import annotations

import numpy as np

from geoai.kernels import jit

__all__ = [
    "TILE",
    "accumulate",
    "accumulate1",
    "accumulate2",
    "insert",
    "insert_filled",
    "merge_rows",
    "offer",
    "share_start",
]

#: Side (points) of the square tiles the pair triangle is cut into: the slices one tile row
#: touches (three coordinates, two vectors, two accumulators and the decay buffer, 64 bytes a
#: point) take 16 KiB and stay in L1 while the tile's rows run.
TILE = 256


@jit()
def share_start(nb: int, work: float) -> tuple[int, int]:
    """Return the first tile ``(bi, bj)`` (``bj >= bi``) that starts at or after ``work``.

    The tiles of the upper triangle are laid end to end row by row; an off-diagonal tile is
    one unit of work and a diagonal tile half a unit (its pairs ``j > i`` only). ``(nb, nb)``
    is the end. A chunk takes the tiles that start in its share ``[c, c + 1) * total /
    n_chunks``: every chunk gets the same number of pairs (to one tile) in a few contiguous
    tile rows, whereas dealing rows round-robin leaves each chunk a scattered set of rows
    whose column sums span the whole array.
    """
    done = 0.0  # work before row bi
    for bi in range(nb):
        row = nb - bi - 0.5
        if done + row > work:
            if done >= work:
                return bi, bi
            bj = bi + 1 + max(int(np.ceil(work - done - 0.5)), 0)
            return (bi, bj) if bj < nb else (bi + 1, bi + 1)
        done += row
    return nb, nb


@jit()
def accumulate1(
    f: np.ndarray, va: np.ndarray, oa: np.ndarray, i: int, start: int, stop: int
) -> None:
    """Add the pairs ``(i, j)``, ``j`` in ``start:stop``, to both their rows.

    ``oa[i] += sum_j f_j va_j`` and ``oa[j] += f_j va_i``, with ``f`` the decay buffer.
    """
    ai = va[i]
    sa = 0.0
    for j in range(start, stop):
        fj = f[j]
        sa += fj * va[j]
        oa[j] += fj * ai
    oa[i] += sa


@jit()
def accumulate2(
    f: np.ndarray,
    va: np.ndarray,
    vb: np.ndarray,
    oa: np.ndarray,
    ob: np.ndarray,
    i: int,
    start: int,
    stop: int,
) -> None:
    """:func:`accumulate1` for two right-hand vectors in one pass over ``f``."""
    ai = va[i]
    bi = vb[i]
    sa = 0.0
    sb = 0.0
    for j in range(start, stop):
        fj = f[j]
        sa += fj * va[j]
        sb += fj * vb[j]
        oa[j] += fj * ai
        ob[j] += fj * bi
    oa[i] += sa
    ob[i] += sb


@jit(inline="always")
def _better(t: float, j: int, value: float, column: int) -> bool:
    """Whether ``(t, j)`` ranks before ``(value, column)``: larger, or equal at a lower column.

    An empty slot is ``(0, -1)``; only ``t > 0`` is ever offered, so it beats every empty slot.
    """
    return t > value or (t == value and j < column)


@jit(inline="always")
def insert_filled(vi: np.ndarray, ii: np.ndarray, filled: int, t: float, j: int) -> int:
    """Insert ``(t, j)`` into a row sorted by decreasing value; return the new fill.

    ``filled`` is the number of entries already there. Entries strictly smaller move
    back, so an equal value stays ahead: a caller offering candidates in increasing
    index keeps ties at the lower index first (the rule of
    :func:`geoai.kernels.interaction.top_k_rows`).
    """
    k = vi.size
    p = filled if filled < k else k - 1
    while p > 0 and vi[p - 1] < t:
        if p < k:
            vi[p] = vi[p - 1]
            ii[p] = ii[p - 1]
        p -= 1
    vi[p] = t
    ii[p] = j
    return min(filled + 1, k)


@jit()
def insert(value: np.ndarray, column: np.ndarray, t: float, j: int) -> None:
    """Insert ``(t, j)`` into a row of a top-k table if it ranks within its ``k`` entries.

    ``value`` and ``column`` (both ``(k,)``) are sorted by decreasing value, ties by
    increasing column, with empty slots ``(0, -1)`` at the end. The order is total, so the
    table holds the same entries whatever order the candidates come in.
    """
    k = value.size
    if not _better(t, j, value[k - 1], column[k - 1]):
        return
    p = k - 1
    while p > 0 and _better(t, j, value[p - 1], column[p - 1]):
        value[p] = value[p - 1]
        column[p] = column[p - 1]
        p -= 1
    value[p] = t
    column[p] = j


@jit()
def merge_rows(
    value: np.ndarray,
    column: np.ndarray,
    row: int | np.int64,  # np.int64(r) from a prange loop, whose index may be uint64
    out_value: np.ndarray,
    out_column: np.ndarray,
) -> None:
    """Merge row ``row`` of per-chunk top-k tables ``(n_chunks, n, k)`` into one row ``(k,)``.

    Each pair was offered to one chunk only, so the ``k`` best of the union of the
    chunks' ``k`` best are the ``k`` best of the row.
    """
    n_chunks = value.shape[0]
    k = value.shape[2]
    head = np.zeros(n_chunks, dtype=np.int64)  # next unmerged entry of each chunk's row
    for p in range(k):
        best = -1
        best_value = 0.0
        best_column = -1
        for c in range(n_chunks):
            h = head[c]
            if h == k or column[c, row, h] < 0:
                continue
            if best < 0 or _better(value[c, row, h], column[c, row, h], best_value, best_column):
                best = c
                best_value = value[c, row, h]
                best_column = column[c, row, h]
        if best < 0:
            return
        out_value[p] = best_value
        out_column[p] = best_column
        head[best] += 1


@jit()
def accumulate(
    f: np.ndarray, v: np.ndarray, out: np.ndarray, i: int, start: int, stop: int
) -> None:
    """Add the pairs ``(i, j)``, ``j`` in ``start:stop``, to every row of ``out`` ``(m, n)``.

    Right-hand vectors ``v`` ``(m, n)`` are taken two at a time (:func:`accumulate2`), so the
    usual ``m = 2`` reads the decay buffer once.
    """
    m = v.shape[0]
    for r in range(0, m - 1, 2):
        accumulate2(f, v[r], v[r + 1], out[r], out[r + 1], i, start, stop)
    if m % 2:
        accumulate1(f, v[m - 1], out[m - 1], i, start, stop)


@jit()
def offer(
    f: np.ndarray,
    w: np.ndarray,
    i: int,
    start: int,
    stop: int,
    value: np.ndarray,
    column: np.ndarray,
    floor: np.ndarray,
) -> None:
    """Offer the pairs ``(i, j)``, ``j`` in ``start:stop``, to the top-k tables of both rows.

    Row ``i`` is offered ``w_j f_j`` at column ``j`` and row ``j`` is offered ``w_i f_j`` at
    column ``i`` (:func:`insert`); ``value`` and ``column`` are ``(n, k)`` tables and
    ``floor`` ``(n,)`` each row's ``k``-th value, kept up to date. A vectorised screen
    first counts the candidates that could enter (ties count: the insertion decides), and
    most tile rows, once the tables have filled, have none.
    """
    k = value.shape[1]
    wi = w[i]
    fi = floor[i]
    hits = 0
    for j in range(start, stop):
        a = w[j] * f[j]
        b = wi * f[j]
        hits += ((a > 0.0) & (a >= fi)) | ((b > 0.0) & (b >= floor[j]))
    if hits == 0:
        return
    for j in range(start, stop):
        a = w[j] * f[j]
        if a > 0.0 and a >= floor[i]:
            insert(value[i], column[i], a, j)
            floor[i] = value[i, k - 1]
        b = wi * f[j]
        if b > 0.0 and b >= floor[j]:
            insert(value[j], column[j], b, i)
            floor[j] = value[j, k - 1]
