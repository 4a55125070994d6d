"""A map's canvas: the figure in its projection and extent, the title, credits and labels."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoai.errors import InputError
from geoai.viz._basemap import basemap, graticule
from geoai.viz._projection import WORLD_LATITUDES, MapFrame, frame_of, project, register, registered
from geoai.viz._style import plt

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike
    from pyproj import CRS

    from geoai._typing import FloatArray

__all__ = ["CREDIT_GID", "LABEL_GID", "finish", "label_places", "lonlat", "open_map"]

#: ``gid`` of the credit line and of the place labels.
CREDIT_GID = "geoai-credit"
LABEL_GID = "geoai-label"
#: Width of a new map figure (inches); its height follows the map's shape.
_WIDTH_IN = 11.0
#: Margin around the data on regional maps (share of the data's span; at least 50 km).
_MARGIN, _MIN_HALF_M = 0.1, 50_000.0


def lonlat(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[FloatArray, FloatArray]:
    """Longitude and latitude (degrees) of points (polygons: their representative points)."""
    from geoai import _validate as v

    v.require_crs(gdf, "the data")
    geom = gdf.geometry if hasattr(gdf, "geometry") else gdf
    geo = geom.to_crs(4326) if geom.crs.to_epsg() != 4326 else geom
    if not (geo.geom_type == "Point").all():
        geo = geo.representative_point()
    return geo.x.to_numpy(dtype=float), geo.y.to_numpy(dtype=float)


def _limits(frame: MapFrame, lon: FloatArray, lat: FloatArray) -> tuple[float, ...]:
    if frame.world:
        x_edge, _ = project(frame, [180.0], [0.0])
        _, y = project(frame, [0.0, 0.0], list(WORLD_LATITUDES))
        half = float(x_edge[0]) * 1.01
        return -half, half, float(y[0]), float(y[1])
    x, y = project(frame, lon, lat)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    cx, cy = (x.min() + x.max()) / 2.0, (y.min() + y.max()) / 2.0
    hx = max((x.max() - x.min()) / 2.0 * (1 + 2 * _MARGIN), _MIN_HALF_M)
    hy = max((y.max() - y.min()) / 2.0 * (1 + 2 * _MARGIN), _MIN_HALF_M)
    hx, hy = max(hx, hy / 2.5), max(hy, hx / 2.5)  # not thinner than 1 : 2.5
    return cx - hx, cx + hx, cy - hy, cy + hy


def open_map(
    ax: Axes | None, lon: ArrayLike, lat: ArrayLike, *, crs: CRS | None = None
) -> tuple[Axes, MapFrame]:
    """Open the axes of a map of these places, in its projection, with the countries drawn.

    An axes a map of :mod:`geoai.viz` was already drawn on keeps its
    projection and extent (a second layer lands on the first); other axes, or
    a new figure when ``ax`` is None, get :func:`frame_of`'s.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Draw here (None: a new figure sized to the map).
    lon, lat : array-like (n,)
        The data's coordinates in degrees.
    crs : pyproj.CRS, optional
        Projected CRS to draw in (default: chosen from the data).

    Returns
    -------
    (Axes, MapFrame)
        The axes and its frame.
    """
    if ax is not None and (frame := registered(ax)) is not None:
        return ax, frame
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    frame = frame_of(lon_a, lat_a, crs)
    x0, x1, y0, y1 = _limits(frame, lon_a, lat_a)
    if ax is None:
        height = float(np.clip(_WIDTH_IN * (y1 - y0) / (x1 - x0), 3.5, 10.0)) + 0.9
        _, ax = plt().subplots(figsize=(_WIDTH_IN, height), layout="constrained")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#9e9e9e")
        spine.set_linewidth(0.6)
    graticule(ax, frame)
    basemap(ax, frame)
    register(ax, frame)
    return ax, frame


def finish(ax: Axes, frame: MapFrame, title: str, credit: str) -> None:
    """Title, the credit line (bottom right) and the projection's name (bottom left)."""
    ax.set_title(title)
    ax.set_xlabel(f"{frame.crs.name}", fontsize=7, color="#555555")
    ax.annotate(
        "\n".join(textwrap.wrap(credit, 150)),
        xy=(0.995, 0.005),
        xycoords="axes fraction",
        ha="right",
        va="bottom",
        fontsize=6,
        color="#444444",
        bbox={"boxstyle": "square,pad=0.2", "facecolor": "white", "alpha": 0.75, "linewidth": 0},
        zorder=6,
        gid=CREDIT_GID,
    )


def _names(gdf: gpd.GeoDataFrame) -> pd.Series:
    for col in ("name", "metro_name", "city", "metro_id"):
        if col in gdf.columns:
            return gdf[col].astype(str)
    return pd.Series(gdf.index.astype(str), index=gdf.index)


def label_places(
    ax: Axes, frame: MapFrame, gdf: gpd.GeoDataFrame, by: str | None, count: int
) -> list[str]:
    """Label the ``count`` largest places (by column ``by``) that do not crowd a bigger one.

    Labels sit to the upper right of their place, with a white halo; a place
    within 4 % of the map's width of an already labelled one is skipped.

    Returns
    -------
    list of str
        The labels drawn, largest place first.
    """
    if count < 0:
        raise InputError(f"labels must be a whole number >= 0; got {count}.")
    if count == 0 or by is None or by not in gdf.columns or len(gdf) == 0:
        return []
    from matplotlib import patheffects

    lon, lat = lonlat(gdf)
    x, y = project(frame, lon, lat)
    value = pd.to_numeric(gdf[by], errors="coerce").fillna(-np.inf).to_numpy(dtype=float)
    names = _names(gdf).to_numpy()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    room = 0.04 * (x1 - x0)
    placed: list[tuple[float, float]] = []
    drawn: list[str] = []
    for i in np.argsort(-value, kind="stable"):
        if len(drawn) == count:
            break
        if not inside[i] or any(np.hypot(x[i] - a, y[i] - b) < room for a, b in placed):
            continue
        ax.annotate(
            str(names[i]),
            xy=(x[i], y[i]),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=7,
            color="#202020",
            zorder=5,
            gid=LABEL_GID,
            path_effects=[patheffects.withStroke(linewidth=2.0, foreground="white")],
        )
        placed.append((x[i], y[i]))
        drawn.append(str(names[i]))
    return drawn
