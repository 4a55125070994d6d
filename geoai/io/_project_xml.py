"""The XML of a QGIS 3 project (``.qgs``): layers, legend tree, view, time settings.

Used by :func:`geoai.io.project.write_project`; the print layouts are in
:mod:`geoai.io._layout`. Elements follow what QGIS 3.22 itself saves.
"""

from __future__ import annotations

import math
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from geoai.io._layer_meta import metadata_element
from geoai.io._qml import QGIS_VERSION

if TYPE_CHECKING:
    from collections.abc import Sequence

    from geoai.io._layer_meta import LayerMetadata

__all__ = [
    "Bounds",
    "LayerSpec",
    "Node",
    "Resolved",
    "extent",
    "project_document",
    "spatialrefsys",
    "text",
    "transform_bounds",
    "tree_group",
    "view_extent",
]

Bounds = tuple[float, float, float, float]


class LayerSpec(Protocol):
    """What the XML needs of a :class:`geoai.io.project.ProjectLayer`."""

    @property
    def name(self) -> str:
        """Legend name."""

    @property
    def kind(self) -> str:
        """``"vector"`` or ``"raster"``."""

    @property
    def metadata(self) -> LayerMetadata | None:
        """Title, abstract, attribution, licence, keywords."""

    @property
    def visible(self) -> bool:
        """Checked in the legend."""

    @property
    def expanded(self) -> bool:
        """Unfolded in the legend."""


@dataclass(frozen=True)
class Resolved:
    """A layer checked against its file: what the project XML needs."""

    spec: LayerSpec
    layer_id: str
    datasource: str
    crs: CRS | None
    bounds: Bounds | None
    wkb: str
    style: ET.Element | None

    @property
    def provider(self) -> str:
        """The QGIS data provider key."""
        return "ogr" if self.spec.kind == "vector" else "gdal"


#: A node of the legend tree: a layer, or a group (name, checked, expanded, children).
Node = Resolved | tuple[str, bool, bool, list["Node"]]


def finite_bounds(bounds: Sequence[float] | None) -> Bounds | None:
    """Return ``bounds`` as four floats, or None when any is missing or not finite."""
    if bounds is None:
        return None
    b = tuple(float(x) for x in bounds)
    if len(b) != 4 or not all(math.isfinite(x) for x in b):
        return None
    return b[0], b[1], b[2], b[3]


def transform_bounds(bounds: Bounds, src: CRS, dst: CRS) -> Bounds | None:
    """``bounds`` in ``dst`` (densified edges); None when the transform fails."""
    if src == dst:
        return bounds
    try:
        out = Transformer.from_crs(src, dst, always_xy=True).transform_bounds(
            *bounds, densify_pts=21
        )
    except ProjError:  # no transformation, or bounds out of its domain
        return None
    return finite_bounds(out)


def view_extent(layers: Sequence[Resolved], crs: CRS) -> Bounds | None:
    """Return the union of the layer extents in the project CRS, padded by 3 %."""
    boxes = [
        b
        for lyr in layers
        if lyr.bounds is not None and lyr.crs is not None
        for b in [transform_bounds(lyr.bounds, lyr.crs, crs)]
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


def text(parent: ET.Element, tag: str, content: str = "", **attrs: str) -> ET.Element:
    """Append ``<tag attrs>content</tag>`` to ``parent``."""
    el = ET.SubElement(parent, tag, attrs)
    el.text = content
    return el


def spatialrefsys(parent: ET.Element, crs: CRS) -> None:
    """``<spatialrefsys>``: WKT (what QGIS reads first without a QGIS srsid) and authority id."""
    srs = ET.SubElement(parent, "spatialrefsys")
    auth = crs.to_authority()
    with warnings.catch_warnings():  # pyproj warns that PROJ strings lose information
        warnings.simplefilter("ignore", UserWarning)
        proj4 = crs.to_proj4() or ""
    acronym = re.search(r"\+proj=(\S+)", proj4)
    text(srs, "wkt", crs.to_wkt())
    text(srs, "proj4", proj4)
    text(srs, "srid", auth[1] if auth and auth[0] == "EPSG" else "0")
    text(srs, "authid", f"{auth[0]}:{auth[1]}" if auth else "")
    text(srs, "description", crs.name)
    text(srs, "projectionacronym", acronym.group(1) if acronym else "")
    text(srs, "ellipsoidacronym", "")
    text(srs, "geographicflag", "true" if crs.is_geographic else "false")


def extent(parent: ET.Element, tag: str, b: Bounds) -> None:
    """Append ``<tag>`` with ``xmin``, ``ymin``, ``xmax``, ``ymax`` children."""
    ext = ET.SubElement(parent, tag)
    for name, value in zip(("xmin", "ymin", "xmax", "ymax"), b, strict=True):
        text(ext, name, repr(value))


def _geometry_name(wkb: str) -> str:
    base = re.sub(r"^Multi|[ZM]+$", "", wkb)
    return {"Point": "Point", "LineString": "Line", "Polygon": "Polygon",
            "NoGeometry": "No geometry"}.get(base, "Unknown geometry")  # fmt: skip


def _maplayer(parent: ET.Element, lyr: Resolved) -> None:
    """``<maplayer>``: source, CRS, extent, metadata, then the children of the layer's QML."""
    attrs = {"type": lyr.spec.kind, "styleCategories": "AllStyleCategories",
             "hasScaleBasedVisibilityFlag": "0", "minScale": "100000000", "maxScale": "0",
             "autoRefreshEnabled": "0", "autoRefreshTime": "0"}  # fmt: skip
    if lyr.spec.kind == "vector":
        attrs.update(geometry=_geometry_name(lyr.wkb), wkbType=lyr.wkb, readOnly="0",
                     labelsEnabled="0")  # fmt: skip
    if lyr.style is not None:  # scale visibility and the like, as saved in the QML
        attrs.update({k: val for k, val in lyr.style.attrib.items() if k != "version"})
    ml = ET.SubElement(parent, "maplayer", attrs)
    if lyr.bounds is not None and lyr.crs is not None:
        extent(ml, "extent", lyr.bounds)
        wgs84 = transform_bounds(lyr.bounds, lyr.crs, CRS.from_epsg(4326))
        if wgs84 is not None:
            extent(ml, "wgs84extent", wgs84)
    text(ml, "id", lyr.layer_id)
    text(ml, "datasource", lyr.datasource)
    meta = lyr.spec.metadata
    keywords = ET.SubElement(ml, "keywordList")
    for word in meta.keywords if meta is not None else ("",):
        text(keywords, "value", word)
    text(ml, "layername", lyr.spec.name)
    if lyr.crs is not None:
        spatialrefsys(ET.SubElement(ml, "srs"), lyr.crs)
    if meta is not None:
        text(ml, "title", meta.title)
        text(ml, "abstract", meta.abstract)
        text(ml, "attribution", meta.attribution, href="")
        ml.append(metadata_element(meta, lyr.layer_id))
    if lyr.spec.kind == "vector":
        text(ml, "provider", "ogr", encoding="UTF-8")
    else:
        text(ml, "provider", "gdal")
    manager = ET.SubElement(ml, "map-layer-style-manager", current="default")
    ET.SubElement(manager, "map-layer-style", name="default")
    flags = ET.SubElement(ml, "flags")
    for flag, value in (("Identifiable", "1"), ("Removable", "1"), ("Searchable", "1"),
                        ("Private", "0")):  # fmt: skip
        text(flags, flag, value)
    if lyr.style is not None:
        skip = {"flags", "resourceMetadata"} if meta is not None else {"flags"}
        ml.extend(child for child in lyr.style if child.tag not in skip)


def _checked(*, on: bool) -> str:
    return "Qt::Checked" if on else "Qt::Unchecked"


def tree_group(parent: ET.Element, nodes: Sequence[Node], **attrs: str) -> ET.Element:
    """Append a ``<layer-tree-group>`` holding ``nodes`` (layers and nested groups)."""
    group = ET.SubElement(parent, "layer-tree-group", attrs)
    ET.SubElement(group, "customproperties")
    for node in nodes:
        if isinstance(node, Resolved):
            el = ET.SubElement(group, "layer-tree-layer", id=node.layer_id, name=node.spec.name,
                               source=node.datasource, checked=_checked(on=node.spec.visible),
                               expanded="1" if node.spec.expanded else "0",
                               providerKey=node.provider, legend_exp="", patch_size="-1,-1",
                               legend_split_behavior="0")  # fmt: skip
            ET.SubElement(el, "customproperties")
        else:
            name, checked, expanded, children = node
            tree_group(group, children, name=name, checked=_checked(on=checked),
                       expanded="1" if expanded else "0")  # fmt: skip
    return group


def _time_settings(root: ET.Element, years: tuple[int, int]) -> None:
    """``<ProjectTimeSettings>``: one-year steps from 1 January of the first year to the last."""
    first, last = years
    settings = ET.SubElement(root, "ProjectTimeSettings", timeStepUnit="y", timeStep="1",
                             frameRate="1", cumulativeTemporalRange="0")  # fmt: skip
    span = ET.SubElement(settings, "TemporalRange")
    text(span, "start", f"{first:04d}-01-01T00:00:00Z")
    text(span, "end", f"{last:04d}-12-31T23:59:59Z")


def project_document(
    tree: Sequence[Node],
    layers: Sequence[Resolved],
    crs: CRS,
    title: str,
    *,
    layouts: ET.Element | None = None,
    years: tuple[int, int] | None = None,
) -> str:
    """Return the ``.qgs`` text: legend ``tree``, ``layers`` (legend order), view, layouts."""
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    text(root, "title", title)
    ET.SubElement(root, "autotransaction", active="0")
    ET.SubElement(root, "evaluateDefaultValues", active="0")
    ET.SubElement(root, "trust", active="0")
    spatialrefsys(ET.SubElement(root, "projectCrs"), crs)

    group = tree_group(root, tree)
    order = ET.SubElement(group, "custom-order", enabled="0")
    for lyr in layers:  # first = top of the legend = drawn last
        text(order, "item", lyr.layer_id)

    view = view_extent(layers, crs)
    if view is not None:
        canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
        text(canvas, "units", "degrees" if crs.is_geographic else "meters")
        extent(canvas, "extent", view)
        text(canvas, "rotation", "0")
        spatialrefsys(ET.SubElement(canvas, "destinationsrs"), crs)
        text(canvas, "rendermaptile", "0")

    maplayers = ET.SubElement(root, "projectlayers")
    for lyr in layers:
        _maplayer(maplayers, lyr)
    layerorder = ET.SubElement(root, "layerorder")
    for lyr in layers:
        ET.SubElement(layerorder, "layer", id=lyr.layer_id)

    props = ET.SubElement(root, "properties")
    text(ET.SubElement(props, "Paths"), "Absolute", "false", type="bool")
    text(ET.SubElement(props, "SpatialRefSys"), "ProjectionsEnabled", "1", type="int")
    # distances (scale bars, measuring) on the WGS 84 ellipsoid, not in map units
    text(ET.SubElement(props, "Measure"), "Ellipsoid", "EPSG:7030", type="QString")
    gui = ET.SubElement(props, "Gui")
    for part in ("Red", "Green", "Blue"):
        text(gui, f"CanvasColor{part}Part", "255", type="int")
    meta = ET.SubElement(root, "projectMetadata")
    for tag in ("identifier", "parentidentifier", "language", "type"):
        text(meta, tag)
    text(meta, "title", title)
    text(meta, "abstract", "Written by geoai; layers are referenced relative to this file.")
    ET.SubElement(meta, "links")
    text(meta, "author", "geoai")
    settings = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    ET.SubElement(settings, "Scales")
    if view is not None:
        default = ET.SubElement(settings, "DefaultViewExtent",
                                {k: repr(x) for k, x in zip(("xmin", "ymin", "xmax", "ymax"),
                                                            view, strict=True)})  # fmt: skip
        spatialrefsys(default, crs)
    if years is not None:
        _time_settings(root, years)
    if layouts is not None:
        root.append(layouts)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"
