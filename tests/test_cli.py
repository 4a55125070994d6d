from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import typer.main
from typer.testing import CliRunner

import geoai
from geoai._version import __version__
from geoai.cli import app

GEOAI = [sys.executable, "-c", "from geoai.cli import main; main()"]

#: What ``geoai --help`` must not load (the point of a CLI that starts at once).
HEAVY = (
    "numpy",
    "pandas",
    "numba",
    "geopandas",
    "pyproj",
    "rasterio",
    "shapely",
    "dask",
    "matplotlib",
    "xarray",
    "scipy",
    "pyogrio",
    "osmnx",
    "networkx",
)
COMMANDS = {c.name: c for c in typer.main.get_command(app).commands.values()}  # type: ignore[attr-defined]
WRITERS = sorted(set(COMMANDS) - {"summary", "warmup"})  # warmup writes only the Numba cache

# Runs ``geoai ARGS`` in this interpreter, then (on its way out: the command ends the process)
# prints the heavy modules it loaded; a control import of numpy afterwards proves the check
# sees a heavy import when there is one.
PROBE = """
import atexit, json, sys
from geoai.cli import main
heavy = {heavy!r}
def loaded():
    return sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))
def report():
    after = loaded()
    import numpy
    print(json.dumps({{"loaded": after, "control": loaded()}}))
atexit.register(report)
sys.argv = ["geoai", *{args!r}]
main()
"""


def run(*args, cwd=None):
    return subprocess.run(
        [*GEOAI, *args], check=False, capture_output=True, text=True, cwd=cwd, timeout=120
    )


def probe(*args: str) -> dict:
    code = PROBE.format(heavy=HEAVY, args=list(args))
    res = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    return {"code": res.returncode, **json.loads(res.stdout.strip().splitlines()[-1])}


def test_entry_point_is_installed():
    exe = Path(sys.executable).with_name("geoai")
    assert exe.is_file(), f"no console script at {exe}; pip install -e ."
    assert os.access(exe, os.X_OK)
    res = subprocess.run([exe, "--version"], check=False, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"geoai {__version__}\n"


def test_version_prints_and_exits_0():
    res = run("--version")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"geoai {geoai.__version__}"
    assert res.stderr == ""


def test_every_command_is_probed():
    assert {"summary", "metros", "run", "identify", "init-job", "classify"} <= set(COMMANDS)
    assert {"flows", "potential", "access"} <= set(COMMANDS)


HELPS = [["--help"], ["--version"], *([c, "--help"] for c in COMMANDS)]


@pytest.mark.parametrize("args", HELPS, ids=[" ".join(a) for a in HELPS])
def test_help_imports_nothing_heavy(args):
    got = probe(*args)
    assert got["code"] in (0, None)
    assert got["loaded"] == []
    assert "numpy" in got["control"]  # the probe does see a heavy import


@pytest.mark.parametrize("name", WRITERS)
def test_every_writing_command_takes_the_same_options(name):
    opts = {o for p in COMMANDS[name].params for o in p.opts}
    assert {"-o", "--output", "--overwrite", "-v", "--verbose", "-q", "--quiet", "--json"} <= opts


def test_old_spellings_still_parse():
    opts = {
        n: {o for p in c.params for o in (*p.opts, *p.secondary_opts)} for n, c in COMMANDS.items()
    }
    assert "--out" in opts["run"]
    assert "--out" in opts["access"]
    assert {"-v", "-q", "--json"} <= opts["summary"]
    assert all("--no-overwrite" in opts[n] for n in WRITERS)


def test_init_job_takes_o_and_refuses_two_targets(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["init-job", "-o", str(tmp_path / "a.toml"), "-q"])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    assert "[scenario]" in (tmp_path / "a.toml").read_text()
    both = runner.invoke(app, ["init-job", str(tmp_path / "b.toml"), "-o", str(tmp_path / "c")])
    assert both.exit_code == 2
    assert "give one of them" in both.stderr
    none = runner.invoke(app, ["init-job"])
    assert none.exit_code == 2
    assert not (tmp_path / "b.toml").exists()
    assert not (tmp_path / "c").exists()


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
    quiet = run("metros", str(csv), "-o", str(tmp_path / "q.gpkg"), "--density", "0", "-q")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == ""
    assert (tmp_path / "q.gpkg").stat().st_size > 0
    js = run("metros", str(csv), "--output", str(tmp_path / "j.gpkg"), "--density", "0", "--json")
    assert js.returncode == 0, js.stderr
    doc = json.loads(js.stdout)
    assert doc["command"] == "metros"
    assert doc["written"] == [
        {"path": str(tmp_path / "j.gpkg"), "bytes": (tmp_path / "j.gpkg").stat().st_size}
    ]
    assert doc["figures"]["places"] == 3
    assert doc["figures"]["agglomerations"] == len(gpd.read_file(tmp_path / "j.gpkg"))
    assert doc["figures"]["population"] == 230_000
    before = out.read_bytes()
    again = run("metros", str(csv), "-o", str(out))
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert out.read_bytes() == before
    failed = run("metros", str(csv), "-o", str(out), "--json")
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert len(failed.stderr.strip().splitlines()) == 1


def test_quiet_restores_logging_after_the_command(tmp_path):
    logger = logging.getLogger("geoai")
    level = logger.level
    res = CliRunner().invoke(app, ["init-job", str(tmp_path / "j.toml"), "-q"])
    assert res.exit_code == 0, res.output
    assert logger.level == level


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
    after = run(*[a.format(csv=csv) for a in args], "--verbose", cwd=tmp_path)  # per command
    assert "Traceback" in after.stderr


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


def test_run_json_is_the_only_thing_on_stdout(tmp_path):
    own = geoai.load_metros()
    own = own[own["country_iso3"].isin(["FRA", "DEU", "ITA"])].head(12)
    own = own[["metro_id", "name", "country_iso3", "population", "geometry"]].assign(
        metro_id=[f"own:{i}" for i in range(12)]
    )
    own.to_file(tmp_path / "mine.gpkg")
    (tmp_path / "job.toml").write_text(
        '[data]\nmetros = "mine.gpkg"\n[scenario]\npresets = ["exodus", "divergence"]\n'
        "end = 2030\n[grid]\nbounds = [-10, 35, 25, 60]\nresolution = 1.0\n"
        "[outputs]\nmaps = false\nqgis_project = false\nsensitivity = false\n"
    )
    res = run("run", "job.toml", "-o", "out", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)  # the whole of stdout is one JSON document
    assert doc["command"] == "run"
    assert doc["kind"] == "modelled"
    assert doc["presets"] == ["exodus", "divergence"]
    out = tmp_path / "out"
    on_disk = {p for p in out.rglob("*") if p.is_file()}
    listed = {tmp_path / e["path"] for e in doc["written"]}
    assert listed == on_disk
    for e in doc["written"]:
        assert (tmp_path / e["path"]).stat().st_size == e["bytes"]
    assert len(pd.read_parquet(out / "panel.parquet")) > 0  # the listed outputs are real
    assert doc["figures"]
    for fig in doc["figures"].values():
        assert set(fig) == {"unit", "exodus", "divergence"}
        assert all(v is None or isinstance(v, int | float) for k, v in fig.items() if k != "unit")
    assert "Written to" not in res.stdout
    assert "The 12 metros hold" in " ".join(res.stderr.split())  # notes still reach stderr


def _towns(tmp_path: Path, *, ids: bool = True) -> Path:
    """Ten real European agglomerations as a CSV with x, y and pop columns (UN 2025)."""
    eu = geoai.load_metros(0)
    eu = eu[eu["country_iso3"].isin(["FRA", "DEU", "ITA", "ESP", "NLD", "BEL"])].head(10)
    table = pd.DataFrame({"x": eu.geometry.x, "y": eu.geometry.y, "pop": eu["population"]})
    if ids:
        table.insert(0, "town", eu["name"].to_numpy())
    path = tmp_path / ("towns.csv" if ids else "anon.csv")
    table.to_csv(path, index=False)
    return path


OWN = ["--lon", "x", "--lat", "y", "--crs", "EPSG:4326"]


@pytest.mark.parametrize("constraint", ["none", "production", "attraction", "doubly"])
def test_flows_on_own_places_every_constraint(tmp_path, constraint):
    csv = _towns(tmp_path)
    out = tmp_path / "f.gpkg"
    args = ["flows", str(csv), *OWN, "--id", "town", "--mass", "pop", "--top", "40"]
    res = CliRunner().invoke(app, [*args, "--constraint", constraint, "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert "your data: towns.csv" in doc["attribution"]
    places = gpd.read_file(out, layer="places")
    lines = gpd.read_file(out, layer="flows")
    towns = set(pd.read_csv(csv)["town"])
    assert set(places["town"]) == towns  # the user's id column, under its name
    assert len(lines) > 0
    assert set(lines["origin"]) | set(lines["destination"]) <= towns
    pop = places["pop"].to_numpy(float)
    if constraint in ("production", "doubly"):
        assert np.allclose(places["outflow"], pop, rtol=1e-6)
    if constraint in ("attraction", "doubly"):
        assert np.allclose(places["inflow"], pop * pop.sum() / pop.sum(), rtol=1e-5)
    assert (places["outflow"] > 0).all()
    assert np.isclose(places["net"].sum(), 0, atol=1e-6 * pop.sum())


def test_flows_without_ids_use_the_places_fid(tmp_path):
    csv = _towns(tmp_path, ids=False)
    out = tmp_path / "f.gpkg"
    res = CliRunner().invoke(app, ["flows", str(csv), *OWN, "--mass", "pop", "-o", str(out)])
    assert res.exit_code == 0, res.output
    places = pyogrio.read_dataframe(out, layer="places", fid_as_index=True)
    assert (places["place_id"].to_numpy() == places.index.to_numpy()).all()  # fid = id
    assert places.index.min() == 1
    lines = gpd.read_file(out, layer="flows")
    assert set(lines["origin"]) <= set(places.index)
    assert 0 not in set(lines["origin"]) | set(lines["destination"])


def test_flows_calibrates_on_observed_flows(tmp_path):
    csv = _towns(tmp_path)
    towns = pd.read_csv(csv)
    gdf = gpd.GeoDataFrame(towns, geometry=gpd.points_from_xy(towns.x, towns.y), crs=4326)
    km = geoai.flows.cost_matrix(gdf)
    o, d = np.nonzero(np.isfinite(km))
    pop = towns["pop"].to_numpy(float)
    observed = pd.DataFrame(
        {
            "from": towns["town"].to_numpy()[o],
            "to": towns["town"].to_numpy()[d],
            "trips": 1e-7 * pop[o] * pop[d] * km[o, d] ** -1.7,
        }
    )
    observed.to_csv(tmp_path / "trips.csv", index=False)
    args = ["flows", str(csv), *OWN, "--id", "town", "--mass", "pop", "--decay", "power"]
    args += ["--constraint", "none", "--observed", str(tmp_path / "trips.csv")]
    args += ["--observed-origin", "from", "--observed-destination", "to"]
    args += ["--observed-flow", "trips", "-o", str(tmp_path / "f.gpkg"), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    fit = json.loads(res.stdout)["figures"]["calibration"]
    assert fit["beta"] == pytest.approx(1.7, rel=1e-4)
    assert fit["alpha"] == pytest.approx(1.0, rel=1e-4)
    assert fit["pairs"] == len(observed)
    places = gpd.read_file(tmp_path / "f.gpkg", layer="places")
    assert places["outflow"].sum() == pytest.approx(observed["trips"].sum(), rel=1e-4)
    bad = CliRunner().invoke(app, [*args[:-5], "--observed-flow", "n", "-o", str(tmp_path / "g")])
    assert bad.exit_code == 2
    assert "no column(s) ['n']" in bad.stderr


def test_potential_fits_its_grid_to_the_data(tmp_path):
    import rasterio

    csv = _towns(tmp_path)
    out = tmp_path / "p.tif"
    args = ["potential", str(csv), *OWN, "--population", "pop", "-o", str(out), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    towns = pd.read_csv(csv)
    xmin, ymin, xmax, ymax = doc["figures"]["bounds"]
    assert xmin < towns.x.min() < towns.x.max() < xmax
    assert ymin < towns.y.min() < towns.y.max() < ymax
    assert xmax - xmin < 40  # a European extent, not -180..180
    with rasterio.open(out) as src:
        assert src.bounds.left == pytest.approx(xmin)
        assert src.width <= 450
    given = ["--bounds", "-10,35,25,60", "--resolution", "0.5", "-o", str(tmp_path / "q.tif")]
    res = CliRunner().invoke(app, [*args[:-3], *given])
    assert res.exit_code == 0, res.output
    with rasterio.open(tmp_path / "q.tif") as src:
        assert (src.width, src.height) == (70, 50)


def test_classify_on_own_places_keeps_the_ids(tmp_path):
    csv = _towns(tmp_path)
    towns = pd.read_csv(csv)
    towns["jobs_augmentable"] = towns["pop"] * np.linspace(0.05, 0.2, len(towns))
    towns["jobs"] = towns["pop"] * 0.5
    towns.to_csv(csv, index=False)
    out = tmp_path / "r.gpkg"
    args = ["classify", str(csv), *OWN, "--id", "town", "--population", "pop", "-o", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    roles = gpd.read_file(out)
    assert set(roles["town"]) == set(towns["town"])
    assert roles["role"].notna().all()


@pytest.mark.parametrize("given", [None, "ACTIVE"])
def test_the_command_lets_idle_openmp_threads_sleep_unless_told(given):
    """``geoai`` sets OMP_WAIT_POLICY=PASSIVE before OpenMP starts (a user's value wins)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given is not None:
        env["OMP_WAIT_POLICY"] = given
    probe = (
        "import atexit, os, sys\n"
        "atexit.register(lambda: print('policy', os.environ['OMP_WAIT_POLICY'],"
        " 'numba' in sys.modules))\n"
        "sys.argv = ['geoai', '--help']\n"
        "from geoai.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == f"policy {given or 'PASSIVE'} False"


@pytest.mark.parametrize(
    ("code", "status", "stderr"),
    [("None", 0, ""), ("0", 0, ""), ("3", 3, ""), ("'stopped here'", 1, "stopped here")],
)
def test_the_command_exits_at_once_after_its_exit_handlers(tmp_path, code, status, stderr):
    """The fast exit keeps the status, runs atexit handlers, flushes output and stops there."""
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(tmp_path / 'handler')!r}, 'w').write('ran'))\n"
        "import geoai.cli._app as cli\n"
        f"cli.app = lambda: (print('written, unflushed', end=''), sys.exit({code}))\n"
        "cli.main()\n"
        "print('after main')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == status
    assert done.stdout == "written, unflushed"  # flushed, and nothing ran after main()
    assert done.stderr.strip() == stderr
    assert (tmp_path / "handler").read_text() == "ran"


def test_the_command_waits_for_a_thread_still_running(tmp_path):
    """With a non-daemon thread alive, the exit is the usual one: the thread finishes first."""
    probe = (
        "import threading, time, sys\n"
        "import geoai.cli._app as cli\n"
        f"def work():\n    time.sleep(0.3); open({str(tmp_path / 'done')!r}, 'w').write('x')\n"
        "def app():\n    threading.Thread(target=work).start(); sys.exit(4)\n"
        "cli.app = app\n"
        "cli.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 4
    assert (tmp_path / "done").read_text() == "x"
