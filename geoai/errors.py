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
    "ResourceError",
]


class GeoAIError(Exception):
    """Base class of every error raised by geoai.

    Examples
    --------
    One ``except`` catches every geoai error, whatever its kind:

    >>> import geoai
    >>> try:
    ...     geoai.Grid.from_bounds((0, 0, 1, 1), -1, crs="EPSG:4326")
    ... except geoai.GeoAIError as exc:
    ...     print(type(exc).__name__)
    InputError
    """


class InputError(GeoAIError, ValueError):
    """An argument has the wrong shape, type, range or content.

    Examples
    --------
    The message names the argument and what it should be; ``except ValueError`` catches it:

    >>> import geoai
    >>> try:
    ...     geoai.Grid.from_bounds((0, 0, 1, 1), -1, crs="EPSG:4326")
    ... except ValueError as exc:
    ...     print(exc)
    resolution must be finite and > 0; got -1.
    """


class CRSError(InputError):
    """A coordinate reference system is missing, mismatched or of the wrong kind.

    Examples
    --------
    Bounds in metres given with a longitude/latitude CRS:

    >>> import geoai
    >>> try:
    ...     geoai.Grid.from_bounds((0, 0, 500_000, 500_000), 1000, crs="EPSG:4326")
    ... except geoai.CRSError as exc:
    ...     print(isinstance(exc, geoai.InputError), "projected CRS" in str(exc))
    True True
    """


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

    Examples
    --------
    A doubly-constrained model allowed a single Furness sweep:

    >>> import numpy as np, geoai
    >>> cost = np.array([[1.0, 10.0, 30.0], [10.0, 1.0, 20.0], [30.0, 20.0, 1.0]])
    >>> try:
    ...     geoai.flows.interaction([100, 50, 20], [60, 60, 50], cost, decay="exponential",
    ...                             beta=0.1, constraint="doubly", max_iter=1)
    ... except geoai.ConvergenceError as exc:
    ...     print(exc.n_iter, exc.residual > 1e-8)
    1 True
    """

    def __init__(
        self, message: str, *, residual: float | None = None, n_iter: int | None = None
    ) -> None:
        super().__init__(message)
        self.residual = residual
        self.n_iter = n_iter


class ResourceError(GeoAIError, MemoryError):
    """A call would need more memory than the budget allows, so it was refused up front.

    Functions that allocate in proportion to their input estimate their peak
    first; the message gives the estimate, the budget (50 % of the available
    memory, or the environment variable ``GEOAI_MEMORY_BUDGET``: ``"8GiB"``,
    ``"500MB"``, ``"0.8"``) and the alternative (a matrix-free path,
    ``method="dask"``, a coarser grid). It is a ``MemoryError``.

    Parameters
    ----------
    message : str
        What needs how much, the budget, and what to do instead.
    need_bytes : int, optional
        The estimated peak memory (bytes).
    budget_bytes : int, optional
        The budget it exceeded (bytes).

    Examples
    --------
    A grid of 10^18 cells costs nothing as metadata, but not as an array:

    >>> import geoai
    >>> huge = geoai.Grid.from_bounds((0, 0, 1e9, 1e9), 1.0, crs="EPSG:3035")
    >>> try:
    ...     huge.to_xarray()
    ... except MemoryError as exc:
    ...     print(type(exc).__name__, exc.need_bytes > exc.budget_bytes)
    ResourceError True
    """

    def __init__(
        self, message: str, *, need_bytes: int | None = None, budget_bytes: int | None = None
    ) -> None:
        super().__init__(message)
        self.need_bytes = need_bytes
        self.budget_bytes = budget_bytes


class OutputError(GeoAIError, OSError):
    """The outputs could not be written, and nothing the user had was lost.

    Raised when another geoai run holds the output folder, or when the file
    system fails while a run moves its files in (a full disk, a permission
    taken away during the run): the previous outputs are then restored
    before the error is raised. It is an ``OSError``.

    Examples
    --------
    >>> import geoai
    >>> issubclass(geoai.OutputError, OSError)
    True
    """


class GeoAIWarning(UserWarning):
    """Base class of every warning issued by geoai: a result is valid but weaker than asked.

    Examples
    --------
    Silence (or escalate) every geoai warning at once with the ``warnings`` filters:

    >>> import warnings, geoai
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", geoai.GeoAIWarning)
    ...     metros = geoai.load_metros(min_population=1_000_000)
    ...     try:
    ...         geoai.stats.local_moran(metros, "gdp_pc_usd", permutations=9)
    ...     except geoai.GeoAIWarning as warning:
    ...         print(type(warning).__name__)
    PermutationWarning
    """


class BackendUnavailableError(GeoAIError, ImportError):
    """An optional dependency (an extra) needed for this call is not installed.

    Examples
    --------
    It is an ``ImportError``, so code that guards an optional import keeps working:

    >>> import geoai
    >>> issubclass(geoai.BackendUnavailableError, ImportError)
    True
    >>> try:
    ...     raise geoai.BackendUnavailableError("plots need matplotlib: pip install 'geoai[viz]'")
    ... except ImportError as exc:
    ...     print(exc)
    plots need matplotlib: pip install 'geoai[viz]'
    """
