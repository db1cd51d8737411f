"""06-design-review in a real JupyterLab: Run All, then drive the review explorer (next
seed button, guests slider, noisy-guest slider, typed seed) and check that the HTML
table and its 72-column text show what evtlib.studies.review.run_review computes."""

from __future__ import annotations

import pytest
from lab import click, open_and_run, press_slider, text_of, wait_for_text, widget

from evtlib.studies import policies as pol, review as rev
from evtlib.views import reports

pytestmark = pytest.mark.browser

NOTEBOOK = "06-design-review.ipynb"
EX = ".evt-review"
TABLE = f"{EX} .evt-review-html"
TEXT = f"{EX} .evt-review-text"


def text_shows(review: rev.Review):
    expected = reports.review_text(review).strip()
    return lambda t: t.strip() == expected


def timer_cells(page) -> list[str]:
    """The 'timer max' column of the page's table, one cell per policy."""
    rows = page.locator(f"{TABLE} tbody tr")
    return [rows.nth(i).locator("td").nth(4).inner_text() for i in range(rows.count())]


def test_review_explorer(page):
    result = open_and_run(page, NOTEBOOK)
    assert result.code_cells >= 10

    start = rev.run_review(pol.SEED, 64, 0.7)
    wait_for_text(page, TEXT, text_shows(start))
    assert timer_cells(page) == [str(v) for v in start.column("timer_max").values()]
    table0 = text_of(page, TABLE)
    assert f"seed {pol.SEED}" in table0

    # the button: next seed, the whole table re-runs
    click(page, f"{EX} .evt-review-next")
    nxt = rev.run_review(pol.SEED + 1, 64, 0.7)
    wait_for_text(page, TEXT, text_shows(nxt))
    assert widget(page, f"{EX} .evt-review-seed input").input_value() == str(pol.SEED + 1)
    assert text_of(page, TABLE) != table0
    assert timer_cells(page) == [str(v) for v in nxt.column("timer_max").values()]

    # fewer guests
    press_slider(page, f"{EX} .evt-review-guests", "ArrowLeft")
    wait_for_text(page, TEXT, text_shows(rev.run_review(pol.SEED + 1, 56, 0.7)))

    # a quieter noisy guest: from zero stops starving ports
    press_slider(page, f"{EX} .evt-review-noisy", "Home")
    quiet = rev.run_review(pol.SEED + 1, 56, 0.05)
    wait_for_text(page, TEXT, text_shows(quiet))
    assert quiet.row("2l from-zero").starved == 0 < nxt.row("2l from-zero").starved

    # a typed seed
    seed = widget(page, f"{EX} .evt-review-seed input")
    seed.fill("42")
    seed.press("Enter")
    wait_for_text(page, TEXT, text_shows(rev.run_review(42, 56, 0.05)))
    for line in text_of(page, TEXT).splitlines():
        assert len(line) <= 72
