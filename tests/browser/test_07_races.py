"""07-races in a real JupyterLab: Run All, then step a counterexample forward and back.

The stepper of section 4 walks the 18 steps in which two CPUs lose both events of
q7 (old-tail-concurrent without e33d4257fc). The expected sentences and drawings come
from the package (evtlib.races, evtlib.views.races), so the test checks that the page
shows, step by step, what the explorer computed.
"""

from __future__ import annotations

import re

import pytest

from evtlib import races
from evtlib.views import races as rv
from lab import click, open_and_run, press_slider, text_of, wait_for_text, widget

pytestmark = pytest.mark.browser

ST = ".evt-race-concurrent"
WHY = f"{ST} .evt-why"
VIEW = f"{ST} .evt-view"
Q7 = f"{ST} .evt-race-queue[data-q='q7']"


def step_re(k: int, n: int) -> re.Pattern:
    return re.compile(rf"^\s*Step {k} of {n}:")


def test_races_notebook_steps_a_counterexample(page):
    result = open_and_run(page, "07-races.ipynb")
    assert result.code_cells > 20
    frames = rv.race_frames(races.explore("old-tail-concurrent", "no-e33d4257fc"))
    n = len(frames) - 1
    assert n == 18

    # step 0: the initial state, q7's HEAD is stale, no row of the lanes is current
    wait_for_text(page, WHY, step_re(0, n))
    assert "initial state" in text_of(page, WHY)
    assert "stale HEAD 1: not LINKED" in text_of(page, Q7)
    assert page.locator(f"{ST} .evt-race-current").count() == 0
    start = widget(page, VIEW).inner_html()

    # forward: step 1 is xen-1's raise, its row of the lanes is now the current one
    click(page, f"{ST} .evt-forward")
    wait_for_text(page, WHY, step_re(1, n))
    assert frames[1].why in text_of(page, WHY)
    assert "xen-1 (Xen code)" in text_of(page, WHY)
    assert "raise 1" in text_of(page, f"{ST} .evt-race-current")
    assert widget(page, f"{ST} .evt-race-current").get_attribute("data-step") == "1"
    assert widget(page, VIEW).inner_html() != start      # the drawing changed

    # two more steps: xen-1 sets P of port 1; the event word of port 1 is drawn, P=1
    click(page, f"{ST} .evt-forward")
    click(page, f"{ST} .evt-forward")
    wait_for_text(page, WHY, step_re(3, n))
    assert frames[3].op == "tas P1:0" and frames[3].changed == (1,)
    assert "port 1: 0x80000000 = P=1 M=0 L=0 B=0 LINK=0" in text_of(page, f"{ST} .evt-fifo-word")
    click(page, f"{ST} .evt-back")
    wait_for_text(page, WHY, step_re(2, n))
    assert page.locator(f"{ST} .evt-fifo-word").count() == 0   # step 2 writes no word

    # jump to xen-2's append behind the old tail: q7 is now 1 -> 2, as the memory says
    k = next(f.index for f in frames if f.op == "cas w1>2 ok")
    jump = widget(page, f"{ST} .evt-jump input")
    jump.fill(str(k))
    jump.press("Enter")
    wait_for_text(page, WHY, step_re(k, n))
    assert "LINK of port 1 := 2" in text_of(page, WHY)
    q7 = text_of(page, Q7)
    assert "1" in q7 and "2" in q7 and "locked by xen-2" in q7

    # the end: the LINK loop, READY clear, the breaking step in red
    press_slider(page, f"{ST} .evt-slider", "End")
    wait_for_text(page, WHY, step_re(n, n))
    assert "[malformed-queue, lost-event]" in text_of(page, WHY)
    assert "breaks: malformed-queue, lost-event" in text_of(page, f"{ST} .evt-race-flag")
    q7 = text_of(page, Q7)
    assert "back to 1 (a loop)" in q7 and "READY clear" in q7
    click(page, f"{ST} .evt-reset")
    wait_for_text(page, WHY, step_re(0, n))
    assert widget(page, VIEW).inner_html() == start

    # the other steppers of the notebook are there, each at its step 0
    for css, (name, code) in {".evt-race-ready": ("ready-race", "no-70ccddb14a"),
                              ".evt-race-spin": ("link-spin", "no-dae2a1c5f9"),
                              ".evt-race-moved": ("old-tail-moved", "no-e33d4257fc"),
                              ".evt-race-page": ("missing-page", "no-917c123029")}.items():
        kind = "wrong-queue" if css == ".evt-race-ready" else None
        m = len(rv.race_frames(races.explore(name, code), kind=kind)) - 1
        wait_for_text(page, f"{css} .evt-why", step_re(0, m))
