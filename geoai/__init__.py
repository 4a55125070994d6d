"""geoai: the computational geography of the AI economy.

Where do jobs, talent and capital go when AI automates routine office work and
augments elite work? geoai makes the competing answers computable on real
geography: spatial-interaction flows between metros, rasterized agglomeration
potential, local spatial statistics, explainable metro roles and a
year-by-year scenario engine, with outputs for QGIS.

Examples
--------
>>> import geoai
>>> metros = geoai.load_metros(min_population=1_000_000)
>>> len(metros) >= 500
True
"""

from __future__ import annotations

import os

# Numba's OpenMP threads spin while they wait for work; on a shared or
# oversubscribed machine (CI runners, pytest-xdist, Dask workers) that makes
# parallel kernels several times slower. Passive waiting costs microseconds per
# launch instead. A value the user already set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from geoai import errors, flows, network, potential, roles, scenario, stats, viz
from geoai.classify import ROLES, RoleThresholds, classify
from geoai.datasets import (
    ATTRIBUTION,
    load_countries,
    load_metro_panel,
    load_metros,
    sample_osm_path,
)
from geoai.datasets._us import (
    link_cbsa,
    load_occupation_exposure,
    load_us_metros,
    load_us_occupations,
)
from geoai.delineation import Delineation, metros_from_places
from geoai.errors import (
    BackendUnavailableError,
    ConvergenceError,
    CRSError,
    GeoAIError,
    GeoAIWarning,
    InputError,
)
from geoai.grid import Grid
from geoai.labour import LabourAssumptions
from geoai.pipeline import RunResult, run

__version__ = "0.1.0"

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
    "RoleThresholds",
    "RunResult",
    "__version__",
    "classify",
    "errors",
    "flows",
    "link_cbsa",
    "load_countries",
    "load_metro_panel",
    "load_metros",
    "load_occupation_exposure",
    "load_us_metros",
    "load_us_occupations",
    "metros_from_places",
    "network",
    "potential",
    "roles",
    "run",
    "sample_osm_path",
    "scenario",
    "stats",
    "viz",
]
