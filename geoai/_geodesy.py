"""Geodesy for every subject: the Earth radius and points prepared for the distance kernels.

Geographic CRS -> unit vectors and great-circle distances in km; projected CRS
-> planar coordinates scaled to km. Never mixed silently. ``EARTH_RADIUS_KM``
is defined once, beside the distance kernels, and handed on here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pyproj import CRS

from geoai import _validate as v
from geoai.errors import CRSError, InputError
from geoai.kernels.distance import EARTH_RADIUS_KM, unit_vectors

__all__ = ["EARTH_RADIUS_KM", "KernelPoints", "kernel_points"]


@dataclass(frozen=True)
class KernelPoints:
    """Coordinates ready for :mod:`geoai.kernels.interaction`.

    Attributes
    ----------
    xyz : numpy.ndarray
        ``(3, n)`` unit vectors when ``geo``, else ``(2, n)`` planar km
        (coordinate-major, contiguous rows: what the kernels read).
    geo : bool
        Great-circle (True) or Euclidean (False) distances.
    crs : pyproj.CRS
        The CRS the points came in.
    lon, lat : numpy.ndarray
        Longitude/latitude in degrees (for lines and maps).
    """

    xyz: np.ndarray
    geo: bool
    crs: CRS
    lon: np.ndarray
    lat: np.ndarray

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.xyz.shape[1])


def kernel_points(points: Any, crs: Any = None, name: str = "points") -> KernelPoints:
    """Turn a GeoDataFrame/GeoSeries or an ``(x, y)`` pair plus ``crs`` into kernel input."""
    if isinstance(points, tuple | list) and len(points) == 2:
        if crs is None:
            raise CRSError(
                f"{name} given as (x, y) arrays needs crs=...; e.g. crs='EPSG:4326' for "
                "longitude/latitude in degrees."
            )
        c = v.as_crs(crs)
        x = np.asarray(points[0], dtype=np.float64).ravel()
        y = np.asarray(points[1], dtype=np.float64).ravel()
        v.check_same_length(x=x, y=y)
        v.check_nonempty(x.size, name)
        v.check_finite(x, f"{name} x")
        v.check_finite(y, f"{name} y")
        if c.is_geographic and ((np.abs(y) > 90).any() or (np.abs(x) > 360).any()):
            raise CRSError(
                f"{name} has coordinates outside longitude/latitude range but crs={crs!r} "
                "is geographic; pass the projected CRS of these coordinates."
            )
    else:
        given = getattr(points, "crs", None)
        if crs is not None and given is not None and CRS.from_user_input(crs) != given:
            raise CRSError(
                f"crs={crs!r} contradicts {name}.crs ({given.to_string()}); drop crs= or "
                "reproject the points."
            )
        x, y, c = v.as_coords(points, name)
    if c.is_geographic:
        lon, lat = x, y
        xyz = np.ascontiguousarray(unit_vectors(lon, lat).T)
        return KernelPoints(xyz, True, c, lon, lat)
    axis = c.axis_info[0]
    if axis.unit_name not in {"metre", "meter", "US survey foot", "foot", "kilometre"}:
        raise InputError(f"unsupported unit {axis.unit_name!r} of {c.name}; reproject to metres.")
    km = float(axis.unit_conversion_factor) / 1000.0
    from pyproj import Transformer

    to_ll = Transformer.from_crs(c, 4326, always_xy=True)
    lon, lat = to_ll.transform(x, y)
    xyz = np.ascontiguousarray(np.vstack((x * km, y * km)))
    return KernelPoints(xyz, False, c, np.asarray(lon), np.asarray(lat))
