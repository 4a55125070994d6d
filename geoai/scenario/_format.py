"""Numbers for people: 12.3 M jobs, 48 %, 1.2 T USD, 2035, never ``1.23e+07``.

Every figure that geoai writes into prose or a report table through this
module has three significant digits at most,
a magnitude suffix (M, B, T) instead of an exponent, and its unit; shares
are percentages with two significant digits.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, SupportsFloat

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["fmt_band", "fmt_number", "summary_figures", "summary_rows"]

#: Magnitude suffixes, largest first: (threshold, suffix).
_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"))
#: Units printed without a trailing word (the number says it all).
_BARE = {"", "index", "exponent", "elasticity", "factor"}


def _round(x: float, digits: int) -> tuple[float, int]:
    """``x`` rounded to ``digits`` significant digits, and the decimals that shows."""
    if x == 0:
        return 0.0, 0
    decimals = digits - 1 - math.floor(math.log10(abs(x)))
    rounded = round(x, decimals)
    if rounded != 0 and math.floor(math.log10(abs(rounded))) > digits - 1 - decimals:
        decimals -= 1  # 9.996 rounded up to 10.0: one decimal fewer keeps the digits
        rounded = round(x, decimals)
    return float(rounded), decimals


def _significant(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits in positional notation, thousands separated."""
    rounded, decimals = _round(x, digits)
    text = f"{rounded:,.{max(decimals, 0)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _magnitude(x: float, digits: int) -> str:
    """Format a quantity: 153,000 below a million, then 12.3 M, 4.5 B, 1.2 T."""
    rounded, _ = _round(x, digits)
    for threshold, suffix in _SUFFIXES:
        if abs(rounded) >= threshold:
            return f"{_significant(x / threshold, digits)} {suffix}"
    return _significant(x, digits)


def fmt_number(
    x: SupportsFloat | None, unit: str = "", *, with_unit: bool = True, digits: int = 3
) -> str:
    """Format one figure for a reader.

    Parameters
    ----------
    x : float or None
        The value, in ``unit`` (a NumPy scalar or anything :class:`float` reads; None: missing).
    unit : str
        ``"share"`` (a fraction, printed as a percentage), ``"year"`` (a
        calendar year, printed as is), ``"metros"`` (a count of metros),
        ``"index"`` or another unitless word (printed as a plain number), or
        any other unit (a quantity: jobs, people, USD, km, ...).
    with_unit : bool, default True
        Append the unit (``%`` is always kept for shares).
    digits : int, default 3
        Significant digits (one fewer for a share below 100 %: 48 %, 5.2 %).

    Returns
    -------
    str
        ``"n/a"`` for a missing or infinite value.

    Examples
    --------
    >>> fmt_number(12_345_678, "jobs"), fmt_number(0.4812, "share"), fmt_number(1.2e12, "USD")
    ('12.3 M jobs', '48 %', '1.2 T USD')
    >>> fmt_number(2035.0, "year"), fmt_number(153_210, "people"), fmt_number(0.0521, "share")
    ('2035', '153,000 people', '5.2 %')
    >>> fmt_number(4.5e9, "jobs", with_unit=False), fmt_number(537.0, "metros")
    ('4.5 B', '537 metros')
    """
    try:
        value = math.nan if x is None else float(x)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(value):
        return "n/a"
    if abs(value) < 1e-12:  # floating-point dust of a zero (-1.1e-16)
        value = 0.0
    unit = str(unit or "")
    if unit == "share":
        pct = 100.0 * value
        return f"{_significant(pct, max(digits - 1, 1) if abs(pct) < 100 else digits)} %"
    if unit == "year":
        return str(round(value))
    if unit in _BARE:
        return _significant(value, digits)
    text = _magnitude(value, digits)
    return f"{text} {unit}" if with_unit else text


def fmt_band(
    value: SupportsFloat | None,
    low: SupportsFloat | None,
    high: SupportsFloat | None,
    unit: str = "",
    *,
    with_unit: bool = True,
) -> str:
    """Format a figure with its band: ``"97.8 M jobs (76.1 M – 99.9 M)"``, ``"50 % (40 % – 60 %)"``.

    Parameters
    ----------
    value : float or None
        The figure, in ``unit`` (None: missing, printed ``n/a``).
    low : float or None
        The low end of its band, in ``unit``.
    high : float or None
        The high end of its band, in ``unit``.
    unit : str
        As in :func:`fmt_number`.
    with_unit : bool, default True
        Write the unit after the value (``%`` is always kept for shares).

    Returns
    -------
    str
        ``"<value> (<low> – <high>)"``, or ``"<value> (no change)"`` when the
        three are equal as printed.

    Examples
    --------
    >>> fmt_band(0.5, 0.4, 0.6, "share"), fmt_band(9.78e7, 7.61e7, 9.99e7, "jobs")
    ('50 % (40 % – 60 %)', '97.8 M jobs (76.1 M – 99.9 M)')
    >>> fmt_band(0.0, 0.0, 0.0, "people")
    '0 people (no change)'
    """
    head = fmt_number(value, unit, with_unit=with_unit)
    low_text, high_text = (fmt_number(v, unit, with_unit=False) for v in (low, high))
    if low_text == high_text == fmt_number(value, unit, with_unit=False):
        return f"{head} (no change)"
    return f"{head} ({low_text} – {high_text})"


def _presets(summary: pd.DataFrame) -> list[str]:
    return [str(c) for c in summary.columns if c != "unit"]


def summary_rows(summary: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Format the headline table of a run for a reader: column heads and rows.

    Parameters
    ----------
    summary : pandas.DataFrame
        :attr:`geoai.pipeline.RunResult.summary` (as :func:`geoai.scenario.compare`):
        index the metric, a ``unit`` column, then one column per preset.

    Returns
    -------
    columns : list of str
        ``["metric", ">preset", ...]`` (``>``: right-justified, as the CLI's tables).
    rows : list of list of str
        One row per metric, each figure through :func:`fmt_number` with its unit.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"unit": ["share", "jobs"], "exodus": [0.497, 2.03e6]},
    ...                  index=["jobs change", "AI-leveraged roles"])
    >>> summary_rows(s)
    (['metric', '>exodus'], [['jobs change', '50 %'], ['AI-leveraged roles', '2.03 M jobs']])
    >>> r = pd.DataFrame({"unit": ["metros"], "exodus": [49]}, index=["metros: detroit_path"])
    >>> summary_rows(r)[1]
    [['metros: Detroit path', '49 metros']]
    """
    from geoai.viz._style import LABELS  # roles in words: "metros: Detroit path"

    def said(metric: object) -> str:
        head, _, role = str(metric).partition("metros: ")
        return f"{head}metros: {LABELS.get(role, role)}" if role and not head else str(metric)

    presets = _presets(summary)
    rows = [
        [said(metric), *(fmt_number(row[p], str(row["unit"])) for p in presets)]
        for metric, row in summary.iterrows()
    ]
    return ["metric", *(f">{p}" for p in presets)], rows


def summary_figures(summary: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Return the figures of :func:`summary_rows` machine-readable (``--json``): raw numbers.

    Parameters
    ----------
    summary : pandas.DataFrame
        As :func:`summary_rows`.

    Returns
    -------
    dict
        ``{metric: {"unit": unit, preset: value, ...}}``; values are Python
        floats (None where missing or not finite), never rounded.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"unit": ["share"], "exodus": [0.4971234]}, index=["jobs change"])
    >>> summary_figures(s)
    {'jobs change': {'unit': 'share', 'exodus': 0.4971234}}
    """
    presets = _presets(summary)
    out: dict[str, dict[str, Any]] = {}
    for metric, row in summary.iterrows():
        figures: dict[str, Any] = {"unit": str(row["unit"])}
        for p in presets:
            try:
                value = float(row[p])
            except (TypeError, ValueError):
                value = math.nan
            figures[p] = value if math.isfinite(value) else None
        out[str(metric)] = figures
    return out
