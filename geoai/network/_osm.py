"""Reading OpenStreetMap files for :mod:`geoai.network` (offline) and downloading via osmnx.

Local files are filtered with osmnx's own way filter for the network type, so
a file gives the same network as a download of the same area; PBF files are
converted with pyosmium when it is installed.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import re
import tempfile
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

import geopandas as gpd

from geoai import _validate as v
from geoai._optional import optional
from geoai.errors import BackendUnavailableError, GeoAIError, InputError

if TYPE_CHECKING:
    import io
    from collections.abc import Callable, Iterator, Mapping
    from types import ModuleType

    import networkx as nx
    from shapely.geometry import MultiPolygon, Polygon

__all__ = ["XML_SUFFIXES", "download", "graph_from_file", "is_file_source", "osmnx_module"]

logger = logging.getLogger("geoai.network")

#: File suffixes read as OSM XML.
XML_SUFFIXES = (".osm", ".xml", ".bz2", ".gz")
_FILTER = re.compile(r'\["([^"]+)"(?:(!?~)"([^"]*)")?\]')


def osmnx_module() -> ModuleType:
    return optional("osmnx", "geoai.network")


# ------------------------------------------------------------------ loading
def _way_filter(network_type: str) -> Callable[[dict[str, str]], bool]:
    """Return the osmnx/Overpass way filter of ``network_type`` as a predicate on tags.

    Overpass semantics: ``["k"]`` needs the key, ``["k"~"re"]`` a value
    matching ``re`` (unanchored search), ``["k"!~"re"]`` the key absent or
    not matching. The clauses come from osmnx, so a local file gives the
    same network as a download of the same ``network_type``.
    """
    from osmnx import _overpass

    spec = _overpass._get_network_filter(network_type)  # noqa: SLF001 - no public accessor
    parts = re.findall(r"\[[^\]]*\]", spec)
    if "".join(parts) != spec or not all(_FILTER.fullmatch(p) for p in parts):
        raise BackendUnavailableError(
            f"cannot read osmnx's filter for network_type={network_type!r} ({spec!r}); "
            "install a supported osmnx (pip install 'osmnx>=2.0,<3')."
        )
    clauses = [(k, op, re.compile(rx)) for k, op, rx in _FILTER.findall(spec)]

    def keep(tags: dict[str, str]) -> bool:
        for key, op, rx in clauses:
            value = tags.get(key)
            if op == "":  # ["k"]: the key is required
                if value is None:
                    return False
            elif op == "~":  # ["k"~"re"]: a matching value is required
                if value is None or not rx.search(value):
                    return False
            elif value is not None and rx.search(value):  # ["k"!~"re"]: no matching value
                return False
        return True

    return keep


@contextmanager
def _open_osm(path: Path) -> Iterator[io.BufferedIOBase]:
    if path.suffix == ".bz2":
        with bz2.open(path, "rb") as fh:
            yield fh
    elif path.suffix == ".gz":
        with gzip.open(path, "rb") as fh:
            yield fh
    else:
        with path.open("rb") as fh:
            yield fh


def _longest_run(refs: list[str], present: Mapping[str, object]) -> list[str]:
    """Return the longest run of consecutive ``refs`` that are all in ``present``."""
    best: list[str] = []
    start = 0
    for k, ref in enumerate([*refs, None]):
        if ref is None or ref not in present:
            if k - start > len(best):
                best = refs[start:k]
            start = k + 1
    return best


_Tags = tuple[tuple[str, str], ...]


def _read_osm_xml(
    path: Path, keep: Callable[[dict[str, str]], bool]
) -> tuple[dict[str, tuple[str, str, _Tags]], list[tuple[str, list[str], _Tags]]]:
    """Nodes ``id -> (lat, lon, tags)`` and the kept ways ``(id, refs, tags)`` of a file.

    The file is an OSM extract the caller chose to read. ElementTree resolves no
    external entities and expat limits entity expansion (since 2.4.1), so the
    standard parser is safe here without defusedxml.
    """
    nodes: dict[str, tuple[str, str, _Tags]] = {}
    ways: list[tuple[str, list[str], _Tags]] = []
    try:
        with _open_osm(path) as fh:
            context = ET.iterparse(fh, events=("start", "end"))  # noqa: S314 - see the docstring
            _, root = next(context)
            for event, elem in context:
                if event != "end" or elem.tag not in ("node", "way", "relation"):
                    continue
                tags = tuple((t.attrib["k"], t.attrib["v"]) for t in elem.iter("tag"))
                if elem.tag == "node":
                    nodes[elem.attrib["id"]] = (elem.attrib["lat"], elem.attrib["lon"], tags)
                elif elem.tag == "way" and keep(dict(tags)):
                    refs = [nd.attrib["ref"] for nd in elem.iter("nd")]
                    ways.append((elem.attrib["id"], refs, tags))
                root.clear()  # elements are copied out: keep memory flat
    except (ET.ParseError, OSError, EOFError, KeyError) as exc:
        raise InputError(
            f"{path} is not a readable OSM XML file ({type(exc).__name__}: {exc}); export "
            "OSM XML (.osm, .osm.bz2) e.g. with `osmium cat in.osm.pbf -o out.osm.bz2`."
        ) from None
    return nodes, ways


def _filtered_xml(path: Path, network_type: str, out: Path) -> int:
    """Write the ways of ``network_type`` (and their nodes) of an OSM XML file to ``out``.

    Ways whose nodes are partly missing (a clipped extract) keep their
    longest run of present nodes. Returns the number of ways written.
    """
    nodes, ways = _read_osm_xml(path, _way_filter(network_type))
    kept: list[tuple[str, list[str], _Tags]] = []
    used: dict[str, None] = {}
    cut = 0
    for wid, refs, tags in ways:
        run = _longest_run(refs, nodes)
        cut += len(run) < len(refs)
        if len(run) >= 2:
            kept.append((wid, run, tags))
            used.update(dict.fromkeys(run))
    if cut:
        logger.info("%d way(s) of %s reference missing nodes; kept their longest runs", cut, path)

    def tag_lines(tags: _Tags) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(val)}/>" for k, val in tags)

    with out.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="geoai">\n')
        for nid in used:
            lat, lon, tags = nodes[nid]
            fh.write(f'<node id="{nid}" lat="{lat}" lon="{lon}">{tag_lines(tags)}</node>\n')
        for wid, refs, tags in kept:
            nds = "".join(f'<nd ref="{ref}"/>' for ref in refs)
            fh.write(f'<way id="{wid}">{nds}{tag_lines(tags)}</way>\n')
        fh.write("</osm>\n")
    return len(kept)


def _pbf_to_xml(pbf: Path, out: Path) -> None:
    osmium = optional("osmium", f"reading {pbf.name} (OSM PBF; or convert it once to OSM XML)")
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(pbf)):
            writer.add(obj)


def graph_from_file(
    path: Path, network_type: str, *, retain_all: bool, simplify: bool
) -> nx.MultiDiGraph:
    suffixes = "".join(path.suffixes[-2:]).lower()
    if path.exists() and not path.is_file():
        raise InputError(
            f"{path} is a folder or a device, not a file; pass an OSM XML file (.osm, "
            ".osm.bz2) such as geoai.sample_osm_path()."
        )
    if not path.is_file():
        raise InputError(
            f"{path} does not exist; pass an OSM XML file (.osm, .osm.bz2) such as "
            "geoai.sample_osm_path() ('sample' on the command line), or a place name to "
            "download."
        )
    ox = osmnx_module()
    with tempfile.TemporaryDirectory(prefix="geoai-osm-") as tmp:
        if path.suffix.lower() == ".pbf":
            xml = Path(tmp) / "converted.osm"
            _pbf_to_xml(path, xml)
            path = xml
        elif path.suffix.lower() not in XML_SUFFIXES:
            raise InputError(
                f"{path.name} ({suffixes or 'no suffix'}) is not an OSM file; pass OSM XML "
                "(.osm, .osm.bz2, .osm.gz, .xml) or PBF (.osm.pbf)."
            )
        filtered = Path(tmp) / "filtered.osm"
        if _filtered_xml(path, network_type, filtered) == 0:
            raise InputError(
                f"{path.name} holds no ways of network_type={network_type!r}; try "
                "network_type='all', or check that the file covers streets."
            )
        bidirectional = network_type in ox.settings.bidirectional_network_types
        return ox.graph_from_xml(
            filtered, bidirectional=bidirectional, retain_all=retain_all, simplify=simplify
        )


def download(
    source: str | Polygon | MultiPolygon | gpd.GeoDataFrame | gpd.GeoSeries,
    network_type: str,
    *,
    retain_all: bool,
    simplify: bool,
) -> nx.MultiDiGraph:
    ox = osmnx_module()
    import requests
    from osmnx._errors import InsufficientResponseError

    kw = {"network_type": network_type, "retain_all": retain_all, "simplify": simplify}
    try:
        if isinstance(source, str):
            return ox.graph_from_place(source, **kw)
        if isinstance(source, gpd.GeoDataFrame | gpd.GeoSeries):
            v.require_crs(source, "source")
            source = source.to_crs(4326).union_all()
        return ox.graph_from_polygon(source, **kw)
    except InsufficientResponseError as exc:
        raise InputError(
            f"OpenStreetMap returned no {network_type} network for {source!r}: {exc}"
        ) from None
    except requests.RequestException as exc:
        raise GeoAIError(
            f"could not reach OpenStreetMap to download {source!r} ({type(exc).__name__}); "
            "work offline with a local OSM XML file, e.g. geoai.sample_osm_path()."
        ) from None


def is_file_source(source: object) -> bool:
    """Whether ``source`` names a local file (rather than a place to geocode)."""
    if isinstance(source, PathLike):
        return True
    if not isinstance(source, str):
        return False
    text = source.strip()
    if text.startswith(("/", "./", "../", "~", ".\\", "..\\")) or Path(text).is_absolute():
        return True  # spelt as a path: a place name never starts so (never geocode a typo'd path)
    return Path(source).suffix.lower() in (*XML_SUFFIXES, ".pbf") or Path(source).exists()
