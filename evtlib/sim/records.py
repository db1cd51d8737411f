"""What a trace is made of: event records, the run's config and summary, and
the events as columns.

A run records three kinds of event (:class:`RaiseEvent`, :class:`DeliverEvent`,
:class:`UpcallEvent`). A :class:`~evtlib.sim.trace.Trace` keeps them as an
:class:`EventTable`: the order of the kinds, and one integer array per kind
with a row per event, so that a million events cost a few bytes each, and
metrics and files work on whole columns. The frozen records are built from
the rows when someone asks for them.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Iterable, Union

import numpy as np

#: The largest tick, end or latency a trace may hold: every one of them is
#: then exact as a float64, so the metrics' means and ratios are exact too.
MAX_CLOCK = 2**53


@dataclass(frozen=True, slots=True)
class RaiseEvent:
    """Xen raised ``port`` at ``tick``; it was for ``vcpu`` (the notify vCPU).

    ``merged`` is True when the port was already pending: the raise changed
    nothing, so this occurrence is folded into the one already waiting.
    """

    tick: int
    port: int
    vcpu: int
    merged: bool

    kind = "raise"


@dataclass(frozen=True, slots=True)
class DeliverEvent:
    """The guest's handler for ``port`` started at ``tick`` on ``vcpu``.

    ``latency`` is ``tick`` minus the tick of the oldest unmerged raise of the
    port still waiting (None if no raise of the port was waiting, e.g. the
    port was pending before the simulation started). ``upcall`` numbers the
    upcall it happened in, from 1.
    """

    tick: int
    port: int
    vcpu: int
    latency: int | None
    upcall: int

    kind = "deliver"


@dataclass(frozen=True, slots=True)
class UpcallEvent:
    """One upcall (the guest's whole event loop) on ``vcpu``.

    It started at ``tick`` and its last handler finished at ``end``. The cost
    fields are deltas of the model's counters over the upcall, with the cost
    of the raises Xen made meanwhile (from inside handlers) taken out, so they
    are the guest's own shared-memory traffic: plain ``reads``/``writes`` of
    shared words and locked ``atomics``. ``passes`` counts the passes of the
    upcall loop (``handle_events`` calls).
    """

    tick: int
    vcpu: int
    index: int
    end: int
    deliveries: int
    reads: int
    writes: int
    atomics: int
    passes: int

    kind = "upcall"


Event = Union[RaiseEvent, DeliverEvent, UpcallEvent]


@dataclass(frozen=True)
class TraceConfig:
    """What was simulated. Pairs are sorted tuples so configs compare exactly."""

    scheme: str                      # "2l" | "3l" | "fifo"
    describe: str                    # the model's one-line description
    word_bits: int | None
    scan: str | None
    timer_first: bool
    vcpus: int
    max_ports: int
    seed: int
    workload: str                    # the workload's description
    ticks: int
    handler_time: int                # ticks per delivery, by default
    horizon: int                     # a wait longer than this is starvation
    port_handler_time: tuple[tuple[int, int], ...] = ()   # (port, ticks)
    classes: tuple[tuple[int, str], ...] = ()             # (port, class)
    timers: tuple[tuple[int, int], ...] = ()              # (vcpu, port)
    priorities: tuple[tuple[int, int], ...] = ()          # (port, FIFO priority)
    bindings: tuple[tuple[int, int], ...] = ()            # (port, vcpu)
    options: tuple[tuple[str, str], ...] = ()             # echoed by the CLI

    @property
    def policy(self) -> str:
        """The delivery policy in a few words: how ports are chosen."""
        if self.scheme == "fifo":
            return "FIFO queues, 16 priorities"
        return f"{self.scan}" + (" + timer first" if self.timer_first else "")

    def port_class(self, port: int) -> str:
        return dict(self.classes).get(port, "other")

    def handler_ticks(self, port: int) -> int:
        return dict(self.port_handler_time).get(port, self.handler_time)


@dataclass(frozen=True)
class TraceSummary:
    """Totals of a run.

    ``waiting`` lists ``(port, tick)`` for every unmerged raise that no
    delivery served by the end (the port stayed pending: masked, or lost
    between Xen's notify vCPU and Linux's binding). ``end`` is when the run
    ended: ``ticks``, or later when the last upcall returned after it (an
    upcall running at the end is allowed to finish, and a final round of
    upcalls drains what is deliverable, with no new raises). A raise still
    waiting is taken to have waited until ``end``. ``dropped`` counts raises that
    workload hooks asked for at or after ``ticks`` (not raised). ``stopped``
    says why the run ended early, or is None. The ``xen_*`` fields are the
    model's counters spent on raises, the ``guest_*`` fields those spent in
    upcalls (the sums of the :class:`UpcallEvent` costs).
    """

    raises: int
    merged: int
    deliveries: int
    upcalls: int
    end: int
    waiting: tuple[tuple[int, int], ...] = ()
    dropped: int = 0
    stopped: str | None = None
    xen_reads: int = 0
    xen_writes: int = 0
    xen_atomics: int = 0
    guest_reads: int = 0
    guest_writes: int = 0
    guest_atomics: int = 0
    passes: int = 0


# ------------------------------------------------------------------ columns
#: Column order of each event kind (the JSON ``events`` rows use it too).
EVENT_FIELDS = {
    "r": ("tick", "port", "vcpu", "merged"),
    "d": ("tick", "port", "vcpu", "latency", "upcall"),
    "u": ("tick", "vcpu", "index", "end", "deliveries", "reads", "writes",
          "atomics", "passes"),
}
KINDS = ("r", "d", "u")
KIND_CLASS = {"r": RaiseEvent, "d": DeliverEvent, "u": UpcallEvent}
CLASS_KIND = {v: k for k, v in KIND_CLASS.items()}
#: In the columns a latency of None is stored as -1 and merged as 0/1.
NO_LATENCY = -1


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


class EventTable:
    """The events of a run as columns (immutable).

    ``kinds[i]`` is 0, 1 or 2 (raise, deliver, upcall) for event ``i``;
    ``rows[k]`` is a 2-D int64 array with one row per event of kind ``k``,
    in event order, columns as in :data:`EVENT_FIELDS`.
    """

    __slots__ = ("kinds", "rows")

    def __init__(self, kinds: np.ndarray, rows) -> None:
        self.kinds = _frozen(np.asarray(kinds, dtype=np.uint8))
        self.rows = tuple(_frozen(np.asarray(r, dtype=np.int64).reshape(-1, len(EVENT_FIELDS[k])))
                          for k, r in zip(KINDS, rows))

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> "EventTable":
        b = TableBuilder()
        for e in events:
            kind = CLASS_KIND[type(e)]
            if kind == "r":
                b.add_raise(e.tick, e.port, e.vcpu, e.merged)
            elif kind == "d":
                b.add_deliver(e.tick, e.port, e.vcpu, e.latency, e.upcall)
            else:
                b.set_upcall(b.add_upcall(), *(getattr(e, f) for f in EVENT_FIELDS["u"]))
        return b.table()

    def __len__(self) -> int:
        return len(self.kinds)

    def count(self, kind: str) -> int:
        return len(self.rows[KINDS.index(kind)])

    def column(self, kind: str, name: str) -> np.ndarray:
        """One column of one kind, e.g. ``column("d", "latency")``."""
        return self.rows[KINDS.index(kind)][:, EVENT_FIELDS[kind].index(name)]

    def ticks(self) -> np.ndarray:
        """The tick of every event, in event order."""
        out = np.empty(len(self.kinds), dtype=np.int64)
        for k, rows in enumerate(self.rows):
            out[self.kinds == k] = rows[:, 0]
        return out

    def records(self, kind: str | None = None, stop: int | None = None) -> list[Event]:
        """The frozen records (of one kind, or all in order; the first ``stop``)."""
        if kind is not None:
            k = KINDS.index(kind)
            return [_record(k, row) for row in self.rows[k][:stop].tolist()]
        kinds = self.kinds[:stop].tolist()
        its = [iter(r[:stop].tolist()) for r in self.rows]
        return [_record(k, next(its[k])) for k in kinds]

    def __eq__(self, other) -> bool:
        if not isinstance(other, EventTable):
            return NotImplemented
        return (np.array_equal(self.kinds, other.kinds)
                and all(np.array_equal(a, b) for a, b in zip(self.rows, other.rows)))

    def __hash__(self) -> int:
        return hash((self.kinds.tobytes(),) + tuple(r.tobytes() for r in self.rows))

    def __repr__(self) -> str:
        return (f"<EventTable {self.count('r')} raises, {self.count('d')} deliveries, "
                f"{self.count('u')} upcalls>")


def _record(k: int, row: list) -> Event:
    if k == 0:
        return RaiseEvent(row[0], row[1], row[2], bool(row[3]))
    if k == 1:
        lat = row[3]
        return DeliverEvent(row[0], row[1], row[2], None if lat == NO_LATENCY else lat, row[4])
    return UpcallEvent(*row)


class TableBuilder:
    """Appends events as the simulator makes them (flat int64 arrays), then
    hands out the :class:`EventTable`. An upcall's row is reserved where it
    starts and filled in once its costs are known."""

    __slots__ = ("kinds", "r", "d", "u")

    def __init__(self) -> None:
        self.kinds = array("B")
        self.r, self.d, self.u = array("q"), array("q"), array("q")

    def add_raise(self, tick: int, port: int, vcpu: int, merged: bool) -> None:
        # Row first, kind second: an interrupt between the two (Ctrl-C)
        # leaves a row that table() drops, never a kind without its row.
        self.r.extend((tick, port, vcpu, merged))
        self.kinds.append(0)

    def add_deliver(self, tick: int, port: int, vcpu: int, latency: int | None,
                    upcall: int) -> None:
        self.d.extend((tick, port, vcpu, NO_LATENCY if latency is None else latency, upcall))
        self.kinds.append(1)

    def add_upcall(self) -> int:
        """Reserve the next upcall's row; returns its index for :meth:`set_upcall`."""
        self.u.extend((0,) * 9)
        self.kinds.append(2)
        return len(self.u) // 9 - 1

    def set_upcall(self, i: int, *values: int) -> None:
        self.u[9 * i:9 * i + 9] = array("q", values)

    def __len__(self) -> int:
        return len(self.kinds)

    @property
    def deliveries(self) -> int:
        return len(self.d) // 5

    def table(self) -> EventTable:
        """The table; it shares the builder's memory (add nothing afterwards)."""
        kinds = np.frombuffer(self.kinds, dtype=np.uint8) if self.kinds else np.zeros(0, np.uint8)
        rows = []
        for k, (a, n) in enumerate(((self.r, 4), (self.d, 5), (self.u, 9))):
            col = np.frombuffer(a, dtype=np.int64) if a else np.zeros(0, np.int64)
            rows.append(col[:n * int(np.count_nonzero(kinds == k))])
        return EventTable(kinds, rows)


class TraceFormatError(ValueError):
    """A trace file that is not a readable evtlib trace (names file and problem)."""
