"""An interactive map in one HTML file that works offline: metros by role, flows, scenarios.

The file holds everything it needs: the Leaflet library and its stylesheet,
the map's own script, the data and the basemap (the shipped Natural Earth
1:110m countries, simplified) are all inlined, and no tile server is used.
A Content-Security-Policy meta tag forbids every network source (scripts
run only if their SHA-256 matches, images only from ``data:``, no fetch,
font, frame or form target), so the page cannot make a request even if a
later edit tried to. It can be e-mailed, attached to a report or opened
from a USB stick.

Why Leaflet 1.9.4 (vendored from the npm registry under
``geoai/_vendor/leaflet/``, BSD-2-Clause):

* small: 148 KB of JavaScript and 15 KB of CSS, inlined as they are;
* it draws vectors as SVG, without WebGL, so the map renders in any
  browser, in headless Chromium and on machines without a GPU; MapLibre GL
  (about 800 KB) needs WebGL and is built around vector tiles that a single
  offline file does not have, and deck.gl/lonboard or folium pull in more
  (folium's default page loads Leaflet and its plugins from CDNs);
* its layer control gives the scenario switch (radio buttons, one layer group
  per scenario) and the overlay toggles with no code of ours;
* popups, tooltips and a scale bar are built in.

Leaflet shows Web Mercator (EPSG:3857), the projection of web maps; sizes far
from the equator are exaggerated, so the metros' circles are sized by
population in pixels (area proportional), not in ground units.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geoai.errors import GeoAIError, InputError
from geoai.io._atomic import atomic_path

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import geopandas as gpd

    from geoai._typing import FloatArray

__all__ = ["LEAFLET_VERSION", "FlowKind", "Webmap", "WebmapScenario", "webmap_html", "write_webmap"]

#: The vendored Leaflet release (``geoai/_vendor/leaflet/build.sh`` pins it).
LEAFLET_VERSION = "1.9.4"
_VENDOR = Path(__file__).resolve().parents[1] / "_vendor" / "leaflet"
_APP = Path(__file__).with_name("webmap.js")
#: The shipped country polygons (as ``geoai.datasets.BOUNDARIES``; ``io`` sits below datasets).
_COUNTRIES = "naturalearth/countries_110m.parquet"
#: Douglas-Peucker tolerance (degrees) and decimals kept for the basemap: ~11 km and ~1 km,
#: finer than a 1:110m source at the zooms a world map is read at.
_BASEMAP_TOLERANCE = 0.1
_BASEMAP_DECIMALS = 2
#: Decimals kept for metros and flow lines (~100 m).
_DECIMALS = 3
#: Circle radius (px) of the smallest and the largest metro (area proportional to population).
_RADIUS = (2.5, 18.0)
#: Line width (px) of the smallest and the largest flow of a kind (area-like: square root).
_WIDTH = (1.2, 9.0)
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_KEY = re.compile(r"[a-z][a-z0-9_]*")
#: Basemap style, as geoai.viz draws it (light grey land, white borders).
_BASEMAP = {"land": "#e6e6e6", "border": "#ffffff", "weight": 0.6}
_SEA = "#f4f7fa"


def _plain_number(x: float, unit: str) -> str:
    """Format ``x`` in ``unit`` with thousands separators (the default formatter)."""
    return "n/a" if not math.isfinite(x) else f"{x:,.0f} {unit}".strip()


@dataclass(frozen=True)
class FlowKind:
    """How one kind of flow is drawn.

    Attributes
    ----------
    label : str
        Legend and layer-switch name, e.g. ``"Talent flows"``.
    unit : str
        Unit of the ``flow`` values, e.g. ``"people"`` or ``"USD"``.
    colour : str
        Line and arrowhead colour, ``#rrggbb``.
    """

    label: str
    unit: str
    colour: str


@dataclass(frozen=True)
class WebmapScenario:
    """The layers of one scenario.

    Attributes
    ----------
    metros : geopandas.GeoDataFrame
        One point per metro (any CRS; drawn in EPSG:4326) with ``name``,
        ``role`` and ``population`` (people; sizes the circle); ``reasons``
        (text) and ``jobs`` (jobs) are shown in the popup where present.
    flows : mapping of str to geopandas.GeoDataFrame
        Per kind of flow (a key of :attr:`Webmap.flow_kinds`): lines with
        ``origin`` and ``destination`` (names shown in the tooltip), ``flow``
        (in the kind's unit, >= 0) and a (Multi)LineString from origin to
        destination; the arrowhead sits at the destination.
    """

    metros: gpd.GeoDataFrame
    flows: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class Webmap:
    """Everything the web map shows.

    Attributes
    ----------
    title : str
        Page title and heading.
    scenarios : mapping of str to WebmapScenario
        One layer group per scenario, in switch order; the first is shown
        unless the address ends in ``#scenario=<name>``.
    role_colours : mapping of str to str
        ``#rrggbb`` fill of every role the metros may have, in legend order.
    attribution : str
        Credit line of the data (plain text), shown in the corner with
        "Made with Natural Earth" and Leaflet's credit.
    flow_kinds : mapping of str to FlowKind
        Drawing of each kind of flow (keys: lower-case words, e.g. ``"talent"``).
    role_labels : mapping of str to str, optional
        Words for the roles (default: the key with spaces, capitalised).
    subtitle : str
        A line under the title (what the map shows, what is modelled).
    number : callable
        ``number(value, unit) -> str`` formats figures (default: thousands separators).
    """

    title: str
    scenarios: Mapping[str, WebmapScenario]
    role_colours: Mapping[str, str]
    attribution: str
    flow_kinds: Mapping[str, FlowKind] = field(default_factory=dict)
    role_labels: Mapping[str, str] = field(default_factory=dict)
    subtitle: str = ""
    number: Callable[[float, str], str] = _plain_number


def write_webmap(path: str | Path, webmap: Webmap) -> Path:
    """Write ``webmap`` as one self-contained HTML file, atomically.

    Parameters
    ----------
    path : path
        The ``.html`` file to write (replaced if it exists).
    webmap : Webmap
        What to draw.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        As :func:`webmap_html`.

    Examples
    --------
    >>> import geopandas as gpd, pathlib, tempfile
    >>> metros = gpd.GeoDataFrame(
    ...     {"name": ["Lagos", "Accra"], "role": ["hub", "stable"], "population": [15e6, 3e6]},
    ...     geometry=gpd.points_from_xy([3.4, -0.2], [6.5, 5.6]), crs="EPSG:4326")
    >>> page = Webmap("Roles", {"baseline": WebmapScenario(metros)},
    ...               {"hub": "#d6604d", "stable": "#e0e0e0"}, "Data: example")
    >>> out = write_webmap(pathlib.Path(tempfile.mkdtemp()) / "map.html", page)
    >>> text = out.read_text(encoding="utf-8")
    >>> "default-src 'none'" in text, "https://unpkg" in text
    (True, False)
    """
    target = Path(path)
    text = webmap_html(webmap)
    with atomic_path(target) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return target


def webmap_html(webmap: Webmap) -> str:
    """Return the HTML of ``webmap``: one page with every script, style and shape inlined.

    Parameters
    ----------
    webmap : Webmap
        What to draw.

    Returns
    -------
    str
        The page (UTF-8 text): about 290 KB (Leaflet, the basemap), plus
        about 120 bytes per metro and scenario and its popup text (1.8 MB for
        653 metros, four scenarios and 300 flows of each kind).

    Raises
    ------
    InputError
        No scenario; a metro layer without a CRS, points, ``name``, ``role`` or
        ``population``; a role without a colour; a flow table of a kind that
        ``flow_kinds`` does not define, or without ``origin``, ``destination``,
        ``flow``; a colour that is not ``#rrggbb``; a flow-kind key that is
        not a lower-case word.
    """
    data = _payload(webmap)
    leaflet_js = _vendor("leaflet.js")
    app_js = _APP.read_text(encoding="utf-8")
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # a data block must not close its own tag or break a line in old parsers
    blob = blob.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {_sha256(leaflet_js)} {_sha256(app_js)}",
            "style-src 'unsafe-inline'",
            "img-src data:",
            "connect-src 'none'",
            "font-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    title = html.escape(webmap.title)
    subtitle = html.escape(webmap.subtitle)
    licence = _vendor("LICENSE").replace("--", "- -")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="geoai.io.webmap (Leaflet {LEAFLET_VERSION})">\n'
        f"<title>{title}</title>\n"
        f"<!-- Leaflet {LEAFLET_VERSION}, inlined below, is distributed under this licence:\n"
        f"{licence}-->\n"
        f"<style>\n{_leaflet_css()}\n{_PAGE_CSS}</style>\n</head>\n<body>\n"
        f'<header class="geoai-header"><h1>{title}</h1><p>{subtitle}</p></header>\n'
        '<div id="geoai-map" role="application" aria-label="interactive map"></div>\n'
        f'<script type="application/json" id="geoai-data">{blob}</script>\n'
        f"<script>{leaflet_js}</script>\n<script>{app_js}</script>\n</body>\n</html>\n"
    )


_PAGE_CSS = f"""html, body {{ height: 100%; margin: 0; }}
body {{ display: flex; flex-direction: column; font: 14px/1.4 system-ui, sans-serif; }}
.geoai-header {{ padding: 6px 12px; border-bottom: 1px solid #ccc; }}
.geoai-header h1 {{ font-size: 18px; margin: 0; }}
.geoai-header p {{ margin: 0; color: #444; font-size: 13px; }}
#geoai-map {{ flex: 1; background: {_SEA}; }}
.leaflet-control-attribution {{ max-width: 62vw; }}
.geoai-defs {{ position: absolute; width: 0; height: 0; }}
.geoai-legend {{ background: rgba(255,255,255,.92); padding: 6px 8px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 12px; max-width: 260px; }}
.geoai-legend-title {{ font-weight: 600; margin-top: 4px; }}
.geoai-legend-row {{ display: flex; align-items: center; gap: 6px; }}
.geoai-legend-dot {{ display: inline-block; width: 11px; height: 11px; border-radius: 50%;
  border: 1px solid #333; }}
.geoai-legend-line {{ display: inline-block; width: 28px; border-top-style: solid; }}
.geoai-legend-note {{ color: #555; }}
.geoai-popup table {{ border-collapse: collapse; margin-top: 4px; }}
.geoai-popup th {{ text-align: left; padding-right: 8px; vertical-align: top; }}
"""


def _vendor(name: str) -> str:
    try:
        return (_VENDOR / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GeoAIError(
            f"the vendored Leaflet file {name} is missing from {_VENDOR}; reinstall geoai or run "
            "bash geoai/_vendor/leaflet/build.sh."
        ) from None


def _leaflet_css() -> str:
    """Leaflet's stylesheet without its image references (icons we do not use; none may load)."""
    css = _vendor("leaflet.css")
    return re.sub(r"url\((?!#|data:)[^)]*\)", "none", css)


def _sha256(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def _payload(webmap: Webmap) -> dict[str, Any]:
    if not webmap.scenarios:
        raise InputError("the web map has no scenario; pass at least one WebmapScenario.")
    roles = list(webmap.role_colours)
    for key, colour in webmap.role_colours.items():
        _check_colour(colour, f"role {key!r}")
    for key, kind in webmap.flow_kinds.items():
        if not _KEY.fullmatch(key):
            raise InputError(f"flow kind {key!r} is not a lower-case word; use e.g. 'talent'.")
        _check_colour(kind.colour, f"flow kind {key!r}")
    metros = {name: _metros_4326(name, sc.metros) for name, sc in webmap.scenarios.items()}
    populations = np.concatenate([_finite(m["population"]) for m in metros.values()])
    top_pop = float(populations.max()) if populations.size else 0.0
    flows = {name: _flows_4326(name, sc.flows, webmap) for name, sc in webmap.scenarios.items()}
    top_flow = {
        key: max(
            (float(_finite(f[key]["flow"]).max(initial=0.0)) for f in flows.values() if key in f),
            default=0.0,
        )
        for key in webmap.flow_kinds
    }
    scenarios = [
        {
            "name": str(name),
            "metros": _metro_rows(name, metros[name], roles, webmap, top_pop),
            "flows": {
                key: _flow_rows(lines, webmap.flow_kinds[key].unit, webmap.number, top_flow[key])
                for key, lines in flows[name].items()
            },
        }
        for name in webmap.scenarios
    ]
    return {
        "attribution": html.escape(_credit(webmap.attribution)),
        "basemap": _BASEMAP,
        "countries": _countries(),
        "roles": [
            {"key": r, "label": _role_label(webmap, r), "colour": webmap.role_colours[r]}
            for r in roles
        ],
        "flowKinds": [
            {
                "key": key,
                "label": kind.label,
                "unit": kind.unit,
                "colour": kind.colour,
                "legend": _width_legend(top_flow[key], kind.unit, webmap.number),
            }
            for key, kind in webmap.flow_kinds.items()
        ],
        "legend": {"roles": "Role", "size": "Circle area: population"},
        "bounds": _bounds(metros.values()),
        "scenarios": scenarios,
    }


def _credit(attribution: str) -> str:
    """Return the data's credit line with Natural Earth's (the basemap) added once."""
    natural_earth = "Made with Natural Earth"
    if natural_earth in attribution:
        return attribution
    return f"{attribution}; {natural_earth}" if attribution.strip() else natural_earth


def _check_colour(colour: str, what: str) -> None:
    if not isinstance(colour, str) or not _HEX.fullmatch(colour):
        raise InputError(f"the colour {colour!r} of {what} is not #rrggbb; give e.g. '#d6604d'.")


def _role_label(webmap: Webmap, role: str) -> str:
    return webmap.role_labels.get(role, role.replace("_", " ").capitalize())


def _finite(values: Any) -> FloatArray:  # noqa: ANN401 - any column pandas can hold
    """Return the finite, non-negative values of a column as floats (others dropped)."""
    import pandas as pd

    x: FloatArray = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    kept: FloatArray = x[np.isfinite(x) & (x >= 0)]
    return kept


def _metros_4326(name: str, metros: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd

    if not isinstance(metros, gpd.GeoDataFrame):
        raise InputError(f"scenario {name!r}: metros must be a GeoDataFrame of points.")
    missing = sorted({"name", "role", "population"} - set(metros.columns))
    if missing:
        raise InputError(
            f"scenario {name!r}: metros lack column(s) {missing}; give name, role and population."
        )
    if metros.crs is None:
        raise InputError(f"scenario {name!r}: metros have no CRS; set one (e.g. EPSG:4326).")
    geom = metros.geometry
    if len(metros) and not (geom.geom_type == "Point").all():
        raise InputError(
            f"scenario {name!r}: metros must be points; use their centroids or a point layer."
        )
    return metros.to_crs(4326)


def _metro_rows(
    name: str, metros: gpd.GeoDataFrame, roles: list[str], webmap: Webmap, top_pop: float
) -> list[list[Any]]:
    """``[lat, lon, radius px, role index, name, popup rows]`` per metro, largest first."""
    import pandas as pd

    unknown = sorted(set(metros["role"].astype(str)) - set(roles))
    if unknown:
        raise InputError(
            f"scenario {name!r}: role(s) {unknown} have no colour; add them to role_colours."
        )
    pop = pd.to_numeric(metros["population"], errors="coerce").to_numpy(dtype=float)
    share = np.where(np.isfinite(pop) & (pop > 0), pop, 0.0) / top_pop if top_pop > 0 else pop * 0
    radius = _RADIUS[0] + (_RADIUS[1] - _RADIUS[0]) * np.sqrt(np.nan_to_num(share))
    lon = metros.geometry.x.to_numpy()
    lat = metros.geometry.y.to_numpy()
    role_of = metros["role"].astype(str).tolist()
    names = [str(x) for x in metros["name"].tolist()]
    jobs = (
        pd.to_numeric(metros["jobs"], errors="coerce").to_numpy(dtype=float)
        if "jobs" in metros.columns
        else None
    )
    reasons = (  # a missing reason (None, NaN, NA) has no "Why" row
        ["" if _missing(x) else str(x) for x in metros["reasons"].tolist()]
        if "reasons" in metros.columns
        else None
    )
    index = {role: k for k, role in enumerate(roles)}
    labels = {role: _role_label(webmap, role) for role in index}
    rows = []
    for i in np.argsort(-np.nan_to_num(pop, nan=-1.0), kind="stable").tolist():
        role = role_of[i]
        popup = [["Role", labels[role]], ["Population", webmap.number(float(pop[i]), "people")]]
        if jobs is not None:
            popup.append(["Jobs", webmap.number(float(jobs[i]), "jobs")])
        if reasons is not None and reasons[i] not in ("", "nan"):
            popup.append(["Why", reasons[i]])
        rows.append(
            [
                round(float(lat[i]), _DECIMALS),
                round(float(lon[i]), _DECIMALS),
                round(float(radius[i]), 1),
                index[role],
                names[i],
                popup,
            ]
        )
    return rows


def _missing(value: object) -> bool:
    """Whether one cell is missing (None, NaN, ``pd.NA``, ``NaT``)."""
    import pandas as pd

    return value is None or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and bool(pd.isna(value))
    )


def _flows_4326(
    name: str, flows: Mapping[str, gpd.GeoDataFrame], webmap: Webmap
) -> dict[str, gpd.GeoDataFrame]:
    """Check one scenario's flow tables; return them in EPSG:4326."""
    import geopandas as gpd

    unknown = sorted(set(flows) - set(webmap.flow_kinds))
    if unknown:
        raise InputError(
            f"scenario {name!r} has flows of kind(s) {unknown} that flow_kinds does not "
            "define; add a FlowKind for each."
        )
    out = {}
    for key, lines in flows.items():
        if not isinstance(lines, gpd.GeoDataFrame):
            raise InputError(f"scenario {name!r}: {key} flows must be a GeoDataFrame of lines.")
        missing = sorted({"origin", "destination", "flow"} - set(lines.columns))
        if missing:
            raise InputError(
                f"scenario {name!r}: {key} flows lack column(s) {missing}; give origin, "
                "destination and flow."
            )
        if len(lines) and lines.crs is None:
            raise InputError(
                f"scenario {name!r}: {key} flows have no CRS; set one (e.g. EPSG:4326)."
            )
        out[key] = lines.to_crs(4326) if len(lines) else lines
    return out


def _flow_rows(
    lines: gpd.GeoDataFrame, unit: str, number: Callable[[float, str], str], top: float
) -> list[list[Any]]:
    """``[parts of [lat, lon], width px, tooltip]`` per flow, smallest first (largest on top)."""
    import pandas as pd

    flow = pd.to_numeric(lines["flow"], errors="coerce").to_numpy(dtype=float)
    out = []
    for i in np.argsort(np.nan_to_num(flow, nan=-1.0), kind="stable"):
        value = float(flow[i])
        parts = _line_parts(lines.geometry.iloc[i])
        if not parts or not math.isfinite(value) or value < 0:
            continue
        width = _width(value, top)
        tip = f"{lines['origin'].iloc[i]} → {lines['destination'].iloc[i]}: {number(value, unit)}"
        out.append([parts, width, tip])
    return out


def _width(value: float, top: float) -> float:
    share = math.sqrt(value / top) if top > 0 else 0.0
    return round(_WIDTH[0] + (_WIDTH[1] - _WIDTH[0]) * share, 2)


def _width_legend(top: float, unit: str, number: Callable[[float, str], str]) -> list[list[Any]]:
    """Return three sample widths (largest flow, a quarter, a 25th of it) and their labels."""
    if top <= 0:
        return []
    return [[_width(v, top), number(v, unit)] for v in (top, top / 4, top / 25)]


def _line_parts(geom: Any) -> list[list[list[float]]]:  # noqa: ANN401 - any shapely geometry
    import shapely

    if geom is None or geom.is_empty:
        return []
    parts = []
    for part in shapely.get_parts(geom):
        xy = np.round(np.asarray(part.coords)[:, :2], _DECIMALS)
        parts.append([[float(y), float(x)] for x, y in xy])
    return parts


def _bounds(layers: Any) -> list[list[float]]:  # noqa: ANN401 - an iterable of GeoDataFrames
    """``[[south, west], [north, east]]`` of every metro, 2° padded; the world if none."""
    boxes = [m.total_bounds for m in layers if len(m)]
    if not boxes:
        return [[-60.0, -170.0], [75.0, 170.0]]
    box = np.vstack(boxes)
    west, south = box[:, 0].min() - 2, box[:, 1].min() - 2
    east, north = box[:, 2].max() + 2, box[:, 3].max() + 2
    return [
        [round(max(south, -80.0), 2), round(max(west, -180.0), 2)],
        [round(min(north, 84.0), 2), round(min(east, 180.0), 2)],
    ]


@functools.cache
def _countries() -> dict[str, Any]:
    """Return the shipped Natural Earth countries as one simplified GeoJSON MultiPolygon."""
    import geopandas as gpd
    import shapely

    from geoai._shipped import data_path

    geoms = gpd.read_parquet(data_path(_COUNTRIES)).geometry.to_numpy()
    simple = shapely.simplify(geoms, _BASEMAP_TOLERANCE, preserve_topology=True)
    polygons = []
    for part in shapely.get_parts(simple):
        if part.is_empty:
            continue
        rings = (part.exterior, *part.interiors)
        coords = [np.round(np.asarray(r.coords)[:, :2], _BASEMAP_DECIMALS).tolist() for r in rings]
        polygons.append(coords)
    return {"type": "MultiPolygon", "coordinates": polygons}
