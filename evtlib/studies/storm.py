"""Event storms: a hostile frontend floods a backend's port (notebook 08, part 3).

The backend is one dom0 vCPU serving ``guests`` ordinary guests (four
device ports each, :class:`~evtlib.sim.workloads.Guests`, from port 3) and
its own timer (port 1, every 10 ticks). ``frontends`` hostile frontends
(ports 2, then from 200) each raise their port ``rate`` times a tick. The
backend's handler only queues the work (1 tick); a worker does it (``work``
ticks) elsewhere.

The modes compared:

* ``edge``: plain edge handling, as before XSA-332: every raise after the
  ack is a new delivery;
* ``lateeoi``: Linux's late EOI (``54c9de89895e``): the ack masks the
  port, the worker's EOI unmasks it, so one delivery per piece of work; the
  loop control is switched off (its check never comes);
* ``lateeoi+ctrl``: late EOI with the loop control (``e99502f76271``):
  past 256 events and the deadline, EOIs inside the upcall are deferred.

Time scale (an assumption, stated wherever the numbers are shown): a tick is
one handler, taken as 100 µs, so with HZ=1000 a jiffy is 10 ticks: the loop
deadline (2 jiffies) is 20 ticks and a deferred EOI waits 10 jiffies, 100
ticks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..abi.checks import check_int
from ..abi.lateeoi import LoopCtrl
from ..abi.schemes import make_scheme
from ..sim import port_stats, simulate
from ..sim.trace import Trace
from ..sim.workloads import Backend, Guests, Timer
from .policies import SEED, _choice

#: Clock ticks per jiffy (the time scale above).
JIFFY_TICKS = 10
TIMER, FIRST_GUEST_PORT, HOSTILE, MORE_HOSTILE = 1, 3, 2, 200
MODES = ("edge", "lateeoi", "lateeoi+ctrl")
#: The scan policies of 2013 (and FIFO) the storm is replayed on.
SCHEMES = {"2l from-zero": ("2l", {"scan": "from-zero"}),
           "2l resume": ("2l", {"scan": "resume"}),
           "fifo": ("fifo", {})}
STORM_TICKS = 2000
#: A loop control whose check never comes: late EOI without loop control.
NO_CTRL = LoopCtrl(every=10**9)


@dataclass(frozen=True)
class StormRow:
    """One run: the backend's deliveries of hostile ports, the others' waits."""

    label: str
    scheme: str
    mode: str
    backend_deliveries: int     # deliveries of the hostile ports
    others_worst: int           # worst wait of any ordinary guest's port, ticks
    timer_worst: int            # worst wait of the timer, ticks
    longest_upcall: int         # ticks from an upcall's start to its end
    upcalls: int
    deferring_upcalls: int      # upcalls in which the loop control deferred EOIs


@dataclass(frozen=True)
class Storm:
    seed: int
    ticks: int
    guests: int
    frontends: int
    rate: float
    work: int
    rows: tuple[StormRow, ...]
    traces: Mapping[str, Trace] = field(compare=False, repr=False, default=None)

    def row(self, label: str) -> StormRow:
        for r in self.rows:
            if r.label == label:
                return r
        raise ValueError(f"no row {label!r}: rows are "
                         f"{', '.join(r.label for r in self.rows)}")


def hostile_ports(frontends: int) -> tuple[int, ...]:
    """Port 2 for the first hostile frontend, 200.. for the others."""
    return (HOSTILE,) + tuple(range(MORE_HOSTILE, MORE_HOSTILE + frontends - 1))


def storm_workload(mode: str, guests: int, frontends: int, rate: float, work: int):
    late = mode != "edge"
    w = Timer(TIMER, 10) + Guests(guests, first_port=FIRST_GUEST_PORT)
    for p in hostile_ports(frontends):
        w = w + Backend(p, rate, work=work, lateeoi=late, cls="hostile")
    return w


def storm_row(label: str, scheme: str, mode: str, s, trace: Trace, guests: int) -> StormRow:
    st = port_stats(trace)
    last = FIRST_GUEST_PORT + 4 * guests
    hostile = [p.deliveries for p in st.values() if p.cls == "hostile"]
    others = [p.longest_wait or 0 for port, p in st.items()
              if FIRST_GUEST_PORT <= port < last]
    ups = trace.upcalls
    return StormRow(label, scheme, mode, sum(hostile), max(others, default=0),
                    st[TIMER].longest_wait or 0 if TIMER in st else 0,
                    max((u.end - u.tick for u in ups), default=0), len(ups),
                    s.deferring_upcalls)


def run_storm(seed: int = SEED, *, schemes=("fifo",), modes=MODES, guests: int = 16,
              frontends: int = 1, rate: float = 1.0, work: int = 8,
              ticks: int = STORM_TICKS) -> Storm:
    """Every scheme x mode on the same storm; rows labelled ``"scheme / mode"``."""
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    guests = check_int(guests, "guests", 1, 48)
    frontends = check_int(frontends, "frontends", 1, 128)
    work = check_int(work, "work", 1, 1000)
    ticks = check_int(ticks, "ticks", 100, 100_000)
    rows, traces = [], {}
    for name in schemes:
        scheme, opts = SCHEMES[_choice(name, "scheme", tuple(SCHEMES))]
        for mode in modes:
            _choice(mode, "mode", MODES)
            s = make_scheme(scheme, **opts)
            s.loop_ctrl = (LoopCtrl(jiffy=JIFFY_TICKS) if mode == "lateeoi+ctrl"
                           else NO_CTRL)
            w = storm_workload(mode, guests, frontends, rate, work)
            label = f"{name} / {mode}"
            traces[label] = simulate(s, w, ticks=ticks, seed=seed)
            rows.append(storm_row(label, name, mode, s, traces[label], guests))
    return Storm(seed, ticks, guests, frontends, float(rate), work, tuple(rows), traces)
