"""Figures and tables of ``geoai identify`` drawn from its results: trajectories, drag.

Kept apart from the job itself (:mod:`geoai.pipeline.identify`, which re-exports both
functions) so each module stays short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoai.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from geoai.stats import SpatialMarkov

__all__ = ["FIRST_YEAR", "LAST_ESTIMATE", "neighbourhood_drag", "trajectories_figure"]

#: First year and last estimate (not projection) year of the UN WUP 2018 series.
FIRST_YEAR, LAST_ESTIMATE = 1950, 2015


def neighbourhood_drag(markov: SpatialMarkov) -> pd.DataFrame:
    """Metros that moved down a class while their neighbourhood's class was lower.

    Parameters
    ----------
    markov : geoai.stats.SpatialMarkov
        A spatial Markov chain.

    Returns
    -------
    pandas.DataFrame
        One row per metro with such a move: ``metro_id``, ``dragged_moves``
        (moves down a class that began with the lag in a lower class),
        ``moves_down`` (all its moves down), ``years`` (start years of the
        dragged moves, text), ``first_class``, ``last_class`` (first and last
        year; 1 = smallest) and ``last_y`` (``markov.y`` in the last year); most dragged
        moves first, then largest ``last_y``.

    Examples
    --------
    >>> import geoai
    >>> panel = geoai.load_metro_panel(1950, 2015, min_population=5_000_000)
    >>> sm = geoai.stats.spatial_markov(panel, years=range(1950, 2016, 5), k=3, neighbours=4)
    >>> drag = neighbourhood_drag(sm)
    >>> bool((drag["dragged_moves"] >= 1).all())
    True
    >>> bool((drag["moves_down"] >= drag["dragged_moves"]).all())
    True
    >>> bool(drag["dragged_moves"].is_monotonic_decreasing)
    True
    """
    c, lag = markov.classes, markov.lag_classes
    down = c[:, 1:] < c[:, :-1]
    dragged = down & (lag[:, :-1] < c[:, :-1])
    count = dragged.sum(axis=1)
    pick = np.flatnonzero(count)
    starts = markov.years[:-1]
    table = pd.DataFrame({
        "metro_id": markov.metro_ids[pick], "dragged_moves": count[pick],
        "moves_down": down.sum(axis=1)[pick],
        "years": [", ".join(str(y) for y in starts[dragged[i]]) for i in pick],
        "first_class": c[pick, 0] + 1, "last_class": c[pick, -1] + 1,
        "last_y": markov.y[pick, -1],
    })  # fmt: skip
    return table.sort_values(
        ["dragged_moves", "last_y", "metro_id"], ascending=[False, False, True], kind="mergesort"
    ).reset_index(drop=True)


def trajectories_figure(
    panel: pd.DataFrame,
    table: pd.DataFrame,
    *,
    min_population: float = 1_000_000,
    highlight: tuple[str, ...] = ("Detroit", "Liverpool"),
) -> Figure:
    """Draw the flagged metros' population since their peak against their countries' cities.

    Parameters
    ----------
    panel : pandas.DataFrame
        The long panel the table was computed on (``metro_id``, ``year``,
        ``population`` in people), cut at its ``as_of``.
    table : pandas.DataFrame
        A :func:`geoai.roles.decline` table (or some of its rows).
    min_population : float, default 1,000,000
        Draw the flagged metros of at least this many people at their peak.
    highlight : tuple of str
        Names drawn in colour with their country's cities (dashed); if none
        is flagged, the two highest scores.

    Returns
    -------
    matplotlib.figure.Figure
        Left: population ÷ its peak against years since the peak; right: that
        ÷ the country's cities (the panel's metros of the same country, 1 at
        the peak). The UN attribution at the bottom.

    Examples
    --------
    >>> import geoai, matplotlib.pyplot as plt
    >>> panel = geoai.load_metro_panel(1950, 2015)
    >>> fig = trajectories_figure(panel, geoai.roles.decline(panel))
    >>> [ax.get_xlabel() for ax in fig.axes]
    ["years since the metro's peak", "years since the metro's peak"]
    >>> plt.close(fig)
    """
    from geoai.datasets import WUP_SOURCE, wup_agglomerations
    from geoai.viz import _plt

    plt = _plt()
    wide = panel.pivot(index="metro_id", columns="year", values="population").astype(float)
    un = wup_agglomerations(LAST_ESTIMATE, 0).set_index("metro_id")["country_iso3"]
    own = panel.groupby("metro_id")["country_iso3"].first() if "country_iso3" in panel else un
    countries = own.reindex(wide.index)
    if countries.isna().any():
        raise InputError(f"{int(countries.isna().sum())} metros of the panel have no country; "
                         "add a country_iso3 column to the panel.")  # fmt: skip
    cities = wide.groupby(countries.to_numpy()).sum()
    years = wide.columns.to_numpy()
    flagged = table[table["detroit_path"] & (table["peak_population"] >= min_population)]
    flagged = flagged.sort_values("detroit_score", ascending=False)
    shown = [n for n in highlight if n in set(flagged["name"])] or list(flagged["name"][:2])
    colours = dict(zip(shown, ("#c0392b", "#1f5fa8", "#1a9850", "#8e44ad"), strict=False))
    fig: Figure
    fig, (left, right) = plt.subplots(1, 2, figsize=(12.5, 5.4), sharex=True)
    grey = {"color": "0.6", "lw": 0.8, "alpha": 0.8, "zorder": 2}
    for r in flagged.itertuples():
        since = years >= r.peak_year
        x = years[since] - r.peak_year
        metro = wide.loc[r.metro_id].to_numpy()[since] / r.peak_population
        nation = cities.loc[r.country_iso3].to_numpy()[since]
        nation = nation / nation[0]
        colour = colours.get(r.name)
        style = {"color": colour, "lw": 2.4, "zorder": 4} if colour else grey
        left.plot(x, metro, **style)
        right.plot(x, metro / nation, **style)
        notes = [(left, metro[-1], r.name, "0.35")] if r.change_since_peak < -0.5 else []
        if colour:
            left.plot(x, nation, color=colour, lw=1.3, ls="--", zorder=4)
            notes = [(left, metro[-1], f"{r.name} (peak {r.peak_year})", colour),
                     (left, nation[-1], f"{r.country_iso3} cities", colour),
                     (right, metro[-1] / nation[-1], r.name, colour)]  # fmt: skip
        for ax, yv, text, c in notes:
            ax.annotate(text, (x[-1], yv), xytext=(4, 0), textcoords="offset points",
                        color=c, fontsize=8.5, va="center")  # fmt: skip
    if not len(flagged):
        left.text(0.5, 0.5, "no metro flagged", transform=left.transAxes, ha="center")
    left.plot([], [], **grey, label="other Detroit-path metros")
    left.plot([], [], color="0.3", lw=1.3, ls="--", label="its country's cities")
    left.legend(loc="upper left", fontsize=8, frameon=False)
    span = int(flagged["years_in_decline"].max()) if len(flagged) else 10
    for ax, label, title in (
        (left, "population ÷ population at the peak", ("Population since its peak, and its "
         "country's cities")),
        (right, "metro index ÷ its country's cities index", "Falling behind the country's cities"),
    ):  # fmt: skip
        ax.axhline(1.0, color="black", lw=0.6)
        ax.set(xlim=(0, span * 1.3 + 1), xlabel="years since the metro's peak", ylabel=label)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(
        f"{len(flagged)} Detroit-path metros of >= {min_population:,.0f} people at their peak "
        f"(UN {FIRST_YEAR}-{int(panel['year'].max())}, geoai.roles.decline)",
        fontsize=11.5,
    )
    fig.text(0.01, 0.01, f"Data: {WUP_SOURCE}", fontsize=8, color="0.3")
    fig.tight_layout(rect=(0, 0.035, 1, 0.96))
    return fig
