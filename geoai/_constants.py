"""Physical constants shared by every module (one definition each)."""

from __future__ import annotations

__all__ = ["EARTH_RADIUS_KM"]

#: IUGG mean Earth radius in km, used for every great-circle distance in geoai.
EARTH_RADIUS_KM = 6371.0088
