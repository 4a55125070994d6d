"""UN World Urbanization Prospects 2018: the default metros and the population panel."""

from __future__ import annotations

import csv
import importlib.util
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import geoai
from geoai import InputError
from geoai.datasets import data_path, load_metro_panel, wup_agglomerations
from geoai.labour import JOB_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
WUP = ROOT / "data" / "un_wup2018"
RAW_CSV = WUP / "source" / "WUP2018-F22-Cities_Over_300K_Annual.csv"
YEARS = list(range(1950, 2036))
SOURCE = (
    "United Nations, DESA, Population Division (2018). World Urbanization Prospects: "
    "The 2018 Revision (CC BY 3.0 IGO)"
)


def people(thousands: str) -> int:
    """The UN value (thousands, three decimals) in people, without float rounding."""
    return int(Decimal(thousands) * 1000)


@pytest.fixture(scope="module")
def raw() -> list[dict[str, str]]:
    with RAW_CSV.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def raw_by_id(raw) -> dict[str, dict[str, str]]:
    return {"wup:" + r["City Code"]: r for r in raw}


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("wup_build", WUP / "build.py")
    if spec is None or spec.loader is None:
        pytest.fail("data/un_wup2018/build.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def metros():
    return geoai.load_metros()


def one(metros: pd.DataFrame, name: str, iso3: str) -> pd.Series:
    rows = metros[(metros["name"] == name) & (metros["country_iso3"] == iso3)]
    assert len(rows) == 1, f"{name} ({iso3}) appears {len(rows)} times"
    return rows.iloc[0]


# ---------------------------------------------------------------- agglomerations of one year


def test_default_metros_contract(metros):
    assert len(metros) >= 540
    assert (metros["population"] >= 1_000_000).all()
    assert metros["population"].dtype == np.int64
    assert metros["population"].is_monotonic_decreasing
    assert metros["metro_id"].is_unique
    assert metros["metro_id"].str.fullmatch(r"wup:\d+").all()
    assert metros.crs.to_epsg() == 4326
    assert (metros.geom_type == "Point").all()
    assert metros.geometry.x.between(-180, 180).all()
    assert metros.geometry.y.between(-90, 90).all()
    assert set(metros["population_kind"]) == {"projection"}
    assert set(metros["statistical_concept"]) <= {
        "city proper",
        "urban agglomeration",
        "metropolitan area",
    }
    assert (metros["countries"] == metros["country_iso3"]).all()
    assert metros["gdp_pc_usd"].notna().all()
    assert metros["labour_source"].str.match(r"(modelled|observed): ").all()
    assert set(JOB_COLUMNS) <= set(metros.attrs["modelled_columns"])
    assert metros.attrs["source"].startswith(SOURCE)
    assert metros.attrs["year"] == 2025
    assert metros[list(JOB_COLUMNS)].notna().all().all()


def test_wup_agglomerations_columns_and_attrs():
    gdf = wup_agglomerations()
    assert list(gdf.columns) == [
        "metro_id",
        "name",
        "country_iso3",
        "population",
        "population_kind",
        "statistical_concept",
        "geometry",
    ]
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.attrs == {"source": SOURCE, "year": 2025, "population_kind": "projection"}
    assert len(gdf) == len(geoai.load_metros())


def test_us_agglomerations_are_single_with_un_populations(metros, raw):
    us = {r["Urban Agglomeration"]: r for r in raw if r["Country Code"] == "840"}
    for name in ("Detroit", "Atlanta", "Pittsburgh", "St. Louis"):
        row = one(metros, name, "USA")
        assert row["metro_id"] == "wup:" + us[name]["City Code"]
        assert row["population"] == people(us[name]["2025"])
        for year in (1950, 2015, 2035):
            past = wup_agglomerations(year, min_population=0)
            assert one(past, name, "USA")["population"] == people(us[name][str(year)])


def test_border_pairs_stay_separate(metros):
    san_diego = one(metros, "San Diego", "USA")
    tijuana = one(metros, "Tijuana", "MEX")
    assert san_diego["metro_id"] != tijuana["metro_id"]
    assert san_diego.geometry.distance(tijuana.geometry) > 0.1  # degrees: two UN centres


def test_special_areas_have_their_own_iso3(raw):
    gdf = wup_agglomerations(2018, min_population=0)
    assert one(gdf, "Hong Kong", "HKG")["population"] > 5e6
    m49 = {r["Country Code"]: r for r in raw}
    codes = dict(zip(gdf["metro_id"], gdf["country_iso3"], strict=True))
    special = {"344": "HKG", "446": "MAC", "158": "TWN", "630": "PRI", "840": "USA"}
    for code, iso3 in special.items():
        assert codes["wup:" + m49[code]["City Code"]] == iso3


def test_metro_id_is_the_un_city_code(raw, raw_by_id):
    shipped = pd.read_parquet(data_path("un_wup2018/agglomerations.parquet"))
    assert shipped["metro_id"].tolist() == ["wup:" + r["City Code"] for r in raw]
    assert shipped["name"].tolist() == [r["Urban Agglomeration"] for r in raw]
    assert shipped["metro_id"].is_unique
    every = wup_agglomerations(2025, min_population=0)
    assert len(every) == len(raw) == 1860
    assert set(every["metro_id"]) == set(raw_by_id)
    # the same id in every year: ids are not re-ranked by size
    assert set(wup_agglomerations(1950, 0)["metro_id"]) == set(raw_by_id)


def test_every_country_has_income():
    countries = geoai.load_countries()
    every = geoai.load_metros(0)
    assert every["country_iso3"].isin(countries.index).all()
    assert every["gdp_pc_usd"].notna().all()
    assert (every["gdp_pc_usd"] > 0).all()


def test_year_changes_population(raw_by_id):
    old = geoai.load_metros(year=2000)
    assert set(old["population_kind"]) == {"estimate"}
    assert old.attrs["year"] == 2000
    for row in old.head(50).itertuples():
        assert row.population == people(raw_by_id[row.metro_id]["2000"])
    assert len(old) < len(geoai.load_metros())  # more millionaire cities in 2025 than in 2000


def test_population_kind_boundary():
    assert set(wup_agglomerations(2015)["population_kind"]) == {"estimate"}
    assert set(wup_agglomerations(2016)["population_kind"]) == {"projection"}
    assert wup_agglomerations(2015).attrs["population_kind"] == "estimate"
    panel = load_metro_panel(2010, 2020)
    np.testing.assert_array_equal(
        panel["population_kind"] == "estimate", panel["year"].to_numpy() <= 2015
    )
    assert panel.attrs["last_estimate_year"] == 2015
    assert panel.attrs["first_projection_year"] == 2016


# ---------------------------------------------------------------- the panel


def test_panel_shape_and_order():
    panel = load_metro_panel()
    assert panel.shape == (1860 * 86, 4) == (159_960, 4)
    assert list(panel.columns) == ["metro_id", "year", "population", "population_kind"]
    assert panel["population"].dtype == np.int64
    assert panel["year"].dtype == np.int64
    keys = list(zip(panel["metro_id"], panel["year"], strict=True))
    assert keys == sorted(keys)
    counts = panel.groupby("metro_id")["year"].agg(["size", "min", "max"])
    assert (counts["size"] == 86).all()
    assert (counts["min"] == 1950).all()
    assert (counts["max"] == 2035).all()
    assert panel.attrs["source"] == SOURCE


def test_panel_equals_raw_csv(raw_by_id):
    panel = load_metro_panel().set_index(["metro_id", "year"])["population"]
    rng = random.Random(2018)  # noqa: S311 - a seeded sample of cells to check, not a secret
    ids = sorted(raw_by_id)
    for _ in range(500):
        metro_id, year = rng.choice(ids), rng.choice(YEARS)
        assert panel[(metro_id, year)] == people(raw_by_id[metro_id][str(year)])
    # and the sum over everything, exactly
    total = sum(people(r[str(y)]) for r in raw_by_id.values() for y in YEARS)
    assert int(panel.sum()) == total


def test_panel_window_and_min_population(raw_by_id):
    panel = load_metro_panel(1990, 2000, min_population=10_000_000)
    expected = {
        mid
        for mid, r in raw_by_id.items()
        if max(people(r[str(y)]) for y in range(1990, 2001)) >= 10_000_000
    }
    assert set(panel["metro_id"]) == expected
    assert len(panel) == 11 * len(expected)
    assert (panel["population"] < 10_000_000).any()  # whole series, not only the big years
    one_year = load_metro_panel(2025, 2025)
    assert len(one_year) == 1860
    assert one_year["metro_id"].is_unique


# ---------------------------------------------------------------- speed, errors, paths


def test_load_metros_is_fast_cold():
    code = (
        "import time, geoai.datasets; t = time.perf_counter(); geoai.datasets.load_metros(); "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert float(out.stdout.strip().splitlines()[-1]) < 1.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: geoai.load_metros(source="x"), r"source='x'.*'wup2018', 'geonames'"),
        (lambda: geoai.load_metros(year=1949), r"year.*1950 to 2035.*1949"),
        (lambda: geoai.load_metros(year=2036), r"year.*2036"),
        (lambda: geoai.load_metros(year=2025.5), r"year.*2025\.5"),  # type: ignore[arg-type]
        (lambda: geoai.load_metros(year="2025"), r"year.*'2025'"),  # type: ignore[arg-type]
        (lambda: geoai.load_metros(year=True), r"year"),
        (lambda: geoai.load_metros(min_population=-1), r"min_population"),
        (lambda: geoai.load_metros(min_population=float("nan")), r"min_population"),
        (lambda: geoai.load_metros(source="geonames", year=2020), r"geonames.*has no years"),
        (lambda: wup_agglomerations(year=1949), r"year"),
        (lambda: wup_agglomerations(min_population=-5), r"min_population"),
        (lambda: load_metro_panel(2000, 1990), r"start.*end.*2000.*1990"),
        (lambda: load_metro_panel(start=1949), r"start.*1949"),
        (lambda: load_metro_panel(end=2040), r"end.*2040"),
        (lambda: load_metro_panel(min_population=-1), r"min_population"),
    ],
)
def test_bad_inputs(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_low_floors_are_allowed():
    every = geoai.load_metros(0)
    assert len(every) == 1860
    small = geoai.load_metros(300_000, year=2018)
    assert len(small) == 1860  # the file is the agglomerations of >= 300,000 in 2018
    integral = geoai.load_metros(year=2025.0)  # type: ignore[arg-type]
    assert integral["population"].equals(geoai.load_metros()["population"])


def test_cached_reads_return_copies():
    a = wup_agglomerations()
    a.loc[0, "population"] = -1
    a.attrs["year"] = 0
    b = wup_agglomerations()
    assert b.loc[0, "population"] > 0
    assert b.attrs["year"] == 2025
    p = load_metro_panel(2020, 2020)
    p["population"] = 0
    assert load_metro_panel(2020, 2020)["population"].min() > 0


def test_data_path_finds_the_files():
    for name in ("agglomerations.parquet", "population.parquet"):
        path = data_path(f"un_wup2018/{name}")
        assert path.is_file()
        assert path.parent.name == "un_wup2018"


def test_wheel_ships_the_files():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for name in ("agglomerations.parquet", "population.parquet"):
        line = f'"data/un_wup2018/{name}" = "geoai/_data/un_wup2018/{name}"'
        assert line in text


# ---------------------------------------------------------------- build and notes


@pytest.mark.slow
def test_shipped_files_equal_a_rebuild(build):
    agglomerations, population = build.build_tables()
    shipped_a = pd.read_parquet(data_path("un_wup2018/agglomerations.parquet"))
    shipped_p = pd.read_parquet(data_path("un_wup2018/population.parquet"))
    pd.testing.assert_frame_equal(agglomerations, shipped_a)
    pd.testing.assert_frame_equal(population, shipped_p)


def test_build_fails_on_unmapped_country(build, tmp_path):
    lines = RAW_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    row = lines[1].split(",")
    row[1] = "999"  # no such M49 code
    bad = tmp_path / "bad.csv"
    bad.write_text(lines[0] + ",".join(row) + "".join(lines[2:]), encoding="utf-8")
    with pytest.raises(SystemExit, match="999 Afghanistan"):
        build.build_tables(cities_csv=bad)


@pytest.mark.parametrize(
    ("number", "concept"),
    [
        (60, "metropolitan area"),  # Delhi: the quoted "Delhi Urban Agglomeration" is a side figure
        (70, "metropolitan area"),  # Tokyo: Kanto M.M.A.
        (69, "metropolitan area"),  # Osaka: Kinki M.M.A.
        (31, "metropolitan area"),  # Canada: Census Metropolitan Area
        (98, "metropolitan area"),  # San Juan: MSA; the boundary-change sentence is skipped
        (122, "urban agglomeration"),  # Kampala: "(city proper) was reported as" is a side figure
        (82, "urban agglomeration"),  # Abuja: city proper in 1953/63, agglomeration from 1991
        (89, "urban agglomeration"),  # Onitsha: city proper up to 1991, agglomeration in 2006
        (22, "urban agglomeration"),  # Baku, Minsk: 1989 city proper adjusted to agglomeration
        (97, "urban agglomeration"),  # Porto: "does not reflect ... Metropolitan Area"
        (118, "urban agglomeration"),  # Port of Spain: the city proper figure is a side figure
        (127, "urban agglomeration"),  # Caracas: several municipalities
        (38, "city proper"),  # China: city districts in 2000 and 2010
        (2, "city proper"),  # Benguela: the "municipio"
        (78, "city proper"),  # Kathmandu: the municipality
    ],
)
def test_note_parser_on_real_notes(build, number, concept):
    notes = build.read_notes()
    assert build.statistical_concept(notes[number]) == concept


def test_note_parser_defaults_and_shipped_concepts(build):
    assert build.statistical_concept("") == "urban agglomeration"
    assert build.statistical_concept("Refers to Gran Rosario.") == "urban agglomeration"
    every = wup_agglomerations(2025, 0).set_index("metro_id")
    shipped = pd.read_parquet(data_path("un_wup2018/agglomerations.parquet"))
    plain = (shipped["note"] == "") & ~shipped["name"].str.contains("M.M.A.", regex=False)
    assert plain.sum() > 1000
    assert (
        every.loc[shipped.loc[plain, "metro_id"], "statistical_concept"] == "urban agglomeration"
    ).all()
    by_name = every.reset_index().set_index("name")
    # the name decides only where the note is silent
    assert build.statistical_concept("", "Chukyo M.M.A. (Nagoya)") == "metropolitan area"
    assert build.statistical_concept("Data refer to the municipality.", "X M.M.A.") == "city proper"
    assert by_name.loc["Chukyo M.M.A. (Nagoya)", "statistical_concept"] == "metropolitan area"
    assert by_name.loc["Tokyo", "statistical_concept"] == "metropolitan area"
    assert by_name.loc["Delhi", "statistical_concept"] == "metropolitan area"
    assert by_name.loc["Kampala", "statistical_concept"] == "urban agglomeration"
    assert by_name.loc["Detroit", "statistical_concept"] == "urban agglomeration"
