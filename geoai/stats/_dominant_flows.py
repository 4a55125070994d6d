"""Nystuen & Dacey (1961) nodal hierarchy: which place is subordinate to which.

The dominant (largest) outflow of each place, followed up to the root of its
chain, gives the functional hinterlands of a flow system. Exposed as
:func:`geoai.stats.dominant_flows`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError
from geoai.stats import _checks as c

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from geoai._typing import FloatArray, IntArray
    from geoai.flows import AggregateResult

__all__ = ["dominant_flows"]


def _from_table(
    flows: pd.DataFrame, ids: pd.Index, names: tuple[str, str, str]
) -> tuple[IntArray, FloatArray]:
    """Largest outflow per place from a long (origin, destination, flow) table."""
    for arg, col in zip(("origin", "destination", "flow"), names, strict=True):
        c.hashable(col, arg)
    missing = [col for col in names if col not in flows.columns]
    if missing:
        raise InputError(
            f"flow table lacks columns {missing}; pass origin=, destination=, flow= to "
            f"name them (it has {list(flows.columns)[:12]})."
        )
    o, d = ids.get_indexer(flows[names[0]]), ids.get_indexer(flows[names[1]])
    if (o < 0).any() or (d < 0).any():
        bad = flows.loc[(o < 0) | (d < 0), list(names[:2])].to_numpy().ravel()
        unknown = sorted({str(x) for x in bad} - {str(x) for x in ids})
        raise InputError(f"flow table has places without a size, e.g. {unknown[:5]}.")
    if not pd.api.types.is_numeric_dtype(flows[names[2]].dtype):
        raise InputError(
            f"flow column {names[2]!r} must be numeric; got dtype {flows[names[2]].dtype}. "
            "Convert it with pandas.to_numeric() first."
        )
    f = flows[names[2]].to_numpy(dtype=np.float64, na_value=np.nan)
    _check_flows(f)
    pair, inverse = np.unique(o.astype(np.int64) * len(ids) + d, return_inverse=True)
    with np.errstate(over="ignore"):
        f = np.bincount(inverse, f)  # rows repeating a pair add up
    if not np.isfinite(f).all():
        raise InputError(
            "flows of a repeated (origin, destination) pair add up beyond the float range; "
            "rescale the flow column (e.g. to thousands)."
        )
    o, d = pair // len(ids), pair % len(ids)
    keep = (o != d) & (f > 0)
    o, d, f = o[keep], d[keep], f[keep]
    order = np.lexsort((d, -f, o))  # largest flow first, ties to the lower position
    first = order[np.unique(o[order], return_index=True)[1]]
    target = np.full(len(ids), -1, dtype=np.int64)
    amount = np.zeros(len(ids))
    target[o[first]], amount[o[first]] = d[first], f[first]
    return target, amount


def _from_matrix(flows: ArrayLike) -> tuple[IntArray, FloatArray]:
    """Largest off-diagonal outflow per row of a dense square matrix."""
    try:
        mat = np.asarray(flows, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            "flows must be numbers: a square (n, n) matrix, a long DataFrame (origin, "
            f"destination, flow) or a flows.AggregateResult; got {type(flows).__name__}."
        ) from None
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1] or mat.shape[0] == 0:
        raise InputError(
            "flows must be a square (n, n) matrix, a long DataFrame (origin, destination, "
            f"flow) or a flows.AggregateResult; got shape {mat.shape}."
        )
    _check_flows(mat)
    mat = mat.copy()
    np.fill_diagonal(mat, -np.inf)
    target = mat.argmax(axis=1)  # ties to the lower position
    amount = mat[np.arange(len(mat)), target]
    return np.where(amount > 0, target, -1), np.where(amount > 0, amount, 0.0)


def _largest_outflows(
    flows: AggregateResult | pd.DataFrame | ArrayLike,
    size: pd.Series | ArrayLike,
    names: tuple[str, str, str],
) -> tuple[pd.Index, IntArray, FloatArray, FloatArray]:
    """``(ids, target position or -1, target flow, size)`` from the accepted flow inputs."""
    if isinstance(size, pd.Series) and not size.index.is_unique:
        dup = size.index[size.index.duplicated()].unique()[:5].tolist()
        raise InputError(
            f"size has repeated index labels (e.g. {dup}), so a place would have two sizes; "
            "aggregate or de-duplicate it first (size.groupby(level=0).sum())."
        )
    if hasattr(flows, "top_index") and hasattr(flows, "top_flow"):  # flows.AggregateResult
        agg = cast("AggregateResult", flows)  # duck-typed: any object with these fields
        if agg.top_index.shape[1] == 0:
            raise InputError(
                "this AggregateResult has no top flows; use flows.aggregate(..., top_k=1)."
            )
        ids = pd.Index(agg.ids)
        target = agg.top_index[:, 0].astype(np.int64)
        amount = np.where(target >= 0, agg.top_flow[:, 0], 0.0)
    elif isinstance(flows, pd.DataFrame):
        if not isinstance(size, pd.Series):
            raise InputError("with a flow table, size must be a pandas Series indexed by place id.")
        ids = size.index
        target, amount = _from_table(flows, ids, names)
    else:
        target, amount = _from_matrix(flows)
        n = len(target)
        ids = size.index if isinstance(size, pd.Series) and len(size) == n else pd.RangeIndex(n)
    if isinstance(size, pd.Series):
        if not ids.isin(size.index).all():
            missing = ids[~ids.isin(size.index)][:5].tolist()
            raise InputError(
                f"size must have a value for every place of the flows; missing e.g. {missing}. "
                "Reindex it with size.reindex(ids)."
            )
        size = size.reindex(ids)
    elif np.ndim(size) == 0:  # a scalar (or None): not one size per place
        raise InputError(
            f"size must hold one value per place ({len(ids)}); got {type(size).__name__}."
        )
    s = v.as_mass(size, "size", n=len(ids), allow_zero_sum=True)
    return ids, target, amount, s


def _labels(label: NDArray[np.object_], pos: IntArray) -> NDArray[np.object_]:
    """Labels at positions ``pos``; None where ``pos`` is -1."""
    out = np.full(pos.size, None, dtype=object)
    out[pos >= 0] = label[pos[pos >= 0]]
    return out


def _check_flows(f: FloatArray) -> None:
    if f.size and (~np.isfinite(f) | (f < 0)).any():
        raise InputError("flows must be finite and >= 0; found NaN, inf or negative values.")


def dominant_flows(
    flows: AggregateResult | pd.DataFrame | ArrayLike,
    size: pd.Series | ArrayLike,
    *,
    origin: str = "origin",
    destination: str = "destination",
    flow: str = "flow",
) -> pd.DataFrame:
    """Nystuen & Dacey (1961) nodal hierarchy: who is subordinate to whom.

    A place is subordinate to the destination of its largest outflow when
    that destination is strictly larger (``size[j] > size[i]``); equal sizes
    are not subordination. Following the chain of dominant flows leads to a
    root (a place subordinate to nobody); the chain cannot cycle because
    size strictly increases along it. Ties between equal largest outflows go
    to the destination at the lower position. Self-flows are ignored.

    Parameters
    ----------
    flows : array-like (n, n), pandas.DataFrame or flows.AggregateResult
        A dense flow matrix (origin rows, destination columns; diagonal
        ignored), a long table with ``origin``, ``destination`` and ``flow``
        columns (rows repeating a pair add up), or the result of
        :func:`geoai.flows.aggregate` with ``top_k >= 1``. Flows are finite and >= 0.
    size : array-like (n,) or pandas.Series
        Size of each place (population, jobs), finite and >= 0. For a long
        table, a Series indexed by place id (it defines the places; its labels
        must be unique); otherwise aligned with the places by position, or a
        Series indexed by their ids.
    origin : str, default "origin"
        Column of a long table holding the origin place ids.
    destination : str, default "destination"
        Column of a long table holding the destination place ids.
    flow : str, default "flow"
        Column of a long table holding the flows (>= 0).

    Returns
    -------
    pandas.DataFrame
        One row per place, indexed by id: ``largest_to`` (id of the
        destination of its largest outflow, None if it sends nothing),
        ``largest_flow``, ``dominant`` (position of the place it is
        subordinate to, -1 if none), ``dominant_id``, ``is_root``, ``root``
        (position of the top of its chain; itself for roots), ``root_id``
        and ``depth`` (steps to the root).

    Raises
    ------
    InputError
        Flows that are not numbers, not square, empty, NaN, infinite or
        negative; a table without the named columns or naming places without a
        size; sizes that are missing, repeated (a Series with duplicated
        labels), non-numeric, NaN or negative.

    Examples
    --------
    >>> import numpy as np
    >>> from geoai.stats import dominant_flows
    >>> f = np.array([[0, 5, 1], [2, 0, 9], [1, 3, 0]])
    >>> dominant_flows(f, [10, 50, 100])[["dominant", "root", "depth"]].to_numpy().tolist()
    [[1, 2, 2], [2, 2, 1], [-1, 2, 0]]
    """
    ids, target, amount, s = _largest_outflows(flows, size, (origin, destination, flow))
    n = len(ids)
    pos = np.arange(n)
    parent = np.where((target >= 0) & (s[np.maximum(target, 0)] > s), target, pos)
    depth = (parent != pos).astype(np.int64)
    root = parent.copy()
    while True:  # pointer jumping: O(n log depth)
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        depth = depth + depth[root]
        root = nxt
    label = np.asarray(ids, dtype=object)
    dominant = np.where(parent != pos, parent, -1)
    return pd.DataFrame(
        {
            "largest_to": _labels(label, target),
            "largest_flow": amount,
            "dominant": dominant,
            "dominant_id": _labels(label, dominant),
            "is_root": parent == pos,
            "root": root,
            "root_id": label[root],
            "depth": depth,
        },
        index=ids,
    )
