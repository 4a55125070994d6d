"""Monte-Carlo sensitivity of a preset over parameter ranges, in parallel with Dask."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geoai.errors import InputError
from geoai.scenario.params import ScenarioParams
from geoai.scenario.presets import preset as preset_params

__all__ = ["SweepResult", "sweep"]


@dataclass
class SweepResult:
    """Distribution of a preset's outcomes over parameter draws.

    Attributes
    ----------
    draws : pandas.DataFrame
        One row per draw: the sampled parameter values.
    summary : pandas.DataFrame
        One row per draw: the figures of :meth:`Simulation.summary`.
    role_frequency : pandas.DataFrame
        Per metro (rows) the share of draws that gave it each role (columns).
    """

    preset: str
    draws: pd.DataFrame
    summary: pd.DataFrame
    role_frequency: pd.DataFrame

    def quantiles(self, q: tuple[float, ...] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Quantiles of every summary figure over the draws."""
        return self.summary.quantile(list(q)).T


def _one(
    metros: Any, countries: Any, params: ScenarioParams, *, years: tuple[int, int], seed: int
) -> tuple[dict[str, float], pd.Series]:
    from geoai.scenario.simulation import simulate

    sim = simulate(metros, countries, params=params, start=years[0], end=years[1], seed=seed)
    return sim.summary()["value"].to_dict(), sim.roles["role"].astype(str)


def _draw(base: ScenarioParams, ranges: dict[str, Any], n: int, seed: int) -> pd.DataFrame:
    known = set(base.describe().index)
    unknown = sorted(set(ranges) - known)
    if unknown:
        raise InputError(f"unknown parameter(s) in ranges: {unknown}.")
    rng = np.random.default_rng(seed)
    cols = {}
    for name, bounds in ranges.items():
        try:
            lo, hi = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise InputError(
                f"ranges[{name!r}] must be a (low, high) pair of numbers; got {bounds!r}."
            ) from None
        if not lo <= hi:
            raise InputError(f"ranges[{name!r}]: low {lo} is above high {hi}.")
        cols[name] = rng.uniform(lo, hi, n)
    return pd.DataFrame(cols, index=pd.RangeIndex(n, name="draw"))


def sweep(
    preset: str,
    ranges: dict[str, Any],
    *,
    n: int = 100,
    seed: int = 0,
    scheduler: Any = None,
    metros: Any = None,
    countries: Any = None,
    start: int = 2025,
    end: int = 2050,
    progress: bool = True,
) -> SweepResult:
    """Run ``n`` simulations of a preset with parameters drawn uniformly from ranges.

    Parameters
    ----------
    preset : str
        The preset the draws start from.
    ranges : dict
        ``{parameter: (low, high)}``; every draw sets each named parameter to
        a uniform value in its range (the rest stay at the preset's values).
    n : int
        Number of draws.
    seed : int
        Seed of the draws (draw ``i`` also runs with seed ``seed + i``).
    scheduler : None, str or distributed.Client
        ``None``: Dask's local thread pool (the kernels release the GIL;
        works anywhere, notebooks included); ``"processes"`` (needs the
        ``if __name__ == "__main__":`` guard in scripts) or ``"sync"``: that
        local scheduler; an address such as
        ``"tcp://10.0.0.5:8786"``: a ``dask.distributed`` scheduler; or a
        ``distributed.Client`` (e.g. of a ``LocalCluster``).
    metros, countries : optional
        As in :func:`simulate` (default the embedded data, >= 1 M metros).
    start, end : int
        Years.
    progress : bool
        Show progress.

    Returns
    -------
    SweepResult
    """
    from dask import delayed

    from geoai.datasets import load_countries, load_metros

    if int(n) < 1:
        raise InputError(f"n must be >= 1; got {n}.")
    base = preset_params(preset)
    draws = _draw(base, ranges, int(n), seed)
    m = load_metros() if metros is None else metros
    c = load_countries() if countries is None else countries
    tasks = [
        delayed(_one)(m, c, base.replace(**row), years=(start, end), seed=seed + i)
        for i, row in enumerate(draws.to_dict("records"))
    ]
    results = _compute(tasks, scheduler, progress)
    summary = pd.DataFrame([r[0] for r in results], index=draws.index)
    roles = pd.DataFrame({i: r[1] for i, r in enumerate(results)})
    freq = roles.apply(lambda row: row.value_counts(normalize=True), axis=1).fillna(0.0)
    return SweepResult(preset=preset, draws=draws, summary=summary, role_frequency=freq)


def _compute(tasks: list[Any], scheduler: Any, progress: bool) -> list[Any]:
    import dask

    if scheduler is None or scheduler in ("threads", "processes", "sync", "synchronous"):
        name = "threads" if scheduler is None else scheduler
        if progress:
            from dask.diagnostics import ProgressBar

            with ProgressBar():
                return list(dask.compute(*tasks, scheduler=name))
        return list(dask.compute(*tasks, scheduler=name))
    from distributed import Client

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.compute(tasks)
        if progress:
            from distributed import progress as show

            show(futures)
        return list(client.gather(futures))
    finally:
        if client is not scheduler:
            client.close()
