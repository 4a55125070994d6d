"""The HTML report embeds each figure, in order, reduced when it is a print-size PNG."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest

from geoai.io.report import EMBED_WIDTH, Report

Image = pytest.importorskip("PIL.Image")


def _png(path, width: int, colour: tuple[int, int, int]) -> None:
    noise = np.random.default_rng(width).integers(-20, 21, (20, width, 3))  # not compressible
    Image.fromarray((np.array(colour) + noise).astype(np.uint8)).save(path)


def test_figures_are_embedded_in_order_reduced_and_missing_ones_left_out(tmp_path):
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (90, 90, 90)]
    widths = [2 * EMBED_WIDTH + 7, 300, 3 * EMBED_WIDTH, 2 * EMBED_WIDTH]
    report = Report("figures")
    for k, (colour, width) in enumerate(zip(colours, widths, strict=True)):
        _png(tmp_path / f"f{k}.png", width, colour)
        report.figure(f"f{k}.png", f"figure {k}")
        if k == 1:
            report.figure("absent.png", "not there")
    report.figure("f0.png", "figure 0 again")
    page = report.html(tmp_path)
    sources = re.findall(r"<img src='data:image/png;base64,([^']+)' alt='([^']+)'>", page)
    assert [alt for _, alt in sources] == [*(f"figure {k}" for k in range(4)), "figure 0 again"]
    assert "not there" not in page
    for (data, _), colour, width in zip(
        sources, [*colours, colours[0]], [*widths, widths[0]], strict=True
    ):
        with Image.open(io.BytesIO(base64.b64decode(data))) as img:
            factor = width // EMBED_WIDTH
            assert img.width == (
                -(-width // factor) if factor >= 2 else width
            )  # a partial block kept
            mean = np.asarray(img.convert("RGB"), float).mean(axis=(0, 1))
            assert np.abs(mean - colour).max() < 2
