"""Proves the browser harness on a throwaway fixture notebook (tests/browser/fixtures/)."""

import pytest

from browser.lab import NotebookError, click, open_and_run, press_slider, text_of, wait_for_text

pytestmark = pytest.mark.browser


def test_widgets_respond_in_lab(page):
    result = open_and_run(page, "fixtures/quickstart_demo.ipynb")
    assert result.code_cells == 2

    assert text_of(page, "evt-demo-label") == "clicks=0 port=3"

    click(page, "evt-demo-button")
    wait_for_text(page, "evt-demo-label", "clicks=1 port=3")
    click(page, "evt-demo-button")
    wait_for_text(page, "evt-demo-label", "clicks=2 port=3")

    press_slider(page, "evt-demo-slider", "ArrowRight", "ArrowRight")
    wait_for_text(page, "evt-demo-label", "clicks=2 port=5")
    press_slider(page, "evt-demo-slider", "End")
    wait_for_text(page, "evt-demo-label", "clicks=2 port=10")
    # the slider's own readout follows
    assert text_of(page, ".evt-demo-slider .widget-readout") == "10"


def test_open_and_run_reports_cell_errors(page):
    with pytest.raises(NotebookError, match="boom from error_demo"):
        open_and_run(page, "fixtures/error_demo.ipynb", timeout=90)
