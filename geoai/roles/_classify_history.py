"""The Detroit path of :func:`geoai.classify`: a simulated trajectory or an observed history.

**Simulated panel** (a scenario): over the panel (or its last
``decline_years``) jobs fall by at least ``decline_jobs`` *and* population by
at least ``decline_population``, falling in most years, *and* a net talent
outflow (the metro's own cause) or its country's fiscal buffer exceeded
(``fracture > 0``, a national cause, worded as national).

**Observed history** (a population panel such as
:func:`geoai.load_metro_panel`): the verdict, score and reasons of
:func:`geoai.roles.decline` (thresholds calibrated by its backtest), and a
spatial-Markov reason (Rey 2001): population relative to the year's mean is
cut into ``markov_k`` pooled quantile classes over ``markov_step``-year
moves ending in the classified year (:func:`geoai.stats.spatial_markov`); a
move is *dragged down by its neighbourhood* when the metro's class falls
(``class[t + 1] < class[t]``) while the class of its spatial lag, the mean
of its ``markov_neighbours`` nearest metros, was lower than its own at the
start (``lag_class[t] < class[t]``). Metros with such moves get the count
and the latest one as an extra reason; the verdict stays the backtested one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai.errors import InputError
from geoai.roles._classify_inputs import total_jobs
from geoai.roles._classify_verdicts import Verdicts, pct, signed_pct, strength

if TYPE_CHECKING:
    from geoai._typing import FloatArray, IntArray
    from geoai.roles._classify_thresholds import RoleThresholds

__all__ = [
    "drag_columns",
    "observed_detroit",
    "observed_history",
    "simulated_detroit",
    "snapshot_trajectory",
    "trajectory",
]


# ------------------------------------------------------------ simulated
def _wide(rows: IntArray, cols: IntArray, values: pd.Series, shape: tuple[int, int]) -> FloatArray:
    """Metro × year table of ``values`` (NaN where a metro lacks a year), shape ``shape``."""
    wide = np.full(shape, np.nan)
    keep = rows >= 0  # metros of the panel that are not classified drop out
    wide[rows[keep], cols[keep]] = values.to_numpy(dtype=np.float64, na_value=np.nan)[keep]
    return wide


def trajectory(panel: pd.DataFrame, index: pd.Index, t: RoleThresholds) -> pd.DataFrame:
    """Per metro over the last ``decline_years``: job and population change, years falling.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``index``: ``jobs_change``, ``population_change``
        (shares over the window), ``falling_share`` (share of the years with
        fewer jobs than the year before), ``ai_gain`` (AI jobs) and
        ``ai_growth`` (share) over the whole panel, ``net_talent`` (people,
        summed over the window) and ``n_years``.
    """
    year = panel["year"].to_numpy()
    years = np.sort(panel["year"].unique())
    window = years if t.decline_years is None else years[-(t.decline_years + 1) :]
    rows = index.get_indexer(panel["metro_id"])  # position of each row's metro, -1 if none
    cols = np.searchsorted(years, year)  # position of each row's year
    shape = (len(index), len(years))
    jobs = _wide(rows, cols, total_jobs(panel), shape)[:, -len(window) :]
    pop = _wide(rows, cols, panel["population"], shape)[:, -len(window) :]
    out = pd.DataFrame(index=index)
    out["jobs_change"] = jobs[:, -1] / jobs[:, 0] - 1.0
    out["population_change"] = pop[:, -1] / pop[:, 0] - 1.0
    steps = max(len(window) - 1, 1)
    out["falling_share"] = (np.diff(jobs, axis=1) < 0).sum(axis=1) / steps
    if "ai_jobs" in panel.columns:
        ai = _wide(rows, cols, panel["ai_jobs"], shape)
        gain = ai[:, -1] - ai[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = gain / np.where(ai[:, 0] > 0, ai[:, 0], np.nan)
        out["ai_gain"] = gain
        out["ai_growth"] = np.where(gain > 0, np.where(np.isnan(growth), np.inf, growth), 0.0)
    else:
        out["ai_gain"] = np.nan
        out["ai_growth"] = np.nan
    part = panel[panel["year"].isin(window)] if len(window) < len(years) else panel
    if "net_talent" in panel.columns:
        out["net_talent"] = part.groupby("metro_id")["net_talent"].sum().reindex(index)
    elif {"talent_in", "talent_out"} <= set(panel.columns):
        net = part["talent_in"] - part["talent_out"]
        out["net_talent"] = net.groupby(part["metro_id"]).sum().reindex(index)
    else:
        out["net_talent"] = np.nan
    out["n_years"] = len(window) - 1
    return out


def snapshot_trajectory(out: pd.DataFrame) -> pd.DataFrame:
    """Return the trajectory columns a snapshot carries (``jobs_change`` ...), NaN if absent."""
    traj = pd.DataFrame(index=out.index)
    for col in ("jobs_change", "population_change", "net_talent"):
        traj[col] = pd.to_numeric(out[col], errors="coerce") if col in out.columns else np.nan
    traj["falling_share"] = np.where(traj["jobs_change"] < 0, 1.0, 0.0)
    traj["ai_gain"] = np.nan
    traj["ai_growth"] = np.nan
    traj["n_years"] = np.nan
    return traj


def _span(years: float) -> str:
    return f"{years:.0f} years" if math.isfinite(years) else "the period given"


def simulated_detroit(
    out: pd.DataFrame, traj: pd.DataFrame, verdicts: Verdicts, t: RoleThresholds
) -> None:
    """Apply the trajectory rule (module notes) to a simulated panel or change columns."""
    jobs = traj["jobs_change"].to_numpy(dtype=np.float64)
    pop = traj["population_change"].to_numpy(dtype=np.float64)
    falling = traj["falling_share"].to_numpy(dtype=np.float64)
    net = traj["net_talent"].to_numpy(dtype=np.float64)
    years = traj["n_years"].to_numpy(dtype=np.float64)
    fracture = (
        pd.to_numeric(out["fracture"], errors="coerce").to_numpy(dtype=np.float64)
        if "fracture" in out.columns
        else np.full(len(out), np.nan)
    )
    country = (
        out["country_iso3"].astype(str).to_numpy()
        if "country_iso3" in out.columns
        else np.full(len(out), "its country")
    )
    with np.errstate(invalid="ignore"):
        jobs_fall, pop_fall = jobs <= -t.decline_jobs, pop <= -t.decline_population
        outflow, broke = net < 0, fracture > 0
    evidence = np.minimum(
        strength(-np.nan_to_num(jobs), t.decline_jobs),
        strength(-np.nan_to_num(pop), t.decline_population),
    )
    needs = f"needs both: jobs ≤ −{pct(t.decline_jobs)}, population ≤ −{pct(t.decline_population)}"
    idx = np.flatnonzero(verdicts.open())
    known = np.isfinite(jobs[idx]) & np.isfinite(pop[idx])
    unknown = idx[~known]
    verdicts.miss_all(
        unknown,
        0.0,
        ["no history of jobs and population: no Detroit-path test (pass a panel)"] * unknown.size,
    )
    idx = idx[known]
    fires = jobs_fall & pop_fall & (falling > 0.5) & (outflow | broke)

    def change(i: int) -> str:
        return (
            f"jobs {signed_pct(jobs[i])} and population {signed_pct(pop[i])} over {_span(years[i])}"
        )

    paths = idx[fires[idx]]
    severity = 0.5 * np.fmin(1.0, -jobs[paths] / (2 * t.decline_jobs))  # fmin: a 0 / 0 bar is 1
    severity += 0.5 * np.fmin(1.0, -pop[paths] / (2 * t.decline_population))
    rows = []
    for i in paths.tolist():
        row = [f"{change(i)}, falling in {100 * falling[i]:.0f} % of the years"]
        if outflow[i]:
            row.append(f"net talent outflow of {-net[i]:,.0f} (its own)")
        if broke[i]:
            row.append(
                f"the country's fiscal buffer is exceeded (national: fracture "
                f"{fracture[i]:.2f} across {country[i]})"
            )
        rows.append(row)
    verdicts.give_all(paths, "detroit_path", severity, rows)
    rest = idx[~fires[idx]]
    texts = []
    for i in rest.tolist():
        span = _span(years[i])
        if jobs_fall[i] and not pop_fall[i]:
            why = (
                f"jobs {signed_pct(jobs[i])} over {span} but population {signed_pct(pop[i])}: "
                f"not a sustained decline ({needs})"
            )
        elif pop_fall[i] and not jobs_fall[i]:
            why = (
                f"population {signed_pct(pop[i])} over {span} but jobs {signed_pct(jobs[i])}: "
                f"not a sustained decline ({needs})"
            )
        elif not jobs_fall[i]:
            why = f"{change(i)}: no decline ({needs})"
        elif falling[i] <= 0.5:
            why = (
                f"{change(i)}, but jobs fell in only {100 * falling[i]:.0f} % of the years: not "
                "sustained (needs most years)"
            )
        else:
            why = (
                f"{change(i)}, but no net talent outflow and no fiscal fracture: not a Detroit "
                "path (needs one)"
            )
        texts.append(why)
    verdicts.miss_all(rest, evidence[rest], texts)


# ------------------------------------------------------------- observed
def observed_history(
    panel: pd.DataFrame, out: gpd.GeoDataFrame, as_of: int, t: RoleThresholds
) -> pd.DataFrame:
    """Decline table and spatial-Markov drag of an observed population history.

    Parameters
    ----------
    panel : pandas.DataFrame
        The checked long panel, cut at ``as_of``.
    out : geopandas.GeoDataFrame
        The classified metros (their ids, points, ``country_iso3`` and
        ``name`` where the panel lacks them).
    as_of : int
        The classified year.
    t : RoleThresholds
        ``history``, ``min_peak`` and the ``markov_*`` settings.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``out``: the columns of :func:`geoai.roles.decline`
        (``peak_year``, ``change_since_peak``, ``detroit_path``,
        ``detroit_score``, ``reasons`` ...), ``population_change`` (first
        year to ``as_of``), ``n_years``, and ``markov_class``,
        ``markov_lag_class`` (1-based classes in ``as_of``, NaN without a
        chain), ``markov_drag_moves`` (count) and ``markov_reason``.
        ``attrs["markov"]`` says how the chain was run (or why not).
    """
    from geoai.roles._decline import decline

    frame = panel
    for col in ("country_iso3", "name"):
        if col not in frame.columns and col in out.columns:
            frame = frame.assign(**{col: frame["metro_id"].map(out[col])})
    table = decline(frame, min_peak=t.min_peak, thresholds=t.history).set_index("metro_id")
    table = table.reindex(out.index)
    years = np.sort(frame["year"].unique())
    wide = frame.pivot(index="metro_id", columns="year", values="population").reindex(out.index)
    table["population_change"] = wide[years[-1]] / wide[years[0]] - 1.0
    table["n_years"] = int(years[-1] - years[0])
    drag, note = _markov_drag(frame, out, as_of, t)
    table = (
        table.join(drag)
        if drag is not None
        else table.assign(
            markov_class=np.nan, markov_lag_class=np.nan, markov_drag_moves=0, markov_reason=""
        )
    )
    table.attrs["markov"] = note
    return table


def _markov_drag(
    frame: pd.DataFrame, out: gpd.GeoDataFrame, as_of: int, t: RoleThresholds
) -> tuple[pd.DataFrame | None, str]:
    from geoai.stats._markov import spatial_markov

    first = int(frame["year"].min())
    moves = (as_of - first) // t.markov_step
    years = list(range(as_of - moves * t.markov_step, as_of + 1, t.markov_step))
    n = len(out)
    if len(years) < 2 or n < 3:
        return None, f"no spatial Markov chain: {len(years)} year(s) and {n} metros"
    points = gpd.GeoDataFrame({"metro_id": out.index}, geometry=out.geometry.values, crs=out.crs)
    nb = min(t.markov_neighbours, n - 1)
    try:
        sm = spatial_markov(
            frame[["metro_id", "year", "population"]],
            years=years,
            k=t.markov_k,
            neighbours=nb,
            metros=points,
        )
    except InputError as err:
        return None, f"no spatial Markov chain: {err}"
    cls, lag = sm.classes, sm.lag_classes
    dragged = (cls[:, 1:] < cls[:, :-1]) & (lag[:, :-1] < cls[:, :-1])
    word = "quintile" if t.markov_k == 5 else "class"
    setting = (
        f"spatial Markov chain of population relative to the year's mean, {t.markov_k} "
        f"classes (1 = smallest), {nb} neighbours, {t.markov_step}-year moves "
        f"{years[0]}–{years[-1]}"
    )
    reasons = []
    for i in range(cls.shape[0]):
        hits = np.flatnonzero(dragged[i])
        if not hits.size:
            reasons.append("")
            continue
        j = int(hits[-1])
        count = "once" if hits.size == 1 else f"{hits.size} times"
        reasons.append(
            f"its neighbourhood dragged it down a class {count}, last from {word} "
            f"{cls[i, j] + 1} to {cls[i, j + 1] + 1} in {years[j]}–{years[j + 1]} while its "
            f"{nb} nearest metros averaged {word} {lag[i, j] + 1} (spatial Markov, "
            f"{t.markov_step}-year moves since {years[0]})"
        )
    table = pd.DataFrame(
        {
            "markov_class": cls[:, -1] + 1,
            "markov_lag_class": lag[:, -1] + 1,
            "markov_drag_moves": dragged.sum(axis=1),
            "markov_reason": reasons,
        },
        index=pd.Index(sm.metro_ids, name="metro_id"),
    )
    return table.reindex(out.index), setting


def observed_detroit(history: pd.DataFrame, verdicts: Verdicts) -> None:
    """Give the Detroit path of :func:`geoai.roles.decline`; record the others' reasons."""
    flag = history["detroit_path"].to_numpy(dtype=bool)
    score = history["detroit_score"].to_numpy(dtype=np.float64)
    text = history["reasons"].astype(str).to_numpy()
    drag = history["markov_reason"].fillna("").astype(str).to_numpy()
    idx = np.flatnonzero(verdicts.open())
    paths, rest = idx[flag[idx]], idx[~flag[idx]]
    verdicts.give_all(
        paths, "detroit_path", score[paths], zip(text[paths], drag[paths], strict=True)
    )
    verdicts.miss_all(rest, score[rest], text[rest].tolist())
    dragged = rest[drag[rest] != ""]
    verdicts.miss_all(dragged, 0.0, drag[dragged].tolist())


def drag_columns(history: pd.DataFrame) -> list[str]:
    """Name the spatial-Markov columns of :func:`observed_history` kept in the result."""
    return [c for c in ("markov_class", "markov_lag_class", "markov_drag_moves") if c in history]
