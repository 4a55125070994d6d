"""Maps: categories, legend counts, colours, the country layer beneath the data, bad input."""

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
    """Collections drawn by the data layers (not the countries or the graticule)."""
    return [
        c
        for c in ax.collections
        if not str(c.get_gid()).startswith((viz.BASEMAP_GID, viz.GRATICULE_GID))
    ]


def _credit(ax):
    (text,) = [t for t in ax.texts if t.get_gid() == viz.CREDIT_GID]
    return text.get_text().replace("\n", " ")


def test_roles_map_legend_counts_and_colours(tmp_path):
    from geoai.roles import classify

    roles = classify(world(), thresholds=FAST)
    ax = viz.roles_map(roles)
    counts = roles["role"].astype(str).value_counts()
    texts = _legend(ax)
    assert any(t == f"superstar ({counts['superstar']})" for t in texts)
    assert any(t == f"hinterland ({counts['hinterland']})" for t in texts)
    colours = {to_hex(c.get_facecolor()[0]) for c in _data_collections(ax)}
    assert viz.ROLE_COLOURS["superstar"] in colours
    # no attrs["source"]: the embedded data's credit line, © first, Natural Earth last
    assert _credit(ax) == viz.MAP_ATTRIBUTION
    assert viz.MAP_ATTRIBUTION.startswith("© UN DESA")
    assert viz.MAP_ATTRIBUTION.endswith("Made with Natural Earth (public domain)")
    out = tmp_path / "roles.png"
    ax.figure.savefig(out, dpi=60)
    assert out.stat().st_size > 10_000


def test_size_legend_is_in_people_and_matches_the_markers():
    gdf = world()
    gdf["population"] = np.linspace(1e5, 8e6, len(gdf))
    labels = np.array(["HH", "LL", "ns"] * 20)[: len(gdf)]
    ax = viz.lisa_map(gdf, pd.DataFrame({"label": labels}, index=gdf.index))
    (sizes,) = [a for a in ax.artists if a.get_gid() == viz.SIZE_LEGEND_GID]
    assert sizes.get_title().get_text() == "population (people)"
    entries = [t.get_text() for t in sizes.get_texts()]
    assert entries == ["5 M people", "2 M people", "1 M people"]
    # a legend marker has the area a place of that population is drawn with
    area = [h.get_markersize() ** 2 for h in sizes.legend_handles]
    biggest = max(c.get_sizes().max() for c in _data_collections(ax))
    assert area[0] == pytest.approx(4 + 160 * 5e6 / 8e6)
    assert biggest == pytest.approx(164.0)
    assert area[0] > area[1] > area[2]


def test_largest_places_are_labelled_without_crowding():
    gdf = world()
    gdf["name"] = [f"place {i}" for i in range(len(gdf))]
    gdf["population"] = np.arange(len(gdf), 0, -1) * 1e5
    labels = np.array(["ns"] * len(gdf))
    ax = viz.lisa_map(gdf, pd.DataFrame({"label": labels}, index=gdf.index), labels=5)
    drawn = [t.get_text() for t in ax.texts if t.get_gid() == viz.LABEL_GID]
    assert drawn[0] == "place 0"  # the most populous first
    assert 1 <= len(drawn) <= 5
    # place 0's eight satellites lie 60 km away: too close to be labelled beside it
    assert not {f"place {i}" for i in range(1, 9)} & set(drawn)


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
    with pytest.raises(InputError, match="unit"):
        viz.flows_map(_lines(gdf))
    with pytest.raises(InputError, match="unit"):
        viz.potential_map(_surface())
    mixed = _lines(gdf)
    mixed["kind"] = np.where(np.arange(len(mixed)) % 2 == 0, "talent", "capital")
    with pytest.raises(InputError, match="mix the kinds"):
        viz.flows_map(mixed, unit="people")
    with pytest.raises(InputError, match="labels"):
        viz.lisa_map(gdf, pd.DataFrame({"label": ["ns"] * len(gdf)}, index=gdf.index), labels=-1)


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
        "flows": lambda: viz.flows_map(_lines(gdf), unit="people", points=gdf),
        "potential": lambda: viz.potential_map(_surface(), points=gdf, unit="people"),
    }


@pytest.mark.parametrize("kind", ["lisa", "flows", "potential"])
def test_maps_draw_the_countries_beneath_the_data(kind):
    ax = _maps()[kind]()
    layers = [c for c in ax.collections if c.get_gid() == viz.BASEMAP_GID]
    assert len(layers) == 1
    land = layers[0]
    assert isinstance(land, PatchCollection)
    assert len(land.get_paths()) >= 100
    assert to_hex(land.get_facecolor()[0]) == viz.LAND_COLOUR
    assert to_hex(land.get_edgecolor()[0]) == viz.BORDER_COLOUR
    data = _data_collections(ax) + list(ax.images)
    data = [a for a in data if a.get_gid() in (None, viz.FLOWS_GID)]
    assert data, "the map drew no data layer"
    assert land.get_zorder() < min(a.get_zorder() for a in data)
    assert "©" in _credit(ax)
    assert "Natural Earth" in _credit(ax)
    ax.figure.canvas.draw()  # the layer renders


def test_the_world_map_draws_every_country_polygon_in_equal_earth():
    ax = _maps()["flows"]()  # the test world spans 200° of longitude
    assert viz.map_crs(ax).to_epsg() == 8857
    (land,) = [c for c in ax.collections if c.get_gid() == viz.BASEMAP_GID]
    parts = int(shapely.get_num_geometries(_read_boundaries().geometry.to_numpy()).sum())
    assert len(land.get_paths()) == parts


def test_potential_map_keeps_the_data_extent_and_writes_its_unit():
    surface = _surface()
    ax = viz.potential_map(surface, unit="people", label="potential of people")
    assert ax.figure.axes[-1].get_ylabel() == "potential of people (people), log scale"
    # a regional raster: drawn in a regional CRS with the raster inside the axes
    assert viz.map_crs(ax).to_epsg() == 3035
    from pyproj import Transformer

    t = Transformer.from_crs(4326, 3035, always_xy=True)
    cx, cy = t.transform(10.0, 50.0)  # the peak of the surface
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 < cx < x1
    assert y0 < cy < y1
    image = ax.images[0].get_array()
    assert np.isfinite(np.ma.filled(image, np.nan)).mean() > 0.3
    # the borders are repeated over the raster, which hides the land fill
    (over,) = [c for c in ax.collections if c.get_gid() == f"{viz.BASEMAP_GID}-borders"]
    assert over.get_zorder() > ax.images[0].get_zorder()
    assert len(over.get_facecolor()) == 0 or over.get_facecolor()[0][3] == 0


def test_potential_map_blanks_cells_beyond_the_globe():
    x = np.arange(-180.0, 180.0, 2.0) + 1.0
    y = np.arange(78.0, -60.0, -2.0) - 1.0
    values = np.ones((y.size, x.size))
    world_surface = xr.DataArray(values, coords={"y": y, "x": x}, dims=("y", "x")).rio.write_crs(
        4326
    )
    ax = viz.potential_map(world_surface, unit="people")
    image = np.ma.filled(ax.images[0].get_array(), np.nan)
    # the corners of the Equal Earth frame lie outside the globe: nothing is drawn there
    assert np.isnan(image[:5, :5]).all()
    assert np.isnan(image[:5, -5:]).all()
    assert np.isfinite(image[image.shape[0] // 2, image.shape[1] // 2])


def _signed_area(ring):
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


@pytest.mark.parametrize("projected", [False, True])
def test_country_paths_keep_holes_open(projected):
    """Holes (Lesotho in South Africa) wind against their exterior, so no fill rule covers them."""
    from matplotlib.path import Path

    frame = viz.frame_of([-100.0, 100.0], [-30.0, 50.0]) if projected else None
    paths = viz.country_paths(frame)
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
