"""geoai: the computational geography of the AI economy.

Where do jobs, talent and capital go when AI automates routine office work and
augments elite work? geoai makes the competing answers computable on real
geography: spatial-interaction flows between metros, rasterized agglomeration
potential, local spatial statistics, explainable metro roles and a
year-by-year scenario engine, with outputs for QGIS.

Every subpackage and name below loads on first use (PEP 562), so ``import
geoai`` is cheap and ``geoai --help`` starts at once: ``geoai.io``,
``geoai.flows``, ``geoai.potential``, ``geoai.stats``, ``geoai.roles``,
``geoai.network``, ``geoai.scenario``, ``geoai.pipeline``, ``geoai.datasets``,
``geoai.labour``, ``geoai.grid``, ``geoai.delineation``, ``geoai.viz``,
``geoai.kernels`` and ``geoai.errors``.

Examples
--------
>>> import geoai
>>> metros = geoai.load_metros(min_population=1_000_000)
>>> len(metros) >= 500
True
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from geoai._version import __version__

# Numba's OpenMP threads spin while they wait for work; on a shared or
# oversubscribed machine (CI runners, pytest-xdist, Dask workers) that makes
# parallel kernels several times slower. Passive waiting costs microseconds per
# launch instead. A value the user already set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

#: The public subpackages and modules, loaded on first attribute access.
SUBPACKAGES = (
    "datasets",
    "delineation",
    "errors",
    "flows",
    "grid",
    "io",
    "kernels",
    "labour",
    "network",
    "pipeline",
    "potential",
    "roles",
    "scenario",
    "stats",
    "viz",
)

#: Public names of the package root -> the module that defines them.
_NAMES = {
    "ATTRIBUTION": "geoai.datasets",
    "load_countries": "geoai.datasets",
    "load_metro_panel": "geoai.datasets",
    "load_metros": "geoai.datasets",
    "sample_osm_path": "geoai.datasets",
    "link_cbsa": "geoai.datasets",
    "load_occupation_exposure": "geoai.datasets",
    "load_us_metros": "geoai.datasets",
    "load_us_occupations": "geoai.datasets",
    "Delineation": "geoai.delineation",
    "metros_from_places": "geoai.delineation",
    "BackendUnavailableError": "geoai.errors",
    "ConvergenceError": "geoai.errors",
    "CRSError": "geoai.errors",
    "GeoAIError": "geoai.errors",
    "GeoAIWarning": "geoai.errors",
    "InputError": "geoai.errors",
    "OutputError": "geoai.errors",
    "ResourceError": "geoai.errors",
    "Grid": "geoai.grid",
    "LabourAssumptions": "geoai.labour",
    "ROLES": "geoai.roles",
    "RoleThresholds": "geoai.roles",
    "classify": "geoai.roles",
    "RunResult": "geoai.pipeline",
    "run": "geoai.pipeline",
}

__all__ = [
    "ATTRIBUTION",
    "ROLES",
    "BackendUnavailableError",
    "CRSError",
    "ConvergenceError",
    "Delineation",
    "GeoAIError",
    "GeoAIWarning",
    "Grid",
    "InputError",
    "LabourAssumptions",
    "OutputError",
    "ResourceError",
    "RoleThresholds",
    "RunResult",
    "__version__",
    "classify",
    "datasets",
    "delineation",
    "errors",
    "flows",
    "grid",
    "io",
    "kernels",
    "labour",
    "link_cbsa",
    "load_countries",
    "load_metro_panel",
    "load_metros",
    "load_occupation_exposure",
    "load_us_metros",
    "load_us_occupations",
    "metros_from_places",
    "network",
    "pipeline",
    "potential",
    "roles",
    "run",
    "sample_osm_path",
    "scenario",
    "stats",
    "viz",
]


def __getattr__(name: str) -> Any:  # noqa: ANN401 - PEP 562: a subpackage or any public object
    """Load a subpackage or a public name on first use (PEP 562)."""
    if name in SUBPACKAGES:
        module = importlib.import_module(f"geoai.{name}")
        globals()[name] = module
        return module
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'geoai' has no attribute {name!r}")


def __dir__() -> list[str]:
    """Return the public face, ``__all__`` (what ``dir(geoai)`` shows)."""
    return list(__all__)


if TYPE_CHECKING:  # the names as type checkers and IDEs see them
    from geoai import (
        datasets,
        delineation,
        errors,
        flows,
        grid,
        io,
        kernels,
        labour,
        network,
        pipeline,
        potential,
        roles,
        scenario,
        stats,
        viz,
    )
    from geoai.datasets import (
        ATTRIBUTION,
        link_cbsa,
        load_countries,
        load_metro_panel,
        load_metros,
        load_occupation_exposure,
        load_us_metros,
        load_us_occupations,
        sample_osm_path,
    )
    from geoai.delineation import Delineation, metros_from_places
    from geoai.errors import (
        BackendUnavailableError,
        ConvergenceError,
        CRSError,
        GeoAIError,
        GeoAIWarning,
        InputError,
        OutputError,
        ResourceError,
    )
    from geoai.grid import Grid
    from geoai.labour import LabourAssumptions
    from geoai.pipeline import RunResult, run
    from geoai.roles import ROLES, RoleThresholds, classify
