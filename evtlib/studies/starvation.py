"""The starvation study (notebook 02): a flooded low port against the rest.

A flooded low port, a burst of busy device ports with the timer every
:data:`PERIOD` ticks, and quiet high ports, on the three 2-level policies
(:data:`~evtlib.studies.policies.STARVATION_POLICIES`): :func:`run_starvation`,
:func:`timer_sweep`, :func:`flood_sweep`. Text, HTML and the widget are in
:mod:`evtlib.views`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..abi.core import check_int
from ..sim.metrics import port_stats
from ..sim.trace import Trace
from ..sim.workloads import Burst, Flood, Mix, Periodic, Timer, Workload
from .policies import SEED, STARVATION_POLICIES, Policy, _choice
from .series import PortWaits, Sweep, port_waits


# ============================================================== starvation
STARVE_TICKS = 2000
#: The flooded low port (word 0).
FLOOD_PORT = 3
#: The timer VIRQ. Linux binds VIRQ_TIMER early (``xen_setup_timer`` at boot),
#: so it gets one of the lowest ports: here port 1, below the flood, where a
#: scan from port 0 finds it first (docs/sources.md, dom0's own ports).
TIMER_PORT = 1
#: Quiet high ports, raised every 200 ticks; the last is the top 64-bit 2-level port.
QUIET_PORTS = (1000, 3000, 4095)
TOP_PORT = QUIET_PORTS[-1]
#: Every PERIOD ticks a burst of busy ports goes pending, and the timer with it.
PERIOD = 100
FLOOD_RATES = (0.25, 0.5, 0.75, 0.9, 1.0)
BUSY_CHOICES = (2, 4, 8, 16, 32)


def busy_pool(busy: int) -> tuple[int, ...]:
    """The 4 x ``busy`` device ports a burst draws from, spread over ports 64..4032."""
    busy = _choice(busy, "number of busy ports", BUSY_CHOICES)
    n = 4 * busy
    taken = {TIMER_PORT, *QUIET_PORTS}
    out = []
    for i in range(n):
        p = 64 + i * (4032 - 64) // (n - 1)
        while p in taken:
            p += 1
        taken.add(p)
        out.append(p)
    return tuple(out)


def starvation_workload(flood_rate: float = 1.0, busy: int = 8) -> Workload:
    """Port 3 raised ``flood_rate`` times per tick; every :data:`PERIOD` ticks
    ``busy`` ports drawn at random from :func:`busy_pool` go pending and the
    timer (port 1) right after them, in the same tick; ports 1000, 3000
    and 4095 raised every 200 ticks."""
    flood_rate = _choice(flood_rate, "flood rate", FLOOD_RATES)
    pool = busy_pool(busy)
    quiet = [Periodic(p, every=200, phase=11 + 37 * i, cls="quiet")
             for i, p in enumerate(QUIET_PORTS)]
    return Mix(Flood(FLOOD_PORT, rate=flood_rate),
               Burst(pool, at=range(5, 10**6, PERIOD), size=busy, cls="busy"),
               Timer(TIMER_PORT, every=PERIOD, phase=5), *quiet)


@dataclass(frozen=True)
class Starvation:
    """The three 2-level policies on one starvation workload.

    ``top``, ``timer``, ``busy_worst``: worst wait (ticks) of the top port,
    of the timer and of any busy port, one per label; ``flood``: deliveries
    of the flooded port. ``traces`` (label -> Trace) are kept for charts.
    """

    seed: int
    flood_rate: float
    busy: int
    ticks: int
    labels: tuple[str, ...]
    top: tuple[int, ...]
    timer: tuple[int, ...]
    busy_worst: tuple[int, ...]
    flood: tuple[int, ...]
    traces: Mapping[str, Trace] = field(compare=False, repr=False, default=None)

    def of(self, what: str, label: str) -> int:
        return getattr(self, what)[self.labels.index(label)]

    def waits(self) -> PortWaits:
        """Every port's worst wait under each policy (for :func:`plot_port_waits`)."""
        return port_waits(self.traces, marks=STARVE_MARKS)


STARVE_MARKS = {FLOOD_PORT: "flood", TIMER_PORT: "timer", TOP_PORT: "top"}


def run_starvation(seed: int = SEED, flood_rate: float = 1.0, busy: int = 8,
                   ticks: int = STARVE_TICKS,
                   policies: Sequence[Policy] = STARVATION_POLICIES) -> Starvation:
    """Run :func:`starvation_workload` on each policy (2-level, W = 64)."""
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    w = starvation_workload(flood_rate, busy)
    traces = {p.label: p.run(w, ticks=ticks, seed=seed) for p in policies}
    stats = {k: port_stats(t) for k, t in traces.items()}

    def worst(st, ports):
        return max((st[p].longest_wait or 0 for p in ports if p in st), default=0)

    pool = busy_pool(busy)
    return Starvation(
        seed, flood_rate, busy, ticks, tuple(traces),
        top=tuple(worst(st, [TOP_PORT]) for st in stats.values()),
        timer=tuple(worst(st, [TIMER_PORT]) for st in stats.values()),
        busy_worst=tuple(worst(st, pool) for st in stats.values()),
        flood=tuple(st[FLOOD_PORT].deliveries for st in stats.values()),
        traces=traces)


def timer_sweep(seed: int = SEED, flood_rate: float = 1.0,
                busy_values: Sequence[int] = BUSY_CHOICES,
                ticks: int = STARVE_TICKS) -> Sweep:
    """The timer's worst wait under each 2-level policy, against the number of busy ports."""
    runs = [run_starvation(seed, flood_rate, b, ticks) for b in busy_values]
    labels = runs[0].labels
    return Sweep(tuple(busy_values), "busy ports in each burst (with the timer)",
                 "timer's worst wait, ticks",
                 tuple((label, tuple(r.of("timer", label) for r in runs))
                       for label in labels))


def flood_sweep(seed: int = SEED, busy: int = 8, rates: Sequence[float] = FLOOD_RATES,
                ticks: int = STARVE_TICKS) -> Sweep:
    """The top port's worst wait under each 2-level policy, against the flood rate."""
    runs = [run_starvation(seed, r, busy, ticks) for r in rates]
    labels = runs[0].labels
    return Sweep(tuple(rates), "flood rate of port 3 (raises per tick)",
                 f"port {TOP_PORT}'s worst wait, ticks",
                 tuple((label, tuple(r.of("top", label) for r in runs))
                       for label in labels))
