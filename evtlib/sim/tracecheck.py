"""Range and consistency checks of a trace read from a file.

Types are checked while reading (:mod:`evtlib.sim.tracefile`); this module
checks that the values make sense together, on whole columns at once:
the scheme is known and its port limit matches, counts are >= 0, ports are
within the scheme's limit, vCPUs within the run's, latencies within the run,
events in time order, and the summary's totals agree with the events. A
problem is a :class:`TraceFormatError` naming the field and the valid range.
"""

from __future__ import annotations

import json

import numpy as np

from ..abi.bitmap import SCANS
from ..abi.schemes import SCHEMES
from .records import (KINDS, MAX_CLOCK, NO_LATENCY, EventTable, TraceConfig, TraceFormatError,
                      TraceSummary)

MAX_COUNT = 2**63 - 1
MAX_VCPUS = 4096


def short(value) -> str:
    """``value`` as JSON, cut to 40 characters (a file may hold anything)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check(config: TraceConfig, summary: TraceSummary, table: EventTable, source: str) -> None:
    """Raise :class:`TraceFormatError` for the first value out of its range."""
    _config(config, source)
    _summary(config, summary, table, source)
    _events(config, summary, table, source)


def _in(value, what: str, lo: int, hi: int, source: str, valid: str = "valid values") -> None:
    if not lo <= value <= hi:
        raise TraceFormatError(f"{source}: {what} {short(value)} is out of range: "
                               f"{valid} are {lo}..{hi}")


def _config(c: TraceConfig, source: str) -> None:
    if c.scheme not in SCHEMES:
        raise TraceFormatError(f"{source}: config.scheme {short(c.scheme)} is unknown: "
                               f"valid schemes are {', '.join(map(repr, SCHEMES))}")
    cls = SCHEMES[c.scheme]
    sizes = cls.word_sizes or (None,)
    if c.word_bits not in sizes:
        raise TraceFormatError(f"{source}: config.word_bits {short(c.word_bits)} does not "
                               f"fit {c.scheme}: valid values are "
                               f"{', '.join(map(short, sizes))}")
    scans = SCANS if cls.word_sizes else (None,)
    if c.scan not in scans:
        raise TraceFormatError(f"{source}: config.scan {short(c.scan)} does not fit "
                               f"{c.scheme}: valid values are {', '.join(map(short, scans))}")
    _in(c.vcpus, "config.vcpus", 1, MAX_VCPUS, source)
    limit = cls.port_limit(c.word_bits)
    if c.max_ports != limit:
        raise TraceFormatError(f"{source}: config.max_ports {short(c.max_ports)} does not "
                               f"match {c.scheme} W={c.word_bits}: the valid value is {limit}")
    _in(c.seed, "config.seed", 0, MAX_COUNT, source)
    for name in ("ticks", "handler_time", "horizon"):
        _in(getattr(c, name), f"config.{name}", 1 if name == "ticks" else 0, MAX_CLOCK, source)
    top = c.max_ports - 1
    checks = {"port_handler_time": ((1, top), (0, MAX_CLOCK)), "classes": ((1, top), None),
              "timers": ((0, c.vcpus - 1), (1, top)), "priorities": ((1, top), (0, 15)),
              "bindings": ((1, top), (0, c.vcpus - 1))}
    for name, ranges in checks.items():
        for i, pair in enumerate(getattr(c, name)):
            for j, rng in enumerate(ranges):
                if rng is not None:
                    _in(pair[j], f"config.{name}[{i}][{j}]", *rng, source)


def _summary(c: TraceConfig, s: TraceSummary, table: EventTable, source: str) -> None:
    for name in ("raises", "merged", "deliveries", "upcalls", "dropped", "xen_reads",
                 "xen_writes", "xen_atomics", "guest_reads", "guest_writes",
                 "guest_atomics", "passes"):
        _in(getattr(s, name), f"summary.{name}", 0, MAX_COUNT, source)
    _in(s.end, "summary.end", c.ticks, MAX_CLOCK, source)
    for i, (port, tick) in enumerate(s.waiting):
        _in(port, f"summary.waiting[{i}][0]", 1, c.max_ports - 1, source, "valid ports")
        _in(tick, f"summary.waiting[{i}][1]", 0, c.ticks - 1, source, "valid ticks")
    merged = int(table.column("r", "merged").sum())
    for name, events in (("raises", table.count("r")), ("deliveries", table.count("d")),
                         ("upcalls", table.count("u")), ("merged", merged)):
        if getattr(s, name) != events:
            raise TraceFormatError(f"{source}: summary.{name} is {getattr(s, name)} but the "
                                   f"events hold {events}: the file is inconsistent")


def _events(c: TraceConfig, s: TraceSummary, table: EventTable, source: str) -> None:
    top, last_v = c.max_ports - 1, c.vcpus - 1
    n_up = table.count("u")
    spans = {
        "r": {"tick": (0, c.ticks - 1), "port": (1, top), "vcpu": (0, last_v)},
        "d": {"tick": (0, s.end), "port": (1, top), "vcpu": (0, last_v),
              "upcall": (1, n_up)},
        "u": {"tick": (0, s.end), "vcpu": (0, last_v), "end": (0, s.end),
              **{f: (0, MAX_COUNT) for f in ("deliveries", "reads", "writes",
                                             "atomics", "passes")}},
    }
    for kind, fields in spans.items():
        for name, (lo, hi) in fields.items():
            col = table.column(kind, name)
            _column(table, kind, name, col, (col < lo) | (col > hi), f"{lo}..{hi}", source)
    tick = table.column("d", "tick")
    lat = table.column("d", "latency")
    _column(table, "d", "latency", lat, (lat != NO_LATENCY) & ((lat < 0) | (lat > tick)),
            "0..its tick (a wait within the run), or null", source)
    up = table.column("u", "end")
    _column(table, "u", "end", up, up < table.column("u", "tick"),
            f"its tick..{s.end}", source)
    index = table.column("u", "index")
    _column(table, "u", "index", index, index != np.arange(1, n_up + 1),
            "1, 2, 3...: upcalls are numbered in order", source)
    ticks = table.ticks()
    back = np.flatnonzero(np.diff(ticks) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise TraceFormatError(f"{source}: events[{i}].tick {int(ticks[i])} is before "
                               f"events[{i - 1}].tick {int(ticks[i - 1])}: events must be "
                               f"sorted in time")


def _column(table: EventTable, kind: str, name: str, col: np.ndarray, bad: np.ndarray,
            valid: str, source: str) -> None:
    where = np.flatnonzero(bad)
    if where.size:
        j = int(where[0])
        i = int(np.flatnonzero(table.kinds == KINDS.index(kind))[j])
        raise TraceFormatError(f"{source}: events[{i}].{name} {int(col[j])} is out of "
                               f"range: valid values are {valid}")
