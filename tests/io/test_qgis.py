"""QGIS styles: QML builders, and real QGIS (headless) opening our COGs with their styles."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import geoai
from geoai import Grid, InputError
from geoai.io import qgis, write_raster
from tests._system import SYSTEM_PYTHON, require

# Runs in the system Python that has PyQGIS; prints one JSON line per layer.
QGIS_SCRIPT = r"""
import json, os, sys
from qgis.core import (QgsApplication, QgsMapRendererSequentialJob, QgsMapSettings,
                       QgsRasterLayer)
from qgis.PyQt.QtCore import QSize

app = QgsApplication([], False)
app.initQgis()
for tif in sys.argv[1:]:
    layer = QgsRasterLayer(tif, "potential")
    message, ok = layer.loadNamedStyle(tif[:-4] + ".qml")
    renderer = layer.renderer()
    shader = renderer.shader().rasterShaderFunction()
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    settings.setOutputSize(QSize(160, 90))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    colours = {image.pixel(x, y) for x in range(0, 160, 4) for y in range(0, 90, 4)}
    print(json.dumps({
        "valid": layer.isValid(),
        "style_ok": bool(ok),
        "message": message,
        "renderer": renderer.type(),
        "band": renderer.band(),
        "crs": layer.crs().authid(),
        "items": [[i.value, i.color.name()] for i in shader.colorRampItemList()],
        "ramp_type": int(shader.colorRampType()),
        "pyramids": layer.dataProvider().hasPyramids(),
        "width": layer.width(),
        "height": layer.height(),
        "colours": len(colours),
    }))
sys.stdout.flush()
os._exit(0)  # skip Qt teardown, which can crash after rendering in headless mode
"""


def _open_in_qgis(runtime, *paths):
    require("qgis")
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}
    cmd = [SYSTEM_PYTHON, "-c", QGIS_SCRIPT, *map(str, paths)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    assert len(lines) == len(paths), res.stdout + res.stderr[-2000:]
    return [json.loads(ln) for ln in lines]


@pytest.mark.qgis
def test_qgis_opens_cogs_with_their_styles(tmp_path):
    metros = geoai.load_metros(1_000_000)
    world = Grid.from_bounds((-180, -60, 180, 75), 0.25, crs="EPSG:4326")  # 540 x 1440
    surf = geoai.potential.surface(metros, "population", world, scale_km=300, dtype="float32")
    europe = Grid.from_bounds((2.5e6, 1.4e6, 6.5e6, 5.4e6), 5_000, crs="EPSG:3035")
    dom = geoai.potential.dominance(metros, "population", europe, scale_km=200, cutoff_km=800)
    a = write_raster(surf, tmp_path / "potential.tif")
    b = write_raster(dom.dominant, tmp_path / "dominant.tif")
    c = write_raster(dom.probability, tmp_path / "probability.tif", ramp="magma")
    got = _open_in_qgis(tmp_path / "xdg", a, b, c)
    for info, crs, shape in zip(
        got, ["EPSG:4326", "EPSG:3035", "EPSG:3035"], [world.shape, europe.shape, europe.shape],
        strict=True,
    ):  # fmt: skip
        assert info["valid"]
        assert info["style_ok"], info["message"]
        assert info["renderer"] == "singlebandpseudocolor"
        assert info["band"] == 1
        assert info["crs"] == crs
        assert (info["height"], info["width"]) == shape
        assert info["pyramids"]  # internal overviews seen by QGIS
        assert info["colours"] > 3  # it drew the ramp, not one flat colour
    qml_items = ET.parse(tmp_path / "potential.qml").getroot().iter("item")  # noqa: S314 - QML just written
    want = [float(i.get("value")) for i in qml_items]
    np.testing.assert_allclose([v for v, _ in got[0]["items"]], want, rtol=1e-6)
    assert got[0]["items"][0][1] == "#440154"  # viridis starts dark purple
    assert got[2]["items"][0][1] == "#000004"  # magma starts black


def test_class_breaks():
    v = np.concatenate([np.zeros(50), np.arange(1.0, 51.0), [np.nan, np.inf]])
    q = qgis.class_breaks(v, classes=4)
    assert q[0] == 0
    assert q[-1] == 50
    assert np.all(np.diff(q) > 0)  # duplicated zero quantiles merged
    np.testing.assert_allclose(qgis.class_breaks(v, classes=5, mode="equal"), np.linspace(0, 50, 6))
    const = qgis.class_breaks(np.full(10, 3.0))
    assert const.size == 2
    assert const[0] == 3.0 < const[1]
    with pytest.raises(InputError, match="no finite"):
        qgis.class_breaks([np.nan])
    with pytest.raises(InputError, match="unknown mode"):
        qgis.class_breaks([1.0, 2.0], mode="jenks")


def test_raster_style_is_valid_qml():
    qml = qgis.raster_style([0.0, 1.0, 10.0, 100.0], ramp="ylorrd", interpolation="discrete",
                            labels=["none", "low", "mid", "high"])  # fmt: skip
    root = ET.fromstring(qml.split("\n", 1)[1])  # noqa: S314 - QML geoai just built
    r = root.find("pipe/rasterrenderer")
    assert r.get("type") == "singlebandpseudocolor"
    shader = r.find("rastershader/colorrampshader")
    assert shader.get("colorRampType") == "DISCRETE"
    items = shader.findall("item")
    assert [i.get("label") for i in items] == ["none", "low", "mid", "high"]
    assert items[0].get("color") == "#ffffcc"
    assert items[-1].get("color") == "#800026"
    for bad in ([1.0], [2.0, 1.0], [0.0, np.nan]):
        with pytest.raises(InputError, match="breaks"):
            qgis.raster_style(bad)
    with pytest.raises(InputError, match="unknown ramp"):
        qgis.raster_style([0.0, 1.0], ramp="rainbow")


def test_write_qml_is_atomic_and_refuses_to_clobber(tmp_path):
    qml = qgis.raster_style([0.0, 1.0])
    p = qgis.write_qml(qml, tmp_path / "s.qml")
    assert p.read_text(encoding="utf-8") == qml
    with pytest.raises(InputError, match="already exists"):
        qgis.write_qml("other", p)
    assert p.read_text(encoding="utf-8") == qml
    qgis.write_qml("other", p, overwrite=True)
    assert p.read_text(encoding="utf-8") == "other"
    with pytest.raises(InputError, match=r"\.qml"):
        qgis.write_qml(qml, tmp_path / "s.txt")


def _qml_root(qml):
    return ET.fromstring(qml.split("\n", 1)[1])  # noqa: S314 - QML geoai just built


def test_log_raster_style_spaces_stops_by_decade_and_clears_the_low_cells():
    qml = qgis.log_raster_style(2.0, 2e5, unit="AI jobs", stops=6)
    shader = _qml_root(qml).find("pipe/rasterrenderer/rastershader/colorrampshader")
    values = np.array([float(i.get("value")) for i in shader.findall("item")])
    steps = np.diff(np.log10(values))
    np.testing.assert_allclose(steps, steps[0])  # the same colour share per decade
    assert values[0] == 2.0
    assert values[-1] == 2e5
    assert shader.get("clip") == "1"  # below vmin: transparent, the basemap shows
    legend = shader.find("rampLegendSettings")
    assert legend.get("maximumLabel") == "200,000 AI jobs"
    assert "e+" not in qml
    for lo, hi in ((0.0, 1.0), (5.0, 5.0), (3.0, np.inf)):
        with pytest.raises(InputError, match="0 < vmin < vmax"):
            qgis.log_raster_style(lo, hi)


def test_paletted_raster_style_names_each_value():
    qml = qgis.paletted_raster_style({0: "Paris", 7: "London", 3: "Lagos"}, colours={7: "#123456"})
    r = _qml_root(qml).find("pipe/rasterrenderer")
    assert r.get("type") == "paletted"
    entries = r.findall("colorPalette/paletteEntry")
    assert [(e.get("value"), e.get("label")) for e in entries] == [
        ("0", "Paris"), ("7", "London"), ("3", "Lagos")]  # fmt: skip
    assert entries[1].get("color") == "#123456"
    assert len({e.get("color") for e in entries}) == 3
    with pytest.raises(InputError, match="non-empty"):
        qgis.paletted_raster_style({})
    with pytest.raises(InputError, match="integer"):
        qgis.paletted_raster_style({"a": "Paris"})
    with pytest.raises(InputError, match="rrggbb"):
        qgis.paletted_raster_style({1: "Paris"}, colours={1: "red"})


def test_polygon_fill_and_arrow_styles():
    fill = _qml_root(qgis.polygon_fill_style("#eeeeee", "#999999"))
    assert fill.find("renderer-v2").get("type") == "singleSymbol"
    assert fill.find("layerGeometryType").text == "2"
    assert fill.find(".//layer").get("class") == "SimpleFill"
    with pytest.raises(InputError, match="outline_width"):
        qgis.polygon_fill_style(outline_width=-1)
    arrows = _qml_root(qgis.flow_lines_style("flow", [1e3, 5e4, 2e6], unit="people", arrows=True))
    layers = arrows.findall("renderer-v2/symbols/symbol/layer")
    assert {lyr.get("class") for lyr in layers} == {"ArrowLine"}
    dd = layers[0].find("data_defined_properties/Option/Option[@name='properties']")
    assert {o.get("name") for o in dd} >= {"arrowWidth", "arrowStartWidth", "arrowHeadLength"}
    labels = [r.get("label") for r in arrows.iter("range")]
    assert labels[-1].endswith("2 M people")
    assert all("e+" not in label for label in labels)
