"""3-level ABI (spec section 2): a reconstruction, tested as the spec and the
issue define it.

* Raise: test-and-set pending (stop if it was set); if unmasked, test-and-set
  L2 bit ``port // W`` (L2 word ``port // W**2``, bit ``(port // W) % W``);
  if newly set, test-and-set L1 bit ``port // W**2``; if newly set, mark
  events pending.
* Scan: the 2-level resume scan with one more level: bitmap words are ordered
  by (l1, l2), the start word is visited twice, the resume position is
  (l1, l2, bit) and wraps from (W-1, W-1, W-1) to (0, 0, 0).
* Limits: W**3 = 32768 (W=32) and 262144 (W=64).
"""

from __future__ import annotations

import pytest

import evtlib
from conftest import Recorder


def three(**kw):
    kw.setdefault("word_bits", 32)
    return evtlib.ThreeLevel(**kw)


def raise_all(s, *ports):
    for p in ports:
        assert s.set_pending(p) is True, p


def l2_nonzero(s, v=0):
    return {i: w for i, w in enumerate(s.l2_selector(v)) if w}


def coords(port, w):
    """(l1, l2, bit) of a port."""
    return port // (w * w), (port // w) % w, port % w


def test_limits_and_attributes():
    s32, s64 = three(word_bits=32), three(word_bits=64)
    assert s32.max_ports == 32768 and s64.max_ports == 262144
    assert s32.name == "3l" and s32.word_bits == 32 and s64.word_bits == 64
    assert s32.scan == "resume"
    assert len(s32.l2_selector(0)) == 32 and len(s64.l2_selector(0)) == 64
    s32.set_pending(32767)
    s64.set_pending(262143)
    with pytest.raises(ValueError):
        s32.set_pending(32768)
    with pytest.raises(ValueError):
        s64.set_pending(262144)


@pytest.mark.parametrize("w, port, l1, l2word, l2bit", [
    (32, 5000, 4, 4, 28),      # word 156 = 4*32 + 28
    (32, 40, 0, 0, 1),         # word 1
    (32, 1023, 0, 0, 31),      # word 31
    (32, 1024, 1, 1, 0),       # word 32
    (32, 32767, 31, 31, 31),   # word 1023
    (64, 5000, 1, 1, 14),      # word 78 = 64 + 14
    (64, 262143, 63, 63, 63),  # word 4095
])
def test_raise_sets_pending_then_l2_then_l1_then_upcall(w, port, l1, l2word, l2bit):
    """Section 2.2 raise: L2 bit port // W lives in L2 word port // W**2; the L1
    bit is port // W**2; then the upcall flag."""
    s = three(word_bits=w)
    assert s.set_pending(port) is True
    assert s.is_pending(port)
    assert l2_nonzero(s) == {l2word: 1 << l2bit}
    assert s.selector(0) == 1 << l1
    assert s.upcall_pending(0) is True


def test_raise_second_word_same_l2_word_keeps_l1():
    """W=32: 40 (word 1) then 70 (word 2): both in L2 word 0 -> bits 1 and 2;
    L1 bit 0 only."""
    s = three()
    raise_all(s, 40, 70)
    assert l2_nonzero(s) == {0: 0b110}
    assert s.selector(0) == 1


def test_raise_of_pending_port_is_noop():
    """Item 1 for 3-level: already pending -> False, nothing set even after
    the selectors were consumed (port bound to another Linux CPU)."""
    s = three(vcpus=2)
    s.bind_to_cpu(5000, 1)
    s.set_pending(5000)
    assert s.upcall(0) == []
    assert s.is_pending(5000)
    assert s.selector(0) == 0 and l2_nonzero(s) == {}
    assert s.set_pending(5000) is False
    assert s.selector(0) == 0 and l2_nonzero(s) == {}
    assert s.upcall_pending(0) is False


@pytest.mark.parametrize("how", ["xen", "linux"])
def test_masked_raise_pending_only_unmask_mirrors_raise(how):
    """Item 2 for 3-level: a masked raise sets pending only; unmask sets the L2
    bit, the L1 bit and the flag; no new pending edge."""
    s = three()
    s.mask(5000)
    assert s.set_pending(5000) is True
    assert s.selector(0) == 0 and l2_nonzero(s) == {}
    assert s.upcall_pending(0) is False
    if how == "xen":
        s.xen_unmask(5000)
    else:
        s.unmask(5000)
    assert l2_nonzero(s) == {4: 1 << 28}
    assert s.selector(0) == 1 << 4
    assert s.upcall_pending(0) is True
    assert s.set_pending(5000) is False
    assert s.upcall(0) == [5000]


@pytest.mark.parametrize("scan", ["resume", "from-zero"])
def test_scan_order_is_l1_l2_bit(scan):
    """W=32 from (0,0,0): 5000 = (4,28,8), 1100 = (1,2,12), 40 = (0,1,8),
    3 = (0,0,3): delivered in (l1, l2, bit) order = port order.  Raised in
    a different order to show the order comes from the scan.  Afterwards
    the L1 and L2 selectors are empty and nothing is pending."""
    s = three(scan=scan)
    raise_all(s, 5000, 40, 1100, 3)
    assert s.upcall(0) == [3, 40, 1100, 5000]
    assert s.selector(0) == 0
    assert l2_nonzero(s) == {}
    assert s.pending_ports() == []
    if scan == "resume":
        assert s.resume_position(0) == (4, 28, 9)


def test_s5_06_start_word_scanned_twice_3l():
    """Item 6 for 3-level.  W=32, resume (0,0,8); pending 3, 10 (word (0,0))
    and 40 (word (0,1) bit 8); 10 re-raised once by its handler.
    Start word (0,0) from bit 8 -> 10 (re-raised), kept; next word (0,1) ->
    40; wrap; start word again in full with a fresh snapshot -> 3, 10.
    -> [10, 40, 3, 10], pos (0,0,11)."""
    s = three()
    s.set_resume_position(0, (0, 0, 8))
    raise_all(s, 3, 10, 40)
    h = Recorder({10: [lambda p: s.set_pending(10)]})
    assert s.upcall(0, h) == [10, 40, 3, 10]
    assert s.resume_position(0) == (0, 0, 11)
    assert s.pending_ports() == []


def test_s5_06_start_word_twice_across_l1_groups_3l():
    """Item 6 for 3-level across L1 bits.  W=32, resume (0,0,8); pending 3,
    10 and 2000 = (1, 30, 16); 10 re-raised once.  Start word from bit 8 ->
    10; the words are ordered by (l1, l2) -> (1,30) -> 2000; wrap to (0,0,0)
    -> whole start word -> 3, 10.  -> [10, 2000, 3, 10]."""
    s = three()
    assert coords(2000, 32) == (1, 30, 16)
    s.set_resume_position(0, (0, 0, 8))
    raise_all(s, 3, 10, 2000)
    h = Recorder({10: [lambda p: s.set_pending(10)]})
    assert s.upcall(0, h) == [10, 2000, 3, 10]
    assert s.resume_position(0) == (0, 0, 11)


def test_s5_07_3l_start_word_without_bits():
    """Item 7 for 3-level: resume (1, 0, 8) W=32; pending 3 = (0,0,3) and
    1100 = (1,2,12).  Word (1,0) has nothing, so the first word visited is
    (1,2), scanned from bit 0 -> 1100; then wrap -> (0,0) from bit 0 -> 3."""
    s = three()
    s.set_resume_position(0, (1, 0, 8))
    raise_all(s, 3, 1100)
    assert s.upcall(0) == [1100, 3]
    assert s.resume_position(0) == (0, 0, 4)


def test_resume_across_l1_words():
    """Resume (1,0,0) W=32: 1100 (l1 1) before 5 (l1 0, after the wrap)."""
    s = three()
    s.set_resume_position(0, (1, 0, 0))
    raise_all(s, 5, 1100)
    assert s.upcall(0) == [1100, 5]
    assert s.resume_position(0) == (0, 0, 6)


@pytest.mark.parametrize("w, port, pos", [
    (32, 31, (0, 1, 0)), (32, 1023, (1, 0, 0)), (32, 32767, (0, 0, 0)),
    (64, 63, (0, 1, 0)), (64, 4095, (1, 0, 0)), (64, 262143, (0, 0, 0)),
])
def test_s5_09_resume_position_wraps_3l(w, port, pos):
    """Item 9 for 3-level: last delivered + 1, carrying bit -> l2 -> l1,
    (W-1, W-1, W-1) wraps to (0, 0, 0).  Port 10 first moves the position
    away from (0,0,0)."""
    s = three(word_bits=w)
    s.set_pending(10)
    assert s.upcall(0) == [10]
    assert s.resume_position(0) == (0, 0, 11)
    s.set_pending(port)
    assert s.upcall(0) == [port]
    assert s.resume_position(0) == pos


def test_s5_09_resume_survives_between_upcalls_3l():
    """Item 9: after 1100 = (1,2,12) the next upcall starts at (1,2,13):
    raise 5, 1101, 1099 -> 1101 first, wrap -> 5, then word (1,2) in full
    on the second visit -> 1099."""
    s = three()
    s.set_pending(1100)
    assert s.upcall(0) == [1100]
    assert s.resume_position(0) == (1, 2, 13)
    raise_all(s, 5, 1101, 1099)
    assert s.upcall(0) == [1101, 5, 1099]
    assert s.resume_position(0) == (1, 2, 12)


@pytest.mark.parametrize("scan, delivered", [("resume", [3, 5, 7]), ("from-zero", [3, 7])])
def test_s5_08_snapshot_semantics_3l(scan, delivered):
    """Item 8 for 3-level: the bottom-level word is read once per visit in the
    resume scan (handler of 3 masks 5: still dispatched) and re-read after
    every port by from-zero (5 skipped, stays pending)."""
    s = three(scan=scan)
    raise_all(s, 3, 5, 7)
    h = Recorder({3: [lambda p: s.mask(5)]})
    assert s.upcall(0, h) == delivered
    assert s.is_pending(5) is (scan == "from-zero")


@pytest.mark.parametrize("scan, delivered", [
    ("from-zero", [3, 3, 3, 5, 1100]),
    ("resume", [3, 5, 1100, 3, 3]),
])
def test_s5_10_starvation_3l(scan, delivered):
    """Item 10 for 3-level: as the 2-level case with 1100 for 70; the handler
    of 3 re-raises it twice."""
    s = three(scan=scan)
    raise_all(s, 3, 5, 1100)
    h = Recorder({3: [lambda p: s.set_pending(3), lambda p: s.set_pending(3)]})
    assert s.upcall(0, h) == delivered


def test_s5_04_binding_disagreement_3l():
    """Item 4 for 3-level: notify vCPU 0, Linux CPU 1 -> vCPU 0 consumes the
    selectors, delivers nothing; the port is lost until a consistent bind."""
    s = three(vcpus=2)
    s.bind_to_cpu(1100, 1)
    s.set_pending(1100)
    assert s.upcall(0) == []
    assert s.upcall(1, force=True) == []
    assert s.set_pending(1100) is False
    assert s.pending_ports() == [1100]
    s.bind(1100, 1)
    assert s.upcall_pending(1) is True
    assert s.selector(1) == 1 << 1
    assert s.upcall(1) == [1100]


def test_s5_05_raise_during_upcall_same_upcall_3l():
    """Item 5 for 3-level: handler of 3 raises 5000 (another L1 group): it is
    delivered by the same upcall call."""
    s = three()
    s.set_pending(3)
    h = Recorder({3: [lambda p: s.set_pending(5000)]})
    assert s.upcall(0, h) == [3, 5000]
    assert s.upcall_pending(0) is False
    assert s.selector(0) == 0 and l2_nonzero(s) == {}


def test_raise_order_recorded_pending_then_selectors_then_upcall():
    """Section 2.2 raise order, seen in the recorded steps: the state after
    the first step has PENDING set but no selector bit and no upcall flag;
    then the L2/L1 selector bits are set (flag still clear); the flag last.
    W=32, port 5000: L2 word 4 bit 28, L1 bit 4."""
    s = three()
    s.record(True)
    s.set_pending(5000)
    steps = s.steps
    assert steps[0].op == "raise" and steps[0].port == 5000
    first = steps[0].state
    assert first.pending == (5000,)
    assert first.upcall_pending == (False,)
    assert first.vcpu(0)["selector"] == 0
    sel_steps = [i for i, st in enumerate(steps) if st.state.vcpu(0)["selector"] == 1 << 4]
    flag_steps = [i for i, st in enumerate(steps) if st.state.upcall_pending == (True,)]
    assert sel_steps and flag_steps
    assert 0 < sel_steps[0] < flag_steps[0]
    assert steps[sel_steps[0]].state.upcall_pending == (False,)
    assert flag_steps[0] == len(steps) - 1


def test_s5_03_fast_path_vs_hypercall_3l():
    """Item 3 for 3-level (unmask is the mirror image of raise): port 1100
    (L1 bit 1, L2 word 1 bit 2) notifies vCPU 0 but is bound (Linux) to CPU
    1; raised, its selectors consumed by vCPU 0's empty upcall.  Xen unmask
    and the hypercall from CPU 0 do nothing (mask was clear); the fast path
    on CPU 1 sets CPU 1's L2 bit, L1 bit and flag -> upcall(1) -> [1100]."""
    s = three(vcpus=2)
    s.bind_to_cpu(1100, 1)
    s.set_pending(1100)
    assert s.upcall(0) == []
    before = s.snapshot()
    s.xen_unmask(1100)
    s.unmask(1100, cpu=0)
    assert s.snapshot() == before
    s.unmask(1100, cpu=1)
    assert s.selector(1) == 1 << 1
    assert l2_nonzero(s, 1) == {1: 1 << 2}
    assert s.upcall_pending(1) is True
    assert s.selector(0) == 0 and s.upcall_pending(0) is False
    assert s.upcall(1) == [1100]


@pytest.mark.parametrize("timer_first, delivered", [(True, [5000, 3]), (False, [3, 5000])])
def test_s5_11_timer_first_3l(timer_first, delivered):
    """Item 11 carried over to 3-level: the timer (5000) goes first only with
    timer_first, and does not move the resume position."""
    s = three(timer_first=timer_first)
    s.set_timer_port(0, 5000)
    raise_all(s, 3, 5000)
    assert s.upcall(0) == delivered
    if timer_first:
        assert s.resume_position(0) == (0, 0, 4)


def test_resume_across_l1_groups_w64():
    """W=64, resume (1,0,0): 4289 = (1,3,1), then 8199 = (2,0,7), wrap,
    5 = (0,0,5)."""
    s = three(word_bits=64)
    assert coords(4289, 64) == (1, 3, 1) and coords(8199, 64) == (2, 0, 7)
    s.set_resume_position(0, (1, 0, 0))
    raise_all(s, 5, 8199, 4289)
    assert s.upcall(0) == [4289, 8199, 5]
    assert s.resume_position(0) == (0, 0, 6)
