"""Notebook 01 in a real JupyterLab: Run All, then drive the steppers and the explorer.

Expected texts come from the model (evtlib.views.bitmap.upcall_frames with the
notebook's arguments), so the test checks that the page shows what the model says.
"""

from __future__ import annotations

import re

import pytest
from lab import click, open_and_run, press_slider, text_of, wait_for_text, wait_one

from evtlib.views import bitmap as bv

pytestmark = pytest.mark.browser

NOTEBOOK = "01-two-level-upcall.ipynb"
CAN = ".evt-canonical"
EXP = ".evt-explorer-01"
CANON = dict(pending=(3, 10, 70), resume=(0, 8), reraise=(10,))
TRY = dict(word_bits=32, pending=(3, 5, 10, 40, 70), masked=(40,), elsewhere=(5,),
           reraise=(10,), resume=(0, 8))


def step_text(i: int, n: int, frame) -> str:
    return f"Step {i} of {n}: {frame.why}"


def test_canonical_stepper_forward_back_slider_reset(page):
    result = open_and_run(page, NOTEBOOK)
    assert result.code_cells >= 15
    frames = bv.upcall_frames("2l", **CANON)
    n = len(frames) - 1
    why, focus = f"{CAN} .evt-why", f"{CAN} .evt-focus"
    wait_for_text(page, why, step_text(0, n, frames[0]))
    wait_for_text(page, focus, "before the upcall")
    # forward to the first delivery: the view highlights port 10
    first = bv.key_frames(frames)[0].index
    for i in range(1, first + 1):
        click(page, f"{CAN} .evt-forward")
        wait_for_text(page, why, step_text(i, n, frames[i]))
    wait_for_text(page, focus, "deliver port 10 (word 0, bit 10)")
    hot = page.locator(f"{CAN} .evt-view .evt-hot")
    assert hot.count() == 1 and hot.get_attribute("title").startswith("port 10: clear")
    wait_for_text(page, f"{CAN} .evt-delivered", "10")
    click(page, f"{CAN} .evt-back")
    wait_for_text(page, why, step_text(first - 1, n, frames[first - 1]))
    wait_for_text(page, focus, "reading word 0")
    # the slider, with the keyboard: End, then one step back
    press_slider(page, f"{CAN} .evt-slider", "End")
    wait_for_text(page, why, step_text(n, n, frames[n]))
    wait_for_text(page, f"{CAN} .evt-delivered", "10 70 3 10")
    press_slider(page, f"{CAN} .evt-slider", "ArrowLeft")
    wait_for_text(page, why, step_text(n - 1, n, frames[n - 1]))

    click(page, f"{CAN} .evt-reset")
    wait_for_text(page, why, step_text(0, n, frames[0]))
    wait_for_text(page, f"{CAN} .evt-delivered", "none yet")
def test_explorer_controls_recompute_the_upcall(page):
    open_and_run(page, NOTEBOOK)
    msg, why = f"{EXP} .evt-message", f"{EXP} .evt-why"
    start = bv.upcall_frames("2l", **TRY)
    order = " ".join(map(str, start.delivered))
    wait_for_text(page, msg, f"delivered in order: {order} ({len(start) - 1} steps)")
    wait_one(page, why, rf"^Step 0 of {len(start) - 1}: before the upcall")

    # resume bit 8 -> 0 with the keyboard: a different order and a fresh stepper
    press_slider(page, f"{EXP} .evt-resume-bit", "Home")
    moved = bv.upcall_frames("2l", **{**TRY, "resume": (0, 0)})
    assert moved.delivered != start.delivered
    order = " ".join(map(str, moved.delivered))
    wait_for_text(page, msg, f"delivered in order: {order} ({len(moved) - 1} steps)")
    wait_one(page, why, rf"^Step 0 of {len(moved) - 1}: .*resume position is \(0, 0\)")
    click(page, f"{EXP} .evt-forward")
    wait_one(page, why, rf"^Step 1 of {len(moved) - 1}: {re.escape(moved[1].why)}")
    press_slider(page, f"{EXP} .evt-slider", "End")
    wait_one(page, f"{EXP} .evt-delivered", rf"^{order}$")

    # a bad port list shows a message and keeps the last good run
    pending = page.locator(f"{EXP} .evt-pending input")
    pending.fill("3 0")
    pending.press("Enter")
    wait_for_text(page, msg, re.compile(r"port 0 is reserved .*valid ports are 1\.\.1023"))
    assert "Step" in text_of(page, why)

    # new pending ports: delivered in the new order
    pending.fill("6 9 33")
    pending.press("Enter")
    mine = bv.upcall_frames("2l", **{**TRY, "resume": (0, 0), "pending": (6, 9, 33),
                                     "reraise": ()})
    order = " ".join(map(str, mine.delivered))
    assert order == "6 9 33"
    # re-raise 10 is no longer pending: the explorer says so
    wait_for_text(page, msg, re.compile("re-raised ports: 10 not pending"))
    reraise = page.locator(f"{EXP} .evt-reraise input")
    reraise.fill("")
    reraise.press("Enter")
    wait_for_text(page, msg, f"delivered in order: {order} ({len(mine) - 1} steps)")

    # the scan policy dropdown and the word-size toggle
    page.locator(f"{EXP} .evt-scan select").select_option("from-zero")
    zero = bv.upcall_frames("2l", **{**TRY, "resume": (0, 0), "pending": (6, 9, 33),
                                     "reraise": (), "scan": "from-zero"})
    wait_for_text(page, msg, re.compile(rf"\({len(zero) - 1} steps\)"))
    page.locator(f"{EXP} .evt-wordbits button", has_text="64").click()
    wide = bv.upcall_frames("2l", **{**TRY, "resume": (0, 0), "pending": (6, 9, 33),
                                     "reraise": (), "scan": "from-zero", "word_bits": 64})
    wait_one(page, why, rf"^Step 0 of {len(wide) - 1}: ")
    assert "2-level W=64" in text_of(page, f"{EXP} .evt-view")


def test_canonical_stepper_play_at_4x_pause_then_reset(page):
    """Play runs the steps by itself (Play and the slider are linked in the browser,
    so this only works in a real front end); pause stops it where it is; reset stops
    it and goes back to 0."""
    open_and_run(page, NOTEBOOK)
    frames = bv.upcall_frames("2l", **CANON)
    n = len(frames) - 1
    why = f"{CAN} .evt-why"
    wait_for_text(page, why, step_text(0, n, frames[0]))
    page.locator(f"{CAN} .evt-speed select").select_option("4x")
    # what stop does is said where the buttons are: the Play widget's tooltip
    tip = page.locator(f"{CAN} .evt-play").get_attribute("title") or ""
    assert "stop" in tip and "step 0" in tip and "pause" in tip, tip
    assert "stay" in (page.locator(f"{CAN} .evt-pause").get_attribute("title") or "")
    # The Play widget's first button is "play".
    page.locator(f"{CAN} .evt-play button").first.click()
    # 200 ms per step: it passes step 1 without any click.
    wait_for_text(page, why, re.compile(r"^Step ([2-9]|\d\d) of"))
    # pause stays where it is: no rewind, and nothing moves for four steps' time
    click(page, f"{CAN} .evt-pause")
    page.wait_for_timeout(400)          # a step already sent may still arrive
    held = text_of(page, why)
    k = int(re.match(r"^Step (\d+) of", held).group(1))
    assert 2 <= k < n, held
    page.wait_for_timeout(800)
    assert text_of(page, why) == held
    # play again: it goes on from step k to the last step
    page.locator(f"{CAN} .evt-play button").first.click()
    wait_for_text(page, why, re.compile(rf"^Step ({'|'.join(map(str, range(k + 1, n + 1)))}) of"))
    wait_for_text(page, why, step_text(n, n, frames[n]), timeout=60)
    click(page, f"{CAN} .evt-reset")
    wait_for_text(page, why, step_text(0, n, frames[0]))
    page.wait_for_timeout(800)          # four steps' time at 4x: nothing moves now
    wait_for_text(page, why, step_text(0, n, frames[0]), timeout=1)


def test_explorer_end_key_reaches_the_new_last_step_and_w_minus_1(page):
    """End on a slider must use its current range: after a longer scenario the step
    slider's End is the new last step (it stopped at the old one: "Step 25 of 40"),
    and after W=32 -> 64 the resume slider's End is 63 (it stopped at 31)."""
    open_and_run(page, NOTEBOOK)
    msg, why = f"{EXP} .evt-message", f"{EXP} .evt-why"
    start = bv.upcall_frames("2l", **TRY)
    wait_one(page, why, rf"^Step 0 of {len(start) - 1}: before the upcall")

    # a longer scenario: more pending ports, so more steps than the first run
    longer = dict(TRY, pending=(3, 5, 10, 12, 40, 45, 70, 100, 200, 300, 500, 1000))
    frames = bv.upcall_frames("2l", **longer)
    n = len(frames) - 1
    assert n > len(start) - 1
    pending = page.locator(f"{EXP} .evt-pending input")
    pending.fill(" ".join(map(str, longer["pending"])))
    pending.press("Enter")
    wait_for_text(page, msg, f"delivered in order: "
                             f"{' '.join(map(str, frames.delivered))} ({n} steps)")
    wait_one(page, why, rf"^Step 0 of {n}: ")
    press_slider(page, f"{EXP} .evt-slider", "End")
    wait_one(page, why, rf"^Step {n} of {n}: {re.escape(frames[n].why)}")
    press_slider(page, f"{EXP} .evt-slider", "ArrowLeft")
    wait_one(page, why, rf"^Step {n - 1} of {n}: ")

    # W = 64: End on each resume slider goes to 63
    page.locator(f"{EXP} .evt-wordbits button", has_text="64").click()
    wide = dict(longer, word_bits=64)
    wait_one(page, why, rf"^Step 0 of {len(bv.upcall_frames('2l', **wide)) - 1}: ")
    press_slider(page, f"{EXP} .evt-resume-bit", "End")
    wait_one(page, f"{EXP} .evt-resume-bit .widget-readout", r"^63$")
    at_bit = bv.upcall_frames("2l", **{**wide, "resume": (0, 63)})
    wait_one(page, why, rf"^Step 0 of {len(at_bit) - 1}: .*resume position is \(0, 63\)")
    press_slider(page, f"{EXP} .evt-resume-word", "End")
    wait_one(page, f"{EXP} .evt-resume-word .widget-readout", r"^63$")
    at_end = bv.upcall_frames("2l", **{**wide, "resume": (63, 63)})
    wait_one(page, why, rf"^Step 0 of {len(at_end) - 1}: .*resume position is \(63, 63\)")
    wait_for_text(page, msg, f"delivered in order: "
                             f"{' '.join(map(str, at_end.delivered))} ({len(at_end) - 1} steps)")
    # and the step slider of that run ends on its own last step
    press_slider(page, f"{EXP} .evt-slider", "End")
    m = len(at_end) - 1
    wait_one(page, why, rf"^Step {m} of {m}: {re.escape(at_end[m].why)}")


def test_explorer_resume_controls_are_disabled_under_from_zero(page):
    open_and_run(page, NOTEBOOK)
    msg, label = f"{EXP} .evt-message", f"{EXP} .evt-resume-label"
    start = bv.upcall_frames("2l", **TRY)
    wait_for_text(page, msg, re.compile(rf"\({len(start) - 1} steps\)"))
    assert page.locator(f"{EXP} .evt-resume-bit .slider[disabled]").count() == 0
    wait_for_text(page, label, "resume position")
    page.locator(f"{EXP} .evt-scan select").select_option("from-zero")
    zero = bv.upcall_frames("2l", **{**TRY, "scan": "from-zero"})
    wait_for_text(page, msg, re.compile(rf"\({len(zero) - 1} steps\)"))
    wait_for_text(page, label, re.compile(r"not used"))
    for part in ("word", "bit"):
        page.locator(f"{EXP} .evt-resume-{part} .slider[disabled]").wait_for()
    # the keyboard does not move a disabled slider
    press_slider(page, f"{EXP} .evt-resume-bit", "End")
    page.wait_for_timeout(500)
    assert text_of(page, f"{EXP} .evt-resume-bit .widget-readout") == str(TRY["resume"][1])
    # the description fits: the label is not cut (its text is as wide as its box)
    cut = page.evaluate("""(sel) => Array.from(document.querySelectorAll(sel)).map(
        e => e.scrollWidth > e.clientWidth + 1)""", f"{EXP} .evt-resume-word .widget-label")
    assert cut and not any(cut), "the resume slider's description is truncated"
    page.locator(f"{EXP} .evt-scan select").select_option("resume")
    wait_for_text(page, label, "resume position")
    assert page.locator(f"{EXP} .evt-resume-bit .slider[disabled]").count() == 0
