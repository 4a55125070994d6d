"""Traversals of the tree code: certified Barnes-Hut products and exact top-k.

Both run over origins in parallel (``prange`` over one work item per thread,
each with its own stack and one distance row of ``n`` floats: O(n) memory in
all) and take any subset of origins, so a cluster can split them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import prange

from geoai.kernels import jit
from geoai.kernels.decay import EXPONENTIAL, POWER, decay_value
from geoai.kernels.interaction import _decay_row
from geoai.kernels.tree import _STACK, TreeSums
from geoai.kernels.tree_bounds import (
    ball_gap,
    decay_safe,
    f_range,
    hessian_sup,
    km,
    quadrupole,
    third_sup,
)

if TYPE_CHECKING:
    from geoai.kernels.tree import Moments, Tree

__all__ = ["tree_matmat", "tree_top_k"]

_BLOCK = 64  # origins per work item (in tree order, for locality)


@jit()
def _leaf_sums(
    tree: Tree,
    mo: Moments,
    q: int,
    self_pos: int,
    px: float,
    py: float,
    pz: float,
    geo: bool,
    kind: int,
    beta: float,
    a: float,
    buf: np.ndarray,
    acc: np.ndarray,
) -> None:
    """Add the exact products of leaf ``q`` (without the origin's own position) to ``acc``."""
    s, e = tree.start[q], tree.stop[q]
    _decay_row(px, py, pz, tree.sx, tree.sy, tree.sz, s, e, geo, kind, beta, a, buf)
    if s <= self_pos < e:
        buf[self_pos] = 0.0  # no self pair here (f may be inf at d = 0); own is added apart
    for k in range(acc.size):
        vk = mo.v[k]
        t = 0.0
        for p in range(s, e):
            t += buf[p] * vk[p]
        acc[k] += t


@jit()
def _coarse_lower(
    tree: Tree,
    mo: Moments,
    self_pos: int,
    px: float,
    py: float,
    pz: float,
    geo: bool,
    kind: int,
    beta: float,
    a: float,
    eps: float,
    buf: np.ndarray,
    stack: np.ndarray,
    low: np.ndarray,
) -> None:
    """Add a cheap lower bound of each row's product to ``low``.

    Nodes at least twice their radius away count ``W f_min`` (``d_lo / d_hi >=
    1/3``, so within a few times the truth), nearer leaves are summed exactly.
    """
    m = low.size
    top = 1
    stack[0] = 0
    while top > 0:
        top -= 1
        q = stack[top]
        if not tree.start[q] <= self_pos < tree.stop[q]:
            clo, chi = ball_gap(tree, q, px, py, pz, eps)
            if clo >= 2.0 * tree.radius[q]:
                dhi = km(min(chi, 2.0) if geo else chi, geo)
                fmin, _ = f_range(km(clo, geo), dhi, kind, beta, a)
                for k in range(m):
                    low[k] += mo.mass[k, q] * fmin
                continue
        if tree.left[q] < 0:
            _leaf_sums(tree, mo, q, self_pos, px, py, pz, geo, kind, beta, a, buf, low)
        else:
            stack[top] = tree.left[q]
            stack[top + 1] = tree.left[q] + 1
            top += 2


@jit(parallel=True)
def tree_matmat(  # noqa: PLR0915, C901 - one fused traversal kernel
    tree: Tree,
    mo: Moments,
    origins: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    a: float,
    rtol: float,
    eps: float,
    n_chunks: int,
) -> TreeSums:
    """Barnes-Hut products ``(F @ v[k])[i]`` for ``i`` in ``origins``, with error bounds.

    A node is summed as one source when its bound (the smaller of the
    zeroth-order bound ``W (f_max - f_min) / 2`` and the monopole remainder
    ``s2 sup|D^2 g| / 2``) is at most ``rtol / 2 * (L_k * W / W_total + W f_min)``
    for every row ``k``, where ``L_k`` is a cheap lower bound of the origin's
    product (:func:`_coarse_lower`); otherwise it is opened, and leaves are
    summed exactly. Nodes holding the origin are always opened (no self pair).

    Parameters
    ----------
    tree, mo : Tree, Moments
        From :func:`build_tree` and :func:`node_moments`.
    origins : ndarray of int64, shape (n_o,)
        Points whose products are wanted (any subset, any order).
    geo : bool
        Unit vectors (great-circle km) or planar km.
    own : ndarray, shape (n,)
        Own distance (km) per point; NaN: no self pair.
    kind, beta, a : int, float, float
        The decay (:mod:`geoai.kernels.decay`).
    rtol : float
        Relative error budget per origin and row (> 0).
    eps : float
        Padding of every distance interval (chord or km) for rounding.
    n_chunks : int
        Work items run in parallel (the number of threads).

    Returns
    -------
    TreeSums
        ``(value, error, lower)``, each ``(m, n_o)``: ``|value - exact| <= error`` and
        ``lower <= exact`` (in exact arithmetic; rounding adds ~1e-14 relative); and the
        work per origin, ``(sources, pairs)``.

    Examples
    --------
    >>> import numpy as np
    >>> from geoai.kernels.decay import EXPONENTIAL
    >>> from geoai.kernels.interaction import symmetric_matmat
    >>> from geoai.kernels.tree import build_tree, node_moments
    >>> rng = np.random.default_rng(0)
    >>> x, v = rng.uniform(0, 100, (2, 300)), rng.uniform(0, 1, (1, 300))
    >>> own = np.full(300, np.nan)
    >>> t = build_tree(x, 16)
    >>> s = tree_matmat(t, node_moments(t, v), np.arange(300), False, own, EXPONENTIAL,
    ...                 0.02, 0.0, 1e-3, 1e-12, 2)
    >>> exact = symmetric_matmat(x, False, own, EXPONENTIAL, 0.02, 0.0, v, 2)
    >>> bool(np.all(np.abs(s.value - exact) <= s.error + 1e-12 * exact))
    True
    >>> bool(np.all(s.error <= 1e-3 * s.lower * (1 + 1e-12)))
    True
    """
    m = mo.mass.shape[0]
    n = tree.perm.size
    n_o = origins.size
    value = np.zeros((m, n_o))
    error = np.zeros((m, n_o))
    lower = np.zeros((m, n_o))
    sources = np.zeros(n_o, np.int64)
    pairs = np.zeros(n_o, np.int64)
    total = np.zeros(m)
    for k in range(m):
        total[k] = mo.mass[k, 0]
    half = 0.5 * rtol
    n_blocks = (n_o + _BLOCK - 1) // _BLOCK
    for ch in prange(n_chunks):
        buf = np.empty(n)
        stack = np.empty(_STACK, np.int64)
        low = np.zeros(m)
        budget = np.zeros(m)
        est = np.zeros(m)
        err = np.zeros(m)
        lob = np.zeros(m)
        acc = np.zeros(m)
        exact = np.zeros(m)
        e_sum = np.zeros(m)
        for blk in range(ch, n_blocks, n_chunks):
            for o in range(blk * _BLOCK, min(n_o, (blk + 1) * _BLOCK)):
                i = origins[o]
                ip = tree.pos[i]
                px, py, pz = tree.sx[ip], tree.sy[ip], tree.sz[ip]
                fii = 0.0 if np.isnan(own[i]) else decay_value(own[i], kind, beta, a)
                for k in range(m):
                    low[k] = fii * mo.v[k, ip]
                    acc[k] = 0.0
                    exact[k] = 0.0
                    err[k] = 0.0
                _coarse_lower(tree, mo, ip, px, py, pz, geo, kind, beta, a, eps, buf, stack, low)
                for k in range(m):
                    budget[k] = half * low[k] / total[k] if total[k] > 0.0 else 0.0
                    acc[k] = fii * mo.v[k, ip]
                    exact[k] = acc[k]
                    lob[k] = 0.0
                    e_sum[k] = 0.0
                top = 1
                stack[0] = 0
                while top > 0:
                    top -= 1
                    q = stack[top]
                    empty = True
                    for k in range(m):
                        if mo.mass[k, q] > 0.0:
                            empty = False
                    if empty:
                        continue
                    inside = tree.start[q] <= ip < tree.stop[q]
                    ok = not inside
                    if ok:
                        clo, chi = ball_gap(tree, q, px, py, pz, eps)
                        dlo = km(clo, geo)
                        dhi = km(min(chi, 2.0) if geo else chi, geo)
                        fmin, fmax = f_range(dlo, dhi, kind, beta, a)
                        hess = -1.0
                        third = -1.0
                        smooth = kind in (POWER, EXPONENTIAL) and dlo > 0.0
                        for k in range(m):
                            w = mo.mass[k, q]
                            if w <= 0.0:  # nothing to add, nothing to bound (and no 0 * inf)
                                est[k] = 0.0
                                err[k] = 0.0
                                lob[k] = 0.0
                                continue
                            lo, hi = w * fmin, w * fmax
                            est[k] = 0.5 * (lo + hi) if hi < np.inf else 0.0
                            err[k] = 0.5 * (hi - lo) if hi > lo else 0.0
                            lob[k] = lo
                            cap = budget[k] * w + half * lo  # (mass share + own share) of rtol
                            if err[k] > cap:
                                if hess < 0.0:
                                    hess = hessian_sup(dlo, dhi, chi, geo, kind, beta, a, fmax)
                                r2 = 0.5 * mo.s2[k, q] * hess
                                if r2 < err[k]:
                                    ux = px - mo.com[k, 0, q]
                                    uy = py - mo.com[k, 1, q]
                                    uz = pz - mo.com[k, 2, q]
                                    dc = km(np.sqrt(ux * ux + uy * uy + uz * uz), geo)
                                    est[k] = min(max(w * decay_safe(dc, kind, beta, a), lo), hi)
                                    err[k] = r2
                            if err[k] > cap and smooth:
                                if third < 0.0:
                                    third = third_sup(clo, chi, dlo, fmax, geo, kind, beta)
                                r3 = mo.s3[k, q] * third / 6.0
                                if r3 < err[k]:
                                    e3 = quadrupole(mo, k, q, px, py, pz, geo, kind, beta)
                                    est[k] = min(max(e3, lo), hi)
                                    err[k] = r3
                            if err[k] > cap:
                                ok = False
                    if ok:
                        sources[o] += 1
                        for k in range(m):
                            acc[k] += est[k]
                            e_sum[k] += err[k]
                            exact[k] += lob[k]
                    elif tree.left[q] < 0:
                        pairs[o] += tree.stop[q] - tree.start[q]
                        for k in range(m):
                            est[k] = 0.0
                        _leaf_sums(tree, mo, q, ip, px, py, pz, geo, kind, beta, a, buf, est)
                        for k in range(m):
                            acc[k] += est[k]
                            exact[k] += est[k]
                    else:
                        stack[top] = tree.left[q]
                        stack[top + 1] = tree.left[q] + 1
                        top += 2
                for k in range(m):
                    value[k, o] = acc[k]
                    error[k, o] = e_sum[k]
                    lower[k, o] = max(exact[k], low[k])
    return TreeSums(value, error, lower, sources, pairs)


@jit(inline="always")
def _ahead(t: float, j: int, u: float, h: int) -> bool:
    """Entry ``(t, j)`` ranks before ``(u, h)``: larger value, or equal value and lower index."""
    return t > u or (t == u and j < h)


@jit(parallel=True)
def tree_top_k(  # noqa: PLR0915 - one fused branch-and-bound kernel (split, it won't inline)
    tree: Tree,
    mo: Moments,
    row: int,
    origins: np.ndarray,
    geo: bool,
    own: np.ndarray,
    kind: int,
    beta: float,
    a: float,
    k: int,
    eps: float,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Find the ``k`` largest ``w_j f(d_ij)`` of each origin, exactly as ``top_k_rows`` does.

    ``w`` is row ``row`` of the moments' masses. Depth-first, nearer child
    first; a node is skipped when the row is full and the node's upper bound
    on any single flow (its largest mass times the largest ``f`` over its
    padded distance interval) is below the k-th value. Values are computed by
    the same row kernel as :func:`~geoai.kernels.interaction.top_k_rows`, and
    ties rank the lower point index first, so the result is the same.

    Returns
    -------
    column, value : ndarray, shape (n_o, k)
        Point indices (int64; -1: none) and values (0: none), by decreasing value.

    Examples
    --------
    >>> import numpy as np
    >>> from geoai.kernels.decay import POWER
    >>> from geoai.kernels.interaction import top_k_rows
    >>> from geoai.kernels.tree import build_tree, node_moments
    >>> rng = np.random.default_rng(1)
    >>> x, w = rng.uniform(0, 100, (2, 200)), rng.uniform(0, 1, 200)
    >>> own = np.full(200, np.nan)
    >>> t = build_tree(x, 8)
    >>> idx, val = tree_top_k(t, node_moments(t, w[None, :]), 0, np.arange(200), False, own,
    ...                       POWER, 2.0, 0.0, 3, 1e-12, 2)
    >>> ref = top_k_rows(x, False, own, POWER, 2.0, 0.0, w, 3)
    >>> bool(np.array_equal(idx, ref.column) and np.array_equal(val, ref.value))
    True
    """
    n = tree.perm.size
    n_o = origins.size
    idx = np.full((n_o, k), -1, np.int64)
    val = np.zeros((n_o, k))
    n_blocks = (n_o + _BLOCK - 1) // _BLOCK
    for ch in prange(n_chunks):
        buf = np.empty(n)
        stack = np.empty(_STACK, np.int64)
        for blk in range(ch, n_blocks, n_chunks):
            for o in range(blk * _BLOCK, min(n_o, (blk + 1) * _BLOCK)):
                i = origins[o]
                ip = tree.pos[i]
                px, py, pz = tree.sx[ip], tree.sy[ip], tree.sz[ip]
                vi = val[o]
                ii = idx[o]
                filled = 0
                top = 1
                stack[0] = 0
                while top > 0:
                    top -= 1
                    q = stack[top]
                    if mo.peak[row, q] <= 0.0:
                        continue
                    if filled == k:
                        clo, chi = ball_gap(tree, q, px, py, pz, eps)
                        dhi = km(min(chi, 2.0) if geo else chi, geo)
                        _, fmax = f_range(km(clo, geo), dhi, kind, beta, a)
                        if mo.peak[row, q] * fmax * (1.0 + 1e-12) < vi[k - 1]:
                            continue
                    c = tree.left[q]
                    if c >= 0:
                        lo0, _ = ball_gap(tree, c, px, py, pz, eps)
                        lo1, _ = ball_gap(tree, c + 1, px, py, pz, eps)
                        near = c if lo0 <= lo1 else c + 1
                        stack[top] = 2 * c + 1 - near  # the farther child, popped last
                        stack[top + 1] = near
                        top += 2
                        continue
                    s, e = tree.start[q], tree.stop[q]
                    _decay_row(px, py, pz, tree.sx, tree.sy, tree.sz, s, e, geo, kind, beta, a, buf)
                    if s <= ip < e:
                        buf[ip] = 0.0 if np.isnan(own[i]) else decay_value(own[i], kind, beta, a)
                    for p in range(s, e):
                        t = mo.v[row, p] * buf[p]
                        j = tree.perm[p]
                        if t <= 0.0 or (filled == k and not _ahead(t, j, vi[k - 1], ii[k - 1])):
                            continue
                        r = filled if filled < k else k - 1
                        while r > 0 and _ahead(t, j, vi[r - 1], ii[r - 1]):
                            if r < k:
                                vi[r] = vi[r - 1]
                                ii[r] = ii[r - 1]
                            r -= 1
                        vi[r] = t
                        ii[r] = j
                        filled = min(filled + 1, k)
    return idx, val
