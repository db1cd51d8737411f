"""Reading trace files: JSON text into a config, a summary and an event table.

The file is plain data (``"format": "evtlib-trace"``, ``"version": 1``);
nothing is unpickled or evaluated. Two readers give the same result:

* the **fast** one reads the layout :meth:`Trace.dumps` writes (one event
  row per line) with a few byte replacements and one numpy parse of every
  number, never a Python object per value; it gives up, without a word, on
  anything else;
* the **exact** one (``json.loads``, then each value checked) reads any
  JSON layout and names the first value of the wrong type.

Either way, :func:`evtlib.sim.tracecheck.check` then checks ranges and
consistency on whole columns. Every problem is a :class:`TraceFormatError`
naming the file, the field and the valid range or type.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import fields

import numpy as np

from .records import (EVENT_FIELDS, KINDS, NO_LATENCY, EventTable, TraceConfig,
                      TraceFormatError, TraceSummary)
from .tracecheck import check, short

FORMAT = "evtlib-trace"
VERSION = 1
#: Largest trace file read unless the caller raises the cap (``max_bytes``).
DEFAULT_MAX_BYTES = 512 * 2**20

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
_OK = {
    _INT: lambda v: type(v) is int, _OPT_INT: lambda v: v is None or type(v) is int,
    _STR: lambda v: type(v) is str, _OPT_STR: lambda v: v is None or type(v) is str,
    _BOOL: lambda v: type(v) is bool,
}


# ------------------------------------------------------------------ entry points
def read_file(path, max_bytes: int = DEFAULT_MAX_BYTES):
    """``(config, summary, table)`` from a trace file, or TraceFormatError."""
    source = str(path)
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            raise TraceFormatError(
                f"{source}: the file is {size:,} bytes, more than the cap of "
                f"{max_bytes:,}: pass a larger max_bytes to read it")
        with open(path, "rb") as f:
            holder = [f.read()]
    except OSError as e:
        raise TraceFormatError(f"{source}: cannot read: {e.strerror or e}") from None

    def reread() -> str:
        with open(path, "rb") as f:
            return _text(f.read(), source)

    return _read(holder, reread, source)


def read_text(text: str, source: str = "<string>"):
    """``(config, summary, table)`` from the JSON text of a trace."""
    if type(text) is not str:
        raise TypeError(f"a trace's JSON text must be a str, got {short(text)}")
    holder = [text.encode("ascii")] if text.isascii() else [b"\xff"]
    return _read(holder, lambda: text, source)


def read_data(data, source: str = "<data>"):
    """``(config, summary, table)`` from already parsed JSON data."""
    config, summary, rows = _decode_head(data, source)
    if type(rows) is not list:
        raise TraceFormatError(f"{source}: events should be a list, got {short(rows)}")
    table = _decode_events(rows, source)
    check(config, summary, table, source)
    return config, summary, table


def _read(holder: list, reread, source: str):
    got = _fast(holder, source)
    if got is None:
        return read_data(_loads(reread(), source), source)
    config, summary, table = got
    check(config, summary, table, source)
    return config, summary, table


def _text(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TraceFormatError(f"{source}: not UTF-8 text (byte {e.start}); "
                               f"not an evtlib trace") from None


def _loads(text: str, source: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise TraceFormatError(
            f"{source}: not valid JSON (truncated or corrupt?): {e.msg} at "
            f"line {e.lineno} column {e.colno}") from None
    except (RecursionError, ValueError) as e:
        # Nesting too deep, or an integer too long to convert.
        raise TraceFormatError(f"{source}: not a trace JSON can hold: "
                               f"{type(e).__name__}: {e}") from None


# ------------------------------------------------------------------ the fast reader
_KEY = b'"events": ['
#: Tokens of an event row, each turned into a number no real value can be
#: (a file with a minus sign anywhere in its events goes to the exact reader).
_TOKENS = ((b'["r",', b"-3,"), (b'["d",', b"-4,"), (b'["u",', b"-5,"),
           (b"false", b"-6"), (b"true", b"-7"), (b"null", b"-8"))
_ROW_LEN = np.array([1 + len(EVENT_FIELDS[k]) for k in KINDS])


def _fast(holder: list, source: str):
    """The layout ``dumps`` writes, parsed in bulk; None to use the exact reader.

    ``holder`` holds the file's bytes; they are dropped as soon as the event
    rows are cut out, so that at most about 3x the file is in memory at once.
    """
    raw = holder[0]
    i, j = raw.rfind(_KEY), raw.rfind(b"]")
    if not raw.isascii() or i < 0 or j < i + len(_KEY) - 1 or raw[j + 1:].strip() != b"}":
        return None
    try:
        data = json.loads(raw[:i] + b'"events": []' + raw[j + 1:])
    except (ValueError, RecursionError):
        return None
    if type(data) is not dict or data.get("events") != []:
        return None
    body = raw[i + len(_KEY):j]
    holder.clear()
    del raw
    rows = _fast_rows(body)
    del body
    if rows is None:
        return None
    config, summary, _ = _decode_head(data, source)
    return config, summary, rows


def _fast_rows(body: bytes) -> EventTable | None:
    # Every row is "[...]" on its own line; each "[" must open a row whose
    # kind is "r", "d" or "u" (it is replaced with the kind's marker).
    n = body.count(b"[")
    if n and not (body.startswith(b"\n  [") and body.endswith(b"]\n ")
                  and body.count(b"]") == n == body.count(b"],\n  [") + 1):
        return None
    if b"-" in body:
        return None
    for old, new in _TOKENS:
        body = body.replace(old, new)
    if b"[" in body or b'"' in body:
        return None
    body = body.translate(None, b"]")
    expected = body.count(b",") + 1 if n else 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            values = np.fromstring(body, dtype=np.int64, sep=",") if n else np.zeros(0, np.int64)
    except (ValueError, Warning):
        return None
    del body
    if len(values) != expected:
        return None
    return _split(values, n)


def _split(values: np.ndarray, n: int) -> EventTable | None:
    """Rows of each kind from the flat values: marker, then the fields."""
    starts = np.flatnonzero((values <= -3) & (values >= -5))
    if len(starts) != n:
        return None
    kinds = (-3 - values[starts]).astype(np.uint8)
    if n and (starts[0] != 0 or not np.array_equal(
            np.diff(starts, append=len(values)), _ROW_LEN[kinds])):
        return None
    rows = []
    for k, kind in enumerate(KINDS):
        at = starts[kinds == k]
        out = np.empty((len(at), len(EVENT_FIELDS[kind])), dtype=np.int64)
        for f in range(out.shape[1]):
            out[:, f] = values[at + 1 + f]
        if not _fast_types(kind, out):
            return None
        rows.append(out)
    return EventTable(kinds, rows)


def _fast_types(kind: str, out: np.ndarray) -> bool:
    """Whether every value has its type (ints >= 0; merged a bool; latency an
    int or null), turning the markers of false/true/null into 0/1/-1.

    An integer too large for int64 reads as the largest one: refused here
    too, so that the exact reader names it.
    """
    big = np.iinfo(np.int64).max
    for f, name in enumerate(EVENT_FIELDS[kind]):
        col = out[:, f]
        if name == "merged":
            if not np.isin(col, (-6, -7)).all():
                return False
            col[:] = col == -7
        elif name == "latency":
            col[col == -8] = NO_LATENCY
            if ((col < NO_LATENCY) | (col == big)).any():
                return False
        elif ((col < 0) | (col == big)).any():
            return False
    return True


# ------------------------------------------------------------------ the exact reader
def _decode_head(data, source: str):
    """Config and summary (type-checked) and the raw event rows."""
    if type(data) is not dict:
        raise TraceFormatError(f"{source}: not an evtlib trace (the top level "
                               f"should be a JSON object, got {short(data)})")
    if data.get("format") != FORMAT:
        raise TraceFormatError(f"{source}: not an evtlib trace (\"format\" is "
                               f"{short(data.get('format'))}, expected \"{FORMAT}\")")
    version = data.get("version")
    if type(version) is not int or version != VERSION:
        raise TraceFormatError(f"{source}: trace format version {short(version)} "
                               f"is not supported (this evtlib reads version {VERSION})")
    for key in ("config", "summary", "events"):
        if key not in data:
            raise TraceFormatError(f"{source}: trace lacks \"{key}\" (truncated?)")
    config = _record(TraceConfig, data["config"], _CONFIG_TYPES, "config", source)
    summary = _record(TraceSummary, data["summary"], _SUMMARY_TYPES, "summary", source)
    return config, summary, data["events"]


def _type_check(value, tag: str, where: str, source: str):
    """Check one JSON value against a type tag; return it converted (tuples)."""
    if tag in _OK:
        if not _OK[tag](value):
            raise TraceFormatError(f"{source}: {where} should be {tag}, got {short(value)}")
        return value
    first, second = tag[2:-2].split(",")
    if type(value) is not list:
        raise TraceFormatError(f"{source}: {where} should be a list of "
                               f"[{first}, {second}] pairs, got {short(value)}")
    out = []
    for i, pair in enumerate(value):
        if type(pair) is not list or len(pair) != 2:
            raise TraceFormatError(f"{source}: {where}[{i}] should be a pair "
                                   f"[{first}, {second}], got {short(pair)}")
        out.append((_type_check(pair[0], first, f"{where}[{i}][0]", source),
                    _type_check(pair[1], second, f"{where}[{i}][1]", source)))
    return tuple(out)


def _record(cls, data, types: dict, where: str, source: str):
    if type(data) is not dict:
        raise TraceFormatError(f"{source}: {where} should be an object, got {short(data)}")
    missing = [k for k in types if k not in data]
    extra = [k for k in data if k not in types]
    if missing:
        raise TraceFormatError(f"{source}: {where} lacks field(s) {', '.join(missing)}")
    if extra:
        raise TraceFormatError(f"{source}: {where} has unknown field(s) {', '.join(extra)}")
    return cls(**{k: _type_check(data[k], t, f"{where}.{k}", source)
                  for k, t in types.items()})


def _decode_events(rows: list, source: str) -> EventTable:
    kinds, cols = [], ([], [], [])
    for i, row in enumerate(rows):
        if type(row) is not list or not row or type(row[0]) is not str \
                or row[0] not in EVENT_FIELDS:
            raise TraceFormatError(
                f"{source}: events[{i}] should be a list starting with \"r\", "
                f"\"d\" or \"u\", got {short(row)}")
        kind, values = row[0], row[1:]
        types = _EVENT_TYPES[kind]
        if len(values) != len(types):
            raise TraceFormatError(
                f"{source}: events[{i}] (\"{kind}\") should have {len(types)} values "
                f"({', '.join(EVENT_FIELDS[kind])}), got {len(values)}")
        for v, t, name in zip(values, types, EVENT_FIELDS[kind]):
            if not (type(v) is int if t is _INT else _OK[t](v)):
                _type_check(v, t, f"events[{i}].{name}", source)
        k = KINDS.index(kind)
        kinds.append(k)
        if k == 1 and values[3] is None:
            values = values[:3] + [NO_LATENCY] + values[4:]
        cols[k].append(values)
    return EventTable(np.array(kinds, dtype=np.uint8),
                      [_int64(c, kind, kinds, source) for c, kind in zip(cols, KINDS)])


def _int64(rows: list, kind: str, kinds: list, source: str) -> np.ndarray:
    try:
        return np.array(rows, dtype=np.int64).reshape(-1, len(EVENT_FIELDS[kind]))
    except OverflowError:
        pass
    # Name the first value too large for the columns (the range check would
    # refuse it anyway).
    k = KINDS.index(kind)
    at = [i for i, x in enumerate(kinds) if x == k]
    for j, row in enumerate(rows):
        for name, v in zip(EVENT_FIELDS[kind], row):
            if not -2**63 <= v < 2**63:
                raise TraceFormatError(f"{source}: events[{at[j]}].{name} {short(v)} is "
                                       f"out of range: valid values are 0..{2**53}")
    raise AssertionError("unreachable")  # pragma: no cover


def plain(record) -> dict:
    """A config or summary as JSON-ready data (tuples become lists)."""
    out = {}
    for f in fields(record):
        v = getattr(record, f.name)
        out[f.name] = [list(x) for x in v] if isinstance(v, tuple) else v
    return out
