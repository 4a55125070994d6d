from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoai import CRSError, InputError, metros_from_places
from tests.conftest import KM_PER_DEG
from tests.reference import city_clustering


def chain(spacings_km, pops=None, lat0=0.0):
    """Places along the equator with the given gaps between consecutive places."""
    lon = np.concatenate([[0.0], np.cumsum(spacings_km)]) / KM_PER_DEG
    lat = np.full(lon.size, lat0)
    pops = np.full(lon.size, 20_000.0) if pops is None else np.asarray(pops, float)
    return lon, lat, pops


def test_chained_places_form_one_metro(make_places):
    lon, lat, pop = chain([4, 4, 4, 4])  # 16 km end to end, every link 4 km
    m = metros_from_places(make_places(lon, lat, pop), link_km=5, density=None)
    assert len(m) == 1
    assert m.loc[0, "population"] == pytest.approx(pop.sum())
    assert m.loc[0, "n_places"] == 5


def test_gap_larger_than_link_splits(make_places):
    lon, lat, pop = chain([4, 6, 4], pops=[50_000, 20_000, 30_000, 25_000])
    m = metros_from_places(make_places(lon, lat, pop), link_km=5, density=None)
    assert sorted(m["population"]) == [55_000, 70_000]


def test_place_exactly_at_link_distance_is_linked(make_places):
    lon, lat, pop = chain([5.0])
    m = metros_from_places(make_places(lon, lat, pop), link_km=5.0, density=None)
    assert len(m) == 1
    lon, lat, pop = chain([5.001])
    m = metros_from_places(make_places(lon, lat, pop), link_km=5.0, density=None)
    assert len(m) == 2


def test_single_place_metros_keep_their_point(make_places):
    places = make_places([10, 20, 30], [5, -5, 45], [3e5, 2e5, 1e5], names=["a", "b", "c"])
    m = metros_from_places(places, link_km=5, density=None)
    assert list(m["name"]) == ["a", "b", "c"]
    assert (m["n_places"] == 1).all()
    np.testing.assert_allclose(m.geometry.x, [10, 20, 30], atol=1e-9)
    np.testing.assert_allclose(m.geometry.y, [5, -5, 45], atol=1e-9)


def test_metro_named_and_identified_by_largest_place(make_places):
    lon, lat, pop = chain([3, 3], pops=[20_000, 900_000, 40_000])
    places = make_places(lon, lat, pop, names=["west", "core", "east"])
    places.index = [101, 202, 303]
    m = metros_from_places(places, link_km=5, density=None)
    assert m.loc[0, "name"] == "core"
    assert m.loc[0, "metro_id"] == "202"
    assert m.loc[0, "places"] == "core; east; west"


def test_centroid_is_population_weighted(make_places):
    lon, lat, pop = chain([4], pops=[300_000, 100_000])
    m = metros_from_places(make_places(lon, lat, pop), link_km=5, density=None)
    expected = (0.0 * 3 + lon[1] * 1) / 4
    assert m.geometry.x[0] == pytest.approx(expected, rel=1e-6)


def test_min_place_pop_drops_small_links(make_places):
    # the middle place bridges the two ends only if it is counted
    lon, lat, pop = chain([4, 4], pops=[50_000, 5_000, 50_000])
    places = make_places(lon, lat, pop)
    assert len(metros_from_places(places, link_km=5, density=None, min_place_pop=1_000)) == 1
    m = metros_from_places(places, link_km=5, density=None, min_place_pop=15_000)
    assert len(m) == 2
    assert m["population"].sum() == 100_000


def test_discs_link_large_places_beyond_link_km(make_places):
    # 10 M people at 10,000/km²: radius 17.8 km, so a suburb 20 km out is 2.2 km off the disc
    lon, lat, pop = chain([20.0], pops=[10_000_000, 200_000])
    places = make_places(lon, lat, pop)
    assert len(metros_from_places(places, link_km=5, density=None)) == 2
    m = metros_from_places(places, link_km=5, density=10_000)
    assert len(m) == 1
    assert m.loc[0, "population"] == 10_200_000


def test_sections_inside_a_larger_disc_count_once(make_places):
    # a ward 5 km from the centre of a 9 M city is already in its population
    lon, lat, pop = chain([5.0, 17.0], pops=[9_000_000, 800_000, 500_000])
    res = metros_from_places(make_places(lon, lat, pop), link_km=5, density=10_000,
                             return_places=True)  # fmt: skip
    m = res.metros
    assert len(m) == 1  # the suburb 22 km out is 1.1 km off the 16.9 km disc
    assert m.loc[0, "population"] == 9_500_000
    assert m.loc[0, "n_sections"] == 1
    assert res.places["is_section"].tolist() == [False, True, False]


def test_projected_input_gives_same_result(make_places):
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(5, 6, 80), rng.uniform(50, 51, 80)
    pop = rng.integers(15_000, 2_000_000, 80)
    geo = make_places(lon, lat, pop)
    a = metros_from_places(geo, link_km=4)
    b = metros_from_places(geo.to_crs(3035), link_km=4)
    assert a["population"].tolist() == b["population"].tolist()
    np.testing.assert_allclose(a.geometry.x, b.geometry.x, atol=1e-7)


def test_polygons_use_representative_points(make_places):
    pts = make_places([0, 0.03], [0, 0], [50_000, 60_000])
    polys = pts.set_geometry(pts.to_crs(3857).buffer(100).to_crs(4326))
    assert len(metros_from_places(polys, link_km=5, density=None)) == 1


@given(
    n=st.integers(1, 40),
    link_km=st.floats(1, 30),
    use_density=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_matches_reference_union_find(n, link_km, use_density, seed):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-1.0, 1.0, n)
    lat = rng.uniform(40.0, 41.0, n)
    pop = rng.choice([10_000, 20_000, 20_000, 500_000, 3_000_000], n).astype(float)
    density = 10_000.0 if use_density else None
    places = gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(n)], "population": pop},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    if not (pop >= 15_000).any():
        with pytest.raises(InputError, match="min_place_pop"):
            metros_from_places(places, link_km=link_km, density=density)
        return
    # the reference is the geoai 0.1 section rule (a point inside a larger disc)
    res = metros_from_places(
        places,
        link_km=link_km,
        density=density,
        section_test="centre",
        section_density=density or 10_000.0,
        return_places=True,
    )
    label, section = city_clustering(lon, lat, pop, link_km, density, min_pop=15_000)
    got = res.places.sort_index()
    kept = label >= 0
    # same partition: the metro id is the index of the largest place, as in the reference
    assert got["metro_id"].tolist() == [str(x) for x in label[kept]]
    assert got["is_section"].tolist() == section[kept].tolist()
    assert res.metros["population"].sum() == pytest.approx(pop[kept & ~section].sum())
    assert res.metros["metro_id"].is_unique


# ----------------------------------------------------------------- bad input
def test_errors(make_places):
    good = make_places([0, 1], [0, 1], [20_000, 30_000])
    with pytest.raises(InputError, match="empty"):
        metros_from_places(good.iloc[:0])
    with pytest.raises(InputError, match="no column 'pop'"):
        metros_from_places(good, population="pop")
    with pytest.raises(InputError, match="NaN"):
        metros_from_places(make_places([0, 1], [0, 1], [np.nan, 1e5]))
    with pytest.raises(InputError, match="negative"):
        metros_from_places(make_places([0, 1], [0, 1], [-5, 1e5]))
    with pytest.raises(InputError, match="link_km must be finite and > 0"):
        metros_from_places(good, link_km=0)
    with pytest.raises(InputError, match="density"):
        metros_from_places(good, density=-1)
    with pytest.raises(CRSError, match="no CRS"):
        metros_from_places(good.set_crs(None, allow_override=True))
    dup = good.copy()
    dup.index = [7, 7]
    with pytest.raises(InputError, match="unique"):
        metros_from_places(dup)
    with pytest.raises(InputError, match="largest is 30000"):
        metros_from_places(good, min_place_pop=1e6)
    with pytest.raises(InputError, match="GeoDataFrame"):
        metros_from_places(good.drop(columns="geometry"))
