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
        A dense flow matrix in ``metros``' row order; a square DataFrame whose
        index and columns are the metro ids (aligned by label); an
        aggregate's top-k flows (its rows are matched to ``metros`` by id, so
        reordered ``metros`` are fine); or a long table with ``origin``,
        ``destination`` (ids) and ``flow`` columns.
    metros : geopandas.GeoDataFrame
        The places (any CRS; points or polygons), with unique ids.
    top : int or None, default 100
        Keep only the largest ``top`` flows (all when None); a whole number >= 0.
    id_column : str, default "metro_id"
        Identifier column (the index when absent).
    min_flow : float, default 0
        Drop flows at or below this value (finite).

    Returns
    -------
    geopandas.GeoDataFrame
        ``origin``, ``destination``, ``flow``, ``geometry``; largest first.

    Raises
    ------
    InputError
        ``top`` not a whole number >= 0, duplicate metro ids, a matrix of the
        wrong shape or with NaN, table ids absent from ``metros``, or an
        aggregate result computed for other places.
    CRSError
        ``metros`` has no CRS.

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
    if not isinstance(metros, gpd.GeoDataFrame):
        raise InputError(
            f"metros must be a GeoDataFrame; got {type(metros).__name__}. Build one with "
            "geopandas.GeoDataFrame(..., geometry=geopandas.points_from_xy(x, y), crs=...)."
        )
    v.require_crs(metros, "metros")
    if top is not None:
        top = v.check_integer(top, "top", minimum=0)
    min_flow = v.check_finite_number(min_flow, "min_flow")
    x, y, _ = v.as_coords(metros.to_crs(4326), "metros")
    ids = metros[id_column].to_numpy() if id_column in metros.columns else metros.index.to_numpy()
    v.check_unique_ids(
        ids, f"metros[{id_column!r}]" if id_column in metros.columns else "metros.index"
    )
    oi, di, value = _pairs(flows, ids, min_flow)
    keep = value > min_flow
    oi, di, value = oi[keep], di[keep], value[keep]
    order = np.argsort(-value, kind="stable")
    if top is not None:
        order = order[:top]
    geoms = [_line(x[i], y[i], x[j], y[j]) for i, j in zip(oi[order], di[order], strict=True)]
    return gpd.GeoDataFrame(
        {"origin": ids[oi[order]], "destination": ids[di[order]], "flow": value[order]},
        geometry=geoms,
        crs="EPSG:4326",
    )


def _pairs(
    flows: ArrayLike | pd.DataFrame | TopFlows, ids: np.ndarray, min_flow: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """Origin positions, destination positions (rows of ``metros``) and flows of every pair."""
    n = ids.size
    pos = pd.Series(np.arange(n), index=pd.Index(ids))
    if isinstance(flows, pd.DataFrame) and not {"origin", "destination", "flow"} <= set(
        flows.columns
    ):
        if flows.shape == (n, n) and _labelled_like(flows, pos.index):
            flows = flows.reindex(index=pos.index, columns=pos.index).to_numpy()  # by label
        else:
            missing = sorted({"origin", "destination", "flow"} - set(flows.columns))
            raise InputError(
                f"a flow table needs columns origin, destination, flow (it lacks {missing}), "
                f"or must be a square matrix whose index and columns are the {n} metro ids."
            )
    if isinstance(flows, pd.DataFrame):  # a long table: origin, destination, flow
        return _long_pairs(flows, pos)
    if isinstance(flows, TopFlows):  # an AggregateResult
        return _top_pairs(flows, ids, pos)
    try:
        t = np.asarray(flows, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            f"flows must be an (n, n) matrix of numbers, an AggregateResult or a table; got "
            f"{type(flows).__name__}."
        ) from None
    if t.shape != (n, n):
        raise InputError(
            f"flows has shape {t.shape}; expected ({n}, {n}), one row and column per metro in "
            "metros' row order."
        )
    v.check_finite(t, "flows")
    off = ~np.eye(n, dtype=bool)
    oi, di = np.nonzero(off & (t > min_flow))
    return oi, di, t[oi, di]


def _labelled_like(frame: pd.DataFrame, ids: pd.Index) -> bool:
    """Whether a square frame's index and columns are both the metro ids (in any order)."""
    return bool(
        frame.index.is_unique
        and frame.columns.is_unique
        and frame.index.isin(ids).all()
        and frame.columns.isin(ids).all()
    )


def _long_pairs(flows: pd.DataFrame, pos: pd.Series) -> tuple[IntArray, IntArray, FloatArray]:
    unknown = ~flows["origin"].isin(pos.index) | ~flows["destination"].isin(pos.index)
    if unknown.any():
        bad = flows.loc[unknown, ["origin", "destination"]].iloc[0].tolist()
        raise InputError(
            f"{int(unknown.sum())} flow(s) name ids that are not in metros, e.g. {bad}; pass "
            "id_column= naming the column that holds these ids."
        )
    if not pd.api.types.is_numeric_dtype(flows["flow"].dtype):
        raise InputError(
            f"the flow column must be numeric; got dtype {flows['flow'].dtype}. Convert it with "
            "pandas.to_numeric()."
        )
    value = flows["flow"].to_numpy(dtype=np.float64, na_value=np.nan)
    v.check_finite(value, "the flow column")
    oi = pos[flows["origin"]].to_numpy()
    di = pos[flows["destination"]].to_numpy()
    return oi, di, value


def _top_pairs(
    flows: TopFlows, ids: np.ndarray, pos: pd.Series
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return the top-k pairs, with the result's rows matched to metros' rows by id.

    The rows of an AggregateResult carry ids: when they are metros' ids in
    another order the rows are put in metros' order; when they are other ids
    the call is refused (unless they are the default positions 0..n-1 of
    ``(x, y)`` input, which are taken as metros' row order).
    """
    index, flow = np.asarray(flows.top_index), np.asarray(flows.top_flow)
    n = ids.size
    if index.shape[0] != n or flow.shape != index.shape:
        raise InputError(
            f"the aggregate result has {index.shape[0]} rows but metros has {n}; pass the "
            "metros the result was computed for."
        )
    if index.size and (index.max() >= n or index.min() < -1):
        raise InputError("the aggregate result's top_index points outside metros' rows.")
    rows = np.arange(n)
    result_ids = getattr(flows, "ids", None)
    if result_ids is not None:
        result_ids = np.asarray(result_ids)
        found = pos.reindex(result_ids).to_numpy()
        if not np.isnan(found).any():
            rows = found.astype(np.int64)  # result row r is metros' row rows[r]
        elif not np.array_equal(result_ids, np.arange(n)):
            lost = result_ids[np.isnan(found)][:3].tolist()
            raise InputError(
                f"the aggregate result's ids do not match metros' ids (e.g. {lost} are not in "
                "metros); pass the metros it was computed for, or id_column= naming their ids."
            )
    valid = index >= 0
    oi, rank = np.nonzero(valid)
    del rank
    return rows[oi], rows[index[valid]], flow[valid]


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
