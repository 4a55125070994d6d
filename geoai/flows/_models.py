"""Spatial-interaction models, dense and matrix-free: the public functions of :mod:`geoai.flows`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai._geodesy import KernelPoints, kernel_points
from geoai.errors import InputError
from geoai.flows._calibration import CalibrationResult, calibrate
from geoai.flows._furness import dense_sweep, furness
from geoai.flows._lines import to_lines
from geoai.kernels import decay as kd
from geoai.kernels import interaction as ki
from geoai.kernels import n_threads

__all__ = [
    "CONSTRAINTS",
    "DECAYS",
    "AggregateResult",
    "BalanceResult",
    "CalibrationResult",
    "aggregate",
    "balance_matrix_free",
    "calibrate",
    "cost_matrix",
    "deterrence",
    "interaction",
    "radiation",
    "to_lines",
]

#: Names of the distance-decay functions (see :mod:`geoai.kernels.decay`).
DECAYS = tuple(kd.KINDS)
#: Names of the constraint forms of the Wilson family.
CONSTRAINTS = ("none", "production", "attraction", "doubly")

_DENSE_LIMIT_BYTES = 4 * 2**30


def _decay_spec(decay: str, beta: Any) -> tuple[int, float, float]:
    """Validate ``decay`` and ``beta`` into the kernel's ``(kind, beta, a)``."""
    v.check_choice(decay, DECAYS, "decay")
    if decay == "tanner":
        if not isinstance(beta, tuple | list) or len(beta) != 2:
            raise InputError(
                f"decay='tanner' takes beta=(a, b) for f(c) = c**a * exp(-b c); got {beta!r}."
            )
        a = float(beta[0])
        b = v.check_positive(beta[1], "tanner b", allow_zero=True)
        if not np.isfinite(a):
            raise InputError(f"tanner exponent a must be finite; got {beta[0]!r}.")
        return kd.TANNER, b, a
    name = "beta (the cut-off distance)" if decay == "box" else "beta"
    return kd.KINDS[decay], v.check_positive(beta, name), 0.0


def _singular_at_zero(kind: int, a: float) -> bool:
    return kind == kd.POWER or (kind == kd.TANNER and a < 0)


def deterrence(cost: Any, *, decay: str = "power", beta: Any = 2.0) -> np.ndarray:
    """Apply the distance-decay function to a cost array.

    Parameters
    ----------
    cost : array-like
        Costs (km, minutes, ...) >= 0; ``inf`` means no interaction (f = 0).
    decay : {"power", "exponential", "gaussian", "tanner", "box"}
        ``c**-beta``, ``exp(-beta c)``, ``exp(-beta c**2)``, ``c**a exp(-b c)``
        with ``beta=(a, b)``, or 1 within the cut-off ``beta``.
    beta : float or (float, float)
        Decay parameter(s).

    Returns
    -------
    numpy.ndarray
        ``f(cost)``, same shape as ``cost``.
    """
    kind, b, a = _decay_spec(decay, beta)
    c = np.asarray(cost, dtype=np.float64)
    if np.isnan(c).any():
        where = np.argwhere(np.isnan(c))[:5].tolist()
        raise InputError(f"cost has NaN at {where}; use np.inf for pairs that cannot interact.")
    neg = np.argwhere(c < 0)
    if neg.size:
        raise InputError(f"cost must be >= 0; negative at {neg[:5].tolist()}.")
    if _singular_at_zero(kind, a) and (c == 0).any():
        zero = np.argwhere(c == 0)[:5].tolist()
        raise InputError(
            f"cost is 0 at {zero} but decay={decay!r} is infinite at 0; give those pairs an "
            "own distance (e.g. Harris' 2/3 * sqrt(area / pi)) or np.inf to exclude them."
        )
    return kd.decay_array(np.ascontiguousarray(c), kind, b, a)


def _check_margins(outflows: np.ndarray, inflows: np.ndarray, tol: float) -> None:
    so, sd = outflows.sum(), inflows.sum()
    if abs(so - sd) > max(tol, 1e-12) * max(so, sd):
        raise InputError(
            f"a doubly-constrained model needs equal totals, but sum(outflows)={so:.10g} and "
            f"sum(inflows)={sd:.10g} (relative gap {abs(so - sd) / max(so, sd):.2e}); rescale one."
        )


def interaction(
    mass_o: Any,
    mass_d: Any,
    cost: Any,
    *,
    decay: str = "power",
    beta: Any = 2.0,
    alpha: float = 1.0,
    gamma: float = 1.0,
    k: float = 1.0,
    constraint: str = "none",
    outflows: Any = None,
    inflows: Any = None,
    tol: float = 1e-8,
    max_iter: int = 10_000,
) -> np.ndarray:
    """Dense spatial-interaction flows of the Wilson family.

    Parameters
    ----------
    mass_o : array-like, shape (n_o,)
        Origin masses (people, USD), >= 0.
    mass_d : array-like, shape (n_d,)
        Destination masses, >= 0.
    cost : array-like, shape (n_o, n_d)
        Travel costs (km, minutes) >= 0; ``np.inf`` excludes a pair.
    decay, beta
        Distance-decay function and parameter(s); see :func:`deterrence`.
    alpha, gamma : float
        Exponents of the origin and destination masses.
    k : float
        Scale of the unconstrained model.
    constraint : {"none", "production", "attraction", "doubly"}
        ``production`` makes row sums equal ``outflows`` (default ``mass_o``),
        ``attraction`` makes column sums equal ``inflows`` (default
        ``mass_d``), ``doubly`` matches both by Furness balancing.
    outflows, inflows : array-like, optional
        Margins of the constrained forms.
    tol : float
        Relative tolerance of the doubly-constrained margins.
    max_iter : int
        Maximum Furness sweeps.

    Returns
    -------
    numpy.ndarray, shape (n_o, n_d)
        Flows ``T_ij``.

    Raises
    ------
    InputError
        Bad masses, costs, options, or inconsistent margins.
    ConvergenceError
        Furness balancing missed ``tol`` within ``max_iter`` sweeps.

    Examples
    --------
    >>> cost = np.array([[np.inf, 10.0], [10.0, np.inf]])
    >>> interaction([100, 50], [100, 50], cost, constraint="production").sum(axis=1)
    array([100.,  50.])
    """
    v.check_choice(constraint, CONSTRAINTS, "constraint")
    mo = v.as_mass(mass_o, "mass_o", allow_zero_sum=constraint != "none")
    md = v.as_mass(mass_d, "mass_d", allow_zero_sum=constraint != "none")
    c = np.asarray(cost, dtype=np.float64)
    if c.shape != (mo.size, md.size):
        raise InputError(
            f"cost has shape {c.shape} but mass_o and mass_d give ({mo.size}, {md.size}); "
            "cost[i, j] is the cost from origin i to destination j."
        )
    f = deterrence(c, decay=decay, beta=beta)
    wo, wd = mo**alpha, md**gamma
    if constraint == "none":
        return k * wo[:, None] * wd[None, :] * f
    if constraint == "production":
        o = v.as_mass(mo if outflows is None else outflows, "outflows", n=mo.size)
        w = f * wd[None, :]
        return _normalise_rows(w, o, "origin")
    if constraint == "attraction":
        d = v.as_mass(md if inflows is None else inflows, "inflows", n=md.size)
        w = f * wo[:, None]
        return _normalise_rows(w.T, d, "destination").T
    o = v.as_mass(mo if outflows is None else outflows, "outflows", n=mo.size)
    d = v.as_mass(md if inflows is None else inflows, "inflows", n=md.size)
    _check_margins(o, d, tol)
    a, b, _, _ = furness(dense_sweep(f, o, d), md.size, tol, max_iter)
    return (a * o)[:, None] * f * (b * d)[None, :]


def _normalise_rows(w: np.ndarray, total: np.ndarray, what: str) -> np.ndarray:
    s = w.sum(axis=1)
    stuck = np.flatnonzero((s <= 0) & (total > 0))
    if stuck.size:
        raise InputError(
            f"{stuck.size} {what}(s) with a positive margin reach no partner (first at "
            f"positions {stuck[:5].tolist()}); check infinite costs, zero masses or the cut-off."
        )
    scale = np.divide(total, s, out=np.zeros_like(s), where=s > 0)
    return w * scale[:, None]


def cost_matrix(
    points_o: Any,
    points_d: Any = None,
    *,
    crs: Any = None,
    own_distance: Any = None,
) -> np.ndarray:
    """Distances in km between origins and destinations, as a dense matrix.

    Parameters
    ----------
    points_o, points_d : GeoDataFrame, GeoSeries or (x, y)
        Origins and destinations; ``points_d`` defaults to ``points_o``.
    crs : optional
        CRS of ``(x, y)`` input.
    own_distance : float or array-like, optional
        Diagonal of a square matrix (same points): km per point. Without it
        the diagonal is ``inf`` (self pairs excluded).

    Returns
    -------
    numpy.ndarray, shape (n_o, n_d)
        Great-circle km (geographic CRS) or Euclidean km (projected CRS).
    """
    po = kernel_points(points_o, crs, "points_o")
    pd_ = po if points_d is None else kernel_points(points_d, crs, "points_d")
    if po.geo != pd_.geo or (not po.geo and po.crs != pd_.crs):
        raise InputError(
            "points_o and points_d are in different CRS; reproject one to the other's CRS."
        )
    _check_dense(po.n * pd_.n * 8)
    d = ki.distance_matrix(po.xyz, pd_.xyz, po.geo)
    if points_d is None:
        np.fill_diagonal(d, np.inf)
        if own_distance is not None:
            np.fill_diagonal(d, _own(own_distance, po.n))
    elif own_distance is not None:
        raise InputError("own_distance applies only to a square matrix of one point set.")
    return d


def _check_dense(nbytes: int) -> None:
    if nbytes > _DENSE_LIMIT_BYTES:
        raise InputError(
            f"this dense matrix needs {nbytes / 2**30:.1f} GiB; use flows.aggregate() or "
            "flows.balance_matrix_free(), which never build it."
        )


def _own(own_distance: Any, n: int) -> np.ndarray:
    """Own distances (km) per point: NaN excludes the self pair."""
    if own_distance is None:
        return np.full(n, np.nan)
    own = np.broadcast_to(np.asarray(own_distance, dtype=np.float64), (n,)).copy()
    if (own[~np.isnan(own)] <= 0).any():
        raise InputError("own_distance must be > 0 km (or NaN to exclude a self pair).")
    return own


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
    """

    ids: np.ndarray
    outflow: np.ndarray
    inflow: np.ndarray
    net: np.ndarray
    top_index: np.ndarray
    top_flow: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Outflow, inflow and net flow per point, indexed by id."""
        return pd.DataFrame(
            {"outflow": self.outflow, "inflow": self.inflow, "net": self.net},
            index=pd.Index(self.ids, name="id"),
        )

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
    points: Any,
    mass_o: Any,
    mass_d: Any = None,
    *,
    crs: Any = None,
    decay: str = "power",
    beta: Any = 2.0,
    alpha: float = 1.0,
    gamma: float = 1.0,
    k: float = 1.0,
    constraint: str = "none",
    outflows: Any = None,
    top_k: int = 0,
    own_distance: Any = None,
    ids: Any = None,
) -> AggregateResult:
    """Outflow, inflow and net flow of every place without an ``N × N`` matrix.

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or (x, y)
        The places, both origins and destinations.
    mass_o : array-like, shape (n,)
        Origin masses.
    mass_d : array-like, shape (n,), optional
        Destination masses (default ``mass_o``).
    crs : optional
        CRS of ``(x, y)`` input.
    decay, beta, alpha, gamma, k
        As in :func:`interaction`.
    constraint : {"none", "production"}
        Unconstrained, or production-constrained (rows sum to ``outflows``,
        default ``mass_o``).
    outflows : array-like, optional
        Production-constrained row totals.
    top_k : int, default 0
        Also return each origin's ``top_k`` largest flows.
    own_distance : float or array-like, optional
        Own distance (km) for the self pair; without it self pairs are excluded.
    ids : array-like, optional
        Identifiers (default: the GeoDataFrame's ``metro_id`` column or index).

    Returns
    -------
    AggregateResult

    Examples
    --------
    >>> metros = geoai.load_metros()  # doctest: +SKIP
    >>> agg = aggregate(metros, metros["population"], decay="exponential", beta=1 / 300,
    ...                 constraint="production", top_k=3)  # doctest: +SKIP
    """
    v.check_choice(constraint, ("none", "production"), "constraint")
    pts = kernel_points(points, crs)
    mo = v.as_mass(mass_o, "mass_o", n=pts.n)
    md = mo if mass_d is None else v.as_mass(mass_d, "mass_d", n=pts.n)
    kind, b, a = _decay_spec(decay, beta)
    own = _own(own_distance, pts.n)
    top_k = int(top_k)
    if top_k < 0:
        raise InputError(f"top_k must be >= 0; got {top_k}.")
    wo, wd = mo**alpha, md**gamma
    nt = n_threads()
    if constraint == "none":
        r = ki.symmetric_matmat(pts.xyz, pts.geo, own, kind, b, a, np.vstack((wd, wo)), nt)
        outflow, inflow = k * wo * r[0], k * wd * r[1]
        row_scale = k * wo
    else:
        o = mo if outflows is None else v.as_mass(outflows, "outflows", n=pts.n)
        s = ki.symmetric_matmat(pts.xyz, pts.geo, own, kind, b, a, wd[None, :].copy(), nt)[0]
        stuck = np.flatnonzero((s <= 0) & (o > 0))
        if stuck.size:
            raise InputError(
                f"{stuck.size} origin(s) with positive outflow reach no destination (first at "
                f"positions {stuck[:5].tolist()}); check masses, the cut-off or own_distance."
            )
        row_scale = np.divide(o, s, out=np.zeros_like(s), where=s > 0)
        r = ki.symmetric_matmat(pts.xyz, pts.geo, own, kind, b, a, row_scale[None, :].copy(), nt)
        outflow, inflow = o.copy(), wd * r[0]
    if top_k:
        idx, val = ki.top_k_rows(pts.xyz, pts.geo, own, kind, b, a, wd, top_k)
        flow = val * row_scale[:, None]
    else:
        idx, flow = np.empty((pts.n, 0), np.int64), np.empty((pts.n, 0))
    return AggregateResult(
        ids=_ids(points, ids, pts.n),
        outflow=outflow,
        inflow=inflow,
        net=inflow - outflow,
        top_index=idx,
        top_flow=flow,
        lon=pts.lon,
        lat=pts.lat,
    )


def _ids(points: Any, ids: Any, n: int) -> np.ndarray:
    if ids is None:
        if isinstance(points, gpd.GeoDataFrame) and "metro_id" in points.columns:
            ids = points["metro_id"].to_numpy()
        elif isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
            ids = points.index.to_numpy()
        else:
            ids = np.arange(n)
    ids = np.asarray(ids)
    if ids.shape != (n,):
        raise InputError(f"ids has {ids.size} values for {n} points.")
    v.check_unique_ids(ids, "ids")
    return ids


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
    """

    a: np.ndarray
    b: np.ndarray
    outflows: np.ndarray
    inflows: np.ndarray
    n_iter: int
    residual: float
    storage: str


def balance_matrix_free(
    points: Any,
    outflows: Any,
    inflows: Any,
    *,
    crs: Any = None,
    decay: str = "power",
    beta: Any = 2.0,
    own_distance: Any = None,
    storage: str = "auto",
    tol: float = 1e-6,
    max_iter: int = 10_000,
    max_bytes: int = int(1.6 * 2**30),
) -> BalanceResult:
    """Doubly-constrained (Furness) balancing for large N without a float64 matrix.

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or (x, y)
        The places (origins = destinations).
    outflows, inflows : array-like, shape (n,)
        Margins ``O`` and ``D`` with equal sums.
    crs : optional
        CRS of ``(x, y)`` input.
    decay, beta
        Distance decay, as in :func:`interaction`.
    own_distance : float or array-like, optional
        Own distance (km) for self pairs; excluded without it.
    storage : {"auto", "float32", "recompute"}
        ``float32`` stores ``f_ij`` once in single precision (4 n² bytes) and
        sweeps over it; ``recompute`` evaluates ``f_ij`` in every sweep and
        needs O(n) memory; ``auto`` stores when it fits in ``max_bytes``.
    tol : float
        Relative tolerance on both margins.
    max_iter : int
        Maximum sweeps.
    max_bytes : int
        Memory budget of the ``float32`` storage in ``auto`` mode.

    Returns
    -------
    BalanceResult
    """
    v.check_choice(storage, ("auto", "float32", "recompute"), "storage")
    pts = kernel_points(points, crs)
    o = v.as_mass(outflows, "outflows", n=pts.n)
    d = v.as_mass(inflows, "inflows", n=pts.n)
    _check_margins(o, d, tol)
    kind, b_, a_ = _decay_spec(decay, beta)
    own = _own(own_distance, pts.n)
    if storage == "auto":
        storage = "float32" if 4 * pts.n**2 <= max_bytes else "recompute"
    if storage == "float32":
        f = ki.decay_matrix(
            pts.xyz, pts.geo, own, kind, b_, a_, np.empty((pts.n, pts.n), np.float32)
        )
        a, b, n_iter, residual = furness(dense_sweep(f, o, d), pts.n, tol, max_iter)
        del f
    else:
        a, b, n_iter, residual = _furness_recompute(
            pts, own=own, spec=(kind, b_, a_), o=o, d=d, tol=tol, max_iter=max_iter
        )
    return BalanceResult(a, b, o, d, n_iter, residual, storage)


def _furness_recompute(
    pts: KernelPoints,
    *,
    own: np.ndarray,
    spec: tuple[int, float, float],
    o: np.ndarray,
    d: np.ndarray,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Furness with ``f_ij`` recomputed in every sweep (symmetric: columns are row passes)."""
    nt = n_threads()

    def matvec(x: np.ndarray) -> np.ndarray:
        return ki.symmetric_matmat(pts.xyz, pts.geo, own, *spec, x[None, :].copy(), nt)[0]

    def sweep(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        row = matvec(b * d)
        a = np.where(o > 0, np.divide(1.0, row, out=np.full_like(row, np.inf), where=row > 0), 0.0)
        col = matvec(np.where(np.isinf(a), 0.0, a) * o)
        b_new = np.where(
            d > 0, np.divide(1.0, col, out=np.full_like(col, np.inf), where=col > 0), 0.0
        )
        return a, b_new

    return furness(sweep, pts.n, tol, max_iter)


def radiation(
    points: Any,
    mass: Any,
    *,
    outflows: Any = None,
    crs: Any = None,
    finite_size: bool = True,
) -> np.ndarray:
    """Flows of the parameter-free radiation model (Simini et al. 2012).

    ``T_ij = O_i m_i m_j / ((m_i + s_ij)(m_i + m_j + s_ij))`` where ``s_ij``
    is the mass within the circle of radius ``d_ij`` around ``i``, excluding
    ``i`` and ``j`` (places strictly closer than ``j``). Distances per origin
    are sorted once, so the cost is ``O(n² log n)``, not ``O(n³)``.

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or (x, y)
        The places.
    mass : array-like, shape (n,)
        Population (or jobs) of each place, >= 0.
    outflows : array-like, shape (n,), optional
        Total trips leaving each place (default ``mass``: the matrix then
        gives expected flows per unit of the outflow share).
    crs : optional
        CRS of ``(x, y)`` input.
    finite_size : bool, default True
        Divide each row by ``1 - m_i / M`` (Masucci et al. 2013) so rows sum
        to ``outflows`` (exactly when no two destinations are equidistant from
        the origin); Simini's original leaves them short by that factor.

    Returns
    -------
    numpy.ndarray, shape (n, n)
        Dense flows (the model needs every pair); zero diagonal.
    """
    pts = kernel_points(points, crs)
    m = v.as_mass(mass, "mass", n=pts.n)
    o = m if outflows is None else v.as_mass(outflows, "outflows", n=pts.n)
    if pts.n < 2:
        raise InputError("the radiation model needs at least two places.")
    _check_dense(pts.n**2 * 8)
    return ki.radiation_matrix(pts.xyz, pts.geo, m, o, bool(finite_size))
