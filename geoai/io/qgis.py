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

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from geoai import _validate as v
from geoai.errors import InputError
from geoai.io._atomic import atomic_path

__all__ = [
    "RAMPS",
    "categorized_points_style",
    "class_breaks",
    "flow_lines_style",
    "graduated_points_style",
    "raster_style",
    "write_qml",
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


def _gradient_ramp(parent: ET.Element, colours: list[tuple[int, int, int]]) -> None:
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
    _gradient_ramp(shader, colours)
    for k, (at, (r, g, bl)) in enumerate(zip(b, colours, strict=True)):
        label = labels[k] if labels is not None else _label(float(at), precision)
        ET.SubElement(shader, "item", alpha="255", value=repr(float(at)), label=label,
                      color=f"#{r:02x}{g:02x}{bl:02x}")  # fmt: skip
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(pipe, "huesaturation", saturation="0", colorizeOn="0", grayscaleMode="0",
                  invertColors="0")  # fmt: skip
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    return _to_qml(root)


def _to_qml(root: ET.Element) -> str:
    """Serialise a ``<qgis>`` element as a QML document (indented, with the QGIS doctype)."""
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


# --- vector styles --------------------------------------------------------------------------

#: Outline of point symbols: thin and dark, so light fills still read on a white map.
_OUTLINE = "35,35,35,255"
_UNIT_SCALE = "3x:0,0,0,0,0,0"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_CLASS_METHODS = {"quantile": "Quantile", "equal": "EqualInterval"}
#: QGIS geometry type codes (``layerGeometryType``): QGIS refuses a style made for another.
_POINT, _LINE = "0", "1"


def _rgba(colour: Any, name: str) -> str:
    """Convert a ``#rrggbb`` colour to the QGIS property ``"r,g,b,255"``."""
    if not isinstance(colour, str) or not _HEX.match(colour):
        raise InputError(f"{name} must be a colour written '#rrggbb'; got {colour!r}.")
    r, g, b = _hex_to_rgb(colour)
    return f"{r},{g},{b},255"


def _field_ref(field: Any, name: str) -> str:
    """Quote a column name for a QGIS expression."""
    if not isinstance(field, str) or not field:
        raise InputError(f"{name} must be a non-empty column name; got {field!r}.")
    return '"' + field.replace('"', '""') + '"'


def _num(value: float) -> str:
    """Format a number literal that QGIS expressions parse (exponent kept)."""
    return repr(float(value))


def _size_range(size_range: Any, name: str) -> tuple[float, float]:
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


def _finite(values: Any, name: str) -> np.ndarray:
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
    """Format a legend number: thousands separators when large, else 3 digits."""
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.3g}"


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
    root = ET.Element("qgis", version=_QGIS_VERSION, styleCategories="AllStyleCategories")
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
    return _to_qml(root)


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
    field: str, breaks: np.ndarray, ramp: list[tuple[int, int, int]], mode: str
) -> tuple[ET.Element, ET.Element, ET.Element]:
    """Root, renderer and ``<symbols>`` of a graduated style with one range per class."""
    root, renderer = _vector_root("graduatedSymbol", field, graduatedMethod="GraduatedColor")
    ranges = ET.SubElement(renderer, "ranges")
    for k in range(breaks.size - 1):
        lo, hi = float(breaks[k]), float(breaks[k + 1])
        ET.SubElement(ranges, "range", lower=repr(lo), upper=repr(hi), symbol=str(k),
                      label=f"{_legend_number(lo)} – {_legend_number(hi)}",
                      render="true")  # fmt: skip
    symbols = ET.SubElement(renderer, "symbols")
    _gradient_ramp(renderer, ramp)
    method = ET.SubElement(renderer, "classificationMethod", id=_CLASS_METHODS[mode])
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(method, "labelFormat", format="%1 – %2", labelprecision="3",
                  trimtrailingzeroes="1")  # fmt: skip
    ET.SubElement(ET.SubElement(method, "parameters"), "Option")
    ET.SubElement(method, "extraInformation")
    return root, renderer, symbols


def graduated_points_style(
    field: str,
    values: Any,
    *,
    n_classes: int = 5,
    mode: str = "quantile",
    ramp: str = "viridis",
    size: float = 3.0,
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
    colours = _sample_ramp(stops, breaks.size - 1)
    root, renderer, symbols = _graduated(field, breaks, [_hex_to_rgb(s) for s in stops], mode)
    for k, (r, g, b) in enumerate(colours):
        _marker(symbols, k, f"{r},{g},{b},255", fixed, None)
    return _finish_vector(root, renderer, _POINT, None)


def flow_lines_style(
    field: str = "flow",
    values: Any = None,
    *,
    colour: str = "#b2182b",
    width_range: tuple[float, float] = (0.2, 3.0),
    opacity: float = 0.7,
    n_classes: int = 5,
    mode: str = "quantile",
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
    w0, w1 = _size_range(width_range, "width_range")
    breaks = class_breaks(_finite(values, "values"), classes=n_classes, mode=mode)
    lo, hi = _num(breaks[0]), _num(breaks[-1])
    width_expr = f"coalesce(scale_linear({ref}, {lo}, {hi}, {_num(w0)}, {_num(w1)}), {_num(w0)})"
    full = np.array(_hex_to_rgb(colour), dtype=np.float64)
    tint = full + 0.7 * (255.0 - full)  # 70 % of the way to white
    ends = ("#{:02x}{:02x}{:02x}".format(*(round(c) for c in tint)), colour)
    colours = _sample_ramp(ends, breaks.size - 1) if breaks.size > 2 else [_hex_to_rgb(colour)]
    root, renderer, symbols = _graduated(field, breaks, [_hex_to_rgb(c) for c in ends], mode)
    for k, (r, g, b) in enumerate(colours):
        _line(symbols, k, f"{r},{g},{b},255", width=(w0 + w1) / 2, width_expr=width_expr,
              alpha=float(opacity))  # fmt: skip
    return _finish_vector(root, renderer, _LINE, (ref, True))


def _parse_qml(qml: Any, name: str) -> ET.Element:
    """Parse QML text, raising InputError unless it is a ``<qgis>`` document."""
    if not isinstance(qml, str) or not qml.strip():
        raise InputError(f"{name} must be the text of a QML style; got {type(qml).__name__}.")
    try:
        root = ET.fromstring(qml)
    except ET.ParseError as exc:
        raise InputError(f"{name} is not valid XML ({exc}); pass a QML document.") from None
    if root.tag != "qgis":
        raise InputError(f"{name} is not a QGIS style: its root is <{root.tag}>, not <qgis>.")
    return root


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
