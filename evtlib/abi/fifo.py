"""The FIFO ABI: Xen ``event_fifo.c`` and Linux ``events_fifo.c``.

Every port has a 32-bit event word in guest memory::

    bit 31 P (pending)   30 M (masked)   29 L (linked)   28 B (busy)
    bits 16..0 LINK: the next port in the queue (0 = end)

Each vCPU has 16 queues (priority 0 highest, 15 lowest, default 7). Xen
appends a raised, unmasked, unlinked event to the tail of its queue by
writing LINK into the old tail's word; only when the queue was empty does it
write HEAD in the vCPU's control block and set the queue's READY bit. Linux
takes READY with one xchg and consumes one event at a time from the highest
ready queue, re-reading READY after each.

Sequential model: B (BUSY) is set by Xen only while a cmpxchg on a tail word
races with the guest, which cannot happen here, so B always reads 0. Control
blocks are taken as registered.

Event-array pages (:mod:`evtlib.abi.fifopages`): ``grow="all"``, the
default, has all 128 pages present from the start, every port bound and
unmasked, as every other model starts. ``grow="on-demand"`` is what Linux
does: no page at first, and a page is added (its words masked) when a port
that needs it is bound (``bind``, ``set_timer_port`` or ``setup_port``).
The default stays ``"all"`` because a model is a teaching and review tool
whose ports are all taken as bound: with ``"on-demand"`` a raise of a port
nobody bound goes to Xen's private pending flag and is not delivered, which
would change every existing example while the delivery order, the subject of
the other notebooks, is the same either way. Use ``"on-demand"`` for the
lifecycle (pages, ``switch_to_fifo``) and for memory: ``shared_bytes()`` and
``event_array_pages`` give the pages actually present.
"""

from __future__ import annotations

from array import array


from .checks import check_choice, check_flag, check_int, check_word_bits
from .core import Deliver, EventChannels
from .dumps import dump_fifo
from .fifopages import GROW, MISSING, WORDS_PER_PAGE, FifoPages
from .fifoword import (BUSY, CONTROL_BLOCK_BYTES, LINK_BITS, LINK_MASK, NR_CHANNELS,  # noqa: F401
                       PRIORITY_DEFAULT, QUEUES, L, M, P)
from .records import Later, Snapshot
from .wordsets import ArrayPages, array_fields


class Fifo(FifoPages, EventChannels):
    """FIFO-based event channels (Xen 4.4+, Linux 3.14+).

    ``grow``: ``"all"`` (default: every page present, every port bound) or
    ``"on-demand"`` (Linux: pages added as ports are bound; see the module
    docstring for why the default is ``"all"``). ``missing``: what Xen does
    with a raise of a port whose page is missing, ``"keep"`` (since
    ``917c123029``) or ``"drop"`` (before it, and what the public header
    documents for events pending at the switch from 2-level).
    """

    name = "fifo"
    label = "FIFO"
    priorities = QUEUES

    def __init__(self, vcpus: int = 1, word_bits: int | None = None, grow: str = "all",
                 missing: str = "keep") -> None:
        # The event word is 32 bits for every guest: word_bits is accepted
        # (32 or 64) only so that one call can build any scheme.
        check_word_bits(word_bits, allow_none=True)
        grow = check_choice(grow, "grow", GROW)
        missing = check_choice(missing, "missing", MISSING)
        super().__init__(vcpus, self.port_limit(word_bits))
        self._word = array("I", [0]) * NR_CHANNELS
        # copy-on-write pages of the event array, for snapshots
        self._cow = ArrayPages(NR_CHANNELS)
        self._rows: list = [None] * self.vcpus     # the last snapshot's per-vCPU rows
        # Xen-private, per port: priority, and fifo_lastq (vcpu, priority)
        # which starts zeroed (vCPU 0, priority 0). Non-defaults only.
        self._prio: dict[int, int] = {}
        self._lastq: dict[int, tuple[int, int]] = {}
        self._maps.update(priority=("_prio", PRIORITY_DEFAULT), lastq=("_lastq", (0, 0)))
        n = self.vcpus
        self._ready = [0] * n                              # control block READY
        self._head = [[0] * QUEUES for _ in range(n)]      # control block HEAD[q]
        self._tail = [[0] * QUEUES for _ in range(n)]      # Xen-private tails
        self._lhead = [[0] * QUEUES for _ in range(n)]     # Linux-private heads
        # The consume loop's local copy of READY (for Step.local only), and
        # while a handler runs, Linux's local "next" of the queue it came
        # from: (vcpu, priority, next), so that queue() can list the rest.
        self._local_ready: int | None = None
        self._inflight: tuple[int, int, int] | None = None
        self._init_pages(grow, missing)

    @classmethod
    def port_limit(cls, word_bits: int | None = None) -> int:
        """2**17 for every guest: LINK is 17 bits wide."""
        return NR_CHANNELS

    def describe(self) -> str:
        pages = f", {self._pages} pages" if self.grow == "on-demand" else ""
        return (f"{self.label}, 16 priorities, {self.vcpus} "
                f"vCPU{'s' if self.vcpus > 1 else ''}{pages}")

    def bind(self, port: int, vcpu: int, cpu: int = 0, lateeoi: bool | None = None) -> None:
        """As :meth:`EventChannels.bind`; on-demand, a port's first binding is
        Linux's set-up: its pages are added and it is unmasked afterwards."""
        if self.grow == "all" or self._port(port) in self._bound:
            return super().bind(port, vcpu, cpu, lateeoi)
        port, vcpu = self._port(port), self._vcpu(vcpu)
        self._vcpu(cpu, "CPU")
        owner = self._timer_vcpu.get(port)
        if owner is not None and owner != vcpu:
            return super().bind(port, vcpu, cpu, lateeoi)   # refused there
        if lateeoi is not None:
            check_flag(lateeoi, "lateeoi")
        self._setup_masked(port)
        super().bind(port, vcpu, cpu, lateeoi)
        self._bound.add(port)
        self.guest_unmask(port, cpu)

    def set_timer_port(self, vcpu: int, port: int) -> None:
        super().set_timer_port(vcpu, port)
        if self.grow == "on-demand":
            self.setup_port(port)

    def _setup_masked(self, port: int) -> None:
        """The pages ``port`` needs (their words start masked)."""
        while self._pages < port // WORDS_PER_PAGE + 1:
            self.expand_array()

    # ------------------------------------------------------------ Xen side
    def xen_set_pending(self, vcpu: int, port: int) -> bool:
        """Xen ``evtchn_fifo_set_pending`` (spec 3.5), on vCPU ``vcpu``."""
        c = self.counters
        word = self._word
        prio = self._prio.get(port, PRIORITY_DEFAULT)
        rec = self._steps is not None
        c.atomics += 1
        was_pending = bool(word[port] & P)
        word[port] |= P
        if rec:
            self._record("raise" if not was_pending else "merge", vcpu, port,
                         (vcpu, prio), word[port],
                         f"Xen sets P of port {port}" + (
                             " (already set: no new event)" if was_pending else ""))
        # linked=True means "do not touch READY".
        linked = True
        if not word[port] & M:
            c.atomics += 1
            if not word[port] & L:
                word[port] |= L
                linked = self._link(vcpu, prio, port, rec)
            elif rec:
                self._record("linked", vcpu, port, (vcpu, prio), word[port],
                             f"port {port} is still LINKED: it keeps its place "
                             f"in its queue")
        elif rec:
            self._record("masked", vcpu, port, (vcpu, prio), word[port],
                         f"port {port} is masked: P is set but it is not linked "
                         f"until unmask")
        # READY (and an upcall) only for a new HEAD, never for an append.
        if not linked:
            c.atomics += 1
            bit = 1 << prio
            if not self._ready[vcpu] & bit:
                self._ready[vcpu] |= bit
                if rec:
                    self._record("ready", vcpu, None, (vcpu, prio), self._ready[vcpu],
                                 f"Xen sets READY bit {prio} of vCPU {vcpu}")
                self._mark_events_pending(vcpu)
        return not was_pending

    def _link(self, vcpu: int, prio: int, port: int, rec: bool) -> bool:
        """Append ``port`` (L just set) to queue ``prio`` of ``vcpu``.

        Returns True when it was linked behind a tail (no READY needed) and
        False when it became the new HEAD.
        """
        c = self.counters
        old_v, old_p = self._lastq.get(port, (0, 0))
        c.reads += 1
        # Old-tail rule: this port was the last one linked on its old
        # queue and has been consumed since, so that queue is empty.
        if self._tail[old_v][old_p] == port:
            self._tail[old_v][old_p] = 0
            if rec:
                self._record("old-tail", old_v, port, (old_v, old_p), 0,
                             f"port {port} was the tail of queue {old_p} of "
                             f"vCPU {old_v}: reset that tail to 0")
        if (old_v, old_p) != (vcpu, prio):
            self._set_lastq(port, vcpu, prio)
        linked = False
        tail = self._tail[vcpu][prio]
        if tail:
            linked = self._try_set_link(tail, port)
        if not linked:
            c.writes += 1
            self._head[vcpu][prio] = port
            if rec:
                self._record("head", vcpu, port, (vcpu, prio), port,
                             f"queue {prio} of vCPU {vcpu} is empty: Xen "
                             f"writes HEAD[{prio}] = {port}")
        self._tail[vcpu][prio] = port
        if rec:
            self._record("tail", vcpu, port, (vcpu, prio), port,
                         f"Xen's private tail of queue {prio} of vCPU "
                         f"{vcpu} is now port {port}")
        return linked

    def _try_set_link(self, tail: int, port: int) -> bool:
        """cmpxchg LINK into the tail's word; fails if the tail was dequeued."""
        c = self.counters
        c.reads += 1
        w = self._word[tail]
        if not w & L:
            if self._steps is not None:
                self._record("link-fail", None, tail, (), w,
                             f"old tail {tail} is no longer LINKED (consumed): "
                             f"the queue is empty, so port {port} becomes HEAD")
            return False
        c.atomics += 1
        self._word[tail] = (w & ~(LINK_MASK | BUSY)) | port
        if self._steps is not None:
            self._record("link", None, tail, (), self._word[tail],
                         f"append: LINK of tail {tail} := {port}; no READY, "
                         f"no upcall")
        return True

    def _set_lastq(self, port: int, vcpu: int, prio: int) -> None:
        self._set_map("lastq", port, (vcpu, prio))

    def xen_unmask_port(self, port: int) -> None:
        """``evtchn_fifo_unmask``: clear M; if P, raise again on the notify vCPU."""
        self.counters.atomics += 1
        self._word[port] &= ~M
        if self._steps is not None:
            self._record("unmask", self._notify.get(port, 0), port, (),
                         self._word[port], f"EVTCHNOP_unmask: Xen clears M of "
                         f"port {port}")
        if self._word[port] & P:
            self.xen_set_pending(self._notify.get(port, 0), port)

    # ---------------------------------------------------------- guest side
    def test_and_set_mask(self, port: int) -> bool:
        self.counters.atomics += 1
        was = bool(self._word[port] & M)
        self._word[port] |= M
        if self._steps is not None:
            self._record("mask", self._cpu.get(port, 0), port, (), self._word[port],
                         f"the guest sets M of port {port}")
        return was

    def clear_pending_bit(self, port: int) -> None:
        # Clears P only: a linked event stays linked and is skipped at dequeue.
        self.counters.atomics += 1
        self._word[port] &= ~P
        if self._steps is not None:
            self._record("clear", self._cpu.get(port, 0), port, (), self._word[port],
                         f"the guest clears P of port {port}")

    def guest_unmask(self, port: int, cpu: int) -> None:
        """Linux ``clear_masked_cond``: local unless pending (then hypercall).

        The CPU it runs on does not matter for FIFO.
        """
        c = self.counters
        c.reads += 1
        w = self._word[port]
        if not w & M:
            if self._steps is not None:
                self._record("unmask", cpu, port, (), w, f"port {port} is not "
                             f"masked: unmask does nothing")
            return
        if w & P:
            if self._steps is not None:
                self._record("hypercall", cpu, port, why=(
                    f"port {port} is pending: leave M for Xen and unmask by "
                    f"hypercall, which links it"))
            self.xen_unmask_port(port)
            return
        c.atomics += 1
        self._word[port] = w & ~M
        if self._steps is not None:
            self._record("unmask", cpu, port, (), self._word[port],
                         f"port {port} is not pending: the guest clears M "
                         f"itself, no hypercall")

    def locate(self, port: int) -> tuple:
        """(notify vCPU, priority): the queue the port's next link goes to."""
        return (self._notify.get(port, 0), self._prio.get(port, PRIORITY_DEFAULT))

    def _scan_local(self):
        return self._local_ready

    def bind_to_cpu_hook(self, port: int, old: int, new: int) -> None:
        """FIFO's ``bind_to_cpu`` is a no-op: there is no per-CPU filtering."""

    def timer_port_hook(self, port: int) -> None:
        """Linux ``xen_setup_timer``: the timer gets the top priority, 0."""
        self._set_map("priority", port, 0)

    def set_priority(self, port: int, priority: int) -> None:
        """``EVTCHNOP_set_priority``: affects the next link only."""
        port = self._port(port)
        priority = check_int(priority, "priority", 0, QUEUES - 1)
        self._set_map("priority", port, priority)
        if self._steps is not None:
            self._record("priority", None, port, (), priority,
                         f"port {port} gets priority {priority} for its next link")

    def priority(self, port: int) -> int:
        return self._prio.get(self._port(port), PRIORITY_DEFAULT)

    def pending_bit(self, port: int) -> bool:
        return bool(self._word[port] & P)

    def masked_bit(self, port: int) -> bool:
        return bool(self._word[port] & M)

    def handle_events(self, cpu: int, deliver: Deliver) -> None:
        """Linux ``evtchn_fifo_handle_events`` / ``consume_one_event`` (spec 3.7)."""
        c = self.counters
        word = self._word
        rec = self._steps is not None
        lhead, head, readyw = self._lhead[cpu], self._head[cpu], self._ready
        c.atomics += 1
        ready, readyw[cpu] = readyw[cpu], 0
        if rec:
            self._local_ready = ready
            self._record("ready", cpu, None, (cpu,), ready,
                         f"take READY of vCPU {cpu} with one xchg: {ready:#06x}")
        while ready:
            q = (ready & -ready).bit_length() - 1
            port = lhead[q]
            if not port:
                c.reads += 1
                port = head[q]
            # clear_linked: atomically clear L and LINK, keeping the old LINK.
            c.atomics += 1
            w = word[port]
            nxt = w & LINK_MASK
            word[port] = w & ~(L | LINK_MASK)
            if not nxt:
                ready &= ~(1 << q)
            if rec:
                self._record_dequeue(cpu, q, port, w, nxt, ready)
            c.reads += 1
            if w & P and not w & M:
                # The edge chip's ack (clear P) comes before the handler.
                c.atomics += 1
                word[port] &= ~P
                self._inflight = (cpu, q, nxt)
                try:
                    deliver(port, rec and f"port {port} is pending and unmasked: deliver it")
                except BaseException:
                    # As if the handler had returned and the upcall ended there.
                    lhead[q] = nxt
                    self._put_back(cpu, ready, port, q, nxt)
                    raise
                self._inflight = None
            elif rec:
                self._record("skip", cpu, port, (cpu, q), word[port],
                             f"port {port} is " + ("masked: it stays pending "
                             "and is linked again at unmask" if w & P else
                             "no longer pending: dropped silently"))
            lhead[q] = nxt
            # Pick up queues made ready meanwhile: one event per iteration.
            c.atomics += 1
            more, readyw[cpu] = readyw[cpu], 0
            ready |= more
            if rec:
                self._local_ready = ready
                if more:
                    self._record("ready", cpu, None, (cpu,), more,
                                 f"re-read READY after the event: queues {more:#06x} "
                                 f"became ready meanwhile")
        self._local_ready = None

    def _record_dequeue(self, cpu: int, q: int, port: int, w: int, nxt: int,
                        ready: int) -> None:
        self._local_ready = ready
        # value: the word as read, so its LINK field is the next port.
        self._record("dequeue", cpu, port, (cpu, q), w,
                     f"dequeue port {port} from queue {q}, the highest "
                     f"ready; clear L and LINK" + (
                         f", next is {nxt}" if nxt else
                         ": it was the last, drop READY bit locally"))

    def _put_back(self, cpu: int, ready: int, port: int, q: int, nxt: int) -> None:
        """After an exception in ``port``'s delivery: Linux's next pointer of
        queue ``q`` was stored (``nxt``); put the local READY bits back.

        The queues named by ``ready`` still hold events (a queue's bit leaves
        the local copy only with its last event), so the next upcall resumes
        each from Linux's next pointer, or from HEAD.
        """
        self._inflight = None
        if ready:
            self.counters.atomics += 1
            self._ready[cpu] |= ready
        if self._steps is not None:
            self._local_ready = ready
            self._record("rearm", cpu, port, (cpu, q), ready, (
                f"the upcall ends inside port {port}'s handler: Linux keeps "
                f"{nxt or 'no'} next event for queue {q}, and its local READY "
                f"bits {ready:#06x} go back into READY, so nothing is lost"))
        self._local_ready = None

    def events_left(self, vcpu: int) -> bool:
        """Whether READY of this vCPU still names a queue (the consumer's work)."""
        return bool(self._ready[vcpu])

    # ------------------------------------------------------------- reading
    def shared_bytes(self) -> int:
        """Guest memory of the event array: the pages present (4 bytes per port)."""
        return self._pages * WORDS_PER_PAGE * self._word.itemsize

    def per_vcpu_bytes(self) -> int:
        """The control block: READY, a reserved word and HEAD[16]."""
        return CONTROL_BLOCK_BYTES

    def event_word(self, port: int) -> int:
        return self._word[self._port(port)]

    def ready(self, vcpu: int) -> int:
        return self._ready[self._vcpu(vcpu)]

    def head(self, vcpu: int, priority: int) -> int:
        return self._head[self._vcpu(vcpu)][check_int(priority, "priority", 0, QUEUES - 1)]

    def tail(self, vcpu: int, priority: int) -> int:
        return self._tail[self._vcpu(vcpu)][check_int(priority, "priority", 0, QUEUES - 1)]

    def linux_head(self, vcpu: int, priority: int) -> int:
        return self._lhead[self._vcpu(vcpu)][check_int(priority, "priority", 0, QUEUES - 1)]

    def queue(self, vcpu: int, priority: int) -> list[int]:
        """Ports linked on queue ``priority`` of ``vcpu``, in consume order.

        While a handler runs, the rest of the queue it came from is reached
        through Linux's local next pointer (the real consumer stores it into
        its private head only after the handler returns).
        """
        v = self._vcpu(vcpu)
        q = check_int(priority, "priority", 0, QUEUES - 1)
        port = self._lhead[v][q] or self._head[v][q]
        if self._inflight is not None and self._inflight[:2] == (v, q):
            port = self._inflight[2]
        out: list[int] = []
        while (port and self._word[port] & L and port not in out
               and self._lastq.get(port, (0, 0)) == (v, q)):
            out.append(port)
            port = self._word[port] & LINK_MASK
        return out

    @staticmethod
    def _setting_value(name: str, value) -> int:
        # lastq (vcpu, priority) reads as one number, vcpu * 16 + priority.
        return value[0] * QUEUES + value[1] if name == "lastq" else value

    def snapshot(self) -> Snapshot:
        # Copy-on-write pages of the event array (numpy finds the changed
        # ones); the port lists and word pairs are built only when read.
        words = Later(array_fields, self._cow.freeze(self._word), ArrayPages.PAGE, P, M)
        rows = self._rows
        for v in range(self.vcpus):
            row = (("ready", self._ready[v]), ("head", tuple(self._head[v])),
                   ("tail", tuple(self._tail[v])), ("linux_head", tuple(self._lhead[v])),
                   ("timer", self._timer[v]))
            if row != rows[v]:
                rows[v] = row               # an unchanged row is shared
        return Snapshot(self.name, None, self.vcpus, self.max_ports, words, words,
                        tuple(self._upcall_flag), words, tuple(rows), self._settings())

    def dump(self) -> str:
        return dump_fifo(self)
