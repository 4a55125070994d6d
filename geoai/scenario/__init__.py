"""Scenarios: the seed documents' theses as a year-by-year simulation.

``simulate(preset=...)`` runs one thesis on the world's metros; presets are
parameter sets (:mod:`geoai.scenario.presets`), every parameter documented
with unit and source (:mod:`geoai.scenario.params`); the equations are in
:mod:`geoai.scenario.engine`.
"""

from __future__ import annotations

from geoai.scenario.compare import compare, compare_figure
from geoai.scenario.params import (
    AI_POOL_AI_LEVERAGED,
    AI_POOL_COMPANY_ARITHMETIC,
    ScenarioParams,
)
from geoai.scenario.presets import PRESETS, Preset, preset
from geoai.scenario.simulation import Simulation, simulate, theil
from geoai.scenario.sweep import SweepResult, sweep

__all__ = [
    "AI_POOL_AI_LEVERAGED",
    "AI_POOL_COMPANY_ARITHMETIC",
    "PRESETS",
    "Preset",
    "ScenarioParams",
    "Simulation",
    "SweepResult",
    "compare",
    "compare_figure",
    "preset",
    "simulate",
    "sweep",
    "theil",
]
