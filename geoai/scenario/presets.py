"""The theses as named parameter sets (no separate code paths).

Each preset is a set of overrides on :class:`ScenarioParams` with a paragraph
saying which claims of which seed document it encodes. Numbers the seeds give
are used as given; the rest are assumptions chosen to express the claim, and
every one can be overridden (``simulate(preset=..., **overrides)`` or a TOML
job file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geoai.errors import InputError
from geoai.scenario.params import AI_POOL_AI_LEVERAGED, ScenarioParams

__all__ = ["PRESETS", "Preset", "preset"]


@dataclass(frozen=True)
class Preset:
    """A named thesis: its overrides and the claims they encode."""

    name: str
    source: str
    description: str
    overrides: dict[str, float]

    def params(self, **overrides: Any) -> ScenarioParams:
        """Return the preset's parameters, with further overrides on top."""
        return ScenarioParams().replace(**{**self.overrides, **overrides})


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "baseline",
            "none",
            "No AI shock: no automation, the pool of AI-leveraged roles stays at its start "
            "size, distance still matters as today and no premium or penalty phases in. The "
            "start year is a spatial equilibrium, so nothing structural changes; the other "
            "presets are read against it.",
            {
                "automation_ceiling": 0.0,
                "ai_pool_max": 1_000_000.0,
                "colocation_premium": 1.0,
                "remote_share": 0.0,
                "congestion": 0.0,
                "outside_pull": 0.0,
                "stability_weight": 0.0,
                "cost_seeking": 0.0,
            },
        ),
        Preset(
            "concentration",
            "seed 000",
            "Seed 000, 'AI concentrates civilization': roughly half of white-collar "
            "coordination work is automated (automation ceiling 0.5, saturating in the "
            "2040s); of the remainder, < 100 M roles are truly AI-leveraged (pool 100 M; the "
            "seed's company arithmetic gives 5 M: override ai_pool_max=5e6) and they cluster "
            "in three to five hyper-metropolises (co-location premium 3, the top of "
            "MODEL.md's 2-3: winner-take-most). Over-leveraged states absorb less "
            "unemployment (fiscal base 3% of the labour force); 'when politics breaks, "
            "capital flees' toward balance-sheet nations (stability weight 1 on NIIP/GDP: a "
            "creditor at +100% of GDP is e times as attractive; fracture penalty 0.8). The "
            "new jobs are too few to re-employ the displaced (3% a year), whose lost wages "
            "cut local services; distance and borders keep mattering ('the myth of the "
            "digital-nomad future': no remote share).",
            {
                "automation_ceiling": 0.5,
                "adoption_midpoint": 2033.0,
                "ai_pool_max": AI_POOL_AI_LEVERAGED,
                "colocation_premium": 3.0,
                "capital_elasticity": 0.5,
                "fiscal_base": 0.03,
                "stability_weight": 1.0,
                "fracture_penalty": 0.8,
                "remote_share": 0.0,
                "mobility": 0.08,
                "border_friction": 0.4,
                "unemployed_outmigration": 0.05,
                "reemployment_rate": 0.03,
                "local_loss_per_displaced": 0.5,
            },
        ),
        Preset(
            "exodus",
            "seed 001",
            "Seed 001, 'leaving the city behind': AI-enabled remote work lets knowledge "
            "workers 'set down roots far from the urban sprawl' (remote share 0.6: that "
            "share of AI roles is done wherever the talent lives, distance decay flattens "
            "and an outside-the-metros option opens), commercial rents drop and talent "
            "drains from big, expensive metros to smaller cities and rural regions "
            "(congestion exponent 1, higher mobility); AI roles follow talent "
            "rather than density (co-location premium 0.5); automation is milder (ceiling 0.3).",
            {
                "automation_ceiling": 0.3,
                "ai_pool_max": 20_000_000.0,
                "colocation_premium": 0.5,
                "remote_share": 0.6,
                "congestion": 1.0,
                "mobility": 0.15,
                "outside_pull": 0.3,
                "capital_reach": 0.5,
            },
        ),
        Preset(
            "divergence",
            "seed 002",
            "Seed 002, the Brookings 'superstar metro' picture: AI augments elite work in "
            "superstar hubs (co-location premium 1.5, 'winner-take-most') while it "
            "substitutes for routine work in back-office secondary cities (automation "
            "exposure rises with the routine share, elasticity 2); automation capital is "
            "cost-sensitive and seeks cheap locations (cost seeking 1.0) and creates few jobs; "
            "hybrid work keeps the co-location premium (no remote share).",
            {
                "automation_ceiling": 0.35,
                "ai_pool_max": 30_000_000.0,
                "colocation_premium": 1.5,
                "exposure_elasticity": 2.0,
                "cost_seeking": 1.0,
                "remote_share": 0.0,
            },
        ),
    )
}


def preset(name: str, **overrides: Any) -> ScenarioParams:
    """Parameters of a named preset, with overrides.

    Examples
    --------
    >>> from geoai.scenario import preset
    >>> preset("concentration").automation_ceiling
    0.5
    >>> preset("exodus", remote_share=0.4).remote_share
    0.4
    """
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}.")
    return PRESETS[name].params(**overrides)
