"""Cut the NIIP extract in ``source/`` from the External Wealth of Nations workbook.

Run by hand, only when the EWN release is refreshed (``make data`` does not run
it; ``build.py`` reads the extract it writes)::

    python data/niip/extract_ewn.py PATH/TO/EWN-database-January-2025.xlsx

The workbook is the Brookings release of January 6, 2025 (year-end 2023 data),
identified by its SHA-256 (``EXPECTED_SHA256``); another file is refused unless
``--any-release`` is given, in which case update ``README.md`` too.

The cut: the sheet ``Dataset``, rows of the years ``FIRST_YEAR`` to the last
year in the file, and the columns in ``COLUMNS`` (country, IFS code, year, the
two NIIP measures, GDP in USD and the two NIIP/GDP ratios). Cell values are
written exactly as the workbook stores them (the text of each ``<v>``
element), so no number is re-rounded; empty cells stay empty. The workbook is
read with the standard library (zip + XML), without a spreadsheet package.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # data/_tools.py
from _tools import write_text

HERE = Path(__file__).resolve().parent
EXTRACT = HERE / "source" / "ewn_2025-01_niip_extract.csv"
EXPECTED_SHA256 = "ebc0eeb8a0de052fe8d709cfd574351e4c27b7f1dd4b736ee5acab1cf7aa1d84"
SHEET = "Dataset"
FIRST_YEAR = 2019
COLUMNS = (
    "Country",
    "IFS_Code",
    "Year",
    "Net IIP excl gold",
    "OFFICIAL IIP",
    "GDP (US$)",
    "net IIP excl gold / GDP domestic currency",
    "net IIP / GDP domestic currency",
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _column(ref: str) -> int:
    """Zero-based column of a cell reference such as ``"AB12"``."""
    letters = re.match(r"[A-Z]+", ref)
    if letters is None:
        raise SystemExit(f"bad cell reference {ref!r}")
    n = 0
    for ch in letters.group(0):
        n = n * 26 + ord(ch) - ord("A") + 1
    return n - 1


def read_sheet(path: Path, name: str) -> list[list[str]]:
    """Rows of one worksheet as the workbook stores them (strings; missing cells ``""``)."""
    with zipfile.ZipFile(path) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))  # noqa: S314 - its SHA-256 is checked first
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))  # noqa: S314 - its SHA-256 is checked first
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        sheet_ids = {s.get("name"): s.get(f"{{{_REL}}}id") for s in book.iter(f"{{{_MAIN}}}sheet")}
        if name not in sheet_ids:
            raise SystemExit(f"{path}: no sheet {name!r} (has {sorted(sheet_ids)})")
        target = targets[sheet_ids[name]].lstrip("/")
        target = target if target.startswith("xl/") else f"xl/{target}"
        shared: list[str] = []
        if "xl/sharedStrings.xml" in z.namelist():
            strings = ET.fromstring(z.read("xl/sharedStrings.xml")).iter(f"{{{_MAIN}}}si")  # noqa: S314 - its SHA-256 is checked first
            shared = ["".join(t.text or "" for t in si.iter(f"{{{_MAIN}}}t")) for si in strings]
        sheet = ET.fromstring(z.read(target))  # noqa: S314 - its SHA-256 is checked first
    rows = []
    for row in sheet.iter(f"{{{_MAIN}}}row"):
        cells: dict[int, str] = {}
        for c in row.iter(f"{{{_MAIN}}}c"):
            v = c.find(f"{{{_MAIN}}}v")
            kind = c.get("t")
            if kind == "s" and v is not None and v.text is not None:
                text = shared[int(v.text)]
            elif kind == "inlineStr":
                text = "".join(t.text or "" for t in c.iter(f"{{{_MAIN}}}t"))
            else:
                text = "" if v is None or v.text is None else v.text
            cells[_column(c.get("r", ""))] = text
        if cells:
            rows.append([cells.get(i, "") for i in range(max(cells) + 1)])
    return rows


def extract(rows: list[list[str]]) -> str:
    """Return the CSV text of the cut (header = ``COLUMNS``)."""
    header = [h.strip() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise SystemExit(f"sheet {SHEET!r} lacks columns {missing}")
    where = [header.index(c) for c in COLUMNS]
    year = header.index("Year")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for cells in rows[1:]:
        row = cells + [""] * (len(header) - len(cells))
        if row[year] and int(float(row[year])) >= FIRST_YEAR:
            writer.writerow([row[i] for i in where])
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--any-release", action="store_true")
    args = parser.parse_args(argv)
    digest = hashlib.sha256(args.workbook.read_bytes()).hexdigest()
    if digest != EXPECTED_SHA256 and not args.any_release:
        raise SystemExit(f"{args.workbook}: SHA-256 {digest}, expected {EXPECTED_SHA256}")
    text = extract(read_sheet(args.workbook, SHEET))
    write_text(EXTRACT, text)
    print(f"wrote {EXTRACT}: {text.count(chr(10)) - 1} rows from {args.workbook} ({digest})")


if __name__ == "__main__":
    main()
