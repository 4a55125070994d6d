"""Matrix-free flows of :mod:`geoai.flows`: totals and top-k per place, Furness for large N.

Distances and decay are recomputed inside fused parallel kernels, so no
``N × N`` matrix is ever built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai._budget import check_memory, fits
from geoai._geodesy import kernel_points
from geoai.errors import InputError
from geoai.flows import _arguments as args
from geoai.flows import _tree
from geoai.flows._furness import dense_sweep, furness
from geoai.flows._models import _check_margins, _decay_spec
from geoai.kernels import interaction as ki
from geoai.kernels import n_threads

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from geoai._decay import DecayBeta
    from geoai._geodesy import KernelPoints, PointsLike
    from geoai._typing import CRSLike, FloatArray, IntArray

__all__ = [
    "AggregateResult",
    "BalanceResult",
    "aggregate",
    "aggregate_points",
    "balance_matrix_free",
]


@dataclass(frozen=True)
class AggregateResult:
    """Per-metro totals of a matrix-free spatial-interaction model.

    Attributes
    ----------
    ids : numpy.ndarray, shape (n,)
        Identifiers of the points (their index when none were given).
    outflow, inflow, net : numpy.ndarray, shape (n,)
        ``sum_j T_ij``, ``sum_i T_ij`` and ``inflow - outflow``.
    top_index : numpy.ndarray, shape (n, top_k)
        Positions of each origin's largest destinations (-1 = none).
    top_flow : numpy.ndarray, shape (n, top_k)
        The matching flows.
    lon, lat : numpy.ndarray, shape (n,)
        Point coordinates in degrees, for :func:`to_lines`.
    bound : numpy.ndarray, shape (n,)
        Certified relative error bound of each place's outflow and inflow (and
        top-k flows) under ``rtol > 0`` (the tree code); zeros when exact.
    attrs : dict
        ``"method"`` (``"exact"``, ``"tree"`` or ``"dask"``), ``"rtol"`` and, for the
        tree, ``"max_bound"`` (the largest entry of ``bound``); copied to
        :meth:`to_frame`'s ``DataFrame.attrs``.

    Examples
    --------
    >>> pts = ([0.0, 1.0, 2.0], [0.0, 0.0, 0.0])
    >>> agg = aggregate(pts, [1.0, 2.0, 3.0], crs=4326, decay="exponential", scale_km=100, top_k=1)
    >>> agg.to_frame().shape, agg.top_frame()["rank"].tolist()
    ((3, 3), [1, 1, 1])
    """

    ids: NDArray[Any]
    outflow: FloatArray
    inflow: FloatArray
    net: FloatArray
    top_index: IntArray
    top_flow: FloatArray
    lon: FloatArray
    lat: FloatArray
    bound: FloatArray | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Outflow, inflow and net flow per point, indexed by id (``attrs`` as the result's)."""
        frame = pd.DataFrame(
            {"outflow": self.outflow, "inflow": self.inflow, "net": self.net},
            index=pd.Index(self.ids, name="id"),
        )
        frame.attrs.update(self.attrs)
        return frame

    def top_frame(self) -> pd.DataFrame:
        """Long table of the top-k flows: origin, destination, rank (1 = largest), flow."""
        valid = self.top_index >= 0
        rows, ranks = np.nonzero(valid)
        return pd.DataFrame(
            {
                "origin": self.ids[rows],
                "destination": self.ids[self.top_index[valid]],
                "rank": ranks + 1,
                "flow": self.top_flow[valid],
            }
        )


def aggregate(
    points: PointsLike,
    mass_o: ArrayLike,
    mass_d: ArrayLike | None = None,
    *,
    crs: CRSLike | None = None,
    decay: str = "power",
    beta: DecayBeta | None = None,
    scale_km: float | None = None,
    alpha: float = 1.0,
    gamma: float = 1.0,
    k: float = 1.0,
    constraint: str = "none",
    outflows: ArrayLike | None = None,
    top_k: int = 0,
    own_distance: ArrayLike | None = None,
    ids: ArrayLike | None = None,
    rtol: float = 0.0,
    method: str = "threads",
    scheduler: str | None = None,
) -> AggregateResult:
    """Outflow, inflow and net flow of every place without an ``N × N`` matrix.

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or (x, y)
        The places, both origins and destinations.
    mass_o : array-like, shape (n,)
        Origin masses. A Series (here and in ``mass_d``, ``outflows``,
        ``own_distance``, ``ids``) is aligned to the points' index by label.
    mass_d : array-like, shape (n,), optional
        Destination masses (default ``mass_o``).
    crs : str, int or pyproj.CRS, optional
        CRS of ``(x, y)`` input.
    decay : str
        As in :func:`interaction`.
    beta : float or (float, float), optional
        As in :func:`interaction`.
    scale_km : float, optional
        As in :func:`interaction` (km).
    alpha, gamma, k : float
        As in :func:`interaction`.
    constraint : {"none", "production"}
        Unconstrained, or production-constrained (rows sum to ``outflows``,
        default ``mass_o``).
    outflows : array-like, optional
        Production-constrained row totals.
    top_k : int, default 0
        Also return each origin's ``top_k`` largest flows (a whole number >= 0). A place has at most
        ``n`` destinations (itself included when ``own_distance`` is given), so a
        larger ``top_k`` is clamped to ``n``; missing entries are -1 as ever.
    own_distance : float or array-like, optional
        Own distance (km) for the self pair; without it self pairs are excluded.
    ids : array-like, optional
        Identifiers (default: the GeoDataFrame's ``metro_id`` column or index).
    rtol : float, default 0
        0: exact sums over all pairs. In ``(0, 1)``: a tree code
        (:func:`geoai.flows._tree.tree_matmat`) whose outflows and inflows are
        within a certified relative error of at most ``rtol`` per place (the
        bounds achieved are in ``bound``); the top-k destinations stay exact.
    method : {"threads", "dask"}
        This process's threads, or blocks of origins on a Dask cluster.
    scheduler : str, optional
        A ``dask.distributed`` scheduler address for ``method="dask"`` (default: a
        local cluster).

    Returns
    -------
    AggregateResult

    Raises
    ------
    InputError
        Bad masses or parameters, a Series whose labels are not the points',
        or two places at one location under a decay that is infinite at 0
        (power, or Tanner with ``a < 0``); ``rtol`` neither 0 nor in ``[1e-10, 1)``, an unknown
        ``method``, or a ``scheduler`` without ``method="dask"``.
    CRSError
        Coordinates that contradict their CRS (e.g. degrees labelled projected).
    ResourceError
        The top-k tables (16 bytes per origin and rank, plus one distance row
        per thread) exceed the memory budget (:mod:`geoai._budget`): ask for a
        smaller ``top_k``.

    Examples
    --------
    >>> import geoai
    >>> metros = geoai.load_metros(8_000_000)
    >>> agg = aggregate(metros, metros["population"], decay="exponential", scale_km=300,
    ...                 constraint="production", top_k=3)
    >>> bool(abs(agg.outflow.sum() - metros["population"].sum()) < 1e-6 * agg.outflow.sum())
    True
    """
    v.check_choice(constraint, ("none", "production"), "constraint")
    rtol, method = _tree.check_options(rtol, method, scheduler)
    pts = kernel_points(points, crs)
    at = v.index_of(points)  # Series arguments are aligned to the points' rows by label
    mo = args.check_magnitude(v.as_mass(mass_o, "mass_o", n=pts.n, index=at), "mass_o")
    md = (
        mo
        if mass_d is None
        else args.check_magnitude(v.as_mass(mass_d, "mass_d", n=pts.n, index=at), "mass_d")
    )
    o = (
        None
        if outflows is None
        else args.check_magnitude(v.as_mass(outflows, "outflows", n=pts.n, index=at), "outflows")
    )
    alpha, gamma, k = args.check_exponents(alpha, gamma, k, mo, md)
    top_k = v.check_integer(top_k, "top_k", minimum=0)
    spec = _decay_spec(decay, beta, scale_km)
    args.check_coincident(pts.xyz, spec, decay)
    return aggregate_points(
        pts,
        mo,
        md,
        decay=spec,
        alpha=alpha,
        gamma=gamma,
        k=k,
        constraint=constraint,
        outflows=o,
        top_k=top_k,
        own=args.own_distances(own_distance, pts.n, at),
        ids=_ids(points, ids, pts.n),
        rtol=rtol,
        method=method,
        scheduler=scheduler,
    )


def aggregate_points(
    pts: KernelPoints,
    mo: FloatArray,
    md: FloatArray,
    *,
    decay: tuple[int, float, float],
    alpha: float = 1.0,
    gamma: float = 1.0,
    k: float = 1.0,
    constraint: str = "none",
    outflows: FloatArray | None = None,
    top_k: int = 0,
    own: FloatArray | None = None,
    ids: NDArray[Any] | None = None,
    rtol: float = 0.0,
    method: str = "threads",
    scheduler: str | None = None,
) -> AggregateResult:
    """Compute :func:`aggregate` on validated input (the core that roles call).

    Parameters
    ----------
    pts : geoai._geodesy.KernelPoints
        The places (:func:`geoai._geodesy.kernel_points`), ``n`` of them.
    mo, md : numpy.ndarray, shape (n,)
        Origin and destination masses, finite and >= 0.
    decay : tuple of (int, float, float)
        The kernel's ``(kind, beta, a)`` of a checked decay spec.
    alpha, gamma, k, constraint, top_k
        As in :func:`aggregate` (already checked).
    outflows : numpy.ndarray, shape (n,), optional
        Outflow totals of a production-constrained model (default ``mo``).
    own : numpy.ndarray, shape (n,), optional
        Own distance (km) per place; NaN (the default) leaves self pairs out.
    ids : numpy.ndarray, shape (n,), optional
        Place ids (default ``0 .. n - 1``).
    rtol, method, scheduler
        As in :func:`aggregate` (checked here too).

    Returns
    -------
    AggregateResult
        As :func:`aggregate`.

    Examples
    --------
    >>> from geoai._geodesy import kernel_points
    >>> from geoai.flows._models import _decay_spec
    >>> pts = kernel_points(([0.0, 1.0, 5.0], [0.0, 0.0, 0.0]), crs=4326)
    >>> m = np.array([1.0, 2.0, 3.0])
    >>> power = _decay_spec("power", 2.0)
    >>> res = aggregate_points(pts, m, m, decay=power, constraint="production")
    >>> bool(np.allclose(res.outflow, m))
    True
    """
    rtol, method = _tree.check_options(rtol, method, scheduler)
    top_k = min(top_k, pts.n)  # a row has at most n candidates: more columns would all be -1
    fused = bool(top_k) and rtol == 0.0 and method == "threads"  # products + top-k in one pass
    if top_k:  # index int64 + value float64 per entry, one row per thread (fused: private tables)
        private = min(16 * pts.n * top_k * n_threads(), ki.TOP_K_PRIVATE_BYTES) if fused else 0
        check_memory(
            16 * pts.n * top_k + 8 * pts.n * n_threads() + private,
            f"the top-{top_k:,} table of {pts.n:,} places",
            "ask for a smaller top_k (the totals need O(n) memory whatever top_k).",
        )
    own = np.full(pts.n, np.nan) if own is None else own
    wo, wd = mo**alpha, md**gamma
    nt = n_threads()
    table: list[tuple[IntArray, FloatArray]] = []

    def route(vec: FloatArray) -> tuple[FloatArray, FloatArray]:
        """One product, by the chosen way; the first exact one also gives the top-k table."""
        if fused and not table:
            r, got = ki.symmetric_matmat_top_k(pts.xyz, pts.geo, own, *decay, vec, wd, top_k, nt)
            table.append((got.column, got.value))
            return r, np.zeros(vec.shape)
        # the production form spends a third of rtol on each pass
        part = rtol / 3 if constraint == "production" else rtol
        return _tree.matmat(pts, own, decay, vec, rtol=part, method=method, scheduler=scheduler)

    if constraint == "none":
        r, bound = route(np.vstack((wd, wo)))
        outflow, inflow = k * wo * r[0], k * wd * r[1]
        row_scale, bound = k * wo, np.maximum(bound[0], bound[1])
    else:
        o = mo if outflows is None else outflows
        s, first = (u[0] for u in route(wd[None, :]))
        stuck = np.flatnonzero((s <= 0) & (o > 0))
        if stuck.size:
            raise InputError(
                f"{stuck.size} origin(s) with positive outflow reach no destination (first at "
                f"positions {stuck[:5].tolist()}); check masses, the cut-off or own_distance."
            )
        row_scale = np.divide(o, s, out=np.zeros_like(s), where=s > 0)
        r, second = (u[0] for u in route(row_scale[None, :]))
        outflow, inflow = o.copy(), wd * r
        bound = np.maximum(*_tree.production_bound(first, second))
    if top_k:
        idx, flow = (
            table[0]
            if table
            else _tree.top_k(
                pts, own, decay, wd, top_k, rtol=rtol, method=method, scheduler=scheduler
            )
        )
        flow *= row_scale[:, None]  # in place: no third (n, top_k) array
    else:
        idx, flow = np.empty((pts.n, 0), np.int64), np.empty((pts.n, 0))
    return AggregateResult(
        ids=np.arange(pts.n) if ids is None else ids,
        outflow=outflow,
        inflow=inflow,
        net=inflow - outflow,
        top_index=idx,
        top_flow=flow,
        lon=pts.lon,
        lat=pts.lat,
        bound=bound,
        attrs=_tree.result_attrs(method, rtol, bound),
    )


def _ids(points: PointsLike, ids: ArrayLike | None, n: int) -> NDArray[Any]:
    if ids is None:
        if isinstance(points, gpd.GeoDataFrame) and "metro_id" in points.columns:
            ids = points["metro_id"].to_numpy()
        elif isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
            ids = points.index.to_numpy()
        else:
            ids = np.arange(n)
    ids = np.asarray(v.align_to_index(ids, v.index_of(points), "ids"))
    if ids.shape != (n,):
        raise InputError(f"ids has {ids.size} values for {n} points; pass one id per point.")
    v.check_unique_ids(ids, "ids")
    return np.asarray(ids)


@dataclass(frozen=True)
class BalanceResult:
    """Balancing factors of a doubly-constrained model, ``T_ij = a_i O_i b_j D_j f_ij``.

    Attributes
    ----------
    a, b : numpy.ndarray, shape (n,)
        Origin and destination balancing factors.
    outflows, inflows : numpy.ndarray, shape (n,)
        The margins ``O`` and ``D`` that were matched.
    n_iter : int
        Furness sweeps.
    residual : float
        Largest relative row error at convergence (columns are exact).
    storage : str
        ``"float32"`` (deterrence stored once) or ``"recompute"`` (matrix-free).
    bound : numpy.ndarray, shape (n,)
        Under ``rtol > 0``: the largest certified relative bound of any product of
        each place's rows (the factors balance the tree's products); zeros when exact.
    attrs : dict
        ``"method"`` (``"exact"``, ``"tree"`` or ``"dask"``), ``"rtol"`` and, for the
        tree, ``"max_bound"``.

    Examples
    --------
    >>> pts = ([0.0, 1.0, 2.0], [0.0, 0.0, 0.0])
    >>> res = balance_matrix_free(pts, [1.0, 2.0, 3.0], [3.0, 2.0, 1.0], crs=4326,
    ...                           decay="exponential", scale_km=200)
    >>> res.storage, res.residual < 1e-6
    ('float32', True)
    """

    a: FloatArray
    b: FloatArray
    outflows: FloatArray
    inflows: FloatArray
    n_iter: int
    residual: float
    storage: str
    bound: FloatArray | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


def balance_matrix_free(
    points: PointsLike,
    outflows: ArrayLike,
    inflows: ArrayLike,
    *,
    crs: CRSLike | None = None,
    decay: str = "power",
    beta: DecayBeta | None = None,
    scale_km: float | None = None,
    own_distance: ArrayLike | None = None,
    storage: str = "auto",
    tol: float = 1e-6,
    max_iter: int = 10_000,
    max_bytes: int = int(1.6 * 2**30),
    rtol: float = 0.0,
    method: str = "threads",
    scheduler: str | None = None,
) -> BalanceResult:
    """Doubly-constrained (Furness) balancing for large N without a float64 matrix.

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or (x, y)
        The places (origins = destinations).
    outflows, inflows : array-like, shape (n,)
        Margins ``O`` and ``D`` with equal sums.
    crs : str, int or pyproj.CRS, optional
        CRS of ``(x, y)`` input.
    decay : str
        Distance decay, as in :func:`interaction`.
    beta : float or (float, float), optional
        As in :func:`interaction`.
    scale_km : float, optional
        As in :func:`interaction` (km).
    own_distance : float or array-like, optional
        Own distance (km) for self pairs; excluded without it.
    storage : {"auto", "float32", "recompute"}
        ``float32`` stores ``f_ij`` once in single precision (4 n² bytes) and
        sweeps over it; ``recompute`` evaluates ``f_ij`` in every sweep and
        needs O(n) memory; ``auto`` stores when it fits in ``max_bytes`` and in
        the memory budget (:mod:`geoai._budget`).
    tol : float
        Relative tolerance on both margins.
    max_iter : int
        Maximum sweeps.
    max_bytes : int
        Memory budget of the ``float32`` storage in ``auto`` mode.
    rtol, method, scheduler
        As in :func:`aggregate`; ``rtol > 0`` or ``method="dask"`` recompute
        ``f_ij`` in every sweep (``storage`` "auto" or "recompute"). With the tree
        code the factors balance its approximate products, each within ``rtol``.

    Returns
    -------
    BalanceResult

    Raises
    ------
    ResourceError
        ``storage="float32"`` and the stored matrix exceeds the memory budget:
        use ``storage="recompute"``.
    InputError
        Bad margins or options, or ``storage="float32"`` with ``rtol > 0`` or
        ``method="dask"``.
    """
    v.check_choice(storage, ("auto", "float32", "recompute"), "storage")
    rtol, method = _tree.check_options(rtol, method, scheduler)
    if (rtol > 0 or method == "dask") and storage == "float32":
        raise InputError(
            "storage='float32' stores the exact matrix, so it takes neither rtol > 0 nor "
            "method='dask'; pass storage='recompute' (or 'auto')."
        )
    pts = kernel_points(points, crs)
    at = v.index_of(points)
    o = args.check_magnitude(v.as_mass(outflows, "outflows", n=pts.n, index=at), "outflows")
    d = args.check_magnitude(v.as_mass(inflows, "inflows", n=pts.n, index=at), "inflows")
    tol, max_iter = args.check_iteration(tol, max_iter)
    max_bytes = v.check_integer(max_bytes, "max_bytes", minimum=0)
    _check_margins(o, d, tol)
    kind, b_, a_ = _decay_spec(decay, beta, scale_km)
    args.check_coincident(pts.xyz, (kind, b_, a_), decay)
    own = args.own_distances(own_distance, pts.n, at)
    stored = 4 * pts.n**2 + 8 * pts.n * n_threads()  # f in float32, one float64 row per thread
    if storage == "auto" and (rtol > 0 or method == "dask"):
        storage = "recompute"
    elif storage == "auto":
        storage = "float32" if 4 * pts.n**2 <= max_bytes and fits(stored) else "recompute"
    if storage == "float32":
        check_memory(
            stored,
            f"the float32 deterrence matrix of {pts.n:,} places",
            "use storage='recompute', which recomputes it in every sweep in O(n) memory.",
        )
        f = ki.decay_matrix(
            pts.xyz, pts.geo, own, kind, b_, a_, np.empty((pts.n, pts.n), np.float32)
        )
        a, b, n_iter, residual = furness(dense_sweep(f, o, d), pts.n, tol, max_iter)
        del f
    elif method == "dask":
        from geoai.flows._cluster import cluster_furness

        a, b, n_iter, residual = cluster_furness(
            pts, own, (kind, b_, a_), o, d, tol=tol, max_iter=max_iter, scheduler=scheduler
        )
    else:
        bound = np.zeros(pts.n)
        a, b, n_iter, residual = _furness_recompute(
            pts,
            own=own,
            spec=(kind, b_, a_),
            o=o,
            d=d,
            tol=tol,
            max_iter=max_iter,
            rtol=rtol,
            bound=bound,
        )
        return BalanceResult(
            a, b, o, d, n_iter, residual, storage, bound, _tree.result_attrs(method, rtol, bound)
        )
    return BalanceResult(
        a,
        b,
        o,
        d,
        n_iter,
        residual,
        storage,
        np.zeros(pts.n),
        _tree.result_attrs(method, rtol, np.zeros(0)),
    )


def _furness_recompute(
    pts: KernelPoints,
    *,
    own: np.ndarray,
    spec: tuple[int, float, float],
    o: np.ndarray,
    d: np.ndarray,
    tol: float,
    max_iter: int,
    rtol: float = 0.0,
    bound: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Furness with ``f_ij`` recomputed in every sweep (symmetric: columns are row passes).

    Products go through :func:`geoai.flows._tree.matmat` (the tree code when ``rtol > 0``);
    ``bound``, if given, is raised in place to each product's per-place relative bound.
    """

    def matvec(x: np.ndarray) -> np.ndarray:
        r, rel = _tree.matmat(
            pts, own, spec, x[None, :], rtol=rtol, method="threads", scheduler=None
        )
        if bound is not None:
            np.maximum(bound, rel[0], out=bound)
        return np.asarray(r[0])

    def sweep(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        row = matvec(b * d)
        a = np.where(o > 0, np.divide(1.0, row, out=np.full_like(row, np.inf), where=row > 0), 0.0)
        col = matvec(np.where(np.isinf(a), 0.0, a) * o)
        b_new = np.where(
            d > 0, np.divide(1.0, col, out=np.full_like(col, np.inf), where=col > 0), 0.0
        )
        return a, b_new

    return furness(sweep, pts.n, tol, max_iter)
