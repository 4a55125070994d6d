"""Distances between points: great-circle on the sphere, or planar.

Points are stored by coordinate ("structure of arrays"): ``(3, n)`` unit
vectors for great-circle distances, ``(2, n)`` planar coordinates in km
otherwise, so a loop over destinations reads contiguous memory and
vectorises. Great-circle distances use the chord ``c = |u_i - u_j|`` (six
flops) and ``d = 2 R asin(c / 2)`` with the vectorisable
:func:`~geoai.kernels.fastmath.fast_asin`: cheaper and more accurate at short
range than the haversine form.
"""

from __future__ import annotations

import numpy as np

from geoai.kernels import jit
from geoai.kernels.fastmath import fast_asin

__all__ = [
    "EARTH_RADIUS_KM",
    "chord_to_km",
    "coordinate_rows",
    "fill_distances",
    "unit_vectors",
]

#: IUGG mean Earth radius (km), used for every great-circle distance in geoai (one definition;
#: geoai._geodesy hands it on to the other subjects).
EARTH_RADIUS_KM = 6371.0088


@jit()
def unit_vectors(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    """Return the unit vectors ``(n, 3)`` of points given in degrees.

    The interaction kernels take the transpose, ``(3, n)`` contiguous.

    Examples
    --------
    >>> import numpy as np
    >>> unit_vectors(np.array([0.0, 90.0, 0.0]), np.array([0.0, 0.0, 90.0])).round(12).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    n = lon_deg.size
    out = np.empty((n, 3))
    for i in range(n):
        lon = np.radians(lon_deg[i])
        lat = np.radians(lat_deg[i])
        c = np.cos(lat)
        out[i, 0] = c * np.cos(lon)
        out[i, 1] = c * np.sin(lon)
        out[i, 2] = np.sin(lat)
    return out


@jit(inline="always")
def chord_to_km(chord: float) -> float:
    """Great-circle distance (km) from the chord between two unit vectors.

    Examples
    --------
    Two points a quarter of a great circle apart (chord ``sqrt(2)``):

    >>> import math
    >>> math.isclose(chord_to_km(math.sqrt(2.0)), math.pi * EARTH_RADIUS_KM / 2, rel_tol=1e-14)
    True
    """
    return 2.0 * EARTH_RADIUS_KM * fast_asin(min(0.5 * chord, 1.0))


@jit(inline="always")
def fill_distances(
    px: float,
    py: float,
    pz: float,
    bx: np.ndarray,
    by: np.ndarray,
    bz: np.ndarray,
    start: int,
    stop: int,
    geo: bool,
    out: np.ndarray,
) -> None:
    """Write the distances (km) from point ``(px, py, pz)`` to points ``start:stop``.

    ``bx, by, bz`` are 1-D contiguous coordinate arrays (``bz`` is ignored
    for planar points): kernels copy the rows of a ``(3, n)`` array into
    separate 1-D arrays before their parallel loop, because loads through 2-D
    views inside a parallel region do not vectorise.

    Examples
    --------
    Planar points (km), distances from the origin to points 1 and 2 only:

    >>> import numpy as np
    >>> bx, by, bz = coordinate_rows(np.array([[0.0, 3.0, 6.0], [0.0, 4.0, 8.0]]))
    >>> out = np.full(3, -1.0)
    >>> fill_distances(0.0, 0.0, 0.0, bx, by, bz, 1, 3, False, out)
    >>> out.tolist()
    [-1.0, 5.0, 10.0]
    """
    if geo:
        for j in range(start, stop):
            dx = px - bx[j]
            dy = py - by[j]
            dz = pz - bz[j]
            out[j] = chord_to_km(np.sqrt(dx * dx + dy * dy + dz * dz))
    else:
        for j in range(start, stop):
            dx = px - bx[j]
            dy = py - by[j]
            out[j] = np.sqrt(dx * dx + dy * dy)


@jit()
def coordinate_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split ``(3, n)`` or ``(2, n)`` coordinates into three contiguous 1-D arrays.

    Examples
    --------
    >>> import numpy as np
    >>> [a.tolist() for a in coordinate_rows(np.array([[0.0, 1.0], [2.0, 3.0]]))]
    [[0.0, 1.0], [2.0, 3.0], [0.0, 0.0]]
    """
    cx = x[0].copy()
    cy = x[1].copy()
    cz = x[2].copy() if x.shape[0] > 2 else np.zeros(x.shape[1])
    return cx, cy, cz
