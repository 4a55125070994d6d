# ruff: noqa: N803  (G is the networkx/osmnx name of a graph)
"""Fuzz geoai.network: travel_costs, accessibility, nodes_to_raster, effective_density_raster.

Graphs are small networkx graphs built here (0-8 nodes in metres of EPSG:3067,
random arcs whose costs are usually valid and sometimes NaN, negative,
strings or huge); ``load_graph`` gets garbage files, folders, missing paths
and a small valid OSM XML file, never a place name: a call that would reach
OpenStreetMap fails the test.
"""

from __future__ import annotations

import bz2
import tempfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from geoai import network
from geoai.network import _access
from tests.fuzz._harness import FUZZ, Refused, assert_numbers, junk, numbers, outcome

X0, Y0 = 385_000.0, 6_672_000.0  # metres in EPSG:3067 (Helsinki)
ODD_COST = st.sampled_from([np.nan, np.inf, -1.0, 1e308, "5", True, None, 10**5000])


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    def no_download(*_args, **_kwargs):
        raise AssertionError("load_graph tried to download from OpenStreetMap")

    monkeypatch.setattr(_access, "download", no_download)


@st.composite
def graphs(draw, *, valid):
    """A directed or undirected (multi)graph with ``travel_time`` and ``length`` on its edges."""
    n = draw(st.integers(1, 8) if valid else st.integers(0, 8))
    kind = draw(st.sampled_from([nx.MultiDiGraph, nx.DiGraph, nx.MultiGraph, nx.Graph]))
    G = kind(crs="EPSG:3067")
    for i in range(n):
        G.add_node(i, x=X0 + draw(st.floats(0, 2000)), y=Y0 + draw(st.floats(0, 2000)))
    good = st.floats(0.0, 600.0)
    cost = good if valid else st.one_of(good, good, good, ODD_COST)
    if n:
        arcs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), cost, good)
        for u, v, t, length in draw(st.lists(arcs, max_size=3 * n)):
            G.add_edge(u, v, travel_time=t, length=length)
    if not valid and draw(st.integers(0, 9)) == 0:
        G.graph["crs"] = draw(st.sampled_from([None, "EPSG:4326", "nonsense"]))
    return G


def opportunities(draw, *, valid):
    m = draw(st.integers(1, 5) if valid else st.integers(0, 5))
    xs = draw(st.lists(st.floats(-500, 2500), min_size=m, max_size=m))
    good = st.floats(0.0, 1e4)
    amount = good if valid else st.one_of(good, good, st.sampled_from([np.nan, -1.0, 1e308]))
    jobs = draw(st.lists(amount, min_size=m, max_size=m))
    return gpd.GeoDataFrame(
        {"jobs": jobs},
        geometry=gpd.points_from_xy(X0 + np.asarray(xs), np.full(m, Y0 + 1000.0)),
        crs=3067,
    )


def clearly_bad(value, *, none_ok=False):
    """Whether a scalar parameter is refused whatever the rest: not a real, finite number."""
    if value is None:
        return not none_ok
    if isinstance(value, bool | np.bool_ | str | list | tuple | complex):
        return True
    return isinstance(value, float | np.floating) and not np.isfinite(value)


def pick(data, good, *, valid):
    return data.draw(good if valid else numbers(good=good))


def _networkx_costs(G, source, cutoff):
    H = nx.MultiDiGraph(G) if G.is_directed() else nx.MultiGraph(G)
    return nx.single_source_dijkstra_path_length(H, source, cutoff=cutoff, weight="travel_time")


def _travel_costs(data, valid):
    G = data.draw(graphs(valid=valid))
    nodes = list(G.nodes)
    source = data.draw(
        st.sampled_from(nodes) if valid and nodes else st.one_of(st.integers(-2, 9), junk())
    )
    cutoff = data.draw(st.one_of(st.none(), st.floats(0, 1000)) if valid else numbers())
    res = outcome(network.travel_costs, G, source, cutoff=cutoff)
    if isinstance(res, Refused):
        return res
    assert_numbers(res, "travel costs")
    assert res[source] == 0.0
    expected = _networkx_costs(G, source, cutoff)
    assert set(res.index) == set(expected)
    np.testing.assert_allclose([res[k] for k in expected], list(expected.values()), rtol=1e-12)
    return res


def _accessibility_kwargs(data, valid):
    decays = ["exponential", "gaussian", "box"] + ([] if valid else ["exponentail", None, 3])
    return {
        "cutoff": data.draw(st.one_of(st.none(), st.floats(0, 1200)) if valid else numbers()),
        "decay": data.draw(st.sampled_from(decays)),
        "scale": pick(data, st.floats(1.0, 900.0), valid=valid),
        "max_snap": data.draw(st.one_of(st.none(), st.floats(0, 3000)) if valid else numbers()),
    }


def _accessibility(data, valid):
    G = data.draw(graphs(valid=valid))
    jobs = opportunities(data.draw, valid=valid)
    kwargs = _accessibility_kwargs(data, valid)
    if kwargs["decay"] == "box" and kwargs["cutoff"] is None and valid:
        kwargs["cutoff"] = 600.0
    res = outcome(network.accessibility, G, jobs, "jobs", **kwargs)
    bad = [k for k, v in kwargs.items() if k != "decay" and clearly_bad(v, none_ok=k != "scale")]
    if bad or kwargs["decay"] not in ("exponential", "gaussian", "box"):
        assert isinstance(res, Refused), f"accepted {bad or kwargs['decay']}"
    if isinstance(res, Refused):
        return res
    assert len(res) == len(G)
    for column in ("within_cutoff", "effective_density", "opportunities", "reachable_nodes"):
        assert_numbers(res[column], column)
    assert (res["effective_density"] <= res["within_cutoff"] * (1 + 1e-9) + 1e-9).all()
    assert (res["within_cutoff"] >= res["opportunities"] * (1 - 1e-9) - 1e-9).all()
    assert (res["within_cutoff"] <= jobs["jobs"].sum() * (1 + 1e-9) + 1e-9).all()
    return res


def _rasters(data, valid):
    G = data.draw(graphs(valid=True))
    nodes = outcome(network.accessibility, G, opportunities(data.draw, valid=True), "jobs")
    assert not isinstance(nodes, Refused), nodes
    kwargs = {
        "method": data.draw(st.sampled_from(["nearest", "idw"] + ([] if valid else ["idv", 1]))),
        "max_distance": pick(data, st.floats(10.0, 3000.0), valid=valid),
        "k": pick(data, st.integers(1, 8), valid=valid),
        "power": pick(data, st.floats(0.5, 3.0), valid=valid),
    }
    cell = pick(data, st.floats(50.0, 500.0), valid=valid)
    res = outcome(network.nodes_to_raster, nodes, cell, **kwargs)
    bad = [k for k, v in kwargs.items() if k != "method" and clearly_bad(v)]
    if bad or kwargs["method"] not in ("nearest", "idw"):
        assert isinstance(res, Refused), f"accepted {bad or kwargs['method']}"
    if isinstance(res, Refused):
        return res
    values = res.to_numpy()
    assert_numbers(values, "raster", allow_nan=True)
    assert np.isfinite(values).any() or float(kwargs["max_distance"]) < float(cell)
    lo, hi = nodes["effective_density"].min(), nodes["effective_density"].max()
    finite = values[np.isfinite(values)]
    assert ((finite >= lo - 1e-9 * abs(lo)) & (finite <= hi + 1e-9 * abs(hi))).all()
    return res


def _effective_density_raster(data, valid):
    G = data.draw(graphs(valid=valid))
    jobs = opportunities(data.draw, valid=valid)
    value = data.draw(
        st.sampled_from(["effective_density", "within_cutoff"] + ([] if valid else ["within"]))
    )
    cell = pick(data, st.floats(100.0, 500.0), valid=valid)
    res = outcome(network.effective_density_raster, G, jobs, "jobs", cell, value=value)
    if isinstance(res, Refused):
        return res
    assert res.dims == ("y", "x")
    assert_numbers(res.to_numpy(), "raster", allow_nan=True)
    return res


OSM = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
    '<node id="1" lat="60.1700" lon="24.9400"/><node id="2" lat="60.1700" lon="24.9420"/>\n'
    '<node id="3" lat="60.1710" lon="24.9420"/>\n'
    '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>'
    '<tag k="highway" v="residential"/></way>\n</osm>\n'
)


def _load_graph(data, valid):
    kind = data.draw(
        st.sampled_from(["valid"] if valid else ["bytes", "text", "missing", "folder", "valid"])
    )
    suffix = data.draw(st.sampled_from([".osm", ".osm.bz2", ".osm.gz", ".xml", ".txt", ""]))
    with tempfile.TemporaryDirectory(prefix="geoai-fuzz-") as tmp:
        path = Path(tmp) / f"city{suffix}"
        if kind == "valid":
            path = Path(tmp) / ("city.osm.bz2" if suffix == ".osm.bz2" else "city.osm")
            raw = OSM.encode()
            path.write_bytes(bz2.compress(raw) if path.suffix == ".bz2" else raw)
        elif kind == "bytes":
            path.write_bytes(data.draw(st.binary(max_size=200)))
        elif kind == "text":
            path.write_text(data.draw(st.text(max_size=200)), encoding="utf-8")
        elif kind == "folder":
            path = Path(tmp)
        network_type = data.draw(st.sampled_from(["drive", "walk", "all", "drve"]))
        speed = data.draw(st.one_of(st.none(), st.floats(1.0, 100.0), junk()))
        source = str(path) if data.draw(st.booleans()) else path
        res = outcome(network.load_graph, source, network_type=network_type, speed_kph=speed)
    if isinstance(res, Refused):
        return res
    assert res.graph["crs"].is_projected
    for _, _, d in res.edges(data=True):
        assert_numbers([d["length"], d["travel_time"], d["speed_kph"]], "edge attributes")
    return res


TARGETS = {
    "travel_costs": _travel_costs,
    "accessibility": _accessibility,
    "nodes_to_raster": _rasters,
    "effective_density_raster": _effective_density_raster,
    "load_graph": _load_graph,
}


@FUZZ
@given(name=st.sampled_from(sorted(TARGETS)), valid=st.booleans(), data=st.data())
def test_network_functions_return_valid_results_or_geoai_errors(name, valid, data):
    """Half the cases draw only valid arguments (checked results), half mix in junk."""
    got = TARGETS[name](data, valid)
    event(f"{name}: {'refused' if isinstance(got, Refused) else 'result'}")
