"""The ``geoai`` app: shared options, the output helper and the entry point (geoai.cli)."""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import logging
import math
import signal
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from geoai._version import __version__
from geoai.errors import GeoAIError, InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console
    from typer.models import OptionInfo

__all__ = ["app", "main"]  # the commands register in geoai.cli._data and geoai.cli._jobs

#: Integer options are bounded by this much (a top-N beyond a billion is a typo).
_MAX_COUNT = 10**9

app = typer.Typer(
    name="geoai",
    help="Computational geography of the AI economy: metros, flows, potential, roles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_state = {"verbose": False}

#: The options every command takes, added by :func:`_command` (parameter name -> option).
_SHARED = {
    "verbose": typer.Option("-v", "--verbose", help="Show the traceback of an error."),
    "quiet": typer.Option("-q", "--quiet", help="No progress and no tables: only errors."),
    "as_json": typer.Option(
        "--json", help="Print a JSON summary (files written, headline figures), nothing else."
    ),
}


def _overwrite(text: str = "Replace OUTPUT if it exists.") -> OptionInfo:
    """Return the ``--overwrite`` option (``--no-overwrite``, its old twin, still parses)."""
    option: OptionInfo = typer.Option("--overwrite/--no-overwrite", help=text, show_default=False)
    return option


def _console(stderr: bool = False) -> Console:
    """Return a rich console on stdout or stderr; rich loads here, not for ``--help``."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True) if stderr else Console()


def _in_range(
    value: float, option: str, *, low: float = 0.0, above: bool = False, high: float = math.inf
) -> float:
    """Return ``value`` if it is finite and in ``[low, high]`` (``(low, high]`` if ``above``).

    Refused with an :class:`InputError` naming the option (so exit 2, one line), before
    any file is read: NaN, infinities and values out of range.
    """
    bad = not math.isfinite(value) or value < low or value > high or (above and value <= low)
    if bad:
        lo = f"> {low:g}" if above else f">= {low:g}"
        span = lo if high == math.inf else f"{lo} and <= {high:g}"
        raise InputError(f"{option} must be a finite number {span}; got {value!r}.")
    return value


def _count(value: int, option: str, *, low: int = 0, high: int = _MAX_COUNT) -> int:
    """Return the integer option ``value`` if it lies in ``[low, high]``; else refuse it."""
    if not low <= value <= high:
        shown = value if abs(value) < 10**30 else f"a number of {value.bit_length()} bits"
        raise InputError(f"{option} must be a whole number from {low} to {high:,}; got {shown}.")
    return value


def _one_of(value: str, allowed: tuple[str, ...], option: str) -> str:
    """Return ``value`` if it is one of ``allowed``; else refuse it with a did-you-mean."""
    if value not in allowed:
        close = difflib.get_close_matches(value.lower(), allowed, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise InputError(f"{option} {shown!r}: choose one of {', '.join(allowed)}.{hint}")
    return value


def _fail(exc: GeoAIError) -> None:
    """Print a geoai error as one line on stderr."""
    from rich.markup import escape

    _console(stderr=True).print(f"[bold red]error:[/bold red] {escape(str(exc))}")


def _plain(value: object) -> object:
    """Return ``value`` in JSON types: numpy scalars as Python's, NaN as null, paths as str."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy / pandas scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class _Say:
    """Where a command's words go: lines and tables, a JSON summary, or nothing but errors.

    Parameters
    ----------
    command : str
        The command's name, the ``command`` of the JSON summary.
    quiet : bool
        ``--quiet``: no progress, no lines, no tables.
    as_json : bool
        ``--json``: only the JSON summary on stdout (progress, if any, on stderr).
    """

    def __init__(self, command: str, *, quiet: bool, as_json: bool) -> None:
        self.command, self.quiet, self.as_json = command, quiet, as_json
        self.human = not (quiet or as_json)  # lines and tables go to stdout

    def show(self, item: object, *, markup: bool = False) -> None:
        """Print a line (escaped unless ``markup``) or a rich table for a reader."""
        if self.human:
            from rich.markup import escape

            _console().print(escape(item) if isinstance(item, str) and not markup else item)

    def progress(self, text: str) -> None:
        """Print a dim progress line: on stdout, on stderr under ``--json``, not if quiet."""
        if not self.quiet:
            from rich.markup import escape

            _console(stderr=self.as_json).print(f"[dim]{escape(text)}[/dim]")

    def table(self, title: str, columns: list[str], rows: list[list[str]]) -> None:
        """Print a table for a reader; a column named ``">name"`` is right-justified."""
        if self.human:
            from rich.markup import escape
            from rich.table import Table

            t = Table(title=title)
            for col in columns:
                t.add_column(col.lstrip(">"), justify="right" if col[0] == ">" else "left")
            for row in rows:
                t.add_row(*map(escape, row))
            _console().print(t)

    def files(self, out: Path, files: list[Path]) -> None:
        """Print the files written under ``out`` with their sizes (KiB)."""
        rows = [[str(p.relative_to(out)), f"{p.stat().st_size / 1024:,.0f} KiB"] for p in files]
        self.table(f"Written to {out}", ["file", ">size"], rows)

    def done(self, written: list[Path], figures: dict[str, Any], **extra: object) -> None:
        """Under ``--json``, print what was written (path, bytes) and the headline figures."""
        if self.as_json:
            files = [{"path": p, "bytes": p.stat().st_size} for p in written if p.is_file()]
            doc = {"command": self.command, "geoai": __version__, **extra}
            doc |= {"written": files, "figures": figures}
            sys.stdout.write(json.dumps(_plain(doc), allow_nan=False, ensure_ascii=False) + "\n")
            sys.stdout.flush()


def _command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command with the shared options; it gets a :class:`_Say` as ``say``.

    geoai errors print one line and exit 2 here (so also off :func:`main`);
    ``-v`` (or ``geoai -v``) re-raises them with the traceback; ``-q``
    silences log notes and warnings while the command runs.
    """

    def register(func: Callable[..., None]) -> Callable[..., None]:
        sig = inspect.signature(func, eval_str=True)
        own = [p for p in sig.parameters.values() if p.name != "say"]
        kw = inspect.Parameter.KEYWORD_ONLY
        shared = [
            inspect.Parameter(k, kw, default=False, annotation=Annotated[bool, option])
            for k, option in _SHARED.items()
        ]

        @functools.wraps(func)
        def wrapper(
            *args: object,
            verbose: bool = False,
            quiet: bool = False,
            as_json: bool = False,
            **kw: object,
        ) -> None:
            _state["verbose"] = _state["verbose"] or verbose
            logger = logging.getLogger("geoai")
            level = logger.level
            try:
                with warnings.catch_warnings():
                    if quiet:  # only errors: no log notes, no warnings
                        logger.setLevel(logging.ERROR)
                        warnings.simplefilter("ignore")
                    func(*args, say=_Say(name, quiet=quiet, as_json=as_json), **kw)
            except GeoAIError as exc:
                if _state["verbose"]:
                    raise
                _fail(exc)
                raise typer.Exit(2) from None
            finally:
                logger.setLevel(level)

        wrapper.__signature__ = sig.replace(parameters=[*own, *shared])  # type: ignore[attr-defined]
        app.command(name)(wrapper)
        return func

    return register


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"geoai {__version__}\n")
        raise typer.Exit


@app.callback()
def _root(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks (any command).")
    ] = False,
    version: Annotated[  # noqa: ARG001 - read by its eager callback, _print_version
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    _state["verbose"] = verbose


def _terminated(signum: int, _frame: object) -> None:
    """Turn SIGTERM into SystemExit so staged outputs are cleaned up on the way out."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point: run the app, turning geoai errors into one-line messages (exit 2)."""
    from geoai._scheduler import passive_waits

    passive_waits()  # before any OpenMP runtime starts (see there)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        try:
            app()
        except GeoAIError as exc:
            if _state["verbose"]:
                raise
            _fail(exc)
            sys.exit(2)
    except SystemExit as done:  # every ending but an uncaught error (its traceback: the usual way)
        from geoai._scheduler import leave

        leave(done.code)
