r"""Target groups of the tree code and their local expansions (one degree-2 polynomial each).

:func:`target_groups` cuts the origins into groups sharing a target node.

The group walk (:func:`geoai.kernels.tree_dual.dual_matmat`) accepts a source
node ``q`` for a whole target node ``t`` (a ball ``B(t0, r_t)`` holding the
group's origins). At the per-origin levels (monopole, quadrupole) every origin
of ``t`` then evaluates the node at its own position: a ``pow`` and an
``asin`` per node and origin. The *local* level of this module instead
expands the node's sum about the group's centre ``t0`` once, into a
polynomial in the origin's offset, and adds it to the group's coefficients;
each origin evaluates the sum of the polynomials once, whatever the number of
local nodes.

**The expansion.** Write ``h(w) = f(D(|w|))`` (the notation of
:func:`geoai.flows._tree.tree_matmat`: ``|.|`` the Euclidean norm of the
coordinates, ``D`` the chord-to-km map, ``f`` the decay), so that node ``q``
contributes ``S(x) = sum_j w_j h(x - y_j)`` to origin ``x``. With ``x = t0 +
xi`` (``|xi| <= r_t``), ``y_j = y_c + delta_j`` (``y_c`` the node's centre of
mass, so ``sum_j w_j delta_j = 0``): ``x - y_j = u + z_j`` with ``u = t0 -
y_c`` and ``z_j = xi - delta_j``. Taylor's theorem with the Lagrange
remainder along the segment ``u + s z_j`` (``s`` in ``[0, 1]``) gives

    ``h(u + z_j) = h(u) + grad h(u) . z_j + z_j^T H(u) z_j / 2 + R_j``,
    ``R_j = D^3 h(u + s_j z_j)[z_j, z_j, z_j] / 6`` for some ``s_j`` in ``[0, 1]``.

Summed with the masses, ``sum_j w_j z_j = W xi`` and ``sum_j w_j z_j z_j^T =
W xi xi^T + M`` (the cross terms vanish with ``sum_j w_j delta_j``; ``M =
sum_j w_j delta_j delta_j^T``, the node's ``quad``), so

    ``S(x) ~= [W h(u) + H(u) : M / 2] + W grad h(u) . xi + W xi^T H(u) xi / 2``,

a polynomial ``L0 + L1 . xi + xi^T A xi`` in ``xi`` whose coefficients
depend on ``q`` and ``t`` only and add up over the nodes. For a radial
``h``, ``grad h(u) = h'(rho) e`` and ``H(u) = h''(rho) e e^T + (h'(rho) /
rho) (I - e e^T)`` (``rho = |u|``, ``e = u / rho``; ``h' = f'(D) D'``, ``h''
= f''(D) D'^2 + f'(D) D''``), the Hessian of the quadrupole level
(:func:`geoai.kernels.tree_bounds.quadrupole`).

**The remainder.** ``u + s z_j = (t0 + s xi) - (y_c + s delta_j)`` is the
difference of a point of ball ``t`` and one of ball ``q`` (both convex: ``t0
+ s xi`` lies between ``t0`` and ``x``, ``y_c + s delta_j`` between the
centre of mass and ``y_j``), so its norm lies in the pair interval
``[c_lo, c_hi]`` of the walk (``|z_q - z_t| -+ (r_q + r_t)``, padded). On
that interval :func:`geoai.kernels.tree_bounds.third_sup` bounds ``T >=
|D^3 h(w)[e, e, e]|`` for every unit ``e`` (power and exponential decays;
derivation in :func:`geoai.flows._tree.tree_matmat`), so the remainder of
pair ``j`` is at most ``T |z_j|^3 / 6``. With ``|z_j| <= r_t + |delta_j|``,
``|z_j|^3 <= |z_j|^2 (r_t + |delta_j|)``, and the moments of ``|z_j|^2 =
|xi|^2 - 2 xi . delta_j + |delta_j|^2`` (the mean of ``delta`` is 0 again):
``sum_j w_j |z_j|^2 = W |xi|^2 + s2`` and ``sum_j w_j |z_j|^2 |delta_j| <=
r_t^2 s1 + 2 r_t s2 + s3`` (``|xi . delta_j| <= r_t |delta_j|``), so

    ``|S(x) - L(xi)| <= T / 6 sum_j w_j |z_j|^3``
    ``<= T / 6 (W r_t^3 + r_t^2 s1 + 3 r_t s2 + s3)``

(:func:`local_bound`; ``s1 >= sum_j w_j |delta_j|``, ``s2``, ``s3 >= sum_j
w_j |delta_j|^3`` the node's moments), for every origin of ``t`` at once.
The per-origin clamp into ``[W f_min, W f_max]`` of the other levels is
replaced by one clamp of the sum of the group's local polynomials into the
sum of their intervals (which holds the sum of their exact parts). A node's
bound is that of the quadrupole level plus the terms in ``r_t``, so the walk
(:func:`geoai.kernels.tree_dual._walk`) tries it after the midpoint and before
the per-origin levels, takes it where it fits the node's share of the budget
(the same cap, so the proof of the budget is unchanged) and keeps the other
levels elsewhere: each walk accepts the same nodes as without it (only the
bounds of the nodes moved here grow, within the cap), though a larger sum of
bounds may make another budget scale the one certified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from geoai.kernels import jit
from geoai.kernels.tree import _STACK
from geoai.kernels.tree_bounds import chain, derivatives, km

if TYPE_CHECKING:
    from geoai.kernels.tree import Moments, Tree


class InteractionLists(NamedTuple):
    """One target node's interaction lists in the group walk (capacity: every node)."""

    nodes: np.ndarray  #: (n_nodes,) int64: accepted nodes
    leaves: np.ndarray  #: (n_nodes,) int64: leaves summed exactly (t included)
    level: np.ndarray  #: (m, n_nodes) int64: expansion order of each accepted node and row
    est0: np.ndarray  #: (m, n_nodes): the common order-0 estimate
    lo: np.ndarray  #: (m, n_nodes): W f_min over the pair interval
    hi: np.ndarray  #: (m, n_nodes): W f_max over the pair interval


__all__ = [
    "LOCAL",
    "N_COEF",
    "InteractionLists",
    "group_eval",
    "group_fold",
    "local_add",
    "local_bound",
    "local_eval",
    "pair_gap",
    "target_groups",
]

#: The level code of a local node in the walk's lists (the others are >= 0).
LOCAL = -1
#: Coefficients per row: ``L0``, ``L1`` (x, y, z), ``A`` (xx, yy, zz, xy, xz, yz).
N_COEF = 10


@jit()
def target_groups(
    tree: Tree, origins: np.ndarray, group: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort ``origins`` by tree position and cut them into runs sharing a target node.

    The target nodes are the largest nodes of at most ``group`` points (or leaves).

    Parameters
    ----------
    tree : Tree
        The kd-tree of the points (:func:`geoai.kernels.tree.build_tree`).
    origins : ndarray of int64, shape (n_o,)
        The origins (point indices) whose rows are wanted.
    group : int
        Most origins in a run (a target node's size).

    Returns
    -------
    order : ndarray of int64, shape (n_o,)
        Positions in ``origins``, sorted by tree position.
    target : ndarray of int64, shape (n_groups,)
        The target node of each run.
    first : ndarray of int64, shape (n_groups + 1,)
        Run ``g`` is ``order[first[g]:first[g + 1]]``.
    """
    n = tree.perm.size
    target_of = np.zeros(n, np.int64)
    stack = np.empty(_STACK, np.int64)
    top = 1
    stack[0] = 0
    while top > 0:
        top -= 1
        q = stack[top]
        if tree.left[q] < 0 or tree.stop[q] - tree.start[q] <= group:
            target_of[tree.start[q] : tree.stop[q]] = q
        else:
            stack[top] = tree.left[q]
            stack[top + 1] = tree.left[q] + 1
            top += 2
    keys = np.empty(origins.size, np.int64)
    for o in range(origins.size):
        keys[o] = tree.pos[origins[o]]
    order = np.argsort(keys, kind="mergesort")
    target = np.empty(origins.size, np.int64)
    first = np.empty(origins.size + 1, np.int64)
    g = 0
    for r in range(origins.size):
        lq = target_of[keys[order[r]]]
        if g == 0 or target[g - 1] != lq:
            target[g] = lq
            first[g] = r
            g += 1
    first[g] = origins.size
    return order, target[:g].copy(), first[: g + 1].copy()


@jit(inline="always")
def local_bound(third: float, r: float, w: float, s1: float, s2: float, s3: float) -> float:
    """Bound the local expansion's error of one node and row over a target ball.

    Parameters
    ----------
    third : float
        ``T``, the third-derivative bound over the pair interval
        (:func:`~geoai.kernels.tree_bounds.third_sup`, km of decay per coordinate unit cubed).
    r : float
        Radius of the target ball (coordinate units).
    w, s1, s2, s3 : float
        The node's mass and its moments ``s1 >= sum w |delta|``, ``s2``, ``s3 >= sum w
        |delta|^3`` (coordinate units to the first, second, third power, times mass).

    Returns
    -------
    float
        ``T / 6 (W r^3 + r^2 s1 + 3 r s2 + s3)`` (mass times decay; module notes).
    """
    return third / 6.0 * (w * r * r * r + r * r * s1 + 3.0 * r * s2 + s3)


@jit(inline="always")
def local_add(
    mo: Moments,
    k: int,
    q: int,
    t0: tuple[float, float, float],
    geo: bool,
    kind: int,
    beta: float,
    coef: np.ndarray,
) -> None:
    """Add node ``q``'s degree-2 expansion about ``t0`` (row ``k``) to ``coef`` ``(N_COEF,)``.

    ``t0`` is the target ball's centre (coordinates); the node must be apart
    from it (``|t0 - y_c| > 0``, power or exponential decay). The polynomial
    is ``coef[0] + coef[1:4] . xi + xi^T A xi`` with ``A`` stored as its six
    distinct entries ``coef[4:10]`` (xx, yy, zz, xy, xz, yz; see the module notes).
    """
    ux = t0[0] - mo.com[k, 0, q]
    uy = t0[1] - mo.com[k, 1, q]
    uz = t0[2] - mo.com[k, 2, q]
    rho = np.sqrt(ux * ux + uy * uy + uz * uz)
    f, f1, f2, _ = derivatives(km(rho, geo), kind, beta)
    d1, d2, _ = chain(rho, geo)
    h1 = f1 * d1  # h'(rho)
    h2 = f2 * d1 * d1 + f1 * d2  # h''(rho)
    tang = h1 / rho
    ex, ey, ez = ux / rho, uy / rho, uz / rho
    qd = mo.quad
    umu = (
        qd[k, 0, q] * ex * ex
        + qd[k, 1, q] * ey * ey
        + qd[k, 2, q] * ez * ez
        + 2.0 * (qd[k, 3, q] * ex * ey + qd[k, 4, q] * ex * ez + qd[k, 5, q] * ey * ez)
    )
    trace = qd[k, 0, q] + qd[k, 1, q] + qd[k, 2, q]
    w = mo.mass[k, q]
    coef[0] += w * f + 0.5 * (h2 * umu + tang * (trace - umu))
    g = w * h1
    coef[1] += g * ex
    coef[2] += g * ey
    coef[3] += g * ez
    rad = 0.5 * w * (h2 - tang)  # A = W H / 2 = rad e e^T + iso I
    iso = 0.5 * w * tang
    coef[4] += rad * ex * ex + iso
    coef[5] += rad * ey * ey + iso
    coef[6] += rad * ez * ez + iso
    coef[7] += rad * ex * ey
    coef[8] += rad * ex * ez
    coef[9] += rad * ey * ez


@jit(inline="always")
def local_eval(c: np.ndarray, xi: tuple[float, float, float]) -> float:
    """Evaluate the local polynomial ``c`` ``(N_COEF,)`` at the offset ``xi`` from its centre."""
    x, y, z = xi
    lin = c[0] + c[1] * x + c[2] * y + c[3] * z
    sq = c[4] * x * x + c[5] * y * y + c[6] * z * z
    return lin + sq + 2.0 * (c[7] * x * y + c[8] * x * z + c[9] * y * z)


@jit(inline="always")
def pair_gap(tree: Tree, q: int, t: int, eps: float) -> tuple[float, float]:
    """Return the padded interval of distances between any point of ball ``q`` and of ball ``t``."""
    ux = tree.centre[0, q] - tree.centre[0, t]
    uy = tree.centre[1, q] - tree.centre[1, t]
    uz = tree.centre[2, q] - tree.centre[2, t]
    c = np.sqrt(ux * ux + uy * uy + uz * uz)
    r = tree.radius[q] + tree.radius[t]
    return max(c - r - eps, 0.0), c + r + eps


@jit()
def group_fold(
    tree: Tree,
    mo: Moments,
    t: int,
    lists: InteractionLists,
    n_acc: int,
    geo: bool,
    spec: tuple[int, float],
    group: np.ndarray,
) -> int:
    """Fold the group-level rows of an interaction list into ``group``; compact the rest.

    Rows at level 0 (midpoint: one constant) and at :data:`LOCAL` of the
    ``n_acc`` accepted nodes of ``lists`` (:func:`geoai.kernels.tree_dual._walk`)
    are summed once for the target node ``t``: ``group[k, 0]`` gets the
    constants, ``group[k, 1:11]`` the local coefficients about ``t``'s centre
    and ``group[k, 11]``, ``group[k, 12]`` the sums of the local nodes' ``W
    f_min``, ``W f_max`` (the clamp). Those rows are then set to a zero
    constant, and the nodes with a row left to evaluate per origin are moved
    to the front of the lists.

    Returns
    -------
    int
        The number of nodes left to evaluate per origin.
    """
    kind, beta = spec
    m = group.shape[0]
    t0 = (tree.centre[0, t], tree.centre[1, t], tree.centre[2, t])
    group[:] = 0.0
    n_per = 0
    for e in range(n_acc):
        keep = False
        q = lists.nodes[e]
        for k in range(m):
            lev = lists.level[k, e]
            if lev == 0:
                group[k, 0] += lists.est0[k, e]
            elif lev == LOCAL:
                local_add(mo, k, q, t0, geo, kind, beta, group[k, 1 : 1 + N_COEF])
                group[k, 1 + N_COEF] += lists.lo[k, e]
                group[k, 2 + N_COEF] += lists.hi[k, e]
            else:
                keep = True
                continue
            lists.level[k, e] = 0
            lists.est0[k, e] = 0.0
            lists.lo[k, e] = 0.0
            lists.hi[k, e] = 0.0
        if keep:
            lists.nodes[n_per] = q
            for k in range(m):
                lists.level[k, n_per] = lists.level[k, e]
                lists.est0[k, n_per] = lists.est0[k, e]
                lists.lo[k, n_per] = lists.lo[k, e]
                lists.hi[k, n_per] = lists.hi[k, e]
            n_per += 1
    return n_per


@jit(inline="always")
def group_eval(tree: Tree, group: np.ndarray, t: int, k: int, p: int, far: float) -> float:
    """Row ``k``'s group-level sum at tree position ``p`` of target ``t``.

    The constants plus the local polynomial about ``t``'s centre and ``far``
    (the far level's polynomial there, :mod:`geoai.kernels.tree_m2l`), clamped
    into the sum of the local and far nodes' ``[W f_min, W f_max]``.
    """
    xi = (
        tree.sx[p] - tree.centre[0, t],
        tree.sy[p] - tree.centre[1, t],
        tree.sz[p] - tree.centre[2, t],
    )
    loc = local_eval(group[k, 1 : 1 + N_COEF], xi) + far
    return group[k, 0] + min(max(loc, group[k, 1 + N_COEF]), group[k, 2 + N_COEF])
