"""The scenario's kept arrays: least recently used dropped first, by count or bytes, thread-safe."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoai.scenario._kept import Kept


@given(
    ops=st.lists(st.tuples(st.booleans(), st.integers(0, 6)), max_size=60),
    most=st.integers(1, 4),
)
def test_kept_by_count_is_a_least_recently_used_list(ops, most):
    kept, order = Kept[int, int](most=most), []  # the reference: keys, least recent first
    for is_put, key in ops:
        if is_put:
            assert kept.put(key, 10 * key) == 10 * key
            order = [k for k in order if k != key] + [key]
            order = order[-most:]
        else:
            got = kept.get(key)
            assert got == (10 * key if key in order else None)
            if key in order:
                order = [k for k in order if k != key] + [key]
        assert list(kept) == order
        assert len(kept) == len(order)


def test_kept_by_bytes_drops_the_oldest_and_always_keeps_the_newest():
    kept = Kept[str, np.ndarray](budget=250, size=lambda a: a.nbytes)
    for name, n in (("a", 10), ("b", 10), ("c", 10)):  # 80 bytes each
        kept.put(name, np.zeros(n))
    assert list(kept) == ["a", "b", "c"]
    kept.get("a")
    kept.put("d", np.zeros(10))
    assert list(kept) == ["c", "a", "d"]  # b was the least recently used
    kept.put("huge", np.zeros(100))  # 800 bytes alone: over the budget, kept anyway
    assert list(kept) == ["huge"]


def test_a_byte_budget_needs_a_size():
    with pytest.raises(ValueError, match="size="):
        Kept[str, int](budget=10)


def test_threads_putting_and_getting_leave_it_consistent():
    kept = Kept[int, int](most=5)

    def work(offset):
        for i in range(2_000):
            kept.put((offset + i) % 13, i)
            kept.get((offset * 7 + i) % 13)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = list(kept)
    assert len(keys) == len(set(keys)) == len(kept) == 5
