"""Bad files given to geoai.io.read_points become an InputError naming the file and the fix.

Cases from issue #16: a non-vector data file (pyogrio's DataSourceError
before), a binary, empty, non-UTF-8 (UnicodeDecodeError) or missing file, and
a parse error that echoed the file's first line. No message may quote the
file: each test file's first line is a secret that must not reach the message.
"""

from __future__ import annotations

import pytest

from geoai import CRSError, InputError
from geoai.io import read_points

MARKER = "TOP-MARKER-LINE-c0ffee"


def _no_secret(info: pytest.ExceptionInfo[BaseException], path) -> str:
    message = str(info.value)
    assert MARKER not in message, message
    assert str(path) in message or path.name in message, message
    return message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist; check the path"):
        read_points(tmp_path / "places.gpkg")
    with pytest.raises(InputError, match="is a folder"):
        read_points(tmp_path)
    with pytest.raises(InputError, match="must be a file path"):
        read_points(None)


@pytest.mark.parametrize("name", ["places.csv", "places.geojson", "places.gpkg", "places.parquet"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_points(path)
    _no_secret(info, path)


@pytest.mark.parametrize("name", ["places.geojson", "places.gpkg", "places.parquet", "places.fgb"])
def test_non_vector_file_never_quotes_its_first_line(tmp_path, name):
    path = tmp_path / name
    path.write_text(f"{MARKER}\n{{ not json, not sqlite\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not a vector file") as info:
        read_points(path)
    message = _no_secret(info, path)
    assert "GeoPackage" in message  # the fix: formats that are read


def test_binary_csv(tmp_path):
    path = tmp_path / "places.csv"
    path.write_bytes(MARKER.encode() + b"\n" + bytes(range(256)) * 16)
    with pytest.raises(InputError) as info:
        read_points(path)
    _no_secret(info, path)


def test_non_utf8_csv(tmp_path):
    path = tmp_path / "places.csv"
    path.write_bytes(f"{MARKER},lon,lat\ncaf\xe9,2.35,48.85\n".encode("latin-1"))
    with pytest.raises(InputError, match="is not UTF-8 text; re-save it as UTF-8") as info:
        read_points(path)
    _no_secret(info, path)


def test_ragged_csv_parse_error_never_quotes_the_file(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(f'{MARKER}\nlon,lat\n1,2,3,4,5\n"unterminated\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_points(path)
    _no_secret(info, path)


def test_csv_without_coordinate_columns_never_lists_its_header(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(f"{MARKER},longitude,latitude\na,2.35,48.85\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no column\(s\) \['lon', 'lat'\]") as info:
        read_points(path)
    message = _no_secret(info, path)
    assert "longitude" in message  # a known coordinate name is offered
    assert "lon=/lat=" in message
    gdf = read_points(path, lon="longitude", lat="latitude")
    assert gdf.geometry.x.tolist() == [2.35]
    assert list(gdf.columns) == [MARKER, "geometry"]


def test_csv_with_empty_or_text_coordinates(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(f"name,lon,lat\n{MARKER},2.35,48.85\nb,,1\nc,{MARKER},2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"column 'lon' has 2 empty, non-numeric") as info:
        read_points(path)
    message = _no_secret(info, path)
    assert "lines [3, 4]" in message


def test_csv_with_a_header_and_no_rows(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("name,lon,lat\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no points"):
        read_points(path)


def test_csv_coordinates_contradicting_the_crs(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("lon,lat\n500000,4500000\n510000,4510000\n", encoding="utf-8")
    with pytest.raises(CRSError, match="outside longitude/latitude range") as info:
        read_points(path)
    assert "crs=" in str(info.value)
    assert read_points(path, crs="EPSG:32633").crs.to_epsg() == 32633
    degrees = tmp_path / "degrees.csv"
    degrees.write_text("lon,lat\n2.35,48.85\n13.4,52.5\n", encoding="utf-8")
    with pytest.raises(CRSError, match="look like longitude/latitude"):
        read_points(degrees, crs="EPSG:3035")
    with pytest.raises(CRSError, match="is not a CRS"):
        read_points(degrees, crs="EPSG:0")


def test_missing_layer(tmp_path):
    import geopandas as gpd

    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([1.0], [2.0]), crs=4326)
    path = tmp_path / "places.gpkg"
    pts.to_file(path, layer="sites")
    with pytest.raises(InputError, match="has no layer 'other'"):
        read_points(path, layer="other")
    assert len(read_points(path, layer="sites")) == 1
