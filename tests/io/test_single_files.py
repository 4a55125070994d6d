"""Single files (``io.write_*``, ``geoai metros --out x.gpkg``): geoai replaces only its own.

The folder's ledger ``.geoai-files.json`` records what geoai wrote there; a
file it did not write, or one edited since, is never replaced, even with
``overwrite=True``. A killed writer's temporary file is removed by the next
write of the same file, which says so.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
from typer.testing import CliRunner

import geoai
from geoai.cli import app
from geoai.io import atomic_path, write_raster
from geoai.io._atomic import sweep_temporaries
from geoai.io._files import temp_prefix
from geoai.io._ledger import LEDGER_NAME, owned


def _raster():
    grid = geoai.Grid.from_bounds((0, 40, 10, 50), 1.0, crs="EPSG:4326")
    return grid.to_xarray(np.arange(100.0).reshape(10, 10), name="demo")


def _write(path, text):
    with atomic_path(path, overwrite=True) as tmp:
        tmp.write_text(text)


def test_geoai_replaces_its_own_file_and_records_it(tmp_path):
    target = tmp_path / "a.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("one")
    _write(target, "two")
    assert target.read_text() == "two"
    doc = json.loads((tmp_path / LEDGER_NAME).read_text())
    assert set(doc["files"]) == {"a.txt"}
    assert doc["files"]["a.txt"]["size"] == 3


@pytest.mark.parametrize("how", ["user file", "edited since", "ledger deleted"])
def test_overwrite_never_replaces_a_file_geoai_did_not_write(tmp_path, how):
    target = tmp_path / "a.txt"
    if how == "user file":
        target.write_text("my thesis")
    else:
        with atomic_path(target) as tmp:
            tmp.write_text("geoai's")
        if how == "edited since":
            target.write_text("my edit")
        else:
            (tmp_path / LEDGER_NAME).unlink()
    before = target.read_bytes()
    with pytest.raises(geoai.InputError, match=r"no record of writing it.*rename or delete it"):
        _write(target, "new")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp" in p.name) == []


def test_a_link_is_never_written_through(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("mine")
    (tmp_path / "link.txt").symlink_to(real)
    with pytest.raises(geoai.InputError, match="is a link"):
        _write(tmp_path / "link.txt", "new")
    assert real.read_text() == "mine"


def test_write_raster_refuses_a_user_tif_and_its_style(tmp_path):
    da = _raster()
    write_raster(da, tmp_path / "ok.tif")
    write_raster(da, tmp_path / "ok.tif", overwrite=True)  # its own: fine
    (tmp_path / "user.qml").write_text("my style")
    with pytest.raises(geoai.InputError, match=r"user\.qml"):
        write_raster(da, tmp_path / "user.tif", overwrite=True)
    assert (tmp_path / "user.qml").read_text() == "my style"
    assert not (tmp_path / "user.tif").exists()


def test_leftover_of_a_dead_writer_is_removed_and_reported(tmp_path, caplog):
    target = tmp_path / "a.txt"
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    dead = temp_prefix(target).rsplit("-", 2)[0] + f"-{proc.stdout.strip()}-x1y2z3.tmp.txt"
    (tmp_path / dead).write_text("half of a big file")
    alive = tmp_path / f"{temp_prefix(target)}abcd.tmp.txt"  # ours: this process is alive
    alive.write_text("being written")
    other_host = tmp_path / ".a.geoai-000000-1-zz.tmp.txt"
    other_host.write_text("another machine's")
    caplog.set_level("WARNING", logger="geoai")
    with atomic_path(target) as tmp:
        tmp.write_text("done")
    assert not (tmp_path / dead).exists()
    assert alive.exists()
    assert other_host.exists()
    assert "left by an interrupted write of a.txt" in caplog.text


def test_a_killed_write_raster_leaves_a_temporary_the_next_write_removes(tmp_path):
    target = tmp_path / "big.tif"
    script = (
        "import os, signal, sys, numpy as np, geoai, rasterio\n"
        "from geoai.io import write_raster\n"
        "grid = geoai.Grid.from_bounds((0, 40, 10, 50), 1.0, crs='EPSG:4326')\n"
        "da = grid.to_xarray(np.ones((10, 10)), name='x')\n"
        "real = rasterio.io.DatasetWriter.write\n"
        "def die(self, *a, **k):\n"
        "    real(self, *a, **k); os.kill(os.getpid(), signal.SIGKILL)\n"
        "rasterio.io.DatasetWriter.write = die\n"
        "write_raster(da, sys.argv[1])\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(target)], check=False, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()
    left = [p for p in tmp_path.iterdir() if ".tmp" in p.name]
    assert left  # the killed writer's staging file
    write_raster(_raster(), target)
    assert [p for p in tmp_path.iterdir() if ".tmp" in p.name] == []
    assert sweep_temporaries(target) == []


def test_concurrent_writers_in_one_folder_are_all_recorded(tmp_path):
    def write(i):
        with atomic_path(tmp_path / f"f{i}.txt") as tmp:
            tmp.write_text(str(i))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(owned(tmp_path / f"f{i}.txt") for i in range(16))


def test_cli_single_file_command_replaces_only_its_own_output(tmp_path):
    runner = CliRunner()
    places = tmp_path / "places.csv"
    places.write_text(
        "name,lon,lat,population\nLyon,4.84,45.76,520000\n"
        "Villeurbanne,4.88,45.77,150000\nTurin,7.69,45.07,870000\n"
    )
    out = tmp_path / "metros.gpkg"
    args = ["metros", str(places), "-o", str(out)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0
    mine = tmp_path / "mine.gpkg"
    mine.write_bytes(b"a user's GeoPackage")
    res = runner.invoke(app, [*args[:-1], str(mine), "--overwrite"])
    assert res.exit_code == 2
    assert "no record of writing it" in res.output
    assert "Traceback" not in res.output
    assert mine.read_bytes() == b"a user's GeoPackage"
