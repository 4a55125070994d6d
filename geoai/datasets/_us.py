"""Observed US metros: BLS OEWS May 2025 occupations × Eloundou et al. (2024) LLM exposure.

See ``data/us_oews_2025/README.md`` and ``data/ai_exposure/README.md`` for
sources, licences, vintage, the rules of the build and the measured figures.
Every labour column here is observed (``attrs["modelled_columns"] == []``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geoai import _validate as v
from geoai._geodesy import haversine_km
from geoai._shipped import (
    read_exposure,
    read_us_metros,
    read_us_occupations,
    read_us_principal_cities,
)
from geoai.errors import CRSError, InputError

__all__ = [
    "LINK_FLOOR_KM",
    "US_ATTRIBUTION",
    "link_cbsa",
    "load_occupation_exposure",
    "load_us_metros",
    "load_us_occupations",
    "load_us_principal_cities",
]

#: Attribution line for maps and reports made from the US metro files.
US_ATTRIBUTION = "BLS OEWS May 2025 (public domain); exposure: Eloundou et al. 2024 (MIT)"

_COUNTRIES = ("USA", "PRI")
#: Distance floor (km) of the gravity score in :func:`link_cbsa`: a point within
#: this distance of a title city counts as at its centre.
LINK_FLOOR_KM = 5.0


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
    metros = read_us_metros().copy()
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
    table = read_us_occupations().copy()
    table.attrs["source"] = US_ATTRIBUTION
    return table


def load_us_principal_cities() -> pd.DataFrame:
    """Every principal city named in the title of every US metropolitan statistical area.

    Returns
    -------
    pandas.DataFrame
        One row per placed title city, sorted by ``cbsa`` and ``rank``:
        ``cbsa`` (5-digit str), ``rank`` (position in the title, 1 = the
        first principal city, the point of :func:`load_us_metros`), ``city``
        (as the title writes it), ``state`` (2-letter code, "PR" for Puerto
        Rico), ``geonameid`` (GeoNames id), ``lon``, ``lat`` (degrees,
        EPSG:4326) and ``match`` (the rule that matched the title city to
        GeoNames; see ``data/us_oews_2025/README.md``).
        ``attrs["source"]`` is the attribution.

    Examples
    --------
    >>> pc = load_us_principal_cities()
    >>> pc.loc[pc["cbsa"] == "41860", "city"].tolist()
    ['San Francisco', 'Oakland', 'Fremont']
    """
    table = read_us_principal_cities().copy()
    table.attrs["source"] = "BLS OEWS May 2025 MSA titles; GeoNames (CC BY 4.0)"
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
    table = read_exposure().copy()
    table.attrs["source"] = "Eloundou et al. 2024, Science 384 (MIT)"
    return table


def link_cbsa(
    points: gpd.GeoDataFrame,
    *,
    max_km: float = 60.0,
    metros: gpd.GeoDataFrame | None = None,
    principal_cities: pd.DataFrame | None = None,
) -> pd.Series:
    """CBSA code of the metropolitan statistical area each US (or Puerto Rico) point belongs to.

    A gravity rule over every principal city named in the MSA titles
    (:func:`load_us_principal_cities`): for a point, each MSA of the same
    country with a title city within ``max_km`` scores
    ``jobs_total / max(d, 5 km) ** 2``, with ``jobs_total`` its jobs and
    ``d`` the great-circle distance (km) from the point to its nearest title
    city; the point takes the MSA of highest score (ties: the nearer one).
    A UN agglomeration centred on its own principal city (``d`` near 0,
    floored at :data:`LINK_FLOOR_KM`) thus keeps its own MSA, unless a far
    larger MSA is very close, and a suburb without an MSA of its own joins
    the large neighbouring MSA rather than a small one slightly nearer
    (Concord, CA joins San Francisco-Oakland-Fremont, not Vallejo). Listing
    every title city, not only the first, lets a metro with several centres
    (Riverside-San Bernardino-Ontario) reach the suburbs around each.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Urban agglomerations as points in longitude/latitude (EPSG:4326; any
        geographic CRS is converted) with a ``country_iso3`` column. Non-point
        geometries are represented by a point inside them.
    max_km : float, default 60
        Largest great-circle distance (km) from a point to the nearest title
        city of an MSA it may be linked to.
    metros : geopandas.GeoDataFrame, optional
        The MSAs to link to, with ``cbsa``, ``country_iso3``, ``jobs_total``
        (jobs) and EPSG:4326 points (the first principal city); default
        :func:`load_us_metros`.
    principal_cities : pandas.DataFrame, optional
        Title cities with ``cbsa``, ``lon`` and ``lat`` (degrees); default
        :func:`load_us_principal_cities`. Rows of CBSAs not in ``metros`` are
        ignored; each metro's own point always counts as one of its title
        cities.

    Returns
    -------
    pandas.Series
        Aligned with ``points.index``, named ``"cbsa"``: the 5-digit code of
        the winning MSA; NaN where no MSA of the point's country has a title
        city within ``max_km``, and for points outside the US and Puerto
        Rico.

    Raises
    ------
    InputError
        If ``points`` is not a GeoDataFrame, lacks ``country_iso3``, has
        missing or empty geometries, ``max_km`` is not positive, or
        ``metros`` / ``principal_cities`` lack a column or have jobs that are
        not finite and >= 0.
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
    if metros is None:
        metros = read_us_metros()
    elif v.require_crs(metros, "metros") != CRS.from_epsg(4326):
        metros = metros.to_crs(4326)  # its points are read as longitude / latitude below
    cities = read_us_principal_cities() if principal_cities is None else principal_cities
    mcbsa, mcountry, jobs, clon, clat, cmetro = _title_cities(metros, cities)
    country = points["country_iso3"].to_numpy(dtype=object)
    out = np.full(len(points), np.nan, dtype=object)
    for iso in _COUNTRIES:
        cand = np.flatnonzero(mcountry == iso)  # metro rows of this country
        here = np.isin(cmetro, cand)
        # title cities of the country, grouped by metro: reduceat needs each group's start
        ccols = np.flatnonzero(here)
        starts = np.flatnonzero(np.r_[True, np.diff(cmetro[ccols]) != 0])
        for rows in np.array_split(np.flatnonzero(country == iso), _n_chunks(country == iso)):
            if rows.size == 0 or cand.size == 0:
                continue
            d_city = haversine_km(
                lon[rows, None], lat[rows, None], clon[None, ccols], clat[None, ccols]
            )
            d = np.minimum.reduceat(d_city, starts, axis=1)  # (rows, cand): nearest title city
            out[rows] = _gravity_choice(d, jobs[cand], mcbsa[cand], max_km)
    return pd.Series(out, index=points.index, name="cbsa")


def _gravity_choice(d: np.ndarray, jobs: np.ndarray, cbsa: np.ndarray, max_km: float) -> np.ndarray:
    """Winning CBSA of each row of ``d`` (km, rows x metros) by the rule of :func:`link_cbsa`."""
    near = d <= max_km
    score = np.where(near, jobs[None, :] / np.maximum(d, LINK_FLOOR_KM) ** 2, -np.inf)
    best = score.max(axis=1)
    tied = near & (score == best[:, None])
    pick = np.where(tied, d, np.inf).argmin(axis=1)
    out = np.full(d.shape[0], np.nan, dtype=object)
    linked = near.any(axis=1)
    out[linked] = cbsa[pick[linked]]
    return out


def _title_cities(
    metros: gpd.GeoDataFrame, cities: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Metro arrays (cbsa, country, jobs) and title-city arrays (lon, lat, metro row), sorted."""
    for table, name, cols in (
        (metros, "metros", ("cbsa", "country_iso3", "jobs_total")),
        (cities, "principal_cities", ("cbsa", "lon", "lat")),
    ):
        missing = [c for c in cols if c not in table.columns]
        if missing:
            raise InputError(
                f"{name} lacks column(s) {missing}; pass the tables of load_us_metros() and "
                "load_us_principal_cities() or tables with the same columns."
            )
    if not metros["cbsa"].is_unique:
        raise InputError("metros['cbsa'] repeats a code; keep one row per CBSA.")
    jobs = metros["jobs_total"].to_numpy(dtype=float)
    if not (np.isfinite(jobs) & (jobs >= 0)).all():
        raise InputError("metros['jobs_total'] must be finite and >= 0; fill or drop the rows.")
    mcbsa = metros["cbsa"].astype(str).to_numpy(dtype=object)
    row_of = pd.Series(np.arange(len(metros)), index=mcbsa)
    own = cities["cbsa"].astype(str).isin(row_of.index).to_numpy()
    cmetro = np.r_[np.arange(len(metros)), row_of[cities["cbsa"].astype(str)[own]].to_numpy()]
    clon = np.r_[metros.geometry.x.to_numpy(), cities["lon"].to_numpy(dtype=float)[own]]
    clat = np.r_[metros.geometry.y.to_numpy(), cities["lat"].to_numpy(dtype=float)[own]]
    order = np.argsort(cmetro, kind="stable")
    mcountry = metros["country_iso3"].to_numpy(dtype=object)
    return mcbsa, mcountry, jobs, clon[order], clat[order], cmetro[order]


def _n_chunks(mask: np.ndarray, rows_per_chunk: int = 4096) -> int:
    """Return how many row blocks keep each distance matrix at <= 4096 x n_title_cities."""
    return max(1, -(-int(mask.sum()) // rows_per_chunk))
