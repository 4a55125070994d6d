"""Scenarios: the seed documents' theses as a year-by-year simulation.

``simulate(preset=...)`` runs one thesis on the world's metros; presets are
parameter sets (:mod:`geoai.scenario.presets`), every parameter documented
with unit and source (:mod:`geoai.scenario.params`); the start is the
observed world (:mod:`geoai.scenario.start`), the equations are in
:mod:`geoai.scenario.engine` and docs/model.md; :func:`sensitivity` bands the
headlines and :func:`seed_arithmetic` sets the seeds' own numbers beside the
model's.
"""

from __future__ import annotations

from geoai.scenario.compare import compare, compare_figure
from geoai.scenario.params import (
    AI_POOL_AI_LEVERAGED,
    AI_POOL_COMPANY_ARITHMETIC,
    ScenarioParams,
)
from geoai.scenario.presets import PRESETS, Preset, preset
from geoai.scenario.seeds import seed_arithmetic
from geoai.scenario.sensitivity import Screening, bands, candidates, screen, sensitivity
from geoai.scenario.simulation import Simulation, simulate, theil
from geoai.scenario.sweep import SweepResult, sweep

__all__ = [
    "AI_POOL_AI_LEVERAGED",
    "AI_POOL_COMPANY_ARITHMETIC",
    "PRESETS",
    "Preset",
    "ScenarioParams",
    "Screening",
    "Simulation",
    "SweepResult",
    "bands",
    "candidates",
    "compare",
    "compare_figure",
    "preset",
    "screen",
    "seed_arithmetic",
    "sensitivity",
    "simulate",
    "sweep",
    "theil",
]
