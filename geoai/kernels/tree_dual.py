"""Dual-tree traversal of the tree code: one interaction list per group of origins.

:func:`dual_matmat` computes what :func:`geoai.kernels.tree_sums.tree_matmat`
computes (same arguments plus the group size, same
:class:`~geoai.kernels.tree.TreeSums`), but the source tree is walked once per
*target node* ``t`` (the largest nodes of at most ``group`` points,
:func:`target_groups`) instead of once per origin. Every distance interval is
taken between the two balls (source node ``q`` and target ``t``): ``[|z_q -
z_t| - r_q - r_t, |z_q - z_t| + r_q + r_t]``, which holds the distance from
*every* origin of ``t`` to every point of ``q``; so every node bound of the
single-origin proof (in :func:`geoai.flows._tree.tree_matmat`) holds for each
origin of the group. The walk yields one list of accepted nodes (with the
expansion order chosen per row) and one list of leaves to sum exactly, merged
into runs of adjacent tree positions (:func:`_runs`: longer vectorised
loops). Rows at level 0 (the midpoint, a constant), at the *local* level
(:mod:`geoai.kernels.tree_local`: the node's degree-2 expansion about the
centre of ``t``, tried after level 0 for power and exponential decays) and
at the *far* level (:mod:`geoai.kernels.tree_m2l`: multipole-to-local
translations up to degree ``far``, tried where the local level fails) are
summed once per group (:func:`~geoai.kernels.tree_m2l.far_fold`,
:func:`~geoai.kernels.tree_local.group_fold`); each
origin then evaluates that sum, the other estimates at its own position
(monopole or quadrupole, clamped into the common interval ``[W f_min, W
f_max]``) and its exact runs by the row loop of :mod:`geoai.kernels.rows`.
With ``order >= 3`` (power and exponential decays) a node whose quadrupole
bound fails is tried at level 3: the multipole of the lowest degree ``<=
order`` whose Cauchy remainder (:mod:`geoai.kernels.tree_multipole`, over the
same pair of balls) fits, on nodes large enough that its evaluation costs less
than their pairs.

The budget ``L`` is the smallest, over the group's points, of a lower bound of
each point's total: its exact sum over ``t`` (self pair excluded, own distance
added) plus ``W f_min`` of a cut of nodes disjoint from ``t``; a first walk
tightens it, and later walks spend up to four times the guaranteed budget,
kept only when their sum of bounds is certified (the proof is in
:func:`geoai.flows._tree.tree_matmat`). Everything depends on the group only,
so a row does not depend on which other origins are asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import prange

from geoai.kernels import jit
from geoai.kernels.decay import EXPONENTIAL, POWER, decay_value
from geoai.kernels.rows import _decay_row
from geoai.kernels.tree import _STACK, TreeSums
from geoai.kernels.tree_bounds import (
    decay_safe,
    f_range,
    hessian_sup,
    km,
    quadrupole,
    third_sup,
)
from geoai.kernels.tree_local import (
    LOCAL,
    N_COEF,
    InteractionLists,
    group_eval,
    group_fold,
    local_bound,
    target_groups,
)
from geoai.kernels.tree_local import pair_gap as _pair_gap
from geoai.kernels.tree_m2l import FAR_ORDER, FarTables, far_eval, far_fold, far_scratch, far_tables
from geoai.kernels.tree_multipole import (
    Multipoles,
    cauchy_bounds,
    multipole_eval,
    multipole_moments,
    scratch,
)
from geoai.kernels.tree_sums import _leaf_sums

if TYPE_CHECKING:
    from geoai.kernels.tree import Moments, Tree

__all__ = ["dual_matmat", "target_groups"]

_GAMMA = 0.5  # share of the budget spread by mass (the rest: by each node's own lower bound)
_SCALES = (4.0, 2.0, 1.0)  # budget scales tried in turn (the last always certifies)
# a multipole of n terms is tried on nodes of at least _EVAL_BASE + _EVAL_TERM n points
# (its evaluation costs about as much as summing that many pairs)
_EVAL_BASE = 20.0
_EVAL_TERM = 0.8


@jit()
def _group_lower(
    tree: Tree,
    mo: Moments,
    t: int,
    geo: bool,
    kind: int,
    beta: float,
    a: float,
    eps: float,
    stack: np.ndarray,
    low: np.ndarray,
) -> None:
    """Add ``W f_min`` of a cut of nodes disjoint from leaf ``t`` (valid for all its points)."""
    ts, te = tree.start[t], tree.stop[t]
    top = 1
    stack[0] = 0
    while top > 0:
        top -= 1
        q = stack[top]
        if tree.start[q] < te and ts < tree.stop[q]:  # an ancestor of t, or inside t
            if tree.start[q] < ts or te < tree.stop[q]:  # an ancestor: always internal
                stack[top] = tree.left[q]
                stack[top + 1] = tree.left[q] + 1
                top += 2
            continue
        clo, chi = _pair_gap(tree, q, t, eps)
        if clo >= 2.0 * (tree.radius[q] + tree.radius[t]) or tree.left[q] < 0:
            fmin, _ = f_range(km(clo, geo), km(min(chi, 2.0) if geo else chi, geo), kind, beta, a)
            for k in range(low.size):
                low[k] += mo.mass[k, q] * fmin
        else:
            stack[top] = tree.left[q]
            stack[top + 1] = tree.left[q] + 1
            top += 2


@jit(inline="always")
def _estimate(
    mo: Moments,
    k: int,
    q: int,
    level: int,
    est0: float,
    lo: float,
    hi: float,
    px: float,
    py: float,
    pz: float,
    geo: bool,
    spec: tuple[int, float, float],
    mp: Multipoles,
    work: np.ndarray,
) -> float:
    """Evaluate node ``q``'s estimate of row ``k`` at one origin, clamped into ``[lo, hi]``.

    Levels: 0 midpoint, 1 monopole, 2 quadrupole, ``>= 3`` the multipole of that degree.
    """
    kind, beta, a = spec
    if level == 0:
        return est0
    ux = px - mo.com[k, 0, q]
    uy = py - mo.com[k, 1, q]
    uz = pz - mo.com[k, 2, q]
    if level == 1:
        e = mo.mass[k, q] * decay_safe(km(np.sqrt(ux * ux + uy * uy + uz * uz), geo), kind, beta, a)
    elif level == 2:
        e = quadrupole(mo, k, q, px, py, pz, geo, kind, beta)
    else:
        e = multipole_eval(mp, k, q, level, (ux, uy, uz), geo, kind, beta, work)
    return min(max(e, lo), hi)


@jit()
def _walk(  # noqa: PLR0915, C901 - one fused traversal
    tree: Tree,
    mo: Moments,
    mp: Multipoles,
    order: int,
    t: int,
    geo: bool,
    kind: int,
    beta: float,
    a: float,
    eps: float,
    own_share: float,
    budget: np.ndarray,
    stack: np.ndarray,
    lists: InteractionLists,
    sums: np.ndarray,
    local: bool,
    far: int,
    frem: np.ndarray,
) -> tuple[int, int]:
    """Walk the source tree once for leaf ``t``; fill ``lists`` and ``sums`` ``(3, m)``.

    ``sums`` rows: the accepted bounds, their ``W f_min``, and ``W f_min`` of the
    exact leaves other than ``t``. ``far``: the highest degree of the far level
    (below 2: none); ``frem`` ``(far + 1,)`` its work space. Returns the numbers
    of accepted nodes and exact leaves.
    """
    m = budget.size
    ts, te = tree.start[t], tree.stop[t]
    smooth = kind in (POWER, EXPONENTIAL)
    r_t = tree.radius[t] + eps  # the local level's |xi| bound
    rem = np.empty(max(order, 0) + 1)  # the remainder bounds of each degree
    est = np.zeros(m)
    err = np.zeros(m)
    lob = np.zeros(m)
    lev = np.zeros(m, np.int64)
    for k in range(m):
        sums[0, k] = 0.0
        sums[1, k] = 0.0
        sums[2, k] = 0.0
    n_acc = 0
    n_ex = 0
    top = 1
    stack[0] = 0
    while top > 0:
        top -= 1
        q = stack[top]
        empty = True
        for k in range(m):
            if mo.mass[k, q] > 0.0:
                empty = False
        if empty or (ts <= tree.start[q] and tree.stop[q] <= te):
            continue  # inside t: the own sums
        ok = not (tree.start[q] < te and ts < tree.stop[q])
        fmin, fmax = 0.0, 0.0
        if ok:
            clo, chi = _pair_gap(tree, q, t, eps)
            dlo = km(clo, geo)
            dhi = km(min(chi, 2.0) if geo else chi, geo)
            fmin, fmax = f_range(dlo, dhi, kind, beta, a)
            smooth_here = smooth and dlo > 0.0
            hess = -1.0  # computed once per node, when a row needs it
            third = -1.0
            far_ready = False
            for k in range(m):
                w = mo.mass[k, q]
                est[k], err[k], lob[k], lev[k] = 0.0, 0.0, 0.0, 0
                if w <= 0.0:
                    continue
                lo, hi = w * fmin, w * fmax
                lob[k] = lo
                cap = budget[k] * w + own_share * lo
                est[k] = 0.5 * (lo + hi) if hi < np.inf else 0.0
                err[k] = 0.5 * (hi - lo) if hi > lo else 0.0
                if err[k] > cap and smooth_here and local:  # the group's local expansion
                    if third < 0.0:
                        third = third_sup(clo, chi, dlo, fmax, geo, kind, beta)
                    r5 = local_bound(third, r_t, w, mo.s1[k, q], mo.s2[k, q], mo.s3[k, q])
                    if r5 <= cap:
                        err[k], lev[k] = r5, LOCAL
                if err[k] > cap and smooth_here and far >= 2:  # the far level (tree_m2l)
                    if not far_ready:
                        gx = tree.centre[0, q] - tree.centre[0, t]
                        gy = tree.centre[1, q] - tree.centre[1, t]
                        gz = tree.centre[2, q] - tree.centre[2, t]
                        rho = np.sqrt(gx * gx + gy * gy + gz * gz)
                        cauchy_bounds(rho, rho, tree.radius[q] + r_t + eps, geo, kind, beta, frem)
                        far_ready = True
                    for d in range(2, far + 1):
                        if w * frem[d] <= cap:
                            err[k], lev[k] = w * frem[d], -d
                            break
                if err[k] > cap:
                    if hess < 0.0:
                        hess = hessian_sup(dlo, dhi, chi, geo, kind, beta, a, fmax)
                    r2 = 0.5 * mo.s2[k, q] * hess
                    if r2 < err[k]:
                        err[k], lev[k] = r2, 1
                if err[k] > cap and smooth_here:
                    if third < 0.0:
                        third = third_sup(clo, chi, dlo, fmax, geo, kind, beta)
                    r3 = mo.s3[k, q] * third / 6.0
                    if r3 < err[k]:
                        err[k], lev[k] = r3, 2
                if (
                    err[k] > cap
                    and smooth_here
                    and order >= 3
                    and tree.stop[q] - tree.start[q] >= _EVAL_BASE + _EVAL_TERM * mp.ends[3]
                ):
                    # level 3: the lowest multipole degree whose Cauchy bound fits
                    gx = mo.com[k, 0, q] - tree.centre[0, t]
                    gy = mo.com[k, 1, q] - tree.centre[1, t]
                    gz = mo.com[k, 2, q] - tree.centre[2, t]
                    gap = np.sqrt(gx * gx + gy * gy + gz * gz)
                    rlo = gap - tree.radius[t] - eps
                    rhi = gap + tree.radius[t] + eps
                    cauchy_bounds(rlo, rhi, mp.rad[k, q] + eps, geo, kind, beta, rem)
                    for deg in range(3, order + 1):
                        if tree.stop[q] - tree.start[q] < _EVAL_BASE + _EVAL_TERM * mp.ends[deg]:
                            break  # dearer than summing the node's pairs
                        r4 = w * rem[deg]
                        if r4 < err[k]:
                            err[k], lev[k] = r4, deg
                        if err[k] <= cap:
                            break
                if err[k] > cap:
                    ok = False
                    break
        if ok:
            lists.nodes[n_acc] = q
            for k in range(m):
                w = mo.mass[k, q]
                lists.level[k, n_acc] = lev[k]
                lists.est0[k, n_acc] = est[k]
                lists.lo[k, n_acc] = w * fmin if w > 0.0 else 0.0
                lists.hi[k, n_acc] = w * fmax if w > 0.0 else 0.0
                sums[0, k] += err[k]
                sums[1, k] += lob[k]
            n_acc += 1
        elif tree.left[q] < 0:
            lists.leaves[n_ex] = q
            n_ex += 1
            for k in range(m):
                sums[2, k] += mo.mass[k, q] * fmin
        else:
            stack[top] = tree.left[q]
            stack[top + 1] = tree.left[q] + 1
            top += 2
    return n_acc, n_ex


@jit()
def _runs(tree: Tree, leaves: np.ndarray, n_ex: int, runs: np.ndarray) -> int:
    """Merge the exact leaves into runs of adjacent tree positions ``runs[:, r] = (start, stop)``.

    Longer runs make longer vectorised row loops; returns the number of runs.
    """
    starts = tree.start[leaves[:n_ex]]
    order = np.argsort(starts)
    n_runs = 0
    for r in range(n_ex):
        q = leaves[order[r]]
        if n_runs > 0 and runs[1, n_runs - 1] == tree.start[q]:
            runs[1, n_runs - 1] = tree.stop[q]
        else:
            runs[0, n_runs] = tree.start[q]
            runs[1, n_runs] = tree.stop[q]
            n_runs += 1
    return n_runs


@jit()
def _run_sums(
    mo: Moments,
    s: int,
    e: int,
    buf: np.ndarray,
    acc: np.ndarray,
) -> None:
    """Add ``sum_p buf[p] v[k, p]`` over tree positions ``[s, e)`` to ``acc[k]``."""
    for k in range(acc.size):
        vk = mo.v[k]
        t = 0.0
        for p in range(s, e):
            t += buf[p] * vk[p]
        acc[k] += t


@jit(parallel=True)
def dual_matmat(  # noqa: PLR0915, C901 - one fused traversal kernel
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
    group: int,
    order: int = 0,
    local: bool = True,
    far: int = FAR_ORDER,
) -> TreeSums:
    """Return what :func:`~geoai.kernels.tree_sums.tree_matmat` returns, by one walk per group.

    A node ``q`` disjoint from the origins' target node ``t`` is accepted when,
    for every row, its bound over the pair interval is at most ``s rtol (L W_q /
    (2 W_total) + W_q f_min / 2)`` (``L``: the group's budget, ``s``: the budget
    scale, see the module notes); the per-origin bound reported is the sum of
    the accepted bounds (the same for all origins of ``t``) and the lower bound
    is the largest of the group's ``L`` and the sum of accepted ``W f_min`` plus
    the origin's exact parts, so ``error <= rtol * lower``.

    Parameters
    ----------
    tree, mo, origins, geo, own, kind, beta, a, rtol, eps, n_chunks
        As in :func:`geoai.kernels.tree_sums.tree_matmat`.
    group : int
        Largest number of points of a target node (>= 1; a leaf is always one).
    order : int, default 0
        Highest multipole degree of level 3 (power and exponential decays;
        :data:`~geoai.kernels.tree_multipole.ORDER` is the tested one). Below 3
        (the default) the quadrupole is the last estimate: on the GeoNames
        benchmark (N = 1e5, power 1.7, rtol 1e-4) level 3 cuts the nodes per
        origin by a third, but one evaluation costs about 100 exact pairs at
        degree 6, so the walk is about 15% slower.
    local : bool, default True
        Try the local level (:mod:`geoai.kernels.tree_local`) where the midpoint
        fails. On that benchmark it takes about 30-45% of the accepted nodes out
        of the per-origin evaluation, and cuts the CPU time per origin by about
        10% (25% on a block of the N = 1e6 world; see ``benchmarks/bench_tree.py``).
    far : int, default FAR_ORDER
        Highest degree of the far level (:mod:`geoai.kernels.tree_m2l`, power and
        exponential decays), tried where the local level fails; below 2: none.

    Returns
    -------
    TreeSums
        ``(value, error, lower)``, each ``(m, n_o)``, and the work per origin:
        ``sources`` (accepted nodes) and ``pairs`` (pairs summed exactly, the
        origin's own target node included).

    Examples
    --------
    >>> import numpy as np
    >>> from geoai.kernels.decay import POWER
    >>> from geoai.kernels.interaction import symmetric_matmat
    >>> from geoai.kernels.tree import build_tree, node_moments
    >>> rng = np.random.default_rng(0)
    >>> x, v = rng.uniform(0, 100, (2, 400)), rng.uniform(0, 1, (1, 400))
    >>> own = np.full(400, np.nan)
    >>> t = build_tree(x, 8)
    >>> s = dual_matmat(t, node_moments(t, v), np.arange(400), False, own, POWER,
    ...                 1.5, 0.0, 1e-3, 1e-12, 2, 32)
    >>> exact = symmetric_matmat(x, False, own, POWER, 1.5, 0.0, v, 2)
    >>> bool(np.all(np.abs(s.value - exact) <= s.error + 1e-12 * exact))
    True
    >>> bool(np.all(s.error <= 1e-3 * s.lower * (1 + 1e-12)))
    True
    """
    m = mo.mass.shape[0]
    n = tree.perm.size
    n_nodes = tree.left.size
    n_o = origins.size
    value = np.zeros((m, n_o))
    error = np.zeros((m, n_o))
    lower = np.zeros((m, n_o))
    sources = np.zeros(n_o, np.int64)
    pairs = np.zeros(n_o, np.int64)
    total = np.zeros(m)
    for k in range(m):
        total[k] = mo.mass[k, 0]
    share = _GAMMA * rtol  # of rtol L, spread by mass
    own_rt = (1.0 - _GAMMA) * rtol  # of each node's own W f_min
    deg = order if kind in (POWER, EXPONENTIAL) else 0
    mm = multipole_moments(tree, mo, deg, geo)
    # built here by name: Numba's parallel loop finds a named tuple's class by its constructor
    mp = Multipoles(
        mm.ti, mm.tb, mm.ex, mm.ey, mm.ez, mm.ta, mm.ends, mm.mpar, mm.maxis, mm.mom, mm.rad
    )
    fdeg = far if kind in (POWER, EXPONENTIAL) and far >= 2 else 0
    f0 = far_tables(tree, mo, fdeg, geo)
    ft = FarTables(
        f0.mpar, f0.maxis, f0.mend, f0.ca, f0.cn, f0.cm, f0.cc, f0.cend, f0.mdeg, f0.ifact,
        f0.add, f0.mom,
    )  # fmt: skip
    perm, leaves, first = target_groups(tree, origins, group)
    widest = 1
    for g in range(leaves.size):
        widest = max(widest, tree.stop[leaves[g]] - tree.start[leaves[g]])
    n_groups = leaves.size
    for ch in prange(n_chunks):
        buf = np.empty(n)
        stack = np.empty(_STACK, np.int64)
        own_sum = np.zeros((m, widest))
        low = np.zeros(m)
        own_min = np.zeros(m)
        common = np.zeros(m)
        budget = np.zeros(m)
        acc = np.zeros(m)
        exact = np.zeros(m)
        est = np.zeros(m)
        sums = np.zeros((3, m))
        grp = np.zeros((m, N_COEF + 3))  # the group-level sums (tree_local.group_fold)
        work = scratch(max(deg, 1))
        fwork = far_scratch(max(fdeg, 1))
        frem = np.empty(fdeg + 1)
        fcoef = np.zeros((m, ft.mpar.size))
        fclamp = np.zeros((m, 2))
        runs = np.empty((2, n_nodes), np.int64)
        lists = InteractionLists(
            np.empty(n_nodes, np.int64), np.empty(n_nodes, np.int64),
            np.empty((m, n_nodes), np.int64), np.empty((m, n_nodes)),
            np.empty((m, n_nodes)), np.empty((m, n_nodes)),
        )  # fmt: skip
        for g in range(ch, n_groups, n_chunks):
            t = leaves[g]
            ts, te = tree.start[t], tree.stop[t]
            # the budget: own-leaf sums of every point of t, plus a cut disjoint from t
            for k in range(m):
                common[k] = 0.0
            _group_lower(tree, mo, t, geo, kind, beta, a, eps, stack, common)
            for k in range(m):
                own_min[k] = np.inf
            for p in range(ts, te):
                j = tree.perm[p]
                fjj = 0.0 if np.isnan(own[j]) else decay_value(own[j], kind, beta, a)
                for k in range(m):
                    est[k] = 0.0
                _leaf_sums(
                    tree, mo, t, p, tree.sx[p], tree.sy[p], tree.sz[p], geo, kind, beta, a,
                    buf, est,
                )  # fmt: skip
                for k in range(m):
                    own_sum[k, p - ts] = est[k] + fjj * mo.v[k, p]
                    own_min[k] = min(own_min[k], own_sum[k, p - ts])
            for k in range(m):
                low[k] = own_min[k] + common[k]
                budget[k] = share * low[k] / total[k] if total[k] > 0.0 else 0.0
            # walk 1 (coarse budget) gives a tighter lower bound; then walks that spend more
            # of the budget, each kept only if its sum of bounds is certified (the last
            # scale, 1, always is: sum <= gamma rtol low + (1 - gamma) rtol sums[1])
            _walk(
                tree, mo, mp, deg, t, geo, kind, beta, a, eps, own_rt, budget, stack, lists,
                sums, local, fdeg, frem,
            )  # fmt: skip
            for k in range(m):  # sums[2]: W f_min of the exact leaves
                low[k] = max(low[k], sums[1, k] + sums[2, k] + own_min[k])
            for scale in _SCALES:
                for k in range(m):
                    budget[k] = scale * share * low[k] / total[k] if total[k] > 0.0 else 0.0
                n_acc, n_ex = _walk(
                    tree, mo, mp, deg, t, geo, kind, beta, a, eps, scale * own_rt, budget, stack,
                    lists, sums, local, fdeg, frem,
                )  # fmt: skip
                fits = True
                for k in range(m):
                    floor = max(low[k], sums[1, k] + sums[2, k] + own_min[k])
                    if sums[0, k] > rtol * floor:
                        fits = False
                if fits:
                    for k in range(m):
                        low[k] = max(low[k], sums[1, k] + sums[2, k] + own_min[k])
                    break
            n_runs = _runs(tree, lists.leaves, n_ex, runs)
            n_pairs = 0
            for r in range(n_runs):
                n_pairs += runs[1, r] - runs[0, r]
            n_far = far_fold(tree, ft, t, lists, n_acc, geo, (kind, beta), fcoef, fclamp, fwork)
            n_per = group_fold(tree, mo, t, lists, n_acc, geo, (kind, beta), grp)
            for k in range(m):  # the far nodes join the local level's clamp
                grp[k, 1 + N_COEF] += fclamp[k, 0]
                grp[k, 2 + N_COEF] += fclamp[k, 1]
            # each origin of t: its own position, the group-level sums, the per-origin list
            for r in range(first[g], first[g + 1]):
                o = perm[r]
                ip = tree.pos[origins[o]]
                px, py, pz = tree.sx[ip], tree.sy[ip], tree.sz[ip]
                for k in range(m):
                    acc[k] = own_sum[k, ip - ts]
                    exact[k] = acc[k]
                for k in range(m):
                    est[k] = 0.0
                for e in range(n_runs):  # runs are disjoint from t: no self pair
                    rs, re = runs[0, e], runs[1, e]
                    _decay_row(
                        px, py, pz, tree.sx, tree.sy, tree.sz, rs, re, geo, kind, beta, a, buf
                    )
                    _run_sums(mo, rs, re, buf, est)
                xi = (px - tree.centre[0, t], py - tree.centre[1, t], pz - tree.centre[2, t])
                for k in range(m):
                    fv = far_eval(ft, fcoef[k], xi, fwork) if n_far > 0 else 0.0
                    acc[k] += est[k] + group_eval(tree, grp, t, k, ip, fv)
                    exact[k] += est[k]
                for e in range(n_per):
                    q = lists.nodes[e]
                    for k in range(m):
                        acc[k] += _estimate(
                            mo, k, q, lists.level[k, e], lists.est0[k, e], lists.lo[k, e],
                            lists.hi[k, e],
                            px, py, pz, geo, (kind, beta, a), mp, work,
                        )  # fmt: skip
                for k in range(m):
                    value[k, o] = acc[k]
                    error[k, o] = sums[0, k]
                    lower[k, o] = max(
                        own_sum[k, ip - ts] + common[k], low[k], sums[1, k] + exact[k]
                    )
                sources[o] = n_acc
                pairs[o] = n_pairs + te - ts
    return TreeSums(value, error, lower, sources, pairs)
