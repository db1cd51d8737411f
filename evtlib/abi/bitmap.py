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

from .checks import check_choice, check_flag, check_int, check_word_bits
from .core import Deliver, EventChannels
from .dumps import dump_bitmap
from .records import Later, Snapshot
from .wordsets import (Pages, Sparse, WordSet, WordSet2, bit_list,  # noqa: F401 (re-exported)
                       bitmap_fields, lowest_bit)

SCANS = ("resume", "from-zero")


class BitmapScheme(EventChannels):
    """Shared PENDING/MASK bitmaps with per-vCPU selectors (2-level, 3-level)."""

    levels: ClassVar[int]
    word_sizes = (32, 64)

    def __init__(self, word_bits: int = 64, vcpus: int = 1, scan: str = "resume",
                 timer_first: bool = False) -> None:
        W = check_word_bits(word_bits)
        check_choice(scan, "scan policy", SCANS)
        timer_first = check_flag(timer_first, "timer_first")
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
        self._cpumask = [[full] * self._nwords] + [Sparse() for _ in range(self.vcpus - 1)]
        self._cpumask[0][0] = full & ~1
        # Per-CPU resume position as (flat word index, bit): "last handled + 1".
        self._resume = [(0, 0)] * self.vcpus
        self._init_selectors()
        # The running scan's local selector copy (for Step.local only).
        self._words = None
        self._pend_pages = Pages(self._nwords)
        self._mask_pages = Pages(self._nwords)
        self._rows: list = [None] * self.vcpus

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
        pend = self._pending
        c.atomics += 1
        # 1. test-and-set PENDING; already set: nothing else at all happens.
        if pend[w] & m:
            if self._steps is not None:
                self._record("merge", vcpu, port, self._where(port), pend[w],
                             f"port {port} is already pending: the raise is a no-op "
                             f"(no selector bit, no upcall)")
            return False
        pend[w] |= m
        c.reads += 1
        masked = self._mask[w] & m
        if self._steps is not None:
            self._record("raise", vcpu, port, self._where(port), pend[w],
                         f"Xen sets PENDING of port {port}" + (
                             "; it is masked, so nothing else (the edge waits in "
                             "PENDING)" if masked else f" for vCPU {vcpu}"))
            if not masked and self._sel_set(vcpu, w):
                self._mark_events_pending(vcpu)
            return True
        if masked:
            return True
        # 2. unmasked: mark the word in the notify vCPU's selector, upcall if
        # new. (The same as _sel_set and _mark_events_pending, inline for the
        # one-word 2-level selector: this is the hot path of every raise.)
        sel = self._flat_sel
        if sel is None:
            if not self._sel_set(vcpu, w):
                return True
        else:
            c.atomics += 1
            if sel[vcpu] >> w & 1:
                return True
            sel[vcpu] |= 1 << w
        c.atomics += 1
        self._upcall_flag[vcpu] = True
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

    def clear_pending_bit(self, port: int) -> None:
        w, m = port >> self._shift, 1 << (port & self._low)
        self.counters.atomics += 1
        self._pending[w] &= ~m
        if self._steps is not None:
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
        masks = self._cpumask
        left = masks[old][w] & ~m
        if left or not old:
            masks[old][w] = left
        else:
            del masks[old][w]               # keep the other CPUs' masks sparse
        masks[new][w] |= m

    def pending_bit(self, port: int) -> bool:
        return bool(self._pending[port >> self._shift] >> (port & self._low) & 1)

    def masked_bit(self, port: int) -> bool:
        return bool(self._mask[port >> self._shift] >> (port & self._low) & 1)

    # --------------------------------------------------------- guest scans
    def handle_events(self, cpu: int, deliver: Deliver) -> None:
        if self.timer_first:
            # Before the xchg: an exception here leaves nothing taken.
            self._timer_check(cpu, deliver)
        words = self._sel_take(cpu)
        try:
            if self.scan == "resume":
                self._scan_resume(cpu, deliver, words)
            else:
                self._scan_from_zero(cpu, deliver, words)
        finally:
            self._words = None

    def events_left(self, vcpu: int) -> bool:
        """Whether this vCPU's selector still names a word (the scan's work)."""
        return bool(self._sel_top(vcpu))

    def _scan_local(self):
        return None if self._words is None else tuple(self._words.indices())

    def _active(self, cpu: int, w: int) -> int:
        """``active_evtchns``: pending, bound to ``cpu`` and not masked."""
        self.counters.reads += 2
        return self._pending[w] & self._cpumask[cpu][w] & ~self._mask[w]

    def _ack(self, w: int, b: int) -> None:
        """The edge chip's ack: clear PENDING of bit ``b`` of word ``w``."""
        self.counters.atomics += 1
        self._pending[w] &= ~(1 << b)

    def _rearm(self, cpu: int, words, current: int | None, port: int) -> None:
        """Put back what an interrupted scan still held: its selector words.

        The scan ended inside the delivery of ``port`` (its handler raised,
        or the upcall limit was reached once it returned): the words left in
        the local copy, and ``current`` (the word being scanned, when the
        scan had already taken it out of the copy), get their selector bits
        back, so the next upcall scans them. A word with nothing left is
        simply found empty then.
        """
        left = words.indices()
        if current is not None and current not in left:
            left.append(current)
        for w in sorted(left):
            self._sel_set(cpu, w)
        if self._steps is not None:
            self._record("rearm", cpu, port, why=(
                f"the upcall ends inside port {port}'s handler: the words its scan "
                f"still held ({', '.join(map(str, sorted(left))) or 'none'}) get "
                f"their selector bits back, so nothing is lost"))

    def _timer_check(self, cpu: int, deliver: Deliver) -> None:
        """Spec 1.7: before the selector xchg, deliver this CPU's timer if active.

        Neither the selector nor the resume position is touched.
        """
        port = self._timer[cpu]
        if port is None:
            return
        w, b = port >> self._shift, port & self._low
        if self._active(cpu, w) >> b & 1:
            self._ack(w, b)
            deliver(port, self._steps is not None and f"timer first: VIRQ_TIMER port "
                          f"{port} is active, so it goes before the selector scan")

    def _scan_from_zero(self, cpu: int, deliver: Deliver, words) -> None:
        """The old pvops loop (spec 1.5): lowest word, lowest bit, re-read each time."""
        W = self.word_bits
        pend, mask, mine = self._pending, self._mask, self._cpumask[cpu]
        c = self.counters
        while words:
            w = words.first_from(0)
            words.discard(w)
            if self._steps is not None:
                self._record("word", cpu, None, self._word_where(w), pend[w],
                             f"from zero: take the lowest selected word, {w}")
            while True:
                # Re-read after every port: a port raised meanwhile in this word
                # is seen at once, lowest first.
                c.reads += 2
                bits = pend[w] & mine[w] & ~mask[w]
                if not bits:
                    break
                b = (bits & -bits).bit_length() - 1
                # The edge chip's ack (clear PENDING) comes before the handler.
                c.atomics += 1
                pend[w] &= ~(1 << b)
                try:
                    deliver(w * W + b, self._steps is not None and
                            f"from zero: lowest active bit of word {w} "
                            f"(re-read after each port) is {b}")
                except BaseException:
                    self._rearm(cpu, words, w, w * W + b)
                    raise

    def _scan_resume(self, cpu: int, deliver: Deliver, words) -> None:
        """``evtchn_2l_handle_events`` (spec 1.6), over any height of selector."""
        W, low, nwords, resume = self.word_bits, self._low, self._nwords, self._resume
        start_w, start_b = resume[cpu]
        rec, c = self._steps is not None, self.counters
        pend, mask, mine = self._pending, self._mask, self._cpumask[cpu]
        # The 2-level local copy is one int: read it inline (no method call).
        flat, first_from, discard = type(words) is WordSet, words.first_from, words.discard
        w, i = start_w, 0
        while True:
            if flat:
                above = words.bits >> w
                found = w + (above & -above).bit_length() - 1 if above else -1
            else:
                found = first_from(w)
            if found < 0:
                if not words:
                    break
                # Nothing at or above w: wrap to word 0. This iteration counts.
                w, i = 0, i + 1
                if rec:
                    self._record("wrap", cpu, None, why=self.WRAP_WHY)
                continue
            w = found
            first = w == start_w and i == 0
            # One snapshot of the active bits per word visit (spec 1.6 item 4).
            c.reads += 2
            snap = pend[w] & mine[w] & ~mask[w]
            b = start_b if first else 0
            if rec:
                self._record_visit(cpu, w, snap, b, first, start_w)
            while True:
                bits = snap >> b << b
                if not bits:
                    break
                b = (bits & -bits).bit_length() - 1
                port = w * W + b
                # The edge chip's ack (clear PENDING) comes before the handler.
                c.atomics += 1
                pend[w] &= ~(1 << b)
                b = (b + 1) & low
                try:
                    deliver(port, rec and f"resume scan: bit {port - w * W} is the next "
                            f"set bit of the word-{w} snapshot, so port {port} is delivered")
                except BaseException:
                    # The handler counts as returned: the position moves past it.
                    resume[cpu] = (w, b) if b else ((w + 1) % nwords, 0)
                    self._rearm(cpu, words, None, port)
                    raise
                # Next caller starts at last processed + 1 (wrapping the word).
                resume[cpu] = (w, b) if b else ((w + 1) % nwords, 0)
                if rec:
                    self._record_resume(cpu)
                if not b:
                    break
            # The start word keeps its selector bit on the first visit only.
            if not first:
                if flat:
                    words.bits &= ~(1 << w)
                else:
                    discard(w)
            w, i = (w + 1) % nwords, i + 1

    WRAP_WHY = "no selected word at or above the scan point: wrap to word 0"

    def _record_resume(self, cpu: int) -> None:
        where = self._position(*self._resume[cpu])
        self._record("resume", cpu, None, where,
                     why=f"the next scan will start just after it, at {where}")

    def _record_visit(self, cpu: int, w: int, snap: int, b: int, first: bool,
                      start_w: int) -> None:
        self._record("word", cpu, None, self._word_where(w), snap, (
            f"first visit of start word {w}: read its active bits once "
            f"and scan from bit {b}, the resume point" if first else
            f"back at start word {w} after the wrap: read it again and "
            f"scan the whole word from bit 0" if w == start_w else
            f"read the active bits of word {w} once and scan from bit 0"))

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
        # Frozen parts shared with the previous snapshot where unchanged;
        # the port lists and non-zero words are listed only when read.
        pend = self._pend_pages.freeze(self._pending)
        mask = self._mask_pages.freeze(self._mask)
        bitmaps = Later(bitmap_fields, pend, mask, self._pend_pages.size, self.word_bits)
        rows = self._rows
        for v in range(self.vcpus):
            row = self._sel_state(v) + (("resume", self._position(*self._resume[v])),
                                        ("timer", self._timer[v]))
            if row != rows[v]:
                rows[v] = row
        return Snapshot(self.name, self.word_bits, self.vcpus, self.max_ports, bitmaps,
                        bitmaps, tuple(self._upcall_flag), bitmaps, tuple(rows),
                        self._settings())

    def dump(self) -> str:
        return dump_bitmap(self)
