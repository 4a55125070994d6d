"""UN World Urbanization Prospects 2018: agglomerations and their population, 1950–2035.

The 1,860 urban agglomerations with 300,000 inhabitants or more in 2018 and
their annual population (people) from the UN's *World Urbanization Prospects:
The 2018 Revision* (File 22), read offline from the files that
``data/un_wup2018/build.py`` builds (see ``data/un_wup2018/README.md`` for
the source, license, the statistical-concept rules and the estimate /
projection boundary).

* :func:`wup_agglomerations`: the agglomerations of one year as points.
* :func:`load_metro_panel`: the long annual population panel.

Every population is UN data: ``"estimate"`` up to :data:`LAST_ESTIMATE_YEAR`
(2015) and ``"projection"`` after it, as the ``population_kind`` column says.
Maps and tables made from these data must carry :data:`WUP_SOURCE`.
"""

from __future__ import annotations

import functools
import math
from numbers import Integral, Real

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError

__all__ = [
    "FIRST_YEAR",
    "LAST_ESTIMATE_YEAR",
    "LAST_YEAR",
    "WUP_SOURCE",
    "load_metro_panel",
    "wup_agglomerations",
]

#: Attribution required by the CC BY 3.0 IGO license of the UN data.
WUP_SOURCE = (
    "United Nations, DESA, Population Division (2018). World Urbanization Prospects: "
    "The 2018 Revision (CC BY 3.0 IGO)"
)
#: First and last year of the annual series.
FIRST_YEAR, LAST_YEAR = 1950, 2035
#: Last year published as an estimate; later years are projections (README).
LAST_ESTIMATE_YEAR = 2015

_AGGLOMERATIONS = "un_wup2018/agglomerations.parquet"
_POPULATION = "un_wup2018/population.parquet"
_COLUMNS = ["metro_id", "name", "country_iso3", "statistical_concept", "lon", "lat"]


@functools.cache
def _read_agglomerations() -> pd.DataFrame:
    from geoai._shipped import data_path

    return pd.read_parquet(data_path(_AGGLOMERATIONS))


@functools.cache
def _read_population() -> pd.DataFrame:
    from geoai._shipped import data_path

    return pd.read_parquet(data_path(_POPULATION))


def population_kind(year: int) -> str:
    """``"estimate"`` for years up to 2015, ``"projection"`` after (UN WUP 2018)."""
    return "estimate" if year <= LAST_ESTIMATE_YEAR else "projection"


def check_year(value: object, name: str) -> int:
    """Return ``value`` as an int year in 1950–2035, else raise InputError naming it."""
    ok = isinstance(value, Real) and not isinstance(value, bool | np.bool_)
    if ok and not isinstance(value, Integral):  # a float: whole and finite (1e300 is out below)
        number = float(value)  # type: ignore[arg-type]  # a Real, checked above
        ok = math.isfinite(number) and number.is_integer()
    if not ok or not FIRST_YEAR <= int(value) <= LAST_YEAR:  # type: ignore[call-overload]
        raise InputError(
            f"{name} must be an integer year from {FIRST_YEAR} to {LAST_YEAR} "
            f"(the UN WUP 2018 series); got {name}={v.short(value)}."
        )
    return int(value)  # type: ignore[call-overload,no-any-return]


def _check_min_population(value: float) -> float:
    return v.check_positive(value, "min_population", allow_zero=True)


def wup_agglomerations(year: int = 2025, min_population: float = 1_000_000) -> gpd.GeoDataFrame:
    """Load the UN WUP 2018 urban agglomerations of one year, largest first.

    Parameters
    ----------
    year : int, default 2025
        Year of the population, 1950–2035. Up to 2015 the values are UN
        estimates, from 2016 UN projections.
    min_population : float, default 1,000,000
        Keep agglomerations of at least this many people in ``year`` (>= 0).
        The file holds the agglomerations of >= 300,000 people *in 2018*: a
        lower floor, or an early year, also returns smaller places, but not
        every agglomeration of that size.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per agglomeration, sorted by population (descending, ties by
        ``metro_id``), with ``metro_id`` (``"wup:<UN City Code>"``, stable),
        ``name`` (UN name), ``country_iso3``, ``population`` (int64, people in
        ``year``), ``population_kind`` (``"estimate"`` or ``"projection"``),
        ``statistical_concept`` (``"city proper"``, ``"urban agglomeration"``
        or ``"metropolitan area"``) and ``geometry`` (the UN centre point,
        EPSG:4326). ``attrs`` holds ``source`` (the required attribution),
        ``year`` and ``population_kind``.

    Raises
    ------
    InputError
        If ``year`` is not an integer in 1950–2035 or ``min_population`` is
        negative or not finite.

    Examples
    --------
    >>> big = wup_agglomerations(2025, 10_000_000)
    >>> big.iloc[0]["name"], big.iloc[0]["population_kind"], big.crs.to_epsg()
    ('Tokyo', 'projection', 4326)
    """
    year = check_year(year, "year")
    floor = _check_min_population(min_population)
    table = _read_agglomerations()
    population = _read_population()[str(year)].to_numpy()
    keep = population >= floor
    out = table.loc[keep, _COLUMNS].reset_index(drop=True)
    out.insert(3, "population", population[keep].astype(np.int64))
    kind = population_kind(year)
    out.insert(4, "population_kind", kind)
    out = out.sort_values(
        ["population", "metro_id"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)
    gdf = gpd.GeoDataFrame(
        out.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(out["lon"], out["lat"]),
        crs="EPSG:4326",
    )
    gdf.attrs.update(source=WUP_SOURCE, year=year, population_kind=kind)
    return gdf


def load_metro_panel(
    start: int = FIRST_YEAR, end: int = LAST_YEAR, *, min_population: float = 0
) -> pd.DataFrame:
    """Annual population of the UN WUP 2018 agglomerations, as a long table.

    Parameters
    ----------
    start : int, default 1950
        First year (inclusive), 1950–2035.
    end : int, default 2035
        Last year (inclusive), 1950–2035, ``start <= end``.
    min_population : float, default 0
        Keep the agglomerations that reach at least this many people in *some*
        year of ``start``–``end`` (>= 0); every year of the window is returned
        for each of them, so their series stay complete.

    Returns
    -------
    pandas.DataFrame
        Columns ``metro_id`` (as in :func:`wup_agglomerations` and
        ``geoai.load_metros()``), ``year`` (int64), ``population`` (int64,
        people) and ``population_kind`` (``"estimate"`` to 2015,
        ``"projection"`` from 2016), one row per agglomeration and year,
        sorted by ``metro_id`` then ``year``. With the defaults: 1,860
        agglomerations × 86 years = 159,960 rows. ``attrs`` holds ``source``,
        ``start``, ``end``, ``last_estimate_year`` (2015) and
        ``first_projection_year`` (2016).

    Raises
    ------
    InputError
        If ``start`` or ``end`` is not an integer in 1950–2035, ``start >
        end``, or ``min_population`` is negative or not finite.

    Examples
    --------
    >>> panel = load_metro_panel(2010, 2020)
    >>> len(panel) == 1860 * 11
    True
    >>> panel.groupby("population_kind")["year"].agg(["min", "max"]).to_dict("index")
    {'estimate': {'min': 2010, 'max': 2015}, 'projection': {'min': 2016, 'max': 2020}}
    """
    start = check_year(start, "start")
    end = check_year(end, "end")
    if start > end:
        raise InputError(
            f"start must not be after end; got start={start}, end={end}. "
            "Swap them or pass one year twice."
        )
    floor = _check_min_population(min_population)
    years = np.arange(start, end + 1, dtype=np.int64)
    values = _read_population()[[str(y) for y in years]].to_numpy(dtype=np.int64)
    ids = _read_agglomerations()["metro_id"].to_numpy(dtype=object)
    keep = values.max(axis=1) >= floor
    order = np.argsort(ids[keep], kind="stable")
    values, ids = values[keep][order], ids[keep][order]
    n_metros, n_years = values.shape
    kinds = np.where(years <= LAST_ESTIMATE_YEAR, "estimate", "projection").astype(object)
    panel = pd.DataFrame(
        {
            "metro_id": np.repeat(ids, n_years),
            "year": np.tile(years, n_metros),
            "population": values.reshape(-1),
            "population_kind": np.tile(kinds, n_metros),
        }
    )
    panel.attrs.update(
        source=WUP_SOURCE,
        start=start,
        end=end,
        last_estimate_year=LAST_ESTIMATE_YEAR,
        first_projection_year=LAST_ESTIMATE_YEAR + 1,
    )
    return panel
