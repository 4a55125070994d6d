"""Labour-market structure of metros: observed where data exist, modelled elsewhere.

* :mod:`geoai.labour._occupations` — *observed*: US metros' jobs by
  occupation (BLS OEWS) times each occupation's exposure to LLMs and its
  automated / augmented split (Eloundou et al. 2024).
* :mod:`geoai.labour._modelled` — *modelled*: employment, the routine /
  augmentable / local split and AI talent of metros without occupation data,
  calibrated to published figures (ILO, IMF) and to the observed US metros
  (each number named in :class:`LabourAssumptions`).
"""

from __future__ import annotations

from geoai.labour._modelled import (
    INCOME_GROUPS,
    JOB_COLUMNS,
    MODELLED_SOURCE,
    LabourAssumptions,
    USAnchors,
    employment_rate,
    model_jobs,
    national_jobs,
    us_anchors,
)
from geoai.labour._occupations import (
    AI_TALENT_SOC,
    OBSERVED_JOB_COLUMNS,
    OBSERVED_LABOUR_SOURCE,
    jobs_from_occupations,
    match_exposure,
    us_national_ai_talent,
)
from geoai.labour._wages import JobWages, job_wages

__all__ = [
    "AI_TALENT_SOC",
    "INCOME_GROUPS",
    "JOB_COLUMNS",
    "MODELLED_SOURCE",
    "OBSERVED_JOB_COLUMNS",
    "OBSERVED_LABOUR_SOURCE",
    "JobWages",
    "LabourAssumptions",
    "USAnchors",
    "employment_rate",
    "job_wages",
    "jobs_from_occupations",
    "match_exposure",
    "model_jobs",
    "national_jobs",
    "us_anchors",
    "us_national_ai_talent",
]
