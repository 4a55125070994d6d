"""A user's own places: read, given countries and ids, and run end to end from the CLI."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from typer.testing import CliRunner

import geoai
from geoai.cli import app
from geoai.errors import CRSError, InputError
from geoai.pipeline._places import PlaceColumns, fit_grid, read_places, to_metros
from geoai.pipeline.job import load_job
from geoai.scenario import ScenarioParams

EUROPE = ("FRA", "DEU", "ITA", "ESP", "GBR", "POL", "NLD", "BEL", "PRT", "GRC", "AUT", "SWE")
EUROPE += ("CZE", "HUN", "ROU", "DNK", "FIN", "IRL", "NOR", "CHE")


def _european(n: int = 30) -> gpd.GeoDataFrame:
    """The ``n`` largest UN agglomerations of 20 European countries in 2025 (shipped data)."""
    metros = geoai.load_metros(0)
    return metros[metros["country_iso3"].isin(EUROPE)].head(n).reset_index(drop=True)


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.Series]:
    """A CSV of 30 cities (name, lon, lat, population) and the UN country of each."""
    eu = _european()
    table = pd.DataFrame(
        {
            "name": eu["name"],
            "lon": eu.geometry.x,
            "lat": eu.geometry.y,
            "population": eu["population"],
        }
    )
    folder = tmp_path_factory.mktemp("own")
    table.to_csv(folder / "cities.csv", index=False)
    table.attrs["folder"] = folder
    return table, eu["country_iso3"]


def test_countries_are_located_on_natural_earth(cities):
    table, un = cities
    path = table.attrs["folder"] / "cities.csv"
    metros = to_metros(read_places(path, PlaceColumns(id="name")), PlaceColumns(id="name"))
    assert metros["metro_id"].tolist() == table["name"].tolist()
    assert (metros["country_iso3"].to_numpy() == un.to_numpy()).all()
    assert metros["country_source"].str.startswith("modelled").all()
    assert "Natural Earth" in metros.attrs["source"]
    assert "your data: cities.csv" in metros.attrs["source"]
    assert "World Urbanization" not in metros.attrs["source"]
    assert metros["labour_source"].str.startswith("modelled").all()
    assert metros.crs.to_epsg() == 4326


def test_country_code_column_or_one_for_all(tmp_path):
    csv = tmp_path / "t.csv"
    pd.DataFrame(
        {"x": [4.84, 7.69], "y": [45.76, 45.07], "pop": [1.7e6, 1.8e6], "cc": ["fr", "ITA"]}
    ).to_csv(csv, index=False)
    cols = PlaceColumns(lon="x", lat="y", population="pop", country_column="cc")
    got = to_metros(read_places(csv, cols), cols)
    assert got["country_iso3"].tolist() == ["FRA", "ITA"]  # ISO2 read as ISO3
    assert got["metro_id"].tolist() == ["1", "2"]  # place_id, the fid a GeoPackage gives
    one = PlaceColumns(lon="x", lat="y", population="pop", country="che")
    assert set(to_metros(read_places(csv, one), one)["country_iso3"]) == {"CHE"}
    bad = PlaceColumns(lon="x", lat="y", population="pop", country="XXX")
    places = read_places(csv, bad)
    with pytest.raises(InputError, match="not an ISO3 code"):
        to_metros(places, bad)


def test_a_place_far_from_any_country_is_refused(tmp_path):
    csv = tmp_path / "sea.csv"
    pd.DataFrame({"lon": [2.35, -30.0], "lat": [48.86, 30.0], "population": [1e6, 1e5]}).to_csv(
        csv, index=False
    )
    with pytest.raises(InputError, match=r"farther than 100 km.*lines \[3\]"):
        to_metros(read_places(csv))


def test_ids_must_be_unique_and_columns_must_exist(tmp_path):
    csv = tmp_path / "d.csv"
    pd.DataFrame({"id": ["a", "a"], "lon": [0.0, 1.0], "lat": [0.0, 1.0], "pop": [1, 2]}).to_csv(
        csv, index=False
    )
    with pytest.raises(InputError, match=r"repeated ids \(first on lines \[2, 3\]\)"):
        read_places(csv, PlaceColumns(id="id", population="pop"))
    with pytest.raises(InputError, match=r"no column 'population' \(--population\).*'pop'"):
        read_places(csv, PlaceColumns(id="id"))


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3035"])
def test_fit_grid_holds_the_points_with_a_margin(crs):
    eu = _european().to_crs(crs)
    bounds, step, name = fit_grid(eu)
    assert name == crs
    x, y = eu.geometry.x.to_numpy(), eu.geometry.y.to_numpy()
    span = max(np.ptp(x), np.ptp(y))
    assert bounds[0] < x.min() - 0.09 * span
    assert bounds[2] > x.max() + 0.09 * span
    assert bounds[1] < y.min() - 0.09 * span
    assert bounds[3] > y.max() + 0.09 * span
    cells = max(bounds[2] - bounds[0], bounds[3] - bounds[1]) / step
    assert 150 <= cells <= 1100
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
    assert np.allclose(np.asarray(bounds) / step, np.round(np.asarray(bounds) / step))


def test_a_job_file_fits_its_grid_to_the_places(cities):
    table, _ = cities
    folder = table.attrs["folder"]
    job = load_job({"data": {"places": str(folder / "cities.csv"), "id": "name"}})
    assert job.grid_fitted
    assert job.bounds[2] - job.bounds[0] < 60  # Europe, not the world
    assert job.bounds[0] < table["lon"].min()
    assert job.bounds[2] > table["lon"].max()
    kept = load_job(
        {"data": {"places": str(folder / "cities.csv")}, "grid": {"bounds": [-20, 30, 40, 70]}}
    )
    assert kept.bounds == (-20, 30, 40, 70)
    assert not kept.grid_fitted
    with pytest.raises(InputError, match=r"no column 'pop' \(data.population\)"):
        load_job({"data": {"places": str(folder / "cities.csv"), "population": "pop"}})
    with pytest.raises(InputError, match="both places and metros"):
        load_job({"data": {"places": "a.csv", "metros": "b.csv"}})


JOB = """\
[scenario]
presets = ["exodus"]
end = 2028
[outputs]
maps = false
report = false
qgis_project = false
sensitivity = false
top_flows = 40
"""


@pytest.fixture(scope="module")
def own_run(cities):
    """``geoai run job.toml --places cities.csv ...`` once, in this process (CliRunner)."""
    table, _ = cities
    folder = table.attrs["folder"]
    (folder / "job.toml").write_text(JOB)
    args = ["run", str(folder / "job.toml"), "--places", str(folder / "cities.csv")]
    args += ["--lon", "lon", "--lat", "lat", "--crs", "EPSG:4326", "--id", "name"]
    args += ["--population", "population", "-o", str(folder / "out"), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), folder / "out", table


def test_the_run_credits_the_users_file(own_run):
    doc, _, _ = own_run
    assert "your data: cities.csv" in doc["attribution"]
    assert "World Urbanization" not in doc["attribution"]
    assert "GeoNames" not in doc["attribution"]


def test_every_output_carries_the_users_ids(own_run):
    _, out, table = own_run
    names = set(table["name"])
    metros = gpd.read_file(out / "geoai.gpkg", layer="metros_exodus")
    assert set(metros["metro_id"]) == names
    layers = [n for n in pyogrio.list_layers(out / "geoai.gpkg")[:, 0] if "flows" in n]
    assert layers  # talent and capital flows, in one layer or one per kind
    for layer in layers:
        lines = gpd.read_file(out / "geoai.gpkg", layer=layer)
        assert len(lines) > 0, layer
        assert set(lines["origin"]) | set(lines["destination"]) <= names, layer
    panel = pd.read_parquet(out / "panel.parquet")
    assert set(panel["metro_id"]) == names


def test_the_extent_fits_the_input(own_run):
    doc, out, table = own_run
    assert doc["grid"]["fitted"] is True
    xmin, ymin, xmax, ymax = doc["grid"]["bounds"]
    assert xmin < table["lon"].min() < table["lon"].max() < xmax
    assert ymin < table["lat"].min() < table["lat"].max() < ymax
    with rasterio.open(out / "potential_exodus.tif") as src:
        box = src.bounds
    assert box.left >= xmin - 1e-6
    assert box.right <= xmax + doc["grid"]["resolution"]
    assert box.right - box.left < 60
    assert box.top - box.bottom < 40


def test_no_world_sized_quantity(own_run):
    doc, out, table = own_run
    people = table["population"].sum()
    panel = pd.read_parquet(out / "panel.parquet")
    start = panel[panel["year"] == panel["year"].min()]
    assert np.isclose(start["population"].sum(), people, rtol=1e-9)
    by_year = panel.groupby("year")[["ai_jobs", "talent", "capital", "population"]].sum()
    world = ScenarioParams()
    assert (by_year["ai_jobs"] < 0.1 * world.ai_pool_max).all()  # 30 cities: a share
    assert (by_year["capital"] < 0.1 * world.capital_world).all()
    assert (by_year["talent"] < by_year["population"]).all()
    for metric, fig in doc["figures"].items():
        if fig["unit"] in ("jobs", "people"):
            assert fig["exodus"] <= people, metric


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--population", "pop"], r"no column 'pop' \(--population\); its columns: \['name'"),
        (["--crs", "EPSG:3035"], "EPSG:3035"),
        (["--crs", "EPSG:99999"], "crs"),
        (["--lon", "x"], r"no column\(s\) \['x'\]"),
        (["--id", "nope"], r"no column 'nope' \(--id\)"),
    ],
)
def test_bad_options_exit_2_in_one_line(cities, tmp_path, extra, message):
    table, _ = cities
    args = ["run", "--places", str(table.attrs["folder"] / "cities.csv"), *extra]
    res = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert len(res.stderr.strip().splitlines()) == 1
    assert re.search(message, res.stderr), res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_non_numeric_population_names_its_lines(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("name,lon,lat,population\nLyon,4.84,45.76,1.7e6\nTurin,7.69,45.07,many\n")
    res = CliRunner().invoke(app, ["run", "--places", str(csv), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "column 'population' (--population)" in res.stderr
    assert "lines [3]" in res.stderr


def test_a_geopackage_in_another_crs_refuses_a_contradicting_crs(tmp_path):
    eu = _european(5)[["name", "population", "geometry"]].to_crs(3035)
    eu.to_file(tmp_path / "eu.gpkg")
    got = read_places(tmp_path / "eu.gpkg", PlaceColumns(id="name"))
    assert got.crs.to_epsg() == 3035
    with pytest.raises(CRSError, match="carries its CRS"):
        read_places(tmp_path / "eu.gpkg", PlaceColumns(crs="EPSG:4326"))
