"""The run report for people: numbers for reading, figures embedded, standalone in a browser."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from geoai.io.report import Report
from geoai.pipeline import run
from geoai.pipeline._layers import role_label
from geoai.scenario._format import summary_figures, summary_rows

JOB = {
    "data": {"min_population": 5_000_000},
    "scenario": {"presets": ["concentration", "exodus"], "start": 2025, "end": 2027},
    "grid": {"resolution": 10.0},
    "outputs": {"rasters": False, "qgis_project": False, "sensitivity": False, "top_flows": 20},
}
#: A number in scientific notation: 4.97e-01, 2.03e+03, 1E6.
SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run(JOB, tmp_path_factory.mktemp("report") / "out", progress=False)


def _cells(page: str) -> list[str]:
    return re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", page, flags=re.DOTALL)


def test_tables_have_no_scientific_notation_and_years_are_integers(result):
    page = (result.out / "report.html").read_text(encoding="utf-8")
    md = (result.out / "report.md").read_text(encoding="utf-8")
    cells = _cells(page)
    assert len(cells) > 100  # the tables are there
    bad = [c for c in cells if SCIENTIFIC.search(c)]
    assert not bad, bad[:5]
    table_lines = [line for line in md.splitlines() if line.startswith("|")]
    assert not [line for line in table_lines if SCIENTIFIC.search(line)]
    row = next(line for line in table_lines if line.startswith("| adoption_midpoint |"))
    years = row.split("|")[3:5]  # the two presets' values
    assert all(re.fullmatch(r" \d{4} ", y) for y in years), row
    assert "detroit_path" not in " ".join(c for c in cells if c.startswith("Detroit"))
    assert any(c.endswith(" %") for c in cells)  # shares read as percentages


def test_figures_are_embedded_and_nothing_is_fetched(result):
    page = (result.out / "report.html").read_text(encoding="utf-8")
    sources = re.findall(r"""<img[^>]*\bsrc=['"]([^'"]*)['"]""", page)
    assert len(sources) >= 3  # comparison and per-preset maps
    assert all(s.startswith("data:image/") for s in sources)
    assert "file:" not in page
    links = re.findall(r"""\b(?:href|src)=['"]([^'"]*)['"]""", page)
    external = [u for u in links if re.match(r"(?:https?:)?//", u)]
    assert not external
    assert "How to read this report" in page


def test_report_opens_standalone_in_chromium(result, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(result.out / "report.html", alone / "report.html")  # without its maps folder
    shot = tmp_path / "shot.png"
    subprocess.run(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
         f"--screenshot={shot}", "--window-size=1200,3000", (alone / "report.html").as_uri()],
        capture_output=True, timeout=90, check=False,
    )  # fmt: skip
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB"))
    # the embedded maps are drawn: many colours, not only text on white
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 200, len(colours)


def test_console_and_json_figures_agree(result):
    columns, rows = summary_rows(result.summary)
    assert columns == ["metric", ">concentration", ">exodus"]
    assert len(rows) == len(result.summary)
    assert not [r for r in rows if any(SCIENTIFIC.search(c) for c in r[1:])]
    figures = summary_figures(result.summary)
    for metric, row in result.summary.iterrows():
        for preset in ("concentration", "exodus"):
            raw = figures[str(metric)][preset]
            assert raw is None or raw == pytest.approx(float(row[preset]), rel=0, abs=0)
    share = next(r for r in rows if str(r[0]).startswith("jobs change"))
    assert share[1].endswith(" %")


def test_map_link_and_role_words(tmp_path):
    rep = Report("Run")
    rep.link("map.html", "Open the interactive map")
    rep.figure("maps/missing.png", "A map that is not there")
    page = rep.html(tmp_path)
    assert "<a href='map.html'>Open the interactive map</a>" in page
    assert "missing.png" not in page  # a missing figure is left out, not linked
    assert role_label("detroit_path") == "Detroit path"
