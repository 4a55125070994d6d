"""The two country tables of the scenario engine: AI Index 2025 investment and NIIP.

Checks that the shipped files equal a fresh build, that their values agree
with the raw source files they were built from, and the properties the
scenario engine relies on.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

import geoai
from geoai.datasets._ai_index import AI_INDEX_SOURCE, AI_INVESTMENT_COLUMNS, load_ai_investment

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
AI_RAW = DATA / "ai_index" / "source" / "ai_index_2025_private_investment.csv"
EWN_RAW = DATA / "niip" / "source" / "ewn_2025-01_niip_extract.csv"
SEED_RAW = DATA / "niip" / "source" / "seed000_niip.csv"
AI_PERIOD = {"2024": AI_INVESTMENT_COLUMNS[0], "2013-2024": AI_INVESTMENT_COLUMNS[1]}


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        pytest.fail(f"{path} not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def ai_build() -> ModuleType:
    return _module(DATA / "ai_index" / "build.py", "ai_index_build")


@pytest.fixture(scope="module")
def niip_build() -> ModuleType:
    return _module(DATA / "niip" / "build.py", "niip_build")


@pytest.fixture(scope="module")
def countries() -> pd.DataFrame:
    return geoai.load_countries()


@pytest.fixture(scope="module")
def ai() -> pd.DataFrame:
    return load_ai_investment()


@pytest.fixture(scope="module")
def niip() -> pd.DataFrame:
    return pd.read_csv(DATA / "niip" / "niip.csv", index_col="iso3", dtype={"niip_as_of": str})


# ---------------------------------------------------------------- shipped == fresh build


def test_ai_index_files_equal_a_fresh_build(ai_build):
    table, totals = ai_build.build_tables()
    shipped = (DATA / "ai_index" / "ai_investment.csv").read_text(encoding="utf-8")
    assert table.to_csv(lineterminator="\n") == shipped
    shipped_totals = (DATA / "ai_index" / "world_totals.csv").read_text(encoding="utf-8")
    assert totals.to_csv(index=False, lineterminator="\n") == shipped_totals


def test_niip_file_equals_a_fresh_build(niip_build):
    shipped = (DATA / "niip" / "niip.csv").read_text(encoding="utf-8")
    assert niip_build.build().to_csv(lineterminator="\n") == shipped


def test_countries_file_equals_a_fresh_build():
    build_countries = _module(DATA / "build_countries.py", "build_countries")
    shipped = (DATA / "countries.csv").read_text(encoding="utf-8")
    assert build_countries.build().to_csv(lineterminator="\n") == shipped


def test_niip_readme_counts_match_the_table(niip):
    readme = (DATA / "niip" / "README.md").read_text(encoding="utf-8")
    total = re.search(r"total with a known NIIP\*\* \| \*\*(\d+)\*\*", readme)
    assert total is not None, "the generated niip-counts block is missing"
    assert int(total.group(1)) == len(niip)


def test_the_seed_niip_figures_are_kept_as_a_source():
    assert not (DATA / "niip.csv").exists()  # one place for NIIP: data/niip/
    seed = pd.read_csv(SEED_RAW)
    assert list(seed.columns) == ["iso3", "niip_usd", "niip_as_of", "niip_source"]
    assert len(seed) == 6


# ---------------------------------------------------------------- AI Index 2025


def test_ai_investment_countries_are_real(ai, countries):
    assert ai.index.name == "iso3"
    assert ai.index.is_unique
    assert set(ai.index) <= set(countries.index)
    assert list(ai.columns) == ["name", *AI_INVESTMENT_COLUMNS, "source"]


def test_ai_investment_values_positive_and_top_15(ai):
    for col in AI_INVESTMENT_COLUMNS:
        given = ai[col].dropna()
        assert len(given) == 15, col  # each chart lists its top 15 countries
        assert np.isfinite(given).all()
        assert (given > 0).all()
        missing = ai.index[ai[col].isna()]
        assert ai.loc[missing, "source"].str.contains("not in the top 15").all()
        # a country outside one chart's top 15 received at most its 15th value
        if col == AI_INVESTMENT_COLUMNS[1]:
            assert (ai.loc[missing, AI_INVESTMENT_COLUMNS[0]] <= given.min()).all()


def test_ai_investment_ranking(ai):
    for col in AI_INVESTMENT_COLUMNS:
        assert ai.loc["USA", col] > ai.loc["CHN", col] > ai.loc["GBR", col]
        assert ai[col].idxmax() == "USA"


def test_cumulative_covers_the_last_year(ai):
    both = ai.dropna(subset=list(AI_INVESTMENT_COLUMNS))
    assert len(both) >= 10
    assert (both[AI_INVESTMENT_COLUMNS[1]] >= both[AI_INVESTMENT_COLUMNS[0]]).all()


def test_ai_investment_equals_the_raw_transcription(ai):
    raw = _rows(AI_RAW)
    by_name = ai.reset_index().set_index("name")
    checked = 0
    for r in raw:
        assert r["unit"] == "USD billions"
        if r["country_as_printed"] == "World":
            continue
        value = by_name.loc[r["country_as_printed"], AI_PERIOD[r["period"]]]
        assert value == float(Decimal(r["value"]) * 10**9)
        if r["stated_in_text"]:  # the chart label rounds to the figure the prose states
            stated = Decimal(r["stated_in_text"])
            assert Decimal(r["value"]).quantize(stated) == stated
        checked += 1
    assert checked == 30
    assert all(r["where_read"].startswith("https://") for r in raw)


def test_world_total_and_rest_of_world(ai):
    world = [r for r in _rows(AI_RAW) if r["country_as_printed"] == "World"]
    assert [r["period"] for r in world] == ["2024"]
    total = float(Decimal(world[0]["value"]) * 10**9)
    assert ai.attrs["world_total_2024_usd"] == total
    rest = total - ai[AI_INVESTMENT_COLUMNS[0]].sum()
    assert rest >= 0
    assert ai.attrs["rest_of_world_2024_usd"] == pytest.approx(rest, rel=0, abs=1.0)
    assert math.isnan(ai.attrs["world_total_2013_2024_usd"])
    assert math.isnan(ai.attrs["rest_of_world_2013_2024_usd"])
    assert ai.attrs["source"] == AI_INDEX_SOURCE
    assert "Stanford" in AI_INDEX_SOURCE
    assert "CC BY-ND 4.0" in AI_INDEX_SOURCE


def test_ai_investment_is_a_cached_copy(ai):
    first = load_ai_investment()
    first.loc["USA", AI_INVESTMENT_COLUMNS[0]] = -1.0
    first.attrs["source"] = "changed"
    again = load_ai_investment()
    assert again.loc["USA", AI_INVESTMENT_COLUMNS[0]] > 0
    assert again.attrs["source"] == AI_INDEX_SOURCE
    pd.testing.assert_frame_equal(again, ai)


def test_ai_build_refuses_a_value_that_disagrees_with_the_text(ai_build, tmp_path):
    text = AI_RAW.read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("United States,109.08,", "United States,119.08,"), "utf-8")
    with pytest.raises(SystemExit, match="United States 2024"):
        ai_build.build_tables(bad)


def test_ai_build_refuses_an_unknown_country(ai_build, tmp_path):
    text = AI_RAW.read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("Italy,0.86,", "Atlantis,0.86,"), "utf-8")
    with pytest.raises(SystemExit, match="Atlantis"):
        ai_build.build_tables(bad)


# ---------------------------------------------------------------- NIIP


def test_niip_countries_are_real(niip, countries):
    assert niip.index.is_unique
    assert set(niip.index) <= set(countries.index)
    assert list(niip.columns) == ["niip_usd", "niip_gdp", "niip_as_of", "niip_source"]


def test_number_of_countries_with_known_niip(niip, countries):
    known = countries["niip_usd"].dropna()
    assert len(known) == len(niip)
    assert len(known) >= 180  # 196 in this build (6 seed + 190 EWN)
    np.testing.assert_array_equal(known.sort_index().to_numpy(), niip["niip_usd"].to_numpy())
    assert (pd.to_datetime(niip["niip_as_of"]).dt.year >= 2022).all()


def test_seed_figures_kept_and_their_signs(niip, countries):
    seed = pd.read_csv(SEED_RAW, index_col="iso3", dtype={"niip_as_of": str})
    for iso3, row in seed.iterrows():
        for table in (niip, countries):
            assert table.loc[iso3, "niip_usd"] == row["niip_usd"]
            assert table.loc[iso3, "niip_as_of"] == row["niip_as_of"]
            assert str(table.loc[iso3, "niip_source"]).startswith(row["niip_source"])
    negative, positive = ["USA", "FRA", "GBR"], ["JPN", "CHN", "SGP"]
    assert (countries.loc[negative, "niip_usd"] < 0).all()
    assert (countries.loc[positive, "niip_usd"] > 0).all()
    assert (countries.loc[negative, "niip_gdp"] < 0).all()
    assert (countries.loc[positive, "niip_gdp"] > 0).all()


def test_niip_gdp_range_is_checked_not_clipped(niip, countries):
    for ratio in (niip["niip_gdp"].dropna(), countries["niip_gdp"].dropna()):
        assert np.isfinite(ratio).all()
        assert ratio.between(-10, 10).all(), ratio[~ratio.between(-10, 10)]
        assert ratio.abs().max() > 2  # the outliers are kept, not clipped at +-2
    assert countries["niip_gdp"].notna().sum() == countries["niip_usd"].notna().sum()
    assert countries.loc["IRL", "niip_gdp"] < -0.5  # an Ireland-type debtor stays visible


def test_niip_equals_the_raw_ewn_extract(niip, niip_build):
    raw = {(r["Country"], int(r["Year"])): r for r in _rows(EWN_RAW)}
    ewn = niip_build.read_ewn()
    name_of = dict(zip(ewn["iso3"], ewn["Country"], strict=False))
    seed = set(pd.read_csv(SEED_RAW)["iso3"])
    checked = 0
    for iso3, row in niip.drop(index=list(seed)).iterrows():
        year = int(row["niip_as_of"][:4])
        r = raw[(name_of[iso3], year)]
        official = row["niip_source"].startswith(niip_build.OFFICIAL_TEXT)
        column = "OFFICIAL IIP" if official else "Net IIP excl gold"
        assert row["niip_usd"] == float(Decimal(r[column]) * 10**6)
        if not official and name_of[iso3] not in niip_build.OFFSHORE_CENTRES:
            assert r["OFFICIAL IIP"] == ""  # the estimate only where nothing official
        ratio = r[niip_build.RATIO["OFFICIAL IIP" if official else "Net IIP excl gold"]]
        assert (row["niip_gdp"] == float(ratio)) if ratio else math.isnan(row["niip_gdp"])
        checked += 1
    assert checked == len(niip) - len(seed)


@pytest.mark.parametrize(
    ("name", "iso3"),
    [("Germany", "DEU"), ("Korea", "KOR"), ("China,P.R.:Macao", "MAC"), ("Norway", "NOR")],
)
def test_a_few_niip_values_read_from_the_raw_file(niip, name, iso3):
    r = next(r for r in _rows(EWN_RAW) if r["Country"] == name and r["Year"] == "2023")
    expected = r["OFFICIAL IIP"] or r["Net IIP excl gold"]
    assert niip.loc[iso3, "niip_usd"] == pytest.approx(float(expected) * 1e6, rel=1e-12)
    assert niip.loc[iso3, "niip_as_of"] == "2023-12-31"


def test_offshore_centres_use_no_official_position(niip, niip_build):
    raw = _rows(EWN_RAW)
    cayman = [r for r in raw if r["Country"] == "Cayman Islands" and r["OFFICIAL IIP"]]
    assert cayman, "the extract should hold Cayman's official IIP"
    assert "CYM" not in niip.index
    assert "BMU" not in niip.index
    assert niip.loc["AND", "niip_source"].startswith(niip_build.ESTIMATE_TEXT)
    assert not {"Euro Area", "ECCU"} & set(niip_build.read_ewn()["Country"])


def test_countries_niip_gdp_uses_same_year_world_bank_gdp(countries, niip):
    gdp = pd.read_csv(DATA / "worldbank" / "gdp_current_usd.csv")
    gdp = gdp.set_index(["Country Code", "Year"])["Value"]
    same_year = 0
    for iso3, row in niip.iterrows():
        year = int(row["niip_as_of"][:4])
        source = countries.loc[iso3, "niip_source"]
        if (iso3, year) in gdp.index:
            assert countries.loc[iso3, "niip_gdp"] == row["niip_usd"] / gdp[(iso3, year)]
            assert source.endswith(f"NIIP/GDP: over World Bank GDP {year}")
            same_year += 1
        else:
            said = (f"(no World Bank GDP {year})", f"(none for {year})")
            assert "; NIIP/GDP: " in source
            assert source.endswith(said)
    assert same_year >= 150
    usa = countries.loc["USA"]
    assert usa["niip_gdp"] == pytest.approx(usa["niip_usd"] / usa["gdp_usd"])


def test_niip_build_refuses_an_unknown_name(niip_build, tmp_path):
    text = EWN_RAW.read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("\nZimbabwe,", "\nZembla,"), "utf-8")
    with pytest.raises(SystemExit, match="Zembla"):
        niip_build.build(ewn_csv=bad)


def test_niip_build_drops_positions_older_than_min_year(niip_build, tmp_path):
    rows = _rows(EWN_RAW)
    kept = [r for r in rows if not (r["Country"] == "Germany" and int(r["Year"]) >= 2022)]
    path = tmp_path / "old_germany.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    shutil.copy(SEED_RAW, tmp_path / "seed.csv")
    table = niip_build.build(ewn_csv=path, seed_csv=tmp_path / "seed.csv")
    assert "DEU" not in table.index  # Germany's 2021 position is too old
    assert "FRA" in table.index


def test_most_large_metros_have_a_known_niip(countries):
    metros = geoai.load_metros()
    known = metros["country_iso3"].map(countries["niip_usd"]).notna()
    assert known.mean() >= 0.95  # 646 of the 653 UN metros >= 1 M (was 234 with the seed only)
