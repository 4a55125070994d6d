"""`geoai identify`: observed UN history -> decline, roles, Markov layers, report, manifest.

One default run (CliRunner, module fixture) is shared by the read-only tests;
tests that change a folder copy it first. The installed entry point runs once
as a subprocess. Every refusal must leave the folder byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from typer.testing import CliRunner

import geoai
from geoai.cli import app
from geoai.datasets import WUP_SOURCE
from geoai.io._manifest import MANIFEST_NAME, Manifest, write_manifest

OUTPUTS = {"identify.gpkg", "decline_trajectories.png", "report.md", "report.html"}
MIN_POP = 1_000_000


def _digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (hidden ones too), by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _invoke(*args: str):
    return CliRunner().invoke(app, ["identify", *args])


def _no_staging_left(parent: Path) -> bool:
    return not [p for p in parent.iterdir() if ".tmp-" in p.name]


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("identify") / "out"
    res = _invoke("-o", str(folder), "--quiet")
    assert res.exit_code == 0, res.output
    return folder


@pytest.fixture(scope="module")
def panel():
    return geoai.load_metro_panel(1950, 2015)


def _read(out: Path, layer: str):
    return pyogrio.read_dataframe(out / "identify.gpkg", layer=layer)


def test_files_and_manifest(out):
    assert {p.name for p in out.iterdir()} == OUTPUTS | {MANIFEST_NAME}
    doc = json.loads((out / MANIFEST_NAME).read_text())
    listed = {e["path"]: e["sha256"] for e in doc["files"]}
    assert set(listed) == OUTPUTS
    digests = _digest(out)
    assert all(digests[name] == sha for name, sha in listed.items())
    assert doc["job"]["command"] == "identify"
    assert doc["job"]["as_of"] == 2015
    assert (out / "decline_trajectories.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_layers_geometry_crs_styles_and_attribution(out):
    layers = dict(pyogrio.list_layers(out / "identify.gpkg"))
    assert layers["decline"] == "Point"
    assert layers["roles"] == "Point"
    assert layers["markov_paths"] is None
    assert layers["markov_summary"] is None
    for name in ("decline", "roles"):
        crs = pyogrio.read_info(out / "identify.gpkg", layer=name)["crs"]
        assert crs == "EPSG:4326"
    with sqlite3.connect(out / "identify.gpkg") as db:
        about = dict(db.execute("SELECT table_name, description FROM gpkg_contents"))
        styled = {r[0] for r in db.execute("SELECT f_table_name FROM layer_styles")}
    for name in ("decline", "roles", "markov_paths", "markov_summary"):
        assert WUP_SOURCE in about[name]
        assert "observed" in about[name]
    assert geoai.ATTRIBUTION in about["roles"]  # its jobs are partly modelled: say whose
    assert styled == {"decline", "roles"}


def test_decline_layer_holds_every_metro_above_the_floor(out, panel):
    decline = _read(out, "decline")
    peaks = panel.groupby("metro_id")["population"].max()
    assert set(decline["metro_id"]) == set(peaks.index[peaks >= MIN_POP])
    assert (decline["peak_population"] >= MIN_POP).all()
    assert (decline["peak_year"] <= 2015).all()
    scores = decline["detroit_score"].to_numpy()
    assert (np.diff(scores) <= 1e-12).all()  # highest score first
    assert (decline["detroit_path"] == (decline["verdict"] == "detroit_path")).all()
    assert (decline["detroit_path"] == (scores >= 0.5)).all()
    assert decline["reasons"].str.len().gt(0).all()
    assert set(decline["population_kind"]) == {"estimate"}


def test_detroit_is_on_a_detroit_path_with_numbers(out):
    decline = _read(out, "decline").set_index("name")
    detroit = decline.loc["Detroit"]
    assert bool(detroit["detroit_path"])
    assert detroit["verdict"] == "detroit_path"
    assert re.search(r"lost \d+(\.\d)? % since its \d{4} peak", detroit["reasons"])
    assert re.search(r"\d+ years in decline", detroit["reasons"])
    # the reason's numbers are the row's own
    assert f"{-detroit['change_since_peak'] * 100:.1f} %" in detroit["reasons"]
    assert str(int(detroit["peak_year"])) in detroit["reasons"]
    for fast in ("Dhaka", "Lagos", "Shenzhen"):
        assert not bool(decline.loc[fast, "detroit_path"])


def test_roles_layer_is_classify_on_the_same_metros(out):
    roles = _read(out, "roles").set_index("name")
    decline = _read(out, "decline").set_index("name")
    assert set(roles["metro_id"]) == set(decline["metro_id"])
    assert set(roles["role"]) <= set(geoai.ROLES)
    assert roles["reasons"].str.len().gt(0).all()
    # on an observed history classify takes the Detroit path from geoai.roles.decline
    assert roles.loc["Detroit", "role"] == "detroit_path"
    assert roles.loc["Detroit", "reasons"].startswith(decline.loc["Detroit", "reasons"])
    assert roles.loc["Dhaka", "role"] != "detroit_path"


def test_markov_layers(out):
    paths = _read(out, "markov_paths")
    decline = _read(out, "decline")
    years = np.arange(1950, 2016, 5)
    assert set(paths["metro_id"]) == set(decline["metro_id"])
    assert len(paths) == len(decline) * years.size
    assert set(paths["year"]) == set(years)
    for col in ("class", "lag_class"):  # 1 = smallest, as the roles layer's markov_class
        assert set(paths[col]) <= {1, 2, 3, 4, 5}
    last = paths["year"] == years[-1]
    assert paths.loc[last, "next_class"].isna().all()
    assert paths.loc[~last, "next_class"].between(1, 5).all()
    down = paths["next_class"].notna() & (paths["next_class"] < paths["class"])
    expected = down & (paths["lag_class"] < paths["class"])
    assert (paths["dragged_down"].astype(bool) == expected).all()
    # a path is a chain: next_class is the class five years later
    following = paths.set_index(["metro_id", "year"])["class"]
    known = paths[~last]
    later = following.reindex(list(zip(known["metro_id"], known["year"] + 5, strict=True)))
    np.testing.assert_array_equal(known["next_class"].to_numpy(float), later.to_numpy(float))

    summary = _read(out, "markov_summary").set_index("regime")
    assert list(summary.index) == ["all"] + [f"lag class {c}" for c in range(1, 6)]
    shares = summary[["stay", "up", "down"]].sum(axis=1).to_numpy()
    np.testing.assert_allclose(shares, 1.0, atol=1e-12)
    assert summary.loc["all", "moves"] == summary["moves"].iloc[1:].sum()
    steady = summary[[f"steady_{c}" for c in range(1, 6)]].sum(axis=1).to_numpy()
    np.testing.assert_allclose(steady, 1.0, atol=1e-9)
    assert summary["LR"].nunique() == 1
    assert summary["Q_p_value"].between(0, 1).all()


def test_report_has_the_backtest_table_and_attribution(out, panel):
    md = (out / "report.md").read_text()
    page = (out / "report.html").read_text()
    for as_of in (1970, 1980, 1990, 2000):
        r = geoai.roles.backtest(panel, as_of=as_of, horizon=25)
        row = next(line for line in md.splitlines() if line.startswith(f"| {as_of} |"))
        assert f"| {r.outcome_year} |" in row
        assert f"| {r.precision:.3f} |" in row
        assert f"| {r.base_rate:.3f} |" in row
        assert f"| {r.n_flagged} |" in row
    assert WUP_SOURCE in md
    assert WUP_SOURCE in page
    assert "![" in md
    assert "(decline_trajectories.png)" in md
    assert "src='decline_trajectories.png'" in page
    assert "| Detroit |" in md  # the top 20 of the decline table
    assert re.search(r"LR = \d+\.\d, Q = \d+\.\d", md)


def test_second_run_without_overwrite_is_refused(out):
    before = _digest(out)
    res = _invoke("-o", str(out), "-q")
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--overwrite" in lines[0]
    assert "Traceback" not in res.output
    assert _digest(out) == before


def test_overwrite_replaces_outputs_and_keeps_a_user_file(out, tmp_path):
    proj = shutil.copytree(out, tmp_path / "proj")
    note = proj / "my notes.txt"
    note.write_bytes(b"three years of notes\n\x00\xff")
    (proj / "report.md").unlink()  # geoai's file, gone: written again
    user = note.read_bytes()
    res = _invoke("-o", str(proj), "--overwrite", "-q", "--as-of", "2010")
    assert res.exit_code == 0, res.output
    assert note.read_bytes() == user
    doc = json.loads((proj / MANIFEST_NAME).read_text())
    assert {e["path"] for e in doc["files"]} == OUTPUTS
    assert doc["job"]["as_of"] == 2010
    assert "as of 2010" in (proj / "report.md").read_text()
    assert _no_staging_left(tmp_path)


def test_folder_with_user_files_is_refused(tmp_path):
    proj = tmp_path / "proj"
    (proj / "sub").mkdir(parents=True)
    (proj / "thesis.txt").write_text("mine\n")
    (proj / "sub" / "data.bin").write_bytes(bytes(range(256)))
    before = _digest(proj)
    for extra in ([], ["--overwrite"]):
        res = _invoke("-o", str(proj), "-q", *extra)
        assert res.exit_code == 2, res.output
        assert "holds 2 files geoai did not write" in res.stderr
        assert _digest(proj) == before
    assert _no_staging_left(tmp_path)


def test_folder_of_geoai_run_is_refused(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    write_manifest(proj, Manifest({}), job={"scenario": {"presets": ["exodus"]}}, job_file=None)
    before = _digest(proj)
    res = _invoke("-o", str(proj), "--overwrite", "-q")
    assert res.exit_code == 2, res.output
    assert "geoai run" in res.stderr
    assert _digest(proj) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2020"], "--allow-projections"),
        (["--as-of", "1900"], "must be a year from 1955 to 2015"),
        (["--as-of", "1950"], "must be a year from 1955 to 2015"),
        (["--as-of", "2040", "--allow-projections"], "from 1955 to 2035"),
        (["--min-population", "-5"], "--min-population must be"),
        (["--min-population", "1e9"], "no metro reaches"),
    ],
)
def test_bad_input_exits_2_before_writing(tmp_path, args, message):
    target = tmp_path / "new"
    res = _invoke("-o", str(target), *args)
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert message in lines[0]
    assert "Traceback" not in res.output
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_projections_are_labelled(tmp_path):
    res = _invoke("-o", str(tmp_path / "p"), "--as-of", "2025", "--allow-projections", "-q")
    assert res.exit_code == 0, res.output
    decline = _read(tmp_path / "p", "decline")
    assert set(decline["population_kind"]) == {"projection"}
    with sqlite3.connect(tmp_path / "p" / "identify.gpkg") as db:
        (about,) = db.execute(
            "SELECT description FROM gpkg_contents WHERE table_name = 'decline'"
        ).fetchone()
    assert "projections to 2025 read as observed" in about


def test_installed_entry_point(tmp_path):
    exe = Path(sys.executable).with_name("geoai")
    target = tmp_path / "cli"
    args = [str(exe), "identify", "-o", str(target), "--as-of", "1990"]
    res = subprocess.run(
        [*args, "--min-population", "3000000", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""  # --quiet: only errors, and there were none
    assert {p.name for p in target.iterdir()} == OUTPUTS | {MANIFEST_NAME}
    decline = _read(target, "decline")
    assert (decline["peak_year"] <= 1990).all()
    assert (decline["peak_population"] >= 3_000_000).all()
    again = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 2
    assert "Traceback" not in again.stderr
