"""The run's rasters: potential and market areas of every preset, as styled COGs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from geoai.pipeline.job import Job
    from geoai.scenario.simulation import Simulation

__all__ = ["write_rasters"]


def write_rasters(
    cfg: Job, sims: dict[str, Simulation], folder: Path, step: Callable[[str], None]
) -> dict[str, tuple[Path, Path]]:
    """Write the potential and market-area rasters of every preset (on the active scheduler)."""
    from geoai import potential
    from geoai.grid import Grid
    from geoai.io import write_raster

    if not cfg.rasters:
        return {}
    grid = Grid.from_bounds(cfg.bounds, cfg.resolution, crs=cfg.crs)
    out: dict[str, tuple[Path, Path]] = {}
    for name, sim in sims.items():
        step(f"potential {name}")
        final = sim.final
        kw: dict[str, Any] = {"decay": cfg.decay, "scale_km": cfg.scale_km, "beta": cfg.beta}
        surf = potential.surface(final, cfg.weight, grid, method=cfg.method, **kw)
        areas = potential.dominance(final, cfg.weight, grid, **kw)
        surf.attrs["assumption"] = "modelled: scenario output, not observed"
        p1, p2 = folder / f"potential_{name}.tif", folder / f"market_areas_{name}.tif"
        write_raster(surf, p1)
        write_raster(areas["dominant"], p2)
        out[name] = (p1, p2)
    return out
