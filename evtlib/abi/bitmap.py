"""What 2-level and 3-level share: pending/mask bitmaps and the Linux scans.

Both schemes keep two shared bitmaps (PENDING and MASK, one bit per port, in
words of W bits) and a per-vCPU tree of selector bits above them. They differ
only in the height of that tree, which the subclass supplies through four
hooks: ``_sel_set`` (Xen marks a word), ``_sel_take`` (the guest's xchg),
``_sel_state`` and ``_position``/``_flat_position`` (how the resume position
is spelled). The scans below are the Linux ones (spec 1.5-1.7) written over
"pending words", so the same code walks a 2-level selector or a 3-level one.
"""

from __future__ import annotations

from typing import ClassVar

from .core import Deliver, EventChannels, check_choice, check_int
from .dumps import dump_bitmap
from .records import Snapshot

SCANS = ("resume", "from-zero")


def lowest_bit(x: int) -> int:
    """Index of the lowest set bit of ``x`` (``x`` > 0)."""
    return (x & -x).bit_length() - 1


def bit_list(x: int) -> list[int]:
    out = []
    while x:
        low = x & -x
        out.append(low.bit_length() - 1)
        x ^= low
    return out


class WordSet:
    """The guest's local copy of a 1-level selector: one W-bit integer."""

    __slots__ = ("bits",)

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __bool__(self) -> bool:
        return self.bits != 0

    def first_from(self, w: int) -> int:
        """Lowest word index >= w present, or -1."""
        above = self.bits >> w
        return -1 if not above else w + lowest_bit(above)

    def discard(self, w: int) -> None:
        self.bits &= ~(1 << w)

    def indices(self) -> list[int]:
        return bit_list(self.bits)


class WordSet2:
    """Local copy of a 2-level selector tree (3-level scheme): L1 bits over L2 words."""

    __slots__ = ("l1", "l2", "shift", "low")

    def __init__(self, l1: int, l2: dict[int, int], shift: int) -> None:
        self.l1, self.l2, self.shift = l1, l2, shift
        self.low = (1 << shift) - 1

    def __bool__(self) -> bool:
        return self.l1 != 0

    def first_from(self, w: int) -> int:
        hi, lo = w >> self.shift, w & self.low
        rest = self.l2.get(hi, 0) >> lo if self.l1 >> hi & 1 else 0
        if rest:
            return w + lowest_bit(rest)
        above = self.l1 >> (hi + 1)
        if not above:
            return -1
        hi = hi + 1 + lowest_bit(above)
        return (hi << self.shift) + lowest_bit(self.l2[hi])

    def indices(self) -> list[int]:
        return [(hi << self.shift) + lo for hi in bit_list(self.l1)
                for lo in bit_list(self.l2[hi])]

    def discard(self, w: int) -> None:
        hi = w >> self.shift
        left = self.l2.get(hi, 0) & ~(1 << (w & self.low))
        if left:
            self.l2[hi] = left
        else:
            self.l2.pop(hi, None)
            self.l1 &= ~(1 << hi)


class BitmapScheme(EventChannels):
    """Shared PENDING/MASK bitmaps with per-vCPU selectors (2-level, 3-level)."""

    levels: ClassVar[int]
    word_sizes = (32, 64)

    def __init__(self, word_bits: int = 64, vcpus: int = 1, scan: str = "resume",
                 timer_first: bool = False) -> None:
        if type(word_bits) is not int or word_bits not in (32, 64):
            raise ValueError(f"word_bits must be 32 or 64 (bits in xen_ulong_t), "
                             f"got {word_bits!r}")
        check_choice(scan, "scan policy", SCANS)
        if not isinstance(timer_first, bool):
            raise TypeError(f"timer_first must be True or False, got {timer_first!r}")
        W = word_bits
        super().__init__(vcpus, self.port_limit(W))
        self.word_bits, self.scan, self.timer_first = W, scan, timer_first
        self._shift = W.bit_length() - 1
        self._low = W - 1
        self._nwords = W ** (self.levels - 1)
        self._pending = [0] * self._nwords
        self._mask = [0] * self._nwords
        # Linux's per-CPU cpu_evtchn_mask: every port starts bound to CPU 0
        # (port 0 is never bound, so it can never look active).
        full = (1 << W) - 1
        self._cpumask = [[full] * self._nwords] + [[0] * self._nwords
                                                  for _ in range(self.vcpus - 1)]
        self._cpumask[0][0] = full & ~1
        # Per-CPU resume position as (flat word index, bit): "last handled + 1".
        self._resume = [(0, 0)] * self.vcpus
        self._init_selectors()
        # The running scan's local selector copy (for Step.local only).
        self._words = None

    @classmethod
    def port_limit(cls, word_bits: int) -> int:
        """W ** levels: one bit per port under ``levels - 1`` selector levels."""
        return word_bits ** cls.levels

    def describe(self) -> str:
        extra = ", timer first" if self.timer_first else ""
        return (f"{self.label} W={self.word_bits}, scan={self.scan}{extra}, "
                f"{self.vcpus} vCPU{'s' if self.vcpus > 1 else ''}")

    # ------------------------------------------------------------ Xen side
    def xen_set_pending(self, vcpu: int, port: int) -> bool:
        """Xen ``evtchn_2l_set_pending`` (and its 3-level analogue)."""
        w, m = port >> self._shift, 1 << (port & self._low)
        c = self.counters
        c.atomics += 1
        # 1. test-and-set PENDING; already set: nothing else at all happens.
        if self._pending[w] & m:
            if self._steps is not None:
                self._record("merge", vcpu, port, self._where(port), self._pending[w],
                             f"port {port} is already pending: the raise is a no-op "
                             f"(no selector bit, no upcall)")
            return False
        self._pending[w] |= m
        c.reads += 1
        masked = self._mask[w] & m
        if self._steps is not None:
            self._record("raise", vcpu, port, self._where(port), self._pending[w],
                         f"Xen sets PENDING of port {port}" + (
                             "; it is masked, so nothing else (the edge waits in "
                             "PENDING)" if masked else f" for vCPU {vcpu}"))
        # 2. unmasked: mark the word in the notify vCPU's selector, upcall if new.
        if not masked and self._sel_set(vcpu, w):
            self._mark_events_pending(vcpu)
        return True

    def xen_unmask_port(self, port: int) -> None:
        """``EVTCHNOP_unmask``: re-raise only if MASK really was set."""
        w, m = port >> self._shift, 1 << (port & self._low)
        vcpu = self._notify.get(port, 0)
        c = self.counters
        c.atomics += 1
        was = self._mask[w] & m
        self._mask[w] &= ~m
        if self._steps is not None:
            self._record("unmask", vcpu, port, self._where(port), self._mask[w],
                         f"EVTCHNOP_unmask: Xen clears MASK of port {port}" + (
                             "" if was else " (it was not set, so no re-raise)"))
        if was:
            c.reads += 1
            if self._pending[w] & m and self._sel_set(vcpu, w):
                self._mark_events_pending(vcpu)

    # ---------------------------------------------------------- guest side
    def test_and_set_mask(self, port: int) -> bool:
        w, m = port >> self._shift, 1 << (port & self._low)
        self.counters.atomics += 1
        was = bool(self._mask[w] & m)
        self._mask[w] |= m
        if self._steps is not None:
            self._record("mask", self._cpu.get(port, 0), port, self._where(port),
                         self._mask[w], f"the guest sets MASK of port {port}")
        return was

    def clear_pending_bit(self, port: int, quiet: bool = False) -> None:
        w, m = port >> self._shift, 1 << (port & self._low)
        self.counters.atomics += 1
        self._pending[w] &= ~m
        if self._steps is not None and not quiet:
            self._record("clear", self._cpu.get(port, 0), port, self._where(port),
                         self._pending[w], f"the guest clears PENDING of port {port}")

    def guest_unmask(self, port: int, cpu: int) -> None:
        """Linux ``evtchn_2l_unmask`` on ``cpu``: fast path only on the port's CPU."""
        if cpu != self._cpu.get(port, 0):
            if self._steps is not None:
                self._record("hypercall", cpu, port, why=(
                    f"CPU {cpu} is not port {port}'s CPU: unmask by hypercall"))
            self.xen_unmask_port(port)
            return
        w, m = port >> self._shift, 1 << (port & self._low)
        c = self.counters
        c.reads += 1
        pending = self._pending[w] & m
        c.atomics += 1
        self._mask[w] &= ~m
        if self._steps is not None:
            self._record("unmask", cpu, port, self._where(port), self._mask[w],
                         f"fast-path unmask on CPU {cpu}: clear MASK of port {port}"
                         + (", and it is pending" if pending else ""))
        # No check that MASK was set: a pending port is re-armed regardless.
        if pending and self._sel_set(cpu, w):
            c.writes += 1
            self._upcall_flag[cpu] = True
            if self._steps is not None:
                self._record("upcall-flag", cpu, None, why=(
                    f"the guest sets its own upcall_pending for port {port}"))

    def bind_to_cpu_hook(self, port: int, old: int, new: int) -> None:
        w, m = port >> self._shift, 1 << (port & self._low)
        self._cpumask[old][w] &= ~m
        self._cpumask[new][w] |= m

    def pending_bit(self, port: int) -> bool:
        return bool(self._pending[port >> self._shift] >> (port & self._low) & 1)

    def masked_bit(self, port: int) -> bool:
        return bool(self._mask[port >> self._shift] >> (port & self._low) & 1)

    # --------------------------------------------------------- guest scans
    def handle_events(self, cpu: int, deliver: Deliver) -> None:
        if self.timer_first:
            self._timer_check(cpu, deliver)
        words = self._sel_take(cpu)
        try:
            if self.scan == "resume":
                self._scan_resume(cpu, deliver, words)
            else:
                self._scan_from_zero(cpu, deliver, words)
        finally:
            self._words = None

    def _scan_local(self):
        return None if self._words is None else tuple(self._words.indices())

    def _active(self, cpu: int, w: int) -> int:
        """``active_evtchns``: pending, bound to ``cpu`` and not masked."""
        self.counters.reads += 2
        return self._pending[w] & self._cpumask[cpu][w] & ~self._mask[w]

    def _timer_check(self, cpu: int, deliver: Deliver) -> None:
        """Spec 1.7: before the selector xchg, deliver this CPU's timer if active.

        Neither the selector nor the resume position is touched.
        """
        port = self._timer[cpu]
        if port is None:
            return
        w, b = port >> self._shift, port & self._low
        if self._active(cpu, w) >> b & 1:
            deliver(port, self._steps is not None and f"timer first: VIRQ_TIMER port {port} is active, so it "
                          f"goes before the selector scan")

    def _scan_from_zero(self, cpu: int, deliver: Deliver, words) -> None:
        """The old pvops loop (spec 1.5): lowest word, lowest bit, re-read each time."""
        W = self.word_bits
        while words:
            w = words.first_from(0)
            words.discard(w)
            if self._steps is not None:
                self._record("word", cpu, None, self._word_where(w), self._pending[w],
                             f"from zero: take the lowest selected word, {w}")
            while True:
                # Re-read after every port: a port raised meanwhile in this word
                # is seen at once, lowest first.
                bits = self._active(cpu, w)
                if not bits:
                    break
                b = lowest_bit(bits)
                deliver(w * W + b, self._steps is not None and f"from zero: lowest active bit of word {w} "
                                   f"(re-read after each port) is {b}")

    def _scan_resume(self, cpu: int, deliver: Deliver, words) -> None:
        """``evtchn_2l_handle_events`` (spec 1.6), over any height of selector."""
        W, nwords = self.word_bits, self._nwords
        start_w, start_b = self._resume[cpu]
        rec = self._steps is not None
        w, i = start_w, 0
        while words:
            found = words.first_from(w)
            if found < 0:
                # Nothing at or above w: wrap to word 0. This iteration counts.
                w, i = 0, i + 1
                if rec:
                    self._record("wrap", cpu, None, why=(
                        "no selected word at or above the scan point: wrap to word 0"))
                continue
            w = found
            first = w == start_w and i == 0
            # One snapshot of the active bits per word visit (spec 1.6 item 4).
            snap = self._active(cpu, w)
            b = start_b if first else 0
            if rec:
                self._record("word", cpu, None, self._word_where(w), snap, (
                    f"first visit of start word {w}: read its active bits once "
                    f"and scan from bit {b}, the resume point" if first else
                    f"back at start word {w} after the wrap: read it again and "
                    f"scan the whole word from bit 0" if w == start_w else
                    f"read the active bits of word {w} once and scan from bit 0"))
            while True:
                bits = (snap >> b) << b
                if not bits:
                    break
                b = lowest_bit(bits)
                deliver(w * W + b, rec and f"resume scan: bit {b} is the next set bit of "
                                   f"the word-{w} snapshot, so port {w * W + b} "
                                   f"is delivered")
                b = (b + 1) & self._low
                # Next caller starts at last processed + 1 (wrapping the word).
                self._resume[cpu] = (w, b) if b else ((w + 1) % nwords, 0)
                if rec:
                    self._record("resume", cpu, None, self._position(*self._resume[cpu]),
                                 why=f"the next scan will start just after it, at "
                                     f"{self._position(*self._resume[cpu])}")
                if not b:
                    break
            # The start word keeps its selector bit on the first visit only.
            if not first:
                words.discard(w)
            w, i = (w + 1) % nwords, i + 1

    # ------------------------------------------------------ resume position
    def resume_position(self, vcpu: int) -> tuple:
        return self._position(*self._resume[self._vcpu(vcpu)])

    def set_resume_position(self, vcpu: int, pos) -> None:
        vcpu = self._vcpu(vcpu)
        names = self._position_names
        if not isinstance(pos, (tuple, list)) or len(pos) != len(names):
            raise ValueError(f"resume position must be a tuple ({', '.join(names)}), "
                             f"got {pos!r}")
        parts = [check_int(p, n, 0, self.word_bits - 1) for p, n in zip(pos, names)]
        self._resume[vcpu] = self._flat_position(parts)

    # ------------------------------------------------------------ reporting
    def shared_bytes(self) -> int:
        """Guest memory of the shared PENDING and MASK bitmaps."""
        return (len(self._pending) + len(self._mask)) * self.word_bits // 8

    def per_vcpu_bytes(self) -> int:
        """Selector words of one vCPU (L1, plus the L2 array for 3-level)."""
        return self._selector_words() * self.word_bits // 8

    def locate(self, port: int) -> tuple:
        return self._where(port)

    def _where(self, port: int) -> tuple:
        w, b = port >> self._shift, port & self._low
        return self._position(w, b)

    def _word_where(self, w: int) -> tuple:
        return self._position(w, 0)[:-1]

    def snapshot(self) -> Snapshot:
        W = self.word_bits
        pend, mask, words = [], [], []
        for i, (p, m) in enumerate(zip(self._pending, self._mask)):
            if p or m:
                words.append((i, p, m))
                pend += [i * W + b for b in bit_list(p)]
                mask += [i * W + b for b in bit_list(m)]
        per_vcpu = tuple(self._sel_state(v) + (
            ("resume", self._position(*self._resume[v])),
            ("timer", self._timer[v])) for v in range(self.vcpus))
        return Snapshot(self.name, W, self.vcpus, self.max_ports, tuple(pend),
                        tuple(mask), tuple(self._upcall_flag), tuple(words),
                        per_vcpu, self._settings())

    def dump(self) -> str:
        return dump_bitmap(self)
