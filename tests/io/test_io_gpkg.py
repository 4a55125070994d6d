"""GeoPackage writer and vector QML builders: real QGIS opens every layer styled by default."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString

from geoai import CRSError, InputError
from geoai.io import gpkg, qgis, write_layers
from geoai.viz import ROLE_COLOURS
from tests._system import SYSTEM_PYTHON, require

STYLE_COLUMNS = [
    "id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
    "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui",
    "update_time",
]  # fmt: skip


def run_qgis(script, args, runtime):
    """Run ``script`` in the system Python with PyQGIS, headless; return its JSON lines."""
    require("qgis")
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}
    res = subprocess.run([SYSTEM_PYTHON, "-c", script, *map(str, args)], capture_output=True,
                         text=True, env=env, timeout=300, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return [json.loads(ln) for ln in res.stdout.splitlines() if ln.startswith("{")]


# Prints one JSON line per layer of the GeoPackage argv[1], opened as QGIS opens it (default
# style from layer_styles), then one line with the layer_styles columns QGIS itself creates
# when it saves a style into the plain GeoPackage argv[2].
GPKG_SCRIPT = r"""
import json, os, sys
from qgis.core import (QgsApplication, QgsExpression, QgsExpressionContext,
                       QgsExpressionContextUtils, QgsFeatureRequest, QgsRenderContext,
                       QgsSymbolLayer, QgsVectorLayer)

app = QgsApplication([], False)
app.initQgis()
path, plain = sys.argv[1], sys.argv[2]

def evaluate(layer, expression):
    expr = QgsExpression(expression)
    ctx = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    out = []
    for f in layer.getFeatures(QgsFeatureRequest().addOrderBy("fid")):
        ctx.setFeature(f)
        out.append(expr.evaluate(ctx))
    return {"values": out, "error": expr.parserErrorString() or expr.evalErrorString()}

for name in ("metros", "flows", "panel"):
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    info = {"name": name, "valid": layer.isValid(), "spatial": layer.isSpatial(),
            "crs": layer.crs().authid(), "count": layer.featureCount(),
            "styles": layer.listStylesInDatabase()[0]}
    r = layer.renderer() if layer.isSpatial() else None
    if r is not None:
        info["renderer"] = r.type()
        info["attr"] = r.classAttribute()
        info["order_by"] = r.orderBy().dump() if r.orderByEnabled() else ""
        symbols = r.symbols(QgsRenderContext())
        info["opacity"] = [s.opacity() for s in symbols]
        dd = symbols[0].symbolLayer(0).dataDefinedProperties()
    if r is not None and r.type() == "categorizedSymbol":
        info["categories"] = [[c.value(), c.symbol().color().name(), c.label()]
                              for c in r.categories()]
        size = dd.property(QgsSymbolLayer.PropertySize)
        info["size"] = evaluate(layer, size.expressionString()) | {"active": size.isActive()}
    if r is not None and r.type() == "graduatedSymbol":
        info["ranges"] = [[g.lowerValue(), g.upperValue(), g.symbol().color().name()]
                          for g in r.ranges()]
        width = dd.property(QgsSymbolLayer.PropertyStrokeWidth)
        info["width"] = evaluate(layer, width.expressionString()) | {"active": width.isActive()}
    print(json.dumps(info))

layer = QgsVectorLayer(f"{plain}|layername=flows", "flows", "ogr")
error = layer.saveStyleToDatabase("qgis_made", "", False, "")  # returns an error message
print(json.dumps({"qgis_save_error": error}))
sys.stdout.flush()
os._exit(0)  # skip Qt teardown, which can crash in headless mode
"""


@pytest.fixture
def outputs():
    """Metros (points by role), flows (lines) and a panel (attributes), like the pipeline's."""
    rng = np.random.default_rng(7)
    roles = list(ROLE_COLOURS)
    n = 15
    metros = gpd.GeoDataFrame(
        {
            "metro_id": [f"m{i:02d}" for i in range(n)],
            "role": [roles[i % len(roles)] for i in range(n)],
            "population": rng.uniform(1e6, 3e7, n).round(),
        },
        geometry=gpd.points_from_xy(rng.uniform(-120, 140, n), rng.uniform(-35, 60, n)),
        crs="EPSG:4326",
    )
    pts = metros.geometry
    pairs = [(i, (i * 7 + 3) % n) for i in range(n)]
    flows = gpd.GeoDataFrame(
        {"origin": [metros.metro_id[i] for i, _ in pairs],
         "destination": [metros.metro_id[j] for _, j in pairs],
         "flow": rng.lognormal(8, 1.5, n)},
        geometry=[LineString([pts[i], pts[j]]) for i, j in pairs],
        crs="EPSG:4326",
    )  # fmt: skip
    panel = pd.DataFrame(
        {"year": np.repeat([2025, 2050], n), "population": rng.uniform(1e6, 3e7, 2 * n)},
        index=pd.Index(np.tile(metros.metro_id, 2), name="metro_id"),
    )
    return metros, flows, panel


def _styles(metros, flows):
    pop = metros.population
    return {
        "metros": qgis.categorized_points_style(
            "role", ROLE_COLOURS, size_field="population", size_domain=(pop.min(), pop.max())
        ),
        "flows": qgis.flow_lines_style("flow", flows.flow),
    }


@pytest.mark.qgis
def test_qgis_opens_each_layer_styled_by_default(tmp_path, outputs):
    metros, flows, panel = outputs
    out = write_layers(tmp_path / "geoai.gpkg", {"metros": metros, "flows": flows, "panel": panel},
                       styles=_styles(metros, flows))  # fmt: skip
    plain = write_layers(tmp_path / "plain.gpkg", {"flows": flows})
    *got, saved = run_qgis(GPKG_SCRIPT, [out, plain], tmp_path / "xdg")
    m, f, p = got
    assert [m["valid"], f["valid"], p["valid"]] == [True, True, True]
    assert (m["crs"], f["crs"], m["count"], f["count"], p["count"]) == (
        "EPSG:4326", "EPSG:4326", 15, 15, 30)  # fmt: skip
    assert p["spatial"] is False
    assert (m["styles"], f["styles"]) == (1, 1)

    # metros: one category per role, the viz colours, area-proportional size
    assert m["renderer"] == "categorizedSymbol"
    assert m["attr"] == "role"
    assert [[v, c] for v, c, _ in m["categories"]] == [[k, c] for k, c in ROLE_COLOURS.items()]
    assert m["size"]["active"]
    assert not m["size"]["error"]
    pop = metros.population.to_numpy()
    frac = (pop - pop.min()) / (pop.max() - pop.min())
    np.testing.assert_allclose(m["size"]["values"], 1.5 + 7.5 * np.sqrt(frac), rtol=1e-9)
    assert m["order_by"] == '"population" DESC NULLS LAST'  # small circles drawn on top

    # flows: graduated, semi-transparent, width data-defined 0.2..3 mm
    assert f["renderer"] == "graduatedSymbol"
    assert f["attr"] == "flow"
    assert len(f["ranges"]) == 5
    assert f["ranges"][0][0] == pytest.approx(flows.flow.min())
    assert f["ranges"][-1][1] == pytest.approx(flows.flow.max())
    assert f["ranges"][-1][2] == "#b2182b"
    assert f["opacity"] == [pytest.approx(0.7)] * 5
    assert f["width"]["active"]
    assert not f["width"]["error"]
    w = np.array(f["width"]["values"])
    want = 0.2 + 2.8 * (flows.flow - flows.flow.min()) / (flows.flow.max() - flows.flow.min())
    np.testing.assert_allclose(w, want, rtol=1e-9)
    assert f["order_by"] == '"flow" ASC NULLS LAST'  # large flows drawn on top

    # our layer_styles has the columns QGIS creates when it saves a style itself
    assert saved == {"qgis_save_error": ""}
    with contextlib.closing(sqlite3.connect(plain)) as con:
        qgis_columns = [row[1] for row in con.execute("PRAGMA table_info(layer_styles)")]
    assert qgis_columns == STYLE_COLUMNS


def test_layer_styles_table_follows_the_qgis_convention(tmp_path, outputs):
    metros, flows, panel = outputs
    styles = _styles(metros, flows)
    styles["panel"] = styles["metros"]  # aspatial tables can carry a style too
    out = write_layers(tmp_path / "g.gpkg", {"metros": metros, "flows": flows, "panel": panel},
                       styles=styles)  # fmt: skip
    with contextlib.closing(sqlite3.connect(out)) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200  # GeoPackage 1.2
        info = con.execute("PRAGMA table_info(layer_styles)").fetchall()
        assert [row[1] for row in info] == STYLE_COLUMNS
        assert info[0][5] == 1  # id is the primary key
        contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
        geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        rows = con.execute(
            "SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName,"
            " styleQML, styleSLD, useAsDefault, owner, ui, update_time FROM layer_styles"
        ).fetchall()
    assert contents == {"metros": "features", "flows": "features", "panel": "attributes",
                        "layer_styles": "attributes"}  # fmt: skip
    assert geom == {"metros": "geom", "flows": "geom"}
    assert [r[2] for r in rows] == ["metros", "flows", "panel"]
    for catalog, schema, table, gcol, name, qml, sld, default, owner, ui, when in rows:
        assert (catalog, schema, sld, owner) == ("", "", "", "")  # '' and not NULL
        assert gcol == geom.get(table, "")
        assert name == table
        assert qml == styles[table]
        assert default == 1
        assert ui is None
        assert pd.Timestamp(when).tzinfo is not None
    assert gpkg.read_styles(out) == styles


def test_layers_round_trip(tmp_path, outputs):
    metros, flows, panel = outputs
    out = write_layers(tmp_path / "g.gpkg", {"metros": metros, "flows": flows, "panel": panel})
    assert [str(n) for n in pyogrio.list_layers(out)[:, 0]] == ["metros", "flows", "panel"]
    back = gpd.read_file(out, layer="metros")
    assert back.crs == metros.crs
    pd.testing.assert_frame_equal(back.drop(columns="geometry"),
                                  pd.DataFrame(metros.drop(columns="geometry")),
                                  check_dtype=False)  # fmt: skip
    assert back.geom_equals(metros.geometry).all()
    table = pyogrio.read_dataframe(out, layer="panel")
    assert list(table.columns) == ["metro_id", "year", "population"]  # the named index kept
    np.testing.assert_array_equal(table.metro_id, panel.index)
    assert gpkg.read_styles(out) == {}
    projected = metros.to_crs("ESRI:54009")
    out2 = write_layers(tmp_path / "mollweide.gpkg", {"m": projected})
    assert gpd.read_file(out2).crs.equals(projected.crs)


def test_layer_descriptions_land_in_gpkg_contents(tmp_path, outputs):
    metros, flows, panel = outputs
    about = {"metros": "Metros. Data: UN WUP 2018 (CC BY 3.0 IGO)", "panel": "Panel é ü"}
    out = write_layers(
        tmp_path / "d.gpkg", {"metros": metros, "flows": flows, "panel": panel}, descriptions=about
    )
    with contextlib.closing(sqlite3.connect(out)) as db:
        got = dict(db.execute("SELECT table_name, description FROM gpkg_contents"))
    assert got["metros"] == about["metros"]
    assert got["panel"] == about["panel"]
    assert got["flows"] in ("", None)  # no description given: none invented
    with pytest.raises(InputError, match="descriptions names layers"):
        write_layers(tmp_path / "e.gpkg", {"metros": metros}, descriptions={"roads": "x"})
    assert not (tmp_path / "e.gpkg").exists()


def test_refuses_to_clobber_and_overwrites_on_request(tmp_path, outputs):
    metros, flows, _ = outputs
    p = write_layers(tmp_path / "g.gpkg", {"metros": metros})
    before = p.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        write_layers(p, {"flows": flows})
    assert p.read_bytes() == before
    write_layers(p, {"flows": flows}, overwrite=True)
    assert [str(n) for n in pyogrio.list_layers(p)[:, 0]] == ["flows"]
    assert sorted(x.name for x in tmp_path.iterdir()) == [".geoai-files.json", "g.gpkg"]


def test_failure_mid_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, outputs, monkeypatch):
    metros, flows, panel = outputs
    p = write_layers(tmp_path / "g.gpkg", {"metros": metros})
    before = p.read_bytes()
    real = pyogrio.write_dataframe
    calls = []

    def flaky(df, path, **kw):
        calls.append(kw["layer"])
        if kw["layer"] == "flows":
            real(df.iloc[:3], path, **kw)  # half a layer is on disk ...
            raise OSError("disk full")  # ... when the write fails
        return real(df, path, **kw)

    monkeypatch.setattr(pyogrio, "write_dataframe", flaky)
    for target, overwrite in ((p, True), (tmp_path / "new.gpkg", False)):
        with pytest.raises(OSError, match="disk full"):
            write_layers(target, {"metros": metros, "flows": flows, "panel": panel},
                         styles=_styles(metros, flows), overwrite=overwrite)  # fmt: skip
    assert calls == ["metros", "flows"] * 2
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == [
        ".geoai-files.json",
        "g.gpkg",
    ]  # no temp, no new file


def test_bad_inputs(tmp_path, outputs):
    metros, _, panel = outputs
    p = tmp_path / "g.gpkg"
    with pytest.raises(InputError, match="non-empty mapping"):
        write_layers(p, {})
    with pytest.raises(InputError, match="non-empty mapping"):
        write_layers(p, [metros])
    for name in ("1st", "a-b", "with space", "gpkg_x", "rtree_x", "layer_styles", "x" * 64, ""):
        with pytest.raises(InputError, match="layer name"):
            write_layers(p, {name: metros})
    with pytest.raises(InputError, match="differ only in case"):
        write_layers(p, {"metros": metros, "Metros": metros})
    with pytest.raises(CRSError, match="no CRS"):
        write_layers(p, {"metros": metros.set_crs(None, allow_override=True)})
    with pytest.raises(InputError, match="GeoDataFrame"):
        write_layers(p, {"metros": metros.geometry})
    with pytest.raises(InputError, match="no active geometry"):
        write_layers(p, {"t": pd.DataFrame({"g": metros.geometry})})
    with pytest.raises(InputError, match=r"not in layers \['metros'\]"):
        write_layers(p, {"metros": metros}, styles={"flows": "<qgis/>"})
    with pytest.raises(InputError, match="not valid XML"):
        write_layers(p, {"metros": metros}, styles={"metros": "<qgis>"})
    with pytest.raises(InputError, match="not a QGIS style"):
        write_layers(p, {"metros": metros}, styles={"metros": "<html/>"})
    with pytest.raises(InputError, match=r"\.gpkg"):
        write_layers(tmp_path / "g.sqlite", {"metros": metros})
    with pytest.raises(InputError, match="does not exist"):
        write_layers(tmp_path / "missing" / "g.gpkg", {"metros": metros})
    assert list(tmp_path.iterdir()) == []
    assert write_layers(p, {"panel": panel}).exists()  # an attribute table alone is fine


# --- QML builders --------------------------------------------------------------------------


def _root(qml):
    assert qml.startswith("<!DOCTYPE qgis")
    return ET.fromstring(qml)  # noqa: S314 - QML geoai just built


def test_categorized_points_style():
    qml = qgis.categorized_points_style("role", ROLE_COLOURS, labels={"hub": "Hub metros"})
    r = _root(qml).find("renderer-v2")
    assert (r.get("type"), r.get("attr"), r.get("enableorderby")) == ("categorizedSymbol", "role",
                                                                       "0")  # fmt: skip
    cats = r.findall("categories/category")
    assert [c.get("value") for c in cats] == list(ROLE_COLOURS)
    assert cats[1].get("label") == "Hub metros"
    assert cats[0].get("label") == "superstar"
    layers = r.findall("symbols/symbol/layer")
    assert len(layers) == len(ROLE_COLOURS)
    props = {o.get("name"): o.get("value") for o in layers[0].find("Option")}
    assert props["color"] == "103,0,31,255"  # #67001f
    assert props["name"] == "circle"
    assert props["outline_color"] == "35,35,35,255"
    assert props["size"] == "3.0"
    assert layers[0].find("prop[@k='color']").get("v") == "103,0,31,255"  # QGIS < 3.20 reads it
    assert "sqrt" not in qml
    assert _root(qml).find("layerGeometryType").text == "0"

    sized = qgis.categorized_points_style("role", ROLE_COLOURS, size_field='po"p')
    dd = _root(sized).find(".//Option[@name='size']/Option[@name='expression']").get("value")
    assert 'minimum("po""p")' in dd  # domain from the layer, field quoted for QGIS
    const = qgis.categorized_points_style("role", {"hub": "#000000"}, size_field="p",
                                          size_domain=(5.0, 5.0))  # fmt: skip
    assert "sqrt" not in const
    assert "5.25" in const  # one value: every circle mid-size

    for bad, match in (({}, "non-empty mapping"), ({"hub": "red"}, "#rrggbb"),
                       ({"hub": "#12345"}, "#rrggbb")):  # fmt: skip
        with pytest.raises(InputError, match=match):
            qgis.categorized_points_style("role", bad)
    with pytest.raises(InputError, match="not in categories"):
        qgis.categorized_points_style("role", ROLE_COLOURS, labels={"nope": "x"})
    with pytest.raises(InputError, match="size_range"):
        qgis.categorized_points_style("role", ROLE_COLOURS, size_field="p", size_range=(5, 1))
    with pytest.raises(InputError, match="size_domain"):
        qgis.categorized_points_style("role", ROLE_COLOURS, size_field="p",
                                      size_domain=(np.nan, 1))  # fmt: skip
    with pytest.raises(InputError, match="column name"):
        qgis.categorized_points_style("", ROLE_COLOURS)


def test_graduated_points_style():
    values = pd.Series(np.arange(100.0)).astype("Float64")
    values[3] = pd.NA
    qml = qgis.graduated_points_style("potential", values, n_classes=4, ramp="Viridis")
    r = _root(qml).find("renderer-v2")
    assert (r.get("type"), r.get("graduatedMethod")) == ("graduatedSymbol", "GraduatedColor")
    ranges = r.findall("ranges/range")
    assert len(ranges) == 4
    assert float(ranges[0].get("lower")) == 0.0
    assert float(ranges[-1].get("upper")) == 99.0
    want = qgis.class_breaks(values.dropna().to_numpy(dtype=float), classes=4)
    np.testing.assert_allclose([float(g.get("upper")) for g in ranges], want[1:])
    colours = [{o.get("name"): o.get("value") for o in lyr.find("Option")}["color"]
               for lyr in r.findall("symbols/symbol/layer")]  # fmt: skip
    assert colours[0] == "68,1,84,255"  # viridis starts dark purple
    assert colours[-1] == "253,231,37,255"  # and ends yellow
    assert r.find("classificationMethod").get("id") == "Quantile"
    eq = qgis.graduated_points_style("p", [0.0, 1.0, 2.0, 10.0], n_classes=2, mode="equal")
    uppers = [g.get("upper") for g in _root(eq).findall("renderer-v2/ranges/range")]
    assert uppers == ["5.0", "10.0"]
    with pytest.raises(InputError, match="no finite values"):
        qgis.graduated_points_style("p", [np.nan])
    with pytest.raises(InputError, match="unknown ramp"):
        qgis.graduated_points_style("p", [1.0, 2.0], ramp="rainbow")
    with pytest.raises(InputError, match="numeric"):
        qgis.graduated_points_style("p", ["a", "b"])


def test_flow_lines_style():
    qml = qgis.flow_lines_style("flow", [1.0, 10.0, 100.0, 1000.0], n_classes=2, opacity=0.5)
    root = _root(qml)
    r = root.find("renderer-v2")
    assert r.get("type") == "graduatedSymbol"
    assert root.find("layerGeometryType").text == "1"
    symbols = r.findall("symbols/symbol")
    assert [s.get("alpha") for s in symbols] == ["0.5", "0.5"]
    assert {o.get("name"): o.get("value") for o in symbols[-1].find("layer/Option")}[
        "line_color"] == "178,24,43,255"  # fmt: skip
    dd = symbols[0].find("layer/data_defined_properties/Option/Option[@name='properties']")
    width = dd.find("Option[@name='outlineWidth']/Option[@name='expression']").get("value")
    assert width == 'coalesce(scale_linear("flow", 1.0, 1000.0, 0.2, 3.0), 0.2)'
    assert r.find("orderby/orderByClause").text == '"flow"'
    with pytest.raises(InputError, match="needs the flow values"):
        qgis.flow_lines_style("flow")
    with pytest.raises(InputError, match="opacity"):
        qgis.flow_lines_style("flow", [1.0], opacity=2)
    with pytest.raises(InputError, match="width_range"):
        qgis.flow_lines_style("flow", [1.0], width_range=(0, 3))
    with pytest.raises(InputError, match="colour"):
        qgis.flow_lines_style("flow", [1.0], colour="crimson")


def test_metadata_aliases_and_temporal_travel_in_the_geopackage(tmp_path, outputs):
    from geoai.io._layer_meta import LayerMetadata, with_aliases, with_temporal

    metros, flows, _ = outputs
    meta = LayerMetadata("Metros", "What the layer holds.", "© UN DESA", "CC BY 3.0 IGO",
                         keywords=("AI",))  # fmt: skip
    style = with_aliases(qgis.categorized_points_style("role", ROLE_COLOURS),
                         {"population": "Population (people)"})  # fmt: skip
    style = with_temporal(style, "year_start")
    out = write_layers(tmp_path / "m.gpkg", {"metros": metros, "flows": flows},
                       styles={"metros": style}, metadata={"metros": meta})  # fmt: skip
    with contextlib.closing(sqlite3.connect(out)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
        rows = db.execute(
            "SELECT r.table_name, m.md_standard_uri, m.metadata FROM gpkg_metadata_reference r "
            "JOIN gpkg_metadata m ON m.id = r.md_file_id"
        ).fetchall()  # fmt: skip
        ext = {r[0] for r in db.execute("SELECT table_name FROM gpkg_extensions")}
    assert [r[:2] for r in rows] == [("metros", gpkg.QGIS_METADATA_URI)]
    assert "<license>CC BY 3.0 IGO</license>" in rows[0][2]
    assert {"gpkg_metadata", "gpkg_metadata_reference"} <= ext
    root = _root(gpkg.read_styles(out)["metros"])
    assert root.find("aliases/alias").get("name") == "Population (people)"
    assert root.find("temporal").get("startField") == "year_start"
    with pytest.raises(InputError, match="not in layers"):
        write_layers(tmp_path / "x.gpkg", {"metros": metros}, metadata={"roads": meta})
    with pytest.raises(InputError, match="LayerMetadata"):
        write_layers(tmp_path / "x.gpkg", {"metros": metros}, metadata={"metros": "text"})
    with pytest.raises(InputError, match="non-empty"):
        LayerMetadata("", "a", "b", "c")


def test_write_vector_writes_geopackage_1_2(tmp_path, outputs):
    from geoai.io import write_vector

    out = write_vector(outputs[0], tmp_path / "metros.gpkg")
    with contextlib.closing(sqlite3.connect(out)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200  # not 1.4 (10400)


def _typed_frame() -> gpd.GeoDataFrame:
    n = 5
    return gpd.GeoDataFrame(
        {
            "name": ["a", None, "c", "d", "é"],
            "label": pd.array(["x", None, "z", "w", "v"], dtype="string"),
            "count": np.arange(n, dtype=np.int64),
            "small": np.arange(n, dtype=np.int16),
            "share": [0.5, np.nan, 1.5, -2.0, 1e300],
            "maybe": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "flag": [True, False, True, True, False],
            "when": pd.to_datetime(["2020-01-01", "2021-06-30", None, "2030-12-31", "2025-01-01"]),
            "mixed": ["a", 1, None, 2.5, "b"],
            "kind": pd.Categorical(["p", "q", "p", "q", "p"]),
        },
        geometry=gpd.points_from_xy(np.arange(n), np.arange(n)),
        crs="EPSG:4326",
    )


@pytest.mark.parametrize(
    "columns",
    [
        ["name", "label", "count", "small", "share", "maybe", "flag", "when"],  # the Arrow writer
        ["name", "mixed"],  # mixed objects: the row-by-row writer
        ["count", "kind"],  # categories: the row-by-row writer
    ],
)
def test_layers_read_back_as_the_row_by_row_writer_writes_them(tmp_path, columns):
    frame = _typed_frame()[[*columns, "geometry"]]
    ours = write_layers(tmp_path / "ours.gpkg", {"layer": frame})
    ref = tmp_path / "ref.gpkg"
    pyogrio.write_dataframe(frame, ref, layer="layer", driver="GPKG", use_arrow=False)
    assert gpkg._by_arrow(frame) == (columns[-1] not in ("mixed", "kind"))

    def schema(path):
        with contextlib.closing(sqlite3.connect(path)) as con:
            return con.execute('pragma table_info("layer")').fetchall()

    assert schema(ours) == schema(ref)
    pd.testing.assert_frame_equal(
        pyogrio.read_dataframe(ours, layer="layer"), pyogrio.read_dataframe(ref, layer="layer")
    )
