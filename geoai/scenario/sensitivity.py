"""Which parameters move the headlines, and by how much: screening and ±20 % bands.

Two steps, both run through :func:`geoai.scenario.sweep` (so on Dask: local
threads by default, or a ``dask.distributed`` scheduler):

1. :func:`screen` — **one-at-a-time (OAT) screening** around the preset: a
   central-difference elementary effect in the sense of Morris (1991), taken
   once, at the preset's point (Saltelli et al. 2008, *Global Sensitivity
   Analysis: The Primer*, ch. 3). Every screened parameter ``p`` is run at
   ``(1 - delta) p`` and ``(1 + delta) p`` with the others at the preset's
   values: ``2 k + 1`` runs for ``k`` parameters. Why OAT and not Morris
   trajectories: it costs ``2 k + 1`` runs instead of ``r (k + 1)`` with
   ``r`` of 10 or more, is deterministic, and perturbs each parameter by the
   very ±``delta`` the bands then apply. Its limit is that it is local and
   blind to interactions (Saltelli & Annoni 2010); the corner runs of the
   bands do include the interactions among the parameters chosen.
   A calendar year (unit ``"year"``) is perturbed as a *duration* from the
   start year, ``start + (1 ± delta)(p - start)``: ±20 % of the year 2035
   itself would be ±400 years. A value that leaves the parameter's validation
   range (a share above 1, a pool below the start pool) is moved back to the
   furthest valid value on the way from the preset's value, and the design
   records both the requested and the actual value.

   The influence of ``p`` on a headline figure ``m`` is

   ``I(p, m) = |m(+) - m(-)| / (|m(base)| + floor(unit of m)) * 2 delta / span(p)``

   with ``span(p)`` the relative distance actually run (``2 delta`` unless
   clipped, so the factor only rescales clipped parameters by linear
   extrapolation) and a floor in the figure's own unit (0.1 percentage point
   for shares, 1,000 jobs or people, one metro, 0.001 of an index) that
   keeps a figure near zero from dividing by noise. Influences under
   ``1e-9`` (numerical noise) count as none.

   A parameter's **overall influence** is, by default, the mean over the
   headline figures of its *rank-normalised* influence: on each figure the
   most influential parameter scores 1, the next ``1 - 1/k`` and so on
   (ties share the higher score), and a parameter with no effect on it
   scores 0. Ranks put figures of very different sensitivity (a count of AI
   roles that moves 20 % with its pool, a start-year share that barely
   moves) on one footing, so the three parameters chosen are those that move
   *many* headlines, which is what a band on *every* headline needs.
   ``aggregate="max"`` ranks by the largest influence on any one figure
   instead (for a single headline of interest).

2. :func:`bands` — the ``2^k`` corners of ±``delta`` on the chosen
   parameters (and the base run): each figure's band is the lowest and
   highest value over those runs. :func:`sensitivity` does both.

Which figures: screening uses every figure of :meth:`Simulation.summary`
except counts of metros by role (unit ``"metros"``), because its runs skip
the role classification for speed; the bands classify roles and band every
figure, role counts included. Parameters and figures are read from
:meth:`ScenarioParams.describe` and :meth:`Simulation.summary`, not named
here.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Literal, TypedDict

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError
from geoai.scenario._checks import check_preset, check_seed
from geoai.scenario._design import (
    admissible,
    check_design,
    check_overrides,
    choose,
    is_year,
    parameter_names,
    requested,
)
from geoai.scenario._screening import Screening
from geoai.scenario.presets import preset as preset_params
from geoai.scenario.sweep import sweep

if TYPE_CHECKING:
    from collections.abc import Iterable

    import geopandas as gpd
    from distributed import Client

    from geoai.scenario.params import ScenarioParams

__all__ = [
    "CORE_PARAMETERS",
    "FLOORS",
    "NOISE",
    "Screening",
    "bands",
    "candidates",
    "screen",
    "sensitivity",
]

#: Parameters screened in every preset by :func:`candidates`: adoption timing and
#: depth, the AI pool, the co-location premium, migration (mobility, distance decay,
#: border effect) and the labour closure, the mechanisms every thesis runs through.
CORE_PARAMETERS = (
    "adoption_midpoint",
    "adoption_steepness",
    "automation_ceiling",
    "ai_jobs_start",
    "ai_pool_max",
    "colocation_premium",
    "mobility",
    "talent_decay_km",
    "border_friction",
    "local_income_elasticity",
    "max_employment_rate",
    "income_replacement",
)


def candidates(preset: str) -> list[str]:
    """Return the parameters a run screens: :data:`CORE_PARAMETERS` and the preset's own.

    The preset's overrides are the parameters that encode its thesis, so they
    are screened with the core mechanisms (those at 0 are skipped by
    :func:`screen`). Screening these rather than all parameters halves the
    runs of a job's report.

    Examples
    --------
    >>> "remote_share" in candidates("exodus"), "remote_share" in candidates("baseline")
    (True, True)
    """
    from geoai.scenario.presets import PRESETS

    check_preset(preset, PRESETS)
    return list(dict.fromkeys([*CORE_PARAMETERS, *PRESETS[preset].overrides]))


#: Floor added to ``|m(base)|`` in the influence, per unit (first word of the unit).
FLOORS: dict[str, float] = {
    "share": 1e-3,
    "jobs": 1e3,
    "people": 1e3,
    "metros": 1.0,
    "index": 1e-3,
    "USD": 1e6,
    "year": 1.0,
}
_DEFAULT_FLOOR = 1e-6
#: Relative influences below this are numerical noise and count as no effect.
NOISE = 1e-9
_BASE = "base"


class _Shared(TypedDict):
    """The arguments :func:`sensitivity` passes on to both :func:`screen` and :func:`bands`."""

    delta: float
    metros: gpd.GeoDataFrame | None
    countries: pd.DataFrame | None
    start: int
    end: int
    seed: int
    scheduler: str | Client | None
    progress: bool
    overrides: dict[str, float] | None


def _floor(unit: str) -> float:
    key = str(unit).replace(",", " ").split(" ", 1)[0]
    return FLOORS.get(key, _DEFAULT_FLOOR)


def _rank_normalised(influence: pd.DataFrame) -> pd.DataFrame:
    """``1 - (number of parameters more influential on m) / n``; 0 where no effect."""
    n = max(len(influence), 1)
    # rank "min" of the descending order: 1 + the number of strictly greater values
    greater = influence.rank(axis=0, method="min", ascending=False) - 1.0
    return (1.0 - greater / n).where(influence > NOISE, 0.0)


def _score(influence: pd.DataFrame, aggregate: str) -> pd.Series:
    if influence.empty:
        return pd.Series(dtype=float)
    biggest = influence.max(axis=1)
    score = biggest if aggregate == "max" else _rank_normalised(influence).mean(axis=1)
    order = pd.DataFrame({"score": score, "biggest": biggest, "name": score.index})
    order = order.sort_values(["score", "biggest", "name"], ascending=[False, False, True])
    return order["score"].rename("influence")


def _method(delta: float, n: int, aggregate: str) -> str:
    how = (
        "the mean over the headline figures of its rank-normalised influence"
        if aggregate == "mean_rank"
        else "its largest influence on any headline figure"
    )
    return (
        f"one-at-a-time screening of {n} parameters at ±{100 * delta:.0f} % of the preset's "
        "values (years: of the time from the start year; clipped to each parameter's valid "
        "range), run with geoai.scenario.sweep on Dask; influence on a figure = "
        "|m(+) - m(-)| / (|m(base)| + floor); a parameter's influence = " + how
    )


def screen(
    preset: str,
    *,
    parameters: str | Iterable[str] | None = None,
    delta: float = 0.2,
    metros: gpd.GeoDataFrame | None = None,
    countries: pd.DataFrame | None = None,
    start: int = 2025,
    end: int = 2050,
    seed: int = 0,
    scheduler: str | Client | None = None,
    progress: bool = False,
    overrides: dict[str, float] | None = None,
    aggregate: Literal["mean_rank", "max"] = "mean_rank",
) -> Screening:
    """One-at-a-time screening of a preset's parameters at ±``delta``.

    Parameters
    ----------
    preset : str
        Preset name (:data:`geoai.scenario.PRESETS`).
    parameters : str or list of str, optional
        Parameters to screen; default every parameter of
        :class:`ScenarioParams` whose value in the preset is not 0 (and, for
        a year, not the start year): ±``delta`` of 0 is 0.
    delta : float, default 0.2
        Relative perturbation, in (0, 1).
    metros : geopandas.GeoDataFrame, optional
        As in :func:`geoai.scenario.simulate` (default the embedded metros).
    countries : pandas.DataFrame, optional
        As in :func:`geoai.scenario.simulate` (default the embedded countries).
    start : int, default 2025
        First year.
    end : int, default 2050
        Last year.
    seed : int, default 0
        Seed of every run (common random numbers).
    scheduler : None, str or distributed.Client
        As in :func:`geoai.scenario.sweep`.
    progress : bool
        Show Dask's progress.
    overrides : dict, optional
        Parameter values on top of the preset (e.g. a job's overrides); the
        screening perturbs around them.
    aggregate : {"mean_rank", "max"}
        How influences on several figures make one score (module docstring).

    Returns
    -------
    Screening

    Examples
    --------
    In ``baseline`` the pool of AI roles equals its start value, so its -20 %
    would leave the valid range: it is clipped there, and the design says so.

    >>> import geoai
    >>> s = screen("baseline", parameters=["ai_pool_max", "mobility"], end=2027,
    ...            metros=geoai.load_metros(10_000_000), scheduler="sync")
    >>> len(s.design), bool(s.runs.loc["ai_pool_max -", "clipped"])
    (5, True)
    """
    d, start, end = check_design(delta, start, end)
    seed = check_seed(seed)
    v.check_choice(aggregate, ("mean_rank", "max"), "aggregate")
    fixed = check_overrides(overrides)
    base = preset_params(preset, **fixed)
    about = base.describe()
    names, skipped = choose(base, parameters, about["unit"], start)
    rows: dict[str, dict[str, float]] = {}
    runs: list[dict[str, str | float]] = [
        {"run": _BASE, "parameter": "", "side": 0, "requested": np.nan, "value": np.nan}
    ]
    columns = list(dict.fromkeys([*fixed, *names]))
    plain = {k: float(getattr(base, k)) for k in columns}
    rows[_BASE] = plain
    for name in names:
        x = plain[name]
        for side, factor in ((-1, 1.0 - d), (1, 1.0 + d)):
            want = requested(x, factor, start, year=is_year(about["unit"], name))
            got = admissible(base, {name: want})[name]
            label = f"{name} {'-' if side < 0 else '+'}"
            rows[label] = {**plain, name: got}
            runs.append(
                {"run": label, "parameter": name, "side": side, "requested": want, "value": got}
            )
    design = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    design.index.name = "run"
    table = pd.DataFrame(runs).set_index("run")
    table["clipped"] = ~np.isclose(table["requested"], table["value"], rtol=1e-12, atol=0.0)
    table.loc[_BASE, "clipped"] = False
    res = sweep(
        preset,
        design=design,
        seed=seed,
        scheduler=scheduler,
        metros=metros,
        countries=countries,
        start=start,
        end=end,
        classify_roles=False,
        progress=progress,
    )
    influence = _influence(
        res.summary, res.units, table, base=plain, param_units=about["unit"], delta=d, start=start
    )
    return Screening(
        preset=preset,
        delta=d,
        design=design,
        runs=table,
        summary=res.summary,
        units=res.units,
        influence=influence,
        score=_score(influence, aggregate),
        skipped=skipped,
        aggregate=aggregate,
        start=int(start),
        end=int(end),
        seed=int(seed),
        method=_method(d, len(names), aggregate),
    )


def _influence(
    summary: pd.DataFrame,
    units: pd.Series,
    runs: pd.DataFrame,
    *,
    base: dict[str, float],
    param_units: pd.Series,
    delta: float,
    start: int,
) -> pd.DataFrame:
    metrics = [m for m in summary.columns if str(units.get(m, "")) != "metros"]
    m0 = summary.loc[_BASE, metrics].astype(float)
    scale = m0.abs() + pd.Series({m: _floor(units.get(m, "")) for m in metrics})
    out = {}
    for name in runs["parameter"].iloc[1:].unique():
        lo, hi = f"{name} -", f"{name} +"
        ref = base[name] - start if is_year(param_units, name) else base[name]
        span = abs(runs.loc[hi, "value"] - runs.loc[lo, "value"]) / abs(ref)
        if span == 0:
            out[name] = pd.Series(0.0, index=metrics)
            continue
        diff = (summary.loc[hi, metrics] - summary.loc[lo, metrics]).astype(float).abs()
        infl = diff / scale * (2.0 * delta / span)
        out[name] = infl.where(infl > NOISE, 0.0).fillna(0.0)
    table = pd.DataFrame(out, index=metrics).T
    table.index.name = "parameter"
    table.columns.name = "metric"
    return table


def _corners(
    base: ScenarioParams,
    parameters: list[str],
    fixed: dict[str, float],
    delta: float,
    start: int,
) -> pd.DataFrame:
    about = base.describe()["unit"]
    plain = {k: float(getattr(base, k)) for k in dict.fromkeys([*fixed, *parameters])}
    ends = {}
    for name in parameters:
        year = is_year(about, name)
        ends[name] = tuple(
            admissible(base, {name: requested(plain[name], f, start, year=year)})[name]
            for f in (1.0 - delta, 1.0 + delta)
        )
    rows = {_BASE: plain}
    for sides in itertools.product((0, 1), repeat=len(parameters)):
        want = {p: ends[p][s] for p, s in zip(parameters, sides, strict=True)}
        label = ", ".join(f"{p} {'-+'[s]}" for p, s in zip(parameters, sides, strict=True))
        rows[label] = {**plain, **admissible(base, want)}
    design = pd.DataFrame.from_dict(rows, orient="index")
    design.index.name = "run"
    return design


def bands(
    preset: str,
    parameters: str | Iterable[str],
    *,
    delta: float = 0.2,
    metros: gpd.GeoDataFrame | None = None,
    countries: pd.DataFrame | None = None,
    start: int = 2025,
    end: int = 2050,
    seed: int = 0,
    scheduler: str | Client | None = None,
    progress: bool = False,
    overrides: dict[str, float] | None = None,
    classify_roles: bool = True,
) -> pd.DataFrame:
    """Band every headline figure over the ``2^k`` corners of ±``delta`` on ``k`` parameters.

    Parameters
    ----------
    preset : str
        Preset name.
    parameters : str or list of str
        The parameters to vary together (typically ``Screening.top(3)``); at
        most 10 (1,024 corners).
    delta : float, default 0.2
        Relative perturbation (years: of the time from the start year);
        corners outside a parameter's valid range are moved back to it.
    metros : geopandas.GeoDataFrame, optional
        As in :func:`geoai.scenario.simulate` (default the embedded metros).
    countries : pandas.DataFrame, optional
        As in :func:`geoai.scenario.simulate` (default the embedded countries).
    start : int, default 2025
        First year.
    end : int, default 2050
        Last year.
    seed : int, default 0
        Seed of every run (common random numbers).
    scheduler : None, str or distributed.Client
        As in :func:`geoai.scenario.sweep`.
    progress : bool, default False
        Show Dask's progress.
    overrides : dict, optional
        Parameter values on top of the preset (e.g. a job's overrides).
    classify_roles : bool, default True
        Classify roles in every run, so the counts of metros by role get
        bands too.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``metric`` (the summary's figures) with ``value`` (the
        base run), ``low`` and ``high`` (min and max over the corners and the
        base run), ``unit`` and ``parameters`` (comma-separated names).
        ``attrs["design"]`` and ``attrs["runs"]`` hold the design and every
        run's figures.

    Examples
    --------
    Two parameters: four corners and the base run; every band holds its base value.

    >>> import geoai
    >>> table = bands("concentration", ["mobility", "colocation_premium"], end=2027,
    ...               metros=geoai.load_metros(10_000_000), scheduler="sync", classify_roles=False)
    >>> len(table.attrs["design"]), bool(((table["low"] <= table["value"])
    ...                                   & (table["value"] <= table["high"])).all())
    (5, True)
    """
    d, start, end = check_design(delta, start, end)
    seed = check_seed(seed)
    fixed = check_overrides(overrides)
    base = preset_params(preset, **fixed)
    names = parameter_names(parameters, list(base.describe().index))
    if not 1 <= len(names) <= 10:
        raise InputError(f"give 1 to 10 parameters to band; got {len(names)}.")
    design = _corners(base, names, fixed, d, start)
    res = sweep(
        preset,
        design=design,
        seed=seed,
        scheduler=scheduler,
        metros=metros,
        countries=countries,
        start=start,
        end=end,
        classify_roles=classify_roles,
        progress=progress,
    )
    runs = res.summary.astype(float)
    out = pd.DataFrame(
        {
            "value": runs.loc[_BASE],
            "low": runs.min(axis=0),
            "high": runs.max(axis=0),
            "unit": res.units.reindex(runs.columns).fillna(""),
            "parameters": ", ".join(names),
        }
    )
    out.index.name = "metric"
    out.attrs = {"design": design, "runs": runs, "delta": d, "preset": preset}
    return out


def sensitivity(
    preset: str,
    *,
    k: int = 3,
    delta: float = 0.2,
    parameters: str | Iterable[str] | None = None,
    metros: gpd.GeoDataFrame | None = None,
    countries: pd.DataFrame | None = None,
    start: int = 2025,
    end: int = 2050,
    seed: int = 0,
    scheduler: str | Client | None = None,
    progress: bool = False,
    overrides: dict[str, float] | None = None,
    aggregate: Literal["mean_rank", "max"] = "mean_rank",
) -> tuple[Screening, pd.DataFrame]:
    """Screen a preset, then band its headlines over the ``k`` most influential parameters.

    Parameters
    ----------
    preset : str
        Preset name (:data:`geoai.scenario.PRESETS`).
    k : int, default 3
        Number of parameters banded: the ``k`` most influential of the screening.
    delta : float, default 0.2
        Relative perturbation of the screening and of the bands, in (0, 1).
    parameters : str or list of str, optional
        Parameters to screen; default as in :func:`screen`.
    metros : geopandas.GeoDataFrame, optional
        As in :func:`geoai.scenario.simulate` (default the embedded metros).
    countries : pandas.DataFrame, optional
        As in :func:`geoai.scenario.simulate` (default the embedded countries).
    start : int, default 2025
        First year.
    end : int, default 2050
        Last year.
    seed : int, default 0
        Seed of every run (common random numbers).
    scheduler : None, str or distributed.Client
        As in :func:`geoai.scenario.sweep`.
    progress : bool, default False
        Show Dask's progress.
    overrides : dict, optional
        Parameter values on top of the preset (e.g. a job's overrides).
    aggregate : {"mean_rank", "max"}, default "mean_rank"
        How influences on several figures make one score (module docstring).

    Returns
    -------
    (Screening, pandas.DataFrame)
        The screening and the bands table of :func:`bands`, whose
        ``attrs["influence"]`` maps each banded parameter to its overall
        influence and ``attrs["method"]`` describes the screening. If no
        screened parameter moves any figure (a preset in which nothing
        happens), every band is its base value and ``parameters`` is empty.

    Examples
    --------
    >>> import geoai
    >>> found, table = sensitivity("concentration", k=1, end=2027, scheduler="sync",
    ...                            parameters=["mobility", "colocation_premium"],
    ...                            metros=geoai.load_metros(10_000_000))
    >>> list(table.attrs["influence"]) == found.top(1) == [table["parameters"].iloc[0]]
    True
    """
    common: _Shared = {
        "delta": delta,
        "metros": metros,
        "countries": countries,
        "start": start,
        "end": end,
        "seed": seed,
        "scheduler": scheduler,
        "progress": progress,
        "overrides": overrides,
    }
    k = v.check_integer(k, "k", minimum=1, maximum=10)  # bands() takes 1 to 10 parameters
    from geoai._scheduler import connected

    with connected(scheduler) as live:  # one checked connection (short timeout) for both steps
        common["scheduler"] = live
        found = screen(preset, parameters=parameters, aggregate=aggregate, **common)
        top = found.top(k)
        table = bands(preset, top, **common) if top else None
    if table is None:  # nothing moves a headline: the band of every figure is its value
        base = found.summary.loc[_BASE].astype(float)
        table = pd.DataFrame(
            {"value": base, "low": base, "high": base, "unit": found.units.reindex(base.index)}
        ).assign(parameters="")
        table.index.name = "metric"
        table.attrs = {"design": found.design.loc[[_BASE]], "runs": found.summary.loc[[_BASE]]}
        table.attrs.update(delta=found.delta, preset=preset)
    table.attrs["influence"] = {p: float(found.score[p]) for p in top}
    table.attrs["method"] = found.method
    return found, table
