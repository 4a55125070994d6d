"""The offline web map (geoai.io.webmap) rendered in real headless Chromium.

Chromium runs the page from a ``file://`` address as a reader would open it:
``--dump-dom`` gives the DOM after the scripts ran (markers, flows, the
scenario switch), ``--screenshot`` the picture, ``--log-net-log`` every
request the browser made. Where ``/usr/bin/chromium`` is missing the browser
tests are skipped with the reason and the fix (``GEOAI_REQUIRE_SYSTEM_GIS=1``
turns that into a failure, as for QGIS); the tests of the file itself always run.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geoai.errors import InputError
from geoai.io.webmap import LEAFLET_VERSION, FlowKind, Webmap, WebmapScenario, write_webmap

if TYPE_CHECKING:
    import pandas as pd

CHROMIUM = os.environ.get("GEOAI_CHROMIUM", "/usr/bin/chromium")
COLOURS = {"superstar": "#67001f", "hub": "#d6604d", "stable": "#e0e0e0"}
KINDS = {
    "talent": FlowKind("Talent flows", "people", "#1b7837"),
    "capital": FlowKind("Capital flows", "USD", "#bf812d"),
}
#: Flags for a quiet, reproducible headless run (the sandbox needs a non-root user).
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--hide-scrollbars",
    "--window-size=1200,800",
    "--virtual-time-budget=5000",
)


def _require_chromium() -> str:
    if shutil.which(CHROMIUM):
        return CHROMIUM
    why = f"{CHROMIUM} not found; install the Debian package chromium (or set GEOAI_CHROMIUM)"
    if os.environ.get("GEOAI_REQUIRE_SYSTEM_GIS") == "1":
        pytest.fail(why)
    pytest.skip(why)
    return ""  # pragma: no cover - skip raises


def _chromium(tmp: Path, url: str, *extra: str) -> str:
    """Run Chromium on ``url`` with a fresh profile; return its stdout (the DOM with --dump-dom)."""
    exe = _require_chromium()
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    res = subprocess.run(
        [exe, *_FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


class _Dom(HTMLParser):
    """The elements that matter of a dumped DOM (script text is not parsed as tags)."""

    def __init__(self) -> None:
        super().__init__()
        self.metros: list[dict[str, str]] = []
        self.flows: list[dict[str, str]] = []
        self.radios: list[dict[str, str]] = []
        self.radio_labels: list[str] = []
        self.body: dict[str, str] = {}
        self._after_radio = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "body":
            self.body = a
        if tag == "path" and "geoai-metro" in classes:
            self.metros.append(a)
        if tag == "path" and "geoai-flow" in classes:
            self.flows.append(a)
        if tag == "input" and a.get("type") == "radio":
            self.radios.append(a)
            self._after_radio = True

    def handle_data(self, data: str) -> None:
        if self._after_radio and data.strip():
            self.radio_labels.append(data.strip())
            self._after_radio = False


def _dom(text: str) -> _Dom:
    parsed = _Dom()
    parsed.feed(text)
    return parsed


def _points(n: int, roles: list[str], seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-120, 140, n)
    lat = rng.uniform(-35, 60, n)
    return gpd.GeoDataFrame(
        {
            "name": [f"City {seed}-{i} <b>&" for i in range(n)],
            "role": roles,
            "reasons": [f"reason {i}" for i in range(n)],
            "population": rng.uniform(1e6, 3e7, n),
            "jobs": rng.uniform(4e5, 1e7, n),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def _lines(metros: gpd.GeoDataFrame, n: int, scale: float) -> gpd.GeoDataFrame:
    pts = list(metros.geometry)
    rows = [(i % len(pts), (i + 1) % len(pts)) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "origin": [metros["name"].iloc[o] for o, _ in rows],
            "destination": [metros["name"].iloc[d] for _, d in rows],
            "flow": scale * (1.0 + np.arange(n)),
        },
        geometry=[shapely.LineString([pts[o], pts[d]]) for o, d in rows],
        crs="EPSG:4326",
    )


def _webmap() -> Webmap:
    a = _points(7, ["superstar", "hub", "hub", "stable", "stable", "stable", "stable"], 1)
    b = _points(4, ["hub", "stable", "stable", "stable"], 2)
    c = _points(5, ["superstar", "superstar", "hub", "hub", "hub"], 3)
    return Webmap(
        title="Test <map>",
        scenarios={
            "alpha": WebmapScenario(
                a, {"talent": _lines(a, 5, 100.0), "capital": _lines(a, 3, 1e8)}
            ),
            "beta": WebmapScenario(b, {"talent": _lines(b, 2, 10.0)}),
            "gamma": WebmapScenario(c, {"capital": _lines(c, 4, 1e9)}),
        },
        role_colours=COLOURS,
        attribution="Data: test",
        flow_kinds=KINDS,
        subtitle="modelled",
    )  # fmt: skip


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Webmap]:
    webmap = _webmap()
    path = write_webmap(tmp_path_factory.mktemp("webmap") / "map.html", webmap)
    return path, webmap


@pytest.mark.parametrize("scenario", ["alpha", "beta", "gamma"])
def test_the_dom_has_one_marker_per_metro_of_the_visible_scenario(page, tmp_path, scenario):
    path, webmap = page
    dom = _dom(_chromium(tmp_path, f"{path.as_uri()}#scenario={scenario}", "--dump-dom"))
    assert dom.body.get("data-ready") == "1", "the map's script did not finish"
    assert dom.body.get("data-scenario") == scenario
    metros = webmap.scenarios[scenario].metros
    assert len(dom.metros) == len(metros)
    drawn = collections.Counter(m["fill"] for m in dom.metros)
    assert drawn == collections.Counter(COLOURS[r] for r in metros["role"])
    # the flows of this scenario only, each kind its colour, arrowhead and widths by volume
    for key, kind in KINDS.items():
        lines = [f for f in dom.flows if f"geoai-flow-{key}" in f["class"].split()]
        expected = webmap.scenarios[scenario].flows.get(key)
        assert len(lines) == (0 if expected is None else len(expected))
        assert all(f["stroke"] == kind.colour for f in lines)
        assert all(f.get("marker-end") == f"url(#geoai-arrow-{key})" for f in lines)
        widths = [float(f["stroke-width"]) for f in lines]
        assert widths == sorted(widths)  # drawn smallest first, so the largest lie on top
        if len(widths) > 1:
            assert widths[-1] > widths[0]


def test_the_scenario_switch_has_one_radio_button_per_preset(page, tmp_path):
    path, webmap = page
    dom = _dom(_chromium(tmp_path, f"{path.as_uri()}#scenario=beta", "--dump-dom"))
    assert dom.radio_labels[: len(dom.radios)] == list(webmap.scenarios)
    assert len({r["name"] for r in dom.radios}) == 1  # one group: choosing one drops the other
    labels = zip(dom.radios, dom.radio_labels, strict=False)
    assert [label for r, label in labels if "checked" in r] == ["beta"]
    # an unknown scenario in the address falls back to the first
    dom = _dom(_chromium(tmp_path, f"{path.as_uri()}#scenario=nope", "--dump-dom"))
    assert dom.body.get("data-scenario") == "alpha"
    assert len(dom.metros) == len(webmap.scenarios["alpha"].metros)


def _pixels(png: Path) -> np.ndarray:
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(png) as src:
            return src.read()[:3].transpose(1, 2, 0).astype(int)


def test_the_screenshot_is_a_map_not_a_blank_page(page, tmp_path):
    path, _ = page
    shot, blank = tmp_path / "map.png", tmp_path / "blank.png"
    (tmp_path / "blank.html").write_text("<!DOCTYPE html><html><body></body></html>")
    _chromium(tmp_path, f"{path.as_uri()}#scenario=alpha", f"--screenshot={shot}")
    _chromium(tmp_path, (tmp_path / "blank.html").as_uri(), f"--screenshot={blank}")
    img, empty = _pixels(shot), _pixels(blank)
    assert img.shape == empty.shape
    changed = np.any(img != empty, axis=2).mean()
    assert changed > 0.5, f"only {changed:.0%} of the pixels differ from a blank page"
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    assert colours > 100, f"{colours} distinct colours"
    land = np.all(np.abs(img - np.array([0xE6, 0xE6, 0xE6])) <= 2, axis=2).mean()
    assert land > 0.05, "no land drawn"  # the countries (light grey) cover part of the view
    for role in ("superstar", "hub"):  # fill 0.9 over land or sea: within 30 of the colour
        rgb = np.array([int(COLOURS[role][k : k + 2], 16) for k in (1, 3, 5)])
        near = np.all(np.abs(img - rgb) <= 30, axis=2).sum()
        assert near > 20, f"no {role} marker in the picture"


_FILE_SITE = "file://"


def _page_requests(netlog: Path) -> list[str]:
    """URLs the page (a file:// document) asked the network for, from a Chromium net-log.

    The browser's own background requests (update checks) carry no file://
    network isolation key; every request of the page does.
    """
    log = json.loads(netlog.read_text(encoding="utf-8"))
    kinds = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    urls = []
    for event in log["events"]:
        params = event.get("params") or {}
        url = str(params.get("url", ""))
        started = kinds.get(event["type"]) == "URL_REQUEST_START_JOB"
        of_page = str(params.get("network_isolation_key", "")).startswith(_FILE_SITE)
        if started and of_page and not url.startswith("file:"):
            urls.append(url)
    return urls


def _requests_of(tmp_path: Path, html_file: Path) -> list[str]:
    netlog = tmp_path / f"{html_file.stem}.netlog.json"
    _chromium(tmp_path, html_file.as_uri(), f"--log-net-log={netlog}", "--dump-dom")
    return _page_requests(netlog)


def test_the_map_makes_no_network_request_even_without_its_csp(page, tmp_path):
    path, _ = page
    assert _requests_of(tmp_path, path) == []
    # the guard is not what keeps it quiet: without the CSP meta tag it asks for nothing either
    text = path.read_text(encoding="utf-8")
    open_page = tmp_path / "no_csp.html"
    stripped = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    assert stripped != text
    open_page.write_text(stripped, encoding="utf-8")
    dom = _dom(_chromium(tmp_path, open_page.as_uri(), "--dump-dom"))
    assert len(dom.metros) == 7  # the page still works, so the check below means something
    assert _requests_of(tmp_path, open_page) == []


def test_the_request_check_sees_a_page_that_does_ask(tmp_path):
    leaky = tmp_path / "leaky.html"
    leaky.write_text(
        '<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/tile.png">'
        '<script>fetch("https://tiles.example.invalid/0/0/0.png").catch(() => 0)</script>'
        "</body></html>"
    )
    urls = _requests_of(tmp_path, leaky)
    assert "http://127.0.0.1:9/tile.png" in urls
    assert "https://tiles.example.invalid/0/0/0.png" in urls


def test_the_file_is_self_contained_and_small(page):
    path, webmap = page
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size < 600_000
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert csp
    assert "default-src 'none'" in csp.group(1)
    assert "connect-src 'none'" in csp.group(1)
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert not re.search(r"<link\b", text)
    styles = text.split("<script", 1)[0]
    assert not re.search(r"url\((?!#|data:)", styles)  # the styles ask for nothing
    assert f"Leaflet {LEAFLET_VERSION}" in text
    assert "BSD 2-Clause License" in text
    # names reach the page as data, never as markup
    assert "City 1-0 <b>&" not in text
    assert "Test &lt;map&gt;" in text
    data = json.loads(re.search(r'id="geoai-data">(.*?)</script>', text, re.DOTALL).group(1))
    assert [s["name"] for s in data["scenarios"]] == list(webmap.scenarios)
    assert data["countries"]["type"] == "MultiPolygon"
    assert len(data["countries"]["coordinates"]) > 200
    # popups: name, role in words, reasons, population and jobs of every metro
    metros = webmap.scenarios["alpha"].metros
    rows = {m[4]: dict(m[5]) for m in data["scenarios"][0]["metros"]}
    assert set(rows) == set(metros["name"])
    for _, m in metros.iterrows():
        popup = rows[m["name"]]
        assert popup["Role"] == m["role"].capitalize()
        assert popup["Why"] == m["reasons"]
        assert popup["Population"] == f"{m['population']:,.0f} people"
        assert popup["Jobs"] == f"{m['jobs']:,.0f} jobs"
    radii = {m[4]: m[2] for m in data["scenarios"][0]["metros"]}
    big, small = metros["population"].idxmax(), metros["population"].idxmin()
    assert radii[metros.loc[big, "name"]] > radii[metros.loc[small, "name"]]


@pytest.mark.parametrize("dtype", [object, "string"])
def test_a_metro_without_reasons_has_no_why_row(tmp_path, dtype):
    import pandas as pd

    metros = _points(4, ["hub", "stable", "stable", "stable"], 5)
    metros["reasons"] = pd.Series(["one", None, "", "four"], index=metros.index, dtype=dtype)
    web = Webmap(
        title="t",
        scenarios={"a": WebmapScenario(metros, {})},
        role_colours=COLOURS,
        attribution="Data: test",
        flow_kinds=KINDS,
    )
    text = write_webmap(tmp_path / "map.html", web).read_text(encoding="utf-8")
    raw = re.search(r'id="geoai-data">(.*?)</script>', text, re.DOTALL).group(1)
    assert "<NA>" not in raw
    assert "NaN" not in raw
    data = json.loads(raw)
    why = {m[4]: dict(m[5]).get("Why") for m in data["scenarios"][0]["metros"]}
    names = metros["name"].tolist()
    assert why == {names[0]: "one", names[1]: None, names[2]: None, names[3]: "four"}


def test_the_vendored_leaflet_is_the_pinned_release_with_its_licence():
    vendor = Path(__file__).resolve().parents[2] / "geoai" / "_vendor" / "leaflet"
    head = (vendor / "leaflet.js").read_text(encoding="utf-8")[:200]
    assert f"Leaflet {LEAFLET_VERSION}" in head
    assert "BSD 2-Clause" in (vendor / "LICENSE").read_text(encoding="utf-8")
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    assert LEAFLET_VERSION in readme
    assert "registry.npmjs.org" in readme
    assert f'VERSION="{LEAFLET_VERSION}"' in (vendor / "build.sh").read_text(encoding="utf-8")


def _bad(**change: object) -> Webmap:
    base = _webmap()
    fields = {
        "title": base.title,
        "scenarios": base.scenarios,
        "role_colours": base.role_colours,
        "attribution": base.attribution,
        "flow_kinds": base.flow_kinds,
    }
    return Webmap(**{**fields, **change})  # type: ignore[arg-type]


def _areas() -> gpd.GeoDataFrame:
    """Metros as polygons (squares round three points), which the map does not take."""
    pts = _points(3, ["hub"] * 3, 4)
    return pts.set_geometry(shapely.buffer(pts.geometry.to_numpy(), 1.0, cap_style="square"))


def _one(metros: gpd.GeoDataFrame, flows: dict | None = None) -> dict[str, WebmapScenario]:
    return {"s": WebmapScenario(metros, flows or {})}


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"scenarios": {}}, "no scenario"),
        ({"role_colours": {"hub": "#d6604d", "stable": "#e0e0e0"}}, "no colour"),
        ({"role_colours": {**COLOURS, "hub": "red"}}, "#rrggbb"),
        ({"flow_kinds": {"talent": KINDS["talent"]}}, "flow_kinds does not define"),
        ({"flow_kinds": {**KINDS, "Bad kind": KINDS["talent"]}}, "lower-case word"),
        ({"scenarios": _one(_points(3, ["hub"] * 3, 4).drop(columns="population"))}, "population"),
        ({"scenarios": _one(_points(3, ["hub"] * 3, 4).set_crs(None, allow_override=True))}, "CRS"),
        ({"scenarios": _one(_areas())}, "points"),
        ({"scenarios": _one(_points(3, ["hub"] * 3, 4),
                            {"talent": _lines(_points(3, ["hub"] * 3, 4), 2, 1.0)
                             .drop(columns="flow")})}, "flow"),
    ],
)  # fmt: skip
def test_bad_input_is_an_input_error_naming_the_fix(tmp_path, change, needle):
    with pytest.raises(InputError, match=re.escape(needle)):
        write_webmap(tmp_path / "map.html", _bad(**change))
    assert not list(tmp_path.iterdir())  # nothing written, not even a temporary file


def test_the_run_map_shows_every_preset_of_a_real_run(tmp_path):
    from geoai.pipeline import run
    from geoai.pipeline._layers import flow_lines
    from geoai.pipeline._webmap import write_webmap_file

    job = {
        "data": {"min_population": 5_000_000},
        "scenario": {"presets": ["baseline", "divergence"], "start": 2025, "end": 2027},
        "outputs": {"maps": False, "report": False, "qgis_project": False, "rasters": False,
                    "sensitivity": False, "top_flows": 20},
    }  # fmt: skip
    result = run(job, tmp_path / "out", progress=False)
    lines = flow_lines(result.job, result.simulations)
    folder = tmp_path / "maps"
    folder.mkdir()
    path = write_webmap_file(result.job, result.simulations, lines, folder)
    assert path == folder / "map.html"
    text = path.read_text(encoding="utf-8")
    for name, sim in result.simulations.items():
        dom = _dom(_chromium(tmp_path, f"{path.as_uri()}#scenario={name}", "--dump-dom"))
        assert len(dom.metros) == len(sim.roles)
        assert collections.Counter(m["fill"] for m in dom.metros) == _role_fills(sim.roles["role"])
        kinds = {c for f in dom.flows for c in f["class"].split() if c.startswith("geoai-flow-")}
        assert kinds == {"geoai-flow-talent", "geoai-flow-capital"}
        assert len(dom.flows) == sum(len(t) for t in lines[name].values())
    # flow tooltips name the metros, not their ids
    tips = re.findall(r'"([^"]+ → [^"]+)"', text)
    assert tips
    assert not [t for t in tips if "wup:" in t]
    assert "people" in text
    assert "USD" in text


def _role_fills(roles: pd.Series) -> collections.Counter[str]:
    from geoai.viz import ROLE_COLOURS

    return collections.Counter(ROLE_COLOURS[str(r)] for r in roles)
