"""Superstars and hubs of the observed US metros (geoai.load_us_metros) and their report."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geoai
from geoai.roles import RoleThresholds, classify

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "docs" / "us_ai_roles.md"
SF, SJ, SEATTLE, NY, BOSTON, DC = "41860", "41940", "42660", "35620", "14460", "47900"


@pytest.fixture(scope="module")
def us() -> pd.DataFrame:
    return geoai.load_us_metros()


@pytest.fixture(scope="module")
def roles(us: pd.DataFrame) -> pd.DataFrame:
    return classify(us)


def test_san_francisco_and_san_jose_are_superstars_and_at_most_four_are(roles):
    stars = roles.index[roles["role"] == "superstar"]
    assert {SF, SJ} <= set(stars)
    assert len(stars) <= 4


def test_the_big_talent_metros_are_superstar_or_hub(roles):
    for cbsa in (SEATTLE, NY, BOSTON, DC):
        assert roles.loc[cbsa, "role"] in ("superstar", "hub"), roles.loc[cbsa, "reasons"]


def test_indicators_are_computed_from_the_observed_columns(us, roles):
    ai, jobs = us["ai_talent"].to_numpy(), us["jobs_total"].to_numpy()
    assert roles.index.equals(pd.Index(us["cbsa"]))
    np.testing.assert_allclose(roles["ai_share"], ai / ai.sum(), rtol=1e-12)
    np.testing.assert_allclose(roles["ai_lq"], (ai / jobs) / (ai.sum() / jobs.sum()), rtol=1e-12)
    assert roles.attrs["ai_indicator"] == "ai_talent"
    assert roles.attrs["input_kind"] == "snapshot"


def _share(x: float) -> str:
    value = 100 * x
    return f"{value:.1f} %" if value >= 1 else f"{value:.2f} %"


def _times(x: float) -> str:
    return f"{x:.1f}×" if x >= 2 else f"{x:.2f}×"


def test_reasons_carry_the_numbers(roles):
    top = roles[roles["role"].isin(["superstar", "hub"])]
    assert len(top) > 0
    for _, row in top.iterrows():
        text = row["reasons"]
        assert f"{_share(row['ai_share'])} of US AI talent (observed" in text, text
        assert f"{_times(row['ai_lq'])} the national intensity" in text, text
    sf = roles.loc[SF, "reasons"]
    assert re.search(r"scale × intensity [\d.]+, [\d.]+× the best metro outside", sf)
    assert "Gi*" in sf


def test_every_verdict_names_its_deciding_numbers(roles):
    assert roles["reasons"].map(lambda s: bool(s) and bool(re.search(r"\d", s))).all()
    assert roles["role_score"].between(0, 1).all()
    stable = roles[roles["role"] == "stable"]
    assert stable["reasons"].str.contains("hub bar|neither in the top").all()
    la = roles.loc["31080"]  # a large share at a low intensity
    if la["role"] == "stable":
        assert "below the hub bar (needs ≥ 1.00×)" in la["reasons"]


def test_superstars_are_monotone_in_scale_and_intensity(roles):
    # a metro at least as large and as intense as a superstar is a superstar too
    stars = roles[roles["role"] == "superstar"]
    for _, star in stars.iterrows():
        above = roles[(roles["ai_share"] >= star["ai_share"]) & (roles["ai_lq"] >= star["ai_lq"])]
        assert (above["role"] == "superstar").all()


def test_the_bars_are_quantiles_of_the_metros_not_counts(us, roles):
    t = RoleThresholds()
    bars = roles.attrs["bars"]
    assert bars["star_scale"] == pytest.approx(
        np.quantile(roles["ai_share"], 1 - t.superstar_scale_q)
    )
    assert bars["hub_lq"] == pytest.approx(max(np.quantile(roles["ai_lq"], 1 - t.hub_q), 1.0))
    # the larger half of the metros: the bars rise with the table, the counts scale with it
    big = us.sort_values("jobs_total", ascending=False).head(len(us) // 2)
    half = classify(big, thresholds=RoleThresholds(permutations=0))
    assert half.attrs["bars"]["star_scale"] > bars["star_scale"]
    assert half.attrs["bars"]["hub_scale"] > bars["hub_scale"]
    assert SJ in set(half.index[half["role"] == "superstar"])
    assert (half["role"] == "superstar").sum() <= np.ceil(t.superstar_scale_q * len(half)) + 1
    assert (half["role"] == "hub").sum() <= 2 * t.hub_q * len(half) + 1


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("us_roles", ROOT / "benchmarks" / "us_roles.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_report_is_current(roles):
    bench = _load_benchmark()
    text = REPORT.read_text(encoding="utf-8")
    table = bench.comparison(roles)
    for _, row in table.iterrows():  # every cited metro with today's role and numbers
        line = f"| {row['metro']} | {row['CBSA']} | {row['Brookings tier']} |"
        hit = [ln for ln in text.splitlines() if ln.startswith(line)]
        assert len(hit) == 1, line
        cells = f"| {row['our role']} | {row['share']} | {row['LQ']} | {row['agreement']} |"
        assert cells in hit[0]
    n = (roles["role"] == "superstar").sum(), (roles["role"] == "hub").sum()
    assert f"| US MSAs (load_us_metros) | {len(roles)} | {n[0]} | {n[1]} |" in text
    assert "Muro, M. & Methkupally, S. (2025)" in text
    assert {v[1] for v in bench.BROOKINGS.values()} == {"superstar", "star hub", "emerging centre"}
