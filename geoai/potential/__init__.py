"""Agglomeration potential and Huff market areas on raster grids.

``surface`` computes the Hansen (1959) / Stewart accessibility

    P(x) = sum_j M_j f(d(x, j))

at every cell centre ``x`` of a :class:`~geoai.grid.Grid`, or the Harris (1954)
market potential for the power decay, where a mass inside a cell is taken at
the own distance ``(2/3) sqrt(cell area / pi)`` so that no cell is infinite.
``dominance`` gives the Huff (1963) market areas: per cell, the centre with the
largest probability ``P(x -> j) = M_j f(d_xj) / sum_k M_k f(d_xk)`` and that
probability. ``from_raster`` does the same for a population or job raster.

Distances are great-circle (sphere of radius 6371.0088 km) on geographic
grids and Euclidean in the grid's CRS, converted to km, on projected ones.

Methods and their accuracy
--------------------------
``direct``
    The fused Numba sum over cells × masses (:mod:`geoai.kernels.potential`).
    Without a cut it matches a brute-force sum to about 1e-12 relative. With
    ``rtol > 0`` and an exponential or Gaussian decay, contributions below
    ``rtol`` times the kernel peak ``f(0) = 1`` are dropped, i.e. masses farther
    than ``r = scale ln(1/rtol)`` (exponential) or ``scale sqrt(2 ln(1/rtol))``
    (Gaussian); the error is one-sided (the result is never larger) and at most
    ``rtol * sum_j M_j`` in every cell (``attrs["error_bound"]``).
    ``cutoff_km`` instead truncates the model itself: farther masses count
    zero, exactly. The box decay cuts at ``scale_km`` exactly; the power decay
    has no finite peak, so ``rtol`` does not cut it (use ``cutoff_km``).
``fft``
    Projected grids only: masses are spread onto the four nearest cell centres
    (cloud-in-cell), convolved with the kernel sampled on the grid (scipy.fft,
    zero-padded, overlap-add over blocks) and cropped. For exponential and
    Gaussian decay with cells no larger than ``scale_km / 150`` the result is
    within ``1e-3`` of the surface peak of ``direct`` (point masses are refused
    for other decays, and for a ``cutoff_km`` where the kernel still exceeds
    1e-4 of its peak); for masses on cell centres (``from_raster``) it is
    exact up to rounding, for every decay and cut.
``dask``
    The grid is cut into tiles computed lazily by the same kernel, one tile
    per task, on whatever Dask scheduler is active (threads by default, or a
    ``dask.distributed`` client); values equal ``direct`` bit for bit. Write the
    result with :func:`geoai.io.write_raster`, which streams it tile by tile.
``auto``
    ``dask`` when the grid does not fit in memory, ``fft`` for projected grids
    with fine cells and a smooth kernel when it is cheaper, else ``direct``;
    ``attrs["method"]`` says which ran.
"""

from __future__ import annotations

from geoai.potential._surface import (
    DECAYS,
    FFT_CELL_FRACTION,
    METHODS,
    at_points,
    dominance,
    from_raster,
    surface,
    surface_and_dominance,
)

__all__ = [
    "DECAYS",
    "FFT_CELL_FRACTION",
    "METHODS",
    "at_points",
    "dominance",
    "from_raster",
    "surface",
    "surface_and_dominance",
]
