"""Spatial-interaction models of talent and capital flows between metros.

The Wilson (1971) family, ``T_ij = k O_i^alpha D_j^gamma f(c_ij)``, with its
production-, attraction- and doubly-constrained forms (balancing factors
``A_i``, ``B_j``; Furness 1965), the parameter-free radiation model (Simini et
al. 2012), and Poisson maximum-likelihood calibration (:func:`calibrate`).

Two ways to compute:

* :func:`interaction` takes a cost matrix and returns the dense
  ``(n_o, n_d)`` flow matrix: for moderate sizes and user costs.
* :func:`aggregate` and :func:`balance_matrix_free` take points and never
  build an ``N × N`` matrix: distances and decay are recomputed inside fused
  parallel kernels, giving outflow, inflow, net flow and the top-k
  destinations of every origin for N = 20,000–100,000 places.

Talent and capital are two uses of the same engine:

* **Talent** (people): ``mass_o`` = mobile high-skill workers of the origin
  metro (the movers ``O_i = m H_i`` in the scenario model),
  ``mass_d`` = destination attractiveness (AI jobs per worker, congestion);
  ``constraint="production"`` conserves the movers; exponential decay with a
  distance scale of a few hundred km, flattened by remote work.
* **Capital** (USD): ``mass_o`` = investable AI capital, ``mass_d`` =
  ecosystem size times national stability; production-constrained so every
  dollar is allocated; a much longer decay scale (capital is mobile).

Distances: great-circle km for geographic CRS, Euclidean km for projected CRS,
or any cost matrix passed to :func:`interaction`.
"""

from __future__ import annotations

from geoai.flows._aggregate import AggregateResult, BalanceResult, aggregate, balance_matrix_free
from geoai.flows._models import (
    CONSTRAINTS,
    DECAYS,
    CalibrationResult,
    calibrate,
    cost_matrix,
    deterrence,
    interaction,
    radiation,
    to_lines,
)

__all__ = [
    "CONSTRAINTS",
    "DECAYS",
    "AggregateResult",
    "BalanceResult",
    "CalibrationResult",
    "aggregate",
    "balance_matrix_free",
    "calibrate",
    "cost_matrix",
    "deterrence",
    "interaction",
    "radiation",
    "to_lines",
]
