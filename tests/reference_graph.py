"""Slow, obviously-correct references for geoai.kernels.graph (pure Python + heapq)."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict


def dijkstra(arcs, source, cutoff=math.inf):
    """Costs from ``source`` to every node within ``cutoff``, from a list of (u, v, w) arcs.

    Parallel arcs need no merging: the cheaper one simply relaxes first.
    """
    out = defaultdict(list)
    for u, v, w in arcs:
        out[u].append((v, w))
    dist = {source: 0.0}
    done = set()
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        for v, w in out[u]:
            nd = d + w
            if nd <= cutoff and nd < dist.get(v, math.inf):
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


def decay(c, kind, scale, cutoff):
    if kind == "exponential":
        return math.exp(-c / scale)
    if kind == "gaussian":
        return math.exp(-(c * c) / (2 * scale * scale))
    return 1.0 if c <= cutoff else 0.0


def accessibility(arcs, mass, sources, cutoff, kind, scale):
    """``(within, effective)`` lists for ``sources``: sums over nodes within ``cutoff``."""
    within, effective = [], []
    for s in sources:
        dist = dijkstra(arcs, s, cutoff)
        within.append(sum(mass.get(j, 0.0) for j in dist))
        effective.append(
            sum(mass.get(j, 0.0) * decay(c, kind, scale, cutoff) for j, c in dist.items())
        )
    return within, effective
