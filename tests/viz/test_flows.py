"""Flow maps: great circles cut at the seam, widths in their unit, tapering to the destination."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoai import flows, viz
from geoai.kernels.distance import EARTH_RADIUS_KM


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _metros():
    names = ["Tokyo", "Los Angeles", "New York", "Honolulu", "London", "Sydney"]
    lon = [139.7, -118.2, -74.0, -157.9, -0.1, 151.2]
    lat = [35.7, 34.1, 40.7, 21.3, 51.5, -33.9]
    pop = [37e6, 12e6, 19e6, 1e6, 9e6, 5e6]
    return gpd.GeoDataFrame(
        {"metro_id": names, "name": names, "population": pop},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def _lines(scale=1.0):
    m = _metros()
    table = np.arange(36, dtype=float).reshape(6, 6) * scale
    return flows.to_lines(table, m, top=None), m


def _haversine_deg(lon1, lat1, lon2, lat2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(a, 0, 1))))


@given(st.floats(-180, 180), st.floats(-80, 80), st.floats(-180, 180), st.floats(-80, 80))
def test_great_circle_pieces_never_jump_across_the_map(lon1, lat1, lon2, lat2):
    parts = viz.great_circle(lon1, lat1, lon2, lat2)
    assert 1 <= len(parts) <= 2
    for part in parts:
        assert np.all(np.abs(np.diff(part[:, 0])) <= 180.0)  # no segment spans half the world
        assert np.all(np.abs(part[:, 0]) <= 180.0 + 1e-9)
    start, end = parts[0][0], parts[-1][-1]
    assert _haversine_deg(start[0], start[1], lon1, lat1) < 1e-6
    assert _haversine_deg(end[0], end[1], lon2, lat2) < 1e-6
    # every vertex lies on the shortest path: the two legs add up to the whole arc
    whole = _haversine_deg(lon1, lat1, lon2, lat2)
    for part in parts:
        legs = _haversine_deg(lon1, lat1, part[:, 0], part[:, 1]) + _haversine_deg(
            part[:, 0], part[:, 1], lon2, lat2
        )
        assert np.allclose(legs, whole, atol=1e-6)


def test_tokyo_to_los_angeles_is_cut_at_the_antimeridian_and_bends_north():
    parts = viz.great_circle(139.7, 35.7, -118.2, 34.1)
    assert len(parts) == 2
    assert parts[0][-1, 0] == 180.0
    assert parts[1][0, 0] == -180.0
    assert parts[0][-1, 1] == parts[1][0, 1]  # the same crossing latitude on both sides
    assert max(p[:, 1].max() for p in parts) > 45.0  # the great circle arcs towards the pole
    km = np.radians(_haversine_deg(139.7, 35.7, -118.2, 34.1)) * EARTH_RADIUS_KM
    assert 8700 < km < 8900


def _flow_layer(ax):
    (layer,) = [c for c in ax.collections if c.get_gid() == viz.FLOWS_GID]
    return layer


def test_drawn_flows_have_no_segment_across_the_whole_map():
    lines, metros = _lines()
    ax = viz.flows_map(lines, unit="people", points=metros)
    assert viz.map_crs(ax).to_epsg() == 8857
    segments = _flow_layer(ax).get_segments()
    assert len(segments) > 30 * 8
    width = np.ptp(ax.get_xlim())
    longest = max(float(np.abs(np.diff(s[:, 0])).max()) for s in segments)
    assert longest < 0.05 * width


def test_width_legend_is_in_the_unit_and_matches_the_lines():
    lines, metros = _lines(scale=1e7)
    ax = viz.flows_map(lines, unit="USD", kind="capital flow", points=metros, colour="#1b7837")
    legend = ax.get_legend()
    assert legend.get_gid() == viz.WIDTH_LEGEND_GID
    assert "capital flow (USD)" in legend.get_title().get_text()
    entries = [t.get_text() for t in legend.get_texts()]
    assert entries == ["US$ 200 M", "US$ 100 M", "US$ 50 M"]
    top = float(lines["flow"].max())
    for handle, value in zip(legend.get_lines(), (2e8, 1e8, 5e7), strict=True):
        assert handle.get_linewidth() == pytest.approx(float(viz.flow_width(value, top)))
    widths = _flow_layer(ax).get_linewidths()
    assert max(widths) == pytest.approx(float(viz.flow_width(top, top)), rel=0.05)


def test_lines_taper_from_origin_to_destination():
    m = _metros()
    one = flows.to_lines(
        np.where(np.arange(36).reshape(6, 6) == 4, 100.0, 0.0), m, top=None
    )  # Tokyo -> London only
    assert one[["origin", "destination"]].to_numpy().tolist() == [["Tokyo", "London"]]
    ax = viz.flows_map(one, unit="people")
    layer = _flow_layer(ax)
    widths = np.asarray(layer.get_linewidths())
    assert widths.size == len(layer.get_segments()) > 5
    assert np.all(np.diff(widths) < 0)  # narrower at every step towards London
    assert widths[-1] < 0.3 * widths[0]
    # the first segment starts at Tokyo (projected)
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 8857, always_xy=True).transform(139.7, 35.7)
    assert np.allclose(layer.get_segments()[0][0], (x, y))


def test_largest_metros_are_labelled_on_flow_maps():
    lines, metros = _lines()
    ax = viz.flows_map(lines, unit="people", points=metros, labels=3)
    drawn = [t.get_text() for t in ax.texts if t.get_gid() == viz.LABEL_GID]
    assert drawn == ["Tokyo", "New York", "Los Angeles"]


def test_credit_names_only_the_sources_given():
    lines, _ = _lines()
    ax = viz.flows_map(lines, unit="people", sources=["geonames", "Metros: mine.csv"])
    (credit,) = [t.get_text() for t in ax.texts if t.get_gid() == viz.CREDIT_GID]
    credit = credit.replace("\n", " ")
    assert "© GeoNames (CC BY 4.0)" in credit
    assert "Metros: mine.csv" in credit
    assert "UN DESA" not in credit
    assert "BLS" not in credit
    lines.attrs["source"] = "Data: © OpenStreetMap contributors, ODbL 1.0"
    ax = viz.flows_map(lines, unit="people")
    (credit,) = [t.get_text() for t in ax.texts if t.get_gid() == viz.CREDIT_GID]
    assert "© OpenStreetMap contributors" in credit
    assert "World Bank" not in credit
