"""Fuzz the readers: ``read_points`` and ``Grid.from_raster`` on generated files.

``read_points`` gets 300 generated files (``FUZZ``): CSVs built from a
drawn table (numbers, empty cells, text, wrong columns, a non-UTF-8 cell),
GeoJSON built from drawn features (or cut short), and garbage, binary or
empty files under every extension it dispatches on. ``Grid.from_raster``
gets 300 more: a valid GeoTIFF, the same file cut at a drawn length or with
drawn bytes overwritten, garbage, a folder and a missing path. The answer is
a valid result or a geoai error, and the first line of every file is a
secret that no error message may quote.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from geoai import Grid
from geoai.io import read_points
from tests.fuzz._harness import FUZZ, Refused, assert_numbers, outcome

if TYPE_CHECKING:
    from pathlib import Path

MARKER = "MARKER-FIRST-LINE-5e1f"
EXTENSIONS = [".csv", ".geojson", ".json", ".gpkg", ".parquet", ".fgb", ".txt", ".tif", ""]
_names = itertools.count()


def _unique(folder: Path, suffix: str) -> Path:
    return folder / f"f{next(_names)}{suffix}"


def _cell(draw: st.DrawFn, kind: str) -> str:
    if kind == "lon":
        return repr(draw(st.floats(-180, 180)))
    if kind == "lat":
        return repr(draw(st.floats(-90, 90)))
    return draw(st.sampled_from(["", "nan", "abc", "1e999", "-", "3", '"q,uoted"']))


@st.composite
def csv_bytes(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A CSV whose header starts with the secret, and whether it is certainly readable."""
    n = draw(st.integers(0, 6))
    columns = draw(
        st.sampled_from(
            [["lon", "lat"]] * 3
            + [["lat", "lon", "pop"]] * 3
            + [["x", "y"], ["longitude", "lat"], ["lon"]]
        )
    )
    header = ",".join([MARKER, *columns])
    rows, clean = [], n > 0 and {"lon", "lat"} <= set(columns)
    for i in range(n):
        spoil = draw(st.integers(0, 24)) == 0
        cells = [f"place{i}"]
        for col in columns:
            kind = col if col in ("lon", "lat") and not spoil else "other"
            if col in ("lon", "lat") and spoil:
                clean = False
            cells.append(_cell(draw, kind) if col in ("lon", "lat") else str(draw(st.integers())))
        if draw(st.integers(0, 24)) == 0:  # a ragged row
            cells.append("extra")
            clean = False
        rows.append(",".join(cells))
    text = "\n".join([header, *rows]) + "\n"
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:  # a latin-1 byte
        data += "caf\xe9,1,2\n".encode("latin-1")
        clean = False
    return data, clean


@st.composite
def geojson_bytes(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A FeatureCollection named after the secret (maybe cut short) and whether it is whole."""
    n = draw(st.integers(0, 5))
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"p{i}", "pop": draw(st.integers(0, 10**6))},
            "geometry": {
                "type": "Point",
                "coordinates": [draw(st.floats(-180, 180)), draw(st.floats(-90, 90))],
            },
        }
        for i in range(n)
    ]
    text = (
        f'{{"name": "{MARKER}",\n'
        + json.dumps({"type": "FeatureCollection", "features": features})[1:]
    )
    data = text.encode("utf-8")
    if draw(st.booleans()):
        return data[: draw(st.integers(0, len(data) - 1))], False
    return data, n > 0


@st.composite
def garbage_bytes(draw: st.DrawFn) -> bytes:
    body = draw(
        st.one_of(
            st.binary(max_size=300),
            st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
            st.just(b""),
            st.just(b"\x00" * 64),
            st.just(b"SQLite format 3\x00" + b"\x00" * 80),
            st.just(b"PAR1" + b"\x00" * 20 + b"PAR1"),
        )
    )
    return (MARKER + "\n").encode() + body if draw(st.booleans()) else body


def _check_refusal(result: Refused) -> None:
    message = str(result.error)
    assert MARKER not in message, f"the message quotes the file: {message}"


@FUZZ
@given(st.data())
def test_fuzz_read_points(tmp_path: Path, data: st.DataObject) -> None:
    draw = data.draw
    kind = draw(st.sampled_from(["csv", "csv", "geojson", "garbage", "missing", "folder"]))
    readable = False
    kwargs: dict[str, Any] = {}
    if kind == "csv":
        content, readable = draw(csv_bytes())
        path = _unique(tmp_path, ".csv")
        if draw(st.integers(0, 9)) == 0:
            kwargs["crs"] = draw(st.sampled_from(["EPSG:3035", "junk", 4326]))
            readable = readable and kwargs["crs"] == 4326
    elif kind == "geojson":
        content, readable = draw(geojson_bytes())
        path = _unique(tmp_path, draw(st.sampled_from([".geojson", ".json"])))
    elif kind == "garbage":
        content = draw(garbage_bytes())
        path = _unique(tmp_path, draw(st.sampled_from(EXTENSIONS)))
    else:
        content, path = None, _unique(tmp_path, ".gpkg")
        if kind == "folder":
            path.mkdir()
    if content is not None:
        path.write_bytes(content)
    result = outcome(read_points, path, **kwargs)
    event(f"{kind}: {'refused' if isinstance(result, Refused) else 'result'}")
    if isinstance(result, Refused):
        _check_refusal(result)
        assert not readable, f"a readable file was refused: {result}"
        return
    assert kind in ("csv", "geojson", "garbage"), f"{kind} gave {result!r}"
    assert len(result) >= 1
    assert result.crs is not None
    x = result.geometry.x.to_numpy()
    y = result.geometry.y.to_numpy()
    assert_numbers(x, "x")
    assert_numbers(y, "y")
    if result.crs.is_geographic:
        assert (np.abs(y) <= 90).all()


@pytest.fixture(scope="module")
def geotiff(tmp_path_factory: pytest.TempPathFactory) -> tuple[Grid, bytes]:
    """A small tiled GeoTIFF and its bytes."""
    import rasterio

    grid = Grid.from_bounds((0, 0, 64_000, 48_000), 1000, crs="EPSG:3035")
    path = tmp_path_factory.mktemp("raster") / "people.tif"
    profile = {"driver": "GTiff", "width": grid.width, "height": grid.height, "count": 1,
               "dtype": "float32", "crs": grid.crs, "transform": grid.transform,
               "tiled": True, "blockxsize": 16, "blockysize": 16}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.random.default_rng(3).random(grid.shape).astype("float32"), 1)
    return grid, path.read_bytes()


@FUZZ
@given(
    kind=st.sampled_from(["whole", "cut", "overwritten", "garbage", "missing", "folder"]),
    suffix=st.sampled_from([".tif", ".tiff", ".csv", ""]),
    where=st.floats(0.0, 1.0, exclude_max=True),
    patch=st.binary(min_size=1, max_size=64),
    garbage=garbage_bytes(),
)
def test_fuzz_grid_from_raster(
    tmp_path: Path,
    geotiff: tuple[Grid, bytes],
    kind: str,
    suffix: str,
    where: float,
    patch: bytes,
    garbage: bytes,
) -> None:
    grid, whole = geotiff
    path = _unique(tmp_path, suffix)
    at = int(where * len(whole))
    content = {
        "whole": whole,
        "cut": whole[:at],
        "overwritten": whole[:at] + patch + whole[at + len(patch) :],
        "garbage": garbage,
    }.get(kind)
    if kind == "folder":
        path.mkdir()
    if content is not None:
        path.write_bytes(content)
    result = outcome(Grid.from_raster, path)
    event(f"{kind}: {'refused' if isinstance(result, Refused) else 'result'}")
    if isinstance(result, Refused):
        _check_refusal(result)
        assert kind != "whole", result
        assert str(path) in str(result.error)
        return
    assert kind in ("whole", "overwritten"), f"{kind} gave {result!r}"
    assert isinstance(result, Grid)
    assert result.n_cells >= 1
    assert all(math.isfinite(b) for b in result.bounds)
    if kind == "whole":
        assert result == grid
