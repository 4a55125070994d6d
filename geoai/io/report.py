"""The run report, as Markdown and HTML from the same blocks.

A report is a list of blocks (headings, paragraphs, tables, figures, links).
Both renderings are written by geoai itself (no template engine): Markdown for
reading in a repository (figures linked by relative path), HTML for a browser,
self-contained: every figure found under the report's folder is embedded as a
``data:`` URI, so ``report.html`` travels alone.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: Image types embedded in the HTML, by suffix.
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}

__all__ = ["Report", "plain_number"]


@dataclass
class Report:
    """An ordered list of blocks rendered to Markdown and HTML.

    Parameters
    ----------
    title : str
        The report's title (the Markdown ``#`` heading and the HTML ``<title>``).
    blocks : list of (str, object), optional
        The blocks so far, ``(kind, body)``; filled by the methods below.

    Examples
    --------
    >>> import pandas as pd
    >>> report = Report("Run")
    >>> report.heading("Roles")
    >>> counts = pd.DataFrame({"metros": [12]}, index=pd.Index(["hub"], name="role"))
    >>> report.table(counts, caption="Metros by role")
    >>> print(report.markdown())
    # Run
    <BLANKLINE>
    ## Roles
    <BLANKLINE>
    *Metros by role*
    <BLANKLINE>
    | role | metros |
    |---|---|
    | hub | 12 |
    <BLANKLINE>
    """

    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        """Add a heading.

        Parameters
        ----------
        text : str
            The heading's text.
        level : int, default 2
            Heading level, 2 (a section) or more; level 1 is the title.

        Examples
        --------
        >>> report = Report("Run")
        >>> report.heading("Method", level=3)
        >>> report.markdown().splitlines()[2]
        '### Method'
        """
        self.blocks.append(("heading", (level, text)))

    def text(self, text: str) -> None:
        """Add a paragraph.

        Parameters
        ----------
        text : str
            The paragraph, written as is in Markdown and escaped in HTML.

        Examples
        --------
        >>> report = Report("Run")
        >>> report.text("Costs < 300 km & rising.")
        >>> "<p>Costs &lt; 300 km &amp; rising.</p>" in report.html()
        True
        """
        self.blocks.append(("text", text))

    def bullets(self, items: list[str]) -> None:
        """Add a bulleted list.

        Parameters
        ----------
        items : list of str
            One string per bullet.

        Examples
        --------
        >>> report = Report("Run")
        >>> report.bullets(["12 hubs", "3 stars"])
        >>> report.markdown().splitlines()[2:4]
        ['- 12 hubs', '- 3 stars']
        """
        self.blocks.append(("bullets", list(items)))

    def table(self, df: pd.DataFrame, caption: str = "", floatfmt: str = "") -> None:
        """Add a table (floats formatted with ``floatfmt``; default :func:`plain_number`).

        Parameters
        ----------
        df : pandas.DataFrame
            The table; its index is the first column.
        caption : str, optional
            A caption above the table.
        floatfmt : str, optional
            A ``str.format`` template for floats, e.g. ``"{:.2f}"``; default
            :func:`plain_number`.

        Examples
        --------
        >>> import pandas as pd
        >>> report = Report("Run")
        >>> report.table(pd.DataFrame({"share": [0.12345]}), floatfmt="{:.2f}")
        >>> report.markdown().splitlines()[-1]
        '| 0 | 0.12 |'
        """
        self.blocks.append(("table", (df, caption, floatfmt)))

    def figure(self, path: str, caption: str) -> None:
        """Add a figure by its path relative to the report.

        Parameters
        ----------
        path : str
            The image file, relative to where the report is written.
        caption : str
            Caption and alternative text.

        Examples
        --------
        >>> report = Report("Run")
        >>> report.figure("maps/roles.png", "Metro roles")
        >>> report.markdown().splitlines()[2]
        '![Metro roles](maps/roles.png)'
        """
        self.blocks.append(("figure", (path, caption)))

    def link(self, href: str, text: str, note: str = "") -> None:
        """Add a paragraph holding one link (e.g. to the interactive map beside the report).

        Parameters
        ----------
        href : str
            The target, relative to where the report is written.
        text : str
            The link's text.
        note : str, optional
            Words after the link.

        Examples
        --------
        >>> report = Report("Run")
        >>> report.link("map.html", "Interactive map", "(opens offline)")
        >>> report.markdown().splitlines()[2]
        '[Interactive map](map.html) (opens offline)'
        """
        self.blocks.append(("link", (href, text, note)))

    def markdown(self) -> str:
        r"""Render the report as GitHub-flavoured Markdown.

        Returns
        -------
        str
            The title, then each block in order, separated by blank lines.

        Examples
        --------
        >>> report = Report("Run")
        >>> report.text("Done.")
        >>> report.markdown()
        '# Run\n\nDone.\n'
        """
        out = [f"# {self.title}", ""]
        for kind, body in self.blocks:
            if kind == "heading":
                out += ["#" * body[0] + " " + body[1], ""]
            elif kind == "text":
                out += [body, ""]
            elif kind == "bullets":
                out += [f"- {item}" for item in body] + [""]
            elif kind == "table":
                df, caption, fmt = body
                if caption:
                    out += [f"*{caption}*", ""]
                out += [_md_table(df, fmt), ""]
            elif kind == "figure":
                out += [f"![{body[1]}]({body[0]})", "", f"*{body[1]}*", ""]
            elif kind == "link":
                out += [f"[{body[1]}]({body[0]})" + (f" {body[2]}" if body[2] else ""), ""]
        return "\n".join(out)

    def html(self, folder: str | Path | None = None) -> str:
        """Render the report as one HTML page, its figures embedded.

        Parameters
        ----------
        folder : path-like, optional
            The folder the report is written to: each figure's file is read
            from there and embedded as a base64 ``data:`` URI (a figure whose
            file is missing is left out, with its caption). None: figures are
            linked by their relative path.

        Returns
        -------
        str
            A complete HTML document with inline CSS; every text is escaped.

        Examples
        --------
        >>> report = Report("Run <1>")
        >>> page = report.html()
        >>> page.startswith("<!DOCTYPE html>"), "<h1>Run &lt;1&gt;</h1>" in page
        (True, True)
        """
        esc = html.escape
        figures = [body[0] for kind, body in self.blocks if kind == "figure"]
        uris = dict(zip(figures, _data_uris(folder, figures), strict=True))
        parts = [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{esc(self.title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{esc(self.title)}</h1>",
        ]
        for kind, body in self.blocks:
            if kind == "heading":
                parts.append(f"<h{body[0]}>{esc(body[1])}</h{body[0]}>")
            elif kind == "text":
                parts.append(f"<p>{esc(body)}</p>")
            elif kind == "bullets":
                parts.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in body) + "</ul>")
            elif kind == "table":
                df, caption, fmt = body
                table = _formatted(df, fmt).to_html(border=0, escape=True)
                cap = f"<p class='caption'>{esc(caption)}</p>" if caption else ""
                parts.append(cap + table)
            elif kind == "figure":
                src = uris[body[0]]
                if src is not None:
                    parts.append(
                        f"<figure><img src='{esc(src)}' alt='{esc(body[1])}'>"
                        f"<figcaption>{esc(body[1])}</figcaption></figure>"
                    )
            elif kind == "link":
                note = f" {esc(body[2])}" if body[2] else ""
                parts.append(f"<p><a href='{esc(body[0])}'>{esc(body[1])}</a>{note}</p>")
        parts.append("</body></html>")
        return "\n".join(parts)


#: Widest PNG embedded in the HTML page, px: a print file at least twice as wide (a
#: 300 dpi map is about 3,300 px) is embedded reduced by a whole factor, each pixel
#: the mean of a block, to at most twice this (sharp on a high-density screen at
#: the page's 900 px column); the file on disk keeps its resolution.
EMBED_WIDTH = 1650


def _screen_png(data: bytes) -> bytes:
    """Return a PNG at least twice :data:`EMBED_WIDTH` wide reduced (as it is without Pillow)."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib (geoai[viz])
        return data
    import io

    with Image.open(io.BytesIO(data)) as img:
        factor = img.width // EMBED_WIDTH
        if factor < 2:  # a whole reduction factor of at least 2
            return data
        small = img.reduce(factor)
        out = io.BytesIO()
        small.save(out, format="PNG", compress_level=1)  # fast: a screen copy
    return out.getvalue() if out.tell() < len(data) else data


def _data_uris(folder: str | Path | None, figures: list[str]) -> list[str | None]:
    """Return each figure's ``data:`` URI (its relative path when ``folder`` is None).

    The PNGs are read and reduced on a few threads: Pillow's and zlib's work
    releases the GIL, so the page waits for about the largest, not the sum.
    """
    if folder is None:
        return list(figures)
    from concurrent.futures import ThreadPoolExecutor

    paths = [Path(folder) / f for f in figures]
    from geoai._scheduler import usable_cores

    workers = min(len(paths), usable_cores())
    if workers <= 1:
        return [_data_uri(p) for p in paths]
    with ThreadPoolExecutor(workers, thread_name_prefix="geoai-report") as pool:
        return list(pool.map(_data_uri, paths))


def _data_uri(path: Path) -> str | None:
    """Return the file as a base64 ``data:`` URI (None if it is not there).

    A PNG at least twice :data:`EMBED_WIDTH` pixels wide is embedded reduced.
    """
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return None
    data = path.read_bytes()
    if mime == "image/png":
        data = _screen_png(data)
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def plain_number(x: float) -> str:
    """Format a table's number for people: no scientific notation, three significant digits.

    Examples
    --------
    >>> plain_number(44762.3), plain_number(0.0271), plain_number(2033.0), plain_number(7.557e11)
    ('44,762', '0.0271', '2,033', '755,700,000,000')
    """
    if not math.isfinite(x):
        return ""
    if x == 0 or abs(x) < 1e-12:
        return "0"
    if abs(x) >= 1000:
        return f"{float(f'{x:.4g}') if abs(x) >= 1e5 else x:,.0f}"
    decimals = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:.{decimals}f}".rstrip("0").rstrip(".")


def _formatted(df: pd.DataFrame, fmt: str) -> pd.DataFrame:
    def cell(x: object) -> object:
        if isinstance(x, float):
            return fmt.format(x) if fmt else plain_number(x)
        return x

    return df.map(cell)


def _md_table(df: pd.DataFrame, fmt: str) -> str:
    f = _formatted(df, fmt)
    head = [str(f.index.name or "")] + [str(c) for c in f.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for idx, row in f.iterrows():
        cells = [str(idx)] + [str(v).replace("|", "\\|") for v in row.tolist()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;"
    "color:#222}table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{padding:0.2em "
    "0.6em;border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child"
    "{text-align:left}img{max-width:100%}figcaption,.caption{color:#555;font-size:0.9em}"
)
