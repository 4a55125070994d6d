from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

import geoai

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
    known = geoai.load_countries().dropna(subset=["niip_usd"]).sort_values("niip_gdp")
    assert f"{len(known)} countries known" in " ".join(out.split())
    assert f"({known.index[0]})" in out
    assert f"({known.index[-1]})" in out
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


def test_run_on_own_metros_says_what_it_scaled(tmp_path):
    own = geoai.load_metros()
    own = own[own["country_iso3"].isin(["FRA", "DEU", "ITA"])].head(12)
    own = own[["metro_id", "name", "country_iso3", "population", "geometry"]].assign(
        metro_id=[f"own:{i}" for i in range(12)]
    )
    own.to_file(tmp_path / "mine.gpkg")
    job = tmp_path / "job.toml"
    job.write_text(
        '[data]\nmetros = "mine.gpkg"\n[scenario]\npresets = ["exodus"]\nend = 2030\n'
        "[grid]\nbounds = [-10, 35, 25, 60]\nresolution = 1.0\n"
        "[outputs]\nmaps = false\nqgis_project = false\nsensitivity = false\n"
    )
    res = run("run", "job.toml", "--out", "out", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    said = " ".join((res.stdout + res.stderr).split())
    assert "The 12 metros hold" in said
    assert "of the world's AI-leveraged roles" in said
    assert "no UN projection" in said
    assert "Headline figures" in said
    assert "e+0" not in res.stdout  # numbers for people, not scientific notation
