"""The start state of a sweep's runs, prepared once: the runs share metros and countries.

:func:`geoai.scenario.start.prepare_world` checks and aligns the metros and the
countries of a run (about 20 ms for the embedded metros); a sweep's runs (the
sensitivity analysis makes about 140 per job) all start from the same two
tables and differ only in their parameters, of which the start depends on one,
``max_employment_rate``. Inside :func:`shared_worlds` (which
:func:`geoai.scenario.sweep` enters around its runs on a local scheduler) each
(metros, countries, cap) is prepared once and the later runs take the same
:class:`~geoai.scenario.start.World`; outside it every run prepares its own, as
before. The engine copies what it changes from the world, so a shared world
gives the same runs (tests/scenario/test_sensitivity.py checks it).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    import geopandas as gpd
    import pandas as pd

    from geoai.scenario.start import World

__all__ = ["prepared", "shared_worlds"]


class _Shared:
    """The worlds of the sweeps now running (``None`` when none is), and how many run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        #: by (id of metros, id of countries, cap): the two tables (kept alive, so
        #: their ids stay theirs) and the world prepared from them
        self.worlds: dict[tuple[int, int, float], tuple[object, object, World]] | None = None


_SHARED = _Shared()


@contextmanager
def shared_worlds() -> Iterator[None]:
    """Let the runs started inside the block share each world they prepare.

    Re-entrant and safe across threads (the threads scheduler runs a sweep's runs
    in a pool); the worlds are dropped when the last block exits.
    """
    with _SHARED.lock:
        if _SHARED.depth == 0:
            _SHARED.worlds = {}
        _SHARED.depth += 1
    try:
        yield
    finally:
        with _SHARED.lock:
            _SHARED.depth -= 1
            if _SHARED.depth == 0:
                _SHARED.worlds = None


def prepared(
    metros: gpd.GeoDataFrame, countries: pd.DataFrame, *, max_employment_rate: float
) -> World:
    """Return :func:`~geoai.scenario.start.prepare_world` of the tables, shared within a sweep.

    Parameters
    ----------
    metros : geopandas.GeoDataFrame
        The run's metros (the same object for every run of a sweep).
    countries : pandas.DataFrame
        The run's countries, likewise.
    max_employment_rate : float
        Most jobs per resident (share).

    Returns
    -------
    World
        The start; inside :func:`shared_worlds`, the one an earlier run with the
        same two objects and cap prepared, if any.
    """
    from geoai.scenario import engine

    worlds = _SHARED.worlds
    if worlds is None:
        return engine.prepare_world(metros, countries, max_employment_rate=max_employment_rate)
    key = (id(metros), id(countries), float(max_employment_rate))
    with _SHARED.lock:  # held while preparing: a second thread waits for the first's world
        hit = worlds.get(key)
        if hit is not None and hit[0] is metros and hit[1] is countries:
            return hit[2]
        world = engine.prepare_world(metros, countries, max_employment_rate=max_employment_rate)
        worlds[key] = (metros, countries, world)
    return world
