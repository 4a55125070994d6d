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
detected through per-chunk marks (one load and one store per draw, 3x
cheaper than comparing with the earlier slots): a uint16 sample token per
value up to :data:`TOKEN_MARKS_MAX` values, a bitmap above it (16x smaller,
so it stays in cache beside ``x``). The draw loop tries both 32-bit halves
of each xoshiro output in turn and reads the buffered-half flag of
:class:`Stream` only at the ends of a block (1.13x less CPU time at
n = 10^5, 1.24x at n = 10^6 with the bitmap, same draws); larger
cardinalities use a partial Fisher-Yates shuffle of a per-chunk scratch
array, undone after each permutation. Both are exactly uniform over
samples without replacement.

Blocks: the draws of up to :data:`BLOCK_SLOTS` slots (a block of samples of
one observation) are written to a small per-chunk buffer first and gathered
afterwards, so the loads of ``x`` do not wait on the random stream and their
cache misses overlap (measured at n = 10^6, where ``x`` is 8 MB: 1.4x less CPU
time for the whole kernel than drawing and gathering slot by slot). The draws
and the streams are the same as slot by slot; each observation's simulated
values are reduced to counts and moments before the next one is drawn, so
memory never grows with ``n * permutations``.
Nothing is shared between chunks but the read-only inputs: no lock, no atomic.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from geoai.kernels import jit

__all__ = ["BLOCK_SLOTS", "TOKEN_MARKS_MAX", "PermutationNull", "Stream", "permutation_null"]

#: Neighbour slots drawn before they are gathered (int64 draws: 32 KiB, in L1/L2 cache).
BLOCK_SLOTS = 4096

#: Most values (``n - 1``) whose duplicates are marked with one uint16 sample token each
#: (512 KiB); above it, a bitmap of ``ceil((n - 1) / 16)`` uint16 words stays in cache
#: (at n = 10^6: 122 KiB instead of 1.9 MiB per chunk; 1.2x less CPU time for the kernel).
TOKEN_MARKS_MAX = 2**18

_TOKENS = 65536  # uint16 sample tokens wrap here

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
def _attempt(
    r: np.uint64,
    mu: np.uint64,
    threshold: np.uint64,
    card: int,
    pos: int,
    start: int,
    drawn: np.ndarray,
    mark: np.ndarray,
    token: int,
    bitmap: bool,
) -> tuple[int, int, int]:
    """Try the 32-bit word ``r`` as the draw of slot ``pos``; return ``(pos, start, token)`` next.

    The word is rejected when Lemire's low product is below ``threshold``
    (``(2**32 - m) % m``, so the accepted values are exactly uniform) or when
    its value is already in this sample; otherwise it fills the slot. Values
    of the sample are marked either with its ``token`` in ``mark[v]`` (tokens
    wrap after 65,535 samples, when every mark is forgotten) or, with
    ``bitmap``, as bit ``v % 16`` of ``mark[v // 16]``, cleared word by word
    once the sample of ``card`` slots is complete.
    """
    prod = r * mu
    if (prod & _LOW32) < threshold:
        return pos, start, token
    v = int(prod >> np.uint64(32))
    if bitmap:
        bit = np.uint16(1 << (v & 15))
        if mark[v >> 4] & bit:
            return pos, start, token
        mark[v >> 4] |= bit
    else:
        if mark[v] == token:
            return pos, start, token
        mark[v] = token
    drawn[pos] = v
    pos += 1
    if pos - start == card:
        if bitmap:
            for q in range(start, pos):
                mark[drawn[q] >> 4] = 0
        else:
            token += 1
            if token == _TOKENS:
                mark[:] = 0
                token = 1
        start = pos
    return pos, start, token


@jit(inline="always")
def _draw_marked(
    st: Stream,
    m: int,
    card: int,
    samples: int,
    drawn: np.ndarray,
    mark: np.ndarray,
    token: int,
    bitmap: bool,
) -> tuple[Stream, int]:
    """Write ``samples`` samples of ``card`` distinct draws from ``[0, m)`` to ``drawn``.

    Every 32-bit word of the stream is one attempt (:func:`_attempt`): both
    halves of each xoshiro256** output are tried in turn (high, then low)
    without going through the buffered-half flag, which is read once on entry
    and written once on exit. The words, their order and the rejections are
    those of :func:`below` followed by a redraw while a value repeats, so the
    draws are exactly those of slot-by-slot sampling. Returns the stream and
    the next sample token.
    """
    mu = np.uint64(m)
    threshold = (np.uint64(2**32) - mu) % mu
    total = samples * card
    s0, s1, s2, s3 = st.s0, st.s1, st.s2, st.s3
    pos = 0
    start = 0
    if st.has:
        pos, start, token = _attempt(
            st.buf & _LOW32, mu, threshold, card, pos, start, drawn, mark, token, bitmap
        )
    while pos < total:
        out = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
        t = s1 << np.uint64(17)
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        pos, start, token = _attempt(
            out >> np.uint64(32), mu, threshold, card, pos, start, drawn, mark, token, bitmap
        )
        if pos == total:  # the low half waits for the next block
            return Stream(s0, s1, s2, s3, out, _ONE), token
        pos, start, token = _attempt(
            out & _LOW32, mu, threshold, card, pos, start, drawn, mark, token, bitmap
        )
    return Stream(s0, s1, s2, s3, _ZERO, _ZERO), token


@jit(inline="always")
def _draw_shuffle(
    st: Stream, m: int, card: int, drawn: np.ndarray, base: int, scratch: np.ndarray
) -> Stream:
    """Write ``card`` distinct draws from ``[0, m)`` to ``drawn[base:]`` (partial Fisher-Yates)."""
    for t in range(card):
        r, st = below(st, m - t)
        j = t + r
        v = scratch[j]
        scratch[j] = scratch[t]
        scratch[t] = v
        drawn[base + t] = j
    for t in range(card - 1, -1, -1):  # undo the swaps: scratch is the identity again
        j = drawn[base + t]
        v = scratch[t]  # the value drawn at step t
        scratch[t] = scratch[j]
        scratch[j] = v
        drawn[base + t] = v
    return st


@jit(inline="always")
def _lags(
    x: np.ndarray,
    weights: np.ndarray,
    lo: int,
    card: int,
    i: int,
    drawn: np.ndarray,
    samples: int,
    out: np.ndarray,
    first: int,
) -> None:
    """``out[first + s] = sum_t weights[lo + t] * x[others[drawn[s * card + t]]]``, s < samples.

    A draw ``v`` in ``[0, n - 1)`` is the position ``v + (v >= i)``: the others skip ``i``.
    The loads of a whole block are independent of the random stream, so the
    processor overlaps their cache misses (the gain is largest when ``x`` is
    far larger than the caches).
    """
    for s in range(samples):
        acc = 0.0
        at = s * card
        for t in range(card):
            v = drawn[at + t]
            acc += weights[lo + t] * x[v + (v >= i)]
        out[first + s] = acc


@jit(inline="always")
def _summarise(
    lags: np.ndarray, a: float, b: float, ge_bar: float, le_bar: float
) -> tuple[int, int, float, float]:
    """Count values ``>= ge_bar`` and ``<= le_bar``; mean and population sd of ``a * lags + b``.

    ``lags`` is overwritten with the simulated statistics.
    """
    total = 0.0
    ge = 0
    le = 0
    for p in range(lags.size):
        sim = a * lags[p] + b
        lags[p] = sim
        total += sim
        ge += sim >= ge_bar
        le += sim <= le_bar
    mu = total / lags.size
    ss = 0.0
    for p in range(lags.size):
        ss += (lags[p] - mu) ** 2
    return ge, le, mu, np.sqrt(ss / lags.size)


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
    per_block = max(1, BLOCK_SLOTS // max_card)  # samples drawn before they are gathered
    seed64 = np.uint64(seed)
    step = (n + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        drawn = np.empty(BLOCK_SLOTS + max_card, dtype=np.int64)  # >= per_block * max_card
        sims = np.empty(permutations)
        bitmap = n - 1 > TOKEN_MARKS_MAX
        mark = np.zeros((n + 14) // 16 if bitmap else n - 1, dtype=np.uint16)
        token = 1  # of the sample being drawn (token marks only)
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
            for first in range(0, permutations, per_block):
                samples = min(per_block, permutations - first)
                # draw a block of samples, then gather it; a literal flag per call, so each
                # inlined copy of the draw loop is compiled for one kind of marks
                if marked and bitmap:
                    st, token = _draw_marked(
                        st,
                        n - 1,
                        card,
                        samples,
                        drawn,
                        mark,
                        token,
                        True,  # noqa: FBT003 - the kernels' Python twins take no keywords
                    )
                elif marked:
                    st, token = _draw_marked(
                        st,
                        n - 1,
                        card,
                        samples,
                        drawn,
                        mark,
                        token,
                        False,  # noqa: FBT003 - the kernels' Python twins take no keywords
                    )
                else:
                    for s in range(samples):
                        st = _draw_shuffle(st, n - 1, card, drawn, s * card, scratch)
                _lags(x, weights, lo, card, i, drawn, samples, sims, first)
            n_ge[i], n_le[i], mean[i], sd[i] = _summarise(
                sims, a[i], b[i], observed[i] - tol[i], observed[i] + tol[i]
            )
    return PermutationNull(n_ge, n_le, mean, sd)
