"""Traces: the immutable record of one simulation, as text and as JSON.

A :class:`Trace` holds three things:

* ``config``: everything needed to say what was run (scheme, scan policy,
  seed, workload, ticks, handler time, horizon, the ports' classes...);
* the events, one record per thing that happened, in the order it happened:
  :class:`RaiseEvent` (Xen raised a port), :class:`DeliverEvent` (the guest
  handled one) and :class:`UpcallEvent` (one run of the guest's upcall loop,
  placed where it started, with the model's counter deltas for it). They
  are kept as columns (``trace.table``, an
  :class:`~evtlib.sim.records.EventTable`) and handed out as frozen records
  (``trace.events``) when asked for;
* ``summary``: totals, the raises still waiting at the end, and why the run
  stopped early if it did.

Two traces compare equal exactly when they record the same run; the JSON
round trip (:meth:`Trace.to_json` / :meth:`Trace.from_json`) keeps that
equality. The JSON is plain data with ``"format": "evtlib-trace"`` and
``"version": 1`` (unchanged by the columns: files written before read the
same); nothing is ever unpickled or evaluated. Reading checks types, ranges
and consistency (see :mod:`evtlib.sim.tracefile`).
"""

from __future__ import annotations

import json
import os
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..abi.checks import check_int
from .records import (CLASS_KIND, EVENT_FIELDS, MAX_CLOCK, NO_LATENCY,  # noqa: F401
                      DeliverEvent, Event, EventTable, RaiseEvent, TraceConfig,
                      TraceFormatError, TraceSummary, UpcallEvent)
from .tracefile import DEFAULT_MAX_BYTES, FORMAT, VERSION, plain, read_data, read_file, read_text

WIDTH = 72
#: Lines longer than this are checked for words longer than a line (see fit).
LONG_LINE = 4096


@dataclass(frozen=True, init=False, eq=False)
class Trace:
    """One simulation: config, events in order, summary. Immutable.

    ``Trace(config, events, summary)`` takes the events as records or as an
    :class:`EventTable`. ``steps`` holds the model's recorded steps when the
    run was made with ``record=True``; they are not part of equality and are
    not saved to JSON (re-run with the same seed to get them).
    """

    config: TraceConfig
    table: EventTable
    summary: TraceSummary
    steps: tuple = field(default=(), repr=False)

    def __init__(self, config: TraceConfig, events, summary: TraceSummary,
                 steps: tuple = ()) -> None:
        table = events if isinstance(events, EventTable) else EventTable.from_events(events)
        for name, value in (("config", config), ("table", table), ("summary", summary),
                            ("steps", tuple(steps)), ("_cache", {})):
            object.__setattr__(self, name, value)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return (self.config == other.config and self.summary == other.summary
                and self.table == other.table)

    def __hash__(self) -> int:
        return hash((self.config, self.summary, self.table))

    # ------------------------------------------------------------ views
    def _records(self, kind: str | None) -> tuple:
        got = self._cache.get(kind)
        if got is None:
            got = self._cache[kind] = tuple(self.table.records(kind))
        return got

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event as a frozen record, in order (built on first use)."""
        return self._records(None)

    @property
    def raises(self) -> tuple[RaiseEvent, ...]:
        return self._records("r")

    @property
    def deliveries(self) -> tuple[DeliverEvent, ...]:
        return self._records("d")

    @property
    def upcalls(self) -> tuple[UpcallEvent, ...]:
        return self._records("u")

    def delivered_ports(self) -> list[int]:
        """Ports in delivery order, with repeats."""
        return self.table.column("d", "port").tolist()

    def ports(self) -> list[int]:
        """Every port that was raised or delivered, sorted."""
        return np.union1d(self.table.column("r", "port"),
                          self.table.column("d", "port")).tolist()

    def __repr__(self) -> str:
        c, s = self.config, self.summary
        return (f"<Trace {c.describe}; seed {c.seed}; {c.ticks} ticks; "
                f"{s.raises} raises, {s.deliveries} deliveries, {s.upcalls} upcalls>")

    # ------------------------------------------------------------- text
    def text(self, limit: int | None = None) -> str:
        """OSTEP-style listing: header, one line per event, summary (<= 72 cols).

        ``limit`` caps the number of event lines (the rest are counted).
        """
        if limit is not None:
            limit = check_int(limit, "limit", 0)
        lines = header_lines(self.config)
        lines.append("")
        lines.append(f"{'tick':>6}  {'event':<8} {'port':>6}  {'vcpu':<4} detail")
        shown = self.table.records(stop=limit)
        lines += [event_line(e) for e in shown]
        if len(shown) < len(self.table):
            lines.append(f"{'':>6}  ... {len(self.table) - len(shown)} more events")
        lines.append("")
        lines += summary_lines(self.summary, self.config)
        return "\n".join(fit(line) for line in lines)

    # ------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        """Plain JSON-ready data (lists, dicts, ints, strings, None)."""
        return {"format": FORMAT, "version": VERSION,
                "fields": {k: list(v) for k, v in EVENT_FIELDS.items()},
                "config": plain(self.config), "summary": plain(self.summary),
                "events": [[CLASS_KIND[type(e)]] + [getattr(e, f) for f in
                                                     EVENT_FIELDS[CLASS_KIND[type(e)]]]
                           for e in self.events]}

    def _head(self) -> str:
        d = {"format": FORMAT, "version": VERSION,
             "fields": {k: list(v) for k, v in EVENT_FIELDS.items()},
             "config": plain(self.config), "summary": plain(self.summary)}
        return json.dumps(d, indent=1, sort_keys=True)[:-2] + ",\n "

    def dumps(self) -> str:
        """The JSON text of the trace (one event per line, diff-friendly)."""
        return "".join(self._chunks())

    def _chunks(self):
        yield self._head()
        if not len(self.table):
            yield '"events": []\n}\n'
            return
        yield '"events": [\n  '
        first = True
        for rows in event_rows(self.table):
            yield ("" if first else ",\n  ") + ",\n  ".join(rows)
            first = False
        yield "\n ]\n}\n"

    def to_json(self, path) -> None:
        """Write the trace to ``path`` as JSON (see :func:`Trace.from_json`).

        Written to a temporary file first and then renamed, so ``path`` never
        holds half a trace (if the run is interrupted, or the disk fills).
        """
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                for chunk in self._chunks():
                    f.write(chunk)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    @classmethod
    def from_dict(cls, data, source: str = "<data>") -> "Trace":
        return cls(*_ordered(read_data(data, source)))

    @classmethod
    def loads(cls, text: str, source: str = "<string>") -> "Trace":
        return cls(*_ordered(read_text(text, source)))

    @classmethod
    def from_json(cls, path, max_bytes: int = DEFAULT_MAX_BYTES) -> "Trace":
        """Read a trace written by :meth:`to_json`.

        A missing, truncated, corrupt, wrong-format, wrong-version,
        wrong-shape or out-of-range file, or one larger than ``max_bytes``
        (default 512 MiB), raises :class:`TraceFormatError` (a ValueError)
        whose message names the file and the problem.
        """
        return cls(*_ordered(read_file(path, max_bytes)))


def _ordered(parts) -> tuple:
    config, summary, table = parts
    return config, table, summary


def event_rows(table: EventTable, chunk: int = 100_000):
    """The JSON rows of the events in order, as ``json.dumps(row,
    separators=(",", ":"))`` writes them, in lists of ``chunk`` rows."""
    done = [0, 0, 0]
    for lo in range(0, len(table), chunk):
        kinds = table.kinds[lo:lo + chunk]
        its = []
        for k in range(3):
            n = int(np.count_nonzero(kinds == k))
            its.append(iter(table.rows[k][done[k]:done[k] + n].tolist()))
            done[k] += n
        yield [_row_text(k, next(its[k])) for k in kinds.tolist()]


def _row_text(k: int, row: list) -> str:
    if k == 0:
        return '["r",%d,%d,%d,%s]' % (row[0], row[1], row[2], "true" if row[3] else "false")
    if k == 1:
        lat = "null" if row[3] == NO_LATENCY else row[3]
        return '["d",%d,%d,%d,%s,%d]' % (row[0], row[1], row[2], lat, row[4])
    return '["u",%d,%d,%d,%d,%d,%d,%d,%d,%d]' % tuple(row)


# ------------------------------------------------------------ text parts
def fit(line: str, width: int = WIDTH) -> str:
    """Wrap one line to ``width`` columns, continuing indented under it.

    Linear in the line's length: textwrap copies the rest of a word longer
    than a line once per line it cuts from it, so such words (a file can hold
    a 10 MB string) are cut into line-sized pieces first.
    """
    if len(line) <= width:
        return line
    indent = " " * min(len(line) - len(line.lstrip()) + 4, 40)
    if len(line) > LONG_LINE and max(map(len, line.split())) > width:
        room = width - len(indent)
        line = " ".join(w if len(w) <= room else
                        " ".join(w[i:i + room] for i in range(0, len(w), room))
                        for w in line.split(" "))
    return textwrap.fill(line, width=width, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=True)


def header_lines(c: TraceConfig) -> list[str]:
    """The OSTEP-style header: what was run, with every option echoed."""
    lines = [
        f"ARG scheme {c.scheme} ({c.describe})",
        f"ARG policy {c.policy}",
        f"ARG seed {c.seed}",
        f"ARG workload {c.workload}",
        f"ARG ticks {c.ticks}, handler time {c.handler_time} tick(s) per "
        f"delivery, horizon {c.horizon}",
    ]
    if c.port_handler_time:
        lines.append("ARG handler time per port " + ", ".join(
            f"{p}:{t}" for p, t in c.port_handler_time))
    if c.timers:
        lines.append("ARG timer port " + ", ".join(
            f"{p} (vCPU {v})" for v, p in c.timers))
    if c.priorities:
        what = "" if c.scheme == "fifo" else " (ignored: no priorities)"
        lines.append("ARG priorities" + what + " " + ", ".join(
            f"{p}:{q}" for p, q in c.priorities))
    if c.bindings:
        lines.append("ARG bound " + ", ".join(f"{p}->vCPU {v}" for p, v in c.bindings))
    for k, v in c.options:
        lines.append(f"ARG {k} {v}")
    return lines


def event_line(e) -> str:
    """One event as ``tick  event  port  vcpu  detail``."""
    if type(e) is RaiseEvent:
        detail = "merged: already pending" if e.merged else ""
        return f"{e.tick:>6}  {'raise':<8} {e.port:>6}  v{e.vcpu:<3} {detail}".rstrip()
    if type(e) is DeliverEvent:
        waited = ("no raise recorded" if e.latency is None
                  else f"waited {e.latency}")
        return (f"{e.tick:>6}  {'deliver':<8} {e.port:>6}  v{e.vcpu:<3} "
                f"{waited}")
    return (f"{e.tick:>6}  {'upcall':<8} {'#' + str(e.index):>6}  v{e.vcpu:<3} "
            f"to {e.end}: {e.deliveries} deliv, {e.reads + e.writes} r/w, "
            f"{e.atomics} atomic")


def summary_lines(s: TraceSummary, c: TraceConfig) -> list[str]:
    per = (lambda n: f"{n / s.deliveries:.1f}") if s.deliveries else (lambda n: "-")
    lines = [
        f"Summary: {s.raises} raises ({s.merged} merged), {s.deliveries} "
        f"deliveries in {s.upcalls} upcalls ({s.passes} passes).",
        f"Raises in ticks 0..{c.ticks - 1}; the run ended at tick {s.end}.",
        f"Guest cost per delivery: {per(s.guest_reads + s.guest_writes)} "
        f"words read or written, {per(s.guest_atomics)} atomic ops.",
    ]
    if s.waiting:
        lines.append("Raises never delivered (port@tick): " + " ".join(
            f"{p}@{t}" for p, t in s.waiting))
    else:
        lines.append("Raises never delivered: none.")
    if s.dropped:
        lines.append(f"Hook raises due after the end, not raised: {s.dropped}.")
    if s.stopped:
        lines.append(f"Stopped early: {s.stopped}")
    return lines
