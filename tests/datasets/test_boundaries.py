"""Country polygons: the shipped Natural Earth table, its rebuild, load_countries(geometry=True)."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely import Point

from geoai import InputError, load_countries
from geoai.datasets import BOUNDARIES, BOUNDARY_SOURCE, NO_BOUNDARY, data_path

ROOT = Path(__file__).resolve().parents[2]

#: Capitals (lon, lat in degrees, rounded from public gazetteers) and their ISO3 codes.
CAPITALS = {
    "USA": (-77.04, 38.91),  # Washington
    "CHN": (116.40, 39.90),  # Beijing
    "JPN": (139.69, 35.69),  # Tokyo
    "IND": (77.21, 28.61),  # New Delhi
    "BRA": (-47.88, -15.79),  # Brasília
    "FRA": (2.35, 48.86),  # Paris (code filled by name)
    "NOR": (10.75, 59.91),  # Oslo (code filled by name)
    "XKX": (21.17, 42.66),  # Pristina (code filled by name)
}


def _build_module():
    path = ROOT / "data" / "naturalearth" / "build.py"
    spec = importlib.util.spec_from_file_location("naturalearth_build", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped() -> gpd.GeoDataFrame:
    return gpd.read_parquet(data_path(BOUNDARIES))


def test_shipped_table_is_complete_and_valid(shipped):
    assert shipped.crs.to_epsg() == 4326
    assert list(shipped.columns) == [
        "iso3",
        "name",
        "continent",
        "iso3_source",
        "iso3_note",
        "geometry",
    ]
    has_polygon = shipped.geometry.notna() & ~shipped.geometry.is_empty
    assert has_polygon.sum() >= 170
    assert shipped.geometry.is_valid.all()
    assert set(shipped.geom_type) <= {"Polygon", "MultiPolygon"}
    minx, miny, maxx, maxy = shipped.total_bounds
    assert minx >= -180.0 - 1e-9
    assert maxx <= 180.0 + 1e-9
    assert miny >= -90.0
    assert maxy <= 90.0
    coded = shipped["iso3"].dropna()
    assert coded.is_unique
    assert coded.str.fullmatch(r"[A-Z]{3}").all()  # no "-99" left


def test_iso3_fixes_and_flagged_disputed_areas(shipped):
    by_name = shipped.set_index("name")
    assert by_name.loc["France", "iso3"] == "FRA"
    assert by_name.loc["Norway", "iso3"] == "NOR"
    assert by_name.loc["Kosovo", "iso3"] == "XKX"
    assert (by_name.loc[["France", "Norway", "Kosovo"], "iso3_source"] == "name_map").all()
    uncoded = shipped[shipped["iso3"].isna()]
    assert set(uncoded["name"]) == {"N. Cyprus", "Somaliland"}
    assert (uncoded["iso3_source"] == "none").all()
    assert uncoded["iso3_note"].str.startswith("disputed").all()
    # every row says where its code came from; only fixed or uncoded rows carry a note
    assert set(shipped["iso3_source"]) == {"natural_earth", "name_map", "none"}
    plain = shipped["iso3_source"] == "natural_earth"
    assert (shipped.loc[plain, "iso3_note"] == "").all()
    assert (shipped.loc[~plain, "iso3_note"].str.len() > 20).all()


@pytest.mark.parametrize("iso3", sorted(CAPITALS))
def test_capitals_lie_in_their_own_country_only(shipped, iso3):
    point = Point(CAPITALS[iso3])
    hits = shipped.loc[shipped.geometry.contains(point), "iso3"].tolist()
    assert hits == [iso3]


def test_load_countries_geometry_keeps_the_table():
    plain = load_countries()
    world = load_countries(geometry=True)
    assert type(plain) is pd.DataFrame  # geometry=False is unchanged
    assert "boundary_source" not in plain.columns
    assert "geometry" not in plain.columns
    assert isinstance(world, gpd.GeoDataFrame)
    assert world.crs.to_epsg() == 4326
    assert world.index.equals(plain.index)
    pd.testing.assert_frame_equal(pd.DataFrame(world[plain.columns]), plain)
    assert list(world.columns[-2:]) == ["boundary_source", "geometry"]


def test_load_countries_geometry_matches_the_shipped_polygons(shipped):
    world = load_countries(geometry=True)
    coded = shipped.dropna(subset=["iso3"]).set_index("iso3")
    expected = world.index.isin(coded.index)
    has = world.geometry.notna().to_numpy()
    assert (has == expected).all()
    assert has.sum() >= 170
    assert (world.loc[has, "boundary_source"] == BOUNDARY_SOURCE).all()
    assert (world.loc[~has, "boundary_source"] == NO_BOUNDARY).all()
    for iso3 in ("FRA", "NOR", "JPN"):
        assert shapely.equals_exact(world.loc[iso3, "geometry"], coded.loc[iso3, "geometry"], 0)
    # tiny states are not in the 1:110 m set
    for iso3 in ("SGP", "BHR", "MLT"):
        assert world.loc[iso3, "geometry"] is None


def test_load_countries_returns_a_copy():
    world = load_countries(geometry=True)
    world.loc["FRA", "boundary_source"] = "edited"
    world["name"] = "x"
    again = load_countries(geometry=True)
    assert again.loc["FRA", "boundary_source"] == BOUNDARY_SOURCE
    assert again.loc["FRA", "name"] != "x"


@pytest.mark.parametrize("bad", ["yes", 1, None, 0.0])
def test_geometry_must_be_a_bool(bad):
    with pytest.raises(InputError, match="geometry must be True or False"):
        load_countries(geometry=bad)


def test_shipped_file_equals_a_fresh_rebuild(shipped, tmp_path):
    build = _build_module()
    assert build.sha256(build.fixture_path()) == build.SHP_SHA256  # the documented input
    fresh, summary = build.build()
    assert summary["countries"] == len(shipped)
    assert summary["iso3 by name"] == 3
    assert summary["no iso3 (disputed)"] == 2
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    build.write(fresh, first)
    build.write(build.build()[0], second)
    assert first.read_bytes() == second.read_bytes()  # deterministic
    assert not list(tmp_path.glob(".*.tmp"))  # the temp files were moved into place
    assert_geodataframe_equal(gpd.read_parquet(first), shipped, check_less_precise=False)


def test_packaged_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include[f"data/{BOUNDARIES}"] == f"geoai/_data/{BOUNDARIES}"
    assert (ROOT / "data" / BOUNDARIES).exists()
    assert data_path(BOUNDARIES).name == Path(BOUNDARIES).name
