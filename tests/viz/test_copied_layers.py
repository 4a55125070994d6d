"""The shortcuts of a run's maps draw matplotlib's own pixels: kept backdrop, index raster, paths.

Each is checked against matplotlib drawing the same figure its usual way
(the backdrop with nothing kept, the raster through ``AxesImage``'s RGBA
resampling, the segments through ``Path``), and the web map's flows against
the lines they came from.
"""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr
from matplotlib.image import AxesImage
from matplotlib.path import Path

from geoai import flows, viz
from geoai.viz import _backdrop, _flows, _raster


@pytest.fixture(autouse=True)
def _fresh():
    _backdrop.forget()
    yield
    _backdrop.forget()
    plt.close("all")


class _Counting(dict):
    """The kept backdrops, counting how often one is copied back."""

    copied = 0

    def __getitem__(self, key):
        type(self).copied += 1
        return super().__getitem__(key)


@pytest.fixture
def kept(monkeypatch):
    store = _Counting()
    _Counting.copied = 0
    monkeypatch.setattr(_backdrop, "_KEPT", store)
    return store


def _places():
    names = ["Tokyo", "Los Angeles", "New York", "London", "Sydney", "Lagos"]
    lon = [139.7, -118.2, -74.0, -0.1, 151.2, 3.4]
    lat = [35.7, 34.1, 40.7, 51.5, -33.9, 6.5]
    return gpd.GeoDataFrame(
        {
            "metro_id": [n[:3].lower() for n in names],
            "name": names,
            "population": [37e6, 12e6, 19e6, 9e6, 5e6, 15e6],
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def _flow_map(scale=1.0):
    m = _places()
    table = np.arange(36, dtype=float).reshape(6, 6) * scale
    return viz.flows_map(flows.to_lines(table, m, top=None), unit="people", points=m, title="F")


def _rgba(fig, dpi=60):
    """One draw of the figure on its Agg canvas (savefig would add a dry run)."""
    fig.set_dpi(dpi)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def test_a_copied_backdrop_has_the_pixels_matplotlib_draws(kept):
    first = _rgba(_flow_map().figure)
    assert len(kept) == 1  # drawn, then kept
    assert _Counting.copied == 0
    fig = _flow_map(scale=2.0).figure  # other flows, the same backdrop
    copied = _rgba(fig)
    assert _Counting.copied == 1
    _backdrop.forget()
    drawn = _rgba(fig)  # nothing kept: matplotlib draws every layer
    assert np.array_equal(copied, drawn)
    assert not np.array_equal(first, drawn)  # the flows differ, so the check can fail


@pytest.mark.parametrize("change", ["land colour", "limits", "dpi", "layer beneath"])
@pytest.mark.usefixtures("kept")
def test_a_backdrop_that_would_differ_is_drawn_again(change):
    _rgba(_flow_map().figure)
    ax = _flow_map()
    dpi = 60
    if change == "land colour":
        next(c for c in ax.collections if c.get_gid() == viz.BASEMAP_GID).set_facecolor("#aa0000")
    elif change == "limits":
        x0, x1 = ax.get_xlim()
        ax.set_xlim(x0 * 0.9, x1 * 0.9)
    elif change == "dpi":
        dpi = 70
    else:
        ax.axhspan(-1e6, 1e6, color="#00aa00", zorder=0.45)
    ours = _rgba(ax.figure, dpi)
    assert _Counting.copied == 0
    _backdrop.forget()
    assert np.array_equal(ours, _rgba(ax.figure, dpi))


@pytest.mark.usefixtures("kept")
def test_vector_files_draw_the_layers(tmp_path):
    ax = _flow_map()
    _rgba(ax.figure)
    (svg,) = viz.save_map(ax, tmp_path / "map", formats=("svg",))
    assert viz.BASEMAP_GID in svg.read_text()
    assert viz.GRATICULE_GID in svg.read_text()


def _surface(step=0.5):
    x = np.arange(-20.0, 40.0, step) + step / 2
    y = np.arange(70.0, 30.0, -step) - step / 2
    lon, lat = np.meshgrid(x, y)
    values = np.exp(-((lon - 10.0) ** 2 + (lat - 50.0) ** 2) / 50.0)
    values[:5, :5] = np.nan  # transparent cells
    return xr.DataArray(values, coords={"y": y, "x": x}, dims=("y", "x")).rio.write_crs(4326)


class _Bytes(AxesImage):
    """matplotlib's image drawing 8-bit colours through its own RGBA resampling."""

    def to_rgba(self, x, alpha=None, bytes=False, norm=True):  # noqa: A002, FBT002
        if x is self.get_array() and alpha is None and not bytes and norm:
            return super().to_rgba(x, bytes=True)
        return super().to_rgba(x, alpha, bytes, norm)


@pytest.mark.parametrize(("step", "dpi"), [(0.5, 60), (0.5, 300), (5.0, 300)])
def test_the_index_raster_draws_matplotlibs_pixels(step, dpi):
    """Exactly the pixels of matplotlib's RGBA path (and its data path for coarse cells)."""
    ax = viz.potential_map(_surface(step), unit="people")
    fig = ax.figure
    fig.set_layout_engine("none")
    (ours,) = ax.images
    fast = _rgba(fig, dpi)
    plain = _Bytes(ax, cmap=ours.get_cmap(), norm=ours.norm, interpolation="nearest",
                   origin="upper", extent=ours.get_extent(), zorder=ours.get_zorder())  # fmt: skip
    plain.set_data(ours.get_array())
    plain.set_clip_path(ax.patch)
    ours.remove()
    ax.add_image(plain)
    assert np.array_equal(fast, _rgba(fig, dpi))


def test_the_colour_table_is_matplotlibs_round_trip():
    rng = np.random.default_rng(3)
    rgba = rng.integers(0, 256, size=(40, 30, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(rng.random((40, 30)) < 0.2, 0, 255)
    for colours in (rgba, np.where(np.arange(4) == 3, 128, rgba).astype(np.uint8)):
        table = _raster._colour_table(colours)
        assert table[0] == 0  # no cell: transparent
        f = colours.astype(np.float32) / np.float32(255)  # matplotlib's steps, spelled out
        a = f[..., 3:4]
        f = np.concatenate([f[..., :3] * a / np.where(a != 0, a, 1), a], axis=-1)
        expected = (f * 255).astype(np.uint8)
        assert np.array_equal(table[1:].view(np.uint8).reshape(colours.shape), expected)


def test_segment_paths_are_the_paths_matplotlib_makes():
    segments = np.random.default_rng(5).uniform(-1e6, 1e6, size=(50, 2, 2))
    ours = _flows._segment_paths(segments)
    theirs = [Path(np.asarray(s, dtype=float)) for s in segments]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert np.array_equal(a.vertices, b.vertices)
        assert a.codes is None
        assert b.codes is None
        assert a.should_simplify == b.should_simplify
        assert a.simplify_threshold == b.simplify_threshold
        assert a._interpolation_steps == b._interpolation_steps
    assert _flows._segment_paths(np.empty((0, 2, 2))) == []


def test_the_web_maps_flows_keep_their_lines_ends_and_sizes():
    from types import SimpleNamespace

    from geoai.pipeline._webmap import _scenario

    m = _places().assign(role="hub")
    lines = flows.to_lines(np.arange(36, dtype=float).reshape(6, 6), m, top=None)
    sim = SimpleNamespace(roles=m)
    got = _scenario(sim, {"talent": lines, "other": lines}).flows
    assert set(got) == {"talent"}
    out = got["talent"]
    assert out.crs == lines.crs
    assert out.geometry.geom_equals(lines.geometry).all()
    assert np.array_equal(out["flow"].to_numpy(), lines["flow"].to_numpy())
    names = dict(zip(m["metro_id"], m["name"], strict=True))
    assert out["origin"].tolist() == [names[str(o)] for o in lines["origin"]]
    assert out["destination"].tolist() == [names[str(d)] for d in lines["destination"]]
    assert all(type(v) is str for v in out["origin"])
