"""QGIS styles (QML) for geoai outputs.

A ``.qml`` file beside a layer, with the same base name, is the layer's style
in QGIS (*Layer Properties → Style → Load Style*, or ``loadNamedStyle`` in
PyQGIS). Each builder here returns the QML text of one renderer:

* :func:`raster_style`: single-band pseudocolor, the colour ramp anchored at
  class breaks taken from the data (:func:`class_breaks`);
* :func:`categorized_points_style`: a colour per category (e.g. metro roles,
  :data:`geoai.viz.ROLE_COLOURS`), circles optionally sized by a column
  (area proportional to the value);
* :func:`graduated_points_style`: circles coloured by classes of a column;
* :func:`flow_lines_style`: lines (or arrows) whose width grows with the flow;
* :func:`polygon_fill_style`: a flat fill, for the basemap;
* :func:`log_raster_style`: a continuous colour ramp on a logarithmic scale
  (values spanning orders of magnitude, such as potential), nodata transparent;
* :func:`paletted_raster_style`: one colour and label per value of a
  categorical raster (market areas: value → metro name).

:func:`write_qml` writes a sidecar file; :func:`geoai.io.write_layers` stores
vector styles inside a GeoPackage and :func:`geoai.io.write_project` inlines
them in a QGIS project. Symbol properties are written in both the ``<Option>``
form of QGIS >= 3.20 and the older ``<prop>`` form.

Examples
--------
>>> import numpy as np
>>> breaks = class_breaks(np.arange(100.0), classes=4, mode="equal")
>>> breaks.tolist()
[0.0, 24.75, 49.5, 74.25, 99.0]
>>> qml = raster_style(breaks, ramp="magma")
>>> 'type="singlebandpseudocolor"' in qml
True
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geoai import _validate as v
from geoai.errors import InputError
from geoai.io._atomic import atomic_path
from geoai.io._line_fill_styles import flow_lines_style, polygon_fill_style
from geoai.io._qml import (
    QGIS_VERSION,
    RAMPS,
    class_breaks,
    gradient_ramp,
    sample_ramp,
    to_qml,
)
from geoai.io._vector_styles import (
    _legend_number,
    categorized_points_style,
    graduated_points_style,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from geoai._typing import PathLike

__all__ = [
    "RAMPS",
    "categorized_points_style",
    "class_breaks",
    "flow_lines_style",
    "graduated_points_style",
    "log_raster_style",
    "paletted_raster_style",
    "polygon_fill_style",
    "raster_style",
    "write_qml",
]


#: QGIS enum values of QgsColorRampShader.
_RAMP_TYPES = {"interpolated": "INTERPOLATED", "discrete": "DISCRETE", "exact": "EXACT"}
_MODES = {"continuous": "1", "equal": "2", "quantile": "3"}


def _label(value: float, precision: int) -> str:
    return f"{value:.{precision}g}"


def raster_style(
    breaks: ArrayLike,
    *,
    band: int = 1,
    ramp: str = "viridis",
    interpolation: str = "interpolated",
    mode: str = "quantile",
    labels: list[str] | None = None,
    opacity: float = 1.0,
) -> str:
    """QML text of a single-band pseudocolor style.

    Parameters
    ----------
    breaks : array-like, shape (k,), k >= 2
        Increasing values at which the ramp's colours are anchored (see
        :func:`class_breaks`).
    band : int, default 1
        Raster band to render.
    ramp : str, default "viridis"
        A key of :data:`RAMPS`.
    interpolation : {"interpolated", "discrete", "exact"}
        QGIS colour-ramp shader type: smooth ramp, classes, or exact values
        (for categorical rasters such as Huff dominant centres).
    mode : {"quantile", "equal", "continuous"}
        How the breaks were made (recorded for QGIS's classify button).
    labels : list of str, optional
        Legend labels, one per break; default the values to 4 significant digits.
    opacity : float, default 1
        Layer opacity in [0, 1].

    Returns
    -------
    str
        The QML document.

    Examples
    --------
    A categorical raster (three codes), one colour and label per value:

    >>> import xml.etree.ElementTree as ET
    >>> qml = raster_style([0, 1, 2], interpolation="exact", labels=["none", "A", "B"])
    >>> items = ET.fromstring(qml).iter("item")
    >>> [(item.get("value"), item.get("label")) for item in items]
    [('0.0', 'none'), ('1.0', 'A'), ('2.0', 'B')]
    """
    v.check_choice(ramp, RAMPS, "ramp")
    v.check_choice(interpolation, _RAMP_TYPES, "interpolation")
    v.check_choice(mode, _MODES, "mode")
    b = np.asarray(breaks, dtype=np.float64).ravel()
    if b.size < 2 or not np.isfinite(b).all() or np.any(np.diff(b) <= 0):
        raise InputError(f"breaks must be >= 2 finite, increasing values; got {b.tolist()}.")
    if labels is not None and len(labels) != b.size:
        raise InputError(f"labels has {len(labels)} entries but there are {b.size} breaks.")
    if not 0.0 <= float(opacity) <= 1.0:
        raise InputError(f"opacity must be in [0, 1]; got {opacity!r}.")
    colours = sample_ramp(RAMPS[ramp], b.size)
    precision = 4
    lo, hi = repr(float(b[0])), repr(float(b[-1]))

    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories")
    pipe = ET.SubElement(root, "pipe")
    renderer = ET.SubElement(
        pipe,
        "rasterrenderer",
        type="singlebandpseudocolor",
        band=str(band),
        opacity=repr(float(opacity)),
        alphaBand="-1",
        nodataColor="",
        classificationMin=lo,
        classificationMax=hi,
    )
    ET.SubElement(renderer, "rasterTransparency")
    mm = ET.SubElement(renderer, "minMaxOrigin")
    for tag, text in (("limits", "None"), ("extent", "WholeRaster"),
                      ("statAccuracy", "Estimated"), ("cumulativeCutLower", "0.02"),
                      ("cumulativeCutUpper", "0.98"), ("stdDevFactor", "2")):  # fmt: skip
        ET.SubElement(mm, tag).text = text
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader",
                           colorRampType=_RAMP_TYPES[interpolation],
                           classificationMode=_MODES[mode], clip="0", minimumValue=lo,
                           maximumValue=hi, labelPrecision=str(precision))  # fmt: skip
    gradient_ramp(shader, colours)
    for k, (at, (r, g, bl)) in enumerate(zip(b, colours, strict=True)):
        label = labels[k] if labels is not None else _label(float(at), precision)
        ET.SubElement(shader, "item", alpha="255", value=repr(float(at)), label=label,
                      color=f"#{r:02x}{g:02x}{bl:02x}")  # fmt: skip
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(pipe, "huesaturation", saturation="0", colorizeOn="0", grayscaleMode="0",
                  invertColors="0")  # fmt: skip
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    return to_qml(root)


def _pipe(renderer_type: str, band: int, opacity: float) -> tuple[ET.Element, ET.Element]:
    """``<qgis><pipe><rasterrenderer>`` of a raster style (nodata drawn transparent)."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories")
    pipe = ET.SubElement(root, "pipe")
    renderer = ET.SubElement(pipe, "rasterrenderer", type=renderer_type, band=str(band),
                             opacity=repr(float(opacity)), alphaBand="-1",
                             nodataColor="")  # fmt: skip
    ET.SubElement(renderer, "rasterTransparency")
    return root, renderer


def _close_pipe(root: ET.Element) -> str:
    pipe = root.find("pipe")
    assert pipe is not None  # noqa: S101 - built by _pipe
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(pipe, "huesaturation", saturation="0", colorizeOn="0", grayscaleMode="0",
                  invertColors="0")  # fmt: skip
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    return to_qml(root)


def log_raster_style(
    vmin: float,
    vmax: float,
    *,
    unit: str = "",
    band: int = 1,
    ramp: str = "ylorrd",
    stops: int = 11,
    opacity: float = 1.0,
) -> str:
    """QML text of a continuous pseudocolor ramp on a logarithmic scale; nodata transparent.

    The ramp's stops sit at ``stops`` values spaced evenly in log10 between
    ``vmin`` and ``vmax`` and QGIS interpolates between them, so each decade
    gets the same share of the colours: Europe's and Asia's cores no longer
    share one flat top class. Cells below ``vmin`` (and nodata) are
    transparent, so the basemap shows through where the potential is negligible.

    Parameters
    ----------
    vmin, vmax : float
        Positive values at the two ends of the ramp, ``vmin < vmax`` (e.g.
        the 2nd percentile and the maximum of the positive cells).
    unit : str, optional
        Unit printed after the legend's numbers.
    band : int, default 1
        Raster band to render.
    ramp : str, default "ylorrd"
        A key of :data:`RAMPS` (light low end, so faint cells read as faint).
    stops : int, default 11
        Number of colour stops (>= 2).
    opacity : float, default 1
        Layer opacity in [0, 1].

    Returns
    -------
    str
        The QML document (``singlebandpseudocolor``, interpolated shader,
        continuous legend).

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> qml = log_raster_style(10.0, 1e6, stops=6, unit="people")
    >>> [float(i.get("value")) for i in ET.fromstring(qml).iter("item")]
    [10.0, 100.0, 1000.0, 10000.0, 100000.0, 1000000.0]
    """
    v.check_choice(ramp, RAMPS, "ramp")
    lo, hi = float(vmin), float(vmax)
    if not (np.isfinite([lo, hi]).all() and 0 < lo < hi):
        raise InputError(f"log_raster_style needs 0 < vmin < vmax; got {vmin!r}, {vmax!r}.")
    if not isinstance(stops, int) or stops < 2:
        raise InputError(f"stops must be an int >= 2; got {stops!r}.")
    if not 0.0 <= float(opacity) <= 1.0:
        raise InputError(f"opacity must be in [0, 1]; got {opacity!r}.")
    values = np.logspace(np.log10(lo), np.log10(hi), stops)
    values[0], values[-1] = lo, hi
    colours = sample_ramp(RAMPS[ramp], stops)
    root, renderer = _pipe("singlebandpseudocolor", band, opacity)
    renderer.set("classificationMin", repr(lo))
    renderer.set("classificationMax", repr(hi))
    mm = ET.SubElement(renderer, "minMaxOrigin")
    for tag, text in (("limits", "None"), ("extent", "WholeRaster"),
                      ("statAccuracy", "Estimated"), ("cumulativeCutLower", "0.02"),
                      ("cumulativeCutUpper", "0.98"), ("stdDevFactor", "2")):  # fmt: skip
        ET.SubElement(mm, tag).text = text
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader",
                           colorRampType="INTERPOLATED", classificationMode="1", clip="1",
                           minimumValue=repr(lo), maximumValue=repr(hi),
                           labelPrecision="3")  # fmt: skip
    gradient_ramp(shader, colours)
    suffix = f" {unit}" if unit else ""
    for at, (r, g, bl) in zip(values, colours, strict=True):
        ET.SubElement(shader, "item", alpha="255", value=repr(float(at)),
                      label=f"{_legend_number(float(at))}{suffix}",
                      color=f"#{r:02x}{g:02x}{bl:02x}")  # fmt: skip
    ET.SubElement(shader, "rampLegendSettings", minimumLabel=_legend_number(lo) + suffix,
                  maximumLabel=_legend_number(hi) + suffix, prefix="", suffix="",
                  direction="0", useContinuousLegend="1", orientation="2")  # fmt: skip
    return _close_pipe(root)


#: Qualitative colours for categories (ColorBrewer Set3 and Paired, 12 + 12), cycled.
QUALITATIVE = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69",
               "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f", "#a6cee3", "#1f78b4",
               "#b2df8a", "#33a02c", "#fb9a99", "#e31a1c", "#fdbf6f", "#ff7f00", "#cab2d6",
               "#6a3d9a", "#ffff99", "#b15928")  # fmt: skip


def paletted_raster_style(
    labels: Mapping[int, str],
    *,
    colours: Mapping[int, str] | None = None,
    band: int = 1,
    opacity: float = 1.0,
) -> str:
    """QML text of a paletted (unique values) raster style: a colour and a label per value.

    Parameters
    ----------
    labels : mapping of int to str
        Cell value → legend label, e.g. the market-area code → the name of
        the dominant metro. Values not listed (and nodata) are transparent.
    colours : mapping of int to str, optional
        Cell value → ``#rrggbb``; default :data:`QUALITATIVE`, cycled in
        the order of ``labels``.
    band : int, default 1
        Raster band to render.
    opacity : float, default 1
        Layer opacity in [0, 1].

    Returns
    -------
    str
        The QML document (renderer ``paletted``).

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> qml = paletted_raster_style({0: "Paris", 3: "London"})
    >>> [(e.get("value"), e.get("label")) for e in ET.fromstring(qml).iter("paletteEntry")]
    [('0', 'Paris'), ('3', 'London')]
    """
    if not isinstance(labels, Mapping) or not labels:
        raise InputError("labels must be a non-empty mapping value -> label, e.g. {0: 'Paris'}.")
    if not 0.0 <= float(opacity) <= 1.0:
        raise InputError(f"opacity must be in [0, 1]; got {opacity!r}.")
    chosen = dict(colours or {})
    root, renderer = _pipe("paletted", band, opacity)
    mm = ET.SubElement(renderer, "minMaxOrigin")
    for tag, text in (("limits", "None"), ("extent", "WholeRaster"),
                      ("statAccuracy", "Estimated"), ("cumulativeCutLower", "0.02"),
                      ("cumulativeCutUpper", "0.98"), ("stdDevFactor", "2")):  # fmt: skip
        ET.SubElement(mm, tag).text = text
    palette = ET.SubElement(renderer, "colorPalette")
    for k, (value, label) in enumerate(labels.items()):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise InputError(f"labels keys must be integer cell values; got {value!r}.")
        colour = chosen.get(int(value), QUALITATIVE[k % len(QUALITATIVE)])
        if not isinstance(colour, str) or len(colour) != 7 or not colour.startswith("#"):
            raise InputError(f"colours[{value}] must be '#rrggbb'; got {colour!r}.")
        ET.SubElement(palette, "paletteEntry", value=str(int(value)), color=colour.lower(),
                      alpha="255", label=str(label))  # fmt: skip
    return _close_pipe(root)


# --- reading and writing QML --------------------------------------------------------------


def write_qml(qml: str, path: PathLike, *, overwrite: bool = False) -> Path:
    """Write QML text atomically (UTF-8); refuses to replace a file without ``overwrite``.

    Parameters
    ----------
    qml : str
        The style document, e.g. from :func:`raster_style`.
    path : path-like
        Target ``.qml`` file, usually the layer's path with the suffix ``.qml``.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "potential.qml"
    >>> out = write_qml(raster_style([0.0, 1.0]), target)
    >>> out.read_text(encoding="utf-8").startswith("<!DOCTYPE qgis")
    True
    >>> try:
    ...     write_qml(raster_style([0.0, 1.0]), target)
    ... except ValueError as exc:  # InputError: the file exists and overwrite is False
    ...     print("pass overwrite=True" in str(exc))
    True
    """
    p = Path(path)
    if p.suffix.lower() != ".qml":
        raise InputError(f"a QGIS style file must end in .qml; got {p.name!r}.")
    with atomic_path(p, overwrite=overwrite) as tmp:
        tmp.write_text(qml, encoding="utf-8")
    return p
