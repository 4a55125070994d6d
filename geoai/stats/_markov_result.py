"""The result of :func:`geoai.stats.spatial_markov`: class paths, matrices and tests.

Kept apart from the estimation (:mod:`geoai.stats._markov`) so each module stays short; the
class is re-exported there and from :mod:`geoai.stats`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from geoai._typing import FloatArray, IntArray
    from geoai.stats._weights import SpatialWeights

__all__ = ["SpatialMarkov"]


@dataclass(frozen=True, eq=False)
class SpatialMarkov:
    """Classic and spatial Markov chains of a balanced panel (``n`` metros, ``t`` years).

    Field names follow giddy's ``Spatial_Markov`` (``p``, ``P``, ``T``,
    ``transitions``, ``LR``, ``Q``, ...).

    Attributes
    ----------
    metro_ids : numpy.ndarray of object, shape (n,)
        Metros, sorted; the rows of every ``(n, t)`` array.
    years : numpy.ndarray of int64, shape (t,)
        Years, increasing and evenly spaced; the columns.
    value : str
        The panel column that was discretised.
    relative : bool
        Whether :attr:`y` is the value divided by the year's mean.
    y : numpy.ndarray, shape (n, t)
        The discretised variable: the value, or the value over the mean of
        its year across the ``n`` metros (dimensionless) when ``relative``.
    lag : numpy.ndarray, shape (n, t)
        Spatial lag of :attr:`y`: mean of the ``neighbours`` nearest metros.
    classes : numpy.ndarray of int64, shape (n, t)
        Class of :attr:`y`, 0 (lowest) to ``k - 1``: each metro's class path.
    lag_classes : numpy.ndarray of int64, shape (n, t)
        Class of :attr:`lag`, 0 to ``k - 1``.
    cutoffs : numpy.ndarray, shape (k - 1,)
        Upper bounds of classes 0 to ``k - 2`` of :attr:`y` (pooled quantiles; class ``c`` is
        ``cutoffs[c - 1] < y <= cutoffs[c]``), in the units of :attr:`y`.
    lag_cutoffs : numpy.ndarray, shape (k - 1,)
        The same for :attr:`lag`.
    transitions : numpy.ndarray of int64, shape (k, k)
        Move counts ``[from, to]`` over all ``n * (t - 1)`` moves (a class that
        ties leave empty keeps a zero row and column; giddy's ``p`` drops it).
    p : numpy.ndarray, shape (k, k)
        Classic transition probabilities (rows of classes never left are 0).
    T : numpy.ndarray of int64, shape (k, k, k)
        Move counts ``[lag class, from, to]``, lag class at the start.
    P : numpy.ndarray, shape (k, k, k)
        Transition probabilities conditioned on the lag class.
    steady_state : numpy.ndarray, shape (k,)
        Long-run class shares of :attr:`p` (NaN where not unique).
    lag_steady_states : numpy.ndarray, shape (k, k)
        Long-run class shares of each ``P[l]``, one row per lag class (a row
        is NaN where not unique, see :func:`steady_state`).
    LR : float
        Likelihood-ratio statistic of spatial dependence (the conditional
        matrices differ from the classic one).
    LR_p_value : float
        Its chi-square p-value.
    Q : float
        Q (Pearson chi-square) statistic of the same hypothesis.
    Q_p_value : float
        Its chi-square p-value.
    dof : int
        Degrees of freedom of both tests (giddy's ``dof_hom``).
    weights : SpatialWeights
        The KNN great-circle weights used for the lag (ids = :attr:`metro_ids`).

    Examples
    --------
    The 74 UN agglomerations that reached 5 million people by 2015, every 5 years from 1950,
    in 3 classes:

    >>> import numpy as np, geoai
    >>> panel = geoai.load_metro_panel(1950, 2015, min_population=5_000_000)
    >>> sm = geoai.stats.spatial_markov(panel, years=range(1950, 2016, 5), k=3, neighbours=4)
    >>> sm.classes.shape == (len(sm.metro_ids), len(sm.years)), sm.T.shape
    (True, (3, 3, 3))
    >>> int(sm.transitions.sum()) == len(sm.metro_ids) * (len(sm.years) - 1)
    True
    """

    metro_ids: NDArray[np.object_]
    years: IntArray
    value: str
    relative: bool
    y: FloatArray
    lag: FloatArray
    classes: IntArray
    lag_classes: IntArray
    cutoffs: FloatArray
    lag_cutoffs: FloatArray
    transitions: IntArray
    p: FloatArray
    T: IntArray
    P: FloatArray
    steady_state: FloatArray
    lag_steady_states: FloatArray
    LR: float
    LR_p_value: float
    Q: float
    Q_p_value: float
    dof: int
    weights: SpatialWeights

    @property
    def k(self) -> int:
        """Number of classes."""
        return int(self.p.shape[0])

    def summary(self) -> pd.DataFrame:
        """One row per regime: all moves, then each lag class.

        Returns
        -------
        pandas.DataFrame
            Index ``regime`` (``"all"``, ``"lag 0"``, ..., ``"lag k-1"``);
            columns ``moves`` (count), ``stay``, ``up`` and ``down`` (shares
            of the moves that keep, raise or lower the class; NaN without
            moves) and ``steady_0`` ... ``steady_{k-1}`` (long-run shares).
            ``attrs`` holds ``LR``, ``LR_p_value``, ``Q``, ``Q_p_value`` and
            ``dof``.

        Examples
        --------
        >>> import geoai
        >>> panel = geoai.load_metro_panel(1950, 2015, min_population=5_000_000)
        >>> sm = geoai.stats.spatial_markov(panel, years=range(1950, 2016, 5), k=3, neighbours=4)
        >>> table = sm.summary()
        >>> table.index.tolist()
        ['all', 'lag 0', 'lag 1', 'lag 2']
        >>> bool((table["moves"].iloc[1:].sum() == table["moves"].iloc[0]))
        True
        >>> bool(((table["stay"] + table["up"] + table["down"]).round(12) == 1).all())
        True
        """
        counts = np.concatenate((self.transitions[None], self.T)).astype(np.float64)
        total = counts.sum(axis=(1, 2))
        upper = np.triu(np.ones((self.k, self.k), dtype=bool), 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = {
                "stay": np.trace(counts, axis1=1, axis2=2) / total,
                "up": counts[:, upper].sum(axis=1) / total,
                "down": counts[:, upper.T].sum(axis=1) / total,
            }
        steady = np.vstack((self.steady_state, self.lag_steady_states))
        table = pd.DataFrame(
            {"moves": total.astype(np.int64), **shares}
            | {f"steady_{c}": steady[:, c] for c in range(self.k)},
            index=pd.Index(["all"] + [f"lag {c}" for c in range(self.k)], name="regime"),
        )
        table.attrs = {a: getattr(self, a) for a in ("LR", "LR_p_value", "Q", "Q_p_value", "dof")}
        return table

    def homogeneity(self) -> pd.DataFrame:
        """Tabulate the two tests of spatial dependence.

        Returns
        -------
        pandas.DataFrame
            Rows ``LR`` and ``Q``; columns ``test``, ``statistic``, ``dof``
            and ``p_value``.

        Examples
        --------
        >>> import geoai
        >>> panel = geoai.load_metro_panel(1950, 2015, min_population=5_000_000)
        >>> sm = geoai.stats.spatial_markov(panel, years=range(1950, 2016, 5), k=3, neighbours=4)
        >>> tests = sm.homogeneity()
        >>> tests["test"].tolist(), tests["dof"].tolist()
        (['LR', 'Q'], [8, 8])
        >>> bool(tests["p_value"].between(0, 1).all())
        True
        """
        rows = [("LR", self.LR, self.dof, self.LR_p_value), ("Q", self.Q, self.dof, self.Q_p_value)]
        return pd.DataFrame(rows, columns=["test", "statistic", "dof", "p_value"])

    def paths(self) -> pd.DataFrame:
        """Each metro's class path as a long table.

        Returns
        -------
        pandas.DataFrame
            ``n * t`` rows sorted by ``metro_id`` then ``year``: ``metro_id``,
            ``year``, ``y`` (the discretised variable), ``lag``, ``class``,
            ``lag_class`` and ``next_class`` (class in the next year; -1 in
            the last year).

        Examples
        --------
        >>> import geoai
        >>> panel = geoai.load_metro_panel(1950, 2015, min_population=5_000_000)
        >>> sm = geoai.stats.spatial_markov(panel, years=range(1950, 2016, 5), k=3, neighbours=4)
        >>> paths = sm.paths()
        >>> len(paths) == sm.classes.size
        True
        >>> int((paths["next_class"] == -1).sum()) == len(sm.metro_ids)  # one last year each
        True
        """
        n, t = self.classes.shape
        nxt = np.concatenate((self.classes[:, 1:], np.full((n, 1), -1)), axis=1)
        return pd.DataFrame(
            {
                "metro_id": np.repeat(self.metro_ids, t),
                "year": np.tile(self.years, n),
                "y": self.y.ravel(),
                "lag": self.lag.ravel(),
                "class": self.classes.ravel(),
                "lag_class": self.lag_classes.ravel(),
                "next_class": nxt.ravel(),
            }
        )
