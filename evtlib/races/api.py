"""The public functions: list, describe, explore and replay scenarios.

Re-exported by :mod:`evtlib.races`. Scenario and code names are checked
here, and every bad value raises ValueError listing the valid ones.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from functools import lru_cache

# Importing the scenario modules registers their scenarios, in listing
# order: FIFO first.
from .fifo_scenarios import ALL_FIFO  # noqa: F401  isort: skip
from .bitmap_scenarios import UPCALL_CODES  # noqa: F401  isort: skip
from .bitmap_actors import BITMAP_CODES, BITMAP_PROGRAMS
from .engine import KINDS, MAX_STATES, Invariant, Result
from .fifo_guest import GUEST_PROGRAMS
from .fifo_state import FIFO_CODES
from .fifo_xen import XEN_PROGRAMS
from .registry import REGISTRY, Scenario, make_model
from .search import run, search, violations

WIDTH = 72
SCHEMES = {"fifo": "FIFO", "2l": "2-level", "3l": "3-level"}


def scenarios() -> list:
    """Names of every scenario, FIFO first."""
    return list(REGISTRY)


def _scenario(name) -> Scenario:
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(f"unknown scenario {name!r}; valid values: "
                         f"{', '.join(REGISTRY)}")
    return REGISTRY[name]


def codes(scenario: str) -> list:
    """The code variants that apply to ``scenario``, ``"fixed"`` first."""
    return list(_scenario(scenario).codes)


def _code(sc: Scenario, code):
    if not isinstance(code, str) or code not in sc.codes:
        raise ValueError(f"unknown code {code!r} for scenario {sc.name!r}; "
                         f"valid values: {', '.join(sc.codes)}")
    return (FIFO_CODES if sc.scheme == "fifo" else BITMAP_CODES)[code]


def _model(name: str, code: str, invariants=()):
    sc = _scenario(name)
    rec = _code(sc, code)
    programs = XEN_PROGRAMS + GUEST_PROGRAMS if sc.scheme == "fifo" else BITMAP_PROGRAMS
    return make_model(sc, rec, programs, invariants)


def _wrap(text: str, indent: str = "") -> list:
    return textwrap.wrap(text, WIDTH, initial_indent=indent,
                         subsequent_indent=indent) or [""]


def _paragraphs(doc: str) -> list:
    """Docstring paragraphs; 'Actors:', 'Initial state:', 'Question:' and
    'Note:' each start one."""
    out, cur = [], []
    for line in doc.splitlines():
        line = line.strip()
        if not line or line.startswith(("Actors:", "Initial state:", "Question:",
                                         "Note:")):
            if cur:
                out.append(" ".join(cur))
            cur = [line] if line else []
        else:
            cur.append(line)
    if cur:
        out.append(" ".join(cur))
    return out


def describe(name: str, code: str | None = None) -> str:
    """The scenario's problem (actors, initial state, question) in 72 columns.

    With ``code``, also that code's commit and what it changes.
    """
    sc = _scenario(name)
    paras = _paragraphs(sc.doc)
    lines = _wrap(f"{name} ({SCHEMES[sc.scheme]}): {paras[0]}")
    for p in paras[1:]:
        lines += [""] + _wrap(p)
    if code is not None:
        rec = _code(sc, code)
        lines += [""] + _wrap(f"Code {rec.name} ({rec.commit}): {rec.description}")
    checks = ", ".join(f"{k} ({KINDS[k][0]})" if KINDS[k][0] else k for k in sc.checks)
    lines += [""] + _wrap(f"Checked (invariant): {checks}.")
    lines += _wrap(f"Codes: {', '.join(sc.codes)}.")
    return "\n".join(lines)


def explore(name: str, code: str = "fixed", *, invariants=(),
            max_states: int = MAX_STATES) -> Result:
    """Explore every interleaving of scenario ``name`` under ``code``.

    ``invariants``: extra :class:`Invariant` checks, run on the guest-visible
    state after every drain. ``max_states``: raise
    :class:`~evtlib.races.engine.StateLimitError` beyond that many states.
    """
    if type(max_states) is not int or max_states < 1:
        raise ValueError(f"max_states must be a positive int, got {max_states!r}")
    invariants = tuple(invariants)
    for inv in invariants:
        if not isinstance(inv, Invariant):
            raise TypeError(f"invariants must be Invariant records, got {inv!r}")
    if not invariants:
        _code(_scenario(name), code)
        return _explore(name, code, max_states)
    return _explore_model(_model(name, code, invariants), name, code, max_states)


@lru_cache(maxsize=256)
def _explore(name: str, code: str, max_states: int) -> Result:
    # Results are immutable, so repeated calls (a notebook, table()) share them.
    return _explore_model(_model(name, code), name, code, max_states)


def _explore_model(model, name: str, code: str, max_states: int) -> Result:
    found = search(model, max_states)
    vs = violations(model, found)
    best = min(vs, key=lambda v: (len(v.schedule), len(v.trace))) if vs else None
    return Result(name, code, model.names, found.states, found.transitions, found.ends,
                  tuple(sorted(model.checks, key=list(KINDS).index)), vs,
                  best.trace if best else None, best.schedule if best else None)


def initial_state(name: str, code: str = "fixed"):
    """The guest-visible state before any step (a
    :class:`~evtlib.races.engine.GuestState`): what a stepper shows first."""
    model = _model(name, code)
    return model.visible(model.init[0])


def replay(name: str, code: str, schedule) -> tuple:
    """Re-run one interleaving, given as the actor names in step order.

    Returns its :class:`~evtlib.races.engine.Step` records; when every actor
    has finished, the guest's drain follows and the last step carries the
    end checks' flags.
    """
    model = _model(name, code)
    if isinstance(schedule, str) or not hasattr(schedule, "__iter__"):
        raise ValueError(f"schedule must be a list of actor names; valid "
                         f"names: {', '.join(model.names)}")
    idx = []
    for k, a in enumerate(schedule):
        if a not in model.names:
            ok = _enabled_after(model, idx)
            raise ValueError(f"schedule step {k}: unknown actor {a!r}; valid "
                             f"names: {', '.join(model.names)}; enabled there: "
                             f"{', '.join(ok) or 'none'}")
        idx.append(model.names.index(a))
    return run(model, idx)[0]


def _enabled_after(model, idx) -> list:
    state = model.init
    for a in idx:
        r = model.step(state, a)
        if r is None:
            return []
        state = r[0]
    return [model.names[b] for b in range(len(model.names))
            if model.step(state, b) is not None]


@dataclass(frozen=True)
class Row:
    """One scenario under one code, for :func:`table`."""

    scenario: str
    code: str
    states: int
    transitions: int
    kinds: tuple
    steps: int | None

    @property
    def verdict(self) -> str:
        """At most 72 columns: 'no violation' or the kinds and the length."""
        if not self.kinds:
            return "no violation"
        return f"{', '.join(self.kinds)} ({self.steps} steps)"


def table(names=None) -> tuple:
    """Explore every code of every scenario (or of ``names``): :class:`Row` s."""
    rows = []
    for name in (scenarios() if names is None else names):
        for code in codes(name):
            r = explore(name, code)
            rows.append(Row(name, code, r.states, r.transitions, r.kinds,
                            len(r.schedule) if r.schedule else None))
    return tuple(rows)


def table_text(rows=None) -> str:
    """The rows of :func:`table` as text, 72 columns wide."""
    from .render import rows_text
    return rows_text(table() if rows is None else rows)
