"""Frames and grids: the data every bitmap view draws (no drawing here).

:func:`frames_from_steps` turns the recorded :class:`~evtlib.abi.records.Step`
records of one upcall into :class:`Frame` records (the state before, one per
step, the state after); :func:`grid_view` turns a model, a snapshot or a
Frame into a :class:`GridView` (numpy arrays of cell codes plus the
highlighted cells), which :mod:`.html` and :mod:`.plot` draw.

Also the cell and selector codes, and the colour and label of each, shared
by the HTML and the matplotlib drawings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ...abi.bitmap import bit_list
from ...abi.records import Snapshot, Step

PENDING, MASKED, ELSEWHERE, RESERVED = 1, 2, 4, 8
SEL_SHARED, SEL_LOCAL = 1, 2

#: Colour of each bitmap cell code (hex, shared by HTML and matplotlib).
CELL_COLOURS = {
    0: "#e9e9e9",
    PENDING: "#e66100",
    MASKED: "#8fb0d8",
    PENDING | MASKED: "#5e3c99",
    ELSEWHERE: "#cfe8c6",
    ELSEWHERE | PENDING: "#1b7837",
    ELSEWHERE | MASKED: "#9fc4b9",
    ELSEWHERE | PENDING | MASKED: "#2d5f5d",
    RESERVED: "#555555",
}
CELL_LABELS = {
    0: "clear",
    PENDING: "pending",
    MASKED: "masked",
    PENDING | MASKED: "pending + masked",
    ELSEWHERE: "bound to another vCPU",
    ELSEWHERE | PENDING: "pending, other vCPU",
    ELSEWHERE | MASKED: "masked, other vCPU",
    ELSEWHERE | PENDING | MASKED: "pending + masked, other vCPU",
    RESERVED: "port 0 (reserved)",
}
SEL_COLOURS = {0: "#e9e9e9", SEL_SHARED: "#f1a340", SEL_LOCAL: "#b2abd2",
               SEL_SHARED | SEL_LOCAL: "#b35806"}
SEL_LABELS = {0: "selector bit clear", SEL_SHARED: "selector bit set (vcpu_info)",
              SEL_LOCAL: "in the guest's local copy (xchg)",
              SEL_SHARED | SEL_LOCAL: "set again, and in the local copy"}
HOT_COLOUR = "#000000"
ROW_HOT_COLOUR = "#ffd43b"
RESUME_COLOUR = "#009e73"

_SCHEMES = {"2l": 2, "3l": 3}


# ------------------------------------------------------------------ frames
@dataclass(frozen=True)
class Frame:
    """One moment of an upcall: the state and what the step looked at.

    ``word``/``bit`` locate what the step read or changed (flat word index;
    ``bit`` None when the step reads a whole word); ``selector`` says the
    step also reads that word's selector bits; ``local`` holds the words
    in the guest's local selector copy during a scan pass (None outside a
    pass); ``delivered`` the ports delivered so far; ``rows`` the words every
    frame of the same upcall draws, so the picture does not jump while
    stepping. ``kind`` is "start" (the state before the upcall), "step" (a
    recorded :class:`Step`) or "end" (the upcall has returned).
    """

    index: int
    step: Step | None
    why: str
    state: Snapshot
    vcpu: int
    scan: str
    word: int | None = None
    bit: int | None = None
    port: int | None = None
    selector: bool = False
    local: frozenset | None = None
    delivered: tuple[int, ...] = ()
    rows: tuple[int, ...] = ()
    kind: str = "step"

    @property
    def op(self) -> str:
        """The step's op; "start" / "end" for the frames before and after."""
        return self.step.op if self.step is not None else self.kind

    @property
    def where(self) -> tuple:
        """The step's ``where`` (empty for the start and end frames)."""
        return self.step.where if self.step is not None else ()


class Frames(tuple):
    """The frames of one upcall (a tuple) with the models around it.

    ``before`` is a model set up like ``model`` but never run (for
    ``before.dump()``); ``model`` is the model after the upcall;
    ``delivered`` the ports the upcall delivered, in order.
    """

    def __new__(cls, frames, before=None, model=None, delivered=()):
        self = super().__new__(cls, frames)
        self.before, self.model, self.delivered = before, model, list(delivered)
        return self


def _levels(state: Snapshot) -> int:
    if state.scheme not in _SCHEMES:
        raise ValueError(f"bitmap views draw 2-level or 3-level state, got scheme "
                         f"{state.scheme!r}; valid schemes are '2l', '3l'")
    return _SCHEMES[state.scheme]


def _flat_word(where: tuple, levels: int, W: int) -> int:
    """Flat bitmap word of a ``where``: (w, ...) for 2-level, (l1, l2, ...) for 3."""
    return where[0] if levels == 2 else where[0] * W + where[1]


def _split(port: int, W: int) -> tuple[int, int]:
    return port // W, port % W


def _resume_flat(pos: tuple, W: int) -> tuple[int, int]:
    """(word, bit) of a resume position spelled (w, b) or (l1, l2, b)."""
    return (pos[0], pos[1]) if len(pos) == 2 else (pos[0] * W + pos[1], pos[2])


def frames_from_steps(steps: Sequence[Step], before: Snapshot, *, vcpu: int = 0,
                      scan: str = "resume", first_why: str | None = None) -> tuple[Frame, ...]:
    """Frames for recorded ``steps`` of one upcall on ``vcpu``, after ``before``.

    Each frame shows the step's state and the scan's local selector copy,
    which the model records with the step (``Step.local``).
    """
    levels, W = _levels(before), before.word_bits
    if first_why is None:
        first_why = describe_state(before, vcpu)
        if scan == "from-zero":
            first_why += " (not used: a from-zero scan starts from the lowest word and bit)"
    raw = [dict(step=None, why=first_why, state=before, local=None, delivered=(),
                kind="start")]
    prev, delivered = before, []
    for st in steps:
        info = dict(step=st, why=st.why, state=st.state, kind="step")
        if st.op == "deliver":
            delivered.append(st.port)
        info["local"] = None if st.local is None else frozenset(st.local)
        info["delivered"] = tuple(delivered)
        raw.append(info)
        prev = st.state
    ran = any(st.op == "upcall" for st in steps)
    raw.append(dict(step=None, why=_end_why(prev, vcpu, delivered, ran), state=prev,
                    local=None, delivered=tuple(delivered), kind="end"))
    rows = _rows_of_interest([r["state"] for r in raw], vcpu,
                             extra=_touched_words(steps, levels, W),
                             local=[r["local"] for r in raw])
    frames = []
    for i, r in enumerate(raw):
        word, bit, port, sel = _locate(r["step"], levels, W)
        frames.append(Frame(i, r["step"], r["why"], r["state"], vcpu, scan, word, bit,
                            port, sel, r["local"], r["delivered"], rows, r["kind"]))
    return tuple(frames)


def _end_why(state: Snapshot, vcpu: int, delivered: list[int], ran: bool) -> str:
    if not ran:
        return f"there was no upcall on vCPU {vcpu}, so nothing is delivered"
    ports = ", ".join(map(str, delivered)) or "nothing"
    left = ", ".join(map(str, state.pending))
    return (f"upcall_pending stayed clear during the last pass, so the upcall returns; "
            f"it delivered {ports}" + (f" (still pending: {left})" if left else ""))


def _locate(step: Step | None, levels: int, W: int):
    """(word, bit, port, selector?) a step looks at; Nones when it has no place."""
    if step is None:
        return None, None, None, False
    if step.port is not None:
        w, b = _split(step.port, W)
        return w, b, step.port, step.op == "deliver"
    if step.op in ("word", "selector") and step.where:
        return _flat_word(step.where, levels, W), None, None, True
    if step.op == "resume" and step.where:          # the new resume position
        return _flat_word(step.where, levels, W), step.where[-1], None, False
    return None, None, None, False


def _touched_words(steps: Iterable[Step], levels: int, W: int) -> set[int]:
    out = set()
    for st in steps:
        w = _locate(st, levels, W)[0]
        if w is not None:
            out.add(w)
    return out


def _state_words(state: Snapshot, vcpu: int) -> set[int]:
    """Words with anything to draw: a PENDING/MASK bit, a port bound elsewhere,
    a selector bit of ``vcpu``, the resume position."""
    levels, W = _levels(state), state.word_bits
    out = {i for i, _p, _m in state.words}
    out |= {p // W for p in _elsewhere(state, vcpu)} if vcpu == 0 else set()
    d = state.vcpu(vcpu)
    if levels == 2:
        out |= set(bit_list(d["selector"]))
    else:
        out |= {hi * W + lo for hi, x in d["l2"] for lo in bit_list(x)}
    out.add(_resume_flat(d["resume"], W)[0])
    return out


def _rows_of_interest(states, vcpu, extra=(), local=()) -> tuple[int, ...]:
    rows = set(extra)
    for st in states:
        rows |= _state_words(st, vcpu)
    for loc in local:
        rows |= set(loc or ())
    return tuple(sorted(rows)) or (0,)


# ------------------------------------------------------------ grid views
@dataclass(frozen=True)
class GridView:
    """What one drawing shows: cell codes of some bitmap words, and highlights.

    ``codes[r, b]`` is the code of bit ``b`` of word ``rows[r]``; ``sel[r, k]``
    the code of selector level ``k`` for that word (2-level: one column, the
    ``evtchn_pending_sel`` bit; 3-level: L1 bit, then L2 bit). ``hot_row`` and
    ``hot_bit`` index into ``rows`` and bits; ``resume_cell`` is (row, bit) of
    the resume position when its word is drawn.
    """

    scheme: str
    levels: int
    word_bits: int
    vcpu: int
    rows: tuple[int, ...]
    codes: np.ndarray
    sel: np.ndarray
    hot_row: int | None
    hot_bit: int | None
    hot_sel: bool
    resume: tuple
    resume_cell: tuple[int, int] | None
    upcall_pending: bool
    delivered: tuple[int, ...]
    focus: str
    title: str
    pending: tuple[int, ...] = ()
    masked: tuple[int, ...] = ()

    def row_label(self, r: int) -> str:
        w = self.rows[r]
        if self.levels == 2:
            return f"w{w}"
        return f"w{w} ({w // self.word_bits},{w % self.word_bits})"

    def port(self, r: int, b: int) -> int:
        return self.rows[r] * self.word_bits + b

    @property
    def hot_port(self) -> int | None:
        if self.hot_row is None or self.hot_bit is None:
            return None
        return self.port(self.hot_row, self.hot_bit)


def _elsewhere(state: Snapshot, vcpu: int) -> list[int]:
    """Ports whose Linux CPU is not ``vcpu`` (for vcpu 0: those in settings)."""
    return [p for kind, p, c in state.settings if kind == "cpu" and c != vcpu]


def cell_codes(state: Snapshot, vcpu: int = 0, rows: Sequence[int] | None = None) -> np.ndarray:
    """Codes of the bits of words ``rows`` (default: every word), shape (rows, W)."""
    levels, W = _levels(state), state.word_bits
    nwords = W ** (levels - 1)
    rows = range(nwords) if rows is None else rows
    index = {w: r for r, w in enumerate(rows)}
    codes = np.zeros((len(index), W), dtype=np.uint8)
    for w, p, m in state.words:
        r = index.get(w)
        if r is not None:
            codes[r] |= _bits(p, W) * PENDING | _bits(m, W) * MASKED
    if vcpu == 0:
        others = _elsewhere(state, vcpu)
    else:  # every port not bound to vcpu: default CPU 0 unless settings say so
        mine = {p for kind, p, c in state.settings if kind == "cpu" and c == vcpu}
        others = [w * W + b for w in index for b in range(W) if w * W + b not in mine]
    for port in others:
        r = index.get(port // W)
        if r is not None:
            codes[r, port % W] |= ELSEWHERE
    if 0 in index:
        codes[index[0], 0] = RESERVED
    return codes


def _bits(x: int, W: int) -> np.ndarray:
    return np.array([(x >> b) & 1 for b in range(W)], dtype=np.uint8)


def selector_codes(state: Snapshot, vcpu: int = 0, rows: Sequence[int] | None = None,
                   local: Iterable[int] | None = None) -> np.ndarray:
    """Selector codes per word, shape (rows, levels - 1): shared bit | local copy.

    For 3-level, column 0 is the L1 bit of the word's L2 word and column 1
    the L2 bit; a word is in the local copy when the scan still has to visit
    it, so both its L1 and L2 columns show it.
    """
    levels, W = _levels(state), state.word_bits
    rows = range(W ** (levels - 1)) if rows is None else rows
    d = state.vcpu(vcpu)
    local = set(local or ())
    out = np.zeros((len(rows), levels - 1), dtype=np.uint8)
    if levels == 2:
        sel = d["selector"]
        for r, w in enumerate(rows):
            out[r, 0] = (sel >> w & 1) * SEL_SHARED | (w in local) * SEL_LOCAL
    else:
        l1, l2 = d["selector"], dict(d["l2"])
        local_hi = {w // W for w in local}
        for r, w in enumerate(rows):
            hi, lo = divmod(w, W)
            out[r, 0] = (l1 >> hi & 1) * SEL_SHARED | (hi in local_hi) * SEL_LOCAL
            out[r, 1] = (l2.get(hi, 0) >> lo & 1) * SEL_SHARED | (w in local) * SEL_LOCAL
    return out


def grid_view(source, *, vcpu: int | None = None, rows="auto") -> GridView:
    """The :class:`GridView` of a model, a Snapshot or a :class:`Frame`.

    ``rows``: "auto" (the frame's rows, or the words in use for a state),
    "all" (every word; only where there are at most 64) or a list of words.
    """
    frame = source if isinstance(source, Frame) else None
    if frame is not None:
        state, vcpu = frame.state, frame.vcpu
    else:
        state = source.snapshot() if hasattr(source, "snapshot") else source
        if not isinstance(state, Snapshot):
            raise TypeError(f"grid_view draws a model, Snapshot or Frame, got {source!r}")
        vcpu = 0 if vcpu is None else vcpu
    levels, W = _levels(state), state.word_bits
    nwords = W ** (levels - 1)
    if not 0 <= vcpu < state.vcpus:
        raise ValueError(f"vCPU {vcpu} is out of range: valid vCPUs are 0..{state.vcpus - 1}")
    if isinstance(rows, str):
        if rows == "all":
            if nwords > 64:
                raise ValueError(f"rows='all' would draw {nwords} words; valid: 'auto' "
                                 f"or a list of at most 64 words")
            rows = tuple(range(nwords))
        elif rows == "auto":
            rows = frame.rows if frame is not None else _rows_of_interest([state], vcpu)
        else:
            raise ValueError(f"rows must be 'auto', 'all' or a list of words, got {rows!r}")
    rows = tuple(sorted({int(w) for w in rows}))
    if not rows or rows[0] < 0 or rows[-1] >= nwords:
        raise ValueError(f"rows must be word indices in 0..{nwords - 1}, got {rows!r}")
    index = {w: r for r, w in enumerate(rows)}
    d = state.vcpu(vcpu)
    rw, rb = _resume_flat(d["resume"], W)
    hot_row = hot_bit = None
    hot_sel, focus, delivered = False, "", ()
    if frame is not None:
        delivered = frame.delivered
        if frame.word is not None and frame.word in index:
            hot_row, hot_bit, hot_sel = index[frame.word], frame.bit, frame.selector
        focus = _focus(frame, levels, W)
    name = "2-level" if levels == 2 else "3-level (reconstruction)"
    return GridView(
        scheme=state.scheme, levels=levels, word_bits=W, vcpu=vcpu, rows=rows,
        codes=cell_codes(state, vcpu, rows),
        sel=selector_codes(state, vcpu, rows, frame.local if frame is not None else None),
        hot_row=hot_row, hot_bit=hot_bit, hot_sel=hot_sel, resume=d["resume"],
        resume_cell=(index[rw], rb) if rw in index else None,
        upcall_pending=bool(state.upcall_pending[vcpu]), delivered=tuple(delivered),
        focus=focus, title=f"{name} W={W}, vCPU {vcpu}",
        pending=tuple(state.pending), masked=tuple(state.masked))


def _where_text(port_or_word: int, levels: int, W: int, bit: int | None = None) -> str:
    if bit is None:
        w = port_or_word
        return f"word {w}" if levels == 2 else f"word {w} = (l1 {w // W}, l2 {w % W})"
    w, b = port_or_word, bit
    return (f"word {w}, bit {b}" if levels == 2
            else f"word {w} = (l1 {w // W}, l2 {w % W}), bit {b}")


def _focus(frame: Frame, levels: int, W: int) -> str:
    """A short label of what the step looks at (shown above the grid)."""
    op = frame.op
    if frame.port is not None:
        verb = {"merge": "raise (merged: already pending)", "hypercall": "unmask by hypercall:",
                "bind": "bind"}.get(op, op)
        return f"{verb} port {frame.port} ({_where_text(frame.word, levels, W, frame.bit)})"
    if op == "word":
        return f"reading {_where_text(frame.word, levels, W)}"
    if op == "resume":
        return f"the next scan starts at {_where_text(frame.word, levels, W, frame.bit)}"
    if op == "selector" and frame.word is not None:
        return f"selector bit set for {_where_text(frame.word, levels, W)}"
    if op == "selector":
        words = sorted(frame.local or ())
        return "selector taken: words " + (", ".join(map(str, words)) or "none")
    return {"start": "before the upcall", "end": "the upcall has returned",
            "wrap": "wrap to word 0", "upcall": "Xen enters the upcall handler",
            "flag-clear": "upcall_pending cleared", "upcall-flag": "upcall_pending set",
            "again": "one more pass"}.get(op, op)


def describe_state(state: Snapshot, vcpu: int = 0) -> str:
    """One sentence on a state before an upcall (the first frame's text)."""
    d = state.vcpu(vcpu)
    pend = ", ".join(map(str, state.pending)) or "none"
    masked = ", ".join(map(str, state.masked))
    flag = "set" if state.upcall_pending[vcpu] else "clear"
    return (f"before the upcall: pending ports {pend}"
            + (f"; masked {masked}" if masked else "")
            + f"; vCPU {vcpu}'s upcall_pending is {flag} and its resume "
              f"position is {d['resume']}")


def key_frames(frames: Sequence[Frame], ops: Sequence[str] = ("deliver",)) -> list[Frame]:
    """The frames whose step is one of ``ops`` (e.g. every delivery)."""
    return [f for f in frames if f.op in ops]
