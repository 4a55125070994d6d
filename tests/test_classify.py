"""Role rules on small constructed worlds where the answer is obvious."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geoai
from geoai import InputError
from geoai.classify import ROLES, RoleThresholds, classify

FAST = RoleThresholds(permutations=199)


def _ring(lon0: float, lat0: float, n: int, km: float) -> tuple[np.ndarray, np.ndarray]:
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    dlat = km / 111.2
    return lon0 + dlat * np.cos(ang) / np.cos(np.radians(lat0)), lat0 + dlat * np.sin(ang)


def world(centre_ai: float = 1e6) -> gpd.GeoDataFrame:
    """A dominant centre with 8 satellites 60 km away, and 4 far clusters of small metros."""
    lon, lat = [10.0], [50.0]
    sat_lon, sat_lat = _ring(10.0, 50.0, 8, 60.0)
    lon += list(sat_lon)
    lat += list(sat_lat)
    ai = [centre_ai] + [1_000.0] * 8
    for c_lon, c_lat in [(40.0, 20.0), (-60.0, -10.0), (100.0, 10.0), (-100.0, 40.0)]:
        ring_lon, ring_lat = _ring(c_lon, c_lat, 7, 80.0)
        lon += [c_lon, *ring_lon]
        lat += [c_lat, *ring_lat]
        ai += [500.0] * 8
    n = len(lon)
    return gpd.GeoDataFrame(
        {
            "metro_id": [f"m{i}" for i in range(n)],
            "name": ["Centre"]
            + [f"Satellite {i}" for i in range(1, 9)]
            + [f"Far {i}" for i in range(9, n)],
            "population": [5e6] + [4e5] * 8 + [3e5] * (n - 9),
            "ai_jobs": ai,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def test_one_dominant_centre_makes_one_superstar_and_its_hinterland():
    roles = classify(world(), thresholds=FAST)
    assert (roles["role"] == "superstar").sum() == 1
    assert roles.loc["m0", "role"] == "superstar"
    assert "Gi* hot spot" in roles.loc["m0", "reasons"]
    satellites = [f"m{i}" for i in range(1, 9)]
    assert (roles.loc[satellites, "role"] == "hinterland").all()
    assert roles.loc[satellites, "reasons"].str.contains("Centre").all()
    far = roles.index[9:]
    assert (roles.loc[far, "role"] == "stable").all()


def test_without_a_hot_spot_the_leader_is_only_a_hub():
    gdf = world()
    gdf.loc[1:8, "ai_jobs"] = 1.0  # satellites empty ...
    gdf.loc[1:8, "population"] = 1.0
    strict = RoleThresholds(permutations=199, fdr=1e-9)  # ... and no test can pass
    roles = classify(gdf, thresholds=strict)
    assert roles.loc["m0", "role"] == "hub"
    assert "not a significant Gi* hot spot" in roles.loc["m0", "reasons"]


def panel(decline: float, net: float, fracture: float) -> pd.DataFrame:
    gdf = world()
    rows = []
    for year in range(2025, 2036):
        k = year - 2025
        f = np.ones(len(gdf))
        f[20] = (1 - decline) ** k  # one far metro shrinks
        rows.append(
            pd.DataFrame(
                {
                    "metro_id": gdf["metro_id"],
                    "year": year,
                    "population": gdf["population"] * f,
                    "jobs": gdf["population"] * 0.5 * f,
                    "ai_jobs": gdf["ai_jobs"] * (1 + 0.1 * k * (gdf.index == 0)),
                    "net_talent": np.where(gdf.index == 20, net, 0.0),
                    "fracture": np.where(gdf.index == 20, fracture, 0.0),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_shrinking_city_with_net_outflow_is_on_detroits_path():
    gdf = world()
    roles = classify(panel(0.03, -5_000.0, 0.0), metros=gdf, thresholds=FAST)
    assert roles.loc["m20", "role"] == "detroit_path"
    assert "net talent outflow" in roles.loc["m20", "reasons"]
    assert roles.loc["m20", "jobs_change"] == pytest.approx(0.97**10 - 1)  # the whole panel
    five = classify(
        panel(0.03, -5_000.0, 0.0),
        metros=gdf,
        thresholds=RoleThresholds(permutations=199, decline_years=5),
    )
    assert five.loc["m20", "jobs_change"] == pytest.approx(0.97**5 - 1)
    assert (roles["role"] == "detroit_path").sum() == 1
    assert roles.loc["m0", "role"] == "superstar"  # the panel path keeps the other rules


def test_fiscal_fracture_alone_is_enough_with_decline():
    roles = classify(panel(0.03, 0.0, 0.4), metros=world(), thresholds=FAST)
    assert roles.loc["m20", "role"] == "detroit_path"
    assert "fiscal buffer exceeded" in roles.loc["m20", "reasons"]


def test_decline_without_outflow_or_fracture_is_not_detroit():
    roles = classify(panel(0.03, 0.0, 0.0), metros=world(), thresholds=FAST)
    assert roles.loc["m20", "role"] != "detroit_path"
    mild = classify(panel(0.002, -5_000.0, 0.0), metros=world(), thresholds=FAST)
    assert mild.loc["m20", "role"] != "detroit_path"  # below the 5% job threshold


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(12, 40))
def test_every_metro_gets_exactly_one_role(seed, n):
    rng = np.random.default_rng(seed)
    gdf = gpd.GeoDataFrame(
        {
            "metro_id": [f"r{i}" for i in range(n)],
            "population": rng.lognormal(13, 1, n),
            "ai_jobs": rng.lognormal(7, 2, n),
        },
        geometry=gpd.points_from_xy(rng.uniform(-20, 40, n), rng.uniform(30, 60, n)),
        crs="EPSG:4326",
    )
    roles = classify(gdf, thresholds=RoleThresholds(permutations=99, seed=seed))
    assert len(roles) == n
    assert roles["role"].notna().all()
    assert set(roles["role"].astype(str)) <= set(ROLES)
    assert roles["role_score"].between(0, 1).all()
    assert (roles["reasons"].str.len() > 0).all()
    hubs = roles[roles["role"] == "hub"]
    assert (hubs["ai_rank"] <= 25).all()
    stars = roles[roles["role"] == "superstar"]
    assert (stars["gi_label"] == "hot").all()
    assert (stars["ai_rank"] <= 5).all()


def test_embedded_metros_snapshot():
    metros = geoai.load_metros()
    roles = classify(metros, thresholds=FAST)
    assert roles.index.is_unique
    assert len(roles) == len(metros)
    assert roles.attrs["ai_indicator"] == "augmentable-job share"  # no scenario: the proxy
    assert (roles["role"] == "hub").sum() <= 25
    assert (
        roles.loc[roles["role"] == "hinterland", "reasons"]
        .str.contains("outflow|market area")
        .all()
    )
    assert roles.crs.to_epsg() == 4326


def test_potential_can_be_a_raster():
    gdf = world()
    grid = geoai.Grid.from_bounds((-120, -30, 120, 70), 1.0, crs="EPSG:4326")
    surf = geoai.potential.surface(gdf, "ai_jobs", grid, scale_km=300)
    roles = classify(gdf, potential=surf, thresholds=FAST)
    assert roles.loc["m0", "potential"] > roles.loc["m20", "potential"]
    assert roles.loc["m0", "role"] == "superstar"


def test_bad_input():
    gdf = world()
    with pytest.raises(InputError, match="population"):
        classify(gdf.drop(columns="population"), thresholds=FAST)
    with pytest.raises(InputError, match="ai_jobs"):
        classify(gdf.drop(columns="ai_jobs"), thresholds=FAST)
    bad = gdf.copy()
    bad.loc[3, "ai_jobs"] = np.nan
    with pytest.raises(InputError, match="finite and >= 0"):
        classify(bad, thresholds=FAST)
    with pytest.raises(InputError, match="too few"):
        classify(gdf.iloc[:5], thresholds=FAST)
    with pytest.raises(InputError, match="no geometry"):
        classify(pd.DataFrame(gdf.drop(columns="geometry")), thresholds=FAST)
    with pytest.raises(InputError, match="CRS"):
        classify(gdf.set_crs(None, allow_override=True), thresholds=FAST)
    with pytest.raises(InputError, match="must be in"):
        RoleThresholds(superstar_min_share=2.0)
    with pytest.raises(InputError, match="integer >= 1"):
        RoleThresholds(hub_top_n=0)
    p = panel(0.03, -1.0, 0.0)
    with pytest.raises(InputError, match="not in metros"):
        classify(p, metros=gdf.iloc[:-1])
    with pytest.raises(InputError, match="repeated"):
        classify(pd.concat([p, p.iloc[:1]]), metros=gdf)
