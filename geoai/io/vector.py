"""Vector layers: read user points, write GeoPackage / GeoParquet / GeoJSON atomically."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError
from geoai.io._atomic import atomic_path

if TYPE_CHECKING:
    from pyproj import CRS

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
        The path is missing or a folder; the file is empty, not UTF-8 (CSV),
        not a format GDAL/OGR or GeoParquet reads, or holds no points; a CSV
        lacks the coordinate columns or has empty or non-numeric coordinates.
        Messages name the file and the fix, never its contents.
    CRSError
        ``crs`` is not a CRS, a vector file has none, or CSV coordinates
        contradict the CRS (lon/lat out of range, degrees labelled metres).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> csv = pathlib.Path(tempfile.mkdtemp()) / "sites.csv"
    >>> _ = csv.write_text("name,x,y\nLyon,4.84,45.76\nTurin,7.69,45.07\n")
    >>> sites = read_points(csv, lon="x", lat="y")
    >>> list(sites.columns), sites.crs.to_epsg(), sites.geometry.x.round(2).tolist()
    (['name', 'geometry'], 4326, [4.84, 7.69])
    """
    p = v.check_input_file(path, "points file")
    c = v.as_crs(crs or "EPSG:4326", "crs")
    if p.suffix.lower() == ".csv":
        gdf = _read_csv(p, lon, lat, c)
    else:
        gdf = _read_vector(p, layer)
        v.require_crs(gdf, str(p))
    if gdf.empty:
        raise InputError(f"{p} holds no points (no rows); pass a file with at least one point.")
    return gdf


#: Coordinate column names offered when a CSV lacks the ones asked for (only these are
#: ever named in a message: the file's own header is never echoed).
_COORD_NAMES = ("lon", "lat", "lng", "long", "longitude", "latitude", "x", "y", "X", "Y")


def _read_csv(p: Path, lon: str, lat: str, crs: CRS) -> gpd.GeoDataFrame:
    """Read a UTF-8 CSV with coordinate columns; messages never quote the file's contents."""
    try:
        df = pd.read_csv(p, encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(
            f"{p} is not UTF-8 text; re-save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError(
            f"{p} is empty; pass a CSV with a header row and one point per row."
        ) from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise InputError(
            f"{p} is not a CSV pandas can parse ({type(exc).__name__}); check that every row "
            "has as many fields as the header, or convert the file to GeoPackage."
        ) from None
    missing = [c for c in (lon, lat) if c not in df.columns]
    if missing:
        offer = [c for c in _COORD_NAMES if c in df.columns]
        hint = f" (it has {offer})" if offer else ""
        raise InputError(
            f"{p} has no column(s) {missing} among its {df.shape[1]} column(s){hint}; name "
            "the coordinate columns with lon=/lat=."
        )
    x, y = (_coordinate(df[col], col, p) for col in (lon, lat))
    v.check_coords_crs(x, y, crs, str(p), given_as="xy")
    return gpd.GeoDataFrame(
        df.drop(columns=list({lon, lat})), geometry=gpd.points_from_xy(x, y), crs=crs
    )


def _coordinate(column: pd.Series, name: str, p: Path) -> np.ndarray:
    """Return a coordinate column as float64; refuse empty cells and text (by line number)."""
    numeric = pd.to_numeric(column, errors="coerce")
    values: np.ndarray = np.asarray(numeric, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        rows = (bad[:5] + 2).tolist()  # line numbers: the header is line 1
        raise InputError(
            f"{p}: column {name!r} has {bad.size} empty, non-numeric or infinite value(s) "
            f"(first on lines {rows}); fix or drop those rows."
        )
    return values


def _read_vector(p: Path, layer: str | None) -> gpd.GeoDataFrame:
    """Read GeoParquet or any OGR vector file; messages never quote the file's contents."""
    import pyogrio.errors

    try:
        if p.suffix.lower() == ".parquet":
            return gpd.read_parquet(p)
        return gpd.read_file(p, layer=layer)
    except pyogrio.errors.DataLayerError:
        raise InputError(
            f"{p} has no layer {layer!r} or its layer cannot be read; list the layers with "
            "pyogrio.list_layers(path) and pass layer=."
        ) from None
    except (pyogrio.errors.DataSourceError, OSError, ValueError, RuntimeError) as exc:
        raise InputError(
            f"{p} is not a vector file GDAL/OGR or GeoParquet can read ({type(exc).__name__}); "
            "pass a GeoPackage, GeoJSON, GeoParquet, FlatGeobuf or a CSV with lon/lat columns."
        ) from None


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
            # GeoPackage 1.2: QGIS 3.22 / GDAL 3.6 warn on every open of a 1.4 file
            options = {"VERSION": "1.2"} if suffix == ".gpkg" else {}
            gdf.to_file(tmp, driver=_DRIVERS[suffix], layer=layer or p.stem, engine="pyogrio",
                        **options)  # fmt: skip
    return p
