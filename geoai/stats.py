"""Local spatial statistics on metro points, with false-discovery-rate control.

* :func:`weights`: k-nearest-neighbour or distance-band weights from points
  (great-circle km for geographic CRS, Euclidean km for projected CRS), in a
  small CSR structure, :class:`SpatialWeights`.
* :func:`local_moran`: local Moran's I (Anselin 1995) with conditional
  permutation inference; same statistic, standardisation and folded pseudo
  p-value as ``esda.Moran_Local``.
* :func:`getis_ord`: Getis-Ord G / G* (Ord & Getis 1995); same statistic,
  z-score and conditional permutation as ``esda.G_Local``.
* :func:`fdr`: Benjamini-Hochberg step-up procedure.
* :func:`dominant_flows`: Nystuen & Dacey (1961) nodal hierarchy from flows.

Significance: by default Benjamini-Hochberg at ``fdr`` over the permutation
p-values (``p_fdr`` holds the adjusted p-values); ``fdr=None`` tests each
observation on its own, ``p_sim < alpha`` (as esda's cluster labels). A
permutation p-value is at least ``1 / (permutations + 1)``; when that floor
is above the first BH threshold ``fdr / n`` (or not below ``alpha``), a
:class:`PermutationWarning` says how many permutations are needed.

Permutation inference runs in :mod:`geoai.kernels.lisa`, parallel over
observations, each with its own random stream derived from ``seed``:
results are reproducible and do not depend on the number of threads.

Islands (observations without neighbours, possible with distance bands or
user weights) take part in the standardisation of the variable and can be
drawn as random neighbours of others, but get no statistic: their outputs
are NaN, their label is ``"ns"``, they are left out of the FDR count, and an
:class:`IslandWarning` says how many there are.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr

from geoai import _validate as v
from geoai._markov import SpatialMarkov, spatial_markov
from geoai._weights import (
    TRANSFORMS,
    SpatialWeights,
    as_weights,
    check_k,
    check_transform,
    csr,
    transformed,
    weights,
)
from geoai.errors import GeoAIWarning, InputError
from geoai.kernels.lisa import permutation_null

__all__ = [
    "QUADRANTS",
    "TRANSFORMS",
    "IslandWarning",
    "PermutationWarning",
    "SpatialMarkov",
    "SpatialWeights",
    "dominant_flows",
    "fdr",
    "getis_ord",
    "local_moran",
    "spatial_markov",
    "weights",
]

#: Local Moran quadrants in esda's order (its ``q`` = 1..4): value High/Low,
#: spatial lag High/Low. A value or lag of exactly 0 counts as Low.
QUADRANTS = ("HH", "LH", "LL", "HL")


class IslandWarning(GeoAIWarning):
    """Some observations have no neighbours and are left out of inference."""


class PermutationWarning(GeoAIWarning):
    """Too few permutations: the p-value floor ``1 / (permutations + 1)`` hides discoveries."""


# ------------------------------------------------------------ shared checks
@dataclass(frozen=True)
class _Inputs:
    y: np.ndarray
    w: SpatialWeights
    permutations: int
    seed: int
    fdr: float | None
    alpha: float
    transform: str


def _column(gdf: Any, column: Any) -> np.ndarray:
    """Return the column as float64, checked numeric, finite and not constant."""
    if not isinstance(gdf, pd.DataFrame):
        raise InputError(f"gdf must be a (Geo)DataFrame; got {type(gdf).__name__}.")
    v.check_nonempty(len(gdf), "gdf")
    if column not in gdf.columns:
        cols = [str(c) for c in gdf.columns if c != getattr(gdf, "_geometry_column_name", None)]
        raise InputError(f"column {column!r} is not in gdf; available: {cols[:12]}.")
    col = gdf[column]
    if not pd.api.types.is_numeric_dtype(col.dtype):
        raise InputError(
            f"column {column!r} must be numeric; got dtype {col.dtype}. Convert it with "
            "pandas.to_numeric() first."
        )
    y = col.to_numpy(dtype=np.float64, na_value=np.nan)
    v.check_finite(y, f"column {column!r}")
    if np.ptp(y) == 0:
        raise InputError(
            f"column {column!r} is constant (every value is {y[0]:g}); local statistics "
            "need variation. Pick another column or drop it from the analysis."
        )
    return y


def _level(value: Any, name: str, hint: str = "") -> float:
    try:
        a = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number in (0, 1){hint}; got {value!r}.") from None
    if not 0 < a < 1:
        raise InputError(f"{name} must be in (0, 1), e.g. 0.05{hint}; got {value!r}.")
    return a


def _inference_options(
    permutations: Any, seed: Any, fdr: Any, alpha: Any
) -> tuple[int, int, float | None, float]:
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer):
        raise InputError(f"permutations must be an integer >= 0; got {permutations!r}.")
    if permutations < 0:
        raise InputError(f"permutations must be >= 0 (999 is usual); got {permutations}.")
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**63:
        raise InputError(f"seed must be an integer in [0, 2**63) or None; got {seed!r}.")
    rate = None if fdr is None else _level(fdr, "fdr", ", or None for unadjusted p-values")
    return int(permutations), int(seed), rate, _level(alpha, "alpha")


def _prepare(
    gdf: Any,
    column: Any,
    *,
    k: int,
    w: Any,
    permutations: Any,
    seed: Any,
    fdr: Any,
    alpha: Any,
    transform: Any,
    allowed: tuple[str, ...] = TRANSFORMS,
) -> _Inputs:
    y = _column(gdf, column)
    perms, seed, rate, a = _inference_options(permutations, seed, fdr, alpha)
    how = check_transform(transform, allowed)
    if w is None:
        if not hasattr(gdf, "geometry"):
            raise InputError(
                "gdf has no geometry to build weights from; pass a GeoDataFrame or weights=."
            )
        v.require_crs(gdf, "gdf")
        check_k(k, len(gdf))
        sw = weights(gdf, k=k, transform=how)
    else:
        sw = as_weights(w, gdf.index)
    return _Inputs(y, sw, perms, seed, rate, a, how)


def _split(
    w: SpatialWeights, data: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split transformed CSR values into the diagonal and off-diagonal CSR parts."""
    n = w.n
    rows = np.repeat(np.arange(n), np.diff(w.indptr))
    on = w.indices == rows
    diag = np.zeros(n)
    diag[rows[on]] = data[on]
    off = ~on
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[off], minlength=n), out=indptr[1:])
    return diag, indptr, w.indices[off], data[off]


def _warn_islands(islands: np.ndarray, index: pd.Index) -> None:
    if islands.any():
        ex = [str(x) for x in index[islands][:5]]
        warnings.warn(
            f"{int(islands.sum())} of {islands.size} observations have no neighbours "
            f"(islands, e.g. {ex}); their statistics are NaN and their label 'ns'. Use a "
            "larger distance_km or KNN weights to give them neighbours.",
            IslandWarning,
            stacklevel=3,
        )


def _n_chunks(n: int) -> int:
    import numba

    return max(1, min(n, 8 * int(numba.get_num_threads())))


def _null(
    x: np.ndarray,
    indptr: np.ndarray,
    wts: np.ndarray,
    *,
    a: np.ndarray,
    b: np.ndarray,
    observed: np.ndarray,
    inp: _Inputs,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Folded pseudo p-value, z_sim and upper-tail flag from the permutation kernel."""
    n = x.size
    if inp.permutations == 0:
        nan = np.full(n, np.nan)
        return nan, nan.copy(), np.zeros(n, dtype=bool)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    scale = np.bincount(rows, np.abs(wts), minlength=n) * np.abs(x).max()
    tol = 1e-11 * (np.abs(a) * scale + np.abs(b))
    obs = np.where(np.isfinite(observed), observed, 0.0)
    n_ge, n_le, mean, sd = permutation_null(
        x, indptr, wts, a, b, obs, tol,
        inp.permutations, inp.seed, _n_chunks(n),
    )  # fmt: skip
    ok = n_ge >= 0
    # esda's folded p: extreme in the nearer tail; ties count on both sides
    p = np.where(ok, (np.minimum(n_ge, n_le) + 1.0) / (inp.permutations + 1.0), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = np.where(ok & (sd > 0), (observed - mean) / sd, np.nan)
    return p, z_sim, ok & (n_ge < n_le)


def _bh_steps(alpha: float, m: int) -> np.ndarray:
    """Benjamini-Hochberg thresholds ``r alpha / m`` for ranks ``r = 1..m``."""
    return alpha * np.arange(1, m + 1) / m


def _bh(p: np.ndarray, alpha: float) -> np.ndarray:
    out = np.zeros(p.size, dtype=bool)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m == 0:
        return out
    ranked = np.sort(p[valid])
    passed = np.flatnonzero(ranked <= _bh_steps(alpha, m))
    if passed.size:
        out[valid] = p[valid] <= ranked[passed[-1]]
    return out


def _bh_adjusted(p: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values ``min(1, min_{j >= r} m p_(j) / j)``; NaN stays NaN."""
    out = np.full(p.size, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m:
        order = valid[np.argsort(p[valid], kind="stable")]
        scaled = p[order] * m / np.arange(1, m + 1)
        out[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return out


def _permutations_needed(level: float, strict: bool) -> int:
    """Smallest ``P`` with ``1 / (P + 1) <= level`` (``<`` when ``strict``)."""

    def reached(q: int) -> bool:
        floor = 1.0 / (q + 1)
        return floor < level if strict else floor <= level

    need = max(int(np.ceil(1.0 / level)) - 1, 0)
    while not reached(need):
        need += 1
    while need > 0 and reached(need - 1):
        need -= 1
    return need


def _warn_floor(m: int, inp: _Inputs) -> None:
    """Warn when the permutation floor ``1 / (P + 1)`` blocks the first rejection."""
    perms = inp.permutations
    floor = 1.0 / (perms + 1)
    head = f"with {perms} permutations the smallest attainable p_sim is 1/{perms + 1} = {floor:.2g}"
    if inp.fdr is None:
        if floor < inp.alpha:
            return
        need = _permutations_needed(inp.alpha, strict=True)
        msg = f"{head}, not below alpha={inp.alpha:g}: no observation can be significant"
    else:
        steps = _bh_steps(inp.fdr, m)
        if floor <= steps[0]:
            return
        need = _permutations_needed(float(steps[0]), strict=False)
        r = int(np.searchsorted(steps, floor, side="left")) + 1
        msg = (
            f"{head}, above the first Benjamini-Hochberg threshold fdr/n = {inp.fdr:g}/{m} = "
            f"{steps[0]:.2g}: "
            + (
                f"a lone extreme observation cannot be significant, a discovery needs at "
                f"least {r} observations at that floor"
                if r <= m
                else "no observation can be significant"
            )
            + f"; fdr=None gives unadjusted p-values at alpha={inp.alpha:g}"
        )
    warnings.warn(f"{msg}. Use permutations >= {need}.", PermutationWarning, stacklevel=4)


def _decide(p: np.ndarray, inp: _Inputs, *, floor: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``significant`` and ``p_fdr`` (NaN when ``fdr=None``) from the p-values ``p``."""
    m = int(np.count_nonzero(~np.isnan(p)))
    if floor and inp.permutations and m:
        _warn_floor(m, inp)
    if inp.fdr is None:
        return np.nan_to_num(p, nan=1.0) < inp.alpha, np.full(p.size, np.nan)
    return _bh(p, inp.fdr), _bh_adjusted(p)


# ---------------------------------------------------------------- local Moran
def local_moran(
    gdf: Any,
    column: str,
    *,
    k: int = 8,
    weights: Any = None,
    permutations: int = 999,
    seed: int | None = 0,
    fdr: float | None = 0.05,
    alpha: float = 0.05,
    transform: str = "r",
) -> pd.DataFrame:
    """Local Moran's I with conditional permutation inference and optional FDR control.

    The statistic is esda's ``Moran_Local``: ``z = (y - mean) / std``
    (population std), ``I_i = (n - 1) z_i (W z)_i / sum(z^2)``. The pseudo
    p-value is folded like esda's: ``(min(#sim >= I_i, #sim <= I_i) + 1) /
    (permutations + 1)``, each observation's neighbours redrawn from the
    ``n - 1`` others (ties between a simulated and the observed value count
    on both sides; without ties this equals esda's definition).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or pandas.DataFrame
        Observations (``n`` rows); a DataFrame is enough when ``weights`` is given.
    column : str
        Numeric column without NaN and not constant.
    k : int, default 8
        Neighbours per point when the weights are built here (KNN, see
        :func:`weights`); ignored when ``weights`` is given.
    weights : SpatialWeights, libpysal W or Graph, or scipy.sparse matrix, optional
        Weights aligned with ``gdf`` by label (or position); used as given
        (self-weights included) before ``transform``.
    permutations : int, default 999
        Conditional permutations; 0 skips inference (``z_sim``/``p_sim``
        NaN, nothing significant).
    seed : int or None, default 0
        Seed of the per-observation random streams, in ``[0, 2**63)``
        (None: fresh entropy). Results do not depend on the thread count.
    fdr : float or None, default 0.05
        False discovery rate of the Benjamini-Hochberg step-up over
        ``p_sim``. None: no adjustment, each observation is tested on its own
        at ``alpha`` (for small samples or few permutations; expect about
        ``alpha n`` false positives among ``n`` tests).
    alpha : float, default 0.05
        Significance level when ``fdr=None``: significant where ``p_sim <
        alpha`` (strictly, as esda's ``get_cluster_labels``); unused otherwise.
    transform : {"r", "b", "d", "v", "o"}, default "r"
        Transformation of the original weights (see :func:`weights`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``gdf``: ``I``, ``z_sim`` (standardised against the
        permutations), ``p_sim`` (unadjusted pseudo p-value), ``p_fdr``
        (BH-adjusted p-value: the smallest false discovery rate at which the
        observation is a discovery; NaN when ``fdr=None``), ``quadrant``
        (categorical, one of :data:`QUADRANTS`), ``significant`` (BH at
        ``fdr``, or ``p_sim < alpha`` when ``fdr=None``), ``label`` (the
        quadrant if significant, else ``"ns"``). Islands have NaN
        statistics, a missing quadrant and label ``"ns"``.

    Raises
    ------
    InputError
        Missing, non-numeric, NaN or constant column; fewer than ``k + 1``
        rows; bad ``permutations``, ``seed``, ``fdr``, ``alpha``, ``transform`` or
        weights.
    CRSError
        Weights must be built and ``gdf`` has no CRS.

    Warns
    -----
    IslandWarning
        Some observations have no neighbours (see the module notes).
    PermutationWarning
        ``1 / (permutations + 1)`` is above the first BH threshold ``fdr /
        n`` (``n`` observations with neighbours), so a lone extreme
        observation cannot be significant, or (``fdr=None``) not below
        ``alpha``; the message gives the permutations needed.

    Examples
    --------
    >>> import geoai
    >>> metros = geoai.load_metros(min_population=1_000_000)
    >>> lisa = geoai.stats.local_moran(metros, "gdp_pc_usd", permutations=99, fdr=None)
    >>> list(lisa.columns)
    ['I', 'z_sim', 'p_sim', 'p_fdr', 'quadrant', 'significant', 'label']
    >>> lisa["label"].cat.categories.tolist()
    ['HH', 'LH', 'LL', 'HL', 'ns']
    """
    inp = _prepare(gdf, column, k=k, w=weights, permutations=permutations, seed=seed,
                   fdr=fdr, alpha=alpha, transform=transform)  # fmt: skip
    w = inp.w
    n = w.n
    data = transformed(w.indptr, w.indices, w.values, inp.transform)
    diag, indptr, _, wts = _split(w, data)
    islands = np.diff(indptr) == 0
    _warn_islands(islands, gdf.index)
    z = (inp.y - inp.y.mean()) / inp.y.std()
    lag = sp.csr_array((data, w.indices, w.indptr), shape=(n, n)) @ z
    scaling = (n - 1) / (z * z).sum()
    moran = np.where(islands, np.nan, scaling * z * lag)
    a = z * scaling
    p, z_sim, _ = _null(z, indptr, wts, a=a, b=a * diag * z, observed=moran, inp=inp)
    quad = np.where(z > 0, np.where(lag > 0, 0, 3), np.where(lag > 0, 1, 2))
    quadrant = pd.Categorical.from_codes(np.where(islands, -1, quad), categories=QUADRANTS)
    sig, p_fdr = _decide(p, inp)
    label = pd.Categorical.from_codes(np.where(sig, quad, 4), categories=[*QUADRANTS, "ns"])
    return pd.DataFrame(
        {"I": moran, "z_sim": z_sim, "p_sim": p, "p_fdr": p_fdr, "quadrant": quadrant,
         "significant": sig, "label": label},
        index=gdf.index,
    )  # fmt: skip


# ---------------------------------------------------------------- Getis-Ord
def getis_ord(
    gdf: Any,
    column: str,
    *,
    k: int = 8,
    weights: Any = None,
    star: bool = True,
    permutations: int = 999,
    seed: int | None = 0,
    fdr: float | None = 0.05,
    alpha: float = 0.05,
    transform: str = "r",
) -> pd.DataFrame:
    """Getis-Ord local G (``star=False``) or G* (``star=True``) hot and cold spots.

    Matches ``esda.G_Local`` on the same weights, ``transform`` and ``star``:

    * **Self-weight.** With ``star=True`` and original weights without a
      diagonal, each observation gets a self-weight equal to the largest
      weight of its row (1 for KNN and bands) *before* the transformation,
      so row-standardised G* weights are ``1 / (k + 1)`` including self;
      a diagonal already present is kept. With ``star=False`` any diagonal
      is removed.
    * **Statistic.** ``G_i = (W y)_i / (sum(y) - y_i)`` (G) or
      ``(W y)_i / sum(y)`` (G*), ``z`` from the normal moments of Ord &
      Getis (1995) with ``N = n - 1`` (G) or ``n`` (G*); ``p_norm =
      1 - Phi(|z|)`` (one-sided, as esda).
    * **Inference.** With ``permutations > 0``, ``significant`` is
      Benjamini-Hochberg at ``fdr`` over the folded permutation ``p_sim``
      (the same test as :func:`local_moran`, robust to skewed variables),
      or ``p_sim < alpha`` with ``fdr=None``, and the label is ``"hot"``
      when G lies in the upper tail of its permutation distribution,
      ``"cold"`` in the lower tail. With ``permutations=0``, ``p_norm`` (in
      place of ``p_sim``) and the sign of ``z`` are used. (For G*, the
      permutation test holds the observation's own value fixed, so a large
      value among low neighbours can be "cold" with ``z > 0``.)

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or pandas.DataFrame
        Observations (``n`` rows); a DataFrame is enough when ``weights`` is given.
    column : str
        Numeric column, non-negative (G is defined for non-negative
        variables; use :func:`local_moran` for signed ones), without NaN.
    k : int, default 8
        KNN neighbours when the weights are built here; ignored with ``weights``.
    weights : SpatialWeights, libpysal W or Graph, or scipy.sparse matrix, optional
        Weights aligned with ``gdf``, original values (see :func:`weights`).
    star : bool, default True
        G* (the observation counts in its own neighbourhood) or G.
    permutations : int, default 999
        Conditional permutations; 0 skips them (``p_sim`` NaN).
    seed : int or None, default 0
        Seed of the per-observation random streams.
    fdr : float or None, default 0.05
        False discovery rate of Benjamini-Hochberg; None: no adjustment,
        each test at ``alpha``.
    alpha : float, default 0.05
        Significance level when ``fdr=None`` (``p < alpha``); unused otherwise.
    transform : {"r", "b"}, default "r"
        Row-standardised or binary (the moments assume one of these).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``gdf``: ``G``, ``z``, ``p_norm``, ``p_sim``
        (unadjusted), ``p_fdr`` (BH-adjusted p-value of the test used,
        ``p_sim`` or, with ``permutations=0``, ``p_norm``; NaN when
        ``fdr=None``), ``significant``, ``label`` (categorical ``"hot"``,
        ``"cold"``, ``"ns"``). Islands (no neighbour but self) are NaN and ``"ns"``.

    Raises
    ------
    InputError
        As :func:`local_moran`, and for negative values or a transform
        other than ``"r"``/``"b"``.
    CRSError
        Weights must be built and ``gdf`` has no CRS.

    Warns
    -----
    IslandWarning
        Some observations have no neighbours.
    PermutationWarning
        As :func:`local_moran` (only with ``permutations > 0``).

    Examples
    --------
    >>> import geoai
    >>> metros = geoai.load_metros(min_population=1_000_000)
    >>> gi = geoai.stats.getis_ord(metros, "gdp_pc_usd", permutations=99, fdr=None)
    >>> list(gi.columns)
    ['G', 'z', 'p_norm', 'p_sim', 'p_fdr', 'significant', 'label']
    """
    inp = _prepare(gdf, column, k=k, w=weights, permutations=permutations, seed=seed,
                   fdr=fdr, alpha=alpha, transform=transform, allowed=("r", "b"))  # fmt: skip
    y = inp.y
    if (y < 0).any():
        raise InputError(
            f"column {column!r} has negative values; Getis-Ord G is defined for "
            "non-negative variables (counts, jobs, potential). Use local_moran for signed "
            "variables such as growth rates or net flows."
        )
    w = inp.w
    n = w.n
    diag0, indptr0, idx0, vals0 = _split(w, w.values)
    rows0 = np.repeat(np.arange(n), np.diff(indptr0))
    if not star:
        diag0 = np.zeros(n)
    elif not diag0.any():  # esda: the self-weight is the row's largest weight
        np.maximum.at(diag0, rows0, vals0)
    full = csr(
        np.concatenate((rows0, np.arange(n))), np.concatenate((idx0, np.arange(n))),
        np.concatenate((vals0, diag0)), n,
    )  # fmt: skip
    sw = SpatialWeights(full.indptr, full.indices, full.data, w.ids)
    data = transformed(sw.indptr, sw.indices, sw.values, inp.transform)
    diag, indptr, _, wts = _split(sw, data)
    islands = np.diff(indptr) == 0
    _warn_islands(islands, gdf.index)
    total = y.sum()
    own = 0.0 if star else 1.0
    big_n = n - own
    denom = total - y * own
    g = (sp.csr_array((data, sw.indices, sw.indptr), shape=(n, n)) @ y) / denom
    mean = denom / big_n
    var = ((y * y).sum() - y * y * own) / big_n - mean**2
    card = np.bincount(np.repeat(np.arange(n), np.diff(sw.indptr)), data, minlength=n)
    expected = card / big_n
    variance = card * (big_n - card) / (big_n - 1) / big_n**2 * var / mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(islands, np.nan, (g - expected) / np.sqrt(variance))
    g = np.where(islands, np.nan, g)
    p_norm = ndtr(-np.abs(z))
    p_sim, _, upper = _null(y, indptr, wts, a=1.0 / denom, b=diag * y / denom, observed=g, inp=inp)
    if inp.permutations:
        (sig, p_fdr), hot = _decide(p_sim, inp), upper
    else:
        (sig, p_fdr), hot = _decide(p_norm, inp, floor=False), z > 0
    codes = np.where(sig, np.where(hot, 0, 1), 2)
    label = pd.Categorical.from_codes(codes, categories=["hot", "cold", "ns"])
    return pd.DataFrame(
        {"G": g, "z": z, "p_norm": p_norm, "p_sim": p_sim, "p_fdr": p_fdr, "significant": sig,
         "label": label},
        index=gdf.index,
    )  # fmt: skip


# ---------------------------------------------------------------------- FDR
def fdr(pvalues: Any, alpha: float = 0.05) -> np.ndarray:
    """Benjamini-Hochberg step-up procedure: which p-values are discoveries.

    With the ``m`` non-NaN p-values sorted, ``p_(1) <= ... <= p_(m)``, find
    the largest ``r`` with ``p_(r) <= r alpha / m`` and reject every
    hypothesis with ``p <= p_(r)``. NaN p-values (islands) are not
    discoveries and do not count in ``m``.

    Parameters
    ----------
    pvalues : array-like, shape (n,)
        P-values in [0, 1], NaN allowed.
    alpha : float, default 0.05
        False discovery rate, in (0, 1).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        True where the null hypothesis is rejected.

    Examples
    --------
    >>> from geoai.stats import fdr
    >>> fdr([0.01, 0.04, 0.03, 0.2], 0.05).tolist()
    [True, False, False, False]
    """
    try:
        p = np.asarray(pvalues, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("pvalues must be numbers in [0, 1] (NaN allowed).") from None
    if p.ndim != 1:
        raise InputError(f"pvalues must be one-dimensional; got shape {p.shape}.")
    valid = p[~np.isnan(p)]
    if ((valid < 0) | (valid > 1)).any():
        raise InputError("pvalues must lie in [0, 1] (NaN allowed for missing tests).")
    a = v.check_positive(alpha, "alpha")
    if a >= 1:
        raise InputError(f"alpha must be in (0, 1), e.g. 0.05; got {alpha!r}.")
    return _bh(p, a)


# ---------------------------------------------------------- dominant flows
def _from_table(flows: pd.DataFrame, ids: pd.Index, names: tuple[str, str, str]) -> Any:
    """Largest outflow per place from a long (origin, destination, flow) table."""
    missing = [c for c in names if c not in flows.columns]
    if missing:
        raise InputError(
            f"flow table lacks columns {missing}; pass origin=, destination=, flow= to "
            f"name them (it has {list(flows.columns)[:12]})."
        )
    o, d = ids.get_indexer(flows[names[0]]), ids.get_indexer(flows[names[1]])
    if (o < 0).any() or (d < 0).any():
        bad = flows.loc[(o < 0) | (d < 0), list(names[:2])].to_numpy().ravel()
        unknown = sorted({str(x) for x in bad} - {str(x) for x in ids})
        raise InputError(f"flow table has places without a size, e.g. {unknown[:5]}.")
    f = flows[names[2]].to_numpy(dtype=np.float64, na_value=np.nan)
    _check_flows(f)
    pair, inverse = np.unique(o.astype(np.int64) * len(ids) + d, return_inverse=True)
    f = np.bincount(inverse, f)  # rows repeating a pair add up
    o, d = pair // len(ids), pair % len(ids)
    keep = (o != d) & (f > 0)
    o, d, f = o[keep], d[keep], f[keep]
    order = np.lexsort((d, -f, o))  # largest flow first, ties to the lower position
    first = order[np.unique(o[order], return_index=True)[1]]
    target = np.full(len(ids), -1, dtype=np.int64)
    amount = np.zeros(len(ids))
    target[o[first]], amount[o[first]] = d[first], f[first]
    return target, amount


def _from_matrix(flows: Any) -> Any:
    """Largest off-diagonal outflow per row of a dense square matrix."""
    mat = np.asarray(flows, dtype=np.float64)
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1]:
        raise InputError(
            "flows must be a square (n, n) matrix, a long DataFrame (origin, destination, "
            f"flow) or a flows.AggregateResult; got shape {mat.shape}."
        )
    _check_flows(mat)
    mat = mat.copy()
    np.fill_diagonal(mat, -np.inf)
    target = mat.argmax(axis=1)  # ties to the lower position
    amount = mat[np.arange(len(mat)), target]
    return np.where(amount > 0, target, -1), np.where(amount > 0, amount, 0.0)


def _largest_outflows(flows: Any, size: Any, names: tuple[str, str, str]) -> tuple[Any, ...]:
    """``(ids, target position or -1, target flow, size)`` from the accepted flow inputs."""
    if hasattr(flows, "top_index") and hasattr(flows, "top_flow"):  # flows.AggregateResult
        if flows.top_index.shape[1] == 0:
            raise InputError(
                "this AggregateResult has no top flows; use flows.aggregate(..., top_k=1)."
            )
        ids = pd.Index(flows.ids)
        target = flows.top_index[:, 0].astype(np.int64)
        amount = np.where(target >= 0, flows.top_flow[:, 0], 0.0)
    elif isinstance(flows, pd.DataFrame):
        if not isinstance(size, pd.Series):
            raise InputError("with a flow table, size must be a pandas Series indexed by place id.")
        ids = size.index
        target, amount = _from_table(flows, ids, names)
    else:
        target, amount = _from_matrix(flows)
        n = len(target)
        ids = size.index if isinstance(size, pd.Series) and len(size) == n else pd.RangeIndex(n)
    if isinstance(size, pd.Series):
        if not ids.isin(size.index).all():
            raise InputError("size must have a value for every place of the flows.")
        s = size.reindex(ids).to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        s = np.asarray(size, dtype=np.float64).ravel()
        if s.size != len(ids):
            raise InputError(f"size has {s.size} values for {len(ids)} places.")
    v.check_finite(s, "size")
    return ids, target, amount, s


def _labels(label: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Labels at positions ``pos``; None where ``pos`` is -1."""
    out = np.full(pos.size, None, dtype=object)
    out[pos >= 0] = label[pos[pos >= 0]]
    return out


def _check_flows(f: np.ndarray) -> None:
    if f.size and (~np.isfinite(f) | (f < 0)).any():
        raise InputError("flows must be finite and >= 0; found NaN, inf or negative values.")


def dominant_flows(
    flows: Any,
    size: Any,
    *,
    origin: str = "origin",
    destination: str = "destination",
    flow: str = "flow",
) -> pd.DataFrame:
    """Nystuen & Dacey (1961) nodal hierarchy: who is subordinate to whom.

    A place is subordinate to the destination of its largest outflow when
    that destination is strictly larger (``size[j] > size[i]``); equal sizes
    are not subordination. Following the chain of dominant flows leads to a
    root (a place subordinate to nobody); the chain cannot cycle because
    size strictly increases along it. Ties between equal largest outflows go
    to the destination at the lower position. Self-flows are ignored.

    Parameters
    ----------
    flows : array-like (n, n), pandas.DataFrame or flows.AggregateResult
        A dense flow matrix (origin rows, destination columns; diagonal
        ignored), a long table with ``origin``, ``destination`` and ``flow``
        columns (rows repeating a pair add up), or the result of :func:`geoai.flows.aggregate` with
        ``top_k >= 1``. Flows are >= 0.
    size : array-like (n,) or pandas.Series
        Size of each place (population, jobs). For a long table, a Series
        indexed by place id (it defines the places); otherwise aligned
        with the places by position, or a Series indexed by their ids.
    origin, destination, flow : str
        Column names of a long table.

    Returns
    -------
    pandas.DataFrame
        One row per place, indexed by id: ``largest_to`` (id of the
        destination of its largest outflow, None if it sends nothing),
        ``largest_flow``, ``dominant`` (position of the place it is
        subordinate to, -1 if none), ``dominant_id``, ``is_root``, ``root``
        (position of the top of its chain; itself for roots), ``root_id``
        and ``depth`` (steps to the root).

    Examples
    --------
    >>> import numpy as np
    >>> from geoai.stats import dominant_flows
    >>> f = np.array([[0, 5, 1], [2, 0, 9], [1, 3, 0]])
    >>> dominant_flows(f, [10, 50, 100])[["dominant", "root", "depth"]].to_numpy().tolist()
    [[1, 2, 2], [2, 2, 1], [-1, 2, 0]]
    """
    ids, target, amount, s = _largest_outflows(flows, size, (origin, destination, flow))
    n = len(ids)
    pos = np.arange(n)
    parent = np.where((target >= 0) & (s[np.maximum(target, 0)] > s), target, pos)
    depth = (parent != pos).astype(np.int64)
    root = parent.copy()
    while True:  # pointer jumping: O(n log depth)
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        depth = depth + depth[root]
        root = nxt
    label = np.asarray(ids, dtype=object)
    dominant = np.where(parent != pos, parent, -1)
    return pd.DataFrame(
        {
            "largest_to": _labels(label, target),
            "largest_flow": amount,
            "dominant": dominant,
            "dominant_id": _labels(label, dominant),
            "is_root": parent == pos,
            "root": root,
            "root_id": label[root],
            "depth": depth,
        },
        index=ids,
    )
