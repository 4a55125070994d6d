"""QGIS project writer: real QGIS opens the moved project, every layer valid, styled, drawn."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
import zipfile

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString

from geoai import CRSError, Grid, InputError
from geoai.io import ProjectLayer, qgis, write_layers, write_project, write_raster
from geoai.io import project as project_module
from geoai.viz import ROLE_COLOURS
from tests.io.test_io_gpkg import run_qgis

# Opens the project argv[1]; prints one JSON line for the project, then one per layer in
# legend order, and renders the project's default view to argv[2].
PROJECT_SCRIPT = r"""
import json, os, sys
from qgis.core import QgsApplication, QgsMapRendererSequentialJob, QgsMapSettings, QgsProject
from qgis.PyQt.QtCore import QSize

app = QgsApplication([], False)
app.initQgis()
messages = []
QgsApplication.messageLog().messageReceived.connect(
    lambda text, tag, level: messages.append([tag, int(level), text]))
project = QgsProject.instance()
ok = project.read(sys.argv[1])
view = project.viewSettings().defaultViewExtent()
nodes = project.layerTreeRoot().findLayers()
print(json.dumps({"ok": ok, "error": project.error(), "crs": project.crs().authid(),
                  "title": project.title(), "n_layers": len(project.mapLayers()),
                  "view": [view.xMinimum(), view.yMinimum(), view.xMaximum(), view.yMaximum()],
                  "view_crs": view.crs().authid(), "absolute": project.filePathStorage(),
                  "messages": messages}))
layers = [node.layer() for node in nodes]
for node, layer in zip(nodes, layers):
    renderer = layer.renderer()
    info = {"name": node.name(), "valid": layer.isValid(), "source": layer.source(),
            "crs": layer.crs().authid(), "visible": node.isVisible(),
            "renderer": renderer.type() if renderer is not None else None}
    if info["renderer"] == "categorizedSymbol":
        info["colours"] = [c.symbol().color().name() for c in renderer.categories()]
    if info["renderer"] == "graduatedSymbol":
        info["ranges"] = len(renderer.ranges())
    print(json.dumps(info))
settings = QgsMapSettings()
settings.setLayers([layer for layer in layers if layer.isSpatial()])
settings.setDestinationCrs(project.crs())
settings.setExtent(view)
settings.setOutputSize(QSize(240, 120))
job = QgsMapRendererSequentialJob(settings)
job.start()
job.waitForFinished()
image = job.renderedImage()
image.save(sys.argv[2])
pixels = [image.pixel(x, y) for x in range(0, 240, 2) for y in range(0, 120, 2)]
white = sum(p & 0xFFFFFF == 0xFFFFFF for p in pixels)
print(json.dumps({"colours": len(set(pixels)), "white_share": white / len(pixels),
                  "marker": sum(p & 0xFFFFFF == 0x67001F for p in pixels)}))
sys.stdout.flush()
os._exit(0)  # skip Qt teardown, which can crash after rendering in headless mode
"""


@pytest.fixture
def folder(tmp_path):
    """An output folder like the pipeline's: a GeoPackage with styles and a styled COG."""
    out = tmp_path / "run"
    out.mkdir()
    rng = np.random.default_rng(3)
    n = 12
    roles = list(ROLE_COLOURS)
    metros = gpd.GeoDataFrame(
        {"role": [roles[i % 5] for i in range(n)], "population": rng.uniform(1e6, 3e7, n)},
        geometry=gpd.points_from_xy(rng.uniform(-10, 30, n), rng.uniform(36, 60, n)),
        crs="EPSG:4326",
    )
    pts = metros.geometry
    flows = gpd.GeoDataFrame(
        {"flow": rng.lognormal(8, 1, n)},
        geometry=[LineString([pts[i], pts[(i + 5) % n]]) for i in range(n)],
        crs="EPSG:4326",
    )
    panel = metros.drop(columns="geometry").assign(metro=range(n))
    styles = {
        "metros": qgis.categorized_points_style("role", ROLE_COLOURS, size_field="population"),
        "flows": qgis.flow_lines_style("flow", flows.flow),
    }
    write_layers(out / "geoai.gpkg", {"metros": metros, "flows": flows, "panel": panel},
                 styles=styles)  # fmt: skip
    europe = Grid.from_bounds((2.5e6, 1.4e6, 6.5e6, 5.4e6), 100_000, crs="EPSG:3035")
    yy, xx = np.mgrid[0:40, 0:40]
    write_raster(europe.to_xarray(np.hypot(xx - 20.0, yy - 20.0), name="potential"),
                 out / "potential_concentration.tif")  # fmt: skip
    return out


def _layers():
    return [
        ProjectLayer("Metros", "geoai.gpkg", "vector", "metros"),
        ProjectLayer("Flows", "geoai.gpkg", layer="flows"),
        ProjectLayer("Potential", "potential_concentration.tif", "raster"),
    ]


def _qgs(path):
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == [path.with_suffix(".qgs").name]
        return zf.read(zf.namelist()[0]).decode("utf-8")


def test_qgis_opens_the_moved_project_styled_and_draws_it(tmp_path, folder):
    layers = [*_layers(), ProjectLayer("Panel", "geoai.gpkg", layer="panel")]  # a table too
    out = write_project(folder / "project.qgz", layers, crs="EPSG:3857", title="Scenario run")
    text = _qgs(out)
    assert str(tmp_path) not in text  # nothing absolute
    moved = shutil.move(folder, tmp_path / "elsewhere" / "renamed")  # move the whole folder
    png = tmp_path / "project.png"
    proj, *layers, image = run_qgis(PROJECT_SCRIPT, [moved / "project.qgz", png], tmp_path / "xdg")

    assert proj["ok"], proj["error"]
    assert [m for m in proj["messages"] if m[1] >= 1] == []  # no QGIS warning or error
    assert proj["crs"] == "EPSG:3857"
    assert proj["title"] == "Scenario run"
    assert proj["n_layers"] == 4
    assert proj["absolute"] == 1  # Qgis.FilePathType.Relative
    assert [lyr["name"] for lyr in layers] == ["Metros", "Flows", "Potential", "Panel"]
    for lyr in layers:
        assert lyr["valid"], lyr
        assert lyr["source"].startswith(str(moved)), lyr["source"]
        assert lyr["visible"]
    assert layers[0]["source"].endswith("geoai.gpkg|layername=metros")
    assert [lyr["crs"] for lyr in layers] == ["EPSG:4326", "EPSG:4326", "EPSG:3035", ""]
    assert [lyr["renderer"] for lyr in layers] == [
        "categorizedSymbol", "graduatedSymbol", "singlebandpseudocolor", None]  # fmt: skip
    assert layers[0]["colours"] == list(ROLE_COLOURS.values())
    assert layers[1]["ranges"] == 5

    # the default view covers every layer (the raster reaches furthest) in the project CRS
    assert proj["view_crs"] == "EPSG:3857"
    x0, y0, x1, y1 = proj["view"]
    assert x0 < -1.1e6 < 3.3e6 < x1  # metros between 10 W and 30 E
    assert y0 < 4.3e6 < 8.4e6 < y1  # and 36 N to 60 N
    assert image["colours"] > 20  # ramp, lines and markers, not a blank canvas
    assert image["white_share"] < 0.95
    assert image["marker"] > 0  # superstar fill colour is on the map
    assert png.stat().st_size > 1000


def test_paths_are_relative_and_styles_default_to_the_files(tmp_path, folder):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(folder / "geoai.gpkg", data / "shared.gpkg")
    custom = qgis.graduated_points_style("population", [1e6, 5e6, 3e7], n_classes=2)
    layers = [
        ProjectLayer("metros sized", (folder / "geoai.gpkg").resolve(), layer="metros",
                     qml=custom),
        ProjectLayer("flows", "../data/shared.gpkg", layer="flows"),
        ProjectLayer("panel", "geoai.gpkg", layer="panel"),
        ProjectLayer("potential", "potential_concentration.tif", "raster"),
    ]  # fmt: skip
    out = write_project(folder / "p.qgs", layers, crs="EPSG:3035")
    root = ET.fromstring(out.read_text(encoding="utf-8"))  # noqa: S314 - the project just written
    sources = [m.findtext("datasource") for m in root.iter("maplayer")]
    assert sources == ["./geoai.gpkg|layername=metros", "../data/shared.gpkg|layername=flows",
                       "./geoai.gpkg|layername=panel", "./potential_concentration.tif"]  # fmt: skip
    assert root.find("properties/Paths/Absolute").text == "false"
    assert root.find("projectCrs/spatialrefsys/authid").text == "EPSG:3035"
    maplayers = list(root.iter("maplayer"))
    assert maplayers[0].find("renderer-v2").get("type") == "graduatedSymbol"  # explicit qml
    assert maplayers[1].find("renderer-v2").get("type") == "graduatedSymbol"  # from layer_styles
    assert maplayers[1].get("geometry") == "Line"
    assert maplayers[2].get("geometry") == "No geometry"
    assert maplayers[2].find("renderer-v2") is None  # the panel has no style
    assert maplayers[3].find("pipe/rasterrenderer").get("type") == "singlebandpseudocolor"
    ids = [m.findtext("id") for m in maplayers]
    assert [e.get("id") for e in root.find("layerorder")] == ids
    assert [e.get("id") for e in root.find("layer-tree-group").iter("layer-tree-layer")] == ids
    assert len(set(ids)) == 4
    again = write_project(folder / "again.qgs", layers, crs="EPSG:3035")
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")  # reproducible


def test_refuses_to_clobber_and_a_failure_keeps_the_old_project(folder, monkeypatch):
    p = write_project(folder / "project.qgz", _layers())
    before = p.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        write_project(p, _layers()[:1])
    assert p.read_bytes() == before

    def broken(*_args, **_kwargs):  # stands in for ZipFile.writestr
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="disk full"):
        write_project(p, _layers()[:1], overwrite=True)
    assert p.read_bytes() == before
    monkeypatch.undo()
    assert sorted(x.name for x in folder.iterdir()) == [".geoai-files.json",
        "geoai.gpkg", "potential_concentration.qml", "potential_concentration.tif",
        "project.qgz"]  # fmt: skip
    write_project(p, _layers()[:1], overwrite=True)
    assert _qgs(p).count("<maplayer ") == 1


def test_bad_inputs(tmp_path, folder):
    p = folder / "p.qgz"
    raster_qml = qgis.raster_style([0.0, 1.0])
    cases = [
        (lambda: write_project(p, []), InputError, "non-empty list"),
        (lambda: write_project(p, ["geoai.gpkg"]), InputError, "ProjectLayer or ProjectGroup"),
        (lambda: write_project(folder / "p.qgd", _layers()), InputError, r"\.qgz or \.qgs"),
        (lambda: write_project(p, _layers(), crs="EPSG:99999999"), CRSError, "not a CRS"),
        (lambda: write_project(p, [ProjectLayer("x", "nope.gpkg")]), InputError,
         "does not exist"),
        (lambda: write_project(p, [ProjectLayer("x", "geoai.gpkg")]), InputError,
         r"holds the layers \['metros', 'flows', 'panel'\]"),
        (lambda: write_project(p, [ProjectLayer("x", "geoai.gpkg", layer="roads")]), InputError,
         "no layer 'roads'"),
        (lambda: write_project(p, [ProjectLayer("x", "geoai.gpkg", layer="metros",
                                                qml=raster_qml)]), InputError, "raster style"),
        (lambda: write_project(p, [ProjectLayer("x", "potential_concentration.qml",
                                                "raster")]), InputError, "not a raster"),
        (lambda: ProjectLayer("x", "a.tif", "image"), InputError, "unknown kind"),
        (lambda: ProjectLayer("x", "a.tif", "raster", layer="b"), InputError, "vector file"),
        (lambda: ProjectLayer("", "a.gpkg"), InputError, "non-empty"),
        (lambda: ProjectLayer("x", "a.gpkg", qml="<style/>"), InputError, "not a QGIS style"),
        (lambda: write_project(tmp_path / "no" / "p.qgz", _layers()), InputError,
         "does not exist"),
    ]  # fmt: skip
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()
    assert not p.exists()


def test_view_extent_is_clipped_to_the_world_in_degrees():
    layer = project_module.ProjectLayer("x", "x.gpkg")
    crs = project_module.CRS.from_epsg(4326)
    lyr = project_module._Resolved(layer, "x", "./x.gpkg", crs, (-180.0, -85.0, 180.0, 85.0),
                                   "Point", None)  # fmt: skip
    assert project_module._view_extent([lyr], crs) == (-180.0, -90.0, 180.0, 90.0)


def test_groups_layouts_and_years_are_written_and_checked(folder):
    from geoai.io.project import PrintLayout, ProjectGroup

    group = ProjectGroup("Scenario", _layers()[:2], visible=False)
    layout = PrintLayout("Page", "A title", ("Scenario", "Potential"), "© someone")
    out = write_project(folder / "g.qgs", [group, _layers()[2]], layouts=[layout],
                        years=(2025, 2030))  # fmt: skip
    root = ET.fromstring(out.read_text(encoding="utf-8"))  # noqa: S314 - the project just written
    tree = root.find("layer-tree-group")
    inner = tree.find("layer-tree-group")
    assert inner.get("name") == "Scenario"
    assert inner.get("checked") == "Qt::Unchecked"
    assert [n.get("name") for n in inner.iter("layer-tree-layer")] == ["Metros", "Flows"]
    items = root.findall("Layouts/Layout/LayoutItem")
    assert len(items) == 5  # map, legend, scale bar, title, attribution (the page apart)
    assert {i.get("type") for i in items} >= {"65639", "65642", "65646", "65641"}
    assert root.find("ProjectTimeSettings/TemporalRange/start").text.startswith("2025-01-01")
    bad = [
        (lambda: ProjectGroup("g", []), "non-empty list"),
        (lambda: ProjectGroup("g", ["x"]), "ProjectLayer"),
        (lambda: PrintLayout("p", "t", (), "a"), "at least one"),
        (lambda: write_project(folder / "b.qgs", [group, _layers()[0]]), "unique"),
        (lambda: write_project(folder / "b.qgs", [group], layouts=[
            PrintLayout("p", "t", ("Roads",), "a")]), "not a layer or group"),
        (lambda: write_project(folder / "b.qgs", [group], years=(2030, 2025)), "first <= last"),
        (lambda: write_project(folder / "b.qgs", [group], years=2025), "calendar years"),
    ]  # fmt: skip
    for call, match in bad:
        with pytest.raises(InputError, match=match):
            call()
