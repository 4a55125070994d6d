"""The fast paths of the maps draw what the plain ones do: PNG writer, one draw, segments, raster.

Each is checked against a reference we did not write (Pillow's PNG decoder
and encoder, matplotlib's own ``savefig`` and ``AxesImage``) or against a slow,
obviously correct loop.
"""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import io
import math
import struct
import zlib

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr
from matplotlib.image import AxesImage
from PIL import Image

from geoai import flows, viz
from geoai.errors import GeoAIError
from geoai.viz import _flows
from geoai.viz._png import PNG_SIGNATURE, write_png
from geoai.viz._projection import frame_of, project


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png_bytes(rgba, **kw):
    out = io.BytesIO()
    write_png(out, rgba, **kw)
    return out.getvalue()


def _chunks(data):
    """(type, data) of every chunk, checking each CRC on the way (the PNG spec's rule)."""
    assert data.startswith(PNG_SIGNATURE)
    at, found = len(PNG_SIGNATURE), []
    while at < len(data):
        (n,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + n]
        (crc,) = struct.unpack(">I", data[at + 8 + n : at + 12 + n])
        assert crc == zlib.crc32(kind + body)
        found.append((kind, body))
        at += 12 + n
    return found


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (120, 33)])
def test_png_decodes_to_the_same_pixels_in_pillow(shape):
    rng = np.random.default_rng(len(shape) + shape[0])
    rgba = rng.integers(0, 256, size=(*shape, 4), dtype=np.uint8)
    rgba[: shape[0] // 2, :, :] = (255, 255, 255, 255)  # a flat area, as on a map
    data = _png_bytes(rgba, dpi=300, text={"Title": "A map", "Copyright": "© someone"})
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        assert im.mode == "RGBA"
        assert im.size == (shape[1], shape[0])
        assert np.array_equal(np.asarray(im), rgba)
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert im.info["Title"] == "A map"
        assert im.info["Copyright"] == "© someone"
    kinds = [k for k, _ in _chunks(data)]
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"


def test_png_text_outside_latin1_is_kept_as_utf8():
    rgba = np.zeros((4, 5, 4), dtype=np.uint8)
    credit = "Šavrič & Jenny – Equal Earth; 東京"
    data = _png_bytes(rgba, dpi=96, text={"Copyright": credit, "Skipped": None})
    kinds = {k for k, _ in _chunks(data)}
    assert b"iTXt" in kinds
    with Image.open(io.BytesIO(data)) as im:
        assert im.info["Copyright"] == credit
        assert "Skipped" not in im.info


def test_png_is_no_larger_than_pillows_filtered_level_one_on_a_map(tmp_path):
    lines, points = _flow_lines_and_points()
    ax = viz.flows_map(lines, unit="people", points=points)
    (path,) = viz.save_map(ax, tmp_path / "map", formats=("png",), dpi=100)
    with Image.open(path) as im:
        pillow = io.BytesIO()
        im.save(pillow, "png", compress_level=1)
    assert path.stat().st_size <= 1.2 * len(pillow.getvalue())


def test_png_refuses_what_is_not_rgba_bytes():
    with pytest.raises(GeoAIError, match="uint8"):
        _png_bytes(np.zeros((3, 3, 3), dtype=np.uint8), dpi=72)
    with pytest.raises(GeoAIError, match="uint8"):
        _png_bytes(np.zeros((3, 3, 4), dtype=float), dpi=72)
    with pytest.raises(GeoAIError, match="uint8"):
        _png_bytes(np.zeros((0, 3, 4), dtype=np.uint8), dpi=72)


def _flow_lines_and_points():
    names = ["Tokyo", "Los Angeles", "New York", "Honolulu", "London", "Sydney"]
    lon = [139.7, -118.2, -74.0, -157.9, -0.1, 151.2]
    lat = [35.7, 34.1, 40.7, 21.3, 51.5, -33.9]
    m = gpd.GeoDataFrame(
        {"metro_id": names, "name": names, "population": [37e6, 12e6, 19e6, 1e6, 9e6, 5e6]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    table = np.arange(36, dtype=float).reshape(6, 6)
    return flows.to_lines(table, m, top=None), m


def _pixels(path):
    with Image.open(path) as im:
        return np.asarray(im)


def test_save_map_png_has_matplotlibs_pixels_and_one_draw(tmp_path):
    """The PNG of save_map: savefig's own pixels and metadata, from a single draw."""
    lines, points = _flow_lines_and_points()
    plain = viz.flows_map(lines, unit="people", points=points, title="Flows")
    plain.figure.savefig(tmp_path / "plain.png", dpi=80)
    ax = viz.flows_map(lines, unit="people", points=points, title="Flows")
    fig = ax.figure
    draws = []
    real_draw = fig.draw

    def counted(renderer):
        draws.append(renderer)
        return real_draw(renderer)

    fig.draw = counted
    (ours,) = viz.save_map(ax, tmp_path / "ours", formats=("png",), dpi=80)
    assert len(draws) == 1  # no dry run before the real draw
    assert np.array_equal(_pixels(tmp_path / "plain.png"), _pixels(ours))
    with Image.open(ours) as im:
        assert im.info["Title"] == "Flows"
        assert "Natural Earth" in im.info["Copyright"]
        assert im.info["dpi"] == pytest.approx((80, 80), abs=0.01)


def _segments_by_loop(frame, ends, widths):
    """The flows' segments one vertex pair at a time (the slow, obvious way)."""
    segments, seg_widths = [], []
    lon_0 = 0.0 if frame.world else frame.central_longitude
    for k in np.argsort(widths, kind="stable"):
        a = _flows._unit(ends[0][k], ends[1][k])
        b = _flows._unit(ends[2][k], ends[3][k])
        arc = math.degrees(math.acos(float(np.clip(a @ b, -1.0, 1.0))))
        step = min(_flows._STEP, max(arc / _flows._SEGMENTS, 0.05))
        parts = viz.great_circle(*(e[k] for e in ends), step=step, lon_0=lon_0)
        total = sum(len(p) - 1 for p in parts) or 1
        done = 0
        for part in parts:
            x, y = project(frame, part[:, 0], part[:, 1])
            for j in range(len(part) - 1):
                if np.isfinite([x[j], y[j], x[j + 1], y[j + 1]]).all():
                    share = (done + j + 0.5) / total
                    segments.append([[x[j], y[j]], [x[j + 1], y[j + 1]]])
                    seg_widths.append(widths[k] * (1.0 - (1.0 - _flows.TAPER) * share))
            done += len(part) - 1
    return np.array(segments).reshape(-1, 2, 2), np.array(seg_widths)


@pytest.mark.parametrize("crs", [None, "+proj=laea +lat_0=40 +lon_0=-100 +datum=WGS84 +units=m"])
def test_segments_match_the_vertex_by_vertex_loop(crs):
    """Seam crossings (world map) and vertices the projection cannot place (near the antipode)."""
    from pyproj import CRS

    rng = np.random.default_rng(7)
    n = 40
    lon1, lon2 = rng.uniform(-180, 180, n), rng.uniform(-180, 180, n)
    lat1, lat2 = rng.uniform(-70, 70, n), rng.uniform(-70, 70, n)
    lon1[0], lat1[0], lon2[0], lat2[0] = 139.7, 35.7, -118.2, 34.1  # across the antimeridian
    lon1[1], lat1[1], lon2[1], lat2[1] = 80.0, -40.0, 80.0, -40.0  # the antipode of the LAEA centre
    ends = (lon1, lat1, lon2, lat2)
    frame = frame_of(np.r_[lon1, lon2], np.r_[lat1, lat2], CRS(crs) if crs else None)
    widths = _flows.flow_width(rng.uniform(0, 100, n), 100.0)
    fast, fast_w = _flows._segments(frame, ends, widths)
    slow, slow_w = _segments_by_loop(frame, ends, widths)
    assert fast.shape == slow.shape
    assert fast.shape[0] > n * 10
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(fast_w, slow_w)


def test_segments_of_no_flow():
    frame = frame_of([0.0, 10.0], [40.0, 50.0])
    segments, widths = _flows._segments(frame, (np.empty(0),) * 4, np.empty(0))
    assert segments.shape == (0, 2, 2)
    assert widths.shape == (0,)


def _surface():
    x = np.arange(-20.0, 40.0, 0.5) + 0.25
    y = np.arange(70.0, 30.0, -0.5) - 0.25
    lon, lat = np.meshgrid(x, y)
    values = np.exp(-((lon - 10.0) ** 2 + (lat - 50.0) ** 2) / 50.0)
    values[:5, :5] = np.nan  # a hole: transparent cells over the land
    return xr.DataArray(values, coords={"y": y, "x": x}, dims=("y", "x")).rio.write_crs(4326)


def _render(fig, dpi):
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=dpi)
    return np.frombuffer(buf.getvalue(), dtype=np.uint8)


@pytest.mark.parametrize("dpi", [60, 300])
def test_potential_raster_draws_as_a_plain_matplotlib_image(dpi):
    """The surface's image keeps its data and draws the pixels of matplotlib's own AxesImage."""
    ax = viz.potential_map(_surface(), unit="people")
    fig = ax.figure
    fig.set_layout_engine("none")  # the same positions for both draws
    (ours,) = ax.images
    data = ours.get_array()
    assert np.ma.isMaskedArray(data)
    assert np.isnan(np.ma.filled(data, np.nan)).any()  # the data, not colours
    assert ours.to_rgba(data).dtype == np.uint8  # its colours, as drawn, in bytes
    assert ours.to_rgba(data, bytes=True).dtype == np.uint8
    assert ours.to_rgba(data.astype(float)).dtype == float  # another array: matplotlib's
    fast = _render(fig, dpi)
    plain = AxesImage(
        ax,
        cmap=ours.get_cmap(),
        norm=ours.norm,
        interpolation="nearest",
        origin="upper",
        extent=ours.get_extent(),
        zorder=ours.get_zorder(),
    )
    plain.set_data(data)
    plain.set_clip_path(ax.patch)
    ours.remove()
    ax.add_image(plain)
    reference = _render(fig, dpi)
    assert fast.shape == reference.shape
    assert np.abs(fast.astype(int) - reference).max() <= 1
    assert (fast != reference).mean() < 1e-4


def test_a_potential_map_pickles_and_draws_again():
    import pickle

    ax = viz.potential_map(_surface(), unit="people")
    again = pickle.loads(pickle.dumps(ax.figure))  # noqa: S301 - the bytes this test made
    (image,) = again.axes[0].images
    assert type(image).__name__ == "_SurfaceImage"
    np.testing.assert_array_equal(
        np.ma.filled(image.get_array(), -1), np.ma.filled(ax.images[0].get_array(), -1)
    )
    assert _render(again, 50).size == _render(ax.figure, 50).size


def test_the_map_writer_writes_what_save_map_writes(tmp_path):
    """PNGs written on the writer's thread: the same bytes as save_map's, all there at the end."""
    from geoai.viz._export import MapWriter

    lines, points = _flow_lines_and_points()
    direct = []
    for k in range(4):
        ax = viz.flows_map(lines, unit="people", points=points, title=f"Flows {k}")
        direct += viz.save_map(ax, tmp_path / f"direct_{k}", formats=("png", "svg"), dpi=60)
    later = []
    with MapWriter() as writer:  # four maps: more than the two PNGs allowed to wait
        for k in range(4):
            ax = viz.flows_map(lines, unit="people", points=points, title=f"Flows {k}")
            later += writer.save(ax, tmp_path / f"later_{k}", formats=("png", "svg"), dpi=60)
    assert [p.name.replace("later", "direct") for p in later] == [p.name for p in direct]
    for a, b in zip(direct, later, strict=True):
        assert a.read_bytes() == b.read_bytes()
    made = sorted(p.name for p in tmp_path.iterdir() if p.name != ".geoai-files.json")
    assert made == sorted(p.name for p in direct + later)


def test_the_map_writer_raises_a_writes_error_and_waits_under_another(tmp_path):
    from geoai.errors import OutputError
    from geoai.viz._export import MapWriter

    lines, points = _flow_lines_and_points()
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"a file geoai did not write")
    ax = viz.flows_map(lines, unit="people", points=points, title="Flows")
    with pytest.raises((OutputError, ValueError), match="taken"), MapWriter() as writer:
        writer.save(ax, taken, formats=("png",), dpi=40)
    assert taken.read_bytes() == b"a file geoai did not write"
    png = tmp_path / "mine.png"

    def interrupted():
        with MapWriter() as writer:
            writer.save(ax, png, formats=("png",), dpi=40)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert png.is_file()  # the write was waited for, not abandoned mid-file
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert left == [".geoai-files.json"]  # the ledger of what geoai wrote; no temp file
