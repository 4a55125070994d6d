"""QML of flow lines (width by value, arrows for direction) and of basemap polygons."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import numpy as np

from geoai import _validate as v
from geoai.errors import InputError
from geoai.io._qml import class_breaks, hex_to_rgb, sample_ramp
from geoai.io._vector_styles import (
    _CLASS_METHODS,
    _UNIT_SCALE,
    _data_defined,
    _field_ref,
    _finish_vector,
    _finite,
    _graduated,
    _line,
    _num,
    _properties,
    _rgba,
    _size_range,
    _vector_root,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["flow_lines_style", "polygon_fill_style"]

_LINE, _POLYGON = "1", "2"


def _fill_layer(parent: ET.Element, rgba: str, outline: str, outline_width: float) -> None:
    """Append a ``SimpleFill`` symbol layer (solid fill, thin solid outline)."""
    layer = ET.SubElement(
        parent, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"}
    )
    _properties(layer, {
        "border_width_map_unit_scale": _UNIT_SCALE, "color": rgba, "joinstyle": "bevel",
        "offset": "0,0", "offset_map_unit_scale": _UNIT_SCALE, "offset_unit": "MM",
        "outline_color": outline, "outline_style": "solid" if outline_width > 0 else "no",
        "outline_width": _num(outline_width), "outline_width_unit": "MM", "style": "solid",
    })  # fmt: skip
    _data_defined(layer, {})


def _arrow(
    parent: ET.Element, index: int, rgba: str, *, width: float, width_expr: str, alpha: float
) -> None:
    """Append an arrow line symbol (QGIS ``ArrowLine``): shaft width from ``width_expr``, head."""
    sym = ET.SubElement(parent, "symbol", type="line", name=str(index), alpha=f"{alpha:.6g}",
                        clip_to_extent="1", force_rhr="0")  # fmt: skip
    _data_defined(sym, {})
    layer = ET.SubElement(
        sym, "layer", {"class": "ArrowLine", "enabled": "1", "locked": "0", "pass": "0"}
    )
    props = {"arrow_type": "0", "head_type": "0", "is_curved": "0", "is_repeated": "1",
             "offset": "0", "offset_unit": "MM", "offset_unit_scale": _UNIT_SCALE,
             "ring_filter": "0"}  # fmt: skip
    sizes = {"arrow_width": width, "arrow_start_width": width * 0.5,
             "head_length": 1.2 + 1.5 * width, "head_thickness": 0.6 + 0.8 * width}  # fmt: skip
    for key, value in sizes.items():
        props.update({key: _num(value), f"{key}_unit": "MM", f"{key}_unit_scale": _UNIT_SCALE})
    _properties(layer, props)
    _data_defined(layer, {
        "arrowWidth": width_expr,
        "arrowStartWidth": f"0.5 * ({width_expr})",
        "arrowHeadLength": f"1.2 + 1.5 * ({width_expr})",
        "arrowHeadThickness": f"0.6 + 0.8 * ({width_expr})",
    })  # fmt: skip
    fill = ET.SubElement(layer, "symbol", type="fill", name=f"@{index}@0", alpha="1",
                         clip_to_extent="1", force_rhr="0")  # fmt: skip
    _data_defined(fill, {})
    _fill_layer(fill, rgba, rgba, 0.0)


def flow_lines_style(
    field: str = "flow",
    values: ArrayLike | None = None,
    *,
    unit: str = "",
    colour: str = "#b2182b",
    width_range: tuple[float, float] = (0.2, 3.0),
    opacity: float = 0.7,
    n_classes: int = 5,
    mode: str = "quantile",
    arrows: bool = False,
) -> str:
    """QML text of a flow-line style: width proportional to the flow, classes by shade.

    Parameters
    ----------
    field : str, default "flow"
        Numeric column of the flow (people, USD).
    values : array-like
        The column's values (NaN ignored); required. Their minimum and
        maximum map to the narrowest and widest lines, and their classes
        (:func:`class_breaks`) to shades from a light tint to ``colour``.
    unit : str, optional
        Unit of the flow, printed after each legend class ("people per year").
    colour : str, default "#b2182b"
        Colour of the largest flows, ``#rrggbb``.
    width_range : (float, float), default (0.2, 3.0)
        Line width (mm) at the smallest and the largest flow, linear in between.
    opacity : float, default 0.7
        Line opacity in [0, 1]; overlaps stay readable.
    n_classes : int, default 5
        Number of legend classes.
    mode : {"quantile", "equal"}
        How the classes are made.
    arrows : bool, default False
        Draw each flow as an arrow (QGIS arrow symbol layer: a shaft
        widening from origin to destination and a head at the destination),
        so the direction reads on the map; otherwise plain lines.

    Returns
    -------
    str
        The QML document (renderer ``graduatedSymbol``, data-defined width;
        larger flows drawn on top).

    Examples
    --------
    >>> qml = flow_lines_style("flow", [10.0, 200.0, 3000.0], n_classes=3)
    >>> "scale_linear" in qml and 'type="graduatedSymbol"' in qml
    True
    >>> 'class="ArrowLine"' in flow_lines_style("flow", [1.0, 9.0], unit="people", arrows=True)
    True
    """
    ref = _field_ref(field, "field")
    if values is None:
        raise InputError(
            "flow_lines_style needs the flow values (e.g. flows['flow']) for the width "
            "scale and the classes."
        )
    _rgba(colour, "colour")
    v.check_choice(mode, _CLASS_METHODS, "mode")
    if not 0.0 <= float(opacity) <= 1.0:
        raise InputError(f"opacity must be in [0, 1]; got {opacity!r}.")
    if not isinstance(unit, str):
        raise InputError(f"unit must be a str (e.g. 'people'); got {unit!r}.")
    w0, w1 = _size_range(width_range, "width_range")
    breaks = class_breaks(_finite(values, "values"), classes=n_classes, mode=mode)
    lo, hi = _num(breaks[0]), _num(breaks[-1])
    width_expr = f"coalesce(scale_linear({ref}, {lo}, {hi}, {_num(w0)}, {_num(w1)}), {_num(w0)})"
    full = np.array(hex_to_rgb(colour), dtype=np.float64)
    tint = full + 0.7 * (255.0 - full)  # 70 % of the way to white
    ends = ("#{:02x}{:02x}{:02x}".format(*(round(c) for c in tint)), colour)
    colours = sample_ramp(ends, breaks.size - 1) if breaks.size > 2 else [hex_to_rgb(colour)]
    root, renderer, symbols = _graduated(field, breaks, [hex_to_rgb(c) for c in ends], mode, unit)
    draw = _arrow if arrows else _line
    for k, (r, g, b) in enumerate(colours):
        mid = w0 + (w1 - w0) * (k + 0.5) / len(colours)  # the legend shows the class's width
        draw(symbols, k, f"{r},{g},{b},255", width=mid, width_expr=width_expr,
             alpha=float(opacity))  # fmt: skip
    return _finish_vector(root, renderer, _LINE, (ref, True))


def polygon_fill_style(
    fill: str = "#f2efe9", outline: str = "#b5b0a6", *, outline_width: float = 0.15
) -> str:
    """QML text of a single-symbol polygon style: a flat fill with a thin outline (a basemap).

    Parameters
    ----------
    fill : str, default "#f2efe9"
        Fill colour ``#rrggbb`` (a light land tone).
    outline : str, default "#b5b0a6"
        Outline colour ``#rrggbb``.
    outline_width : float, default 0.15
        Outline width (mm), >= 0 (0: no outline).

    Returns
    -------
    str
        The QML document (renderer ``singleSymbol``).

    Examples
    --------
    >>> 'type="singleSymbol"' in polygon_fill_style()
    True
    """
    rgba, line = _rgba(fill, "fill"), _rgba(outline, "outline")
    if not (np.isfinite(outline_width) and outline_width >= 0):
        raise InputError(f"outline_width must be >= 0 (mm); got {outline_width!r}.")
    root, renderer = _vector_root("singleSymbol", "")
    del renderer.attrib["attr"]
    symbols = ET.SubElement(renderer, "symbols")
    sym = ET.SubElement(symbols, "symbol", type="fill", name="0", alpha="1",
                        clip_to_extent="1", force_rhr="0")  # fmt: skip
    _data_defined(sym, {})
    _fill_layer(sym, rgba, line, float(outline_width))
    return _finish_vector(root, renderer, _POLYGON, None)
