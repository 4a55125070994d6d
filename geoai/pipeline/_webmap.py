"""The run's interactive map: ``map.html``, one offline file with every preset (geoai.io.webmap)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd

    from geoai.io.webmap import WebmapScenario
    from geoai.pipeline.job import Job
    from geoai.scenario.simulation import Simulation

__all__ = ["FLOW_KINDS", "WEBMAP_NAME", "write_webmap_file"]

#: File name of the interactive map in the output folder.
WEBMAP_NAME = "map.html"
#: Label, unit and colour of each kind of flow (colours apart from every role colour).
FLOW_KINDS = {
    "talent": ("Talent flows", "people", "#1b7837"),
    "capital": ("Capital flows", "USD", "#bf812d"),
}


def write_webmap_file(
    cfg: Job,
    sims: dict[str, Simulation],
    lines: dict[str, dict[str, gpd.GeoDataFrame]],
    folder: Path,
) -> Path:
    """Write ``folder/map.html``: the metros by role and the largest flows of every preset.

    Parameters
    ----------
    cfg : Job
        The run's job (years, metros source, number of flows).
    sims : dict of str to Simulation
        The simulation of every preset, in the job's order (the switch's order).
    lines : dict of str to dict of str to geopandas.GeoDataFrame
        Per preset and kind (``talent``, ``capital``), the flow lines of
        :func:`geoai.pipeline._layers.flow_lines` (origin and destination ids).
    folder : pathlib.Path
        The output folder (the run's staging folder).

    Returns
    -------
    pathlib.Path
        ``folder / "map.html"``.
    """
    from geoai.io.webmap import FlowKind, Webmap, write_webmap
    from geoai.scenario._format import fmt_number
    from geoai.viz import ATTRIBUTION, ROLE_COLOURS

    kinds = {key: FlowKind(*spec) for key, spec in FLOW_KINDS.items()}
    scenarios = {name: _scenario(sim, lines.get(name, {})) for name, sim in sims.items()}
    if cfg.metros == "embedded":
        credit = ATTRIBUTION
    else:
        from geoai.pipeline._places import attribution

        credit = attribution(Path(cfg.metros).name, located=cfg.country is None)
    page = Webmap(
        title=f"AI economy scenarios, {cfg.end}: metro roles and flows",
        subtitle=(
            f"Modelled from {cfg.start} to {cfg.end}, not observed. Circles: metros by role "
            f"(click one for its figures and why); lines: the {cfg.top_flows} largest talent "
            "and capital flows of the scenario, arrowhead at the destination."
        ),
        scenarios=scenarios,
        role_colours=dict(ROLE_COLOURS),
        role_labels={"detroit_path": "Detroit path"},
        attribution=credit,
        flow_kinds=kinds,
        number=fmt_number,
    )
    return write_webmap(folder / WEBMAP_NAME, page)


def _scenario(sim: Simulation, lines: dict[str, gpd.GeoDataFrame]) -> WebmapScenario:
    """One preset's metros (final year) and flows with origin and destination names."""
    import geopandas as gpd
    import pandas as pd

    from geoai.io.webmap import WebmapScenario

    roles = sim.roles
    ids = roles["metro_id"] if "metro_id" in roles.columns else roles.index.to_series()
    names = dict(zip(ids.astype(str), roles["name"].astype(str), strict=True))
    keep = [c for c in ("name", "role", "reasons", "population", "jobs") if c in roles.columns]
    metros = gpd.GeoDataFrame(
        roles[keep].reset_index(drop=True), geometry=roles.geometry.to_numpy(), crs=roles.crs
    )
    metros["role"] = metros["role"].astype(str)
    flows = {}
    for kind, table in lines.items():
        if kind not in FLOW_KINDS:
            continue
        columns: dict[str, object] = {}
        for end in ("origin", "destination"):
            if f"{end}_name" in table.columns:
                label = table[f"{end}_name"].astype(str)
            else:
                label = table[end].astype(str).map(names).fillna(table[end].astype(str))
            # plain str objects (not Arrow strings): the page reads them row by row
            columns[end] = pd.Series(label.to_numpy(dtype=object), index=table.index, dtype=object)
        if "flow" in table.columns:
            columns["flow"] = table["flow"].to_numpy()
        # what the page shows of a flow (its line, its ends, its size), nothing more to copy
        flows[kind] = gpd.GeoDataFrame(
            columns, geometry=table.geometry.to_numpy(), crs=table.crs, index=table.index
        )
    return WebmapScenario(metros=metros, flows=flows)
