"""Backtest and calibration of the Detroit-path test on observed history.

**Backtest.** Identify Detroit-path metros with the data up to ``as_of`` only
(:func:`geoai.roles.decline`), then score the verdicts against what happened
next, from ``as_of`` to the *outcome year* ``min(as_of + horizon, last
observed year)``: a horizon that runs past the last estimate (2015 for the UN
panel) is cut there, so projections are never used as outcomes; the result
says which year was used.

**Outcome.** With ``g`` the metro's population change and ``G`` the change of
its country's cities (the summed population of the same country's
agglomerations in the panel, the metro included) from ``as_of`` to the
outcome year, a metro is

* ``"declining"`` (default) if ``g < 0`` (its decline went on) **or** ``g <
  G`` (it grew more slowly than its country's cities, i.e. lost share of
  them). A metro that is its country's only agglomeration in the panel has
  ``g = G`` and is declining only if ``g < 0``.
* ``"shrinking"`` (strict) if ``g < 0``.

The scored metros are those the test judges: peak population up to ``as_of``
of at least ``min_peak``. The base rate is the share of them that are
declining; precision, recall and F1 are those of ``detroit_path`` as a
prediction of the outcome.

**Calibration.** :func:`calibrate` runs a grid search over the three
thresholds on the early windows (``as_of`` 1970 and 1980), pools the
confusion counts of the windows, and keeps the combination of highest
precision among those with recall >= ``min_recall`` (ties: higher recall,
then the stricter thresholds). Maximising F1 instead would pick the loosest
corner of any grid: with a base rate near 0.56, most declining metros are
growing ones that lag their country, which no decline test can find, so F1
only rewards flagging more.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError
from geoai.roles._decline import (
    MIN_PEAK,
    DeclineThresholds,
    check_thresholds,
    decline_table,
)
from geoai.roles._panel import (
    Panel,
    check_as_of,
    check_panel,
    last_observed_year,
    to_wide,
    whole_number,
)

if TYPE_CHECKING:
    from geoai._typing import BoolArray, FloatArray

__all__ = [
    "CALIBRATION_WINDOWS",
    "DEFAULT_GRID",
    "OUTCOMES",
    "BacktestResult",
    "Calibration",
    "backtest",
    "calibrate",
]

#: Outcome definitions (module notes).
OUTCOMES = ("declining", "shrinking")
#: The early windows the default thresholds were calibrated on.
CALIBRATION_WINDOWS = (1970, 1980)
#: The grid of :func:`calibrate`: 6 × 5 × 5 = 150 combinations.
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "min_loss": (0.01, 0.02, 0.05, 0.10, 0.15, 0.20),
    "min_relative_loss": (0.02, 0.05, 0.10, 0.20, 0.30),
    "min_years": (1, 3, 5, 10, 15),
}
_CELLS = ("true positive", "false positive", "false negative", "true negative")


@dataclass(frozen=True)
class BacktestResult:
    """Scores of the Detroit-path test in one window.

    Attributes
    ----------
    as_of : int
        Identification year: only the panel up to it is used to flag metros.
    horizon : int
        Requested horizon (years).
    outcome_year : int
        The year the outcome was read (``as_of + horizon``, cut at the last
        observed year).
    outcome : str
        ``"declining"`` or ``"shrinking"`` (module notes).
    thresholds : DeclineThresholds
        The thresholds used.
    min_peak : float
        Size floor (people at the peak) of the scored metros.
    n_metros : int
        Scored metros.
    n_flagged : int
        Scored metros flagged on the Detroit path in ``as_of``.
    n_declining : int
        Scored metros with the outcome.
    true_positives : int
        Metros both flagged and with the outcome.
    base_rate : float
        Share of scored metros with the outcome.
    precision : float
        Share of flagged metros with the outcome (NaN when nothing is flagged).
    recall : float
        Share of the metros with the outcome that were flagged (NaN when none has it).
    f1 : float
        Harmonic mean of precision and recall (NaN where undefined).
    confusion : pandas.DataFrame
        One row per scored metro: ``metro_id``, ``name``, ``country_iso3``,
        ``detroit_path``, ``detroit_score``, ``population`` (people in
        ``as_of``), ``outcome_population`` (people in ``outcome_year``),
        ``growth`` and ``country_urban_growth`` (shares, ``as_of`` to
        ``outcome_year``), ``declining`` (bool: the outcome) and ``cell``
        (``"true positive"``, ``"false positive"``, ``"false negative"`` or
        ``"true negative"``), in that cell order, highest score first.

    Examples
    --------
    Flag in 1990 with the data to 1990 only, then read the outcome in 2015:

    >>> import geoai
    >>> result = geoai.roles.backtest(geoai.load_metro_panel(1950, 2015), as_of=1990)
    >>> cells = result.confusion["cell"].value_counts()
    >>> int(cells["true positive"]) == result.true_positives, int(cells.sum()) == result.n_metros
    (True, True)
    >>> bool(abs(result.precision - result.true_positives / result.n_flagged) < 1e-12)
    True
    """

    as_of: int
    horizon: int
    outcome_year: int
    outcome: str
    thresholds: DeclineThresholds
    min_peak: float
    n_metros: int
    n_flagged: int
    n_declining: int
    true_positives: int
    base_rate: float
    precision: float
    recall: float
    f1: float
    confusion: pd.DataFrame

    def summary(self) -> dict[str, Any]:
        """Return the scalar fields as a dict (one row of a report table).

        Returns
        -------
        dict
            ``as_of``, ``outcome_year``, the counts and the four scores.

        Examples
        --------
        >>> import geoai, pandas as pd
        >>> panel = geoai.load_metro_panel(1950, 2015)
        >>> rows = [geoai.roles.backtest(panel, as_of=y).summary() for y in (1980, 1990)]
        >>> table = pd.DataFrame(rows)
        >>> table["as_of"].tolist(), table["outcome_year"].tolist()
        ([1980, 1990], [2005, 2015])
        """
        return {
            "as_of": self.as_of,
            "outcome_year": self.outcome_year,
            "n_metros": self.n_metros,
            "n_flagged": self.n_flagged,
            "true_positives": self.true_positives,
            "n_declining": self.n_declining,
            "base_rate": self.base_rate,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    thresholds : DeclineThresholds
        The chosen thresholds.
    table : pandas.DataFrame
        One row per grid point: ``min_loss``, ``min_relative_loss``,
        ``min_years``, the pooled ``n_flagged``, ``true_positives``,
        ``n_declining``, ``precision``, ``recall``, ``f1``, ``feasible``
        (recall >= ``min_recall``) and ``chosen``; best first.
    windows : tuple of int
        The ``as_of`` years pooled.
    horizon : int
        Horizon (years) of each window.
    min_recall : float
        The recall floor.
    outcome : str
        The outcome scored.
    base_rate : float
        Pooled share of scored metro-windows with the outcome.

    Examples
    --------
    >>> import geoai
    >>> cal = geoai.roles.calibrate(geoai.load_metro_panel(1950, 2015))
    >>> chosen = cal.table[cal.table["chosen"]]
    >>> len(chosen), bool(chosen["recall"].iloc[0] >= cal.min_recall), cal.windows
    (1, True, (1970, 1980))
    """

    thresholds: DeclineThresholds
    table: pd.DataFrame
    windows: tuple[int, ...]
    horizon: int
    min_recall: float
    outcome: str
    base_rate: float


def _check_horizon(horizon: object) -> int:
    years = whole_number(horizon)
    if years is None or years < 1:
        raise InputError(f"horizon must be a whole number of years >= 1; got {v.short(horizon)}.")
    return years


def _outcome_year(frame: pd.DataFrame, as_of: int, horizon: int) -> int:
    end = min(as_of + horizon, last_observed_year(frame))
    if end <= as_of:
        raise InputError(
            f"as_of={as_of} leaves no observed year to score (observations end in "
            f"{last_observed_year(frame)}); use an earlier as_of."
        )
    return end


@dataclass(frozen=True)
class _Window:
    """Identification at ``as_of`` and outcome at ``end``, for the scored metros."""

    table: pd.DataFrame  # decline table, aligned with the arrays below (scored rows only)
    growth: FloatArray
    country_growth: FloatArray
    outcome_population: FloatArray
    end: int


def _window(
    frame: pd.DataFrame, as_of: int, end: int, th: DeclineThresholds, floor: float
) -> _Window:
    """Identify with years <= ``as_of`` only; read the outcome in ``end``."""
    full = to_wide(frame, end)
    k = int(np.searchsorted(full.years, as_of)) + 1
    cut = Panel(full.ids, full.names, full.countries, full.years[:k], full.population[:, :k])
    table = decline_table(cut, th, floor)
    totals, _ = full.country_totals()
    now, later = full.population[:, k - 1], full.population[:, -1]
    growth = pd.Series(later / now - 1.0, index=full.ids)
    country = pd.Series(totals[:, -1] / totals[:, k - 1] - 1.0, index=full.ids)
    later_s = pd.Series(later, index=full.ids)
    table = table[table["peak_population"].to_numpy() >= floor].reset_index(drop=True)
    ids = table["metro_id"].to_numpy()
    return _Window(
        table=table,
        growth=growth.loc[ids].to_numpy(),
        country_growth=country.loc[ids].to_numpy(),
        outcome_population=later_s.loc[ids].to_numpy(),
        end=end,
    )


def _outcome(w: _Window, outcome: str) -> BoolArray:
    shrank = w.growth < 0
    if outcome == "shrinking":
        return shrank
    return shrank | (w.growth < w.country_growth - 1e-12)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def backtest(
    panel: pd.DataFrame,
    *,
    as_of: int = 1990,
    horizon: int = 25,
    thresholds: DeclineThresholds | None = None,
    min_peak: float = MIN_PEAK,
    outcome: str = "declining",
) -> BacktestResult:
    """Score the Detroit-path test of ``as_of`` against the next ``horizon`` years.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long population panel as for :func:`geoai.roles.decline`, complete up
        to the outcome year; e.g. :func:`geoai.load_metro_panel`.
    as_of : int, default 1990
        Identification year: only years <= ``as_of`` are used to flag.
    horizon : int, default 25
        Years after ``as_of`` over which the outcome is read; cut at the last
        observed year (2015 for the UN panel), never into projections.
    thresholds : DeclineThresholds, optional
        Default: the calibrated :class:`DeclineThresholds`.
    min_peak : float, default 300,000
        Metros whose peak up to ``as_of`` is below this many people are not
        scored.
    outcome : {"declining", "shrinking"}, default "declining"
        ``"declining"``: the metro shrank, or grew less than its country's
        cities, from ``as_of`` to the outcome year; ``"shrinking"``: it
        shrank (module notes).

    Returns
    -------
    BacktestResult
        Counts, base rate, precision, recall, F1 and the confusion table by
        metro.

    Raises
    ------
    InputError
        On a bad panel (as :func:`geoai.roles.decline`), an ``as_of``
        outside the panel or without an observed year after it, a horizon
        below 1, a negative ``min_peak`` or an unknown ``outcome``.

    Examples
    --------
    >>> import geoai
    >>> result = geoai.roles.backtest(geoai.load_metro_panel(1950, 2015), as_of=1990)
    >>> result.outcome_year, bool(result.precision > result.base_rate)
    (2015, True)
    """
    frame = check_panel(panel)
    year = check_as_of(as_of, frame, allow_projections=False)
    span = _check_horizon(horizon)
    th = check_thresholds(thresholds)
    floor = v.check_positive(min_peak, "min_peak", allow_zero=True)
    v.check_choice(outcome, OUTCOMES, "outcome")
    end = _outcome_year(frame, year, span)
    w = _window(frame, year, end, th, floor)
    actual = _outcome(w, outcome)
    flagged = w.table["detroit_path"].to_numpy()
    tp = int((flagged & actual).sum())
    n_flag, n_pos = int(flagged.sum()), int(actual.sum())
    cells = np.select(
        [flagged & actual, flagged & ~actual, ~flagged & actual], list(_CELLS[:3]), _CELLS[3]
    )
    confusion = w.table[["metro_id", "name", "country_iso3", "detroit_path", "detroit_score"]]
    confusion = confusion.assign(
        population=w.table["population"].to_numpy(),
        outcome_population=w.outcome_population,
        growth=w.growth,
        country_urban_growth=w.country_growth,
        declining=actual,
        cell=pd.Categorical(cells, categories=list(_CELLS)),
    )
    confusion = confusion.sort_values(
        ["cell", "detroit_score", "metro_id"], ascending=[True, False, True], kind="mergesort"
    ).reset_index(drop=True)
    confusion["cell"] = confusion["cell"].astype(str)
    n = len(confusion)
    return BacktestResult(
        as_of=year,
        horizon=span,
        outcome_year=end,
        outcome=outcome,
        thresholds=th,
        min_peak=floor,
        n_metros=n,
        n_flagged=n_flag,
        n_declining=n_pos,
        true_positives=tp,
        base_rate=_ratio(n_pos, n),
        precision=_ratio(tp, n_flag),
        recall=_ratio(tp, n_pos),
        f1=_ratio(2 * tp, n_flag + n_pos),
        confusion=confusion,
    )


def _check_grid(grid: Mapping[str, Iterable[float]] | None) -> list[DeclineThresholds]:
    spec = DEFAULT_GRID if grid is None else grid
    if not isinstance(spec, Mapping) or set(spec) != set(DEFAULT_GRID):
        raise InputError(
            f"grid must map exactly {sorted(DEFAULT_GRID)} to sequences of values; got "
            f"{sorted(spec) if isinstance(spec, Mapping) else type(spec).__name__}."
        )
    axes = [list(spec[name]) for name in DEFAULT_GRID]
    if any(len(a) == 0 for a in axes):
        raise InputError("every axis of grid needs at least one value.")
    return [
        DeclineThresholds(min_loss=a, min_relative_loss=b, min_years=c)  # type: ignore[arg-type]
        for a, b, c in itertools.product(*axes)
    ]


def calibrate(
    panel: pd.DataFrame,
    *,
    windows: Sequence[int] = CALIBRATION_WINDOWS,
    horizon: int = 25,
    min_recall: float = 0.05,
    grid: Mapping[str, Iterable[float]] | None = None,
    min_peak: float = MIN_PEAK,
    outcome: str = "declining",
) -> Calibration:
    """Choose the Detroit-path thresholds by a grid search on backtest windows.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long population panel as for :func:`backtest`.
    windows : sequence of int, default (1970, 1980)
        ``as_of`` years whose confusion counts are pooled.
    horizon : int, default 25
        Horizon (years) of each window, cut at the last observed year.
    min_recall : float, default 0.05
        Recall floor in [0, 1]: only combinations finding at least this
        share of the pooled declining metros are eligible.
    grid : mapping, optional
        ``{"min_loss": [...], "min_relative_loss": [...], "min_years":
        [...]}``; default :data:`DEFAULT_GRID` (150 combinations).
    min_peak : float, default 300,000
        Size floor of the scored metros (people at the peak).
    outcome : {"declining", "shrinking"}, default "declining"
        The outcome scored (module notes).

    Returns
    -------
    Calibration
        The chosen thresholds and the whole grid with its pooled scores.

    Raises
    ------
    InputError
        On a bad panel, window, horizon, grid or ``min_recall``, or when no
        combination reaches ``min_recall`` (lower it).

    Examples
    --------
    >>> import geoai
    >>> cal = geoai.roles.calibrate(geoai.load_metro_panel(1950, 2015))
    >>> cal.thresholds == geoai.roles.DeclineThresholds()
    True
    """
    frame = check_panel(panel)
    span = _check_horizon(horizon)
    floor = v.check_positive(min_peak, "min_peak", allow_zero=True)
    v.check_choice(outcome, OUTCOMES, "outcome")
    recall_floor = v.check_positive(min_recall, "min_recall", allow_zero=True)
    if recall_floor > 1:
        raise InputError(f"min_recall must be a share in [0, 1]; got {v.short(min_recall)}.")
    candidates = _check_grid(grid)
    if isinstance(windows, str | bytes) or not isinstance(windows, Sequence) or not windows:
        raise InputError(f"windows must be a non-empty sequence of years; got {v.short(windows)}.")
    years = [check_as_of(y, frame, allow_projections=False, name="windows") for y in windows]
    amounts, actual = [], []
    for year in years:
        w = _window(frame, year, _outcome_year(frame, year, span), candidates[0], floor)
        amounts.append(
            np.vstack(
                [
                    -w.table["change_since_peak"].to_numpy(),
                    -w.table["relative_change"].to_numpy(),
                    w.table["years_in_decline"].to_numpy(dtype=float),
                ]
            )
        )
        actual.append(_outcome(w, outcome))
    x, y = np.hstack(amounts), np.concatenate(actual)
    limits = np.array([[c.min_loss, c.min_relative_loss, c.min_years] for c in candidates])
    flags = (x[None, :, :] >= limits[:, :, None]).all(axis=1)  # (grid, metro-windows)
    tp = (flags & y).sum(axis=1)
    n_flag, n_pos = flags.sum(axis=1), int(y.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(n_flag > 0, tp / np.maximum(n_flag, 1), np.nan)
    recall = tp / n_pos if n_pos else np.full(len(candidates), np.nan)
    table = pd.DataFrame(limits, columns=list(DEFAULT_GRID))
    table["min_years"] = table["min_years"].astype(np.int64)
    table = table.assign(
        n_flagged=n_flag,
        true_positives=tp,
        n_declining=n_pos,
        precision=precision,
        recall=recall,
        f1=2 * tp / (n_flag + n_pos) if n_pos else np.nan,
        feasible=np.nan_to_num(recall) >= recall_floor,
    )
    if not n_pos:
        raise InputError(
            f"no metro of the {len(y)} in the windows {list(years)} reaches the outcome "
            f"{outcome!r} within {span} years, so recall is undefined; give a panel with "
            "declining metros, other windows or a longer horizon."
        )
    if not table["feasible"].any():
        raise InputError(
            f"no threshold combination reaches recall {recall_floor:g} (best "
            f"{np.nanmax(recall):.3f}); lower min_recall or widen the grid."
        )
    table = table.sort_values(
        ["feasible", "precision", "recall", "min_years", "min_relative_loss", "min_loss"],
        ascending=False,
        kind="mergesort",
    ).reset_index(drop=True)
    table["chosen"] = table.index == 0
    best = table.iloc[0]
    chosen = DeclineThresholds(
        min_loss=float(best["min_loss"]),
        min_relative_loss=float(best["min_relative_loss"]),
        min_years=int(best["min_years"]),
    )
    return Calibration(
        thresholds=chosen,
        table=table,
        windows=tuple(years),
        horizon=span,
        min_recall=recall_floor,
        outcome=outcome,
        base_rate=_ratio(n_pos, len(y)),
    )
