"""What a layer says about itself in QGIS: metadata, field aliases, temporal properties.

:class:`LayerMetadata` is the QGIS layer metadata (*Layer Properties →
Metadata*: title, abstract, keywords, rights/attribution, licence), written
as the ``<resourceMetadata>`` element QGIS reads from a project or a
GeoPackage's ``gpkg_metadata`` table. :func:`with_aliases` and
:func:`with_temporal` add field aliases (*Attributes Form*) and temporal
properties (*Layer Properties → Temporal*) to a vector style (QML), so they
travel with the style into the GeoPackage and the project.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from geoai.errors import InputError
from geoai.io._qml import parse_qml, to_qml

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["LayerMetadata", "metadata_element", "with_aliases", "with_temporal"]

#: ISO 19115 topic category vocabulary, as QGIS names it.
TOPIC_VOCABULARY = "gmd:topicCategory"
#: Free keywords, QGIS's default vocabulary name.
FREE_VOCABULARY = "keywords"
#: QGIS enum value: features are instants read from a date field (QgsVectorLayerTemporalProperties).
_MODE_INSTANT_FROM_FIELD = "1"


@dataclass(frozen=True)
class LayerMetadata:
    """The metadata of one layer, as QGIS shows it in *Layer Properties → Metadata*.

    Parameters
    ----------
    title : str
        A human title ("Metros, concentration scenario").
    abstract : str
        What the layer holds, how it was made, and whether its values are
        observed or modelled.
    attribution : str
        The © / credit line of every source used (QGIS *rights* and the
        layer attribution).
    licence : str
        The licence of the layer's data, e.g. ``"CC BY 3.0 IGO"``.
    keywords : tuple of str
        Free keywords.
    topics : tuple of str, default ("economy", "society")
        ISO 19115 topic categories.

    Examples
    --------
    >>> meta = LayerMetadata("Metros", "Points of metros.", "© UN DESA", "CC BY 3.0 IGO",
    ...                      keywords=("AI", "labour"))
    >>> metadata_element(meta).findtext("license")
    'CC BY 3.0 IGO'
    """

    title: str
    abstract: str
    attribution: str
    licence: str
    keywords: tuple[str, ...] = ()
    topics: tuple[str, ...] = field(default=("economy", "society"))

    def __post_init__(self) -> None:
        for name in ("title", "abstract", "attribution", "licence"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"LayerMetadata {name} must be a non-empty str; got {value!r}.")
        for name in ("keywords", "topics"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(k, str) and k for k in value):
                raise InputError(
                    f"LayerMetadata {name} must be a tuple of non-empty str; got {value!r}."
                )


def _text(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    el.text = text
    return el


def metadata_element(meta: LayerMetadata, identifier: str = "") -> ET.Element:
    """Return the QGIS ``<resourceMetadata>`` element of ``meta``.

    Parameters
    ----------
    meta : LayerMetadata
        The metadata.
    identifier : str, optional
        A stable identifier of the layer (e.g. its table name).

    Returns
    -------
    xml.etree.ElementTree.Element
        ``<resourceMetadata>`` with identifier, type, title, abstract,
        keywords (free and ISO topic categories), rights and licence.
    """
    root = ET.Element("resourceMetadata")
    _text(root, "identifier", identifier)
    _text(root, "parentidentifier")
    _text(root, "language", "ENG")
    _text(root, "type", "dataset")
    _text(root, "title", meta.title)
    _text(root, "abstract", meta.abstract)
    for vocabulary, words in ((FREE_VOCABULARY, meta.keywords), (TOPIC_VOCABULARY, meta.topics)):
        if words:
            group = ET.SubElement(root, "keywords", vocabulary=vocabulary)
            for word in words:
                _text(group, "keyword", word)
    ET.SubElement(root, "links")
    _text(root, "fees")
    _text(root, "rights", meta.attribution)
    _text(root, "license", meta.licence)
    _text(root, "encoding")
    return root


def _qml_root(qml: str) -> ET.Element:
    return parse_qml(qml, "the style")


def with_aliases(qml: str, aliases: Mapping[str, str]) -> str:
    """Return a vector style with field aliases (the names QGIS shows in forms and tables).

    Parameters
    ----------
    qml : str
        A vector QML document, or ``""`` for a style with no renderer (an
        attribute table).
    aliases : mapping of str to str
        Field name → alias, e.g. ``{"population": "Population (people)"}``.

    Returns
    -------
    str
        The QML with its ``<aliases>`` replaced.

    Examples
    --------
    >>> qml = with_aliases("", {"jobs": "Jobs (jobs)"})
    >>> '<alias field="jobs" index="0" name="Jobs (jobs)"' in qml
    True
    """
    root = _qml_root(qml) if qml else ET.Element("qgis", styleCategories="AllStyleCategories")
    for old in root.findall("aliases"):
        root.remove(old)
    node = ET.SubElement(root, "aliases")
    for k, (name, alias) in enumerate(aliases.items()):
        if not isinstance(name, str) or not isinstance(alias, str) or not name:
            raise InputError(f"aliases must map field names to str; got {name!r}: {alias!r}.")
        ET.SubElement(node, "alias", field=name, index=str(k), name=alias)
    return to_qml(root)


def with_temporal(qml: str, start_field: str, *, duration: float = 1.0, unit: str = "y") -> str:
    """Return a vector style whose features are instants of ``start_field`` lasting ``duration``.

    With it, QGIS's temporal controller (the time slider) shows, at each
    frame, the features whose period contains the frame: one year of a
    metros × years panel at a time.

    Parameters
    ----------
    qml : str
        A vector QML document.
    start_field : str
        A date or date-time field (the start of each feature's period).
    duration : float, default 1
        How long each feature lasts, in ``unit``.
    unit : str, default "y"
        QGIS temporal unit code: ``"y"`` years, ``"mon"`` months, ``"d"`` days.

    Returns
    -------
    str
        The QML with its ``<temporal>`` element set (mode: date/time from a field).

    Examples
    --------
    >>> qml = with_temporal(with_aliases("", {}), "year_start")
    >>> 'startField="year_start"' in qml and 'enabled="1"' in qml
    True
    """
    if not isinstance(start_field, str) or not start_field:
        raise InputError(f"start_field must be a field name; got {start_field!r}.")
    if not float(duration) > 0:
        raise InputError(f"duration must be > 0; got {duration!r}.")
    root = _qml_root(qml)
    for old in root.findall("temporal"):
        root.remove(old)
    node = ET.SubElement(root, "temporal", {
        "enabled": "1", "mode": _MODE_INSTANT_FROM_FIELD, "startField": start_field,
        "endField": "", "startExpression": "", "endExpression": "", "durationField": "",
        "durationUnit": unit, "fixedDuration": repr(float(duration)), "accumulate": "0",
        "limitMode": "0",
    })  # fmt: skip
    rng = ET.SubElement(node, "fixedRange")
    ET.SubElement(rng, "start")
    ET.SubElement(rng, "end")
    return to_qml(root)
