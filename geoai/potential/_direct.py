"""The direct method of :mod:`geoai.potential`: the fused kernel on a window of the grid.

Shared by the in-memory path (:mod:`geoai.potential._surface`) and the Dask
tiles (:mod:`geoai.potential._dask`), so both compute every cell the same way.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from geoai.errors import InputError
from geoai.kernels import potential as kp

if TYPE_CHECKING:
    from geoai.grid import Grid
    from geoai.potential._inputs import Masses, Model

__all__ = ["DASK_CHUNKS", "axes", "check_band", "interleaved", "own_distance_km", "run_window"]

#: Default Dask tile (rows, columns).
DASK_CHUNKS = (2048, 2048)


def axes(grid: Grid, rows: slice, cols: slice) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Kernel row positions and column geometry of a window (same values for any window)."""
    t = grid.transform
    x = t.c + t.a * (np.arange(cols.start, cols.stop, dtype=np.float64) + 0.5)
    y = t.f + t.e * (np.arange(rows.start, rows.stop, dtype=np.float64) + 0.5)
    if grid.is_geographic:
        lon = np.radians(x)
        return np.radians(y), (lon, np.cos(lon), np.sin(lon))
    k = grid.km_per_unit
    xk = x * k
    return y * k, (xk, xk, xk)


def own_distance_km(grid: Grid, model: Model) -> np.ndarray:
    if model.decay != "power":
        return np.zeros(grid.height)
    return (2.0 / 3.0) * np.sqrt(grid.cell_area_km2() / math.pi)


def interleaved(h: int, stride: int = 16) -> np.ndarray:
    """Row order whose contiguous halves both sample every latitude (thread balance)."""
    return np.concatenate([np.arange(k, h, stride) for k in range(min(stride, h))])


def run_window(
    grid: Grid,
    masses: Masses,
    model: Model,
    rows: slice,
    cols: slice,
    *,
    dtype: np.dtype[Any],
    huff: bool,
    own_km_: np.ndarray,
    parallel: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the direct kernel on a grid window (``own_km_``: each row's own distance, km)."""
    row_pos, col_geo = axes(grid, rows, cols)
    h, w = row_pos.size, col_geo[0].size
    out = np.empty((h, w))  # the kernels write float64 (one compiled version)
    dom = np.empty((h, w) if huff else (0, 0), dtype=np.int32)
    prob = np.empty((h, w) if huff else (0, 0))
    kernel = kp.potential_grid if parallel else kp.potential_grid_serial
    order = interleaved(h) if parallel else np.arange(h, dtype=np.int64)
    kernel(
        grid.is_geographic,
        row_pos,
        col_geo,
        (rows.start, cols.start),
        masses.tuple(),
        np.ascontiguousarray(own_km_[rows]),
        model.tuple(),
        huff,
        order.astype(np.int64),
        (out, dom, prob),
    )
    check_band(out, dtype)
    return out.astype(dtype, copy=False), dom, prob.astype(dtype, copy=False)


def check_band(out: np.ndarray, dtype: np.dtype[Any]) -> None:
    """Raise InputError where a float64 potential band overflowed, or will overflow ``dtype``.

    Masses are finite and their total is too (:func:`geoai.potential._inputs.check_total`),
    but a power decay near 0 km multiplies them, and float32 holds less than float64.
    """
    limit = float(np.finfo(dtype).max)
    bad = ~(out <= limit)  # NaN and inf included
    if bad.any():
        fix = (
            "pass dtype='float64', or rescale the masses (e.g. to thousands)"
            if dtype != np.float64
            else "rescale the masses (e.g. to thousands or millions)"
            ", or give the power decay a larger own distance (a coarser grid)"
        )
        raise InputError(
            f"the potential exceeds the largest {dtype} ({limit:.3g}) in {int(bad.sum())} "
            f"cell(s); {fix}."
        )
