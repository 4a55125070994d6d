"""Vector layers: read user points, write GeoPackage / GeoParquet / GeoJSON atomically."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError
from geoai.io._atomic import atomic_path

__all__ = ["read_points", "write_vector"]

_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".fgb": "FlatGeobuf"}


def read_points(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    lon: str = "lon",
    lat: str = "lat",
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read points from a GeoPackage, GeoParquet, any OGR vector file, or a CSV.

    Parameters
    ----------
    path : path-like
        The file. CSV files need longitude/latitude columns.
    layer : str, optional
        Layer name for multi-layer files.
    lon, lat : str
        Coordinate columns of a CSV (degrees, EPSG:4326 unless ``crs`` says otherwise).
    crs : str, optional
        CRS of the CSV coordinates, default EPSG:4326.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p} does not exist; check the path.")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        df = pd.read_csv(p)
        missing = [c for c in (lon, lat) if c not in df.columns]
        if missing:
            raise InputError(
                f"{p} has no column(s) {missing}; name the coordinate columns with "
                f"lon=/lat= (columns: {list(df.columns)})."
            )
        return gpd.GeoDataFrame(
            df.drop(columns=[lon, lat]),
            geometry=gpd.points_from_xy(df[lon], df[lat]),
            crs=crs or "EPSG:4326",
        )
    gdf = gpd.read_parquet(p) if suffix == ".parquet" else gpd.read_file(p, layer=layer)
    v.require_crs(gdf, str(p))
    return gdf


def write_vector(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a GeoDataFrame atomically; the format follows the file extension.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Layer to write; must have a CRS.
    path : path-like
        ``.gpkg``, ``.parquet`` (GeoParquet), ``.geojson`` or ``.fgb``.
    layer : str, optional
        Layer name (GeoPackage), default the file stem.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    v.require_crs(gdf, "gdf")
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix != ".parquet" and suffix not in _DRIVERS:
        allowed = ", ".join([".parquet", *_DRIVERS])
        raise InputError(f"cannot write {p.name!r}: unknown extension; use one of {allowed}.")
    with atomic_path(p, overwrite=overwrite) as tmp:
        if suffix == ".parquet":
            gdf.to_parquet(tmp, index=False)
        else:
            gdf.to_file(tmp, driver=_DRIVERS[suffix], layer=layer or p.stem, engine="pyogrio")
    return p
