"""Views of the FIFO ABI: the event word, the queues, and scripted scenarios.

Three layers, each usable alone:

* **Data.** :data:`WORD_FIELDS` and :func:`word_bits` decode the 32-bit event
  word (P=31, M=30, L=29, B=28, LINK=16..0); :func:`queue_view` and
  :func:`queue_views` rebuild each per-priority queue as a linked list (with
  HEAD, READY, Xen's private tail and Linux's private "next" pointer) from a
  :class:`~evtlib.records.Snapshot`, so any recorded step can be drawn.
* **Scenarios.** A *script* is a list of actions run on a fresh
  :class:`~evtlib.fifo.Fifo`::

      ("raise", port)            Xen raises the port
      ("mask", port)             the guest sets M
      ("unmask", port)           Linux unmask (local, or hypercall if pending)
      ("clear", port)            the guest clears P
      ("priority", port, p)      EVTCHNOP_set_priority (0 highest .. 15)
      ("upcall",)                Xen enters vCPU 0's upcall handler
      ("on", port, "raise", q)   the next time port's handler runs, it raises q
                                 (also "mask"/"unmask"/"clear" q, "priority" q p)

  :func:`run_script` runs one with step recording and returns the model, the
  delivery order of each upcall and the list of :class:`Frame` (the start,
  then one frame per recorded model :class:`~evtlib.records.Step`, whose
  ``why`` is the model's sentence). :func:`parse_script` and
  :func:`format_script` convert to and from text (``"raise 5"``, ``"on 5
  raise 9"``). :data:`PRESETS` holds the notebook's scenarios.
* **Renderings.** HTML (:func:`event_word_html`, :func:`queues_html`,
  :func:`words_html`, :func:`frame_html`, :func:`frames_table_html`,
  :func:`presets_table_html`), plain text <= 72 columns (:func:`queue_text`,
  :func:`trace_text`), matplotlib figures that return the data they drew
  (:func:`plot_event_word`, :func:`plot_queues`) and the widgets
  (:func:`fifo_stepper`, :class:`FifoExplorer`).

All HTML is escaped and uses inline styles only, so it survives static export.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

from .core import check_int
from .fifo import BUSY, LINK_BITS, LINK_MASK, NR_CHANNELS, PRIORITY_DEFAULT, QUEUES, Fifo, L, M, P
from .records import Snapshot, Step
from .widgets import WidgetView

__all__ = [
    "WORD_FIELDS", "Field", "field_of", "word_bits", "decode_word",
    "QueueView", "queue_view", "queue_views", "queue_text",
    "ACTIONS", "HANDLER_ACTIONS", "MAX_SCRIPT", "PRESETS", "check_action", "check_script",
    "parse_script", "format_action", "format_script",
    "Frame", "ScriptRun", "run_script", "fifo_frames", "ops",
    "event_word_html", "queues_html", "words_html", "frame_html", "frames_table_html",
    "presets_table_html", "trace_text",
    "WordDrawing", "QueueDrawing", "plot_event_word", "plot_queues",
    "fifo_stepper", "FifoExplorer",
]

WIDTH = 72
MAX_PORT = NR_CHANNELS - 1

# --------------------------------------------------------------------------
# The event word


@dataclass(frozen=True)
class Field:
    """One field of the event word: bits ``hi`` down to ``lo``."""

    name: str
    hi: int
    lo: int
    meaning: str

    @property
    def mask(self) -> int:
        return ((1 << (self.hi - self.lo + 1)) - 1) << self.lo


#: The fields of the 32-bit FIFO event word, most significant first (spec 3.1).
WORD_FIELDS: tuple[Field, ...] = (
    Field("P", P.bit_length() - 1, P.bit_length() - 1, "pending"),
    Field("M", M.bit_length() - 1, M.bit_length() - 1, "masked"),
    Field("L", L.bit_length() - 1, L.bit_length() - 1, "linked"),
    Field("B", BUSY.bit_length() - 1, BUSY.bit_length() - 1, "busy"),
    Field("-", BUSY.bit_length() - 2, LINK_BITS, "unused"),
    Field("LINK", LINK_BITS - 1, 0, "next port in the queue, 0 = end"),
)


def field_of(bit: int) -> Field:
    """The :class:`Field` that holds ``bit`` (0..31)."""
    bit = check_int(bit, "bit", 0, 31)
    for f in WORD_FIELDS:
        if f.lo <= bit <= f.hi:
            return f
    raise AssertionError(bit)  # pragma: no cover - the fields cover 0..31


def _word(word) -> int:
    return check_int(word, "event word", 0, (1 << 32) - 1)


def word_bits(word: int) -> list[tuple[int, int, str]]:
    """``(bit, value, field name)`` for bits 31 down to 0 of an event word."""
    word = _word(word)
    return [(b, word >> b & 1, field_of(b).name) for b in range(31, -1, -1)]


def decode_word(word: int) -> dict:
    """``{"P": 1, "M": 0, "L": 1, "B": 0, "LINK": 3}`` for an event word."""
    word = _word(word)
    return {f.name: (word & f.mask) >> f.lo for f in WORD_FIELDS if f.name != "-"}


def _flags(word: int) -> str:
    return "".join(ch if word & bit else "." for ch, bit in
                   (("P", P), ("M", M), ("L", L), ("B", BUSY)))


# --------------------------------------------------------------------------
# Queues rebuilt from a snapshot


@dataclass(frozen=True)
class QueueView:
    """One queue as a linked list, read from a snapshot.

    ``ports`` are the linked events in consume order (what
    :meth:`Fifo.queue` returns) and ``links`` the ``(port, LINK)`` arrows
    between them. ``head`` is the guest-visible HEAD[q], ``tail`` Xen's
    private tail, ``linux_next`` Linux's private copy of the next event to
    consume (0 = none: Linux reads HEAD). ``head_live`` says whether Linux
    would start from HEAD; a non-zero HEAD that is not live is stale (HEAD is
    never cleared). ``tail_live`` says whether the tail is still linked here.
    """

    vcpu: int
    priority: int
    ready: bool
    head: int
    tail: int
    linux_next: int
    ports: tuple[int, ...]
    links: tuple[tuple[int, int], ...]
    head_live: bool
    tail_live: bool

    @property
    def empty(self) -> bool:
        return not self.ports

    @property
    def shown(self) -> bool:
        """Whether anything about this queue differs from a fresh, empty one."""
        return bool(self.ready or self.head or self.tail or self.linux_next or self.ports)


class _State:
    """Fast look-ups into a FIFO :class:`Snapshot`.

    ``cursors`` are ``(vcpu, priority, next)`` triples that override Linux's
    private next pointer: while a handler runs, Linux holds the next port in
    a local variable and stores it only after the handler returns (as
    ``consume_one_event`` does), so the snapshot alone would lose the rest of
    the queue. :func:`run_script` records them in each :class:`Frame`.
    """

    def __init__(self, snap: Snapshot, cursors=()) -> None:
        if snap.scheme != "fifo":
            raise ValueError(f"expected a FIFO snapshot or model, got scheme {snap.scheme!r}")
        self.snap = snap
        self.words = dict(snap.words)
        self.prio: dict[int, int] = {}
        self.lastq: dict[int, tuple[int, int]] = {}
        for kind, port, value in snap.settings:
            if kind == "priority":
                self.prio[port] = value
            elif kind == "lastq":
                self.lastq[port] = divmod(value, QUEUES)
        self.vcpus = [snap.vcpu(v) for v in range(snap.vcpus)]
        for v, q, nxt in cursors:
            lh = list(self.vcpus[v]["linux_head"])
            lh[q] = nxt
            self.vcpus[v]["linux_head"] = tuple(lh)

    def word(self, port: int) -> int:
        return self.words.get(port, 0)

    def priority(self, port: int) -> int:
        return self.prio.get(port, PRIORITY_DEFAULT)


def _state(state) -> _State:
    if isinstance(state, _State):
        return state
    if isinstance(state, Snapshot):
        return _State(state)
    if isinstance(state, Frame):
        return _State(state.state, state.cursors)
    if isinstance(state, Fifo):
        return _State(state.snapshot())
    raise TypeError(f"expected a Fifo model, a FIFO Snapshot or a Frame, got {state!r}")


def _queue_view(st: _State, v: int, q: int) -> QueueView:
    d = st.vcpus[v]
    head, tail, lnext = d["head"][q], d["tail"][q], d["linux_head"][q]
    port = lnext or head
    ports: list[int] = []
    # The same walk as Fifo.queue: follow LINK while the word is linked here.
    while (port and st.word(port) & L and port not in ports
           and st.lastq.get(port, (0, 0)) == (v, q)):
        ports.append(port)
        port = st.word(port) & LINK_MASK
    links = tuple((a, st.word(a) & LINK_MASK) for a in ports if st.word(a) & LINK_MASK)
    return QueueView(v, q, bool(d["ready"] >> q & 1), head, tail, lnext, tuple(ports),
                     links, head_live=bool(head and not lnext and ports and ports[0] == head),
                     tail_live=bool(tail and tail in ports))


def queue_view(state, vcpu: int = 0, priority: int = PRIORITY_DEFAULT) -> QueueView:
    """Queue ``priority`` of ``vcpu`` in ``state``.

    ``state`` is a :class:`Fifo` model, a FIFO :class:`Snapshot` or a
    :class:`Frame` (whose Linux cursors are applied); so are the ``state``
    arguments of the other views.
    """
    st = _state(state)
    v = check_int(vcpu, "vCPU", 0, len(st.vcpus) - 1)
    q = check_int(priority, "priority", 0, QUEUES - 1)
    return _queue_view(st, v, q)


def queue_views(state, vcpu: int = 0, everything: bool = False) -> list[QueueView]:
    """The queues of ``vcpu`` worth drawing (all 16 if ``everything``), priority 0 first."""
    st = _state(state)
    v = check_int(vcpu, "vCPU", 0, len(st.vcpus) - 1)
    views = [_queue_view(st, v, q) for q in range(QUEUES)]
    return views if everything else [qv for qv in views if qv.shown]


def queue_text(state, vcpu: int = 0) -> str:
    """The non-empty queues of ``vcpu`` on one line: ``q0 9 | q7 3->7``; ``-`` if none."""
    parts = [f"q{qv.priority} " + "->".join(map(str, qv.ports))
             for qv in queue_views(state, vcpu) if qv.ports]
    return " | ".join(parts) or "-"


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
class Frame:
    """One picture of a scenario: the state right after one model step.

    ``state`` is the step's snapshot, except for the last step of an action
    (or of a handler's action): there it is the state the action left, which
    includes bookkeeping the model does not record as a step (Xen moves its
    private tail after the recorded "link").

    ``op``/``port``/``why``/``step`` come from the model's recorded
    :class:`Step` (``op`` is ``"start"`` for frame 0 and ``"nothing"`` for
    an action that changed nothing). ``line`` is the 1-based script line of
    ``action`` (0 for the start); steps made by a handler carry the ``on``
    action that ran; ``lines`` is the script's length. ``delivered`` holds
    every port delivered so far. ``cursors`` are Linux's ``(vcpu, priority,
    next)`` pointers as the consumer holds them: while a handler runs, Linux
    keeps the next port in a local variable and stores it only after the
    handler returns, so the snapshot alone would lose the rest of the queue.
    Pass the frame itself (not ``frame.state``) to the renderers to draw them.
    """

    index: int
    op: str
    port: int | None
    why: str
    state: Snapshot = field(repr=False)
    action: tuple = ()
    line: int = 0
    delivered: tuple[int, ...] = ()
    step: Step | None = field(default=None, repr=False)
    lines: int = 0
    cursors: tuple[tuple[int, int, int], ...] = ()

    def word(self, port: int) -> int:
        """The event word of ``port`` in this frame's state."""
        return dict(self.state.words).get(port, 0)


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


def run_script(script) -> ScriptRun:
    """Run ``script`` on a fresh recorded one-vCPU :class:`Fifo` (see the module docstring).

    ``on`` rules wait for the next delivery of their port; every rule waiting
    for a port runs (in script order) in that delivery's handler, once.
    """
    script = check_script(script)
    s = Fifo()
    n = len(script)
    frames: list[Frame] = [Frame(0, "start", None, START_WHY, s.snapshot(), (), 0, (), None, n)]
    delivered: list[int] = []
    rules: dict[int, list[tuple[int, tuple]]] = {}
    upcalls: list[tuple[int, ...]] = []
    s.record()

    cursors: dict[tuple[int, int], int] = {}
    prev = [frames[0].state]

    def flush(action: tuple, line: int) -> int:
        steps = s.steps
        s.clear_steps()
        for st in steps:
            if st.op == "deliver":
                delivered.append(st.port)
            elif st.op == "dequeue":
                # The LINK the consumer just read (from the word before dequeue).
                before = dict(prev[0].words).get(st.port, 0)
                cursors[st.where] = before & LINK_MASK
            frames.append(Frame(len(frames), st.op, st.port, st.why, st.state, action,
                                line, tuple(delivered), st, n,
                                tuple((v, q, x) for (v, q), x in sorted(cursors.items()))))
            prev[0] = st.state
        if steps:
            # Bookkeeping after the last recorded step (Xen's tail moves after
            # the "link" step): show the state the action really left.
            now = s.snapshot()
            if now != frames[-1].state:
                frames[-1] = replace(frames[-1], state=now)
                prev[0] = now
        return len(steps)

    def handler(port: int) -> None:
        for line, rule in rules.pop(port, []):
            flush(current[0], current[1])
            _apply(s, rule[2:])
            flush(rule, line)

    for line, action in enumerate(script, 1):
        current = (action, line)
        if action[0] == "on":
            rules.setdefault(action[1], []).append((line, action))
            continue
        out = _apply(s, action, handler)
        if action[0] == "upcall":
            upcalls.append(tuple(out))
        if not flush(action, line):
            frames.append(Frame(len(frames), "nothing", None, _noop_why(action),
                                s.snapshot(), action, line, tuple(delivered), None, n,
                                frames[-1].cursors))
    s.record(False)
    return ScriptRun(script, s, tuple(frames), tuple(upcalls))


def fifo_frames(script) -> list[Frame]:
    """The frames of ``script`` (:func:`run_script` ``.frames`` as a list)."""
    return list(run_script(script).frames)


def ops(frames: Iterable[Frame], *names: str, port: int | None = None) -> list[Frame]:
    """The frames whose ``op`` is one of ``names`` (and, if given, whose port is ``port``)."""
    return [f for f in frames if f.op in names and (port is None or f.port == port)]


# --------------------------------------------------------------------------
# HTML

_E = html.escape
_MONO = "font-family:ui-monospace,Menlo,Consolas,monospace"
_BOX = ("display:inline-block;min-width:2.6em;padding:1px 4px;text-align:center;"
        "border:1.5px solid #356;border-radius:3px;background:#eef4fb")
_GHOST = ("display:inline-block;min-width:2.6em;padding:1px 4px;text-align:center;"
          "border:1.5px dashed #999;border-radius:3px;color:#777")
_HIGH = ";background:#ffe9a8"
_TAG = "font-size:10px;color:#555;line-height:1.1;white-space:nowrap"


def event_word_html(word: int, port: int | None = None) -> str:
    """The 32 bits of an event word as a table, with bit numbers and field names."""
    word = _word(word)
    cell = "padding:0 2px;text-align:center;border:1px solid #ccc"
    nums = "".join(f"<td style='{cell};font-size:9px;color:#666'>{b}</td>" for b in range(31, -1, -1))
    vals = "".join(
        f"<td style='{cell}" + (";background:#cfe3ff;font-weight:bold" if v else "")
        + f"'>{v}</td>" for b, v, _ in word_bits(word))
    names = "".join(
        f"<td colspan='{f.hi - f.lo + 1}' style='{cell};font-size:11px'"
        f" title='{_E(f.meaning)}'>{_E(f.name if f.name != '-' else 'unused')}"
        f"{'' if f.hi == f.lo else f' {f.hi}..{f.lo}'}</td>" for f in WORD_FIELDS)
    d = decode_word(word)
    who = "" if port is None else f"port {int(port)}: "
    caption = (f"{who}{word:#010x} = P={d['P']} M={d['M']} L={d['L']} B={d['B']} "
               f"LINK={d['LINK']}")
    return (f"<table class='evt-fifo-word' style='border-collapse:collapse;{_MONO};"
            f"font-size:12px'><caption style='text-align:left'>{_E(caption)}</caption>"
            f"<tr>{nums}</tr><tr>{vals}</tr><tr>{names}</tr></table>")


def _node(port: int, st: _State, tags: Sequence[str], ghost: bool, high: bool) -> str:
    w = st.word(port)
    style = (_GHOST if ghost else _BOX) + (_HIGH if high else "")
    tag = _E(" ".join(tags)) or "&nbsp;"
    title = f"port {port}: {w:#010x} {_flags(w)} LINK={w & LINK_MASK}"
    return (f"<span style='display:inline-block;vertical-align:bottom'>"
            f"<span style='display:block;{_TAG}'>{tag}</span>"
            f"<span style='{style}' title='{_E(title)}'>{port}"
            f"<span style='display:block;font-size:9px;color:#567'>{_flags(w)}</span>"
            f"</span></span>")


def _queue_row(qv: QueueView, st: _State, high: int | None) -> str:
    tags: dict[int, list[str]] = {}
    for name, port in (("HEAD", qv.head), ("next", qv.linux_next), ("tail", qv.tail)):
        if port:
            tags.setdefault(port, []).append(name)
    parts = []
    for p in qv.ports:
        parts.append(_node(p, st, tags.get(p, []), False, p == high))
    arrow = "<span style='padding:0 3px;color:#356'>&rarr;</span>"
    body = arrow.join(parts)
    if qv.ports:
        body += arrow + "<span style='color:#888'>0</span>"
    else:
        body = "<span style='color:#888'>(empty)</span>"
    ghosts = []
    for p in dict.fromkeys((qv.head, qv.tail)):
        if p and p not in qv.ports:
            names = [("HEAD (stale)" if n == "HEAD" else "tail (consumed)" if n == "tail"
                      else n) for n in tags[p]]
            ghosts.append(_node(p, st, names, True, p == high))
    if ghosts:
        body += "<span style='padding:0 8px;color:#aaa'>&middot;</span>" + " ".join(ghosts)
    ready = ("<span style='background:#2a7;color:#fff;border-radius:3px;padding:0 3px;"
             "font-size:10px'>READY</span>") if qv.ready else (
             "<span style='color:#bbb;font-size:10px;padding:0 3px'>ready=0</span>")
    return (f"<div class='evt-fifo-queue' data-q='{qv.priority}' style='margin:3px 0'>"
            f"<span style='display:inline-block;width:2.4em;font-weight:bold'>"
            f"q{qv.priority}</span>{ready} {body}</div>")


def queues_html(state, vcpu: int | None = None, highlight: int | None = None) -> str:
    """Each non-empty queue as boxes and arrows, with HEAD, READY, tail and next.

    ``vcpu=None`` draws every vCPU. Dashed boxes are pointers to ports that
    are no longer on the queue: a stale HEAD, a consumed tail.
    """
    st = _state(state)
    vs = range(len(st.vcpus)) if vcpu is None else [check_int(vcpu, "vCPU", 0, len(st.vcpus) - 1)]
    out = []
    for v in vs:
        d = st.vcpus[v]
        rows = [_queue_row(qv, st, highlight) for qv in queue_views(st, v)]
        head = (f"vCPU {v}: upcall_pending={int(st.snap.upcall_pending[v])} "
                f"READY={d['ready']:#06x}")
        body = "".join(rows) or "<div style='color:#888'>all 16 queues empty</div>"
        out.append(f"<div style='margin-bottom:4px'><div style='color:#333'>{_E(head)}</div>"
                   f"{body}</div>")
    return (f"<div class='evt-fifo-queues' style='{_MONO};font-size:12px'>"
            + "".join(out) + "</div>")


def words_html(state, highlight: int | None = None, max_rows: int = 16) -> str:
    """Table of the non-zero event words: port, hex, P M L B, LINK, priority."""
    st = _state(state)
    th = "padding:0 6px;text-align:right;border-bottom:1px solid #999"
    td = "padding:0 6px;text-align:right"
    rows = [f"<tr><th style='{th}'>port</th><th style='{th}'>event word</th>"
            f"<th style='{th}'>PMLB</th><th style='{th}'>LINK</th><th style='{th}'>prio</th></tr>"]
    items = list(st.snap.words)
    for port, w in items[:max_rows]:
        bg = _HIGH if port == highlight else ""
        rows.append(f"<tr style='{bg[1:]}'><td style='{td}'>{port}</td><td style='{td}'>"
                    f"{w:#010x}</td><td style='{td}'>{_flags(w)}</td><td style='{td}'>"
                    f"{w & LINK_MASK}</td><td style='{td}'>{st.priority(port)}</td></tr>")
    if len(items) > max_rows:
        rows.append(f"<tr><td colspan='5' style='{td}'>... {len(items) - max_rows} more</td></tr>")
    if not items:
        rows.append(f"<tr><td colspan='5' style='{td};color:#888'>every event word is 0</td></tr>")
    return (f"<table class='evt-fifo-words' style='border-collapse:collapse;{_MONO};"
            f"font-size:12px'>" + "".join(rows) + "</table>")


def _action_label(frame: Frame) -> str:
    if not frame.line:
        return "before the script"
    a = frame.action
    text = (f"handler of port {a[1]}: {format_action(a[2:])}" if a[0] == "on"
            else format_action(a))
    return f"line {frame.line} of {frame.lines}: {text}"


def frame_html(frame: Frame) -> str:
    """One frame: the script line, the queues, the event words, what was delivered."""
    delivered = " ".join(map(str, frame.delivered)) or "-"
    head = (f"<div class='evt-fifo-action' style='margin-bottom:4px'><b>{_E(_action_label(frame))}"
            f"</b> &nbsp;<span style='color:#555'>delivered so far: {_E(delivered)}</span></div>")
    return (f"<div class='evt-fifo-frame' style='{_MONO};font-size:12px'>{head}"
            f"<div style='display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap'>"
            f"<div>{queues_html(frame, highlight=frame.port)}</div>"
            f"<div>{words_html(frame.state, highlight=frame.port)}</div></div></div>")


def frames_table_html(frames: Sequence[Frame]) -> str:
    """Every frame as one table row: step, script line, op, port, why, queues after."""
    th = "padding:1px 6px;text-align:left;border-bottom:1px solid #999"
    td = "padding:1px 6px;vertical-align:top;text-align:left"
    rows = [f"<tr><th style='{th}'>step</th><th style='{th}'>line</th><th style='{th}'>op</th>"
            f"<th style='{th}'>port</th><th style='{th}'>why</th><th style='{th}'>queues after</th>"
            f"<th style='{th}'>delivered</th></tr>"]
    for f in frames:
        st = _state(f)
        rows.append(
            f"<tr><td style='{td}'>{f.index}</td><td style='{td}'>{f.line or ''}</td>"
            f"<td style='{td};white-space:nowrap'>{_E(f.op)}</td>"
            f"<td style='{td}'>{'' if f.port is None else f.port}"
            f"</td><td style='{td};font-family:inherit'>{_E(f.why)}</td>"
            f"<td style='{td};white-space:nowrap'>{_E(queue_text(st))}</td>"
            f"<td style='{td}'>{_E(' '.join(map(str, f.delivered)))}</td></tr>")
    return ("<table class='evt-fifo-steps' style='border-collapse:collapse;font-size:12px'>"
            + "".join(rows) + "</table>")


def presets_table_html(presets: dict | None = None) -> str:
    """Each preset: its name, its script and the delivery order of each upcall."""
    presets = PRESETS if presets is None else presets
    th = "padding:1px 8px;text-align:left;border-bottom:1px solid #999"
    td = "padding:2px 8px;vertical-align:top;text-align:left"
    rows = [f"<tr><th style='{th}'>scenario</th><th style='{th}'>script</th>"
            f"<th style='{th}'>delivered by each upcall</th><th style='{th}'>steps</th></tr>"]
    for name, script in presets.items():
        run = run_script(script)
        ups = "; ".join(" ".join(map(str, u)) or "(none)" for u in run.upcalls) or "-"
        text = "; ".join(format_action(a) for a in run.script)
        rows.append(f"<tr><td style='{td}'>{_E(name)}</td><td style='{td};{_MONO}'>{_E(text)}"
                    f"</td><td style='{td};{_MONO}'>{_E(ups)}</td>"
                    f"<td style='{td}'>{len(run.frames) - 1}</td></tr>")
    return ("<table class='evt-fifo-presets' style='border-collapse:collapse;font-size:12px'>"
            + "".join(rows) + "</table>")


# --------------------------------------------------------------------------
# Plain text


def trace_text(frames: Sequence[Frame], width: int = WIDTH) -> str:
    """A step trace for a mailing list: one wrapped line per frame, <= ``width`` columns."""
    out = []
    indent = " " * 24
    for f in frames:
        port = "" if f.port is None else str(f.port)
        head = f"{f.index:>3} {f.op:<11} {port:>6}  "
        # keep "HEAD[7] = 5" and "LINK := 3" on one line
        why = f.why.replace(" = ", "\0=\0").replace(" := ", "\0:=\0")
        text = textwrap.fill(why, width=width, initial_indent=head,
                             subsequent_indent=indent, break_on_hyphens=False)
        out.append(text.replace("\0", " "))
    return "\n".join(out)


# --------------------------------------------------------------------------
# matplotlib


@dataclass(frozen=True)
class WordDrawing:
    """What :func:`plot_event_word` drew: ``cells`` left to right as
    ``(bit, value, x)``, ``labels`` as ``(field name, hi, lo)``."""

    word: int
    cells: tuple[tuple[int, int, float], ...]
    labels: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class QueueDrawing:
    """What :func:`plot_queues` drew.

    ``boxes``: ``(priority, port, x, y, ghost)``; ``arrows``: ``(priority,
    from_port, to_port)`` for each LINK drawn; ``pointers``: ``(priority,
    name, port)`` with name HEAD, tail or next; ``ready``: priorities drawn
    as READY.
    """

    vcpu: int
    queues: tuple[QueueView, ...]
    boxes: tuple[tuple[int, int, float, float, bool], ...]
    arrows: tuple[tuple[int, int, int], ...]
    pointers: tuple[tuple[int, str, int], ...]
    ready: tuple[int, ...]


def _figure(w: float, h: float):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(w, h), dpi=100)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.set_axis_off()
    return fig, ax


def plot_event_word(word: int, port: int | None = None, title: str | None = None):
    """Draw the 32 bits of ``word`` with their bit numbers and fields.

    Returns ``(figure, WordDrawing)``.
    """
    from matplotlib.patches import Rectangle
    word = _word(word)
    fig, ax = _figure(10, 1.9)
    cells = []
    for x, (bit, value, name) in enumerate(word_bits(word)):
        color = "#9cc3f0" if value else ("#f4f4f4" if name == "-" else "white")
        ax.add_patch(Rectangle((x, 0), 1, 1, facecolor=color, edgecolor="#333", lw=0.8))
        ax.text(x + 0.5, 0.5, str(value), ha="center", va="center", fontsize=10,
                fontweight="bold" if value else "normal")
        ax.text(x + 0.5, 1.25, str(bit), ha="center", va="center", fontsize=7, color="#555")
        cells.append((bit, value, float(x)))
    labels = []
    for f in WORD_FIELDS:
        x0, x1 = 31 - f.hi, 32 - f.lo
        ax.plot([x0 + 0.08, x1 - 0.08], [-0.25, -0.25], color="#356", lw=1.5)
        name = "unused" if f.name == "-" else f.name
        ax.text((x0 + x1) / 2, -0.62, name, ha="center", va="center", fontsize=10,
                color="#356", fontweight="bold")
        labels.append((f.name, f.hi, f.lo))
    d = decode_word(word)
    head = title or ((f"port {port}: " if port is not None else "") +
                     f"event word {word:#010x}  (P={d['P']} M={d['M']} L={d['L']} "
                     f"B={d['B']} LINK={d['LINK']})")
    ax.text(0, 1.75, head, ha="left", va="center", fontsize=10)
    ax.set_xlim(-0.2, 32.2)
    ax.set_ylim(-0.95, 2.05)
    return fig, WordDrawing(word, tuple(cells), tuple(labels))


def plot_queues(state, vcpu: int = 0, title: str | None = None):
    """Draw the non-empty queues of ``vcpu`` as linked lists.

    Solid boxes are linked events in consume order, arrows their LINKs;
    HEAD, tail (Xen-private) and next (Linux-private) point at boxes; a
    dashed box is a pointer to a port no longer on the queue (stale HEAD,
    consumed tail). Returns ``(figure, QueueDrawing)``.
    """
    from matplotlib.patches import FancyBboxPatch
    st = _state(state)
    views = queue_views(st, vcpu)
    ncols = max([len(qv.ports) + 2 for qv in views] + [4])
    rows = max(len(views), 1)
    fig, ax = _figure(1.6 + 1.25 * ncols, 0.6 + 1.1 * rows)
    boxes, arrows, pointers, ready = [], [], [], []
    for r, qv in enumerate(views):
        y = -1.3 * r
        label = f"q{qv.priority}" + ("  READY" if qv.ready else "")
        ax.text(-0.3, y + 0.3, label, ha="right", va="center", fontsize=10,
                fontweight="bold", color="#2a7" if qv.ready else "#333")
        if qv.ready:
            ready.append(qv.priority)
        pos: dict[int, float] = {}
        for i, p in enumerate(qv.ports):
            pos[p] = 1.6 * i
        extra = [p for p in dict.fromkeys((qv.head, qv.tail)) if p and p not in pos]
        base = 1.6 * len(qv.ports) + (0.6 if qv.ports else 0)
        ghosts = {p: base + 1.6 * i for i, p in enumerate(extra)}
        for p, x in list(pos.items()) + list(ghosts.items()):
            ghost = p in ghosts
            ax.add_patch(FancyBboxPatch((x, y), 1, 0.6, boxstyle="round,pad=0.02",
                                        facecolor="white" if ghost else "#dceaf8",
                                        edgecolor="#999" if ghost else "#356",
                                        linestyle="--" if ghost else "-", lw=1.2))
            ax.text(x + 0.5, y + 0.3, str(p), ha="center", va="center", fontsize=10,
                    color="#777" if ghost else "black")
            boxes.append((qv.priority, p, x, y, ghost))
        for a, b in qv.links:
            ax.annotate("", xy=(pos[b], y + 0.3), xytext=(pos[a] + 1, y + 0.3),
                        arrowprops=dict(arrowstyle="->", color="#356", lw=1.2))
            arrows.append((qv.priority, a, b))
        if qv.ports:
            last = pos[qv.ports[-1]] + 1
            ax.text(last + 0.25, y + 0.3, "0", ha="left", va="center", fontsize=9, color="#888")
        else:
            ax.text(0, y + 0.3, "(empty)" if not ghosts else "", ha="left", va="center",
                    fontsize=9, color="#888")
        names: dict[int, list[str]] = {}
        for name, p in (("HEAD", qv.head), ("next", qv.linux_next), ("tail", qv.tail)):
            if p:
                names.setdefault(p, []).append(name)
                pointers.append((qv.priority, name, p))
        for p, ns in names.items():
            x = pos.get(p, ghosts.get(p))
            text = " ".join(ns) if p in pos else " ".join(
                {"HEAD": "HEAD (stale)", "tail": "tail (consumed)"}.get(n, n) for n in ns)
            color = "#777" if p in ghosts else "#a33"
            ax.annotate(text, xy=(x + 0.5, y + 0.64), xytext=(x + 0.5, y + 0.98),
                        ha="center", va="bottom", fontsize=7.5, color=color,
                        arrowprops=dict(arrowstyle="->", color=color, lw=0.8))
    if not views:
        ax.text(0, 0.3, f"vCPU {vcpu}: all 16 queues empty", fontsize=10, color="#888")
    if title:
        ax.text(-1.6, 1.55, title, ha="left", va="center", fontsize=10)
    ax.set_xlim(-1.7, 1.6 * ncols + 0.2)
    ax.set_ylim(-1.3 * rows + 0.95, 1.75 if title else 1.35)
    return fig, QueueDrawing(vcpu, tuple(views), tuple(boxes), tuple(arrows),
                             tuple(pointers), tuple(ready))


# --------------------------------------------------------------------------
# Widgets


def fifo_stepper(frames: Sequence[Frame], title: str = "", css_class: str = ""):
    """A :class:`evtlib.widgets.Stepper` over ``frames`` drawn with :func:`frame_html`.

    ``css_class`` is added to its outer box (to tell two steppers apart in a page).
    """
    from .widgets import Stepper
    st = Stepper(frames, frame_html, title=title)
    if css_class:
        st.widget.add_class(css_class)
    return st


class FifoExplorer(WidgetView):
    """Pick a preset scenario or build a script with bounded controls, then step.

    Controls (CSS classes): ``evt-fifo-preset`` (Dropdown), ``evt-fifo-op``,
    ``evt-fifo-port``, ``evt-fifo-prio``, ``evt-fifo-target``, ``evt-fifo-add``,
    ``evt-fifo-undo``, ``evt-fifo-clear``, ``evt-fifo-script`` (the script as
    text), ``evt-fifo-msg``; the stepper of the current script sits inside
    ``evt-fifo-stepper-box``; the whole thing is ``evt-fifo-explorer``. Ports
    are bounded to 1..131071 and priorities to 0..15, so every script a
    reader can build is valid. Frames are computed once per script; steppers
    of recent scripts are kept, so switching back is instant.
    """

    CUSTOM = "(your script)"
    OPS = ("raise", "mask", "unmask", "clear", "priority", "upcall", "on ... raise")

    def __init__(self, presets: dict | None = None, preset: str | None = None,
                 max_script: int = MAX_SCRIPT, cache: int = 16) -> None:
        import ipywidgets as widgets

        self.presets = {k: check_script(v) for k, v in (presets or PRESETS).items()}
        if not self.presets:
            raise ValueError("FifoExplorer needs at least one preset")
        first = next(iter(self.presets))
        if preset is not None and preset not in self.presets:
            valid = ", ".join(repr(p) for p in self.presets)
            raise ValueError(f"unknown preset {preset!r}: valid presets are {valid}")
        self.max_script = max_script
        self._cache_size = cache
        self._steppers: dict[tuple, object] = {}
        self._quiet = False
        self.preset = widgets.Dropdown(options=list(self.presets) + [self.CUSTOM],
                                       value=preset or first, description="scenario",
                                       layout=widgets.Layout(width="360px"))
        self.op = widgets.Dropdown(options=self.OPS, value="raise", description="action",
                                   layout=widgets.Layout(width="210px"))
        self.port = widgets.BoundedIntText(value=5, min=1, max=MAX_PORT, description="port",
                                           layout=widgets.Layout(width="160px"))
        self.prio = widgets.BoundedIntText(value=0, min=0, max=QUEUES - 1,
                                           description="priority",
                                           layout=widgets.Layout(width="150px"))
        self.target = widgets.BoundedIntText(value=9, min=1, max=MAX_PORT,
                                             description="raises",
                                             layout=widgets.Layout(width="160px"))
        self.add_button = widgets.Button(description="add", layout=widgets.Layout(width="60px"))
        self.undo_button = widgets.Button(description="undo", layout=widgets.Layout(width="60px"))
        self.clear_button = widgets.Button(description="clear",
                                           layout=widgets.Layout(width="60px"))
        self.script_view = widgets.HTML()
        self.message = widgets.HTML()
        self.stepper_box = widgets.Box()
        for w, cls in ((self.preset, "evt-fifo-preset"), (self.op, "evt-fifo-op"),
                       (self.port, "evt-fifo-port"), (self.prio, "evt-fifo-prio"),
                       (self.target, "evt-fifo-target"), (self.add_button, "evt-fifo-add"),
                       (self.undo_button, "evt-fifo-undo"),
                       (self.clear_button, "evt-fifo-clear"),
                       (self.script_view, "evt-fifo-script"), (self.message, "evt-fifo-msg"),
                       (self.stepper_box, "evt-fifo-stepper-box")):
            w.add_class(cls)
        self.preset.observe(self._on_preset, names="value")
        self.op.observe(lambda _: self._enable(), names="value")
        self.add_button.on_click(lambda _: self.add(self.current_action()))
        self.undo_button.on_click(lambda _: self.undo())
        self.clear_button.on_click(lambda _: self.set_script(()))
        editor = widgets.HBox([self.op, self.port, self.prio, self.target, self.add_button,
                               self.undo_button, self.clear_button])
        self.widget = widgets.VBox([self.preset, self.script_view, editor, self.message,
                                    self.stepper_box])
        self.widget.add_class("evt-fifo-explorer")
        self.script: tuple[tuple, ...] = ()
        self._enable()
        self.set_script(self.presets[self.preset.value], from_preset=True)

    # ------------------------------------------------------------ actions
    def current_action(self) -> tuple:
        """The action the editor controls describe."""
        op = self.op.value
        if op == "upcall":
            return ("upcall",)
        if op == "priority":
            return ("priority", self.port.value, self.prio.value)
        if op.startswith("on"):
            return ("on", self.port.value, "raise", self.target.value)
        return (op, self.port.value)

    def add(self, action) -> None:
        """Append ``action`` to the script (ignored with a message when full)."""
        action = check_action(action)
        if len(self.script) >= self.max_script:
            self.message.value = _E(f"the script is full ({self.max_script} actions): "
                                    f"undo or clear first")
            return
        self.set_script(self.script + (action,))

    def undo(self) -> None:
        """Drop the last action of the script."""
        if self.script:
            self.set_script(self.script[:-1])

    def set_script(self, script, from_preset: bool = False) -> None:
        """Show ``script`` and a stepper over its frames (at step 0)."""
        script = check_script(script)[: self.max_script]
        self.script = script
        if not from_preset and self.preset.value != self.CUSTOM:
            self._quiet = True
            try:
                self.preset.value = self.CUSTOM
            finally:
                self._quiet = False
        lines = "\n".join(f"{i:>2}  {format_action(a)}" for i, a in enumerate(script, 1))
        self.script_view.value = (f"<pre style='margin:2px 0;font-size:12px'>"
                                  f"{_E(lines or '(empty script: add actions below)')}</pre>")
        self.stepper = self._stepper(script)
        self.stepper.reset()
        self.stepper_box.children = (self.stepper.widget,)
        n = len(self.stepper.frames) - 1
        self.message.value = _E(f"{len(script)} action(s), {n} step(s)")

    def choose(self, name: str) -> None:
        """Switch to preset ``name`` (as the dropdown does)."""
        if name not in self.presets:
            valid = ", ".join(repr(p) for p in self.presets)
            raise ValueError(f"unknown preset {name!r}: valid presets are {valid}")
        self.preset.value = name

    # ------------------------------------------------------------ plumbing
    def _stepper(self, script: tuple):
        st = self._steppers.pop(script, None)
        if st is None:
            st = fifo_stepper(run_script(script).frames)
        self._steppers[script] = st
        while len(self._steppers) > self._cache_size:
            self._steppers.pop(next(iter(self._steppers)))
        return st

    def _on_preset(self, change) -> None:
        if self._quiet or change["new"] == self.CUSTOM:
            return
        self.set_script(self.presets[change["new"]], from_preset=True)

    def _enable(self) -> None:
        op = self.op.value
        self.port.disabled = op == "upcall"
        self.prio.disabled = op != "priority"
        self.target.disabled = not op.startswith("on")

