"""Compile every Numba kernel into the on-disk cache ahead of the first real call.

Numba compiles a kernel the first time it is called with a new set of argument
types and, with ``cache=True`` (:func:`geoai.kernels.jit`), stores the machine
code in the cache folder (``NUMBA_CACHE_DIR``, else ``__pycache__`` beside the
kernel modules). A warm-up therefore runs the *public* functions on tiny
inputs, so the cached signatures are exactly those real calls hit (float64
arrays, int64 indices, the same flags and tuples), not guessed ones.

The kernels fall into independent families (flows, the tree code, the tiles
of the Dask path, calibration, potential, statistics, network, scenario);
:func:`warm_up` runs each family in its own ``spawn`` process, so they compile
side by side on a multi-core machine.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoai.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    import geopandas as gpd
    import numpy as np

__all__ = ["FAMILIES", "FamilyResult", "cache_dir", "families", "warm_family", "warm_up"]

#: Helsinki, metres in ETRS-TM35FIN (EPSG:3067): the origin of the small network.
_X0, _Y0 = 385_000.0, 6_672_000.0

#: Decay names each family exercises (the kernels take the decay as an int, so
#: these share one compiled version; running them all checks nothing is left cold).
_FLOW_DECAYS = ("power", "exponential", "gaussian", "tanner", "box")
#: Their ``beta`` where it is not given by a scale (Tanner: ``(a, b)`` of ``c**a * exp(-b c)``).
_FLOW_BETAS: dict[str, float | tuple[float, float]] = {"power": 2.0, "tanner": (-1.0, 5e-4)}
#: Their ``scale_km`` (km; none where ``beta`` is given; the box's is its cut-off).
_FLOW_SCALES: dict[str, float | None] = {"power": None, "tanner": None, "box": 25_000.0}


def _decay_kwargs(decay: str) -> dict[str, Any]:
    """Return the ``decay``, ``beta`` and ``scale_km`` keywords of one of :data:`_FLOW_DECAYS`."""
    scale = _FLOW_SCALES.get(decay, 3e3)
    return {"decay": decay, "beta": _FLOW_BETAS.get(decay), "scale_km": scale}


def _aggregate_forms(m: gpd.GeoDataFrame, mass: np.ndarray, **how: Any) -> None:  # noqa: ANN401 - aggregate's keywords
    """Run ``aggregate(..., **how)`` on every decay: top-k and production, sphere and plane."""
    from geoai import flows

    for points in (m, m.to_crs(3857)):
        for decay in _FLOW_DECAYS:
            agg = functools.partial(flows.aggregate, points, mass, **_decay_kwargs(decay), **how)
            agg(top_k=3)
            agg(constraint="production", outflows=mass / 10.0)


@dataclass(frozen=True)
class FamilyResult:
    """What warming one family of kernels took.

    Attributes
    ----------
    family : str
        The family's name, one of :data:`FAMILIES`.
    seconds : float
        Wall-clock time of the family's calls in its worker process, s.
    skipped : str
        Why the family was not warmed (an optional dependency missing, e.g.
        networkx for ``network`` without ``geoai[osm]``); ``""`` when it was.
    """

    family: str
    seconds: float
    skipped: str = ""

    def said(self) -> str:
        """One line for a person: ``"flows: 30.1 s"`` or ``"network: skipped (...)"``."""
        if self.skipped:
            return f"{self.family}: skipped ({self.skipped})"
        return f"{self.family}: {self.seconds:.1f} s"


def _metros(n: int = 12) -> gpd.GeoDataFrame:
    """Return ``n`` of the largest embedded metros (points in EPSG:4326, with population)."""
    from geoai.datasets import load_metros

    return load_metros(min_population=5_000_000).nlargest(n, "population").reset_index(drop=True)


def _warm_flows() -> None:
    """Matrix-free and dense flows: every decay, constraint and the radiation model."""
    from geoai import flows

    m = _metros()
    mass = m["population"].to_numpy(dtype=float)
    for decay in _FLOW_DECAYS:
        agg = functools.partial(flows.aggregate, m, mass, **_decay_kwargs(decay))
        agg(top_k=3)
        agg(constraint="production", outflows=mass / 10.0)
        cost = flows.cost_matrix(m)
        dense = functools.partial(flows.interaction, mass, mass, cost, **_decay_kwargs(decay))
        dense()
        dense(constraint="doubly", outflows=mass, inflows=mass)
    flows.radiation(m, mass)
    total = mass / 10.0
    flows.balance_matrix_free(
        m, total, total, decay="exponential", scale_km=500.0, storage="recompute"
    )
    flows.balance_matrix_free(
        m, total, total, decay="exponential", scale_km=500.0, storage="float32"
    )


def _warm_tree() -> None:
    """Tree code of ``aggregate(rtol=...)``: every decay, both forms, sphere and plane."""
    m = _metros(60)
    _aggregate_forms(m, m["population"].to_numpy(dtype=float), rtol=1e-3)


def _warm_cluster() -> None:
    """Tile kernels of ``method="dask"``, in threads of this process (so in its cache)."""
    from distributed import Client

    from geoai import flows

    m = _metros()
    mass = m["population"].to_numpy(dtype=float)
    quiet = {"dashboard_address": None, "silence_logs": logging.ERROR}
    with Client(processes=False, n_workers=1, threads_per_worker=1, **quiet):  # type: ignore[no-untyped-call]  # untyped dependency
        _aggregate_forms(m, mass, method="dask")
        total = mass / 10.0
        flows.balance_matrix_free(
            m, total, total, decay="exponential", scale_km=500.0, method="dask"
        )


def _warm_calibration() -> None:
    """Poisson calibration of the four model forms on a small synthetic flow table."""
    import numpy as np
    import pandas as pd

    from geoai import flows

    n = 6
    rng = np.random.default_rng(0)
    o, d = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    keep = o.ravel() != d.ravel()
    cost = rng.uniform(10.0, 500.0, (n, n)).ravel()[keep]
    size = rng.uniform(1.0, 5.0, n)
    oi, di = o.ravel()[keep], d.ravel()[keep]
    mu = np.exp(1.0 + 0.5 * np.log(size[oi]) + 0.7 * np.log(size[di]) - 0.8 * np.log(cost))
    df = pd.DataFrame(
        {"o": oi, "d": di, "c": cost, "y": rng.poisson(mu * 50.0), "O": size[oi], "D": size[di]}
    )
    for decay in ("power", "exponential"):
        fit = functools.partial(
            flows.calibrate, df, flow="y", origin="o", destination="d", cost="c", decay=decay
        )
        fit(origin_vars=["O"], dest_vars=["D"])
        fit(dest_vars=["D"], constraint="production")
        fit(origin_vars=["O"], constraint="attraction")
        fit(constraint="doubly")


def _warm_potential() -> None:
    """Potential surfaces: the direct kernel (both grid kinds), FFT, Dask, dominance, at points."""
    from importlib.util import find_spec

    from geoai import potential
    from geoai.grid import Grid

    m = _metros()
    geo = Grid.from_bounds((-130.0, -40.0, 150.0, 60.0), 20.0, "EPSG:4326")
    plane = Grid.from_bounds((-1.5e7, -5e6, 1.5e7, 7e6), 2e6, "ESRI:54009")
    for decay in ("exponential", "gaussian", "power", "box"):
        scale = None if decay == "power" else 800.0
        beta = 2.0 if decay == "power" else None
        surface = functools.partial(
            potential.surface, m, "population", decay=decay, scale_km=scale, beta=beta
        )
        for grid in (geo, plane):
            surface(grid, method="direct")
            if find_spec("dask"):
                surface(grid, method="dask", chunks=4)
        if decay in ("exponential", "gaussian"):  # the FFT path: smooth kernels, projected grid
            surface(plane, method="fft")
        surface(geo, method="direct", dtype="float32")
        potential.dominance(m, "population", geo, decay=decay, scale_km=scale, beta=beta)
        potential.at_points(m, "population", decay=decay, scale_km=scale, beta=beta)


def _warm_stats() -> None:
    """Local Moran's I and Getis-Ord G (G* too) with their permutation nulls."""
    from geoai import stats

    m = _metros(30)
    for transform in ("r", "b"):
        stats.local_moran(m, "population", k=4, permutations=99, transform=transform)
        stats.getis_ord(m, "population", k=4, permutations=99, transform=transform)
        stats.getis_ord(m, "population", k=4, permutations=99, star=False, transform=transform)
    stats.weights(m, distance_km=2_000.0)


def _street(n: int = 6) -> object:
    """Return a two-way street of ``n`` nodes 100 m apart, 10 s a block (EPSG:3067)."""
    import networkx as nx

    g = nx.MultiDiGraph(crs="EPSG:3067")
    for i in range(n):
        g.add_node(i, x=_X0 + 100.0 * i, y=_Y0)
    for i in range(n - 1):
        for u, v in ((i, i + 1), (i + 1, i)):
            g.add_edge(u, v, travel_time=10.0, length=100.0)
    return g


def _warm_network() -> None:
    """Street-network accessibility (every decay) and single-source travel costs."""
    import geopandas as gpd
    import numpy as np

    from geoai import network

    g = _street()
    x = _X0 + 10.0 + 180.0 * np.arange(3)
    jobs = gpd.GeoDataFrame(
        {"jobs": [5.0, 3.0, 2.0]}, geometry=gpd.points_from_xy(x, np.full(3, _Y0)), crs=3067
    )
    for decay in ("exponential", "gaussian", "box"):
        network.accessibility(g, jobs, "jobs", decay=decay, scale=20.0, cutoff=60.0, progress=False)
    network.accessibility(g, jobs, "jobs", cutoff=None, progress=False)
    network.travel_costs(g, 0)
    network.travel_costs(g, 0, cutoff=30.0)


def _warm_scenario() -> None:
    """Run the scenario engine on a few metros for two years, every preset."""
    from geoai import scenario

    metros = _metros(40)
    for preset in scenario.PRESETS:
        scenario.simulate(metros, preset=preset, start=2025, end=2027)


#: The kernel families, in the order they are reported, and the calls that warm them.
FAMILIES: dict[str, Callable[[], None]] = {
    "flows": _warm_flows,
    "tree": _warm_tree,
    "cluster": _warm_cluster,
    "calibration": _warm_calibration,
    "potential": _warm_potential,
    "stats": _warm_stats,
    "network": _warm_network,
    "scenario": _warm_scenario,
}


def cache_dir() -> Path:
    """Return the folder Numba caches compiled kernels in.

    Returns
    -------
    pathlib.Path
        ``NUMBA_CACHE_DIR`` when it is set, else the ``__pycache__`` folder beside
        the kernel modules (Numba's default for an installed, writable package).

    Examples
    --------
    >>> cache_dir().name in ("__pycache__", Path(os.environ.get("NUMBA_CACHE_DIR", "x")).name)
    True
    """
    given = os.environ.get("NUMBA_CACHE_DIR")
    if given:
        return Path(given)
    import geoai.kernels

    return Path(geoai.kernels.__file__).parent / "__pycache__"


def warm_family(family: str) -> FamilyResult:
    """Run one family's warm-up calls in this process and time them.

    Parameters
    ----------
    family : str
        One of :data:`FAMILIES`.

    Returns
    -------
    FamilyResult
        The family and the seconds its calls took (compiling, or loading from the cache).

    Raises
    ------
    InputError
        If ``family`` is not one of :data:`FAMILIES`.
    """
    if family not in FAMILIES:
        raise InputError(f"unknown kernel family {family!r}: choose from {', '.join(FAMILIES)}.")
    import warnings

    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tiny inputs draw notes (few permutations, islands)
            FAMILIES[family]()
    except ImportError as exc:  # an optional extra not installed: nothing of it can run
        missing = getattr(exc, "name", None) or str(exc)
        return FamilyResult(family, time.perf_counter() - t0, skipped=f"needs {missing}")
    return FamilyResult(family, time.perf_counter() - t0)


def families(only: Iterable[str] | None = None) -> list[str]:
    """Return the families to warm, in :data:`FAMILIES` order.

    Parameters
    ----------
    only : iterable of str, optional
        Family names (blanks around them ignored, repeats merged); all families by default.

    Returns
    -------
    list of str
        The chosen names of :data:`FAMILIES`, each once, in its order.

    Raises
    ------
    InputError
        If a name is not a family, or none is given.

    Examples
    --------
    >>> families([" stats", "flows", "stats"])
    ['flows', 'stats']
    """
    if only is None:
        return list(FAMILIES)
    wanted = {name.strip() for name in only if name.strip()}
    unknown = sorted(wanted - FAMILIES.keys())
    if unknown or not wanted:
        shown = ", ".join(unknown) if unknown else "none"
        raise InputError(f"unknown kernel family: {shown}; choose from {', '.join(FAMILIES)}.")
    return [name for name in FAMILIES if name in wanted]


def warm_up(
    only: Sequence[str] | None = None,
    *,
    workers: int | None = None,
    on_done: Callable[[FamilyResult], None] | None = None,
) -> list[FamilyResult]:
    """Compile the kernels of each family into the on-disk cache, families in parallel.

    Parameters
    ----------
    only : sequence of str, optional
        The families to warm (names from :data:`FAMILIES`); all of them by default.
    workers : int, optional
        Worker processes (``spawn``); default: one per family, at most the CPU count.
        ``1`` runs the families one after another in a single worker.
    on_done : callable, optional
        Called in this process with each :class:`FamilyResult` as its family finishes
        (a progress bar's tick).

    Returns
    -------
    list of FamilyResult
        One per family, in :data:`FAMILIES` order.

    Raises
    ------
    InputError
        If a family name is unknown or ``workers`` is below 1.
    """
    names = families(only)
    n = workers if workers is not None else min(len(names), os.cpu_count() or 1)
    if n < 1:
        raise InputError(f"workers must be at least 1; got {n}.")
    results: dict[str, FamilyResult] = {}
    with ProcessPoolExecutor(max_workers=n, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(warm_family, name) for name in names]
        for future in as_completed(futures):
            result = future.result()
            results[result.family] = result
            if on_done is not None:
                on_done(result)
    return [results[name] for name in names]
