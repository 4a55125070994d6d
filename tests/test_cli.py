from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

GEOAI = [sys.executable, "-c", "from geoai.cli import main; main()"]


def run(*args, cwd=None):
    return subprocess.run(
        [*GEOAI, *args], check=False, capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_entry_point_is_installed():
    assert shutil.which("geoai") or (sys.prefix and (sys.prefix + "/bin/geoai"))


def test_summary_prints_real_data():
    res = run("summary", "--top", "5")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "Tokyo" in out
    assert "agglomerations" in out
    assert "-26.23" in out  # the US NIIP from seed 000
    assert "modelled" in out
    assert "observed" in out
    assert "World Urbanization Prospects 2018 (CC BY 3.0 IGO)" in out
    assert "BLS OEWS" in out


def test_metros_command(tmp_path):
    csv = tmp_path / "places.csv"
    pd.DataFrame(
        {
            "name": ["a", "b", "c"],
            "lon": [0.0, 0.03, 5.0],
            "lat": [0.0, 0.0, 0.0],
            "population": [100_000, 50_000, 80_000],
        }
    ).to_csv(csv, index=False)
    out = tmp_path / "metros.gpkg"
    res = run("metros", str(csv), "-o", str(out), "--link-km", "5", "--density", "0")
    assert res.returncode == 0, res.stderr
    assert "wrote 2 agglomerations from 3 places" in res.stdout
    before = out.read_bytes()
    again = run("metros", str(csv), "-o", str(out))
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["metros", "missing.csv", "-o", "x.gpkg"], "does not exist"),
        (["metros", "{csv}", "-o", "x.gpkg", "--link-km", "-1"], "link_km must be"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, args, message):
    csv = tmp_path / "p.csv"
    pd.DataFrame({"name": ["a"], "lon": [0.0], "lat": [0.0], "population": [1e5]}).to_csv(csv)
    res = run(*[a.format(csv=csv) for a in args], cwd=tmp_path)
    assert res.returncode == 2
    assert message in res.stderr
    assert "Traceback" not in res.stderr
    verbose = run("-v", *[a.format(csv=csv) for a in args], cwd=tmp_path)
    assert "Traceback" in verbose.stderr
