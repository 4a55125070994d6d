"""Slow, obviously-correct NumPy versions of geoai.potential, for tests only.

Every mass is added to the whole grid at once (one vectorised pass per mass),
with haversine great-circle distances or plain Euclidean ones, and the decay
written out from its definition.
"""

from __future__ import annotations

import numpy as np

from tests.reference import haversine_km


def decay_reference(d, decay, scale_km=None, beta=None):
    """f(d) from its textbook definition."""
    if decay == "exponential":
        return np.exp(-d / scale_km)
    if decay == "gaussian":
        return np.exp(-(d**2) / (2 * scale_km**2))
    if decay == "power":
        return d ** (-beta)
    if decay == "box":
        return (d <= scale_km).astype(float)
    raise ValueError(decay)


def mass_cells(grid, x, y):
    """(row, col) of the cell holding each point, -1 when outside."""
    xmin, _, _, ymax = grid.bounds
    xres, yres = grid.res
    xx = xmin + np.mod(x - xmin, 360.0) if grid.is_geographic else x
    col = np.floor((xx - xmin) / xres).astype(int)
    row = np.floor((ymax - y) / yres).astype(int)
    inside = (col >= 0) & (col < grid.width) & (row >= 0) & (row < grid.height)
    return np.where(inside, row, -1), np.where(inside, col, -1)


def contributions(x, y, w, grid, decay, scale_km=None, beta=None, cutoff_km=None):
    """Yield ``w_j f(d(cell, j))`` over the grid, shape (height, width), mass by mass."""
    cx, cy = grid.cell_centers()
    X, Y = np.meshgrid(cx, cy)
    rows, cols = mass_cells(grid, x, y)
    area = grid.cell_area_km2()
    for j in range(len(w)):
        if grid.is_geographic:
            d = haversine_km(X, Y, x[j], y[j])
        else:
            d = np.hypot(X - x[j], Y - y[j]) * grid.km_per_unit
        if decay == "power" and rows[j] >= 0:
            d[rows[j], cols[j]] = (2 / 3) * np.sqrt(area[rows[j]] / np.pi)
        f = decay_reference(d, decay, scale_km, beta)
        if cutoff_km is not None:
            f = np.where(d <= cutoff_km, f, 0.0)
        yield w[j] * f


def potential_reference(x, y, w, grid, decay, scale_km=None, beta=None, cutoff_km=None):
    """sum_j w_j f(d(cell, j)) on every cell of ``grid``."""
    out = np.zeros(grid.shape)
    for c in contributions(x, y, w, grid, decay, scale_km, beta, cutoff_km):
        out += c
    return out


def huff_reference(x, y, w, grid, decay, scale_km=None, beta=None, cutoff_km=None):
    """(dominant index or -1, Huff probability or NaN, total) per cell."""
    stack = np.stack(list(contributions(x, y, w, grid, decay, scale_km, beta, cutoff_km)))
    total = stack.sum(axis=0)
    dom = np.argmax(stack, axis=0)  # first maximum: ties go to the lower index
    best = np.take_along_axis(stack, dom[None], axis=0)[0]
    reached = total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.where(reached, best / total, np.nan)
    return np.where(reached, dom, -1), prob, total
