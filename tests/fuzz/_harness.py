"""The fuzz suite's contract: a public call returns a valid result or raises a geoai error.

Every family's fuzz test draws valid *and* invalid arguments and passes the
call through :func:`outcome`. A :class:`~geoai.errors.GeoAIError` is an
accepted answer to bad input; any other exception fails the test with the
arguments that caused it. :func:`assert_numbers` then checks what the docs
promise of a result (finite numbers, where they promise numbers).

``FUZZ`` gives each family's test 300 examples in ``make test`` (derandomised
by the ``ci`` profile of ``tests/conftest.py``, so CI draws the same cases);
``HYPOTHESIS_PROFILE=explore FUZZ_EXAMPLES=5000`` runs a longer fuzz by hand.

With ``GEOAI_FUZZ_REPORT=DIR`` every process writes to ``DIR`` how each call
ended (a result, or which geoai error), by the function's package:
``benchmarks/reliability.py`` turns that into the README's table.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from geoai.errors import GeoAIError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["FUZZ", "FUZZ_EXAMPLES", "assert_numbers", "junk", "numbers", "outcome", "sizes"]

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


_TALLY: Counter[tuple[str, str]] = Counter()


def _family(fn: Callable[..., Any]) -> str:
    """The package a function belongs to (``geoai.potential._surface`` -> ``potential``).

    A callable from elsewhere (a dataclass's ``__init__``, a lambda in a test)
    counts for the family of the fuzz file that calls it (``test_fuzz_roles``).
    """
    parts = str(getattr(fn, "__module__", "") or "").split(".")
    if len(parts) > 1 and parts[0] == "geoai":
        return parts[1].lstrip("_")
    caller = str(sys._getframe(2).f_globals.get("__name__", ""))  # the fuzz file calling
    return caller.rsplit("test_fuzz_", 1)[-1] if "test_fuzz_" in caller else "other"


def _write_tally() -> None:
    folder = os.environ.get("GEOAI_FUZZ_REPORT")
    if folder and _TALLY:
        rows = [[fam, kind, n] for (fam, kind), n in sorted(_TALLY.items())]
        path = os.path.join(folder, f"fuzz-{os.getpid()}.json")  # noqa: PTH118 - a plain name
        with open(path, "w", encoding="utf-8") as f:  # noqa: PTH123 - written at exit
            json.dump(rows, f)


atexit.register(_write_tally)


class Refused:
    """The call raised a geoai error (an accepted answer to bad input)."""

    def __init__(self, error: GeoAIError) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"Refused({type(self.error).__name__}: {self.error})"


def outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; return its result, or :class:`Refused` for a geoai error.

    Any other exception is re-raised as an ``AssertionError`` that names the
    function, the exception and the arguments, so hypothesis shows a minimal
    failing case. A geoai error must also carry a message (the fix).
    """
    try:
        result = fn(*args, **kwargs)
    except GeoAIError as exc:
        refused = Refused(exc)
        _TALLY[_family(fn), type(exc).__name__] += 1
    except Exception as exc:
        shown = ", ".join([*map(_short, args), *(f"{k}={_short(v)}" for k, v in kwargs.items())])
        raise AssertionError(
            f"{fn.__qualname__}({shown}) raised {type(exc).__name__}: {exc}"
        ) from exc
    else:
        _TALLY[_family(fn), "result"] += 1
        return result
    message = str(refused.error).strip()
    assert message, f"{fn.__qualname__} raised {type(refused.error).__name__} with no message"
    return refused


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int past the 4,300-digit limit of int -> str
        return f"<int of about {int(value.bit_length() * 0.30103)} digits>"
    return text if len(text) < 120 else text[:117] + "..."


def assert_numbers(values: Any, what: str, *, allow_nan: bool = False) -> None:
    """Assert ``values`` (array-like or scalar) are real numbers, finite unless ``allow_nan``."""
    arr = np.asarray(values)
    assert arr.dtype.kind in "fiub", f"{what} has dtype {arr.dtype}, not numbers"
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) if not allow_nan else np.isinf(arr)
        assert not bad.any(), f"{what} has {int(bad.sum())} non-finite values of {arr.size}"


def numbers(*, good: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[Any]:
    """A scalar parameter: usually ``good`` values, sometimes anything a user might pass."""
    base = good if good is not None else st.floats(0.01, 10.0)
    return st.one_of(base, base, base, junk())


def junk() -> st.SearchStrategy[Any]:
    """Values a careless or hostile caller passes where a number is expected."""
    return st.sampled_from(
        [
            math.nan,
            math.inf,
            -math.inf,
            -1,
            -1.5,
            0,
            0.0,
            1e308,
            -1e308,
            10**5000,
            2.7,
            True,
            None,
            "2",
            "abc",
            [1, 2],
            (),
            np.nan,
            np.int64(-3),
            np.float32(np.inf),
            complex(1, 2),
        ]
    )


def sizes(max_n: int = 12) -> st.SearchStrategy[int]:
    """Small input sizes, 0 and 1 included (edge cases every function must handle)."""
    return st.integers(0, max_n)
