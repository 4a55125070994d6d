"""Tree-code (Barnes-Hut) products of :mod:`geoai.flows` with a certified relative error.

:func:`tree_matmat` replaces the exact all-pairs products ``F @ v[k]`` of
:func:`geoai.flows.aggregate` when ``rtol > 0``: it is where the error bound is
proven. :func:`tree_top_k` is the exact top-k by branch and bound. The Numba
side (tree build, moments, traversals) is :mod:`geoai.kernels.tree`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from geoai import _validate as v
from geoai.errors import InputError
from geoai.kernels import interaction as ki
from geoai.kernels import n_threads
from geoai.kernels import tree as kt
from geoai.kernels import tree_dual as kd
from geoai.kernels import tree_sums as ks

if TYPE_CHECKING:
    from geoai._geodesy import KernelPoints
    from geoai._typing import FloatArray, IntArray

__all__ = [
    "LEAF_SIZE",
    "METHODS",
    "RTOL_MIN",
    "TARGET_SIZE",
    "PointTree",
    "build",
    "check_options",
    "matmat",
    "production_bound",
    "result_attrs",
    "top_k",
    "tree_matmat",
    "tree_top_k",
]

#: Largest number of points in a leaf of the kd-tree (16: see bench_tree's notes).
LEAF_SIZE = 16

#: Largest group of origins that share one walk of the source tree (a target node).
TARGET_SIZE = 64
#: Smallest ``rtol`` above 0: the bound covers the approximation, not the sums' round-off.
RTOL_MIN = 1e-10

#: Where the products run: this process's threads, or a Dask cluster.
METHODS = ("threads", "dask")

_PAD = 1e-12  # relative padding of every distance interval (rounding of the chord)


@dataclass(frozen=True)
class PointTree:
    """A kd-tree of kernel points (:func:`build`) and the padding of its distance intervals.

    Attributes
    ----------
    tree : geoai.kernels.tree.Tree
        The arrays of the tree (tree order, node ranges, balls).
    geo : bool
        Unit vectors (great-circle km) or planar km.
    eps : float
        Padding added to both ends of every chord (or planar km) interval.
    points : geoai._geodesy.KernelPoints
        The points it was built on (to reuse the tree for the same object).
    leaf_size : int
        Largest leaf.
    """

    tree: kt.Tree
    geo: bool
    eps: float
    points: KernelPoints
    leaf_size: int


_LAST: list[PointTree] = []  # one-entry cache: the production form and Furness reuse one tree


def check_options(rtol: object, method: object, scheduler: object) -> tuple[float, str]:
    """Check the ``rtol``, ``method`` and ``scheduler`` keywords of the matrix-free flows.

    Parameters
    ----------
    rtol : float
        Relative error bound per origin: 0 (exact) or in ``(0, 1)``.
    method : {"threads", "dask"}
        Where the products run.
    scheduler : str or None
        A ``dask.distributed`` address; only with ``method="dask"``.

    Returns
    -------
    rtol : float
    method : str

    Examples
    --------
    >>> check_options(1e-4, "threads", None)
    (0.0001, 'threads')
    >>> try:
    ...     check_options(1.5, "threads", None)
    ... except InputError as exc:
    ...     print(exc)
    rtol must be >= 0 and < 1 (a relative error bound); got 1.5. Pass e.g. 1e-4, or 0 for exact.
    """
    tol = v.check_finite_number(rtol, "rtol")
    if not 0.0 <= tol < 1.0:
        raise InputError(
            f"rtol must be >= 0 and < 1 (a relative error bound); got {tol:g}. "
            "Pass e.g. 1e-4, or 0 for exact."
        )
    if 0.0 < tol < RTOL_MIN:
        raise InputError(
            f"rtol={tol:g} is below what the tree can certify (the bound covers the approximation,"
            f" not the sums' round-off); pass rtol >= {RTOL_MIN:g}, or rtol=0 for exact."
        )
    v.check_choice(method, METHODS, "method")
    if method == "dask" and tol > 0.0:
        raise InputError(
            f"rtol={tol:g} with method='dask' is not available yet (the cluster path is exact); "
            "pass rtol=0 with method='dask', or method='threads' for the tree code."
        )
    if scheduler is not None and method != "dask":
        raise InputError(
            f"scheduler={scheduler!r} is only used with method='dask'; pass method='dask' or "
            "drop scheduler."
        )
    return tol, str(method)


def build(pts: KernelPoints, leaf_size: int = LEAF_SIZE) -> PointTree:
    """Build (or reuse, for the same points object) the kd-tree of ``pts``.

    Parameters
    ----------
    pts : geoai._geodesy.KernelPoints
        The places.
    leaf_size : int
        Largest leaf.

    Returns
    -------
    PointTree

    Examples
    --------
    >>> from geoai._geodesy import kernel_points
    >>> pts = kernel_points(([0.0, 1.0, 2.0], [0.0, 0.0, 0.0]), crs=4326)
    >>> t = build(pts, 2)
    >>> t.geo, t.tree.left.size, build(pts, 2) is t
    (True, 3, True)
    """
    leaf_size = int(leaf_size)
    hit = _LAST[0] if _LAST else None  # read once: another thread may replace it meanwhile
    if hit is not None and hit.points is pts and hit.leaf_size == leaf_size:
        return hit
    scale = float(np.abs(pts.xyz).max()) if pts.n else 1.0
    tree = kt.build_tree(np.ascontiguousarray(pts.xyz, dtype=np.float64), leaf_size)
    out = PointTree(tree, bool(pts.geo), _PAD * max(scale, 1e-300), pts, leaf_size)
    _LAST[:] = [out]
    return out


def tree_matmat(
    tree: PointTree,
    own: FloatArray,
    spec: tuple[int, float, float],
    vec: FloatArray,
    rtol: float,
    *,
    origins: IntArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    r"""Products ``(F @ vec[k])[i]`` within a certified relative error, by a tree code.

    Parameters
    ----------
    tree : PointTree
        From :func:`build`.
    own : numpy.ndarray, shape (n,)
        Own distance (km) per point; NaN: no self pair.
    spec : tuple of (int, float, float)
        The decay's ``(kind, beta, a)``.
    vec : numpy.ndarray, shape (m, n)
        Right-hand masses, finite and >= 0.
    rtol : float
        Relative error budget per origin and row, in ``(0, 1)``.
    origins : numpy.ndarray of int, optional
        Compute only these rows (default all ``n``, in order): a cluster can
        split origins into blocks.

    Returns
    -------
    value : numpy.ndarray, shape (m, n_o)
        The approximate products.
    bound : numpy.ndarray, shape (m, n_o)
        The certified relative bound achieved per origin and row, each <= ``rtol``:
        ``|value - exact| <= bound * exact``.

    Notes
    -----
    **The bound.** Write ``S = sum_j w_j g(y_j)`` for one node's exact
    contribution to origin ``x``, where ``g(y) = f(D(|x - y|))``, ``|.|`` is the
    Euclidean norm of the coordinates (the chord ``c`` between unit vectors, or
    planar km), ``D(c) = 2 R asin(c / 2)`` on the sphere (``D(c) = c`` in the
    plane) and ``f`` the decay. Every node has a ball ``B(z, r)`` holding its
    points; with ``c0 = |x - z|`` all its chords lie in ``[c_lo, c_hi] =
    [max(0, c0 - r), c0 + r]`` (padded by a relative 1e-12 for rounding), and
    since ``D`` is increasing all distances lie in ``[d_lo, d_hi] = [D(c_lo),
    D(c_hi)]``.

    *Zeroth order.* If ``f_min``, ``f_max`` bound ``f`` on ``[d_lo, d_hi]``, then
    ``W f_min <= S <= W f_max`` (``W = sum_j w_j``, all ``w_j >= 0``), so the
    midpoint estimate is within ``W (f_max - f_min) / 2``. ``f`` is decreasing
    for power, exponential, Gaussian and Tanner with ``a <= 0`` (``f_max =
    f(d_lo)``, ``f_min = f(d_hi)``); Tanner with ``a > 0`` peaks at ``d = a /
    beta`` (``f_max`` is ``f`` there, clamped to the interval; ``f_min`` the
    smaller end); the box is exact (0 or ``W``) unless the node straddles the
    cut-off.

    *Second order (monopole).* Expand ``g`` about the node's centre of mass
    ``y_c = sum_j w_j y_j / W`` (inside the ball, which is convex): ``g(y_j) =
    g(y_c) + grad g(y_c) . delta_j + delta_j^T H(xi_j) delta_j / 2`` with
    ``delta_j = y_j - y_c`` and ``xi_j`` on the segment, so in the ball. The
    linear terms cancel (``sum_j w_j delta_j = 0``), hence ``|S - W g(y_c)| <=
    s2 sup_B ||H|| / 2`` with ``s2 = sum_j w_j |delta_j|^2``. For a radial
    function ``g = h(|x - y|)`` the Hessian's eigenvalues are ``h''(c)``
    (radial) and ``h'(c) / c`` (tangential), so ``||H|| = max(|h''|, |h'| /
    c)``. In the plane ``h = f``. On the sphere ``h = f o D``: ``h' = f'(D)
    D'`` and ``h'' = f''(D) D'^2 + f'(D) D''`` with ``D' = R / sqrt(1 - c^2 /
    4)`` and ``D'' = R (c / 4) (1 - c^2 / 4)^(-3/2)``, both positive and
    increasing in ``c``; ``D`` is convex with ``D(0) = 0``, so ``D(c) / c <=
    D'(c)`` and ``|h'| / c <= (|f'(D)| / D) D'^2``. Each factor is bounded by
    its supremum on the interval: ``|f'| / d``, ``|f''|`` and ``|f'|`` are
    decreasing in ``d`` for power (``beta d^(-beta-2)``, ``beta (beta + 1)
    d^(-beta-2)``, ``beta d^(-beta-1)``), exponential and Tanner with ``a <=
    0`` (``f`` times ``beta + |a| / d`` and ``(beta + |a| / d)^2 + |a| / d^2``),
    so they are taken at ``d_lo`` and ``D', D''`` at ``c_hi``; for the Gaussian
    ``|f'| / d = 2 beta e^(-u)`` (``u = beta d^2``) is decreasing, ``|f''| = 2
    beta |2u - 1| e^(-u) <= 2 beta (2u + 1) e^(-u)``, decreasing for ``u >=
    1/2`` and at most ``4 beta e^(-1/2)`` below, and ``|f'| <= 2 beta d_hi
    e^(-u_lo)``. The estimate ``W g(y_c)`` is then clamped into ``[W f_min, W
    f_max]``, which holds ``S`` and so can only move it closer. A node uses
    whichever bound is smallest (only the zeroth order for the box and Tanner
    ``a > 0``, and for any node within ``d_lo = 0``).

    *Third order (quadrupole), for power and exponential decay.* One more
    term of the same expansion: ``g(y_j) = g(y_c) + grad g . delta_j + delta_j^T
    H(y_c) delta_j / 2 + D^3 g(xi_j)[delta_j, delta_j, delta_j] / 6``, so the
    estimate ``W g(y_c) + H(y_c) : M / 2`` (``M = sum_j w_j delta_j delta_j^T``,
    ``H = h'' u u^T + (h' / c) (I - u u^T)``, ``u`` the unit vector from ``x``
    to ``y_c``) is within ``s3 T / 6``, where ``s3 >= sum_j w_j |delta_j|^3``
    and ``T`` bounds ``|D^3 g[e, e, e]|`` over unit vectors ``e`` and the ball.
    For a radial function ``D^3 g[e, e, e] = h''' s^3 + 3 (h'' / c - h' / c^2)
    s (1 - s^2)`` with ``s = u . e``, and ``|s (1 - s^2)| <= 2 / (3 sqrt 3)``,
    so ``T = sup |h'''| + (2 / sqrt 3) sup (|h''| / c + |h'| / c^2)``. On the
    sphere ``h''' = f''' D'^3 + 3 f'' D' D'' + f' D'''`` with ``D''' = (R / 4)
    (1 - c^2 / 4)^(-3/2) + (3 R c^2 / 16) (1 - c^2 / 4)^(-5/2)``, increasing;
    ``|f'|, |f''|, |f'''|`` fall with ``d`` for these two decays, so each
    factor is again taken at its end of the interval. Parents get ``s3`` and
    ``s1 >= sum_j w_j |delta_j|`` from their children by ``|a + e|^3 <= (|a| +
    |e|)^3`` expanded (``M`` and ``s2`` exactly, by the parallel-axis rule).

    **One walk per group of origins** (:func:`geoai.kernels.tree_dual.dual_matmat`).
    Origins are grouped by *target node* ``t`` (the largest tree nodes of at
    most 64 points), and the source tree is walked once per group. Every
    interval above is then taken between the two balls, ``[c_lo, c_hi] =
    [max(0, |z_q - z_t| - r_q - r_t), |z_q - z_t| + r_q + r_t]``: it holds the
    chord from *every* origin of ``t`` to every point of ``q``, so each node
    bound holds for each origin of the group at once. Nodes overlapping ``t``
    are opened, and the points of ``t`` itself are summed exactly (self pair
    excluded). Midpoints, local and far expansions (proofs in kernels/tree_local,
    tree_m2l) are summed once per group; each origin evaluates the rest at its
    own position (clamped into the common ``[W f_min, W f_max]``) and the
    exact leaves; the bound is the same for all of ``t``.

    **The budget.** Each group first gets a lower bound ``L`` valid for all its
    points: the smallest, over the points ``i`` of ``t``, of the exact sum over
    ``t`` (own pair included), plus ``W f_min`` of a cut of nodes disjoint from
    ``t`` (disjoint nodes, masses >= 0). A node is accepted when its bound is at
    most ``s rtol (L W / (2 W_total) + W f_min / 2)`` (a share of ``rtol L`` by
    mass, plus half of ``rtol`` times its own lower bound) for every row;
    otherwise it is opened, and leaves are summed exactly. Accepted nodes are
    disjoint, so with ``s = 1`` the sum of their bounds is at most ``rtol / 2 (L
    + Lsum)``, where ``Lsum`` is the sum of the lower bounds of the accepted
    nodes; ``L`` and ``Lsum`` are both lower bounds of every origin's exact
    total, so the sum of bounds is at most ``rtol max(L, Lsum)``. A first walk
    (``s = 1``) tightens ``L`` to ``Lsum + sum W f_min`` of its exact leaves
    ``+`` the smallest own sum; then walks with ``s = 4, 2, 1`` spend more of the
    budget, and the first whose sum of bounds is at most ``rtol`` times its own
    such lower bound is kept (``s = 1`` always is, by the argument above). The
    bound reported, the sum of node bounds over the largest of these lower
    bounds and of ``Lsum`` plus the origin's exact parts, therefore bounds the
    relative error and is ``<= rtol``. It depends on the group only, not on
    which other origins are asked for. These are exact-arithmetic bounds;
    floating point adds about 1e-14 of the total (the exact kernel's own
    rounding). The single-origin walk
    (:func:`geoai.kernels.tree_sums.tree_matmat`, kept as the tests' reference)
    is the same proof with ``t`` one point, ``s = 1`` and ``L`` from ``W f_min``
    of the nodes at least twice their radius away plus the nearer leaves summed
    exactly.

    Examples
    --------
    >>> from geoai._geodesy import kernel_points
    >>> from geoai.kernels import interaction as ki
    >>> from geoai.kernels.decay import POWER
    >>> rng = np.random.default_rng(0)
    >>> pts = kernel_points((rng.uniform(0, 40, 500), rng.uniform(0, 40, 500)), crs=4326)
    >>> own, w = np.full(500, np.nan), rng.uniform(0, 1, (1, 500))
    >>> val, bound = tree_matmat(build(pts), own, (POWER, 1.7, 0.0), w, 1e-3)
    >>> exact = ki.symmetric_matmat(pts.xyz, True, own, POWER, 1.7, 0.0, w, 2)
    >>> bool(np.all(np.abs(val - exact) <= (bound + 1e-12) * exact)), bool(bound.max() <= 1e-3)
    (True, True)
    """
    kind, beta, a = spec
    n = tree.tree.perm.size
    org = np.arange(n, dtype=np.int64) if origins is None else np.asarray(origins, np.int64)
    vv = np.ascontiguousarray(vec, dtype=np.float64)
    # equal rows (one mass as both origin and destination weight) walk once: a node's
    # decision needs every row, so equal rows give equal results, computed once
    first = [next(j for j in range(k + 1) if np.array_equal(vv[j], vv[k])) for k in range(len(vv))]
    keep = sorted(set(first))
    if len(keep) < len(vv):
        value, bound = tree_matmat(tree, own, spec, vv[keep], rtol, origins=origins)
        rows = [keep.index(j) for j in first]
        return value[rows], bound[rows]
    mo = kt.node_moments(tree.tree, vv)
    own = np.ascontiguousarray(own, dtype=np.float64)
    value, error, lower, _, _ = kd.dual_matmat(
        tree.tree,
        mo,
        org,
        tree.geo,
        own,
        int(kind),
        float(beta),
        float(a),
        float(rtol),
        tree.eps,
        n_threads(),
        TARGET_SIZE,
    )
    bound = np.divide(error, lower, out=np.zeros_like(error), where=lower > 0)
    # error > 0 needs lower > 0 (the budget is 0 when L is), so bound is NaN-free;
    # the division may round a hair above rtol: clip within the one-ulp of the proof
    return value, np.minimum(bound, rtol)


def tree_top_k(
    tree: PointTree,
    own: FloatArray,
    spec: tuple[int, float, float],
    wd: FloatArray,
    top_k: int,
    *,
    origins: IntArray | None = None,
) -> tuple[IntArray, FloatArray]:
    """Each origin's ``top_k`` largest ``wd_j f(d_ij)``, exactly as ``top_k_rows`` gives them.

    Parameters
    ----------
    tree : PointTree
        From :func:`build`.
    own : numpy.ndarray, shape (n,)
        Own distance (km) per point; NaN: no self pair.
    spec : tuple of (int, float, float)
        The decay's ``(kind, beta, a)``.
    wd : numpy.ndarray, shape (n,)
        Destination weights, >= 0.
    top_k : int
        Entries per origin (>= 1).
    origins : numpy.ndarray of int, optional
        Only these rows (default all).

    Returns
    -------
    index : numpy.ndarray of int64, shape (n_o, top_k)
        Destinations by decreasing value (ties: lower index first; -1: none).
    value : numpy.ndarray, shape (n_o, top_k)
        ``wd_j f(d_ij)`` (0: none).

    Examples
    --------
    >>> from geoai._geodesy import kernel_points
    >>> from geoai.kernels.decay import EXPONENTIAL
    >>> pts = kernel_points(([0.0, 1.0, 5.0], [0.0, 0.0, 0.0]), crs=4326)
    >>> idx, _ = tree_top_k(build(pts, 1), np.full(3, np.nan), (EXPONENTIAL, 0.01, 0.0),
    ...                     np.ones(3), 1)
    >>> idx.ravel().tolist()
    [1, 0, 1]
    """
    kind, beta, a = spec
    n = tree.tree.perm.size
    org = np.arange(n, dtype=np.int64) if origins is None else np.asarray(origins, np.int64)
    mo = kt.node_moments(tree.tree, np.ascontiguousarray(wd, dtype=np.float64)[None, :])
    idx, val = ks.tree_top_k(
        tree.tree,
        mo,
        0,
        org,
        tree.geo,
        np.ascontiguousarray(own, dtype=np.float64),
        int(kind),
        float(beta),
        float(a),
        int(top_k),
        tree.eps,
        n_threads(),
    )
    return idx, val


def production_bound(first: FloatArray, second: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Relative bounds of a production-constrained model from its two tree passes.

    The first pass gives ``s~ = s (1 + e)`` with ``|e_i| <= first_i``; the row
    scale ``o / s~`` is then within ``first_i / (1 - first_i)`` of ``o / s``, and
    so is every top-k flow of origin ``i``. The second pass multiplies ``F`` (all
    entries >= 0) by that scale, perturbed by at most ``delta = max_i first_i /
    (1 - first_i)``, so ``|F u~ - F u| <= delta F u``; the pass's own error
    ``second_j`` applies to ``F u~ <= (1 + delta) F u``. Inflow ``j`` is thus
    within ``second_j (1 + delta) + delta``. With both passes at ``rtol / 3``
    this is at most ``(2 rtol / 3) / (1 - rtol / 3) <= rtol``.

    Parameters
    ----------
    first, second : numpy.ndarray, shape (n,)
        Relative bounds of the passes ``F wd`` and ``F (o / s~)``.

    Returns
    -------
    row : numpy.ndarray, shape (n,)
        Bound on the row scale (and the top-k flows) of each origin.
    inflow : numpy.ndarray, shape (n,)
        Bound on each place's inflow.

    Examples
    --------
    >>> row, inflow = production_bound(np.array([0.0, 1e-4]), np.array([1e-4, 0.0]))
    >>> bool(row[1] > 1e-4), bool(np.all(inflow <= 3e-4))
    (True, True)
    """
    row = first / (1.0 - first)
    delta = float(row.max()) if row.size else 0.0
    inflow = second * (1.0 + delta) + delta
    return row, inflow


def matmat(
    pts: KernelPoints,
    own: FloatArray,
    spec: tuple[int, float, float],
    vec: FloatArray,
    *,
    rtol: float,
    method: str,
    scheduler: str | None,
) -> tuple[FloatArray, FloatArray]:
    """Route one product ``F @ vec[k]`` of the matrix-free flows: the only place that chooses.

    Exact on this process's threads (``rtol = 0``: the unchanged
    :func:`~geoai.kernels.interaction.symmetric_matmat`), by the tree code
    (``rtol > 0``, :func:`tree_matmat`), or exact on a Dask cluster
    (``method="dask"``, :func:`geoai.flows._cluster.cluster_matmat`).

    Parameters
    ----------
    pts : geoai._geodesy.KernelPoints
        The ``n`` places.
    own : numpy.ndarray, shape (n,)
        Own distance (km) per place; NaN: no self pair.
    spec : tuple of (int, float, float)
        The decay's ``(kind, beta, a)``.
    vec : numpy.ndarray, shape (m, n)
        Right-hand vectors, >= 0.
    rtol, method, scheduler
        Checked by :func:`check_options`.

    Returns
    -------
    value : numpy.ndarray, shape (m, n)
        Row ``k`` is ``F @ vec[k]``.
    bound : numpy.ndarray, shape (m, n)
        Its certified relative error bound (zeros where exact).

    Examples
    --------
    >>> from geoai._geodesy import kernel_points
    >>> from geoai.kernels.decay import EXPONENTIAL
    >>> pts = kernel_points(([0.0, 1.0, 5.0], [0.0, 0.0, 0.0]), crs=4326)
    >>> own, w = np.full(3, np.nan), np.ones((1, 3))
    >>> exact, b0 = matmat(pts, own, (EXPONENTIAL, 0.01, 0.0), w, rtol=0.0, method="threads",
    ...                    scheduler=None)
    >>> tree, b1 = matmat(pts, own, (EXPONENTIAL, 0.01, 0.0), w, rtol=1e-3, method="threads",
    ...                   scheduler=None)
    >>> bool(np.all(np.abs(tree - exact) <= b1 * exact + 1e-12)), float(b0.max())
    (True, 0.0)
    """
    if method == "dask":
        from geoai.flows._cluster import cluster_matmat

        return cluster_matmat(pts, own, spec, vec, scheduler=scheduler), np.zeros(vec.shape)
    if rtol > 0:
        return tree_matmat(build(pts), own, spec, vec, rtol)
    r = ki.symmetric_matmat(pts.xyz, pts.geo, own, *spec, vec, n_threads())
    return r, np.zeros(vec.shape)


def top_k(
    pts: KernelPoints,
    own: FloatArray,
    spec: tuple[int, float, float],
    wd: FloatArray,
    k: int,
    *,
    rtol: float,
    method: str,
    scheduler: str | None,
) -> tuple[IntArray, FloatArray]:
    """Route the exact top-k table as :func:`matmat` routes products (the tree: branch and bound).

    Parameters
    ----------
    pts : geoai._geodesy.KernelPoints
        The places, ``n`` of them.
    own : ndarray, shape (n,)
        Own distance (km) of each place's self pair; NaN leaves it out.
    spec : tuple of (int, float, float)
        The decay's ``(kind, beta, a)``.
    wd : ndarray, shape (n,)
        Destination weights, >= 0.
    k : int
        Destinations per origin.
    rtol, method, scheduler
        As in :func:`matmat` (exact whatever ``rtol``).

    Returns
    -------
    index : ndarray of int64, shape (n, k)
        Destinations by decreasing ``wd_j f_ij`` (-1: none), equal to
        :func:`~geoai.kernels.interaction.top_k_rows` whatever the route.
    value : ndarray, shape (n, k)
        The matching ``wd_j f_ij``.

    Examples
    --------
    >>> from geoai._geodesy import kernel_points
    >>> from geoai.kernels.decay import POWER
    >>> pts = kernel_points(([0.0, 1.0, 5.0], [0.0, 0.0, 0.0]), crs=4326)
    >>> idx, _ = top_k(pts, np.full(3, np.nan), (POWER, 2.0, 0.0), np.ones(3), 1, rtol=0.1,
    ...                method="threads", scheduler=None)
    >>> idx.ravel().tolist()
    [1, 0, 1]
    """
    if method == "dask":
        from geoai.flows._cluster import cluster_top_k

        return cluster_top_k(pts, own, spec, wd, k, scheduler=scheduler)
    if rtol > 0:
        return tree_top_k(build(pts), own, spec, wd, k)
    return ki.top_k_rows(pts.xyz, pts.geo, own, *spec, wd, k)


def result_attrs(method: str, rtol: float, bound: FloatArray) -> dict[str, Any]:
    """Return the ``attrs`` of a result: how it was computed and the largest certified bound.

    Parameters
    ----------
    method : {"threads", "dask"}
        Where the products ran.
    rtol : float
        The requested relative tolerance (0: exact).
    bound : ndarray, shape (n,)
        The certified relative bound per place.

    Returns
    -------
    dict
        ``method`` ("exact", "tree", "dask"), ``rtol``; for the tree ``max_bound``.

    Examples
    --------
    >>> result_attrs("threads", 1e-4, np.array([0.0, 5e-5]))
    {'method': 'tree', 'rtol': 0.0001, 'max_bound': 5e-05}
    >>> result_attrs("threads", 0.0, np.zeros(2))
    {'method': 'exact', 'rtol': 0.0}
    """
    if method == "dask":
        return {"method": "dask", "rtol": rtol}
    if rtol > 0:
        return {"method": "tree", "rtol": rtol, "max_bound": float(bound.max(initial=0.0))}
    return {"method": "exact", "rtol": 0.0}
