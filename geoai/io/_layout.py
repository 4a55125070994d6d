"""Print layouts of a QGIS project: map, legend, scale bar, title, attribution; PDF export.

:class:`PrintLayout` describes one A4 landscape page; :func:`layouts_element`
writes the ``<Layouts>`` element of the project XML (QGIS 3.22 item types).
:func:`export_layouts` exports every layout of a project to PDF through
PyQGIS (``qgis.core.QgsLayoutExporter``) in a Python that has it; geoai
itself never imports ``qgis``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from geoai.errors import InputError, OutputError
from geoai.io._atomic import atomic_path
from geoai.io._project_xml import Resolved, tree_group, view_extent

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pyproj import CRS

    from geoai._typing import PathLike
    from geoai.io._project_xml import Bounds

__all__ = ["QGIS_PYTHON", "PrintLayout", "export_layouts", "layouts_element", "qgis_python"]

#: QgsLayoutItemRegistry item types (QGraphicsItem::UserType + 100 + k).
_PAGE, _MAP, _LABEL, _LEGEND, _SCALEBAR = 65638, 65639, 65641, 65642, 65646
#: A4 landscape, mm.
_PAGE_W, _PAGE_H, _MARGIN = 297.0, 210.0, 10.0
#: The map frame (mm): left part of the page under the title; the legend to its right.
_MAP_BOX = (_MARGIN, 22.0, 192.0, 150.0)
_LEGEND_BOX = (_MARGIN + 192.0 + 4.0, 22.0, _PAGE_W - 2 * _MARGIN - 196.0, 150.0)
#: The Python with PyQGIS that exports layouts (Debian's python3-qgis).
QGIS_PYTHON = "/usr/bin/python3"


@dataclass(frozen=True)
class PrintLayout:
    """One print layout (A4 landscape): map, legend, scale bar, title and attribution.

    Parameters
    ----------
    name : str
        Layout name in QGIS (*Project → Layouts*), unique in the project.
    title : str
        Title printed on the page.
    layers : tuple of str
        Names of the project's layers or groups drawn on the map and listed
        in the legend (a group stands for its visible layers), top first; the
        map frames the first (so list the basemap last).
    attribution : str
        Credit line printed under the map (© of every source).
    subtitle : str, optional
        A line under the title (e.g. "Modelled scenario, 2025-2035").

    Examples
    --------
    >>> PrintLayout("concentration", "AI and work: concentration", ("Scenario",), "© UN DESA").name
    'concentration'
    """

    name: str
    title: str
    layers: tuple[str, ...]
    attribution: str
    subtitle: str = ""

    def __post_init__(self) -> None:
        for field in ("name", "title", "attribution"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"PrintLayout {field} must be a non-empty str; got {value!r}.")
        if isinstance(self.layers, str) or not self.layers:
            raise InputError(
                f"PrintLayout {self.name!r}: layers must name at least one layer or group."
            )


def _uuid(*parts: str) -> str:
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "geoai:" + ":".join(parts))) + "}"


def _mm(x: float, y: float) -> str:
    return f"{x:.6g},{y:.6g},mm"


def _item(parent: ET.Element, kind: int, uid: str, box: tuple[float, float, float, float],
          z: int, **attrs: str) -> ET.Element:  # fmt: skip
    """Append a ``<LayoutItem>`` at ``box`` = (x, y, width, height) in mm on page 1."""
    x, y, w, h = box
    base = {"type": str(kind), "uuid": uid, "id": attrs.pop("id", ""), "templateUuid": uid,
            "referencePoint": "0", "position": _mm(x, y), "positionOnPage": _mm(x, y),
            "size": _mm(w, h), "itemRotation": "0", "groupUuid": "", "zValue": str(z),
            "visibility": "1", "positionLock": "false", "frame": "false",
            "background": "false", "blendMode": "0", "opacity": "1",
            "excludeFromExports": "0"}  # fmt: skip
    el = ET.SubElement(parent, "LayoutItem", {**base, **attrs})
    ET.SubElement(el, "FrameColor", red="0", green="0", blue="0", alpha="255")
    ET.SubElement(el, "BgColor", red="255", green="255", blue="255", alpha="255")
    return el


def _font(parent: ET.Element, tag: str, size: float, *, bold: bool = False) -> None:
    """Append a Qt font description (family, point size, ..., weight) as QGIS stores it."""
    weight = 75 if bold else 50
    ET.SubElement(parent, tag, description=f"Sans Serif,{size:g},-1,5,{weight},0,0,0,0,0",
                  style="Bold" if bold else "")  # fmt: skip


def _label(parent: ET.Element, uid: str, box: tuple[float, float, float, float], words: str,
           size: float, *, bold: bool = False, item_id: str = "") -> None:  # fmt: skip
    el = _item(parent, _LABEL, uid, box, 3, id=item_id, labelText=words, htmlState="0",
               marginX="0", marginY="0", halign="1", valign="32")  # fmt: skip
    _font(el, "LabelFont", size, bold=bold)
    ET.SubElement(el, "FontColor", red="30", green="30", blue="30", alpha="255")


def _fit(view: Bounds, width: float, height: float) -> Bounds:
    """Grow ``view`` to the aspect ratio of a ``width`` × ``height`` frame, around its centre."""
    x0, y0, x1, y1 = view
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    if w / h < width / height:
        w = h * width / height
    else:
        h = w * height / width
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _layer_ref(parent: ET.Element, lyr: Resolved) -> None:
    el = ET.SubElement(parent, "Layer", source=lyr.datasource, provider=lyr.provider,
                       name=lyr.spec.name)  # fmt: skip
    el.text = lyr.layer_id


def _scale_bar_units(crs: CRS) -> dict[str, str]:
    """Kilometres on a projected map; degrees of longitude on a geographic one.

    A geographic world map has no single scale (a kilometre bar measured on
    one edge would be wrong everywhere else), so its bar is in map units.
    """
    if crs.is_geographic:
        return {"unitType": "", "unitLabel": "° longitude", "numMapUnitsPerScaleBarUnit": "1",
                "numUnitsPerSegment": "30"}  # fmt: skip
    return {"unitType": "km", "unitLabel": "km", "numMapUnitsPerScaleBarUnit": "1000",
            "numUnitsPerSegment": "1000"}  # fmt: skip


def _layout(parent: ET.Element, spec: PrintLayout, shown: list[Resolved], crs: CRS,
            focus: list[Resolved]) -> None:  # fmt: skip
    """Append one ``<Layout>``: page, map of ``shown``, legend, scale bar, title, attribution."""
    layout = ET.SubElement(parent, "Layout", name=spec.name, units="mm", printResolution="300",
                           worldFileMap="")  # fmt: skip
    ET.SubElement(layout, "Snapper", tolerance="5", snapToGrid="0", snapToGuides="1",
                  snapToItems="1")  # fmt: skip
    ET.SubElement(layout, "Grid", resolution="10", resUnits="mm", offsetX="0", offsetY="0",
                  offsetUnits="mm")  # fmt: skip
    pages = ET.SubElement(layout, "PageCollection")
    _item(pages, _PAGE, _uuid(spec.name, "page"), (0.0, 0.0, _PAGE_W, _PAGE_H), 0,
          background="true")  # fmt: skip
    ET.SubElement(layout, "Guides", visible="1")

    map_uid = _uuid(spec.name, "map")
    view = view_extent(focus, crs) or view_extent(shown, crs)
    x, y, w, h = _MAP_BOX
    if view is not None:  # a frame of the data's shape, between half and all of the box
        h = min(h, max(h / 2, w * (view[3] - view[1]) / (view[2] - view[0])))
    mp = _item(layout, _MAP, map_uid, (x, y, w, h), 1, id="Map", frame="true",
               background="true", keepLayerSet="true", followPreset="false",
               followPresetName="", drawCanvasItems="true", mapRotation="0",
               labelMargin="0,mm", isTemporal="0", mapFlags="1")  # fmt: skip
    if view is not None:
        x0, y0, x1, y1 = _fit(view, w, h)
        ET.SubElement(mp, "Extent", xmin=repr(x0), ymin=repr(y0), xmax=repr(x1), ymax=repr(y1))
    layer_set = ET.SubElement(mp, "LayerSet")
    for lyr in shown:
        _layer_ref(layer_set, lyr)
    ET.SubElement(mp, "AtlasMap", atlasDriven="0", scalingMode="2", margin="0.1")

    legend = _item(layout, _LEGEND, _uuid(spec.name, "legend"), _LEGEND_BOX, 2, id="Legend",
                   title="Legend", map_uuid=map_uid, resizeToContents="1",
                   legendFilterByMap="0", columnCount="1", splitLayer="0",
                   equalColumnWidth="0", symbolWidth="6", symbolHeight="3.5",
                   wmsLegendWidth="50", wmsLegendHeight="25", wrapChar="",
                   fontColor="#000000", rasterBorder="1", rasterBorderWidth="0",
                   rasterBorderColor="0,0,0,255")  # fmt: skip
    styles = ET.SubElement(legend, "styles")
    for style, size, bold, top in (("title", 10, True, 0), ("group", 8, True, 2),
                                   ("subgroup", 7.5, True, 2), ("symbol", 7, False, 1.2),
                                   ("symbolLabel", 6.5, False, 1.2)):  # fmt: skip
        el = ET.SubElement(
            styles,
            "style",
            name=style,
            marginTop=f"{top:g}",
            marginBottom="1.5" if style == "title" else "0",
            alignment="1",
        )
        _font(el, "styleFont", size, bold=bold)
    tree_group(legend, shown)

    _item(layout, _SCALEBAR, _uuid(spec.name, "scalebar"), (x, y + h + 3.0, 90.0, 12.0), 3,
          id="Scale bar", mapUuid=map_uid, style="Single Box", numSegments="2",
          numSegmentsLeft="0", numSubdivisions="1", subdivisionsHeight="1.5",
          segmentSizeMode="1", minBarWidth="30", maxBarWidth="70", height="3",
          labelBarSpace="2", boxContentSpace="1", alignment="0",
          labelVerticalPlacement="0", labelHorizontalPlacement="0",
          **_scale_bar_units(crs))  # fmt: skip
    title_box = (_MARGIN, 6.0, _PAGE_W - 2 * _MARGIN, 9.0)
    _label(layout, _uuid(spec.name, "title"), title_box, spec.title, 16, bold=True,
           item_id="Title")  # fmt: skip
    if spec.subtitle:
        _label(layout, _uuid(spec.name, "subtitle"), (_MARGIN, 15.0, title_box[2], 6.0),
               spec.subtitle, 9, item_id="Subtitle")  # fmt: skip
    _label(layout, _uuid(spec.name, "attribution"),
           (x + 95.0, y + h + 3.0, w - 95.0, 22.0),
           spec.attribution, 6.5, item_id="Attribution")  # fmt: skip
    ET.SubElement(layout, "Atlas", enabled="0", hideCoverage="0", filenamePattern="",
                  coverageLayer="", pageNameExpression="", sortFeatures="0",
                  filterFeatures="0")  # fmt: skip


def _expand(names: Sequence[str], groups: dict[str, list[Resolved]],
            layers: dict[str, Resolved], layout: str) -> list[Resolved]:  # fmt: skip
    """Return the visible layers named (directly, or through their group), in legend order."""
    out: list[Resolved] = []
    for name in names:
        if name in groups:
            out += [lyr for lyr in groups[name] if lyr.spec.visible]
        elif name in layers:
            out.append(layers[name])
        else:
            known = sorted({*groups, *layers})
            raise InputError(f"layout {layout!r} names {name!r}, not a layer or group: {known}.")
    return out


def layouts_element(
    specs: Sequence[PrintLayout],
    groups: dict[str, list[Resolved]],
    layers: dict[str, Resolved],
    crs: CRS,
) -> ET.Element:
    """Return the project's ``<Layouts>`` element, one ``<Layout>`` per spec."""
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise InputError(f"layout names must be unique; got {names}.")
    root = ET.Element("Layouts")
    for spec in specs:  # the map frames the first layer or group named (not the basemap)
        shown = _expand(spec.layers, groups, layers, spec.name)
        _layout(root, spec, shown, crs, _expand(spec.layers[:1], groups, layers, spec.name))
    return root


# --- PDF export through PyQGIS -----------------------------------------------------------------

_EXPORT_SCRIPT = r"""
import json, os, sys
from qgis.core import QgsApplication, QgsLayoutExporter, QgsProject
app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
ok = project.read(sys.argv[1])
jobs = json.loads(sys.argv[2])
manager = project.layoutManager()
result = {"ok": ok, "exported": {}}
for name, target in jobs.items():
    layout = manager.layoutByName(name)
    if layout is None:
        result["exported"][name] = "missing"
        continue
    settings = QgsLayoutExporter.PdfExportSettings()
    settings.dpi = 300
    status = QgsLayoutExporter(layout).exportToPdf(target, settings)
    result["exported"][name] = int(status)
print(json.dumps(result))
sys.stdout.flush()
os._exit(0)
"""


def qgis_python(python: str | None = None) -> str | None:
    """Return a Python that imports ``qgis.core``, or None when there is none.

    The probe starts that interpreter (about 0.4 CPU-s); an interpreter found
    to have PyQGIS is remembered for the life of this process, one without it
    is probed again next time (it may have been installed meanwhile).

    Parameters
    ----------
    python : str, optional
        The interpreter to try; default ``$GEOAI_QGIS_PYTHON`` or
        :data:`QGIS_PYTHON`.

    Returns
    -------
    str or None
        The interpreter, or None when it is missing or lacks PyQGIS.
    """
    exe = python or os.environ.get("GEOAI_QGIS_PYTHON") or QGIS_PYTHON
    if exe in _WITH_QGIS:
        return exe
    try:
        res = subprocess.run(  # noqa: S603 - the configured interpreter, a fixed probe
            [exe, "-c", "import qgis.core"],
            capture_output=True,
            timeout=60,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0:
        return None
    _WITH_QGIS.add(exe)
    return exe


#: The interpreters :func:`qgis_python` found with PyQGIS in this process.
_WITH_QGIS: set[str] = set()


def export_layouts(
    project: PathLike,
    targets: Mapping[str, PathLike],
    *,
    python: str | None = None,
    timeout: float = 300.0,
    overwrite: bool = False,
) -> list[Path]:
    """Export print layouts of a project to PDF with QGIS (``QgsLayoutExporter``), atomically.

    Parameters
    ----------
    project : path-like
        A ``.qgz``/``.qgs`` written by :func:`geoai.io.write_project`.
    targets : mapping of str to path-like
        Layout name → PDF file (its folder must exist).
    python : str, optional
        A Python with PyQGIS (see :func:`qgis_python`).
    timeout : float, default 300
        Seconds allowed to QGIS.
    overwrite : bool, default False
        Replace existing PDFs (that geoai wrote).

    Returns
    -------
    list of pathlib.Path
        The PDFs written.

    Raises
    ------
    InputError
        No Python with PyQGIS was found.
    OutputError
        QGIS failed to open the project or to export a layout.
    """
    exe = qgis_python(python)
    if exe is None:
        raise InputError(
            "no Python with PyQGIS found; install QGIS (Debian: python3-qgis) or set "
            "GEOAI_QGIS_PYTHON, or export the layouts from QGIS (Project → Layouts)."
        )
    out = {name: Path(p) for name, p in targets.items()}
    with contextlib.ExitStack() as stack:
        tmps = [stack.enter_context(atomic_path(p, overwrite=overwrite)) for p in out.values()]
        runtime = stack.enter_context(tempfile.TemporaryDirectory(prefix="geoai-qgis-"))
        jobs = {name: str(tmp) for name, tmp in zip(out, tmps, strict=True)}
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": runtime}
        try:
            res = subprocess.run(  # noqa: S603 - the probed interpreter, our own script
                [exe, "-c", _EXPORT_SCRIPT, str(project), json.dumps(jobs)],
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise OutputError(f"QGIS took over {timeout:g} s to export the layouts.") from None
        lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
        report = json.loads(lines[-1]) if lines else {}
        done = report.get("exported", {})
        bad = {k: v for k, v in done.items() if v != 0}
        if not report.get("ok") or bad or len(done) != len(out):
            why = bad or res.stderr.strip()[-300:]
            raise OutputError(f"QGIS could not export the layouts of {project}: {why}")
    return list(out.values())
