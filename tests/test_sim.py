"""The simulator: clock, ordering, latency bookkeeping, set-up and limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evtlib
from evtlib.sim import DEFAULT_HORIZON, resolve_scheme, schedule, simulate
from evtlib.sim.trace import DeliverEvent, RaiseEvent, UpcallEvent
from evtlib.sim.workloads import (Explicit, Flood, FromGenerator, Guests, Mix, Periodic,
                              Poisson, Timer, preset, with_priority)

SCHEMES = [("2l", {"word_bits": 32}), ("2l", {"word_bits": 64, "scan": "from-zero"}),
           ("3l", {"word_bits": 32}), ("fifo", {})]


def kinds(trace):
    return [(type(e).__name__[0], e.tick, getattr(e, "port", None)) for e in trace.events]


# ------------------------------------------------------------ determinism
@pytest.mark.parametrize("name,opts", SCHEMES)
def test_same_seed_same_trace_bit_for_bit(name, opts):
    w = preset("mixed")
    a = simulate(name, w, ticks=400, seed=7, **opts)
    b = simulate(name, preset("mixed"), ticks=400, seed=7, **opts)
    assert a == b
    assert a.dumps() == b.dumps()
    c = simulate(name, w, ticks=400, seed=8, **opts)
    assert c.events != a.events


def test_schedule_is_what_simulate_raises():
    w = Poisson(range(1, 500), rate=0.5) + Periodic(3, every=7)
    sched = schedule(w, 300, seed=4)
    t = simulate("2l", w, ticks=300, seed=4, handler_time=0)
    assert [(e.tick, e.port) for e in t.raises] == sched
    assert sched == sorted(sched, key=lambda e: e[0])


# ---------------------------------------------------------------- the clock
def test_raises_of_a_tick_come_before_its_upcall_and_keep_their_order():
    w = Explicit([(0, 9), (0, 5), (0, 7)])
    t = simulate("fifo", w, ticks=10, seed=0)
    assert kinds(t)[:4] == [("R", 0, 9), ("R", 0, 5), ("R", 0, 7), ("U", 0, None)]
    # FIFO delivers in raise order, one handler tick each.
    assert [(e.tick, e.port, e.latency) for e in t.deliveries] == [
        (0, 9, 0), (1, 5, 1), (2, 7, 2)]


def test_handler_time_moves_the_clock_and_raises_arrive_inside_handlers():
    # Port 5 raised at tick 1 arrives while port 9's 3-tick handler runs.
    w = Explicit([(0, 9), (1, 5)])
    t = simulate("fifo", w, ticks=10, seed=0, handler_time=3)
    assert kinds(t) == [("R", 0, 9), ("U", 0, None), ("D", 0, 9), ("R", 1, 5),
                        ("D", 3, 5)]
    up = t.upcalls[0]
    assert (up.tick, up.end, up.deliveries) == (0, 6, 2)
    assert t.deliveries[1].latency == 2


def test_zero_handler_time_delivers_within_the_tick():
    w = Explicit([(0, 3), (0, 4), (5, 6)])
    t = simulate("2l", w, ticks=10, seed=0, handler_time=0)
    assert [(e.tick, e.port, e.latency) for e in t.deliveries] == [
        (0, 3, 0), (0, 4, 0), (5, 6, 0)]
    assert t.summary.upcalls == 2


def test_per_port_handler_time_overrides_the_default():
    w = Explicit([(0, 1), (0, 2), (0, 3)])
    t = simulate("fifo", w, ticks=20, seed=0, handler_time=1, port_handler_time={1: 5})
    assert [(e.tick, e.port) for e in t.deliveries] == [(0, 1), (5, 2), (6, 3)]
    assert t.config.port_handler_time == ((1, 5),)


def test_idle_time_is_skipped_not_simulated():
    w = Explicit([(0, 3), (9_999_990, 4)])
    t = simulate("2l", w, ticks=10_000_000, seed=0)
    assert [(e.tick, e.port) for e in t.deliveries] == [(0, 3), (9_999_990, 4)]


def test_run_ends_at_ticks_and_the_last_upcall_finishes():
    t = simulate("2l", Flood(1), ticks=50, seed=0, handler_time=2)
    assert max(e.tick for e in t.raises) < 50
    assert t.summary.end >= 50
    assert t.summary.waiting == ()
    assert t.summary.dropped == 1       # the re-raise due at tick 50


# --------------------------------------------------------------- latency
def test_merged_raises_are_counted_not_timed():
    w = Explicit([(0, 4), (0, 4), (0, 4), (0, 8)])
    t = simulate("2l", w, ticks=10, seed=0)
    assert [e.merged for e in t.raises] == [False, True, True, False]
    assert t.summary.merged == 2
    assert t.delivered_ports() == [4, 8]
    assert [e.latency for e in t.deliveries] == [0, 1]


def test_delivery_serves_the_oldest_waiting_raise():
    # Port 7 raised at 0 (delivered at 2, after port 6's long handler), raised
    # again at 3: that second raise is served at its own delivery.
    w = Explicit([(0, 6), (0, 7), (3, 7)])
    t = simulate("fifo", w, ticks=20, seed=0, port_handler_time={6: 2})
    assert [(e.tick, e.port, e.latency) for e in t.deliveries] == [
        (0, 6, 0), (2, 7, 2), (3, 7, 0)]


def test_masked_port_is_reported_waiting_at_the_end():
    s = evtlib.make_scheme("2l", word_bits=32)
    s.mask(5)
    t = simulate(s, Explicit([(0, 5), (0, 6)]), ticks=20, seed=0)
    assert t.delivered_ports() == [6]
    assert t.summary.waiting == ((5, 0),)


# ---------------------------------------------------------------- set-up
def test_timer_spec_sets_the_models_timer_port():
    s = evtlib.make_scheme("fifo", vcpus=2)
    t = simulate(s, Timer(12, every=5, vcpu=1) + Periodic(3, every=5), ticks=20, seed=0)
    assert s.timer_port(1) == 12 and s.priority(12) == 0
    assert t.config.timers == ((1, 12),)
    assert {e.vcpu for e in t.deliveries if e.port == 12} == {1}
    assert {e.vcpu for e in t.deliveries if e.port == 3} == {0}


def test_priorities_apply_to_fifo_and_are_ignored_by_bitmaps():
    w = with_priority(Explicit([(0, 9), (0, 2)]), {9: 1})
    f = simulate("fifo", w, ticks=10, seed=0)
    b = simulate("2l", w, ticks=10, seed=0)
    assert f.delivered_ports() == [9, 2]
    assert b.delivered_ports() == [2, 9]
    assert b.config.priorities == ((9, 1),)
    assert "ignored" in b.text()


def test_binding_delivers_on_the_bound_vcpu():
    w = Mix(Periodic(40, every=4, vcpu=1), Periodic(3, every=4))
    for name, opts in SCHEMES:
        t = simulate(name, w, ticks=20, seed=0, vcpus=2, **opts)
        assert {e.vcpu for e in t.deliveries if e.port == 40} == {1}
        assert {e.vcpu for e in t.deliveries if e.port == 3} == {0}
        assert t.config.bindings == ((40, 1),)


def test_scheme_by_name_or_instance():
    s = evtlib.make_scheme("3l", word_bits=32, scan="from-zero")
    assert resolve_scheme(s) is s
    t = simulate(s, Explicit([(0, 1)]), ticks=5, seed=0)
    assert t.config.scheme == "3l" and t.config.scan == "from-zero"
    assert t.config.describe == s.describe()
    with pytest.raises(TypeError, match="scheme name"):
        simulate(s, Explicit([(0, 1)]), ticks=5, seed=0, vcpus=2)
    with pytest.raises(ValueError, match="unknown scheme"):
        simulate("4l", Explicit([(0, 1)]), ticks=5, seed=0)
    with pytest.raises(TypeError, match="scheme must be"):
        simulate(3, Explicit([(0, 1)]), ticks=5, seed=0)


# ------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,exc,text", [
    ({"ticks": 0}, ValueError, "ticks 0 is out of range"),
    ({"ticks": 2.5}, TypeError, "ticks must be an integer"),
    ({"seed": -1}, ValueError, "seed -1 is out of range"),
    ({"seed": None}, TypeError, "seed must be an integer"),
    ({"handler_time": -1}, ValueError, "handler_time -1"),
    ({"horizon": -5}, ValueError, "horizon -5"),
    ({"port_handler_time": {0: 1}}, ValueError, "port 0 is out of range"),
    ({"port_handler_time": {3: -2}}, ValueError, "handler time of port 3"),
    ({"progress": 5}, TypeError, "progress must be callable"),
])
def test_bad_arguments_name_the_value_and_range(kwargs, exc, text):
    args = {"ticks": 10, "seed": 0, **kwargs}
    with pytest.raises(exc, match=text):
        simulate("2l", Explicit([(0, 1)]), **args)


def test_ports_are_checked_against_the_scheme():
    with pytest.raises(ValueError, match=r"port 1024 .*valid ports .* 1\.\.1023"):
        simulate("2l", Explicit([(0, 1024)]), ticks=5, seed=0, word_bits=32)
    with pytest.raises(ValueError, match=r"first_port|1\.\.1023"):
        simulate("2l", Guests(300), ticks=5, seed=0, word_bits=32)
    # The same workload fits 64-bit 2-level.
    simulate("2l", Explicit([(0, 1024)]), ticks=5, seed=0, word_bits=64)


def test_events_outside_the_run_are_rejected_not_clamped():
    with pytest.raises(ValueError, match=r"tick 10, outside the run: valid ticks are 0\.\.9"):
        simulate("2l", Explicit([(10, 1)]), ticks=10, seed=0)
    bad = FromGenerator(lambda ticks, rng: [(0, 1, 2)])
    with pytest.raises(TypeError, match="pairs"):
        simulate("2l", bad, ticks=10, seed=0)
    with pytest.raises(TypeError, match="a workload must be"):
        simulate("2l", 42, ticks=10, seed=0)


def test_a_plain_list_or_function_is_a_workload():
    listed = simulate("fifo", [(0, 7), (0, 3)], ticks=10, seed=0)
    assert listed.delivered_ports() == [7, 3]
    assert listed.config.workload == "explicit(7@0, 3@0)"

    def two_raises(ticks, rng):
        return [(int(rng.integers(0, ticks)), 5), (0, 6)]
    made = simulate("2l", two_raises, ticks=10, seed=4)
    assert made.config.workload == "two_raises"
    assert sorted(made.delivered_ports()) == [5, 6]
    assert simulate("2l", two_raises, ticks=10, seed=4) == made


def test_hook_raising_into_the_past_is_an_error():
    w = FromGenerator(lambda ticks, rng: [(0, 1)], on_deliver=lambda p, t: [(t - 1, 2)])
    with pytest.raises(ValueError, match="before its handler ends"):
        simulate("2l", w, ticks=10, seed=0)


def test_zero_time_on_handle_flood_is_refused():
    with pytest.raises(ValueError, match="handler time must be >= 1"):
        simulate("2l", Flood(3), ticks=10, seed=0, handler_time=0)
    with pytest.raises(ValueError, match="port 3"):
        simulate("2l", Flood(3), ticks=10, seed=0, port_handler_time={3: 0})


# ---------------------------------------------------------- upcall limit
def test_a_hook_that_never_lets_the_clock_move_is_stopped_not_hung():
    s = evtlib.make_scheme("2l")
    s.upcall_limit = 50
    w = FromGenerator(lambda ticks, rng: [(0, 1)], on_deliver=lambda p, t: [(t, p)])
    t = simulate(s, w, ticks=10, seed=0, handler_time=0)
    assert t.summary.stopped and "limit of 50" in t.summary.stopped
    assert t.summary.deliveries == 50
    assert s.upcall_limit == 50
    assert "Stopped early" in t.text()


def test_long_floods_raise_the_limit_for_the_run_only():
    s = evtlib.make_scheme("2l")
    s.upcall_limit = 100
    t = simulate(s, Flood(2), ticks=500, seed=0)
    assert t.summary.stopped is None
    assert t.summary.deliveries == 500
    assert s.upcall_limit == 100


# --------------------------------------------------------------- counters
@pytest.mark.parametrize("name,opts", SCHEMES)
def test_costs_come_from_the_model_counters(name, opts):
    s = evtlib.make_scheme(name, **opts)
    s.counters.reads = 1000         # deltas only: earlier traffic is not counted
    r0 = s.counters.reads
    t = simulate(s, preset("mixed"), ticks=300, seed=1)
    c, sm = s.counters, t.summary
    assert sm.xen_reads + sm.guest_reads == c.reads - r0
    assert sm.xen_writes + sm.guest_writes == c.writes
    assert sm.xen_atomics + sm.guest_atomics == c.atomics
    assert sm.passes == c.passes and sm.upcalls == c.upcalls
    assert sm.deliveries == c.deliveries == len(t.deliveries)
    ups = t.upcalls
    assert sum(u.deliveries for u in ups) == sm.deliveries
    assert sum(u.reads for u in ups) == sm.guest_reads
    assert all(u.passes >= 1 for u in ups)


def test_upcall_record_sits_where_the_upcall_started():
    t = simulate("2l", Explicit([(0, 1), (4, 2)]), ticks=10, seed=0)
    assert [type(e) for e in t.events] == [RaiseEvent, UpcallEvent, DeliverEvent,
                                           RaiseEvent, UpcallEvent, DeliverEvent]
    assert [u.index for u in t.upcalls] == [1, 2]
    assert [d.upcall for d in t.deliveries] == [1, 2]


# ----------------------------------------------------------------- extras
def test_record_keeps_model_steps_outside_equality():
    s = evtlib.make_scheme("fifo")
    t = simulate(s, Explicit([(0, 1), (0, 2)]), ticks=5, seed=0, record=True)
    assert any(st.op == "deliver" for st in t.steps)
    assert s.steps == ()            # recording is switched off again
    plain = simulate("fifo", Explicit([(0, 1), (0, 2)]), ticks=5, seed=0)
    assert plain == t and plain.steps == ()


def test_progress_is_reported_up_to_the_end():
    seen = []
    simulate("2l", Flood(1), ticks=1000, seed=0, progress=lambda n, T: seen.append((n, T)))
    assert seen[-1] == (1000, 1000)
    assert 2 <= len(seen) <= 205
    assert [n for n, _ in seen] == sorted(n for n, _ in seen)


def test_config_echoes_the_run():
    t = simulate("2l", preset("timer"), ticks=100, seed=3, word_bits=32,
                 timer_first=True, options=[("preset", "timer")])
    c = t.config
    assert (c.scheme, c.word_bits, c.scan, c.timer_first, c.seed, c.ticks) == (
        "2l", 32, "resume", True, 3, 100)
    assert c.horizon == DEFAULT_HORIZON
    assert c.policy == "resume + timer first"
    assert c.port_class(20) == "timer" and c.port_class(4) == "busy"
    assert c.options == (("preset", "timer"),)


# --------------------------------------------------------------- invariants
@settings(max_examples=40, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 1023)), min_size=1,
                      max_size=30),
       handler_time=st.integers(0, 4), scheme=st.sampled_from(SCHEMES),
       flood=st.one_of(st.none(), st.integers(1, 1023)))
def test_every_unmerged_raise_is_delivered_or_left_waiting(pairs, handler_time,
                                                           scheme, flood):
    name, opts = scheme
    w = Explicit(pairs)
    if flood is not None and handler_time:
        w = w + Flood(flood)
    t = simulate(name, w, ticks=41, seed=0, handler_time=handler_time,
                 **{**opts, "word_bits": 32} if name != "fifo" else {})
    unmerged = sum(not e.merged for e in t.raises)
    timed = sum(e.latency is not None for e in t.deliveries)
    assert timed + len(t.summary.waiting) == unmerged
    assert t.summary.waiting == ()          # nothing masked: all delivered
    assert all(e.latency >= 0 for e in t.deliveries)
    ticks = [e.tick for e in t.events]
    assert ticks == sorted(ticks)           # the event stream is in time order
    assert all(e.tick < 41 for e in t.raises)


@pytest.mark.parametrize("slow_vcpu", [0, 1])
def test_a_vcpus_index_does_not_change_its_latency(slow_vcpu):
    """Port 70 (5-tick handler) on one vCPU, port 6 raised at tick 2 on the other.

    The vCPUs share one clock: port 6 is served when 70's handler ends, at tick
    5 (waited 3), whichever vCPU holds it; a vCPU flagged during another's
    upcall is not pushed to the next tick because of its index."""
    s = evtlib.TwoLevel(vcpus=2)
    other = 1 - slow_vcpu
    s.bind(70, slow_vcpu, cpu=slow_vcpu)
    s.bind(6, other, cpu=other)
    t = evtlib.simulate(s, evtlib.Explicit([(0, 70), (2, 6)]), ticks=20, seed=0,
                        handler_time=1, port_handler_time={70: 5})
    got = [(e.port, e.tick, e.latency) for e in t.events if type(e) is DeliverEvent]
    assert got == [(70, 0, 0), (6, 5, 3)]


def test_a_refused_timer_set_up_leaves_the_model_unchanged():
    """Two timer ports for one vCPU: refused before anything is changed."""
    s = evtlib.Fifo(vcpus=2)
    s.set_timer_port(1, 7)
    before = s.snapshot()
    with pytest.raises(ValueError, match="vCPU 0's VIRQ_TIMER is already port 5"):
        simulate(s, evtlib.Timer(5, 10) + evtlib.Timer(6, 10), ticks=20, seed=0)
    assert s.snapshot() == before and s.timer_port(0) is None
