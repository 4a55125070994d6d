"""Exceptions raised by geoai.

Every error derives from :class:`GeoAIError` and from the builtin it
specialises, so ``except ValueError`` keeps working in user code. Messages say
what was expected, what was given, and how to fix it. Warnings derive from
:class:`GeoAIWarning` (a ``UserWarning``).
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailableError",
    "CRSError",
    "ConvergenceError",
    "GeoAIError",
    "GeoAIWarning",
    "InputError",
]


class GeoAIError(Exception):
    """Base class of every error raised by geoai."""


class InputError(GeoAIError, ValueError):
    """An argument has the wrong shape, type, range or content."""


class CRSError(InputError):
    """A coordinate reference system is missing, mismatched or of the wrong kind."""


class ConvergenceError(GeoAIError, RuntimeError):
    """An iterative method (balancing, calibration) did not reach its tolerance.

    Parameters
    ----------
    message : str
        What did not converge and how to fix it.
    residual : float, optional
        The last residual reached, for callers that want to inspect it.
    n_iter : int, optional
        The number of iterations performed.
    """

    def __init__(
        self, message: str, *, residual: float | None = None, n_iter: int | None = None
    ) -> None:
        super().__init__(message)
        self.residual = residual
        self.n_iter = n_iter


class GeoAIWarning(UserWarning):
    """Base class of every warning issued by geoai: a result is valid but weaker than asked."""


class BackendUnavailableError(GeoAIError, ImportError):
    """An optional dependency (an extra) needed for this call is not installed."""
