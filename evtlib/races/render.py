"""Text and JSON for results: verdicts and swim lanes, 72 columns wide.

Works on :class:`~evtlib.races.engine.Result` and
:class:`~evtlib.races.engine.Step` records by their fields, without
importing the engine (which calls into this module).

The swim lanes put one column per actor (and one for the guest's final
drain), time downward, one row per step; an operation too long for its
column wraps inside it. Below them, each step's one-sentence reason, and
the guest-visible state at the end, so that the text can be pasted into a
mailing-list reply as it is.
"""

from __future__ import annotations

import json
import textwrap

from .kinds import JSON_VERSION, KINDS

WIDTH = 72
NUM = 4  # "nnn " before the lanes


def _wrap(text: str, first: str = "", rest: str | None = None) -> list:
    rest = first if rest is None else rest
    return textwrap.wrap(text, WIDTH, initial_indent=first,
                         subsequent_indent=rest, break_on_hyphens=False) or [first]


def lanes(steps, loop_start=None) -> list:
    """Swim-lane lines: one column per actor, in order of first appearance."""
    actors = list(dict.fromkeys(s.actor for s in steps))
    n = len(actors)
    cw = max(4, (WIDTH - NUM - (n - 1)) // n)
    head = " " * NUM + "|".join(a[:cw].ljust(cw) for a in actors)
    out = [head.rstrip(), "-" * min(WIDTH, NUM + n * cw + n - 1)]
    for k, s in enumerate(steps):
        if k == loop_start:
            out.append("    (from here the steps repeat forever)")
        col = actors.index(s.actor)
        cell = textwrap.wrap(s.op, cw, break_on_hyphens=False) or [""]
        for j, part in enumerate(cell):
            num = f"{k + 1:>3} " if j == 0 else " " * NUM
            cells = [""] * n
            cells[col] = part
            out.append((num + "|".join(c.ljust(cw) for c in cells)).rstrip())
    return out


def _kind_line(v) -> list:
    inv = KINDS.get(v.kind, (0, ""))[0]
    what = f"invariant {inv}, " if inv else ""
    times = "once" if v.count == 1 else f"{v.count:,} times"
    return _wrap(f"{what}{v.kind} ({times}; shortest run {len(v.schedule)} "
                 f"steps): {v.message}", "  ", "    ")


def result_text(r, states: bool = False) -> str:
    """The verdict, every violated kind, and the shortest counterexample."""
    lines = _wrap(f"{r.scenario}, code {r.code}: {r.verdict}")
    lines += _wrap(f"{r.states:,} states, {r.transitions:,} transitions, "
                   f"{r.ends:,} end states checked; checks: {', '.join(r.checks)}.")
    for v in r.violations:
        lines += _kind_line(v)
    if r.counterexample is None:
        return "\n".join(lines)
    v = next(v for v in r.violations if v.trace is r.counterexample)
    drained = len(r.counterexample) - len(v.schedule)
    tail = f" then {drained} of the guest's drain" if drained > 0 else ""
    lines += [""] + _wrap(f"Shortest counterexample ({v.kind}): {len(v.schedule)} "
                          f"steps{tail}.")
    idle = [a for a in r.actors if a not in {s.actor for s in r.counterexample}]
    if idle:
        lines += _wrap(f"(No step in this run, so no column: {', '.join(idle)}.)")
    lines += lanes(r.counterexample, v.loop_start)
    lines += [""] + steps_text(r.counterexample, states)
    if not states:
        lines += [""] + _wrap(r.counterexample[-1].state.line, "Final state: ", "  ")
    return "\n".join(lines)


def steps_text(steps, states: bool = False) -> list:
    """One wrapped line per step: number, actor, why (and the state after)."""
    out = []
    for k, s in enumerate(steps):
        flags = f" [{', '.join(s.flags)}]" if s.flags else ""
        out += _wrap(f"{k + 1:>3} {s.actor}: {s.why}{flags}", "", "      ")
        if states:
            out += _wrap(s.state.line, "      now: ", "        ")
    return out


def _jsonable(x):
    if isinstance(x, tuple):
        return [_jsonable(y) for y in x]
    return x


def step_json(s) -> dict:
    return {"actor": s.actor, "op": s.op, "why": s.why, "xen": s.xen,
            "flags": list(s.flags),
            "state": {"scheme": s.state.scheme, "line": s.state.line,
                      "items": {k: _jsonable(v) for k, v in s.state.items}}}


def result_json(r) -> str:
    """JSON text with a ``version`` field (see :data:`JSON_VERSION`)."""
    best = None
    for i, v in enumerate(r.violations):
        if v.trace is r.counterexample:
            best = i
    doc = {
        "version": JSON_VERSION, "scenario": r.scenario, "code": r.code,
        "actors": list(r.actors),
        "states": r.states, "transitions": r.transitions, "ends": r.ends,
        "checks": list(r.checks), "verdict": r.verdict, "counterexample": best,
        "violations": [{
            "kind": v.kind, "invariant": v.invariant, "message": v.message,
            "count": v.count, "schedule": list(v.schedule),
            "loop_start": v.loop_start,
            "trace": [step_json(s) for s in v.trace]} for v in r.violations],
    }
    return json.dumps(doc, indent=1)


def rows_text(rows) -> str:
    """scenario, code, states and verdict; the verdict wraps at 72 columns."""
    lines = [f"{'scenario':<20}{'code':<19}{'states':>9}  verdict"]
    lines.append("-" * WIDTH)
    for row in rows:
        first = f"{row.scenario:<20}{row.code:<19}{row.states:>9,}  "
        lines += _wrap(row.verdict, first, " " * len(first))
    return "\n".join(lines)
