"""Size before work for conditional-permutation inference (local Moran, Getis-Ord).

:func:`geoai.kernels.lisa.permutation_null` runs contiguous chunks of
observations on Numba's threads and allocates its buffers inside each
chunk. An allocation that fails inside a worker thread does not come back
as a ``MemoryError``: either the chunk stops and its observations keep the
kernel's "island" fill (-1 counts, NaN moments), so every p-value of the
chunk reads NaN (issue #16), or the process dies (a segmentation fault
under ``ulimit -v``). So the buffers are sized here before the kernel runs
(:func:`check_null_memory`), and a kernel result with unfinished
observations is refused afterwards (:func:`check_finished`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from geoai._budget import check_memory
from geoai.errors import ResourceError

if TYPE_CHECKING:
    from geoai._typing import IntArray

__all__ = ["check_finished", "check_null_memory", "n_chunks", "null_bytes"]


def n_chunks(n: int) -> int:
    """Return how many chunks of observations the permutation kernel runs in parallel.

    Parameters
    ----------
    n : int
        Number of observations.

    Returns
    -------
    int
        ``8 * threads``, at most ``n`` and at least 1 (small chunks balance the load).

    Examples
    --------
    >>> n_chunks(1), n_chunks(10**6) >= 8
    (1, True)
    """
    from geoai.kernels import n_threads

    return max(1, min(n, 8 * n_threads()))


def null_bytes(card: IntArray, permutations: int, at_once: int) -> int:
    """Peak memory of :func:`geoai.kernels.lisa.permutation_null`, from its allocations.

    Each running chunk holds the simulated values (float64, one per
    permutation), the uint16 marks of the ``n - 1`` other observations (a
    token each up to :data:`geoai.kernels.lisa.TOKEN_MARKS_MAX` of them, a
    bitmap of ``ceil((n - 1) / 16)`` words above), one
    block of drawn positions (int64, :data:`geoai.kernels.lisa.BLOCK_SLOTS`
    slots plus one per slot of the largest cardinality) and, when some cardinality
    exceeds ``(n - 1) / 2`` (partial Fisher-Yates), an int64 scratch of the
    others; the four outputs take 32 bytes an observation. Nothing grows with
    ``n * permutations``: the simulated values of one observation are reduced
    to counts and moments before the next is drawn.

    Parameters
    ----------
    card : numpy.ndarray of int, shape (n,)
        Neighbours per observation (self-weights excluded).
    permutations : int
        Permutations per observation.
    at_once : int
        Chunks whose buffers are alive at the same time (the threads).

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    A million permutations of 100 observations with 8 neighbours each, on 2 threads:

    >>> null_bytes(np.full(100, 8), 10**6, 2) == 2 * (8 * 10**6 + 2 * 99 + 8 * (4096 + 8)) + 3200
    True
    """
    from geoai.kernels.lisa import BLOCK_SLOTS, TOKEN_MARKS_MAX

    n = int(card.size)
    others = max(n - 1, 0)
    marks = 2 * (others if others <= TOKEN_MARKS_MAX else (others + 15) // 16)
    scratch = 8 * others if bool((2 * card > others).any()) else 0
    block = BLOCK_SLOTS + int(card.max(initial=1))
    per_chunk = 8 * int(permutations) + marks + 8 * block + scratch
    return int(at_once) * per_chunk + 32 * n


def check_null_memory(card: IntArray, permutations: int, chunks: int) -> None:
    """Refuse up front a permutation run whose buffers exceed the memory budget.

    Parameters
    ----------
    card : numpy.ndarray of int, shape (n,)
        Neighbours per observation (self-weights excluded).
    permutations : int
        Permutations per observation.
    chunks : int
        Chunks the kernel is given (:func:`n_chunks`); at most one per thread
        runs at a time.

    Raises
    ------
    ResourceError
        :func:`null_bytes` exceeds :func:`geoai._budget.memory_budget`.

    Examples
    --------
    >>> check_null_memory(np.full(10, 3), 999, 1)  # 8 kB: returns None
    """
    from geoai.kernels import n_threads

    at_once = max(1, min(chunks, n_threads()))
    check_memory(
        null_bytes(card, permutations, at_once),
        f"the null of {permutations:,} permutations on {at_once} thread(s)",
        "use fewer permutations (999 or 9,999 are usual: p-values need about 1 / alpha of "
        "them), or fewer threads (NUMBA_NUM_THREADS).",
    )


def check_finished(n_ge: IntArray, card: IntArray) -> None:
    """Refuse a kernel result in which observations with neighbours were left unfinished.

    Parameters
    ----------
    n_ge : numpy.ndarray of int64, shape (n,)
        The kernel's counts: -1 where it did not finish (or an island).
    card : numpy.ndarray of int, shape (n,)
        Neighbours per observation; islands (0) are -1 by design.

    Raises
    ------
    ResourceError
        Some observation with neighbours still holds -1: an allocation failed
        in a worker thread, which Numba does not report as an exception.

    Examples
    --------
    >>> check_finished(np.array([3, -1]), np.array([2, 0]))  # the -1 is an island
    >>> try:
    ...     check_finished(np.array([-1, 5]), np.array([2, 2]))
    ... except MemoryError as exc:
    ...     print(type(exc).__name__)
    ResourceError
    """
    lost = int(np.count_nonzero((n_ge < 0) & (card > 0)))
    if lost:
        raise ResourceError(
            f"the permutation kernel left {lost} of {card.size} observations unfinished "
            "(an allocation failed in a worker thread); use fewer permutations or set "
            "GEOAI_MEMORY_BUDGET lower so the check before the kernel refuses it."
        )
