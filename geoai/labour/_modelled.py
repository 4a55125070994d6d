"""Modelled labour-market structure of metros (assumptions, not observations).

No worldwide dataset gives routine office jobs by metro, so geoai models the
starting jobs of every metro from its population and its country's GDP per
capita ``y`` (MODEL.md, "Initial state"). Every number here is an assumption;
:class:`LabourAssumptions` names each one with its value and rationale, and the
columns it produces are flagged as modelled in the data README and outputs.

* Employment ``E = P * lf(y)``: the employed share of the whole population
  rises gently with income, from ``lf_low`` in low-income to ``lf_high`` in
  high-income countries (ILO modelled estimates put employment-to-population
  ratios of all ages near 0.4 in low-income and 0.5 in high-income countries).
* Office share ``w(y)`` of employment, logistic in ``log y`` from
  ``office_low`` to ``office_high``: clerical, professional, managerial and
  technical occupations are a fifth of jobs in poor countries and over half in
  rich ones.
* ``jobs_routine = rho * E * w`` (automatable office work: back office,
  support, admin), ``jobs_augmentable = (1 - rho) * E * w`` (non-routine
  cognitive work), ``jobs_local = E - E * w`` (in-person services, industry,
  public sector).

Both shares use the same logistic curve ``s(y) = 1 / (1 + exp(-k (ln y - ln y0)))``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError

__all__ = ["JOB_COLUMNS", "LabourAssumptions", "income_curve", "model_jobs"]

#: Modelled job columns added to metros by :func:`model_jobs`.
JOB_COLUMNS = ("employment", "jobs_routine", "jobs_augmentable", "jobs_local")


@dataclass(frozen=True)
class LabourAssumptions:
    """Assumptions behind the modelled starting jobs of each metro.

    Attributes
    ----------
    lf_low, lf_high : float
        Employed share of the population at very low / very high income
        (share, default 0.40 / 0.50; MODEL.md, ILO modelled estimates).
    office_low, office_high : float
        Office (white-collar) share of employment at very low / very high
        income (share, default 0.20 / 0.55; MODEL.md; assumption).
    income_mid_usd : float
        GDP per capita at the curve's midpoint (USD, default 10,000: the
        upper-middle-income range; assumption).
    income_slope : float
        Steepness ``k`` of the logistic per unit of ``ln y`` (default 1.5: the
        curve goes from 10% to 90% of its range between about USD 2,300 and
        USD 43,000; assumption).
    routine_share : float
        Routine share ``rho`` of office work (share, default 0.5; seed 000's
        "roughly half of all urban service employment is pure coordination").
    """

    lf_low: float = 0.40
    lf_high: float = 0.50
    office_low: float = 0.20
    office_high: float = 0.55
    income_mid_usd: float = 10_000.0
    income_slope: float = 1.5
    routine_share: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("income_mid_usd", "income_slope"):
                v.check_positive(value, f.name)
            elif not 0.0 <= value <= 1.0:
                raise InputError(f"{f.name} is a share and must lie in [0, 1]; got {value!r}.")
        if self.lf_low > self.lf_high or self.office_low > self.office_high:
            raise InputError(
                "the low-income shares must not exceed the high-income ones "
                f"(lf {self.lf_low}->{self.lf_high}, office {self.office_low}->{self.office_high})."
            )

    def to_dict(self) -> dict[str, float]:
        """Return the assumptions as a plain dict (for reports and output metadata)."""
        return asdict(self)


def income_curve(gdp_pc_usd: np.ndarray, assumptions: LabourAssumptions) -> np.ndarray:
    """Logistic position in [0, 1] of each GDP per capita on the income curve."""
    y = np.asarray(gdp_pc_usd, dtype=np.float64)
    z = assumptions.income_slope * (np.log(y) - np.log(assumptions.income_mid_usd))
    return 1.0 / (1.0 + np.exp(-z))


def model_jobs(
    population: np.ndarray | pd.Series,
    gdp_pc_usd: np.ndarray | pd.Series,
    assumptions: LabourAssumptions | None = None,
) -> pd.DataFrame:
    """Model employment and its routine / augmentable / local split.

    Parameters
    ----------
    population : array-like, shape (n,)
        Metro population (people).
    gdp_pc_usd : array-like, shape (n,)
        GDP per capita of each metro's country (current USD), > 0.
    assumptions : LabourAssumptions, optional
        Defaults to ``LabourAssumptions()``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`JOB_COLUMNS` (jobs), aligned with the inputs; the
        three job kinds sum to ``employment``.
    """
    a = assumptions or LabourAssumptions()
    pop = v.as_mass(population, "population", allow_zero_sum=True)
    y = v.as_mass(gdp_pc_usd, "gdp_pc_usd", n=pop.size)
    if (y <= 0).any():
        raise InputError("gdp_pc_usd must be > 0 for every metro (it enters a logarithm).")
    s = income_curve(y, a)
    employment = pop * (a.lf_low + (a.lf_high - a.lf_low) * s)
    office = employment * (a.office_low + (a.office_high - a.office_low) * s)
    index = population.index if isinstance(population, pd.Series) else None
    return pd.DataFrame(
        {
            "employment": employment,
            "jobs_routine": a.routine_share * office,
            "jobs_augmentable": (1.0 - a.routine_share) * office,
            "jobs_local": employment - office,
        },
        index=index,
    )
