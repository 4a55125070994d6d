"""The run's QGIS project as an analyst would build it, opened, rendered and printed by real QGIS.

One small run (two presets, three years, a coarse grid); QGIS 3.22 headless
reads its ``project.qgz``: a group per scenario with only the first visible, a
basemap, points over lines over rasters, flows split by kind with their units,
market areas named by metro, metadata on every layer, a temporal panel layer,
a print layout per scenario exported to PDF, and a render that is not blank.
"""

from __future__ import annotations

import sqlite3
import zipfile

import pyogrio
import pytest

from geoai.pipeline import run
from geoai.pipeline._project import layout_pdf_names, write_layout_pdfs
from tests.io.test_io_gpkg import run_qgis

JOB = {
    "data": {"min_population": 5_000_000},
    "scenario": {"presets": ["concentration", "exodus"], "start": 2025, "end": 2027},
    "grid": {"resolution": 5.0},
    "outputs": {"maps": False, "report": False, "top_flows": 15},
}

# Opens argv[1]; prints the project, one line per layer (legend order), the layouts, and the
# difference between a render of the visible layers and a blank render (saved to argv[2]).
SCRIPT = r"""
import json, os, sys
from qgis.core import (QgsApplication, QgsLayerTreeGroup, QgsMapRendererParallelJob,
                       QgsMapSettings, QgsProject, QgsRenderContext)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

app = QgsApplication([], False)
app.initQgis()
messages = []
QgsApplication.messageLog().messageReceived.connect(
    lambda text, tag, level: messages.append([tag, int(level), text]))
project = QgsProject.instance()
ok = project.read(sys.argv[1])
root = project.layerTreeRoot()
span = project.timeSettings().temporalRange()
print(json.dumps({
    "ok": ok, "messages": messages,
    "groups": [[g.name(), g.itemVisibilityChecked(), [n.name() for n in g.children()]]
               for g in root.children() if isinstance(g, QgsLayerTreeGroup)],
    "years": [span.begin().date().year(), span.end().date().year()],
    "layouts": [l.name() for l in project.layoutManager().printLayouts()]}))
visible = []
for node in root.findLayers():
    layer = node.layer()
    meta = layer.metadata()
    info = {"name": node.name(), "valid": layer.isValid(), "visible": node.isVisible(),
            "type": int(layer.type()), "abstract": meta.abstract(), "rights": meta.rights(),
            "licenses": meta.licenses(), "attribution": layer.attribution(),
            "keywords": sum(meta.keywords().values(), []),
            "temporal": layer.temporalProperties().isActive()}
    r = layer.renderer()
    info["renderer"] = r.type() if r is not None else None
    if info["renderer"] == "paletted":
        info["labels"] = [c.label for c in r.classes()]
    if info["renderer"] == "categorizedSymbol":
        info["labels"] = [c.label() for c in r.categories()]
    if info["renderer"] == "graduatedSymbol":
        info["labels"] = [g.label() for g in r.ranges()]
        info["symbol_layer"] = r.symbols(QgsRenderContext())[0].symbolLayer(0).layerType()
    if info["type"] == 0:
        info["aliases"] = {f.name(): layer.attributeDisplayName(i)
                           for i, f in enumerate(layer.fields())}
        info["start_field"] = layer.temporalProperties().startField()
    if node.isVisible() and layer.isSpatial():
        visible.append(layer)
    print(json.dumps(info))
for layout in project.layoutManager().printLayouts():
    print(json.dumps({"layout": layout.name(),
                      "items": sorted(type(i).__name__ for i in layout.items())}))

def render(layers):
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    settings.setExtent(project.viewSettings().defaultViewExtent())
    settings.setOutputSize(QSize(720, 360))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    return job.renderedImage()

image, blank = render(visible), render([])
image.save(sys.argv[2])
pixels = [(x, y) for x in range(0, 720, 3) for y in range(0, 360, 3)]
changed = sum(image.pixel(x, y) != blank.pixel(x, y) for x, y in pixels)
print(json.dumps({"changed": changed / len(pixels),
                  "colours": len({image.pixel(x, y) for x, y in pixels})}))
sys.stdout.flush()
os._exit(0)  # skip Qt teardown, which can crash after rendering in headless mode
"""


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    """The run, and what QGIS reports about its project."""
    base = tmp_path_factory.mktemp("project")
    result = run(JOB, base / "out", progress=False)
    png = base / "render.png"
    lines = run_qgis(SCRIPT, [result.out / "project.qgz", png], base / "xdg")
    head, *rest = lines
    layers = [x for x in rest if "name" in x]
    layouts = [x for x in rest if "layout" in x]
    return result, head, layers, layouts, rest[-1], png


@pytest.mark.qgis
def test_groups_per_scenario_only_the_first_visible_and_a_basemap(opened):
    _, head, layers, _, _, _ = opened
    assert head["ok"]
    assert [m for m in head["messages"] if m[1] >= 1] == []  # no QGIS warning or error
    names = [g[0] for g in head["groups"]]
    assert names == ["Scenario: concentration", "Scenario: exodus", "Basemap"]
    assert [g[1] for g in head["groups"]] == [True, False, True]
    assert head["groups"][2][2] == ["Countries"]
    by_name = {lyr["name"]: lyr for lyr in layers}
    assert all(lyr["valid"] for lyr in layers)
    assert by_name["Countries"]["visible"]
    assert by_name["Countries"]["renderer"] == "singleSymbol"
    assert not any(lyr["visible"] for lyr in layers if "exodus" in lyr["name"])
    # points over lines over rasters over the basemap, in every group
    for _, _, children in head["groups"][:2]:
        kinds = [by_name[c]["type"] for c in children]  # 0 vector, 1 raster
        assert kinds == sorted(kinds)
        assert kinds[-1] == 1
    order = [lyr["name"] for lyr in layers]
    assert order.index("Metros (concentration)") < order.index("Talent flows (concentration)")
    assert order[-1] == "Countries"


@pytest.mark.qgis
def test_flows_split_by_kind_with_units_names_and_arrows(opened):
    result, _, layers, _, _, _ = opened
    gpkg = result.out / "geoai.gpkg"
    tables = set(pyogrio.list_layers(gpkg)[:, 0])
    assert {"flows_talent_concentration", "flows_capital_exodus"} <= tables
    assert "flows_concentration" not in tables  # no layer mixing the two kinds
    by_name = {lyr["name"]: lyr for lyr in layers}
    for kind, unit in (("Talent", "people per year"), ("Capital", "USD per year")):
        lyr = by_name[f"{kind} flows (concentration)"]
        assert lyr["renderer"] == "graduatedSymbol"
        assert lyr["symbol_layer"] == "ArrowLine"  # direction on the map
        assert all(label.endswith(unit) for label in lyr["labels"])
        assert "e+" not in " ".join(lyr["labels"])  # numbers for people, not 1.37e+03
        assert unit in lyr["abstract"]
        assert lyr["aliases"]["flow"] == f"Flow ({unit})"
        assert lyr["aliases"]["origin_name"] == "Origin name"
    lines = pyogrio.read_dataframe(gpkg, layer="flows_talent_concentration")
    names = set(result.simulations["concentration"].final["name"])
    assert set(lines["origin_name"]) <= names
    assert set(lines["destination_name"]) <= names
    assert (lines["origin_name"] != lines["origin"]).all()  # names, not ids


@pytest.mark.qgis
def test_market_areas_are_named_categories_and_roles_read_in_words(opened):
    result, _, layers, _, _, _ = opened
    by_name = {lyr["name"]: lyr for lyr in layers}
    areas = by_name["Market areas (concentration)"]
    assert areas["renderer"] == "paletted"
    names = set(result.simulations["concentration"].final["name"])
    assert len(areas["labels"]) >= 3
    assert set(areas["labels"]) <= names  # every class is a metro's name
    potential = by_name["Potential (concentration)"]
    assert potential["renderer"] == "singlebandpseudocolor"
    assert potential["visible"]
    assert not areas["visible"]  # it would hide the potential
    roles = by_name["Metros (concentration)"]["labels"]
    assert "Detroit path" in roles
    assert "detroit_path" not in roles


@pytest.mark.qgis
def test_every_layer_has_metadata_aliases_and_the_panel_is_temporal(opened):
    _, head, layers, _, _, _ = opened
    for lyr in layers:
        assert len(lyr["abstract"]) > 40, lyr["name"]
        for key in ("rights", "attribution", "licenses", "keywords"):
            assert lyr[key], (lyr["name"], key)
        if lyr["type"] == 0:
            assert all(alias for alias in lyr["aliases"].values())
    by_name = {lyr["name"]: lyr for lyr in layers}
    assert "Natural Earth" in by_name["Countries"]["attribution"]
    assert "World Urbanization Prospects" in by_name["Metros (concentration)"]["rights"][0]
    assert by_name["Metros (concentration)"]["aliases"]["ai_jobs"] == "AI jobs (jobs)"
    temporal = [lyr for lyr in layers if lyr["temporal"]]
    assert [t["name"] for t in temporal] == ["Metros by year (concentration)",
                                             "Metros by year (exodus)"]  # fmt: skip
    assert temporal[0]["start_field"] == "year_start"
    assert head["years"] == [2025, 2027]


def test_the_geopackage_carries_the_metadata_and_is_version_1_2(opened):
    result = opened[0]
    with sqlite3.connect(result.out / "geoai.gpkg") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
        refs = dict(db.execute(
            "SELECT r.table_name, m.metadata FROM gpkg_metadata_reference r "
            "JOIN gpkg_metadata m ON m.id = r.md_file_id"
        ).fetchall())  # fmt: skip
    tables = set(pyogrio.list_layers(result.out / "geoai.gpkg")[:, 0]) - {"layer_styles"}
    assert set(refs) == tables
    assert all("<license>" in xml and "<rights>" in xml for xml in refs.values())


@pytest.mark.qgis
def test_a_print_layout_per_scenario_exports_to_pdf(opened):
    result, head, _, layouts, _, _ = opened
    assert head["layouts"] == ["Scenario concentration", "Scenario exodus"]
    for layout in layouts:
        items = layout["items"]
        for kind in ("QgsLayoutItemMap", "QgsLayoutItemLegend", "QgsLayoutItemScaleBar"):
            assert kind in items
        assert items.count("QgsLayoutItemLabel") >= 2  # title and attribution
    with zipfile.ZipFile(result.out / "project.qgz") as zf:
        xml = zf.read("project.qgs").decode("utf-8")
    assert "Made with Natural Earth" in xml
    pdfs = [result.out / name for name in layout_pdf_names(result.job)]  # the run wrote them
    assert set(pdfs) <= set(result.files)
    for pdf in pdfs:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF")
        assert b"/Type /Page" in data or b"/Type/Page" in data
        assert len(data) > 50_000  # a map, not an empty page


@pytest.mark.qgis
def test_the_render_is_not_blank(opened):
    *_, image, png = opened
    assert image["changed"] > 0.3  # countries, potential, metros and flows drawn
    assert image["colours"] > 30
    assert png.stat().st_size > 10_000


def test_no_qgis_means_no_pdf_and_a_note(opened, monkeypatch):
    result = opened[0]
    monkeypatch.setenv("GEOAI_QGIS_PYTHON", "/nonexistent/python")
    notes = []
    assert write_layout_pdfs(result.job, result.out, notes.append) == []
    assert len(notes) == 1
    assert "Project → Layouts" in notes[0]
