from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geoai import InputError
from geoai.io import atomic_path, read_points, write_vector


@pytest.fixture
def pts():
    return gpd.GeoDataFrame({"a": [1, 2]}, geometry=[Point(0, 0), Point(1, 1)], crs=4326)


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet", ".geojson", ".fgb"])
def test_write_read_roundtrip(tmp_path, pts, suffix):
    path = write_vector(pts, tmp_path / f"out{suffix}")
    back = read_points(path).sort_values("a").reset_index(drop=True)  # FlatGeobuf reorders
    assert back["a"].tolist() == [1, 2]
    assert back.crs.to_epsg() == 4326
    assert back.geom_equals(pts.geometry).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".geoai-files.json",
        f"out{suffix}",
    ]  # no temporary left


def test_refuses_to_clobber_and_overwrites_on_request(tmp_path, pts):
    path = write_vector(pts, tmp_path / "out.gpkg")
    before = path.read_bytes()
    with pytest.raises(InputError, match="already exists; pass overwrite=True"):
        write_vector(pts.iloc[:1], path)
    assert path.read_bytes() == before
    write_vector(pts.iloc[:1], path, overwrite=True)
    assert len(read_points(path)) == 1


def test_crash_midway_keeps_previous_file(tmp_path):
    target = tmp_path / "layer.txt"
    with atomic_path(target) as tmp:  # geoai's file: overwrite may replace it
        tmp.write_text("previous")

    def crash():
        with atomic_path(target, overwrite=True) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        crash()
    assert target.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".geoai-files.json", "layer.txt"]


def test_bad_paths(tmp_path, pts):
    with pytest.raises(InputError, match="unknown extension"):
        write_vector(pts, tmp_path / "out.xyz")
    with pytest.raises(InputError, match="does not exist; create it"):
        write_vector(pts, tmp_path / "nope" / "out.gpkg")
    with pytest.raises(InputError, match="no CRS"):
        write_vector(pts.set_crs(None, allow_override=True), tmp_path / "x.gpkg")
    with pytest.raises(InputError, match="does not exist; check the path"):
        read_points(tmp_path / "missing.gpkg")


def test_read_points_csv(tmp_path):
    csv = tmp_path / "places.csv"
    pd.DataFrame({"name": ["a"], "lon": [2.35], "lat": [48.85], "population": [2e6]}).to_csv(csv)
    gdf = read_points(csv)
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry.x[0] == 2.35
    with pytest.raises(InputError, match=r"no column\(s\) \['x'\]"):
        read_points(csv, lon="x")
