"""The data files geoai ships: where they are, and cached readers of the shared raw tables.

Below both :mod:`geoai.datasets` (which builds the public tables from them)
and :mod:`geoai.labour` (which calibrates on the observed US metros), so
neither has to import the other to read a file.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd

__all__ = [
    "data_path",
    "read_exposure",
    "read_us_metros",
    "read_us_occupations",
    "read_us_principal_cities",
]

_US_METROS = "us_oews_2025/us_metros.parquet"
_US_OCCUPATIONS = "us_oews_2025/us_occupations.parquet"
_US_PRINCIPAL_CITIES = "us_oews_2025/us_principal_cities.parquet"
_EXPOSURE = "ai_exposure/occupation_exposure.csv"


def data_path(name: str) -> Path:
    """Path of a shipped data file (inside an installed wheel or the source tree).

    Parameters
    ----------
    name : str
        File name under ``data/``, e.g. ``"countries.csv"``.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> data_path("countries.csv").name
    'countries.csv'
    """
    packaged = Path(str(resources.files("geoai"))) / "_data" / name
    if packaged.exists():
        return packaged
    source_tree = Path(__file__).resolve().parents[1] / "data" / name
    if source_tree.exists():
        return source_tree
    raise FileNotFoundError(
        f"embedded data file {name!r} not found in {packaged.parent} or "
        f"{source_tree.parent}; reinstall geoai."
    )


@functools.cache
def read_us_metros() -> gpd.GeoDataFrame:
    """Read the shipped OEWS MSAs (once; callers copy before changing it)."""
    return gpd.read_parquet(data_path(_US_METROS))


@functools.cache
def read_us_occupations() -> pd.DataFrame:
    """Read the shipped OEWS occupations by MSA and nation (once)."""
    return pd.read_parquet(data_path(_US_OCCUPATIONS))


@functools.cache
def read_us_principal_cities() -> pd.DataFrame:
    """Read the principal cities of the OEWS MSA titles (once)."""
    return pd.read_parquet(data_path(_US_PRINCIPAL_CITIES))


@functools.cache
def read_exposure() -> pd.DataFrame:
    """Read Eloundou et al. (2024) exposure by occupation (once)."""
    return pd.read_csv(data_path(_EXPOSURE), dtype={"soc": str, "title": str, "onet_codes": str})
