r"""The far level of the tree code: multipole-to-local translations of any degree ``p``.

The local level (:mod:`geoai.kernels.tree_local`) expands a source node's sum
about the centre of a target group to degree 2, bounded by a third derivative
over the pair interval. This module expands it to any degree ``p`` in *both*
offsets at once, with the Cauchy remainder of
:mod:`geoai.kernels.tree_multipole`: accepted nodes far from the group at a
tight budget, where degree 2 does not fit, cost one polynomial per group
instead of a walk down to their leaves.

**The expansion.** Node ``q`` is a ball ``B(z_q, r_q)`` (centre and radius of
the tree), the target group a ball ``B(z_t, r_t)``. For an origin ``x = z_t +
xi`` and a source point ``y = z_q + delta``, ``x - y = u + zeta`` with ``u =
z_t - z_q`` and ``zeta = xi - delta``, ``|zeta| <= r = r_q + r_t``. Write
``h(w) = f(D(|w|))`` and ``G(s) = f(D(sqrt s))`` (as in
:mod:`geoai.kernels.tree_multipole`), so ``h(u + zeta) = G(|u|^2 + sigma)``
with ``sigma = 2 u . zeta + |zeta|^2``. With ``G_n`` the Taylor coefficients
of ``G`` at ``|u|^2`` (:func:`~geoai.kernels.tree_multipole.g_series`), the
terms of total degree ``<= p`` in ``zeta`` are

    ``P(zeta) = sum_{i + 2b <= p} G_{i+b} C(i+b, b) 2^i (u . zeta)^i |zeta|^(2b)
    = sum_{|alpha| <= p} c_alpha zeta^alpha``,

    ``c_alpha = sum_{mu + 2 nu = alpha} G_{|mu|+|nu|} C(|mu|+|nu|, |nu|) 2^|mu|
    multinomial(mu) multinomial(nu) u^mu``

(:func:`_coefficient_table`: one row per ``(alpha, nu)``). Expanding
``zeta^alpha = (xi - delta)^alpha`` by the binomial theorem and summing over
the node's points with masses ``w_j``, the node's contribution to every
origin of the group is the polynomial ``sum_beta L_beta xi^beta`` with

    ``L_beta = sum_{|beta| + |gamma| <= p} C(beta + gamma, beta) c_(beta+gamma) N_gamma``,
    ``N_gamma = sum_j w_j (z_q - y_j)^gamma``

(:func:`_pair_table`: one row per ``(beta, gamma)``; ``C`` of multi-indices
is the product of the binomials). The moments ``N`` are taken about the ball's
centre, so a parent gets them from its children by the exact shift ``N_gamma =
sum_{beta <= gamma} C(gamma, beta) (z_q - z_c)^(gamma - beta) N_beta(c)``
(:func:`far_tables`). The coefficients ``L`` of every far node of a group add
up, and each origin evaluates one polynomial (:func:`far_fold`, :func:`far_eval`).

**The remainder.** For one pair, ``P(zeta)`` is the degree-``p`` Taylor
polynomial at ``s = 1`` of the one-variable ``phi(s) = h(u + s zeta)`` (its
terms of degree ``n`` in ``s`` are those of degree ``n`` in ``zeta``), the
function :func:`~geoai.kernels.tree_multipole.cauchy_bounds` bounds with ``a
= u`` and the perturbation ``-zeta``: ``|phi(1) - P| <= R_p(|u|, |u|, r)``
per unit mass, ``r`` bounding ``|zeta|``. So the node's error is at most ``W
R_p`` for every origin of ``t`` at once (``W`` the node's mass); the walk
(:func:`geoai.kernels.tree_dual._walk`) takes the lowest degree whose bound
fits the node's share of the budget, after the degree-2 local level fails (the
same cap: the proof of the budget is unchanged). The far nodes' ``[W f_min, W
f_max]`` join the local level's clamp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import prange

from geoai.kernels import jit
from geoai.kernels.tree_multipole import g_series, monomial_index, monomial_table

if TYPE_CHECKING:
    from geoai.kernels.tree import Moments, Tree
    from geoai.kernels.tree_local import InteractionLists

__all__ = [
    "FAR_ORDER",
    "FarTables",
    "far_add",
    "far_eval",
    "far_fold",
    "far_scratch",
    "far_tables",
]

#: The highest degree of the far level (``dual_matmat(..., far=FAR_ORDER)``). On a block of
#: the 10^6-place benchmark (power 1.7, rtol 1e-4) degree 8 cuts the CPU time per origin by
#: about 4x against no far level; degrees 10 and 12 cost more in tables than they save.
FAR_ORDER = 8


class FarTables(NamedTuple):
    """The index tables of one degree ``p`` and every node's moments (see the module notes).

    Monomials are sorted by degree (monomial 0 is 1); the table rows of degree
    ``<= d`` are the first ``cend[d]`` (coefficients) and ``pend[d]`` (pairs).
    """

    mpar: np.ndarray  #: (n_mono,) int64: monomial e is monomial mpar[e] times coordinate maxis[e]
    maxis: np.ndarray  #: (n_mono,) int64
    mend: np.ndarray  #: (p + 1,) int64: monomials of degree <= d
    ca: np.ndarray  #: (n_c,) int64: the coefficient c_alpha a row adds to
    cn: np.ndarray  #: (n_c,) int64: its Taylor coefficient G_n
    cm: np.ndarray  #: (n_c,) int64: its monomial u^mu
    cc: np.ndarray  #: (n_c,): its constant C(n, |nu|) 2^|mu| multinomial(mu) multinomial(nu)
    cend: np.ndarray  #: (p + 1,) int64
    pb: np.ndarray  #: (n_pairs,) int64: the coefficient L_beta a pair adds to
    pg: np.ndarray  #: (n_pairs,) int64: its moment N_gamma
    pa: np.ndarray  #: (n_pairs,) int64: its c_alpha, alpha = beta + gamma
    pc: np.ndarray  #: (n_pairs,): C(alpha, beta)
    pend: np.ndarray  #: (p + 1,) int64
    mom: np.ndarray  #: (m, n_nodes, n_mono): N_gamma of each row and node (empty below p = 2)


@jit()
def _factorials(n: int) -> np.ndarray:
    """Return ``0!, 1!, ..., n!`` as floats."""
    out = np.ones(n + 1)
    for j in range(1, n + 1):
        out[j] = out[j - 1] * j
    return out


@jit()
def _coefficient_table(
    exps: np.ndarray, p: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """List the rows ``(alpha, nu)`` of ``c_alpha`` (module notes), by the degree of ``alpha``.

    Returns ``ca, cn, cm, cc, cend`` of :class:`FarTables`.
    """
    idx = monomial_index(exps, p)
    fact = _factorials(p)
    n_mono = exps.shape[0]
    cap = n_mono * n_mono
    ca = np.zeros(cap, np.int64)
    cn = np.zeros(cap, np.int64)
    cm = np.zeros(cap, np.int64)
    cc = np.zeros(cap)
    cend = np.zeros(p + 1, np.int64)
    r = 0
    for e in range(n_mono):
        ax, ay, az = exps[e, 0], exps[e, 1], exps[e, 2]
        for nx in range(ax // 2 + 1):
            for ny in range(ay // 2 + 1):
                for nz in range(az // 2 + 1):
                    mx, my, mz = ax - 2 * nx, ay - 2 * ny, az - 2 * nz
                    i, b = mx + my + mz, nx + ny + nz
                    multi_mu = fact[i] / (fact[mx] * fact[my] * fact[mz])
                    multi_nu = fact[b] / (fact[nx] * fact[ny] * fact[nz])
                    ca[r], cn[r], cm[r] = e, i + b, idx[mx, my, mz]
                    cc[r] = fact[i + b] / (fact[i] * fact[b]) * 2.0**i * multi_mu * multi_nu
                    r += 1
        cend[ax + ay + az] = r
    return ca[:r].copy(), cn[:r].copy(), cm[:r].copy(), cc[:r].copy(), cend


@jit()
def _pair_table(
    exps: np.ndarray, p: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """List the rows ``(beta, gamma)`` with ``alpha = beta + gamma``, by the degree of ``alpha``.

    Returns ``pb, pg, pa, pc, pend`` of :class:`FarTables` (``C(p + 2 dim, 2 dim)`` rows).
    """
    idx = monomial_index(exps, p)
    fact = _factorials(p)
    n_mono = exps.shape[0]
    cap = n_mono * n_mono
    pb = np.zeros(cap, np.int64)
    pg = np.zeros(cap, np.int64)
    pa = np.zeros(cap, np.int64)
    pc = np.zeros(cap)
    pend = np.zeros(p + 1, np.int64)
    r = 0
    for e in range(n_mono):
        ax, ay, az = exps[e, 0], exps[e, 1], exps[e, 2]
        for bx in range(ax + 1):
            for by in range(ay + 1):
                for bz in range(az + 1):
                    pb[r], pg[r], pa[r] = idx[bx, by, bz], idx[ax - bx, ay - by, az - bz], e
                    pc[r] = (
                        fact[ax] / (fact[bx] * fact[ax - bx])
                        * fact[ay] / (fact[by] * fact[ay - by])
                        * fact[az] / (fact[bz] * fact[az - bz])
                    )  # fmt: skip
                    r += 1
        pend[ax + ay + az] = r
    return pb[:r].copy(), pg[:r].copy(), pa[:r].copy(), pc[:r].copy(), pend


@jit()
def far_scratch(p: int) -> np.ndarray:
    """Work space of :func:`far_add` and :func:`far_eval` for degrees up to ``p``.

    Rows 0-4: :func:`~geoai.kernels.tree_multipole.g_series`; 5: the monomials of
    ``u``; 6: the coefficients ``c_alpha``; 7: the monomials of ``xi``.
    """
    return np.zeros((8, (p + 1) * (p + 2) * (p + 3) // 6 + 1))


@jit(inline="always")
def _powers(
    par: np.ndarray, axis: np.ndarray, n: int, x: float, y: float, z: float, out: np.ndarray
) -> None:
    """``out[:n] = `` the first ``n`` monomials of ``(x, y, z)``."""
    out[0] = 1.0
    for e in range(1, n):
        a = axis[e]
        out[e] = out[par[e]] * (x if a == 0 else (y if a == 1 else z))


@jit(parallel=True)
def far_tables(tree: Tree, mo: Moments, p: int, geo: bool) -> FarTables:
    """Build the tables of degree ``p`` and the moments ``N`` of every node and row.

    Leaves take their moments from their points, parents from their children by
    the exact binomial shift (module notes), one depth at a time.

    Parameters
    ----------
    tree : Tree
        From :func:`geoai.kernels.tree.build_tree`.
    mo : Moments
        From :func:`geoai.kernels.tree.node_moments` (the masses in tree order).
    p : int
        The degree (below 2: the tables of degree 0 and no moments).
    geo : bool
        Unit vectors (3 variables) or planar points (2).

    Returns
    -------
    FarTables
        ``mom`` is ``(m, n_nodes, C(p + dim, dim))`` (coordinate units to the
        power of each monomial, times mass).
    """
    m = mo.mass.shape[0]
    n_nodes = tree.start.size
    pp = p if p >= 2 else 0
    exps, mpar, maxis, mend = monomial_table(3 if geo else 2, pp)
    ca, cn, cm, cc, cend = _coefficient_table(exps, pp)
    pb, pg, pa, pc, pend = _pair_table(exps, pp)
    n_mono = exps.shape[0]
    if p < 2:
        mom = np.zeros((m, 0, n_mono))
        return FarTables(mpar, maxis, mend, ca, cn, cm, cc, cend, pb, pg, pa, pc, pend, mom)
    mom = np.zeros((m, n_nodes, n_mono))
    depth = np.zeros(n_nodes, np.int64)
    for q in range(n_nodes):  # children follow their parent
        if tree.left[q] >= 0:
            depth[tree.left[q]] = depth[q] + 1
            depth[tree.left[q] + 1] = depth[q] + 1
    by_depth = np.argsort(depth, kind="mergesort")
    leaves = np.flatnonzero(tree.left < 0)
    for r in prange(leaves.size):
        q = leaves[r]
        mono = np.empty(n_mono)
        for j in range(tree.start[q], tree.stop[q]):
            _powers(
                mpar, maxis, n_mono, tree.centre[0, q] - tree.sx[j],
                tree.centre[1, q] - tree.sy[j], tree.centre[2, q] - tree.sz[j], mono,
            )  # fmt: skip
            for k in range(m):
                w = mo.v[k, j]
                for e in range(n_mono):
                    mom[k, q, e] += w * mono[e]
    hi = n_nodes
    while hi > 0:  # one depth at a time, deepest first
        lo = hi - 1
        while lo > 0 and depth[by_depth[lo - 1]] == depth[by_depth[hi - 1]]:
            lo -= 1
        for r in prange(lo, hi):
            q = by_depth[r]
            if tree.left[q] < 0:
                continue
            shift = np.empty(n_mono)
            for c in (tree.left[q], tree.left[q] + 1):
                _powers(
                    mpar, maxis, n_mono, tree.centre[0, q] - tree.centre[0, c],
                    tree.centre[1, q] - tree.centre[1, c], tree.centre[2, q] - tree.centre[2, c],
                    shift,
                )  # fmt: skip
                for k in range(m):
                    for e in range(pb.size):  # N_a(q) += C(a, b) s^(a-b) N_b(c)
                        mom[k, q, pa[e]] += pc[e] * shift[pg[e]] * mom[k, c, pb[e]]
        hi = lo
    return FarTables(mpar, maxis, mend, ca, cn, cm, cc, cend, pb, pg, pa, pc, pend, mom)


@jit(inline="always")
def far_add(
    ft: FarTables,
    k: int,
    q: int,
    u: tuple[float, float, float],
    deg: int,
    geo: bool,
    spec: tuple[int, float],
    work: np.ndarray,
    coef: np.ndarray,
) -> None:
    """Add node ``q``'s degree-``deg`` polynomial in ``xi`` (row ``k``) to ``coef``.

    ``u = z_t - z_q`` (coordinates, not 0; the centres of the two balls); ``coef``
    ``(n_mono,)`` gets ``L_beta`` (module notes); ``work`` from :func:`far_scratch`.
    """
    kind, beta = spec
    ux, uy, uz = u
    g_series(ux * ux + uy * uy + uz * uz, deg, geo, kind, beta, work)
    gs, umono, c = work[0], work[5], work[6]
    n_mono = ft.mend[deg]
    _powers(ft.mpar, ft.maxis, n_mono, ux, uy, uz, umono)
    for e in range(n_mono):
        c[e] = 0.0
    for r in range(ft.cend[deg]):
        c[ft.ca[r]] += ft.cc[r] * gs[ft.cn[r]] * umono[ft.cm[r]]
    mom = ft.mom[k, q]
    for r in range(ft.pend[deg]):
        coef[ft.pb[r]] += ft.pc[r] * c[ft.pa[r]] * mom[ft.pg[r]]


@jit(inline="always")
def far_eval(
    ft: FarTables, coef: np.ndarray, xi: tuple[float, float, float], work: np.ndarray
) -> float:
    """Evaluate the polynomial ``coef`` ``(n_mono,)`` at the offset ``xi`` from the centre."""
    n_mono = coef.size
    mono = work[7]
    _powers(ft.mpar, ft.maxis, n_mono, xi[0], xi[1], xi[2], mono)
    total = 0.0
    for e in range(n_mono):
        total += coef[e] * mono[e]
    return total


@jit()
def far_fold(
    tree: Tree,
    ft: FarTables,
    t: int,
    lists: InteractionLists,
    n_acc: int,
    geo: bool,
    spec: tuple[int, float],
    coef: np.ndarray,
    clamp: np.ndarray,
    work: np.ndarray,
) -> int:
    """Fold the far rows of target ``t``'s interaction list into one polynomial per row.

    Rows at level ``-d`` (``d >= 2``: the far level of degree ``d``,
    :func:`geoai.kernels.tree_dual._walk`) of the ``n_acc`` accepted nodes add
    their coefficients to ``coef`` ``(m, n_mono)`` and their ``W f_min``, ``W
    f_max`` to ``clamp`` ``(m, 2)`` (both zeroed first); they are then set to
    a zero constant (level 0), which :func:`~geoai.kernels.tree_local.group_fold`
    drops.

    Returns
    -------
    int
        The number of far rows folded.
    """
    m = coef.shape[0]
    coef[:] = 0.0
    clamp[:] = 0.0
    n_far = 0
    for e in range(n_acc):
        q = lists.nodes[e]
        u = (
            tree.centre[0, t] - tree.centre[0, q],
            tree.centre[1, t] - tree.centre[1, q],
            tree.centre[2, t] - tree.centre[2, q],
        )
        for k in range(m):
            lev = lists.level[k, e]
            if lev > -2:
                continue
            far_add(ft, k, q, u, -lev, geo, spec, work, coef[k])
            clamp[k, 0] += lists.lo[k, e]
            clamp[k, 1] += lists.hi[k, e]
            lists.level[k, e] = 0
            lists.est0[k, e] = 0.0
            lists.lo[k, e] = 0.0
            lists.hi[k, e] = 0.0
            n_far += 1
    return n_far
