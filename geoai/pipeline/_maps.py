"""The run's static maps (PNG) of every preset and the comparison figure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoai.errors import GeoAIError

if TYPE_CHECKING:
    from pathlib import Path

    import geopandas as gpd
    from matplotlib.axes import Axes

    from geoai.pipeline.job import Job
    from geoai.scenario.simulation import Simulation

__all__ = ["write_maps"]


def write_maps(
    cfg: Job,
    sims: dict[str, Simulation],
    lines: dict[str, dict[str, gpd.GeoDataFrame]],
    rasters: dict[str, tuple[Path, Path]],
    folder: Path,
) -> list[Path]:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt
    import rioxarray  # noqa: F401  (registers .rio)
    import xarray as xr
    from matplotlib.figure import Figure

    from geoai import scenario, viz

    maps = folder / "maps"
    maps.mkdir()
    files: list[Path] = []

    def save(ax: Axes, name: str) -> None:
        fig = ax.figure
        if not isinstance(fig, Figure):  # every map of geoai.viz is drawn on a whole figure
            raise GeoAIError(f"the map {name} was not drawn on a whole figure; cannot save it.")
        path = maps / name
        fig.savefig(path, dpi=110)
        plt.close(fig)
        files.append(path)

    for name, sim in sims.items():
        save(
            viz.roles_map(sim.roles, title=f"Metro roles, {cfg.end}: {name} (modelled)"),
            f"roles_{name}.png",
        )
        if "talent" in lines[name]:
            save(
                viz.flows_map(
                    lines[name]["talent"],
                    points=sim.final,
                    title=f"Largest talent flows, {cfg.end}: {name} (modelled)",
                ),
                f"flows_{name}.png",
            )
        if name not in rasters:
            continue
        with xr.open_dataarray(rasters[name][0], engine="rasterio") as da:
            surf = da.squeeze("band", drop=True).load() if da.rio.crs.is_geographic else None
        if surf is not None:
            save(
                viz.potential_map(
                    surf,
                    points=sim.final,
                    title=f"AI-job potential, {cfg.end}: {name} (modelled)",
                    label=f"potential of {cfg.weight}",
                ),
                f"potential_{name}.png",
            )
    fig = scenario.compare_figure(sims)
    path = maps / "comparison.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    files.append(path)
    return files
