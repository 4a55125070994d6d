"""The run's rasters: potential and market areas of every preset, as self-describing COGs.

Each COG says what it holds inside the file (band description, unit type,
band metadata ``meaning``, ``kind`` and ``source``; dataset metadata with the
attribution in ``TIFFTAG_COPYRIGHT``), so ``gdalinfo``, QGIS and the run's
data dictionary (:mod:`geoai.io._dictionary`) read the same words. Potential
is Float32 with NaN as nodata; market areas are Int32 (-1 nodata) whose value
is the position of the dominant metro in the simulation's final metros (the
order :func:`geoai.potential.dominance` saw), and each value's metro id and
name travel in the band metadata (``value_<v>``: ``"<metro_id> | <name>"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pandas as pd

    from geoai.pipeline.job import Job
    from geoai.scenario.simulation import Simulation

__all__ = ["WEIGHT_UNITS", "market_area_categories", "raster_attribution", "write_rasters"]

#: The unit of each potential weight (a metro column), as a reader says it.
WEIGHT_UNITS = {
    "ai_jobs": "AI-leveraged jobs",
    "talent": "people (AI talent)",
    "population": "people",
    "capital": "USD",
    "jobs": "jobs",
}


def raster_attribution(cfg: Job) -> str:
    """Return the attribution of a run's data (the job's own metros credited as such)."""
    from geoai.datasets import ATTRIBUTION

    if cfg.metros == "embedded":
        return ATTRIBUTION
    return f"Metros: {cfg.metros} (the user's data); countries: World Bank (PDDL)"


def market_area_categories(final: pd.DataFrame) -> dict[int, dict[str, str]]:
    """Map each market-area value (a metro's position in ``final``) to its id and name.

    Parameters
    ----------
    final : pandas.DataFrame
        The metros passed to :func:`geoai.potential.dominance`, in that order.

    Returns
    -------
    dict of int to dict
        ``{position: {"metro_id": ..., "name": ...}}`` (name = id when there is no name).
    """
    ids = final["metro_id"] if "metro_id" in final.columns else final.index.to_series()
    names = final["name"] if "name" in final.columns else ids
    return {
        pos: {"metro_id": str(i), "name": str(n)}
        for pos, (i, n) in enumerate(zip(ids.tolist(), names.tolist(), strict=True))
    }


def _describe(cfg: Job, name: str, sim: Simulation) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return write_raster's keyword arguments for the potential and market areas of a preset."""
    weight = WEIGHT_UNITS.get(cfg.weight, cfg.weight)
    scale = "none" if cfg.scale_km is None else f"{cfg.scale_km:g} km"
    decay = f"{cfg.decay} distance decay (scale {scale})"
    common = {
        "TIFFTAG_COPYRIGHT": raster_attribution(cfg),
        "TIFFTAG_SOFTWARE": "geoai",
        "preset": name,
        "year": str(sim.end),
        "kind": "modelled",
    }
    potential = {
        "dtype": "float32",
        "nodata": float("nan"),
        "description": f"Accessibility potential of {weight}, {name} {sim.end}",
        "unit": f"{weight}, distance-weighted",
        "band_metadata": {
            "meaning": f"sum over metros of their {cfg.weight} times the {decay}: how much "
            "of it is within reach of each cell (Hansen 1959)",
            "kind": "modelled",
            "source": f"geoai scenario {name}, final year {sim.end}; geoai.potential.surface",
        },
        "metadata": {
            **common,
            "TIFFTAG_IMAGEDESCRIPTION": f"Potential of {weight}, scenario {name}, {sim.end}",
        },
    }
    areas = {
        "description": f"Market area: dominant metro (Huff 1963), {name} {sim.end}",
        "unit": "metro",
        "categories": market_area_categories(sim.final),
        "band_metadata": {
            "meaning": f"the metro with the largest {cfg.weight} times the {decay} at each "
            "cell: its Huff (1963) market area; value_<v> gives the metro id and name",
            "kind": "modelled",
            "source": f"geoai scenario {name}, final year {sim.end}; geoai.potential.dominance",
        },
        "metadata": {
            **common,
            "TIFFTAG_IMAGEDESCRIPTION": f"Huff market areas, scenario {name}, {sim.end}",
        },
    }
    return potential, areas


def write_rasters(
    cfg: Job, sims: dict[str, Simulation], folder: Path, step: Callable[[str], None]
) -> dict[str, tuple[Path, Path]]:
    """Write the potential and market-area rasters of every preset (on the active scheduler).

    Parameters
    ----------
    cfg : geoai.pipeline.job.Job
        The run's job (grid, weight, decay; ``rasters`` false writes nothing).
    sims : dict of str to Simulation
        ``{preset: Simulation}``; the final year of each is mapped.
    folder : pathlib.Path
        The staging folder.
    step : callable
        Called with a progress message before each preset.

    Returns
    -------
    dict of str to (pathlib.Path, pathlib.Path)
        ``{preset: (potential_<preset>.tif, market_areas_<preset>.tif)}``; each
        with its ``.qml`` beside it.
    """
    from geoai.grid import Grid
    from geoai.io import write_raster
    from geoai.io._writes import Writes
    from geoai.potential import surface_and_dominance

    if not cfg.rasters:
        return {}
    grid = Grid.from_bounds(cfg.bounds, cfg.resolution, crs=cfg.crs)
    out: dict[str, tuple[Path, Path]] = {}
    # GDAL writes (and deflates) each preset's COGs on a thread while the next preset's
    # surfaces are computed; every write is waited for before this returns or raises
    with Writes(name="geoai-rasters") as writes:
        for name, sim in sims.items():
            step(f"potential {name}")
            final = sim.final
            kw: dict[str, Any] = {"decay": cfg.decay, "scale_km": cfg.scale_km, "beta": cfg.beta}
            surf, areas = surface_and_dominance(final, cfg.weight, grid, method=cfg.method, **kw)
            surf.attrs["assumption"] = "modelled: scenario output, not observed"
            about_potential, about_areas = _describe(cfg, name, sim)
            p1, p2 = folder / f"potential_{name}.tif", folder / f"market_areas_{name}.tif"
            writes.submit(write_raster, surf, p1, **about_potential)
            writes.submit(write_raster, areas["dominant"], p2, **about_areas)
            out[name] = (p1, p2)
    return out
