"""Flow maps: great-circle lines, width ∝ flow in its unit, tapering towards the destination.

Each flow is drawn along the great circle between its origin and destination,
cut where it crosses the map's seam (the antimeridian of a world map) so no
line runs across the whole map. Its width at the origin is proportional to the
flow and it narrows to a fifth of that at the destination, the tapered-line
convention of flow maps for direction. The width legend writes its flows in
their unit (people for talent, USD for capital).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from geoai.errors import InputError
from geoai.viz._canvas import finish, label_places, lonlat, open_map
from geoai.viz._credits import credit_line
from geoai.viz._legend import width_legend
from geoai.viz._projection import MapFrame, project

if TYPE_CHECKING:
    from collections.abc import Iterable

    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.path import Path

    from geoai._typing import FloatArray

__all__ = ["FLOWS_GID", "flow_width", "flows_map", "great_circle"]

#: ``gid`` of the flow lines' collection.
FLOWS_GID = "geoai-flows"
#: Line width (points) of a zero flow and of the largest flow, at the origin.
WIDTH_MIN, WIDTH_MAX = 0.25, 5.0
#: Width at the destination, as a share of the width at the origin.
TAPER = 0.2
#: Segments per flow line (at most), and the longest step (°) along the great circle.
_SEGMENTS, _STEP = 24, 2.0


def flow_width(flow: FloatArray | float, top: float) -> FloatArray:
    """Line width (points) at the origin of flows, proportional to the flow.

    Parameters
    ----------
    flow : float or numpy.ndarray
        Flows (their unit), >= 0.
    top : float
        The largest flow on the map (drawn :data:`WIDTH_MAX` wide).

    Returns
    -------
    numpy.ndarray
        Widths from ``WIDTH_MIN`` (zero) to ``WIDTH_MAX`` (``top``).
    """
    f = np.asarray(flow, dtype=float)
    if not top > 0:
        return np.full(f.shape, WIDTH_MIN)
    return np.asarray(
        WIDTH_MIN + (WIDTH_MAX - WIDTH_MIN) * np.clip(f, 0.0, None) / top, dtype=float
    )


def _unit(lon: float, lat: float) -> FloatArray:
    lo, la = math.radians(lon), math.radians(lat)
    return np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])


def great_circle(
    lon1: float, lat1: float, lon2: float, lat2: float, *, step: float = _STEP, lon_0: float = 0.0
) -> list[FloatArray]:
    """Trace the great-circle arc between two places, cut at the seam of a map at ``lon_0``.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float
        Origin and destination in degrees.
    step : float, default 2
        Longest step along the arc (degrees of arc).
    lon_0 : float, default 0
        Central longitude of the map: the seam is the meridian ``lon_0 + 180``.

    Returns
    -------
    list of numpy.ndarray (k, 2)
        Pieces of ``(lon, lat)`` vertices from origin to destination; two
        pieces when the arc crosses the seam (the first ends on it, the second
        starts on its other side), else one. Longitudes lie within 180° of
        ``lon_0``.

    Examples
    --------
    Tokyo to Los Angeles crosses the antimeridian, so it comes in two pieces:

    >>> parts = great_circle(139.7, 35.7, -118.2, 34.1)
    >>> len(parts), float(parts[0][-1, 0]), float(parts[1][0, 0])
    (2, 180.0, -180.0)
    """
    if not all(math.isfinite(c) for c in (lon1, lat1, lon2, lat2)):
        raise InputError("a flow's origin or destination has no finite coordinates.")
    a, b = _unit(lon1, lat1), _unit(lon2, lat2)
    omega = math.acos(float(np.clip(a @ b, -1.0, 1.0)))
    n = max(2, math.ceil(math.degrees(omega) / max(step, 1e-3)) + 1)
    t = np.linspace(0.0, 1.0, n)
    if math.sin(omega) < 1e-9:  # the same place, or antipodes (no single great circle)
        lon = lon1 + t * (((lon2 - lon1 + 180.0) % 360.0) - 180.0)
        lat = lat1 + t * (lat2 - lat1)
    else:
        w1 = np.sin((1.0 - t) * omega) / math.sin(omega)
        w2 = np.sin(t * omega) / math.sin(omega)
        xyz = np.outer(w1, a) + np.outer(w2, b)
        lon = np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0]))
        lat = np.degrees(np.arcsin(np.clip(xyz[:, 2], -1.0, 1.0)))
    rel = ((lon - lon_0 + 180.0) % 360.0) - 180.0
    return [np.column_stack([x + lon_0, y]) for x, y in _cut(rel, lat)]


def _cut(rel: FloatArray, lat: FloatArray) -> list[tuple[FloatArray, FloatArray]]:
    """Cut a path of longitudes relative to the centre where it jumps across the seam."""
    jumps = np.nonzero(np.abs(np.diff(rel)) > 180.0)[0]
    pieces = []
    start = 0
    x_head: list[float] = []
    y_head: list[float] = []
    for i in jumps:
        edge = 180.0 if rel[i] > 0 else -180.0
        nxt = rel[i + 1] + (360.0 if edge > 0 else -360.0)  # the next vertex, unwrapped
        frac = (edge - rel[i]) / (nxt - rel[i]) if nxt != rel[i] else 0.0
        lat_x = float(lat[i] + frac * (lat[i + 1] - lat[i]))
        xs = [*x_head, *rel[start : i + 1].tolist(), edge]
        ys = [*y_head, *lat[start : i + 1].tolist(), lat_x]
        pieces.append((np.array(xs), np.array(ys)))
        x_head, y_head = [-edge], [lat_x]
        start = int(i) + 1
    pieces.append(
        (np.array([*x_head, *rel[start:].tolist()]), np.array([*y_head, *lat[start:].tolist()]))
    )
    return [(x, y) for x, y in pieces if x.size >= 2]


def _endpoints(lines: gpd.GeoDataFrame) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Origin and destination (lon, lat) of every line: its first and its last vertex."""
    import shapely

    geo = lines.geometry.to_crs(4326) if lines.crs.to_epsg() != 4326 else lines.geometry
    coords, index = shapely.get_coordinates(geo.to_numpy(), return_index=True)
    if len(lines) and (index.size == 0 or np.unique(index).size != len(lines)):
        raise InputError("every flow line needs a geometry with vertices (geoai.flows.to_lines).")
    first = np.searchsorted(index, np.arange(len(lines)), side="left")
    last = np.searchsorted(index, np.arange(len(lines)), side="right") - 1
    return coords[first, 0], coords[first, 1], coords[last, 0], coords[last, 1]


def _segments(
    frame: MapFrame, ends: tuple[FloatArray, ...], widths: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Projected segments of every flow (smallest first) and their tapered widths (points).

    Returns
    -------
    segments : numpy.ndarray (m, 2, 2)
        Start and end (x, y) of every segment, in map metres; segments with a
        vertex the projection cannot place are left out.
    widths : numpy.ndarray (m,)
        Line width of each segment (points), tapering from the origin's.
    """
    lon_0 = 0.0 if frame.world else frame.central_longitude
    parts: list[FloatArray] = []  # every piece of every arc, in drawing order
    flow_of: list[int] = []  # the flow of each piece
    for k in np.argsort(widths, kind="stable"):
        arc = math.degrees(
            math.acos(float(np.clip(_unit(ends[0][k], ends[1][k]) @ _unit(ends[2][k], ends[3][k]),
                                    -1.0, 1.0)))
        )  # fmt: skip
        step = min(_STEP, max(arc / _SEGMENTS, 0.05))
        pieces = great_circle(
            ends[0][k], ends[1][k], ends[2][k], ends[3][k], step=step, lon_0=lon_0
        )
        parts += pieces
        flow_of += [int(k)] * len(pieces)
    if not parts:
        return np.empty((0, 2, 2)), np.empty(0)
    sizes = np.array([len(p) for p in parts])
    lonlat = np.concatenate(parts)
    x, y = project(frame, lonlat[:, 0], lonlat[:, 1])  # one call for every vertex
    # segment j of a piece joins its vertices j and j + 1: every vertex but each piece's last
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    starts = np.ones(lonlat.shape[0], dtype=bool)
    starts[first + sizes - 1] = False
    i = np.flatnonzero(starts)
    piece = np.repeat(np.arange(len(parts)), sizes - 1)
    # the share of its flow's whole line a segment's middle has run (0 origin, 1 destination);
    # the pieces of one flow are consecutive
    steps = sizes - 1
    flows_of = np.asarray(flow_of)
    heads = np.flatnonzero(np.r_[True, flows_of[1:] != flows_of[:-1]])  # each flow's first piece
    group = np.cumsum(np.r_[True, flows_of[1:] != flows_of[:-1]]) - 1
    done = np.cumsum(steps) - steps  # segments of all earlier pieces
    before = done - done[heads][group]  # ... of the same flow's earlier pieces
    total = np.maximum(np.add.reduceat(steps, heads), 1)[group]
    j = i - first[piece]
    share = (before[piece] + j + 0.5) / total[piece]
    seg = np.stack([np.column_stack([x[i], y[i]]), np.column_stack([x[i + 1], y[i + 1]])], axis=1)
    ok = np.isfinite(seg).all(axis=(1, 2))
    seg_widths = widths[flows_of[piece]] * (1.0 - (1.0 - TAPER) * share)
    return seg[ok], seg_widths[ok]


def _segment_paths(segments: FloatArray) -> list[Path]:
    """One path per segment ``(2, 2)``, as ``LineCollection.set_segments`` makes them, faster.

    ``Path(segment)`` checks the shape and reads the simplification settings
    for every one of a map's thousands of segments; here the first is made so
    and the others copy its settings (every segment has two vertices and no
    codes, so they are the same), through matplotlib's own shortcut.
    """
    from matplotlib.path import Path

    if len(segments) == 0:
        return []
    first = Path(np.asarray(segments[0], dtype=float))
    fast = getattr(Path, "_fast_from_codes_and_verts", None)
    if fast is None:  # a matplotlib without the shortcut
        return [first, *(Path(np.asarray(s, dtype=float)) for s in segments[1:])]
    return [first, *(fast(s, None, internals_from=first) for s in segments[1:])]


def flows_map(
    lines: gpd.GeoDataFrame,
    *,
    unit: str | None = None,
    kind: str = "flow",
    points: gpd.GeoDataFrame | None = None,
    ax: Axes | None = None,
    title: str = "Largest flows",
    colour: str = "#b2182b",
    labels: int = 8,
    sources: str | Iterable[str] | None = None,
) -> Axes:
    """Map flows as tapered great-circle lines (width ∝ flow) over the places.

    Parameters
    ----------
    lines : geopandas.GeoDataFrame
        From :func:`geoai.flows.to_lines` (a ``flow`` column; each line runs
        from origin to destination), one kind of flow only.
    unit : str, optional
        The flows' unit, written in the width legend: "people" (talent),
        "USD" (capital); default ``lines.attrs["unit"]``.
    kind : str, default "flow"
        What flows, for the legend's title (e.g. "talent flow").
    points : geopandas.GeoDataFrame, optional
        Places drawn underneath (grey dots); the largest by population are labelled.
    ax : matplotlib.axes.Axes, optional
        Draw here (default: a new figure in the projection chosen from the data).
    title : str
        Map title.
    colour : str
        Line colour.
    labels : int, default 8
        Label this many of the most populous ``points``.
    sources : str or iterable of str, optional
        The data's sources for the credit line (see :func:`credit_line`);
        default ``lines.attrs["source"]``, else the embedded data's.

    Returns
    -------
    matplotlib.axes.Axes
        The map; its legend gives three flows' widths in ``unit``.

    Raises
    ------
    InputError
        No ``flow`` column, no unit, or several kinds in one ``kind`` column.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd, geoai, matplotlib.pyplot as plt
    >>> metros = gpd.GeoDataFrame({"metro_id": ["tokyo", "la", "nyc"]}, crs="EPSG:4326",
    ...     geometry=gpd.points_from_xy([139.7, -118.2, -74.0], [35.7, 34.1, 40.7]))
    >>> flows = np.array([[0, 50, 20], [40, 0, 80], [10, 90, 0]], dtype=float)
    >>> ax = geoai.viz.flows_map(geoai.flows.to_lines(flows, metros), unit="people",
    ...                          kind="talent flow", points=metros)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['50 people', '20 people', '10 people']
    >>> plt.close(ax.figure)
    """
    if "flow" not in lines.columns:
        raise InputError("lines must have a 'flow' column (geoai.flows.to_lines).")
    unit = unit if unit is not None else lines.attrs.get("unit")
    if not unit:
        raise InputError("give the flows' unit, e.g. unit='people' (talent) or unit='USD'.")
    if "kind" in lines.columns and lines["kind"].nunique() > 1:
        kinds = sorted(lines["kind"].astype(str).unique())
        raise InputError(
            f"lines mix the kinds {kinds}; map one at a time, e.g. lines[lines.kind == "
            f"{kinds[0]!r}], each with its unit."
        )
    from matplotlib.collections import Collection, LineCollection

    ends = _endpoints(lines)
    lon = np.concatenate([ends[0], ends[2]])
    lat = np.concatenate([ends[1], ends[3]])
    if points is not None:
        p_lon, p_lat = lonlat(points)
        lon, lat = np.concatenate([lon, p_lon]), np.concatenate([lat, p_lat])
    ax, frame = open_map(ax, lon, lat)
    if points is not None:
        x, y = project(frame, *lonlat(points))
        ax.scatter(x, y, s=3, c="#9e9e9e", linewidths=0, zorder=1.5)
    flow = lines["flow"].to_numpy(dtype=float)
    top = float(flow.max()) if flow.size else 0.0
    segments, widths = _segments(frame, ends, flow_width(flow, top))
    layer = LineCollection(
        [], linewidths=widths, colors=colour, alpha=0.7, capstyle="butt", zorder=2
    )
    Collection.set_paths(layer, _segment_paths(segments))  # the paths set_segments would make
    layer.set_gid(FLOWS_GID)
    ax.add_collection(layer, autolim=False)
    width_legend(
        ax,
        top,
        lambda v: float(flow_width(v, top)),
        unit,
        f"{kind} ({unit}): width at origin,\ntapering to the destination",
        colour=colour,
    )
    if points is not None:
        label_places(ax, frame, points, "population", labels)
    credit = credit_line(sources if sources is not None else lines.attrs.get("source"))
    finish(ax, frame, title, credit)
    return ax
