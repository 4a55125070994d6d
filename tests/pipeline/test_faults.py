"""Faults during a run: kills at five points, a full disk, lost permissions, two runs at once.

Each kill is a real ``SIGKILL`` of a real run in a child process, sent from
inside the run at a chosen point (a patched function kills its own
process), so the point is exact and the test is repeatable. After each kill
the previous outputs must be complete and readable, and the next run must
clean up what was left, say so, and write a correct folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyogrio
import pytest
from typer.testing import CliRunner

import geoai
from geoai.cli import app
from geoai.io._lock import folder_lock, lock_path
from geoai.io._manifest import MANIFEST_NAME, read_manifest
from geoai.io._outputs import BACKUP
from geoai.pipeline import run
from tests._runs import kill_while_staging
from tests._system import SYSTEM_PYTHON

_FEW = {
    "data": {"min_population": 5_000_000},
    "scenario": {"presets": ["concentration"], "start": 2025, "end": 2027},
    "grid": {"resolution": 10.0},
}
FAST = {
    **_FEW,
    "outputs": {"maps": False, "report": False, "qgis_project": False, "rasters": False},
}
LONGER = {**FAST, "scenario": {**FAST["scenario"], "end": 2028}}  # other bytes, same files
FULL = {**_FEW, "outputs": {"top_flows": 20}}

#: Run a job in a child process that SIGKILLs itself at one point of the run.
KILLER = r"""
import json, os, signal, sys
import geoai.io._outputs as outputs
import geoai.pipeline._run as pipeline_run
import pyogrio

point, job, out, overwrite = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"

def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def after(n, real):  # let n calls through, die on the next
    calls = []
    def wrapped(*args, **kwargs):
        if len(calls) >= n:
            die()
        calls.append(1)
        return real(*args, **kwargs)
    return wrapped

if point == "writing":  # half-way through writing the GeoPackage into the staging folder
    pyogrio.write_dataframe = after(1, pyogrio.write_dataframe)
elif point == "staged":  # every output staged, nothing swapped yet
    outputs.OutputFolder.commit = die
elif point == "moving":  # journal written, one new file moved in, the others not
    outputs._replace = after(1, outputs._replace)
elif point == "committed":  # the new manifest written, the previous files still in the backup
    outputs._discard = die
elif point == "renaming":  # a new folder: the staging folder complete, not yet renamed
    outputs.rename_noreplace = die
elif point == "rolling-back":  # the next run killed while it undoes an interrupted move-in
    outputs._replace = after(0, outputs._replace)
elif point == "slow":  # hold the lock a while (for the concurrency test)
    import time
    real_commit = outputs.OutputFolder.commit
    def slow(self, info):
        time.sleep(4)
        return real_commit(self, info)
    outputs.OutputFolder.commit = slow
pipeline_run.run(job, out, overwrite=overwrite, progress=False)
"""


def _digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (hidden ones too), by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _leftovers(parent: Path) -> list[str]:
    """Entries a run leaves only when interrupted: staging folders, lock files, backups."""
    found = [p.name for p in parent.iterdir() if ".tmp-" in p.name or "geoai-lock" in p.name]
    return found + [str(p) for p in parent.rglob(BACKUP)]


def _killed(point: str, job: dict, out: Path, *, overwrite: bool = True) -> int:
    args = [
        sys.executable,
        "-c",
        KILLER,
        point,
        json.dumps(job),
        str(out),
        "1" if overwrite else "0",
    ]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode


def _readable(out: Path) -> None:
    """Every layer of the GeoPackage reads with GDAL; the manifest parses; the panel opens."""
    for name in pyogrio.list_layers(out / "geoai.gpkg")[:, 0]:
        pyogrio.read_dataframe(out / "geoai.gpkg", layer=name, max_features=5)
    assert read_manifest(out) is not None
    import pandas as pd

    assert len(pd.read_parquet(out / "panel.parquet")) > 0


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A FAST run's folder, with a user's note in it (copy before use)."""
    out = tmp_path_factory.mktemp("prev") / "out"
    run(FAST, out, progress=False)
    (out / "NOTES.md").write_text("my notes\n")
    return out


@pytest.fixture
def out(tmp_path, previous):
    folder = tmp_path / "out"
    shutil.copytree(previous, folder)
    return folder


@pytest.mark.parametrize("point", ["writing", "staged", "committed"])
def test_a_kill_leaves_complete_outputs_and_the_next_run_cleans_up(point, out, previous, caplog):
    code = _killed(point, LONGER, out)
    assert code == -signal.SIGKILL
    now = _digest(out)
    if point == "committed":  # the new outputs are in: complete, the old ones in the backup
        assert read_manifest(out).discard
        assert now["NOTES.md"] == _digest(previous)["NOTES.md"]
    else:
        assert now == _digest(previous)  # byte for byte, the user's note included
    _readable(out)
    caplog.set_level("WARNING", logger="geoai")
    run(FAST, out, overwrite=True, progress=False)
    assert _leftovers(out.parent) == []
    assert (out / "NOTES.md").read_text() == "my notes\n"
    assert _digest(out).keys() == _digest(previous).keys()
    if point != "committed":  # a staging folder was left: the run said it removed it
        assert "left by an interrupted geoai run" in caplog.text
    _readable(out)


def test_a_kill_while_moving_in_is_rolled_back_by_the_next_run(out, previous, caplog):
    before = _digest(previous)
    assert _killed("moving", LONGER, out) == -signal.SIGKILL
    journal = read_manifest(out)
    assert journal.state == "moving"
    backup = _digest(out / BACKUP)
    assert {k: v for k, v in backup.items() if k != MANIFEST_NAME} == {
        k: v for k, v in before.items() if k not in ("NOTES.md", MANIFEST_NAME)
    }  # the previous outputs are complete in the backup
    for rel, digest in _digest(out).items():  # and every file in place is one complete version
        if not rel.startswith(BACKUP) and rel not in (MANIFEST_NAME, "NOTES.md"):
            assert digest in (before[rel], journal.files[rel].sha256)
    _readable(out)
    caplog.set_level("WARNING", logger="geoai")
    with pytest.raises(InterruptedError):  # recovery alone: the run stops before computing
        with_recovery_only(out)
    assert "rolled back an interrupted geoai run" in caplog.text
    assert _digest(out) == before
    assert _leftovers(out.parent) == []


def with_recovery_only(out: Path) -> None:
    """Run with overwrite but stop as soon as the folder is recovered (before any work)."""
    import geoai.pipeline._run as pipeline_run

    real = pipeline_run._run_into

    def stop(*_args, **_kwargs):
        raise InterruptedError

    pipeline_run._run_into = stop
    try:
        run(FAST, out, overwrite=True, progress=False)
    finally:
        pipeline_run._run_into = real


def test_a_run_killed_while_rolling_back_is_rolled_back_by_the_one_after(out, previous):
    before = _digest(previous)
    assert _killed("moving", LONGER, out) == -signal.SIGKILL
    assert _killed("rolling-back", FAST, out) == -signal.SIGKILL
    assert read_manifest(out).state == "moving"  # still the journal: nothing was lost
    run(FAST, out, overwrite=True, progress=False)
    assert _digest(out).keys() == before.keys()
    assert (out / "NOTES.md").read_text() == "my notes\n"
    assert _leftovers(out.parent) == []


def test_a_kill_before_the_first_rename_leaves_no_folder_and_is_cleaned(tmp_path, caplog):
    out = tmp_path / "new"
    assert _killed("renaming", FAST, out, overwrite=False) == -signal.SIGKILL
    assert not out.exists()
    stages = [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert len(stages) == 1  # complete, but hidden: nothing at out
    caplog.set_level("WARNING", logger="geoai")
    run(FAST, out, progress=False)
    assert "left by an interrupted geoai run" in caplog.text
    assert _leftovers(tmp_path) == []
    _readable(out)


QGIS_OPENS = r"""
import json, os, sys
from qgis.core import QgsApplication, QgsProject
app = QgsApplication([], False)
app.initQgis()
seen = {}
for path in sys.argv[1:]:
    project = QgsProject.instance()
    project.clear()
    ok = project.read(path)
    layers = list(project.mapLayers().values())
    seen[path] = [bool(ok), len(layers), sum(lyr.isValid() for lyr in layers)]
print(json.dumps(seen))
sys.stdout.flush()
os._exit(0)
"""


@pytest.mark.qgis
def test_qgis_opens_the_outputs_after_a_kill_at_each_of_five_points(tmp_path):
    """Killed at any point, the folder's project opens in QGIS with every layer valid."""
    first = tmp_path / "first"
    run(FULL, first, progress=False)
    again = {**FULL, "scenario": {**FULL["scenario"], "end": 2028}}
    folders = {}
    for point in ("writing", "staged", "moving", "committed"):
        folders[point] = shutil.copytree(first, tmp_path / point)
        assert _killed(point, again, folders[point]) == -signal.SIGKILL
    folders["rolling-back"] = shutil.copytree(folders["moving"], tmp_path / "rolling-back")
    assert _killed("rolling-back", FULL, folders["rolling-back"]) == -signal.SIGKILL
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    projects = [str(f / "project.qgz") for f in folders.values()]
    proc = subprocess.run(
        [SYSTEM_PYTHON, "-c", QGIS_OPENS, *projects],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path, check=False,
    )  # fmt: skip
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert line, proc.stderr[-800:]
    seen = json.loads(line[-1])
    for path, (ok, n_layers, n_valid) in seen.items():
        assert ok, path
        assert n_layers > 0, path
        assert n_valid == n_layers, path
    for point, folder in folders.items():  # and the next run leaves each one clean
        with pytest.raises(InterruptedError):
            with_recovery_only(folder)
        assert not (folder / BACKUP).exists(), point
        assert read_manifest(folder).state == "", point
    assert _digest(folders["moving"]) == _digest(first)
    assert _digest(folders["rolling-back"]) == _digest(first)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT])
def test_a_hang_up_or_ctrl_c_stops_a_run_cleanly(sig, out, previous):
    job = out.parent / "job.toml"
    job.write_text('[scenario]\npresets = ["concentration", "exodus", "divergence"]\n')
    args = ["run", str(job), "--out", str(out), "--overwrite", "-q"]
    code = kill_while_staging(args, out.parent, sig=sig)
    if sig == signal.SIGHUP:
        assert code == 128 + signal.SIGHUP  # SystemExit(129), as a shell reports a hang-up
    else:
        assert code != 0
    assert _digest(out) == _digest(previous)
    assert [p for p in _leftovers(out.parent) if not p.endswith("job.toml")] == []


# --- the file system fails -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("errno_", "text"), [(28, "No space left on device"), (13, "Permission denied")]
)
def test_a_writer_failing_mid_run_leaves_the_previous_outputs(errno_, text, out, previous,
                                                                monkeypatch):  # fmt: skip
    real = pyogrio.write_dataframe
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno_, text)
        return real(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", failing)
    with pytest.raises(geoai.OutputError, match=text):
        run(LONGER, out, overwrite=True, progress=False)
    assert _digest(out) == _digest(previous)
    assert _leftovers(out.parent) == []


def test_permission_lost_while_moving_in_is_rolled_back(out, previous, monkeypatch):
    import geoai.io._outputs as outputs

    real = outputs._replace
    calls = []

    def denied(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # after one file moved in
            raise PermissionError(13, "Permission denied", str(dst))
        real(src, dst)

    monkeypatch.setattr(outputs, "_replace", denied)
    with pytest.raises(geoai.OutputError, match="Permission denied"):
        run(LONGER, out, overwrite=True, progress=False)
    assert _digest(out) == _digest(previous)
    assert _leftovers(out.parent) == []


def test_a_parent_that_cannot_be_written_is_a_clear_error():
    for target in (Path("/proc/geoai-out"), Path("/proc/1/geoai/out")):
        with pytest.raises(geoai.InputError, match="choose a folder you can write"):
            run(FAST, target, progress=False)
    res = CliRunner().invoke(app, ["run", "--out", "/proc/geoai-out"])
    assert res.exit_code == 2
    assert "Traceback" not in res.output


# --- two runs at once ----------------------------------------------------------------------


def test_a_second_run_on_a_locked_folder_exits_2(tmp_path):
    out = tmp_path / "out"
    with folder_lock(out.resolve(), str(out)):
        res = CliRunner().invoke(app, ["run", "--out", str(out)])
        assert res.exit_code == 2
        assert "another geoai run is writing" in res.output
        assert f"process {os.getpid()}" in res.output
    assert not out.exists()
    assert not lock_path(out).exists()


def test_two_concurrent_runs_one_writes_the_other_is_refused(tmp_path):
    out = tmp_path / "out"
    args = [sys.executable, "-c", KILLER, "slow", json.dumps(FAST), str(out), "1"]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as first:
        deadline = time.monotonic() + 120
        while not lock_path(out).exists():
            assert first.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = CliRunner().invoke(app, ["run", "--out", str(out), "--overwrite"])
        first.wait(timeout=300)
    assert second.exit_code == 2
    assert "another geoai run is writing" in second.output
    assert first.returncode == 0
    _readable(out)
    assert _leftovers(tmp_path) == []
