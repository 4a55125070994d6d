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


# ------------------------------------------------------------------- flows
def decay_ref(d, decay, beta):
    """f(d) written out with NumPy, one branch per form."""
    d = np.asarray(d, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        if decay == "power":
            return d ** (-beta)
        if decay == "exponential":
            return np.exp(-beta * d)
        if decay == "gaussian":
            return np.exp(-beta * d**2)
        if decay == "tanner":
            a, b = beta
            return d**a * np.exp(-b * d)
        if decay == "box":
            return (d <= beta).astype(float)
    raise ValueError(decay)


def distance_matrix_ref(lon, lat, own=None):
    """Haversine distances with inf (or the own distance) on the diagonal."""
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    np.fill_diagonal(d, np.inf if own is None else own)
    return d


def gravity_ref(
    mo,
    md,
    cost,
    decay,
    beta,
    alpha=1.0,
    gamma=1.0,
    constraint="none",
    outflows=None,
    inflows=None,
    iters=20000,
):
    """Wilson-family flows with explicit loops over the constraint equations."""
    f = np.where(np.isinf(cost), 0.0, decay_ref(np.where(np.isinf(cost), 1.0, cost), decay, beta))
    w = (mo**alpha)[:, None] * (md**gamma)[None, :] * f
    if constraint == "none":
        return w
    if constraint == "production":
        o = mo if outflows is None else outflows
        return np.array([o[i] * w[i] / w[i].sum() for i in range(len(mo))])
    if constraint == "attraction":
        d = md if inflows is None else inflows
        return np.array([d[j] * w[:, j] / w[:, j].sum() for j in range(len(md))]).T
    o, d = outflows, inflows
    t = f.copy()
    for _ in range(iters):  # plain iterative proportional fitting on the matrix itself
        rs, cs = t.sum(axis=1), None
        t *= np.divide(o, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]
        cs = t.sum(axis=0)
        t *= np.divide(d, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
        if np.allclose(t.sum(axis=1), o, rtol=1e-13, atol=0):
            break
    return t


def radiation_ref(d, m, outflows, *, finite_size=True):
    """Radiation model by the definition: s_ij sums every k strictly closer than j, O(n³)."""
    n = len(m)
    out = np.zeros((n, n))
    total = m.sum()
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            s = sum(m[k] for k in range(n) if k not in (i, j) and d[i, k] < d[i, j])
            out[i, j] = outflows[i] * m[i] * m[j] / ((m[i] + s) * (m[i] + m[j] + s))
        if finite_size:
            out[i] /= 1 - m[i] / total
    return out
