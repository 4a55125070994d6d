"""QGIS projects (``.qgz``) over geoai outputs, written without PyQGIS.

:func:`write_project` builds the project XML itself (geoai never imports
``qgis``): each layer is referenced by a path *relative to the project file*
(``./geoai.gpkg|layername=metros``, ``./potential_concentration.tif``), so the
output folder can be moved or zipped as a whole; each layer's style is inlined
(the QML renderer inside the ``<maplayer>``); the project CRS, the layer order
(first = top of the legend, drawn last) and the initial view (the union of the
layer extents) are set. A ``.qgz`` is a zip archive holding the ``.qgs`` XML.

Examples
--------
>>> import pathlib, tempfile, geopandas as gpd
>>> from geoai.io.gpkg import write_layers
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> pts = gpd.GeoDataFrame({"v": [1.0]}, geometry=gpd.points_from_xy([2.35], [48.85]),
...                        crs="EPSG:4326")
>>> _ = write_layers(folder / "demo.gpkg", {"places": pts})
>>> out = write_project(folder / "demo.qgz", [ProjectLayer("places", "demo.gpkg", layer="places")])
>>> out.name
'demo.qgz'
"""

from __future__ import annotations

import math
import os
import re
import uuid
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from geoai import _validate as v
from geoai.errors import CRSError, InputError
from geoai.io._atomic import atomic_path, check_writable
from geoai.io._qml import QGIS_VERSION
from geoai.io.qgis import _parse_qml

__all__ = ["ProjectLayer", "write_project"]

_KINDS = ("vector", "raster")
_Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class ProjectLayer:
    """One layer of a QGIS project.

    Parameters
    ----------
    name : str
        Name shown in the QGIS legend.
    source : path-like
        The data file, relative to the project's folder or absolute; it must
        exist when the project is written. It is always stored relative to
        the project.
    kind : {"vector", "raster"}, default "vector"
        An OGR vector file (GeoPackage, ...) or a GDAL raster (COG).
    layer : str, optional
        Layer (table) name inside a multi-layer vector file such as a
        GeoPackage; may be omitted when the file holds one layer.
    qml : str, optional
        Style (QML text) inlined in the project. Default: the layer's default
        style in the GeoPackage's ``layer_styles`` table (vectors) or the
        sidecar ``.qml`` beside the file (rasters, as written by
        :func:`geoai.io.write_raster`); QGIS's default style when neither exists.

    Examples
    --------
    >>> metros = ProjectLayer("Metros", "geoai.gpkg", layer="metros")
    >>> potential = ProjectLayer("Potential", "potential.tif", kind="raster")
    >>> metros.kind, potential.layer is None
    ('vector', True)
    >>> try:
    ...     ProjectLayer("Potential", "potential.tif", kind="raster", layer="band1")
    ... except ValueError as exc:
    ...     print("layer= names a table inside a vector file" in str(exc))
    True
    """

    name: str
    source: str | os.PathLike[str]
    kind: str = "vector"
    layer: str | None = None
    qml: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"ProjectLayer name must be a non-empty str; got {self.name!r}.")
        if not isinstance(self.source, str | os.PathLike) or not str(self.source):
            raise InputError(f"ProjectLayer {self.name!r}: source must be a path.")
        v.check_choice(self.kind, _KINDS, "kind")
        if self.layer is not None and (self.kind != "vector" or not isinstance(self.layer, str)):
            raise InputError(
                f"ProjectLayer {self.name!r}: layer= names a table inside a vector file; "
                f"got layer={self.layer!r} for kind={self.kind!r}."
            )
        if self.qml is not None:
            _parse_qml(self.qml, f"ProjectLayer {self.name!r} qml")


@dataclass(frozen=True)
class _Resolved:
    """A layer checked against its file: what the project XML needs."""

    spec: ProjectLayer
    layer_id: str
    datasource: str
    crs: CRS | None
    bounds: _Bounds | None
    wkb: str
    style: ET.Element | None


def _relative(absolute: Path, home: Path) -> str:
    """``./file`` or ``../dir/file``: the path QGIS resolves against the project folder."""
    rel = Path(os.path.relpath(absolute, home)).as_posix()
    return rel if rel.startswith("../") else f"./{rel}"


def _finite_bounds(bounds: Sequence[float] | None) -> _Bounds | None:
    if bounds is None:
        return None
    b = tuple(float(x) for x in bounds)
    if len(b) != 4 or not all(math.isfinite(x) for x in b):
        return None
    return b[0], b[1], b[2], b[3]


def _resolve_vector(spec: ProjectLayer, absolute: Path, rel: str) -> tuple[str, str]:
    """Return (datasource, table name) after checking the table exists in the file."""
    import pyogrio
    import pyogrio.errors

    try:
        listed = pyogrio.list_layers(absolute)
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(f"{absolute} is not a vector file GDAL can open: {exc}") from None
    names = [str(n) for n in listed[:, 0] if str(n) != "layer_styles"]
    layer = spec.layer
    if layer is None:
        if len(names) != 1:
            raise InputError(
                f"{absolute.name} holds the layers {names}; say which with "
                f"ProjectLayer({spec.name!r}, ..., layer='<name>')."
            )
        layer = names[0]
    elif layer not in names:
        raise InputError(f"{absolute.name} has no layer {layer!r}; it holds {names}.")
    return f"{rel}|layername={layer}", layer


def _resolve(spec: ProjectLayer, k: int, home: Path) -> _Resolved:
    """Open a layer's file (read-only, metadata only) for its CRS, extent and default style."""
    src = Path(spec.source)
    # normalised, symlinks kept as named
    absolute = Path(os.path.abspath(home / src))  # noqa: PTH100 - resolve() follows links
    if not absolute.is_file():
        raise InputError(
            f"layer {spec.name!r}: {absolute} does not exist; write the data before the project."
        )
    rel = _relative(absolute, home)
    crs_text: str | None
    if spec.kind == "vector":
        import pyogrio

        datasource, table = _resolve_vector(spec, absolute, rel)
        info = pyogrio.read_info(absolute, layer=table, force_total_bounds=True)
        geometry = info["geometry_type"]
        wkb = "NoGeometry" if geometry is None else str(geometry).replace(" ", "")
        crs_text = info["crs"]
        if geometry is not None and not crs_text:
            raise CRSError(
                f"layer {spec.name!r} ({datasource}) has no CRS; set one and rewrite it."
            )
        bounds = _finite_bounds(info["total_bounds"]) if geometry is not None else None
        default = _default_vector_style(absolute, table)
    else:
        import rasterio
        import rasterio.errors

        try:
            with rasterio.open(absolute) as ds:
                crs_text = ds.crs.to_wkt() if ds.crs is not None else None
                bounds = _finite_bounds(tuple(ds.bounds))
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(f"{absolute} is not a raster GDAL can open: {exc}") from None
        if crs_text is None:
            raise CRSError(f"raster {spec.name!r} ({rel}) has no CRS; write it with one.")
        datasource, wkb = rel, ""
        sidecar = absolute.with_suffix(".qml")
        default = sidecar.read_text(encoding="utf-8") if sidecar.is_file() else None
    qml = spec.qml if spec.qml is not None else default
    style = _parse_qml(qml, f"the style of layer {spec.name!r}") if qml is not None else None
    if style is not None and (style.find("pipe") is not None) != (spec.kind == "raster"):
        raise InputError(
            f"layer {spec.name!r} is a {spec.kind} layer but its QML is a "
            f"{'raster' if spec.kind == 'vector' else 'vector'} style."
        )
    slug = re.sub(r"\W+", "_", spec.name, flags=re.ASCII).strip("_") or "layer"
    layer_id = f"{slug}_{uuid.uuid5(uuid.NAMESPACE_URL, f'geoai:{k}:{datasource}').hex}"
    crs = CRS.from_user_input(crs_text) if crs_text else None
    return _Resolved(spec, layer_id, datasource, crs, bounds, wkb, style)


def _default_vector_style(absolute: Path, table: str) -> str | None:
    if absolute.suffix.lower() != ".gpkg":
        return None
    from geoai.io.gpkg import read_styles

    return read_styles(absolute).get(table)


def _transform_bounds(bounds: _Bounds, src: CRS, dst: CRS) -> _Bounds | None:
    """``bounds`` in ``dst`` (densified edges); None when the transform fails."""
    if src == dst:
        return bounds
    try:
        out = Transformer.from_crs(src, dst, always_xy=True).transform_bounds(
            *bounds, densify_pts=21
        )
    except ProjError:  # no transformation, or bounds out of its domain
        return None
    return _finite_bounds(out)


def _view_extent(layers: list[_Resolved], crs: CRS) -> _Bounds | None:
    """Return the union of the layer extents in the project CRS, padded by 3 %."""
    boxes = [
        b
        for lyr in layers
        if lyr.bounds is not None and lyr.crs is not None
        for b in [_transform_bounds(lyr.bounds, lyr.crs, crs)]
        if b is not None
    ]
    if not boxes:
        return None
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    pad = 0.03 * max(x1 - x0, y1 - y0) or 1.0
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    if crs.is_geographic:
        x0, y0, x1, y1 = max(x0, -180.0), max(y0, -90.0), min(x1, 180.0), min(y1, 90.0)
    return x0, y0, x1, y1


# --- XML --------------------------------------------------------------------------------------


def _text(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    el.text = text
    return el


def _spatialrefsys(parent: ET.Element, crs: CRS) -> None:
    """``<spatialrefsys>``: WKT (what QGIS reads first without a QGIS srsid) and authority id."""
    srs = ET.SubElement(parent, "spatialrefsys")
    auth = crs.to_authority()
    with warnings.catch_warnings():  # pyproj warns that PROJ strings lose information
        warnings.simplefilter("ignore", UserWarning)
        proj4 = crs.to_proj4() or ""
    acronym = re.search(r"\+proj=(\S+)", proj4)
    _text(srs, "wkt", crs.to_wkt())
    _text(srs, "proj4", proj4)
    _text(srs, "srid", auth[1] if auth and auth[0] == "EPSG" else "0")
    _text(srs, "authid", f"{auth[0]}:{auth[1]}" if auth else "")
    _text(srs, "description", crs.name)
    _text(srs, "projectionacronym", acronym.group(1) if acronym else "")
    _text(srs, "ellipsoidacronym", "")
    _text(srs, "geographicflag", "true" if crs.is_geographic else "false")


def _extent(parent: ET.Element, tag: str, b: _Bounds) -> None:
    ext = ET.SubElement(parent, tag)
    for name, value in zip(("xmin", "ymin", "xmax", "ymax"), b, strict=True):
        _text(ext, name, repr(value))


def _maplayer(parent: ET.Element, lyr: _Resolved) -> None:
    """``<maplayer>``: source, CRS, extent, then the children of the layer's QML."""
    attrs = {"type": lyr.spec.kind, "styleCategories": "AllStyleCategories",
             "hasScaleBasedVisibilityFlag": "0", "minScale": "100000000", "maxScale": "0",
             "autoRefreshEnabled": "0", "autoRefreshTime": "0"}  # fmt: skip
    if lyr.spec.kind == "vector":
        base = re.sub(r"^Multi|[ZM]+$", "", lyr.wkb)
        geometry = {"Point": "Point", "LineString": "Line", "Polygon": "Polygon",
                    "NoGeometry": "No geometry"}.get(base, "Unknown geometry")  # fmt: skip
        attrs.update(geometry=geometry, wkbType=lyr.wkb, readOnly="0", labelsEnabled="0")
    if lyr.style is not None:  # scale visibility and the like, as saved in the QML
        attrs.update({k: val for k, val in lyr.style.attrib.items() if k != "version"})
    ml = ET.SubElement(parent, "maplayer", attrs)
    if lyr.bounds is not None and lyr.crs is not None:
        _extent(ml, "extent", lyr.bounds)
        wgs84 = _transform_bounds(lyr.bounds, lyr.crs, CRS.from_epsg(4326))
        if wgs84 is not None:
            _extent(ml, "wgs84extent", wgs84)
    _text(ml, "id", lyr.layer_id)
    _text(ml, "datasource", lyr.datasource)
    _text(ET.SubElement(ml, "keywordList"), "value")
    _text(ml, "layername", lyr.spec.name)
    if lyr.crs is not None:
        _spatialrefsys(ET.SubElement(ml, "srs"), lyr.crs)
    if lyr.spec.kind == "vector":
        _text(ml, "provider", "ogr", encoding="UTF-8")
    else:
        _text(ml, "provider", "gdal")
    manager = ET.SubElement(ml, "map-layer-style-manager", current="default")
    ET.SubElement(manager, "map-layer-style", name="default")
    flags = ET.SubElement(ml, "flags")
    for flag, value in (("Identifiable", "1"), ("Removable", "1"), ("Searchable", "1"),
                        ("Private", "0")):  # fmt: skip
        _text(flags, flag, value)
    if lyr.style is not None:
        ml.extend(child for child in lyr.style if child.tag != "flags")


def _project_xml(layers: list[_Resolved], crs: CRS, title: str) -> str:
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    _text(root, "title", title)
    ET.SubElement(root, "autotransaction", active="0")
    ET.SubElement(root, "evaluateDefaultValues", active="0")
    ET.SubElement(root, "trust", active="0")
    _spatialrefsys(ET.SubElement(root, "projectCrs"), crs)

    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    for lyr in layers:  # first = top of the legend = drawn last
        node = ET.SubElement(tree, "layer-tree-layer", id=lyr.layer_id, name=lyr.spec.name,
                             source=lyr.datasource, checked="Qt::Checked", expanded="1",
                             providerKey="ogr" if lyr.spec.kind == "vector" else "gdal",
                             legend_exp="", patch_size="-1,-1",
                             legend_split_behavior="0")  # fmt: skip
        ET.SubElement(node, "customproperties")
    order = ET.SubElement(tree, "custom-order", enabled="0")
    for lyr in layers:
        _text(order, "item", lyr.layer_id)

    view = _view_extent(layers, crs)
    if view is not None:
        canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
        _text(canvas, "units", "degrees" if crs.is_geographic else "meters")
        _extent(canvas, "extent", view)
        _text(canvas, "rotation", "0")
        _spatialrefsys(ET.SubElement(canvas, "destinationsrs"), crs)
        _text(canvas, "rendermaptile", "0")

    maplayers = ET.SubElement(root, "projectlayers")
    for lyr in layers:
        _maplayer(maplayers, lyr)
    layerorder = ET.SubElement(root, "layerorder")
    for lyr in layers:
        ET.SubElement(layerorder, "layer", id=lyr.layer_id)

    props = ET.SubElement(root, "properties")
    _text(ET.SubElement(props, "Paths"), "Absolute", "false", type="bool")
    _text(ET.SubElement(props, "SpatialRefSys"), "ProjectionsEnabled", "1", type="int")
    gui = ET.SubElement(props, "Gui")
    for part in ("Red", "Green", "Blue"):
        _text(gui, f"CanvasColor{part}Part", "255", type="int")
    meta = ET.SubElement(root, "projectMetadata")
    for tag in ("identifier", "parentidentifier", "language", "type"):
        _text(meta, tag)
    _text(meta, "title", title)
    _text(meta, "abstract", "Written by geoai; layers are referenced relative to this file.")
    ET.SubElement(meta, "links")
    _text(meta, "author", "geoai")
    settings = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    ET.SubElement(settings, "Scales")
    if view is not None:
        default = ET.SubElement(settings, "DefaultViewExtent",
                                {k: repr(x) for k, x in zip(("xmin", "ymin", "xmax", "ymax"),
                                                            view, strict=True)})  # fmt: skip
        _spatialrefsys(default, crs)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def write_project(
    path: str | os.PathLike[str],
    layers: Sequence[ProjectLayer],
    *,
    crs: str | CRS = "EPSG:4326",
    title: str = "geoai",
    overwrite: bool = False,
) -> Path:
    """Write a QGIS 3 project referencing ``layers`` by relative path, styles inlined.

    Parameters
    ----------
    path : path-like
        Target ``.qgz`` (zipped, what QGIS saves by default) or ``.qgs``
        (plain XML). Layer files are referenced relative to its folder.
    layers : sequence of ProjectLayer
        Layers in legend order: the first is on top (drawn last), so list
        points, then lines, then rasters.
    crs : str or pyproj.CRS, default "EPSG:4326"
        Project (map) CRS; layers in other CRSs are reprojected on the fly.
    title : str, default "geoai"
        Project title.
    overwrite : bool, default False
        Replace an existing project; otherwise an existing file is an error
        raised before anything is written.

    Returns
    -------
    pathlib.Path
        The written project.

    Raises
    ------
    InputError
        No layers, a layer file or table is missing, a style is not QML of
        the layer's kind, or the target exists (without ``overwrite``).
    CRSError
        ``crs`` is not a CRS, or a layer has none.

    Notes
    -----
    The files are only read for metadata (CRS, extent, default style), so
    write the data first. The view opens on the union of the layer extents.

    Examples
    --------
    A plain-XML project over one GeoPackage layer, referenced by relative path:

    >>> import pathlib, tempfile, geopandas as gpd
    >>> from geoai.io import write_layers
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pts = gpd.GeoDataFrame({"v": [1.0]}, geometry=gpd.points_from_xy([2.35], [48.85]),
    ...                        crs="EPSG:4326")
    >>> _ = write_layers(folder / "run.gpkg", {"places": pts})
    >>> layers = [ProjectLayer("Places", "run.gpkg", layer="places")]
    >>> out = write_project(folder / "run.qgs", layers, crs="EPSG:3857", title="Demo")
    >>> xml = out.read_text(encoding="utf-8")
    >>> "./run.gpkg|layername=places" in xml, str(folder) in xml
    (True, False)
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".qgz", ".qgs"):
        raise InputError(f"a QGIS project must be a .qgz or .qgs file; got {p.name!r}.")
    if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
        raise InputError("layers must be a non-empty list of ProjectLayer.")
    bad = [type(lyr).__name__ for lyr in layers if not isinstance(lyr, ProjectLayer)]
    if bad:
        raise InputError(f"layers must hold ProjectLayer objects; got {bad}.")
    if not isinstance(title, str):
        raise InputError(f"title must be a str; got {title!r}.")
    project_crs = v.as_crs(crs)
    check_writable(p, overwrite=overwrite)
    home = Path(os.path.abspath(p.parent))  # noqa: PTH100 - lexical: resolve() follows links
    resolved = [_resolve(lyr, k, home) for k, lyr in enumerate(layers)]
    document = _project_xml(resolved, project_crs, title)
    with atomic_path(p, overwrite=overwrite) as tmp:
        if suffix == ".qgs":
            tmp.write_text(document, encoding="utf-8")
        else:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(f"{p.stem}.qgs", document)
    return p
