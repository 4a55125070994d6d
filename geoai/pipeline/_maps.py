"""The run's maps of every preset and the comparison figure: 300 dpi PNG, SVG and PDF on request.

PNG by default; ``[outputs] map_formats = ["png", "svg", "pdf"]`` adds the
vector formats for print (each format is a full draw of the figure, so
three formats take about three times as long).

Per preset: the metro roles, the largest talent flows (people) and capital
flows (USD) as tapered great-circle lines, and the potential surface (in the
unit of the job's weight). Every map is drawn by :mod:`geoai.viz` (Natural
Earth countries beneath, Equal Earth for world data or a fitted regional
CRS) and credits the sources the run's data used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from geoai.pipeline.job import MAP_FORMATS

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes

    from geoai.pipeline.job import Job
    from geoai.scenario.simulation import Simulation

__all__ = ["FLOW_KINDS", "draw_roles", "map_names", "run_sources", "write_maps"]

#: Unit and colour of each kind of flow.
FLOW_KINDS = {"talent": ("people", "#b2182b"), "capital": ("USD", "#1b7837")}
#: Unit of the potential of each weight (a sum of masses times a unitless decay).
_WEIGHT_UNITS = {
    "ai_jobs": "AI jobs",
    "talent": "people",
    "population": "people",
    "capital": "USD",
    "jobs": "jobs",
}
#: The formats a map can be written in (the job's ``[outputs] map_formats``; PNG by default).
FORMATS = MAP_FORMATS


def map_names(
    presets: tuple[str, ...] | list[str], formats: tuple[str, ...] | list[str] = FORMATS
) -> set[str]:
    """Every file a run's maps may write, relative to the run folder (for ``_planned``).

    Parameters
    ----------
    presets : sequence of str
        The job's presets.
    formats : sequence of str, default all of :data:`FORMATS`
        The job's ``map_formats``.

    Returns
    -------
    set of str
        ``maps/<map>_<preset>.<format>`` and ``maps/comparison.<format>``.
    """
    stems = {"comparison"}
    for p in presets:
        stems |= {f"roles_{p}", f"potential_{p}"} | {f"flows_{k}_{p}" for k in FLOW_KINDS}
    return {f"maps/{s}.{x}" for s in stems for x in formats}


def run_sources(cfg: Job) -> list[str]:
    """List the sources a run's data used, for the credit line (:func:`geoai.viz.credit_line`).

    The embedded metros credit every source of :data:`geoai.datasets.ATTRIBUTION`;
    the user's own metros are credited by file name, with the World Bank (GDP
    per capita of modelled jobs), the AI Index and the External Wealth of
    Nations (the scenario's start) that every run uses.
    """
    from geoai.datasets import ATTRIBUTION
    from geoai.viz import sources_in

    if cfg.metros == "embedded":
        return list(sources_in(ATTRIBUTION))
    return [f"Metros: {Path(cfg.metros).name}", "worldbank", "hai", "ewn"]


def _title(cfg: Job, name: str) -> str:
    return f"{cfg.end}, {name} scenario (modelled)"


def draw_roles(cfg: Job, name: str, sim: Simulation) -> Axes:
    """Draw the roles map of one preset, as the run writes it (``maps/roles_<preset>.*``).

    Parameters
    ----------
    cfg : Job
        The job.
    name : str
        The preset.
    sim : Simulation
        Its simulation.

    Returns
    -------
    matplotlib.axes.Axes
        The map (docs/build_images.py draws the README's image with it).
    """
    from geoai import viz

    return viz.roles_map(
        sim.roles, title=f"Metro roles, {_title(cfg, name)}", sources=run_sources(cfg)
    )


def write_maps(
    cfg: Job,
    sims: dict[str, Simulation],
    lines: dict[str, dict[str, gpd.GeoDataFrame]],
    rasters: dict[str, tuple[Path, Path]],
    folder: Path,
) -> list[Path]:
    """Draw and write the maps of every preset and the comparison figure under ``folder/maps``.

    Parameters
    ----------
    cfg : Job
        The job.
    sims : dict of str to Simulation
        The simulations, by preset.
    lines : dict of str to dict of str to geopandas.GeoDataFrame
        The largest flows of every preset, by kind (``talent``, ``capital``).
    rasters : dict of str to (Path, Path)
        Potential and market-area rasters of every preset (may be empty).
    folder : Path
        The run's staging folder.

    Returns
    -------
    list of Path
        The files written (each map in the job's ``map_formats``).
    """
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt
    import rioxarray  # noqa: F401 - registers the .rio accessor
    import xarray as xr
    from matplotlib.figure import Figure

    from geoai import scenario, viz
    from geoai.viz._backdrop import forget
    from geoai.viz._export import MapWriter

    maps = folder / "maps"
    maps.mkdir(exist_ok=True)  # the QGIS layouts may have made it first
    files: list[Path] = []
    sources = run_sources(cfg)

    def save(fig: Axes | Figure, stem: str) -> None:
        files.extend(writer.save(fig, maps / stem, formats=cfg.map_formats))
        plt.close(fig if isinstance(fig, Figure) else fig.get_figure(root=True))

    with MapWriter() as writer:  # PNGs deflate and write while the next map draws
        unit = _WEIGHT_UNITS.get(cfg.weight, cfg.weight)
        for name, sim in sims.items():
            title = _title(cfg, name)
            save(draw_roles(cfg, name, sim), f"roles_{name}")
            for kind, (flow_unit, colour) in FLOW_KINDS.items():
                if kind not in lines[name]:
                    continue
                ax = viz.flows_map(
                    lines[name][kind],
                    unit=flow_unit,
                    kind=f"{kind} flow",
                    points=sim.final,
                    title=f"Largest {kind} flows, {title}",
                    colour=colour,
                    sources=sources,
                )
                save(ax, f"flows_{kind}_{name}")
            if name not in rasters:
                continue
            with xr.open_dataarray(rasters[name][0], engine="rasterio") as da:
                surf = da.squeeze("band", drop=True).load()
            ax = viz.potential_map(
                surf,
                unit=f"{unit}, distance-weighted",
                points=sim.final,
                title=f"Potential of {unit}, {title}",
                label=f"potential of {unit}",
                sources=sources,
            )
            save(ax, f"potential_{name}")
        save(scenario.compare_figure(sims), "comparison")
    forget()  # the maps' kept backdrops (an RGBA copy of each map's box) are not needed now
    return files
