"""QML primitives shared by the raster and vector styles: ramps, class breaks, the document."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import numpy as np

from geoai import _validate as v
from geoai.errors import InputError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from geoai._typing import FloatArray

__all__ = [
    "QGIS_VERSION",
    "RAMPS",
    "class_breaks",
    "gradient_ramp",
    "hex_to_rgb",
    "parse_qml",
    "sample_ramp",
    "to_qml",
]

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


QGIS_VERSION = "3.22.0"


def class_breaks(values: ArrayLike, *, classes: int = 7, mode: str = "quantile") -> FloatArray:
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
    numpy.ndarray of float64, shape (k,), k <= classes + 1
        Strictly increasing breaks from the minimum to the maximum (duplicated
        quantiles are merged); two breaks when all values are equal.

    Examples
    --------
    Quartile breaks of a skewed sample; NaN is ignored:

    >>> import numpy as np
    >>> class_breaks([1, 2, 3, 4, 100, np.nan], classes=4).tolist()
    [1.0, 2.0, 3.0, 4.0, 100.0]
    >>> class_breaks([1, 2, 3, 4, 100], classes=3, mode="equal").tolist()
    [1.0, 34.0, 67.0, 100.0]
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


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def sample_ramp(stops: tuple[str, ...], n: int) -> list[tuple[int, int, int]]:
    """``n`` colours evenly spaced along a ramp, linearly interpolated in RGB."""
    rgb = np.array([hex_to_rgb(s) for s in stops], dtype=np.float64)
    at = np.linspace(0.0, 1.0, rgb.shape[0])
    pos = np.linspace(0.0, 1.0, n) if n > 1 else np.array([0.0])
    out = np.stack([np.interp(pos, at, rgb[:, k]) for k in range(3)], axis=1)
    return [(round(row[0]), round(row[1]), round(row[2])) for row in out]


def gradient_ramp(parent: ET.Element, colours: list[tuple[int, int, int]]) -> None:
    """Append a QGIS gradient ``<colorramp>`` through ``colours`` (evenly spaced stops)."""
    cramp = ET.SubElement(parent, "colorramp", type="gradient", name="[source]")
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


def to_qml(root: ET.Element) -> str:
    """Serialise a ``<qgis>`` element as a QML document (indented, with the QGIS doctype)."""
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def parse_qml(qml: object, name: str) -> ET.Element:
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
