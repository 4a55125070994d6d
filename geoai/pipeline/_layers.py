"""The run's vector outputs: metro and flow layers of every preset, the panel, their styles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

if TYPE_CHECKING:
    from pathlib import Path

    from geoai.pipeline.job import Job
    from geoai.scenario.simulation import Simulation

__all__ = ["flow_lines", "write_vectors"]


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
    for col in layer.columns:
        if layer[col].dtype == object and col != "geometry":
            layer[col] = layer[col].astype(str).replace({"None": "", "nan": ""})
    layer["preset"] = sim.preset
    layer["modelled"] = (
        f"{sim.end} values modelled (assumptions); the {sim.start} start is observed where its "
        "*_source says so"
    )
    return layer


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


def write_vectors(
    cfg: Job,
    sims: dict[str, Simulation],
    lines: dict[str, dict[str, gpd.GeoDataFrame]],
    folder: Path,
) -> list[Path]:
    from geoai.io.gpkg import write_layers
    from geoai.io.qgis import categorized_points_style, flow_lines_style
    from geoai.viz import ROLE_COLOURS

    layers: dict[str, pd.DataFrame] = {}
    styles: dict[str, str] = {}
    panels = []
    for name, sim in sims.items():
        metro_layer = _metro_layer(sim)
        layers[f"metros_{name}"] = metro_layer
        pop = metro_layer["population"].to_numpy(float)
        styles[f"metros_{name}"] = categorized_points_style(
            "role",
            dict(ROLE_COLOURS),
            size_field="population",
            size_domain=(float(pop.min()), float(pop.max())),
        )
        if lines[name]:
            parts = [part.assign(kind=kind) for kind, part in lines[name].items()]
            both = pd.concat(parts, ignore_index=True)
            layers[f"flows_{name}"] = gpd.GeoDataFrame(both, geometry="geometry", crs=4326)
            styles[f"flows_{name}"] = flow_lines_style("flow", both["flow"].to_numpy(float))
        panel = sim.panel.copy()
        panel.insert(0, "preset", name)
        panels.append(panel)
    panel = pd.concat(panels, ignore_index=True)
    summary = _panel_summary(panel, cfg)
    layers["panel"] = summary
    about = _layer_descriptions(cfg, layers)
    path = write_layers(folder / "geoai.gpkg", layers, styles=styles, descriptions=about)
    parquet = folder / "panel.parquet"
    panel.to_parquet(parquet, index=False)
    return [path, parquet]


def _layer_descriptions(cfg: Job, layers: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Say what each GeoPackage layer holds and where its start values come from."""
    from geoai.datasets import ATTRIBUTION

    start = (
        "Start: UN World Urbanization Prospects 2018 agglomerations; jobs observed for US "
        "metros (start_jobs_source), modelled elsewhere."
        if cfg.metros == "embedded"
        else f"Start: the metros in {cfg.metros}."
    )
    text = f"Scenario output, {cfg.start}-{cfg.end}: modelled, not observed. {start} {ATTRIBUTION}."
    return {name: f"{name}: {text}" for name in layers}


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
