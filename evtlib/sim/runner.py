"""The run loop of :func:`evtlib.sim.engine.simulate`: the clock, the vCPUs'
upcalls, the raises falling due, and the events recorded as they happen.

See :mod:`evtlib.sim.engine` for what a run does, tick by tick.
"""

from __future__ import annotations

import heapq
from typing import Callable

from ..abi.checks import check_int, is_integer
from ..abi.core import UpcallLimitError
from .records import MAX_CLOCK, TableBuilder
from .workloads import Workload

Progress = Callable[[int, int], None]


def model_port(s, port, what: str) -> int:
    """A port valid for model ``s``; the message says which scheme and range."""
    if not is_integer(port):
        raise TypeError(f"{what}: port must be an integer, got {port!r}")
    port = int(port)
    if not 0 < port < s.max_ports:
        raise ValueError(f"{what}: port {port} is out of range for {s.describe()}: "
                         f"valid ports are 1..{s.max_ports - 1}")
    return port



# ---------------------------------------------------------------- the run
class ClockLimit(Exception):
    """A handler would end past :data:`MAX_CLOCK` (raised inside the upcall)."""


class Run:
    """The state of one simulation while it runs (see the module docstring).

    Cost follows events: the vCPUs whose upcall flag may be set are kept in
    a heap (a raise can only flag its notify vCPU), so a round visits those
    and no others, and time jumps from one due raise to the next, even
    inside a handler.
    """

    def __init__(self, s, workload: Workload, sched, ticks: int, handler_time: int,
                 port_time: dict, progress: Progress | None) -> None:
        self.s, self.ticks = s, ticks
        # Scheduled raises (ticks and ports, in raise order) and the next one.
        self.sched_t, self.sched_p = sched
        self.next = 0
        self.heap: list = []                      # hook raises: (tick, seq, port)
        self.seq = 0
        self.now = 0
        self.table = TableBuilder()
        self.waiting: dict[int, list] = {}        # port -> ticks of unmerged raises
        self.handler_time, self.port_time = handler_time, port_time
        hooked = workload.hooked_ports()
        self.hook = workload.on_deliver if hooked != frozenset() else None
        # Late EOI (only when the workload or the model uses it): EOIs that
        # deliveries scheduled, (tick, seq, port), and the model's deferred ones.
        self.eoi_hook = workload.on_deliver_eoi if workload.eoi_ports() else None
        self.late = self.eoi_hook is not None or bool(s.lateeoi_ports)
        self.eois: list = []
        self.eoi_count = 0
        self.vcpu = 0
        self.upcall_no = 0
        self.open: tuple | None = None            # the upcall in progress
        self.stopped: str | None = None
        self.dropped = 0
        self.xen = [0, 0, 0]                      # reads, writes, atomics of raises
        self.last_end = 0
        self.progress = progress
        self.progress_step = max(1, ticks // 100)
        self.progress_at = 0
        # vCPUs that may have their upcall flag set, smallest first.
        self.flagged: list[int] = []
        self.in_flagged: set[int] = set()
        for v in range(s.vcpus):                  # once: the model may come flagged
            if s.upcall_pending(v):
                self.flag(v)

    def flag(self, v: int) -> None:
        if v not in self.in_flagged:
            self.in_flagged.add(v)
            heapq.heappush(self.flagged, v)

    # Xen side -----------------------------------------------------------
    def raise_due(self) -> None:
        """Raise every event due by now: scheduled before hook events of a tick.
        EOIs due by now (late EOI) come first."""
        if self.late:
            self.eoi_due()
        now, st, sp, heap = self.now, self.sched_t, self.sched_p, self.heap
        n = len(st)
        while True:
            if self.next < n and st[self.next] <= now:
                if heap and heap[0][0] < st[self.next]:
                    tick, _, port = heapq.heappop(heap)
                else:
                    tick, port = st[self.next], sp[self.next]
                    self.next += 1
            elif heap and heap[0][0] <= now:
                tick, _, port = heapq.heappop(heap)
            else:
                return
            self.raise_port(tick, port)

    def raise_port(self, tick: int, port: int) -> None:
        s = self.s
        c = s.counters
        r, w, a = c.reads, c.writes, c.atomics
        fresh = s.set_pending(port)
        x = self.xen
        x[0] += c.reads - r
        x[1] += c.writes - w
        x[2] += c.atomics - a
        v = s.notify_vcpu(port)
        self.table.add_raise(tick, port, v, not fresh)
        if fresh:
            q = self.waiting.get(port)
            if q is None:
                self.waiting[port] = [tick]
            else:
                q.append(tick)
            # Only an unmerged raise can set a flag, and only its notify vCPU's.
            if s.upcall_pending(v):
                self.flag(v)

    def eoi_due(self) -> None:
        """The EOIs due by now: scheduled by deliveries, then the model's
        deferred ones (its lateeoi worker); flag the vCPUs they make pending."""
        s, eois = self.s, self.eois
        done = []
        while eois and eois[0][0] <= self.now:
            _, _, port = heapq.heappop(eois)
            s.eoi(port)
            done.append(port)
        nxt = s.next_deferred_eoi()
        if nxt is not None and nxt <= self.now:
            done += s.eoi_worker(self.now)
        self.eoi_count += len(done)
        for port in done:
            for v in (s.notify_vcpu(port), s.cpu_of(port)):
                if s.upcall_pending(v):
                    self.flag(v)

    def push_eoi(self, tick, port, earliest: int) -> None:
        """Queue an EOI asked for by a delivery (``on_deliver_eoi``)."""
        tick = check_int(tick, "EOI tick", earliest)
        port = model_port(self.s, port, "an EOI hook")
        if tick >= self.ticks:
            return
        self.seq += 1
        heapq.heappush(self.eois, (tick, self.seq, port))

    def push(self, tick, port, earliest: int) -> None:
        """Queue a raise asked for by a delivery hook."""
        if type(tick) is not int or type(port) is not int:
            tick = check_int(tick, "hook raise tick", 0)
            port = check_int(port, "hook raise port", 1)
        if tick < earliest:
            raise ValueError(f"a delivery hook asked to raise port {port} at tick "
                             f"{tick}, before its handler ends at tick {earliest}")
        port = model_port(self.s, port, "a delivery hook")
        if tick >= self.ticks:
            self.dropped += 1
            return
        self.seq += 1
        heapq.heappush(self.heap, (tick, self.seq, port))

    def next_event(self) -> int | None:
        """The tick of the next raise due (scheduled or hook), or None."""
        due = self.sched_t[self.next] if self.next < len(self.sched_t) else None
        if self.heap and (due is None or self.heap[0][0] < due):
            due = self.heap[0][0]
        if self.late:
            for t in (self.eois[0][0] if self.eois else None, self.s.next_deferred_eoi()):
                if t is not None and (due is None or t < due):
                    due = t
        return due

    def next_due(self) -> int:
        due = self.next_event()
        return self.ticks if due is None else min(due, self.ticks)

    # guest side ---------------------------------------------------------
    def handler(self, port: int) -> None:
        """Runs for each delivery, after the ack: stamp it, then spend its time."""
        now = self.now
        q = self.waiting.get(port)
        if q is None:
            latency = None
        else:
            # Oldest first; the list is almost always one long, and a port
            # with nothing waiting leaves the dict (memory follows pending ports).
            latency = now - q.pop(0)
            if not q:
                del self.waiting[port]
        self.table.add_deliver(now, port, self.vcpu, latency, self.upcall_no)
        h = self.port_time.get(port, self.handler_time) if self.port_time else self.handler_time
        if self.hook is not None:
            for tick, p in self.hook(port, now + h):
                self.push(tick, p, now + h)
        if self.eoi_hook is not None:
            for tick, p in self.eoi_hook(port, now + h):
                self.push_eoi(tick, p, now + h)
        end = now + h
        if end > MAX_CLOCK:
            raise ClockLimit(f"port {port}'s handler would end at tick {end}, past "
                             f"the clock's limit of {MAX_CLOCK}")
        if h == 0:
            # Same-tick hook raises still happen inside the handler.
            self.raise_due()
            return
        # The handler's time passes: whatever falls due meanwhile is raised
        # at its own tick, from inside the handler; idle ticks are skipped.
        while True:
            due = self.next_event()
            if due is None or due > end:
                break
            self.now = due
            self.raise_due()
        self.now = end
        if self.progress is not None and self.now >= self.progress_at:
            self.report_progress()

    def upcall(self, v: int) -> None:
        s = self.s
        c = s.counters
        self.upcall_no += 1
        self.vcpu = v
        # What the upcall's record needs, noted before its row is reserved
        # where it starts; close_upcall fills the row in once its costs are
        # known, even if the run is interrupted (Ctrl-C) anywhere in it.
        self.open = (self.table.upcalls, self.now, v, self.upcall_no,
                     (c.reads, c.writes, c.atomics, c.passes), tuple(self.xen),
                     self.table.deliveries)
        self.table.add_upcall()
        try:
            s.upcall(v, handler=self.handler)
        except (UpcallLimitError, ClockLimit) as e:
            self.stopped = (f"at tick {self.now} the upcall on vCPU {v} hit the "
                            f"model's limit of {s.upcall_limit} deliveries: {e}"
                            if isinstance(e, UpcallLimitError) else
                            f"at tick {self.now} on vCPU {v}: {e}")
        finally:
            self.close_upcall()
        if s.upcall_pending(v):
            self.flag(v)

    def close_upcall(self) -> None:
        """Fill in the row of the upcall in progress, if its row was reserved."""
        if self.open is None:
            return
        i, start, v, number, before, xen_before, delivered_before = self.open
        if i < self.table.upcalls:
            c = self.s.counters
            x = [n - m for n, m in zip(self.xen, xen_before)]
            self.table.set_upcall(
                i, start, v, number, self.now, self.table.deliveries - delivered_before,
                c.reads - before[0] - x[0], c.writes - before[1] - x[1],
                c.atomics - before[2] - x[2], c.passes - before[3])
            self.last_end = self.now
        self.open = None

    def report_progress(self) -> None:
        self.progress(min(self.now, self.ticks), self.ticks)
        self.progress_at = self.now + self.progress_step

    # the clock ----------------------------------------------------------
    def serve_round(self) -> None:
        """One round: each flagged vCPU in index order, as a loop over all
        vCPUs would; one flagged meanwhile at a lower index waits a round."""
        heap, pending, later = self.flagged, self.s.upcall_pending, []
        cur = -1
        while heap and not self.stopped:
            v = heapq.heappop(heap)
            if v <= cur:
                later.append(v)
                continue
            self.in_flagged.discard(v)
            cur = v
            if pending(v):
                self.upcall(v)
        for v in later:
            heapq.heappush(heap, v)

    def any_flagged(self) -> bool:
        """Whether a vCPU has its upcall flag set (dropping stale entries)."""
        pending = self.s.upcall_pending
        keep = [v for v in self.flagged if pending(v)]
        if len(keep) != len(self.flagged):
            heapq.heapify(keep)
            self.flagged, self.in_flagged = keep, set(keep)
        return bool(keep)

    def run(self) -> None:
        s, ticks = self.s, self.ticks
        rounds = 0
        while self.now < ticks and not self.stopped:
            self.raise_due()
            start = self.now
            self.serve_round()
            if self.progress is not None and self.now >= self.progress_at:
                self.report_progress()
            if self.any_flagged():
                # A vCPU flagged during another vCPU's upcall is served now,
                # not a tick later: its index must not change its latency.
                # Only if rounds stop moving the clock does it tick on.
                rounds = rounds + 1 if self.now == start else 0
                if rounds > 2 * s.vcpus:
                    self.now += 1
                    rounds = 0
            else:
                rounds = 0
                self.now = max(self.now + 1, self.next_due())
        # Drain: no new raises; deliver what is still deliverable. Without
        # raises an upcall leaves its flag clear, so a few rounds settle it.
        for _ in range(4 * s.vcpus + 4):
            if self.stopped or not self.any_flagged():
                break
            self.serve_round()
        if not self.stopped and self.any_flagged():
            self.stopped = (f"after tick {ticks} the upcall flags did not settle "
                            f"in {4 * s.vcpus + 4} rounds without raises")
        if self.progress is not None:
            self.progress(ticks, ticks)
