"""The main job end to end on a small job: files, layers, styles, atomicity, real QGIS."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

import geoai
from geoai import InputError
from geoai.cli import app
from geoai.pipeline import run
from tests._runs import kill_while_staging
from tests._system import SYSTEM_PYTHON, require

SMALL_JOB = {
    "data": {"min_population": 5_000_000},
    "scenario": {"presets": ["concentration", "exodus"], "start": 2025, "end": 2035},
    "grid": {"bounds": [-180, -60, 180, 78], "resolution": 2.0},
    "outputs": {"top_flows": 50},
}

QGIS_SCRIPT = r"""
import json, os, sys
from qgis.core import QgsApplication, QgsProject
app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
ok = project.read(sys.argv[1])
layers = [project.mapLayer(i) for i in project.layerTreeRoot().findLayerIds()]
print(json.dumps({
    "ok": ok,
    "crs": project.crs().authid(),
    "layers": [
        [lyr.name(), lyr.isValid(), lyr.renderer().type() if hasattr(lyr, "renderer") else ""]
        for lyr in layers
    ],
}))
sys.stdout.flush()
os._exit(0)
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    return run(SMALL_JOB, out, progress=False)


def test_every_output_is_written(result):
    out = result.out
    names = {p.relative_to(out).as_posix() for p in result.files}
    for preset in ("concentration", "exodus"):
        assert {f"potential_{preset}.tif", f"market_areas_{preset}.tif"} <= names
        assert {f"potential_{preset}.qml", f"maps/roles_{preset}.png"} <= names
        for kind in ("talent", "capital"):  # 300 dpi PNG of each map; SVG and PDF on request
            assert f"maps/flows_{kind}_{preset}.png" in names
            assert not {f"maps/flows_{kind}_{preset}.{x}" for x in ("svg", "pdf")} & names
    assert "map.html" in names
    assert {"geoai.gpkg", "project.qgz", "report.md", "report.html", "panel.parquet"} <= names
    assert "maps/comparison.png" in names
    assert all(p.exists() and p.stat().st_size > 0 for p in result.files)
    leftovers = [p for p in out.parent.iterdir() if p.name.startswith(".out.")]
    assert not leftovers  # the staging folder was renamed into place


def test_geopackage_layers_and_styles(result):
    gpkg = result.out / "geoai.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    assert {"metros_concentration", "flows_talent_exodus", "flows_capital_exodus", "panel"} <= set(
        layers
    )
    metros = gpd.read_file(gpkg, layer="metros_concentration")
    assert metros.crs.to_epsg() == 4326
    assert set(metros["role"]) <= set(geoai.ROLES)
    assert metros["reasons"].str.len().gt(0).all()
    # every row says where its starting jobs came from; US metros are observed
    us = metros["country_iso3"] == "USA"
    assert metros.loc[us, "start_jobs_source"].str.startswith("observed").all()
    assert metros.loc[~us, "start_jobs_source"].str.startswith("modelled").all()
    with sqlite3.connect(gpkg) as db:
        about = dict(db.execute("SELECT table_name, description FROM gpkg_contents"))
    data_layers = [t for t in layers if t not in ("layer_styles", "countries")]
    assert all("World Urbanization Prospects 2018 (CC BY 3.0 IGO)" in about[t] for t in data_layers)
    assert "Natural Earth" in about["countries"]  # the basemap credits its own source
    assert "BLS OEWS May 2025" in about["metros_concentration"]
    with sqlite3.connect(gpkg) as db:
        rows = db.execute(
            "SELECT f_table_name, f_table_schema, f_geometry_column, useAsDefault FROM layer_styles"
        ).fetchall()
        geom = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
    styled = {r[0] for r in rows}
    assert {"metros_concentration", "flows_talent_concentration"} <= styled
    for name, schema, column, default in rows:
        assert schema == ""
        assert column == geom.get(name, "")  # no geometry column: the panel table
        assert default == 1


def test_report_lists_figures_and_assumptions(result):
    md = (result.out / "report.md").read_text()
    assert "## Assumptions" in md
    assert "modelled" in md
    assert "maps/roles_concentration.png" in md
    # the licenses' attribution travels into the report, and what is observed says so
    assert "World Urbanization Prospects 2018 (CC BY 3.0 IGO)" in md
    assert "BLS OEWS May 2025" in md
    assert "Starting jobs by type: observed for" in md
    # the observed start: the US and China shares of AI roles, with their sources
    sim = result.simulations["concentration"]
    first = sim.panel[sim.panel["year"] == sim.start].set_index("metro_id")
    iso = sim.final["country_iso3"].reindex(first.index)
    us = first["ai_jobs"][iso == "USA"].sum() / first["ai_jobs"].sum()
    assert f"The US holds {us:.1%} of the AI-leveraged roles" in md
    assert "China holds" in md
    assert "Stanford AI Index 2025" in md
    assert "Stanford HAI AI Index 2025 (CC BY-ND 4.0)" in md  # its attribution too
    html = (result.out / "report.html").read_text()
    assert "<img src='data:image/png;base64," in html  # embedded: the page travels alone
    assert "src='maps/" not in html
    assert result.summary.shape[1] == 3  # unit + two presets


def test_refuses_to_overwrite_and_keeps_old_outputs_on_failure(result):
    with pytest.raises(InputError, match="exists"):
        run(SMALL_JOB, result.out, progress=False)
    before = sorted(p.name for p in result.out.iterdir())
    bad = {**SMALL_JOB, "potential": {"method": "fft"}}  # fft refuses a geographic grid
    with pytest.raises(InputError):
        run(bad, result.out, overwrite=True, progress=False)
    assert sorted(p.name for p in result.out.iterdir()) == before
    assert not [p for p in result.out.parent.iterdir() if ".tmp-" in p.name]


@pytest.mark.qgis
def test_qgis_opens_the_project_with_every_layer(result, tmp_path):
    require("qgis")
    moved = tmp_path / "elsewhere"
    result.out.rename(moved)  # relative paths: the project works wherever the folder goes
    try:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        proc = subprocess.run(
            [SYSTEM_PYTHON, "-c", QGIS_SCRIPT, str(moved / "project.qgz")],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            cwd=tmp_path,
            check=False,
        )
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1]
        info = json.loads(line)
    finally:
        moved.rename(result.out)
    assert info["ok"]
    assert info["crs"] == "EPSG:4326"
    assert all(valid for _, valid, _ in info["layers"])
    kinds = {name: renderer for name, _, renderer in info["layers"]}
    assert kinds["Metros (concentration)"] == "categorizedSymbol"
    assert info["layers"][0][0].startswith("Metros")  # points on top
    # per scenario: metros, talent flows, capital flows, the panel, potential, market areas;
    # and one basemap
    assert len(info["layers"]) == 6 * len(SMALL_JOB["scenario"]["presets"]) + 1


def test_cli_run_and_init_job(tmp_path):
    from typer.testing import CliRunner

    runner = CliRunner()
    job = tmp_path / "job.toml"
    assert runner.invoke(app, ["init-job", str(job)]).exit_code == 0
    assert "[scenario]" in job.read_text()
    again = runner.invoke(app, ["init-job", str(job)])
    assert again.exit_code != 0


def test_cli_stage_commands_on_user_points(tmp_path):
    from typer.testing import CliRunner

    runner = CliRunner()
    pts = tmp_path / "metros.gpkg"
    geoai.load_metros(5_000_000).to_file(pts)
    out = tmp_path / "flows.gpkg"
    r = runner.invoke(app, ["flows", str(pts), "-o", str(out), "--mass", "jobs_augmentable"])
    assert r.exit_code == 0, r.output
    assert set(dict(pyogrio.list_layers(out))) == {"places", "flows"}
    r = runner.invoke(app, ["classify", str(pts), "-o", str(tmp_path / "roles.gpkg")])
    assert r.exit_code == 0, r.output
    assert set(gpd.read_file(tmp_path / "roles.gpkg")["role"]) <= set(geoai.ROLES)
    tif = tmp_path / "pull.tif"
    r = runner.invoke(app, ["potential", str(pts), "-o", str(tif), "--resolution", "2"])
    assert r.exit_code == 0, r.output
    assert tif.exists()
    assert tif.with_suffix(".qml").exists()
    r = runner.invoke(app, ["flows", str(pts), "-o", str(out), "--mass", "nope"])
    assert r.exit_code != 0


def _digest(folder):
    import hashlib

    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_second_run_without_overwrite_leaves_outputs_byte_identical(result):
    before = _digest(result.out)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    geoai_bin = Path(sys.executable).parent / "geoai"
    proc = subprocess.run(
        [geoai_bin, "run", "--out", str(result.out), "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "exists" in proc.stderr
    assert "--overwrite" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _digest(result.out) == before


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_killed_run_leaves_no_partial_files(tmp_path, sig):
    import signal

    job = tmp_path / "job.toml"
    job.write_text('[scenario]\npresets = ["concentration", "exodus", "divergence"]\n')
    out = tmp_path / "out"
    code = kill_while_staging(
        ["run", str(job), "--out", str(out), "-q"], tmp_path, getattr(signal, sig)
    )
    assert code != 0
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["job.toml"]
