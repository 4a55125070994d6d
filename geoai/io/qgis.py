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
* :func:`flow_lines_style`: lines whose width grows with the flow.

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
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geoai import _validate as v
from geoai.errors import InputError
from geoai.io._atomic import atomic_path
from geoai.io._qml import (
    QGIS_VERSION,
    RAMPS,
    class_breaks,
    gradient_ramp,
    sample_ramp,
    to_qml,
)
from geoai.io._vector_styles import (
    categorized_points_style,
    flow_lines_style,
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


# --- reading and writing QML --------------------------------------------------------------


def _parse_qml(qml: object, name: str) -> ET.Element:
    """Parse QML text, raising InputError unless it is a ``<qgis>`` document."""
    if not isinstance(qml, str) or not qml.strip():
        raise InputError(f"{name} must be the text of a QML style; got {type(qml).__name__}.")
    try:
        # the QML is style text from the user or a file they point at; xml.etree resolves
        # no external entities and expat >= 2.4.1 caps entity expansion (billion laughs)
        root = ET.fromstring(qml)  # noqa: S314 - trusted style text, expat-limited entities
    except ET.ParseError as exc:
        raise InputError(f"{name} is not valid XML ({exc}); pass a QML document.") from None
    if root.tag != "qgis":
        raise InputError(f"{name} is not a QGIS style: its root is <{root.tag}>, not <qgis>.")
    return root


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
