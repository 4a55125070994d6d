"""The scenario's parameters: one typed, immutable, documented set.

Every field carries its unit and the source or reasoning behind its default
(``metadata``), shown by :meth:`ScenarioParams.describe` and written into the
report. Most defaults are **assumptions**: the seeds make qualitative claims,
and the few numbers they give (seed 000: half of white-collar work automated,
5 M or < 100 M AI-leveraged roles, NIIP figures) are used as given.

Shock parameters phase in with AI adoption: a parameter ``p`` with start
value ``p0`` takes ``p0 + (p - p0) s(t)`` in year ``t``, where ``s(t)`` is the
adoption curve rescaled to 0 in the start year and 1 at saturation. So every
preset starts from the same state and ``baseline`` (no shock) stays in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError

__all__ = [
    "AI_POOL_AI_LEVERAGED",
    "AI_POOL_COMPANY_ARITHMETIC",
    "ScenarioParams",
]

#: Seed 000's company arithmetic: 9,000 service verticals × 5 firms × 100 staff ≈ 5 M roles.
AI_POOL_COMPANY_ARITHMETIC = 5_000_000.0
#: Seed 000's upper figure: "< 100 million are true AI-leveraged roles".
AI_POOL_AI_LEVERAGED = 100_000_000.0


def _p(default: Any, unit: str, source: str, kind: str = "share") -> Any:
    """Declare a parameter field with its unit, source and validation kind."""
    return field(default=default, metadata={"unit": unit, "source": source, "kind": kind})


@dataclass(frozen=True)
class ScenarioParams:
    """Parameters of :func:`geoai.scenario.simulate` (MODEL.md, with the changes documented there).

    See :meth:`describe` for every field's unit and source. Build variants
    with :meth:`replace` (unknown names are an error) or from a TOML table
    with :meth:`from_toml`.
    """

    # --- adoption and automation (MODEL step 1)
    automation_ceiling: float = _p(
        0.3, "share of routine jobs", "assumption; seed 000 claims 0.5 (concentration preset)"
    )
    adoption_midpoint: float = _p(2035.0, "year", "assumption: mid-2030s diffusion", "year")
    adoption_steepness: float = _p(
        0.3, "1/year", "assumption: ~15 years from 10% to 90% of the ceiling", "positive"
    )
    exposure_elasticity: float = _p(
        0.0,
        "elasticity",
        "seed 002: back-office (high routine share) places automate more; 0 = uniform",
        "nonnegative",
    )
    reemployment_rate: float = _p(
        0.2, "share/year", "assumption: a fifth of the displaced find local work each year"
    )
    unemployed_outmigration: float = _p(
        0.05, "share/year", "assumption: the jobless who leave the metro system each year"
    )
    local_loss_per_displaced: float = _p(
        0.3,
        "local jobs per displaced job",
        "assumption: lost office wages cut local services (below the Moretti multiplier)",
        "nonnegative",
    )
    local_multiplier: float = _p(
        2.5,
        "local jobs per AI job",
        "Moretti (2010): ~1.6 local jobs per tradable job, ~2.5 per skilled one, ~5 per high-tech",
        "nonnegative",
    )
    # --- AI-leveraged roles (MODEL step 3)
    ai_jobs_start: float = _p(
        1_000_000.0,
        "jobs",
        "assumption: AI-leveraged roles worldwide in the start year",
        "positive",
    )
    ai_pool_max: float = _p(
        20_000_000.0,
        "jobs",
        "seed 000 gives 5 M (company arithmetic) or < 100 M; 20 M is an assumption between",
        "positive",
    )
    colocation_premium_start: float = _p(
        1.0, "exponent", "assumption: AI jobs proportional to potential today", "nonnegative"
    )
    colocation_premium: float = _p(
        1.0,
        "exponent",
        "seed 002's co-location premium; > 1 winner-take-most (theta in MODEL.md)",
        "nonnegative",
    )
    ai_adjustment: float = _p(0.3, "share/year", "assumption: partial adjustment eta")
    capital_elasticity: float = _p(
        0.5,
        "elasticity",
        "assumption: AI jobs follow AI capital (seed 000: capital is a magnet for AI jobs)",
        "nonnegative",
    )
    potential_scale_km: float = _p(
        100.0, "km", "assumption: knowledge spillovers at commuting range", "positive"
    )
    talent_share: float = _p(
        0.25, "talent per augmentable job", "MODEL.md (h), assumption", "nonnegative"
    )
    talent_scaling: float = _p(
        0.1, "exponent", "urban scaling of skills (Bettencourt et al. 2007), MODEL.md", "real"
    )
    # --- talent flows (MODEL step 4)
    mobility: float = _p(0.05, "share of talent/year", "assumption: movers considered each year")
    talent_decay_km: float = _p(500.0, "km", "assumption: migration distance decay", "positive")
    remote_share: float = _p(
        0.0,
        "share",
        "seed 001: remote work (r): that share of AI roles is done where talent lives, and "
        "distance matters less for moves",
        "share",
    )
    border_friction: float = _p(
        0.3, "factor", "assumption: international moves at 30% of domestic ones", "share"
    )
    attractiveness_exponent: float = _p(
        1.0, "exponent", "assumption (alpha in MODEL.md)", "nonnegative"
    )
    opportunity_floor: float = _p(
        0.02, "AI jobs per talent", "assumption: other opportunities than AI roles", "positive"
    )
    congestion: float = _p(
        0.0, "exponent", "seed 001: rents and congestion push talent out (psi)", "nonnegative"
    )
    outside_pull: float = _p(
        0.0,
        "share of metros' attractiveness",
        "seed 001: remote workers leave for small towns and rural areas (the sink)",
        "nonnegative",
    )
    household_size: float = _p(
        2.0, "people per mover", "assumption: movers bring dependants", "positive"
    )
    # --- capital flows (MODEL step 5)
    capital_world: float = _p(
        1.0e12, "USD", "assumption: world AI capital stock in the start year", "positive"
    )
    capital_scaling: float = _p(
        1.15, "exponent", "superlinear urban output (Bettencourt et al. 2007)", "real"
    )
    investable_share: float = _p(0.1, "share/year", "assumption: capital re-allocated each year")
    capital_decay_km: float = _p(
        3000.0, "km", "assumption: capital is far more mobile than people", "positive"
    )
    capital_reach: float = _p(
        0.3, "share", "assumption: distance-free share of capital allocation", "share"
    )
    home_bias: float = _p(
        0.5, "factor", "assumption: cross-border investment at half the domestic weight", "share"
    )
    capital_floor: float = _p(1000.0, "AI jobs", "assumption (epsilon_K)", "positive")
    capital_growth: float = _p(0.05, "share/year", "assumption", "nonnegative")
    cost_seeking: float = _p(
        0.0,
        "elasticity",
        "seed 002: automation capital seeks low cost (cheap land, energy)",
        "nonnegative",
    )
    # --- fiscal stress and fracture (MODEL step 6)
    fiscal_base: float = _p(
        0.05, "share of labour force", "assumption: unemployment shock absorbed by any state"
    )
    fiscal_niip: float = _p(
        0.05, "per unit NIIP/GDP", "assumption: creditors absorb more (seed 000)", "real"
    )
    fiscal_income: float = _p(0.01, "per log unit of GDP per capita", "assumption", "real")
    fracture_penalty: float = _p(
        0.5, "share", "seed 000: fracture drives capital and AI jobs away (chi)"
    )
    stability_weight: float = _p(
        0.0, "per unit NIIP/GDP", "seed 000: capital seeks creditor nations (kappa)", "nonnegative"
    )
    shock_sd: float = _p(
        0.0,
        "log-sd/year",
        "assumption: idiosyncratic yearly shocks to attractiveness (0 = deterministic)",
        "nonnegative",
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"parameter {f.name} must be a number; got {value!r}.")
            value = float(value)
            if not math.isfinite(value):
                raise InputError(f"parameter {f.name} must be finite; got {value!r}.")
            kind = f.metadata["kind"]
            if kind == "share" and not 0.0 <= value <= 1.0:
                raise InputError(
                    f"parameter {f.name} is a share and must lie in [0, 1]; got {value}."
                )
            if kind == "positive" and value <= 0:
                raise InputError(f"parameter {f.name} must be > 0; got {value}.")
            if kind == "nonnegative" and value < 0:
                raise InputError(f"parameter {f.name} must be >= 0 (a rate); got {value}.")
        if self.ai_pool_max < self.ai_jobs_start:
            raise InputError(
                f"ai_pool_max ({self.ai_pool_max:,.0f}) must be at least ai_jobs_start "
                f"({self.ai_jobs_start:,.0f})."
            )

    def replace(self, **overrides: Any) -> ScenarioParams:
        """Return a copy with some fields changed; unknown names are an error."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise InputError(
                f"unknown scenario parameter(s) {unknown}; see ScenarioParams.describe() for the "
                f"{len(known)} names."
            )
        return replace(self, **overrides)

    @classmethod
    def from_toml(cls, path: str | Path, *, table: str = "scenario", base: Any = None) -> Any:
        """Read overrides from ``[table]`` of a TOML file onto ``base`` (default: defaults)."""
        p = Path(path)
        values = v.read_toml(p).get(table, {})
        if not isinstance(values, dict):
            raise InputError(f"[{table}] in {p.name} must be a table of parameter = value.")
        start = base if base is not None else cls()
        return start.replace(**values)

    def describe(self) -> pd.DataFrame:
        """Every parameter with its value, unit and source (for reports)."""
        return pd.DataFrame(
            [
                {
                    "parameter": f.name,
                    "value": getattr(self, f.name),
                    "unit": f.metadata["unit"],
                    "source": f.metadata["source"],
                }
                for f in fields(self)
            ]
        ).set_index("parameter")
