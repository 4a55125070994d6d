"""Many simulations of a preset in parallel with Dask: random draws or an explicit design.

``sweep(preset, ranges, n=...)`` draws parameters uniformly from ranges
(Monte-Carlo); ``sweep(preset, design=table)`` runs the rows of a given
design (one-at-a-time screening, corner designs:
:mod:`geoai.scenario.sensitivity`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai._optional import optional
from geoai._scheduler import LOCAL, connected, usable_cores
from geoai.errors import InputError
from geoai.scenario._checks import check_flag, check_seed, check_years
from geoai.scenario._worlds import shared_worlds
from geoai.scenario.presets import preset as preset_params

if TYPE_CHECKING:
    import geopandas as gpd
    from dask.delayed import Delayed
    from distributed import Client

    from geoai.scenario.params import ScenarioParams
    from geoai.scenario.simulation import Simulation

__all__ = ["MAX_RUNS", "SweepResult", "sweep"]

#: Most random draws one sweep runs (each is a full simulation).
MAX_RUNS = 100_000


@dataclass
class SweepResult:
    """Distribution of a preset's outcomes over parameter draws.

    Attributes
    ----------
    preset : str
        The preset the runs started from.
    draws : pandas.DataFrame
        One row per draw (or design row): the parameter values set.
    summary : pandas.DataFrame
        One row per draw: the figures of :meth:`Simulation.summary`
        (same index as ``draws``).
    role_frequency : pandas.DataFrame
        Per metro (rows) the share of draws that gave it each role (columns);
        empty when the sweep ran with ``classify_roles=False``.
    units : pandas.Series
        The unit of every summary figure (index: the figure's name).

    Examples
    --------
    >>> import pandas as pd, geoai
    >>> design = pd.DataFrame({"remote_share": [0.3, 0.45, 0.6]})
    >>> res = geoai.scenario.sweep("exodus", design=design, metros=geoai.load_metros(10_000_000),
    ...                            end=2027, classify_roles=False, progress=False)
    >>> res.preset, res.draws["remote_share"].tolist(), len(res.summary)
    ('exodus', [0.3, 0.45, 0.6], 3)
    >>> res.units["jobs change"]
    'share'
    """

    preset: str
    draws: pd.DataFrame
    summary: pd.DataFrame
    role_frequency: pd.DataFrame
    units: pd.Series = field(default_factory=lambda: pd.Series(dtype=str))

    def quantiles(self, q: tuple[float, ...] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Quantiles of every summary figure over the draws.

        Parameters
        ----------
        q : tuple of float, default (0.05, 0.5, 0.95)
            Probabilities in [0, 1].

        Returns
        -------
        pandas.DataFrame
            One row per figure, one column per probability.

        Examples
        --------
        >>> import pandas as pd, geoai
        >>> design = pd.DataFrame({"remote_share": [0.3, 0.45, 0.6]})
        >>> res = geoai.scenario.sweep("exodus", design=design, end=2027, classify_roles=False,
        ...                            metros=geoai.load_metros(10_000_000), progress=False)
        >>> table = res.quantiles((0.0, 0.5, 1.0))
        >>> table.columns.tolist()
        [0.0, 0.5, 1.0]
        >>> bool((table[0.0] <= table[0.5]).all() and (table[0.5] <= table[1.0]).all())
        True
        """
        return self.summary.quantile(list(q)).T


class _Run(NamedTuple):
    """What one run of a sweep sends back (small, so the workers return little).

    Attributes
    ----------
    figures : dict of str to float
        Each figure of :meth:`Simulation.summary` and its value (in its unit).
    roles : pandas.Series
        The role of every metro (empty without ``classify_roles``).
    units : dict of str to str
        Each figure's unit.
    """

    figures: dict[str, float]
    roles: pd.Series
    units: dict[str, str]


def _summary(sim: Simulation, *, classified: bool) -> pd.DataFrame:
    """``sim.summary()``; without roles, no counts of metros by role (unit ``"metros"``)."""
    table = sim.summary()
    return table if classified else table[table["unit"] != "metros"]


def _batch(
    metros: gpd.GeoDataFrame,
    countries: pd.DataFrame,
    params: list[ScenarioParams],
    *,
    years: tuple[int, int],
    seeds: list[int],
    classify_roles: bool = True,
) -> list[_Run]:
    """Run several simulations side by side (one task of a sweep) and return their figures.

    Each run is what ``simulate(metros, countries, params=p, ...)`` gives; the
    engine steps them year by year together, so that their passes over a
    shared deterrence matrix are made at once
    (:func:`geoai.scenario.engine.run_rows_many`).
    """
    from geoai.scenario import engine
    from geoai.scenario._worlds import prepared
    from geoai.scenario.simulation import assemble, run_headlines

    worlds = [
        prepared(metros, countries, max_employment_rate=p.max_employment_rate) for p in params
    ]
    runs = engine.run_rows_many(
        worlds, params, start=years[0], end=years[1], seeds=seeds, keep_top=classify_roles
    )
    out = []
    for world, p, seed, run in zip(worlds, params, seeds, runs, strict=True):
        if not classify_roles:  # only the figures come back: skip the run's tables
            rows = run_headlines(run)
            out.append(
                _Run(
                    {m: float(x) for m, x, _ in rows},
                    pd.Series(dtype=str),
                    {m: u for m, _, u in rows},
                )
            )
            continue
        sim = assemble(world, run, "custom", p, seed=seed, classify_roles=True)
        table = _summary(sim, classified=True)
        roles = sim.roles["role"].astype(str)
        out.append(_Run(table["value"].to_dict(), roles, table["unit"].astype(str).to_dict()))
    return out


#: Most runs stepped together in one task: each keeps its whole panel (a few MB) until the
#: batch ends, and the shared passes gain little beyond a dozen runs.
_BATCH_MAX = 24


def _chunks(n: int, scheduler: str | Client | None) -> list[range]:
    """Split ``n`` runs into the sweep's tasks.

    On ``"sync"`` as few tasks of at most :data:`_BATCH_MAX` runs as that
    allows (nothing runs in parallel); on the other local schedulers about two
    tasks per core; on a cluster (an address or a ``Client``) one run per task,
    so that every worker has work.
    """
    local = isinstance(scheduler, str | None) and (scheduler or "threads") in LOCAL
    if not local:
        return [range(i, i + 1) for i in range(n)]
    parts = math.ceil(n / _BATCH_MAX)
    if scheduler != "sync":
        parts = max(parts, min(n, 2 * usable_cores()))
    size = max(1, math.ceil(n / max(parts, 1)))
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


def _draw(
    base: ScenarioParams, ranges: dict[str, tuple[float, float]], n: int, seed: int
) -> pd.DataFrame:
    if not isinstance(ranges, dict) or not ranges:
        raise InputError(
            "ranges must be a non-empty dict {parameter: (low, high)}; got "
            f"{type(ranges).__name__}."
        )
    known = set(base.describe().index)
    unknown = sorted(map(str, set(ranges) - known))
    if unknown:
        raise InputError(f"unknown parameter(s) in ranges: {unknown}.")
    rng = np.random.default_rng(seed)
    cols = {}
    for name, bounds in ranges.items():
        try:
            lo, hi = (float(b) for b in bounds)
        except (TypeError, ValueError, OverflowError):
            raise InputError(
                f"ranges[{name!r}] must be a (low, high) pair of numbers; got {bounds!r}."
            ) from None
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise InputError(f"ranges[{name!r}] must be finite numbers; got ({lo}, {hi}).")
        if not lo <= hi:
            raise InputError(f"ranges[{name!r}]: low {lo} is above high {hi}.")
        cols[name] = rng.uniform(lo, hi, n)
    return pd.DataFrame(cols, index=pd.RangeIndex(n, name="draw"))


def _design_rows(base: ScenarioParams, design: object) -> list[ScenarioParams]:
    """Check an explicit design and return the parameters of each of its rows."""
    if not isinstance(design, pd.DataFrame):
        raise InputError(
            f"design must be a pandas.DataFrame (one row per run, one column per parameter); "
            f"got {type(design).__name__}."
        )
    if len(design) == 0:
        raise InputError("design has no rows; give at least one run.")
    unknown = sorted(set(map(str, design.columns)) - set(base.describe().index))
    if unknown:
        raise InputError(
            f"unknown parameter(s) in design columns: {unknown}; see ScenarioParams.describe()."
        )
    if design.columns.duplicated().any():
        raise InputError("design has a parameter column twice; give each parameter once.")
    values = design.apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & design.notna()
    if bad.to_numpy().any():
        col = str(design.columns[bad.any(axis=0).to_numpy()][0])
        raise InputError(f"design column {col!r} holds a value that is not a number.")
    rows = []
    for label, row in values.iterrows():
        given = {str(k): float(x) for k, x in row.items() if not math.isnan(float(x))}
        try:
            rows.append(base.replace(**given))
        except InputError as err:
            raise InputError(f"design row {label!r}: {err}") from None
    return rows


def sweep(
    preset: str,
    ranges: dict[str, tuple[float, float]] | None = None,
    *,
    n: int | None = None,
    design: pd.DataFrame | None = None,
    seed: int = 0,
    scheduler: str | Client | None = None,
    metros: gpd.GeoDataFrame | None = None,
    countries: pd.DataFrame | None = None,
    start: int = 2025,
    end: int = 2050,
    classify_roles: bool = True,
    progress: bool = True,
) -> SweepResult:
    """Run many simulations of a preset: random draws from ranges, or an explicit design.

    Parameters
    ----------
    preset : str
        The preset the runs start from.
    ranges : dict, optional
        ``{parameter: (low, high)}``; every draw sets each named parameter to
        a uniform value in its range (the rest stay at the preset's values).
        Give ``ranges`` or ``design``, not both.
    n : int, optional
        Number of draws from ``ranges`` (default 100); not with ``design``.
    design : pandas.DataFrame, optional
        An explicit design: one row per run, one column per parameter (names
        of :meth:`ScenarioParams.describe`); a missing value (NaN) keeps the
        preset's value. Every row is validated before any run. The index
        labels the runs in the result.
    seed : int
        With ``ranges``: seed of the draws, and draw ``i`` runs with seed
        ``seed + i``. With ``design``: every run uses ``seed`` (common random
        numbers, so differences between rows come from the parameters alone).
    scheduler : None, str or distributed.Client
        ``None``: Dask's local thread pool (the kernels release the GIL;
        works anywhere, notebooks included); ``"processes"`` (needs the
        ``if __name__ == "__main__":`` guard in scripts) or ``"sync"``: that
        local scheduler; an address such as
        ``"tcp://10.0.0.5:8786"``: a ``dask.distributed`` scheduler; or a
        ``distributed.Client`` (e.g. of a ``LocalCluster``). On the local
        schedulers the runs go in batches of up to 24 (as few as that allows
        on ``"sync"``, else about two per core), each stepped year by year
        together so that its runs share their passes over the deterrence
        matrices; on a cluster each run is a task of its own. Every run's
        figures are those it has alone.
    metros : geopandas.GeoDataFrame, optional
        As in :func:`simulate` (default the embedded data: the >= 1 M metros of
        the start year).
    countries : pandas.DataFrame, optional
        As in :func:`simulate` (default the embedded countries).
    start : int, default 2025
        First year of every run.
    end : int, default 2050
        Last year of every run.
    classify_roles : bool, default True
        Give every metro its role in every run (as :func:`simulate`); without
        it the runs are faster, ``role_frequency`` is empty and the summary
        has no counts of metros by role.
    progress : bool
        Show progress.

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> import pandas as pd, geoai
    >>> res = sweep("exodus", design=pd.DataFrame({"remote_share": [0.3, 0.6]}),
    ...             metros=geoai.load_metros(10_000_000), end=2027, classify_roles=False,
    ...             progress=False)
    >>> len(res.summary), bool(res.role_frequency.empty)
    (2, True)
    """
    delayed = optional("dask", "scenario.sweep").delayed

    from geoai.datasets import load_countries, load_metros

    base = preset_params(preset)
    start, end = check_years(start, end)
    seed = check_seed(seed)
    classify_roles = check_flag(classify_roles, "classify_roles")
    progress = check_flag(progress, "progress")
    if design is not None:
        if ranges is not None or n is not None:
            raise InputError("give design= or ranges= (with n=), not both.")
        runs = _design_rows(base, design)
        draws = design.copy()
        seeds = [seed] * len(runs)
    else:
        if ranges is None:
            raise InputError("give ranges={parameter: (low, high)} or design=DataFrame.")
        n = v.check_integer(100 if n is None else n, "n", minimum=1, maximum=MAX_RUNS)
        check_seed(seed + n - 1, "seed + n - 1 (the last draw's seed)")
        draws = _draw(base, ranges, n, seed)
        runs = [base.replace(**row) for row in draws.to_dict("records")]
        seeds = [seed + i for i in range(len(runs))]
    m = load_metros(year=int(start)) if metros is None else metros
    c = load_countries() if countries is None else countries
    # one graph node each for the metros and countries, not one copy per task
    dm, dc = delayed(m), delayed(c)
    # runs side by side within a task share their passes over the matrices (_batch)
    tasks = [
        delayed(_batch)(
            dm,
            dc,
            [runs[i] for i in part],
            years=(start, end),
            seeds=[seeds[i] for i in part],
            classify_roles=classify_roles,
        )
        for part in _chunks(len(runs), scheduler)
    ]
    with shared_worlds():  # the runs start from the same tables: prepare them once
        results = [r for batch in _compute(tasks, scheduler, progress=progress) for r in batch]
    summary = pd.DataFrame([r.figures for r in results], index=draws.index)
    units = pd.Series({k: u for r in results for k, u in r.units.items()}, dtype=str)
    if classify_roles:
        roles = pd.DataFrame({i: r.roles for i, r in enumerate(results)})
        freq = _role_shares(roles)
    else:
        freq = pd.DataFrame()
    return SweepResult(
        preset=preset, draws=draws, summary=summary, role_frequency=freq, units=units
    )


def _role_shares(roles: pd.DataFrame) -> pd.DataFrame:
    """Per row, the share of the columns holding each role (missing roles not counted).

    What ``row.value_counts(normalize=True)`` gives for every row, as one
    table (roles as sorted columns, 0 where a row never has one), counted in
    one pass instead of a pandas call per metro.

    Parameters
    ----------
    roles : pandas.DataFrame
        One row per metro, one column per run: role names (or missing).

    Returns
    -------
    pandas.DataFrame
        Same index; one float column per role.

    Examples
    --------
    >>> import pandas as pd
    >>> _role_shares(pd.DataFrame({0: ["hub", "hub"], 1: ["hub", None], 2: ["star", "hub"]}))
            hub      star
    0  0.666667  0.333333
    1  1.000000  0.000000
    """
    values = roles.to_numpy(dtype=object)
    known = ~pd.isna(values)
    names, code = np.unique(values[known].astype(str), return_inverse=True)
    counts = np.zeros((values.shape[0], names.size))
    np.add.at(counts, (np.nonzero(known)[0], code), 1.0)
    total = known.sum(axis=1, keepdims=True)
    shares = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    return pd.DataFrame(shares, index=roles.index, columns=pd.Index(names.tolist()))


def _compute(
    tasks: list[Delayed], scheduler: str | Client | None, *, progress: bool
) -> list[list[_Run]]:
    dask = optional("dask", "scenario.sweep")

    if isinstance(scheduler, str | None) and (scheduler or "threads") in LOCAL:
        name = scheduler or "threads"
        if progress:
            from dask.diagnostics import ProgressBar  # type: ignore[attr-defined]  # untyped dependency

            with ProgressBar():  # type: ignore[no-untyped-call]  # untyped dependency
                return list(dask.compute(*tasks, scheduler=name))
        return list(dask.compute(*tasks, scheduler=name))
    with connected(scheduler) as client:  # an address: reached within a short timeout
        futures = client.compute(tasks)  # type: ignore[union-attr]  # a Client here
        if progress:
            from distributed import progress as show

            show(futures)  # type: ignore[no-untyped-call]  # untyped dependency
        return list(client.gather(futures))  # type: ignore[union-attr]  # a Client here
