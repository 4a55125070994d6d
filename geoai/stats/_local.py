"""Local spatial statistics (local Moran, Getis-Ord) and the faces of :mod:`geoai.stats`."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr

from geoai.errors import GeoAIWarning, InputError
from geoai.kernels.lisa import permutation_null
from geoai.stats import _checks as c
from geoai.stats._fdr import _bh, _bh_adjusted, _bh_steps, _permutations_needed
from geoai.stats._inputs import Inputs, check_denominators, prepare
from geoai.stats._permutation import check_finished, check_null_memory, n_chunks
from geoai.stats._weights import (
    SpatialWeights,
    csr,
    transformed,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from geoai._typing import BoolArray, FloatArray, IntArray
    from geoai.stats._weights import WeightsLike

__all__ = [
    "QUADRANTS",
    "IslandWarning",
    "PermutationWarning",
    "getis_ord",
    "getis_ord_core",
    "local_moran",
]

#: Local Moran quadrants in esda's order (its ``q`` = 1..4): value High/Low,
#: spatial lag High/Low. A value or lag of exactly 0 counts as Low.
QUADRANTS = ("HH", "LH", "LL", "HL")


class IslandWarning(GeoAIWarning):
    """Some observations have no neighbours and are left out of inference.

    Examples
    --------
    Three points on the equator a few km apart and one 5,000 km away, 50 km bands:

    >>> import warnings, geopandas as gpd, geoai
    >>> pts = gpd.GeoDataFrame({"y": [1.0, 2.0, 3.0, 10.0]}, crs="EPSG:4326",
    ...                        geometry=gpd.points_from_xy([0, 0.1, 0.2, 45], [0, 0, 0, 0]))
    >>> w = geoai.stats.weights(pts, distance_km=50)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     lisa = geoai.stats.local_moran(pts, "y", weights=w, permutations=99, fdr=None)
    >>> [c.category.__name__ for c in caught], lisa["label"].iloc[3]
    (['IslandWarning'], 'ns')
    """


class PermutationWarning(GeoAIWarning):
    """Too few permutations: the p-value floor ``1 / (permutations + 1)`` hides discoveries.

    Examples
    --------
    With 9 permutations no p-value goes below 0.1, far above the first Benjamini-Hochberg
    threshold for hundreds of metros; the message gives the permutations needed:

    >>> import warnings, geoai
    >>> metros = geoai.load_metros(min_population=1_000_000)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = geoai.stats.local_moran(metros, "gdp_pc_usd", permutations=9)
    >>> caught[0].category.__name__, "Use permutations >=" in str(caught[0].message)
    ('PermutationWarning', True)
    """


def _split(
    w: SpatialWeights, data: FloatArray
) -> tuple[FloatArray, IntArray, IntArray, FloatArray]:
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


def _warn_islands(islands: BoolArray, index: pd.Index) -> None:
    """Warn about islands; refuse weights under which every observation is one."""
    if islands.all():
        raise InputError(
            f"none of the {islands.size} observations has a neighbour under these weights, so "
            "no local statistic is defined; use a larger distance_km or KNN weights."
        )
    if islands.any():
        ex = [str(x) for x in index[islands][:5]]
        warnings.warn(
            f"{int(islands.sum())} of {islands.size} observations have no neighbours "
            f"(islands, e.g. {ex}); their statistics are NaN and their label 'ns'. Use a "
            "larger distance_km or KNN weights to give them neighbours.",
            IslandWarning,
            stacklevel=3,
        )


def _null(
    x: FloatArray,
    indptr: IntArray,
    wts: FloatArray,
    *,
    a: FloatArray,
    b: FloatArray,
    observed: FloatArray,
    inp: Inputs,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Folded pseudo p-value, z_sim and upper-tail flag from the permutation kernel."""
    n = x.size
    if inp.permutations == 0:
        nan = np.full(n, np.nan)
        return nan, nan.copy(), np.zeros(n, dtype=bool)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    scale = np.bincount(rows, np.abs(wts), minlength=n) * np.abs(x).max()
    tol = 1e-11 * (np.abs(a) * scale + np.abs(b))
    obs = np.where(np.isfinite(observed), observed, 0.0)
    chunks, card = n_chunks(n), np.diff(indptr)
    check_null_memory(card, inp.permutations, chunks)
    n_ge, n_le, mean, sd = permutation_null(
        x, indptr, wts, a, b, obs, tol,
        inp.permutations, inp.seed, chunks,
    )  # fmt: skip
    check_finished(n_ge, card)
    ok = n_ge >= 0
    # esda's folded p: extreme in the nearer tail; ties count on both sides
    p = np.where(ok, (np.minimum(n_ge, n_le) + 1.0) / (inp.permutations + 1.0), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):  # a spread within the tie tolerance
        z_sim = np.where(ok & (sd > tol), (observed - mean) / sd, np.nan)  # is rounding: no z
    return p, z_sim, ok & (n_ge < n_le)


def _warn_floor(m: int, inp: Inputs, stacklevel: int) -> None:
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
    warnings.warn(f"{msg}. Use permutations >= {need}.", PermutationWarning, stacklevel=stacklevel)


def _decide(
    p: FloatArray, inp: Inputs, *, floor: bool = True, stacklevel: int = 4
) -> tuple[BoolArray, FloatArray]:
    """``significant`` and ``p_fdr`` (NaN when ``fdr=None``) from the p-values ``p``."""
    m = int(np.count_nonzero(~np.isnan(p)))
    if floor and inp.permutations and m:
        _warn_floor(m, inp, stacklevel)
    if inp.fdr is None:
        return np.nan_to_num(p, nan=1.0) < inp.alpha, np.full(p.size, np.nan)
    return _bh(p, inp.fdr), _bh_adjusted(p)


# ---------------------------------------------------------------- local Moran
def local_moran(
    gdf: gpd.GeoDataFrame | pd.DataFrame,
    column: str,
    *,
    k: int = 8,
    weights: WeightsLike | None = None,
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
        permutations; NaN where every permutation gives the same statistic, as
        when an observation's neighbours are all the other observations),
        ``p_sim`` (unadjusted pseudo p-value), ``p_fdr`` (BH-adjusted
        p-value: the smallest false discovery rate at which the observation
        is a discovery; NaN when ``fdr=None``), ``quadrant``
        (categorical, one of :data:`QUADRANTS`), ``significant`` (BH at
        ``fdr``, or ``p_sim < alpha`` when ``fdr=None``), ``label`` (the
        quadrant if significant, else ``"ns"``). Islands have NaN
        statistics, a missing quadrant and label ``"ns"``.

    Raises
    ------
    InputError
        Missing, non-numeric, NaN or constant column; fewer than ``k + 1``
        rows; bad ``permutations``, ``seed``, ``fdr``, ``alpha``, ``transform`` or
        weights; weights under which no observation has a neighbour.
    ResourceError
        The permutation buffers (8 bytes a permutation per thread) exceed the
        memory budget (:mod:`geoai._budget`).
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
    inp = prepare(gdf, column, k=k, w=weights, permutations=permutations, seed=seed,
                   fdr=fdr, alpha=alpha, transform=transform)  # fmt: skip
    w = inp.w
    n = w.n
    data = transformed(w.indptr, w.values, inp.transform)
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
    gdf: gpd.GeoDataFrame | pd.DataFrame,
    column: str,
    *,
    k: int = 8,
    weights: WeightsLike | None = None,
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
        ``z`` and ``p_norm`` are NaN where the normal moments are degenerate:
        binary weights under which an observation's neighbourhood is every
        observation (its G is then 1, or the expected value, whatever the data).

    Raises
    ------
    InputError
        As :func:`local_moran`, and for negative values, a transform other
        than ``"r"``/``"b"``, a ``star`` that is not a bool, and, for G
        (``star=False``), fewer than 3 observations or a single nonzero value
        (the sum of the others, G's denominator, is then 0).
    ResourceError
        As :func:`local_moran`.
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
    return getis_ord_core(
        gdf,
        column,
        k=k,
        weights=weights,
        star=star,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
        alpha=alpha,
        transform=transform,
    )


def getis_ord_core(
    gdf: gpd.GeoDataFrame | pd.DataFrame,
    column: str,
    *,
    k: int = 8,
    weights: WeightsLike | None = None,
    star: bool = True,
    permutations: int = 999,
    seed: int | None = 0,
    fdr: float | None = 0.05,
    alpha: float = 0.05,
    transform: str = "r",
    warn_floor: bool = True,
) -> pd.DataFrame:
    """Run :func:`getis_ord`; ``warn_floor=False`` for callers that report ``p_sim`` as is.

    The parameters and the returned table are :func:`getis_ord`'s; ``warn_floor``
    (default True) says whether a :class:`PermutationWarning` is raised when the
    permutation p floor is above the FDR or ``alpha`` bar. Not re-exported by
    :mod:`geoai.stats`: :func:`geoai.classify` calls it with ``warn_floor=False``.

    A flag rather than ``warnings.catch_warnings()`` around the call, which is not
    thread-safe (the scenario sweep classifies on several threads at once).
    """
    inp = prepare(gdf, column, k=k, w=weights, permutations=permutations, seed=seed,
                   fdr=fdr, alpha=alpha, transform=transform, allowed=("r", "b"))  # fmt: skip
    star = c.flag(star, "star")
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
    data = transformed(sw.indptr, sw.values, inp.transform)
    diag, indptr, _, wts = _split(sw, data)
    islands = np.diff(indptr) == 0
    _warn_islands(islands, gdf.index)
    total = y.sum()
    own = 0.0 if star else 1.0
    big_n = n - own
    denom = total - y * own
    check_denominators(denom, n, star=star, column=column)
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
        # stacklevel 5: the warning points at the caller of getis_ord, one frame above this one
        (sig, p_fdr), hot = _decide(p_sim, inp, floor=warn_floor, stacklevel=5), upper
    else:
        (sig, p_fdr), hot = _decide(p_norm, inp, floor=False), z > 0
    codes = np.where(sig, np.where(hot, 0, 1), 2)
    label = pd.Categorical.from_codes(codes, categories=["hot", "cold", "ns"])
    return pd.DataFrame(
        {"G": g, "z": z, "p_norm": p_norm, "p_sim": p_sim, "p_fdr": p_fdr, "significant": sig,
         "label": label},
        index=gdf.index,
    )  # fmt: skip
