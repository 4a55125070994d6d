"""Observed labour-market structure of metros from occupation employment and LLM exposure.

Where a statistical office publishes employment by detailed occupation for a
metro (the US Bureau of Labor Statistics' Occupational Employment and Wage
Statistics, OEWS), the routine / augmentable / local split of its jobs is
observed rather than modelled: each occupation's jobs are split by its task
exposure to large language models (Eloundou, Manning, Mishkin & Rock 2024,
*Science* 384) and by the part of that exposure GPT-4 judged automatable.

For occupation ``i`` with ``E_i`` jobs, exposure ``beta_i`` (share of task
time exposed, ``E1 + E2/2``) and automated share ``s_i`` of that exposed time:

* ``jobs_routine = sum_i E_i * beta_i * s_i``: exposed work an LLM could do;
* ``jobs_augmentable = sum_i E_i * beta_i * (1 - s_i)``: exposed work an LLM
  speeds up but does not take over;
* ``jobs_local = sum_i E_i * (1 - beta_i)``: the unexposed rest.

The three sum to the metro's jobs. Statistical offices suppress some cells; the
occupations with figures give the *shares*, which are applied to the metro's
total employment (see :func:`jobs_from_occupations`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
import pandas as pd

from geoai import _validate as v
from geoai.errors import InputError

__all__ = [
    "AI_TALENT_SOC",
    "OBSERVED_JOB_COLUMNS",
    "OBSERVED_LABOUR_SOURCE",
    "jobs_from_occupations",
    "match_exposure",
    "us_national_ai_talent",
]

#: Occupations counted as AI talent (SOC 2018 code without hyphen -> title): the
#: people who build and train models and the hardware they run on. Data
#: scientists and computer and information research scientists are the core of
#: AI research and engineering; software developers build AI systems into
#: products; statisticians and mathematicians supply the methods; computer
#: hardware engineers design accelerators. Machine-learning engineers have no
#: SOC code of their own (BLS files them under 15-1252 or 15-2051).
AI_TALENT_SOC: dict[str, str] = {
    "152051": "Data Scientists",
    "151221": "Computer and Information Research Scientists",
    "151252": "Software Developers",
    "152041": "Statisticians",
    "152021": "Mathematicians",
    "172061": "Computer Hardware Engineers",
}

#: Value of the ``labour_source`` column of metros whose jobs are observed.
OBSERVED_LABOUR_SOURCE = "observed: BLS OEWS May 2025 × Eloundou et al. 2024"

#: Columns returned by :func:`jobs_from_occupations`.
OBSERVED_JOB_COLUMNS = (
    "jobs_total",
    "jobs_routine",
    "jobs_augmentable",
    "jobs_local",
    "ai_talent",
    "exposure_mean",
    "suppressed_share",
)

_MATCH_LEVELS = (("exact", 6), ("broad", 5), ("minor", 4))


def _soc_strings(values: Iterable[object], name: str) -> pd.Series:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InputError(
            f"{name} must be a list or Series of SOC 2018 codes (6-digit strings such as "
            f"'151252'); got {v.short(values)}."
        )
    s = pd.Series(list(values) if not isinstance(values, pd.Series) else values, dtype=object)
    ok = s.map(lambda x: isinstance(x, str) and len(x) == 6 and x.isdigit())
    if not ok.all():
        bad = s[~ok].head(3).tolist()
        raise InputError(
            f"{name} must hold SOC 2018 codes as 6-digit strings without hyphen (e.g. "
            f"'151252'); got {bad}. Convert with .str.replace('-', '')."
        )
    return s.astype(str)


def _check_exposure(exposure: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(exposure, pd.DataFrame):
        raise InputError(
            f"exposure must be a DataFrame; got {type(exposure).__name__}. Load it with "
            "geoai.datasets.load_occupation_exposure()."
        )
    missing = {"soc", "exposure", "automated_share"} - set(exposure.columns)
    if missing:
        raise InputError(
            f"exposure lacks column(s) {sorted(missing)}; it needs 'soc', 'exposure' and "
            "'automated_share' (see load_occupation_exposure())."
        )
    soc = _soc_strings(exposure["soc"], "exposure['soc']")
    if soc.duplicated().any():
        raise InputError(
            f"exposure['soc'] repeats codes, e.g. {soc[soc.duplicated()].head(3).tolist()}; "
            "keep one row per SOC code."
        )
    table = exposure.assign(soc=soc.to_numpy())
    for col in ("exposure", "automated_share"):
        vals = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
        if not (np.isfinite(vals) & (vals >= 0.0) & (vals <= 1.0)).all():
            raise InputError(f"exposure[{col!r}] must be shares in [0, 1] without NaN.")
        table[col] = vals
    return table


def match_exposure(soc: Iterable[str], exposure: pd.DataFrame) -> pd.DataFrame:
    """Exposure of each SOC code, falling back to its broad and minor group.

    Parameters
    ----------
    soc : iterable of str
        SOC 2018 codes as 6-digit strings (``"151252"``), as OEWS writes them.
    exposure : pandas.DataFrame
        One row per SOC code with ``soc``, ``exposure`` (share of task time
        exposed, in [0, 1]) and ``automated_share`` (automated part of the
        exposed time, in [0, 1]); other float columns (``alpha``,
        ``exposure_human``, ...) are carried along.

    Returns
    -------
    pandas.DataFrame
        Indexed by the unique codes of ``soc`` (sorted), with every float
        column of ``exposure`` and ``exposure_match``: ``"exact"`` (the code
        has a row), ``"broad"`` (mean of the rows of the same broad
        occupation, first 5 digits), ``"minor"`` (same minor group, first 4
        digits) or ``"none"`` (NaN values). In a fallback every column is the
        plain mean over the group's codes, except ``automated_share``, which
        is ``mean(exposure * automated_share) / mean(exposure)`` so that
        exposed and automated jobs stay consistent.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"soc": ["151252", "151253", "132011"],
    ...                       "exposure": [0.6, 0.4, 0.5], "automated_share": [0.5, 0.25, 0.2]})
    >>> match_exposure(["151252", "151259", "151299", "291141"], table)
            exposure  automated_share exposure_match
    soc
    151252       0.6              0.5          exact
    151259       0.5              0.4          broad
    151299       0.5              0.4          minor
    291141       NaN              NaN           none
    """
    table = _check_exposure(exposure)
    codes = pd.Index(sorted(set(_soc_strings(soc, "soc"))), name="soc")
    numeric = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    table = table[["soc", *numeric]].copy()
    table["_routine"] = table["exposure"] * table["automated_share"]
    value_cols = [*numeric, "_routine"]
    out = pd.DataFrame(np.nan, index=codes, columns=value_cols)
    match = pd.Series("none", index=codes, dtype=object)
    todo = np.ones(len(codes), dtype=bool)
    for level, width in _MATCH_LEVELS:
        groups = table.groupby(table["soc"].str[:width])[value_cols].mean()
        keys = codes.str[:width]
        hit = todo & keys.isin(groups.index)
        out.loc[codes[hit], value_cols] = groups.loc[keys[hit]].to_numpy()
        match[hit] = level
        todo &= ~hit
    fallback = match.isin(["broad", "minor"]).to_numpy()
    beta = out["exposure"].to_numpy()
    ratio = np.divide(
        out["_routine"].to_numpy(), beta, out=np.zeros_like(beta), where=beta > 0
    ).clip(0.0, 1.0)
    auto = out["automated_share"].to_numpy()
    out["automated_share"] = np.where(fallback, ratio, auto)
    if "augmented_share" in out.columns:
        out["augmented_share"] = 1.0 - out["automated_share"]
    out = out.drop(columns="_routine")
    out["exposure_match"] = match
    return out


def _check_occupations(occupations: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(occupations, pd.DataFrame):
        raise InputError(
            f"occupations must be a DataFrame; got {type(occupations).__name__}. Load it "
            "with geoai.datasets.load_us_occupations()."
        )
    missing = {"cbsa", "soc", "jobs"} - set(occupations.columns)
    if missing:
        raise InputError(
            f"occupations lacks column(s) {sorted(missing)}; it needs 'cbsa', 'soc' and "
            "'jobs' (one row per metro and detailed occupation)."
        )
    occ = occupations.copy()
    occ["soc"] = _soc_strings(occ["soc"], "occupations['soc']").to_numpy()
    occ["cbsa"] = occ["cbsa"].astype(str)
    major = occ["soc"].str.endswith("0000")
    if major.any():
        raise InputError(
            f"occupations holds major-group or total codes ({occ.loc[major, 'soc'].iloc[0]}); "
            "pass detailed occupations only and the area total as 'area_jobs_total'."
        )
    if occ.duplicated(["cbsa", "soc"]).any():
        raise InputError(
            "occupations repeats (cbsa, soc) pairs; keep one row per metro and occupation."
        )
    jobs = pd.to_numeric(occ["jobs"], errors="coerce").to_numpy(dtype=float)
    if (jobs < 0).any() or np.isinf(jobs).any():
        raise InputError("occupations['jobs'] must be >= 0 and finite (NaN where suppressed).")
    occ["jobs"] = jobs
    if "area_jobs_total" in occ.columns:
        total = pd.to_numeric(occ["area_jobs_total"], errors="coerce").to_numpy(dtype=float)
        if not (np.isfinite(total) & (total >= 0)).all():
            raise InputError("occupations['area_jobs_total'] must be finite and >= 0.")
        occ["area_jobs_total"] = total
        per_metro = occ.groupby("cbsa")["area_jobs_total"]  # finite: one value <=> max == min
        if (per_metro.max() > per_metro.min()).any():
            raise InputError(
                "occupations['area_jobs_total'] differs within a metro; it is the metro's "
                "all-occupation employment, one value per cbsa."
            )
    return occ


def jobs_from_occupations(occupations: pd.DataFrame, exposure: pd.DataFrame) -> pd.DataFrame:
    """Routine, augmentable and local jobs and AI talent of metros from occupations.

    Parameters
    ----------
    occupations : pandas.DataFrame
        Long table, one row per metro and detailed occupation: ``cbsa``
        (metro code, str), ``soc`` (SOC 2018, 6-digit str), ``jobs`` (jobs;
        NaN where suppressed) and optionally ``area_jobs_total`` (the metro's
        all-occupation employment, jobs, repeated on its rows). Without it
        the total is the sum of the reported jobs.
    exposure : pandas.DataFrame
        Exposure per SOC code (see :func:`match_exposure`), e.g.
        ``geoai.datasets.load_occupation_exposure()``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cbsa`` (sorted), columns :data:`OBSERVED_JOB_COLUMNS`:
        ``jobs_total`` (jobs), ``jobs_routine``, ``jobs_augmentable`` and
        ``jobs_local`` (jobs; they sum to ``jobs_total``), ``ai_talent``
        (jobs in :data:`AI_TALENT_SOC`), ``exposure_mean`` (employment-weighted
        exposure, share) and ``suppressed_share`` (share of ``jobs_total``
        not in any reported detailed cell; NaN without ``area_jobs_total``).

    Notes
    -----
    Suppressed cells: the detailed occupations with figures give the shares,
    which are applied to ``jobs_total``; ``ai_talent`` too is the AI-talent
    share of the reported jobs times ``jobs_total``. Occupations without any
    exposure match (``exposure_match == "none"``) are left out of the
    exposure shares (their metro's mean stands in for them). A metro with no
    reported jobs gets NaN.

    Examples
    --------
    >>> occ = pd.DataFrame({"cbsa": ["1", "1"], "soc": ["151252", "352014"],
    ...                     "jobs": [30.0, 70.0]})
    >>> exp = pd.DataFrame({"soc": ["151252", "352014"], "exposure": [0.8, 0.0],
    ...                     "automated_share": [0.5, 0.0]})
    >>> jobs_from_occupations(occ, exp).loc["1", ["jobs_routine", "jobs_local", "ai_talent"]]
    jobs_routine    12.0
    jobs_local      76.0
    ai_talent       30.0
    Name: 1, dtype: float64
    """
    occ = _check_occupations(occupations)
    matched = match_exposure(occ["soc"], exposure)
    beta = occ["soc"].map(matched["exposure"]).to_numpy(dtype=float)
    auto = occ["soc"].map(matched["automated_share"]).to_numpy(dtype=float)
    jobs = occ["jobs"].to_numpy()
    reported = np.isfinite(jobs)
    usable = reported & np.isfinite(beta)
    e = np.where(reported, jobs, 0.0)
    u = np.where(usable, jobs, 0.0)
    b = np.where(usable, beta, 0.0)
    a = np.where(usable, auto, 0.0)
    parts = pd.DataFrame(
        {
            "cbsa": occ["cbsa"].to_numpy(),
            "reported": e,
            "usable": u,
            "exposed": u * b,
            "routine": u * b * a,
            "augmentable": u * b * (1.0 - a),
            "ai": np.where(occ["soc"].isin(list(AI_TALENT_SOC)).to_numpy(), e, 0.0),
        }
    )
    g = parts.groupby("cbsa", sort=True).sum()
    if "area_jobs_total" in occ.columns:
        total = occ.groupby("cbsa", sort=True)["area_jobs_total"].first()
        suppressed = (1.0 - g["reported"] / total.where(total > 0)).clip(0.0, 1.0)
    else:
        total = g["reported"]
        suppressed = pd.Series(np.nan, index=g.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        usable_tot = g["usable"].where(g["usable"] > 0)
        reported_tot = g["reported"].where(g["reported"] > 0)
        routine = total * (g["routine"] / usable_tot)
        augmentable = total * (g["augmentable"] / usable_tot)
        exposure_mean = g["exposed"] / usable_tot
        local = (total - routine - augmentable).clip(lower=0.0)
        ai = total * (g["ai"] / reported_tot)
    out = pd.DataFrame(
        {
            "jobs_total": total.astype(float),
            "jobs_routine": routine,
            "jobs_augmentable": augmentable,
            "jobs_local": local,
            "ai_talent": ai,
            "exposure_mean": exposure_mean,
            "suppressed_share": suppressed,
        }
    )
    out.index.name = "cbsa"
    return out


@functools.cache
def us_national_ai_talent() -> float:
    """AI-talent jobs in the whole US (BLS OEWS May 2025 national rows; jobs).

    The occupations of :data:`geoai.labour.AI_TALENT_SOC`, summed over the
    nation's rows: the denominator of a US metro's share of the nation's AI
    talent.

    Examples
    --------
    >>> bool(1e6 < us_national_ai_talent() < 5e6)
    True
    """
    from geoai._shipped import read_us_occupations

    occ = read_us_occupations()
    nation = occ[(occ["cbsa"] == "00000") & occ["soc"].isin(list(AI_TALENT_SOC))]
    return float(nation["jobs"].sum())
