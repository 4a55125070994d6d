from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# "ci" (the default, and make test's): the same examples on every run, so a red CI is
# reproducible; HYPOTHESIS_PROFILE=explore draws new ones, and more of them, by hand
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

KM_PER_DEG = np.pi * 6371.0088 / 180.0  # along a meridian or the equator


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test marked ``qgis`` or ``gdal``, with the reason, where that stack is absent."""
    from tests._system import require

    for kind in ("qgis", "gdal"):
        if item.get_closest_marker(kind) is not None:
            require(kind)


@pytest.fixture
def make_places():
    """Build a places GeoDataFrame from (lon, lat, population) triples."""

    def build(lon, lat, pop, crs="EPSG:4326", names=None):
        lon, lat, pop = (np.asarray(a, dtype=float) for a in (lon, lat, pop))
        names = names if names is not None else [f"p{i}" for i in range(pop.size)]
        return gpd.GeoDataFrame(
            {"name": names, "population": pop},
            geometry=gpd.points_from_xy(lon, lat),
            crs=crs,
        )

    return build
