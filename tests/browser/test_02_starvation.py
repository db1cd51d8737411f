"""02-starvation in a real JupyterLab: Run All, then drive the explorer (flood rate,
busy ports, seed) and check that its table shows what evtlib.studies.starvation.run_starvation
computes for those settings, and that its chart is redrawn."""

from __future__ import annotations


import pytest
from lab import image_src, open_and_run, press_slider, wait_for_text, widget

from evtlib.studies import policies as pol, review as rev, starvation as starv

pytestmark = pytest.mark.browser

NOTEBOOK = "02-starvation.ipynb"
EX = ".evt-starve"
TABLE = f"{EX} .evt-starve-summary"


def row_of(study: starv.Starvation, label: str) -> str:
    """The table row of one policy as the page shows it (cells joined by tabs)."""
    i = study.labels.index(label)
    return "\t".join([label, str(study.top[i]), str(study.timer[i]),
                      str(study.busy_worst[i]), str(study.flood[i])])


def shows(study: starv.Starvation):
    def check(text: str) -> bool:
        return all(row_of(study, label) in text for label in study.labels) and \
            f"seed {study.seed}" in text and f"{study.busy} busy ports" in text
    return check


def chart(page, other: str | None = None) -> str:
    return image_src(page, f"{EX} .evt-starve-figure", other)


def test_starvation_explorer(page):
    result = open_and_run(page, NOTEBOOK)
    assert result.code_cells >= 8

    start = starv.run_starvation(pol.SEED, 1.0, 8)
    wait_for_text(page, TABLE, shows(start))
    first_chart = chart(page)

    # more busy ports with each timer tick: resume's timer waits longer
    press_slider(page, f"{EX} .evt-starve-busy", "ArrowRight")
    bigger = starv.run_starvation(pol.SEED, 1.0, 16)
    wait_for_text(page, TABLE, shows(bigger))
    assert bigger.of("timer", "2l resume") > start.of("timer", "2l resume")
    chart(page, other=first_chart)

    # flood below one raise per tick: from zero no longer locks the top port out
    press_slider(page, f"{EX} .evt-starve-rate", "ArrowLeft")
    lower = starv.run_starvation(pol.SEED, 0.9, 16)
    text = wait_for_text(page, TABLE, shows(lower))
    assert "flood 0.9/tick" in text
    assert lower.of("top", "2l from-zero") < rev.HORIZON < start.of("top", "2l from-zero")

    # another seed: other busy ports in each burst
    seed = widget(page, f"{EX} .evt-starve-seed input")
    seed.fill("7")
    seed.press("Enter")
    wait_for_text(page, TABLE, shows(starv.run_starvation(7, 0.9, 16)))
