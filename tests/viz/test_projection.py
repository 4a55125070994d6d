"""The map's projection: Equal Earth for world data, a fitted regional CRS otherwise."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import CRS, Transformer

from geoai import InputError, viz
from geoai.viz._projection import longitude_range


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _places(lon, lat):
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return gpd.GeoDataFrame(
        {
            "name": [f"p{i}" for i in range(lon.size)],
            "population": np.linspace(1e6, 9e6, lon.size),
            "label": ["HH"] * lon.size,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


EUROPE = ([2.35, 13.4, -3.7, 12.5, 21.0, -9.1, 18.1], [48.9, 52.5, 40.4, 41.9, 52.2, 38.7, 59.3])
WORLD = ([-74.0, 139.7, 2.35, -46.6, 151.2, 28.0], [40.7, 35.7, 48.9, -23.5, -33.9, -26.2])


def _lisa(gdf):
    return viz.lisa_map(gdf, pd.DataFrame({"label": gdf["label"]}, index=gdf.index))


def test_world_data_is_drawn_in_equal_earth():
    ax = _lisa(_places(*WORLD))
    crs = viz.map_crs(ax)
    assert crs.to_epsg() == 8857
    assert "Equal Earth" in crs.name
    assert "Equal Earth" in ax.get_xlabel()  # the map says its projection


def test_europe_only_points_get_a_regional_equal_area_crs_and_extent():
    gdf = _places(*EUROPE)
    ax = _lisa(gdf)
    crs = viz.map_crs(ax)
    assert crs.to_epsg() == 3035
    world = _lisa(_places(*WORLD))
    # the regional extent hugs the data: far narrower than a world map
    assert np.ptp(ax.get_xlim()) < np.ptp(world.get_xlim()) / 5
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(*EUROPE)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 < np.min(x)
    assert np.max(x) < x1
    assert y0 < np.min(y)
    assert np.max(y) < y1


def test_the_countries_are_drawn_in_the_map_crs():
    gdf = _places(*EUROPE)
    ax = _lisa(gdf)
    (land,) = [c for c in ax.collections if c.get_gid() == viz.BASEMAP_GID]
    vertices = np.concatenate([p.vertices for p in land.get_paths()])
    assert np.abs(vertices).max() > 1e5  # metres, not degrees
    # Paris (projected to EPSG:3035) lies inside one of the drawn polygons: France
    px, py = Transformer.from_crs(4326, 3035, always_xy=True).transform(2.35, 48.86)
    assert any(p.contains_point((px, py)) for p in land.get_paths())
    # and not the same point read as degrees
    assert not any(p.contains_point((2.35, 48.86)) for p in land.get_paths())


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        ([-120.0, -75.0, -90.0], [34.0, 41.0, 30.0], "EPSG:5070"),  # contiguous US
        ([23.5, 24.9, 25.5], [60.2, 60.2, 61.0], "EPSG:32635"),  # southern Finland: UTM 35N
        ([151.2, 153.0, 150.0], [-33.9, -27.5, -35.3], "EPSG:32756"),  # Sydney area: 56S
    ],
)
def test_known_regions_get_their_crs(lon, lat, expected):
    assert viz.choose_crs(lon, lat) == CRS(expected)


def test_other_regions_get_an_azimuthal_equal_area_crs_centred_on_them():
    lon, lat = [100.0, 121.5, 139.7, 126.9], [13.7, 31.2, 35.7, 37.5]  # East Asia
    crs = viz.choose_crs(lon, lat)
    assert crs.coordinate_operation.method_name == "Lambert Azimuthal Equal Area"
    frame = viz.frame_of(lon, lat)
    assert 100.0 < frame.central_longitude < 139.7


def test_pacific_data_across_the_antimeridian_is_regional():
    lon, lat = [177.4, -178.0, 179.2, -171.8], [-18.1, -14.3, -16.8, -13.8]  # Fiji to Samoa
    assert longitude_range(lon) == (177.4, -171.8)
    crs = viz.choose_crs(lon, lat)
    assert crs.to_epsg() != 8857
    ax = _lisa(_places(lon, lat))
    (land,) = [c for c in ax.collections if c.get_gid() == viz.BASEMAP_GID]
    assert len(land.get_paths()) > 0
    x0, x1 = ax.get_xlim()
    assert x1 - x0 < 3e6  # the map hugs the islands, not the whole globe


@given(
    st.lists(st.floats(-179.9, 179.9), min_size=1, max_size=12),
    st.floats(-70.0, 70.0),
)
def test_longitude_range_holds_every_longitude(lon, lat0):
    west, east = longitude_range(lon)
    span = (east - west) % 360.0
    for x in lon:
        d = (x - west) % 360.0
        assert d <= span + 1e-9 or d >= 360.0 - 1e-9
    crs = viz.choose_crs(lon, [lat0] * len(lon))
    assert crs.is_projected


def test_bad_coordinates():
    with pytest.raises(InputError, match="nothing to map"):
        viz.choose_crs([np.nan], [np.nan])
    with pytest.raises(InputError, match="projected"):
        viz.frame_of([0.0], [0.0], CRS(4326))
