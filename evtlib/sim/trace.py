"""Traces: the immutable record of one simulation, as text and as JSON.

A :class:`Trace` holds three things:

* ``config``: everything needed to say what was run (scheme, scan policy,
  seed, workload, ticks, handler time, horizon, the ports' classes...);
* ``events``: one record per thing that happened, in the order it happened:
  :class:`RaiseEvent` (Xen raised a port), :class:`DeliverEvent` (the guest
  handled one) and :class:`UpcallEvent` (one run of the guest's upcall loop,
  placed where it started, with the model's counter deltas for it);
* ``summary``: totals, the raises still waiting at the end, and why the run
  stopped early if it did.

Everything is a frozen dataclass of ints, strings and tuples, so two traces
compare equal exactly when they record the same run; the JSON round trip
(:meth:`Trace.to_json` / :meth:`Trace.from_json`) keeps that equality. The
JSON is plain data with ``"format": "evtlib-trace"`` and ``"version": 1``;
nothing is ever unpickled or evaluated.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Iterable, Union

FORMAT = "evtlib-trace"
VERSION = 1
WIDTH = 72


class TraceFormatError(ValueError):
    """A trace file that is not a readable evtlib trace (names file and problem)."""


# ---------------------------------------------------------------- records
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


@dataclass(frozen=True)
class Trace:
    """One simulation: config, events in order, summary. Immutable.

    ``steps`` holds the model's recorded steps when the run was made with
    ``record=True``; they are not part of equality and are not saved to JSON
    (they hold full state snapshots; re-run with the same seed to get them).
    """

    config: TraceConfig
    events: tuple[Event, ...]
    summary: TraceSummary
    steps: tuple = field(default=(), compare=False, repr=False)

    # ------------------------------------------------------------ views
    @property
    def raises(self) -> tuple[RaiseEvent, ...]:
        return tuple(e for e in self.events if type(e) is RaiseEvent)

    @property
    def deliveries(self) -> tuple[DeliverEvent, ...]:
        return tuple(e for e in self.events if type(e) is DeliverEvent)

    @property
    def upcalls(self) -> tuple[UpcallEvent, ...]:
        return tuple(e for e in self.events if type(e) is UpcallEvent)

    def delivered_ports(self) -> list[int]:
        """Ports in delivery order, with repeats."""
        return [e.port for e in self.events if type(e) is DeliverEvent]

    def ports(self) -> list[int]:
        """Every port that was raised or delivered, sorted."""
        return sorted({e.port for e in self.events if type(e) is not UpcallEvent})

    def __repr__(self) -> str:
        c, s = self.config, self.summary
        return (f"<Trace {c.describe}; seed {c.seed}; {c.ticks} ticks; "
                f"{s.raises} raises, {s.deliveries} deliveries, {s.upcalls} upcalls>")

    # ------------------------------------------------------------- text
    def text(self, limit: int | None = None) -> str:
        """OSTEP-style listing: header, one line per event, summary (<= 72 cols).

        ``limit`` caps the number of event lines (the rest are counted).
        """
        if limit is not None and (type(limit) is not int or limit < 0):
            raise ValueError(f"limit must be None or an int >= 0, got {limit!r}")
        lines = header_lines(self.config)
        lines.append("")
        lines.append(f"{'tick':>6}  {'event':<8} {'port':>6}  {'vcpu':<4} detail")
        shown = self.events if limit is None else self.events[:limit]
        lines += [event_line(e) for e in shown]
        if len(shown) < len(self.events):
            lines.append(f"{'':>6}  ... {len(self.events) - len(shown)} more events")
        lines.append("")
        lines += summary_lines(self.summary, self.config)
        return "\n".join(fit(line) for line in lines)

    # ------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        """Plain JSON-ready data (lists, dicts, ints, strings, None)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "fields": {k: list(v) for k, v in EVENT_FIELDS.items()},
            "config": _plain(self.config),
            "summary": _plain(self.summary),
            "events": [_event_row(e) for e in self.events],
        }

    def dumps(self) -> str:
        """The JSON text of the trace (one event per line, diff-friendly)."""
        d = self.to_dict()
        events = d.pop("events")
        head = json.dumps(d, indent=1, sort_keys=True)
        rows = ",\n  ".join(json.dumps(r, separators=(",", ":")) for r in events)
        body = f'"events": [\n  {rows}\n ]' if events else '"events": []'
        return head[:-2] + ",\n " + body + "\n}\n"

    def to_json(self, path) -> None:
        """Write the trace to ``path`` as JSON (see :func:`Trace.from_json`)."""
        Path(path).write_text(self.dumps(), encoding="utf-8")

    @classmethod
    def from_dict(cls, data, source: str = "<data>") -> "Trace":
        return _decode(data, source)

    @classmethod
    def loads(cls, text: str, source: str = "<string>") -> "Trace":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise TraceFormatError(
                f"{source}: not valid JSON (truncated or corrupt?): {e.msg} at "
                f"line {e.lineno} column {e.colno}") from None
        except (RecursionError, ValueError) as e:
            # Nesting too deep, or an integer too long to convert.
            raise TraceFormatError(f"{source}: not a trace JSON can hold: "
                                   f"{type(e).__name__}: {e}") from None
        return _decode(data, source)

    @classmethod
    def from_json(cls, path) -> "Trace":
        """Read a trace written by :meth:`to_json`.

        A missing, truncated, corrupt, wrong-format, wrong-version or
        wrong-shape file raises :class:`TraceFormatError` (a ValueError)
        whose message names the file and the problem.
        """
        source = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as e:
            raise TraceFormatError(f"{source}: cannot read: {e.strerror or e}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise TraceFormatError(f"{source}: not UTF-8 text (byte {e.start}); "
                                   f"not an evtlib trace") from None
        return cls.loads(text, source)


# ------------------------------------------------------------ text parts
def fit(line: str, width: int = WIDTH) -> str:
    """Wrap one line to ``width`` columns, continuing indented under it."""
    if len(line) <= width:
        return line
    indent = " " * min(len(line) - len(line.lstrip()) + 4, 40)
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


def event_line(e: Event) -> str:
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


# ------------------------------------------------------------------- JSON
#: Column order of each event kind in the JSON ``events`` rows.
EVENT_FIELDS = {
    "r": ("tick", "port", "vcpu", "merged"),
    "d": ("tick", "port", "vcpu", "latency", "upcall"),
    "u": ("tick", "vcpu", "index", "end", "deliveries", "reads", "writes",
          "atomics", "passes"),
}
_KIND_CLASS = {"r": RaiseEvent, "d": DeliverEvent, "u": UpcallEvent}
_CLASS_KIND = {v: k for k, v in _KIND_CLASS.items()}


def _event_row(e: Event) -> list:
    kind = _CLASS_KIND[type(e)]
    return [kind] + [getattr(e, name) for name in EVENT_FIELDS[kind]]


def _plain(record) -> dict:
    out = {}
    for f in fields(record):
        v = getattr(record, f.name)
        out[f.name] = [list(x) for x in v] if isinstance(v, tuple) else v
    return out


# What each field may hold: a type tag per dataclass field.
_INT, _OPT_INT, _STR, _OPT_STR, _BOOL = "int", "int|None", "str", "str|None", "bool"
_PAIRS_II, _PAIRS_IS, _PAIRS_SS = "[[int,int]]", "[[int,str]]", "[[str,str]]"

_CONFIG_TYPES = {
    "scheme": _STR, "describe": _STR, "word_bits": _OPT_INT, "scan": _OPT_STR,
    "timer_first": _BOOL, "vcpus": _INT, "max_ports": _INT, "seed": _INT,
    "workload": _STR, "ticks": _INT, "handler_time": _INT, "horizon": _INT,
    "port_handler_time": _PAIRS_II, "classes": _PAIRS_IS, "timers": _PAIRS_II,
    "priorities": _PAIRS_II, "bindings": _PAIRS_II, "options": _PAIRS_SS,
}
_SUMMARY_TYPES = {
    "raises": _INT, "merged": _INT, "deliveries": _INT, "upcalls": _INT,
    "end": _INT, "waiting": _PAIRS_II, "dropped": _INT, "stopped": _OPT_STR,
    "xen_reads": _INT, "xen_writes": _INT, "xen_atomics": _INT,
    "guest_reads": _INT, "guest_writes": _INT, "guest_atomics": _INT,
    "passes": _INT,
}
_EVENT_TYPES = {
    "r": (_INT, _INT, _INT, _BOOL),
    "d": (_INT, _INT, _INT, _OPT_INT, _INT),
    "u": (_INT,) * 9,
}


def _is_int(v) -> bool:
    return type(v) is int


def _check(value, tag: str, where: str, source: str):
    """Check one JSON value against a type tag; return it converted (tuples)."""
    ok = {
        _INT: _is_int, _OPT_INT: lambda v: v is None or _is_int(v),
        _STR: lambda v: type(v) is str,
        _OPT_STR: lambda v: v is None or type(v) is str,
        _BOOL: lambda v: type(v) is bool,
    }
    if tag in ok:
        if not ok[tag](value):
            raise TraceFormatError(f"{source}: {where} should be {tag}, got "
                                   f"{_short(value)}")
        return value
    # A list of pairs.
    first, second = tag[2:-2].split(",")
    if type(value) is not list:
        raise TraceFormatError(f"{source}: {where} should be a list of "
                               f"[{first}, {second}] pairs, got {_short(value)}")
    out = []
    for i, pair in enumerate(value):
        if type(pair) is not list or len(pair) != 2:
            raise TraceFormatError(f"{source}: {where}[{i}] should be a pair "
                                   f"[{first}, {second}], got {_short(pair)}")
        out.append((_check(pair[0], first, f"{where}[{i}][0]", source),
                    _check(pair[1], second, f"{where}[{i}][1]", source)))
    return tuple(out)


def _short(value) -> str:
    text = json.dumps(value) if not isinstance(value, (set, bytes)) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _record(cls, data, types: dict, where: str, source: str):
    if type(data) is not dict:
        raise TraceFormatError(f"{source}: {where} should be an object, got "
                               f"{_short(data)}")
    missing = [k for k in types if k not in data]
    extra = [k for k in data if k not in types]
    if missing:
        raise TraceFormatError(f"{source}: {where} lacks field(s) "
                               f"{', '.join(missing)}")
    if extra:
        raise TraceFormatError(f"{source}: {where} has unknown field(s) "
                               f"{', '.join(extra)}")
    return cls(**{k: _check(data[k], t, f"{where}.{k}", source)
                  for k, t in types.items()})


def _decode(data, source: str) -> Trace:
    if type(data) is not dict:
        raise TraceFormatError(f"{source}: not an evtlib trace (the top level "
                               f"should be a JSON object, got {_short(data)})")
    if data.get("format") != FORMAT:
        raise TraceFormatError(f"{source}: not an evtlib trace (\"format\" is "
                               f"{_short(data.get('format'))}, expected "
                               f"\"{FORMAT}\")")
    version = data.get("version")
    if type(version) is not int or version != VERSION:
        raise TraceFormatError(f"{source}: trace format version {_short(version)} "
                               f"is not supported (this evtlib reads version "
                               f"{VERSION})")
    for key in ("config", "summary", "events"):
        if key not in data:
            raise TraceFormatError(f"{source}: trace lacks \"{key}\" (truncated?)")
    config = _record(TraceConfig, data["config"], _CONFIG_TYPES, "config", source)
    summary = _record(TraceSummary, data["summary"], _SUMMARY_TYPES, "summary", source)
    rows = data["events"]
    if type(rows) is not list:
        raise TraceFormatError(f"{source}: events should be a list, got {_short(rows)}")
    return Trace(config, tuple(_decode_events(rows, source)), summary)


def _decode_events(rows: list, source: str) -> Iterable[Event]:
    for i, row in enumerate(rows):
        if type(row) is not list or not row or type(row[0]) is not str \
                or row[0] not in _KIND_CLASS:
            raise TraceFormatError(
                f"{source}: events[{i}] should be a list starting with \"r\", "
                f"\"d\" or \"u\", got {_short(row)}")
        kind, values = row[0], row[1:]
        types = _EVENT_TYPES[kind]
        if len(values) != len(types):
            names = ", ".join(EVENT_FIELDS[kind])
            raise TraceFormatError(
                f"{source}: events[{i}] (\"{kind}\") should have {len(types)} "
                f"values ({names}), got {len(values)}")
        checked = [_check(v, t, f"events[{i}].{n}", source)
                   for v, t, n in zip(values, types, EVENT_FIELDS[kind])]
        yield _KIND_CLASS[kind](*checked)
