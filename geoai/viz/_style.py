"""Colours, labels and sizes shared by every map of :mod:`geoai.viz`.

Categorical colours follow the conventions readers know (GeoDa's LISA
colours) and stay apart in greyscale print: every category differs in
lightness, not only in hue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoai._optional import optional

if TYPE_CHECKING:
    from types import ModuleType

    import geopandas as gpd

    from geoai._typing import FloatArray

__all__ = [
    "BASEMAP_GID",
    "BASEMAP_ZORDER",
    "BORDER_COLOUR",
    "BORDER_WIDTH",
    "LABELS",
    "LAND_COLOUR",
    "LISA_COLOURS",
    "ROLE_COLOURS",
    "SIZE_UNITS",
    "marker_sizes",
    "plt",
    "sizes_of",
]

#: Country layer under the data: land fill, border colour and width (points).
LAND_COLOUR = "#e6e6e6"
BORDER_COLOUR = "#ffffff"
BORDER_WIDTH = 0.35
#: Drawing order of the country layer: below every data layer (zorder >= 1).
BASEMAP_ZORDER = 0.5
#: ``gid`` of the country layer's collection (to find it in ``ax.collections``).
BASEMAP_GID = "geoai-countries"

#: LISA quadrant colours (GeoDa convention), "ns" light grey.
LISA_COLOURS = {
    "HH": "#d7191c",
    "HL": "#fdae61",
    "LH": "#abd9e9",
    "LL": "#2c7bb6",
    "ns": "#e0e0e0",
}

#: Role colours, dark to light so they also read in greyscale.
ROLE_COLOURS = {
    "superstar": "#67001f",
    "hub": "#d6604d",
    "detroit_path": "#542788",
    "hinterland": "#92c5de",
    "stable": "#e0e0e0",
}

#: Legend words of every category code.
LABELS = {
    "HH": "High–High (hot cluster)",
    "HL": "High–Low (outlier)",
    "LH": "Low–High (outlier)",
    "LL": "Low–Low (cold cluster)",
    "ns": "not significant",
    "superstar": "superstar",
    "hub": "hub",
    "detroit_path": "Detroit path",
    "hinterland": "hinterland",
    "stable": "stable",
}

#: Unit of the columns that size points, for the size legend.
SIZE_UNITS = {
    "population": "people",
    "labour_force": "people",
    "talent": "people",
    "ai_talent": "people",
    "ai_jobs": "jobs",
    "jobs": "jobs",
    "employment": "jobs",
    "capital": "USD",
}

#: Marker area (points²) of the smallest and the largest value.
_AREA_MIN, _AREA_MAX = 4.0, 164.0


def plt() -> ModuleType:
    """``matplotlib.pyplot``, or a one-line error naming the ``viz`` extra."""
    return optional("matplotlib.pyplot", "maps")


def marker_sizes(values: FloatArray, top: float) -> FloatArray:
    """Marker areas (points², area proportional to the value) for values up to ``top``.

    Parameters
    ----------
    values : numpy.ndarray (n,)
        Non-negative values (e.g. people).
    top : float
        The value drawn at the largest area.

    Returns
    -------
    numpy.ndarray (n,)
        Areas in points², from 4 (zero) to 164 (``top``).
    """
    if not top > 0:
        return np.full(values.shape, 12.0)
    return _AREA_MIN + (_AREA_MAX - _AREA_MIN) * np.clip(values, 0.0, None) / top


def sizes_of(gdf: gpd.GeoDataFrame, size: str | None) -> tuple[FloatArray, FloatArray | None]:
    """Marker areas of ``gdf``'s rows and the values behind them (None: one size for all)."""
    if size is None or size not in gdf.columns:
        return np.full(len(gdf), 12.0), None
    s = pd.to_numeric(gdf[size], errors="coerce").fillna(0).to_numpy(dtype=float)
    return marker_sizes(s, float(s.max()) if s.size else 0.0), s
