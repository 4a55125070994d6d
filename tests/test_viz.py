"""Maps: categories, legend counts, colours and bad input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from geoai import InputError, viz
from tests.test_classify import FAST, world


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_roles_map_legend_counts_and_colours(tmp_path):
    from geoai.classify import classify

    roles = classify(world(), thresholds=FAST)
    ax = viz.roles_map(roles)
    counts = roles["role"].astype(str).value_counts()
    texts = _legend(ax)
    assert any(t == f"superstar ({counts['superstar']})" for t in texts)
    assert any(t == f"hinterland ({counts['hinterland']})" for t in texts)
    colours = {to_hex(c.get_facecolor()[0]) for c in ax.collections}
    assert viz.ROLE_COLOURS["superstar"] in colours
    assert any(t.get_text() == viz.ATTRIBUTION for t in ax.texts)
    out = tmp_path / "roles.png"
    ax.figure.savefig(out, dpi=60)
    assert out.stat().st_size > 10_000


def test_lisa_map_uses_the_geoda_palette():
    gdf = world()
    labels = np.array(["HH", "LL", "HL", "LH", "ns"] * 10)[: len(gdf)]
    ax = viz.lisa_map(gdf, pd.DataFrame({"label": labels}, index=gdf.index))
    faces = {to_hex(c.get_facecolor()[0]) for c in ax.collections}
    assert faces == set(viz.LISA_COLOURS.values())
    assert ax.get_title() == "Local Moran clusters"


def test_palettes_differ_in_lightness():
    """Categories stay apart in greyscale print."""
    for palette in (viz.ROLE_COLOURS, viz.LISA_COLOURS):
        rgb = np.array([matplotlib.colors.to_rgb(c) for c in palette.values()])
        grey = rgb @ [0.299, 0.587, 0.114]
        assert np.min(np.diff(np.sort(grey))) > 0.04


def test_bad_input():
    gdf = world()
    with pytest.raises(InputError, match="role"):
        viz.roles_map(gdf)
    with pytest.raises(InputError, match="unknown LISA labels"):
        viz.lisa_map(gdf, pd.DataFrame({"label": ["XX"] * len(gdf)}, index=gdf.index))
    with pytest.raises(InputError, match="same rows"):
        viz.lisa_map(gdf, pd.DataFrame({"label": ["ns"]}))
