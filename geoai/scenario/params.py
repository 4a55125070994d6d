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

import difflib
import math
import numbers
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError

__all__ = [
    "AI_CAPITAL_WORLD",
    "AI_POOL_AI_LEVERAGED",
    "AI_POOL_COMPANY_ARITHMETIC",
    "ScenarioParams",
]

#: Seed 000's company arithmetic: 9,000 service verticals × 5 firms × 100 staff ≈ 5 M roles.
AI_POOL_COMPANY_ARITHMETIC = 5_000_000.0
#: Seed 000's upper figure: "< 100 million are true AI-leveraged roles".
AI_POOL_AI_LEVERAGED = 100_000_000.0
#: World AI capital at the start (USD): private AI investment 2013-2024 from the Stanford AI
#: Index 2025, its 15 listed countries over one minus the rest of the world's 2024 share
#: (:func:`geoai.scenario.start.ai_investment_stock`; a test recomputes it).
AI_CAPITAL_WORLD = 7.557e11


#: The range of a parameter that is a calendar year (the adoption midpoint).
YEARS = (1900.0, 2300.0)


def _number(name: str, value: object) -> float:
    """Return a parameter's value as a finite float, or raise InputError naming the field."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        shown = repr(value) if len(repr(value)) <= 60 else f"a {type(value).__name__}"
        raise InputError(f"parameter {name} must be a real number; got {shown}.")
    try:
        number = float(value)
    except OverflowError:  # an int of hundreds of digits
        number = math.inf
    if not math.isfinite(number):
        shown = "an integer too large for a float" if isinstance(value, int) else repr(value)
        raise InputError(f"parameter {name} must be finite; got {shown}.")
    return number


def _p(default: float, unit: str, source: str, kind: str = "share") -> float:
    """Declare a parameter field with its unit, source and validation kind.

    Returns the :func:`dataclasses.field` (typed as its default, as ``field`` itself is).
    """
    return field(default=default, metadata={"unit": unit, "source": source, "kind": kind})


@dataclass(frozen=True)
class ScenarioParams:
    """Parameters of :func:`geoai.scenario.simulate` (the equations are in docs/model.md).

    See :meth:`describe` for every field's unit and source. Build variants
    with :meth:`replace` (unknown names are an error) or from a TOML table
    with :meth:`from_toml`.

    Examples
    --------
    >>> p = ScenarioParams(mobility=0.1)
    >>> p.mobility, p.describe().loc["mobility", "unit"]
    (0.1, 'share of talent/year')
    """

    # --- adoption and automation (step 2)
    automation_ceiling: float = _p(
        0.3,
        "share of routine-exposed jobs",
        "assumption; seed 000's 'half of white-collar work' is about 0.9 here (routine-exposed "
        "jobs are about half of office jobs in the labour columns)",
    )
    adoption_midpoint: float = _p(2035.0, "year", "assumption: mid-2030s diffusion", "year")
    adoption_steepness: float = _p(
        0.3, "1/year", "assumption: ~15 years from 10% to 90% of the ceiling", "positive"
    )
    exposure_elasticity: float = _p(
        0.0,
        "elasticity",
        "seed 002: metros with a high routine-exposed share of office jobs (back offices) "
        "automate more; 0 = every metro loses the same share",
        "nonnegative",
    )
    # --- labour market closure (step 6)
    max_employment_rate: float = _p(
        0.7,
        "jobs per resident",
        "commuting stays within the agglomeration: jobs held by residents cannot exceed this "
        "share of them (US metros: 0.27-0.81 observed over UN populations; world 0.43, ILO)",
    )
    local_income_elasticity: float = _p(
        1.0,
        "elasticity",
        "economic base model: local services follow residents' income (1: in proportion); "
        "with OEWS wages a new AI-leveraged role then supports w_X L / Y local jobs, about 3 in "
        "US metros (Moretti 2010: ~2.5 per skilled tradable job, ~5 per high-tech one)",
        "nonnegative",
    )
    income_replacement: float = _p(
        0.3,
        "share of a lost routine wage",
        "assumption: benefits and savings keep ~30% of a displaced worker's spending (OECD net "
        "replacement rates of the long-term unemployed are mostly 10-50%)",
    )
    vacancy_inmigration: float = _p(
        0.3,
        "workers/year per unfilled job",
        "assumption: a metro whose labour demand exceeds its labour force draws that share of the "
        "gap each year from outside the metro system (smaller towns, rural areas), with households",
    )
    max_inmigration: float = _p(
        0.05,
        "share of residents/year",
        "most residents vacancies can draw from outside in a year: UN WUP 2018, the median "
        "agglomeration of >= 1 M grows at most 4.3 % in its fastest year of 1990-2035, and 99 % "
        "of agglomeration-years grow by less than 12 %",
    )
    unemployed_outmigration: float = _p(
        0.05,
        "share/year",
        "assumption: the jobless who leave the metro system each year, with their households",
    )
    # --- AI-leveraged roles (step 3)
    ai_jobs_start: float = _p(
        1_000_000.0,
        "jobs, world",
        "assumption: AI-leveraged roles worldwide in the start year; the input metros get their "
        "share (AI Index country shares, then observed AI talent or modelled office jobs)",
        "positive",
    )
    ai_pool_max: float = _p(
        20_000_000.0,
        "jobs, world",
        "seed 000 gives 5 M (company arithmetic) or < 100 M; 20 M is an assumption between",
        "positive",
    )
    colocation_premium_start: float = _p(
        1.0,
        "exponent",
        "AI roles follow talent potential in proportion at the start (the observed allocation "
        "is the start; this is the elasticity of its change)",
        "nonnegative",
    )
    colocation_premium: float = _p(
        1.0,
        "exponent",
        "seed 002's co-location premium; > 1 winner-take-most (theta in docs/model.md)",
        "nonnegative",
    )
    specialisation_elasticity: float = _p(
        0.0,
        "elasticity",
        "seed 002: augmentation favours metros already specialised in AI (AI roles per job at the "
        "start, relative to the mean); 0 = no extra pull",
        "nonnegative",
    )
    ai_adjustment: float = _p(0.3, "share/year", "assumption: partial adjustment eta")
    capital_elasticity: float = _p(
        0.5,
        "elasticity",
        "assumption: AI roles follow AI capital (seed 000: capital is a magnet for AI jobs)",
        "nonnegative",
    )
    potential_scale_km: float = _p(
        100.0, "km", "assumption: knowledge spillovers at commuting range", "positive"
    )
    # --- talent flows (step 4)
    mobility: float = _p(0.05, "share of talent/year", "assumption: movers considered each year")
    talent_decay_km: float = _p(500.0, "km", "assumption: migration distance decay", "positive")
    remote_share: float = _p(
        0.0,
        "share",
        "seed 001: remote work (r): that share of AI roles is done where talent lives, and the "
        "distance decay of moves lengthens to talent_decay_km / (1 - r)",
        "share",
    )
    border_friction: float = _p(
        0.02,
        "factor",
        "border effect: an international move at 2% of a domestic one at the same distance; "
        "Helliwell (1997, 1998) finds border effects for migration well above the ~20 McCallum "
        "(1995) found for trade",
        "share",
    )
    attractiveness_exponent: float = _p(
        1.0, "exponent", "assumption (alpha in docs/model.md)", "nonnegative"
    )
    opportunity_floor: float = _p(
        0.02, "AI roles per talent", "assumption: other opportunities than AI roles", "positive"
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
    # --- capital flows (step 5)
    capital_world: float = _p(
        AI_CAPITAL_WORLD,
        "USD, world",
        "Stanford AI Index 2025: private AI investment 2013-2024 (the stock of AI capital at "
        "the start; the rest of the world as in 2024); the input metros get their share",
        "positive",
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
    capital_floor: float = _p(
        0.01,
        "share of the mean metro's AI roles",
        "assumption (epsilon_K): capital needs AI roles to use it, so a metro without them "
        "attracts little however cheap",
        "positive",
    )
    capital_growth: float = _p(0.05, "share/year", "assumption", "nonnegative")
    cost_seeking: float = _p(
        0.0,
        "elasticity",
        "seed 002: automation capital seeks low cost (labour cost: national GDP per capita)",
        "nonnegative",
    )
    # --- fiscal stress and fracture (step 7)
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
    # --- population (natural growth) and noise
    growth_halflife: float = _p(
        15.0,
        "years",
        "assumption: after 2035 (the end of the UN projections) each metro's 2030-2035 growth "
        "rate halves every this many years",
        "positive",
    )
    shock_sd: float = _p(
        0.0,
        "log-sd/year",
        "assumption: idiosyncratic yearly shocks to attractiveness (0 = deterministic)",
        "nonnegative",
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = _number(f.name, getattr(self, f.name))
            object.__setattr__(self, f.name, value)  # numpy scalars and ints become floats
            kind = f.metadata["kind"]
            if kind == "share" and not 0.0 <= value <= 1.0:
                raise InputError(
                    f"parameter {f.name} is a share and must lie in [0, 1]; got {value}."
                )
            if kind == "positive" and value <= 0:
                raise InputError(f"parameter {f.name} must be > 0; got {value}.")
            if kind == "nonnegative" and value < 0:
                raise InputError(f"parameter {f.name} must be >= 0 (a rate); got {value}.")
            if kind == "year" and not YEARS[0] <= value <= YEARS[1]:
                raise InputError(
                    f"parameter {f.name} is a year and must lie in [{YEARS[0]}, {YEARS[1]}]; "
                    f"got {value}."
                )
        if self.ai_pool_max < self.ai_jobs_start:
            raise InputError(
                f"ai_pool_max ({self.ai_pool_max:,.0f}) must be at least ai_jobs_start "
                f"({self.ai_jobs_start:,.0f})."
            )

    def replace(self, **overrides: float) -> ScenarioParams:
        """Return a copy with some fields changed; unknown names are an error.

        Parameters
        ----------
        **overrides : float
            ``name=value`` for fields of :class:`ScenarioParams`.

        Returns
        -------
        ScenarioParams
            The copy, validated like a new instance.

        Raises
        ------
        InputError
            An unknown name, or a value out of its field's range.

        Examples
        --------
        >>> base = ScenarioParams()
        >>> base.replace(mobility=0.02).mobility, base.mobility
        (0.02, 0.05)
        >>> try:
        ...     base.replace(mobilty=0.02)
        ... except ValueError as exc:
        ...     print(str(exc).split(";")[0])
        unknown scenario parameter(s) ['mobilty']
        """
        known = [f.name for f in fields(self)]
        unknown = sorted(map(str, set(overrides) - set(known)))
        if unknown:
            close = difflib.get_close_matches(unknown[0], known, n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"unknown scenario parameter(s) {unknown}; see ScenarioParams.describe() for the "
                f"{len(known)} names.{hint}"
            )
        return replace(self, **overrides)

    @classmethod
    def from_toml(
        cls, path: str | Path, *, table: str = "scenario", base: ScenarioParams | None = None
    ) -> ScenarioParams:
        r"""Read overrides from ``[table]`` of a TOML file onto ``base`` (default: defaults).

        Parameters
        ----------
        path : str or pathlib.Path
            The TOML file.
        table : str, default "scenario"
            The table holding ``parameter = value`` lines (missing: no overrides).
        base : ScenarioParams, optional
            The parameters the overrides apply to; default :class:`ScenarioParams` ``()``.

        Returns
        -------
        ScenarioParams
            ``base`` with the file's values.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "job.toml"
        >>> _ = path.write_text("[scenario]\nmobility = 0.1\nremote_share = 0.4\n")
        >>> p = ScenarioParams.from_toml(path)
        >>> p.mobility, p.remote_share
        (0.1, 0.4)
        """
        p = Path(path)
        values = v.read_toml(p).get(table, {})
        if not isinstance(values, dict):
            raise InputError(f"[{table}] in {p.name} must be a table of parameter = value.")
        start = base if base is not None else cls()
        return start.replace(**values)

    def describe(self) -> pd.DataFrame:
        """Every parameter with its value, unit and source (for reports).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``parameter`` (every field, in order); columns ``value``, ``unit`` and
            ``source``.

        Examples
        --------
        >>> table = ScenarioParams().describe()
        >>> table.columns.tolist(), bool(table["unit"].str.len().gt(0).all())
        (['value', 'unit', 'source'], True)
        """
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
