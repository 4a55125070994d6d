"""Saving a map for print and the web: 300 dpi PNG, SVG and PDF, each written atomically."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Self, cast

from geoai.errors import GeoAIError, InputError
from geoai.viz._canvas import CREDIT_GID
from geoai.viz._png import png_rows, write_rows

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from geoai._typing import PathLike

__all__ = ["FORMATS", "PRINT_DPI", "MapWriter", "save_map"]

#: Resolution of raster exports (dots per inch): print quality.
PRINT_DPI = 300
#: The formats a map is written in by default.
FORMATS = ("png", "svg", "pdf")
#: zlib level of the PNGs (:func:`geoai.viz._png.write_png`, unfiltered rows): a 300 dpi
#: map deflates about as small as Pillow's filtered level 1, in less than half its time.
_PNG_LEVEL = 2


def _figure(fig: Figure | Axes) -> Figure:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    figure = fig.figure if isinstance(fig, Axes) else fig
    if not isinstance(figure, Figure):
        raise GeoAIError("the map was not drawn on a whole figure; cannot save it.")
    return figure


def _credits(fig: Figure) -> str:
    for ax in fig.axes:
        for text in ax.texts:
            if text.get_gid() == CREDIT_GID:
                return str(text.get_text()).replace("\n", " ")
    return ""


def _metadata(fmt: str, title: str, credit: str) -> dict[str, str | None]:
    """Title and credit of the file, in each format's keys (no dates: reproducible files)."""
    if fmt == "png":
        return {"Title": title, "Copyright": credit, "Software": "geoai (matplotlib)"}
    if fmt == "svg":
        return {"Title": title, "Rights": credit, "Creator": "geoai (matplotlib)", "Date": None}
    return {"Title": title, "Subject": credit, "Creator": "geoai (matplotlib)",
            "CreationDate": None}  # fmt: skip


def save_map(
    fig: Figure | Axes,
    path: PathLike,
    *,
    formats: tuple[str, ...] = FORMATS,
    dpi: int = PRINT_DPI,
    overwrite: bool = False,
) -> list[Path]:
    """Write a map as PNG (``dpi``, 300 by default), SVG and PDF beside each other.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or matplotlib.axes.Axes
        The map (an axes stands for its figure).
    path : path-like
        The file without or with a suffix; each format replaces it
        (``maps/roles.png`` → ``maps/roles.png``, ``.svg``, ``.pdf``).
    formats : tuple of str, default ("png", "svg", "pdf")
        Which formats.
    dpi : int, default 300
        Resolution of the PNG (recorded in its pHYs chunk) and of rasters
        embedded in the SVG and PDF.
    overwrite : bool, default False
        Replace files geoai wrote before (see :func:`geoai.io.atomic_path`).

    Returns
    -------
    list of pathlib.Path
        The files written, in ``formats`` order.

    Examples
    --------
    >>> import tempfile, pathlib, geoai, matplotlib.pyplot as plt
    >>> ax = geoai.viz.roles_map(geoai.classify(geoai.load_metros(min_population=5_000_000)))
    >>> files = geoai.viz.save_map(ax, pathlib.Path(tempfile.mkdtemp()) / "roles", dpi=50)
    >>> [f.suffix for f in files]
    ['.png', '.svg', '.pdf']
    >>> plt.close(ax.figure)
    """
    return _save(_figure(fig), Path(path), formats, dpi, overwrite=overwrite, run=_now)


def _now(task: Callable[[], None]) -> None:
    task()


def _save(
    figure: Figure,
    base: Path,
    formats: tuple[str, ...],
    dpi: int,
    *,
    overwrite: bool,
    run: Callable[[Callable[[], None]], None],
) -> list[Path]:
    """:func:`save_map`, the PNG's encoding and writing handed to ``run`` (after the render)."""
    import matplotlib as mpl

    from geoai.io import atomic_path

    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise InputError(f"formats must be some of {list(FORMATS)}; got {list(formats)}.")
    if not (isinstance(dpi, int) and 10 <= dpi <= 2400):
        raise InputError(f"dpi must be a whole number from 10 to 2400; got {dpi!r}.")
    title = next((a.get_title() for a in figure.axes if a.get_title()), base.stem)
    credit = _credits(figure)
    written = []
    with (
        mpl.rc_context({"svg.hashsalt": "geoai", "svg.fonttype": "none", "pdf.fonttype": 42}),
        _laid_out(figure, dpi),
    ):
        for fmt in formats:
            target = base.with_suffix(f".{fmt}")
            if fmt == "png":
                rows, text = _render(figure, dpi), _metadata(fmt, title, credit)
                run(_png_task(rows, target, dpi, text, overwrite=overwrite))
            else:
                with atomic_path(target, overwrite=overwrite) as tmp:
                    figure.savefig(tmp, format=fmt, dpi=dpi, metadata=_metadata(fmt, title, credit))
            written.append(target)
    return written


class MapWriter:
    """:func:`save_map` whose PNGs are deflated and written on a thread, while the next map draws.

    Rendering stays in the caller's thread (matplotlib is not thread-safe);
    only the zlib pass and the file write (about a fifth of a 300 dpi map's
    save) move, through :class:`geoai.io._writes.Writes`. At most two PNGs
    wait at a time (each holds its pixels, 68 MB at 300 dpi). Leaving the
    ``with`` block waits for every file and raises the first error a write
    met (unless another error is already on its way: then the writes are
    only waited for, so that nothing writes into a folder being removed).

    Examples
    --------
    >>> import tempfile, pathlib, geoai, matplotlib.pyplot as plt
    >>> ax = geoai.viz.roles_map(geoai.classify(geoai.load_metros(min_population=5_000_000)))
    >>> with MapWriter() as maps:
    ...     files = maps.save(ax, pathlib.Path(tempfile.mkdtemp()) / "roles", dpi=50)
    >>> [(f.suffix, f.stat().st_size > 0) for f in files]
    [('.png', True), ('.svg', True), ('.pdf', True)]
    >>> plt.close(ax.figure)
    """

    #: PNGs rendered and not yet written, at most.
    WAITING = 2

    def __init__(self) -> None:
        from geoai.io._writes import Writes

        self._writes = Writes(self.WAITING, name="geoai-png")

    def save(
        self,
        fig: Figure | Axes,
        path: PathLike,
        *,
        formats: tuple[str, ...] = FORMATS,
        dpi: int = PRINT_DPI,
        overwrite: bool = False,
    ) -> list[Path]:
        """Save like :func:`save_map`; the PNG is complete when the ``with`` block ends."""
        return _save(
            _figure(fig), Path(path), formats, dpi, overwrite=overwrite, run=self._writes.submit
        )

    def __enter__(self) -> Self:
        self._writes.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self._writes.__exit__(kind, *rest)


def _png_task(
    rows: np.ndarray, target: Path, dpi: int, text: dict[str, str | None], *, overwrite: bool
) -> Callable[[], None]:
    """Return the deflate-and-write step of a rendered PNG (atomic: temp file, then rename)."""

    def task() -> None:
        from geoai.io import atomic_path

        with atomic_path(target, overwrite=overwrite) as tmp, tmp.open("wb") as out:
            write_rows(out, rows, dpi=dpi, text=text, level=_PNG_LEVEL)

    return task


class _Pixels:
    """The file ``savefig(format="rgba")`` writes to: it keeps the renderer's buffer, uncopied."""

    def __init__(self) -> None:
        self.view: memoryview | None = None

    def seek(self, offset: int, whence: int = 0) -> int:  # matplotlib asks for a seekable file
        del offset, whence
        return 0

    def write(self, data: memoryview) -> int:
        self.view = memoryview(data)
        return self.view.nbytes


def _render(figure: Figure, dpi: int) -> np.ndarray:
    """Render the figure with Agg at ``dpi``; return its PNG scanlines (:func:`png_rows`).

    ``savefig(format="rgba")`` renders exactly as a PNG ``savefig`` does
    (the same canvas, face colour and size); only the encoder differs. Its
    pixels are read in place, from the canvas's buffer (alive until the
    figure's next draw), and copied once, into the scanlines.
    """
    import numpy as np

    sink = _Pixels()
    figure.savefig(cast("IO[bytes]", sink), format="rgba", dpi=dpi)
    raw = sink.view if sink.view is not None else memoryview(b"")
    width = int(figure.get_size_inches()[0] * dpi)  # Agg's width: int(inches * dpi)
    height = raw.nbytes // (4 * width) if width > 0 else 0
    if height == 0 or raw.nbytes != width * height * 4:
        raise GeoAIError(f"the map rendered {raw.nbytes} bytes, not rows of {width} RGBA pixels.")
    return png_rows(np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 4))


@contextmanager
def _laid_out(figure: Figure, dpi: int) -> Iterator[None]:
    """Lay the figure out once at ``dpi``, then hold that layout while its files are written.

    ``savefig`` on a figure with a layout engine (the maps' constrained layout)
    draws the whole figure twice, a dry run and the real one, and lays it out
    on each; the dry run also resamples every raster image at the print
    resolution (most of a potential map's time). Here the engine runs once at
    the resolution of the files and is then removed while they are written
    (not replaced by matplotlib's ``"none"`` placeholder, on which ``savefig``
    still makes its dry run): one draw per format, the same positions (the
    same pixels). The engine and the figure's dpi are restored on exit.
    """
    import matplotlib as mpl

    engine = figure.get_layout_engine()
    if engine is None:
        yield
        return
    screen_dpi = figure.dpi
    try:
        figure.set_dpi(dpi)
        engine.execute(figure)
        figure.set_dpi(screen_dpi)
        with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            figure.set_layout_engine(None)  # None here means none, not the rc's engine
        yield
    finally:
        figure.set_dpi(screen_dpi)
        figure.set_layout_engine(engine)
