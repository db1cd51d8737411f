"""The simulator: a workload raised against a scheme, tick by tick.

Time is an integer clock. Each tick, in this fixed order:

1. Xen raises the workload's events due at this tick (``set_pending``), in
   the workload's order (see :mod:`evtlib.workloads`: a stable sort by tick;
   scheduled events before events that delivery hooks produced for the same
   tick, hook events in the order they were produced).
2. For each vCPU in index order whose ``upcall_pending`` flag is set, the
   guest runs its upcall loop (``s.upcall(v, handler=...)``).
3. The clock moves to the next tick (straight to the next due event when no
   vCPU has an upcall pending, so idle time costs nothing).

The simulator's handler is the time dimension. A delivery is stamped with
the tick at which its handler starts; the handler then takes the handler
time of the port (``handler_time`` ticks, or ``port_handler_time[port]``;
0 is allowed) and, while it runs, the clock advances one tick at a time and
Xen raises whatever falls due, from inside the handler, as a real device
would. So a busy handler competes with other ports: raises keep arriving
while it runs and the model's scan decides who goes next.

The vCPUs share one clock and take turns: while vCPU 0's upcall runs, vCPU
1's waits (as if both ran on one physical CPU, switching at upcalls).

After ``ticks`` nothing more is raised: an upcall running at the end is
allowed to finish (the model cannot be interrupted halfway through a scan),
then one last round of upcalls delivers whatever is still deliverable. A port
that a scan kept waiting therefore shows its whole wait, which grows with
the length of the run. What is still pending after that could never be
delivered (masked, or lost between Xen's notify vCPU and Linux's binding).

Latency: each port keeps a FIFO of the ticks of its unmerged raises; a
delivery serves the oldest one. A merged raise (``set_pending`` returned
False: the port was already pending) has no delivery of its own; it is
counted, not timed.

Floods cannot hang the simulator: a port re-raised whenever it is handled
must have a handler time of at least 1 tick (checked up front), so its
re-raises are bounded by the clock and stop at ``ticks``. For the run, the
model's ``upcall_limit`` is raised to the most deliveries one upcall could
need, and restored afterwards; a hook that never lets the clock move (which
the simulator cannot see in advance) trips the model's limit instead, and
the run stops there with ``summary.stopped`` saying so.
"""

from __future__ import annotations

import heapq
import numbers
from operator import itemgetter
from typing import Callable, Iterable, Mapping

import numpy as np

from ..abi.core import EventChannels, UpcallLimitError, check_int
from ..abi.schemes import SCHEMES, make_scheme
from .trace import (DeliverEvent, RaiseEvent, Trace, TraceConfig, TraceSummary,
                    UpcallEvent)
from .workloads import Workload, as_workload

#: A raise that waits longer than this many ticks counts as starved.
DEFAULT_HORIZON = 100

Progress = Callable[[int, int], None]


# --------------------------------------------------------------- checking
def _port(s, port, what: str) -> int:
    """A port valid for model ``s``; the message says which scheme and range."""
    if isinstance(port, bool) or not isinstance(port, numbers.Integral):
        raise TypeError(f"{what}: port must be an integer, got {port!r}")
    port = int(port)
    if not 0 < port < s.max_ports:
        raise ValueError(f"{what}: port {port} is out of range for {s.describe()}: "
                         f"valid ports are 1..{s.max_ports - 1}")
    return port


def resolve_scheme(scheme, options: Mapping | None = None) -> EventChannels:
    """A model instance from an instance or a name ("2l", "3l", "fifo") + options."""
    options = dict(options or {})
    if isinstance(scheme, str):
        return make_scheme(scheme, **options)
    if isinstance(scheme, EventChannels):
        if options:
            raise TypeError(f"scheme options {sorted(options)} go with a scheme "
                            f"name, not with a model instance ({scheme.describe()})")
        return scheme
    raise TypeError(f"scheme must be a model or one of {', '.join(SCHEMES)}, "
                    f"got {scheme!r}")


def schedule(workload: Workload, ticks: int, seed: int,
             scheme: EventChannels | None = None) -> list[tuple[int, int]]:
    """The workload's scheduled raises for this seed, checked, in raise order.

    This is exactly what :func:`simulate` raises (before any hook raises):
    the generator is ``numpy.random.default_rng(seed)`` and nothing else
    draws from it first. Sorted by tick with a stable sort, so same-tick
    events keep the workload's order. With ``scheme`` (a model), ports are
    checked against its ``max_ports``.
    """
    workload = as_workload(workload)
    ticks = check_int(ticks, "ticks", 1)
    seed = check_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    top = scheme.max_ports - 1 if scheme is not None else None
    name = f" of {scheme.describe()}" if scheme is not None else ""
    out = []
    for item in workload.events(ticks, rng):
        try:
            tick, port = item
        except (TypeError, ValueError):
            raise TypeError(f"workload {workload.describe()} produced {item!r}; "
                            f"events must be (tick, port) pairs") from None
        if type(tick) is not int or type(port) is not int:
            tick = check_int(tick, "workload event tick", 0)
            port = check_int(port, "workload event port", 1)
        if not 0 <= tick < ticks:
            raise ValueError(f"workload raises port {port} at tick {tick}, outside "
                             f"the run: valid ticks are 0..{ticks - 1}")
        if port < 1 or (top is not None and port > top):
            valid = f"1..{top}" if top is not None else ">= 1"
            raise ValueError(f"workload raises port {port} at tick {tick}: valid "
                             f"ports{name} are {valid}")
        out.append((tick, port))
    out.sort(key=itemgetter(0))
    return out


# ---------------------------------------------------------------- the run
class _Run:
    """The state of one simulation while it runs (see the module docstring)."""

    def __init__(self, s, workload: Workload, sched, ticks: int, handler_time: int,
                 port_time: dict, progress: Progress | None) -> None:
        self.s, self.ticks = s, ticks
        self.sched, self.next = sched, 0          # scheduled raises, next index
        self.heap: list = []                      # hook raises: (tick, seq, port)
        self.seq = 0
        self.now = 0
        self.events: list = []
        self.waiting: dict[int, list] = {}        # port -> ticks of unmerged raises
        self.handler_time, self.port_time = handler_time, port_time
        hooked = workload.hooked_ports()
        self.hook = workload.on_deliver if hooked != frozenset() else None
        self.vcpu = 0
        self.upcall_no = 0
        self.stopped: str | None = None
        self.dropped = 0
        self.raises = self.merged = self.delivered = 0
        self.xen = [0, 0, 0]                      # reads, writes, atomics of raises
        self.last_end = 0
        self.progress = progress
        self.progress_step = max(1, ticks // 100)
        self.progress_at = 0

    # Xen side -----------------------------------------------------------
    def raise_due(self) -> None:
        """Raise every event due by now: scheduled before hook events of a tick."""
        now, sched, heap = self.now, self.sched, self.heap
        while True:
            if self.next < len(sched) and sched[self.next][0] <= now:
                if heap and heap[0][0] < sched[self.next][0]:
                    tick, _, port = heapq.heappop(heap)
                else:
                    tick, port = sched[self.next]
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
        self.raises += 1
        if fresh:
            q = self.waiting.get(port)
            if q is None:
                self.waiting[port] = [tick]
            else:
                q.append(tick)
        else:
            self.merged += 1
        self.events.append(RaiseEvent(tick, port, s.notify_vcpu(port), not fresh))

    def push(self, tick, port, earliest: int) -> None:
        """Queue a raise asked for by a delivery hook."""
        if type(tick) is not int or type(port) is not int:
            tick = check_int(tick, "hook raise tick", 0)
            port = check_int(port, "hook raise port", 1)
        if tick < earliest:
            raise ValueError(f"a delivery hook asked to raise port {port} at tick "
                             f"{tick}, before its handler ends at tick {earliest}")
        port = _port(self.s, port, "a delivery hook")
        if tick >= self.ticks:
            self.dropped += 1
            return
        self.seq += 1
        heapq.heappush(self.heap, (tick, self.seq, port))

    def next_due(self) -> int:
        due = [self.ticks]
        if self.next < len(self.sched):
            due.append(self.sched[self.next][0])
        if self.heap:
            due.append(self.heap[0][0])
        return min(due)

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
        self.events.append(DeliverEvent(now, port, self.vcpu, latency, self.upcall_no))
        self.delivered += 1
        h = self.port_time.get(port, self.handler_time) if self.port_time else self.handler_time
        if self.hook is not None:
            for tick, p in self.hook(port, now + h):
                self.push(tick, p, now + h)
        if h == 0:
            # Same-tick hook raises still happen inside the handler.
            self.raise_due()
            return
        for _ in range(h):
            self.now += 1
            self.raise_due()
        if self.progress is not None and self.now >= self.progress_at:
            self.report_progress()

    def upcall(self, v: int) -> None:
        s = self.s
        c = s.counters
        before = (c.reads, c.writes, c.atomics, c.passes)
        xen_before = tuple(self.xen)
        delivered_before = self.delivered
        self.upcall_no += 1
        self.vcpu = v
        start = self.now
        slot = len(self.events)
        # Placeholder: the upcall's record goes where it started, and is
        # filled in once its costs are known.
        self.events.append(None)
        try:
            s.upcall(v, handler=self.handler)
        except UpcallLimitError as e:
            self.stopped = (f"at tick {self.now} the upcall on vCPU {v} hit the "
                            f"model's limit of {s.upcall_limit} deliveries: {e}")
        x = [n - m for n, m in zip(self.xen, xen_before)]
        self.events[slot] = UpcallEvent(
            start, v, self.upcall_no, self.now, self.delivered - delivered_before,
            c.reads - before[0] - x[0], c.writes - before[1] - x[1],
            c.atomics - before[2] - x[2], c.passes - before[3])
        self.last_end = self.now

    def report_progress(self) -> None:
        self.progress(min(self.now, self.ticks), self.ticks)
        self.progress_at = self.now + self.progress_step

    # the clock ----------------------------------------------------------
    def run(self) -> None:
        s, ticks = self.s, self.ticks
        vcpus = range(s.vcpus)
        pending = s.upcall_pending
        rounds = 0
        while self.now < ticks and not self.stopped:
            self.raise_due()
            start = self.now
            for v in vcpus:
                if pending(v) and not self.stopped:
                    self.upcall(v)
            if self.progress is not None and self.now >= self.progress_at:
                self.report_progress()
            if any(pending(v) for v in vcpus):
                # A vCPU flagged during another vCPU's upcall is served now,
                # not a tick later: its index must not change its latency.
                # Only if rounds stop moving the clock does it tick on.
                rounds = rounds + 1 if self.now == start else 0
                if rounds > 2 * len(vcpus):
                    self.now += 1
                    rounds = 0
            else:
                rounds = 0
                self.now = max(self.now + 1, self.next_due())
        # Drain: no new raises; deliver what is still deliverable. Without
        # raises an upcall leaves its flag clear, so a few rounds settle it.
        for _ in range(4 * s.vcpus + 4):
            if self.stopped or not any(pending(v) for v in vcpus):
                break
            for v in vcpus:
                if pending(v) and not self.stopped:
                    self.upcall(v)
        if not self.stopped and any(pending(v) for v in vcpus):
            self.stopped = (f"after tick {ticks} the upcall flags did not settle "
                            f"in {4 * s.vcpus + 4} rounds without raises")
        if self.progress is not None:
            self.progress(ticks, ticks)


def _upcall_bound(s, workload: Workload, n_sched: int, ticks: int) -> int | None:
    """Most deliveries one upcall can need here, or None if unknown.

    Each delivery consumes one unmerged raise or a port pending at the
    start (fewer than ``max_ports``); hook raises of an on-handle port
    number at most one per tick.
    """
    hooked = workload.hooked_ports()
    if hooked is None:
        return None
    return n_sched + (ticks + 1) * len(hooked) + s.max_ports


def simulate(scheme, workload: Workload, *, ticks: int, seed: int,
             handler_time: int = 1, port_handler_time: Mapping[int, int] | None = None,
             horizon: int = DEFAULT_HORIZON, record: bool = False,
             progress: Progress | None = None,
             options: Iterable[tuple[str, str]] = (), **scheme_options) -> Trace:
    """Run ``workload`` on ``scheme`` for ``ticks`` ticks; return the :class:`Trace`.

    ``workload`` is a :class:`~evtlib.workloads.Workload`, a list of
    ``(tick, port)`` pairs, or a function ``fn(ticks, rng)`` returning them.

    ``scheme`` is a model instance, or a name ("2l", "3l", "fifo") with the
    model's options as keywords (``word_bits``, ``vcpus``, ``scan``,
    ``timer_first``). A given instance is used as it is (and changed by the
    run); its counters are read as deltas. ``seed`` seeds the workload's
    random numbers: the same seed gives the same trace, bit for bit.
    ``handler_time`` is the ticks each delivery's handler takes (>= 0),
    ``port_handler_time`` overrides it per port. ``horizon`` is stored for
    the metrics: a wait longer than it counts as starvation. ``record=True``
    turns on the model's step recording and keeps the steps in
    ``trace.steps``. ``progress(now, ticks)`` is called about 100 times.
    ``options`` are (name, value) strings echoed in the trace header.
    """
    s = resolve_scheme(scheme, scheme_options)
    workload = as_workload(workload)
    ticks = check_int(ticks, "ticks", 1)
    seed = check_int(seed, "seed", 0)
    handler_time = check_int(handler_time, "handler_time", 0)
    horizon = check_int(horizon, "horizon", 0)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None, got {progress!r}")
    port_time = _port_times(s, workload, handler_time, port_handler_time)
    options = tuple((str(k), str(v)) for k, v in options)

    sched = schedule(workload, ticks, seed, s)
    specs = _apply_specs(s, workload)

    limit = s.upcall_limit
    bound = _upcall_bound(s, workload, len(sched), ticks)
    steps_before = len(s.steps)
    was_recording = s.recording
    run = _Run(s, workload, sched, ticks, handler_time, port_time, progress)
    try:
        if bound is not None and bound > limit:
            s.upcall_limit = bound
        if record:
            s.record(True)
        run.run()
    finally:
        s.upcall_limit = limit
    steps = s.steps[steps_before:] if record else ()
    if record and not was_recording:
        s.record(False)

    config = _config(s, workload, run, specs, seed=seed, ticks=ticks,
                     handler_time=handler_time, horizon=horizon, port_time=port_time,
                     options=options)
    return Trace(config, tuple(run.events), _summary(run, ticks), steps)


def _port_times(s, workload: Workload, handler_time: int,
                port_handler_time: Mapping[int, int] | None) -> dict[int, int]:
    """Checked per-port handler times; refuses a zero time for a re-raised port."""
    port_time = {}
    for p, t in dict(port_handler_time or {}).items():
        port_time[_port(s, p, "port_handler_time")] = check_int(
            t, f"handler time of port {p}", 0)
    # Zero-time handlers of on-handle ports would re-raise without end.
    hooked = workload.hooked_ports() or frozenset()
    for p in sorted(hooked):
        if port_time.get(p, handler_time) == 0:
            raise ValueError(f"port {p} is re-raised whenever it is handled, so its "
                             f"handler time must be >= 1 tick (got 0): otherwise "
                             f"the clock never moves")
    return port_time


def _config(s, workload: Workload, run: "_Run", specs: list, *, seed: int, ticks: int,
            handler_time: int, horizon: int, port_time: dict,
            options: tuple) -> TraceConfig:
    """The trace header: the model, the workload and every option of the run."""
    ports = sorted({e.port for e in run.events if type(e) is not UpcallEvent})
    classes = tuple((p, workload.port_class(p) or "other") for p in ports)
    return TraceConfig(
        scheme=s.name, describe=s.describe(), word_bits=s.word_bits, scan=s.scan,
        timer_first=bool(s.timer_first), vcpus=s.vcpus, max_ports=s.max_ports,
        seed=seed, workload=workload.describe(), ticks=ticks,
        handler_time=handler_time, horizon=horizon,
        port_handler_time=tuple(sorted(port_time.items())), classes=classes,
        timers=tuple((v, p) for v in range(s.vcpus)
                     if (p := s.timer_port(v)) is not None),
        priorities=tuple((p, sp.priority) for p, sp in specs
                         if sp.priority is not None),
        bindings=tuple((p, sp.vcpu) for p, sp in specs
                       if sp.vcpu and not sp.timer),
        options=options)


def _summary(run: "_Run", ticks: int) -> TraceSummary:
    """The run's totals: raises, deliveries, what was left waiting, costs."""
    ups = [e for e in run.events if type(e) is UpcallEvent]
    return TraceSummary(
        raises=run.raises, merged=run.merged, deliveries=run.delivered,
        upcalls=len(ups), end=max(ticks, run.last_end),
        waiting=tuple(sorted((p, t) for p, q in run.waiting.items() for t in q)),
        dropped=run.dropped, stopped=run.stopped,
        xen_reads=run.xen[0], xen_writes=run.xen[1], xen_atomics=run.xen[2],
        guest_reads=sum(u.reads for u in ups), guest_writes=sum(u.writes for u in ups),
        guest_atomics=sum(u.atomics for u in ups), passes=sum(u.passes for u in ups))


def _apply_specs(s, workload: Workload) -> list:
    """Set up timers, bindings and FIFO priorities; return the sorted specs.

    Timers first (a timer port is bound to its vCPU as Linux does), then
    other bindings, then priorities (FIFO only: 2-level and 3-level have no
    priorities, so a workload that sets them runs unchanged there).
    """
    specs = sorted(workload.specs().items())
    for port, spec in specs:
        _port(s, port, "workload port set-up")
        if spec.vcpu is not None and not 0 <= spec.vcpu < s.vcpus:
            raise ValueError(f"workload binds port {port} to vCPU {spec.vcpu}, but "
                             f"{s.describe()} has vCPUs 0..{s.vcpus - 1}")
    # Check the timers against each other and the model before changing
    # anything, so that a refused set-up leaves the model as it was.
    timers: dict[int, int] = {}
    for port, spec in specs:
        if spec.timer:
            v = spec.vcpu or 0
            has = timers.get(v, s.timer_port(v))
            if has not in (None, port):
                raise ValueError(f"workload makes port {port} vCPU {v}'s timer, but "
                                 f"vCPU {v}'s VIRQ_TIMER is already port {has}: one "
                                 f"timer port per vCPU")
            timers[v] = port
    for port, spec in specs:
        if spec.timer:
            s.set_timer_port(spec.vcpu or 0, port)
    for port, spec in specs:
        if spec.vcpu and not spec.timer:
            s.bind(port, spec.vcpu)
    if s.priorities:
        for port, spec in specs:
            if spec.priority is not None:
                s.set_priority(port, spec.priority)
    return specs
