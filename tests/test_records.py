"""Immutable records and cost counters (evtlib.abi.records)."""

import dataclasses

import pytest

import evtlib
from evtlib.abi.records import Counters


def test_snapshot_and_step_are_frozen():
    s = evtlib.TwoLevel()
    s.record()
    s.set_pending(5)
    snap = s.snapshot()
    step = s.steps[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.pending = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.port = 6
    assert snap.pending == (5,)
    assert step.op == "raise" and step.port == 5 and step.state.pending == (5,)


def test_snapshot_vcpu_view_is_a_copy():
    s = evtlib.TwoLevel(vcpus=2)
    snap = s.snapshot()
    view = snap.vcpu(1)
    view["selector"] = 99
    assert snap.vcpu(1)["selector"] == 0


def test_counters_reset_and_dict():
    c = Counters()
    c.reads += 3
    c.atomics += 1
    assert c.as_dict()["reads"] == 3 and c.as_dict()["atomics"] == 1
    c.reset()
    assert set(c.as_dict().values()) == {0}


def test_recording_is_off_by_default_and_can_stop():
    s = evtlib.Fifo()
    s.set_pending(3)
    assert s.steps == ()
    s.record()
    s.set_pending(4)
    assert [st.op for st in s.steps][:1] == ["raise"]
    s.record(False)
    s.set_pending(5)
    assert s.steps == ()


def test_steps_carry_the_scans_local_copy():
    """2-level: words left in the taken selector; FIFO: the local READY bits."""
    s = evtlib.TwoLevel()
    s.record()
    for p in (3, 70):
        s.set_pending(p)
    s.upcall()
    locals_ = [(st.op, st.port, st.local) for st in s.steps]
    assert all(loc is None for op, _, loc in locals_ if op in ("raise", "upcall"))
    assert ("deliver", 3, (0, 1)) in locals_ and ("deliver", 70, (0, 1)) in locals_
    f = evtlib.Fifo()
    f.record()
    for p in (3, 5):
        f.set_pending(p)
    f.upcall()
    got = [(st.op, st.port, st.local) for st in f.steps if st.local is not None]
    # queue 7 stays in the local READY until its last event (LINK 0) is taken
    assert got[:3] == [("ready", None, 1 << 7), ("dequeue", 3, 1 << 7), ("deliver", 3, 1 << 7)]
    assert ("dequeue", 5, 0) in got


def test_consecutive_snapshots_share_what_did_not_change():
    """Copy-on-write: pages of the bitmaps and the settings maps are shared
    between snapshots until the model changes them, and a snapshot never
    sees a later change."""
    s = evtlib.ThreeLevel(64, vcpus=16)
    for p in range(1, 20_000):
        if p % 16:
            s.bind(p, p % 16)
    a = s.snapshot()
    s.set_pending(5)
    b = s.snapshot()
    pages_a, pages_b = a._pending.args[0], b._pending.args[0]
    assert pages_a[0] is not pages_b[0]                  # page 0 changed
    assert all(x is y for x, y in zip(pages_a[1:], pages_b[1:]))
    maps_a, maps_b = a._settings.args[0], b._settings.args[0]
    assert all(ma is mb for (_, ma), (_, mb) in zip(maps_a, maps_b))
    s.bind(20_001, 3)                                    # a settings change
    c = s.snapshot()
    assert ("notify", 20_001, 3) in c.settings
    assert ("notify", 20_001, 3) not in a.settings and ("notify", 20_001, 3) not in b.settings
    bound = sum(1 for p in range(1, 20_000) if p % 16)
    assert a.pending == () and b.pending == (5,) and len(a.settings) == 2 * bound


def test_fifo_snapshot_settings_survive_later_links():
    f = evtlib.Fifo()
    f.set_priority(5, 3)
    a = f.snapshot()
    f.set_pending(5)                                     # links 5: lastq changes
    f.set_priority(6, 2)
    b = f.snapshot()
    assert ("priority", 6, 2) not in a.settings and ("lastq", 5, 3) not in a.settings
    assert ("priority", 6, 2) in b.settings and ("lastq", 5, 3) in b.settings


def test_fifo_snapshots_share_the_event_array_pages():
    """A step that changes one event word copies one page, however many
    words are non-zero (here 20,000 masked ports)."""
    f = evtlib.Fifo()
    for p in range(1, 20_001):
        f.mask(p)
    a = f.snapshot()
    f.set_pending(70_000)
    b = f.snapshot()
    pages_a = [p for g in a._words.args[0] for p in g]
    pages_b = [p for g in b._words.args[0] for p in g]
    shared = sum(x is y for x, y in zip(pages_a, pages_b))
    assert shared == len(pages_a) - 1
    assert len(a.masked) == 20_000 and a.pending == () and b.pending == (70_000,)
    assert dict(b.words)[70_000] & (1 << 31) and 70_000 not in dict(a.words)
