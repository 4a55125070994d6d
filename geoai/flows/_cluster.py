"""Matrix-free flows on a Dask cluster: the decay matrix cut into tiles, partial sums streamed.

The places are cut into ``J`` contiguous blocks of at most ``block`` points.
For the totals (``F @ v``, ``F`` symmetric) one task per tile ``(I, J)`` with
``I <= J`` evaluates each pair of the tile once and returns both shares,
``F[I, J] v[J]`` and ``F[J, I] v[I]`` (:func:`geoai.kernels.blocks.block_pair_matmat`;
a diagonal tile, its triangle and self pairs,
:func:`~geoai.kernels.blocks.block_triangle_matmat`): ``n² / 2`` pair
evaluations in all, as the single-process kernel. The top-k takes the same
tiles: each pair evaluated once feeds the row tables of both blocks
(:func:`~geoai.kernels.blocks.block_pair_top_k`; a diagonal tile,
:func:`~geoai.kernels.blocks.block_top_k`), and each block's partial tables
are merged exactly (:func:`~geoai.kernels.blocks.merge_top_k`).

Coordinates, own distances and right-hand vectors are scattered to every
worker once (``broadcast``); a task carries only its tile's bounds, so its
memory is ``O(block)``. Tasks are submitted in a window of a few per worker
thread and consumed as they finish (``as_completed``): the client holds the
``(m, n)`` result, a compensated-sum companion and at most the window's
partials. The sums are compensated (Neumaier), so the result does not depend,
beyond a unit in the last place, on the order in which tiles finish.

Any ``dask.distributed`` scheduler runs it: a local cluster by default, or a
SLURM/PBS (dask-jobqueue), Kubernetes or Coiled cluster given by its
scheduler address. Workers need geoai installed (the tasks are functions of
this module); the Numba kernels compile once per worker environment and are
cached on disk.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from geoai import _validate as v
from geoai._optional import optional
from geoai._scheduler import check_address, connected, usable_cores
from geoai.errors import BackendUnavailableError, InputError
from geoai.flows._furness import furness
from geoai.kernels import blocks as kb

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from distributed import Client, Future

    from geoai._geodesy import KernelPoints
    from geoai._typing import FloatArray, IntArray
    from geoai.kernels.interaction import TopK

__all__ = ["block_size", "cluster_furness", "cluster_matmat", "cluster_top_k"]

#: Tiles of the triangle aimed at per worker thread (load balance against per-task overhead).
TILES_PER_THREAD = 8
#: Bounds of the automatic block (points): a 512-point tile is ~0.26 M pairs (a few ms),
#: an 8,192-point tile ~67 M pairs (about a second on one core), with O(block) memory.
MIN_BLOCK, MAX_BLOCK = 512, 8192
#: Tasks in flight per worker thread: enough to keep workers busy while the client adds.
WINDOW_PER_THREAD = 3
#: Longest wait (s) for a first worker on a cluster that has none yet (e.g. queued jobs).
WORKER_WAIT_S = 120.0


def block_size(n: int, n_threads: int) -> int:
    """Return the automatic block (points per side of a tile) for ``n`` places.

    Aims at :data:`TILES_PER_THREAD` triangle tiles per worker thread, within
    ``[MIN_BLOCK, MAX_BLOCK]`` (and at most ``n``).

    Parameters
    ----------
    n : int
        Number of places.
    n_threads : int
        Worker threads of the cluster.

    Returns
    -------
    int
        The block, >= 1.

    Examples
    --------
    >>> block_size(20_000, 2), block_size(1_000_000, 64), block_size(100, 2)
    (3334, 8192, 100)
    """
    target = TILES_PER_THREAD * max(n_threads, 1)
    sides = max(1, math.ceil((math.sqrt(8 * target + 1) - 1) / 2))  # J (J + 1) / 2 >= target
    block = min(max(math.ceil(n / sides), MIN_BLOCK), MAX_BLOCK)
    return max(1, min(block, n))


def _bounds(n: int, block: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + block, n)) for lo in range(0, n, block)]


@contextlib.contextmanager
def _client(scheduler: str | Client | None) -> Iterator[Client]:
    """Yield the client to run on: the one given, the current one, an address's, or a new one."""
    distributed = optional("distributed", "method='dask'")
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    address = check_address(scheduler, "scheduler")
    if address:
        with connected(address) as client:
            yield client  # type: ignore[misc]  # an address gives a Client
        return
    try:
        current: Client | None = distributed.get_client()
    except ValueError:  # no current client (only this call: errors of the work must pass)
        current = None
    if current is not None:
        yield current
        return
    with (
        distributed.LocalCluster(
            n_workers=usable_cores(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never a clash with a running cluster
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _threads(client: Client) -> int:
    threads = sum(client.nthreads().values())  # type: ignore[no-untyped-call]  # untyped dependency
    if threads:
        return int(threads)
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except TimeoutError:
        raise BackendUnavailableError(
            f"the Dask cluster at {client.scheduler.address} has no worker after "  # type: ignore[union-attr]  # a connected client has one
            f"{WORKER_WAIT_S:g} s; start workers (cluster.scale(...)) and try again."
        ) from None
    return int(sum(client.nthreads().values()))  # type: ignore[no-untyped-call]  # untyped


def _contiguous(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.ascontiguousarray(a[..., lo:hi])


def _tile_matmat(
    x: FloatArray,
    own: FloatArray,
    vec: FloatArray,
    *,
    geo: bool,
    spec: tuple[int, float, float],
    rows: tuple[int, int],
    cols: tuple[int, int],
) -> tuple[FloatArray, FloatArray | None]:
    """One tile's shares of ``F @ v`` (run on a worker)."""
    (i0, i1), (j0, j1) = rows, cols
    xi, vi = _contiguous(x, i0, i1), _contiguous(vec, i0, i1)
    if rows == cols:
        return kb.block_triangle_matmat(xi, geo, _contiguous(own, i0, i1), *spec, vi), None
    xj, vj = _contiguous(x, j0, j1), _contiguous(vec, j0, j1)
    out_i, out_j = kb.block_pair_matmat(xi, xj, geo, *spec, vi, vj)
    return out_i, out_j


def _tile_top_k(
    x: FloatArray,
    own: FloatArray,
    wd: FloatArray,
    *,
    geo: bool,
    spec: tuple[int, float, float],
    top_k: int,
    rows: tuple[int, int],
    cols: tuple[int, int],
) -> tuple[TopK, TopK | None]:
    """One tile's top-k tables: rows over columns and, off the diagonal, back (on a worker)."""
    (i0, i1), (j0, j1) = rows, cols
    io = np.arange(i0, i1, dtype=np.int64)
    xi = _contiguous(x, i0, i1)
    if rows == cols:
        own_i, wd_i = _contiguous(own, i0, i1), _contiguous(wd, i0, i1)
        found = kb.block_top_k(xi, xi, io, io, geo, own_i, *spec, wd_i, top_k)
        return found, None
    jd = np.arange(j0, j1, dtype=np.int64)
    xj, wi, wj = _contiguous(x, j0, j1), _contiguous(wd, i0, i1), _contiguous(wd, j0, j1)
    return kb.block_pair_top_k(xi, xj, io, jd, geo, *spec, wi, wj, top_k)


class _Compensated:
    """An ``(m, n)`` sum with Neumaier's compensation: order-independent to the last place."""

    def __init__(self, m: int, n: int) -> None:
        self.total = np.zeros((m, n))
        self.carry = np.zeros((m, n))

    def add(self, lo: int, hi: int, part: FloatArray) -> None:
        s = self.total[:, lo:hi]
        t = s + part
        big = np.abs(s) >= np.abs(part)
        with np.errstate(invalid="ignore"):  # inf - inf: a NaN carry, dropped in value()
            self.carry[:, lo:hi] += np.where(big, (s - t) + part, (part - t) + s)
        self.total[:, lo:hi] = t

    def value(self) -> FloatArray:
        # an infinite total (a self pair at distance 0 under power decay) has a NaN carry
        return np.where(np.isfinite(self.total), self.total + self.carry, self.total)


class _Session:
    """One client's view of the places: coordinates scattered once, tiles streamed."""

    def __init__(
        self,
        client: Client,
        pts: KernelPoints,
        own: FloatArray,
        block: int | None,
        *,
        progress: bool | None,
    ) -> None:
        threads = _threads(client)
        self.client, self.n, self.geo = client, pts.n, bool(pts.geo)
        self.block = block_size(pts.n, threads) if block is None else block
        self.bounds = _bounds(pts.n, self.block)
        self.window = max(WINDOW_PER_THREAD * threads, 2)
        self.progress = sys.stderr.isatty() if progress is None else progress
        xyz = np.ascontiguousarray(pts.xyz, dtype=np.float64)
        self.x = client.scatter(xyz, broadcast=True, hash=False)  # type: ignore[no-untyped-call]  # untyped
        self.own = client.scatter(np.asarray(own, np.float64), broadcast=True, hash=False)  # type: ignore[no-untyped-call]  # untyped

    def _stream(
        self,
        fn: Callable[..., Any],
        tiles: list[tuple[tuple[int, int], tuple[int, int]]],
        head: tuple[Any, ...],
        *,
        static: dict[str, Any],
        take: Callable[[tuple[tuple[int, int], tuple[int, int]], Any], None],
        label: str,
    ) -> None:
        """Run ``fn(*head, **static, rows=, cols=)`` per tile, a window at a time; ``take`` each."""
        distributed = optional("distributed", "method='dask'")
        pending = distributed.as_completed(loop=self.client.loop)
        tile_of: dict[Any, tuple[tuple[int, int], tuple[int, int]]] = {}
        queue = iter(tiles)

        def submit() -> None:
            tile = next(queue, None)
            if tile is not None:
                rows, cols = tile
                fut: Future[Any] = self.client.submit(
                    fn, *head, **static, rows=rows, cols=cols, pure=False
                )
                tile_of[fut.key] = tile
                pending.add(fut)

        for _ in range(min(self.window, len(tiles))):
            submit()
        with _Bar(label, len(tiles), show=self.progress) as bar:
            try:
                for fut in pending:
                    result = fut.result()
                    tile = tile_of.pop(fut.key)
                    fut.release()
                    submit()
                    take(tile, result)
                    bar.advance()
            except BaseException:  # a failed tile or Ctrl-C: stop the window still running
                self.client.cancel(list(pending.futures))  # type: ignore[no-untyped-call]  # untyped
                raise

    def matmat(self, vec: FloatArray, spec: tuple[int, float, float]) -> FloatArray:
        """``F @ vec[k]`` for every row ``k`` of ``vec`` ``(m, n)``."""
        vec = np.ascontiguousarray(vec, dtype=np.float64)
        acc = _Compensated(vec.shape[0], self.n)
        tiles = [(r, c) for i, r in enumerate(self.bounds) for c in self.bounds[i:]]

        def take(tile: tuple[tuple[int, int], tuple[int, int]], result: Any) -> None:  # noqa: ANN401 - a task's result
            (i0, i1), (j0, j1) = tile
            acc.add(i0, i1, result[0])
            if result[1] is not None:
                acc.add(j0, j1, result[1])

        scattered = self.client.scatter(vec, broadcast=True, hash=False)  # type: ignore[no-untyped-call]  # untyped
        static = {"geo": self.geo, "spec": spec}
        self._stream(
            _tile_matmat,
            tiles,
            (self.x, self.own, scattered),
            static=static,
            take=take,
            label="flows",
        )
        return acc.value()

    def top_k(
        self, wd: FloatArray, spec: tuple[int, float, float], top_k: int
    ) -> tuple[IntArray, FloatArray]:
        """Find the ``top_k`` largest ``wd_j f_ij`` of every row, tiles merged as they come."""
        idx = np.full((self.n, top_k), -1, dtype=np.int64)
        val = np.zeros((self.n, top_k))
        tiles = [(r, c) for i, r in enumerate(self.bounds) for c in self.bounds[i:]]

        def merge(lo: int, hi: int, part: TopK) -> None:
            merged = kb.merge_top_k(idx[lo:hi], val[lo:hi], part.column, part.value)
            idx[lo:hi], val[lo:hi] = merged.column, merged.value

        def take(tile: tuple[tuple[int, int], tuple[int, int]], result: Any) -> None:  # noqa: ANN401 - a task's result
            (i0, i1), (j0, j1) = tile
            merge(i0, i1, result[0])
            if result[1] is not None:
                merge(j0, j1, result[1])

        wd_f = self.client.scatter(np.ascontiguousarray(wd, np.float64), broadcast=True, hash=False)  # type: ignore[no-untyped-call]  # untyped
        static = {"geo": self.geo, "spec": spec, "top_k": top_k}
        self._stream(
            _tile_top_k, tiles, (self.x, self.own, wd_f), static=static, take=take, label="top-k"
        )
        return idx, val


class _Bar:
    """A rich progress bar over tasks on stderr, or nothing."""

    def __init__(self, label: str, total: int, *, show: bool) -> None:
        self.bar: Any = None
        if show:
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task(label, total=total)

    def __enter__(self) -> Self:
        if self.bar is not None:
            self.bar.start()
        return self

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _check(pts: KernelPoints, own: FloatArray, block: int | None) -> int | None:
    if np.shape(own) != (pts.n,):
        raise InputError(
            f"own has shape {np.shape(own)} for {pts.n} places; pass one distance per place."
        )
    return None if block is None else v.check_integer(block, "block", minimum=1)


def cluster_matmat(
    pts: KernelPoints,
    own: FloatArray,
    spec: tuple[int, float, float],
    vec: FloatArray,
    *,
    scheduler: str | Client | None,
    block: int | None = None,
    progress: bool | None = None,
) -> FloatArray:
    """``F @ vec[k]`` for the decay matrix of the places, on a Dask cluster.

    The value of ``geoai.kernels.interaction.symmetric_matmat(pts.xyz, pts.geo,
    own, *spec, vec, n_threads)``, to rounding (1e-12 relative), by tiles (module notes).

    Parameters
    ----------
    pts : geoai._geodesy.KernelPoints
        The ``n`` places.
    own : numpy.ndarray, shape (n,)
        Own distance (km) per place for the self pair; NaN excludes it.
    spec : tuple of (int, float, float)
        The decay's ``(kind, beta, a)``.
    vec : numpy.ndarray, shape (m, n)
        Right-hand vectors (``m`` small: 1 or 2).
    scheduler : str, distributed.Client or None
        A scheduler address (``"tcp://host:8786"``), a Client, or None: the
        current client if there is one, else a local cluster of one
        single-threaded worker process per core, closed after.
    block : int, optional
        Points per side of a tile (default :func:`block_size`).
    progress : bool, optional
        Show a progress bar over tiles (default: when stderr is a terminal).

    Returns
    -------
    numpy.ndarray, shape (m, n)
        Row ``k`` is ``F @ vec[k]``.

    Raises
    ------
    InputError
        A malformed address or ``block``.
    BackendUnavailableError
        ``distributed`` is not installed, or no scheduler answers at the address.
    """
    block = _check(pts, own, block)
    vec = np.asarray(vec, dtype=np.float64)
    if vec.ndim != 2 or vec.shape[1] != pts.n:
        raise InputError(f"vec has shape {vec.shape}; pass (m, {pts.n}), one row per vector.")
    with _client(scheduler) as client:
        return _Session(client, pts, own, block, progress=progress).matmat(vec, spec)


def cluster_top_k(
    pts: KernelPoints,
    own: FloatArray,
    spec: tuple[int, float, float],
    wd: FloatArray,
    top_k: int,
    *,
    scheduler: str | Client | None,
    block: int | None = None,
    progress: bool | None = None,
) -> tuple[IntArray, FloatArray]:
    """Find the ``top_k`` largest ``wd_j f_ij`` of every place, on a Dask cluster.

    The same table as ``geoai.kernels.interaction.top_k_rows(pts.xyz, pts.geo,
    own, *spec, wd, top_k)``: sorted by decreasing value, ties by increasing
    index, -1 and 0 where a row has fewer than ``top_k`` positive entries.

    Parameters
    ----------
    pts, own, spec, scheduler, block, progress
        As in :func:`cluster_matmat`.
    wd : numpy.ndarray, shape (n,)
        Destination weights.
    top_k : int
        Entries per place (>= 0; 0 gives empty ``(n, 0)`` tables).

    Returns
    -------
    index : numpy.ndarray of int64, shape (n, top_k)
        Destination positions.
    value : numpy.ndarray, shape (n, top_k)
        The matching ``wd_j f_ij``.
    """
    block = _check(pts, own, block)
    top_k = v.check_integer(top_k, "top_k", minimum=0)
    if not top_k:
        return np.empty((pts.n, 0), np.int64), np.empty((pts.n, 0))
    with _client(scheduler) as client:
        return _Session(client, pts, own, block, progress=progress).top_k(
            np.asarray(wd, np.float64), spec, top_k
        )


def cluster_furness(
    pts: KernelPoints,
    own: FloatArray,
    spec: tuple[int, float, float],
    o: FloatArray,
    d: FloatArray,
    *,
    tol: float,
    max_iter: int,
    scheduler: str | Client | None,
    block: int | None = None,
    progress: bool | None = None,
) -> tuple[FloatArray, FloatArray, int, float]:
    """Matrix-free Furness balancing with each sweep's two products on a Dask cluster.

    The distributed twin of ``balance_matrix_free(..., storage="recompute")``:
    the same sweeps (:func:`geoai.flows._furness.furness`, SQUAREM-accelerated),
    each of whose row and column passes is one :func:`cluster_matmat` over one
    connection whose coordinates were scattered once.

    Parameters
    ----------
    pts, own, spec, scheduler, block, progress
        As in :func:`cluster_matmat`.
    o, d : numpy.ndarray, shape (n,)
        Outflow and inflow margins (checked: equal sums, >= 0).
    tol : float
        Relative tolerance on both margins.
    max_iter : int
        Maximum sweeps.

    Returns
    -------
    a, b : numpy.ndarray, shape (n,)
        Origin and destination balancing factors.
    n_iter : int
        Sweeps taken.
    residual : float
        Largest relative margin error at the end.

    Raises
    ------
    InputError
        A margin that reaches no partner.
    ConvergenceError
        ``tol`` not reached in ``max_iter`` sweeps.
    """
    block = _check(pts, own, block)
    with _client(scheduler) as client:
        session = _Session(client, pts, own, block, progress=progress)

        def matvec(x: FloatArray) -> FloatArray:
            out: FloatArray = session.matmat(x[None, :], spec)[0]
            return out

        def sweep(b: FloatArray) -> tuple[FloatArray, FloatArray]:
            row = matvec(b * d)
            inv = np.divide(1.0, row, out=np.full_like(row, np.inf), where=row > 0)
            a = np.where(o > 0, inv, 0.0)
            col = matvec(np.where(np.isinf(a), 0.0, a) * o)
            inv = np.divide(1.0, col, out=np.full_like(col, np.inf), where=col > 0)
            return a, np.where(d > 0, inv, 0.0)

        return furness(sweep, pts.n, tol, max_iter)
