"""Dense spatial-interaction models of :mod:`geoai.flows`: deterrence, Wilson flows, radiation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from geoai import _validate as v
from geoai._budget import check_memory
from geoai._decay import decay_spec
from geoai._geodesy import kernel_points
from geoai.errors import InputError
from geoai.flows import _arguments as args
from geoai.flows._calibration import CalibrationResult, calibrate
from geoai.flows._furness import dense_sweep, furness
from geoai.flows._lines import to_lines
from geoai.kernels import decay as kd
from geoai.kernels import interaction as ki

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from geoai._decay import DecayBeta
    from geoai._geodesy import PointsLike
    from geoai._typing import CRSLike, FloatArray

__all__ = [
    "CONSTRAINTS",
    "DECAYS",
    "CalibrationResult",
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

#: What to do instead of a dense matrix that does not fit in the memory budget.
_MATRIX_FREE = (
    "use flows.aggregate() (totals and top-k flows per place) or flows.balance_matrix_free() "
    "(doubly-constrained Furness), which never build the n x n matrix."
)


def _decay_spec(
    decay: str, beta: DecayBeta | None, scale_km: float | None = None
) -> tuple[int, float, float]:
    """Validate the decay once (geoai._decay.decay_spec) into the kernel's ``(kind, beta, a)``."""
    d = decay_spec(decay, scale=scale_km, beta=beta, power_beta=2.0)
    return d.kind, d.beta, d.a


def deterrence(
    cost: ArrayLike,
    *,
    decay: str = "power",
    beta: DecayBeta | None = None,
    scale_km: float | None = None,
) -> FloatArray:
    """Apply the distance-decay function to a cost array.

    Parameters
    ----------
    cost : array-like
        Costs (km, minutes, ...) >= 0; ``inf`` means no interaction (f = 0).
    decay : {"power", "exponential", "gaussian", "tanner", "box"}
        ``c**-beta``, ``exp(-beta c)``, ``exp(-beta c**2)``, ``c**a exp(-b c)``
        with ``beta=(a, b)``, or 1 within the cut-off ``beta``.
    beta : float or (float, float), optional
        The decay's parameter (see :mod:`geoai._decay`): the exponent of a
        power (default 2), per cost unit for the exponential, ``(a, b)`` for
        Tanner, the cut-off for the box.
    scale_km : float, optional
        Instead of ``beta`` for the exponential, gaussian and box decays: the
        length scale in the cost's unit (km for distances).

    Returns
    -------
    numpy.ndarray
        ``f(cost)``, same shape as ``cost``.

    Raises
    ------
    ResourceError
        The result (8 bytes a pair), plus any float64 or contiguous copy of
        ``cost``, exceeds the memory budget (:mod:`geoai._budget`).

    Examples
    --------
    >>> deterrence([1.0, 2.0], decay="exponential", scale_km=1.0).round(4).tolist()
    [0.3679, 0.1353]
    """
    kind, b, a = _decay_spec(decay, beta, scale_km)
    size, held, strided = _copies(cost)
    # f(cost), plus the float64 and C-contiguous copies of cost (the 1-byte masks come first)
    _check_dense(8 * size * (1 + held + strided), f"deterrence of {size:,} costs")
    c = _as_cost(cost)
    if np.isnan(c).any():
        where = np.argwhere(np.isnan(c))[:5].tolist()
        raise InputError(f"cost has NaN at {where}; use np.inf for pairs that cannot interact.")
    neg = np.argwhere(c < 0)
    if neg.size:
        raise InputError(f"cost must be >= 0; negative at {neg[:5].tolist()}.")
    if args.singular_at_zero(kind, a) and (c == 0).any():
        zero = np.argwhere(c == 0)[:5].tolist()
        raise InputError(
            f"cost is 0 at {zero} but decay={decay!r} is infinite at 0; give those pairs an "
            "own distance (e.g. Harris' 2/3 * sqrt(area / pi)) or np.inf to exclude them."
        )
    return kd.decay_array(np.ascontiguousarray(c), kind, b, a)


def _copies(cost: ArrayLike) -> tuple[int, int, int]:
    """Size of ``cost`` and whether float64 conversion and C order each copy it (0 or 1)."""
    if not isinstance(cost, np.ndarray):
        try:
            return int(np.size(cost)), 1, 0
        except (TypeError, ValueError, OverflowError):  # ragged or not numeric: _as_cost says so
            return 0, 0, 0
    size = int(cost.size)
    return size, int(cost.dtype != np.float64), int(not cost.flags.c_contiguous)


def _check_margins(outflows: np.ndarray, inflows: np.ndarray, tol: float) -> None:
    so, sd = outflows.sum(), inflows.sum()
    if abs(so - sd) > max(tol, 1e-12) * max(so, sd):
        raise InputError(
            f"a doubly-constrained model needs equal totals, but sum(outflows)={so:.10g} and "
            f"sum(inflows)={sd:.10g} (relative gap {abs(so - sd) / max(so, sd):.2e}); rescale one."
        )


def interaction(
    mass_o: ArrayLike,
    mass_d: ArrayLike,
    cost: ArrayLike,
    *,
    decay: str = "power",
    beta: DecayBeta | None = None,
    scale_km: float | None = None,
    alpha: float = 1.0,
    gamma: float = 1.0,
    k: float = 1.0,
    constraint: str = "none",
    outflows: ArrayLike | None = None,
    inflows: ArrayLike | None = None,
    tol: float = 1e-8,
    max_iter: int = 10_000,
) -> FloatArray:
    """Dense spatial-interaction flows of the Wilson family.

    Parameters
    ----------
    mass_o : array-like, shape (n_o,)
        Origin masses (people, USD), >= 0. Series (here and in ``outflows``,
        ``inflows``) are aligned by label to ``cost``'s index and columns when
        ``cost`` is a DataFrame, else ``outflows`` follows ``mass_o``'s index.
    mass_d : array-like, shape (n_d,)
        Destination masses, >= 0.
    cost : array-like, shape (n_o, n_d)
        Travel costs (km, minutes) >= 0; ``np.inf`` excludes a pair.
    decay : str
        Distance-decay function; see :func:`deterrence`.
    beta : float or (float, float), optional
        Its parameter (power default 2); see :func:`deterrence`.
    scale_km : float, optional
        Instead of ``beta``: the length scale of an exponential, gaussian or
        box decay, in the cost's unit.
    alpha, gamma : float
        Exponents of the origin and destination masses (finite; a negative
        one needs every mass > 0).
    k : float
        Scale of the unconstrained model (finite, > 0).
    constraint : {"none", "production", "attraction", "doubly"}
        ``production`` makes row sums equal ``outflows`` (default ``mass_o``),
        ``attraction`` makes column sums equal ``inflows`` (default
        ``mass_d``), ``doubly`` matches both by Furness balancing.
    outflows, inflows : array-like, optional
        Margins of the constrained forms.
    tol : float
        Relative tolerance of the doubly-constrained margins (> 0).
    max_iter : int
        Maximum Furness sweeps (a whole number >= 1).

    Returns
    -------
    numpy.ndarray, shape (n_o, n_d)
        Flows ``T_ij``.

    Raises
    ------
    InputError
        Bad masses, costs, options, or inconsistent margins.
    ResourceError
        The peak, three float64 ``n_o × n_d`` arrays (``f(c)`` and the two
        products that scale it) plus a float64 copy of ``cost`` when it is not
        one, exceeds the memory budget (:mod:`geoai._budget`).
    ConvergenceError
        Furness balancing missed ``tol`` within ``max_iter`` sweeps.

    Examples
    --------
    >>> cost = np.array([[np.inf, 10.0], [10.0, np.inf]])
    >>> interaction([100, 50], [100, 50], cost, constraint="production").sum(axis=1)
    array([100.,  50.])
    """
    v.check_choice(constraint, CONSTRAINTS, "constraint")
    at_o, at_d = args.interaction_labels(mass_o, mass_d, cost)
    mo = args.check_magnitude(
        v.as_mass(mass_o, "mass_o", index=at_o, allow_zero_sum=constraint != "none"), "mass_o"
    )
    md = args.check_magnitude(
        v.as_mass(mass_d, "mass_d", index=at_d, allow_zero_sum=constraint != "none"), "mass_d"
    )
    alpha, gamma, k = args.check_exponents(alpha, gamma, k, mo, md)
    tol, max_iter = args.check_iteration(tol, max_iter)
    size, held, _ = _copies(cost)
    # f(c) and the two temporaries of each form's scaling, plus the float64 copy of cost
    _check_dense(8 * size * (3 + held), f"a dense {mo.size:,} x {md.size:,} interaction model")
    c = _as_cost(cost)
    if c.shape != (mo.size, md.size):
        raise InputError(
            f"cost has shape {c.shape} but mass_o and mass_d give ({mo.size}, {md.size}); "
            "cost[i, j] is the cost from origin i to destination j."
        )
    f = deterrence(c, decay=decay, beta=beta, scale_km=scale_km)
    wo, wd = mo**alpha, md**gamma
    if constraint == "none":
        return np.asarray(k * wo[:, None] * wd[None, :] * f)
    if constraint == "production":
        o = args.check_magnitude(
            v.as_mass(mo if outflows is None else outflows, "outflows", n=mo.size, index=at_o),
            "outflows",
        )
        w = f * wd[None, :]
        return _normalise_rows(w, o, "origin")
    if constraint == "attraction":
        d = args.check_magnitude(
            v.as_mass(md if inflows is None else inflows, "inflows", n=md.size, index=at_d),
            "inflows",
        )
        w = f * wo[:, None]
        return _normalise_rows(w.T, d, "destination").T
    o = args.check_magnitude(
        v.as_mass(mo if outflows is None else outflows, "outflows", n=mo.size, index=at_o),
        "outflows",
    )
    d = args.check_magnitude(
        v.as_mass(md if inflows is None else inflows, "inflows", n=md.size, index=at_d), "inflows"
    )
    _check_margins(o, d, tol)
    a, b, _, _ = furness(dense_sweep(f, o, d), md.size, tol, max_iter)
    return np.asarray((a * o)[:, None] * f * (b * d)[None, :])


def _normalise_rows(w: np.ndarray, total: np.ndarray, what: str) -> np.ndarray:
    s = w.sum(axis=1)
    stuck = np.flatnonzero((s <= 0) & (total > 0))
    if stuck.size:
        raise InputError(
            f"{stuck.size} {what}(s) with a positive margin reach no partner (first at "
            f"positions {stuck[:5].tolist()}); check infinite costs, zero masses or the cut-off."
        )
    scale = np.divide(total, s, out=np.zeros_like(s), where=s > 0)
    return np.asarray(w * scale[:, None])


def cost_matrix(
    points_o: PointsLike,
    points_d: PointsLike | None = None,
    *,
    crs: CRSLike | None = None,
    own_distance: ArrayLike | None = None,
) -> FloatArray:
    """Distances in km between origins and destinations, as a dense matrix.

    Parameters
    ----------
    points_o, points_d : GeoDataFrame, GeoSeries or (x, y)
        Origins and destinations; ``points_d`` defaults to ``points_o``.
    crs : str, int or pyproj.CRS, optional
        CRS of ``(x, y)`` input.
    own_distance : float or array-like, optional
        Diagonal of a square matrix (same points): km per point. Without it
        the diagonal is ``inf`` (self pairs excluded).

    Returns
    -------
    numpy.ndarray, shape (n_o, n_d)
        Great-circle km (geographic CRS) or Euclidean km (projected CRS).

    Raises
    ------
    ResourceError
        The matrix (8 bytes a pair) exceeds the memory budget (:mod:`geoai._budget`).

    Examples
    --------
    >>> cost_matrix(([0.0, 1.0], [0.0, 0.0]), crs=4326).round(1).tolist()
    [[inf, 111.2], [111.2, inf]]
    """
    po = kernel_points(points_o, crs, "points_o")
    pd_ = po if points_d is None else kernel_points(points_d, crs, "points_d")
    if po.geo != pd_.geo or (not po.geo and po.crs != pd_.crs):
        raise InputError(
            "points_o and points_d are in different CRS; reproject one to the other's CRS."
        )
    _check_dense(8 * po.n * pd_.n, f"a {po.n:,} x {pd_.n:,} cost matrix")
    d = ki.distance_matrix(po.xyz, pd_.xyz, po.geo)
    if points_d is None:
        np.fill_diagonal(d, np.inf)
        if own_distance is not None:
            np.fill_diagonal(d, args.own_distances(own_distance, po.n, v.index_of(points_o)))
    elif own_distance is not None:
        raise InputError("own_distance applies only to a square matrix of one point set.")
    return d


def _check_dense(nbytes: int, what: str) -> None:
    """Refuse a dense path whose peak ``nbytes`` exceeds the memory budget (ResourceError)."""
    check_memory(nbytes, what, _MATRIX_FREE)


def _as_cost(cost: ArrayLike) -> FloatArray:
    """``cost`` as a float64 array, or an InputError when it is not numeric."""
    try:
        return np.asarray(cost, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            f"cost must be an array of numbers (km, minutes); got {type(cost).__name__} that "
            "numpy cannot read as float. Use np.inf, not None or text, for pairs that cannot "
            "interact."
        ) from None


def radiation(
    points: PointsLike,
    mass: ArrayLike,
    *,
    outflows: ArrayLike | None = None,
    crs: CRSLike | None = None,
    finite_size: bool = True,
) -> FloatArray:
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
    crs : str, int or pyproj.CRS, optional
        CRS of ``(x, y)`` input.
    finite_size : bool, default True
        Divide each row by ``1 - m_i / M`` (Masucci et al. 2013) so rows sum
        to ``outflows`` (exactly when no two destinations are equidistant from
        the origin); Simini's original leaves them short by that factor.

    Returns
    -------
    numpy.ndarray, shape (n, n)
        Dense flows (the model needs every pair); zero diagonal.

    Raises
    ------
    ResourceError
        The matrix (8 bytes a pair) exceeds the memory budget (:mod:`geoai._budget`).

    Examples
    --------
    >>> t = radiation(([0.0, 1.0, 3.0], [0.0, 0.0, 0.0]), [100.0, 50.0, 80.0], crs=4326)
    >>> t.shape, float(t[0, 0])
    ((3, 3), 0.0)
    """
    pts = kernel_points(points, crs)
    at = v.index_of(points)
    m = args.check_magnitude(v.as_mass(mass, "mass", n=pts.n, index=at), "mass")
    o = (
        m
        if outflows is None
        else args.check_magnitude(v.as_mass(outflows, "outflows", n=pts.n, index=at), "outflows")
    )
    if pts.n < 2:
        raise InputError("the radiation model needs at least two places.")
    _check_dense(8 * pts.n**2, f"a {pts.n:,} x {pts.n:,} radiation model")
    return ki.radiation_matrix(pts.xyz, pts.geo, m, o, bool(finite_size))
