"""Notebook 08's parts 1 and 2 (studies/lifecycle.py) and their views.

Expected values worked out by hand in the docstrings.
"""

from __future__ import annotations

import pytest

from evtlib.studies.lifecycle import (SCENARIOS, delivered_by_switch, early_raise,
                                      page_growth, switch_story, vcpu_frames)
from evtlib.views.lifecycle import (SwitchExplorer, VcpuExplorer, plot_pages, plot_vcpus,
                                    switch_text, vcpu_deliveries, vcpu_text)


def test_switch_story_actual():
    """Pending 3, 700, 1500, 4000 (pages 0, 0, 1, 3). bind 3: page 0 comes,
    3 is delivered, 700 is re-raised but masked (not set up yet). bind
    1500: page 1, delivered. bind 700: its word exists, the start-up unmask
    delivers it. bind 4000: pages 2 and 3 (4 in all), delivered."""
    steps = switch_story("keep")
    assert [s.pages for s in steps] == [0, 1, 2, 2, 4]
    assert [s.delivered for s in steps] == [(), (3,), (1500,), (700,), (4000,)]
    assert steps[1].pending == (700,) and steps[1].flagged == (1500, 4000)


def test_switch_story_documented_loses_all():
    assert delivered_by_switch(switch_story("drop")) == ()
    assert [s.pages for s in switch_story("drop")] == [0, 1, 2, 2, 4]


def test_page_growth_and_early_raise():
    """port // 1024 + 1 pages, never fewer than before."""
    assert page_growth((1, 1023, 1024, 5000, 40)) == ((1, 1), (1023, 1), (1024, 2),
                                                      (5000, 5), (40, 5))
    assert early_raise("keep") == (2000,) and early_raise("drop") == ()


def test_rebind_while_linked_delivers_on_the_old_vcpu():
    """Step 1: each vCPU delivers its own timer (ports 1..4). 10 and 11
    linked on vCPU 0 (step 2); rebind 10 to vCPU 2 (step 3): still LINKED,
    so it stays on vCPU 0's queue: vCPU 2 delivers nothing (4), vCPU 0
    delivers 10, 11 (5); the next raise of 10 goes to vCPU 2 (6, 7)."""
    fr = vcpu_frames("rebind while linked (FIFO)")
    got = vcpu_deliveries(fr)
    assert got[0] == ((1, 1), (5, 10), (5, 11)) and got[2] == ((1, 3), (7, 10))
    assert got[1] == ((1, 2),) and got[3] == ((1, 4),)
    assert fr[3].notify == 2 and fr[3].rows[0][3] == (10, 11)


def test_mismatch_loses_the_edge_in_2l_and_mask_unmask_recovers():
    """After the timers (step 1): Xen notifies vCPU 2, Linux runs the port on
    CPU 0: vCPU 2 skips it, vCPU 0 is not notified (steps 4, 5: nothing
    delivered). mask + unmask on CPU 0 flags vCPU 0, which delivers it at
    step 7. FIFO: vCPU 2 takes it at step 4."""
    timers = {v: ((1, v + 1),) for v in range(4)}
    two = vcpu_deliveries(vcpu_frames("Xen/Linux mismatch (2-level)"))
    assert two == {**timers, 0: ((1, 1), (7, 10))}
    fifo = vcpu_deliveries(vcpu_frames("Xen/Linux mismatch (FIFO)"))
    assert fifo == {**timers, 2: ((1, 3), (4, 10))}
    fig, data = plot_vcpus({name: vcpu_frames(name) for name in SCENARIOS})
    assert data["Xen/Linux mismatch (2-level)"] == two


def test_texts_fit_72_columns():
    for text in [switch_text(switch_story("keep"), switch_story("drop"))] + [
            vcpu_text(f) for name in SCENARIOS for f in vcpu_frames(name)]:
        assert max(len(line) for line in text.splitlines()) <= 72


def test_widgets_only_offer_valid_values():
    v = VcpuExplorer()
    assert v.step.max == len(vcpu_frames(v.scenario.value)) - 1
    for name in SCENARIOS:
        v.scenario.value = name
        v.step.value = v.step.max
        assert "port 10" in v.table.value
    s = SwitchExplorer()
    s.mode.value = "drop"
    s.step.value = 0
    assert "init_control" in s.table.value
    fig, data = plot_pages(page_growth((1, 1500)), switch_story())
    assert data[0] == ((1, 1), (1500, 2))


def test_unknown_scenario():
    with pytest.raises(ValueError, match="valid values"):
        vcpu_frames("nope")
