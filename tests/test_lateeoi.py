"""Late EOI (Linux's lateeoi chip, XSA-332) and the upcall loop control.

Expected orders are worked out by hand in each docstring. Linux sources:
``events_base.c`` (``lateeoi_ack_dynirq``, ``xen_irq_lateeoi_locked``,
``handle_irq_for_port``, ``__xen_evtchn_do_upcall``).
"""

from __future__ import annotations

import copy

import pytest

import evtlib
from evtlib.abi.lateeoi import EOI_DELAY, LOOP_EVERY, LOOP_TIMEOUT, LoopCtrl

SCHEMES = [lambda: evtlib.TwoLevel(vcpus=2), lambda: evtlib.ThreeLevel(vcpus=2),
           lambda: evtlib.Fifo(vcpus=2)]


@pytest.fixture(params=SCHEMES, ids=["2l", "3l", "fifo"])
def make(request):
    return request.param


def test_linux_defaults():
    """events_base.c: every 256 events, event_loop_timeout 2 jiffies,
    event_eoi_delay 10 jiffies."""
    assert (LOOP_EVERY, LOOP_TIMEOUT, EOI_DELAY) == (256, 2, 10)
    assert evtlib.Fifo().loop_ctrl == LoopCtrl(256, 2, 10, 1)


def test_ack_masks_until_eoi(make):
    """Port 5 late-EOI, 9 plain. Raise 5 and 9: the upcall delivers both in
    port order (FIFO: raise order, also 5, 9). 5's ack masks it; its handler
    re-raises 5, which only sets PENDING (masked). A second upcall delivers
    nothing. eoi(5) unmasks it: pending, so it is delivered: [5]."""
    s = make()
    s.bind(5, 0, lateeoi=True)
    s.set_pending(5)
    s.set_pending(9)

    def handler(port):
        if port == 5:
            s.set_pending(5)

    assert s.upcall(0, handler) == [5, 9]
    assert s.is_masked(5) and s.is_pending(5) and s.eoi_pending(5)
    assert s.upcall(0, force=True) == []
    assert s.eoi(5) == "unmasked"
    assert not s.eoi_pending(5)
    assert s.upcall(0) == [5]


def test_raises_between_ack_and_eoi_merge(make):
    """Three raises of 5 while it awaits its EOI: the first sets PENDING,
    the other two merge (set_pending returns False). After the EOI one
    delivery comes, not three."""
    s = make()
    s.bind(5, 0, lateeoi=True)
    s.set_pending(5)
    assert s.upcall(0) == [5]
    assert [s.set_pending(5) for _ in range(3)] == [True, False, False]
    s.eoi(5)
    assert s.upcall(0) == [5]
    assert s.upcall(0, force=True) == []


def test_unmask_and_rebind_keep_it_masked(make):
    """While the EOI is pending, unmask(5) and bind(5, 1) leave it masked
    (Linux's 'EOI pending' mask reason stays); the EOI unmasks it, and the
    pending raise is delivered on its new vCPU 1: [5]."""
    s = make()
    s.bind(5, 0, lateeoi=True)
    s.set_pending(5)
    s.upcall(0)
    s.set_pending(5)
    s.unmask(5)
    s.bind(5, 1)
    assert s.is_masked(5) and s.eoi_pending(5)
    assert s.upcall(0, force=True) == [] and s.upcall(1, force=True) == []
    s.eoi(5)
    assert s.upcall(1) == [5]


def test_eoi_without_pending_eoi_is_a_no_op(make):
    s = make()
    s.bind(5, 0, lateeoi=True)
    assert s.eoi(5) == "none" and not s.is_masked(5)


def test_eoi_of_a_plain_port_is_refused(make):
    """eoi() on a port not bound late-EOI: ValueError, nothing changes."""
    s = make()
    s.set_pending(9)
    before = s.snapshot()
    with pytest.raises(ValueError, match="not bound late-EOI"):
        s.eoi(9)
    assert s.snapshot() == before


def test_bind_plain_while_eoi_pending_is_refused(make):
    s = make()
    s.bind(5, 0, lateeoi=True)
    s.set_pending(5)
    s.upcall(0)
    with pytest.raises(ValueError, match="waiting for its EOI"):
        s.bind(5, 0, lateeoi=False)
    assert s.eoi_pending(5) and 5 in s.lateeoi_ports


class Boom(Exception):
    pass


def test_handler_that_raises_keeps_lateeoi_state(make):
    """Ports 5 (late-EOI) and 9 pending; 5's handler raises. The exception
    propagates; 5 was acked (masked, awaiting EOI) and 9 is still pending.
    The next upcall delivers [9]; 5 comes after its EOI only if re-raised:
    raise it, EOI, deliver [5]. Nothing lost, nothing delivered twice."""
    s = make()
    s.bind(5, 0, lateeoi=True)
    s.set_pending(5)
    s.set_pending(9)

    def handler(port):
        if port == 5:
            raise Boom

    with pytest.raises(Boom):
        s.upcall(0, handler)
    assert s.eoi_pending(5) and s.is_masked(5) and s.is_pending(9)
    assert s.upcall(0) == [9]
    s.set_pending(5)
    assert s.upcall(0, force=True) == []
    s.eoi(5)
    assert s.upcall(0) == [5]


# ------------------------------------------------------------ loop control
def _storm(make, ctrl):
    """Ports 1..600 late-EOI, all pending; a clock that moves one unit per
    delivered event (each handler takes one unit)."""
    s = make()
    s.loop_ctrl = ctrl
    clock = [0]
    s.set_clock(lambda: clock[0])
    for p in range(1, 601):
        s.bind(p, 0, lateeoi=True)
        s.set_pending(p)
    eois = []

    def handler(port):
        clock[0] += 1
        eois.append((port, s.eoi(port)))       # the backend EOIs at once
    return s, clock, eois, handler


def test_loop_control_defers_eois_after_the_deadline(make):
    """every=256, timeout=2 jiffies of 10 units, delay=10 jiffies. Event 256
    is handled at clock 255 (its handler moves the clock after the check):
    the deadline becomes 255 + 20 = 275. Event 512 is checked at clock 511
    > 275: from event 512 on EOIs are deferred. So events 1..511 are EOId
    at once ("unmasked") and 512..600 are "deferred", each until its
    delivery time + 100; the worker at time 611 (the last delivery at 599,
    + 100 = 699 is later) does none of the last; at 10**6 it does them all."""
    s, clock, eois, handler = _storm(make, LoopCtrl(256, 2, 10, 10))
    delivered = s.upcall(0, handler)
    assert len(delivered) == 600 and s.deferring_upcalls == 1
    kinds = [k for _, k in eois]
    assert kinds[:511] == ["unmasked"] * 511 and kinds[511:] == ["deferred"] * 89
    assert s.deferred_eois()[0] == (511 + 100, delivered[511])
    deferred = [p for p, k in eois if k == "deferred"]
    assert all(s.is_masked(p) for p in deferred)
    assert s.eoi_worker(610) == []
    assert s.eoi_worker(10**6) == deferred
    assert not any(s.is_masked(p) for p in deferred)


def test_eoi_after_the_upcall_is_not_deferred(make):
    """An EOI time was set during the deferring upcall, but the EOI comes
    after that upcall ended (Linux's irq_epoch moved on): unmask at once."""
    s, clock, eois, _ = _storm(make, LoopCtrl(4, 0, 10, 1))
    late_handler = lambda port: clock.__setitem__(0, clock[0] + 1)  # noqa: E731
    delivered = s.upcall(0, late_handler)
    assert s.deferring_upcalls == 1 and len(delivered) == 600
    assert s.eoi(delivered[-1]) == "unmasked"


def test_no_clock_never_defers(make):
    """Without a clock the time reads 0: the deadline (0 + 2) is never
    passed, so no EOI is deferred however many events an upcall takes."""
    s = make()
    for p in range(1, 601):
        s.bind(p, 0, lateeoi=True)
        s.set_pending(p)
    out = []
    s.upcall(0, lambda p: out.append(s.eoi(p)))
    assert set(out) == {"unmasked"} and s.deferring_upcalls == 0


def test_loop_ctrl_checks():
    with pytest.raises(ValueError, match="every"):
        LoopCtrl(every=0)
    with pytest.raises(TypeError):
        LoopCtrl(jiffy=1.5)
    with pytest.raises(TypeError, match="clock"):
        evtlib.Fifo().set_clock(5)


# ------------------------------------------- the interrupted-upcall contract
from test_interrupted import SEEDS as _SEEDS, Boom as _Boom, random_state, raiser  # noqa: E402


def _with_lateeoi(s, seed: int):
    """Bind every third pending port late-EOI, on the vCPU it notifies."""
    for p in s.pending_ports()[seed % 3::3]:
        s.bind(p, s.notify_vcpu(p), lateeoi=True)
    return s


@pytest.mark.parametrize("seed", _SEEDS)
def test_interrupted_upcall_with_lateeoi_ports(make_scheme, seed):
    """The contract of EventChannels.upcall holds on the late-EOI path: a
    handler raising at delivery k leaves full[:k + 1] delivered, the late-EOI
    ports among them masked and awaiting their EOI (the one that raised too),
    and the next upcall delivers exactly full[k + 1:]; the model then ends
    where the uninterrupted one did, EOIs pending included."""
    s = _with_lateeoi(random_state(make_scheme, seed), seed)
    reference = copy.deepcopy(s)
    full = reference.upcall(0, lambda p: None)
    assert full
    for k in range(len(full)):
        m = copy.deepcopy(s)
        seen = []
        with pytest.raises(_Boom):
            m.upcall(0, raiser(k, seen))
        assert seen == full[:k + 1]
        if full[k] in m.lateeoi_ports:
            assert m.eoi_pending(full[k]) and m.is_masked(full[k])
        assert m.upcall(0, lambda p: None) == full[k + 1:]
        assert m.pending_ports() == reference.pending_ports()
        assert ({p for p in m.lateeoi_ports if m.eoi_pending(p)}
                == {p for p in reference.lateeoi_ports if reference.eoi_pending(p)})


@pytest.mark.parametrize("seed", _SEEDS)
def test_interrupted_upcall_on_demand_fifo(seed):
    """The same contract on a FIFO whose pages came on demand: ports set up
    by bind (pages added), some raised before their page and carried."""
    import random
    rng = random.Random(seed)
    s = evtlib.Fifo(vcpus=2, grow="on-demand")
    ports = sorted(rng.sample(range(1, 5000), 12))
    s.set_pending(ports[-1])                 # before its page: carried
    for p in ports:
        s.bind(p, rng.randrange(2) if rng.random() < 0.3 else 0)
    for p in rng.sample(ports, 8):
        s.set_pending(p)
    reference = copy.deepcopy(s)
    full = reference.upcall(0, lambda p: None)
    for k in range(len(full)):
        m = copy.deepcopy(s)
        with pytest.raises(_Boom):
            m.upcall(0, raiser(k, []))
        assert m.upcall(0, lambda p: None) == full[k + 1:]
        assert m.pending_ports() == reference.pending_ports()
