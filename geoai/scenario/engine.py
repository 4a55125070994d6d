"""The year-by-year simulation (docs/model.md), vectorised over metros.

State per metro: population ``P``, routine-exposed / augmentable / local jobs
``R, A, L``, AI-leveraged roles ``X`` (augmentable jobs that work with AI),
talent ``H`` (AI talent: observed for US metros, modelled elsewhere) and AI
capital ``K``; per country: fracture. The start is the observed world
(:mod:`geoai.scenario.start`). One step per year:

1. natural growth: every stock but ``X`` and ``K`` grows with the metro's
   own UN growth rate (the no-shock world is the UN's world);
2. automation: ``R_i = R_i^0 N_i (1 - min(1, a(t) e_i))`` with ``a`` the
   logistic adoption times the ceiling, ``N_i`` natural growth and ``e_i =
   (rho_i / mean rho)^elasticity`` the metro's routine-exposed share of
   office jobs over its mean weighted by office jobs (observed in the US);
3. AI roles: the world pool ``G(t)``, scaled to the input's share of it,
   is allocated from the observed start ``X^0`` by the change of talent
   potential ``Phi`` (matrix-free, :func:`geoai.potential.at_points`), a
   co-location premium ``(Phi / max Phi)^(theta(t) - theta_0)``,
   stability, AI capital and specialisation; a remote share is done
   wherever talent lives. New AI roles convert augmentable jobs (seed 000:
   the AI-leveraged roles are what remains of white-collar work), at most
   all of a metro's, so the pool moves jobs but does not create them;
4. talent flows: ``mobility * H`` movers per metro in a production-
   constrained gravity with staying, a border effect and an outside option
   (:func:`geoai.kernels.scenario.mobility_flows`); remote work lengthens
   the distance decay to ``lambda / (1 - r)``;
5. capital flows: ``investable_share * K`` toward ``(X + floor)^alpha S_c``
   (times low cost where capital seeks it), home bias, long reach;
6. labour closure: local jobs follow residents' income (wages of the job
   kinds from BLS OEWS; the displaced keep a replacement share); jobs never
   exceed the labour force ``labour_rate * P`` (commuting stays inside the
   agglomeration); labour demand beyond the labour force draws workers from
   outside the metro system and the unemployed leave it at a rate (each with
   ``1 / labour_rate`` residents, so the labour force changes by one worker;
   moving talent brings ``household_size`` people);
7. fiscal stress per country: unemployment over the metros' own labour
   force against a capacity from NIIP/GDP and income; beyond it, fracture
   lowers stability. Where NIIP is unknown the buffer is unknown (NaN).

Shock parameters phase in with adoption (all presets start from the same
state), and amenities are calibrated so the start year is a spatial
equilibrium of talent and capital (each metro's inflows equal its outflows,
with the border effect and distance decay of the start year).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import pandas as pd

from geoai.errors import InputError
from geoai.scenario._checks import check_record, diverged
from geoai.scenario._dense import serve, serve_many
from geoai.scenario._simulator import _TOP_K, _Simulator, adoption
from geoai.scenario.start import World, prepare_world

if TYPE_CHECKING:
    from collections.abc import Iterable

    from geoai._typing import FloatArray, IntArray
    from geoai.kernels.scenario import MobilityFlows
    from geoai.scenario._dense import Program
    from geoai.scenario.params import ScenarioParams

__all__ = [
    "PANEL_COLUMNS",
    "SINK_COLUMNS",
    "Flows",
    "World",
    "adoption",
    "prepare_world",
    "run",
    "run_rows",
    "run_rows_many",
    "tables",
]

#: Columns of the metro × year panel, besides ``metro_id`` and ``year``.
PANEL_COLUMNS = (
    "population",
    "labour_force",
    "jobs_routine",
    "jobs_automated",
    "jobs_augmentable",
    "jobs_local",
    "ai_jobs",
    "ai_demand",
    "jobs",
    "vacancies",
    "talent",
    "capital",
    "talent_potential",
    "talent_in",
    "talent_out",
    "talent_abroad",
    "talent_to_outside",
    "net_talent",
    "capital_in",
    "capital_out",
    "unemployed",
    "unemployment_rate",
    "fiscal_buffer",
    "fiscal_stress",
    "fracture",
)


@dataclass
class Flows:
    """Top flows of one kind in the final year (for maps and the flows layer).

    ``origin`` and ``destination`` are row positions in ``World.metros`` (int arrays of one
    shape ``(m,)``), ``flow`` the flows (people for talent, USD for capital).

    Examples
    --------
    >>> import geoai
    >>> from geoai.scenario import engine, preset
    >>> world = engine.prepare_world(geoai.load_metros(10_000_000), geoai.load_countries(),
    ...                              max_employment_rate=0.7)
    >>> panel, top, sink = engine.run(world, preset("baseline"), start=2025, end=2027, seed=0)
    >>> f = top["talent"]
    >>> f.origin.shape == f.destination.shape == f.flow.shape, bool((f.flow > 0).all())
    (True, True)
    """

    origin: IntArray
    destination: IntArray
    flow: FloatArray


def run(
    world: World, p: ScenarioParams, *, start: int, end: int, seed: int, progress: bool = False
) -> tuple[pd.DataFrame, dict[str, Flows], pd.DataFrame]:
    """Simulate ``start..end``; return the panel, final-year top flows and the sink per year.

    ``world`` comes from :func:`prepare_world` and ``p`` is a :class:`ScenarioParams`; ``seed``
    seeds the yearly shocks. The panel has :data:`PANEL_COLUMNS` (metro × year), the flows are
    ``{"talent": Flows, "capital": Flows}`` and the sink has one row per year after ``start``.

    Examples
    --------
    >>> import geoai
    >>> from geoai.scenario import engine, preset
    >>> world = engine.prepare_world(geoai.load_metros(10_000_000), geoai.load_countries(),
    ...                              max_employment_rate=0.7)
    >>> panel, top, sink = engine.run(world, preset("baseline"), start=2025, end=2027, seed=0)
    >>> len(panel) == 3 * len(world.metros), sink["year"].tolist(), sorted(top)
    (True, [2026, 2027], ['capital', 'talent'])
    """
    return tables(world, run_rows(world, p, start=start, end=end, seed=seed, progress=progress))


def tables(world: World, run: Rows) -> tuple[pd.DataFrame, dict[str, Flows], pd.DataFrame]:
    """Return the panel, top flows and sink of :func:`run` from a run's :func:`run_rows`."""
    years, rows, top, sink = run
    panel = _panel(world.metros["metro_id"].to_numpy(), years, rows)
    return panel, top, pd.DataFrame(sink, columns=list(SINK_COLUMNS))


#: One run before its tables: the years, each year's record, the top flows, the sink rows.
Rows: TypeAlias = (
    "tuple[IntArray, list[dict[str, FloatArray]], dict[str, Flows], list[dict[str, float]]]"
)


def run_rows(
    world: World, p: ScenarioParams, *, start: int, end: int, seed: int, progress: bool = False
) -> Rows:
    """:func:`run` before its tables: the years, each year's record, the top flows, the sink.

    Returns
    -------
    years : numpy.ndarray of int, shape (t,)
        ``start..end``.
    rows : list of dict
        Per year, :data:`PANEL_COLUMNS` to arrays of shape (n,) (the panel's blocks).
    top : dict
        As in :func:`run`.
    sink : list of dict
        Per year after ``start``, :data:`SINK_COLUMNS` to floats (the sink's rows).
    """
    program = _program(world, p, start=start, end=end, seed=seed, progress=progress)
    # overflow shows as non-finite numbers, checked in the records, not as numpy warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return serve(program)


def run_rows_many(
    worlds: list[World],
    params: list[ScenarioParams],
    *,
    start: int,
    end: int,
    seeds: list[int],
    keep_top: bool = True,
) -> list[Rows]:
    """:func:`run_rows` of several runs, year by year side by side (a sweep's runs).

    The runs' passes over the same deterrence matrix are made together
    (:func:`geoai.scenario._dense.serve_many`); every run's rows are those
    :func:`run_rows` gives it alone, and the first run (in list order) that
    diverges raises its error.

    Parameters
    ----------
    worlds : list of World
        Each run's start (:func:`prepare_world`).
    params : list of ScenarioParams
        Each run's parameters.
    start, end : int
        First and last year of every run.
    seeds : list of int
        Each run's seed.
    keep_top : bool, default True
        Keep the final year's top flows. False (for runs of which only the
        headline figures are kept, none of which reads capital): no top flows
        (``{}``), and the final year's capital flows come from the dense
        products (:mod:`geoai.scenario._dense`, equal to the kernel's to
        rounding) instead of the kernel that finds the largest destinations;
        the talent flows, and every other year, are unchanged.

    Returns
    -------
    list
        Each run's :func:`run_rows`.
    """
    programs = [
        _program(w, p, start=start, end=end, seed=s, progress=False, keep_top=keep_top)
        for w, p, s in zip(worlds, params, seeds, strict=True)
    ]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return serve_many(programs)


def _program(
    world: World,
    p: ScenarioParams,
    *,
    start: int,
    end: int,
    seed: int,
    progress: bool,
    keep_top: bool = True,
) -> Program[Rows]:
    """:func:`run_rows` as a program (it asks for its matrix passes); run under ``np.errstate``."""
    if end < start:
        raise InputError(f"end ({end}) must not be before start ({start}).")
    years = np.arange(start, end + 1)
    try:
        sim = _Simulator(world, p, years, seed)
        rows = [sim.record(None)]
    except (InputError, OverflowError) as err:
        raise diverged(p, int(start), str(err).rstrip(".")) from None
    check_record(rows[0], p, int(start))
    sink: list[dict[str, float]] = []
    top: dict[str, Flows] = {}
    steps: Iterable[int] = range(1, len(years))
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="scenario", unit="year")
    for k in steps:
        last = k == len(years) - 1
        talent_before = float(sim.state.talent.sum()) * 1.0
        grown = float((sim.state.talent * (1.0 + sim.growth[k])).sum()) - talent_before
        try:
            top_k = _TOP_K if last else 0
            flows = yield from sim.step(k, top_k, top_k if keep_top else 0)
            record = sim.record(flows)
        except (InputError, OverflowError) as err:  # a flow model refused non-finite weights
            raise diverged(p, int(years[k]), str(err).rstrip(".")) from None
        rows.append(check_record(record, p, int(years[k])))
        talent, capital = flows.talent, flows.capital
        sink.append(
            check_record(
                {
                    "year": int(years[k]),
                    "talent_growth": grown,
                    "talent_to_outside": float(talent.outside.sum()),
                    "talent_out": float(talent.outflow.sum()),
                    "talent_in": float(talent.inflow.sum()),
                    "talent_abroad": float(talent.abroad.sum()),
                    "jobless_leaving": float(flows.leavers.sum()),
                    "workers_arriving": float(flows.arrivals.sum()),
                    "capital_out": float(capital.outflow.sum()),
                    "capital_in": float(capital.inflow.sum()),
                },
                p,
                int(years[k]),
            )
        )
        if last and keep_top:
            top = {"talent": _top_flows(talent), "capital": _top_flows(capital)}
    return years, rows, top, sink


#: Columns of the per-year sink table (one row per year after the start; none for one year).
SINK_COLUMNS = (
    "year",
    "talent_growth",
    "talent_to_outside",
    "talent_out",
    "talent_in",
    "talent_abroad",
    "jobless_leaving",
    "workers_arriving",
    "capital_out",
    "capital_in",
)


def _top_flows(flows: MobilityFlows) -> Flows:
    index, flow = flows.top_index, flows.top_flow
    rows, cols = np.nonzero(index >= 0)
    return Flows(origin=rows, destination=index[rows, cols], flow=flow[rows, cols])


def _panel(ids: np.ndarray, years: IntArray, rows: list[dict[str, FloatArray]]) -> pd.DataFrame:
    n = ids.size
    data: dict[str, np.ndarray] = {
        "metro_id": np.tile(ids, years.size),
        "year": np.repeat(years, n),
    }
    for col in PANEL_COLUMNS:
        data[col] = np.concatenate([r[col] for r in rows])
    return pd.DataFrame(data)
