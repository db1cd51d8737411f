"""Scripted FIFO scenarios: the action-script language and its runner.

A *script* is a list of actions (see :mod:`evtlib.views.fifo`) run on a fresh
:class:`~evtlib.abi.fifo.Fifo` by :func:`run_script`, which returns a
:class:`ScriptRun` holding one :class:`~evtlib.views.fifo.frames.Frame` per
recorded model step. :func:`parse_script` and :func:`format_script` convert
scripts to and from text; :data:`PRESETS` holds the notebook's scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

from ...abi.core import check_int
from ...abi.fifo import Fifo
from ...abi.fifoword import LINK_MASK, QUEUES
from .frames import MAX_PORT, Frame

__all__ = [
    "ACTIONS", "HANDLER_ACTIONS", "MAX_SCRIPT", "PRESETS", "check_action", "check_script",
    "parse_script", "format_action", "format_script",
    "ScriptRun", "run_script", "fifo_frames", "ops",
]

# --------------------------------------------------------------------------
# Scripts

#: Actions a script may contain, with their argument kinds.
ACTIONS = {
    "raise": ("port",), "mask": ("port",), "unmask": ("port",), "clear": ("port",),
    "priority": ("port", "priority"), "upcall": (), "on": ("port", "action"),
}
#: Actions a handler may run (``("on", port, *action)``).
HANDLER_ACTIONS = ("raise", "mask", "unmask", "clear", "priority")
#: The longest script :class:`FifoExplorer` lets a reader build.
MAX_SCRIPT = 24

_ACTION_HELP = ("valid actions are raise PORT, mask PORT, unmask PORT, clear PORT, "
                "priority PORT P, upcall, on PORT ACTION")


def _check_args(name: str, args: tuple, allowed) -> tuple:
    if name not in allowed:
        valid = ", ".join(allowed)
        raise ValueError(f"unknown action {name!r}: valid actions are {valid}")
    kinds = ACTIONS[name]
    if name == "on":
        if len(args) < 2:
            raise ValueError(f"'on' needs a port and a handler action, got {args!r}")
        port = check_int(args[0], "port", 1, MAX_PORT)
        inner = _check_args(args[1], tuple(args[2:]), HANDLER_ACTIONS)
        return ("on", port) + inner
    if len(args) != len(kinds):
        shape = " ".join([name] + [k.upper() for k in kinds])
        raise ValueError(f"{name!r} takes {len(kinds)} argument(s) ({shape}), got {args!r}")
    out = []
    for kind, value in zip(kinds, args):
        if kind == "port":
            out.append(check_int(value, "port", 1, MAX_PORT))
        else:
            out.append(check_int(value, "priority", 0, QUEUES - 1))
    return (name,) + tuple(out)


def check_action(action) -> tuple:
    """Validate one action; return it as a tuple of str and ints.

    Raises ValueError/TypeError naming the bad value and the valid range.
    """
    if isinstance(action, str) or not isinstance(action, Sequence) or not action:
        raise TypeError(f"an action is a non-empty tuple such as ('raise', 5), got {action!r}")
    name = action[0]
    if not isinstance(name, str):
        raise TypeError(f"an action starts with its name (a str), got {action!r}")
    return _check_args(name, tuple(action[1:]), tuple(ACTIONS))


def check_script(script) -> tuple[tuple, ...]:
    """Validate every action of ``script`` (a list of actions)."""
    if isinstance(script, str):
        raise TypeError("a script is a list of actions; use parse_script() for text")
    out = []
    for i, action in enumerate(script, 1):
        try:
            out.append(check_action(action))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"action {i}: {exc}") from None
    return tuple(out)


def parse_script(text: str) -> list[tuple]:
    """Parse one action per line (or ``;``-separated), ``#`` starts a comment.

    ``"priority 9 0; raise 5; on 5 raise 9; upcall"``. Raises ValueError
    naming the line and the valid values.
    """
    actions = []
    for n, line in enumerate(text.splitlines(), 1):
        for part in line.split("#", 1)[0].split(";"):
            words = part.split()
            if not words:
                continue
            args: list = [words[0].lower()]
            for w in words[1:]:
                args.append(int(w) if w.lstrip("-").isdigit() else w.lower())
            try:
                actions.append(check_action(tuple(args)))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"line {n} ({part.strip()!r}): {exc}; {_ACTION_HELP}") from None
    return actions


def format_action(action) -> str:
    """``("on", 5, "raise", 9)`` -> ``"on 5 raise 9"``."""
    return " ".join(str(x) for x in check_action(action))


def format_script(script) -> str:
    """One action per line, as :func:`parse_script` reads them."""
    return "\n".join(format_action(a) for a in script)


#: The notebook's scenarios: name -> script.
PRESETS: dict[str, tuple[tuple, ...]] = {
    "FIFO order": (("raise", 5), ("raise", 3), ("raise", 7), ("upcall",)),
    "priority preemption": (
        ("priority", 4, 12), ("priority", 9, 0), ("raise", 4), ("raise", 5),
        ("raise", 6), ("on", 5, "raise", 9), ("upcall",)),
    "old tail re-raised": (("raise", 5), ("on", 5, "raise", 5), ("upcall",)),
    "new HEAD after consumption": (
        ("raise", 5), ("upcall",), ("raise", 3), ("raise", 7), ("upcall",)),
    "masked event": (
        ("mask", 5), ("raise", 5), ("upcall",), ("unmask", 5), ("upcall",),
        ("mask", 6), ("unmask", 6)),
    "masked while linked": (
        ("raise", 5), ("raise", 3), ("mask", 5), ("upcall",), ("unmask", 5), ("upcall",)),
    "cleared while linked": (("raise", 5), ("raise", 3), ("clear", 5), ("upcall",)),
    "priority change": (
        ("raise", 6), ("raise", 5), ("priority", 5, 0), ("upcall",),
        ("raise", 5), ("raise", 6), ("upcall",)),
}


# --------------------------------------------------------------------------
# Running a script

START_WHY = ("start: every port is unmasked with priority 7, every queue is "
             "empty and no upcall is pending")


@dataclass(frozen=True)
class ScriptRun:
    """What :func:`run_script` returns."""

    script: tuple[tuple, ...]
    model: Fifo = field(repr=False)
    frames: tuple[Frame, ...] = field(repr=False)
    upcalls: tuple[tuple[int, ...], ...]

    @property
    def delivered(self) -> tuple[int, ...]:
        """Every port delivered, over all upcalls, in order."""
        return tuple(p for u in self.upcalls for p in u)

    def frames_of(self, line: int) -> list[Frame]:
        """The frames made by script line ``line`` (1-based), handlers included."""
        return [f for f in self.frames if f.line == line]

    def after(self, line: int) -> Frame:
        """The last frame up to and including script line ``line`` (0: the start)."""
        line = check_int(line, "line", 0, len(self.script))
        return [f for f in self.frames if f.line <= line and
                (f.line == 0 or self.script[f.line - 1][0] != "on")][-1]

    def ops_of(self, line: int) -> list[str]:
        """The ``op`` of every frame made by script line ``line``."""
        return [f.op for f in self.frames_of(line)]


def _noop_why(action: tuple) -> str:
    name = action[0]
    if name == "unmask":
        return f"port {action[1]} is not masked: unmask has nothing to do"
    if name == "upcall":
        return "upcall_pending of vCPU 0 is clear: Xen does not enter the upcall handler"
    return f"{format_action(action)}: nothing changed"  # pragma: no cover - all others record


def _apply(s: Fifo, action: tuple, handler=None):
    name, args = action[0], action[1:]
    if name == "raise":
        s.set_pending(*args)
    elif name == "mask":
        s.mask(*args)
    elif name == "unmask":
        s.unmask(*args)
    elif name == "clear":
        s.clear_pending(*args)
    elif name == "priority":
        s.set_priority(*args)
    elif name == "upcall":
        return s.upcall(0, handler=handler)
    return None


class _Recorder:
    """The bookkeeping of one :func:`run_script`: the model, its frames so far,
    the ``on`` rules waiting for a delivery and Linux's cursors.
    """

    def __init__(self, n: int) -> None:
        self.s = Fifo()
        self.n = n
        self.frames: list[Frame] = [Frame(0, "start", None, START_WHY, self.s.snapshot(),
                                          (), 0, (), None, n)]
        self.delivered: list[int] = []
        self.rules: dict[int, list[tuple[int, tuple]]] = {}
        self.cursors: dict[tuple[int, int], int] = {}
        self.prev = self.frames[0].state
        #: The script action being run and its line (what a handler's steps follow).
        self.current: tuple[tuple, int] = ((), 0)
        self.s.record()

    def flush(self, action: tuple, line: int) -> int:
        """One frame per step recorded since the last flush; the number of steps."""
        s = self.s
        steps = s.steps
        s.clear_steps()
        for st in steps:
            if st.op == "deliver":
                self.delivered.append(st.port)
            elif st.op == "dequeue":
                # The LINK the consumer just read (from the word before dequeue).
                before = dict(self.prev.words).get(st.port, 0)
                self.cursors[st.where] = before & LINK_MASK
            cursors = tuple((v, q, x) for (v, q), x in sorted(self.cursors.items()))
            local = st.local if isinstance(st.local, int) else None
            self.frames.append(Frame(len(self.frames), st.op, st.port, st.why, st.state, action,
                                     line, tuple(self.delivered), st, self.n, cursors, local))
            self.prev = st.state
        if steps:
            # Bookkeeping after the last recorded step (Xen's tail moves after
            # the "link" step): show the state the action really left.
            now = s.snapshot()
            if now != self.frames[-1].state:
                self.frames[-1] = replace(self.frames[-1], state=now)
                self.prev = now
        return len(steps)

    def handler(self, port: int) -> None:
        """The upcall handler of ``port``: run the rules waiting for it, once."""
        for line, rule in self.rules.pop(port, []):
            self.flush(*self.current)
            _apply(self.s, rule[2:])
            self.flush(rule, line)

    def returned(self, action: tuple, line: int, delivered: Sequence[int]) -> None:
        """The frame after an upcall that ran: Linux returns from the handler."""
        if not any(f.op == "upcall" and f.line == line for f in self.frames):
            return      # Xen did not enter the handler: the "no-upcall" frame says so
        snap = self.s.snapshot()
        ports = ", ".join(map(str, delivered)) or "nothing"
        left = ", ".join(map(str, snap.pending))
        why = (f"upcall_pending stayed clear during the last pass, so the upcall returns; "
               f"it delivered {ports}" + (f" (still pending: {left})" if left else ""))
        self.frames.append(Frame(len(self.frames), "return", None, why, snap, action, line,
                                 tuple(self.delivered), None, self.n, self.frames[-1].cursors))

    def nothing(self, action: tuple, line: int) -> None:
        """A frame for an action that recorded no step."""
        self.frames.append(Frame(len(self.frames), "nothing", None, _noop_why(action),
                                 self.s.snapshot(), action, line, tuple(self.delivered), None,
                                 self.n, self.frames[-1].cursors))


def run_script(script) -> ScriptRun:
    """Run ``script`` on a fresh recorded one-vCPU :class:`Fifo` (see :mod:`evtlib.views.fifo`).

    ``on`` rules wait for the next delivery of their port; every rule waiting
    for a port runs (in script order) in that delivery's handler, once. An
    upcall that ran ends with a ``"return"`` frame: the upcall returns.
    """
    script = check_script(script)
    rec = _Recorder(len(script))
    upcalls: list[tuple[int, ...]] = []
    for line, action in enumerate(script, 1):
        rec.current = (action, line)
        if action[0] == "on":
            rec.rules.setdefault(action[1], []).append((line, action))
            continue
        out = _apply(rec.s, action, rec.handler)
        if not rec.flush(action, line):
            rec.nothing(action, line)
        if action[0] == "upcall":
            upcalls.append(tuple(out))
            rec.returned(action, line, out)
    rec.s.record(False)
    return ScriptRun(script, rec.s, tuple(rec.frames), tuple(upcalls))


def fifo_frames(script) -> list[Frame]:
    """The frames of ``script`` (:func:`run_script` ``.frames`` as a list)."""
    return list(run_script(script).frames)


def ops(frames: Iterable[Frame], *names: str, port: int | None = None) -> list[Frame]:
    """The frames whose ``op`` is one of ``names`` (and, if given, whose port is ``port``)."""
    return [f for f in frames if f.op in names and (port is None or f.port == port)]
