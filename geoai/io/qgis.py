"""QGIS styles (QML) for geoai outputs.

A ``.qml`` file beside a layer, with the same base name, is the layer's style
in QGIS (*Layer Properties → Style → Load Style*, or ``loadNamedStyle`` in
PyQGIS). This module writes raster styles: a single-band pseudocolor renderer
whose colour ramp is anchored at class breaks taken from the data. It is the
place for vector styles and QGIS projects as well (one builder per renderer
returning the QML text, plus :func:`write_qml`).

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

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from geoai import _validate as v
from geoai.errors import InputError
from geoai.io._atomic import atomic_path

__all__ = ["RAMPS", "class_breaks", "raster_style", "write_qml"]

#: Sequential colour ramps, as evenly spaced stops (perceptually uniform
#: viridis/magma/cividis of matplotlib, and ColorBrewer YlOrRd).
RAMPS: dict[str, tuple[str, ...]] = {
    "viridis": ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
                "#6ece58", "#b5de2b", "#fde725"),
    "magma": ("#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f", "#cd4071", "#f1605d",
              "#fd9668", "#feca8d", "#fcfdbf"),
    "cividis": ("#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8779", "#a69d75",
                "#c4b56c", "#e4cf5b", "#fee838"),
    "ylorrd": ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c",
               "#bd0026", "#800026"),
}  # fmt: skip

#: QGIS enum values of QgsColorRampShader.
_RAMP_TYPES = {"interpolated": "INTERPOLATED", "discrete": "DISCRETE", "exact": "EXACT"}
_MODES = {"continuous": "1", "equal": "2", "quantile": "3"}
_QGIS_VERSION = "3.22.0"


def class_breaks(values: Any, *, classes: int = 7, mode: str = "quantile") -> np.ndarray:
    """Class breaks of the finite values, for a colour ramp.

    Parameters
    ----------
    values : array-like
        Data values (any shape; NaN and infinities are ignored), e.g. a sample
        of a raster.
    classes : int, default 7
        Number of classes; there are at most ``classes + 1`` breaks.
    mode : {"quantile", "equal"}
        Quantile breaks (each class holds about the same number of values;
        suits skewed data such as potential surfaces) or equal intervals.

    Returns
    -------
    numpy.ndarray
        Strictly increasing breaks from the minimum to the maximum (duplicated
        quantiles are merged); two breaks when all values are equal.
    """
    v.check_choice(mode, ("quantile", "equal"), "mode")
    if not isinstance(classes, int | np.integer) or classes < 1:
        raise InputError(f"classes must be a positive integer; got {classes!r}.")
    arr = np.asarray(values, dtype=np.float64).ravel()
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        raise InputError("no finite values to classify; the raster is all nodata.")
    lo, hi = float(arr.min()), float(arr.max())
    if lo == hi:
        return np.array([lo, lo + max(abs(lo), 1.0) * 1e-6])
    if mode == "equal":
        return np.linspace(lo, hi, classes + 1)
    qs = np.quantile(arr, np.linspace(0.0, 1.0, classes + 1))
    qs[0], qs[-1] = lo, hi
    return np.unique(qs)


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _sample_ramp(stops: tuple[str, ...], n: int) -> list[tuple[int, int, int]]:
    """``n`` colours evenly spaced along a ramp, linearly interpolated in RGB."""
    rgb = np.array([_hex_to_rgb(s) for s in stops], dtype=np.float64)
    at = np.linspace(0.0, 1.0, rgb.shape[0])
    pos = np.linspace(0.0, 1.0, n) if n > 1 else np.array([0.0])
    out = np.stack([np.interp(pos, at, rgb[:, k]) for k in range(3)], axis=1)
    return [(round(row[0]), round(row[1]), round(row[2])) for row in out]


def _label(value: float, precision: int) -> str:
    return f"{value:.{precision}g}"


def raster_style(
    breaks: Any,
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
    colours = _sample_ramp(RAMPS[ramp], b.size)
    precision = 4
    lo, hi = repr(float(b[0])), repr(float(b[-1]))

    root = ET.Element("qgis", version=_QGIS_VERSION, styleCategories="AllStyleCategories")
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
    cramp = ET.SubElement(shader, "colorramp", type="gradient", name="[source]")
    opts = ET.SubElement(cramp, "Option", type="Map")
    first, last = colours[0], colours[-1]
    inner = [
        f"{(k / (len(colours) - 1)):.6g};{r},{g},{bl},255"
        for k, (r, g, bl) in enumerate(colours[1:-1], start=1)
    ]
    for name, value in (("color1", "{},{},{},255".format(*first)),
                        ("color2", "{},{},{},255".format(*last)),
                        ("discrete", "0"), ("rampType", "gradient"),
                        ("stops", ":".join(inner))):  # fmt: skip
        ET.SubElement(opts, "Option", type="QString", name=name, value=value)
    for k, (at, (r, g, bl)) in enumerate(zip(b, colours, strict=True)):
        label = labels[k] if labels is not None else _label(float(at), precision)
        ET.SubElement(shader, "item", alpha="255", value=repr(float(at)), label=label,
                      color=f"#{r:02x}{g:02x}{bl:02x}")  # fmt: skip
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(pipe, "huesaturation", saturation="0", colorizeOn="0", grayscaleMode="0",
                  invertColors="0")  # fmt: skip
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def write_qml(qml: str, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
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
    """
    p = Path(path)
    if p.suffix.lower() != ".qml":
        raise InputError(f"a QGIS style file must end in .qml; got {p.name!r}.")
    with atomic_path(p, overwrite=overwrite) as tmp:
        tmp.write_text(qml, encoding="utf-8")
    return p
