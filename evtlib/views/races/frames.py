"""The data behind the race views: frames of a counterexample, queues, bits.

A counterexample of :func:`evtlib.races.explore` is a tuple of
:class:`~evtlib.Step` records, each with the guest-visible state
after it (a :class:`~evtlib.GuestState`). :func:`race_frames` turns
it into :class:`RaceFrame` s: frame 0 is the scenario's initial state, frame
``k`` the state after step ``k`` (numbered as in the swim-lane text), and
the frame of the step that breaks an invariant is marked. :func:`queues_of`
rebuilds each FIFO queue from a state *as the memory says*, following LINK
whatever Xen believes, so that a loop, a stale HEAD or two cross-linked
queues show; :func:`bits_of` reads the 2-/3-level bitmaps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...races import GuestState, Result, Step, Violation, initial_state

__all__ = ["RaceFrame", "RaceQueue", "Bits", "race_frames", "steps_of",
           "breaking_step", "queues_of", "orphans_of", "bits_of", "max_port", "word_of",
           "changed_words"]

# Bits of the FIFO event word, as evtlib.abi.fifoword lays them out.
_P, _M, _L, _B = 1 << 31, 1 << 30, 1 << 29, 1 << 28


@dataclass(frozen=True)
class RaceFrame:
    """One picture of a counterexample: the state after step ``index``.

    Frame 0 is the initial state (``actor`` and ``op`` are empty). ``flags``
    are the kinds of violation detected at this step; ``breaks`` is True
    for the first such step, the one the views highlight. ``repeats`` is
    True from the first step of a cycle on (unbounded Xen work). ``changed``
    lists the FIFO ports whose event word this step changed (empty for the
    bitmap schemes).
    """

    index: int
    actor: str
    op: str
    why: str
    state: GuestState
    xen: bool = False
    flags: tuple = ()
    breaks: bool = False
    repeats: bool = False
    changed: tuple = ()
    last: int = 0

    @property
    def scheme(self) -> str:
        return self.state.scheme


def steps_of(race, kind: str | None = None):
    """``(steps, loop_start)`` of a Result's counterexample (or, with
    ``kind``, of its witness of that kind), a Violation's trace, or a plain
    sequence of steps (no loop)."""
    if isinstance(race, Result):
        if kind is not None:
            found = [v for v in race.violations if v.kind == kind]
            if not found:
                raise ValueError(f"{race.scenario} under {race.code} shows no "
                                 f"{kind!r}; it shows: {', '.join(race.kinds) or 'none'}")
            return found[0].trace, found[0].loop_start
        if race.counterexample is None:
            raise ValueError(f"{race.scenario} under {race.code} has no "
                             f"counterexample: {race.verdict}")
        best = next(v for v in race.violations if v.trace is race.counterexample)
        return race.counterexample, best.loop_start
    if kind is not None:
        raise ValueError("kind selects a witness of a Result only")
    if isinstance(race, Violation):
        return race.trace, race.loop_start
    steps = tuple(race)
    if not all(isinstance(s, Step) for s in steps):
        raise TypeError("expected a Result, a Violation or a sequence of Step")
    return steps, None


def breaking_step(steps, kind: str | None = None) -> int | None:
    """The 0-based index of the first step that carries a violation flag
    (with ``kind``: that flag)."""
    return next((k for k, s in enumerate(steps)
                 if (kind in s.flags if kind else s.flags)), None)


def word_of(entry) -> int:
    """The 32-bit event word of a ``(port, P, M, L, B, LINK)`` entry."""
    _, p, m, l_, b, link = entry
    return p * _P | m * _M | l_ * _L | b * _B | link


def changed_words(before: GuestState, after: GuestState) -> tuple:
    """The FIFO ports whose event word differs between two states."""
    if after.scheme != "fifo":
        return ()
    old = {w[0]: w for w in before["words"]}
    return tuple(w[0] for w in after["words"] if old.get(w[0]) != w)


def race_frames(race, initial: GuestState | None = None,
                kind: str | None = None) -> tuple:
    """Frames of a counterexample: the initial state, then one per step.

    ``race`` is a :class:`~evtlib.Result` (its shortest
    counterexample, or with ``kind`` its witness of that kind; the initial
    state is then read from the scenario) or a Violation or steps with
    ``initial`` given.
    """
    steps, loop = steps_of(race, kind)
    if initial is None:
        if not isinstance(race, Result):
            raise ValueError("give the initial state for a Violation or steps")
        initial = initial_state(race.scenario, race.code)
    hit = breaking_step(steps, kind)
    n = len(steps)
    frames = [RaceFrame(0, "", "", "The initial state, before any step.",
                        initial, last=n)]
    prev = initial
    for k, s in enumerate(steps):
        frames.append(RaceFrame(k + 1, s.actor, s.op, s.why, s.state, s.xen,
                                s.flags, k == hit, loop is not None and k >= loop,
                                changed_words(prev, s.state), n))
        prev = s.state
    return tuple(frames)


# ------------------------------------------------------------------ FIFO


@dataclass(frozen=True)
class RaceQueue:
    """One FIFO queue as the guest's memory has it.

    ``name`` is the explorer's (``q7``, or ``v1q7`` with two vCPUs).
    ``chain`` follows LINK from Linux's local head (``local_head``) or,
    when that is 0, from HEAD, for as long as the words are LINKED; it
    ends with ``end``: ``"0"`` (LINK 0), ``"loop"`` (LINK names a port
    already on the chain: ``end_port``) or ``"unlinked"`` (LINK, or the
    start, names a port whose L is clear: ``end_port``, e.g. a stale
    HEAD). ``shared`` lists chain ports that another queue's chain also
    reaches (cross-linked queues). ``live`` says whether the guest would
    walk the chain now: READY set or a local head. ``locked_by`` names the
    actor holding the queue's lock.
    """

    name: str
    vcpu: int
    priority: int
    ready: bool
    head: int
    local_head: int
    tail: int
    chain: tuple
    end: str
    end_port: int = 0
    shared: tuple = ()
    live: bool = False
    locked_by: str = ""

    @property
    def shown(self) -> bool:
        """Anything to draw: a pointer, READY or a chain."""
        return bool(self.ready or self.head or self.local_head or self.tail
                    or self.chain)


def _qname(name: str) -> tuple:
    m = re.fullmatch(r"(?:v(\d+))?q(\d+)", name)
    if not m:
        raise ValueError(f"not a queue name: {name!r}")
    return int(m.group(1) or 0), int(m.group(2))


def _walk(words: dict, start: int) -> tuple:
    chain, port = [], start
    while port:
        if port in chain:
            return tuple(chain), "loop", port
        if not words[port][3]:
            return tuple(chain), "unlinked", port
        chain.append(port)
        port = words[port][5]
    return tuple(chain), "0", 0


def queues_of(state: GuestState) -> tuple:
    """Every queue of a FIFO state, as :class:`RaceQueue` records."""
    if state.scheme != "fifo":
        raise ValueError(f"queues_of needs a FIFO state, got {state.scheme!r}")
    words = {w[0]: w for w in state["words"]}
    heads, lheads = dict(state["head"]), dict(state["local_head"])
    tails, locks = dict(state["tail"]), dict(state["locks"])
    walks = {}
    for name, head in heads.items():
        walks[name] = _walk(words, lheads[name] or head)
    seen: dict = {}
    for name, (chain, _, _) in walks.items():
        for p in chain:
            seen.setdefault(p, []).append(name)
    out = []
    for name, head in heads.items():
        v, prio = _qname(name)
        chain, end, end_port = walks[name]
        ready = prio in state["ready"][v]
        out.append(RaceQueue(name, v, prio, ready, head, lheads[name], tails[name],
                             chain, end, end_port,
                             tuple(p for p in chain if len(seen[p]) > 1),
                             bool(ready or lheads[name]), locks.get(name, "")))
    return tuple(out)


def orphans_of(state: GuestState) -> tuple:
    """LINKED ports that no queue's chain reaches (lost unless re-linked)."""
    on = {p for q in queues_of(state) for p in q.chain}
    return tuple(w[0] for w in state["words"] if w[3] and w[0] not in on)


# ---------------------------------------------------------------- bitmaps


@dataclass(frozen=True)
class Bits:
    """The 2-/3-level bits of a state, for drawing.

    ``ports`` is the range drawn (1..n); ``pending`` and ``mask`` the set
    ports; ``selector`` per vCPU the set bits of the selector (3-level: of
    L1); ``l2`` per vCPU, for 3-level, the set bits of each L2 word;
    ``upcall`` the ``upcall_pending`` flag of each vCPU.
    """

    levels: int
    ports: tuple
    pending: tuple
    mask: tuple
    selector: tuple
    l2: tuple
    upcall: tuple


def _set_bits(x: int) -> tuple:
    return tuple(i for i in range(x.bit_length()) if x >> i & 1)


def bits_of(state: GuestState, ports: int = 0) -> Bits:
    """The bits of a 2-/3-level state; ``ports``: draw ports 1..ports at least."""
    if state.scheme not in ("2l", "3l"):
        raise ValueError(f"bits_of needs a 2l or 3l state, got {state.scheme!r}")
    d = state.as_dict()
    hi = max((ports,) + d["pending"] + d["mask"])
    l2 = tuple(tuple(_set_bits(w) for w in words) for words in d.get("l2", ()))
    return Bits(3 if "l2" in d else 2, tuple(range(1, hi + 1)), d["pending"],
                d["mask"], tuple(_set_bits(s) for s in d["selector"]), l2,
                tuple(d["upcall"]))


def max_port(frames) -> int:
    """The highest port a bitmap counterexample's frames or actors mention."""
    hi = 1
    for f in frames:
        d = f.state.as_dict()
        hi = max((hi,) + d.get("pending", ()) + d.get("mask", ()))
        m = re.search(r"-(\d+)$", f.actor)
        if m:
            hi = max(hi, int(m.group(1)))
    return hi
