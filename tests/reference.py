"""Slow, obviously-correct NumPy versions of geoai's algorithms, for tests only."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle distance by the haversine formula (broadcasts)."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def city_clustering(lon, lat, pop, link_km, density=None, min_pop=0.0):
    """Reference CCA: all-pairs distances and a union-find, O(n²).

    Returns (label per input point or -1 if below min_pop, is_section per point).
    Labels are the input index of each cluster's largest place.
    """
    lon, lat, pop = (np.asarray(a, dtype=float) for a in (lon, lat, pop))
    n = pop.size
    keep = pop >= min_pop
    radius = np.zeros(n) if density is None else np.sqrt(pop / (np.pi * density))
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    parent = list(range(n))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    # "larger" = larger population, ties to the earlier input index
    def larger(a, b):
        return pop[a] > pop[b] or (pop[a] == pop[b] and a < b)

    section = np.zeros(n, dtype=bool)
    for a in range(n):
        for b in range(n):
            if a == b or not (keep[a] and keep[b]):
                continue
            if d[a, b] <= (link_km + radius[a] + radius[b]) * (1 + 1e-9):
                parent[find(a)] = find(b)
            if larger(a, b) and d[a, b] < radius[a]:
                section[b] = True
    label = np.full(n, -1)
    best = {}
    for a in range(n):
        if keep[a]:
            r = find(a)
            if r not in best or larger(a, best[r]):
                best[r] = a
    for a in range(n):
        if keep[a]:
            label[a] = best[find(a)]
    return label, section
