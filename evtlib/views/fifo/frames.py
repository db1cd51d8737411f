"""The data behind the FIFO views: the decoded event word, the queues, the frames.

:data:`WORD_FIELDS`, :func:`word_bits` and :func:`decode_word` decode the
32-bit event word; :func:`queue_view` and :func:`queue_views` rebuild each
per-priority queue as a linked list from a FIFO
:class:`~evtlib.abi.records.Snapshot`, a :class:`~evtlib.abi.fifo.Fifo` or a
:class:`Frame` (one picture of a scripted scenario). :func:`queue_text` and
:func:`trace_text` are the plain-text renderings (<= 72 columns).

The constants shared by the sibling modules (:data:`WIDTH`, :data:`MAX_PORT`)
live here, the lowest module of :mod:`evtlib.views.fifo`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Sequence

from ...abi.core import check_int
from ...abi.fifo import Fifo
from ...abi.fifoword import (BUSY, LINK_BITS, LINK_MASK, NR_CHANNELS, PRIORITY_DEFAULT, QUEUES,
                              L, M, P)
from ...abi.records import Snapshot, Step

__all__ = [
    "WORD_FIELDS", "Field", "field_of", "word_bits", "decode_word",
    "QueueView", "queue_view", "queue_views", "queue_text", "Frame", "trace_text",
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
    ``local_ready`` is this queue's bit in Linux's local copy of READY (the
    word its scan took with one xchg and works from; the shared READY bit is
    ``ready``), or None when no scan is running (a model or a snapshot alone
    does not hold the copy: pass the :class:`Frame`).
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
    local_ready: bool | None = None

    @property
    def empty(self) -> bool:
        return not self.ports

    @property
    def shown(self) -> bool:
        """Whether anything about this queue differs from a fresh, empty one."""
        return bool(self.ready or self.head or self.tail or self.linux_next or self.ports
                    or self.local_ready)


class _State:
    """Fast look-ups into a FIFO :class:`Snapshot`.

    ``cursors`` are ``(vcpu, priority, next)`` triples that override Linux's
    private next pointer: while a handler runs, Linux holds the next port in
    a local variable and stores it only after the handler returns (as
    ``consume_one_event`` does), so the snapshot alone would lose the rest of
    the queue. :func:`run_script` records them in each :class:`Frame`, with
    ``local_ready``, Linux's local copy of vCPU 0's READY during a scan (None
    outside one).
    """

    def __init__(self, snap: Snapshot, cursors=(), local_ready: int | None = None) -> None:
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
        self.local_ready = local_ready
        for v, q, nxt in cursors:
            lh = list(self.vcpus[v]["linux_head"])
            lh[q] = nxt
            self.vcpus[v]["linux_head"] = tuple(lh)

    def word(self, port: int) -> int:
        return self.words.get(port, 0)

    def priority(self, port: int) -> int:
        return self.prio.get(port, PRIORITY_DEFAULT)

    def chain_start(self, v: int, q: int) -> int:
        """The first linked event of queue ``q`` of ``v`` that no other one links
        to (0 if none): where the queue really starts when neither HEAD nor
        Linux's private head leads to it.

        That happens inside a handler: Linux keeps the next event in a local
        variable until the handler returns, while HEAD and its private head
        still name the event it dequeued.
        """
        mine = [p for p, w in self.words.items()
                if w & L and self.lastq.get(p, (0, 0)) == (v, q)]
        targets = {self.words[p] & LINK_MASK for p in mine}
        starts = sorted(p for p in mine if p not in targets)
        return starts[0] if starts else 0


def _state(state) -> _State:
    if isinstance(state, _State):
        return state
    if isinstance(state, Snapshot):
        return _State(state)
    if isinstance(state, Frame):
        return _State(state.state, state.cursors, state.local_ready)
    if isinstance(state, Fifo):
        return _State(state.snapshot())
    raise TypeError(f"expected a Fifo model, a FIFO Snapshot or a Frame, got {state!r}")


def _queue_view(st: _State, v: int, q: int) -> QueueView:
    d = st.vcpus[v]
    head, tail, lnext = d["head"][q], d["tail"][q], d["linux_head"][q]
    port = lnext or head
    if not (port and st.word(port) & L and st.lastq.get(port, (0, 0)) == (v, q)):
        # A half-consumed queue seen from inside a handler: start from the
        # linked event nothing links to.
        port = st.chain_start(v, q)
    ports: list[int] = []
    # The same walk as Fifo.queue: follow LINK while the word is linked here.
    while (port and st.word(port) & L and port not in ports
           and st.lastq.get(port, (0, 0)) == (v, q)):
        ports.append(port)
        port = st.word(port) & LINK_MASK
    links = tuple((a, st.word(a) & LINK_MASK) for a in ports if st.word(a) & LINK_MASK)
    local = st.local_ready if v == 0 else None     # scripts run vCPU 0's upcalls
    return QueueView(v, q, bool(d["ready"] >> q & 1), head, tail, lnext, tuple(ports),
                     links, head_live=bool(head and not lnext and ports and ports[0] == head),
                     tail_live=bool(tail and tail in ports),
                     local_ready=None if local is None else bool(local >> q & 1))


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
# Frames of a scripted scenario


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
    ``local_ready`` is Linux's local copy of vCPU 0's READY while its scan
    runs (the model records it as ``Step.local``), None outside a scan.
    ``op`` is ``"return"`` for the frame :func:`run_script` adds when an
    upcall that ran returns (like the bitmap views' end frame).
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
    local_ready: int | None = None

    def word(self, port: int) -> int:
        """The event word of ``port`` in this frame's state."""
        return dict(self.state.words).get(port, 0)


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
