"""Conditional-permutation inference for local spatial statistics.

Every local statistic geoai tests (local Moran's I, Getis-Ord G and G*) is,
for one observation ``i`` with its own value held fixed, an affine function
of a weighted sum over its neighbours::

    stat_i = a_i * sum_j w_ij x_j + b_i

Conditional permutation (Anselin 1995) gives the ``card_i`` neighbour slots
the values of distinct other observations, drawn without replacement from
the ``n - 1`` others, and recomputes the statistic ``permutations`` times.
One kernel serves all statistics through ``(x, a, b)``.

Random numbers: each observation has its own stream, a xoshiro256**
generator (Blackman & Vigna 2018) seeded with SplitMix64 outputs
``4i + 1 .. 4i + 4`` of the sequence started at ``seed``, so results depend
on ``(seed, i)`` only, never on the number of threads. Each 64-bit output
gives two 32-bit draws, mapped to ``[0, m)`` by Lemire's multiply-shift with
rejection (exactly uniform). The stream state is a named tuple (:class:`Stream`)
passed through inlined helpers, so it lives in registers (an array state costs 3x).

Distinct neighbours: while ``2 card <= n - 1``, each slot is drawn
uniformly and redrawn while it repeats an earlier slot of the same sample,
detected through a per-chunk array of uint16 marks (one load and one store
per draw, 3x cheaper than comparing with the earlier slots); larger
cardinalities use a partial Fisher-Yates shuffle of a per-chunk scratch
array, undone after each permutation. Both are exactly uniform over
samples without replacement.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from geoai.kernels import jit

__all__ = ["PermutationNull", "Stream", "permutation_null"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_ZERO = np.uint64(0)
_ONE = np.uint64(1)


class Stream(NamedTuple):
    """One observation's random stream: the xoshiro256** state, a buffered half, a flag."""

    s0: np.uint64  #: xoshiro256** state, word 0
    s1: np.uint64  #: word 1
    s2: np.uint64  #: word 2
    s3: np.uint64  #: word 3
    buf: np.uint64  #: the last 64-bit output, whose low half is still to be used
    has: np.uint64  #: 1 when ``buf`` holds an unused half, else 0


class PermutationNull(NamedTuple):
    """Reference distribution of each observation (see :func:`permutation_null`), shape (n,)."""

    n_ge: np.ndarray  #: simulated values >= the observed one (int64; -1 for islands)
    n_le: np.ndarray  #: simulated values <= the observed one (int64; -1 for islands)
    mean: np.ndarray  #: mean of the simulated values (NaN for islands)
    sd: np.ndarray  #: their population standard deviation (NaN for islands)


@jit(inline="always")
def _splitmix64(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return state, z ^ (z >> np.uint64(31))


@jit(inline="always")
def _rotl(x: np.uint64, k: int) -> np.uint64:
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@jit(inline="always")
def new_stream(seed: np.uint64, i: int) -> Stream:
    """Stream of observation ``i``: xoshiro state (4 words), a buffered half, a flag.

    Streams are named tuples of six uint64 passed in and out of the inlined
    helpers, so the state stays in registers.
    """
    state = seed + np.uint64(4 * i) * _GOLDEN
    state, s0 = _splitmix64(state)
    state, s1 = _splitmix64(state)
    state, s2 = _splitmix64(state)
    state, s3 = _splitmix64(state)
    return Stream(s0, s1, s2, s3, _ZERO, _ZERO)


@jit(inline="always")
def next32(st: Stream) -> tuple[np.uint64, Stream]:
    """Next 32 random bits: the two halves of each xoshiro256** output in turn."""
    s0, s1, s2, s3, buf, has = st.s0, st.s1, st.s2, st.s3, st.buf, st.has
    if has:
        return buf & _LOW32, Stream(s0, s1, s2, s3, buf, _ZERO)
    out = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    return out >> np.uint64(32), Stream(s0, s1, s2, _rotl(s3, 45), out, _ONE)


@jit(inline="always")
def below(st: Stream, m: int) -> tuple[int, Stream]:
    """Uniform integer in ``[0, m)`` for ``1 <= m < 2**32`` (Lemire 2019, with rejection)."""
    mu = np.uint64(m)
    r, st = next32(st)
    prod = r * mu
    if (prod & _LOW32) < mu:
        threshold = (np.uint64(2**32) - mu) % mu
        while (prod & _LOW32) < threshold:
            r, st = next32(st)
            prod = r * mu
    return int(prod >> np.uint64(32)), st


@jit(inline="always")
def _draw_marked(
    st: Stream,
    m: int,
    card: int,
    i: int,
    drawn: np.ndarray,
    mark: np.ndarray,
    token: np.uint16,
) -> Stream:
    """Write ``card`` distinct positions of others (not ``i``) to ``drawn``.

    Each slot is drawn uniformly from ``[0, m)`` and redrawn while it
    repeats an earlier slot of this sample (``mark[v] == token``): exact
    sampling without replacement, one load and one store per draw.
    """
    for t in range(card):
        v, st = below(st, m)
        while mark[v] == token:
            v, st = below(st, m)
        mark[v] = token
        drawn[t] = v + (v >= i)  # positions >= i skip i itself
    return st


@jit(inline="always")
def _draw_shuffle(
    st: Stream, m: int, card: int, i: int, drawn: np.ndarray, scratch: np.ndarray
) -> Stream:
    """Write ``card`` distinct positions of others to ``drawn``, by partial Fisher-Yates."""
    for t in range(card):
        r, st = below(st, m - t)
        j = t + r
        v = scratch[j]
        scratch[j] = scratch[t]
        scratch[t] = v
        drawn[t] = j
    for t in range(card - 1, -1, -1):  # undo the swaps: scratch is the identity again
        j = drawn[t]
        v = scratch[t]  # the value drawn at step t
        scratch[t] = scratch[j]
        scratch[j] = v
        drawn[t] = v + (v >= i)  # positions >= i skip i itself
    return st


@jit(parallel=True)
def permutation_null(
    x: np.ndarray,
    indptr: np.ndarray,
    weights: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    observed: np.ndarray,
    tol: np.ndarray,
    permutations: int,
    seed: int,
    n_chunks: int,
) -> PermutationNull:
    """Conditional-permutation reference distribution of ``a_i * sum_j w_ij x_j + b_i``.

    Parameters
    ----------
    x : numpy.ndarray, shape (n,)
        Values that are permuted (standardised for Moran, raw for G).
    indptr : numpy.ndarray, shape (n + 1,)
        Row pointers of the CSR weights without self-weights: the number of
        entries of a row is its cardinality (the neighbours themselves are
        redrawn, so their positions are not needed).
    weights : numpy.ndarray, shape (nnz,)
        The weight values, row by row.
    a : numpy.ndarray, shape (n,)
        Slope of each observation's statistic in its spatial lag.
    b : numpy.ndarray, shape (n,)
        Intercept of each observation's statistic.
    observed : numpy.ndarray, shape (n,)
        The observed statistics.
    tol : numpy.ndarray, shape (n,)
        A simulated value within ``tol`` of the observed one counts as a tie
        (the same sum taken in another order rounds differently).
    permutations : int
        Number of conditional permutations (>= 1).
    seed : int
        Seed of the per-observation random streams (0 <= seed < 2**63).
    n_chunks : int
        Number of contiguous chunks of observations run in parallel.

    Returns
    -------
    n_ge : numpy.ndarray of int64, shape (n,)
        Simulated values >= the observed one (ties count); -1 for islands
        (cardinality 0).
    n_le : numpy.ndarray of int64, shape (n,)
        Simulated values <= the observed one, likewise.
    mean : numpy.ndarray of float64, shape (n,)
        Mean of the simulated values (NaN for islands).
    sd : numpy.ndarray of float64, shape (n,)
        Their population standard deviation (NaN for islands).

    The four come as one :class:`PermutationNull` named tuple.

    Examples
    --------
    Local Moran-like statistics ``x_i (W x)_i`` of four values on a line; the result does
    not depend on ``n_chunks``:

    >>> import numpy as np
    >>> x = np.array([-1.5, -0.5, 0.5, 1.5])
    >>> indptr, w = np.array([0, 1, 3, 5, 6]), np.array([1.0, 0.5, 0.5, 0.5, 0.5, 1.0])
    >>> observed = x * np.array([-0.5, -0.5, 0.5, 0.5])
    >>> args = (x, indptr, w, x, np.zeros(4), observed, np.full(4, 1e-12), 99, 0)
    >>> n_ge, n_le, mean, sd = permutation_null(*args, 1)
    >>> bool((n_ge + n_le >= 99).all()), bool((sd > 0).all())
    (True, True)
    >>> again = permutation_null(*args, 2)
    >>> all(np.array_equal(p, q) for p, q in zip(again, (n_ge, n_le, mean, sd)))
    True
    """
    n = x.size
    n_ge = np.full(n, -1, dtype=np.int64)
    n_le = np.full(n, -1, dtype=np.int64)
    mean = np.full(n, np.nan)
    sd = np.full(n, np.nan)
    max_card = 1
    for i in range(n):
        max_card = max(max_card, indptr[i + 1] - indptr[i])
    seed64 = np.uint64(seed)
    step = (n + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        drawn = np.empty(max_card, dtype=np.int64)
        sims = np.empty(permutations)
        mark = np.zeros(n - 1, dtype=np.uint16)  # token of the sample that drew each value
        token = 0
        scratch = np.empty(0, dtype=np.int64)
        for i in range(c * step, min(n, (c + 1) * step)):
            lo = indptr[i]
            card = indptr[i + 1] - lo
            if card == 0:
                continue
            marked = 2 * card <= n - 1  # a redraw is needed with probability < 1/2
            if not marked and scratch.size == 0:
                scratch = np.arange(n - 1)  # identity, restored after each draw
            st = new_stream(seed64, i)
            for p in range(permutations):
                if marked:
                    token += 1
                    if token == 65536:  # tokens wrap: forget every mark
                        mark[:] = 0
                        token = 1
                    st = _draw_marked(st, n - 1, card, i, drawn, mark, np.uint16(token))
                else:
                    st = _draw_shuffle(st, n - 1, card, i, drawn, scratch)
                acc = 0.0
                for t in range(card):  # gathers apart from the draws: loads overlap
                    acc += weights[lo + t] * x[drawn[t]]
                sims[p] = a[i] * acc + b[i]
            total = 0.0
            ge = 0
            le = 0
            for p in range(permutations):
                total += sims[p]
                ge += sims[p] >= observed[i] - tol[i]
                le += sims[p] <= observed[i] + tol[i]
            mu = total / permutations
            ss = 0.0
            for p in range(permutations):
                ss += (sims[p] - mu) ** 2
            n_ge[i] = ge
            n_le[i] = le
            mean[i] = mu
            sd[i] = np.sqrt(ss / permutations)
    return PermutationNull(n_ge, n_le, mean, sd)
