"""FIFO event-array pages, Xen's private pending flag and the switch from 2-level.

Each test works out the expected state by hand in its docstring (Xen
``event_fifo.c``: ``add_page_to_event_array``, ``setup_ports``,
``evtchn_fifo_init_control``; Linux ``events_fifo.c``: ``evtchn_fifo_setup``,
``init_array_page``).
"""

from __future__ import annotations

import pytest

import evtlib
from evtlib.abi.fifoword import M, P
from evtlib.abi.limits import bound_memory


def test_default_is_all_pages():
    """grow="all" (default): 128 pages, 512 KiB, every port bound and unmasked,
    expand_array refused (ENOSPC) with nothing changed."""
    s = evtlib.Fifo()
    assert s.grow == "all" and s.event_array_pages == 128
    assert s.shared_bytes() == 512 * 1024
    s.set_pending(5000)
    with pytest.raises(ValueError, match="all 128 pages"):
        s.expand_array()
    assert s.event_array_pages == 128 and s.upcall() == [5000]


def test_on_demand_starts_empty_and_bind_adds_pages():
    """On demand: no page. bind(1000) needs 1500 // 1024 + 1 = 2 pages, so
    pages 0 and 1 are added (every word masked), then port 1500 is unmasked
    (irq start-up). Port 20, never bound, has a word but stays masked."""
    s = evtlib.Fifo(grow="on-demand")
    assert s.event_array_pages == 0 and s.shared_bytes() == 0
    s.bind(1500, 0)
    assert s.event_array_pages == 2 and s.shared_bytes() == 8192
    assert not s.is_masked(1500) and s.is_masked(20)
    assert s.event_word(20) == M


def test_pages_match_bound_memory():
    """The model's own pages agree with the arithmetic of bound_memory for
    the highest bound port: 1 -> 1 page, 1023 -> 1, 1024 -> 2, 131071 -> 128."""
    for highest in (1, 1023, 1024, 5000, 131071):
        s = evtlib.Fifo(grow="on-demand")
        s.bind(highest, 0)
        assert s.event_array_pages == bound_memory("fifo", 64, highest).extra_pages
        assert s.shared_bytes() == bound_memory("fifo", 64, highest).bytes
        assert s.memory() == s.shared_bytes()


def test_raise_before_page_is_kept_917c123029():
    """Port 2000 (page 1) raised before any page: Xen sets its private
    pending flag, nothing is visible (no word, no upcall). bind(2000) adds
    pages 0 and 1; adding page 1 re-raises 2000 (P set, word masked, so not
    linked); the start-up unmask finds P and links it: delivered [2000]."""
    s = evtlib.Fifo(grow="on-demand")
    assert s.set_pending(2000) is True
    assert s.set_pending(2000) is False          # already flagged: merged
    assert s.xen_pending() == [2000] and s.pending_ports() == []
    assert not s.upcall_pending(0)
    s.bind(2000, 0)
    assert s.xen_pending() == []
    assert s.upcall(0) == [2000]


def test_raise_before_page_is_lost_without_the_fix():
    """missing="drop" (Xen before 917c123029): the same raise is lost, so
    after bind(2000) nothing is pending and the upcall delivers nothing."""
    s = evtlib.Fifo(grow="on-demand", missing="drop")
    s.set_pending(2000)
    s.bind(2000, 0)
    assert s.xen_pending() == [] and s.upcall(0, force=True) == []


def test_expand_array_reraises_only_its_page():
    """Flags on 5 (page 0) and 1030 (page 1). expand_array() adds page 0
    only: 5 is re-raised (P+M: pending, masked, not linked), 1030 keeps its
    flag. A second expand_array re-raises 1030 the same way."""
    s = evtlib.Fifo(grow="on-demand")
    s.set_pending(5)
    s.set_pending(1030)
    assert s.expand_array() == 1
    assert s.event_word(5) == P | M and s.xen_pending() == [1030]
    assert s.expand_array() == 2
    assert s.event_word(1030) == P | M and s.xen_pending() == []
    assert s.upcall(0, force=True) == []          # masked: nothing linked


def test_expand_past_128_pages_changes_nothing():
    s = evtlib.Fifo(grow="on-demand")
    for _ in range(128):
        s.expand_array()
    before = s.snapshot()
    with pytest.raises(ValueError, match="ENOSPC"):
        s.expand_array()
    assert s.event_array_pages == 128 and s.snapshot() == before


def test_guest_ops_need_a_page():
    """Linux never touches a word it has not set up: mask/unmask/clear of a
    page-less port are refused and change nothing; is_masked reads True
    (Xen's evtchn_fifo_is_masked) and is_pending False."""
    s = evtlib.Fifo(grow="on-demand")
    for op in (s.mask, s.unmask, s.clear_pending):
        with pytest.raises(ValueError, match="no event word yet"):
            op(7)
    assert s.is_masked(7) and not s.is_pending(7) and s.event_array_pages == 0


def test_timer_port_sets_up_its_page():
    """set_timer_port on demand: the timer port is set up (page added,
    unmasked) and gets priority 0 as xen_setup_timer does."""
    s = evtlib.Fifo(vcpus=2, grow="on-demand")
    s.set_timer_port(1, 3000)
    assert s.event_array_pages == 3 and not s.is_masked(3000)
    assert s.priority(3000) == 0 and s.notify_vcpu(3000) == 1


def test_bad_grow_and_missing():
    with pytest.raises(ValueError, match="grow"):
        evtlib.Fifo(grow="lazy")
    with pytest.raises(ValueError, match="missing"):
        evtlib.Fifo(missing="lose")


# ------------------------------------------------------------ switching
def _two_level():
    """2-level, 2 vCPUs: 3, 700, 1000 and 3000 pending; 700 notifies vCPU 1;
    1000 masked; port 9 is vCPU 0's timer."""
    s = evtlib.TwoLevel(vcpus=2)
    s.set_timer_port(0, 9)
    s.bind(700, 1)
    s.mask(1000)
    for p in (3, 700, 1000, 3000):
        s.set_pending(p)
    return s


def test_switch_carries_pending_as_xen_flags():
    """setup_ports: every port pending in the 2-level bitmap (below the old
    limit, 4096) gets Xen's private flag; there is no page yet, so nothing
    is pending in FIFO terms. Notify vCPUs, Linux CPUs, timers and upcall
    flags survive; priorities are all 7 (the timer too, until Linux sets
    it again). The 2-level model is unchanged."""
    two = _two_level()
    before = two.snapshot()
    f = evtlib.switch_to_fifo(two)
    assert isinstance(f, evtlib.Fifo) and f.grow == "on-demand"
    assert f.event_array_pages == 0
    assert f.xen_pending() == [3, 700, 1000, 3000] and f.pending_ports() == []
    assert f.notify_vcpu(700) == 1 and f.cpu_of(700) == 1
    assert f.timer_port(0) == 9 and f.priority(9) == 7
    assert f.upcall_pending(0) == two.upcall_pending(0)
    assert two.snapshot() == before


def test_switch_then_bind_delivers_when_page_and_unmask_come():
    """After the switch, bind(3) adds page 0: 3, 700 and 1000 are re-raised
    (P+M each); the start-up unmask of 3 links it: vCPU 0 delivers [3].
    700 and 1000 wait for their own bind (masked): bind(700, 1) links 700
    on vCPU 1 -> [700]. bind(3000) adds pages 1 and 2 and delivers 3000;
    1000 still waits: Linux has not set it up."""
    f = evtlib.switch_to_fifo(_two_level())
    f.bind(3, 0)
    assert f.event_array_pages == 1 and f.xen_pending() == [3000]
    assert f.pending_ports() == [3, 700, 1000]
    assert f.upcall(0) == [3]
    f.bind(700, 1)
    assert f.upcall(1) == [700]
    f.bind(3000, 0)
    assert f.event_array_pages == 3 and f.upcall(0) == [3000]
    assert f.pending_ports() == [1000] and f.is_masked(1000)


def test_switch_documented_loses_everything():
    """missing="drop": what the header's init_control note says: no flag is
    carried, so binding every port delivers nothing."""
    f = evtlib.switch_to_fifo(_two_level(), missing="drop")
    assert f.xen_pending() == []
    for p in (3, 700, 1000, 3000):
        f.bind(p, f.notify_vcpu(p))
    assert f.upcall(0, force=True) == [] and f.upcall(1, force=True) == []


@pytest.mark.parametrize("bad", [evtlib.Fifo(), evtlib.ThreeLevel(), "2l", None])
def test_switch_refuses_what_is_not_two_level(bad):
    with pytest.raises(TypeError, match="2-level"):
        evtlib.switch_to_fifo(bad)


def test_switch_refuses_bad_missing_and_changes_nothing():
    two = _two_level()
    before = two.snapshot()
    with pytest.raises(ValueError, match="missing"):
        evtlib.switch_to_fifo(two, missing="maybe")
    assert two.snapshot() == before
