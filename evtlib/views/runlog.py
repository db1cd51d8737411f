"""A simulation's answer as text a maintainer can paste into a reply.

``run -c`` prints a trace's events, and a flood makes that hundreds of nearly
identical lines. :func:`runlog_lines` keeps the listing short:

* a run of events that repeats one short pattern (the same ports raised and
  delivered, tick after tick) becomes one line, e.g. ``ticks 3-199: port 3
  raised, delivered (x197, waited 0)``;
* the listing stops at ``max_lines`` lines (None: every event, one line each,
  nothing summarised);
* an upcall that ran longer than ``long_upcall`` ticks gets a note: in a real
  kernel that is how long the CPU ran event handlers with interrupts off;
* the costs appear once (in the metrics report), not also in the summary.

Every line is at most 72 columns.
"""

from __future__ import annotations

import textwrap
from itertools import islice

from ..sim.trace import (DeliverEvent, RaiseEvent, Trace, event_line, fit, header_lines,
                         summary_lines)

#: Longest pattern of events one summary line may stand for.
MAX_CYCLE = 4
#: Fewest repetitions worth a summary line.
MIN_REPEATS = 3
#: Default cap on the listing's lines.
MAX_LINES = 60
#: An upcall longer than this (ticks) gets a note.
LONG_UPCALL = 20


def _key(e) -> tuple:
    if type(e) is RaiseEvent:
        return ("raised" + (" (merged)" if e.merged else ""), e.port, e.vcpu)
    if type(e) is DeliverEvent:
        return ("delivered", e.port, e.vcpu)
    return ("upcall", e.index, e.vcpu)        # every upcall is its own line


def _repeats(keys: list, i: int, n: int) -> int:
    """How many times ``keys[i:i+n]`` repeats from ``i`` on (at least 1)."""
    k = 1
    while keys[i + k * n:i + (k + 1) * n] == keys[i:i + n]:
        k += 1
    return k


def _best_cycle(keys: list, i: int) -> tuple[int, int]:
    """(pattern length, repetitions) covering the most events from ``i``."""
    best = (1, 1)
    for n in range(1, MAX_CYCLE + 1):
        if keys[i][0] == "upcall" or i + n > len(keys):
            break
        if any(k[0] == "upcall" for k in keys[i:i + n]):
            break
        k = _repeats(keys, i, n)
        if k >= MIN_REPEATS and n * k > best[0] * best[1]:
            best = (n, k)
    return best


def _pattern_text(events) -> str:
    """``port 3 raised, delivered; port 5 raised`` for one pattern."""
    parts: list[tuple[int, list[str]]] = []
    for e in events:
        what, port, _ = _key(e)
        if parts and parts[-1][0] == port:
            parts[-1][1].append(what)
        else:
            parts.append((port, [what]))
    return "; ".join(f"port {port} {', '.join(whats)}" for port, whats in parts)


def _block_line(block, cycle: int) -> str:
    waits = [e.latency for e in block if type(e) is DeliverEvent and e.latency is not None]
    wait = ""
    if waits:
        lo, hi = min(waits), max(waits)
        wait = f", waited {lo}" if lo == hi else f", waited {lo}-{hi}"
    vcpus = sorted({e.vcpu for e in block})
    where = f" v{vcpus[0]}" if len(vcpus) == 1 else ""
    return (f"ticks {block[0].tick}-{block[-1].tick}{where}: "
            f"{_pattern_text(block[:cycle])} (x{len(block) // cycle}{wait})")


def event_lines(trace: Trace, summarise: bool = True):
    """The event listing, one line per event or per repeated pattern."""
    events = trace.events
    if not summarise:
        yield from (event_line(e) for e in events)
        return
    keys = [_key(e) for e in events]
    i = 0
    while i < len(events):
        n, k = _best_cycle(keys, i)
        if k >= MIN_REPEATS:
            yield _block_line(events[i:i + n * k], n)
            i += n * k
        else:
            yield event_line(events[i])
            i += 1


def long_upcalls(trace: Trace, threshold: int = LONG_UPCALL) -> list[str]:
    """A note for each upcall that ran longer than ``threshold`` ticks."""
    notes = []
    for u in trace.upcalls:
        ticks = u.end - u.tick
        if ticks > threshold:
            notes.append(f"Upcall #{u.index} on vCPU {u.vcpu} ran {ticks} ticks "
                         f"({u.tick}-{u.end}, {u.deliveries} deliveries): in a real "
                         f"kernel, that long running handlers with interrupts off.")
    return notes


def runlog_lines(trace: Trace, max_lines: int | None = MAX_LINES,
                 long_upcall: int = LONG_UPCALL):
    """Header, the (summarised) events, long-upcall notes and the summary.

    ``max_lines=None`` lists every event on its own line.
    """
    yield from map(fit, header_lines(trace.config))
    yield ""
    yield f"{'tick':>6}  {'event':<8} {'port':>6}  {'vcpu':<4} detail"
    lines = event_lines(trace, summarise=max_lines is not None)
    shown = 0
    for line in islice(lines, max_lines):
        shown += 1
        yield fit(line)
    rest = sum(1 for _ in lines)
    if rest:
        yield f"  ... {rest} more lines (--max-lines all lists every event)"
    notes = long_upcalls(trace, long_upcall)
    if notes:
        yield ""
        for note in notes[:5]:
            yield from (fit(x) for x in _wrap(note))
        if len(notes) > 5:
            yield f"  ... and {len(notes) - 5} more upcalls longer than {long_upcall} ticks"
    yield ""
    # the costs are printed once, by the metrics report that follows
    yield from (fit(x) for x in summary_lines(trace.summary, trace.config)
                if not x.startswith("Guest cost per delivery"))


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, width=72, subsequent_indent="  ")
