"""Linux's late-EOI event channels and the upcall loop's control (XSA-332).

The Linux side only: nothing here changes what Xen does. Since XSA-332
(Linux commit ``54c9de89895e``, "xen/events: add a new "late EOI" evtchn
framework", October 2020) a backend binds a frontend's port with the
*lateeoi* irq chip. Its ack does not just clear PENDING: it first masks the
port (mask reason "EOI pending"), so the port stays masked after the handler
returns, and only the backend's ``xen_irq_lateeoi()`` (the EOI, once the work
is done) unmasks it. Raises in between only set PENDING (they merge); the
unmask at the EOI finds it set and delivers one event. A frontend that raises
without end therefore gets one delivery per EOI, not one per raise.

The loop control (Linux commit ``e99502f76271``, "xen/events: defer eoi in
case of excessive number of events", same series): ``__xen_evtchn_do_upcall``
keeps a ``struct evtchn_loop_ctrl`` for the whole upcall and counts the
events it handles. At every 256th event (``count & 0xff == 0``; the commit's
comment calls 256 "basically an arbitrary value") it reads the time: the
first time it sets a deadline ``event_loop_timeout`` jiffies ahead (module
parameter, default 2), later times it compares; once past the deadline, every
late-EOI port handled afterwards gets an EOI time ``event_eoi_delay`` jiffies
ahead (default 10). An EOI called for such a port while the same upcall is
still running (same ``irq_epoch``: the per-CPU counter Linux increments when
an upcall ends) is not done then: the port goes on the CPU's ``lateeoi`` list
and a worker does the EOI at its EOI time. The loop itself never stops early;
deferring keeps the storming ports masked so that it ends sooner.

Time: the models have no clock of their own. ``set_clock(fn)`` gives them
one (the simulator passes its tick); without one the time reads 0, the
deadline is never passed and no EOI is deferred. :class:`LoopCtrl` holds
the three numbers, in clock units via ``jiffy`` (clock units per jiffy).

Cost when unused: the upcall takes this path only while some port is bound
late-EOI (the check is made once per upcall, not per event).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Callable

from .checks import check_flag, check_int

#: Linux defaults (``events_base.c``): check the time every 256 events;
#: ``event_loop_timeout`` = 2 jiffies; ``event_eoi_delay`` = 10 jiffies.
LOOP_EVERY, LOOP_TIMEOUT, EOI_DELAY = 256, 2, 10


@dataclass(frozen=True)
class LoopCtrl:
    """The upcall loop control's numbers: ``every`` events, ``timeout`` and
    ``eoi_delay`` in jiffies, ``jiffy`` clock units per jiffy."""

    every: int = LOOP_EVERY
    timeout: int = LOOP_TIMEOUT
    eoi_delay: int = EOI_DELAY
    jiffy: int = 1

    def __post_init__(self) -> None:
        check_int(self.every, "loop control 'every'", 1)
        check_int(self.timeout, "loop control timeout (jiffies)", 0)
        check_int(self.eoi_delay, "EOI delay (jiffies)", 1)
        check_int(self.jiffy, "clock units per jiffy", 1)


class LateEoi:
    """Mixin of :class:`~evtlib.abi.core.EventChannels`: late EOI, loop control."""

    def _init_lateeoi(self) -> None:
        self._lateeoi: set[int] = set()          # ports bound with the lateeoi chip
        # port -> (vcpu, epoch, eoi_time or None): acked, masked, awaiting EOI
        self._eoi_wait: dict[int, tuple] = {}
        self._deferred: list[tuple[int, int]] = []   # the lateeoi list: (time, port)
        self._epoch = [0] * self.vcpus           # Linux per-CPU irq_epoch
        self._clock: Callable[[], int] | None = None
        self.loop_ctrl = LoopCtrl()
        #: Upcalls in which the loop control started deferring EOIs.
        self.deferring_upcalls = 0

    # ----------------------------------------------------------- set-up
    def set_clock(self, clock: Callable[[], int] | None) -> None:
        """The time the loop control reads (``None``: always 0)."""
        if clock is not None and not callable(clock):
            raise TypeError(f"clock must be callable or None, got {clock!r}")
        self._clock = clock

    def _now(self) -> int:
        return 0 if self._clock is None else self._clock()

    def _set_lateeoi(self, port: int, on) -> None:
        on = check_flag(on, "lateeoi")
        if on:
            self._lateeoi.add(port)
        elif port in self._eoi_wait:
            raise ValueError(f"port {port} is waiting for its EOI: call eoi({port}) "
                             f"before binding it without lateeoi")
        else:
            self._lateeoi.discard(port)

    @property
    def lateeoi_ports(self) -> frozenset:
        return frozenset(self._lateeoi)

    def eoi_pending(self, port: int) -> bool:
        """Whether ``port`` was acked by the lateeoi chip and awaits its EOI."""
        return self._port(port) in self._eoi_wait

    def deferred_eois(self) -> tuple[tuple[int, int], ...]:
        """The lateeoi list: (EOI time, port), earliest first."""
        return tuple(sorted(self._deferred))

    # ----------------------------------------------------------- the EOI
    def eoi(self, port: int) -> str:
        """Linux ``xen_irq_lateeoi``: the backend has done the work for ``port``.

        Returns ``"unmasked"`` (the port is unmasked now; if it was raised
        meanwhile, the unmask delivers it), ``"deferred"`` (the loop control
        deferred this EOI: the port stays masked until :meth:`eoi_worker`
        runs at its EOI time) or ``"none"`` (no EOI was pending, or it is
        already on the lateeoi list: nothing changes, as in Linux).
        """
        port = self._port(port)
        if port not in self._lateeoi:
            raise ValueError(f"port {port} is not bound late-EOI: eoi() is for ports "
                             f"bound with bind({port}, vcpu, lateeoi=True); valid "
                             f"ports are {sorted(self._lateeoi) or 'none yet'}")
        wait = self._eoi_wait.get(port)
        if wait is None or wait[2] == "listed":
            return "none"
        vcpu, epoch, when = wait
        if when is not None and epoch == self._epoch[vcpu]:
            self._eoi_wait[port] = (vcpu, epoch, "listed")
            heapq.heappush(self._deferred, (when, port))
            if self._steps is not None:
                self._record("eoi-defer", vcpu, port, why=(
                    f"EOI of port {port} during the upcall that deferred EOIs: it "
                    f"goes on the lateeoi list until time {when}; port {port} "
                    f"stays masked"))
            return "deferred"
        self._do_eoi(port)
        return "unmasked"

    def _do_eoi(self, port: int) -> None:
        del self._eoi_wait[port]
        cpu = self._cpu.get(port, 0)
        if self._steps is not None:
            self._record("eoi", cpu, port, why=(
                f"EOI of port {port}: its 'EOI pending' mask reason goes, so "
                f"the guest unmasks it"))
        self.guest_unmask(port, cpu)

    def eoi_worker(self, now: int | None = None) -> list[int]:
        """Linux ``xen_irq_lateeoi_worker``: do the deferred EOIs due by ``now``
        (default: the clock). Returns the ports unmasked, in EOI-time order."""
        now = self._now() if now is None else check_int(now, "now", 0)
        done = []
        while self._deferred and self._deferred[0][0] <= now:
            _, port = heapq.heappop(self._deferred)
            if port in self._eoi_wait:
                self._do_eoi(port)
                done.append(port)
        return done

    def next_deferred_eoi(self) -> int | None:
        """The EOI time of the earliest deferred EOI, or None."""
        return self._deferred[0][0] if self._deferred else None

    # ------------------------------------------------------ the delivery
    def _lateeoi_deliverer(self, vcpu: int, handler, delivered: list, limit: int):
        """``deliver`` for an upcall while some port is late-EOI: the loop
        control counts every event; a late-EOI port is masked by its ack."""
        append = delivered.append
        lateeoi, wait = self._lateeoi, self._eoi_wait
        ctrl = self.loop_ctrl
        state = {"count": 0, "deadline": None, "defer": False}
        epoch = self._epoch[vcpu]

        def deliver(port: int, why) -> None:
            append(port)
            if not state["defer"]:
                state["count"] += 1
                if state["count"] % ctrl.every == 0:
                    self._loop_check(vcpu, state)
            if port in lateeoi:
                # lateeoi chip ack: mask (reason "EOI pending"); the scan
                # has cleared PENDING. Only eoi() takes the mask away.
                self.test_and_set_mask(port)
                when = (self._now() + ctrl.eoi_delay * ctrl.jiffy
                        if state["defer"] else None)
                wait[port] = (vcpu, epoch, when)
            if self._steps is not None:
                self._record("deliver", vcpu, port, self.locate(port), why=(
                    f"{why}; the ack clears its PENDING"
                    + (", masks it until its EOI" if port in lateeoi else "")
                    + ", then its handler runs"))
            if handler is not None:
                handler(port)
            if len(delivered) >= limit:
                self._limit_reached(vcpu, port, limit)

        return deliver

    def _loop_check(self, vcpu: int, state: dict) -> None:
        """Every ``every`` events: set the deadline, or start deferring EOIs."""
        ctrl, now = self.loop_ctrl, self._now()
        if state["deadline"] is None:
            state["deadline"] = now + ctrl.timeout * ctrl.jiffy
        elif now > state["deadline"]:
            state["defer"] = True
            self.deferring_upcalls += 1
            if self._steps is not None:
                self._record("defer-eoi", vcpu, None, why=(
                    f"{state['count']} events in this upcall and past its "
                    f"deadline ({state['deadline']}): EOIs of late-EOI ports "
                    f"handled from now on are deferred"))
