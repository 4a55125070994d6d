"""The run's QGIS project, organised as an analyst would, and its print layouts as PDF.

One group per scenario (only the first checked), each holding, top to bottom,
the metros (points), the metros by year (temporal, unchecked), the talent and
capital flows (arrows), the market areas (unique values named by metro,
unchecked) and the potential (log colour ramp); under them a basemap group
with the Natural Earth countries. Every layer carries its metadata. One
print layout per scenario (map, legend, scale bar, title, attribution) is
exported to ``maps/layout_<preset>.pdf`` when QGIS is installed
(:func:`write_layout_pdfs`); without QGIS the layouts stay in the project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from geoai.io.project import LayerMetadata, ProjectGroup, ProjectLayer
    from geoai.pipeline.job import Job

__all__ = [
    "BASEMAP",
    "layout_pdf_names",
    "market_areas_style",
    "potential_style",
    "scenario_group",
    "write_layout_pdfs",
    "write_project_file",
]

#: Name of the basemap group.
BASEMAP = "Basemap"
#: The potential ramp spans this many decades below the maximum at most.
_DECADES = 4.0


def scenario_group(preset: str) -> str:
    """Return the legend group of a preset: ``"Scenario: concentration"``."""
    return f"Scenario: {preset}"


def layout_pdf_names(cfg: Job) -> list[str]:
    """Return the PDF of every preset's print layout, relative to the output folder."""
    return [f"maps/layout_{p}.pdf" for p in cfg.presets]


def potential_style(tif: Path, unit: str = "") -> str:
    """Return a continuous log colour ramp for a potential COG, from its values; nodata clear.

    Parameters
    ----------
    tif : pathlib.Path
        The potential raster (band 1).
    unit : str, optional
        Unit printed in the legend.

    Returns
    -------
    str
        QML (:func:`geoai.io.qgis.log_raster_style`) from the 2nd percentile of
        the positive cells, floored at ``_DECADES`` decades below the maximum,
        up to the maximum.
    """
    import rasterio

    from geoai.io.qgis import log_raster_style

    with rasterio.open(tif) as ds:
        values = ds.read(1, masked=True).compressed().astype(np.float64)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return log_raster_style(1.0, 10.0, unit=unit)
    hi = float(values.max())
    lo = max(float(np.quantile(values, 0.02)), hi * 10.0**-_DECADES)
    return log_raster_style(min(lo, hi / 10.0), hi, unit=unit)


def market_areas_style(tif: Path) -> str:
    """Return a unique-values style for a market-areas COG: each value named by its metro.

    The names come from the band metadata ``value_<v>`` (``"<metro_id> | <name>"``,
    written by the run's raster writer); a value without one is labelled by itself.
    """
    import rasterio

    from geoai.io.qgis import paletted_raster_style

    with rasterio.open(tif) as ds:
        values = ds.read(1, masked=True).compressed()
        tags = ds.tags(1)
    present = sorted(int(x) for x in np.unique(values) if int(x) >= 0)
    labels = {}
    for value in present:
        text = tags.get(f"value_{value}", "")
        labels[value] = text.split(" | ", 1)[-1].strip() if text else f"metro #{value}"
    return paletted_raster_style(labels or {0: "none"})


def _layers_of(
    cfg: Job,
    gpkg: Path,
    preset: str,
    meta: Callable[[str], LayerMetadata],
    rasters: dict[str, tuple[Path, Path]],
) -> list[ProjectLayer]:
    """Return the layers of one scenario group, points › lines › rasters."""
    import pyogrio

    from geoai.io.project import ProjectLayer
    from geoai.pipeline._layers import FLOW_KINDS

    tables = {str(n) for n in pyogrio.list_layers(gpkg)[:, 0]}
    out = [
        ProjectLayer(
            f"Metros ({preset})",
            gpkg.name,
            layer=f"metros_{preset}",
            metadata=meta(f"metros_{preset}"),
        )
    ]
    if f"panel_{preset}" in tables:
        out.append(
            ProjectLayer(
                f"Metros by year ({preset})",
                gpkg.name,
                layer=f"panel_{preset}",
                metadata=meta(f"panel_{preset}"),
                visible=False,
                expanded=False,
            )
        )
    for kind, (title, _, _) in FLOW_KINDS.items():
        table = f"flows_{kind}_{preset}"
        if table in tables:
            out.append(
                ProjectLayer(f"{title} ({preset})", gpkg.name, layer=table, metadata=meta(table))
            )
    if preset in rasters:
        surf, areas = rasters[preset]
        out.append(
            ProjectLayer(
                f"Market areas ({preset})",
                areas.name,
                kind="raster",
                qml=market_areas_style(areas),
                visible=False,
                expanded=False,
                metadata=_raster_metadata(cfg, preset, "market areas"),
            )
        )
        out.append(
            ProjectLayer(
                f"Potential ({preset})",
                surf.name,
                kind="raster",
                qml=potential_style(surf, _weight_unit(cfg)),
                metadata=_raster_metadata(cfg, preset, "potential"),
            )
        )
    return out


def _weight_unit(cfg: Job) -> str:
    units = {
        "ai_jobs": "AI jobs",
        "talent": "people",
        "population": "people",
        "capital": "USD",
        "jobs": "jobs",
    }
    return f"{units.get(cfg.weight, cfg.weight)} (distance-weighted)"


def _raster_metadata(cfg: Job, preset: str, what: str) -> LayerMetadata:
    from geoai.io.project import LayerMetadata
    from geoai.pipeline._layers import layer_metadata

    base = layer_metadata(cfg, f"metros_{preset}")
    scale = "no scale" if cfg.scale_km is None else f"scale {cfg.scale_km:g} km"
    if what == "potential":
        title = f"Potential, {preset} scenario"
        held = (
            f"Accessibility potential of {cfg.weight} at each cell: the sum over metros of "
            f"their {cfg.weight} times a {cfg.decay} distance decay ({scale}); unit "
            f"{_weight_unit(cfg)}; continuous log colour ramp, nodata transparent."
        )
    else:
        title = f"Market areas, {preset} scenario"
        held = (
            f"Huff (1963) market areas: the metro whose {cfg.weight} times the {cfg.decay} "
            "distance decay is largest at each cell; each value is named by its metro."
        )
    abstract = f"{held} Final year {cfg.end}, modelled (scenario output), not observed."
    return LayerMetadata(
        title,
        abstract,
        base.attribution,
        base.licence,
        keywords=("AI", "potential", "raster", "modelled", preset),
    )


def _groups(cfg: Job, rasters: dict[str, tuple[Path, Path]], folder: Path) -> list[ProjectGroup]:
    from geoai.io.project import ProjectGroup, ProjectLayer
    from geoai.pipeline._layers import layer_metadata

    gpkg = folder / "geoai.gpkg"

    def meta(name: str) -> LayerMetadata:
        return layer_metadata(cfg, name)

    groups = [
        ProjectGroup(
            scenario_group(p),
            _layers_of(cfg, gpkg, p, meta, rasters),
            visible=k == 0,
            expanded=k == 0,
        )
        for k, p in enumerate(cfg.presets)
    ]
    countries = ProjectLayer("Countries", gpkg.name, layer="countries", metadata=meta("countries"))
    return [*groups, ProjectGroup(BASEMAP, [countries])]


def write_project_file(cfg: Job, rasters: dict[str, tuple[Path, Path]], folder: Path) -> Path:
    """Write ``project.qgz``: a group per scenario, the basemap, a print layout per scenario.

    Parameters
    ----------
    cfg : geoai.pipeline.job.Job
        The run's job.
    rasters : dict of str to (pathlib.Path, pathlib.Path)
        ``{preset: (potential, market areas)}`` COGs (may be empty).
    folder : pathlib.Path
        The staging folder holding ``geoai.gpkg`` and the COGs.

    Returns
    -------
    pathlib.Path
        The project.
    """
    from geoai.io.project import PrintLayout, write_project
    from geoai.pipeline._layers import layer_metadata

    attribution = layer_metadata(cfg, f"metros_{cfg.presets[0]}").attribution
    layouts = [
        PrintLayout(
            name=f"Scenario {p}",
            title=f"AI and the geography of work: the {p} scenario, {cfg.end}",
            layers=(scenario_group(p), BASEMAP),
            attribution=f"{attribution}. Basemap: made with Natural Earth. Modelled scenario "
            f"{cfg.start}-{cfg.end}, not observed; made with geoai.",
            subtitle=f"Metros by role, talent and capital flows, potential; modelled, "
            f"{cfg.start}-{cfg.end}",
        )
        for p in cfg.presets
    ]
    return write_project(
        folder / "project.qgz",
        _groups(cfg, rasters, folder),
        crs=cfg.crs,
        title="geoai: AI and the geography of work (modelled scenarios)",
        layouts=layouts,
        years=(cfg.start, cfg.end),
    )


def write_layout_pdfs(
    cfg: Job, folder: Path, note: Callable[[str], None] | None = None
) -> list[Path]:
    """Export each scenario's print layout to ``maps/layout_<preset>.pdf`` if QGIS is here.

    Parameters
    ----------
    cfg : geoai.pipeline.job.Job
        The run's job.
    folder : pathlib.Path
        The staging folder holding ``project.qgz``.
    note : callable, optional
        Told, in one line, when QGIS is missing and no PDF is written.

    Returns
    -------
    list of pathlib.Path
        The PDFs; empty when no Python with PyQGIS is found (``$GEOAI_QGIS_PYTHON``
        or ``/usr/bin/python3``): the run does not need QGIS.
    """
    from geoai.io.project import export_layouts, qgis_python

    python = qgis_python()
    if python is None:
        if note is not None:
            note(
                "QGIS (PyQGIS) not found: the print layouts are in project.qgz but no PDF "
                "was written; open the project and use Project → Layouts to print them."
            )
        return []
    (folder / "maps").mkdir(exist_ok=True)
    targets = {
        f"Scenario {p}": folder / rel
        for p, rel in zip(cfg.presets, layout_pdf_names(cfg), strict=True)
    }
    return export_layouts(folder / "project.qgz", targets, python=python)
