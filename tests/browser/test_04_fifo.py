"""04-fifo in a real JupyterLab: Run All, then drive both steppers and the scenario explorer.

The expected step counts and sentences come from the model (evtlib.views.fifo), so the test
checks that the page shows what the package computed, step by step.
"""

from __future__ import annotations

import re

import pytest

from evtlib.views import fifo as fv
from lab import click, open_and_run, press_slider, text_of, wait_for_text, widget

pytestmark = pytest.mark.browser

EX = ".evt-fifo-explorer"
WALK = ".evt-fifo-walk"


def step_re(k: int, n: int) -> re.Pattern:
    return re.compile(rf"^\s*Step {k} of {n}:")


def test_fifo_notebook_steppers_and_explorer(page):
    result = open_and_run(page, "04-fifo.ipynb")
    assert result.code_cells > 20

    # ------------------------------------------------ the walk-through stepper (section 3)
    walk = fv.fifo_frames(fv.PRESETS["FIFO order"])
    n = len(walk) - 1
    wait_for_text(page, f"{WALK} .evt-why", step_re(0, n))
    click(page, f"{WALK} .evt-forward")
    wait_for_text(page, f"{WALK} .evt-why", step_re(1, n))
    assert walk[1].why in text_of(page, f"{WALK} .evt-why")
    # the xchg of READY: the shared word is 0, Linux's local copy beside it holds q7
    take = next(f for f in fv.ops(walk, "ready") if f.local_ready is not None)
    jump = widget(page, f"{WALK} .evt-jump input")
    jump.fill(str(take.index))
    jump.press("Enter")
    wait_for_text(page, f"{WALK} .evt-why", step_re(take.index, n))
    assert "READY=0x0000" in text_of(page, f"{WALK} .evt-fifo-queues")
    wait_for_text(page, f"{WALK} .evt-fifo-local-word",
                  f"Linux's local copy: READY={take.local_ready:#06x}")
    assert "local" in text_of(page, f"{WALK} .evt-fifo-queue[data-q='7'] .evt-fifo-local")
    # the walk ends as 2-level's does: the upcall returns
    assert walk[-1].op == "return"
    press_slider(page, f"{WALK} .evt-slider", "End")
    wait_for_text(page, f"{WALK} .evt-why", step_re(n, n))
    assert walk[n].why in text_of(page, f"{WALK} .evt-why")
    assert "so the upcall returns; it delivered 5, 3, 7" in text_of(page, f"{WALK} .evt-why")
    assert page.locator(f"{WALK} .evt-fifo-local-word").count() == 0
    click(page, f"{WALK} .evt-reset")
    click(page, f"{WALK} .evt-forward")
    wait_for_text(page, f"{WALK} .evt-why", step_re(1, n))

    # ------------------------------------------------ the explorer (section 10)
    frames = fv.fifo_frames(fv.PRESETS["FIFO order"])
    n = len(frames) - 1
    why = f"{EX} .evt-why"
    view = f"{EX} .evt-view"
    wait_for_text(page, why, step_re(0, n))
    assert "before the script" in text_of(page, view)
    assert "all 16 queues empty" in text_of(page, f"{EX} .evt-fifo-queues")

    click(page, f"{EX} .evt-forward")
    wait_for_text(page, why, step_re(1, n))
    assert frames[1].why in text_of(page, why)
    assert "line 1 of 4: raise 5" in text_of(page, view)
    click(page, f"{EX} .evt-forward")
    click(page, f"{EX} .evt-forward")
    wait_for_text(page, why, step_re(3, n))
    click(page, f"{EX} .evt-back")
    wait_for_text(page, why, step_re(2, n))
    assert frames[2].why in text_of(page, why)          # Xen writes HEAD[7] = 5
    assert "HEAD" in text_of(page, f"{EX} .evt-fifo-queue[data-q='7']")
    click(page, f"{EX} .evt-reset")
    wait_for_text(page, why, step_re(0, n))

    # the slider, with the keyboard
    press_slider(page, f"{EX} .evt-slider", "End")
    wait_for_text(page, why, step_re(n, n))
    assert "delivered so far: 5 3 7" in text_of(page, view)
    press_slider(page, f"{EX} .evt-slider", "ArrowLeft", "ArrowLeft")
    wait_for_text(page, why, step_re(n - 2, n))
    assert frames[n - 2].why in text_of(page, why)
    assert "delivered so far: 5 3" in text_of(page, view)

    # switch the scenario: a new stepper, at step 0, with the new step count
    run = fv.run_script(fv.PRESETS["priority preemption"])
    m = len(run.frames) - 1
    assert m != n
    widget(page, f"{EX} .evt-fifo-preset select").select_option("priority preemption")
    wait_for_text(page, why, step_re(0, m))
    assert "on 5 raise 9" in text_of(page, f"{EX} .evt-fifo-script")

    # jump to the moment port 9 is linked inside port 5's handler: queue 0 holds 9,
    # queue 7 still holds 6 (Linux's next), queue 12 holds 4
    k = fv.ops(run.frames, "upcall-flag")[-1].index
    jump = widget(page, f"{EX} .evt-jump input")
    jump.fill(str(k))
    jump.press("Enter")
    wait_for_text(page, why, step_re(k, m))
    assert "handler of port 5: raise 9" in text_of(page, view)
    q0 = text_of(page, f"{EX} .evt-fifo-queue[data-q='0']")
    q7 = text_of(page, f"{EX} .evt-fifo-queue[data-q='7']")
    assert "READY" in q0 and "9" in q0
    assert "6" in q7 and "next" in q7 and "HEAD (stale)" in q7
    press_slider(page, f"{EX} .evt-slider", "End")
    wait_for_text(page, why, step_re(m, m))
    assert "delivered so far: 5 9 6 4" in text_of(page, view)

    # build a script with the bounded controls: raise 42, upcall
    click(page, f"{EX} .evt-fifo-clear")
    wait_for_text(page, why, step_re(0, 0))
    port = widget(page, f"{EX} .evt-fifo-port input")
    port.fill("42")
    port.press("Enter")
    click(page, f"{EX} .evt-fifo-add")
    widget(page, f"{EX} .evt-fifo-op select").select_option("upcall")
    click(page, f"{EX} .evt-fifo-add")
    mine = fv.run_script([("raise", 42), ("upcall",)])
    j = len(mine.frames) - 1
    wait_for_text(page, why, step_re(0, j))
    assert "raise 42" in text_of(page, f"{EX} .evt-fifo-script")
    assert widget(page, f"{EX} .evt-fifo-preset select").input_value() == "(your script)"
    press_slider(page, f"{EX} .evt-slider", "End")
    wait_for_text(page, why, step_re(j, j))
    assert "delivered so far: 42" in text_of(page, view)

    # the walk stepper was not disturbed by the explorer
    assert step_re(1, len(walk) - 1).search(text_of(page, f"{WALK} .evt-why"))
