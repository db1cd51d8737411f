"""Named workloads for the command line and the notebooks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .base import Mix, Workload
from .kinds import Burst, Explicit, Flood, Guests, Poisson, Timer


# ----------------------------------------------------------------- presets
@dataclass(frozen=True)
class Preset:
    """A named workload for the command line and the notebooks.

    ``make()`` builds it; ``ticks`` is the suggested run length; ``watch`` is
    the port the question asks about. Every preset fits the smallest scheme
    (2-level, 32-bit: ports 1..1023).
    """

    name: str
    about: str
    make: Callable[[], Workload]
    ticks: int
    watch: int
    question: str

    def __call__(self) -> Workload:
        return self.make()


def _flood() -> Workload:
    # Port 3 is re-raised whenever handled; the others arrive once, early, in
    # word 0 (5, 40) and in later words (70 for W=64; 70 and 40 apart for W=32).
    return Flood(3) + Explicit([(1, 5), (1, 40), (2, 70)], cls="once")


def _timer() -> Workload:
    # Eight device ports re-raised as soon as handled, and the timer VIRQ at
    # port 20 every 25 ticks: how long does the timer wait for its turn?
    busy = [Flood(p, cls="busy") for p in (4, 9, 13, 31, 33, 47, 62, 71)]
    return Mix(Timer(20, every=25, phase=3), *busy)


def _guests() -> Workload:
    return Guests(48, first_port=8)


def _mixed() -> Workload:
    return Mix(Timer(2, every=20, phase=1), Guests(32, first_port=8),
               Flood(9, rate=0.25), Burst(range(200, 264), at=(100, 300), size=16),
               Poisson(range(300, 1000), rate=0.05))


def _design_review() -> Workload:
    # 64 guests' device ports (dom0 side) plus the timer, about 90% load;
    # guest 0's vif is busy as a streaming network guest's would be (its
    # own class, so "vif" fairness compares the ordinary vifs). A watched
    # late port, 1000, belongs to a guest created last.
    g = Guests(64, first_port=8)
    return Mix(Timer(1, every=10), Flood(g.port(0, "vif"), rate=0.15, cls="busy-vif"),
               g, Poisson([1000], rate=0.01, cls="late"))


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("flood", "port 3 re-raised as soon as it is handled; ports 5, 40 "
           "and 70 raised once at ticks 1-2", _flood, 200, 70,
           "In what order are the ports delivered? What is the worst wait "
           "of port 70?"),
    Preset("timer", "timer VIRQ (port 20, every 25 ticks) against 8 device "
           "ports re-raised as soon as handled", _timer, 400, 20,
           "How long does the timer (port 20) wait at worst? Does its port "
           "number matter?"),
    Preset("guests", "48 guests x (xenstore, console, vif, vbd), ports "
           "8..199, Poisson", _guests, 2000, 199,
           "What are the median and worst waits? Are vif ports treated alike "
           "(Jain's index)?"),
    Preset("mixed", "timer, 32 guests, a 0.25/tick flood, bursts, Poisson "
           "background", _mixed, 1000, 2,
           "Which class of port waits longest? What does one delivery cost?"),
    Preset("design-review", "64 guests, timer at port 1, guest 0's vif at "
           "0.15/tick, a late port 1000", _design_review, 2000, 1000,
           "What is the worst wait of the late port 1000 and of the timer?"),
)}


def preset(name: str) -> Workload:
    """Build the named preset workload (see :data:`PRESETS`)."""
    if name not in PRESETS:
        raise ValueError(f"unknown workload {name!r}: valid workloads are "
                         f"{', '.join(PRESETS)}")
    return PRESETS[name].make()

