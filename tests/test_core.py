"""Core machinery: the upcall loop (section 0.2), nested upcalls, the upcall
limit, step recording, snapshot immutability and the 72-column dump."""

from __future__ import annotations

import dataclasses

import pytest

import evtlib
from conftest import Recorder, spread_ports


# --------------------------------------------------------------------------
# Upcall loop (0.2)
# --------------------------------------------------------------------------

def test_upcall_loop_repeats_while_flag_set_again(make_scheme):
    """0.2: the flag is cleared before each pass; a raise during the pass sets
    it again -> one more pass, all within the same upcall() call.
    Ports a < b < c in different words (2L: 3, 200, 1000) or different L1
    groups (3L: 3, W*W+5, 2*W*W+5); the handler of a raises b, the handler
    of b raises c.  Delivered [a, b, c] by every scheme.
    * 2L/3L, both scans: b's (c's) word/L1 bit is not in the local selector
      copy of the running pass, so each comes in the next pass: 3 passes,
      and each handler sees the flag clear on entry (cleared before its
      pass) and set after its raise: [False, True, False, True].
    * FIFO: 3's dequeue left q7 empty, so the raise of b writes a new HEAD
      and READY (flag set); the READY re-read consumes b in the SAME pass,
      so b's handler sees the flag still set; c likewise; the loop then runs
      one more (empty) pass for the flag: 2 passes, [False, True, True, True].
    """
    s = make_scheme()
    if s.name == "3l":
        w2 = s.word_bits ** 2
        a, b, c = 3, w2 + 5, 2 * w2 + 5
    else:
        a, b, c = 3, 200, 1000
    s.set_pending(a)
    flags = []

    def raise_next(nxt):
        def act(p):
            flags.append(s.upcall_pending(0))
            s.set_pending(nxt)
            flags.append(s.upcall_pending(0))
        return act

    h = Recorder({a: [raise_next(b)], b: [raise_next(c)]})
    s.reset_counters()
    assert s.upcall(0, h) == [a, b, c]
    assert s.upcall_pending(0) is False
    assert s.pending_ports() == []
    if s.name == "fifo":
        assert flags == [False, True, True, True]
        assert s.counters.passes == 2
    else:
        assert flags == [False, True, False, True]
        assert s.counters.passes == 3


def test_upcall_counts(make_scheme):
    s = make_scheme()
    s.reset_counters()
    s.set_pending(5)
    s.upcall(0)
    s.upcall(0)                 # flag clear: not entered
    s.upcall(0, force=True)     # entered, one pass, nothing delivered
    assert s.counters.upcalls == 2
    assert s.counters.passes == 2
    assert s.counters.deliveries == 1


# --------------------------------------------------------------------------
# Nested upcall, upcall limit
# --------------------------------------------------------------------------

@pytest.mark.parametrize("target", [0, 1])
def test_nested_upcall_error(make_scheme, target):
    s = make_scheme(vcpus=2)
    s.set_pending(5)
    s.set_pending(6)

    def h(p):
        s.upcall(target, force=True)

    with pytest.raises(evtlib.NestedUpcallError):
        s.upcall(0, h)
    assert issubclass(evtlib.NestedUpcallError, RuntimeError)
    # the model is not left "inside" an upcall: later upcalls run.  (What the
    # aborted pass left behind is not specified: an exception out of a
    # handler abandons the local selector copy / READY like the real loop.)
    assert isinstance(s.upcall(0, force=True), list)
    assert isinstance(s.upcall(1, force=True), list)


def test_upcall_limit_default():
    assert evtlib.TwoLevel().upcall_limit == 100_000
    assert evtlib.Fifo().upcall_limit == 100_000


def test_upcall_limit_error_on_endless_reraise(make_scheme):
    s = make_scheme()
    s.upcall_limit = 50
    s.set_pending(5)
    n = []

    def h(p):
        n.append(p)
        s.set_pending(p)

    with pytest.raises(evtlib.UpcallLimitError) as info:
        s.upcall(0, h)
    assert issubclass(evtlib.UpcallLimitError, RuntimeError)
    assert "50" in str(info.value)
    assert len(n) == 50
    # raised once the 50th delivery completed: its handler had re-raised
    # port 5, which is pending and flagged for the next upcall
    assert s.is_pending(5) and s.upcall_pending(0)
    # not stuck inside the upcall afterwards; nothing was lost
    s.upcall_limit = 100
    assert s.upcall(0) == [5]


@pytest.mark.parametrize("limit, ok", [(4, True), (3, False), (2, False)])
def test_upcall_limit_is_reached_after_a_delivery(make_scheme, limit, ok):
    """upcall_limit = most deliveries in one upcall, checked once a delivery
    completes: 5 re-raised twice is 3 deliveries -> fine with limit 4; with
    limit 3 the error comes right after the third, with 2 after the second
    (whose handler re-raised 5: it is left pending for the next upcall)."""
    s = make_scheme()
    s.upcall_limit = limit
    s.set_pending(5)
    h = Recorder({5: [lambda p: s.set_pending(5), lambda p: s.set_pending(5)]})
    if ok:
        assert s.upcall(0, h) == [5, 5, 5]
    else:
        with pytest.raises(evtlib.UpcallLimitError):
            s.upcall(0, h)
        assert h.seen == [5] * limit
        assert s.upcall(0, h) == ([5] if limit == 2 else [])


# --------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------

def scenario(s):
    """A fixed little history touching raise, merge, mask, unmask, bind, upcall."""
    out = []
    s.set_pending(3)
    s.set_pending(3)
    s.mask(64)
    s.set_pending(64)
    s.set_pending(70)
    s.bind(100, 1)
    s.set_pending(100)
    out.append(s.upcall(0, Recorder({3: [lambda p: s.set_pending(200)]})))
    s.unmask(64)
    out.append(s.upcall(0))
    out.append(s.upcall(1))
    return out


def test_recording_off_by_default(make_scheme):
    s = make_scheme(vcpus=2)
    scenario(s)
    assert s.steps == ()


def test_recording_does_not_change_behaviour(make_scheme):
    a, b = make_scheme(vcpus=2), make_scheme(vcpus=2)
    b.record(True)
    assert scenario(a) == scenario(b)
    assert a.snapshot() == b.snapshot()
    assert len(b.steps) > 0


def test_recorded_steps(make_scheme):
    s = make_scheme(vcpus=2)
    s.record(True)
    out = scenario(s)
    steps = s.steps
    assert isinstance(steps, tuple)
    assert [st.index for st in steps] == list(range(len(steps)))
    for st in steps:
        assert isinstance(st, evtlib.Step)
        assert isinstance(st.op, str) and st.op
        assert isinstance(st.why, str) and st.why.strip()
        assert isinstance(st.state, evtlib.Snapshot)
        with pytest.raises(dataclasses.FrozenInstanceError):
            st.op = "x"
    # the deliveries recorded are exactly the ports returned, in order
    delivered = [st.port for st in steps if st.op == "deliver"]
    assert delivered == [p for call in out for p in call]
    ops = [st.op for st in steps]
    assert "raise" in ops and "merge" in ops and "mask" in ops
    assert "upcall" in ops and "flag-clear" in ops
    # the merged raise of 3 names port 3 (FIFO's unmask of the pending 64
    # runs Xen's raise, whose P test-and-set also finds P set)
    merges = [st.port for st in steps if st.op == "merge"]
    assert merges[0] == 3
    assert set(merges) <= {3, 64}
    # every upcall that was entered is recorded
    assert ops.count("upcall") == 3
    # a deliver step's state shows the port already acked
    for st in steps:
        if st.op == "deliver":
            assert st.port not in st.state.pending


def test_record_off_and_clear(make_scheme):
    s = make_scheme()
    s.record(True)
    s.set_pending(5)
    n = len(s.steps)
    assert n >= 1
    s.record(False)
    s.set_pending(6)
    assert all(st.port != 6 for st in s.steps)
    assert len(s.steps) in (0, n)
    s.record(True)
    s.clear_steps()
    assert s.steps == ()
    s.record(True)
    s.set_pending(7)
    assert s.steps[0].index == 0
    assert s.steps[0].port == 7


def test_last_step_state_is_current_state(make_scheme):
    """record(): "a Step for every state change", each with the snapshot
    after it.  So after any call the last recorded state is the current one.
    Here the last call is an upcall that delivers ports."""
    s = make_scheme(vcpus=2)
    s.record(True)
    scenario(s)
    assert s.steps[-1].state == s.snapshot()


def test_raise_step_on_fresh_port(make_scheme):
    s = make_scheme()
    s.record(True)
    s.set_pending(9)
    raises = [st for st in s.steps if st.op == "raise"]
    assert len(raises) == 1 and raises[0].port == 9
    assert 9 in raises[0].state.pending


# --------------------------------------------------------------------------
# Snapshots
# --------------------------------------------------------------------------

def test_snapshot_is_frozen_and_hashable(make_scheme):
    s = make_scheme(vcpus=2)
    scenario(s)
    snap = s.snapshot()
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.pending = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.vcpus = 9
    hash(snap)
    assert snap == s.snapshot()


def test_snapshot_does_not_change_later(make_scheme):
    s = make_scheme(vcpus=2)
    s.set_pending(3)
    s.mask(64)
    snap = s.snapshot()
    copy = dataclasses.replace(snap)
    s.set_pending(70)
    s.unmask(64)
    s.bind(5, 1)
    s.upcall(0)
    assert snap == copy
    assert tuple(snap.pending) == (3,)
    assert tuple(snap.masked) == (64,)
    assert snap != s.snapshot()


def test_snapshot_vcpu_view_is_a_copy(make_scheme):
    s = make_scheme(vcpus=2)
    s.set_pending(3)
    snap = s.snapshot()
    d = snap.vcpu(0)
    assert isinstance(d, dict)
    d.clear()
    assert snap.vcpu(0) != {}
    assert snap == s.snapshot()


# --------------------------------------------------------------------------
# dump
# --------------------------------------------------------------------------

def _busy(s):
    ports = spread_ports(s)
    for i, p in enumerate(ports):
        if i % 3 == 0:
            s.mask(p)
        if s.vcpus > 1 and i % 2:
            s.bind(p, 1)
        if s.name == "fifo":
            s.set_priority(p, i % 16)
    s.set_timer_port(0, 100)
    for p in ports + [100]:
        s.set_pending(p)
    return s


@pytest.mark.parametrize("vcpus", [1, 3])
def test_dump_fits_72_columns(make_scheme, vcpus):
    s = _busy(make_scheme(vcpus=vcpus))
    text = s.dump()
    assert isinstance(text, str) and text.strip()
    for line in text.splitlines():
        assert len(line) <= 72, repr(line)
        assert "\t" not in line
    # the dump shows the pending ports
    assert str(s.max_ports - 1) in text
    assert "1000" in text


def test_dump_of_fresh_and_drained_models(make_scheme):
    s = make_scheme(vcpus=2)
    for text in (s.dump(),):
        assert all(len(line) <= 72 for line in text.splitlines())
    _busy(s)
    s.upcall(0)
    s.upcall(1)
    assert all(len(line) <= 72 for line in s.dump().splitlines())


def test_deliveries_counted_even_when_the_upcall_limit_stops_it():
    """The counter must agree with what was really delivered before the error."""
    s = evtlib.TwoLevel()
    s.upcall_limit = 5
    s.set_pending(3)
    with pytest.raises(evtlib.UpcallLimitError):
        s.upcall(0, handler=lambda p: s.set_pending(p))
    assert s.counters.deliveries == 5


def test_recording_property_follows_record():
    s = evtlib.Fifo()
    assert not s.recording
    s.record()
    assert s.recording
    s.record(False)
    assert not s.recording


def test_a_second_timer_port_for_one_vcpu_is_refused():
    s = evtlib.TwoLevel(vcpus=2)
    s.set_timer_port(0, 5)
    s.set_timer_port(0, 5)                      # the same port again is fine
    with pytest.raises(ValueError, match="vCPU 0's VIRQ_TIMER is already port 5"):
        s.set_timer_port(0, 6)
    assert s.timer_port(0) == 5 and s.notify_vcpu(6) == 0
