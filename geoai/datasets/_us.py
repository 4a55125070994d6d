"""Observed US metros: BLS OEWS May 2025 occupations × Eloundou et al. (2024) LLM exposure.

See ``data/us_oews_2025/README.md`` and ``data/ai_exposure/README.md`` for
sources, licences, vintage, the rules of the build and the measured figures.
Every labour column here is observed (``attrs["modelled_columns"] == []``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geoai import _validate as v
from geoai._constants import EARTH_RADIUS_KM
from geoai.errors import CRSError, InputError

__all__ = [
    "US_ATTRIBUTION",
    "link_cbsa",
    "load_occupation_exposure",
    "load_us_metros",
    "load_us_occupations",
]

#: Attribution line for maps and reports made from the US metro files.
US_ATTRIBUTION = "BLS OEWS May 2025 (public domain); exposure: Eloundou et al. 2024 (MIT)"

_METROS = "us_oews_2025/us_metros.parquet"
_OCCUPATIONS = "us_oews_2025/us_occupations.parquet"
_EXPOSURE = "ai_exposure/occupation_exposure.csv"
_COUNTRIES = ("USA", "PRI")


def _path(name: str) -> Path:
    from geoai.datasets import data_path  # late: geoai.datasets imports this module

    return data_path(name)


@functools.cache
def _read_us_metros() -> gpd.GeoDataFrame:
    return gpd.read_parquet(_path(_METROS))


@functools.cache
def _read_us_occupations() -> pd.DataFrame:
    return pd.read_parquet(_path(_OCCUPATIONS))


@functools.cache
def _read_exposure() -> pd.DataFrame:
    return pd.read_csv(_path(_EXPOSURE), dtype={"soc": str, "title": str, "onet_codes": str})


def load_us_metros() -> gpd.GeoDataFrame:
    """Every US metropolitan statistical area with observed jobs and AI talent.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per OEWS MSA (Puerto Rico included), largest first; points in
        EPSG:4326 at the principal city (GeoNames). Columns: ``cbsa``
        (5-digit str), ``name`` (MSA title), ``state`` (first state of the
        title), ``country_iso3`` ("USA" or "PRI"), ``principal_city``,
        ``jobs_total`` (jobs, OEWS all occupations), ``jobs_routine``,
        ``jobs_augmentable``, ``jobs_local`` (jobs; they sum to
        ``jobs_total``), ``ai_talent`` (jobs in
        :data:`geoai.labour.AI_TALENT_SOC`), ``exposure_mean``
        (employment-weighted LLM exposure β, share), ``suppressed_share``
        (share of jobs in no published detailed cell), ``labour_source``, and
        the placement record ``title_city``, ``geonameid``, ``place_match``.
        ``attrs["source"]`` is the attribution; ``attrs["modelled_columns"]``
        is empty (every value is observed).

    Examples
    --------
    >>> us = load_us_metros()
    >>> us.iloc[0]["name"], us.crs.to_epsg()
    ('New York-Newark-Jersey City, NY-NJ', 4326)
    """
    metros = _read_us_metros().copy()
    metros.attrs["source"] = US_ATTRIBUTION
    metros.attrs["modelled_columns"] = []
    return metros


def load_us_occupations() -> pd.DataFrame:
    """Employment and wages of every detailed occupation in every US MSA and the nation.

    Returns
    -------
    pandas.DataFrame
        Long table, one row per area and detailed occupation (OEWS
        ``occ_level`` 3): ``cbsa`` (5-digit str; "00000" is the nation),
        ``soc`` (SOC 2018, 6-digit str), ``title``, ``jobs`` (jobs, NaN where
        BLS suppressed it), ``wage_usd`` (annual mean wage, USD, NaN where
        suppressed) and ``area_jobs_total`` (the area's all-occupation
        employment, jobs, repeated on its rows). Feed it to
        :func:`geoai.labour.jobs_from_occupations`.

    Examples
    --------
    >>> occ = load_us_occupations()
    >>> occ.loc[(occ["cbsa"] == "00000") & (occ["soc"] == "151252"), "title"].item()
    'Software Developers'
    """
    table = _read_us_occupations().copy()
    table.attrs["source"] = US_ATTRIBUTION
    return table


def load_occupation_exposure() -> pd.DataFrame:
    """LLM exposure of every SOC 2018 occupation (Eloundou et al. 2024).

    Returns
    -------
    pandas.DataFrame
        One row per SOC 6-digit code: ``soc``, ``title``, ``exposure`` (β =
        E1 + E2/2 from GPT-4 ratings, share of task time), ``alpha``,
        ``gamma``, their human-rated ``exposure_human``, ``alpha_human``,
        ``gamma_human``, ``t34_task_share`` (weighted share of tasks GPT-4
        labelled T3–T4), ``automated_share`` and ``augmented_share`` (split
        of the exposed time; they sum to 1), ``n_tasks``, ``n_onet`` and
        ``onet_codes`` (the O*NET-SOC occupations averaged). All shares in
        [0, 1].

    Examples
    --------
    >>> exp = load_occupation_exposure()
    >>> bool(exp[["exposure", "automated_share", "augmented_share"]].stack().between(0, 1).all())
    True
    """
    table = _read_exposure().copy()
    table.attrs["source"] = "Eloundou et al. 2024, Science 384 (MIT)"
    return table


def link_cbsa(
    points: gpd.GeoDataFrame, *, max_km: float = 60.0, metros: gpd.GeoDataFrame | None = None
) -> pd.Series:
    """CBSA code of the nearest US principal city for each US (or Puerto Rico) point.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Urban agglomerations as points in longitude/latitude (EPSG:4326; any
        geographic CRS is converted) with a ``country_iso3`` column. Non-point
        geometries are represented by a point inside them.
    max_km : float, default 60
        Largest great-circle distance (km) from a point to the principal
        city of the CBSA it is linked to.
    metros : geopandas.GeoDataFrame, optional
        The MSAs to link to, with ``cbsa``, ``country_iso3`` and EPSG:4326
        points; default :func:`load_us_metros`.

    Returns
    -------
    pandas.Series
        Aligned with ``points.index``, named ``"cbsa"``: the 5-digit code of
        the MSA whose principal-city point (:func:`load_us_metros`) is
        nearest, among MSAs of the same ``country_iso3``, if within
        ``max_km``; NaN otherwise and for points outside the US and Puerto
        Rico.

    Raises
    ------
    InputError
        If ``points`` is not a GeoDataFrame, lacks ``country_iso3``, has
        missing or empty geometries, or ``max_km`` is not positive.
    CRSError
        If ``points`` has no CRS or a projected one (an :class:`InputError`).

    Examples
    --------
    >>> pts = gpd.GeoDataFrame({"country_iso3": ["USA", "FRA"]},
    ...     geometry=gpd.points_from_xy([-83.05, 2.35], [42.33, 48.86]), crs="EPSG:4326")
    >>> link_cbsa(pts).tolist()
    ['19820', nan]
    """
    max_km = v.check_positive(max_km, "max_km")
    if not isinstance(points, gpd.GeoDataFrame):
        raise InputError(
            f"points must be a GeoDataFrame; got {type(points).__name__}. Build one with "
            "geopandas.GeoDataFrame(df, geometry=geopandas.points_from_xy(lon, lat), "
            "crs='EPSG:4326')."
        )
    if "country_iso3" not in points.columns:
        raise InputError(
            "points lacks a 'country_iso3' column; add the ISO 3166 alpha-3 code of each "
            "point's country ('USA', 'PRI', ...)."
        )
    crs = v.require_crs(points, "points")
    if not crs.is_geographic:
        raise CRSError(
            f"link_cbsa needs longitude/latitude points, but points is in the projected CRS "
            f"{crs.name}; convert it first with points.to_crs('EPSG:4326')."
        )
    if crs != CRS.from_epsg(4326):
        points = points.to_crs(4326)
    lon, lat, _ = v.as_coords(points, "points")
    metros = _read_us_metros() if metros is None else metros
    mlon = metros.geometry.x.to_numpy()
    mlat = metros.geometry.y.to_numpy()
    mcountry = metros["country_iso3"].to_numpy()
    mcbsa = metros["cbsa"].to_numpy(dtype=object)
    country = points["country_iso3"].to_numpy(dtype=object)
    out = np.full(len(points), np.nan, dtype=object)
    for iso in _COUNTRIES:
        cand = np.flatnonzero(mcountry == iso)
        for rows in np.array_split(np.flatnonzero(country == iso), _n_chunks(country == iso)):
            if rows.size == 0 or cand.size == 0:
                continue
            d = _haversine_km(lon[rows, None], lat[rows, None], mlon[None, cand], mlat[None, cand])
            best = d.argmin(axis=1)
            near = d[np.arange(rows.size), best] <= max_km
            out[rows[near]] = mcbsa[cand[best[near]]]
    return pd.Series(out, index=points.index, name="cbsa")


def _n_chunks(mask: np.ndarray, rows_per_chunk: int = 4096) -> int:
    """Return how many row blocks keep each distance matrix at <= 4096 x n_metros."""
    return max(1, -(-int(mask.sum()) // rows_per_chunk))


def _haversine_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance (km) by the haversine formula; broadcasts."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2.0) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
