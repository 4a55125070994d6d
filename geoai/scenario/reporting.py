"""The scenario sections of the run report: banded headlines and the seeds' arithmetic.

:func:`report_sections` adds to a :class:`geoai.io.report.Report` (a) the
presets' headline figures, each with its ±20 % sensitivity band over the
three most influential parameters (:mod:`geoai.scenario.sensitivity`), and
(b) the seeds' own arithmetic beside the model's figures
(:func:`geoai.scenario.seeds.seed_arithmetic`). Every number is written for people
(:func:`geoai.scenario._format.fmt_number`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geoai.scenario._format import fmt_band, fmt_number

if TYPE_CHECKING:
    from geoai.io.report import Report
    from geoai.scenario.simulation import Simulation

__all__ = [
    "ARITHMETIC_HEADING",
    "HEADLINE_HEADING",
    "headline_table",
    "report_sections",
]

HEADLINE_HEADING = "The presets side by side"
ARITHMETIC_HEADING = "The seeds' arithmetic beside the model's"
_ARITHMETIC_COLUMNS = ("seed", "claim", "as_written", "seed_says", "model", "note")


def headline_table(
    sims: dict[str, Simulation], bands: dict[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """Return the presets' headline figures as text, each with its band where there is one.

    Parameters
    ----------
    sims : dict of str to Simulation
        ``{preset: Simulation}``.
    bands : dict, optional
        ``{preset: bands table}`` of :func:`geoai.scenario.sensitivity.bands`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``metric``; ``unit`` then one text column per preset:
        ``"value (low – high)"`` where banded, the value alone elsewhere.

    Examples
    --------
    >>> import geoai
    >>> sim = geoai.scenario.simulate(preset="concentration", end=2027, classify_roles=False,
    ...                               metros=geoai.load_metros(10_000_000))
    >>> table = headline_table({"concentration": sim})
    >>> table.columns.tolist(), table.loc["jobs change", "unit"]
    (['unit', 'concentration'], 'share')
    >>> table.loc["jobs change", "concentration"].endswith(" %")
    True
    """
    bands = bands or {}
    summaries = {name: sim.summary() for name, sim in sims.items()}
    metrics = list(dict.fromkeys(m for t in summaries.values() for m in t.index))
    units = pd.concat([t["unit"] for t in summaries.values()])
    units = units[~units.index.duplicated()].reindex(metrics).fillna("")
    out = pd.DataFrame({"unit": units}, index=pd.Index(metrics, name="metric"))
    for name, table in summaries.items():
        band = bands.get(name)
        cells = []
        for metric in metrics:
            if metric not in table.index:
                cells.append("")
                continue
            value, unit = float(table.loc[metric, "value"]), str(table.loc[metric, "unit"])
            if band is not None and metric in band.index:
                low, high = float(band.loc[metric, "low"]), float(band.loc[metric, "high"])
                lo, hi = min(low, value), max(high, value)
                cells.append(fmt_band(value, lo, hi, unit, with_unit=False))
            else:
                cells.append(fmt_number(value, unit, with_unit=False))
        out[name] = cells
    return out


def _parameters(table: pd.DataFrame) -> list[str]:
    if not len(table) or "parameters" not in table.columns:
        return []
    return [p.strip() for p in str(table["parameters"].iloc[0]).split(",") if p.strip()]


def _band_note(bands: dict[str, pd.DataFrame]) -> list[str]:
    lines = []
    for name, table in bands.items():
        influence = table.attrs.get("influence", {})
        names = _parameters(table)
        if not names:
            lines.append(f"{name}: no screened parameter changes a headline (no band)")
            continue
        listed = ", ".join(f"{p} ({influence[p]:.2f})" if p in influence else p for p in names)
        lines.append(f"{name}: {listed}")
    return lines


def report_sections(
    rep: Report,
    sims: dict[str, Simulation],
    bands: dict[str, pd.DataFrame] | None,
    arithmetic: pd.DataFrame | None,
    *,
    figure: str | None = None,
) -> None:
    """Add the headline table (with bands) and the seeds' arithmetic to a report.

    Parameters
    ----------
    rep : geoai.io.report.Report
        The report; blocks are appended.
    sims : dict of str to Simulation
        ``{preset: Simulation}``.
    bands : dict or None
        ``{preset: bands table}`` (:func:`geoai.scenario.sensitivity.sensitivity`);
        None: the headlines go without bands and the report says so.
    arithmetic : pandas.DataFrame or None
        :func:`geoai.scenario.seeds.seed_arithmetic`; None leaves the section out.
    figure : str, optional
        Path of a figure to show after the headline table (relative to the report).

    Examples
    --------
    >>> import geoai
    >>> sim = geoai.scenario.simulate(preset="concentration", end=2027, classify_roles=False,
    ...                               metros=geoai.load_metros(10_000_000))
    >>> from geoai.io.report import Report
    >>> rep = Report("Run")
    >>> report_sections(rep, {"concentration": sim}, bands=None, arithmetic=None)
    >>> [kind for kind, _ in rep.blocks]
    ['heading', 'table', 'text']
    >>> "| jobs change | share |" in rep.markdown()
    True
    """
    rep.heading(HEADLINE_HEADING)
    table = headline_table(sims, bands)
    banded = [name for name in sims if bands and name in bands]
    caption = (
        "Headline figures (modelled): value (low – high) over the sensitivity corners"
        if banded
        else "Headline figures (modelled)"
    )
    rep.table(table, caption)
    if banded and bands is not None:
        method = next((bands[n].attrs["method"] for n in banded if "method" in bands[n].attrs), "")
        k = max(len(_parameters(bands[n])) for n in banded)
        delta = float(bands[banded[0]].attrs.get("delta", 0.2))
        rep.text(
            f"Sensitivity bands: each band is the lowest and highest value over the 2^{k} = "
            f"{2**k} corners of ±{100 * delta:.0f} % on the preset's {k} most influential "
            "parameters, and the run itself. The parameters were found by "
            + (method or "one-at-a-time screening")
            + ". The screening ranks on every headline except the counts of metros by role "
            "(its runs skip the role classification); the bands cover every headline. "
            "Parameters per preset, with their overall influence (1 = the most influential "
            "on every figure):"
        )
        rep.bullets(_band_note({n: bands[n] for n in banded}))
    else:
        rep.text(
            "No sensitivity bands in this run ([outputs] sensitivity = false); the figures "
            "are the model's at the preset's parameter values."
        )
    if figure:
        rep.figure(figure, "Top-5 share of AI roles over time and final roles")
    if arithmetic is None:
        return
    rep.heading(ARITHMETIC_HEADING)
    rep.text(
        "Each quantitative claim of the seed documents, with the seed's own figure or "
        "arithmetic recomputed as written, what the seed says it amounts to, and the "
        "model's corresponding figure. Where the text's arithmetic does not give its "
        "stated result, the note shows the figure as written and, labelled as a reading, "
        "any reading that would; the seeds' numbers are never corrected silently."
    )
    cols = [c for c in _ARITHMETIC_COLUMNS if c in arithmetic.columns]
    shown = arithmetic[cols].copy()
    shown.index = pd.RangeIndex(1, len(shown) + 1, name="#")
    rep.table(shown, "The seeds' arithmetic beside the model's (model figures modelled)")
