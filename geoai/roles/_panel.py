"""Checks and reshaping shared by :func:`~geoai.roles.decline` and the backtest.

A population panel is a long table with one row per metro and year
(``metro_id``, ``year``, ``population`` in people), like
:func:`geoai.load_metro_panel`. The optional ``population_kind`` column says
which rows are observations (``"estimate"``) and which are projections
(``"projection"``); the optional ``country_iso3`` and ``name`` columns name
each metro's country and name (constant per metro). Where they are absent,
both come from the UN WUP 2018 agglomerations
(:func:`geoai.datasets.wup_agglomerations`) by ``metro_id``.

The helpers here validate once, at the public functions, and hand the
decline and backtest code a rectangular metros × years array of floats.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from geoai._typing import FloatArray, IntArray

__all__ = [
    "REQUIRED_COLUMNS",
    "Panel",
    "check_as_of",
    "check_bool",
    "check_panel",
    "last_observed_year",
    "to_wide",
    "whole_number",
]

#: Columns every panel must have.
REQUIRED_COLUMNS = ("metro_id", "year", "population")
_HINT = "pass a long table like geoai.load_metro_panel()"


@dataclass(frozen=True)
class Panel:
    """A validated panel, cut at one year, as a rectangular array.

    Attributes
    ----------
    ids : numpy.ndarray of str, shape (n,)
        ``metro_id`` of each row of ``population``, sorted.
    names : numpy.ndarray of str, shape (n,)
        Each metro's name (its ``metro_id`` where no name is known).
    countries : numpy.ndarray of str, shape (n,)
        Each metro's ISO3 country code.
    years : numpy.ndarray of int64, shape (t,)
        The years of the columns of ``population``, ascending (those of the
        panel; they need not be consecutive).
    population : numpy.ndarray of float64, shape (n, t)
        Population (people) of each metro in each year.
    """

    ids: NDArray[np.object_]
    names: NDArray[np.object_]
    countries: NDArray[np.object_]
    years: IntArray
    population: FloatArray

    def country_totals(self) -> tuple[FloatArray, IntArray]:
        """Total population of each metro's country's agglomerations, by year.

        Returns
        -------
        totals : numpy.ndarray of float64, shape (n, t)
            Row ``i`` is the summed population (people) of every metro of the
            panel in the country of metro ``i`` (metro ``i`` included).
        n_metros : numpy.ndarray of int64, shape (n,)
            How many metros of the panel share metro ``i``'s country.
        """
        codes, inverse = np.unique(self.countries, return_inverse=True)
        sums = np.zeros((codes.size, self.years.size))
        np.add.at(sums, inverse, self.population)
        counts = np.bincount(inverse, minlength=codes.size)
        return sums[inverse], counts[inverse].astype(np.int64)


def whole_number(value: object) -> int | None:
    """``value`` as an int if it is a finite whole number (not a bool), else None."""
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        return None
    if isinstance(value, int | np.integer):
        return int(value)  # exact, even for an int of thousands of digits
    number = float(value)
    if not math.isfinite(number) or not number.is_integer():
        return None
    return int(number)


def check_bool(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool, else raise InputError naming it."""
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be True or False; got {name}={v.short(value)}.")
    return bool(value)


def check_panel(panel: object) -> pd.DataFrame:
    """Check the shape and types of a panel; return it with an int64 ``year``.

    Population values are checked later, only for the years that are used
    (:func:`to_wide`), so that data after ``as_of`` is never read.
    """
    if not isinstance(panel, pd.DataFrame):
        raise InputError(f"panel must be a pandas DataFrame; got {type(panel).__name__}: {_HINT}.")
    missing = [c for c in REQUIRED_COLUMNS if c not in panel.columns]
    if missing:
        raise InputError(
            f"panel lacks the column(s) {missing}; it needs {list(REQUIRED_COLUMNS)}: {_HINT}."
        )
    if len(panel) == 0:
        raise InputError(f"panel is empty; {_HINT}.")
    year = pd.to_numeric(panel["year"], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(year).all() and (year == np.round(year)).all()):
        raise InputError("panel['year'] must hold whole years (integers); fix or drop the rows.")
    if not pd.api.types.is_numeric_dtype(panel["population"]) or pd.api.types.is_bool_dtype(
        panel["population"]
    ):
        raise InputError(
            f"panel['population'] must be numeric (people); got dtype {panel['population'].dtype}."
        )
    if panel["metro_id"].isna().any():
        raise InputError("panel['metro_id'] has missing values; give every row a metro_id.")
    frame = panel.copy(deep=False)
    frame["year"] = year.astype(np.int64)
    return frame


def last_observed_year(frame: pd.DataFrame) -> int:
    """Last year of the panel before its first projection (its last year if none).

    Projections are the rows whose ``population_kind`` is ``"projection"``;
    a panel without that column, and without a ``last_estimate_year`` in its
    ``attrs``, is taken to be all observations.
    """
    years = frame["year"].to_numpy()
    last = int(years.max())
    if "population_kind" in frame.columns:
        projected = frame["population_kind"].astype(str).to_numpy() == "projection"
        if projected.any():
            last = min(last, int(years[projected].min()) - 1)
    attr = whole_number(frame.attrs.get("last_estimate_year"))
    if attr is not None:
        last = min(last, attr)
    return last


def check_as_of(
    as_of: object, frame: pd.DataFrame, *, allow_projections: bool, name: str = "as_of"
) -> int:
    """Return ``as_of`` (default: the last observed year) after checking it against the panel."""
    observed = last_observed_year(frame)
    if as_of is None:
        return observed
    year = whole_number(as_of)
    if year is None:
        raise InputError(f"{name} must be a whole year (int); got {name}={v.short(as_of)}.")
    first, last = int(frame["year"].min()), int(frame["year"].max())
    if not first <= year <= last:
        raise InputError(
            f"{name}={v.short(year)} is outside the panel's years {first}–{last}; pick a year "
            "inside them."
        )
    if not (frame["year"].to_numpy() == year).any():
        raise InputError(
            f"{name}={year} is not a year of the panel (it has {first}–{last} with gaps); "
            "pick one of its years."
        )
    if year > observed and not allow_projections:
        raise InputError(
            f"{name}={year} would read projected populations (the panel's observations end in "
            f"{observed}); use {name} <= {observed} or pass allow_projections=True."
        )
    return year


@functools.cache
def _un_attributes() -> pd.DataFrame:
    from geoai.datasets import wup_agglomerations
    from geoai.datasets._wup import LAST_ESTIMATE_YEAR

    table = wup_agglomerations(LAST_ESTIMATE_YEAR, 0)
    return pd.DataFrame(table[["metro_id", "name", "country_iso3"]]).set_index("metro_id")


def _per_metro(
    frame: pd.DataFrame, column: str, ids: NDArray[np.object_]
) -> NDArray[np.object_] | None:
    """Return a per-metro column's value for ``ids`` (constant per metro), or None if absent."""
    if column not in frame.columns:
        return None
    values = frame[["metro_id", column]].drop_duplicates()
    if values["metro_id"].duplicated().any():
        bad = values.loc[values["metro_id"].duplicated(), "metro_id"].head(3).tolist()
        raise InputError(
            f"panel['{column}'] changes over time for metro(s) {bad}; it must be constant "
            "per metro."
        )
    mapped = values.set_index("metro_id")[column].reindex(ids)
    if mapped.isna().any():
        bad = mapped.index[mapped.isna()][:3].tolist()
        raise InputError(f"panel['{column}'] is missing for metro(s) {bad}; fill it.")
    return np.asarray(mapped.astype(str).to_numpy(dtype=object))


def _attributes(
    frame: pd.DataFrame, ids: NDArray[np.object_]
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Names and ISO3 countries of ``ids``: from the panel's columns, else the UN table."""
    countries = _per_metro(frame, "country_iso3", ids)
    names = _per_metro(frame, "name", ids)
    if countries is None or names is None:
        un = _un_attributes().reindex(ids)
        if countries is None:
            if un["country_iso3"].isna().any():
                bad = un.index[un["country_iso3"].isna()][:3].tolist()
                raise InputError(
                    f"no country is known for metro(s) {bad} (not UN WUP 2018 agglomerations); "
                    "add a 'country_iso3' column to the panel."
                )
            countries = un["country_iso3"].astype(str).to_numpy(dtype=object)
        if names is None:
            names = un["name"].fillna(pd.Series(ids, index=un.index)).astype(str)
            names = names.to_numpy(dtype=object)
    return names, countries


def to_wide(frame: pd.DataFrame, upto: int) -> Panel:
    """Cut a checked panel at ``upto`` (inclusive) and reshape it to metros × years.

    Only the rows of years ``<= upto`` are read. They must form a complete
    rectangle (every metro in every year of the panel up to ``upto``, once) of
    finite populations > 0.
    """
    rows = frame[frame["year"].to_numpy() <= upto]
    if len(rows) == 0:
        raise InputError(f"the panel has no rows up to {upto}; pick a later year.")
    population = pd.to_numeric(rows["population"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(population) | (population <= 0)
    if bad.any():
        where = rows["metro_id"].to_numpy()[bad][:3].tolist()
        raise InputError(
            f"panel['population'] has {int(bad.sum())} missing, non-finite or non-positive "
            f"value(s) up to {upto} (metros {where}); populations must be people > 0."
        )
    metro_codes, ids = pd.factorize(rows["metro_id"].astype(str), sort=True)
    years = np.unique(rows["year"].to_numpy()).astype(np.int64)
    year_codes = np.searchsorted(years, rows["year"].to_numpy())
    flat = metro_codes * years.size + year_codes
    counts = np.bincount(flat, minlength=len(ids) * years.size)
    if (counts > 1).any():
        first = int(np.flatnonzero(counts > 1)[0])
        raise InputError(
            f"panel has duplicate rows for metro {ids[first // years.size]!r} in year "
            f"{years[first % years.size]}; keep one row per metro and year."
        )
    if (counts == 0).any():
        first = int(np.flatnonzero(counts == 0)[0])
        raise InputError(
            f"panel has {int((counts == 0).sum())} missing metro-year(s) up to {upto} (first: "
            f"metro {ids[first // years.size]!r} in {years[first % years.size]}); every metro "
            f"needs every year of the panel from {years[0]} on: fill or drop them."
        )
    values = np.empty(len(ids) * years.size)
    values[flat] = population
    ids_array = np.asarray(ids, dtype=object)
    names, countries = _attributes(rows, ids_array)
    return Panel(
        ids=ids_array,
        names=names,
        countries=countries,
        years=years,
        population=values.reshape(len(ids), years.size),
    )
