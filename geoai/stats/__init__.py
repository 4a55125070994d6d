"""Local spatial statistics on metro points, with false-discovery-rate control.

* :func:`weights`: k-nearest-neighbour or distance-band weights from points
  (great-circle km for geographic CRS, Euclidean km for projected CRS), in a
  small CSR structure, :class:`SpatialWeights`.
* :func:`local_moran`: local Moran's I (Anselin 1995) with conditional
  permutation inference; same statistic, standardisation and folded pseudo
  p-value as ``esda.Moran_Local``.
* :func:`getis_ord`: Getis-Ord G / G* (Ord & Getis 1995); same statistic,
  z-score and conditional permutation as ``esda.G_Local``.
* :func:`fdr`: Benjamini-Hochberg step-up procedure.
* :func:`dominant_flows`: Nystuen & Dacey (1961) nodal hierarchy from flows.

Significance: by default Benjamini-Hochberg at ``fdr`` over the permutation
p-values (``p_fdr`` holds the adjusted p-values); ``fdr=None`` tests each
observation on its own, ``p_sim < alpha`` (as esda's cluster labels). A
permutation p-value is at least ``1 / (permutations + 1)``; when that floor
is above the first BH threshold ``fdr / n`` (or not below ``alpha``), a
:class:`PermutationWarning` says how many permutations are needed.

Permutation inference runs in :mod:`geoai.kernels.lisa`, parallel over
observations, each with its own random stream derived from ``seed``:
results are reproducible and do not depend on the number of threads.

Islands (observations without neighbours, possible with distance bands or
user weights) take part in the standardisation of the variable and can be
drawn as random neighbours of others, but get no statistic: their outputs
are NaN, their label is ``"ns"``, they are left out of the FDR count, and an
:class:`IslandWarning` says how many there are.
"""

from __future__ import annotations

from geoai.stats._dominant_flows import dominant_flows
from geoai.stats._fdr import fdr
from geoai.stats._local import (
    QUADRANTS,
    IslandWarning,
    PermutationWarning,
    getis_ord,
    local_moran,
)
from geoai.stats._markov import SpatialMarkov, spatial_markov
from geoai.stats._weights import TRANSFORMS, SpatialWeights, weights

__all__ = [
    "QUADRANTS",
    "TRANSFORMS",
    "IslandWarning",
    "PermutationWarning",
    "SpatialMarkov",
    "SpatialWeights",
    "dominant_flows",
    "fdr",
    "getis_ord",
    "local_moran",
    "spatial_markov",
    "weights",
]
