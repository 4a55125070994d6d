"""The theses as named parameter sets (no separate code paths).

Each preset is a set of overrides on :class:`ScenarioParams` with a paragraph
saying which claims of which seed document it encodes. Numbers the seeds give
are used as given; the rest are assumptions chosen to express the claim, and
every one can be overridden (``simulate(preset=..., **overrides)`` or a TOML
job file).
"""

from __future__ import annotations

from dataclasses import dataclass

from geoai.scenario.params import AI_POOL_COMPANY_ARITHMETIC, ScenarioParams

__all__ = ["PRESETS", "Preset", "preset"]


@dataclass(frozen=True)
class Preset:
    """A named thesis: its overrides and the claims they encode.

    Attributes
    ----------
    name : str
        The preset's name, a key of :data:`PRESETS`.
    source : str
        The seed document it encodes (``"none"`` for the baseline).
    description : str
        The thesis and what each override stands for.
    overrides : dict of str to float
        Values of :class:`ScenarioParams` fields that differ from the defaults.

    Examples
    --------
    >>> exodus = PRESETS["exodus"]
    >>> exodus.source, exodus.overrides["remote_share"]
    ('seed 001', 0.6)
    """

    name: str
    source: str
    description: str
    overrides: dict[str, float]

    def params(self, **overrides: float) -> ScenarioParams:
        """Return the preset's parameters, with further overrides on top.

        Parameters
        ----------
        **overrides : float
            ``name=value`` for fields of :class:`ScenarioParams`, applied after the preset's.

        Returns
        -------
        ScenarioParams
            Defaults, then the preset's overrides, then these.

        Examples
        --------
        >>> p = PRESETS["exodus"].params(mobility=0.05)
        >>> p.remote_share, p.mobility
        (0.6, 0.05)
        """
        return ScenarioParams().replace(**{**self.overrides, **overrides})


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "baseline",
            "none",
            "No AI shock: no automation, the pool of AI-leveraged roles stays at its start "
            "size, distance still matters as today and no premium or penalty phases in. The "
            "start year is the observed world and a spatial equilibrium, and every metro grows "
            "as the UN projects it, so the other presets are read against the UN's world.",
            {
                "automation_ceiling": 0.0,
                "ai_pool_max": 1_000_000.0,
                "colocation_premium": 1.0,
                "specialisation_elasticity": 0.0,
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
            "coordination work is automated (automation ceiling 0.9 of the routine-exposed "
            "jobs, which are about half of office jobs; saturating in the 2040s); what remains "
            "becomes a few million well-paid AI-leveraged roles world-wide (pool 5 M, the "
            "seed's company arithmetic; its other figure, < 100 M, cannot fit in 'three to "
            "five hyper-metropolises': override ai_pool_max=1e8 to see it spread), converted "
            "from augmentable jobs rather than added, clustering in a few hyper-metropolises "
            "(co-location premium 2.5, the middle of docs/model.md's 2-3: winner-take-most). "
            "Over-leveraged states absorb less unemployment (fiscal base 3% of the labour "
            "force); 'when politics breaks, capital flees' toward balance-sheet nations "
            "(stability weight 1 on NIIP/GDP: a creditor at +100% of GDP is e times as "
            "attractive; fracture penalty 0.8). The jobless keep little income (replacement "
            "0.2), so lost office wages cut local services; distance and borders keep "
            "mattering ('the myth of the digital-nomad future': no remote share). Which metros "
            "win is decided by the fiscal block more than by co-location: with a shock this "
            "size most countries' buffers are exceeded and the creditor city-states the seed "
            "names (Hong Kong, Singapore, Tokyo) keep the AI roles; with stability_weight=0 "
            "and fracture_penalty=0 the winners are the co-location ones (New York, Shanghai, "
            "San Jose).",
            {
                "automation_ceiling": 0.9,
                "adoption_midpoint": 2033.0,
                "ai_pool_max": AI_POOL_COMPANY_ARITHMETIC,
                "colocation_premium": 2.5,
                "capital_elasticity": 0.5,
                "fiscal_base": 0.03,
                "stability_weight": 1.0,
                "fracture_penalty": 0.8,
                "remote_share": 0.0,
                "mobility": 0.08,
                "income_replacement": 0.2,
                "unemployed_outmigration": 0.05,
            },
        ),
        Preset(
            "exodus",
            "seed 001",
            "Seed 001, 'leaving the city behind': AI-enabled remote work lets knowledge "
            "workers 'set down roots far from the urban sprawl' (remote share 0.6: that "
            "share of AI roles is done wherever the talent lives, the distance decay of moves "
            "lengthens 2.5 times and an outside-the-metros option opens), commercial rents "
            "drop and talent drains from big, expensive metros to smaller cities and rural "
            "regions (congestion exponent 1, higher mobility); AI roles follow talent rather "
            "than density (co-location premium 0.5); automation is milder (ceiling 0.3).",
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
            "superstar hubs with AI talent and specialised inputs (co-location premium 1.5, "
            "'winner-take-most'; specialisation elasticity 1: metros already dense in AI roles "
            "pull more) while it substitutes for routine work in back-office secondary cities "
            "(automation exposure rises with the metro's routine-exposed share of office "
            "jobs, elasticity 2); automation capital is cost-sensitive and seeks cheaper "
            "places among those with AI roles (cost seeking 0.5) and creates few jobs; "
            "hybrid work keeps the co-location premium (no remote share).",
            {
                "automation_ceiling": 0.35,
                "ai_pool_max": 30_000_000.0,
                "colocation_premium": 1.5,
                "specialisation_elasticity": 1.0,
                "exposure_elasticity": 2.0,
                "cost_seeking": 0.5,
                "remote_share": 0.0,
            },
        ),
    )
}


def preset(name: str, **overrides: float) -> ScenarioParams:
    """Parameters of a named preset, with overrides.

    Examples
    --------
    >>> from geoai.scenario import preset
    >>> preset("concentration").automation_ceiling
    0.9
    >>> preset("exodus", remote_share=0.4).remote_share
    0.4
    """
    from geoai.scenario._checks import check_preset

    check_preset(name, PRESETS)
    return PRESETS[name].params(**overrides)
