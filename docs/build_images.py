"""Regenerate the README's map: docs/roles_concentration.png, drawn as ``make run`` draws it.

Run from the repository root (viz extra installed)::

    python docs/build_images.py

It simulates the main job's concentration preset (the world's >= 1 M metros,
2025-2050, seed 000) and draws its roles map with the run's own function
(:func:`geoai.pipeline._maps.draw_roles`: Equal Earth, Natural Earth countries,
the run's credit line). The README shows it at 150 dpi (the run writes 300).
Deterministic: the same data and seed draw the same map.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt

from geoai import scenario
from geoai.datasets import load_countries, load_metros
from geoai.pipeline._maps import draw_roles
from geoai.pipeline.job import load_job

DOCS = Path(__file__).resolve().parent
PRESET = "concentration"
README_DPI = 150


def main() -> list[Path]:
    """Draw the roles map of the main job's concentration preset into docs/."""
    cfg = load_job({})
    metros = load_metros(cfg.min_population, year=cfg.start)
    sim = scenario.simulate(
        metros,
        load_countries(),
        params=cfg.params(PRESET),
        start=cfg.start,
        end=cfg.end,
        seed=cfg.seed,
    )
    sim.preset = PRESET
    ax = draw_roles(cfg, PRESET, sim)
    target = DOCS / f"roles_{PRESET}.png"
    tmp = target.with_name(f".{target.name}.tmp")
    # a plain atomic write: save_map would keep a geoai ledger in docs/
    ax.figure.savefig(tmp, format="png", dpi=README_DPI, metadata={"Software": "geoai"})
    tmp.replace(target)
    plt.close(ax.figure)
    return [target]


if __name__ == "__main__":
    main()
