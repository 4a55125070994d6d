"""Street-network accessibility inside a metro: effective density of jobs on osmnx graphs.

The co-location premium works through access: how many jobs (or peers,
firms, services) a worker can reach along the streets. For every node ``i``
of a street graph this module computes the Hansen (1959) accessibility

    A_i = sum_j O_j f(c_ij),    c_ij <= cutoff

where ``O_j`` are opportunities snapped to their nearest node and ``c_ij`` is
the shortest-path cost from ``i`` to ``j`` (travel time in seconds by
default), together with the plain count of opportunities reachable within
the cut-off (a cumulative-opportunities measure).

Shortest paths are not computed with networkx: the graph is copied once into
compressed sparse rows (parallel edges merged to their cheapest, one-way
streets kept one-way) and a Numba bounded Dijkstra runs from every source in
parallel (:mod:`geoai.kernels.graph`): every node of a 50,000-node city with a
30-minute cut-off takes minutes on two cores, tens of times faster than
networkx (``benchmarks/bench_network.py``).

* :func:`load_graph`: an osmnx graph from a local OSM XML file (offline; the
  shipped sample is :func:`geoai.sample_osm_path`), a PBF file (with
  pyosmium), or a place name / polygon downloaded by osmnx; projected, with
  ``speed_kph`` and ``travel_time`` (seconds) on every edge.
* :func:`accessibility`: ``within_cutoff`` and ``effective_density`` per node.
* :func:`travel_costs`: the bounded shortest-path costs from one node.
* :func:`effective_density_raster` / :func:`nodes_to_raster`: node values on
  a raster grid, for :func:`geoai.io.write_raster` and QGIS.

osmnx is the ``osm`` extra: ``pip install 'geoai[osm]'``.
"""

from __future__ import annotations

from geoai.network._access import (
    DECAYS,
    NETWORK_TYPES,
    accessibility,
    load_graph,
    travel_costs,
)
from geoai.network._rasters import effective_density_raster, nodes_to_raster

__all__ = [
    "DECAYS",
    "NETWORK_TYPES",
    "accessibility",
    "effective_density_raster",
    "load_graph",
    "nodes_to_raster",
    "travel_costs",
]
