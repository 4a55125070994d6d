"""``simulate``: one preset, start to end, with roles and a summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai.errors import InputError
from geoai.roles import ROLES, RoleThresholds
from geoai.scenario import engine
from geoai.scenario._checks import check_flag, check_preset, check_seed, check_years
from geoai.scenario._worlds import prepared
from geoai.scenario.params import ScenarioParams
from geoai.scenario.presets import PRESETS, preset

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import ArrayLike

    from geoai._typing import FloatArray
    from geoai.scenario.start import World

__all__ = ["Simulation", "simulate", "theil"]

#: What is observed and what is modelled in a simulation (said in outputs).
ASSUMPTION_NOTE = (
    "The start year is the observed world where data exist (UN populations, BLS OEWS jobs and "
    "AI talent in US metros, AI Index country shares; see the *_source columns); every later "
    "value is modelled from documented assumptions (geoai.scenario.params)."
)


def theil(x: ArrayLike) -> float:
    """Theil T index of a non-negative distribution (0 = equal; ``ln n`` = all in one).

    Parameters
    ----------
    x : array-like of float, shape (n,)
        The distribution (>= 0), in any unit.

    Returns
    -------
    float
        The index, in [0, ln n] (0 for an empty or all-zero distribution).

    Examples
    --------
    >>> theil([1, 1, 1, 1]), round(theil([0, 0, 0, 4]), 6) == round(float(np.log(4)), 6)
    (0.0, True)
    """
    v = np.asarray(x, dtype=float)
    mean = v.mean()
    if v.size == 0 or mean <= 0:
        return 0.0
    r = v[v > 0] / mean
    return float(np.sum(r * np.log(r)) / v.size)


@dataclass
class Simulation:
    """The result of :func:`simulate`.

    Attributes
    ----------
    preset : str
        Preset name (``"custom"`` for bare parameters).
    params : ScenarioParams
        The parameters used.
    panel : pandas.DataFrame
        Tidy metro × year table (:data:`geoai.scenario.engine.PANEL_COLUMNS`):
        the start year is the observed world where data exist (see
        ``sources``), every later year is modelled.
    final : geopandas.GeoDataFrame
        The metros in the final year, with their roles (``role``,
        ``role_score``, ``reasons``) and indicators.
    roles : geopandas.GeoDataFrame
        :func:`geoai.classify` on the panel (same rows as ``final``).
    flows : dict
        Final-year top talent and capital flows (long tables: origin,
        destination ids, flow).
    outside : pandas.DataFrame
        Per year: talent that left the metro system (the sink), natural growth
        of talent, the part of moves that crossed a border and totals of the
        flows, for the conservation check.
    start : int
        First year (the observed start).
    end : int
        Last year simulated.
    seed : int
        Seed of the yearly shocks and of the role permutation tests.
    sources : pandas.DataFrame
        Per metro, what each start quantity is (``*_source`` columns).
    world_share : float
        Share of the world's AI roles and AI capital the input metros hold at
        the start: the world pools of the parameters are scaled by it.
    notes : list of str
        What was scaled or assumed (for the report).

    Examples
    --------
    >>> import geoai
    >>> sim = geoai.scenario.simulate(preset="concentration", end=2027, classify_roles=False)
    >>> sim.start, sim.end, sorted(sim.panel["year"].unique().tolist())
    (2025, 2027, [2025, 2026, 2027])
    >>> sorted(sim.flows), list(sim.flows["talent"].columns)
    (['capital', 'talent'], ['origin', 'destination', 'flow'])
    """

    preset: str
    params: ScenarioParams
    panel: pd.DataFrame
    final: gpd.GeoDataFrame
    roles: gpd.GeoDataFrame
    flows: dict[str, pd.DataFrame]
    outside: pd.DataFrame
    start: int
    end: int
    seed: int
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    world_share: float = 1.0
    notes: list[str] = field(default_factory=list)

    def top_share(self, k: int = 5, year: int | None = None) -> float:
        """Share of AI-leveraged roles in the ``k`` metros with the most of them.

        Parameters
        ----------
        k : int, default 5
            Number of leading metros.
        year : int, optional
            Year of the panel; default the last year.

        Returns
        -------
        float
            A share in [0, 1] (0 when there are no AI roles).

        Examples
        --------
        >>> import geoai
        >>> sim = geoai.scenario.simulate(preset="concentration", end=2027, classify_roles=False)
        >>> n = sim.panel["metro_id"].nunique()
        >>> bool(0 < sim.top_share(1) < sim.top_share(5) < sim.top_share(n)), sim.top_share(n)
        (True, 1.0)
        """
        y = self.end if year is None else year
        x = np.sort(self.panel.loc[self.panel["year"] == y, "ai_jobs"].to_numpy())[::-1]
        return float(x[:k].sum() / x.sum()) if x.sum() > 0 else 0.0

    def summary(self) -> pd.DataFrame:
        """Headline figures: jobs, AI roles, concentration, migration and roles.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``metric``; columns ``value`` and ``unit`` (``"share"``, ``"jobs"``,
            ``"people"``, ``"index"`` or ``"metros"``); ``attrs["preset"]`` names the preset.
            The role counts are left out when roles were not classified.

        Examples
        --------
        >>> import geoai
        >>> sim = geoai.scenario.simulate(preset="concentration", end=2027, classify_roles=False)
        >>> table = sim.summary()
        >>> table.attrs["preset"], table.loc["top-5 share of AI roles, 2027", "unit"]
        ('concentration', 'share')
        >>> bool(table.loc["top-5 share of AI roles, 2027", "value"] == sim.top_share(5))
        True
        """
        panel, out = self.panel, self.outside
        first = panel[panel["year"] == self.start]
        last = panel[panel["year"] == self.end]
        counts = self.roles["role"].astype(str) if "role" in self.roles.columns else None
        rows = headlines(
            {c: first[c].to_numpy() for c in _HEADLINE_COLUMNS},
            {c: last[c].to_numpy() for c in _HEADLINE_COLUMNS},
            {c: out[c].to_numpy() for c in _SINK_COLUMNS} if len(out) else None,
            start=self.start,
            end=self.end,
            roles=counts,  # classify_roles=False leaves no roles to count
        )
        out = pd.DataFrame(rows, columns=["metric", "value", "unit"]).set_index("metric")
        out.attrs["preset"] = self.preset
        return out


#: Panel columns and sink columns the headline figures read.
_HEADLINE_COLUMNS = (
    "jobs",
    "jobs_automated",
    "jobs_routine",
    "ai_jobs",
    "unemployed",
    "labour_force",
    "population",
)
_SINK_COLUMNS = ("talent_out", "talent_to_outside", "talent_abroad")


def _top_share(ai_jobs: FloatArray, k: int) -> float:
    """Share of ``ai_jobs`` (shape (n,)) in its ``k`` largest entries (0 without any)."""
    x = np.sort(ai_jobs)[::-1]
    return float(x[:k].sum() / x.sum()) if x.sum() > 0 else 0.0


def headlines(
    first: Mapping[str, FloatArray],
    last: Mapping[str, FloatArray],
    sink: Mapping[str, FloatArray] | None,
    *,
    start: int,
    end: int,
    roles: pd.Series | None,
) -> list[tuple[str, float, str]]:
    """Return the rows ``(metric, value, unit)`` of :meth:`Simulation.summary`.

    Parameters
    ----------
    first, last : mapping of str to numpy.ndarray of float, shape (n,)
        The panel's columns :data:`_HEADLINE_COLUMNS` in the start and the final year.
    sink : mapping of str to numpy.ndarray of float, shape (t,), or None
        The sink's columns :data:`_SINK_COLUMNS` (None: no year after the start).
    start, end : int
        First and last year (named in two figures).
    roles : pandas.Series of str or None
        Every metro's role; None when roles were not classified (no counts by role).

    Returns
    -------
    list of (str, float, str)
    """
    lost = last["jobs_automated"].sum()
    # moves between metros: the outflow less what left the metro system
    moved = (sink["talent_out"] - sink["talent_to_outside"]).sum() if sink is not None else 0.0
    abroad = sink["talent_abroad"].sum() if sink is not None else 0.0
    to_outside = sink["talent_to_outside"].sum() if sink is not None else 0.0
    rows: list[tuple[str, float, str]] = [
        ("jobs change", last["jobs"].sum() / first["jobs"].sum() - 1, "share"),
        ("routine jobs automated", lost, "jobs"),
        (
            "routine jobs automated, share",
            lost / max(last["jobs_routine"].sum() + lost, 1.0),
            "share",
        ),
        ("AI-leveraged roles", last["ai_jobs"].sum(), "jobs"),
        (f"top-5 share of AI roles, {start}", _top_share(first["ai_jobs"], 5), "share"),
        (f"top-5 share of AI roles, {end}", _top_share(last["ai_jobs"], 5), "share"),
        ("Theil index of AI roles", theil(last["ai_jobs"]), "index"),
        ("talent that left the metros", to_outside, "people"),
        (
            "talent moving between metros that crosses a border",
            abroad / moved if moved > 0 else 0.0,
            "share",
        ),
        (
            "unemployment added since the start",
            last["unemployed"].sum() / max(last["labour_force"].sum(), 1.0),
            "share",
        ),
        (
            "population change",
            last["population"].sum() / first["population"].sum() - 1,
            "share",
        ),
    ]
    if roles is not None:
        counts = roles.value_counts()
        rows += [(f"metros: {r}", float(counts.get(r, 0)), "metros") for r in ROLES]
    return rows


def simulate(
    metros: gpd.GeoDataFrame | None = None,
    countries: pd.DataFrame | None = None,
    *,
    preset: str | None = "concentration",
    params: ScenarioParams | None = None,
    start: int = 2025,
    end: int = 2050,
    seed: int = 0,
    classify_roles: bool = True,
    progress: bool = False,
    **overrides: float,
) -> Simulation:
    """Run one scenario year by year.

    Parameters
    ----------
    metros : geopandas.GeoDataFrame, optional
        Metros with ``metro_id``, ``country_iso3``, ``population`` and the
        job columns; default ``geoai.load_metros(year=start)`` (the UN
        agglomerations >= 1 M, observed US labour columns).
    countries : pandas.DataFrame, optional
        Indexed by ISO3 with ``population``, ``gdp_pc_usd``, ``niip_gdp``;
        default ``geoai.load_countries()``.
    preset : {"baseline", "concentration", "exodus", "divergence"}, optional
        Named parameter set (ignored when ``params`` is given).
    params : ScenarioParams, optional
        Explicit parameters instead of a preset.
    start : int, default 2025
        First year: the observed world, 1950–2035 (a year of the UN WUP 2018 series).
    end : int, default 2050
        Last year simulated (inclusive), from ``start`` to 2200.
    seed : int
        Seed of the yearly shocks (``shock_sd``) and of the role permutation
        tests, 0 to 2**63 - 1: equal seeds give equal results.
    classify_roles : bool, default True
        Give every metro its role from the panel (:func:`geoai.classify`).
    progress : bool
        Show a progress bar over the years.
    **overrides : float
        Parameter overrides on top of the preset (e.g. ``ai_pool_max=5e6``).

    Returns
    -------
    Simulation

    Raises
    ------
    InputError
        An unknown preset or parameter, a parameter out of its range, years or
        a seed out of range, or parameters so extreme that the run stops
        producing finite numbers (the message names the year and the
        parameters furthest from their defaults).

    Examples
    --------
    >>> import geoai
    >>> sim = geoai.scenario.simulate(preset="baseline", end=2030, classify_roles=False)
    >>> sim.panel["year"].agg(["min", "max"]).tolist()
    [2025, 2030]
    """
    from geoai.datasets import load_countries, load_metros

    if params is None:
        if preset is None:
            raise InputError("give preset=... or params=ScenarioParams(...).")
        p = _preset_params(preset, overrides)
        name = preset
    else:
        if not isinstance(params, ScenarioParams):
            raise InputError(f"params must be a ScenarioParams; got {type(params).__name__}.")
        p = params.replace(**overrides)
        name = "custom"
    start, end = check_years(start, end)
    seed = check_seed(seed)
    classify_roles = check_flag(classify_roles, "classify_roles")
    progress = check_flag(progress, "progress")
    m = load_metros(year=start) if metros is None else metros
    c = load_countries() if countries is None else countries
    world = prepared(m, c, max_employment_rate=p.max_employment_rate)
    run = engine.run_rows(world, p, start=start, end=end, seed=seed, progress=progress)
    return assemble(world, run, name, p, seed=seed, classify_roles=classify_roles)


def assemble(
    world: World,
    run: engine.Rows,
    name: str,
    p: ScenarioParams,
    *,
    seed: int,
    classify_roles: bool,
) -> Simulation:
    """Build the :class:`Simulation` of one :func:`engine.run_rows` (the tail of :func:`simulate`).

    Parameters
    ----------
    world : World
        The run's start.
    run : tuple
        Its :func:`geoai.scenario.engine.run_rows`.
    name : str
        The preset's name (``"custom"`` for bare parameters).
    p : ScenarioParams
        The run's parameters.
    seed : int
        Its seed (also of the role permutation tests).
    classify_roles : bool
        Give every metro its role.

    Returns
    -------
    Simulation
    """
    from geoai.roles import classify as classify_metros

    years = run[0]
    start, end = int(years[0]), int(years[-1])
    panel, top, sink = engine.tables(world, run)
    geo = world.metros.set_index("metro_id", drop=False)
    sources = world.sources.set_index("metro_id")
    geo = geo.join(sources[[c for c in sources.columns if c not in geo.columns]])
    ids = world.metros["metro_id"].to_numpy()
    flows = {
        kind: pd.DataFrame(
            {"origin": ids[f.origin], "destination": ids[f.destination], "flow": f.flow}
        )
        for kind, f in top.items()
    }
    if classify_roles:
        roles = classify_metros(
            panel, metros=geo, flows=flows.get("talent"), thresholds=RoleThresholds(seed=seed)
        )
    else:
        roles = _final_without_roles(panel, geo)
    final = roles.copy()
    final.attrs["assumptions"] = ASSUMPTION_NOTE
    return Simulation(
        preset=name,
        params=p,
        panel=panel,
        final=final,
        roles=roles,
        flows=flows,
        outside=sink,
        start=int(start),
        end=int(end),
        seed=seed,
        sources=world.sources,
        world_share=world.world_share,
        notes=[ASSUMPTION_NOTE, *world.notes],
    )


def run_headlines(run: engine.Rows) -> list[tuple[str, float, str]]:
    """Return :func:`headlines` of one :func:`engine.run_rows`, without role counts.

    What ``simulate(..., classify_roles=False).summary()`` holds, without
    building the panel, the final year's table or the flows (a sweep keeps only
    the figures).
    """
    years, rows, _, sink = run
    start, end = int(years[0]), int(years[-1])
    out = {c: np.array([r[c] for r in sink], dtype=float) for c in _SINK_COLUMNS} if sink else None
    return headlines(
        {c: rows[0][c] for c in _HEADLINE_COLUMNS},
        {c: rows[-1][c] for c in _HEADLINE_COLUMNS},
        out,
        start=start,
        end=end,
        roles=None,
    )


def _preset_params(name: str, overrides: dict[str, float]) -> ScenarioParams:
    check_preset(name, PRESETS)
    return preset(name, **overrides)


def _final_without_roles(panel: pd.DataFrame, geo: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    last = panel[panel["year"] == panel["year"].max()].set_index("metro_id")
    keep = [c for c in geo.columns if c not in last.columns and c != "metro_id"]
    out = last.join(geo[keep])
    return gpd.GeoDataFrame(out, geometry=geo.geometry.reindex(out.index).values, crs=geo.crs)
