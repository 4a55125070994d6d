"""Verdicts of the role rules, filled rule by rule, and the number formats of their reasons."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from numpy.typing import ArrayLike

    from geoai._typing import BoolArray, FloatArray, IntArray

__all__ = ["Verdicts", "pct", "signed_pct", "strength", "times"]


class Verdicts:
    """Role, score and reasons per metro, filled rule by rule (the first rule wins).

    Parameters
    ----------
    n : int
        Number of metros.

    Attributes
    ----------
    role : numpy.ndarray of object, shape (n,)
        The role given ("" while open).
    score : numpy.ndarray of float64, shape (n,)
        Strength of the evidence for the role given, in [0, 1].
    reasons : list of list of str
        Per metro, the reasons of its role, in the order found.
    why_not : list of list of str
        Per metro, why each rule that was tried did not fire (with numbers);
        they become the reasons of ``stable``.
    near : numpy.ndarray of float64, shape (n,)
        Per metro, the strongest evidence found for a rule that did not fire,
        in [0, 1] (``stable`` scores ``1 - near``).
    """

    def __init__(self, n: int) -> None:
        self.role = np.full(n, "", dtype=object)
        self.score = np.zeros(n)
        self.reasons: list[list[str]] = [[] for _ in range(n)]
        self.why_not: list[list[str]] = [[] for _ in range(n)]
        self.near = np.zeros(n)

    def open(self) -> BoolArray:
        """Mask of the metros no rule has claimed yet, shape (n,)."""
        return np.asarray(self.role == "")

    def give(self, i: int, role: str, score: float, *reasons: str) -> None:
        """Give metro position ``i`` its role, score and reasons."""
        self.give_all(np.array([i]), role, score, [reasons])

    def miss(self, i: int, evidence: float, text: str) -> None:
        """Record that a rule did not fire for metro position ``i``, how near it came and why."""
        self.miss_all(np.array([i]), evidence, [text])

    def give_all(
        self, idx: IntArray, role: str, score: ArrayLike, reasons: Iterable[Iterable[str]]
    ) -> None:
        """Apply :meth:`give` to the metros at positions ``idx`` (shape (m,)) at once.

        ``score`` is one score or one per metro (shape (m,)); ``reasons`` one
        sequence of reasons per metro (m of them; empty strings are dropped).
        """
        pos = np.asarray(idx, dtype=np.intp)
        self.role[pos] = role
        self.score[pos] = np.clip(np.asarray(score, dtype=np.float64), 0.0, 1.0)
        for i, words in zip(pos.tolist(), reasons, strict=True):
            self.reasons[i].extend(r for r in words if r)

    def miss_all(self, idx: IntArray, evidence: ArrayLike, texts: Sequence[str]) -> None:
        """Apply :meth:`miss` to the metros at positions ``idx`` (shape (m,)) at once.

        ``evidence`` is one value or one per metro (shape (m,)); ``texts``
        one text per metro (m of them; empty ones are not recorded).
        """
        pos = np.asarray(idx, dtype=np.intp)
        ev = np.broadcast_to(np.asarray(evidence, dtype=np.float64), pos.shape)
        ok = np.isfinite(ev)
        self.near[pos[ok]] = np.maximum(self.near[pos[ok]], np.clip(ev[ok], 0.0, 1.0))
        for i, text in zip(pos.tolist(), texts, strict=True):
            if text:
                self.why_not[i].append(text)


def strength(x: ArrayLike, bar: ArrayLike) -> FloatArray:
    """``x / (x + bar)`` for amounts ``x >= 0``: 0 with none, 0.5 at the bar, towards 1 beyond.

    The same scale as :func:`geoai.roles.decline`'s ``detroit_score``, so that
    a rule's score is >= 0.5 exactly when each of its conditions holds.
    """
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    bar = np.asarray(bar, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(np.isinf(x), 1.0, x / (x + bar))
    return np.where(np.isfinite(out), out, np.where(x > 0, 1.0, 0.0))


def pct(share: float) -> str:
    """Format a share as a percentage with enough digits: 0.047 -> '4.7 %', 0.0031 -> '0.31 %'."""
    value = 100.0 * float(share)
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 10:
        return f"{value:.0f} %"
    if abs(value) >= 1 or value == 0:
        return f"{value:.1f} %"
    if abs(value) >= 0.01:
        return f"{value:.2f} %"
    return f"{value:.2g} %"


def signed_pct(change: float) -> str:
    """Format a relative change with its sign: -0.157 -> '−15.7 %', 0.01 -> '+1.0 %'."""
    if not math.isfinite(change):
        return pct(change)
    if abs(change) < 5e-5:  # rounding noise of a flat series
        return "±0.0 %"
    return ("−" if change < 0 else "+") + pct(abs(change))


def times(ratio: float) -> str:
    """Format a ratio as a multiple: 3.21 -> '3.2×', 1.18 -> '1.18×', 0.046 -> '0.046×'."""
    r = float(ratio)
    if not math.isfinite(r):
        return "n/a"
    if r >= 10:
        return f"{r:.0f}×"
    if r >= 2:
        return f"{r:.1f}×"
    return f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"
