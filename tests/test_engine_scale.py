"""The simulator's cost follows events: idle vCPUs, idle ticks and long
handlers cost nothing; an interrupted run can still hand back its trace.

(Speed is measured in benchmarks/bench_sim.py, never here: these tests
check behaviour, e.g. that a run with a handler of a billion ticks gives
the right trace, which it could only do quickly by jumping over the ticks.)
"""

from __future__ import annotations

import pytest

import evtlib
from evtlib.sim import simulate
from evtlib.sim.records import MAX_CLOCK
from evtlib.sim.trace import Trace
from evtlib.sim.workloads import Explicit, Flood, FromGenerator, PortSpec, preset


def test_a_long_handler_jumps_to_each_raise_at_its_tick():
    w = Explicit([(0, 3), (5, 4), (999_999_000, 5)])
    t = simulate("2l", w, ticks=10**9, seed=0, handler_time=10**9)
    assert [(e.tick, e.port) for e in t.raises] == [(0, 3), (5, 4), (999_999_000, 5)]
    assert [(e.tick, e.port, e.latency) for e in t.deliveries] == [
        (0, 3, 0), (10**9, 4, 10**9 - 5), (2 * 10**9, 5, 2 * 10**9 - 999_999_000)]
    assert t.summary.end == 3 * 10**9
    assert Trace.loads(t.dumps()) == t


def test_a_handler_past_the_clock_limit_stops_the_run():
    t = simulate("fifo", Explicit([(0, 3), (0, 4)]), ticks=10, seed=0,
                 handler_time=MAX_CLOCK - 5)
    assert t.summary.stopped and "past the clock's limit" in t.summary.stopped
    # Port 4's handler starts at MAX_CLOCK - 5 (delivered, stamped) and could
    # not end: the run stops there.
    assert t.delivered_ports() == [3, 4] and t.summary.end == MAX_CLOCK - 5
    assert Trace.loads(t.dumps()) == t


@pytest.mark.parametrize("bad", [MAX_CLOCK + 1, 10**30])
def test_ticks_and_handler_time_are_bounded(bad):
    with pytest.raises(ValueError, match=r"ticks .* out of range: valid values are 1\.\."):
        simulate("2l", [], ticks=bad, seed=0)
    with pytest.raises(ValueError, match="handler_time .* out of range"):
        simulate("2l", [], ticks=10, seed=0, handler_time=bad)


def test_idle_vcpus_change_nothing():
    """The same workload on 2 and on 1,024 vCPUs (ports on vCPUs 0 and 1):
    the same deliveries, at the same ticks."""
    specs = {p: PortSpec(vcpu=p % 2) for p in range(8, 200)}
    w = preset("mixed") + FromGenerator(lambda t, r: [], specs=specs)
    a = simulate("2l", w, ticks=800, seed=4, vcpus=2)
    b = simulate("2l", w, ticks=800, seed=4, vcpus=1024)
    assert [(e.tick, e.port, e.vcpu) for e in a.deliveries] == \
        [(e.tick, e.port, e.vcpu) for e in b.deliveries]


class Stop(KeyboardInterrupt):
    pass


def _interrupting(after: int):
    count = [0]

    def hook(port, tick):
        count[0] += 1
        if count[0] == after:
            raise Stop
        return ()
    return Flood(3, rate=0.5) + FromGenerator(lambda t, r: [(0, 9)], on_deliver=hook)


@pytest.mark.parametrize("name", ["2l", "3l", "fifo"])
def test_partial_returns_the_trace_so_far_on_ctrl_c(name):
    t = simulate(name, _interrupting(40), ticks=1000, seed=0, partial=True)
    assert t.summary.stopped.startswith("interrupted (Ctrl-C) at tick")
    assert t.summary.deliveries == 40
    assert Trace.loads(t.dumps()) == t          # consistent: it passes the checks
    with pytest.raises(KeyboardInterrupt):
        simulate(name, _interrupting(40), ticks=1000, seed=0)


def test_an_interrupted_run_leaves_the_model_usable():
    s = evtlib.make_scheme("fifo")
    s.upcall_limit = 77
    with pytest.raises(KeyboardInterrupt):
        simulate(s, _interrupting(10), ticks=1000, seed=0, record=True)
    assert s.upcall_limit == 77 and not s.recording
    assert isinstance(s.upcall(0, force=True), list)
