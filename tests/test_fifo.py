"""FIFO ABI: spec section 3 and section-5 items 12-18 (and 19).

Event word: P = bit 31, M = 30, L = 29, BUSY = 28, LINK = bits 0..16.
Queues: 16 per vCPU, 0 highest, default priority 7.  Notation below: HEAD[q]
is the guest-visible control-block head, tail[q] the Xen-private tail,
lastq(p) the Xen-private (vcpu, priority) of the queue p was last linked on
(zero-initialised: vCPU 0 / priority 0), READY the control-block bitmask.
All expected values were worked out by hand from sections 3.5-3.7.
"""

from __future__ import annotations

import pytest

import evtlib
from conftest import EV_BUSY, EV_L, EV_M, EV_P, LINK_MASK, Recorder


def fifo(**kw):
    return evtlib.Fifo(**kw)


def raise_all(s, *ports):
    for p in ports:
        assert s.set_pending(p) is True, p


def test_attributes():
    s = fifo()
    assert (s.name, s.word_bits, s.scan, s.timer_first) == ("fifo", None, None, False)
    assert s.max_ports == 131072
    assert s.priority(5) == 7
    assert s.event_word(5) == 0
    assert s.ready(0) == 0
    assert all(s.head(0, q) == 0 and s.tail(0, q) == 0 for q in range(16))


# --------------------------------------------------------------------------
# Event word layout (3.1)
# --------------------------------------------------------------------------

def test_event_word_bit_layout():
    """3.1: raise 5 on an empty queue -> P|L, LINK 0.  raise 6 -> 5's LINK=6.
    mask 6 -> P|M|L.  clear 6 -> M|L.  BUSY (28) is never left set."""
    s = fifo()
    s.set_pending(5)
    assert s.event_word(5) == EV_P | EV_L == 0xA0000000
    s.set_pending(6)
    assert s.event_word(5) == EV_P | EV_L | 6 == 0xA0000006
    assert s.event_word(6) == 0xA0000000
    s.mask(6)
    assert s.event_word(6) == EV_P | EV_M | EV_L == 0xE0000000
    s.clear_pending(6)
    assert s.event_word(6) == EV_M | EV_L == 0x60000000
    for p in (5, 6):
        assert s.event_word(p) & EV_BUSY == 0
        assert s.event_word(p) & 0x0FFE0000 == 0      # bits 17..27 unused


def test_link_field_is_17_bits():
    """3.1: LINK is bits 0..16 (LINK_MASK = 2^17-1): the highest port fits."""
    s = fifo()
    raise_all(s, 131070, 131071)
    assert s.event_word(131070) == EV_P | EV_L | 131071
    assert s.event_word(131070) & LINK_MASK == 131071 == 0x1FFFF
    assert s.queue(0, 7) == [131070, 131071]
    assert s.upcall(0) == [131070, 131071]


def test_queue_order_is_raise_order_not_port_order():
    """3.7: within one queue strictly FIFO (raise order)."""
    s = fifo()
    raise_all(s, 9, 3, 7)
    assert s.queue(0, 7) == [9, 3, 7]
    assert (s.head(0, 7), s.tail(0, 7)) == (9, 7)
    assert s.upcall(0) == [9, 3, 7]
    assert all(s.event_word(p) == 0 for p in (3, 7, 9))


# --------------------------------------------------------------------------
# Item 12
# --------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["linux", "xen"])
def test_s5_12_masked_event_not_linked_until_unmask(how):
    """Item 12.  mask 5, raise 5: P set (True: new edge), M set -> step 4 of
    3.5 is skipped: not linked, no HEAD, no tail, no READY, no upcall.
    Unmask: Linux sees P set -> hypercall (Xen clears M and runs the raise),
    or xen_unmask directly -> linked on the empty q7: HEAD=5, tail=5,
    READY bit 7, upcall.  upcall -> [5]; the word is 0 afterwards."""
    s = fifo()
    s.mask(5)
    assert s.set_pending(5) is True
    assert s.event_word(5) == EV_P | EV_M
    assert s.queue(0, 7) == []
    assert (s.head(0, 7), s.tail(0, 7), s.ready(0)) == (0, 0, 0)
    assert s.upcall_pending(0) is False
    assert s.upcall(0) == []
    if how == "linux":
        s.unmask(5)
    else:
        s.xen_unmask(5)
    assert s.event_word(5) == EV_P | EV_L
    assert s.queue(0, 7) == [5]
    assert (s.head(0, 7), s.tail(0, 7), s.ready(0)) == (5, 5, 1 << 7)
    assert s.upcall_pending(0) is True
    assert s.upcall(0) == [5]
    assert s.event_word(5) == 0


def test_s5_12_masked_events_linked_in_unmask_order():
    """Item 12.  raise 9 (q7: [9]); mask 5; raise 5 (not linked); raise 7
    (q7: [9, 7]); unmask 5 -> linked now, after 7: [9, 7, 5].  Raise order
    was 9, 5, 7; delivery follows link order."""
    s = fifo()
    s.set_pending(9)
    s.mask(5)
    s.set_pending(5)
    s.set_pending(7)
    assert s.queue(0, 7) == [9, 7]
    s.unmask(5)
    assert s.queue(0, 7) == [9, 7, 5]
    assert s.upcall(0) == [9, 7, 5]


def test_s5_12_unmask_nonpending_masked_is_local():
    """Item 12 / 3.6: unmask of a masked, NOT pending event just clears M
    locally: no link, no HEAD/tail/READY, no upcall; the word is 0."""
    s = fifo()
    s.mask(5)
    assert s.event_word(5) == EV_M
    s.unmask(5)
    assert s.event_word(5) == 0
    assert s.queue(0, 7) == []
    assert (s.head(0, 7), s.tail(0, 7), s.ready(0)) == (0, 0, 0)
    assert s.upcall_pending(0) is False
    # a later raise is an ordinary link
    assert s.set_pending(5) is True
    assert s.queue(0, 7) == [5]


# --------------------------------------------------------------------------
# Item 13
# --------------------------------------------------------------------------

def test_s5_13_reraise_of_linked_event_keeps_position_even_if_p_cleared():
    """Item 13.  raise 5, 6, 7 -> q7 [5,6,7].  clear_pending(6): P only; 6
    stays LINKED with LINK=7 (word L|7).  raise 6: test-and-set P finds it
    clear -> new edge (True); M clear but test-and-set of L finds it SET ->
    no link: 6 keeps its place, P is set again at the old position (P|L|7).
    tail stays 7, no READY change.  upcall -> [5, 6, 7]."""
    s = fifo()
    raise_all(s, 5, 6, 7)
    s.clear_pending(6)
    assert s.event_word(6) == EV_L | 7
    assert s.queue(0, 7) == [5, 6, 7]
    assert s.set_pending(6) is True
    assert s.event_word(6) == EV_P | EV_L | 7
    assert s.queue(0, 7) == [5, 6, 7]
    assert (s.head(0, 7), s.tail(0, 7), s.ready(0)) == (5, 7, 1 << 7)
    assert s.upcall(0) == [5, 6, 7]


def test_s5_13_reraise_of_pending_linked_event_merges():
    """Item 13: raising a pending linked event returns False and changes
    nothing (no duplicate in the queue)."""
    s = fifo()
    raise_all(s, 5, 6, 7)
    before = s.snapshot()
    assert s.set_pending(6) is False
    assert s.snapshot() == before
    assert s.queue(0, 7) == [5, 6, 7]


def test_s5_13_cleared_linked_event_dequeued_silently():
    """3.7: raise 5, 6, 7; clear 6 -> consume: 6 is dequeued (L and LINK
    cleared) but not delivered because P is clear: [5, 7]; its word is 0."""
    s = fifo()
    raise_all(s, 5, 6, 7)
    s.clear_pending(6)
    assert s.upcall(0) == [5, 7]
    assert s.event_word(6) == 0
    assert s.pending_ports() == []


def test_s5_13_masked_linked_event_dequeued_silently_relinked_at_unmask():
    """3.7: raise 5, 6, 7; mask 6 -> consume dequeues 6 silently, it stays
    P|M.  Unmask: P set -> hypercall -> link: q7's tail (7) is no longer
    LINKED -> new HEAD 6, READY, upcall -> [6]."""
    s = fifo()
    raise_all(s, 5, 6, 7)
    s.mask(6)
    assert s.upcall(0) == [5, 7]
    assert s.event_word(6) == EV_P | EV_M
    assert s.queue(0, 7) == []
    s.unmask(6)
    assert s.event_word(6) == EV_P | EV_L
    assert (s.head(0, 7), s.tail(0, 7), s.ready(0)) == (6, 6, 1 << 7)
    assert s.upcall_pending(0) is True
    assert s.upcall(0) == [6]


def test_s5_13_masked_linked_event_reraised_stays_in_place():
    """Item 13 with M set: raise 5, 6; mask 5; clear 5 (M|L|6); raise 5 ->
    P set, M set so no link attempt: P|M|L|6.  Unmask -> Xen clears M and
    raises: L is set -> no requeue.  upcall -> [5, 6]."""
    s = fifo()
    raise_all(s, 5, 6)
    s.mask(5)
    s.clear_pending(5)
    assert s.set_pending(5) is True
    assert s.event_word(5) == EV_P | EV_M | EV_L | 6
    s.unmask(5)
    assert s.event_word(5) == EV_P | EV_L | 6
    assert s.queue(0, 7) == [5, 6]
    assert s.upcall(0) == [5, 6]


# --------------------------------------------------------------------------
# Item 14
# --------------------------------------------------------------------------

def test_s5_14_ready_only_for_new_head():
    """Item 14.  raise 5 on an empty q7: new HEAD -> READY bit 7, upcall.
    raise 6: appended (5.LINK=6); HEAD stays 5, READY unchanged.
    During the upcall READY has been xchg'ed to 0 and the flag cleared; the
    handler of 5 raises 8: q7's tail 6 is still LINKED -> 6.LINK=8, no new
    HEAD -> READY stays 0 and the flag stays clear (no upcall).  The consume
    loop still reaches 6 and 8 through the links: [5, 6, 8]."""
    s = fifo()
    s.set_pending(5)
    assert (s.head(0, 7), s.tail(0, 7), s.ready(0)) == (5, 5, 0x80)
    assert s.upcall_pending(0) is True
    s.set_pending(6)
    assert (s.head(0, 7), s.tail(0, 7), s.ready(0)) == (5, 6, 0x80)
    seen = []

    def on5(p):
        seen.append((s.ready(0), s.upcall_pending(0)))
        assert s.set_pending(8) is True
        seen.append((s.ready(0), s.upcall_pending(0), s.head(0, 7), s.tail(0, 7),
                     s.event_word(6)))

    h = Recorder({5: [on5]})
    assert s.upcall(0, h) == [5, 6, 8]
    assert seen == [(0, False), (0, False, 5, 8, EV_P | EV_L | 8)]
    assert s.counters.passes == 1


def test_s5_14_head_never_cleared_stale_after_consumption():
    """Item 14.  raise 5, 6; upcall -> [5, 6].  The guest never clears HEAD:
    HEAD[7] is still 5 (stale), the Xen tail is still 6, READY is 0, no
    upcall pending, queue empty.  raise 9: tail 6 is not LINKED -> set_link
    fails -> new HEAD 9, tail 9, READY bit 7, upcall."""
    s = fifo()
    raise_all(s, 5, 6)
    assert s.upcall(0) == [5, 6]
    assert s.head(0, 7) == 5
    assert s.tail(0, 7) == 6
    assert s.ready(0) == 0
    assert s.upcall_pending(0) is False
    assert s.queue(0, 7) == []
    s.set_pending(9)
    assert (s.head(0, 7), s.tail(0, 7), s.ready(0)) == (9, 9, 0x80)
    assert s.upcall_pending(0) is True
    assert s.upcall(0) == [9]


def test_s5_14_new_head_on_other_queue_sets_its_ready_bit():
    """Item 14: a new HEAD on q9 while q7 is READY: READY = bits 7 and 9."""
    s = fifo()
    s.set_priority(20, 9)
    raise_all(s, 5, 20)
    assert s.ready(0) == (1 << 7) | (1 << 9)
    assert (s.head(0, 9), s.tail(0, 9)) == (20, 20)
    assert s.upcall(0) == [5, 20]


# --------------------------------------------------------------------------
# Item 15
# --------------------------------------------------------------------------

def test_s5_15_old_tail_rule_fresh_head_after_priority_move():
    """Item 15.  raise 5 (q7: HEAD 5, tail 5, lastq(5)=(0,7)); upcall -> [5]
    (tail[7] stays 5).  set_priority(5, 3); raise 5: old_q = q7 and its tail
    == 5 -> tail[7] = 0 first; lastq = (0,3); q3 empty -> HEAD[3]=5,
    tail[3]=5, READY bit 3.  raise 6 (prio 7): tail[7] is 0 -> fresh HEAD[7]
    = 6, READY bit 7.  Without the rule, 6 would be LINKed into 5's word (5 is
    LINKED, on q3) and q7 would get no HEAD/READY.
    upcall -> [5, 6] (q3 before q7)."""
    s = fifo()
    s.set_pending(5)
    assert s.upcall(0) == [5]
    assert s.tail(0, 7) == 5
    s.set_priority(5, 3)
    s.set_pending(5)
    assert s.tail(0, 7) == 0
    assert (s.head(0, 3), s.tail(0, 3)) == (5, 5)
    assert s.ready(0) == 1 << 3
    s.set_pending(6)
    assert (s.head(0, 7), s.tail(0, 7)) == (6, 6)
    assert s.ready(0) == (1 << 3) | (1 << 7)
    assert s.event_word(5) == EV_P | EV_L           # LINK still 0
    assert s.queue(0, 3) == [5]
    assert s.queue(0, 7) == [6]
    assert s.upcall(0) == [5, 6]


def test_s5_15_tail_reraised_by_own_handler_gets_new_head():
    """Item 15 / 3.7.  Only 5 raised (it is q7's tail).  Consume: 5 dequeued
    (next 0 -> local READY bit 7 cleared), acked, handler re-raises 5: old_q
    = q7 and tail == 5 -> tail reset to 0; q7 empty -> HEAD[7]=5 again,
    tail 5, READY bit 7, upcall.  The READY re-read picks q7 up -> 5 is
    consumed again in the same call: [5, 5]."""
    s = fifo()
    s.set_pending(5)
    seen = []

    def again(p):
        s.set_pending(5)
        seen.append((s.head(0, 7), s.tail(0, 7), s.ready(0), s.event_word(5)))

    h = Recorder({5: [again]})
    assert s.upcall(0, h) == [5, 5]
    assert seen == [(5, 5, 1 << 7, EV_P | EV_L)]
    assert s.event_word(5) == 0
    assert s.upcall_pending(0) is False
    assert s.ready(0) == 0


def test_s5_15_nontail_reraised_by_own_handler_appended():
    """3.7: 5 and 6 raised; the handler of 5 re-raises 5: tail 6 is still
    LINKED -> 6.LINK = 5, tail 5, no READY.  Delivered again after 6."""
    s = fifo()
    raise_all(s, 5, 6)
    seen = []

    def again(p):
        s.set_pending(5)
        seen.append((s.event_word(6), s.tail(0, 7), s.ready(0)))

    h = Recorder({5: [again]})
    assert s.upcall(0, h) == [5, 6, 5]
    assert seen == [(EV_P | EV_L | 5, 5, 0)]


# --------------------------------------------------------------------------
# Item 16
# --------------------------------------------------------------------------

def test_s5_16_priority_change_affects_only_next_link():
    """Item 16.  raise 5, 6 (q7 [5,6]); set_priority(6, 0): 6 stays on q7
    (q0 empty, READY only bit 7) -> upcall [5, 6].  Next: raise 9 (prio 7:
    tail 6 unlinked -> new HEAD 9), raise 6 (prio 0: old_q q7 tail 9 != 6;
    q0 empty -> HEAD[0]=6, READY bit 0) -> upcall [6, 9]."""
    s = fifo()
    raise_all(s, 5, 6)
    s.set_priority(6, 0)
    assert s.priority(6) == 0
    assert s.queue(0, 7) == [5, 6]
    assert s.queue(0, 0) == []
    assert s.ready(0) == 1 << 7
    assert s.upcall(0) == [5, 6]
    raise_all(s, 9, 6)
    assert s.queue(0, 0) == [6]
    assert s.queue(0, 7) == [9]
    assert s.ready(0) == (1 << 0) | (1 << 7)
    assert s.upcall(0) == [6, 9]


def test_s5_16_linked_event_reraised_after_priority_change_not_moved():
    """Items 13+16: raise 5, 6; clear 6; set_priority(6, 0); raise 6: still
    LINKED on q7 -> stays there, behind 5; q0 untouched."""
    s = fifo()
    raise_all(s, 5, 6)
    s.clear_pending(6)
    s.set_priority(6, 0)
    assert s.set_pending(6) is True
    assert s.queue(0, 0) == [] and s.head(0, 0) == 0
    assert s.queue(0, 7) == [5, 6]
    assert s.upcall(0) == [5, 6]


def test_s5_16_vcpu_change_linked_event_delivered_on_old_vcpu():
    """Item 16 / 3.6 rebind.  vcpus=2; raise 5 (v0 q7).  bind(5, 1): mask,
    bind_vcpu(1), unmask (was unmasked): P set -> hypercall -> Xen clears M
    and raises on vCPU 1: L already set -> nothing; no READY on vCPU 1.
    upcall(1) finds nothing; upcall(0) delivers 5 from the old queue.
    Next raise: lastq = (0,7) whose tail == 5 -> reset to 0; new HEAD on
    vCPU 1's q7, READY there; upcall(1) -> [5]."""
    s = fifo(vcpus=2)
    s.set_pending(5)
    s.bind(5, 1)
    assert s.notify_vcpu(5) == 1
    assert s.event_word(5) == EV_P | EV_L
    assert s.queue(0, 7) == [5]
    assert s.queue(1, 7) == []
    assert s.ready(1) == 0 and s.upcall_pending(1) is False
    assert s.upcall(1, force=True) == []
    assert s.upcall(0) == [5]
    assert s.tail(0, 7) == 5
    s.set_pending(5)
    assert s.tail(0, 7) == 0
    assert s.queue(1, 7) == [5]
    assert (s.head(1, 7), s.tail(1, 7), s.ready(1)) == (5, 5, 1 << 7)
    assert s.upcall_pending(1) is True and s.upcall_pending(0) is False
    assert s.upcall(0, force=True) == []
    assert s.upcall(1) == [5]


def test_fifo_ports_on_two_vcpus():
    """3.5: each vCPU has its own queues and READY."""
    s = fifo(vcpus=2)
    s.bind(5, 1)
    raise_all(s, 5, 3)
    assert s.ready(0) == 0x80 and s.ready(1) == 0x80
    assert s.queue(0, 7) == [3] and s.queue(1, 7) == [5]
    assert s.upcall(0) == [3]
    assert s.upcall(1) == [5]


# --------------------------------------------------------------------------
# Item 17
# --------------------------------------------------------------------------

def test_s5_17_priority_preemption_at_event_granularity():
    """Item 17.  raise 5, 6 (prio 7); 9 has prio 2.  Consume: READY=bit 7;
    5 dequeued (next 6), delivered; its handler raises 9 -> new HEAD[2],
    READY bit 2.  READY is re-read after this one event -> q2 is the lowest
    ready queue -> 9, then back to q7 -> 6.  -> [5, 9, 6]."""
    s = fifo()
    s.set_priority(9, 2)
    raise_all(s, 5, 6)
    h = Recorder({5: [lambda p: s.set_pending(9)]})
    assert s.upcall(0, h) == [5, 9, 6]


def test_s5_17_no_round_robin_between_priorities():
    """Item 17 / 3.7.  q7 gets 21, 20; q10 gets 31, 30; q3 gets 40 (raised
    last).  Lowest queue first, whole queue, FIFO inside:
    [40, 21, 20, 31, 30]."""
    s = fifo()
    for p in (20, 21):
        s.set_priority(p, 7)
    for p in (30, 31):
        s.set_priority(p, 10)
    s.set_priority(40, 3)
    raise_all(s, 31, 21, 30, 20, 40)
    assert s.ready(0) == (1 << 3) | (1 << 7) | (1 << 10)
    assert s.upcall(0) == [40, 21, 20, 31, 30]


def test_s5_17_high_priority_reraise_starves_lower_queues():
    """Item 17: 40 (prio 3) re-raised twice by its handler: each time it is
    the tail -> new HEAD + READY bit 3 -> consumed before q7: [40,40,40,21,20]."""
    s = fifo()
    s.set_priority(40, 3)
    raise_all(s, 21, 20, 40)
    h = Recorder({40: [lambda p: s.set_pending(40), lambda p: s.set_pending(40)]})
    assert s.upcall(0, h) == [40, 40, 40, 21, 20]


def test_s5_17_timer_port_gets_priority_0():
    """1.7 / 3.4: Linux gives the VIRQ_TIMER port priority 0 -> first."""
    s = fifo()
    s.set_timer_port(0, 100)
    assert s.priority(100) == 0
    raise_all(s, 3, 100)
    assert s.upcall(0) == [100, 3]


# --------------------------------------------------------------------------
# Item 18
# --------------------------------------------------------------------------

def test_s5_18_dequeue_clears_l_and_link_before_handler():
    """Item 18.  raise 5, 6.  In 5's handler: 5's word is already 0 (P acked,
    L and LINK cleared by the dequeue); 6 is P|L.  Re-raising 5 there is a
    normal new link: 6.LINK=5, 5 = P|L.  -> [5, 6, 5]."""
    s = fifo()
    raise_all(s, 5, 6)
    seen = []

    def on5(p):
        seen.append((s.event_word(5), s.event_word(6)))
        assert s.set_pending(5) is True
        seen.append((s.event_word(5), s.event_word(6)))

    h = Recorder({5: [on5]})
    assert s.upcall(0, h) == [5, 6, 5]
    assert seen == [(0, EV_P | EV_L), (EV_P | EV_L, EV_P | EV_L | 5)]


def test_s5_19_fifo_handler_after_ack():
    """Item 19: P is clear when the handler runs; re-raise is a new edge."""
    s = fifo()
    s.set_pending(5)
    seen = []

    def h(p):
        seen.append(s.is_pending(p))

    assert s.upcall(0, h) == [5]
    assert seen == [False]


def test_fifo_set_priority_rejects_out_of_range():
    s = fifo()
    for bad in (-1, 16, 100):
        with pytest.raises(ValueError):
            s.set_priority(5, bad)
    s.set_priority(5, 0)
    s.set_priority(6, 15)
    assert (s.priority(5), s.priority(6)) == (0, 15)


def test_s5_12_local_unmask_makes_no_hypercall_recorded():
    """Item 12 / 3.6 (clear_masked_cond): with recording on, the unmask of a
    masked NON-pending event is done by the guest alone (no "hypercall"
    step, and no Xen-side step after it); the unmask of a masked PENDING
    event goes through the hypercall, whose raise links it."""
    s = fifo()
    s.mask(5)
    s.record(True)
    s.unmask(5)
    ops = [st.op for st in s.steps]
    assert "hypercall" not in ops
    assert ops == ["unmask"]
    assert s.steps[-1].state.masked == ()
    s.clear_steps()
    s.mask(6)
    s.set_pending(6)
    s.clear_steps()
    s.unmask(6)
    ops = [st.op for st in s.steps]
    assert ops[0] == "hypercall"
    assert "head" in ops and "ready" in ops
    assert s.queue(0, 7) == [6]


def test_fifo_handler_masks_or_clears_later_event():
    """3.7: P and M are read at dequeue time, after the earlier handlers ran.
    raise 5, 6, 7; the handler of 5 masks 6 and clears 7: both are dequeued
    without delivery; 6 stays P|M (re-linked at unmask), 7 is gone."""
    s = fifo()
    raise_all(s, 5, 6, 7)
    h = Recorder({5: [lambda p: (s.mask(6), s.clear_pending(7))]})
    assert s.upcall(0, h) == [5]
    assert s.event_word(6) == EV_P | EV_M
    assert s.event_word(7) == 0
    s.unmask(6)
    assert s.upcall(0) == [6]


def test_fifo_rebind_masked_pending_event_links_on_new_vcpu_at_unmask():
    """3.6: bind(5, 1) of a masked pending event leaves it masked (it was
    masked); unmask -> hypercall -> Xen links it on the notify vCPU 1."""
    s = fifo(vcpus=2)
    s.mask(5)
    s.set_pending(5)
    s.bind(5, 1)
    assert s.event_word(5) == EV_P | EV_M
    assert s.queue(0, 7) == [] and s.queue(1, 7) == []
    s.unmask(5)
    assert s.queue(1, 7) == [5]
    assert (s.ready(0), s.ready(1)) == (0, 1 << 7)
    assert s.upcall_pending(1) and not s.upcall_pending(0)
    assert s.upcall(1) == [5]


def test_fifo_raise_from_handler_to_other_vcpu_not_consumed_here():
    """3.5/3.7: the handler of 5 (vCPU 0) raises 9, whose notify vCPU is 1:
    it is linked on vCPU 1's queue with READY there; vCPU 0's upcall does
    not deliver it."""
    s = fifo(vcpus=2)
    s.xen_bind_vcpu(9, 1)
    s.set_pending(5)
    h = Recorder({5: [lambda p: s.set_pending(9)]})
    assert s.upcall(0, h) == [5]
    assert s.queue(1, 7) == [9] and s.ready(1) == 1 << 7
    assert s.upcall_pending(1) is True
    assert s.upcall(1) == [9]


def test_fifo_old_tail_rule_across_vcpus_head_on_old_queue():
    """Item 15 across vCPUs: 5 linked and consumed on vCPU 0 q7 (tail 5).
    xen_bind_vcpu(5, 1); raise 5 -> old_q (v0, q7) tail == 5 -> reset; new
    HEAD on v1 q7.  Then 6 raised on vCPU 0 gets a fresh HEAD[7] there
    (instead of a LINK into 5's word, now on vCPU 1's queue)."""
    s = fifo(vcpus=2)
    s.set_pending(5)
    assert s.upcall(0) == [5]
    s.xen_bind_vcpu(5, 1)
    s.set_pending(5)
    assert s.tail(0, 7) == 0
    assert (s.head(1, 7), s.tail(1, 7)) == (5, 5)
    s.set_pending(6)
    assert (s.head(0, 7), s.tail(0, 7), s.ready(0)) == (6, 6, 1 << 7)
    assert s.event_word(5) == EV_P | EV_L
    assert s.upcall(0) == [6]
    assert s.upcall(1) == [5]
