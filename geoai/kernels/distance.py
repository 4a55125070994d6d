"""Distances between points: great-circle on the sphere, or planar.

Great-circle distances use unit vectors: the chord ``c = |u_i - u_j|`` costs
six flops and ``d = 2 R asin(c / 2)`` one transcendental, cheaper and more
accurate at short range than the haversine form. Planar distances take
coordinates already scaled to km.
"""

from __future__ import annotations

import numpy as np

from geoai.kernels import jit

__all__ = ["EARTH_RADIUS_KM", "chord_to_km", "euclidean_km", "great_circle_km", "unit_vectors"]

#: IUGG mean Earth radius (km); equal to geoai._constants.EARTH_RADIUS_KM.
EARTH_RADIUS_KM = 6371.0088


@jit()
def unit_vectors(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    """Return the unit vectors ``(n, 3)`` of points given in degrees."""
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
    """Great-circle distance (km) from the chord between two unit vectors."""
    half = min(0.5 * chord, 1.0)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(half)


@jit(inline="always")
def great_circle_km(u: np.ndarray, i: int, v: np.ndarray, j: int) -> float:
    """Great-circle distance (km) between row ``i`` of ``u`` and row ``j`` of ``v``."""
    dx = u[i, 0] - v[j, 0]
    dy = u[i, 1] - v[j, 1]
    dz = u[i, 2] - v[j, 2]
    return chord_to_km(np.sqrt(dx * dx + dy * dy + dz * dz))


@jit(inline="always")
def euclidean_km(a: np.ndarray, i: int, b: np.ndarray, j: int) -> float:
    """Planar distance between row ``i`` of ``a`` and row ``j`` of ``b`` (coordinates in km)."""
    dx = a[i, 0] - b[j, 0]
    dy = a[i, 1] - b[j, 1]
    return np.sqrt(dx * dx + dy * dy)
