"""The credit line of a map: every source its data used, © where a licence asks for it.

A source is named by a short key (``"un"``, ``"geonames"``, ``"bls"``,
``"worldbank"``, ``"osm"``, ...) or found in an attribution text such as
``gdf.attrs["source"]`` or :data:`geoai.datasets.ATTRIBUTION`. Sources under
an attribution licence (CC BY, ODbL, MIT) are credited with ©; public-domain
ones (BLS, World Bank PDDL, Natural Earth) with "public domain". Text that
names no known source is kept as written (e.g. "Metros: my_cities.csv").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoai.datasets import ATTRIBUTION as _DATA_ATTRIBUTION

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["ATTRIBUTION", "CREDITS", "MAP_ATTRIBUTION", "credit_line", "sources_in"]

#: Credit line of the embedded data (charts and maps).
ATTRIBUTION = _DATA_ATTRIBUTION

#: How each source is credited on a map, in the order they are listed.
CREDITS = {
    "un": "© UN DESA, World Urbanization Prospects 2018 (CC BY 3.0 IGO)",
    "geonames": "© GeoNames (CC BY 4.0)",
    "osm": "© OpenStreetMap contributors (ODbL 1.0)",
    "eloundou": "© Eloundou et al. 2024 (MIT)",
    "hai": "© Stanford HAI, AI Index 2025 (CC BY-ND 4.0)",
    "ewn": "© Lane & Milesi-Ferretti, External Wealth of Nations",
    "bls": "US BLS OEWS May 2025 (public domain)",
    "worldbank": "World Bank (PDDL)",
    "naturalearth": "Made with Natural Earth (public domain)",
}

#: Words that reveal a source in an attribution text (case-insensitive).
_CLUES = {
    "un": ("un desa", "world urbanization prospects", "united nations"),
    "geonames": ("geonames",),
    "osm": ("openstreetmap", "osm "),
    "eloundou": ("eloundou",),
    "hai": ("ai index", "stanford hai"),
    "ewn": ("external wealth", "milesi-ferretti"),
    "bls": ("bls", "oews"),
    "worldbank": ("world bank",),
    "naturalearth": ("natural earth",),
}


def sources_in(text: str) -> tuple[str, ...]:
    """Keys of the sources an attribution text names, in :data:`CREDITS` order.

    Parameters
    ----------
    text : str
        An attribution, e.g. :data:`geoai.datasets.ATTRIBUTION`.

    Returns
    -------
    tuple of str
        Keys of :data:`CREDITS`.

    Examples
    --------
    >>> sources_in("Data: GeoNames (CC BY 4.0), World Bank (PDDL)")
    ('geonames', 'worldbank')
    """
    low = f"{text.lower()} "
    return tuple(key for key, clues in _CLUES.items() if any(c in low for c in clues))


def credit_line(sources: str | Iterable[str] | None = None) -> str:
    """Write the credit line of a map: its sources, then Natural Earth (the country layer).

    Parameters
    ----------
    sources : str or iterable of str, optional
        An attribution text (its sources are found by :func:`sources_in`), or
        keys of :data:`CREDITS` and free texts (kept as written). None: the
        embedded data (:data:`ATTRIBUTION`).

    Returns
    -------
    str
        The sources joined by " · ", Natural Earth last.

    Examples
    --------
    >>> credit_line(["geonames", "Metros: mine.csv"])
    '© GeoNames (CC BY 4.0) · Metros: mine.csv · Made with Natural Earth (public domain)'
    """
    if sources is None:
        sources = ATTRIBUTION
    if isinstance(sources, str):
        found = sources_in(sources)
        items = list(found) if found else [sources]
    else:
        items = [str(s) for s in sources]
    known = [k for k in CREDITS if k in items and k != "naturalearth"]
    free = [s for s in items if s not in CREDITS and s.strip()]
    parts = [CREDITS[k] for k in known] + free + [CREDITS["naturalearth"]]
    return " · ".join(dict.fromkeys(parts))


#: Credit line of maps of the embedded data: its sources and the Natural Earth countries.
MAP_ATTRIBUTION = credit_line(ATTRIBUTION)
