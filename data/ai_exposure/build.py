"""Build data/ai_exposure/occupation_exposure.csv from Eloundou et al. (2024).

Run from anywhere::

    python data/ai_exposure/build.py

Reads the two replication files copied into ``source/`` (occupation-level
exposure ratings and task-level automation labels, MIT licence, © 2024 OpenAI)
and writes one row per SOC 2018 6-digit occupation. The O*NET-SOC occupations
(``15-1252.00``) are averaged, with equal weights, to their SOC code (the
first seven characters). Titles of SOC codes that have no ``.00`` O*NET row
(the "All Other" codes) come from the BLS OEWS national file in
``data/us_oews_2025/source``. The generated block of ``README.md`` (between
the ``<!-- exposure_file:start -->`` markers) is rewritten every run.

Rules (also in README.md):

* task weights: Core tasks 2, Supplemental and untyped tasks 1. The published
  occupation shares (``dv_rating_*``, ``human_rating_*``) are exact fractions
  with this denominator for every occupation; :func:`check_task_weights`
  asserts it, so our automation share weights tasks as the paper does.
* ``t34_task_share`` ``a``: weighted share of an occupation's tasks that GPT-4
  labelled T3 or T4 (``gpt4_automation``).
* automated part of the exposed task time: ``r = min(a, beta)`` per O*NET
  occupation; at SOC level ``automated_share = mean(r) / mean(beta)`` (0 where
  ``beta`` is 0), ``augmented_share = 1 - automated_share``.
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # data/_tools.py
from _tools import replace_block, write_atomic, write_text

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source"
OCC_FILE = SOURCE / "eloundou2024_occ_level.csv"
TASK_FILE = SOURCE / "eloundou2024_task_automation_labels.tsv"
OEWS_FILE = HERE.parent / "us_oews_2025" / "source" / "oews_may2025_metro_occupations.csv.gz"
OUT = HERE / "occupation_exposure.csv"

#: Task weight by O*NET task type (the weighting of the paper's occupation shares).
TASK_WEIGHTS = {"Core": 2.0, "Supplemental": 1.0}
UNTYPED_WEIGHT = 1.0
#: GPT-4 automation labels counted as automation (T3: most of the task, T4: all of it).
AUTOMATED_LABELS = ("T3", "T4")

RATINGS = {
    "exposure": "dv_rating_beta",
    "alpha": "dv_rating_alpha",
    "gamma": "dv_rating_gamma",
    "exposure_human": "human_rating_beta",
    "alpha_human": "human_rating_alpha",
    "gamma_human": "human_rating_gamma",
}
COLUMNS = [
    "soc",
    "title",
    *RATINGS,
    "t34_task_share",
    "automated_share",
    "augmented_share",
    "n_tasks",
    "n_onet",
    "onet_codes",
]


def read_sources() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the occupation ratings and the task labels, as published."""
    occ = pd.read_csv(OCC_FILE, dtype={"O*NET-SOC Code": str, "Title": str})
    tasks = pd.read_csv(
        TASK_FILE, sep="\t", dtype={"O*NET-SOC Code": str, "Task Type": str, "gpt4_automation": str}
    )
    code = re.compile(r"\d{2}-\d{4}\.\d{2}")
    for name, df in (("occ_level", occ), ("task labels", tasks)):
        bad = ~df["O*NET-SOC Code"].str.fullmatch(code)
        if bad.any():
            raise SystemExit(f"{name}: malformed O*NET-SOC codes {df.loc[bad].head().tolist()}")
    if not occ["O*NET-SOC Code"].is_unique:
        raise SystemExit("occ_level: duplicated O*NET-SOC codes")
    labels = set(tasks["gpt4_automation"].dropna())
    if not labels <= {"T0", "T1", "T2", "T3", "T4"}:
        raise SystemExit(f"task labels: unexpected gpt4_automation values {sorted(labels)}")
    return occ, tasks


def task_weights(task_type: pd.Series) -> pd.Series:
    """Weight of each task: Core 2, Supplemental 1, untyped 1."""
    return task_type.map(TASK_WEIGHTS).fillna(UNTYPED_WEIGHT).astype(float)


def task_summary(tasks: pd.DataFrame) -> pd.DataFrame:
    """Per O*NET occupation: ``n_tasks``, weight total ``w`` and ``t34_task_share``."""
    t = tasks.assign(
        w=task_weights(tasks["Task Type"]),
        auto=tasks["gpt4_automation"].isin(AUTOMATED_LABELS).astype(float),
    )
    t["w_auto"] = t["w"] * t["auto"]
    g = t.groupby("O*NET-SOC Code").agg(
        n_tasks=("Task ID", "size"), w=("w", "sum"), w_auto=("w_auto", "sum")
    )
    g["t34_task_share"] = g["w_auto"] / g["w"]
    return g[["n_tasks", "w", "t34_task_share"]]


def check_task_weights(occ: pd.DataFrame, summary: pd.DataFrame) -> float:
    """Share of occupations whose published shares are whole multiples of 1 / weight total.

    The build fails unless it is 1: our task weights are then the paper's.
    """
    joined = occ.set_index("O*NET-SOC Code").join(summary, how="inner")
    if len(joined) != len(occ):
        raise SystemExit("some occupations of occ_level.csv have no task labels")
    ok = np.ones(len(joined), dtype=bool)
    for col in ("dv_rating_alpha", "dv_rating_gamma", "human_rating_alpha", "human_rating_gamma"):
        units = joined[col].to_numpy() * joined["w"].to_numpy()
        ok &= np.abs(units - np.round(units)) < 1e-6
    share = float(ok.mean())
    if share < 1.0:
        raise SystemExit(
            f"task weights {TASK_WEIGHTS} reproduce the published shares for only "
            f"{share:.1%} of occupations"
        )
    return share


def oews_titles() -> dict[str, str]:
    """SOC code (6 digits) -> title, from the BLS OEWS national rows."""
    with gzip.open(OEWS_FILE, "rt", encoding="utf-8") as fh:
        raw = pd.read_csv(
            fh, dtype=str, keep_default_na=False, usecols=["area_type", "occ_code", "occ_title"]
        )
    nat = raw[raw["area_type"] == "N"]
    return dict(zip(nat["occ_code"], nat["occ_title"], strict=True))


def build_exposure(
    occ: pd.DataFrame, tasks: pd.DataFrame, titles: dict[str, str] | None = None
) -> pd.DataFrame:
    """One row per SOC 2018 6-digit code (see the module docstring for the rules)."""
    summary = task_summary(tasks)
    o = occ.set_index("O*NET-SOC Code").join(summary, how="left")
    if o["n_tasks"].isna().any():
        raise SystemExit("some occupations of occ_level.csv have no task labels")
    o = o.reset_index()
    o["soc"] = o["O*NET-SOC Code"].str[:7].str.replace("-", "", regex=False)
    for new, old in RATINGS.items():
        if not o[old].between(0.0, 1.0).all():
            raise SystemExit(f"{old} has values outside [0, 1]")
        o[new] = o[old].astype(float)
    o["routine"] = np.minimum(o["t34_task_share"], o["exposure"])
    o = o.sort_values("O*NET-SOC Code")
    g = o.groupby("soc", sort=True)
    out = g[[*RATINGS, "t34_task_share", "routine"]].mean()
    out["n_tasks"] = g["n_tasks"].sum().astype("int64")
    out["n_onet"] = g.size().astype("int64")
    out["onet_codes"] = g["O*NET-SOC Code"].agg(";".join)
    beta = out["exposure"].to_numpy()
    automated = np.divide(
        out["routine"].to_numpy(), beta, out=np.zeros_like(beta), where=beta > 0
    ).clip(0.0, 1.0)
    out["automated_share"] = automated
    out["augmented_share"] = 1.0 - automated
    main_title = o[o["O*NET-SOC Code"].str.endswith(".00")].set_index("soc")["Title"]
    titles = titles or {}
    out["title"] = [
        main_title.get(s) or titles.get(s) or "; ".join(o.loc[o["soc"] == s, "Title"])
        for s in out.index
    ]
    return out.reset_index()[COLUMNS]


def file_summary(occ: pd.DataFrame, tasks: pd.DataFrame, exposure: pd.DataFrame) -> str:
    summary = task_summary(tasks)
    eq = occ.set_index("O*NET-SOC Code").join(summary)
    units = eq["dv_rating_alpha"] * eq.index.map(tasks.groupby("O*NET-SOC Code").size())
    equal_fit = float((np.abs(units - np.round(units)) < 1e-6).mean())
    capped = float((eq["t34_task_share"] > eq["dv_rating_beta"]).mean())
    typed = tasks["Task Type"].value_counts()
    lines = [
        (
            f"- {len(occ):,} O*NET-SOC occupations with {len(tasks):,} rated tasks "
            f"({typed.get('Core', 0):,} Core, {typed.get('Supplemental', 0):,} Supplemental, "
            f"{tasks['Task Type'].isna().sum():,} untyped) -> {len(exposure):,} SOC 2018 "
            f"6-digit codes ({(exposure['n_onet'] > 1).sum()} of them average 2 or more "
            "O*NET occupations)."
        ),
        (
            f"- Task weights Core 2 / Supplemental 1 / untyped 1 reproduce the published "
            f"α and γ denominators of {check_task_weights(occ, summary):.0%} of the occupations "
            f"(equal weights: {equal_fit:.0%})."
        ),
        (
            f"- GPT-4 labels T3–T4 on {tasks['gpt4_automation'].isin(AUTOMATED_LABELS).mean():.1%} "
            f"of tasks (unweighted); the T3–T4 share exceeds β (so the automated share is "
            f"capped at 1) in {capped:.1%} of O*NET occupations. Human automation labels exist "
            f"for only {tasks['human_automation'].notna().sum()} tasks and are not used."
        ),
        (
            f"- SOC means: exposure (β, GPT-4) {exposure['exposure'].mean():.3f}, automated share "
            f"{exposure['automated_share'].mean():.3f} (unweighted over SOC codes)."
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    occ, tasks = read_sources()
    check_task_weights(occ, task_summary(tasks))
    exposure = build_exposure(occ, tasks, oews_titles())
    write_atomic(OUT, lambda tmp: exposure.to_csv(tmp, index=False, lineterminator="\n"))
    readme = HERE / "README.md"
    body = file_summary(occ, tasks, exposure)
    write_text(readme, replace_block(readme.read_text(encoding="utf-8"), "exposure_file", body))
    print(body)


if __name__ == "__main__":
    main()
