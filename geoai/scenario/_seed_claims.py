"""The records of :mod:`geoai.scenario.seeds`: a seed's claim, the model's figure, the runs.

Kept apart from the claims themselves so each module stays short; :class:`SeedClaim` is
re-exported by :mod:`geoai.scenario.seeds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from geoai.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from geoai.scenario.simulation import Simulation

__all__ = ["Context", "Figure", "SeedClaim"]


@dataclass(frozen=True)
class Figure:
    """The model's side of a claim.

    Attributes
    ----------
    value : float
        The figure as a number (NaN when it cannot be computed).
    unit : str
        Its unit (``"jobs"``, ``"metros"``, ``"share of GDP"``, ...).
    text : str
        The figure as a sentence, with unit, preset and year.
    note : str, default ""
        A reading or caveat appended to the claim's note.
    """

    value: float
    unit: str
    text: str
    note: str = ""


@dataclass(frozen=True)
class SeedClaim:
    """One quantitative claim of a seed, as written, and how the model's figure is computed.

    Attributes
    ----------
    seed : str
        The seed document (``"000"``, ``"001"`` or ``"002"``).
    claim : str
        A short quote of the claim (at most about 12 words).
    as_written : str
        The seed's figure or arithmetic, recomputed as written.
    seed_says : str
        The result the seed states.
    note : str
        Readings that would make the figure consistent, labelled as readings.
    model : callable
        Computes the model's figure from the simulations (a :class:`Context`).
    preset : str or None, default None
        The preset whose simulation the model's figure needs, if any.

    Examples
    --------
    >>> from geoai.scenario.seeds import CLAIMS
    >>> first = CLAIMS[0]
    >>> first.seed, first.preset, first.seed_says.startswith("5 million")
    ('000', 'concentration', True)
    """

    seed: str
    claim: str
    as_written: str
    seed_says: str
    note: str
    model: Callable[[Context], Figure]
    preset: str | None = None


@dataclass
class Context:
    """What a claim's model figure is computed from: the simulations and the countries.

    Attributes
    ----------
    sims : dict of str to Simulation
        ``{preset: Simulation}``.
    countries : pandas.DataFrame
        Indexed by ISO3.
    """

    sims: dict[str, Simulation]
    countries: pd.DataFrame

    def first(self) -> Simulation | None:
        """Return the first simulation, or None if there is none."""
        return next(iter(self.sims.values()), None)

    def sim(self, name: str | None) -> Simulation:
        """Return the simulation of preset ``name`` (None: the first one).

        A claim's figure is computed only when its preset was simulated
        (:func:`geoai.scenario.seed_arithmetic` checks), so a missing one is refused.
        """
        found = self.first() if name is None else self.sims.get(name)
        if found is None:
            what = "any preset" if name is None else f"preset {name!r}"
            raise InputError(f"no simulation of {what} was given; simulate it first.")
        return found
