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

Late EOI: a delivery may also schedule an EOI (``on_deliver_eoi``, see
:class:`~evtlib.sim.workloads.Backend`); at its tick, before that tick's
raises, the simulator calls the model's ``eoi(port)``, and it runs the
model's lateeoi worker for EOIs the loop control deferred. The model's
clock (``set_clock``) reads the simulator's tick during the run.

The simulator's handler is the time dimension. A delivery is stamped with
the tick at which its handler starts; the handler then takes the handler
time of the port (``handler_time`` ticks, or ``port_handler_time[port]``;
0 is allowed) and, while it runs, the clock advances and Xen raises
whatever falls due, at its own tick, from inside the handler, as a real
device would (ticks where nothing falls due are skipped, not counted). So a busy handler competes with other ports: raises keep arriving
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
the run stops there with ``summary.stopped`` saying so. So does a handler
that would end past :data:`~evtlib.sim.records.MAX_CLOCK` (2**53) ticks.

Cost follows the events, not the vCPUs or ports: only vCPUs whose upcall
flag is set are visited (a raise can only flag its notify vCPU), idle time
is skipped, and the events are recorded as columns
(:class:`~evtlib.sim.records.EventTable`). See :mod:`evtlib.sim.runner`.
"""

from __future__ import annotations

from array import array
from typing import Iterable, Mapping

import numpy as np

from ..abi.checks import check_flag, check_int
from ..abi.core import EventChannels
from ..abi.schemes import SCHEMES, make_scheme
from .records import MAX_CLOCK, EventTable
from .runner import Progress, Run, model_port
from .trace import Trace, TraceConfig, TraceSummary
from .workloads import Workload, as_workload

#: A raise that waits longer than this many ticks counts as starved.
DEFAULT_HORIZON = 100


# --------------------------------------------------------------- checking
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
    t, p = scheduled(workload, ticks, seed, scheme)
    return list(zip(t.tolist(), p.tolist()))


def scheduled(workload: Workload, ticks: int, seed: int,
              scheme: EventChannels | None = None) -> tuple[array, array]:
    """:func:`schedule` as two int64 arrays, ticks and ports (16 bytes a raise)."""
    workload = as_workload(workload)
    ticks = check_int(ticks, "ticks", 1, MAX_CLOCK)
    seed = check_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    top = scheme.max_ports - 1 if scheme is not None else None
    name = f" of {scheme.describe()}" if scheme is not None else ""
    at, ports = array("q"), array("q")
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
        at.append(tick)
        ports.append(port)
    order = np.argsort(np.frombuffer(at, dtype=np.int64), kind="stable")
    if len(order) and (np.diff(order) != 1).any():
        at = array("q", np.frombuffer(at, dtype=np.int64)[order].tobytes())
        ports = array("q", np.frombuffer(ports, dtype=np.int64)[order].tobytes())
    return at, ports


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
             progress: Progress | None = None, partial: bool = False,
             options: Iterable[tuple[str, str]] = (), **scheme_options) -> Trace:
    """Run ``workload`` on ``scheme`` for ``ticks`` ticks; return the :class:`Trace`.

    ``workload`` is a :class:`~evtlib.workloads.Workload`, a list of
    ``(tick, port)`` pairs, or a function ``fn(ticks, rng)`` returning them.

    ``scheme`` is a model instance, or a name ("2l", "3l", "fifo") with the
    model's options as keywords (``word_bits``, ``vcpus``, ``scan``,
    ``timer_first``). A given instance is used as it is (and changed by the
    run); its counters are read as deltas. ``seed`` seeds the workload's
    random numbers: the same seed gives the same trace, bit for bit.
    ``ticks`` and ``handler_time`` (the ticks each delivery's handler takes,
    >= 0; ``port_handler_time`` overrides it per port) are at most
    :data:`MAX_CLOCK`. ``horizon`` is stored for the metrics: a wait longer
    than it counts as starvation. ``record=True`` turns on the model's step
    recording and keeps the steps in ``trace.steps``. ``progress(now,
    ticks)`` is called about 100 times. With ``partial=True`` a
    KeyboardInterrupt (Ctrl-C) ends the run early and the trace so far is
    returned, ``summary.stopped`` saying so; otherwise it propagates.
    ``options`` are (name, value) strings echoed in the trace header.
    """
    s = resolve_scheme(scheme, scheme_options)
    workload = as_workload(workload)
    ticks = check_int(ticks, "ticks", 1, MAX_CLOCK)
    seed = check_int(seed, "seed", 0)
    handler_time = check_int(handler_time, "handler_time", 0, MAX_CLOCK)
    horizon = check_int(horizon, "horizon", 0, MAX_CLOCK)
    record, partial = check_flag(record, "record"), check_flag(partial, "partial")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None, got {progress!r}")
    port_time = _port_times(s, workload, handler_time, port_handler_time)
    options = tuple((str(k), str(v)) for k, v in options)

    sched = scheduled(workload, ticks, seed, s)
    specs = _apply_specs(s, workload)

    run = Run(s, workload, sched, ticks, handler_time, port_time, progress)
    steps = _execute(run, _upcall_bound(s, workload, len(sched[0]), ticks), record, partial)
    table = run.table.table()
    config = _config(s, workload, table, specs, seed=seed, ticks=ticks,
                     handler_time=handler_time, horizon=horizon, port_time=port_time,
                     options=options)
    return Trace(config, table, _summary(run, table, ticks), steps)


def _execute(run: Run, bound: int | None, record: bool, partial: bool) -> tuple:
    """Run it with the model's upcall limit raised above ``bound`` (and its
    recording on if asked), both restored after; return the steps recorded."""
    s = run.s
    limit = s.upcall_limit
    steps_before = len(s.steps)
    was_recording = s.recording
    clock = s._clock
    s.set_clock(lambda: run.now)
    try:
        # Reaching the limit is an error: the bound itself must stay below it.
        if bound is not None and bound >= limit:
            s.upcall_limit = bound + 1
        if record:
            s.record(True)
        run.run()
    except KeyboardInterrupt:
        if not partial:
            raise
        run.close_upcall()
        run.stopped = f"interrupted (Ctrl-C) at tick {run.now}"
    finally:
        s.upcall_limit = limit
        s.set_clock(clock)
        steps = s.steps[steps_before:] if record else ()
        if record and not was_recording:
            s.record(False)
    return steps


def _port_times(s, workload: Workload, handler_time: int,
                port_handler_time: Mapping[int, int] | None) -> dict[int, int]:
    """Checked per-port handler times; refuses a zero time for a re-raised port."""
    port_time = {}
    for p, t in dict(port_handler_time or {}).items():
        port_time[model_port(s, p, "port_handler_time")] = check_int(
            t, f"handler time of port {p}", 0)
    # Zero-time handlers of on-handle ports would re-raise without end.
    hooked = workload.hooked_ports() or frozenset()
    for p in sorted(hooked):
        if port_time.get(p, handler_time) == 0:
            raise ValueError(f"port {p} is re-raised whenever it is handled, so its "
                             f"handler time must be >= 1 tick (got 0): otherwise "
                             f"the clock never moves")
    return port_time


def _config(s, workload: Workload, table: EventTable, specs: list, *, seed: int,
            ticks: int, handler_time: int, horizon: int, port_time: dict,
            options: tuple) -> TraceConfig:
    """The trace header: the model, the workload and every option of the run."""
    ports = np.union1d(table.column("r", "port"), table.column("d", "port")).tolist()
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


def _summary(run: Run, table: EventTable, ticks: int) -> TraceSummary:
    """The run's totals (counted from the table, so that they agree with the
    events even when Ctrl-C cut the run anywhere): raises, deliveries, what
    was left waiting, costs."""
    def total(name: str) -> int:
        return int(table.column("u", name).sum())
    return TraceSummary(
        raises=table.count("r"), merged=int(table.column("r", "merged").sum()),
        deliveries=table.count("d"), upcalls=table.count("u"),
        end=max(ticks, run.last_end),
        waiting=tuple(sorted((p, t) for p, q in run.waiting.items() for t in q)),
        dropped=run.dropped, stopped=run.stopped,
        xen_reads=run.xen[0], xen_writes=run.xen[1], xen_atomics=run.xen[2],
        guest_reads=total("reads"), guest_writes=total("writes"),
        guest_atomics=total("atomics"), passes=total("passes"))


def _apply_specs(s, workload: Workload) -> list:
    """Set up timers, bindings and FIFO priorities; return the sorted specs.

    Timers first (a timer port is bound to its vCPU as Linux does), then
    other bindings, then priorities (FIFO only: 2-level and 3-level have no
    priorities, so a workload that sets them runs unchanged there).
    """
    specs = sorted(workload.specs().items())
    for port, spec in specs:
        model_port(s, port, "workload port set-up")
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
    for port, spec in specs:
        if spec.lateeoi:
            s.bind(port, spec.vcpu or 0, lateeoi=True)
    if s.priorities:
        for port, spec in specs:
            if spec.priority is not None:
                s.set_priority(port, spec.priority)
    return specs
