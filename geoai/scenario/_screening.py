"""The result of :func:`geoai.scenario.screen`: the runs, influences and ranking of a screening.

Kept apart from the screening itself (:mod:`geoai.scenario.sensitivity`, which re-exports it) so
each module stays short.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from geoai import _validate as v

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Screening"]


@dataclass
class Screening:
    """The result of :func:`screen`.

    Attributes
    ----------
    preset : str
        The preset screened.
    delta : float
        Relative perturbation (0.2 = ±20 %).
    design : pandas.DataFrame
        The runs given to :func:`sweep`: one row per run (``"base"``, then
        ``"<parameter> -"`` and ``"<parameter> +"``), one column per screened
        parameter (and per fixed override), actual values.
    runs : pandas.DataFrame
        Per run: ``parameter``, ``side`` (-1, 0, +1), ``requested`` and
        ``value`` (the parameter's value asked for and run) and ``clipped``.
    summary : pandas.DataFrame
        Every run's headline figures (rows as ``design``).
    units : pandas.Series
        Unit of every figure.
    influence : pandas.DataFrame
        Parameters × figures: the dimensionless influence ``I(p, m)``.
    score : pandas.Series
        Overall influence per parameter, highest first.
    skipped : dict
        Parameters not screened, with the reason.
    aggregate : str
        ``"mean_rank"`` or ``"max"`` (see the module docstring).
    start : int
        First year of every run.
    end : int
        Last year of every run.
    seed : int
        Seed of every run (common random numbers).
    method : str
        One sentence describing the screening, for reports.

    Examples
    --------
    >>> import geoai
    >>> s = geoai.scenario.screen("baseline", parameters=["ai_pool_max", "mobility"], end=2027,
    ...                           metros=geoai.load_metros(10_000_000), scheduler="sync")
    >>> s.design.index.tolist()
    ['base', 'ai_pool_max -', 'ai_pool_max +', 'mobility -', 'mobility +']
    >>> s.influence.shape[0], bool(s.score.is_monotonic_decreasing)
    (2, True)
    """

    preset: str
    delta: float
    design: pd.DataFrame
    runs: pd.DataFrame
    summary: pd.DataFrame
    units: pd.Series
    influence: pd.DataFrame
    score: pd.Series
    skipped: dict[str, str] = field(default_factory=dict)
    aggregate: str = "mean_rank"
    start: int = 2025
    end: int = 2050
    seed: int = 0
    method: str = ""

    def top(self, k: int = 3) -> list[str]:
        """Return the ``k`` most influential parameters (fewer if fewer have any effect).

        Parameters
        ----------
        k : int, default 3
            How many parameters, >= 1.

        Returns
        -------
        list of str
            Parameter names, most influential first.

        Examples
        --------
        >>> import geoai
        >>> s = geoai.scenario.screen("baseline", parameters=["ai_pool_max", "mobility"], end=2027,
        ...                           metros=geoai.load_metros(10_000_000), scheduler="sync")
        >>> s.top(1) == s.top()[:1], len(s.top(5)) <= 2
        (True, True)
        """
        n = v.check_integer(k, "k", minimum=1)
        return [str(p) for p in self.score[self.score > 0].index[:n]]
