"""QML of the vector styles: categorized and graduated points, flow lines (:mod:`geoai.io.qgis`)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from geoai import _validate as v
from geoai.errors import InputError
from geoai.io._qml import (
    QGIS_VERSION,
    RAMPS,
    class_breaks,
    gradient_ramp,
    hex_to_rgb,
    sample_ramp,
    to_qml,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from geoai._typing import FloatArray

__all__ = ["categorized_points_style", "graduated_points_style"]

#: QGIS geometry type codes (``layerGeometryType``): QGIS refuses a style made for another.
_POINT, _LINE = "0", "1"

#: Outline of point symbols: thin and dark, so light fills still read on a white map.
_OUTLINE = "35,35,35,255"


_UNIT_SCALE = "3x:0,0,0,0,0,0"


_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


_CLASS_METHODS = {"quantile": "Quantile", "equal": "EqualInterval"}


def _rgba(colour: object, name: str) -> str:
    """Convert a ``#rrggbb`` colour to the QGIS property ``"r,g,b,255"``."""
    if not isinstance(colour, str) or not _HEX.match(colour):
        raise InputError(f"{name} must be a colour written '#rrggbb'; got {colour!r}.")
    r, g, b = hex_to_rgb(colour)
    return f"{r},{g},{b},255"


def _field_ref(field: object, name: str) -> str:
    """Quote a column name for a QGIS expression."""
    if not isinstance(field, str) or not field:
        raise InputError(f"{name} must be a non-empty column name; got {field!r}.")
    return '"' + field.replace('"', '""') + '"'


def _num(value: float) -> str:
    """Format a number literal that QGIS expressions parse (exponent kept)."""
    return repr(float(value))


def _size_range(size_range: tuple[float, float], name: str) -> tuple[float, float]:
    """``(smallest, largest)`` symbol size in mm: finite, > 0, increasing."""
    try:
        lo, hi = (float(s) for s in size_range)
    except (TypeError, ValueError):
        raise InputError(
            f"{name} must be two numbers (mm), e.g. (1.5, 9.0); got {size_range!r}."
        ) from None
    if not (np.isfinite([lo, hi]).all() and 0 < lo <= hi):
        raise InputError(f"{name} must satisfy 0 < smallest <= largest (mm); got {size_range!r}.")
    return lo, hi


def _finite(values: object, name: str) -> FloatArray:
    """Return the finite values of a numeric array-like (pandas nullable types too)."""
    try:
        if hasattr(values, "to_numpy"):
            values = values.to_numpy(dtype=np.float64, na_value=np.nan)
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numeric; got {type(values).__name__}.") from None
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        raise InputError(f"{name} has no finite values; a style needs at least one.")
    return arr


def _legend_number(value: float) -> str:
    """Format a legend number for a reader: 843, 1,370, 12.3 M, 4.5 B; never an exponent."""
    size = abs(value)
    for threshold, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if size >= threshold:
            return f"{value / threshold:.3g} {suffix}"
    if size >= 1e3:
        return f"{round(value, -len(str(int(size))) + 3):,.0f}"
    text = f"{value:.3g}"
    return f"{value:.6f}".rstrip("0").rstrip(".") if "e" in text else text


def _properties(parent: ET.Element, props: dict[str, str]) -> None:
    """Symbol-layer properties as an ``<Option>`` map (QGIS >= 3.20) and as ``<prop>`` (older)."""
    opts = ET.SubElement(parent, "Option", type="Map")
    for key, value in props.items():
        ET.SubElement(opts, "Option", type="QString", name=key, value=value)
    for key, value in props.items():
        ET.SubElement(parent, "prop", k=key, v=value)


def _data_defined(parent: ET.Element, expressions: dict[str, str]) -> None:
    """``<data_defined_properties>``: each key (e.g. ``size``) computed by an expression."""
    coll = ET.SubElement(ET.SubElement(parent, "data_defined_properties"), "Option", type="Map")
    ET.SubElement(coll, "Option", type="QString", name="name", value="")
    props = ET.SubElement(coll, "Option", name="properties")
    if expressions:
        props.set("type", "Map")
    for key, expression in expressions.items():
        prop = ET.SubElement(props, "Option", type="Map", name=key)
        ET.SubElement(prop, "Option", type="bool", name="active", value="true")
        ET.SubElement(prop, "Option", type="QString", name="expression", value=expression)
        ET.SubElement(prop, "Option", type="int", name="type", value="3")  # expression-based
    ET.SubElement(coll, "Option", type="QString", name="type", value="collection")


def _symbol(
    parent: ET.Element,
    index: int,
    kind: str,
    layer_class: str,
    *,
    props: dict[str, str],
    expressions: dict[str, str],
    alpha: float = 1.0,
) -> None:
    """Append ``<symbol name=index>`` holding one symbol layer."""
    sym = ET.SubElement(parent, "symbol", type=kind, name=str(index), alpha=f"{alpha:.6g}",
                        clip_to_extent="1", force_rhr="0")  # fmt: skip
    _data_defined(sym, {})
    layer = ET.SubElement(
        sym, "layer", {"class": layer_class, "enabled": "1", "locked": "0", "pass": "0"}
    )
    _properties(layer, props)
    _data_defined(layer, expressions)


def _marker(parent: ET.Element, index: int, rgba: str, size: float, size_expr: str | None) -> None:
    """Append a circle of ``size`` mm (or data-defined size) with a thin dark outline."""
    props = {
        "angle": "0", "color": rgba, "horizontal_anchor_point": "1", "joinstyle": "bevel",
        "name": "circle", "offset": "0,0", "offset_map_unit_scale": _UNIT_SCALE,
        "offset_unit": "MM", "outline_color": _OUTLINE, "outline_style": "solid",
        "outline_width": "0.2", "outline_width_map_unit_scale": _UNIT_SCALE,
        "outline_width_unit": "MM", "scale_method": "diameter", "size": _num(size),
        "size_map_unit_scale": _UNIT_SCALE, "size_unit": "MM", "vertical_anchor_point": "1",
    }  # fmt: skip
    dd = {"size": size_expr} if size_expr else {}
    _symbol(parent, index, "marker", "SimpleMarker", props=props, expressions=dd)


def _line(
    parent: ET.Element, index: int, rgba: str, *, width: float, width_expr: str, alpha: float
) -> None:
    """Append a solid line with round caps, its width (mm) computed by ``width_expr``."""
    props = {
        "capstyle": "round", "joinstyle": "round", "line_color": rgba, "line_style": "solid",
        "line_width": _num(width), "line_width_unit": "MM", "offset": "0",
        "offset_map_unit_scale": _UNIT_SCALE, "offset_unit": "MM", "use_custom_dash": "0",
        "width_map_unit_scale": _UNIT_SCALE,
    }  # fmt: skip
    _symbol(parent, index, "line", "SimpleLine", props=props,
            expressions={"outlineWidth": width_expr}, alpha=alpha)  # fmt: skip


def _vector_root(renderer_type: str, attr: str, **extra: str) -> tuple[ET.Element, ET.Element]:
    """Build the ``<qgis>`` root of a vector style and its ``<renderer-v2>``."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories")
    attrs = {"type": renderer_type, "attr": attr, "forceraster": "0", "symbollevels": "0",
             "enableorderby": "0", "referencescale": "-1", **extra}  # fmt: skip
    renderer = ET.SubElement(root, "renderer-v2", attrs)
    return root, renderer


def _finish_vector(
    root: ET.Element, renderer: ET.Element, geometry: str, order_by: tuple[str, bool] | None
) -> str:
    """Close the renderer (drawing order, empty rotation/size scale) and the layer settings."""
    if order_by is not None:
        expression, ascending = order_by
        renderer.set("enableorderby", "1")
        clause = ET.SubElement(ET.SubElement(renderer, "orderby"), "orderByClause",
                               asc="1" if ascending else "0", nullsFirst="0")  # fmt: skip
        clause.text = expression
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    for tag, text in (("blendMode", "0"), ("featureBlendMode", "0"), ("layerOpacity", "1"),
                      ("layerGeometryType", geometry)):  # fmt: skip
        ET.SubElement(root, tag).text = text
    return to_qml(root)


def _area_size_expression(
    field: str, size_range: tuple[float, float], domain: tuple[float, float] | None
) -> str | None:
    """Marker diameter (mm) growing with the square root of ``field`` over ``domain``.

    The symbol *area* is then linear in the value: ``smallest`` at the domain
    minimum, ``largest`` at its maximum, clamped outside, ``smallest`` for NULL.
    Without a domain QGIS computes it from the layer (``minimum``/``maximum``
    aggregates). ``None`` when the domain is a single value (fixed size).
    """
    ref = _field_ref(field, "size_field")
    s0, s1 = size_range
    if domain is None:
        lo, hi = f"minimum({ref})", f"maximum({ref})"
    else:
        try:
            d0, d1 = (float(d) for d in domain)
        except (TypeError, ValueError):
            raise InputError(f"size_domain must be (min, max); got {domain!r}.") from None
        if not (np.isfinite([d0, d1]).all() and d0 <= d1):
            raise InputError(f"size_domain must be finite with min <= max; got {domain!r}.")
        if d0 == d1:
            return None
        lo, hi = _num(d0), _num(d1)
    fraction = f"sqrt((clamp({lo}, {ref}, {hi}) - {lo}) / ({hi} - {lo}))"
    return f"coalesce({_num(s0)} + {_num(s1 - s0)} * {fraction}, {_num(s0)})"


def categorized_points_style(
    field: str,
    categories: Mapping[str, str],
    *,
    labels: Mapping[str, str] | None = None,
    size: float = 3.0,
    size_field: str | None = None,
    size_range: tuple[float, float] = (1.5, 9.0),
    size_domain: tuple[float, float] | None = None,
) -> str:
    """QML text of a categorized point style: one coloured circle per category value.

    Parameters
    ----------
    field : str
        Column holding the category (e.g. ``"role"``).
    categories : mapping of str to str
        Category value → fill colour ``#rrggbb``, in legend order (e.g.
        :data:`geoai.viz.ROLE_COLOURS`). Values not listed are not drawn.
    labels : mapping of str to str, optional
        Legend labels for some or all values; default the value itself.
    size : float, default 3
        Circle diameter (mm) when ``size_field`` is not given.
    size_field : str, optional
        Numeric column scaling the circles (e.g. ``"population"``): the
        circle *area* is proportional to the value over ``size_domain``
        (diameter ``size_range[0]`` at its minimum, ``size_range[1]`` at its
        maximum); larger circles are drawn first so small ones stay visible.
    size_range : (float, float), default (1.5, 9.0)
        Smallest and largest diameters (mm).
    size_domain : (float, float), optional
        Values mapped to the smallest and largest diameters, e.g.
        ``(df[size_field].min(), df[size_field].max())``; default the layer's
        minimum and maximum, computed by QGIS when it draws.

    Returns
    -------
    str
        The QML document (renderer ``categorizedSymbol``).

    Examples
    --------
    >>> qml = categorized_points_style("role", {"hub": "#d6604d", "stable": "#e0e0e0"},
    ...                                size_field="population", size_domain=(1e6, 3e7))
    >>> 'type="categorizedSymbol"' in qml and "sqrt" in qml
    True
    """
    _field_ref(field, "field")
    if not isinstance(categories, Mapping) or not categories:
        raise InputError(
            f"categories must be a non-empty mapping value -> '#rrggbb'; got {categories!r}."
        )
    label_map = dict(labels or {})
    unknown = set(label_map) - set(categories)
    if unknown:
        raise InputError(f"labels has values {sorted(map(str, unknown))} not in categories.")
    fixed = _size_range((size, size), "size")[0]
    s0, s1 = _size_range(size_range, "size_range")
    size_expr = None
    if size_field is not None:
        size_expr = _area_size_expression(size_field, (s0, s1), size_domain)
        if size_expr is None:  # a single value: every circle mid-size
            fixed = (s0 + s1) / 2
    root, renderer = _vector_root("categorizedSymbol", field)
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for k, (value, colour) in enumerate(categories.items()):
        rgba = _rgba(colour, f"categories[{value!r}]")
        ET.SubElement(cats, "category", value=str(value), symbol=str(k),
                      label=str(label_map.get(value, value)), render="true")  # fmt: skip
        _marker(symbols, k, rgba, fixed, size_expr)
    order = (_field_ref(size_field, "size_field"), False) if size_expr else None
    return _finish_vector(root, renderer, _POINT, order)


def _graduated(
    field: str, breaks: FloatArray, ramp: list[tuple[int, int, int]], mode: str, unit: str = ""
) -> tuple[ET.Element, ET.Element, ET.Element]:
    """Root, renderer and ``<symbols>`` of a graduated style with one range per class."""
    root, renderer = _vector_root("graduatedSymbol", field, graduatedMethod="GraduatedColor")
    ranges = ET.SubElement(renderer, "ranges")
    suffix = f" {unit}" if unit else ""
    for k in range(breaks.size - 1):
        lo, hi = float(breaks[k]), float(breaks[k + 1])
        ET.SubElement(ranges, "range", lower=repr(lo), upper=repr(hi), symbol=str(k),
                      label=f"{_legend_number(lo)} – {_legend_number(hi)}{suffix}",
                      render="true")  # fmt: skip
    symbols = ET.SubElement(renderer, "symbols")
    gradient_ramp(renderer, ramp)
    method = ET.SubElement(renderer, "classificationMethod", id=_CLASS_METHODS[mode])
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(method, "labelFormat", format="%1 – %2", labelprecision="3",
                  trimtrailingzeroes="1")  # fmt: skip
    ET.SubElement(ET.SubElement(method, "parameters"), "Option")
    ET.SubElement(method, "extraInformation")
    return root, renderer, symbols


def graduated_points_style(
    field: str,
    values: ArrayLike,
    *,
    n_classes: int = 5,
    mode: str = "quantile",
    ramp: str = "viridis",
    size: float = 3.0,
    unit: str = "",
) -> str:
    """QML text of a graduated point style: circles coloured by classes of a numeric column.

    Parameters
    ----------
    field : str
        Numeric column to classify (e.g. ``"potential"``).
    values : array-like
        The column's values (NaN ignored): the class breaks come from them
        (:func:`class_breaks`).
    n_classes : int, default 5
        Number of classes (fewer when quantiles coincide).
    mode : {"quantile", "equal"}
        Quantile classes (about as many points in each) or equal intervals.
    ramp : str, default "viridis"
        A key of :data:`RAMPS` (any case).
    size : float, default 3
        Circle diameter (mm).
    unit : str, optional
        Unit printed after each legend class ("AI jobs").

    Returns
    -------
    str
        The QML document (renderer ``graduatedSymbol``).

    Examples
    --------
    >>> qml = graduated_points_style("pop", [1.0, 2.0, 3.0, 40.0], n_classes=2)
    >>> qml.count("<range ")
    2
    """
    _field_ref(field, "field")
    ramp_key = ramp.lower() if isinstance(ramp, str) else ramp
    v.check_choice(ramp_key, RAMPS, "ramp")
    v.check_choice(mode, _CLASS_METHODS, "mode")
    fixed = _size_range((size, size), "size")[0]
    breaks = class_breaks(_finite(values, "values"), classes=n_classes, mode=mode)
    stops = RAMPS[ramp_key]
    colours = sample_ramp(stops, breaks.size - 1)
    root, renderer, symbols = _graduated(field, breaks, [hex_to_rgb(s) for s in stops], mode, unit)
    for k, (r, g, b) in enumerate(colours):
        _marker(symbols, k, f"{r},{g},{b},255", fixed, None)
    return _finish_vector(root, renderer, _POINT, None)
