"""Spatial Markov chains of metro trajectories (Rey 2001), as in PySAL ``giddy``.

Each metro's value (by default relative to the year's cross-sectional mean)
is cut into ``k`` quantile classes pooled over all years and fixed over
time; the classic Markov chain counts the moves between classes from one
period to the next, and the spatial Markov chain conditions those moves on
the class of the metro's spatial lag at the start of the move (its
neighbours' row-standardised mean value, cut into ``k`` pooled quantiles of
the lag). Spatial dependence of the dynamics is tested by the likelihood
ratio and Q (chi-square) tests of homogeneity of Bickenbach & Bode (2003).

The array helpers (:func:`pooled_quantiles`, :func:`transition_counts`,
:func:`row_stochastic`, :func:`steady_state`, :func:`homogeneity`) trust
their input; :func:`spatial_markov` checks it once.

References
----------
Rey, S. J. (2001). Spatial empirics for economic growth and convergence.
*Geographical Analysis* 33(3), 195-214.
Bickenbach, F. & Bode, E. (2003). Evaluating the Markov property in studies
of economic convergence. *International Regional Science Review* 26(3), 363-392.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.special import chdtrc

from geoai.errors import InputError
from geoai.stats import _checks as c
from geoai.stats._markov_result import SpatialMarkov
from geoai.stats._weights import check_k, weights

if TYPE_CHECKING:
    from collections.abc import Iterable

    import geopandas as gpd
    from numpy.typing import NDArray

    from geoai._typing import FloatArray, IntArray

__all__ = [
    "SpatialMarkov",
    "homogeneity",
    "pooled_quantiles",
    "row_stochastic",
    "spatial_markov",
    "steady_state",
    "transition_counts",
]


# ------------------------------------------------------------ array helpers
def pooled_quantiles(x: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
    """Cut values into ``k`` quantile classes pooled over all cells.

    Same rule as ``mapclassify.Quantiles`` (used by giddy with ``fixed=True``):
    upper bounds at the percentiles ``100/k, 200/k, ..., 100`` with linear
    interpolation between order statistics; class ``c`` holds the values
    with ``bins[c - 1] < x <= bins[c]``.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, t)
        Finite values.
    k : int
        Number of classes, >= 2.

    Returns
    -------
    classes : numpy.ndarray of int64, shape (n, t)
        Class of each cell, 0 (lowest) to ``len(bins) - 1``.
    bins : numpy.ndarray, shape (k',)
        Distinct upper bounds, ``k' <= k`` (fewer when ties collapse
        quantiles); the last is the maximum of ``x``.
    """
    s = np.sort(x, axis=None)
    step = 100.0 / k
    pct = np.arange(step, 100 + step, step)
    pct = np.minimum(pct, 100.0)
    idx = pct / 100.0 * (s.size - 1)
    lo = idx.astype(np.int64)
    whole = lo == idx
    hi = np.minimum(lo + 1, s.size - 1)
    w_lo, w_hi = (lo + 1) - idx, idx - lo
    mixed = (s[lo] * w_lo + s[hi] * w_hi) / (w_lo + w_hi)
    bins = np.unique(np.where(whole, s[lo], mixed))
    return np.searchsorted(bins, x, side="left").astype(np.int64), bins


def transition_counts(classes: IntArray, k: int, lag_classes: IntArray | None = None) -> IntArray:
    """Count moves between classes from each period to the next.

    Parameters
    ----------
    classes : numpy.ndarray of int, shape (n, t)
        Class of each observation in each period, 0 to ``k - 1``.
    k : int
        Number of classes.
    lag_classes : numpy.ndarray of int, shape (n, t), optional
        Class of the spatial lag, 0 to ``k - 1``; the move from ``t`` to
        ``t + 1`` is filed under the lag class at ``t``.

    Returns
    -------
    numpy.ndarray of int64
        ``(k, k)`` counts ``[from, to]``, or ``(k, k, k)`` counts
        ``[lag class, from, to]`` when ``lag_classes`` is given.
    """
    cell = classes[:, :-1] * k + classes[:, 1:]
    if lag_classes is None:
        return np.bincount(cell.ravel(), minlength=k * k).reshape(k, k).astype(np.int64)
    cell = lag_classes[:, :-1] * (k * k) + cell
    return np.bincount(cell.ravel(), minlength=k**3).reshape(k, k, k).astype(np.int64)


def row_stochastic(counts: NDArray[np.int64] | FloatArray) -> FloatArray:
    """Maximum-likelihood transition probabilities: counts over row sums (empty rows stay 0)."""
    rows = counts.sum(axis=-1, keepdims=True).astype(np.float64)
    return counts / np.where(rows == 0, 1.0, rows)


def steady_state(p: FloatArray) -> FloatArray:
    """Return the unique stationary distribution ``pi = pi P`` of a chain, or NaN.

    States never observed as origin (empty rows) are dropped when no
    observed move enters them. The distribution is unique when the remaining
    chain has a single closed (recurrent) class; transient states get 0.

    Parameters
    ----------
    p : numpy.ndarray, shape (k, k)
        Row-stochastic matrix; rows may be all zero.

    Returns
    -------
    numpy.ndarray, shape (k,)
        Probabilities summing to 1, or all NaN when the steady state is not
        unique (several closed classes) or not defined (an observed move
        enters a state whose own moves were never observed).
    """
    k = p.shape[0]
    out = np.full(k, np.nan)
    live = p.sum(axis=1) > 0
    if not live.any() or (p[live][:, ~live] > 0).any():
        return out
    q = p[np.ix_(live, live)]
    n_comp, label = connected_components(sp.csr_array(q > 0), directed=True, connection="strong")
    comp_of_edge = label[:, None] != label[None, :]
    leaves = np.zeros(n_comp, dtype=bool)
    np.logical_or.at(leaves, label, ((q > 0) & comp_of_edge).any(axis=1))
    closed = np.flatnonzero(~leaves)
    if closed.size != 1:
        return out
    rec = label == closed[0]
    sub = q[np.ix_(rec, rec)]
    a = sub.T - np.eye(sub.shape[0])
    a[-1] = 1.0
    b = np.zeros(sub.shape[0])
    b[-1] = 1.0
    pi = np.zeros(q.shape[0])
    pi[rec] = np.linalg.solve(a, b)
    out[:] = 0.0
    out[np.flatnonzero(live)] = np.clip(pi, 0.0, None) / np.clip(pi, 0.0, None).sum()
    return out


def homogeneity(counts: IntArray) -> tuple[float, float, float, float, int]:
    """Likelihood-ratio and Q tests that transition matrices are equal across regimes.

    Bickenbach & Bode (2003), as giddy's ``Homogeneity_Results``: under the
    null the regimes (lag classes) share the pooled matrix ``p_ij``;
    ``LR = 2 sum n_ijm log(p_ijm / p_ij)`` over observed moves and
    ``Q = sum n_im (p_ijm - p_ij)^2 / p_ij`` (zero ``p_ij`` read as 1).
    Degrees of freedom ``sum_i (b_i - 1)(a_i - 1)`` over the origin classes
    ``i`` with moves, ``b_i`` regimes with moves from ``i``, ``a_i``
    destinations reached from ``i`` in the pooled matrix. (giddy also adds 1
    for an origin class with no moves at all; such a class carries no
    evidence and adds nothing here.)

    Parameters
    ----------
    counts : numpy.ndarray, shape (m, k, k)
        Move counts ``[regime, from, to]``.

    Returns
    -------
    tuple of float
        ``(LR, LR_p_value, Q, Q_p_value, dof)``; p-values from the
        chi-square distribution with ``dof`` degrees of freedom (NaN when
        ``dof`` is 0).
    """
    m = counts.astype(np.float64)
    pooled = m.sum(axis=0)
    p_ij = row_stochastic(pooled)
    n_im = m.sum(axis=2)
    p_ijm = row_stochastic(m)
    den = np.where(p_ij == 0, 1.0, p_ij)
    q = float((n_im[:, :, None] * (p_ijm - p_ij) ** 2 / den).sum())
    seen = m > 0
    ratio = p_ijm[seen] / np.broadcast_to(p_ij, m.shape)[seen]
    lr = 2.0 * float((m[seen] * np.log(ratio)).sum())
    b_i = (n_im > 0).sum(axis=0)
    a_i = (pooled > 0).sum(axis=1)
    dof = int(((b_i - 1) * (a_i - 1))[b_i > 0].sum())
    if dof == 0:
        return lr, float("nan"), q, float("nan"), 0
    return lr, float(chdtrc(dof, lr)), q, float(chdtrc(dof, q)), dof  # chi-square sf


# ------------------------------------------------------------ public wrapper
def spatial_markov(
    panel: pd.DataFrame,
    value: str = "population",
    *,
    k: int = 5,
    relative: bool = True,
    neighbours: int = 8,
    metros: gpd.GeoDataFrame | None = None,
    years: Iterable[int] | None = None,
    projections: bool = False,
) -> SpatialMarkov:
    """Spatial Markov chain of metro trajectories (Rey 2001), equal to giddy's.

    The value of each metro (relative to the year's mean over the metros
    when ``relative``) is cut into ``k`` quantile classes pooled over all
    years and fixed over time; its spatial lag (row-standardised mean of the
    ``neighbours`` nearest metros by great-circle distance) into ``k``
    pooled quantiles of the lag. Moves between classes from one year to the
    next give the classic matrix ``p`` and, filed by the lag class at the
    start of the move, the conditional matrices ``P``; the LR and Q tests
    ask whether ``P`` differs from ``p`` (spatial dependence of the
    dynamics). Same numbers as ``giddy.markov.Spatial_Markov(y, w,
    fixed=True, k=k, m=k)`` on the same ``y`` and weights.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long table with ``metro_id``, ``year`` (int) and ``value``, one row
        per metro and year, e.g. :func:`geoai.load_metro_panel`. Every
        metro must have every selected year (a balanced panel).
    value : str, default "population"
        Numeric column, finite and >= 0 (people for the UN panel).
    k : int, default 5
        Number of classes of the value and of the lag, >= 2.
    relative : bool, default True
        Divide each value by the mean of its year across the metros (so the
        classes follow relative size, not growth common to all metros).
    neighbours : int, default 8
        Nearest metros in the spatial lag (KNN, great-circle distance for a
        geographic CRS), 1 to ``n - 1``.
    metros : geopandas.GeoDataFrame, optional
        ``metro_id`` and a point (or polygon) geometry with a CRS for every
        metro of the panel. Default: the UN agglomeration points
        (:func:`geoai.datasets.wup_agglomerations`), when every id starts
        with ``"wup:"``.
    years : iterable of int, optional
        Years to use (default: all years of the panel), evenly spaced, at
        least two, e.g. ``range(1950, 2016, 5)``.
    projections : bool, default False
        Allow rows whose ``<value>_kind`` column (``population_kind`` for the
        UN panel) is ``"projection"``. Projections are not observations, so
        by default they are refused.

    Returns
    -------
    SpatialMarkov
        Class paths, cutoffs, the classic and conditional matrices, steady
        states and the tests; :meth:`SpatialMarkov.summary` tabulates them.

    Raises
    ------
    InputError
        On missing columns, duplicated ``(metro_id, year)``, an unbalanced
        panel, unevenly spaced or missing years, projections not allowed,
        NaN, negative or non-numeric values (strings are not read as
        numbers), fewer than ``k`` distinct values (or ties that collapse
        quantiles), ``k < 2``, ``neighbours >= n``, ``k``, ``neighbours`` or
        ``years`` that are not whole numbers, ``relative`` or ``projections``
        not a bool, or metros without a location.

    Examples
    --------
    >>> import numpy as np, geoai
    >>> panel = geoai.load_metro_panel(1950, 2015, min_population=5_000_000)
    >>> sm = geoai.stats.spatial_markov(panel, years=range(1950, 2016, 5), k=3, neighbours=4)
    >>> sm.classes.shape == (panel["metro_id"].nunique(), 14), sm.P.shape
    (True, (3, 3, 3))
    >>> bool(np.allclose(sm.p.sum(axis=1), 1)), bool(np.isclose(sm.steady_state.sum(), 1))
    (True, True)
    >>> list(sm.summary().columns)
    ['moves', 'stay', 'up', 'down', 'steady_0', 'steady_1', 'steady_2']
    """
    c.hashable(value, "value")
    relative, projections = c.flag(relative, "relative"), c.flag(projections, "projections")
    ids, yrs, raw = _balanced(panel, value, years, projections=projections)
    k = _check_classes(k)
    n = ids.size
    neighbours = check_k(neighbours, n, "neighbours")
    y = raw
    if relative:  # scale-free: an exact power-of-two rescale keeps the year sums finite
        raw = np.ldexp(raw, -int(np.frexp(raw.max())[1]))
        mean = raw.mean(axis=0)
        if (mean <= 0).any():
            bad = yrs[mean <= 0].tolist()
            raise InputError(
                f"{value} is 0 for every metro in {bad}, so values relative to the year's "
                "mean are undefined; drop those years or pass relative=False."
            )
        y = raw / mean
    if np.unique(y).size < k:
        raise InputError(
            f"{value} has {np.unique(y).size} distinct values but k={k} classes need at "
            "least k; lower k or pass more metros or years."
        )
    w = weights(_points(metros, ids), k=neighbours)
    lag = np.asarray(w.sparse @ y)
    classes, bins = pooled_quantiles(y, k)
    lag_classes, lag_bins = pooled_quantiles(lag, k)
    for name, b in ((value, bins), (f"the spatial lag of {value}", lag_bins)):
        if b.size < k:
            raise InputError(
                f"ties in {name} collapse its {k} pooled quantiles into {b.size} classes; "
                "lower k or use a variable with fewer tied values."
            )
    transitions = transition_counts(classes, k)
    t_lag = transition_counts(classes, k, lag_classes)
    p, p_lag = row_stochastic(transitions), row_stochastic(t_lag)
    lr, lr_p, q, q_p, dof = homogeneity(t_lag)
    return SpatialMarkov(
        metro_ids=ids, years=yrs, value=value, relative=bool(relative), y=y, lag=lag,
        classes=classes, lag_classes=lag_classes, cutoffs=bins[:-1], lag_cutoffs=lag_bins[:-1],
        transitions=transitions, p=p, T=t_lag, P=p_lag, steady_state=steady_state(p),
        lag_steady_states=np.vstack([steady_state(m) for m in p_lag]),
        LR=lr, LR_p_value=lr_p, Q=q, Q_p_value=q_p, dof=dof, weights=w,
    )  # fmt: skip


def _check_classes(k: object) -> int:
    return c.whole(k, "k", minimum=2, hint="the number of classes, e.g. 5")


def _balanced(
    panel: pd.DataFrame, value: str, years: Iterable[int] | None, *, projections: bool
) -> tuple[NDArray[np.object_], IntArray, FloatArray]:
    """Check the panel and return ``(metro_ids (n,), years (t,), values (n, t))``."""
    if not isinstance(panel, pd.DataFrame):
        raise InputError(
            f"panel must be a pandas DataFrame with metro_id, year and {value!r} columns; got "
            f"{type(panel).__name__}. Load one with geoai.load_metro_panel()."
        )
    missing = [c for c in ("metro_id", "year", value) if c not in panel.columns]
    if missing:
        raise InputError(
            f"panel lacks the column(s) {missing}; it needs metro_id, year and {value!r} "
            "(pass value= to name the column to discretise)."
        )
    panel = _select_years(panel, years)
    kind = f"{value}_kind"
    if not projections and kind in panel.columns:
        proj = panel.loc[panel[kind] == "projection", "year"]
        if len(proj):
            raise InputError(
                f"the selected years {proj.min()}-{proj.max()} are projections ({kind}), not "
                "observations; pass years= up to the last estimate or projections=True."
            )
    if panel.duplicated(["metro_id", "year"]).any():
        dup = panel.loc[panel.duplicated(["metro_id", "year"]), ["metro_id", "year"]].iloc[0]
        raise InputError(
            f"panel has duplicated (metro_id, year) rows, e.g. ({dup['metro_id']!r}, "
            f"{dup['year']}); keep one row per metro and year."
        )
    if not pd.api.types.is_numeric_dtype(panel[value].dtype):
        raise InputError(
            f"{value!r} must be numeric; got dtype {panel[value].dtype}. Convert it with "
            "pandas.to_numeric() first."
        )
    vals = panel[value].to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(vals).all() or (vals < 0).any():
        raise InputError(
            f"{value!r} has {int((~np.isfinite(vals) | (vals < 0)).sum())} NaN, infinite or "
            "negative values; drop or fill those rows (values must be >= 0)."
        )
    wide = pd.DataFrame({"m": panel["metro_id"].to_numpy(), "t": panel["year"].to_numpy(),
                         "v": vals}).pivot(index="m", columns="t", values="v")  # fmt: skip
    yrs = wide.columns.to_numpy(dtype=np.int64)
    if yrs.size < 2 or wide.shape[0] < 2:
        raise InputError(
            f"a Markov chain needs at least 2 metros and 2 years; got {wide.shape[0]} metros "
            f"and {yrs.size} years. Pass a longer or wider panel."
        )
    if np.unique(np.diff(yrs)).size > 1:
        raise InputError(
            f"years must be evenly spaced (one time step per move); got steps "
            f"{np.unique(np.diff(yrs)).tolist()}. Pass years=range(first, last + 1, step)."
        )
    holes = wide.isna().any(axis=1)
    if holes.any():
        raise InputError(
            f"unbalanced panel: {int(holes.sum())} metros lack some of the {yrs.size} years "
            f"(e.g. {wide.index[holes][0]!r}); drop them or choose years= they all have."
        )
    return wide.index.to_numpy(dtype=object), yrs, wide.to_numpy(dtype=np.float64)


def _select_years(panel: pd.DataFrame, years: Iterable[int] | None) -> pd.DataFrame:
    year = panel["year"]
    if not pd.api.types.is_integer_dtype(year):
        raise InputError(f"panel year must be integers; got dtype {year.dtype}. Cast it first.")
    if years is None:
        return panel
    try:
        listed = list(years)
    except TypeError:
        raise InputError(
            f"years must be a list of integers, e.g. range(1950, 2016, 5); got {c.shown(years)}."
        ) from None
    wanted = np.unique(
        np.array([c.whole(y, "years", hint="e.g. range(1950, 2016, 5)") for y in listed], np.int64)
    )
    absent = np.setdiff1d(wanted, year.unique())
    if absent.size:
        raise InputError(
            f"years {absent[:5].tolist()} are not in the panel (it spans "
            f"{year.min()}-{year.max()}); choose years the panel has."
        )
    return panel[year.isin(wanted)]


def _points(metros: gpd.GeoDataFrame | None, ids: NDArray[np.object_]) -> gpd.GeoDataFrame:
    """Locations of ``ids`` (in that order, indexed by id) from ``metros`` or the UN points."""
    if metros is None:
        if not all(isinstance(i, str) and i.startswith("wup:") for i in ids):
            raise InputError(
                "metros= is needed: the panel ids are not UN agglomerations ('wup:...'); "
                "pass a GeoDataFrame with metro_id and point geometry."
            )
        from geoai.datasets import wup_agglomerations

        metros = wup_agglomerations(2015, 0)
    if not hasattr(metros, "geometry") or "metro_id" not in getattr(metros, "columns", ()):
        raise InputError(
            "metros must be a GeoDataFrame with a metro_id column and point geometry; got "
            f"{type(metros).__name__}."
        )
    where = pd.Index(metros["metro_id"])
    if not where.is_unique:
        raise InputError("metros has duplicated metro_id values; keep one location per metro.")
    pos = where.get_indexer(ids)
    if (pos < 0).any():
        raise InputError(
            f"{int((pos < 0).sum())} panel metros have no location in metros (e.g. "
            f"{ids[pos < 0][0]!r}); add them or drop them from the panel."
        )
    return metros.iloc[pos].set_axis(pd.Index(ids, name="metro_id"))
