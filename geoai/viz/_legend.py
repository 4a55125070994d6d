"""Legends with units: point sizes (area ∝ value) and flow widths."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from geoai.viz._numbers import nice_steps, readable

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.axes import Axes
    from matplotlib.legend import Legend

__all__ = ["SIZE_LEGEND_GID", "WIDTH_LEGEND_GID", "size_legend", "width_legend"]

SIZE_LEGEND_GID = "geoai-size-legend"
WIDTH_LEGEND_GID = "geoai-width-legend"


def _keep(ax: Axes) -> None:
    """Keep the axes' current legend when a second one is added."""
    old = ax.get_legend()
    if old is not None:
        ax.add_artist(old)


def size_legend(
    ax: Axes,
    top: float,
    area: Callable[[float], float],
    title: str,
    *,
    loc: Literal["upper left", "lower left"] = "upper left",
) -> Legend | None:
    """Add a legend of marker sizes: three round values up to ``top``, unit in ``title``.

    It is added as an extra artist, so ``ax.get_legend()`` stays the map's main legend.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The map.
    top : float
        The largest value drawn.
    area : callable
        Marker area (points²) of a value, as the map draws it.
    title : str
        Legend title, ending with the unit in parentheses, e.g. "population (people)".
    loc : str
        Where on the map.

    Returns
    -------
    matplotlib.legend.Legend or None
        The legend (None when there is nothing to size).
    """
    import math

    from matplotlib.legend import Legend
    from matplotlib.lines import Line2D

    steps = nice_steps(top)
    if not steps:
        return None
    unit = title.rsplit("(", 1)[-1].rstrip(")") if "(" in title else ""
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=math.sqrt(area(v)),
               markerfacecolor="white", markeredgecolor="#404040", markeredgewidth=0.5)
        for v in steps
    ]  # fmt: skip
    legend = Legend(
        ax,
        handles,
        [readable(v, unit) for v in steps],
        title=title,
        loc=loc,
        fontsize=7,
        title_fontsize=7,
        frameon=True,
        labelspacing=1.1,
        borderpad=0.8,
    )
    legend.set_gid(SIZE_LEGEND_GID)
    ax.add_artist(legend)
    return legend


def width_legend(
    ax: Axes,
    top: float,
    width: Callable[[float], float],
    unit: str,
    title: str,
    *,
    colour: str,
    loc: Literal["upper left", "lower left"] = "lower left",
) -> Legend | None:
    """Add a legend of line widths: three round flows up to ``top``, written in ``unit``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The map.
    top : float
        The largest flow drawn.
    width : callable
        Line width (points) of a flow, as the map draws it.
    unit : str
        The flows' unit ("people", "USD").
    title : str
        Legend title.
    colour : str
        Line colour.
    loc : str
        Where on the map.

    Returns
    -------
    matplotlib.legend.Legend or None
        The legend, now ``ax.get_legend()`` (None when there is no flow).
    """
    from matplotlib.lines import Line2D

    steps = nice_steps(top)
    if not steps:
        return None
    _keep(ax)
    handles = [
        Line2D([], [], color=colour, linewidth=width(v), solid_capstyle="butt") for v in steps
    ]
    legend = ax.legend(
        handles,
        [readable(v, unit) for v in steps],
        title=title,
        loc=loc,
        fontsize=7,
        title_fontsize=7,
        frameon=True,
        handlelength=3.0,
    )
    legend.set_gid(WIDTH_LEGEND_GID)
    return legend
