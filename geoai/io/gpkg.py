"""GeoPackage: several layers in one file, each opening styled in QGIS.

:func:`write_layers` writes a GeoPackage 1.2 through GDAL (pyogrio): one
table per layer (features, or plain attributes for a DataFrame without
geometry) and, when styles are given, the ``layer_styles`` table that QGIS
reads to style a layer as soon as it is added (*Layer Properties → Style →
Save as default → Datasource database* writes the same table):

============================  ==================================================
``f_table_catalog``           ``''``
``f_table_schema``            ``''`` (QGIS selects on ``f_table_schema=''``)
``f_table_name``              the layer (table) name
``f_geometry_column``         the geometry column as GDAL wrote it (``geom``),
                              ``''`` for an attribute table
``styleName``                 the layer name
``styleQML``                  the QML document (:mod:`geoai.io.qgis`)
``styleSLD``                  ``''``
``useAsDefault``              1
``description``, ``owner``    ``'geoai default style'``, ``''``
``ui``, ``update_time``       NULL, the UTC time of writing
============================  ==================================================

The table has an ``id`` primary key and is registered in ``gpkg_contents`` as
an ``attributes`` table, as QGIS itself creates it. The whole file is written
at a temporary path beside the target and renamed into place when complete.

Examples
--------
>>> import pathlib, tempfile, geopandas as gpd
>>> from geoai.io import qgis
>>> pts = gpd.GeoDataFrame({"role": ["hub"]}, geometry=gpd.points_from_xy([2.35], [48.85]),
...                        crs="EPSG:4326")
>>> out = pathlib.Path(tempfile.mkdtemp()) / "demo.gpkg"
>>> _ = write_layers(out, {"metros": pts},
...                  styles={"metros": qgis.categorized_points_style("role", {"hub": "#d6604d"})})
>>> list(read_styles(out))
['metros']
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError
from geoai.io._atomic import atomic_path, check_writable
from geoai.io._layer_meta import LayerMetadata, metadata_element
from geoai.io._qml import parse_qml as _parse_qml

if TYPE_CHECKING:
    from geoai._typing import PathLike

__all__ = ["STYLE_TABLE", "read_styles", "write_layers"]

#: Name of the table of QGIS layer styles.
STYLE_TABLE = "layer_styles"
#: Column order of :data:`STYLE_TABLE`, as QGIS creates it.
_STYLE_COLUMNS = (
    "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
    "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
)  # fmt: skip
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_RESERVED_PREFIXES = ("gpkg_", "rtree_", "sqlite_")
#: SQLite side files a crash may leave beside a database.
_SIDE_FILES = ("-journal", "-wal", "-shm")


def _check_name(name: object) -> str:
    """Return ``name`` if it is a plain table name GeoPackage and QGIS handle everywhere."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(
            f"layer name {name!r} is not allowed; use 1-63 ASCII letters, digits or '_', "
            "starting with a letter or '_' (e.g. 'metros')."
        )
    low = name.lower()
    if low == STYLE_TABLE or low.startswith(_RESERVED_PREFIXES):
        raise InputError(
            f"layer name {name!r} is reserved by GeoPackage/QGIS ({STYLE_TABLE}, gpkg_*, "
            "rtree_*, sqlite_*); choose another."
        )
    return name


def _frame(df: object, name: str) -> pd.DataFrame:
    """Check one layer and return the frame to write (index kept as columns when meaningful)."""
    label = f"layers[{name!r}]"
    if not isinstance(df, pd.DataFrame):
        raise InputError(
            f"{label} must be a GeoDataFrame (or a DataFrame for an attribute table); "
            f"got {type(df).__name__}."
        )
    spatial = isinstance(df, gpd.GeoDataFrame) and df.active_geometry_name is not None
    if spatial:
        v.require_crs(df, label)
    elif any(isinstance(dt, gpd.array.GeometryDtype) for dt in df.dtypes):
        raise InputError(
            f"{label} has geometry columns but no active geometry; call "
            f"{label}.set_geometry('<column>') or drop them for an attribute table."
        )
    # geopandas' rule: keep the index when it carries information
    index = df.index
    if isinstance(index, pd.MultiIndex) or index.name is not None or index.dtype.kind not in "iu":
        df = df.reset_index()
    return df


def write_layers(
    path: PathLike,
    layers: Mapping[str, pd.DataFrame],
    *,
    styles: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    metadata: Mapping[str, LayerMetadata] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write several layers to one GeoPackage 1.2, atomically, with default QGIS styles.

    Parameters
    ----------
    path : path-like
        Target ``.gpkg`` file; its folder must exist.
    layers : mapping of str to GeoDataFrame or DataFrame
        Layer name → data, in the order the tables are written. Names are
        1-63 ASCII letters, digits or ``_`` (case-insensitively unique). A
        GeoDataFrame needs a CRS; a DataFrame without geometry becomes an
        attribute table (e.g. a per-metro ``panel``). A named or non-integer
        index is written as columns, as :meth:`GeoDataFrame.to_file` does.
    styles : mapping of str to str, optional
        Layer name → QML document (see :mod:`geoai.io.qgis`), stored in the
        ``layer_styles`` table as the layer's default style, so QGIS opens
        the layer styled. Layers without an entry keep QGIS's default style.
    descriptions : mapping of str to str, optional
        Layer name → a human-readable description (what the layer holds, its
        sources and their attribution), stored in ``gpkg_contents.description``
        where QGIS shows it as the layer's abstract.
    metadata : mapping of str to LayerMetadata, optional
        Layer name → its metadata (title, abstract, attribution, licence,
        keywords), stored in the GeoPackage metadata extension
        (``gpkg_metadata``, QGIS's own XML) where QGIS reads it as the
        layer's metadata.
    overwrite : bool, default False
        Replace an existing file; otherwise an existing file is an error
        raised before anything is written.

    Returns
    -------
    pathlib.Path
        The written GeoPackage.

    Raises
    ------
    InputError
        ``layers`` is empty, a name is invalid or repeated, a style is not
        QML or names no layer, the target exists (without ``overwrite``) or
        its folder is missing, or GDAL refuses a layer.
    CRSError
        A GeoDataFrame has no CRS.

    Examples
    --------
    A point layer and an attribute table (no geometry) in one file:

    >>> import pathlib, tempfile, geopandas as gpd, pandas as pd, pyogrio
    >>> metros = gpd.GeoDataFrame({"metro_id": ["a"]}, crs="EPSG:4326",
    ...                           geometry=gpd.points_from_xy([2.35], [48.85]))
    >>> panel = pd.DataFrame({"metro_id": ["a", "a"], "year": [2030, 2031], "jobs": [10.0, 11.0]})
    >>> out = write_layers(pathlib.Path(tempfile.mkdtemp()) / "run.gpkg",
    ...                    {"metros": metros, "panel": panel},
    ...                    descriptions={"panel": "Jobs by metro and year"})
    >>> pyogrio.list_layers(out).tolist()
    [['metros', 'Point'], ['panel', None]]
    """
    import pyogrio
    import pyogrio.errors

    p = Path(path)
    if p.suffix.lower() != ".gpkg":
        raise InputError(f"a GeoPackage must be written to a .gpkg file; got {p.name!r}.")
    if not isinstance(layers, Mapping) or not layers:
        raise InputError(
            "layers must be a non-empty mapping name -> GeoDataFrame, e.g. {'metros': gdf}."
        )
    seen: dict[str, str] = {}
    for name in layers:
        low = _check_name(name).lower()
        if low in seen:
            raise InputError(f"layer names {seen[low]!r} and {name!r} differ only in case.")
        seen[low] = name
    frames = {name: _frame(df, name) for name, df in layers.items()}
    qml, about, meta = _extras(list(frames), styles, descriptions, metadata)
    check_writable(p, overwrite=overwrite)

    with atomic_path(p, overwrite=overwrite) as tmp:
        try:
            for k, (name, frame) in enumerate(frames.items()):
                try:
                    pyogrio.write_dataframe(
                        frame, tmp, layer=name, driver="GPKG",
                        dataset_options={"VERSION": "1.2"} if k == 0 else None,
                        layer_options={"DESCRIPTION": about[name]} if name in about else None,
                        use_arrow=_by_arrow(frame),
                    )  # fmt: skip
                except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
                    raise InputError(f"GDAL could not write layer {name!r} to {p}: {exc}") from exc
            if qml:
                _write_style_table(tmp, qml)
            if meta:
                _write_metadata(tmp, meta)
        finally:
            for side in _SIDE_FILES:
                Path(f"{tmp}{side}").unlink(missing_ok=True)
    return p


def _by_arrow(frame: pd.DataFrame) -> bool:
    """Whether GDAL's Arrow writer takes ``frame`` as the row-by-row writer would (about 2x faster).

    Only plain columns qualify: numbers, booleans, times, strings (a string
    dtype, or objects that are all ``str`` or missing) and the geometry. Any
    other column (mixed objects, categories, lists) takes the row-by-row path,
    whose conversions are geopandas' documented ones.
    """
    from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

    for name in frame.columns:
        col = frame[name]
        dtype = col.dtype
        if isinstance(dtype, (gpd.array.GeometryDtype, pd.StringDtype)):
            continue
        if isinstance(dtype, pd.CategoricalDtype):
            return False
        if dtype.kind == "c":
            return False  # complex: neither writer stores it
        if is_bool_dtype(dtype) or is_numeric_dtype(dtype) or is_datetime64_any_dtype(dtype):
            continue
        if dtype.kind != "O" or not all(isinstance(x, str) for x in col.dropna().tolist()):
            return False
    return True


def _extras(
    names: list[str],
    styles: Mapping[str, str] | None,
    descriptions: Mapping[str, str] | None,
    metadata: Mapping[str, LayerMetadata] | None,
) -> tuple[dict[str, str], dict[str, str], dict[str, LayerMetadata]]:
    """Check that styles, descriptions and metadata name only layers being written."""
    qml, about, meta = dict(styles or {}), dict(descriptions or {}), dict(metadata or {})
    unknown = sorted(set(qml) - set(names))
    if unknown:
        raise InputError(f"styles names layers {unknown} that are not in layers {names}.")
    for name, text in qml.items():
        _parse_qml(text, f"styles[{name!r}]")
    for label, given in (("descriptions", about), ("metadata", meta)):
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise InputError(f"{label} names layers {unknown} that are not in layers.")
    bad = sorted(k for k, m in meta.items() if not isinstance(m, LayerMetadata))
    if bad:
        raise InputError(f"metadata of {bad} must be LayerMetadata objects.")
    return qml, about, meta


def _write_style_table(gpkg: Path, styles: dict[str, str]) -> None:
    """Append the ``layer_styles`` table (one default style per layer) to a GeoPackage."""
    import pyogrio

    with contextlib.closing(sqlite3.connect(gpkg)) as con:
        tables = {row[0] for row in con.execute("SELECT table_name FROM gpkg_contents")}
        geometry = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
    missing = sorted(set(styles) - tables)
    if missing:  # GDAL renamed a table: the styles would silently not apply
        raise InputError(f"GDAL did not keep the layer names {missing}; rename them.")
    now = pd.Timestamp.now(tz="UTC")
    rows = [
        ("", "", name, geometry.get(name, ""), name, text, "", True, "geoai default style", "",
         None, now)
        for name, text in styles.items()
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=list(_STYLE_COLUMNS))
    table["ui"] = table["ui"].astype(object)
    pyogrio.write_dataframe(table, gpkg, layer=STYLE_TABLE, driver="GPKG",
                            layer_options={"FID": "id"})  # fmt: skip


#: The GeoPackage metadata extension's tables (GeoPackage 1.2, clause F.8).
_METADATA_DDL = (
    (
        "CREATE TABLE IF NOT EXISTS gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC "
        "NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, "
        "mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')"
    ),
    (
        "CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (reference_scope TEXT NOT NULL, "
        "table_name TEXT, column_name TEXT, row_id_value INTEGER, timestamp DATETIME NOT NULL "
        "DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL, "
        "md_parent_id INTEGER, CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES "
        "gpkg_metadata(id), CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES "
        "gpkg_metadata(id))"
    ),
    (
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
        "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
        "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
    ),
)
#: How QGIS marks its own metadata XML in ``gpkg_metadata``.
QGIS_METADATA_URI = "http://mrcc.com/qgis.dtd"


def _write_metadata(gpkg: Path, metadata: dict[str, LayerMetadata]) -> None:
    """Store each layer's QGIS metadata XML in ``gpkg_metadata`` (scope: its table)."""
    import xml.etree.ElementTree as ET

    definition = "http://www.geopackage.org/spec120/#extension_metadata"
    with contextlib.closing(sqlite3.connect(gpkg)) as con, con:
        for ddl in _METADATA_DDL:
            con.execute(ddl)
        for table in ("gpkg_metadata", "gpkg_metadata_reference"):
            con.execute(
                "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_metadata', ?, "
                "'read-write')",
                (table, definition),
            )
        for name, meta in metadata.items():
            xml = ET.tostring(metadata_element(meta, name), encoding="unicode")
            cur = con.execute(
                "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                "VALUES ('dataset', ?, 'text/xml', ?)",
                (QGIS_METADATA_URI, xml),
            )
            con.execute(
                "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id) "
                "VALUES ('table', ?, ?)",
                (name, cur.lastrowid),
            )


def read_styles(path: PathLike) -> dict[str, str]:
    """Default QGIS styles stored in a GeoPackage's ``layer_styles`` table.

    Parameters
    ----------
    path : path-like
        A GeoPackage.

    Returns
    -------
    dict of str to str
        Table name → QML of its default style (``useAsDefault`` first, then
        the most recent); empty when the file has no ``layer_styles`` table.

    Raises
    ------
    InputError
        The file does not exist.

    Examples
    --------
    >>> import pathlib, tempfile, geopandas as gpd
    >>> from geoai.io import qgis
    >>> pts = gpd.GeoDataFrame({"role": ["hub"]}, geometry=gpd.points_from_xy([2.35], [48.85]),
    ...                        crs="EPSG:4326")
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> style = qgis.categorized_points_style("role", {"hub": "#d6604d"})
    >>> _ = write_layers(folder / "styled.gpkg", {"metros": pts}, styles={"metros": style})
    >>> _ = write_layers(folder / "plain.gpkg", {"metros": pts})
    >>> read_styles(folder / "styled.gpkg")["metros"] == style, read_styles(folder / "plain.gpkg")
    (True, {})
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p} does not exist; check the path.")
    uri = p.resolve().as_uri() + "?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as con:
        found = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (STYLE_TABLE,)
        ).fetchone()
        if found is None:
            return {}
        rows = con.execute(
            f"SELECT f_table_name, styleQML FROM {STYLE_TABLE} "  # noqa: S608 - a constant name
            "ORDER BY useAsDefault ASC, update_time ASC, id ASC"
        ).fetchall()
    return dict(rows)  # the last (best) row of each table wins
