"""Dask path of :mod:`geoai.potential`: the grid as lazily computed tiles.

Each tile is one task that runs the direct kernel on its window of the grid
(:func:`geoai.kernels.potential.potential_grid_serial`, one thread: Dask
supplies the parallelism). The kernel visits, for every row, the same masses
in the same order whatever the window, so tiles equal the in-memory result
bit for bit. Nothing holds the whole grid: tiles are computed where the
active scheduler (threads, or a ``dask.distributed`` client) runs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from geoai import _validate as v
from geoai._optional import optional
from geoai.errors import InputError

if TYPE_CHECKING:
    from types import ModuleType

    import dask.array

    from geoai.grid import Grid
    from geoai.potential._inputs import Masses, Model

__all__ = ["tiles"]


def _dask_array() -> ModuleType:
    return optional("dask.array", "method='dask'")


def _chunks(chunks: int | tuple[int, int] | None) -> tuple[int, int]:
    from geoai.potential._direct import DASK_CHUNKS

    if chunks is None:
        return DASK_CHUNKS
    if isinstance(chunks, int | np.integer):
        chunks = (int(chunks), int(chunks))
    if not isinstance(chunks, tuple | list) or len(chunks) != 2:
        raise InputError(
            f"chunks must be an int or (rows, cols); got {v.short(chunks)}. Pass e.g. 2048."
        )
    rows, cols = (v.check_integer(c, "chunks", minimum=1) for c in chunks)
    return rows, cols


def _tile(block_info: dict[int | None, dict[str, Any]], *, spec: dict[str, Any]) -> np.ndarray:
    from geoai.potential._direct import run_window

    loc = block_info[None]["array-location"]
    rows, cols = slice(*loc[-2]), slice(*loc[-1])
    out, dom, prob = run_window(
        spec["grid"], spec["masses"], spec["model"], rows, cols, dtype=spec["dtype"],
        huff=spec["huff"], own_km_=spec["own"], parallel=False,
    )  # fmt: skip
    if not spec["huff"]:
        return out
    return np.stack([out.astype(np.float64), prob.astype(np.float64), dom.astype(np.float64)])


def tiles(
    grid: Grid,
    masses: Masses,
    model: Model,
    *,
    dtype: np.dtype[Any],
    huff: bool,
    own: np.ndarray,
    chunks: int | tuple[int, int] | None,
) -> tuple[dask.array.Array, ...]:
    """Lazy ``(potential,)`` or ``(potential, dominant, probability)`` dask arrays."""
    da = _dask_array()
    from dask.base import tokenize

    rows, cols = _chunks(chunks)
    layout = da.core.normalize_chunks((rows, cols), shape=grid.shape)
    kw = {"grid": grid, "masses": masses, "model": model, "dtype": dtype, "huff": huff,
          "own": own}  # fmt: skip
    token = tokenize(grid.transform, grid.shape, str(grid.crs), masses.tuple(), model, dtype,
                     huff, layout)  # fmt: skip
    if not huff:
        arr = da.map_blocks(
            _tile, chunks=layout, dtype=dtype, meta=np.empty((0, 0), dtype=dtype),
            name=f"geoai-potential-{token}", spec=kw,
        )  # fmt: skip
        return (arr,)
    stacked = da.map_blocks(
        _tile, chunks=((3,), *layout), dtype=np.float64, meta=np.empty((0, 0, 0)),
        name=f"geoai-dominance-{token}", spec=kw,
    )  # fmt: skip
    total = stacked[0].astype(dtype)
    prob = stacked[1].astype(dtype)
    dom = stacked[2].astype(np.int32)
    return total, dom, prob
