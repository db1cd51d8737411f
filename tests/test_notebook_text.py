"""Every stored text output of every notebook fits in 72 columns.

The project promises plain text that pastes into a mailing-list reply: each
line of every stream output and every ``text/plain`` result stored in
``notebooks/*.ipynb`` is at most 72 columns, the widgets' plain-text
fallback (:data:`evtlib.views.widgets.STATIC_TEXT`) included. Only matplotlib's
``<Figure size ...>`` repr of a figure that is also stored as an image is
exempt: it is not meant to be read as text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evtlib.views.widgets import STATIC_TEXT

WIDTH = 72
NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
IMAGE_REPR = re.compile(r"^<(Figure|matplotlib\.\w+[\w.]*) .*>$")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def stored_text(nb: dict):
    """(cell index, text) of each stream and text/plain output of the code cells."""
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                yield i, _text(out["text"])
            elif "text/plain" in out.get("data", {}):
                yield i, _text(out["data"]["text/plain"])


def exempt(text: str) -> bool:
    return bool(IMAGE_REPR.match(text.strip()))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_text_outputs_fit_72_columns(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    wide = [f"cell {i}: {len(line)} cols: {line[:60]}..."
            for i, text in stored_text(nb) if not exempt(text)
            for line in text.splitlines() if len(line) > WIDTH]
    assert not wide, f"{path.name}: lines wider than {WIDTH} columns:\n" + "\n".join(wide)


def test_the_checker_sees_wide_lines_and_skips_only_figure_reprs():
    nb = {"cells": [
        {"cell_type": "markdown", "source": "x" * 100},
        {"cell_type": "code", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": ["ok\n", "y" * 73 + "\n"]},
            {"output_type": "execute_result",
             "data": {"text/plain": STATIC_TEXT, "text/html": "<b>w</b>"}},
            {"output_type": "display_data",
             "data": {"text/plain": ["<Figure size 640x480 with 1 Axes>"]}},
        ]}]}
    found = [(i, text) for i, text in stored_text(nb)]
    assert len(found) == 3 and all(i == 1 for i, _ in found)
    kept = [text for _, text in found if not exempt(text)]
    assert kept == ["ok\n" + "y" * 73 + "\n", STATIC_TEXT]
    assert all(len(line) <= WIDTH for line in STATIC_TEXT.splitlines())
