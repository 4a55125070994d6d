"""Input checks and the design matrix of :func:`geoai.flows.calibrate`.

Every check raises an :class:`~geoai.errors.InputError` naming the argument
or column, what was expected and what was given, before any fitting: the
table and its columns, the options, the tolerance and iteration cap, and
whether the cost coefficient is identified at all under the chosen fixed
effects (a doubly-constrained model of one origin fits every flow exactly
whatever the cost coefficient, so it would "converge" to a meaningless value).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CONSTRAINTS",
    "check_absorbed",
    "check_arguments",
    "check_identified",
    "column_names",
    "design",
    "id_codes",
    "log_positive",
    "numeric_column",
    "observed_flows",
    "rows_of",
]

#: The model forms of :func:`geoai.flows.calibrate`.
CONSTRAINTS = ("none", "production", "attraction", "doubly")


def rows_of(df: pd.DataFrame, mask: np.ndarray) -> list[Any]:
    """Return the first five row labels of ``df`` where ``mask`` is True (for messages)."""
    return list(df.index[mask][:5].tolist())


def _require_column(df: pd.DataFrame, col: object) -> None:
    if not isinstance(col, Hashable) or col not in df.columns:
        raise InputError(f"no column {col!r}; available columns: {list(df.columns)}.")


def numeric_column(df: pd.DataFrame, col: str) -> np.ndarray:
    """Return column ``col`` as finite float64 values, shape ``(len(df),)``."""
    _require_column(df, col)
    if not pd.api.types.is_numeric_dtype(df[col].dtype):
        raise InputError(
            f"column {col!r} must be numeric; got dtype {df[col].dtype}. Convert it with "
            "pandas.to_numeric()."
        )
    x = df[col].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(x)
    if bad.any():
        raise InputError(
            f"column {col!r} has {bad.sum()} NaN or infinite value(s), e.g. at rows "
            f"{rows_of(df, bad)}; drop or fill them."
        )
    return np.asarray(x)


def log_positive(df: pd.DataFrame, col: str, why: str) -> np.ndarray:
    """Return ``log`` of column ``col``, which must be > 0 (``why`` says why, for the message)."""
    x = numeric_column(df, col)
    bad = x <= 0
    if bad.any():
        raise InputError(
            f"column {col!r} must be > 0 ({why}), but {bad.sum()} value(s) are not, e.g. at "
            f"rows {rows_of(df, bad)}."
        )
    return np.asarray(np.log(x))


def id_codes(df: pd.DataFrame, col: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes ``0..k-1`` (sorted ids) of identifier column ``col``, and the ids."""
    _require_column(df, col)
    if df[col].isna().any():
        raise InputError(
            f"column {col!r} has missing identifiers at rows "
            f"{rows_of(df, df[col].isna().to_numpy())}; drop those rows or fill the ids."
        )
    codes, uniques = pd.factorize(df[col], sort=True)
    return codes.astype(np.int64), pd.Index(uniques, name=col)


def column_names(names: object, what: str) -> tuple[str, ...]:
    """Return a sequence of column names as a tuple, refusing a bare string.

    A string is a sequence of characters, so ``dest_vars="jobs"`` would look
    for columns ``'j'``, ``'o'``, ``'b'``, ``'s'``; it is refused with the fix.

    Examples
    --------
    >>> column_names(["O", "D"], "origin_vars")
    ('O', 'D')
    """
    if isinstance(names, str):
        raise InputError(
            f"{what} must be a list of column names; got the string {names!r}. Pass [{names!r}]."
        )
    if not isinstance(names, Iterable):
        raise InputError(f"{what} must be a list of column names; got {type(names).__name__}.")
    return tuple(names)


def check_arguments(
    df: object,
    *,
    constraint: str,
    decay: str,
    tol: object,
    max_iter: object,
) -> tuple[float, int]:
    """Check the table, the options and the iteration settings of :func:`calibrate`.

    Returns
    -------
    tuple of (float, int)
        ``tol`` (> 0) and ``max_iter`` (a whole number >= 1).
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(
            f"df must be a pandas DataFrame with one row per origin-destination pair; got "
            f"{type(df).__name__}."
        )
    v.check_choice(constraint, CONSTRAINTS, "constraint")
    v.check_choice(decay, ("power", "exponential"), "decay")
    v.check_nonempty(len(df), "df")
    return v.check_positive(tol, "tol"), v.check_integer(max_iter, "max_iter", minimum=1)


def observed_flows(df: pd.DataFrame, flow: str) -> np.ndarray:
    """Return the observed flow column: finite, >= 0 and not all zero."""
    y = numeric_column(df, flow)
    neg = y < 0
    if neg.any():
        raise InputError(
            f"flow column {flow!r} must be >= 0; negative at rows {rows_of(df, neg)}. Poisson "
            "calibration models counts or amounts."
        )
    if y.sum() == 0:
        raise InputError(f"flow column {flow!r} is all zero; nothing to calibrate.")
    return y


def check_identified(constraint: str, n_o: int, n_d: int) -> None:
    """Refuse fixed effects that leave the cost coefficient unidentified.

    With origin effects and a single destination (or destination effects and
    a single origin), every flow has its own effect and fits exactly for any
    cost coefficient. ``n_o`` and ``n_d`` count the origins and destinations
    with positive flows (all-zero groups are set aside before fitting).

    Examples
    --------
    >>> check_identified("doubly", 3, 4)
    >>> try:
    ...     check_identified("doubly", 1, 4)
    ... except InputError as exc:
    ...     print(str(exc)[:60])
    constraint='doubly' needs at least 2 origins and 2 destinati
    """
    need_o = constraint in ("attraction", "doubly")
    need_d = constraint in ("production", "doubly")
    if (need_o and n_o < 2) or (need_d and n_d < 2):
        parts = [f"{n_o} origin(s)"] if need_o else []
        parts += [f"{n_d} destination(s)"] if need_d else []
        want = {"doubly": "2 origins and 2 destinations", "production": "2 destinations"}
        raise InputError(
            f"constraint={constraint!r} needs at least {want.get(constraint, '2 origins')} with "
            f"positive flows to identify the cost coefficient, but the data have "
            f"{' and '.join(parts)}; its fixed effects would fit every flow exactly. Add pairs "
            "or use a form with fewer fixed effects (constraint='none')."
        )


def check_absorbed(
    constraint: str,
    origin_vars: Sequence[str],
    dest_vars: Sequence[str],
    *,
    use_o: bool,
    use_d: bool,
) -> None:
    """Refuse mass variables that the chosen fixed effects absorb."""
    if use_o and origin_vars:
        raise InputError(
            f"constraint={constraint!r} has origin fixed effects, which absorb origin_vars "
            f"{list(origin_vars)}; drop them or use constraint='attraction' or 'none'."
        )
    if use_d and dest_vars:
        raise InputError(
            f"constraint={constraint!r} has destination fixed effects, which absorb dest_vars "
            f"{list(dest_vars)}; drop them or use constraint='production' or 'none'."
        )


def design(
    df: pd.DataFrame,
    cost: str,
    origin_vars: Sequence[str],
    dest_vars: Sequence[str],
    *,
    constant: bool,
    decay: str,
) -> tuple[list[str], np.ndarray]:
    """Covariate names and matrix ``(len(df), k)``: const, log masses, and log(cost) or cost."""
    names: list[str] = ["const"] if constant else []
    cols: list[np.ndarray] = [np.ones(len(df))] if constant else []
    for c in (*origin_vars, *dest_vars):
        names.append(c)
        cols.append(log_positive(df, c, "mass variables enter as logarithms"))
    names.append(cost)
    if decay == "power":
        cols.append(log_positive(df, cost, "power decay takes log(cost)"))
    else:
        cols.append(numeric_column(df, cost))
    return names, np.column_stack(cols)
