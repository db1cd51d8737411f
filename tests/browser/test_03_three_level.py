"""Notebook 03 in a real JupyterLab: Run All, then drive the stepper and the 3-level explorer.

Expected texts come from the model (evtlib.views.bitmap.upcall_frames with the
notebook's arguments).
"""

from __future__ import annotations

import re

import pytest
from lab import click, open_and_run, press_slider, text_of, wait_for_text, wait_one

from evtlib.views import bitmap as bv

pytestmark = pytest.mark.browser

NOTEBOOK = "03-three-level.ipynb"
CAN = ".evt-canonical"
EXP = ".evt-explorer-03"
CANON3 = dict(pending=(3, 10, 70, 4100), resume=(0, 0, 8), reraise=(10,))
TRY3 = dict(word_bits=32, pending=(3, 10, 70, 1030, 20000), masked=(1030,), reraise=(10,),
            resume=(0, 2, 0))


def step_text(i: int, n: int, frame) -> str:
    return f"Step {i} of {n}: {frame.why}"


def test_three_level_stepper_and_explorer(page):
    result = open_and_run(page, NOTEBOOK)
    assert result.code_cells >= 10
    frames = bv.upcall_frames("3l", **CANON3)
    n = len(frames) - 1
    why, focus = f"{CAN} .evt-why", f"{CAN} .evt-focus"
    wait_for_text(page, why, step_text(0, n, frames[0]))
    assert "3-level (reconstruction) W=64" in text_of(page, f"{CAN} .evt-view")

    # the selector step takes L1 and the L2 words, then the first delivery
    take = next(f.index for f in frames if f.op == "selector" and not f.where)
    for i in range(1, take + 1):
        click(page, f"{CAN} .evt-forward")
    wait_for_text(page, why, step_text(take, n, frames[take]))
    wait_for_text(page, focus, "selector taken: words 0, 1, 64")
    # the delivery of 4100 (beyond 2-level's range): its word and bit are highlighted
    at = next(f.index for f in bv.key_frames(frames) if f.port == 4100)
    press_slider(page, f"{CAN} .evt-slider", *["ArrowRight"] * (at - take))
    wait_for_text(page, why, step_text(at, n, frames[at]))
    wait_for_text(page, focus, "deliver port 4100 (word 64 = (l1 1, l2 0), bit 4)")
    hot = page.locator(f"{CAN} .evt-view .evt-hot")
    assert hot.count() == 1 and hot.get_attribute("title").startswith("port 4100:")

    click(page, f"{CAN} .evt-back")
    wait_for_text(page, why, step_text(at - 1, n, frames[at - 1]))
    click(page, f"{CAN} .evt-reset")
    wait_for_text(page, why, step_text(0, n, frames[0]))

    # explorer: three resume sliders; move l2 and bit with the keyboard
    msg, ewhy = f"{EXP} .evt-message", f"{EXP} .evt-why"
    start = bv.upcall_frames("3l", **TRY3)
    wait_for_text(page, msg, f"delivered in order: {' '.join(map(str, start.delivered))} "
                             f"({len(start) - 1} steps)")
    press_slider(page, f"{EXP} .evt-resume-l2", "Home")
    moved = bv.upcall_frames("3l", **{**TRY3, "resume": (0, 0, 0)})
    assert moved.delivered != start.delivered
    wait_for_text(page, msg, re.compile(
        rf"delivered in order: {' '.join(map(str, moved.delivered))} \("))
    wait_one(page, ewhy, rf"^Step 0 of {len(moved) - 1}: .*\(0, 0, 0\)")
    press_slider(page, f"{EXP} .evt-resume-bit", "End")
    last = bv.upcall_frames("3l", **{**TRY3, "resume": (0, 0, 31)})
    wait_one(page, ewhy, rf"^Step 0 of {len(last) - 1}: .*\(0, 0, 31\)")
    wait_for_text(page, msg, re.compile(
        rf"delivered in order: {' '.join(map(str, last.delivered))} \("))

    # a port beyond W**3 is refused with the valid range
    pending = page.locator(f"{EXP} .evt-pending input")
    pending.fill("3 40000")
    pending.press("Enter")
    wait_for_text(page, msg, re.compile(r"port 40000 is out of range; valid ports are 1\.\.32767"))
