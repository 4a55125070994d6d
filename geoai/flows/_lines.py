"""Flows as map lines: LineStrings in EPSG:4326, split at the antimeridian."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, MultiLineString

from geoai import _validate as v
from geoai.errors import InputError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from geoai._typing import FloatArray, IntArray

__all__ = ["TopFlows", "to_lines"]


@runtime_checkable
class TopFlows(Protocol):
    """The top-k flows of every origin, as :class:`~geoai.flows.AggregateResult` holds them."""

    @property
    def top_index(self) -> IntArray:
        """Positions of each origin's largest destinations, ``(n, k)``; -1 = none."""
        ...

    @property
    def top_flow(self) -> FloatArray:
        """The matching flows, ``(n, k)``."""
        ...


def to_lines(
    flows: ArrayLike | pd.DataFrame | TopFlows,
    metros: gpd.GeoDataFrame,
    *,
    top: int | None = 100,
    id_column: str = "metro_id",
    min_flow: float = 0.0,
) -> gpd.GeoDataFrame:
    """Flows as LineStrings (EPSG:4326) for maps and QGIS.

    Lines that would cross the antimeridian take the short way round and are
    split at ±180° into a MultiLineString, so they draw correctly.

    Parameters
    ----------
    flows : numpy.ndarray (n, n), AggregateResult or pandas.DataFrame
        A dense flow matrix aligned with ``metros`` rows, an aggregate's
        top-k flows, or a long table with ``origin``, ``destination`` (ids)
        and ``flow`` columns.
    metros : geopandas.GeoDataFrame
        The places, aligned with the flow rows (any CRS; points or polygons).
    top : int or None, default 100
        Keep only the largest ``top`` flows (all when None).
    id_column : str, default "metro_id"
        Identifier column (the index when absent).
    min_flow : float, default 0
        Drop flows at or below this value.

    Returns
    -------
    geopandas.GeoDataFrame
        ``origin``, ``destination``, ``flow``, ``geometry``; largest first.

    Examples
    --------
    The three largest of six flows; Tokyo to Los Angeles crosses the antimeridian:

    >>> import numpy as np, geopandas as gpd
    >>> metros = gpd.GeoDataFrame({"metro_id": ["tokyo", "la", "nyc"]}, crs="EPSG:4326",
    ...     geometry=gpd.points_from_xy([139.7, -118.2, -74.0], [35.7, 34.1, 40.7]))
    >>> flows = np.array([[0, 50, 20], [40, 0, 80], [10, 90, 0]], dtype=float)
    >>> lines = to_lines(flows, metros, top=3)
    >>> lines[["origin", "destination", "flow"]].to_numpy().tolist()
    [['nyc', 'la', 90.0], ['la', 'nyc', 80.0], ['tokyo', 'la', 50.0]]
    >>> lines.geom_type.tolist()
    ['LineString', 'LineString', 'MultiLineString']
    """
    x, y, _ = v.as_coords(metros.to_crs(4326) if metros.crs else metros, "metros")
    ids = metros[id_column].to_numpy() if id_column in metros.columns else metros.index.to_numpy()
    if isinstance(flows, pd.DataFrame):  # a long table: origin, destination, flow
        missing = {"origin", "destination", "flow"} - set(flows.columns)
        if missing:
            raise InputError(
                f"a flow table needs columns origin, destination, flow; lacks {missing}."
            )
        pos = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
        unknown = ~flows["origin"].isin(pos.index) | ~flows["destination"].isin(pos.index)
        if unknown.any():
            raise InputError(
                f"{int(unknown.sum())} flow(s) name ids that are not in metros, e.g. "
                f"{flows.loc[unknown, 'origin'].iloc[0]!r}."
            )
        oi = pos[flows["origin"]].to_numpy()
        di = pos[flows["destination"]].to_numpy()
        value = flows["flow"].to_numpy(dtype=np.float64)
    elif isinstance(flows, TopFlows):  # an AggregateResult
        if flows.top_index.shape[0] != len(metros):
            raise InputError("the aggregate result and metros have different numbers of rows.")
        valid = flows.top_index >= 0
        oi, rank = np.nonzero(valid)
        di = flows.top_index[valid]
        value = flows.top_flow[valid]
        del rank
    else:
        t = np.asarray(flows, dtype=np.float64)
        if t.shape != (len(metros), len(metros)):
            raise InputError(f"flows has shape {t.shape}; expected ({len(metros)}, {len(metros)}).")
        off = ~np.eye(t.shape[0], dtype=bool)
        oi, di = np.nonzero(off & (t > min_flow))
        value = t[oi, di]
    keep = value > min_flow
    oi, di, value = oi[keep], di[keep], value[keep]
    order = np.argsort(-value, kind="stable")
    if top is not None:
        order = order[: int(top)]
    geoms = [_line(x[i], y[i], x[j], y[j]) for i, j in zip(oi[order], di[order], strict=True)]
    return gpd.GeoDataFrame(
        {"origin": ids[oi[order]], "destination": ids[di[order]], "flow": value[order]},
        geometry=geoms,
        crs="EPSG:4326",
    )


def _line(lon1: float, lat1: float, lon2: float, lat2: float) -> LineString | MultiLineString:
    """Straight lon/lat segment, split at the antimeridian when it is the short way."""
    dlon = lon2 - lon1
    if abs(dlon) <= 180.0:
        return LineString([(lon1, lat1), (lon2, lat2)])
    lon2u = lon2 - 360.0 if dlon > 0 else lon2 + 360.0  # unwrapped: the short way
    edge = 180.0 if lon2u > lon1 else -180.0
    t = (edge - lon1) / (lon2u - lon1)
    lat_x = lat1 + t * (lat2 - lat1)
    return MultiLineString([[(lon1, lat1), (edge, lat_x)], [(-edge, lat_x), (lon2, lat2)]])
