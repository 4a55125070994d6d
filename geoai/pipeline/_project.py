"""The run's QGIS project: its layers, in order, with their styles."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from geoai.pipeline.job import Job

__all__ = ["write_project_file"]


def write_project_file(cfg: Job, rasters: dict[str, tuple[Path, Path]], folder: Path) -> Path:
    from geoai.io.project import ProjectLayer, write_project

    vectors = [  # points over lines over rasters
        ProjectLayer(name=f"{kind} {name}", source="geoai.gpkg", layer=f"{kind}_{name}")
        for kind in ("metros", "flows")
        for name in cfg.presets
    ]
    grids = [
        ProjectLayer(
            name=f"{label} {name}",
            source=path.name,
            kind="raster",
            qml=path.with_suffix(".qml").read_text(),
        )
        for name, (surf, areas) in rasters.items()
        for label, path in (("market areas", areas), ("potential", surf))
    ]
    return write_project(
        folder / "project.qgz",
        vectors + grids,
        crs=cfg.crs,
        title="geoai: AI and the geography of work (modelled scenarios)",
    )
