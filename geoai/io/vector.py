"""Vector layers: read user points, write GeoPackage / GeoParquet / GeoJSON atomically."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError
from geoai.io._atomic import atomic_path

if TYPE_CHECKING:
    from geoai._typing import PathLike

__all__ = ["read_points", "write_vector"]

_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".fgb": "FlatGeobuf"}


def read_points(
    path: PathLike,
    *,
    layer: str | None = None,
    lon: str = "lon",
    lat: str = "lat",
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    r"""Read points from a GeoPackage, GeoParquet, any OGR vector file, or a CSV.

    Parameters
    ----------
    path : path-like
        The file. CSV files need longitude/latitude columns.
    layer : str, optional
        Layer name for multi-layer files.
    lon : str, default "lon"
        Longitude (x) column of a CSV (degrees, EPSG:4326 unless ``crs`` says otherwise).
    lat : str, default "lat"
        Latitude (y) column of a CSV.
    crs : str, optional
        CRS of the CSV coordinates, default EPSG:4326.

    Returns
    -------
    geopandas.GeoDataFrame
        The points with their CRS; a CSV's coordinate columns become the geometry.

    Raises
    ------
    InputError
        The file does not exist, a CSV lacks the coordinate columns, or a vector file has no CRS.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> csv = pathlib.Path(tempfile.mkdtemp()) / "sites.csv"
    >>> _ = csv.write_text("name,x,y\nLyon,4.84,45.76\nTurin,7.69,45.07\n")
    >>> sites = read_points(csv, lon="x", lat="y")
    >>> list(sites.columns), sites.crs.to_epsg(), sites.geometry.x.round(2).tolist()
    (['name', 'geometry'], 4326, [4.84, 7.69])
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
    path: PathLike,
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

    Raises
    ------
    InputError
        ``gdf`` has no CRS, the extension is unknown, or the file exists and not ``overwrite``.

    Examples
    --------
    >>> import pathlib, tempfile, geopandas as gpd
    >>> pts = gpd.GeoDataFrame({"name": ["Lyon"]}, geometry=gpd.points_from_xy([4.84], [45.76]),
    ...                        crs="EPSG:4326")
    >>> out = write_vector(pts, pathlib.Path(tempfile.mkdtemp()) / "sites.gpkg")
    >>> gpd.read_file(out, layer="sites")["name"].tolist()
    ['Lyon']
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
