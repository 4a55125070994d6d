"""Slow, obviously-correct versions of geoai.stats and geoai.kernels.lisa, for tests only."""

from __future__ import annotations

import itertools

import numpy as np

from tests.reference import haversine_km

MASK = (1 << 64) - 1
LOW = (1 << 32) - 1
GOLDEN = 0x9E3779B97F4A7C15


# ------------------------------------------------------------ neighbours
def knn_brute(lon, lat, k):
    """k nearest by haversine, ties to the lower position: (n, k) positions."""
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    np.fill_diagonal(d, np.inf)
    n = len(lon)
    return np.array([np.lexsort((np.arange(n), d[i]))[:k] for i in range(n)])


def knn_planar(x, y, k):
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.fill_diagonal(d, np.inf)
    n = len(x)
    return np.array([np.lexsort((np.arange(n), d[i]))[:k] for i in range(n)])


def band_brute(lon, lat, km):
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    np.fill_diagonal(d, np.inf)
    return d <= km


# ------------------------------------------------------------ statistics
def local_moran_dense(y, wd):
    """Anselin's local I with esda's standardisation; wd is the transformed dense matrix."""
    z = (y - y.mean()) / y.std()
    lag = wd @ z
    n = len(y)
    moran = (n - 1) * z * lag / (z @ z)
    q = np.select([(z > 0) & (lag > 0), (z <= 0) & (lag > 0), (z <= 0) & (lag <= 0)], [1, 2, 3], 4)
    return moran, q


def g_local_dense(y, wd, star):
    """Getis-Ord G_i (star=False, wd without diagonal) or G_i* (wd with diagonal), and z."""
    n = len(y)
    own = 0 if star else 1
    N = n - own
    rest = y.sum() - own * y
    G = (wd @ y) / rest
    mean = rest / N
    var = ((y**2).sum() - own * y**2) / N - mean**2
    wi = wd.sum(axis=1)
    EG = wi / N
    VG = wi * (N - wi) / (N - 1) / N**2 * var / mean**2
    return G, (G - EG) / np.sqrt(VG)


def bh(p, alpha):
    """Benjamini-Hochberg by the textbook loop over ranks (NaN excluded)."""
    p = np.asarray(p, float)
    idx = [i for i in range(p.size) if not np.isnan(p[i])]
    m = len(idx)
    ranked = sorted(idx, key=lambda i: p[i])
    r_max = 0
    for r, i in enumerate(ranked, start=1):
        if p[i] <= alpha * r / m:
            r_max = r
    out = np.zeros(p.size, dtype=bool)
    for i in ranked[:r_max]:
        out[i] = True
    return out


# -------------------------------------------------- conditional permutation
def conditional_moments(x, i, w_row, a, b):
    """Exact mean and sd of a*sum_t w_t X_t + b, X drawn without replacement from x minus x_i."""
    others = np.delete(x, i)
    M = others.size
    s1, s2 = w_row.sum(), (w_row**2).sum()
    mean = a * s1 * others.mean() + b
    var = a * a * others.var() * M / (M - 1) * (s2 - s1 * s1 / M)
    return mean, np.sqrt(var)


def exact_null(x, i, w_row, a, b, observed):
    """Exact folded p (min of P(sim >= obs), P(sim <= obs)) by enumerating ordered draws."""
    others = np.delete(x, i)
    sims = np.array(
        [
            a * (w_row @ others[list(t)]) + b
            for t in itertools.permutations(range(others.size), len(w_row))
        ]
    )
    tol = 1e-9 * max(1.0, abs(observed))
    return min((sims >= observed - tol).mean(), (sims <= observed + tol).mean())


def _splitmix(state):
    state = (state + GOLDEN) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Stream:
    """xoshiro256** seeded from SplitMix64, two 32-bit halves per output (Python ints)."""

    def __init__(self, seed, i):
        state = (seed + 4 * i * GOLDEN) & MASK
        self.s = []
        for _ in range(4):
            state, out = _splitmix(state)
            self.s.append(out)
        self.half = None

    def next32(self):
        if self.half is not None:
            h, self.half = self.half, None
            return h
        s0, s1, s2, s3 = self.s
        out = (_rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        self.s = [s0, s1, s2, _rotl(s3, 45)]
        self.half = out & LOW
        return out >> 32

    def below(self, m):
        prod = self.next32() * m
        if (prod & LOW) < m:
            threshold = (2**32 - m) % m
            while (prod & LOW) < threshold:
                prod = self.next32() * m
        return prod >> 32


def draws(seed, i, n, card, permutations):
    """The kernel's neighbour draws for observation i: (permutations, card) positions."""
    st = Stream(seed, i)
    out = []
    for _ in range(permutations):
        if 2 * card <= n - 1:  # redraw a slot while it repeats an earlier one
            got = []
            for _ in range(card):
                v = st.below(n - 1)
                while v in got:
                    v = st.below(n - 1)
                got.append(v)
        else:
            pool = list(range(n - 1))
            for t in range(card):
                j = t + st.below(n - 1 - t)
                pool[t], pool[j] = pool[j], pool[t]
            got = pool[:card]
        out.append([g + (g >= i) for g in got])
    return np.array(out)
