"""Labour-market structure of metros: observed where data exist, modelled elsewhere.

* :mod:`geoai.labour._modelled` — the national model of employment and its
  routine / augmentable / local split for metros without occupation data
  (assumptions, each named in :class:`LabourAssumptions`).
"""

from __future__ import annotations

from geoai.labour._modelled import JOB_COLUMNS, LabourAssumptions, income_curve, model_jobs

__all__ = ["JOB_COLUMNS", "LabourAssumptions", "income_curve", "model_jobs"]
