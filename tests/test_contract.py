"""The model contract (docs/api-contract.md), run against every scheme.

The ``scheme`` fixture (tests/conftest.py) is a fresh 2-vCPU model of each
configuration: 2-level and 3-level x W=32/64 x resume/from-zero, and FIFO.
Expected delivery orders are exact:

* from a fresh model, the resume scan starts at position 0 and the from-zero
  scan always starts at 0, so with no handler both deliver ascending port
  order;
* after deliveries, the resume scan starts just after the last delivered
  port: the order is the sorted ports rotated at that point (section 1.6:
  start word from start_b, later words, wrap, earlier words, start word in
  full where only the bits below start_b are still pending);
* FIFO with one priority delivers in link order (section 3.7).
"""

from __future__ import annotations

from collections import Counter

import pytest

import evtlib
from conftest import MAX_PORTS, Recorder, spread_ports


def order(s, ports, link_order=None, vcpu=0, after=None):
    """Exact delivery order of an upcall with no handler.

    ports: the ports that will be delivered; link_order: the order they were
    linked (FIFO, one priority); after: the last port delivered earlier by
    this vCPU's resume scan (None: fresh)."""
    if s.name == "fifo":
        return list(link_order if link_order is not None else ports)
    ports = sorted(ports)
    if s.scan == "from-zero" or after is None:
        return ports
    start = (after + 1) % s.max_ports
    return [p for p in ports if p >= start] + [p for p in ports if p < start]


def test_identity(scheme, make_scheme):
    s = scheme
    assert s.name == make_scheme.name
    assert s.vcpus == 2
    assert s.word_bits == make_scheme.word_bits
    assert s.scan == make_scheme.scan
    assert s.timer_first is False
    assert s.max_ports == MAX_PORTS[(s.name, s.word_bits)]
    assert isinstance(evtlib.SCHEMES[s.name](), type(s))


def test_describe_is_one_line(scheme):
    d = scheme.describe()
    assert isinstance(d, str) and d and "\n" not in d
    assert "2 vCPUs" in d
    if scheme.word_bits is not None:
        assert f"W={scheme.word_bits}" in d
        assert f"scan={scheme.scan}" in d


def test_schemes_registry():
    assert evtlib.SCHEMES == {"2l": evtlib.TwoLevel, "3l": evtlib.ThreeLevel,
                              "fifo": evtlib.Fifo}
    assert isinstance(evtlib.make_scheme("2l", word_bits=32), evtlib.TwoLevel)
    assert evtlib.make_scheme("2l", word_bits=32).max_ports == 1024
    assert isinstance(evtlib.make_scheme("fifo"), evtlib.Fifo)
    with pytest.raises(ValueError, match="4l"):
        evtlib.make_scheme("4l")


def test_fresh_state(scheme):
    s = scheme
    assert s.pending_ports() == []
    for p in spread_ports(s):
        assert not s.is_pending(p) and not s.is_masked(p)
        assert s.notify_vcpu(p) == 0 and s.cpu_of(p) == 0
    assert s.upcall_pending(0) is False and s.upcall_pending(1) is False
    assert s.timer_port(0) is None and s.timer_port(1) is None


def test_set_pending_true_on_new_edge_false_when_merged(scheme):
    s = scheme
    for p in spread_ports(s):
        assert s.set_pending(p) is True
        assert s.set_pending(p) is False
        assert s.is_pending(p)
    assert s.pending_ports() == spread_ports(s)
    assert s.upcall_pending(0) is True
    got = s.upcall(0)
    assert got == order(s, spread_ports(s), link_order=spread_ports(s))
    assert s.pending_ports() == []


def test_nothing_lost_with_consistent_binding(scheme):
    """Every unmasked pending port bound (Xen notify vCPU and Linux CPU, via
    s.bind) to a vCPU is delivered exactly once by that vCPU's upcall, and by
    no other vCPU.  Raised in descending order so FIFO's link order differs
    from port order."""
    s = scheme
    ports = spread_ports(s)
    owner = {p: i % 2 for i, p in enumerate(ports)}
    for p in ports:
        s.bind(p, owner[p])
        assert s.notify_vcpu(p) == owner[p] and s.cpu_of(p) == owner[p]
    raised = sorted(ports, reverse=True)
    for p in raised:
        assert s.set_pending(p) is True
    mine = {v: [p for p in raised if owner[p] == v] for v in (0, 1)}
    assert s.upcall_pending(0) and s.upcall_pending(1)
    assert s.upcall(0) == order(s, mine[0], link_order=mine[0])
    assert sorted(s.pending_ports()) == sorted(mine[1])
    assert s.upcall(1) == order(s, mine[1], link_order=mine[1])
    assert s.pending_ports() == []
    assert s.upcall_pending(0) is False and s.upcall_pending(1) is False
    assert s.upcall(0, force=True) == [] and s.upcall(1, force=True) == []


def test_masked_ports_never_delivered(scheme):
    """Masked pending ports are never delivered, by any number of upcalls;
    unmasking them delivers each exactly once."""
    s = scheme
    ports = spread_ports(s)
    masked = ports[::2]
    free = ports[1::2]
    for p in masked:
        s.mask(p)
    for p in ports:
        assert s.set_pending(p) is True
    got = s.upcall(0)
    assert got == order(s, free, link_order=free)
    assert s.pending_ports() == masked
    assert all(s.is_masked(p) for p in masked)
    assert s.upcall(0, force=True) == []
    assert s.upcall(1, force=True) == []
    assert s.pending_ports() == masked
    for p in masked:
        s.unmask(p)
        assert not s.is_masked(p)
    assert s.upcall_pending(0) is True
    got2 = s.upcall(0)
    assert got2 == order(s, masked, link_order=masked, after=got[-1])
    assert s.pending_ports() == []


@pytest.mark.parametrize("how", ["linux", "xen"])
def test_unmask_reraises_pending_port(scheme, how):
    s = scheme
    for p in spread_ports(s):
        s.mask(p)
        assert s.set_pending(p) is True
        assert s.upcall_pending(0) is False
        assert s.upcall(0) == []
        if how == "linux":
            s.unmask(p)
        else:
            s.xen_unmask(p)
        assert s.upcall_pending(0) is True
        assert s.set_pending(p) is False
        assert s.upcall(0) == [p]
        assert not s.is_pending(p)


def test_unmask_of_unmasked_nonpending_port_does_nothing(scheme):
    s = scheme
    before = s.snapshot()
    s.unmask(5)
    s.xen_unmask(5)
    assert s.snapshot() == before


def test_raise_merges_and_delivers_once(scheme):
    s = scheme
    assert s.set_pending(33) is True
    for _ in range(3):
        assert s.set_pending(33) is False
    assert s.upcall(0) == [33]
    assert s.set_pending(33) is True
    assert s.upcall(0) == [33]


def test_clear_pending_cancels_delivery(scheme):
    s = scheme
    s.set_pending(3)
    s.set_pending(70)
    s.clear_pending(3)
    assert s.pending_ports() == [70]
    assert s.upcall(0) == [70]
    assert s.pending_ports() == []


@pytest.mark.parametrize("op", ["set_pending", "mask", "unmask", "clear_pending",
                                "xen_unmask", "is_pending", "is_masked",
                                "notify_vcpu", "cpu_of"])
def test_port_zero_and_out_of_range_refused(scheme, op):
    s = scheme
    fn = getattr(s, op)
    for bad in (0, s.max_ports, s.max_ports + 1, -1):
        with pytest.raises(ValueError):
            fn(bad)
    fn(s.max_ports - 1)     # the last port is valid
    fn(1)


def test_s5_19_port_zero_never_valid(scheme):
    """Item 19 / 0.1: port 0 is reserved in every scheme: raising, masking,
    unmasking, clearing, binding, querying or making it a timer is refused,
    and nothing changes."""
    s = scheme
    before = s.snapshot()
    for call in (lambda: s.set_pending(0), lambda: s.mask(0), lambda: s.unmask(0),
                 lambda: s.xen_unmask(0), lambda: s.clear_pending(0),
                 lambda: s.bind(0, 1), lambda: s.bind_to_cpu(0, 1),
                 lambda: s.xen_bind_vcpu(0, 1), lambda: s.is_pending(0),
                 lambda: s.is_masked(0), lambda: s.set_timer_port(0, 0)):
        with pytest.raises(ValueError, match="0"):
            call()
    assert s.snapshot() == before
    assert s.set_pending(1) is True       # port 1 is the first valid port
    assert s.upcall(0) == [1]


def test_bind_refuses_port_zero_and_out_of_range(scheme):
    s = scheme
    for bad in (0, s.max_ports):
        with pytest.raises(ValueError):
            s.bind(bad, 1)
        with pytest.raises(ValueError):
            s.bind_to_cpu(bad, 1)
        with pytest.raises(ValueError):
            s.xen_bind_vcpu(bad, 1)
        with pytest.raises(ValueError):
            s.set_timer_port(0, bad)
    s.bind(s.max_ports - 1, 1)
    assert s.notify_vcpu(s.max_ports - 1) == 1


def test_handler_runs_after_ack_and_reraise_is_new_edge(scheme):
    """Item 19 for every scheme: inside the handler the port is not pending;
    a re-raise returns True and is delivered again by the same upcall."""
    s = scheme
    for p in (5, 70, s.max_ports - 1):
        seen = []

        def again(port, seen=seen):
            seen.append(s.is_pending(port))
            seen.append(s.set_pending(port))

        h = Recorder({p: [again]})
        s.set_pending(p)
        assert s.upcall(0, h) == [p, p]
        assert seen == [False, True]
        assert s.pending_ports() == []


def test_upcall_needs_flag_unless_forced(scheme):
    s = scheme
    s.mask(9)
    s.set_pending(9)
    assert s.upcall_pending(0) is False
    assert s.upcall(0) == []
    assert s.upcall(0, force=True) == []
    assert s.pending_ports() == [9]


def test_bindings_reported(scheme):
    s = scheme
    s.xen_bind_vcpu(5, 1)
    assert (s.notify_vcpu(5), s.cpu_of(5)) == (1, 0)
    s.bind_to_cpu(6, 1)
    assert (s.notify_vcpu(6), s.cpu_of(6)) == (0, 1)
    s.bind(7, 1)
    assert (s.notify_vcpu(7), s.cpu_of(7)) == (1, 1)
    assert not s.is_masked(7)
    s.bind(7, 0)
    assert (s.notify_vcpu(7), s.cpu_of(7)) == (0, 0)


def test_ports_of_other_vcpu_not_delivered(scheme):
    s = scheme
    s.bind(40, 1)
    s.set_pending(40)
    assert s.upcall_pending(0) is False
    assert s.upcall(0, force=True) == []
    assert s.upcall(1) == [40]


def test_timer_port_binding(scheme):
    """set_timer_port binds the port to that vCPU on both sides; Xen refuses
    to move a per-vCPU VIRQ to another vCPU (0.2: EINVAL)."""
    s = scheme
    s.set_timer_port(1, 100)
    assert s.timer_port(1) == 100 and s.timer_port(0) is None
    assert (s.notify_vcpu(100), s.cpu_of(100)) == (1, 1)
    before = s.snapshot()
    with pytest.raises(ValueError):
        s.xen_bind_vcpu(100, 0)
    assert s.snapshot() == before
    s.set_pending(100)
    assert s.upcall(1) == [100]


def test_priority_only_for_fifo(scheme):
    s = scheme
    if s.name == "fifo":
        assert s.priority(5) == 7
        s.set_priority(5, 1)
        assert s.priority(5) == 1
    else:
        with pytest.raises(NotImplementedError):
            s.set_priority(5, 1)
        with pytest.raises(NotImplementedError):
            s.priority(5)


def test_snapshot_tracks_pending_and_masked(scheme):
    s = scheme
    s.mask(64)
    s.set_pending(64)
    s.set_pending(3)
    snap = s.snapshot()
    assert tuple(snap.pending) == (3, 64)
    assert tuple(snap.masked) == (64,)
    assert snap.scheme == s.name and snap.vcpus == 2 and snap.max_ports == s.max_ports
    assert tuple(snap.upcall_pending) == (True, False)


def test_snapshots_equal_for_equal_histories(make_scheme):
    a, b = make_scheme(vcpus=2), make_scheme(vcpus=2)
    for s in (a, b):
        s.mask(64)
        s.set_pending(3)
        s.set_pending(64)
        s.bind(70, 1)
    assert a.snapshot() == b.snapshot()
    b.set_pending(70)
    assert a.snapshot() != b.snapshot()


def test_counters_count_deliveries_and_upcalls(scheme):
    s = scheme
    s.reset_counters()
    assert s.counters.as_dict() == {"reads": 0, "writes": 0, "atomics": 0,
                                    "deliveries": 0, "upcalls": 0, "passes": 0}
    for p in (3, 64, 70):
        s.set_pending(p)
    assert s.counters.atomics > 0
    got = s.upcall(0)
    assert Counter(got) == Counter([3, 64, 70])
    assert s.counters.deliveries == 3
    assert s.counters.upcalls == 1
    assert s.counters.passes == 1
    s.reset_counters()
    assert all(v == 0 for v in s.counters.as_dict().values())
