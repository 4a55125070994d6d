"""The ``geoai warmup`` command: compile every kernel into Numba's on-disk cache."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Annotated

import typer

from geoai.cli._app import _command, _count, _Say

if TYPE_CHECKING:
    from geoai.pipeline._warmup import FamilyResult

__all__ = ["warmup"]


@_command("warmup")
def warmup(
    only: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated kernel families to warm (flows, calibration, potential, "
            "stats, network, scenario); default: all.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes; default: one per family, at most the CPU count."),
    ] = None,
    *,
    say: _Say,
) -> None:
    """Compile the Numba kernels into the cache (NUMBA_CACHE_DIR), so runs start at once."""
    from geoai.pipeline._warmup import cache_dir, families

    if workers is not None:
        _count(workers, "--workers", low=1, high=os.cpu_count() or 1)
    names = families(only.split(",") if only is not None else None)
    t0 = time.perf_counter()
    results = _run(names, workers, say)
    seconds = time.perf_counter() - t0
    where = cache_dir()
    warmed = [r for r in results if not r.skipped]
    skipped = [r.said() for r in results if r.skipped]
    also = f" ({'; '.join(skipped)})" if skipped else ""
    say.show(f"warmed {len(warmed)} kernel families in {seconds:.1f} s{also}; cache: {where}")
    figures = {r.family: round(r.seconds, 3) for r in warmed}
    say.done([], figures, seconds=round(seconds, 3), cache_dir=where)


def _run(names: list[str], workers: int | None, say: _Say) -> list[FamilyResult]:
    """Warm the families with a progress bar (one tick per family) unless quiet."""
    from geoai.pipeline._warmup import warm_up

    if say.quiet:
        return warm_up(names, workers=workers)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from geoai.cli._app import _console

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_console(stderr=say.as_json), transient=False) as bar:
        task = bar.add_task("compiling kernels", total=len(names))

        def tick(result: FamilyResult) -> None:
            bar.console.print(f"[dim]{result.said()}[/dim]")
            bar.advance(task)

        return warm_up(names, workers=workers, on_done=tick)
