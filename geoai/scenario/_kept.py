"""A few computed arrays kept for the next run: least recently used dropped first, thread-safe.

A sweep runs many simulations of one world side by side (on threads with
Dask's local scheduler), and each reuses what the first computed: the
distances between the metros, the deterrence matrices of each decay, the
natural growth of the metros, a digest of the world's points. Each of those
is a :class:`Kept`, sized by a number of entries, a number of bytes, or both.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

__all__ = ["Kept"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Values by key, least recently used dropped first once a limit is passed.

    Parameters
    ----------
    most : int, optional
        Most entries kept.
    budget : int, optional
        Most bytes kept, as ``size`` counts them; the newest entry is always
        kept, even alone over the budget.
    size : callable, optional
        Bytes of one value (needed with ``budget``).

    Examples
    --------
    >>> kept = Kept[str, int](most=2)
    >>> kept.put("a", 1), kept.put("b", 2), kept.get("a"), kept.put("c", 3)
    (1, 2, 1, 3)
    >>> list(kept), kept.get("b")  # "b" was the least recently used
    (['a', 'c'], None)
    """

    def __init__(
        self,
        *,
        most: int | None = None,
        budget: int | None = None,
        size: Callable[[V], int] | None = None,
    ) -> None:
        if budget is not None and size is None:
            raise ValueError("a byte budget needs size=, the bytes of one value.")
        self.most, self.budget, self._size = most, budget, size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """Return the value kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> V:
        """Keep ``value`` under ``key`` as the most recently used; drop what the limits say."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            if self.most is not None:
                while len(self._entries) > self.most:
                    self._entries.popitem(last=False)
            if self.budget is not None and self._size is not None:
                total = sum(self._size(v) for v in self._entries.values())
                while len(self._entries) > 1 and total > self.budget:
                    total -= self._size(self._entries.popitem(last=False)[1])
        return value

    def __iter__(self) -> Iterator[K]:
        """Iterate over the keys, least recently used first (a copy: safe while others put)."""
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        """Return the number of entries kept."""
        return len(self._entries)
