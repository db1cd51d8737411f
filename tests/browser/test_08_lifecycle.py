"""08-lifecycle-vcpus-storms in a real JupyterLab: Run All, then drive part 2's
four-vCPU explorer (scenario dropdown, step slider) and check that the sentence
and the table follow evtlib.studies.lifecycle.vcpu_frames."""

from __future__ import annotations

import pytest
from lab import open_and_run, press_slider, text_of, wait_for_text, widget

from evtlib.studies import lifecycle as lc

pytestmark = pytest.mark.browser

NOTEBOOK = "08-lifecycle-vcpus-storms.ipynb"
EX = ".evt-vcpus"
WHY = f"{EX} .evt-vcpus-why"
TABLE = f"{EX} .evt-vcpus-table"


def test_vcpu_explorer(page):
    result = open_and_run(page, NOTEBOOK)
    assert result.code_cells >= 10

    rebind = lc.vcpu_frames("rebind while linked (FIFO)")
    wait_for_text(page, WHY, lambda t: rebind[0].why in t)
    table0 = text_of(page, TABLE)

    # step to the end: port 10 delivered on vCPU 0 (old) and then vCPU 2 (new)
    press_slider(page, f"{EX} .evt-vcpus-step", "End")
    wait_for_text(page, WHY, lambda t: rebind[-1].why in t)
    assert text_of(page, TABLE) != table0
    assert "notifies vCPU 2" in text_of(page, TABLE)

    # the 2-level mismatch, from step 0: the edge is lost, then recovered
    page.locator(f"{EX} .evt-vcpus-scenario select").select_option(
        "Xen/Linux mismatch (2-level)")
    mismatch = lc.vcpu_frames("Xen/Linux mismatch (2-level)")
    wait_for_text(page, WHY, lambda t: mismatch[-1].why in t)
    press_slider(page, f"{EX} .evt-vcpus-step", "Home")
    wait_for_text(page, WHY, lambda t: mismatch[0].why in t)
    for i in (1, 2, 3):
        press_slider(page, f"{EX} .evt-vcpus-step", "ArrowRight")
        wait_for_text(page, WHY, lambda t, i=i: mismatch[i].why in t)
    assert "Linux CPU 0" in text_of(page, TABLE)
    assert widget(page, f"{EX} .evt-vcpus-scenario select").input_value() == \
        "Xen/Linux mismatch (2-level)"
