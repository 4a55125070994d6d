"""Point maps of categories: LISA clusters and metro roles.

Points are sized by a column (area proportional, population by default) and
drawn largest first so small places stay visible; the largest are labelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from geoai.errors import InputError
from geoai.viz._canvas import finish, label_places, lonlat, open_map
from geoai.viz._credits import credit_line
from geoai.viz._legend import size_legend
from geoai.viz._projection import project
from geoai.viz._style import LABELS, LISA_COLOURS, ROLE_COLOURS, SIZE_UNITS, marker_sizes, sizes_of

if TYPE_CHECKING:
    from collections.abc import Iterable

    import geopandas as gpd
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["lisa_map", "roles_map"]


def _sources(gdf: gpd.GeoDataFrame, sources: str | Iterable[str] | None) -> str:
    if sources is not None:
        return credit_line(sources)
    return credit_line(gdf.attrs.get("source"))


def categorical_map(
    gdf: gpd.GeoDataFrame,
    labels: np.ndarray,
    colours: dict[str, str],
    *,
    ax: Axes | None,
    title: str,
    size: str | None,
    labels_top: int = 8,
    sources: str | Iterable[str] | None = None,
) -> Axes:
    """Points coloured by category over the countries, with a size legend and labels."""
    lon, lat = lonlat(gdf)
    ax, frame = open_map(ax, lon, lat)
    x, y = project(frame, lon, lat)
    s, values = sizes_of(gdf, size)
    order = np.argsort(-s, kind="stable")
    for cat, colour in colours.items():  # legend in the palette's order
        pick = order[labels[order] == cat]
        if pick.size == 0:
            continue
        ax.scatter(
            x[pick],
            y[pick],
            s=s[pick],
            c=colour,
            edgecolors="#404040",
            linewidths=0.3,
            label=f"{LABELS.get(cat, cat)} ({pick.size})",
            zorder=3 if cat not in ("ns", "stable") else 2,
        )
    if values is not None and size is not None:
        top = float(values.max())
        unit = SIZE_UNITS.get(size, "")
        size_legend(
            ax,
            top,
            lambda v: float(marker_sizes(np.array([v]), top)[0]),
            f"{size.replace('_', ' ')} ({unit})" if unit else size.replace("_", " "),
        )
    ax.legend(loc="lower left", fontsize=8, frameon=True, markerscale=0.8)
    label_places(ax, frame, gdf, size, labels_top)
    finish(ax, frame, title, _sources(gdf, sources))
    return ax


def lisa_map(
    gdf: gpd.GeoDataFrame,
    lisa: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str = "Local Moran clusters",
    size: str | None = "population",
    labels: int = 8,
    sources: str | Iterable[str] | None = None,
) -> Axes:
    """Map the LISA cluster labels of :func:`geoai.stats.local_moran`.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The points the statistic was computed on (any CRS).
    lisa : pandas.DataFrame
        Its result, aligned with ``gdf`` (``label`` column: HH, HL, LH, LL, ns).
    ax : matplotlib.axes.Axes, optional
        Draw here (default: a new figure in the projection chosen from the data).
    title : str
        Map title.
    size : str, optional
        Column sizing the points (area proportional), default population.
    labels : int, default 8
        Label this many of the largest places (by ``size``).
    sources : str or iterable of str, optional
        The data's sources for the credit line (see :func:`credit_line`);
        default ``gdf.attrs["source"]``, else the embedded data's.

    Returns
    -------
    matplotlib.axes.Axes
        The map.

    Examples
    --------
    >>> import geoai, matplotlib.pyplot as plt
    >>> metros = geoai.load_metros(min_population=5_000_000)
    >>> lisa = geoai.stats.local_moran(metros, "gdp_pc_usd", permutations=99, fdr=None)
    >>> ax = geoai.viz.lisa_map(metros, lisa)
    >>> ax.get_title(), ax.get_legend().get_texts()[-1].get_text().startswith("not significant")
    ('Local Moran clusters', True)
    >>> plt.close(ax.figure)
    """
    if "label" not in lisa.columns or len(lisa) != len(gdf):
        raise InputError("lisa must be the local_moran result for gdf (same rows, a 'label').")
    codes = lisa["label"].astype(str).to_numpy()
    unknown = set(codes) - set(LISA_COLOURS)
    if unknown:
        raise InputError(f"unknown LISA labels {sorted(unknown)}; expected {list(LISA_COLOURS)}.")
    return categorical_map(
        gdf, codes, LISA_COLOURS, ax=ax, title=title, size=size, labels_top=labels, sources=sources
    )


def roles_map(
    roles: gpd.GeoDataFrame,
    *,
    ax: Axes | None = None,
    title: str = "Metro roles",
    size: str | None = "population",
    labels: int = 8,
    sources: str | Iterable[str] | None = None,
) -> Axes:
    """Map the roles of :func:`geoai.classify`.

    Parameters
    ----------
    roles : geopandas.GeoDataFrame
        The result of :func:`geoai.classify` (``role`` column).
    ax : matplotlib.axes.Axes, optional
        Draw here (default: a new figure in the projection chosen from the data).
    title : str
        Map title.
    size : str, optional
        Column sizing the points (area proportional), default population.
    labels : int, default 8
        Label this many of the largest metros (by ``size``).
    sources : str or iterable of str, optional
        The data's sources for the credit line (see :func:`credit_line`);
        default ``roles.attrs["source"]``, else the embedded data's.

    Returns
    -------
    matplotlib.axes.Axes
        The map.

    Examples
    --------
    >>> import geoai, matplotlib.pyplot as plt
    >>> roles = geoai.classify(geoai.load_metros(min_population=5_000_000))
    >>> ax = geoai.viz.roles_map(roles, title="Metro roles, 2025")
    >>> ax.get_title()
    'Metro roles, 2025'
    >>> plt.close(ax.figure)
    """
    if "role" not in roles.columns:
        raise InputError("roles must be the result of geoai.classify (a 'role' column).")
    codes = roles["role"].astype(str).to_numpy()
    unknown = set(codes) - set(ROLE_COLOURS)
    if unknown:
        raise InputError(f"unknown roles {sorted(unknown)}; expected {list(ROLE_COLOURS)}.")
    return categorical_map(
        roles, codes, ROLE_COLOURS, ax=ax, title=title, size=size, labels_top=labels,
        sources=sources,
    )  # fmt: skip
