"""The Backend workload and late EOI in the simulator (EOIs scheduled by deliveries).

Expected ticks are worked out by hand in each docstring.
"""

from __future__ import annotations

import pytest

import evtlib
from evtlib.sim.workloads import Backend, Timer


def _ticks(trace):
    return (trace.table.column("d", "tick").tolist(),
            trace.table.column("d", "latency").tolist())


@pytest.mark.parametrize("scheme", ["2l", "3l", "fifo"])
def test_lateeoi_backend_one_delivery_per_eoi(scheme):
    """Port 5 raised every tick 0..11; handler 1 tick; EOI 3 ticks after the
    handler. Tick 0: delivered (latency 0), masked; the handler ends at 1,
    EOI due at 4. The raise at 1 sets PENDING (masked: no delivery), 2 and 3
    merge. Tick 4: the EOI comes before tick 4's raise, unmasks, and 5 is
    delivered for the raise of tick 1 (latency 3); EOI due at 8; likewise
    delivered at 8 (latency 3). The EOI due at 12 falls after the run, so
    the raise of tick 9 is left waiting. Three upcalls, 8 merged raises."""
    t = evtlib.simulate(scheme, Backend(5, 1.0, work=3), ticks=12, seed=0)
    assert _ticks(t) == ([0, 4, 8], [0, 3, 3])
    assert t.summary.upcalls == 3 and t.summary.merged == 8
    assert t.summary.waiting == ((5, 9),)


@pytest.mark.parametrize("scheme", ["2l", "fifo"])
def test_plain_backend_one_delivery_per_raise(scheme):
    """Plain edge handling: the ack clears PENDING and the next raise is a new
    edge, so 5 is delivered at every tick 0..11, all in one upcall that
    never ends while the frontend raises."""
    t = evtlib.simulate(scheme, Backend(5, 1.0, work=3, lateeoi=False), ticks=12, seed=0)
    assert _ticks(t) == (list(range(12)), [0] * 12)
    assert t.summary.upcalls == 1


def test_lateeoi_spec_binds_the_port():
    """The workload's spec binds port 5 late-EOI (on vCPU 1 here), so a
    model given by name ends the run with 5 among its late-EOI ports."""
    s = evtlib.Fifo(vcpus=2)
    evtlib.simulate(s, Backend(5, 0.5, work=2, vcpu=1) + Timer(1, 4), ticks=20, seed=0)
    assert s.lateeoi_ports == frozenset({5}) and s.notify_vcpu(5) == 1


def test_clock_is_restored_and_loop_control_runs_in_the_simulator():
    """600 late-EOI frontends each raising once at tick 0, work 1000 ticks
    (so no EOI comes back during the run): one upcall delivers all 600 at
    one tick each. With every=256, timeout 0, jiffy 1: the deadline is set
    at event 256 (tick 255), passed at event 512 (tick 511): one deferring
    upcall. The model's clock is None again after the run."""
    s = evtlib.Fifo()
    s.loop_ctrl = evtlib.LoopCtrl(256, 0, 10, 1)
    w = Backend(1, 1e-6, work=1000)
    for p in range(2, 601):
        w = w + Backend(p, 1e-6, work=1000)
    t = evtlib.simulate(s, evtlib.Explicit([(0, p) for p in range(1, 601)]) + w,
                        ticks=700, seed=0)
    assert t.summary.deliveries == 600 and s.deferring_upcalls == 1
    assert s._clock is None


def test_backend_checks():
    with pytest.raises(ValueError, match="work"):
        Backend(5, 1.0, work=0)
    with pytest.raises(TypeError, match="lateeoi"):
        Backend(5, 1.0, lateeoi="yes")
    with pytest.raises(ValueError, match="rate"):
        Backend(5, 0.0)
    assert "lateeoi" in Backend(5, 2.0).describe()
