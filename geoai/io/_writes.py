"""Writes on one thread while the caller computes the next thing, always waited for.

zlib and GDAL release the GIL while they deflate and write, so a run's PNGs
(:class:`geoai.viz._export.MapWriter`) and COGs
(:func:`geoai.pipeline._rasters.write_rasters`) go to one worker thread, in
order, while the next map is drawn or the next surface computed. Leaving the
``with`` block waits for every write: on the way out of an error too, so
that nothing still writes into a staging folder being removed.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Writes"]


class Writes:
    """A queue of writes on one thread; the ``with`` block's end waits for them all.

    Parameters
    ----------
    waiting : int, optional
        Most writes submitted and not yet finished; :meth:`submit` waits for
        room (each may hold a large buffer). None: no limit.
    name : str, default "geoai-writes"
        The worker thread's name.

    Notes
    -----
    On leaving the block without an error, the first error a write raised is
    raised there; with an error already on its way, the writes are only
    waited for and that error goes on.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with Writes(waiting=1) as writes:
    ...     for k in range(3):
    ...         writes.submit((folder / f"{k}.txt").write_text, f"file {k}")
    >>> sorted(p.read_text() for p in folder.iterdir())
    ['file 0', 'file 1', 'file 2']
    """

    def __init__(self, waiting: int | None = None, name: str = "geoai-writes") -> None:
        self.waiting = waiting
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=name)
        self._pending: list[Future[Any]] = []

    def submit(self, write: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - any writer's arguments
        """Queue ``write(*args, **kwargs)`` after the writes already queued."""
        if self.waiting is not None:
            while sum(not f.done() for f in self._pending) >= self.waiting:
                wait([f for f in self._pending if not f.done()], return_when=FIRST_COMPLETED)
        self._pending.append(self._pool.submit(write, *args, **kwargs))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        wait(self._pending)
        self._pool.shutdown()
        if kind is None:
            for done in self._pending:
                done.result()  # the first error a write met, raised here
