"""Presets side by side: a table of headline figures and a figure over time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geoai._optional import optional
from geoai.scenario._checks import check_simulations

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from geoai.scenario.simulation import Simulation

__all__ = ["compare", "compare_figure"]


def _by_name(sims: object) -> dict[str, Simulation]:
    from geoai.scenario.simulation import Simulation

    return check_simulations(sims, Simulation)


def compare(sims: Sequence[Simulation] | dict[str, Simulation]) -> pd.DataFrame:
    """Headline figures of several simulations, one column per preset.

    Parameters
    ----------
    sims : list of Simulation or dict of str to Simulation
        The simulations; a list is keyed by each one's ``preset``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``metric``: ``unit``, then one column of values per preset.

    Examples
    --------
    >>> import geoai
    >>> metros = geoai.load_metros(10_000_000)
    >>> sims = [geoai.scenario.simulate(preset=p, end=2027, classify_roles=False, metros=metros)
    ...         for p in ("baseline", "exodus")]
    >>> compare(sims).columns.tolist()
    ['unit', 'baseline', 'exodus']
    """
    summaries = {k: s.summary() for k, s in _by_name(sims).items()}
    table = pd.concat({k: t["value"] for k, t in summaries.items()}, axis=1)
    table.insert(0, "unit", next(iter(summaries.values()))["unit"])
    return table


def compare_figure(sims: Sequence[Simulation] | dict[str, Simulation]) -> Figure:
    """Top-5 share of AI roles over time and role counts, per preset (matplotlib).

    Parameters
    ----------
    sims : list of Simulation or dict of str to Simulation
        The simulations, with roles classified (``classify_roles=True``).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: the top-5 share of AI-leveraged roles by year, and the final-year
        metros by role, one bar per preset.

    Raises
    ------
    BackendUnavailableError
        matplotlib (the ``viz`` extra) is not installed.

    Examples
    --------
    >>> import geoai, matplotlib.pyplot as plt
    >>> sim = geoai.scenario.simulate(preset="exodus", end=2027,
    ...                               metros=geoai.load_metros(10_000_000))
    >>> fig = compare_figure([sim])
    >>> [ax.get_title() for ax in fig.axes]
    ['Concentration of AI roles (modelled)', 'Final-year roles']
    >>> plt.close(fig)
    """
    plt = optional("matplotlib.pyplot", "compare_figure")

    from geoai.viz import ATTRIBUTION, ROLE_COLOURS

    named = _by_name(sims)
    fig: Figure
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    for name, sim in named.items():
        years = sorted(sim.panel["year"].unique())
        left.plot(years, [sim.top_share(5, y) for y in years], marker=".", label=name)
    left.set_xlabel("year")
    left.set_ylabel("share of AI-leveraged roles in the top 5 metros")
    left.set_ylim(0, 1)
    left.grid(color="#dddddd")
    left.legend(title="preset")
    left.set_title("Concentration of AI roles (modelled)")
    counts = (
        pd.DataFrame({k: s.roles["role"].astype(str).value_counts() for k, s in named.items()})
        .reindex(list(ROLE_COLOURS))
        .fillna(0)
    )
    bottom = pd.Series(0.0, index=counts.columns)
    for role, colour in ROLE_COLOURS.items():
        right.bar(
            counts.columns,
            counts.loc[role],
            bottom=bottom,
            color=colour,
            label=role,
            edgecolor="#404040",
            linewidth=0.3,
        )
        bottom += counts.loc[role]
    right.set_ylabel("metros")
    right.set_title("Final-year roles")
    right.legend(fontsize=8)
    fig.text(
        1.0,
        0.0,
        ATTRIBUTION + "; all values modelled (assumptions)",
        ha="right",
        va="bottom",
        fontsize=7,
        color="#555555",
    )
    return fig
