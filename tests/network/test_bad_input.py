# ruff: noqa: N803  (G is the networkx/osmnx name of a graph)
"""Bad input to geoai.network becomes a geoai error that names the argument and the fix.

Each test is a case that used to give a library traceback or a silent wrong
answer: costs beyond float range or given as strings and bools, a list as a
node id or column, bools and strings read as distances, degree coordinates
on a projected graph, opportunities that add up to infinity, a raster too
large for memory, a source of the wrong type, a folder given as the OSM
file, and a CRS pyproj does not know. ``load_graph`` is only ever given
local files here: a call that would reach OpenStreetMap fails the test.
"""

from __future__ import annotations

import bz2

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest

from geoai import CRSError, InputError, ResourceError, network
from geoai.network import _access

HUGE = 10**5000  # its repr is refused by Python (more than 4,300 digits)
X0, Y0 = 385_000.0, 6_672_000.0  # metres in EPSG:3067 (Helsinki)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    def no_download(*_args, **_kwargs):
        raise AssertionError("load_graph tried to download from OpenStreetMap")

    monkeypatch.setattr(_access, "download", no_download)


def line_graph(n=5, crs="EPSG:3067"):
    """A two-way street of ``n`` nodes 100 m apart, 10 s per block."""
    G = nx.MultiDiGraph(crs=crs)
    for i in range(n):
        G.add_node(i, x=X0 + 100.0 * i, y=Y0)
    for i in range(n - 1):
        for u, v in ((i, i + 1), (i + 1, i)):
            G.add_edge(u, v, travel_time=10.0, length=100.0)
    return G


def jobs(amounts=(5.0, 3.0)):
    x = X0 + 10.0 + 280.0 * np.arange(len(amounts))
    return gpd.GeoDataFrame(
        {"jobs": list(amounts)}, geometry=gpd.points_from_xy(x, np.full(len(amounts), Y0)), crs=3067
    )


def with_cost(value, weight="travel_time"):
    """The line graph with ``value`` as the cost of the first block, both ways."""
    G = line_graph()
    G.edges[0, 1, 0][weight] = G.edges[1, 0, 0][weight] = value
    return G


# --- edge costs ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("G", "message"),
    [
        (with_cost(-5.0), r"2 edge\(s\) have a negative, NaN or infinite 'travel_time'.*Fix or"),
        (with_cost(float("nan")), r"negative, NaN or infinite 'travel_time'"),
        (with_cost(HUGE), r"'travel_time' must hold one finite number per edge.*edge_dtypes"),
        (with_cost("5"), r"'travel_time' must be numeric; got str '5'.*edge_dtypes"),
        (with_cost(value=True), r"'travel_time' must be numeric; got bool True"),
        (with_cost([1.0]), r"'travel_time' must hold one finite number per edge"),
        (with_cost(1e308), r"add up beyond the float range.*rescale"),
    ],
    ids=["negative", "nan", "huge", "str", "bool", "list", "overflow"],
)
def test_bad_edge_costs_are_refused(G, message):
    with pytest.raises(InputError, match=message):
        network.travel_costs(G, 0)
    with pytest.raises(InputError, match=message):
        network.accessibility(G, jobs(), "jobs")


def test_an_edge_without_the_weight_names_the_attributes_and_the_fix():
    G = line_graph()
    del G.edges[0, 1, 0]["travel_time"]
    with pytest.raises(InputError, match=r"1 of 8 edges have no 'travel_time'.*'length'"):
        network.travel_costs(G, 0)
    with pytest.raises(InputError, match=r"have no 'travel_tim' attribute.*add_edge_travel_times"):
        network.accessibility(line_graph(), jobs(), "jobs", weight="travel_tim")


def test_disconnected_nodes_reach_only_themselves_with_numbers_everywhere():
    G = line_graph()
    G.add_node(99, x=X0 + 5_000.0, y=Y0)  # an isolated node, as retain_all=True may keep
    assert network.travel_costs(G, 99).to_dict() == {99: 0.0}
    far = jobs((5.0, 3.0)).assign(geometry=gpd.points_from_xy([X0 + 4_990.0, X0], [Y0, Y0]))
    acc = network.accessibility(G, far, "jobs", cutoff=None)
    assert np.isfinite(acc[["within_cutoff", "effective_density"]].to_numpy()).all()
    assert acc.loc[99, "within_cutoff"] == 5.0  # its own jobs only
    assert acc.drop(index=99)["within_cutoff"].eq(3.0).all()  # the rest never reach them
    edgeless = nx.MultiDiGraph(crs="EPSG:3067")
    edgeless.add_node(1, x=X0, y=Y0)
    assert network.travel_costs(edgeless, 1).to_dict() == {1: 0.0}  # as networkx


# --- node ids, columns, options ------------------------------------------------------------
def test_unhashable_sources_and_unknown_ids_are_input_errors():
    with pytest.raises(InputError, match=r"source must be a single label.*got the list \[1, 2\]"):
        network.travel_costs(line_graph(), [1, 2])
    with pytest.raises(InputError, match=r"sources must be a single label"):
        network.accessibility(line_graph(), jobs(), "jobs", sources=[[0, 1]])
    with pytest.raises(InputError, match=r"source has 1 node id\(s\) not in G.*list\(G\.nodes\)"):
        network.travel_costs(line_graph(), HUGE)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cutoff": True}, r"cutoff must be a finite number; got bool True"),
        ({"cutoff": "600"}, r"cutoff must be a finite number; got str '600'"),
        ({"cutoff": HUGE}, r"cutoff must be a finite number; got an integer of 5001 digits"),
        ({"scale": HUGE}, r"scale must be a finite number; got an integer of 5001 digits"),
        ({"scale": "300"}, r"scale must be a finite number; got str '300'"),
        ({"max_snap": -1}, r"max_snap must be finite and >= 0; got -1\. Pass a distance in metres"),
        ({"decay": "exponentail"}, r"unknown decay='exponentail'.*Did you mean 'exponential'\?"),
        ({"decay": "Box"}, r"Did you mean 'box'\?"),
        ({"progress": "yes"}, r"progress must be True or False; got 'yes'"),
        ({"weight": None}, r"weight must be the name of an edge attribute"),
    ],
)
def test_accessibility_options_are_refused_by_name(kwargs, message):
    with pytest.raises(InputError, match=message):
        network.accessibility(line_graph(), jobs(), "jobs", **kwargs)


def test_opportunities_that_add_up_to_infinity_are_refused():
    with pytest.raises(InputError, match=r"opportunities in 'jobs' add up beyond the float range"):
        network.accessibility(line_graph(), jobs((1e308, 1e308)), "jobs")


def test_degree_coordinates_on_a_projected_graph_name_both():
    G = line_graph()
    for i in range(5):
        G.nodes[i]["x"], G.nodes[i]["y"] = 24.94 + 0.001 * i, 60.17
    with pytest.raises(CRSError, match=r"look like longitude/latitude.*TM35FIN.*G\.graph\['crs'\]"):
        network.accessibility(G, jobs(), "jobs")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "idv"}, r"unknown method='idv'.*Did you mean 'idw'\?"),
        ({"k": 2.5}, r"k must be a whole number; got 2\.5"),
        ({"k": HUGE}, r"k must be a whole number below 2\*\*63"),
        ({"power": "2"}, r"power must be a finite number; got str '2'"),
        ({"max_distance": True}, r"max_distance must be a finite number; got bool True"),
        ({"column": ["within_cutoff"]}, r"column must be a single label"),
        ({"column": "jobz"}, r"column='jobz' is not a column of nodes.*'effective_density'"),
    ],
)
def test_nodes_to_raster_options_are_refused_by_name(kwargs, message):
    nodes = network.accessibility(line_graph(), jobs(), "jobs")
    with pytest.raises(InputError, match=message):
        network.nodes_to_raster(nodes, 50.0, **kwargs)


def test_idw_of_subnormal_values_stays_within_the_values():
    """Found by the fuzz: IDW's weighted mean of [0, 5e-324] rounded to 1e-323, above both."""
    nodes = network.accessibility(line_graph(), jobs(), "jobs")
    nodes["tiny"] = [5e-324, 0.0, 5e-324, 5e-324, 5e-324]
    ras = network.nodes_to_raster(nodes, 132.22, column="tiny", method="idw", k=2, power=0.5)
    vals = ras.values[np.isfinite(ras.values)]
    assert vals.size > 0
    assert ((vals >= 0.0) & (vals <= 5e-324)).all()


def test_a_raster_too_large_for_memory_is_refused_up_front(monkeypatch):
    monkeypatch.setenv("GEOAI_MEMORY_BUDGET", "100MB")
    nodes = network.accessibility(line_graph(), jobs(), "jobs")
    with pytest.raises(ResourceError, match=r"raster needs .*budget.*coarser grid"):
        network.nodes_to_raster(nodes, 1e-5)
    with pytest.raises(InputError, match=r"grid \(a cell size\) must be a finite number.*5001"):
        network.nodes_to_raster(nodes, HUGE)


def test_effective_density_raster_checks_its_options_before_the_paths(monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("the shortest paths ran")

    monkeypatch.setattr("geoai.network._rasters.accessibility", never)
    with pytest.raises(InputError, match=r"unknown value='within'.*Did you mean 'within_cutoff'"):
        network.effective_density_raster(line_graph(), jobs(), "jobs", 50.0, value="within")
    with pytest.raises(InputError, match=r"max_distance must be finite and > 0"):
        network.effective_density_raster(line_graph(), jobs(), "jobs", 50.0, max_distance=0)
    with pytest.raises(InputError, match=r"grid \(a cell size\) must be finite and > 0"):
        network.effective_density_raster(line_graph(), jobs(), "jobs", -5.0)


# --- load_graph: local files only ----------------------------------------------------------
def test_load_graph_refuses_sources_of_other_types_without_downloading():
    for source in (None, 5, 1.5, b"city.osm", ["a.osm"]):
        with pytest.raises(InputError, match=r"source must be a path to an OSM file"):
            network.load_graph(source)
    with pytest.raises(InputError, match=r"source is blank"):
        network.load_graph("   ")


def test_a_missing_path_is_never_geocoded_as_a_place(tmp_path):
    for spelt in (str(tmp_path / "streets.txt"), "./streets", "~/no-such-folder/city"):
        with pytest.raises(InputError, match=r"does not exist"):
            network.load_graph(spelt)


def test_load_graph_missing_folder_and_garbage_files(tmp_path):
    with pytest.raises(InputError, match=r"does not exist; pass an OSM XML file"):
        network.load_graph(tmp_path / "nowhere.osm")
    with pytest.raises(InputError, match=r"is a folder or a device, not a file"):
        network.load_graph(tmp_path)
    garbage = tmp_path / "city.osm"
    garbage.write_bytes(b"\xff\xfe not xml at all \x00")
    with pytest.raises(InputError, match=r"not a readable OSM XML file") as info:
        network.load_graph(garbage)
    assert "not xml at all" not in str(info.value)  # never echo the file's contents
    fake_gz = tmp_path / "city.osm.gz"
    fake_gz.write_text("plain text")
    with pytest.raises(InputError, match=r"not a readable OSM XML file"):
        network.load_graph(fake_gz)
    compressed = tmp_path / "city.osm.bz2"
    compressed.write_bytes(bz2.compress(b"<osm><node id='1' lat='60' lon='24'/></osm>"))
    with pytest.raises(InputError, match=r"no ways of network_type='drive'"):
        network.load_graph(compressed)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"to_crs": "nonsense"}, CRSError, r"to_crs='nonsense' is not a CRS pyproj understands"),
        ({"to_crs": 4326}, CRSError, r"to_crs=4326 is WGS 84, which is not projected"),
        ({"speed_kph": "30"}, InputError, r"speed_kph must be a finite number; got str '30'"),
        ({"speed_kph": HUGE}, InputError, r"speed_kph must be a finite number; got an integer"),
        ({"retain_all": "yes"}, InputError, r"retain_all must be True or False"),
        ({"simplify": 1}, InputError, r"simplify must be True or False"),
        ({"network_type": "drve"}, InputError, r"Did you mean 'drive'\?"),
    ],
)
def test_load_graph_options_are_checked_before_reading(tmp_path, kwargs, error, message):
    missing = tmp_path / "never-read.osm"  # the options fail before the file is looked at
    with pytest.raises(error, match=message):
        network.load_graph(missing, **kwargs)
