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

(``C`` of multi-indices is the product of the binomials). Stored scaled, as
``alpha! c_alpha``, ``N_gamma / gamma!`` and ``beta! L_beta``, the sum has no
binomial left: ``beta! L_beta = sum_gamma (alpha! c_alpha) (N_gamma /
gamma!)``, a dot product of the scaled moments (contiguous, ``gamma`` in
monomial order) with the coefficients gathered through one table of the
indices of ``beta + gamma`` (:func:`_sum_table`). The moments ``N`` are taken
about the ball's centre, so a parent gets them from its children by the exact
shift ``N_gamma / gamma! = sum_{beta <= gamma} (z_q - z_c)^(gamma - beta) /
(gamma - beta)! N_beta(c) / beta!`` (:func:`far_tables`). The coefficients
``L`` of every far node of a group add up, and each origin evaluates one
polynomial (:func:`far_fold`, :func:`far_eval`).

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
from geoai.kernels.tree_multipole import (
    factorials,
    g_series,
    monomial_index,
    monomial_powers,
    monomial_table,
)

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

    Monomials are sorted by degree (monomial 0 is 1); the coefficient rows of
    degree ``<= d`` are the first ``cend[d]``.
    """

    mpar: np.ndarray  #: (n_mono,) int64: monomial e is monomial mpar[e] times coordinate maxis[e]
    maxis: np.ndarray  #: (n_mono,) int64
    mend: np.ndarray  #: (p + 1,) int64: monomials of degree <= d
    ca: np.ndarray  #: (n_c,) int64: the coefficient c_alpha a row adds to
    cn: np.ndarray  #: (n_c,) int64: its Taylor coefficient G_n
    cm: np.ndarray  #: (n_c,) int64: its monomial u^mu
    #: (n_c,): alpha! C(n, |nu|) 2^|mu| multinomial(mu) multinomial(nu)
    cc: np.ndarray
    cend: np.ndarray  #: (p + 1,) int64
    mdeg: np.ndarray  #: (n_mono,) int64: the degree of each monomial
    ifact: np.ndarray  #: (n_mono,): 1 / beta! of each monomial
    add: np.ndarray  #: (n_mono, n_mono) int64: the index of beta + gamma (-1 above degree p)
    mom: np.ndarray  #: (m, n_nodes, n_mono): N_gamma / gamma! per row and node (none below p = 2)


@jit()
def _coefficient_table(
    exps: np.ndarray, p: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """List the rows ``(alpha, nu)`` of ``c_alpha`` (module notes), by the degree of ``alpha``.

    Returns ``ca, cn, cm, cc, cend`` of :class:`FarTables`.
    """
    idx = monomial_index(exps, p)
    fact = factorials(p)
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
                    cc[r] *= fact[ax] * fact[ay] * fact[az]  # stored as alpha! c_alpha
                    r += 1
        cend[ax + ay + az] = r
    return ca[:r].copy(), cn[:r].copy(), cm[:r].copy(), cc[:r].copy(), cend


@jit()
def _sum_table(exps: np.ndarray, p: int) -> np.ndarray:
    """Return ``add[beta, gamma]``, the index of ``beta + gamma`` (-1 where its degree is > ``p``).

    ``C(p + 2 dim, 2 dim)`` entries are set: the pairs ``(beta, gamma)`` of total degree ``<= p``.
    """
    idx = monomial_index(exps, p)
    n_mono = exps.shape[0]
    add = np.full((n_mono, n_mono), -1, np.int64)
    for e in range(n_mono):
        for g in range(n_mono):
            x, y, z = exps[e, 0] + exps[g, 0], exps[e, 1] + exps[g, 1], exps[e, 2] + exps[g, 2]
            if x + y + z <= p:
                add[e, g] = idx[x, y, z]
    return add


@jit()
def far_scratch(p: int) -> np.ndarray:
    """Work space of :func:`far_add` and :func:`far_eval` for degrees up to ``p``.

    Rows 0-4: :func:`~geoai.kernels.tree_multipole.g_series`; 5: the monomials of
    ``u``; 6: the coefficients ``c_alpha``; 7: the monomials of ``xi``.
    """
    return np.zeros((8, (p + 1) * (p + 2) * (p + 3) // 6 + 1))


@jit()
def _degrees(exps: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the degree ``|beta|`` and ``1 / beta!`` of each monomial of a table."""
    fact = factorials(p)
    n_mono = exps.shape[0]
    mdeg = np.zeros(n_mono, np.int64)
    ifact = np.zeros(n_mono)
    for e in range(n_mono):
        mdeg[e] = exps[e, 0] + exps[e, 1] + exps[e, 2]
        ifact[e] = 1.0 / (fact[exps[e, 0]] * fact[exps[e, 1]] * fact[exps[e, 2]])
    return mdeg, ifact


@jit(parallel=True)
def _shift_up(tree: Tree, ft: FarTables, mom: np.ndarray, depth: np.ndarray) -> None:
    """Fill the parents' moments ``mom`` from their children's, by depth, deepest first.

    ``mom`` is ``ft.mom``, passed apart: the parallel loop writes the array itself.
    """
    m, n_nodes, n_mono = mom.shape
    pp = ft.mend.size - 1
    by_depth = np.argsort(depth, kind="mergesort")
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
                monomial_powers(
                    ft.mpar, ft.maxis, n_mono, tree.centre[0, q] - tree.centre[0, c],
                    tree.centre[1, q] - tree.centre[1, c], tree.centre[2, q] - tree.centre[2, c],
                    shift,
                )  # fmt: skip
                for e in range(n_mono):
                    shift[e] *= ft.ifact[e]
                for k in range(m):  # N_(b+g)(q) / (b+g)! += s^g / g! N_b(c) / b!
                    for b in range(n_mono):
                        nb = mom[k, c, b]
                        for g in range(ft.mend[pp - ft.mdeg[b]]):
                            mom[k, q, ft.add[b, g]] += shift[g] * nb
        hi = lo


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
    add = _sum_table(exps, pp)
    n_mono = exps.shape[0]
    mdeg, ifact = _degrees(exps, pp)
    if p < 2:
        mom = np.zeros((m, 0, n_mono))
        return FarTables(mpar, maxis, mend, ca, cn, cm, cc, cend, mdeg, ifact, add, mom)
    mom = np.zeros((m, n_nodes, n_mono))
    depth = np.zeros(n_nodes, np.int64)
    for q in range(n_nodes):  # children follow their parent
        if tree.left[q] >= 0:
            depth[tree.left[q]] = depth[q] + 1
            depth[tree.left[q] + 1] = depth[q] + 1
    leaves = np.flatnonzero(tree.left < 0)
    for r in prange(leaves.size):
        q = leaves[r]
        mono = np.empty(n_mono)
        for j in range(tree.start[q], tree.stop[q]):
            monomial_powers(
                mpar, maxis, n_mono, tree.centre[0, q] - tree.sx[j],
                tree.centre[1, q] - tree.sy[j], tree.centre[2, q] - tree.sz[j], mono,
            )  # fmt: skip
            for e in range(n_mono):
                mono[e] *= ifact[e]
            for k in range(m):
                w = mo.v[k, j]
                for e in range(n_mono):
                    mom[k, q, e] += w * mono[e]
    ft = FarTables(mpar, maxis, mend, ca, cn, cm, cc, cend, mdeg, ifact, add, mom)
    _shift_up(tree, ft, mom, depth)
    return ft


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
    ``(n_mono,)`` gets ``beta! L_beta`` (module notes); ``work`` from :func:`far_scratch`.
    """
    kind, beta = spec
    ux, uy, uz = u
    g_series(ux * ux + uy * uy + uz * uz, deg, geo, kind, beta, work)
    gs, umono, c = work[0], work[5], work[6]
    n_mono = ft.mend[deg]
    monomial_powers(ft.mpar, ft.maxis, n_mono, ux, uy, uz, umono)
    for e in range(n_mono):
        c[e] = 0.0
    for r in range(ft.cend[deg]):
        c[ft.ca[r]] += ft.cc[r] * gs[ft.cn[r]] * umono[ft.cm[r]]
    mom = ft.mom[k, q]
    for b in range(n_mono):  # beta! L_beta = sum_gamma (alpha! c_alpha) N_gamma / gamma!
        row = ft.add[b]
        t = 0.0
        for g in range(ft.mend[deg - ft.mdeg[b]]):
            t += c[row[g]] * mom[g]
        coef[b] += t


@jit(inline="always")
def far_eval(
    ft: FarTables, coef: np.ndarray, xi: tuple[float, float, float], work: np.ndarray
) -> float:
    """Evaluate the polynomial ``coef`` ``(n_mono,)`` at the offset ``xi`` from the centre.

    ``coef`` holds ``beta! L_beta`` (:func:`far_add`).
    """
    n_mono = coef.size
    mono = work[7]
    monomial_powers(ft.mpar, ft.maxis, n_mono, xi[0], xi[1], xi[2], mono)
    total = 0.0
    for e in range(n_mono):
        total += coef[e] * mono[e] * ft.ifact[e]
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
