"""2-level ABI: spec section 1 and section-5 items 1-11 and 19.

Every expected delivery list below was worked out by hand from the spec
(sections 0.2, 1.2-1.7); the reasoning is in each docstring.  Notation:
W = word_bits, port p sits in word p // W at bit p % W, "sel" is the vCPU's
evtchn_pending_sel, "flag" its evtchn_upcall_pending, "pw" the local copy of
the selector taken by the xchg, (w, b) the per-CPU resume position.
"""

from __future__ import annotations

import pytest

import evtlib
from conftest import Recorder


def two(**kw):
    kw.setdefault("word_bits", 64)
    return evtlib.TwoLevel(**kw)


def raise_all(s, *ports):
    for p in ports:
        assert s.set_pending(p) is True, p


# --------------------------------------------------------------------------
# Basic layout and Xen raise (section 1.1, 1.2)
# --------------------------------------------------------------------------

def test_defaults_and_limits():
    s = evtlib.TwoLevel()
    assert (s.name, s.word_bits, s.scan, s.timer_first, s.vcpus) == ("2l", 64, "resume", False, 1)
    assert s.max_ports == 4096
    assert evtlib.TwoLevel(word_bits=32).max_ports == 1024


def test_describe_one_line():
    """api-contract.md gives the exact text of describe() for the default model."""
    assert evtlib.TwoLevel().describe() == "2-level W=64, scan=resume, 1 vCPU"


@pytest.mark.parametrize("w, port, word", [(32, 40, 1), (64, 40, 0), (64, 70, 1),
                                            (32, 1023, 31), (64, 4095, 63), (32, 31, 0),
                                            (32, 32, 1)])
def test_raise_sets_selector_bit_of_port_word(w, port, word):
    """1.2: pending[port] set, then selector bit port // W, then upcall_pending."""
    s = two(word_bits=w)
    assert s.set_pending(port) is True
    assert s.is_pending(port)
    assert s.selector(0) == 1 << word
    assert s.upcall_pending(0) is True
    assert s.pending_ports() == [port]


def test_second_port_same_word_no_new_selector_change():
    """1.2 step 2: the selector test-and-set finds the bit set; flag already set."""
    s = two(word_bits=32)
    raise_all(s, 3, 5)
    assert s.selector(0) == 1
    assert s.pending_ports() == [3, 5]
    assert s.upcall(0) == [3, 5]
    assert s.pending_ports() == []
    assert s.selector(0) == 0
    assert s.upcall_pending(0) is False


# --------------------------------------------------------------------------
# Section 5 item 1
# --------------------------------------------------------------------------

@pytest.mark.parametrize("scan", ["resume", "from-zero"])
def test_s5_01_raise_of_pending_port_is_noop_even_after_selector_consumed(scan):
    """Item 1.  vcpus=2; port 5: notify vCPU 0, Linux CPU 1 (bind_to_cpu only).

    raise 5 -> pending, sel(0) bit 0, flag(0).  upcall(0): flag cleared, the
    xchg consumes sel(0); word 0's active bits for CPU 0 exclude 5, so nothing
    is delivered and 5 stays pending.  Now raise 5 again: step 1 of 1.2 finds
    pending already 1 and stops -> returns False, sel(0) stays 0, flag(0)
    stays clear (and nothing reaches vCPU 1 either).
    """
    s = two(vcpus=2, scan=scan)
    s.bind_to_cpu(5, 1)
    assert s.set_pending(5) is True
    assert (s.selector(0), s.upcall_pending(0)) == (1, True)
    assert s.upcall(0) == []
    assert (s.selector(0), s.upcall_pending(0)) == (0, False)
    assert s.is_pending(5)
    before = s.snapshot()
    assert s.set_pending(5) is False
    assert s.selector(0) == 0 and s.upcall_pending(0) is False
    assert s.selector(1) == 0 and s.upcall_pending(1) is False
    assert s.snapshot() == before


def test_s5_01_merge_while_selector_still_set():
    """Item 1, simple case: two raises before the upcall deliver once."""
    s = two()
    assert s.set_pending(9) is True
    assert s.set_pending(9) is False
    assert s.set_pending(9) is False
    assert s.upcall(0) == [9]


# --------------------------------------------------------------------------
# Section 5 item 2
# --------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["xen", "linux"])
def test_s5_02_masked_raise_sets_pending_only_unmask_reraises(how):
    """Item 2.  W=32, port 40 (word 1).  mask 40; raise 40 -> True, pending
    set, but step 2 of 1.2 is skipped: sel(0) == 0, flag clear, so no upcall
    runs (upcall() without force returns []).  Unmask (Xen hypercall, or
    Linux fast path on CPU 0 which is the port's CPU): pending and sel bit 1
    was clear -> sel(0) = 0b10, flag set.  No new PENDING edge: a raise now
    merges (False).  upcall -> [40].
    """
    s = two(word_bits=32)
    s.mask(40)
    assert s.set_pending(40) is True
    assert s.is_pending(40) and s.is_masked(40)
    assert s.selector(0) == 0
    assert s.upcall_pending(0) is False
    assert s.upcall(0) == []
    if how == "xen":
        s.xen_unmask(40)
    else:
        s.unmask(40)
    assert not s.is_masked(40)
    assert s.is_pending(40)
    assert s.selector(0) == 0b10
    assert s.upcall_pending(0) is True
    assert s.set_pending(40) is False
    assert s.upcall(0) == [40]
    assert s.pending_ports() == []


def test_s5_02_masked_port_raise_does_not_disturb_other_word_selector():
    """Item 2: with 3 pending (sel bit 0) a masked raise of 70 leaves sel at 1."""
    s = two()
    s.set_pending(3)
    s.mask(70)
    s.set_pending(70)
    assert s.selector(0) == 0b1
    assert s.upcall(0) == [3]
    assert s.pending_ports() == [70]
    assert s.selector(0) == 0


# --------------------------------------------------------------------------
# Section 5 item 3
# --------------------------------------------------------------------------

def _lost_port_5():
    """vcpus=2, port 5 notify vCPU 0 but Linux CPU 1, raised and its selector
    bit consumed by vCPU 0's upcall: pending, unmasked, no selector anywhere."""
    s = two(vcpus=2)
    s.bind_to_cpu(5, 1)
    s.set_pending(5)
    assert s.upcall(0) == []
    assert s.is_pending(5) and not s.is_masked(5)
    assert (s.selector(0), s.selector(1)) == (0, 0)
    assert (s.upcall_pending(0), s.upcall_pending(1)) == (False, False)
    return s


def test_s5_03_xen_unmask_needs_mask_bit_set():
    """Item 3: EVTCHNOP_unmask continues only if the mask bit WAS set.  Port 5
    is unmasked (and pending, selector consumed), so xen_unmask does nothing."""
    s = _lost_port_5()
    before = s.snapshot()
    s.xen_unmask(5)
    assert (s.selector(0), s.selector(1)) == (0, 0)
    assert (s.upcall_pending(0), s.upcall_pending(1)) == (False, False)
    assert s.snapshot() == before


def test_s5_03_linux_unmask_from_other_cpu_is_hypercall():
    """Item 3: unmask on CPU 0, which is not the port's Linux CPU (1), takes the
    hypercall path -> same as xen_unmask -> mask was clear -> nothing."""
    s = _lost_port_5()
    before = s.snapshot()
    s.unmask(5, cpu=0)
    assert (s.selector(0), s.selector(1)) == (0, 0)
    assert (s.upcall_pending(0), s.upcall_pending(1)) == (False, False)
    assert s.snapshot() == before


@pytest.mark.parametrize("cpu", [1, None])
def test_s5_03_linux_fast_path_reraises_unmasked_pending_port(cpu):
    """Item 3: unmask on CPU 1 (the port's Linux CPU; also the default) is the
    fast path: clear mask (already clear), read pending (set), test-and-set
    bit 0 of CPU 1's OWN selector (clear) -> flag(1) = 1.  It does not check
    whether the mask was set.  vCPU 0 is untouched.  upcall(1) -> [5]."""
    s = _lost_port_5()
    s.unmask(5, cpu=cpu)
    assert s.selector(1) == 1 and s.upcall_pending(1) is True
    assert s.selector(0) == 0 and s.upcall_pending(0) is False
    assert s.upcall(0) == []
    assert s.upcall(1) == [5]
    assert s.pending_ports() == []


def test_s5_03_hypercall_targets_notify_vcpu_fast_path_targets_own_cpu():
    """Item 3: port 5 notify vCPU 0, Linux CPU 1; masked and raised.
    unmask on CPU 0 (not the port's CPU) -> hypercall: mask was set, pending,
    selector bit 0 of the NOTIFY vCPU 0 -> sel(0)=1, flag(0); vCPU 1 untouched.
    """
    s = two(vcpus=2)
    s.bind_to_cpu(5, 1)
    s.mask(5)
    s.set_pending(5)
    s.unmask(5, cpu=0)
    assert not s.is_masked(5)
    assert (s.selector(0), s.upcall_pending(0)) == (1, True)
    assert (s.selector(1), s.upcall_pending(1)) == (0, False)


def test_s5_03_fast_path_on_own_cpu_sets_that_cpus_selector():
    """Item 3: same setup; unmask on CPU 1 (the port's CPU) -> fast path: it
    writes CPU 1's selector and flag, not the notify vCPU 0's.  upcall(1)
    then delivers 5."""
    s = two(vcpus=2)
    s.bind_to_cpu(5, 1)
    s.mask(5)
    s.set_pending(5)
    s.unmask(5, cpu=1)
    assert not s.is_masked(5)
    assert (s.selector(1), s.upcall_pending(1)) == (1, True)
    assert (s.selector(0), s.upcall_pending(0)) == (0, False)
    assert s.upcall(1) == [5]


def test_s5_03_xen_unmask_of_masked_nonpending_port_only_clears_mask():
    """1.3: mask bit set but pending clear -> clear mask, nothing else."""
    s = two()
    s.mask(7)
    s.xen_unmask(7)
    assert not s.is_masked(7)
    assert s.selector(0) == 0 and s.upcall_pending(0) is False


# --------------------------------------------------------------------------
# Section 5 item 4 / section 1.4
# --------------------------------------------------------------------------

def test_s5_04_notify_vcpu_and_linux_binding_disagree_event_lost():
    """Item 4 (1.4).  vcpus=2; s.bind_to_cpu(5, 1) while Xen's notify vCPU stays 0.
    raise 5: selector bit 0 and flag go to vCPU 0 only.  upcall(0): consumes
    the selector (xchg) but 5 is not in CPU 0's cpu_evtchn_mask -> []; 5 stays
    pending.  upcall(1) (forced: its flag is clear) has no selector bits -> [].
    A new raise merges (False) and sets nothing: the event is lost.  Recovery
    by rebinding: s.bind(5, 1) on CPU 0 masks, moves notify to 1, moves the
    Linux binding to 1, then unmask on CPU 0 != port's CPU 1 -> hypercall:
    mask was set, pending, sel bit 0 of notify vCPU 1 clear -> set + flag(1).
    upcall(1) -> [5].
    """
    s = two(vcpus=2)
    s.bind_to_cpu(5, 1)
    assert s.notify_vcpu(5) == 0 and s.cpu_of(5) == 1
    assert s.set_pending(5) is True
    assert (s.selector(0), s.upcall_pending(0)) == (1, True)
    assert (s.selector(1), s.upcall_pending(1)) == (0, False)
    assert s.upcall(0) == []
    assert s.upcall(1, force=True) == []
    assert s.is_pending(5)
    assert s.set_pending(5) is False
    assert (s.selector(0), s.upcall_pending(0)) == (0, False)
    assert (s.selector(1), s.upcall_pending(1)) == (0, False)
    assert s.upcall(0, force=True) == []
    assert s.upcall(1, force=True) == []
    assert s.pending_ports() == [5]
    # recovery by a consistent rebind
    s.bind(5, 1)
    assert s.notify_vcpu(5) == 1 and s.cpu_of(5) == 1
    assert not s.is_masked(5)
    assert (s.selector(1), s.upcall_pending(1)) == (1, True)
    assert s.upcall(1) == [5]
    assert s.pending_ports() == []


def test_s5_04_each_vcpu_own_selector_bit_for_shared_word():
    """1.4: ports 3 (vCPU 0) and 5 (rebound to vCPU 1) share word 0.  Each
    raise sets bit 0 in its own vCPU's selector; each vCPU delivers only its
    own port."""
    s = two(vcpus=2)
    s.bind(5, 1)
    raise_all(s, 3, 5)
    assert s.selector(0) == 1 and s.selector(1) == 1
    assert s.upcall_pending(0) and s.upcall_pending(1)
    assert s.upcall(0) == [3]
    assert s.is_pending(5)
    assert s.upcall(1) == [5]
    assert s.pending_ports() == []


@pytest.mark.parametrize("cpu", [0, 1])
def test_rebind_pending_port_reraises_on_new_vcpu(cpu):
    """1.4 rebind: 5 pending on vCPU 0 (sel(0) bit 0).  bind(5, 1, cpu):
    mask (was clear), bind_vcpu 1, Linux CPU 1, unmask on `cpu`: on CPU 0 a
    hypercall (mask was set, pending, sel bit 0 of notify vCPU 1 clear), on
    CPU 1 the fast path (own selector): either way sel(1)=1, flag(1).
    upcall(1) -> [5]; vCPU 0's stale selector bit then finds nothing."""
    s = two(vcpus=2)
    s.set_pending(5)
    s.bind(5, 1, cpu=cpu)
    assert not s.is_masked(5)
    assert (s.selector(1), s.upcall_pending(1)) == (1, True)
    assert s.upcall(1) == [5]
    assert s.upcall(0) == []
    assert s.selector(0) == 0


def test_rebind_of_masked_port_leaves_it_masked():
    """1.4 step 4: unmask only if it was not masked before."""
    s = two(vcpus=2)
    s.mask(5)
    s.set_pending(5)
    s.bind(5, 1)
    assert s.is_masked(5) and s.is_pending(5)
    assert (s.selector(1), s.upcall_pending(1)) == (0, False)
    s.unmask(5)                       # default CPU = port's CPU 1 -> fast path
    assert (s.selector(1), s.upcall_pending(1)) == (1, True)
    assert s.upcall(1) == [5]


def test_skipped_port_stays_pending_selector_consumed():
    """1.6 property 7: port 3 masked+pending, 5 pending in the same word.
    The selector bit is consumed; 5 delivered; 3 skipped and stays pending."""
    s = two()
    s.mask(3)
    raise_all(s, 3, 5)
    assert s.upcall(0) == [5]
    assert s.pending_ports() == [3]
    assert s.selector(0) == 0


# --------------------------------------------------------------------------
# Section 5 item 5
# --------------------------------------------------------------------------

@pytest.mark.parametrize("scan", ["resume", "from-zero"])
def test_s5_05_upcall_loop_clears_flag_first_and_repeats(scan):
    """Item 5.  W=64, 3 pending (sel bit 0).  Handler of 3 first reads the
    flag: it was cleared BEFORE the scan -> False.  Then it raises 70 (word 1,
    not in the local pw copy {0}): Xen sets sel bit 1 and the flag -> True.
    resume: pass 1 delivers 3 (start word 0, kept), wraps, rescans word 0
    (empty), ends; the flag is set -> pass 2: pw={1}, start (0,4) -> word 1:
    70.  from-zero: pass 1 word 0 -> 3, re-read empty; pass 2 word 1 -> 70.
    Both: [3, 70] within ONE upcall, 2 passes, flag clear at the end.
    """
    s = two(scan=scan)
    s.set_pending(3)
    seen_flag = []

    def h(port):
        if port == 3:
            seen_flag.append(s.upcall_pending(0))
            assert s.set_pending(70) is True
            seen_flag.append(s.upcall_pending(0))

    s.reset_counters()
    assert s.upcall(0, h) == [3, 70]
    assert seen_flag == [False, True]
    assert s.counters.passes == 2
    assert s.counters.upcalls == 1
    assert s.counters.deliveries == 2
    assert s.upcall_pending(0) is False
    assert s.selector(0) == 0
    assert s.pending_ports() == []


def test_s5_05_upcall_not_entered_without_flag():
    """0.2: Xen enters the upcall only when the flag is set; force overrides."""
    s = two()
    s.mask(3)
    s.set_pending(3)
    s.reset_counters()
    assert s.upcall(0) == []
    assert s.counters.passes == 0
    assert s.upcall(0, force=True) == []
    assert s.counters.passes == 1


# --------------------------------------------------------------------------
# Section 5 item 6
# --------------------------------------------------------------------------

def test_s5_06_start_word_scanned_twice():
    """Item 6 (the issue's example).  2-level W=64, resume at (0, 8), 3, 10
    and 70 pending (sel = {0, 1}), 10 re-raised once by its own handler.
    Pass 1: pw={0,1}, start (0,8).  i=0 w=0: snapshot {3,10}, from bit 8 ->
    10 (handler re-raises 10: pending again, sel bit 0 set again, flag set),
    pos (0,11); start word kept.  i=1 w=1: 70, pos (1,7), word removed.
    i=2: nothing >= 2 -> wrap to 0.  i=3 w=0 with a FRESH snapshot {3,10}
    from bit 0 -> 3, 10; pos (0,11); word removed.  Pass 2 (flag was set):
    pw={0}, start (0,11): word 0 empty -> done.
    Delivered 10, 70, 3, 10.
    """
    s = two(word_bits=64, scan="resume")
    s.set_resume_position(0, (0, 8))
    raise_all(s, 3, 10, 70)
    h = Recorder({10: [lambda p: s.set_pending(10)]})
    assert s.upcall(0, h) == [10, 70, 3, 10]
    assert h.seen == [10, 70, 3, 10]
    assert s.resume_position(0) == (0, 11)
    assert s.pending_ports() == []
    assert s.selector(0) == 0 and s.upcall_pending(0) is False


def test_s5_06_start_word_scanned_twice_w32():
    """Item 6 with W=32: same as above with 40 (word 1, bit 8) for 70."""
    s = two(word_bits=32, scan="resume")
    s.set_resume_position(0, (0, 8))
    raise_all(s, 3, 10, 40)
    h = Recorder({10: [lambda p: s.set_pending(10)]})
    assert s.upcall(0, h) == [10, 40, 3, 10]
    assert s.resume_position(0) == (0, 11)


def test_s5_06_from_zero_contrast():
    """Item 6 contrast: from-zero on the same state re-reads word 0 after every
    port: 3, 10 (re-raised) -> 10 again at once, then word 1 -> 70."""
    s = two(word_bits=64, scan="from-zero")
    raise_all(s, 3, 10, 70)
    h = Recorder({10: [lambda p: s.set_pending(10)]})
    assert s.upcall(0, h) == [3, 10, 10, 70]
    assert s.pending_ports() == []


def test_s5_06_second_pass_rescans_whole_word_not_just_below_start_bit():
    """Item 6 (1.6 property 2: upstream, not the SUSE variant).  W=64, resume
    (0,8), pending 10 and 70.  Handler of 10 re-raises 10 once; handler of 70
    raises 130 (word 2, not in pw).
    Pass 1: pw={0,1}.  w=0 from bit 8: 10 (re-raised), pos (0,11), kept.
    w=1: 70 (raises 130: sel bit 2, flag), pos (1,7), removed.  wrap; w=0 in
    FULL, fresh snapshot {10} -> 10 again, pos (0,11), removed.
    Pass 2: pw={0,2}, start (0,11): word 0 empty; w=2: 130, pos (2,3).
    -> [10, 70, 10, 130].  (A second pass limited to bits < 8 would deliver
    nothing there and leave pos (1,7); pass 2 would then give 130 before 10.)
    """
    s = two(word_bits=64)
    s.set_resume_position(0, (0, 8))
    raise_all(s, 10, 70)
    h = Recorder({10: [lambda p: s.set_pending(10)],
                  70: [lambda p: s.set_pending(130)]})
    assert s.upcall(0, h) == [10, 70, 10, 130]
    assert s.resume_position(0) == (2, 3)


# --------------------------------------------------------------------------
# Section 5 item 7
# --------------------------------------------------------------------------

def test_s5_07_start_word_without_selector_bit_no_special_case():
    """Item 7.  W=64, resume (1, 8), pending 3 (word 0 bit 3) and 130 (word 2
    bit 2); word 1 has no selector bit.  i=0: words >= 1 -> w=2, which is not
    the start word -> scanned from bit 0: 130, pos (2,3), removed.  i=1 w=3:
    nothing -> wrap (counts).  i=2 w=0: not iteration 0 -> from bit 0: 3,
    pos (0,4).  -> [130, 3].  Applying start_b=8 to word 2 would skip 130;
    applying it to word 0 after an uncounted wrap would skip 3."""
    s = two(word_bits=64)
    s.set_resume_position(0, (1, 8))
    raise_all(s, 3, 130)
    assert s.upcall(0) == [130, 3]
    assert s.resume_position(0) == (0, 4)
    assert s.pending_ports() == []


def test_s5_07_wrap_only_iteration_counts():
    """Item 7.  W=64, resume (1, 8), only 3 pending (pw={0}).  i=0: nothing at
    or above word 1 -> wrap to 0, i becomes 1.  i=1 w=0: not the first
    iteration -> whole word from bit 0 -> 3.  -> [3], pos (0,4).  If the wrap
    did not count, word 0 would be treated as the first visit and scanned from
    bit 8, skipping 3 and losing it."""
    s = two(word_bits=64)
    s.set_resume_position(0, (1, 8))
    s.set_pending(3)
    assert s.upcall(0) == [3]
    assert s.resume_position(0) == (0, 4)
    assert s.pending_ports() == []


def test_s5_07_start_word_first_visit_empty_then_full_rescan_w32():
    """Item 7 / 6.  W=32, resume (0, 8), only 3 pending.  i=0 w=0 from bit 8:
    nothing; the start word is kept.  i=1: nothing >= 1 -> wrap.  i=2 w=0 in
    full -> 3, pos (0,4).  -> [3]."""
    s = two(word_bits=32)
    s.set_resume_position(0, (0, 8))
    s.set_pending(3)
    assert s.upcall(0) == [3]
    assert s.resume_position(0) == (0, 4)


def test_s5_07_other_word_below_start_bit_w32():
    """Item 7.  W=32, resume (1, 8), pending 3 and 66 (word 2 bit 2).
    i=0: w=2 (not the start word) from bit 0 -> 66; wrap; w=0 -> 3."""
    s = two(word_bits=32)
    s.set_resume_position(0, (1, 8))
    raise_all(s, 3, 66)
    assert s.upcall(0) == [66, 3]
    assert s.resume_position(0) == (0, 4)


# --------------------------------------------------------------------------
# Section 5 item 8
# --------------------------------------------------------------------------

@pytest.mark.parametrize("scan, delivered, pending", [
    ("resume", [3, 5, 7], []),
    ("from-zero", [3, 7], [5]),
])
def test_s5_08_snapshot_handler_masks_later_port(scan, delivered, pending):
    """Item 8.  W=64 start (0,0); 3, 5, 7 pending in word 0; the handler of 3
    masks 5.  resume: one snapshot {3,5,7} per visit -> 5 is still passed to
    handle_irq_for_port, acked (pending cleared) and delivered: [3,5,7]; the
    second visit of word 0 (fresh snapshot) is empty.  from-zero re-reads the
    word after every port -> 5 is masked -> [3,7], 5 stays pending+masked."""
    s = two(scan=scan)
    raise_all(s, 3, 5, 7)
    h = Recorder({3: [lambda p: s.mask(5)]})
    assert s.upcall(0, h) == delivered
    assert s.pending_ports() == pending
    assert s.is_masked(5)


@pytest.mark.parametrize("scan, delivered", [
    ("resume", [3, 5, 7]),
    ("from-zero", [3, 7]),
])
def test_s5_08_snapshot_handler_clears_later_port(scan, delivered):
    """Item 8.  As above but the handler of 3 clears 5's pending bit: resume
    still dispatches 5 from the snapshot, from-zero does not.  Nothing stays
    pending in either case."""
    s = two(scan=scan)
    raise_all(s, 3, 5, 7)
    h = Recorder({3: [lambda p: s.clear_pending(5)]})
    assert s.upcall(0, h) == delivered
    assert s.pending_ports() == []
    assert not s.is_masked(5)


@pytest.mark.parametrize("scan, delivered, pos", [
    ("resume", [3, 66, 70, 65], (1, 2)),
    ("from-zero", [3, 66, 65, 70], None),
])
def test_s5_08_port_raised_during_visit_waits_for_next_visit(scan, delivered, pos):
    """Item 8 / 1.6 property 4.  W=64 start (0,0); 3, 66 (w1 b2), 70 (w1 b6)
    pending; the handler of 66 raises 65 (w1 b1).
    resume pass 1: w0 -> 3 (kept), w1 snapshot {66,70} -> 66 (raise 65: sel
    bit 1 + flag), 70; pos (1,7); wrap, w0 empty.  Pass 2: pw={1}, start
    (1,7): 65 is below bit 7 -> skipped on the first visit; wrap; w1 in full
    -> 65, pos (1,2).  -> [3,66,70,65].
    from-zero re-reads word 1 after 66 -> {65,70} -> 65 then 70."""
    s = two(scan=scan)
    raise_all(s, 3, 66, 70)
    h = Recorder({66: [lambda p: s.set_pending(65)]})
    assert s.upcall(0, h) == delivered
    assert s.pending_ports() == []
    if pos is not None:
        assert s.resume_position(0) == pos


# --------------------------------------------------------------------------
# Section 5 item 9
# --------------------------------------------------------------------------

@pytest.mark.parametrize("w", [32, 64])
def test_s5_09_resume_position_survives_between_upcalls(w):
    """Item 9.  raise 10; upcall -> [10], pos (0,11).  Then raise 3 and 12:
    the next upcall starts at (0,11): 12 first, wrap, 3.  pos (0,4)."""
    s = two(word_bits=w)
    assert s.resume_position(0) == (0, 0)
    s.set_pending(10)
    assert s.upcall(0) == [10]
    assert s.resume_position(0) == (0, 11)
    raise_all(s, 3, 12)
    assert s.upcall(0) == [12, 3]
    assert s.resume_position(0) == (0, 4)


@pytest.mark.parametrize("w, port, pos", [
    (64, 63, (1, 0)), (64, 4095, (0, 0)), (64, 64, (1, 1)),
    (32, 31, (1, 0)), (32, 1023, (0, 0)), (32, 32, (1, 1)),
])
def test_s5_09_resume_position_wraps(w, port, pos):
    """Item 9: position = last delivered + 1; bit W-1 moves to the next word's
    bit 0; (W-1, W-1) wraps to (0, 0).  Port 10 first moves it away from
    (0,0) so that the wrap is visible."""
    s = two(word_bits=w)
    s.set_pending(10)
    assert s.upcall(0) == [10]
    s.set_pending(port)
    assert s.upcall(0) == [port]
    assert s.resume_position(0) == pos


def test_s5_09_resume_position_is_per_cpu():
    """Item 9: vcpus=2; 15 and 20 rebound to vCPU 1.  vCPU 0 delivers 10 ->
    pos(0) = (0,11); pos(1) stays (0,0), so vCPU 1 delivers 15, 20 in port
    order and ends at (0,21) without touching pos(0)."""
    s = two(vcpus=2)
    s.bind(15, 1)
    s.bind(20, 1)
    s.set_pending(10)
    assert s.upcall(0) == [10]
    assert s.resume_position(0) == (0, 11)
    assert s.resume_position(1) == (0, 0)
    raise_all(s, 20, 15)
    assert s.upcall(1) == [15, 20]
    assert s.resume_position(1) == (0, 21)
    assert s.resume_position(0) == (0, 11)


def test_s5_09_nothing_delivered_position_unchanged():
    """1.6 property 5: a pass that delivers nothing leaves the position alone.
    Port 3 is bound (Linux) to CPU 1 but notifies vCPU 0: vCPU 0's scan skips
    it."""
    s = two(vcpus=2)
    s.set_resume_position(0, (2, 5))
    s.bind_to_cpu(3, 1)
    s.set_pending(3)
    assert s.upcall(0) == []
    assert s.resume_position(0) == (2, 5)


def test_s5_09_set_resume_position_changes_order_w32():
    """Item 9: W=32, position (1, 0): 40 (word 1) before 5 (word 0)."""
    s = two(word_bits=32)
    s.set_resume_position(0, (1, 0))
    raise_all(s, 5, 40)
    assert s.upcall(0) == [40, 5]
    assert s.resume_position(0) == (0, 6)


# --------------------------------------------------------------------------
# Section 5 item 10
# --------------------------------------------------------------------------

@pytest.mark.parametrize("scan, delivered", [
    ("from-zero", [3, 3, 3, 5, 70]),
    ("resume", [3, 5, 70, 3, 3]),
])
def test_s5_10_from_zero_starves_higher_ports(scan, delivered):
    """Item 10.  W=64; 3, 5, 70 pending; the handler of 3 re-raises 3 on its
    first two deliveries.
    from-zero re-reads word 0 after every port and takes the lowest bit: 3,
    3, 3 and only then 5, then word 1: 70.
    resume: pass 1 w0 {3,5} -> 3 (re-raise), 5; w1 -> 70; wrap, w0 fresh
    {3} -> 3 (re-raise), pos (0,4).  Pass 2 start (0,4): 3 is below bit 4,
    wrap, full word -> 3.  -> [3, 5, 70, 3, 3]."""
    s = two(scan=scan)
    raise_all(s, 3, 5, 70)
    h = Recorder({3: [lambda p: s.set_pending(3), lambda p: s.set_pending(3)]})
    assert s.upcall(0, h) == delivered
    assert s.pending_ports() == []


def test_s5_10_from_zero_ignores_resume_position():
    """Item 10: from-zero always starts at word 0 bit 0 (70 after 5 even
    though 5 was just delivered and 70 was waiting)."""
    s = two(scan="from-zero")
    s.set_pending(5)
    assert s.upcall(0) == [5]
    raise_all(s, 70, 3, 6)
    assert s.upcall(0) == [3, 6, 70]


# --------------------------------------------------------------------------
# Section 5 item 11
# --------------------------------------------------------------------------

@pytest.mark.parametrize("timer_first, delivered, pos", [
    (True, [100, 3], (0, 4)),
    (False, [3, 100], (1, 37)),
])
def test_s5_11_timer_first_before_selector_xchg(timer_first, delivered, pos):
    """Item 11 / 1.7.  W=64 resume; VIRQ_TIMER of vCPU 0 is port 100 (word 1
    bit 36); 3 and 100 pending.  timer_first: before the xchg, 100 is active
    -> delivered first; inside its handler the selector still holds words 0
    and 1 (not consumed) and the flag is already clear.  Then the scan from
    (0,0): 3, and word 1 is empty (100 acked).  The timer does not move the
    resume position -> (0,4).  Without timer_first: [3, 100], pos (1,37)."""
    s = two(timer_first=timer_first)
    s.set_timer_port(0, 100)
    assert s.timer_port(0) == 100
    raise_all(s, 3, 100)
    seen = []
    h = Recorder({100: [lambda p: seen.append((s.selector(0), s.upcall_pending(0)))]})
    assert s.upcall(0, h) == delivered
    assert s.resume_position(0) == pos
    if timer_first:
        assert seen == [(0b11, False)]
    assert s.pending_ports() == []


@pytest.mark.parametrize("timer_first, delivered, pos", [
    (True, [3, 200, 130], (2, 3)),
    (False, [3, 130, 200], (3, 9)),
])
def test_s5_11_timer_first_on_every_loop_iteration(timer_first, delivered, pos):
    """Item 11.  W=64; timer port 200 (word 3 bit 8); 3 pending; the handler
    of 3 raises 130 (word 2) then 200.  Pass 1: timer not pending; scan ->
    3; words 2 and 3 are not in pw.  Pass 2 (flag set): timer_first checks
    the timer again before the xchg -> 200; then the scan from (0,4): word 2
    -> 130; word 3 empty.  -> [3, 200, 130], pos (2,3).  Without it: word 2
    then word 3 -> [3, 130, 200], pos (3,9)."""
    s = two(timer_first=timer_first)
    s.set_timer_port(0, 200)
    s.set_pending(3)
    h = Recorder({3: [lambda p: (s.set_pending(130), s.set_pending(200))]})
    assert s.upcall(0, h) == delivered
    assert s.resume_position(0) == pos


def test_s5_11_masked_timer_not_special_cased():
    """Item 11: a masked timer is not active -> neither the timer check nor
    the scan delivers it; it stays pending.  Unmask (fast path on CPU 0)
    re-raises it and the next upcall delivers it."""
    s = two(timer_first=True)
    s.set_timer_port(0, 100)
    s.mask(100)
    raise_all(s, 100, 3)
    assert s.upcall(0) == [3]
    assert s.pending_ports() == [100]
    s.unmask(100)
    assert s.upcall(0) == [100]


def test_s5_11_timer_alone_leaves_resume_position():
    """Item 11: only the timer (100) pending, position (0,50).  Timer check ->
    100; xchg gives pw={1}; word 1 is empty now; nothing else delivered ->
    position stays (0,50)."""
    s = two(timer_first=True)
    s.set_timer_port(0, 100)
    s.set_resume_position(0, (0, 50))
    s.set_pending(100)
    assert s.upcall(0) == [100]
    assert s.resume_position(0) == (0, 50)
    assert s.selector(0) == 0


def test_s5_11_timer_of_other_vcpu_not_taken_first():
    """Item 11: vCPU 0's timer-first check looks only at ITS timer.  Port 100
    is vCPU 1's timer (bound to vCPU 1); vCPU 0's timer is 200.  Both vCPUs
    get their own ports only."""
    s = two(vcpus=2, timer_first=True)
    s.set_timer_port(1, 100)
    s.set_timer_port(0, 200)
    assert s.notify_vcpu(100) == 1 and s.cpu_of(100) == 1
    raise_all(s, 3, 100, 200)
    assert s.upcall(0) == [200, 3]
    assert s.upcall(1) == [100]


@pytest.mark.parametrize("timer_first", [True, False])
def test_s5_11_timer_first_with_from_zero(timer_first):
    """Item 11 with the from-zero scan: timer 100 first only with timer_first."""
    s = two(scan="from-zero", timer_first=timer_first)
    s.set_timer_port(0, 100)
    raise_all(s, 100, 3, 64)
    expected = [100, 3, 64] if timer_first else [3, 64, 100]
    assert s.upcall(0) == expected


# --------------------------------------------------------------------------
# Section 5 item 19
# --------------------------------------------------------------------------

@pytest.mark.parametrize("scan", ["resume", "from-zero"])
def test_s5_19_handler_runs_after_pending_cleared(scan):
    """Item 19: the ack clears PENDING before the handler body runs: inside
    the handler is_pending(5) is False, and a re-raise there is a new edge
    (True), delivered again in the same upcall (resume: start word second
    pass; from-zero: immediate re-read)."""
    s = two(scan=scan)
    s.set_pending(5)
    seen = []

    def h(port):
        seen.append(s.is_pending(port))
        if len(seen) == 1:
            seen.append(s.set_pending(port))

    assert s.upcall(0, h) == [5, 5]
    assert seen == [False, True, False]


def test_s5_03_recorded_hypercall_only_from_other_cpu():
    """Item 3: with recording on, unmask on a CPU other than the port's
    records a "hypercall" step; on the port's own CPU (fast path) none."""
    s = two(vcpus=2)
    s.bind_to_cpu(5, 1)
    s.mask(5)
    s.record(True)
    s.unmask(5, cpu=0)
    assert "hypercall" in [st.op for st in s.steps]
    s.mask(5)
    s.clear_steps()
    s.unmask(5, cpu=1)
    assert "hypercall" not in [st.op for st in s.steps]
    assert not s.is_masked(5)
