"""The run's vector outputs, each styled and self-describing in QGIS.

Per preset: ``metros_<preset>`` (final-year points by role, labels in
words), ``flows_talent_<preset>`` and ``flows_capital_<preset>`` (one layer
per kind, each with its unit, its own width scale, arrows for direction and
origin/destination names) and ``panel_<preset>`` (metros × years as points,
temporal: QGIS's time slider animates it); once: ``countries`` (the Natural
Earth basemap) and ``panel`` (start and end values per preset and metro).
Every layer carries QGIS metadata (title, abstract, attribution, licence,
keywords) and field aliases with units (:func:`layer_metadata`,
:func:`field_aliases`).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

if TYPE_CHECKING:
    from pathlib import Path

    from geoai.io._layer_meta import LayerMetadata
    from geoai.pipeline.job import Job
    from geoai.scenario.simulation import Simulation

__all__ = [
    "FLOW_KINDS",
    "field_aliases",
    "flow_lines",
    "layer_metadata",
    "role_label",
    "write_vectors",
]

#: Flow kinds: (layer title, unit of the flow, colour of the largest flows).
FLOW_KINDS = {
    "talent": ("Talent flows", "people per year", "#2166ac"),
    "capital": ("Capital flows", "USD per year", "#b2182b"),
}
#: Words a reader uses for the short tokens of field names.
_WORDS = {
    "ai": "AI",
    "id": "ID",
    "iso3": "ISO3",
    "gi": "Gi*",
    "cbsa": "CBSA",
    "huff": "Huff",
    "usd": "USD",
    "z": "z",
    "p": "p",
}
#: Units not worth printing in an alias.
_SILENT_UNITS = {"", "text", "category", "label"}


_METRO_COLUMNS = (
    "metro_id",
    "name",
    "country_iso3",
    "role",
    "role_score",
    "reasons",
    "population",
    "jobs",
    "jobs_routine",
    "jobs_augmentable",
    "jobs_local",
    "ai_jobs",
    "ai_share",
    "ai_rank",
    "talent",
    "capital",
    "potential",
    "gi_z",
    "gi_p",
    "gi_label",
    "jobs_change",
    "population_change",
    "net_talent",
    "unemployment_rate",
    "fracture",
    "fiscal_buffer",
    "fiscal_stress",
    "huff_centre",
    "huff_probability",
    "largest_talent_to",
    "cbsa",
    "statistical_concept",
    "population_source",
    "start_jobs_source",
    "talent_source",
    "ai_jobs_source",
    "capital_source",
)


def _metro_layer(sim: Simulation) -> gpd.GeoDataFrame:
    """Return the final-year metros with role, reasons and key indicators for QGIS."""
    keep_index = "metro_id" not in sim.roles.columns
    roles = sim.roles.reset_index(drop=not keep_index)
    if "labour_source" in roles.columns and "start_jobs_source" not in roles.columns:
        roles = roles.rename(columns={"labour_source": "start_jobs_source"})
    cols = [c for c in _METRO_COLUMNS if c in roles.columns]
    layer = gpd.GeoDataFrame(roles[cols], geometry=roles.geometry.values, crs=roles.crs)
    layer["role"] = layer["role"].astype(str)
    layer.insert(layer.columns.get_loc("role") + 1, "role_label", layer["role"].map(role_label))
    for col in layer.columns:
        if layer[col].dtype == object and col != "geometry":
            layer[col] = layer[col].astype(str).replace({"None": "", "nan": ""})
    layer["preset"] = sim.preset
    layer["modelled"] = (
        f"{sim.end} values modelled (assumptions); the {sim.start} start is observed where its "
        "*_source says so"
    )
    return layer


def role_label(role: str) -> str:
    """Return a role in words: ``"detroit_path"`` → ``"Detroit path"``.

    Examples
    --------
    >>> role_label("detroit_path"), role_label("superstar")
    ('Detroit path', 'Superstar')
    """
    return str(role).replace("_", " ").capitalize()


def field_aliases(layer: str, columns: list[str]) -> dict[str, str]:
    """Field aliases for QGIS: the field in words and its unit, e.g. ``"AI jobs (jobs)"``.

    Parameters
    ----------
    layer : str
        Layer name (its family, such as ``metros`` or ``flows``, picks the
        data dictionary's entries).
    columns : list of str
        The layer's fields.

    Returns
    -------
    dict of str to str
        Field → alias, for every field but the geometry.

    Examples
    --------
    >>> field_aliases("metros_exodus", ["ai_jobs", "name"])
    {'ai_jobs': 'AI jobs (jobs)', 'name': 'Name'}
    """
    from geoai.io._dictionary import describe_field

    out = {}
    for col in columns:
        if col in {"geometry", "geom"}:
            continue
        words = " ".join(_WORDS.get(w, w) for w in col.split("_"))
        words = words[:1].upper() + words[1:]
        info = describe_field(layer, col)
        unit = info.unit if info is not None else ""
        if col == "flow" and layer.startswith("flows_"):  # one kind per layer: its own unit
            unit = FLOW_KINDS.get(layer.split("_")[1], ("", unit, ""))[1]
        silent = unit in _SILENT_UNITS or unit.lower() == words.lower()
        out[col] = words if silent else f"{words} ({unit})"
    return out


def flow_lines(cfg: Job, sims: dict[str, Simulation]) -> dict[str, dict[str, gpd.GeoDataFrame]]:
    """Draw the largest final-year flows of every preset and kind as lines, once for all uses."""
    from geoai import flows

    return {
        name: {
            kind: flows.to_lines(table, sim.final.reset_index(drop=True), top=cfg.top_flows)
            for kind, table in sim.flows.items()
            if len(table)
        }
        for name, sim in sims.items()
    }


def _final(sim: Simulation) -> gpd.GeoDataFrame:
    """Return the final-year metros with ``metro_id`` as a column (index or not)."""
    return sim.final.reset_index(drop="metro_id" in sim.final.columns)


def _flow_layer(part: gpd.GeoDataFrame, sim: Simulation, kind: str) -> gpd.GeoDataFrame:
    """One kind's flows with the origin's and destination's names and the flow's unit."""
    final = _final(sim)
    names = final.set_index("metro_id")["name"] if "name" in final.columns else None
    out = part.copy()
    at = out.columns.get_loc("destination") + 1
    for k, end in enumerate(("origin", "destination")):
        label = out[end].map(names) if names is not None else out[end]
        out.insert(at + k, f"{end}_name", label.fillna(out[end]).astype(str))
    out["unit"] = FLOW_KINDS.get(kind, (kind, "", ""))[1]
    out["preset"] = sim.preset
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def _panel_points(sim: Simulation) -> gpd.GeoDataFrame:
    """Metros × years as points, with ``year_start`` (1 January) for QGIS's temporal controller."""
    final = _final(sim)
    place = final.set_index("metro_id")
    panel = sim.panel.copy()
    panel.insert(1, "name", panel["metro_id"].map(place["name"]) if "name" in place else "")
    panel.insert(3, "year_start", pd.to_datetime(panel["year"].astype(str) + "-01-01"))
    panel.insert(0, "preset", sim.preset)
    geometry = gpd.GeoSeries(place.geometry, crs=final.crs).reindex(panel["metro_id"])
    return gpd.GeoDataFrame(panel, geometry=geometry.to_numpy(), crs=final.crs).to_crs(4326)


def _countries() -> gpd.GeoDataFrame:
    """Natural Earth 1:110m countries with a polygon, for the basemap."""
    from geoai.datasets import load_countries

    world = load_countries(geometry=True)
    world = world[world.geometry.notna()].reset_index()
    keep = [c for c in ("iso3", "name", "continent", "geometry") if c in world.columns]
    return world.rename(columns={world.columns[0]: "iso3"})[keep]


def _styles(name: str, layer: pd.DataFrame) -> str:
    """Return the default QGIS style of a layer, by its family, with field aliases."""
    from geoai.io._layer_meta import with_aliases, with_temporal
    from geoai.io.qgis import (
        categorized_points_style,
        flow_lines_style,
        graduated_points_style,
        polygon_fill_style,
    )
    from geoai.viz import ROLE_COLOURS

    if name.startswith("metros_"):
        pop = layer["population"].to_numpy(float)
        qml = categorized_points_style(
            "role",
            dict(ROLE_COLOURS),
            labels={r: role_label(r) for r in ROLE_COLOURS},
            size_field="population",
            size_domain=(float(pop.min()), float(pop.max())),
        )
    elif name.startswith("flows_"):
        kind = name.split("_")[1]
        _, unit, colour = FLOW_KINDS.get(kind, (kind, "", "#b2182b"))
        values = layer["flow"].to_numpy(float)
        qml = flow_lines_style("flow", values, unit=unit, colour=colour, arrows=True)
    elif name.startswith("panel_"):
        qml = graduated_points_style(
            "ai_jobs", layer["ai_jobs"].to_numpy(float), ramp="viridis", unit="AI jobs"
        )
        qml = with_temporal(qml, "year_start", duration=1, unit="y")
    elif name == "countries":
        qml = polygon_fill_style()
    else:  # the aspatial panel: aliases only
        qml = ""
    return with_aliases(qml, field_aliases(name, [str(c) for c in layer.columns]))


def write_vectors(
    cfg: Job,
    sims: dict[str, Simulation],
    lines: dict[str, dict[str, gpd.GeoDataFrame]],
    folder: Path,
) -> list[Path]:
    """Write ``geoai.gpkg`` (every layer styled, with metadata) and ``panel.parquet``.

    Parameters
    ----------
    cfg : geoai.pipeline.job.Job
        The run's job.
    sims : dict of str to Simulation
        ``{preset: Simulation}``.
    lines : dict
        ``{preset: {kind: lines}}`` from :func:`flow_lines`.
    folder : pathlib.Path
        The staging folder.

    Returns
    -------
    list of pathlib.Path
        ``geoai.gpkg`` and ``panel.parquet``.
    """
    from geoai.io.gpkg import write_layers

    layers: dict[str, pd.DataFrame] = {}
    panels = []
    for name, sim in sims.items():
        layers[f"metros_{name}"] = _metro_layer(sim)
        for kind, part in lines[name].items():
            layers[f"flows_{kind}_{name}"] = _flow_layer(part, sim, kind)
        layers[f"panel_{name}"] = _panel_points(sim)
        panel = sim.panel.copy()
        panel.insert(0, "preset", name)
        panels.append(panel)
    panel = pd.concat(panels, ignore_index=True)
    layers["panel"] = _panel_summary(panel, cfg)
    layers["countries"] = _countries()
    styles = {name: _styles(name, layer) for name, layer in layers.items()}
    meta = {name: layer_metadata(cfg, name) for name in layers}
    about = {name: f"{m.abstract} {m.attribution}." for name, m in meta.items()}
    path = write_layers(
        folder / "geoai.gpkg", layers, styles=styles, descriptions=about, metadata=meta
    )
    parquet = folder / "panel.parquet"
    panel.to_parquet(parquet, index=False)
    return [path, parquet]


def _attribution(cfg: Job) -> str:
    from geoai.datasets import ATTRIBUTION

    if cfg.metros == "embedded":
        return f"© {ATTRIBUTION.removeprefix('Data: ')}"
    from geoai.pipeline._places import attribution

    return attribution(PurePath(cfg.metros).name, located=cfg.country is None)


def _what(name: str) -> tuple[str, str]:
    """(title, what the layer holds) of a layer, from its name."""
    parts = name.split("_")
    preset = parts[-1]
    if name == "countries":
        return "Countries (basemap)", "Country outlines, Natural Earth 1:110m Admin 0, v4.1.0."
    if name == "panel":
        return "Start and end values by preset and metro", (
            "One row per preset and metro: start and end values and their changes (a table)."
        )
    if parts[0] == "metros":
        return f"Metros, {preset} scenario", (
            "Metros in the final year: role (in words in role_label), its reasons, jobs by type, "
            "AI talent and capital, potential, hot spots and fiscal stress."
        )
    if parts[0] == "panel":
        return f"Metros by year, {preset} scenario", (
            "One point per metro and year (the panel); temporal: QGIS's time slider shows one "
            "year at a time (year_start)."
        )
    title, unit, _ = FLOW_KINDS.get(parts[1], (parts[1], "", ""))
    return f"{title}, {preset} scenario", (
        f"The largest {parts[1]} flows between metros in the final year, in {unit}; each line "
        "runs from origin to destination (arrow), with both names."
    )


def layer_metadata(cfg: Job, name: str) -> LayerMetadata:
    """Return the QGIS metadata of one GeoPackage layer of the run.

    Parameters
    ----------
    cfg : geoai.pipeline.job.Job
        The run's job (years, metros source).
    name : str
        The layer name (``metros_<preset>``, ``flows_<kind>_<preset>``,
        ``panel_<preset>``, ``panel`` or ``countries``).

    Returns
    -------
    geoai.io.project.LayerMetadata
        Title, abstract (what it holds; modelled or observed), attribution,
        licence and keywords.
    """
    from geoai.io._layer_meta import LayerMetadata

    title, what = _what(name)
    if name == "countries":
        return LayerMetadata(
            title,
            what + " Observed boundaries, generalised; disputed areas as drawn there.",
            "Made with Natural Earth (public domain)",
            "Public domain (Natural Earth)",
            keywords=("basemap", "countries", "Natural Earth"),
            topics=("boundaries",),
        )
    start = (
        "Start: UN World Urbanization Prospects 2018 agglomerations; jobs observed for US "
        "metros (start_jobs_source), modelled elsewhere."
        if cfg.metros == "embedded"
        else f"Start: your places in {PurePath(cfg.metros).name}."
    )
    abstract = (
        f"{what} Scenario output, {cfg.start}-{cfg.end}: modelled, not observed "
        f"(the {cfg.start} start is observed where *_source says so). {start}"
    )
    licence = (
        "Derived data; the sources' licences apply: CC BY 3.0 IGO (UN DESA), CC BY-ND 4.0 "
        "(Stanford AI Index), MIT (Eloundou et al.), PDDL (World Bank), public domain (BLS)"
        if cfg.metros == "embedded"
        else "Derived from the user's metros: their licence applies"
    )
    keywords = (
        "AI",
        "labour markets",
        "metros",
        "scenario",
        "modelled",
        name.split("_", maxsplit=1)[0],
    )
    return LayerMetadata(title, abstract, _attribution(cfg), licence, keywords=keywords)


def _panel_summary(panel: pd.DataFrame, cfg: Job) -> pd.DataFrame:
    """Per preset and metro: start and end values and changes (an aspatial table)."""
    first = panel[panel["year"] == cfg.start].set_index(["preset", "metro_id"])
    last = panel[panel["year"] == cfg.end].set_index(["preset", "metro_id"])
    out = pd.DataFrame(index=first.index)
    for col in ("population", "jobs", "jobs_routine", "ai_jobs", "talent", "capital"):
        out[f"{col}_{cfg.start}"] = first[col]
        out[f"{col}_{cfg.end}"] = last[col]
    out["jobs_change"] = last["jobs"] / first["jobs"] - 1
    out["net_talent_total"] = panel.groupby(["preset", "metro_id"])["net_talent"].sum()
    out["max_fracture"] = panel.groupby(["preset", "metro_id"])["fracture"].max()
    return out.reset_index()
