# ruff: noqa: N803  (G is the networkx/osmnx name of a graph)
from __future__ import annotations

import bz2
import math
import subprocess
import sys

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import geoai
from geoai import network
from geoai.errors import BackendUnavailableError, CRSError, InputError
from geoai.io import write_raster
from geoai.kernels import decay as kd
from geoai.kernels import graph as kg
from geoai.network import _access, _osm
from geoai.network._graph import as_network, locality_order
from tests import reference_graph as ref


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def drive():
    """The drive network of the sample with every disconnected part (one-way streets)."""
    return network.load_graph(geoai.sample_osm_path(), retain_all=True)


@pytest.fixture(scope="module")
def walk():
    return network.load_graph(geoai.sample_osm_path(), network_type="walk")


def node_xy(G):
    x = np.array([d["x"] for _, d in G.nodes(data=True)])
    y = np.array([d["y"] for _, d in G.nodes(data=True)])
    return x, y


@pytest.fixture(scope="module")
def jobs(walk):
    """300 job sites scattered over the sample, in lon/lat (reprojected by geoai)."""
    x, y = node_xy(walk)
    rng = np.random.default_rng(7)
    pts = gpd.GeoDataFrame(
        {"jobs": rng.integers(1, 200, 300).astype(float)},
        geometry=gpd.points_from_xy(
            rng.uniform(x.min(), x.max(), 300), rng.uniform(y.min(), y.max(), 300)
        ),
        crs=walk.graph["crs"],
    )
    return pts.to_crs(4326)


def snapped_mass(G, opportunities, column):
    """Brute-force nearest node of every opportunity (independent of the KD-tree)."""
    x, y = node_xy(G)
    pts = opportunities.to_crs(G.graph["crs"])
    px, py = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    nearest = np.argmin((px[:, None] - x) ** 2 + (py[:, None] - y) ** 2, axis=1)
    ids = list(G.nodes)
    out: dict = {}
    for k, m in zip(nearest, opportunities[column], strict=True):
        out[ids[k]] = out.get(ids[k], 0.0) + m
    return out


def arcs_of(G, weight):
    return [(u, v, d[weight]) for u, v, d in G.edges(data=True)]


# ------------------------------------------------------------------ the shipped extract
def test_sample_osm_path_is_small_attributed_osm_xml():
    p = geoai.sample_osm_path()
    assert p.name == "helsinki_highways.osm.bz2"
    assert p.stat().st_size < 2 * 2**20
    with bz2.open(p) as fh:
        head = fh.read(1000).decode()
    assert 'copyright="OpenStreetMap and contributors"' in head
    assert "odbl/1-0" in head
    assert 'osm_base="2019-04-21T09:50:14Z"' in head


def test_load_graph_projects_and_adds_travel_times(drive):
    crs = drive.graph["crs"]
    assert crs.is_projected
    assert crs.to_epsg() == 32635  # UTM 35N: Helsinki
    assert len(drive) == 490
    assert not nx.is_weakly_connected(drive)  # disconnected parts kept
    data = [d for _, _, d in drive.edges(data=True)]
    assert all(d["travel_time"] > 0 for d in data)
    for d in data:
        assert d["travel_time"] == pytest.approx(d["length"] / (d["speed_kph"] / 3.6), rel=1e-3)
    one_way = [(u, w) for u, w in drive.edges() if not drive.has_edge(w, u)]
    assert len(one_way) > 20


def test_network_types_follow_osmnx_filters(drive, walk):
    def highways(G):
        out = set()
        for _, _, d in G.edges(data=True):
            h = d["highway"]
            out.update(h if isinstance(h, list) else [h])
        return out

    assert highways(drive).isdisjoint({"footway", "service", "steps", "pedestrian", "cycleway"})
    assert {"footway", "steps", "pedestrian"} <= highways(walk)
    assert all(walk.has_edge(w, u) for u, w in walk.edges())  # walking is two-way
    assert {d["speed_kph"] for _, _, d in walk.edges(data=True)} == {4.8}
    assert len(walk) > 2000


HANDMADE = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="1" lat="60.1700" lon="24.9400"/>
  <node id="2" lat="60.1709" lon="24.9400"/>
  <node id="3" lat="60.1718" lon="24.9400"/>
  <node id="4" lat="60.1718" lon="24.9418"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/><tag k="maxspeed" v="36"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><nd ref="99"/>
    <tag k="highway" v="residential"/></way>
  <way id="12"><nd ref="1"/><nd ref="4"/><tag k="highway" v="footway"/></way>
</osm>
"""


def test_load_graph_handmade_file_oneway_and_clipped_way(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(HANDMADE)
    G = network.load_graph(path, simplify=False)
    assert set(G.nodes) == {1, 2, 3, 4}  # node 99 is missing: way 11 keeps 3-4
    assert {(u, w) for u, w in G.edges()} == {(1, 2), (2, 3), (3, 4), (4, 3)}  # no footway
    t12 = G.edges[1, 2, 0]
    assert t12["speed_kph"] == 36
    assert t12["travel_time"] == pytest.approx(t12["length"] / 10.0, rel=1e-3)
    assert set(network.travel_costs(G, 1).index) == {1, 2, 3, 4}
    assert set(network.travel_costs(G, 4).index) == {3, 4}  # one-way 1 -> 2 -> 3
    walk = network.load_graph(str(path), network_type="walk", simplify=False)
    assert walk.has_edge(1, 4)
    assert walk.has_edge(4, 1)


def test_load_graph_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        network.load_graph(tmp_path / "nowhere.osm.bz2")
    with pytest.raises(InputError, match="network_type"):
        network.load_graph(geoai.sample_osm_path(), network_type="tram")
    txt = tmp_path / "streets.txt"
    txt.write_text("hello")
    with pytest.raises(InputError, match="not an OSM file"):
        network.load_graph(txt)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1'")
    with pytest.raises(InputError, match="not a readable OSM XML"):
        network.load_graph(broken)
    paths = tmp_path / "paths.osm"
    paths.write_text(HANDMADE.replace('v="residential"', 'v="footway"'))
    with pytest.raises(InputError, match="no ways of network_type='drive'"):
        network.load_graph(paths)
    with pytest.raises(InputError, match="speed_kph"):
        network.load_graph(paths, network_type="walk", speed_kph=-3)


@pytest.mark.parametrize(("tags", "in_drive", "in_walk"), [
    ({"highway": "residential"}, True, True),
    ({"highway": "residential", "access": "private"}, False, False),
    ({"highway": "residential", "motor_vehicle": "no"}, False, True),
    ({"highway": "primary", "area": "yes"}, False, False),
    ({"highway": "service", "service": "driveway"}, False, True),
    ({"highway": "footway"}, False, True),
    ({"highway": "motorway"}, True, False),
    ({"highway": "proposed"}, False, False),
    ({"building": "yes"}, False, False),
])  # fmt: skip
def test_way_filters_are_osmnx_overpass_filters(tags, in_drive, in_walk):
    assert _osm._way_filter("drive")(tags) is in_drive
    assert _osm._way_filter("walk")(tags) is in_walk


def test_pbf_without_pyosmium_names_the_fix(tmp_path, monkeypatch):
    from geoai import _optional

    real = _optional.importlib.import_module

    def no_osmium(name):
        if name.split(".")[0] == "osmium":
            raise ImportError(name)
        return real(name)

    monkeypatch.setattr(_optional.importlib, "import_module", no_osmium)
    pbf = tmp_path / "city.osm.pbf"
    pbf.write_bytes(b"\x00")
    with pytest.raises(BackendUnavailableError, match=r"osm\.pbf.*needs osmium.*geoai\[osm\]"):
        network.load_graph(pbf)


# ------------------------------------------------------------------ shortest paths
@pytest.mark.parametrize(("graph", "weight", "cutoff"), [
    ("drive", "travel_time", 120.0),
    ("drive", "length", 700.0),
    ("walk", "travel_time", 300.0),
    ("walk", "length", None),
])  # fmt: skip
def test_travel_costs_equal_networkx_on_sample(request, graph, weight, cutoff):
    G = request.getfixturevalue(graph)
    nodes = list(G.nodes)
    for s in nodes[:: max(1, len(nodes) // 15)]:
        expected = nx.single_source_dijkstra_path_length(G, s, cutoff=cutoff, weight=weight)
        got = network.travel_costs(G, s, weight=weight, cutoff=cutoff)
        assert set(got.index) == set(expected)
        np.testing.assert_allclose(
            got[list(expected)].to_numpy(), list(expected.values()), rtol=1e-12
        )
        assert got.is_monotonic_increasing
        assert got[s] == 0.0


@st.composite
def random_graphs(draw, max_nodes=20):
    """Multigraphs with parallel arcs, self-loops, zero costs, one-way arcs, isolated parts."""
    n = draw(st.integers(1, max_nodes))
    arcs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(0, 12)),
            max_size=4 * n,
        )
    )
    ids = [1000 + 7 * k for k in range(n)]  # ids are not positions
    G = nx.MultiDiGraph()
    G.add_nodes_from(ids)
    for u, v, w in arcs:
        G.add_edge(ids[u], ids[v], w=w / 2)  # halves: sums are exact, ties are real ties
    cutoff = draw(st.one_of(st.none(), st.integers(0, 30).map(float)))
    return G, cutoff


@given(random_graphs())
def test_travel_costs_equal_networkx_on_random_graphs(case):
    G, cutoff = case
    for s in G.nodes:
        expected = nx.single_source_dijkstra_path_length(G, s, cutoff=cutoff, weight="w")
        got = network.travel_costs(G, s, weight="w", cutoff=cutoff)
        assert got.to_dict() == expected


@given(random_graphs())
def test_undirected_graphs_are_two_way(case):
    G, cutoff = case
    U = nx.MultiGraph(G)
    s = next(iter(U.nodes))
    expected = nx.single_source_dijkstra_path_length(U, s, cutoff=cutoff, weight="w")
    assert network.travel_costs(U, s, weight="w", cutoff=cutoff).to_dict() == expected


@given(
    random_graphs(),
    st.sampled_from(["exponential", "gaussian", "box"]),
    st.floats(0.5, 20.0),
    st.integers(1, 4),
    st.data(),
)
def test_accessibility_kernel_matches_reference(case, decay, scale, n_chunks, data):
    G, cutoff = case
    cut = 15.0 if cutoff is None else cutoff
    ids = list(G.nodes)
    pos = {node: k for k, node in enumerate(ids)}
    mass = data.draw(st.lists(st.integers(0, 9).map(float), min_size=len(ids), max_size=len(ids)))
    arcs = arcs_of(G, "w")
    indptr, indices, weights = kg.csr_from_arcs(
        len(ids),
        np.array([pos[u] for u, _, _ in arcs], dtype=np.int64),
        np.array([pos[v] for _, v, _ in arcs], dtype=np.int64),
        np.array([w for _, _, w in arcs], dtype=np.float64),
    )
    kind, beta = {
        "exponential": (kd.EXPONENTIAL, 1 / scale),
        "gaussian": (kd.GAUSSIAN, 1 / (2 * scale * scale)),
        "box": (kd.BOX, cut),
    }[decay]
    within, effective, reached = kg.accessibility(
        indptr, indices, weights, np.arange(len(ids)), np.array(mass), cut, kind, beta, n_chunks
    )
    exp_w, exp_e = ref.accessibility(
        arcs, dict(zip(ids, mass, strict=True)), ids, cut, decay, scale
    )
    np.testing.assert_allclose(within, exp_w, rtol=1e-12)
    np.testing.assert_allclose(effective, exp_e, rtol=1e-12, atol=1e-300)
    assert list(reached) == [len(ref.dijkstra(arcs, s, cut)) for s in ids]


@given(random_graphs(), st.sampled_from(["exponential", "box"]), st.data())
def test_renumbered_network_runs_in_graph_order(case, decay, data):
    """as_network renumbers the nodes; _run gives results per G's node, as the reference."""
    G, cutoff = case
    cut = 15.0 if cutoff is None else cutoff
    ids = list(G.nodes)
    net = as_network(G, "w", coords=False)
    assert sorted(net.order.tolist()) == list(range(len(ids)))
    assert net.ids.tolist() == [ids[k] for k in net.order]
    src = net.in_graph_order
    assert net.ids[src].tolist() == ids
    # every arc of G is in the CSR under its new positions, with its cheapest cost
    rank = {node: k for k, node in enumerate(net.ids.tolist())}
    for u, v, w in arcs_of(G, "w"):
        row = slice(net.indptr[rank[u]], net.indptr[rank[u] + 1])
        (hit,) = np.flatnonzero(net.indices[row] == rank[v])
        assert net.weights[row][hit] <= w
    mass = data.draw(st.lists(st.integers(0, 9).map(float), min_size=len(ids), max_size=len(ids)))
    kind, beta = (kd.EXPONENTIAL, 1 / 4) if decay == "exponential" else (kd.BOX, cut)
    order = data.draw(st.permutations(range(len(ids))))  # sources in any order
    within, effective, reached = _access._run(
        net, src[list(order)], np.array(mass)[net.order], cutoff=cut, kind=kind, beta=beta,
        progress=False,
    )  # fmt: skip
    picked = [ids[k] for k in order]
    exp_w, exp_e = ref.accessibility(
        arcs_of(G, "w"), dict(zip(ids, mass, strict=True)), picked, cut, decay, 4.0
    )
    np.testing.assert_allclose(within, exp_w, rtol=1e-12)
    np.testing.assert_allclose(effective, exp_e, rtol=1e-12, atol=1e-300)
    assert list(reached) == [len(ref.dijkstra(arcs_of(G, "w"), s, cut)) for s in picked]


def test_locality_order_keeps_street_neighbours_close():
    """On a grid inserted in random node order, renumbering shrinks |position(u) - position(v)|."""
    side = 30
    grid = nx.grid_2d_graph(side, side)
    nodes = list(grid.nodes)
    shuffled = np.random.default_rng(0).permutation(len(nodes))
    G = nx.DiGraph()
    G.add_nodes_from(nodes[k] for k in shuffled)
    G.add_edges_from(grid.edges, w=1.0)
    G.add_edges_from(((v, u) for u, v in grid.edges), w=1.0)
    pos = {node: k for k, node in enumerate(G.nodes)}
    tail = np.array([pos[u] for u, _ in G.edges])
    head = np.array([pos[v] for _, v in G.edges])
    order = locality_order(len(pos), tail, head)
    assert np.array_equal(np.sort(order), np.arange(len(pos)))
    rank = np.argsort(order)
    before = np.abs(tail - head)
    after = np.abs(rank[tail] - rank[head])
    assert after.max() <= 2 * side  # a breadth-first band: about one grid row and a half
    assert after.mean() < before.mean() / 10
    net = as_network(G, "w", coords=False)  # and as_network uses it
    assert np.array_equal(net.order, order)


def test_csr_merges_parallel_arcs_to_their_minimum():
    indptr, indices, weights = kg.csr_from_arcs(
        3, np.array([0, 0, 0, 2, 0]), np.array([1, 1, 2, 0, 1]), np.array([5.0, 2.0, 1.0, 4.0, 3.0])
    )
    assert indptr.tolist() == [0, 2, 2, 3]
    assert indices.tolist() == [1, 2, 0]
    assert weights.tolist() == [2.0, 1.0, 4.0]


# ------------------------------------------------------------------ accessibility
@pytest.mark.jit_heavy
def test_accessibility_on_sample_matches_networkx(walk, jobs):
    acc = network.accessibility(walk, jobs, "jobs", cutoff=600, decay="exponential", scale=300)
    assert list(acc.index) == list(walk.nodes)
    assert acc.index.name == "osmid"
    assert acc.crs == walk.graph["crs"]
    mass = snapped_mass(walk, jobs, "jobs")
    assert acc["opportunities"].sum() == pytest.approx(jobs["jobs"].sum())
    for s in list(walk.nodes)[::150]:
        dist = nx.single_source_dijkstra_path_length(walk, s, cutoff=600, weight="travel_time")
        within = sum(mass.get(j, 0.0) for j in dist)
        eff = sum(mass.get(j, 0.0) * math.exp(-c / 300) for j, c in dist.items())
        assert acc.loc[s, "within_cutoff"] == pytest.approx(within, rel=1e-12)
        assert acc.loc[s, "effective_density"] == pytest.approx(eff, rel=1e-10)
        assert acc.loc[s, "reachable_nodes"] == len(dist)
    assert acc.attrs["opportunities_total"] == pytest.approx(jobs["jobs"].sum())


def test_accessibility_options(drive, jobs):
    kw = {"cutoff": 300}
    full = network.accessibility(drive, jobs, "jobs", **kw)
    some = list(drive.nodes)[5:40:3]
    part = network.accessibility(drive, jobs, "jobs", sources=some, **kw)
    pd.testing.assert_frame_equal(
        pd.DataFrame(part.drop(columns="geometry")),
        pd.DataFrame(full.loc[some].drop(columns="geometry")),
    )
    box = network.accessibility(drive, jobs, "jobs", decay="box", **kw)
    np.testing.assert_array_equal(box["effective_density"], box["within_cutoff"])
    assert (full["effective_density"] <= full["within_cutoff"] + 1e-9).all()
    projected = network.accessibility(drive, jobs.to_crs(drive.graph["crs"]), "jobs", **kw)
    np.testing.assert_allclose(projected["effective_density"], full["effective_density"])
    uncut = network.accessibility(drive, jobs, "jobs", cutoff=None)
    huge = network.accessibility(drive, jobs, "jobs", cutoff=1e9)
    np.testing.assert_array_equal(uncut["effective_density"], huge["effective_density"])
    one = network.accessibility(drive, jobs, "jobs", sources=some[0], **kw)
    assert list(one.index) == [some[0]]


def test_max_snap_drops_far_opportunities(drive, jobs):
    far = gpd.GeoDataFrame(
        {"jobs": [1e6]}, geometry=gpd.points_from_xy([25.5], [60.5]), crs=4326
    )  # ~50 km away
    both = pd.concat([jobs, far], ignore_index=True)
    kept = network.accessibility(drive, both, "jobs", max_snap=500)
    assert kept.attrs["opportunities_dropped"] == 1
    plain = network.accessibility(drive, jobs, "jobs", max_snap=500)
    np.testing.assert_allclose(kept["within_cutoff"], plain["within_cutoff"])
    snapped = network.accessibility(drive, both, "jobs")
    assert snapped["within_cutoff"].max() >= 1e6  # without max_snap it lands on the edge


# ------------------------------------------------------------------ bad input
def _unprojected(G):
    import osmnx as ox

    return ox.project_graph(G, to_latlong=True)


def _without_weight(G):
    H = G.copy()
    u, w, k = next(iter(H.edges(keys=True)))
    del H.edges[u, w, k]["travel_time"]
    return H


def _with_weight(value):
    def build(G):
        H = G.copy()
        u, w, k = next(iter(H.edges(keys=True)))
        H.edges[u, w, k]["travel_time"] = value
        return H

    return build


@pytest.mark.parametrize(("mutate", "kwargs", "error", "message"), [
    (_unprojected, {}, CRSError, "projected graph .* osmnx.project_graph"),
    (_without_weight, {}, InputError, "1 of .* edges have no 'travel_time'.*add_edge_travel_times"),
    (None, {"weight": "toll"}, InputError, "have no 'toll' attribute"),
    (_with_weight(-5.0), {}, InputError, "negative, NaN or infinite 'travel_time'"),
    (_with_weight(float("nan")), {}, InputError, "negative, NaN or infinite"),
    (_with_weight("fast"), {}, InputError, "must be numeric"),
    (lambda G: nx.MultiDiGraph(crs=G.graph["crs"]), {}, InputError, "graph is empty"),
    (lambda _: "not a graph", {}, InputError, "networkx graph"),
    (None, {"decay": "power"}, InputError, "unknown decay='power'"),
    (None, {"decay": "gaussian", "scale": None}, InputError, "takes scale="),
    (None, {"decay": "box", "cutoff": None}, InputError, "pass cutoff"),
    (None, {"cutoff": -1}, InputError, "cutoff must be finite and >= 0"),
    (None, {"scale": 0}, InputError, "scale must be"),
    (None, {"sources": [123456789]}, InputError, "sources has 1 node id"),
    (None, {"sources": []}, InputError, "sources is empty"),
])  # fmt: skip
def test_accessibility_bad_input(drive, jobs, mutate, kwargs, error, message):
    G = drive if mutate is None else mutate(drive)
    with pytest.raises(error, match=message):
        network.accessibility(G, jobs, "jobs", **kwargs)


def test_accessibility_bad_opportunities(drive, jobs):
    with pytest.raises(CRSError, match="has no CRS"):
        network.accessibility(drive, jobs.set_crs(None, allow_override=True), "jobs")
    with pytest.raises(InputError, match="column='firms' is not a column"):
        network.accessibility(drive, jobs, "firms")
    bad = jobs.assign(jobs=-jobs["jobs"])
    with pytest.raises(InputError, match="negative"):
        network.accessibility(drive, bad, "jobs")
    with pytest.raises(InputError, match="opportunities is empty"):
        network.accessibility(drive, jobs.iloc[:0], "jobs")


def test_graph_without_crs_is_a_crs_error(drive, jobs):
    H = drive.copy()
    del H.graph["crs"]
    with pytest.raises(CRSError, match="no CRS"):
        network.accessibility(H, jobs, "jobs")


# ------------------------------------------------------------------ rasters
@pytest.mark.jit_heavy
def test_nodes_to_raster_nearest_and_idw(walk, jobs):
    acc = network.accessibility(walk, jobs, "jobs", cutoff=600, scale=300)
    grid = geoai.Grid.from_bounds(
        tuple(acc.total_bounds + np.array([-400, -400, 400, 400])), 40.0, acc.crs
    )
    da = network.nodes_to_raster(acc, grid, max_distance=60)
    assert da.shape == grid.shape
    assert da.rio.crs == acc.crs
    assert da.dims == ("y", "x")
    assert np.isnan(da.to_numpy()[0, 0])  # 400 m outside the network
    # a cell's value is that of its nearest node
    cx, cy = grid.cell_centers()
    x, y = acc.geometry.x.to_numpy(), acc.geometry.y.to_numpy()
    rng = np.random.default_rng(3)
    for r, c in zip(rng.integers(0, grid.height, 40), rng.integers(0, grid.width, 40), strict=True):
        d2 = (x - cx[c]) ** 2 + (y - cy[r]) ** 2
        k = int(np.argmin(d2))
        if d2[k] <= 60**2:
            assert da.to_numpy()[r, c] == acc["effective_density"].iloc[k]
        else:
            assert np.isnan(da.to_numpy()[r, c])
    idw = network.nodes_to_raster(acc, grid, method="idw", max_distance=60)
    assert np.array_equal(np.isnan(idw.values), np.isnan(da.values))
    lo, hi = acc["effective_density"].min(), acc["effective_density"].max()
    assert np.nanmin(idw.values) >= lo - 1e-9
    assert np.nanmax(idw.values) <= hi + 1e-9


def test_nodes_to_raster_on_a_geographic_grid(walk, jobs):
    acc = network.accessibility(walk, jobs, "jobs", sources=list(walk.nodes)[:50])
    grid = geoai.Grid.from_bounds((24.93, 60.16, 24.96, 60.18), 0.002, crs="EPSG:4326")
    da = network.nodes_to_raster(acc, grid, column="within_cutoff", max_distance=300)
    assert da.rio.crs.to_epsg() == 4326
    assert np.nanmax(da.values) == acc["within_cutoff"].max()
    with pytest.raises(CRSError, match="projected"):
        network.nodes_to_raster(acc.to_crs(4326), grid)
    with pytest.raises(InputError, match="column='nope' is not a column of nodes"):
        network.nodes_to_raster(acc, grid, column="nope")


def test_effective_density_raster_writes_a_cog(tmp_path, drive, jobs):
    import rasterio

    da = network.effective_density_raster(drive, jobs, "jobs", 50.0, cutoff=300, scale=120)
    acc = network.accessibility(drive, jobs, "jobs", cutoff=300, scale=120)
    np.testing.assert_array_equal(da.values, network.nodes_to_raster(acc, 50.0).values)
    out = write_raster(da, tmp_path / "density.tif")
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 32635
        np.testing.assert_array_equal(src.read(1), da.values)
    with pytest.raises(InputError, match="value"):
        network.effective_density_raster(drive, jobs, "jobs", 50.0, value="jobs")


# ------------------------------------------------------------------ command line
GEOAI = [sys.executable, "-c", "from geoai.cli import main; main()"]


def run_cli(*args):
    return subprocess.run([*GEOAI, *args], check=False, capture_output=True, text=True, timeout=300)


def test_access_command(tmp_path, jobs):
    from typer.testing import CliRunner

    from geoai.cli import app

    sites = tmp_path / "jobs.gpkg"
    jobs.to_file(sites)
    out, tif = tmp_path / "access.gpkg", tmp_path / "access.tif"
    args = ["access", "sample", str(sites), "-o", str(out), "--cutoff", "600", "--scale", "300"]
    res = CliRunner().invoke(app, [*args, "--raster", str(tif), "--resolution", "50"])
    assert res.exit_code == 0, res.output
    assert "OpenStreetMap contributors" in res.output
    nodes = gpd.read_file(out)
    assert {"osmid", "within_cutoff", "effective_density"} <= set(nodes.columns)
    assert len(nodes) == 165
    assert tif.exists()
    assert tif.with_suffix(".qml").exists()
    # errors go through main(): one line, exit code 2, outputs untouched
    before = out.read_bytes()
    again = run_cli(*args)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert out.read_bytes() == before
    missing = run_cli(
        "access", str(tmp_path / "nope.osm"), str(sites), "-o", str(tmp_path / "x.gpkg")
    )
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
