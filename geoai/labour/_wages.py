"""Observed mean wages of the job kinds, from the US national occupation rows."""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from geoai.labour._occupations import AI_TALENT_SOC, match_exposure

__all__ = ["JobWages", "job_wages"]

#: ``cbsa`` of the national rows of the shipped OEWS table.
_NATIONAL = "00000"


class JobWages(NamedTuple):
    """Mean annual wage (USD, BLS OEWS May 2025, US national) of each kind of job.

    Each occupation's jobs are split as in
    :func:`geoai.labour.jobs_from_occupations` (exposure times its automated
    share is routine, exposure times the rest is augmentable, the remainder
    local); a kind's wage is the mean over its job-weighted parts. AI talent
    is the occupations of :data:`geoai.labour.AI_TALENT_SOC`.

    Examples
    --------
    Routine, augmentable and local jobs partition all jobs, so the all-jobs wage is a mean of
    theirs; AI talent earns more than any of them:

    >>> from geoai.labour import job_wages
    >>> w = job_wages()
    >>> parts = (w.routine, w.augmentable, w.local)
    >>> bool(min(parts) < w.all_jobs < max(parts) < w.ai_talent)
    True
    """

    routine: float
    augmentable: float
    ai_talent: float
    local: float
    all_jobs: float


@functools.lru_cache(maxsize=1)
def job_wages() -> JobWages:
    """Mean wage of routine, augmentable, AI-talent and local jobs (USD per year).

    Returns
    -------
    JobWages

    Examples
    --------
    >>> w = job_wages()
    >>> bool(w.routine < w.augmentable < w.ai_talent)
    True
    """
    from geoai._shipped import read_exposure, read_us_occupations

    occ = read_us_occupations()
    occ = occ[(occ["cbsa"] == _NATIONAL) & np.isfinite(occ["jobs"]) & np.isfinite(occ["wage_usd"])]
    matched = match_exposure(occ["soc"], read_exposure())
    beta = occ["soc"].map(matched["exposure"]).fillna(0.0).to_numpy(dtype=float)
    auto = occ["soc"].map(matched["automated_share"]).fillna(0.0).to_numpy(dtype=float)
    jobs = occ["jobs"].to_numpy(dtype=float)
    wage = occ["wage_usd"].to_numpy(dtype=float)
    parts = {
        "routine": jobs * beta * auto,
        "augmentable": jobs * beta * (1.0 - auto),
        "ai_talent": jobs * occ["soc"].isin(list(AI_TALENT_SOC)).to_numpy(),
        "local": jobs * (1.0 - beta),
        "all_jobs": jobs,
    }
    return JobWages(**{k: float(np.sum(w * wage) / np.sum(w)) for k, w in parts.items()})
