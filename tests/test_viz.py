"""Maps: categories, legend counts, colours and bad input."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401  (the .rio accessor)
import shapely
import xarray as xr
from matplotlib.collections import PatchCollection
from matplotlib.colors import to_hex
from shapely import LineString

from geoai import InputError, viz
from geoai.datasets import _read_boundaries
from tests.roles.test_classify import FAST, world


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _data_collections(ax):
    """Collections drawn by the data layers (not the country layer)."""
    return [c for c in ax.collections if not str(c.get_gid()).startswith(viz.BASEMAP_GID)]


def test_roles_map_legend_counts_and_colours(tmp_path):
    from geoai.roles import classify

    roles = classify(world(), thresholds=FAST)
    ax = viz.roles_map(roles)
    counts = roles["role"].astype(str).value_counts()
    texts = _legend(ax)
    assert any(t == f"superstar ({counts['superstar']})" for t in texts)
    assert any(t == f"hinterland ({counts['hinterland']})" for t in texts)
    colours = {to_hex(c.get_facecolor()[0]) for c in ax.collections}
    assert viz.ROLE_COLOURS["superstar"] in colours
    assert any(t.get_text() == viz.MAP_ATTRIBUTION for t in ax.texts)
    assert viz.MAP_ATTRIBUTION.startswith(viz.ATTRIBUTION)
    assert "Made with Natural Earth" in viz.MAP_ATTRIBUTION
    out = tmp_path / "roles.png"
    ax.figure.savefig(out, dpi=60)
    assert out.stat().st_size > 10_000


def test_lisa_map_uses_the_geoda_palette():
    gdf = world()
    labels = np.array(["HH", "LL", "HL", "LH", "ns"] * 10)[: len(gdf)]
    ax = viz.lisa_map(gdf, pd.DataFrame({"label": labels}, index=gdf.index))
    faces = {to_hex(c.get_facecolor()[0]) for c in _data_collections(ax)}
    assert faces == set(viz.LISA_COLOURS.values())
    assert ax.get_title() == "Local Moran clusters"


def test_palettes_differ_in_lightness():
    """Categories stay apart in greyscale print."""
    for palette in (viz.ROLE_COLOURS, viz.LISA_COLOURS):
        rgb = np.array([mpl.colors.to_rgb(c) for c in palette.values()])
        grey = rgb @ [0.299, 0.587, 0.114]
        assert np.min(np.diff(np.sort(grey))) > 0.04


def test_bad_input():
    gdf = world()
    with pytest.raises(InputError, match="role"):
        viz.roles_map(gdf)
    with pytest.raises(InputError, match="unknown LISA labels"):
        viz.lisa_map(gdf, pd.DataFrame({"label": ["XX"] * len(gdf)}, index=gdf.index))
    with pytest.raises(InputError, match="same rows"):
        viz.lisa_map(gdf, pd.DataFrame({"label": ["ns"]}))


def _surface():
    x = np.arange(-20.0, 40.0, 0.5) + 0.25
    y = np.arange(70.0, 30.0, -0.5) - 0.25
    lon, lat = np.meshgrid(x, y)
    values = np.exp(-((lon - 10.0) ** 2 + (lat - 50.0) ** 2) / 50.0)
    return xr.DataArray(values, coords={"y": y, "x": x}, dims=("y", "x")).rio.write_crs(4326)


def _lines(gdf):
    origin = gdf.geometry.iloc[0]
    return gpd.GeoDataFrame(
        {"flow": np.arange(1.0, len(gdf))},
        geometry=[LineString([origin, p]) for p in gdf.geometry.iloc[1:]],
        crs=gdf.crs,
    )


def _maps():
    gdf = world()
    labels = np.array(["HH", "LL", "ns"] * 20)[: len(gdf)]
    lisa = pd.DataFrame({"label": labels}, index=gdf.index)
    return {
        "lisa": lambda: viz.lisa_map(gdf, lisa),
        "flows": lambda: viz.flows_map(_lines(gdf), points=gdf),
        "potential": lambda: viz.potential_map(_surface(), points=gdf),
    }


@pytest.mark.parametrize("kind", ["lisa", "flows", "potential"])
def test_maps_draw_the_countries_beneath_the_data(kind):
    ax = _maps()[kind]()
    layers = [c for c in ax.collections if c.get_gid() == viz.BASEMAP_GID]
    assert len(layers) == 1
    land = layers[0]
    assert isinstance(land, PatchCollection)
    parts = int(shapely.get_num_geometries(_read_boundaries().geometry.to_numpy()).sum())
    assert len(land.get_paths()) == parts >= 100
    assert to_hex(land.get_facecolor()[0]) == viz.LAND_COLOUR
    assert to_hex(land.get_edgecolor()[0]) == viz.BORDER_COLOUR
    data = _data_collections(ax) + list(ax.images)
    data = [a for a in data if a.get_gid() is None]
    assert data, "the map drew no data layer"
    assert land.get_zorder() < min(a.get_zorder() for a in data)
    assert any(t.get_text() == viz.MAP_ATTRIBUTION for t in ax.texts)
    ax.figure.canvas.draw()  # the layer renders


def test_country_layer_keeps_the_data_extent():
    surface = _surface()
    ax = viz.potential_map(surface)
    x, y = surface["x"].to_numpy(), surface["y"].to_numpy()
    assert ax.get_xlim() == pytest.approx((x.min() - 0.25, x.max() + 0.25))
    assert ax.get_ylim() == pytest.approx((y.min() - 0.25, y.max() + 0.25))
    # the borders are repeated over the raster, which hides the land fill
    (over,) = [c for c in ax.collections if c.get_gid() == f"{viz.BASEMAP_GID}-borders"]
    assert over.get_zorder() > ax.images[0].get_zorder()
    assert len(over.get_facecolor()) == 0 or over.get_facecolor()[0][3] == 0


def _signed_area(ring):
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def test_country_paths_keep_holes_open():
    """Holes (Lesotho in South Africa) wind against their exterior, so no fill rule covers them."""
    from matplotlib.path import Path

    paths = viz._country_paths()
    assert all(isinstance(p, Path) for p in paths)
    with_holes = 0
    for path in paths:
        rings = path.to_polygons(closed_only=True)
        assert _signed_area(rings[0]) > 0  # exterior counter-clockwise
        assert all(_signed_area(r) < 0 for r in rings[1:])  # holes clockwise
        with_holes += len(rings) > 1
    boundaries = _read_boundaries().set_index("name")
    assert len(boundaries.loc["South Africa", "geometry"].interiors) == 1
    assert with_holes >= 1
