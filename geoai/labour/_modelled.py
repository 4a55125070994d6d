"""Modelled labour-market structure of metros without occupation data.

Only the United States publishes employment by occupation for every metro
(BLS OEWS), so only US metros have *observed* routine / augmentable / local
jobs and AI talent (:mod:`geoai.labour._occupations`). Every other metro is
modelled here from its population ``P``, its country's GDP per capita ``y``
and its size, with each number traced to a published figure or to a fit on the
observed US metros:

* **Employment** ``E = P · e(y)``, with ``e(y)`` the employment-to-population
  ratio of people aged 15+ (ILO modelled estimates, 2023) times the share of
  the population aged 15+ (UN World Population Prospects 2024), by World Bank
  income group. The ILO ratio refers to ages 15+, so it is converted to jobs
  per resident of all ages before use.
* **Exposure to generative AI**, by the IMF's country groups (Cazzaniga et
  al. 2024, IMF Staff Discussion Note SDN/2024/001): the share of employment
  in high-exposure occupations is 60 % in advanced economies, 40 % in emerging
  markets and 26 % in low-income countries; of it, the high-complementarity
  part (likely *augmented*) is 27 %, 16 % and 8 % of employment, and the rest
  (low complementarity: likely *automated*) 33 %, 24 % and 18 %.
* **From jobs to task time.** The observed US columns count exposed *task
  time* (jobs × exposure, Eloundou et al. 2024), not jobs in exposed
  occupations. The IMF groups are mapped onto that unit with the US as the
  advanced-economy anchor: ``routine share r(y) = r_US · l(y) / l_AE`` and
  ``augmentable share g(y) = g_US · c(y) / c_AE`` (``l``, ``c``: the IMF's low-
  and high-complementarity shares; ``r_US``, ``g_US``: the observed US
  national shares). An advanced economy thus starts with the US occupation
  structure and poorer countries with the IMF's relative gaps.
* **AI talent** share ``t(y) = t_US · c(y) / c_AE`` (an assumption: AI talent
  taken to scale with complementary, high-skill work).
* **Metro size** shifts the mix toward offices: each share is multiplied by
  ``(E / E_ref) ** b``, with the elasticities ``b`` fitted by least squares of
  ``ln share`` on ``ln jobs`` over the US metros, weighted by jobs (observed,
  BLS OEWS May 2025), ``E_ref`` the employment-weighted geometric mean of US
  metro jobs, and ``E`` held inside the range of the US metros (no
  extrapolation to Tokyo's size).

The group anchors sit at the median GDP per capita of the countries in each
World Bank income group (thresholds of FY2025 applied to GDP per capita in
``data/countries.csv``), and ``e``, ``l``, ``c`` and ``t`` are interpolated
linearly in ``ln y`` between them (constant beyond the ends), so no country
jumps at a threshold.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError

__all__ = [
    "JOB_COLUMNS",
    "LabourAssumptions",
    "USAnchors",
    "check_assumptions",
    "employment_rate",
    "model_jobs",
    "national_jobs",
    "us_anchors",
]

#: Job columns of a metro (observed for US metros, modelled elsewhere).
JOB_COLUMNS = ("employment", "jobs_routine", "jobs_augmentable", "jobs_local", "ai_talent")

#: ``labour_source`` of a modelled row.
MODELLED_SOURCE = (
    "modelled: ILO employment rates, IMF SDN/2024/001 exposure groups, "
    "size rule fitted on BLS OEWS May 2025"
)

#: Upper bound of the modelled AI-talent share of jobs (the highest US metro,
#: San Jose, is near 0.1; a metro extrapolated far beyond the US size range
#: must not exceed it by much).
_MAX_TALENT_SHARE = 0.15

#: Income groups of the anchors, in order of income.
INCOME_GROUPS = ("low income", "lower-middle income", "upper-middle income", "high income")


@dataclass(frozen=True)
class LabourAssumptions:
    """Published anchors of the modelled labour columns, by income group.

    Each tuple has one value per income group of :data:`INCOME_GROUPS` (low,
    lower-middle, upper-middle, high income); values between anchors are
    interpolated linearly in ``ln`` GDP per capita.

    Attributes
    ----------
    income_anchors_usd : tuple of float
        GDP per capita of each anchor (USD): the median over the countries of
        each World Bank income group in ``data/countries.csv`` (681, 2,469,
        11,703 and 33,424), increasing.
    employment_15plus : tuple of float
        Employment-to-population ratio of ages 15+ (share; ILO modelled
        estimates 2023: 0.64, 0.51, 0.61, 0.58).
    adult_share : tuple of float
        Share of the population aged 15+ (UN World Population Prospects 2024,
        2023: 0.57, 0.71, 0.81, 0.84).
    exposed_share : tuple of float
        Share of employment in occupations highly exposed to AI (IMF
        SDN/2024/001: 26 % in low-income countries, 40 % in emerging markets,
        60 % in advanced economies).
    complementary_share : tuple of float
        The high-exposure, high-complementarity part of employment (IMF
        SDN/2024/001: 8 %, 16 %, 16 %, 27 %); the rest of the exposed share is
        low-complementarity.
    anchors : USAnchors or None
        The observed US national shares and size elasticities; ``None`` fits
        them from the shipped BLS OEWS data (:func:`us_anchors`).

    Examples
    --------
    A scenario in which advanced economies are less exposed than the IMF estimate:

    >>> from geoai.labour import LabourAssumptions
    >>> low = LabourAssumptions(exposed_share=(0.26, 0.40, 0.40, 0.45))
    >>> low.exposed_share[-1], low.complementary_share[-1]
    (0.45, 0.27)
    >>> try:
    ...     LabourAssumptions(exposed_share=(0.26, 0.40, 0.40, 0.20))
    ... except ValueError as exc:
    ...     print(exc)
    complementary_share must not exceed exposed_share in any group.
    """

    income_anchors_usd: tuple[float, ...] = (681.0, 2_469.0, 11_703.0, 33_424.0)
    employment_15plus: tuple[float, ...] = (0.64, 0.51, 0.61, 0.58)
    adult_share: tuple[float, ...] = (0.57, 0.71, 0.81, 0.84)
    exposed_share: tuple[float, ...] = (0.26, 0.40, 0.40, 0.60)
    complementary_share: tuple[float, ...] = (0.08, 0.16, 0.16, 0.27)
    anchors: USAnchors | None = None

    def __post_init__(self) -> None:
        n = len(INCOME_GROUPS)
        for f in fields(self):
            if f.name == "anchors":
                continue
            value = _anchor_values(f.name, getattr(self, f.name))
            if len(value) != n:
                raise InputError(
                    f"{f.name} needs one value per income group {INCOME_GROUPS}; got {value}."
                )
            object.__setattr__(self, f.name, value)
            if f.name == "income_anchors_usd":
                if min(value) <= 0 or any(b <= a for a, b in itertools.pairwise(value)):
                    raise InputError(f"income_anchors_usd must be > 0 and increasing; got {value}.")
            elif not all(0.0 <= x <= 1.0 for x in value):
                raise InputError(f"{f.name} are shares and must lie in [0, 1]; got {value}.")
        if any(c > e for c, e in zip(self.complementary_share, self.exposed_share, strict=True)):
            raise InputError("complementary_share must not exceed exposed_share in any group.")
        if self.anchors is not None and not isinstance(self.anchors, USAnchors):
            raise InputError(
                f"anchors must be a geoai.labour.USAnchors or None; got {v.short(self.anchors)}."
            )

    def to_dict(self) -> dict[str, Any]:
        """Return the assumptions as a plain dict (for reports and output metadata).

        Returns
        -------
        dict
            One entry per field; ``anchors`` is ``None`` or a dict of the :class:`USAnchors`.

        Examples
        --------
        >>> from geoai.labour import LabourAssumptions
        >>> d = LabourAssumptions().to_dict()
        >>> d["exposed_share"], d["anchors"]
        ((0.26, 0.4, 0.4, 0.6), None)
        >>> sorted(LabourAssumptions().resolved().to_dict()["anchors"])[:3]
        ['augmentable_elasticity', 'augmentable_share', 'max_jobs']
        """
        out = asdict(self)
        out["anchors"] = None if self.anchors is None else self.anchors._asdict()
        return out

    def resolved(self) -> LabourAssumptions:
        """Return these assumptions with the US anchors fitted where they are ``None``.

        Returns
        -------
        LabourAssumptions
            ``self`` when its anchors are set, else a copy with :func:`us_anchors`.

        Examples
        --------
        >>> from geoai.labour import LabourAssumptions
        >>> fitted = LabourAssumptions().resolved()
        >>> fitted.anchors is not None, fitted.resolved() is fitted
        (True, True)
        """
        return self if self.anchors is not None else replace(self, anchors=us_anchors())


class USAnchors(NamedTuple):
    """Observed US national shares and size elasticities (BLS OEWS × Eloundou et al.).

    Shares are of all jobs in the US metros; elasticities are the slopes of
    ``ln share`` on ``ln jobs`` across the metros, each weighted by its jobs
    (so the large metros, where most jobs are, set the slope); ``reference_jobs``
    is the employment-weighted geometric mean of metro jobs (where the size
    factor is 1), and ``min_jobs``/``max_jobs`` the range of the fit, beyond
    which the size factor is held constant rather than extrapolated.

    Examples
    --------
    >>> from geoai.labour import us_anchors
    >>> a = us_anchors()
    >>> bool(0 < a.talent_share < a.routine_share < a.augmentable_share < 1)
    True
    >>> bool(a.min_jobs < a.reference_jobs < a.max_jobs)
    True
    """

    routine_share: float
    augmentable_share: float
    talent_share: float
    routine_elasticity: float
    augmentable_elasticity: float
    talent_elasticity: float
    reference_jobs: float
    min_jobs: float
    max_jobs: float
    n_metros: int


def _slope(x: np.ndarray, share: np.ndarray, jobs: np.ndarray) -> float:
    """Least-squares slope of ``ln share`` on ``x``, each metro weighted by its jobs."""
    keep = share > 0
    weights = np.sqrt(jobs[keep])  # polyfit weights the residuals, so sqrt for weight E
    return float(np.polyfit(x[keep], np.log(share[keep]), 1, w=weights)[0])


@functools.cache
def us_anchors() -> USAnchors:
    """Fit the US anchors from the shipped observed US metros.

    Returns
    -------
    USAnchors
        National shares of routine, augmentable and AI-talent jobs over all US
        metropolitan jobs, their elasticities with respect to metro size, and
        the reference size.

    Examples
    --------
    AI talent concentrates in large metros far more than routine jobs do:

    >>> a = us_anchors()
    >>> a.n_metros, bool(a.talent_elasticity > 5 * a.routine_elasticity)
    (393, True)
    """
    from geoai._shipped import read_us_metros

    us = read_us_metros()
    jobs = us["jobs_total"].to_numpy(dtype=float)
    x = np.log(jobs)
    shares = {c: us[c].to_numpy(dtype=float) / jobs for c in ("jobs_routine", "jobs_augmentable")}
    talent = us["ai_talent"].to_numpy(dtype=float) / jobs
    total = jobs.sum()
    return USAnchors(
        routine_share=float(us["jobs_routine"].sum() / total),
        augmentable_share=float(us["jobs_augmentable"].sum() / total),
        talent_share=float(us["ai_talent"].sum() / total),
        routine_elasticity=_slope(x, shares["jobs_routine"], jobs),
        augmentable_elasticity=_slope(x, shares["jobs_augmentable"], jobs),
        talent_elasticity=_slope(x, talent, jobs),
        reference_jobs=float(np.exp(np.sum(jobs * x) / total)),
        min_jobs=float(jobs.min()),
        max_jobs=float(jobs.max()),
        n_metros=len(us),
    )


def _interp(y: np.ndarray, anchors_usd: tuple[float, ...], values: tuple[float, ...]) -> np.ndarray:
    return np.asarray(np.interp(np.log(y), np.log(np.asarray(anchors_usd)), np.asarray(values)))


def _float(x: object) -> float:
    """``float(x)``, with an int beyond the float range as infinity."""
    try:
        return float(x)  # type: ignore[arg-type]  # a real number, checked by the caller
    except OverflowError:
        return math.inf


def _anchor_values(name: str, values: object) -> tuple[float, ...]:
    """Return one field of :class:`LabourAssumptions` as a tuple of finite floats."""
    items = list(values) if isinstance(values, tuple | list | np.ndarray) else None
    ok = items is not None and all(
        isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)
        for x in items
    )
    numbers = tuple(_float(x) for x in items) if ok and items is not None else ()
    if not ok or not all(np.isfinite(numbers)):
        raise InputError(
            f"{name} must be a tuple of {len(INCOME_GROUPS)} finite numbers, one per income "
            f"group {INCOME_GROUPS}; got {v.short(values)}."
        )
    return numbers


def check_assumptions(assumptions: object) -> LabourAssumptions:
    """Return ``assumptions`` (default ``LabourAssumptions()``) or raise InputError."""
    if assumptions is None:
        return LabourAssumptions()
    if not isinstance(assumptions, LabourAssumptions):
        raise InputError(
            "assumptions must be a geoai.labour.LabourAssumptions (or None for the defaults); "
            f"got {v.short(assumptions)}."
        )
    return assumptions


def _no_text(values: object, name: str) -> None:
    """Refuse text where numbers are meant ("50000" is not read silently as 50,000)."""
    if isinstance(values, str | bytes) or (
        not isinstance(values, pd.Series | pd.Index)
        and np.asarray(values, dtype=object).dtype == object
        and any(isinstance(x, str | bytes) for x in np.asarray(values, dtype=object).ravel())
    ):
        raise InputError(
            f"{name} must be numeric, not text; convert it first, e.g. with "
            f"pandas.to_numeric({name})."
        )


def _gdp(
    values: object, n: int | None = None, index: pd.Index | None = None, unit: str = "row"
) -> np.ndarray:
    """GDP per capita as finite floats > 0 (they enter a logarithm), in the order of ``index``."""
    _no_text(values, "gdp_pc_usd")
    y = v.as_mass(values, "gdp_pc_usd", n=n, index=index)  # type: ignore[arg-type]
    if (y <= 0).any():
        raise InputError(
            f"gdp_pc_usd must be > 0 for every {unit} (it enters a logarithm); "
            f"{int((y <= 0).sum())} value(s) are 0. Drop those rows or fill them."
        )
    return y


def employment_rate(
    gdp_pc_usd: np.ndarray, assumptions: LabourAssumptions | None = None
) -> np.ndarray:
    """Jobs per resident (all ages) at each GDP per capita.

    Parameters
    ----------
    gdp_pc_usd : array-like, shape (n,)
        GDP per capita (current USD), > 0.
    assumptions : LabourAssumptions, optional
        Defaults to ``LabourAssumptions()``.

    Returns
    -------
    numpy.ndarray, shape (n,)
        The ILO employment-to-population ratio (ages 15+) times the share of
        residents aged 15+, interpolated between the income anchors.

    Examples
    --------
    >>> import numpy as np
    >>> rate = employment_rate(np.array([700.0, 50_000.0]))
    >>> bool(0.3 < rate[0] < rate[1] < 0.55)
    True
    """
    a = check_assumptions(assumptions)
    y = _gdp(gdp_pc_usd)
    rate = np.asarray(a.employment_15plus) * np.asarray(a.adult_share)
    return _interp(y, a.income_anchors_usd, tuple(rate))


def _income_terms(
    population: np.ndarray | pd.Series,
    gdp_pc_usd: np.ndarray | pd.Series,
    assumptions: LabourAssumptions | None,
    unit: str,
) -> tuple[USAnchors, np.ndarray, np.ndarray, np.ndarray]:
    """US anchors, employment and the income factors of the exposed and complementary shares."""
    a = check_assumptions(assumptions).resolved()
    us = a.anchors if a.anchors is not None else us_anchors()
    _no_text(population, "population")
    pop = v.as_mass(population, "population", allow_zero_sum=True)
    index = population.index if isinstance(population, pd.Series) else None
    y = _gdp(gdp_pc_usd, n=pop.size, index=index, unit=unit)  # a Series: aligned by label
    low = np.asarray(a.exposed_share) - np.asarray(a.complementary_share)
    comp = np.asarray(a.complementary_share)
    return (
        us,
        pop * employment_rate(y, a),
        _interp(y, a.income_anchors_usd, tuple(low / low[-1])),
        _interp(y, a.income_anchors_usd, tuple(comp / comp[-1])),
    )


def model_jobs(
    population: np.ndarray | pd.Series,
    gdp_pc_usd: np.ndarray | pd.Series,
    assumptions: LabourAssumptions | None = None,
) -> pd.DataFrame:
    """Model employment, its routine / augmentable / local split and AI talent.

    Parameters
    ----------
    population : array-like, shape (n,)
        Metro population (people).
    gdp_pc_usd : array-like, shape (n,)
        GDP per capita of each metro's country (current USD), > 0.
    assumptions : LabourAssumptions, optional
        Defaults to ``LabourAssumptions()`` with the US anchors fitted from
        the shipped BLS OEWS data.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`JOB_COLUMNS` (jobs, or people for ``ai_talent``),
        aligned with the inputs; ``jobs_routine + jobs_augmentable +
        jobs_local == employment``.

    Examples
    --------
    >>> import numpy as np
    >>> jobs = model_jobs(np.array([5e6, 5e6]), np.array([2_000.0, 60_000.0]))
    >>> bool(jobs["jobs_routine"].iloc[1] > jobs["jobs_routine"].iloc[0])
    True
    """
    us, employment, automated, complementary = _income_terms(
        population, gdp_pc_usd, assumptions, "metro"
    )
    size = np.log(np.clip(employment, us.min_jobs, us.max_jobs) / us.reference_jobs)
    routine = us.routine_share * automated * np.exp(us.routine_elasticity * size)
    augmentable = us.augmentable_share * complementary * np.exp(us.augmentable_elasticity * size)
    # a metro far beyond the US range must keep some local jobs: cap the office share
    office = routine + augmentable
    cap = np.where(office > 0.9, 0.9 / np.maximum(office, 1e-300), 1.0)
    talent = us.talent_share * complementary * np.exp(us.talent_elasticity * size)
    index = population.index if isinstance(population, pd.Series) else None
    return pd.DataFrame(
        {
            "employment": employment,
            "jobs_routine": employment * routine * cap,
            "jobs_augmentable": employment * augmentable * cap,
            "jobs_local": employment * (1.0 - office * cap),
            "ai_talent": employment * np.minimum(talent, _MAX_TALENT_SHARE),
        },
        index=index,
    )


def national_jobs(
    population: np.ndarray | pd.Series,
    gdp_pc_usd: np.ndarray | pd.Series,
    assumptions: LabourAssumptions | None = None,
) -> pd.DataFrame:
    """Model a whole country's employment, office jobs and AI talent.

    The same anchors as :func:`model_jobs`, at the size factor of the
    reference US metro (no agglomeration premium or penalty): the national
    denominators against which a metro's share of its country is measured
    (e.g. the scenario's within-country allocation of AI roles).

    Parameters
    ----------
    population : array-like, shape (c,)
        National population (people).
    gdp_pc_usd : array-like, shape (c,)
        GDP per capita (current USD), > 0.
    assumptions : LabourAssumptions, optional
        Defaults to ``LabourAssumptions()``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`JOB_COLUMNS` (jobs, or people for ``ai_talent``).

    Examples
    --------
    >>> import numpy as np
    >>> jobs = national_jobs(np.array([1e8]), np.array([50_000.0]))
    >>> bool(jobs["jobs_routine"].iloc[0] + jobs["jobs_augmentable"].iloc[0] < 0.5e8)
    True
    """
    us, employment, automated, complementary = _income_terms(
        population, gdp_pc_usd, assumptions, "country"
    )
    routine = us.routine_share * automated
    augmentable = us.augmentable_share * complementary
    index = population.index if isinstance(population, pd.Series) else None
    return pd.DataFrame(
        {
            "employment": employment,
            "jobs_routine": employment * routine,
            "jobs_augmentable": employment * augmentable,
            "jobs_local": employment * (1.0 - routine - augmentable),
            "ai_talent": employment * us.talent_share * complementary,
        },
        index=index,
    )
