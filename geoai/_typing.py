"""Type aliases shared by the public signatures (for readers and for mypy).

Only names for annotations live here; nothing but the standard library is
imported at run time, so importing this module costs
nothing (the CLI's ``--help`` loads no NumPy).

Use them under ``if TYPE_CHECKING:`` (``from geoai._typing import FloatArray``);
array-like inputs are ``numpy.typing.ArrayLike``.

* ``FloatArray``: a NumPy array of float64, any shape (the shape is given in
  each docstring).
* ``CRSLike``: anything :meth:`pyproj.CRS.from_user_input` reads (``"EPSG:4326"``,
  ``4326``, a WKT string, a ``pyproj.CRS``, a ``rasterio`` CRS).
* ``Points``: places as a ``GeoDataFrame`` or ``GeoSeries`` (points, or other
  geometries taken at their representative point).
* ``PathLike``: a file system path as ``str`` or ``os.PathLike``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeAlias

if TYPE_CHECKING:
    import os

    import geopandas as gpd
    import numpy as np
    from numpy.typing import NDArray
    from pyproj import CRS


class HasWKT(Protocol):
    """A CRS object of another library (``rasterio.crs.CRS``): pyproj reads its WKT."""

    def to_wkt(self) -> str:
        """Return the CRS as WKT."""
        ...


if TYPE_CHECKING:
    FloatArray: TypeAlias = NDArray[np.float64]
    IntArray: TypeAlias = NDArray[np.int64]
    BoolArray: TypeAlias = NDArray[np.bool_]
    CRSLike: TypeAlias = CRS | str | int | HasWKT
    Points: TypeAlias = gpd.GeoDataFrame | gpd.GeoSeries
    PathLike: TypeAlias = str | os.PathLike[str]
