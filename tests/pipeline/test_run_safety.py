"""`geoai run` never deletes, moves, hides or replaces a file geoai did not write.

Every test puts user files where a careless run would destroy them and checks
they survive byte for byte (SHA-256 of every file before and after), and that
the refusal names the problem. Refusals must come before any computation:
the ``no_compute`` fixture makes the computation itself fail the test.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pytest
from typer.testing import CliRunner

import geoai
import geoai.pipeline
from geoai.cli import app
from geoai.errors import InputError
from geoai.io._manifest import MANIFEST_NAME, read_manifest
from geoai.pipeline import run
from geoai.pipeline._run import _planned
from tests._runs import kill_while_staging

_FEW = {
    "data": {"min_population": 5_000_000},
    "scenario": {"presets": ["concentration"], "start": 2025, "end": 2027},
    "grid": {"resolution": 10.0},
}
# the cheapest job: a GeoPackage and a panel, no maps, report, project or rasters
FAST = {
    **_FEW,
    "outputs": {
        "maps": False, "report": False, "qgis_project": False, "rasters": False,
        "formats": ["gpkg"],
    },
}  # fmt: skip
#: What FAST writes: the GeoPackage, the panel and the data dictionary
FAST_FILES = {"geoai.gpkg", "panel.parquet", "fields.csv", "README.md"}
# every kind of output, on a coarse grid
FULL = {**_FEW, "outputs": {"top_flows": 20}}


def _digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (hidden ones too), by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _no_staging_left(parent: Path) -> bool:
    return not [p for p in parent.iterdir() if ".tmp-" in p.name or "geoai-lock" in p.name]


def _user_folder(folder: Path) -> dict[str, str]:
    """Fill ``folder`` with three user files at two depths; return their digests."""
    (folder / "chapters" / "draft").mkdir(parents=True)
    (folder / "thesis.txt").write_text("three years of notes\n")
    (folder / "chapters" / "one.md").write_text("# One\n")
    (folder / "chapters" / "draft" / "two.md").write_bytes(os.urandom(256))
    return _digest(folder)


@pytest.fixture
def no_compute(monkeypatch):
    """Make any computation fail the test: a refusal must come before it."""

    def boom(*_args, **_kwargs):
        raise AssertionError("the run started computing before refusing")

    monkeypatch.setattr(geoai.pipeline._run, "_run_into", boom)


@pytest.fixture(scope="module")
def fast_out(tmp_path_factory):
    """The outputs of one FAST run (copy it before changing anything)."""
    out = tmp_path_factory.mktemp("fast") / "out"
    run(FAST, out, progress=False)
    return out


@pytest.fixture(scope="module")
def full_out(tmp_path_factory):
    """The outputs of one FULL run, with its RunResult."""
    out = tmp_path_factory.mktemp("full") / "out"
    return run(FULL, out, progress=False)


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


@pytest.mark.usefixtures("no_compute")
def test_user_folder_with_overwrite_is_refused(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    before = _user_folder(proj)
    msg = r"proj holds 3 files geoai did not write; choose an empty or new folder"
    with pytest.raises(InputError, match=msg):
        run(FAST, proj, overwrite=True, progress=False)
    assert _digest(proj) == before
    assert _no_staging_left(tmp_path)


@pytest.mark.usefixtures("no_compute")
def test_cli_refuses_user_folder_in_one_line_exit_2(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "thesis.txt").write_text("three years of notes\n")
    before = _digest(proj)
    res = CliRunner().invoke(app, ["run", "--out", str(proj), "--overwrite", "-q"])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "holds 1 file geoai did not write" in lines[0]
    assert "Traceback" not in res.output
    assert _digest(proj) == before
    assert _no_staging_left(tmp_path)


@pytest.mark.usefixtures("no_compute")
def test_home_folder_is_refused(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("export EDITOR=vi\n")
    monkeypatch.setenv("HOME", str(home))
    assert Path.home() == home
    before = _digest(home)
    for out in ("~", home, tmp_path):  # ~, the home folder by name, and its parent
        with pytest.raises(InputError, match="home folder"):
            run(FAST, out, overwrite=True, progress=False)
    assert _digest(home) == before
    assert _no_staging_left(tmp_path)


@pytest.mark.usefixtures("no_compute")
def test_current_folder_and_its_ancestors_are_refused(tmp_path, monkeypatch):
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "notes.txt").write_text("mine\n")
    (work / "sub" / "data.csv").write_text("a,b\n1,2\n")
    monkeypatch.chdir(work / "sub")
    before = _digest(tmp_path)
    for out in (str(Path.cwd()), ".", "./", ".."):
        with pytest.raises(InputError, match="current folder"):
            run(FAST, out, overwrite=True, progress=False)
    assert _digest(tmp_path) == before


@pytest.mark.usefixtures("no_compute")
def test_filesystem_root_is_refused():
    before = sorted(p.name for p in Path("/").iterdir())
    with pytest.raises(InputError, match="filesystem root"):
        run(FAST, "/", overwrite=True, progress=False)
    assert sorted(p.name for p in Path("/").iterdir()) == before


@pytest.mark.usefixtures("no_compute")
def test_folder_holding_the_job_file_is_refused(tmp_path, fast_out):
    proj = _copy(fast_out, tmp_path / "proj")  # even one holding geoai's own outputs
    job = proj / "jobs" / "job.toml"
    job.parent.mkdir()
    job.write_text('[scenario]\npresets = ["concentration"]\n')
    before = _digest(proj)
    for out in (proj, proj / "jobs"):
        with pytest.raises(InputError, match=r"holds the job file .*job\.toml"):
            run(job, out, overwrite=True, progress=False)
    assert _digest(proj) == before
    assert _no_staging_left(tmp_path)


@pytest.mark.usefixtures("no_compute")
def test_folder_holding_the_input_points_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    points = data / "metros.gpkg"  # read when the job loads (its columns are checked) ...
    gpd.GeoDataFrame(
        {"metro_id": ["a", "b"], "country_iso3": ["FRA", "DEU"], "population": [2e6, 3e6]},
        geometry=gpd.points_from_xy([2.35, 13.4], [48.86, 52.52]), crs=4326,
    ).to_file(points)  # ... but the refusal comes before any work  # fmt: skip
    (tmp_path / "link").symlink_to(data)
    before = _digest(data)
    job = {**FAST, "data": {"metros": str(points)}}
    for out in (data, tmp_path / "link"):
        with pytest.raises(InputError, match=r"holds the input data file .*metros\.gpkg"):
            run(job, out, overwrite=True, progress=False)
    assert _digest(data) == before
    assert _no_staging_left(tmp_path)


@pytest.mark.usefixtures("no_compute")
def test_symlink_is_judged_by_its_target(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "thesis.txt").write_text("three years of notes\n")
    link = tmp_path / "out"
    link.symlink_to(user)
    before = _digest(user)
    with pytest.raises(InputError, match=rf"-> {user}\) holds 1 file geoai did not write"):
        run(FAST, link, overwrite=True, progress=False)
    assert link.is_symlink()
    assert link.resolve() == user
    assert _digest(user) == before
    assert _no_staging_left(tmp_path)


@pytest.mark.usefixtures("no_compute")
def test_without_overwrite_an_earlier_run_is_refused(tmp_path, fast_out):
    out = _copy(fast_out, tmp_path / "out")
    before = _digest(out)
    with pytest.raises(InputError, match=r"exists.*--overwrite"):
        run(FAST, out, progress=False)
    assert _digest(out) == before


def test_new_and_empty_folders_are_written(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run(FAST, empty, progress=False)  # no overwrite needed: nothing to replace
    new = run(FAST, tmp_path / "a" / "b" / "new", progress=False)
    for r in (res, new):
        man = read_manifest(r.out)
        assert man is not None
        assert set(man.files) == {p.relative_to(r.out).as_posix() for p in r.files}
        assert r.manifest == r.out / MANIFEST_NAME
        assert all(p.is_file() for p in r.files)
    assert _no_staging_left(tmp_path)


def test_second_overwrite_keeps_the_users_notes(tmp_path, fast_out):
    out = _copy(fast_out, tmp_path / "out")
    (out / "NOTES.md").write_text("what I changed and why\n")
    (out / "mine").mkdir()
    (out / "mine" / "plot.png").write_bytes(os.urandom(512))
    users = {k: v for k, v in _digest(out).items() if k in {"NOTES.md", "mine/plot.png"}}
    old = json.loads((out / MANIFEST_NAME).read_text())
    inodes = {e["path"]: (out / e["path"]).stat().st_ino for e in old["files"]}
    res = run(FAST, out, overwrite=True, progress=False)
    after = _digest(out)
    assert {k: after[k] for k in users} == users
    new = json.loads((out / MANIFEST_NAME).read_text())
    assert new["written_utc"] != old["written_utc"]
    assert {e["path"] for e in new["files"]} == set(inodes)  # the user's files are not listed
    for e in new["files"]:
        assert after[e["path"]] == e["sha256"]
        assert (out / e["path"]).stat().st_size == e["size"]
        assert (out / e["path"]).stat().st_ino != inodes[e["path"]]  # replaced, not kept
    assert sorted(res.files) == sorted(out / p for p in inodes)
    assert _no_staging_left(tmp_path)


def test_stale_outputs_are_removed_only_when_unchanged(tmp_path, full_out):
    kept = _copy(full_out.out, tmp_path / "kept")
    (kept / "report.md").write_text("my edited report\n")  # listed, edited: now the user's
    (kept / "maps" / "mine.png").write_bytes(os.urandom(64))  # the user's, in geoai's folder
    users = {k: v for k, v in _digest(kept).items() if k in {"report.md", "maps/mine.png"}}
    clean = _copy(full_out.out, tmp_path / "clean")
    for out in (kept, clean):
        run(FAST, out, overwrite=True, progress=False)  # writes no report, maps or rasters
    assert set(_digest(clean)) == {*FAST_FILES, MANIFEST_NAME}
    assert not (clean / "maps").exists()  # geoai's folder, empty now: removed
    assert set(_digest(kept)) == {*FAST_FILES, MANIFEST_NAME, *users}
    assert {k: _digest(kept)[k] for k in users} == users
    man = read_manifest(kept)
    assert man is not None
    assert set(man.files) == FAST_FILES
    assert man.folders == frozenset({"maps"})  # still geoai's, kept for the user's file


@pytest.mark.usefixtures("no_compute")
def test_edited_output_is_refused(tmp_path, fast_out):
    out = _copy(fast_out, tmp_path / "out")
    with (out / "panel.parquet").open("ab") as f:
        f.write(b"my edit")
    before = _digest(out)
    with pytest.raises(InputError, match=r"panel\.parquet was changed since geoai wrote it"):
        run(FAST, out, overwrite=True, progress=False)
    assert _digest(out) == before
    assert _no_staging_left(tmp_path)


def test_output_edited_during_the_run_is_not_replaced(tmp_path, fast_out, monkeypatch):
    out = _copy(fast_out, tmp_path / "out")
    compute = geoai.pipeline._run._run_into

    def edit_meanwhile(*args, **kwargs):
        result = compute(*args, **kwargs)
        with (out / "panel.parquet").open("ab") as f:
            f.write(b"edited while geoai ran")
        (out / "NOTES.md").write_text("mine\n")
        return result

    monkeypatch.setattr(geoai.pipeline._run, "_run_into", edit_meanwhile)
    edited = (fast_out / "panel.parquet").read_bytes() + b"edited while geoai ran"
    before = {**_digest(fast_out), "NOTES.md": hashlib.sha256(b"mine\n").hexdigest()}
    before["panel.parquet"] = hashlib.sha256(edited).hexdigest()
    with pytest.raises(InputError, match=r"panel\.parquet was changed since geoai wrote it"):
        run(FAST, out, overwrite=True, progress=False)
    assert _digest(out) == before  # the edit and the notes survive; nothing else moved in
    assert _no_staging_left(tmp_path)


@pytest.mark.usefixtures("no_compute")
def test_user_file_with_an_output_name_is_refused(tmp_path, fast_out):
    out = _copy(fast_out, tmp_path / "out")
    (out / "report.md").write_text("my own report, same name\n")
    before = _digest(out)
    job = {**FAST, "outputs": {**FAST["outputs"], "report": True}}
    with pytest.raises(InputError, match=r"report\.md exists but geoai did not write it"):
        run(job, out, overwrite=True, progress=False)
    assert _digest(out) == before
    assert _no_staging_left(tmp_path)


@pytest.mark.usefixtures("no_compute")
def test_manifest_cannot_reach_outside_the_folder(tmp_path, fast_out):
    out = _copy(fast_out, tmp_path / "out")
    thesis = tmp_path / "thesis.txt"
    thesis.write_text("three years of notes\n")
    doc = json.loads((out / MANIFEST_NAME).read_text())
    sha = hashlib.sha256(thesis.read_bytes()).hexdigest()
    doc["files"].append({"path": "../thesis.txt", "size": thesis.stat().st_size, "sha256": sha})
    (out / MANIFEST_NAME).write_text(json.dumps(doc))
    before = _digest(tmp_path)
    with pytest.raises(InputError, match="not a path inside the folder"):
        run(FAST, out, overwrite=True, progress=False)
    (out / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(InputError, match="not a readable geoai manifest"):
        run(FAST, out, overwrite=True, progress=False)
    (out / MANIFEST_NAME).write_text(json.dumps(doc))
    assert _digest(tmp_path) == before


def test_manifest_records_every_file_and_folder(full_out):
    out, files = full_out.out, full_out.files
    doc = json.loads((out / MANIFEST_NAME).read_text())
    on_disk = {k: v for k, v in _digest(out).items() if k != MANIFEST_NAME}
    assert {e["path"]: e["sha256"] for e in doc["files"]} == on_disk
    assert all((out / e["path"]).stat().st_size == e["size"] for e in doc["files"])
    assert set(on_disk) == {p.relative_to(out).as_posix() for p in files}
    assert set(on_disk) <= _planned(full_out.job)  # the up-front checks cover every output
    assert doc["folders"] == ["maps"]
    assert doc["geoai_version"] == geoai.__version__
    assert doc["job"]["presets"] == ["concentration"]
    assert datetime.fromisoformat(doc["written_utc"]).utcoffset().total_seconds() == 0


def test_a_move_that_fails_half_way_is_rolled_back_at_once(tmp_path, fast_out, monkeypatch):
    """A full disk after the first file moved in: the previous outputs come back, byte for byte."""
    out = _copy(fast_out, tmp_path / "out")
    (out / "NOTES.md").write_text("mine\n")
    before = _digest(out)
    real_replace = os.replace
    moved = []

    def flaky(src, dst):
        if ".tmp-" in str(src) and ".tmp-" not in str(dst):  # moving in, not a writer
            if moved:
                raise OSError(28, "No space left on device")
            moved.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    longer = {**FAST, "scenario": {**FAST["scenario"], "end": 2028}}  # other bytes
    with pytest.raises(geoai.OutputError, match=r"No space left on device.*as they were"):
        run(longer, out, overwrite=True, progress=False)
    monkeypatch.setattr(os, "replace", real_replace)
    assert len(moved) == 1  # one new file had moved in before the failure
    assert _digest(out) == before  # ... and was rolled back, with the manifest
    assert not (out / ".geoai-previous").exists()
    assert read_manifest(out).state == ""
    assert _no_staging_left(tmp_path)
    run(FAST, out, overwrite=True, progress=False)
    assert (out / "NOTES.md").read_text() == "mine\n"
    assert read_manifest(out).replacing == {}


def test_killed_overwrite_run_leaves_the_folder_as_it_was(tmp_path, fast_out):
    out = _copy(fast_out, tmp_path / "out")
    (out / "NOTES.md").write_text("mine\n")
    before = _digest(out)
    job = tmp_path / "job.toml"
    job.write_text('[scenario]\npresets = ["concentration", "exodus", "divergence"]\n')
    code = kill_while_staging(["run", str(job), "--out", str(out), "--overwrite", "-q"], tmp_path)
    assert code != 0
    assert _digest(out) == before
    assert _no_staging_left(tmp_path)


def test_run_refuses_a_folder_of_geoai_identify(tmp_path):
    """--overwrite on another command's folder would drop its outputs as 'no longer written'."""
    out = tmp_path / "ident"
    out.mkdir()
    (out / "identify.gpkg").write_bytes(b"not really a gpkg")
    manifest = {"format": "geoai-run/1", "job": {"command": "identify"}, "files": []}
    (out / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InputError, match="outputs of geoai identify"):
        run(None, out, overwrite=True, progress=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
