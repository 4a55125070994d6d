"""The run's main layers beside the GeoPackage: GeoParquet and FlatGeobuf copies.

The metros and flows layers of every preset (``metros_<preset>``,
``flows_<...>``) are read back from the written GeoPackage, so the copies hold
exactly its fields, names and geometry, and written as ``<layer>.parquet``
(GeoParquet 1.0, WKB geometry, CRS in the metadata) and ``<layer>.fgb``
(FlatGeobuf with its spatial index), each atomically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoai.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["FORMATS", "check_formats", "export_layers", "planned_exports"]

#: The vector formats a run can write; the GeoPackage is always written (QGIS reads it).
FORMATS = ("gpkg", "parquet", "fgb")
#: Layer prefixes exported: the main layers (not the panel table, styles or basemap).
_MAIN = ("metros_", "flows_")


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """Validate ``[outputs] formats`` / ``--format``: a subset of :data:`FORMATS`, in order.

    Parameters
    ----------
    formats : iterable of str
        The formats asked for (``"gpkg"``, ``"parquet"``, ``"fgb"``; case-insensitive).

    Returns
    -------
    tuple of str
        The formats in :data:`FORMATS` order, ``"gpkg"`` always included.

    Raises
    ------
    InputError
        A format geoai does not write.

    Examples
    --------
    >>> check_formats(["FGB", "parquet"])
    ('gpkg', 'parquet', 'fgb')
    """
    if isinstance(formats, str):
        formats = [formats]
    asked = {str(f).strip().lower().lstrip(".") for f in formats}
    unknown = sorted(asked - set(FORMATS))
    if unknown:
        raise InputError(
            f"unknown output format(s) {unknown}; choose from {list(FORMATS)} "
            '(e.g. formats = ["gpkg", "parquet", "fgb"]).'
        )
    return tuple(f for f in FORMATS if f in asked or f == "gpkg")


def planned_exports(presets: Iterable[str], formats: Iterable[str]) -> set[str]:
    """Every relative path :func:`export_layers` may write for these presets (a superset).

    Examples
    --------
    >>> sorted(planned_exports(["exodus"], ["fgb"]))[:2]
    ['flows_capital_exodus.fgb', 'flows_exodus.fgb']
    """
    exts = [f for f in check_formats(formats) if f != "gpkg"]
    stems = ("metros_{}", "flows_{}", "flows_talent_{}", "flows_capital_{}")
    return {f"{s.format(p)}.{x}" for p in presets for s in stems for x in exts}


def export_layers(gpkg: Path, folder: Path, formats: Iterable[str]) -> list[Path]:
    """Write the GeoPackage's main layers as GeoParquet and/or FlatGeobuf into ``folder``.

    Parameters
    ----------
    gpkg : pathlib.Path
        The run's GeoPackage.
    folder : pathlib.Path
        Where the copies go (the run's staging folder).
    formats : iterable of str
        As :func:`check_formats`; ``"gpkg"`` alone writes nothing.

    Returns
    -------
    list of pathlib.Path
        The files written, layer by layer.
    """
    import geopandas as gpd
    import pyogrio

    from geoai.io._atomic import atomic_path

    exts = [f for f in check_formats(formats) if f != "gpkg"]
    if not exts:
        return []
    written: list[Path] = []
    for layer, geometry_type in pyogrio.list_layers(gpkg):
        if geometry_type is None or not str(layer).startswith(_MAIN):
            continue
        frame = gpd.read_file(gpkg, layer=layer, engine="pyogrio")
        for ext in exts:
            target = folder / f"{layer}.{ext}"
            with atomic_path(target, overwrite=True) as tmp:
                if ext == "parquet":
                    frame.to_parquet(tmp, index=False, schema_version="1.0.0")
                else:
                    pyogrio.write_dataframe(
                        frame, tmp, driver="FlatGeobuf", layer=str(layer), SPATIAL_INDEX="YES"
                    )
            written.append(target)
    return written
