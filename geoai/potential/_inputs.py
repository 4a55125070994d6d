"""Validated inputs of :mod:`geoai.potential`: the decay model and the masses.

Everything here runs once, at the public boundary: parameters are checked
(with the fix in the message), points are reprojected to the grid's CRS
(logged), and masses are put in kernel coordinates (radians and unit vectors
on the sphere, km in the plane), given their cell, and sorted by latitude / y
for the spatial binning of :mod:`geoai.kernels.potential`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from geoai import _validate as v
from geoai._decay import decay_spec
from geoai.errors import CRSError, InputError
from geoai.kernels import decay as kd

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, DTypeLike
    from pyproj import CRS

    from geoai._typing import FloatArray, Points
    from geoai.grid import Grid

__all__ = [
    "DECAYS",
    "Masses",
    "Model",
    "as_dtype",
    "build_model",
    "check_total",
    "masses_from_xy",
    "point_masses",
    "reproject",
]

logger = logging.getLogger("geoai.potential")

#: Decay forms accepted by :func:`geoai.potential.surface` and ``dominance``.
DECAYS = ("exponential", "gaussian", "power", "box")


@dataclass(frozen=True)
class Model:
    """A validated decay model and its cut radius."""

    decay: str
    kind: int
    beta: float  # kernel parameter of geoai.kernels.decay
    scale_km: float | None
    power_beta: float | None
    cutoff_km: float | None
    rtol: float
    rcut: float  # effective cut radius (km), inf for none
    approximate: bool  # rcut comes from rtol (not from the model)

    def tuple(self) -> tuple[int, float, float, float]:
        return (self.kind, self.beta, 0.0, self.rcut)

    def attrs(self, total_mass: float, method: str, *, geographic: bool) -> dict[str, str | float]:
        bound = self.rtol * total_mass if self.approximate else 0.0
        return {
            "model": "market_potential (Harris 1954)"
            if self.decay == "power"
            else "accessibility potential (Hansen 1959)",
            "formula": "sum_j M_j f(d(x, j)); d = own distance (2/3) sqrt(cell_area / pi) "
            "for masses inside the cell"
            if self.decay == "power"
            else "sum_j M_j f(d(x, j))",
            "decay": self.decay,
            "decay_formula": {
                "exponential": "exp(-d / scale_km)",
                "gaussian": "exp(-d^2 / (2 scale_km^2))",
                "power": "d^-beta",
                "box": "1 if d <= scale_km else 0",
            }[self.decay],
            "scale_km": self.scale_km if self.scale_km is not None else "none",
            "beta": self.power_beta if self.power_beta is not None else "none",
            "cutoff_km": self.cutoff_km if self.cutoff_km is not None else "none",
            "rtol": self.rtol,
            "rcut_km": self.rcut if math.isfinite(self.rcut) else "none",
            "error_bound": bound,
            "distance": "great-circle km (sphere R = 6371.0088 km)"
            if geographic
            else "euclidean km in the grid CRS",
            "units": "mass units x f(d) (e.g. people when weights are people)",
            "method": method,
        }


@dataclass(frozen=True)
class Masses:
    """Masses in kernel coordinates, sorted by row position."""

    row_pos: np.ndarray  # lat radians / y km, sorted
    col_pos: np.ndarray  # lon radians / x km
    vec: np.ndarray  # (n, 3) unit vectors (geographic) else zeros
    w: np.ndarray
    index: np.ndarray  # int64 original position
    cell: np.ndarray  # (n, 2) int64 global (row, col) or -1
    x: np.ndarray  # grid CRS coordinates, same order (for fft)
    y: np.ndarray

    def tuple(self) -> tuple[np.ndarray, ...]:
        return (self.row_pos, self.col_pos, self.vec, self.w, self.index, self.cell)

    @property
    def total(self) -> float:
        return float(self.w.sum())


def build_model(
    decay: str,
    scale_km: float | None,
    beta: float | None,
    cutoff_km: float | None,
    rtol: float,
) -> Model:
    rtol = v.check_positive(rtol, "rtol", allow_zero=True)
    if rtol >= 1:
        raise InputError(f"rtol must be in [0, 1); got {rtol!r}. Use 0 for no approximation.")
    cut = None if cutoff_km is None else v.check_positive(cutoff_km, "cutoff_km")
    spec = decay_spec(decay, scale=scale_km, beta=beta, allowed=DECAYS)
    if spec.name == "power":
        b = spec.beta
        return Model(decay, kd.POWER, b, None, b, cut, rtol, cut or math.inf, approximate=False)
    if spec.scale is None:  # pragma: no cover - decay_spec gives every non-power decay a scale
        raise InputError(f"decay={decay!r} needs scale_km=... (km, > 0).")
    s = spec.scale
    if spec.name == "box":
        r = min(s, cut or math.inf)
        return Model(decay, kd.BOX, s, s, None, cut, rtol, r, approximate=False)
    if spec.name == "exponential":
        r_tol = s * math.log(1.0 / rtol) if rtol > 0 else math.inf
    else:
        r_tol = s * math.sqrt(2.0 * math.log(1.0 / rtol)) if rtol > 0 else math.inf
    r = min(r_tol, cut or math.inf)
    return Model(decay, spec.kind, spec.beta, s, None, cut, rtol, r, r_tol < (cut or math.inf))


def weights_array(points: Points, weights: str | ArrayLike, n: int) -> FloatArray:
    """Masses of ``points``: a column name, or values aligned to ``points.index`` by label.

    Refuses masses whose total is beyond float64 (every sum over them would
    be infinite): the fix is to rescale them.
    """
    if isinstance(weights, str):
        if weights not in getattr(points, "columns", ()):
            cols = list(getattr(points, "columns", []))
            raise InputError(f"weights={weights!r} is not a column of points (columns: {cols}).")
        weights = points[weights]
    w = v.as_mass(weights, "weights", n=n, index=v.index_of(points))
    check_total(w, "weights")
    return w


def check_total(w: FloatArray, name: str) -> float:
    """Return ``sum(w)`` of finite masses ``w >= 0``, or raise InputError if it overflows."""
    peak = float(w.max()) if w.size else 0.0
    total = peak * float(np.sum(w / peak)) if peak > 0 else 0.0  # no overflow warning
    if not math.isfinite(total):
        raise InputError(
            f"{name} sum to more than the largest float64 ({np.finfo(np.float64).max:.3g}), so "
            f"every potential would be infinite; rescale them (e.g. to thousands or millions)."
        )
    return total


def reproject(x: np.ndarray, y: np.ndarray, src: CRS, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    if src == grid.crs:
        return x, y
    from pyproj import Transformer

    logger.info("reprojecting %d points from %s to the grid CRS %s", x.size, src.to_string(), grid)
    tr = Transformer.from_crs(src, grid.crs, always_xy=True)
    gx, gy = tr.transform(x, y)
    gx, gy = np.asarray(gx, dtype=np.float64), np.asarray(gy, dtype=np.float64)
    bad = ~(np.isfinite(gx) & np.isfinite(gy))
    if bad.any():
        raise CRSError(
            f"{int(bad.sum())} point(s) cannot be projected to the grid CRS (first at "
            f"positions {np.flatnonzero(bad)[:5].tolist()}); drop them or use a grid whose "
            "CRS covers them."
        )
    return gx, gy


def masses_from_xy(grid: Grid, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Masses:
    """Kernel coordinates, cell index and latitude/y order of masses in grid CRS units."""
    t = grid.transform
    if grid.is_geographic:
        xn = t.c + np.mod(x - t.c, 360.0)  # longitudes into the grid's 360-degree window
        row_pos, col_pos = np.radians(y), np.radians(x)
        cos_lat = np.cos(row_pos)
        vec = np.stack([cos_lat * np.cos(col_pos), cos_lat * np.sin(col_pos), np.sin(row_pos)], 1)
    else:
        xn = x
        k = grid.km_per_unit
        row_pos, col_pos = y * k, x * k
        vec = np.zeros((x.size, 3))
    col = np.floor((xn - t.c) / t.a)
    row = np.floor((y - t.f) / t.e)
    inside = (col >= 0) & (col < grid.width) & (row >= 0) & (row < grid.height)
    cell = np.where(inside[:, None], np.stack([row, col], axis=1), -1).astype(np.int64)
    order = np.argsort(row_pos, kind="stable")
    order = order[w[order] > 0]  # zero masses contribute nothing and never dominate
    return Masses(
        row_pos[order].copy(),
        col_pos[order].copy(),
        np.ascontiguousarray(vec[order]),
        w[order].copy(),
        order.astype(np.int64),
        np.ascontiguousarray(cell[order]),
        x[order].copy(),
        y[order].copy(),
    )


def point_masses(points: Points, weights: str | ArrayLike, grid: Grid) -> Masses:
    x, y, crs = v.as_coords(points, "points")
    w = weights_array(points, weights, x.size)
    x, y = reproject(x, y, crs, grid)
    if grid.is_geographic and ((np.abs(y) > 90).any()):
        raise CRSError("points fall outside latitude range after reprojection.")
    return masses_from_xy(grid, x, y, w)


def as_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    try:
        dt: np.dtype[Any] = np.dtype(dtype)
    except TypeError:
        raise InputError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise InputError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
    return dt
