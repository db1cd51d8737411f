"""The explorer: actors as program counters, atomic steps, breadth-first search.

A *state* is ``(shared, actors)``: ``shared`` is a tuple of immutable values
(the guest-visible memory, Xen's private data, the locks and a few ghost
fields that only the checks read); ``actors`` holds one frame stack per actor,
``(program, pc, locals, continuation)``, or None once the actor has finished.
Everything is a tuple, so a state hashes and compares by value and the search
keeps one copy of each.

A *program* is a table ``pc -> handler``. A handler runs exactly one atomic
step (one access to guest-visible memory, one lock acquisition, or one
private access that another lock-free Xen actor could race with) and returns
``(shared', next, op, why, flag)``, or None when the step is not enabled (a
lock is held). ``next`` is the next frame ``(program, pc, locals)``, None when
the program is finished, or ``(frame, return_frame)`` for a call. ``flag`` is
the kind of an invariant the step itself broke, or None.

The search is breadth-first, so the first path found to any state (and to
any violation) is a shortest one. When every finite actor has finished, the
model's guest drains sequentially and the invariants of spec section 4 are
checked; unbounded Xen work is found afterwards as a cycle of the state graph
that contains a step of Xen code (Tarjan's algorithm on the stored edges).
Only x86 ordering is modelled (every atomic is a full barrier); weaker memory
models are out of scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .kinds import JSON_VERSION, KINDS  # noqa: F401  (JSON_VERSION: re-exported)

#: Default cap on distinct states before :class:`StateLimitError`.
MAX_STATES = 2_000_000
# A drain longer than this is a guest looping on a corrupted queue.
MAX_DRAIN_STEPS = 400


class StateLimitError(RuntimeError):
    """The state space is larger than ``max_states``."""


@dataclass(frozen=True)
class GuestState:
    """What the guest can see after a step (plus Xen's tails and locks).

    ``items`` is a tuple of ``(name, value)`` pairs with immutable values;
    ``line`` is the same in one compact line of text.
    """

    scheme: str
    items: tuple
    line: str

    def __getitem__(self, name: str):
        for key, value in self.items:
            if key == name:
                return value
        raise KeyError(name)

    def as_dict(self) -> dict:
        return dict(self.items)


@dataclass(frozen=True)
class Step:
    """One atomic step of one actor, as replayed.

    ``flags`` names the violations detected at this step (a step check, or on
    the last step of a finished run the checks made after the drain).
    """

    actor: str
    op: str
    why: str
    state: GuestState
    xen: bool
    flags: tuple = ()


@dataclass(frozen=True)
class Violation:
    """One kind of broken invariant and its shortest witness.

    ``schedule`` lists the actors in the order they step; ``trace`` is that
    run replayed, followed by the guest's drain when the check was made at the
    end. For a cycle, ``loop_start`` is the index in ``trace`` where the
    repeating part begins (the steps from there on repeat forever).
    ``count`` is how many transitions or end states showed it.
    """

    kind: str
    invariant: int
    message: str
    count: int
    schedule: tuple
    trace: tuple
    loop_start: int | None = None


@dataclass(frozen=True)
class Invariant:
    """An extra check run on the guest-visible state after every drain.

    ``check(state)`` receives a :class:`GuestState` and returns None when the
    invariant holds or a sentence saying what is wrong.
    """

    kind: str
    check: Callable


@dataclass(frozen=True)
class Result:
    """The outcome of exploring one scenario under one code."""

    scenario: str
    code: str
    actors: tuple
    states: int
    transitions: int
    ends: int
    checks: tuple
    violations: tuple
    counterexample: tuple | None
    schedule: tuple | None

    @property
    def kinds(self) -> tuple:
        return tuple(v.kind for v in self.violations)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def verdict(self) -> str:
        """One line: 'no violation' or the violated kinds."""
        if not self.violations:
            return "no violation"
        return "VIOLATED: " + ", ".join(self.kinds)

    def text(self, states: bool = False) -> str:
        """Verdict and shortest counterexample as swim lanes (72 columns)."""
        from .render import result_text
        return result_text(self, states)

    def to_json(self) -> str:
        from .render import result_json
        return result_json(self)


@dataclass(frozen=True)
class Program:
    """A named table of step handlers; ``xen`` says whose code it is."""

    name: str
    xen: bool
    handlers: dict


class Model:
    """One scenario under one code: the initial state, the actors, the checks.

    Subclasses give the scheme: :meth:`visible`, :meth:`drain_frame`,
    :meth:`check_end` and :meth:`check_drained`.
    """

    scheme = ""

    def __init__(self, programs, names, stacks, shared, sw, checks,
                 endless=(), after=None, invariants=()) -> None:
        self.handlers = {p.name: p.handlers for p in programs}
        self.is_xen = {p.name: p.xen for p in programs}
        self.names = tuple(names)
        self.sw = sw
        self.checks = frozenset(checks)
        self.endless = frozenset(endless)
        self.finite = tuple(i for i in range(len(names)) if i not in self.endless)
        # after[i]: actors that must have finished before actor i starts.
        self.after = dict(after or {})
        self._after = [self.after.get(i) for i in range(len(names))]
        self.invariants = tuple(invariants)
        # stacks: (first frame, frames to run after it) per actor.
        self.init = (shared, tuple(f + (cont,) for f, cont in stacks))

    # ------------------------------------------------------------ stepping
    def step(self, state, i):
        """Run actor ``i`` one step: ``(state', op, why, flag, xen)`` or None."""
        sh, acts = state
        a = acts[i]
        if a is None:
            return None
        deps = self._after[i]
        if deps and a == self.init[1][i] and any(acts[j] is not None for j in deps):
            return None
        prog, pc, loc, cont = a
        r = self.handlers[prog][pc](sh, loc, i, self.sw)
        if r is None:
            return None
        sh2, nxt, op, why, flag = r
        a2 = _advance(nxt, cont)
        if a2 is None and i in self.endless:
            # An endless actor starts its program again.
            a2 = self.init[1][i]
        return (sh2, acts[:i] + (a2,) + acts[i + 1:]), op, why, flag, self.is_xen[prog]

    def finished(self, acts) -> bool:
        """Every finite actor done, every endless one back at its start."""
        for i in self.finite:
            if acts[i] is not None:
                return False
        start = self.init[1]
        for i in self.endless:
            if acts[i] != start[i]:
                return False
        return True

    def run_frame(self, sh, frame, me, record):
        """Run one frame to completion (the drain).

        Returns ``(shared, flags, steps, finished)``; ``finished`` is False
        when the frame was blocked or ran past :data:`MAX_DRAIN_STEPS`.
        """
        a = frame + ((),)
        flags, steps = [], []
        for _ in range(MAX_DRAIN_STEPS):
            if a is None:
                return sh, flags, steps, True
            prog, pc, loc, cont = a
            r = self.handlers[prog][pc](sh, loc, me, self.sw)
            if r is None:
                flags.append(("deadlock", "the guest's drain is blocked by a lock"))
                return sh, flags, steps, False
            sh, nxt, op, why, flag = r
            a = _advance(nxt, cont)
            if flag and not (flag in self.checks or flag not in KINDS):
                flag = None
            if flag:
                flags.append((flag, why))
            if record:
                steps.append(self.make_step("drain", sh, op, why,
                                            self.is_xen[prog], flag))
        flags.append(("malformed-queue", f"the guest's drain did not finish in "
                                         f"{MAX_DRAIN_STEPS} steps"))
        return sh, flags, steps, False

    def drain(self, sh, record=False):
        """Sequential guest: serve every flagged vCPU until none is flagged."""
        flags, steps = [], []
        for _ in range(MAX_DRAIN_STEPS):
            frame = self.drain_frame(sh)
            if frame is None:
                break
            sh, f, s, finished = self.run_frame(sh, frame, len(self.names), record)
            flags += f
            steps += s
            if not finished:
                break
        return sh, flags, steps

    def end_checks(self, sh, record=False):
        """All checks made when the finite actors are done: (flags, steps)."""
        flags = list(self.check_end(sh))
        sh2, f, steps = self.drain(sh, record)
        flags += f
        flags += self.check_drained(sh2)
        seen = self.visible(sh2) if self.invariants else None
        for inv in self.invariants:
            msg = inv.check(seen)
            if msg:
                flags.append((inv.kind, msg))
        kept = [(k, m) for k, m in flags if k in self.checks
                or k not in KINDS]
        return kept, steps

    def make_step(self, actor, sh, op, why, xen, flag=None) -> Step:
        return Step(actor, op, why, self.visible(sh), xen,
                    (flag,) if flag else ())

    # ----------------------------------------------------- scheme-specific
    def visible(self, sh) -> GuestState:  # pragma: no cover - abstract
        raise NotImplementedError

    def drain_frame(self, sh):  # pragma: no cover - abstract
        raise NotImplementedError

    def check_end(self, sh) -> list:
        return []

    def check_drained(self, sh) -> list:
        return []


def _advance(nxt, cont):
    """The actor after a step: next frame, a call, or back to the caller."""
    if nxt is None:
        return cont[0] + (cont[1:],) if cont else None
    if len(nxt) == 3:
        return nxt + (cont,)
    return nxt[0] + ((nxt[1],) + cont,)


def put(t: tuple, i: int, v) -> tuple:
    """``t`` with item ``i`` replaced by ``v``."""
    return t[:i] + (v,) + t[i + 1:]
