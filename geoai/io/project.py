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

import os
import re
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyproj import CRS

from geoai import _validate as v
from geoai.errors import CRSError, InputError
from geoai.io._atomic import atomic_path, check_writable
from geoai.io._layer_meta import LayerMetadata
from geoai.io._layout import PrintLayout, export_layouts, layouts_element, qgis_python
from geoai.io._project_xml import (
    Node,
    Resolved,
    finite_bounds,
    project_document,
    transform_bounds,
    view_extent,
)
from geoai.io._qml import parse_qml

__all__ = [
    "LayerMetadata",
    "PrintLayout",
    "ProjectGroup",
    "ProjectLayer",
    "export_layouts",
    "qgis_python",
    "write_project",
]

_KINDS = ("vector", "raster")
# the names the tests and older callers use
_Resolved = Resolved
_view_extent = view_extent
_transform_bounds = transform_bounds


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
    metadata : LayerMetadata, optional
        Title, abstract, attribution, licence and keywords (*Layer
        Properties → Metadata*; the attribution also as the layer's
        attribution).
    visible : bool, default True
        Checked in the legend (drawn when the project opens).
    expanded : bool, default True
        Legend entry unfolded (its classes shown).

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
    metadata: LayerMetadata | None = None
    visible: bool = True
    expanded: bool = True

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
            parse_qml(self.qml, f"ProjectLayer {self.name!r} qml")
        if self.metadata is not None and not isinstance(self.metadata, LayerMetadata):
            raise InputError(f"ProjectLayer {self.name!r}: metadata must be a LayerMetadata.")
        if not isinstance(self.visible, bool) or not isinstance(self.expanded, bool):
            raise InputError(f"ProjectLayer {self.name!r}: visible and expanded must be bool.")


@dataclass(frozen=True)
class ProjectGroup:
    """A group of layers in the QGIS legend (e.g. one scenario, or the basemap).

    Parameters
    ----------
    name : str
        Group name shown in the legend, unique among groups and layers.
    layers : sequence of ProjectLayer
        Its layers, top first.
    visible : bool, default True
        Checked: its checked layers are drawn. An unchecked group hides them all.
    expanded : bool, default True
        Unfolded in the legend.

    Examples
    --------
    >>> group = ProjectGroup("Basemap", [ProjectLayer("Countries", "geoai.gpkg", layer="c")])
    >>> group.visible, len(group.layers)
    (True, 1)
    """

    name: str
    layers: Sequence[ProjectLayer]
    visible: bool = True
    expanded: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"ProjectGroup name must be a non-empty str; got {self.name!r}.")
        bad = [type(x).__name__ for x in self.layers if not isinstance(x, ProjectLayer)]
        if isinstance(self.layers, str) or not self.layers or bad:
            raise InputError(
                f"ProjectGroup {self.name!r}: layers must be a non-empty list of ProjectLayer"
                + (f"; got {bad}." if bad else ".")
            )
        object.__setattr__(self, "layers", tuple(self.layers))


def _relative(absolute: Path, home: Path) -> str:
    """``./file`` or ``../dir/file``: the path QGIS resolves against the project folder."""
    rel = Path(os.path.relpath(absolute, home)).as_posix()
    return rel if rel.startswith("../") else f"./{rel}"


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


def _resolve(spec: ProjectLayer, k: int, home: Path) -> Resolved:
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
        bounds = finite_bounds(info["total_bounds"]) if geometry is not None else None
        default = _default_vector_style(absolute, table)
    else:
        import rasterio
        import rasterio.errors

        try:
            with rasterio.open(absolute) as ds:
                crs_text = ds.crs.to_wkt() if ds.crs is not None else None
                bounds = finite_bounds(tuple(ds.bounds))
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(f"{absolute} is not a raster GDAL can open: {exc}") from None
        if crs_text is None:
            raise CRSError(f"raster {spec.name!r} ({rel}) has no CRS; write it with one.")
        datasource, wkb = rel, ""
        sidecar = absolute.with_suffix(".qml")
        default = sidecar.read_text(encoding="utf-8") if sidecar.is_file() else None
    qml = spec.qml if spec.qml is not None else default
    style = parse_qml(qml, f"the style of layer {spec.name!r}") if qml is not None else None
    if style is not None and (style.find("pipe") is not None) != (spec.kind == "raster"):
        raise InputError(
            f"layer {spec.name!r} is a {spec.kind} layer but its QML is a "
            f"{'raster' if spec.kind == 'vector' else 'vector'} style."
        )
    slug = re.sub(r"\W+", "_", spec.name, flags=re.ASCII).strip("_") or "layer"
    layer_id = f"{slug}_{uuid.uuid5(uuid.NAMESPACE_URL, f'geoai:{k}:{datasource}').hex}"
    crs = CRS.from_user_input(crs_text) if crs_text else None
    return Resolved(spec, layer_id, datasource, crs, bounds, wkb, style)


def _default_vector_style(absolute: Path, table: str) -> str | None:
    if absolute.suffix.lower() != ".gpkg":
        return None
    from geoai.io.gpkg import read_styles

    return read_styles(absolute).get(table)


def write_project(
    path: str | os.PathLike[str],
    layers: Sequence[ProjectLayer | ProjectGroup],
    *,
    crs: str | CRS = "EPSG:4326",
    title: str = "geoai",
    layouts: Sequence[PrintLayout] = (),
    years: tuple[int, int] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a QGIS 3 project referencing ``layers`` by relative path, styles inlined.

    Parameters
    ----------
    path : path-like
        Target ``.qgz`` (zipped, what QGIS saves by default) or ``.qgs``
        (plain XML). Layer files are referenced relative to its folder.
    layers : sequence of ProjectLayer or ProjectGroup
        Layers and groups of layers in legend order: the first is on top
        (drawn last), so list points, then lines, then rasters, then the
        basemap.
    crs : str or pyproj.CRS, default "EPSG:4326"
        Project (map) CRS; layers in other CRSs are reprojected on the fly.
    title : str, default "geoai"
        Project title.
    layouts : sequence of PrintLayout, optional
        Print layouts (*Project → Layouts*), each an A4 page with a map of
        the layers or groups it names, legend, scale bar, title and
        attribution; :func:`export_layouts` prints them to PDF.
    years : (int, int), optional
        First and last year of the project's time range (the temporal
        controller steps one year at a time through it), for layers with
        temporal properties (:func:`geoai.io._layer_meta.with_temporal`).
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
    bad = [type(x).__name__ for x in layers if not isinstance(x, ProjectLayer | ProjectGroup)]
    if bad:
        raise InputError(f"layers must hold ProjectLayer or ProjectGroup objects; got {bad}.")
    if not isinstance(title, str):
        raise InputError(f"title must be a str; got {title!r}.")
    _check_years(years)
    bad = [type(x).__name__ for x in layouts if not isinstance(x, PrintLayout)]
    if isinstance(layouts, str) or bad:
        raise InputError(f"layouts must be a list of PrintLayout; got {bad or layouts!r}.")
    project_crs = v.as_crs(crs)
    check_writable(p, overwrite=overwrite)
    home = Path(os.path.abspath(p.parent))  # noqa: PTH100 - lexical: resolve() follows links
    tree, flat, groups = _resolve_tree(layers, home)
    by_name = {lyr.spec.name: lyr for lyr in flat}
    clash = sorted(set(groups) & set(by_name))
    if (
        clash
        or len(by_name) != len(flat)
        or len(groups) != sum(isinstance(x, ProjectGroup) for x in layers)
    ):
        raise InputError(f"layer and group names must be unique; repeated: {clash or 'a name'}.")
    xml_layouts = layouts_element(layouts, groups, by_name, project_crs) if layouts else None
    document = project_document(tree, flat, project_crs, title, layouts=xml_layouts, years=years)
    with atomic_path(p, overwrite=overwrite) as tmp:
        if suffix == ".qgs":
            tmp.write_text(document, encoding="utf-8")
        else:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(f"{p.stem}.qgs", document)
    return p


def _check_years(years: object) -> None:
    if years is None:
        return
    if not isinstance(years, tuple) or len(years) != 2:
        raise InputError(f"years must be (first, last) calendar years; got {years!r}.")
    if not all(isinstance(y, int) and 1 <= y <= 9999 for y in years):
        raise InputError(f"years must be (first, last) calendar years; got {years!r}.")
    if years[0] > years[1]:
        raise InputError(f"years must be (first, last) with first <= last; got {years!r}.")


def _resolve_tree(
    entries: Sequence[ProjectLayer | ProjectGroup], home: Path
) -> tuple[list[Node], list[Resolved], dict[str, list[Resolved]]]:
    """Resolve every layer: the legend tree, the layers in legend order, each group's layers."""
    tree: list[Node] = []
    flat: list[Resolved] = []
    groups: dict[str, list[Resolved]] = {}
    for entry in entries:
        if isinstance(entry, ProjectLayer):
            lyr = _resolve(entry, len(flat), home)
            tree.append(lyr)
            flat.append(lyr)
            continue
        members = []
        for spec in entry.layers:
            lyr = _resolve(spec, len(flat), home)
            members.append(lyr)
            flat.append(lyr)
        groups[entry.name] = members
        tree.append((entry.name, entry.visible, entry.expanded, list(members)))
    return tree, flat, groups
