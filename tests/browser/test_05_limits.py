"""05-limits-and-capacity in a real JupyterLab: Run All, then drive the guests-per-dom0
calculator (sliders and the word-size dropdown) and check the arithmetic and the chart
it shows. Expected texts come from evtlib.studies.capacity.calculator_text, so the page must show
what the package computes."""

from __future__ import annotations


import pytest
from lab import image_src, open_and_run, press_slider, wait_for_text, widget

from evtlib.studies import capacity

pytestmark = pytest.mark.browser

NOTEBOOK = "05-limits-and-capacity.ipynb"
TEXT = ".evt-capacity .evt-cap-text"
FIGURE = ".evt-capacity .evt-cap-figure"


def practical(text: str, label: str) -> str:
    """The 'practical' line of one scheme in the calculator text."""
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith(label))
    return lines[i + 2].strip()


def figure_src(page, other: str | None = None) -> str:
    return image_src(page, FIGURE, other)


def test_capacity_calculator(page):
    result = open_and_run(page, NOTEBOOK)
    assert result.code_cells >= 10

    # starts on the sourced reconstruction of the thread's "about 180"
    start = wait_for_text(page, TEXT, lambda t: "= 184 guests" in t)
    assert start.strip() == capacity.calculator_text(32, 5, 4, 72).strip()
    chart0 = figure_src(page)

    # one more dom0 port per guest: 2-level drops, the text shows the new arithmetic
    press_slider(page, ".evt-capacity .evt-cap-per-guest", "ArrowRight")
    expected = capacity.calculator_text(32, 6, 4, 72)
    text = wait_for_text(page, TEXT, lambda t: "6 port(s) per guest" in t)
    assert text.strip() == expected.strip()
    assert practical(text, "2-level") == "practical    (1024 - 1 - 100) // 6 = 923 // 6 = 153 guests"
    chart1 = figure_src(page, other=chart0)

    # fewer dom0 vCPUs: the reservation shrinks by 7 ports per vCPU
    press_slider(page, ".evt-capacity .evt-cap-vcpus", "ArrowLeft", "ArrowLeft")
    text = wait_for_text(page, TEXT, lambda t: "2 vCPUs x 7" in t)
    assert text.strip() == capacity.calculator_text(32, 6, 2, 72).strip()
    chart2 = figure_src(page, other=chart1)

    # no physical IRQs at all
    press_slider(page, ".evt-capacity .evt-cap-irqs", "Home")
    text = wait_for_text(page, TEXT, lambda t: "+ 0 IRQs/VIRQs = 14" in t)
    assert text.strip() == capacity.calculator_text(32, 6, 2, 0).strip()
    chart3 = figure_src(page, other=chart2)

    # a 64-bit dom0: 2-level gets 4096 ports, FIFO does not change
    widget(page, ".evt-capacity .evt-cap-word select").select_option(label="64-bit dom0")
    text = wait_for_text(page, TEXT, lambda t: t.startswith("64-bit dom0"))
    assert text.strip() == capacity.calculator_text(64, 6, 2, 0).strip()
    assert practical(text, "FIFO") == practical(capacity.calculator_text(32, 6, 2, 0), "FIFO")
    figure_src(page, other=chart3)

