"""Views of 2-level and 3-level state, and of one upcall step by step.

One drawing serves both schemes. A view is a grid: one row per bitmap word
(W bits each: the shared PENDING and MASK bits, coloured together), and to
the left of each row the selector bits that lead to that word: one column
for 2-level (bit ``w`` of ``evtchn_pending_sel`` names word ``w``), two for
3-level (the L1 bit, then the L2 bit). Apart from the row labels, the
number of selector columns is the only thing that depends on the level.

Data first, drawings second. :func:`grid_view` turns a model, a snapshot or a
:class:`Frame` into a :class:`GridView` (numpy arrays of cell codes plus the
highlighted cells); :func:`render_html` and :func:`plot_grid` only draw a
GridView, so tests check the arrays, not pixels.

Scenarios come from a reader's choices: :func:`build_model` sets up a model
(pending, masked, bound to vCPU 1, resume position), :func:`upcall_frames`
runs one upcall with scripted handlers and returns its frames (the state
before, one frame per recorded :class:`~evtlib.records.Step`, the state
after). The frames are computed once; :func:`upcall_stepper` and
:class:`UpcallExplorer` only show them (the Stepper caches each frame's
HTML), so stepping is instant. :func:`trace_text` and the models' ``dump()``
give the same thing as plain text of at most 72 columns.

Cell codes (bit flags): ``PENDING`` 1, ``MASKED`` 2, ``ELSEWHERE`` 4 (the
port's Linux CPU is not the viewed vCPU), ``RESERVED`` 8 (port 0). Selector
codes: ``SEL_SHARED`` 1 (set in ``vcpu_info``), ``SEL_LOCAL`` 2 (in the
guest's private copy taken by the xchg and not yet scanned).
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .bitmap import bit_list
from .records import Snapshot, Step
from .widgets import WidgetView

PENDING, MASKED, ELSEWHERE, RESERVED = 1, 2, 4, 8
SEL_SHARED, SEL_LOCAL = 1, 2
WIDTH = 72

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


# ------------------------------------------------------------- scenarios
def _ports(values) -> tuple[int, ...]:
    if isinstance(values, (int, np.integer)):
        values = (values,)
    return tuple(values)


def build_model(scheme: str = "2l", pending=(), masked=(), resume=None, *,
                word_bits: int = 64, scan: str = "resume", elsewhere=()):
    """A fresh model in a chosen state, as Xen and Linux would have made it.

    ``elsewhere`` ports are bound to vCPU 1 (Xen and Linux, as
    ``xen_rebind_evtchn_to_cpu`` does; the model then has 2 vCPUs). Masked
    ports are masked before anything is raised, so a port both pending and
    masked is pending only (no selector bit). ``resume`` is vCPU 0's resume
    position: (word, bit), or (l1, l2, bit) for 3-level. Bad values raise
    the model's ValueError, which names the value and the valid range.
    """
    from .schemes import make_scheme
    if scheme not in _SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}: valid schemes are '2l', '3l'")
    pending, masked, elsewhere = (_ports(pending), _ports(masked),
                                  _ports(elsewhere))
    s = make_scheme(scheme, word_bits=word_bits, scan=scan, vcpus=2 if elsewhere else 1)
    for p in elsewhere:
        s.bind(p, 1)
    for p in masked:
        s.mask(p)
    for p in pending:
        s.set_pending(p)
    if resume is not None:
        s.set_resume_position(0, tuple(resume))
    return s


def scripted_handler(model, reraise=(), masks: Mapping[int, Iterable[int]] | Iterable = ()):
    """A handler for ``model.upcall``: on the first delivery of a port in
    ``reraise`` Xen raises it again; on the first delivery of port ``a`` it
    masks every port of ``masks[a]`` (``masks``: a mapping or (a, b) pairs)."""
    reraise = set(_ports(reraise))
    pairs = masks.items() if isinstance(masks, Mapping) else masks
    table: dict[int, list[int]] = {}
    for a, bs in pairs:
        table.setdefault(a, []).extend(_ports(bs))
    seen: set[int] = set()

    def handler(port: int) -> None:
        if port in seen:
            return
        seen.add(port)
        for b in table.get(port, ()):
            model.mask(b)
        if port in reraise:
            model.set_pending(port)

    return handler


def upcall_frames(scheme: str = "2l", pending=(), masked=(), resume=None, reraise=(), *,
                  masks=(), word_bits: int = 64, scan: str = "resume",
                  elsewhere=()) -> Frames:
    """Set up a state (see :func:`build_model`), run one upcall on vCPU 0 and
    return its frames: the state before, one frame per recorded step, and
    the state after. ``frames.model.counters`` count the upcall only (with
    the raises its handlers make).

    Handlers are scripted (see :func:`scripted_handler`): ``reraise`` ports
    raise themselves again on their first delivery, ``masks`` maps a port to
    ports its handler masks on its first delivery.
    """
    before = build_model(scheme, pending, masked, resume, word_bits=word_bits, scan=scan,
                         elsewhere=elsewhere)
    s = build_model(scheme, pending, masked, resume, word_bits=word_bits, scan=scan,
                    elsewhere=elsewhere)
    start = s.snapshot()
    s.reset_counters()
    s.record()
    delivered = s.upcall(0, scripted_handler(s, reraise, masks))
    frames = frames_from_steps(s.steps, start, vcpu=0, scan=scan)
    return Frames(frames, before=before, model=s, delivered=delivered)


_PORT_TOKEN = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_ports(text: str, max_ports: int, what: str = "ports") -> tuple[int, ...]:
    """Ports typed by a reader: "3 10 70", "3, 10, 70" or ranges "60-66".

    Returns them sorted without repeats; raises ValueError with a message for
    the reader (naming the bad value and the valid range) otherwise.
    """
    out: set[int] = set()
    for tok in (t for t in re.split(r"[\s,;]+", text.strip()) if t):
        m = _PORT_TOKEN.match(tok)
        if not m:
            raise ValueError(f"{what}: {tok!r} is not a port number; write ports "
                             f"like '3 10 70' or a range '60-66'")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if hi < lo:
            raise ValueError(f"{what}: range {tok!r} goes down; write it as {hi}-{lo}")
        for p in (lo, hi):
            if p == 0:
                raise ValueError(f"{what}: port 0 is reserved (Xen never allocates it); "
                                 f"valid ports are 1..{max_ports - 1}")
            if p >= max_ports:
                raise ValueError(f"{what}: port {p} is out of range; valid ports are "
                                 f"1..{max_ports - 1}")
        if hi - lo >= 4096:
            raise ValueError(f"{what}: range {tok!r} is too long (at most 4096 ports)")
        out.update(range(lo, hi + 1))
    return tuple(sorted(out))


def parse_pairs(text: str, max_ports: int, what: str = "masks") -> tuple[tuple[int, int], ...]:
    """Pairs "a:b c:d" (the handler of a masks b) typed by a reader."""
    out = []
    for tok in (t for t in re.split(r"[\s,;]+", text.strip()) if t):
        parts = tok.split(":")
        if len(parts) != 2:
            raise ValueError(f"{what}: {tok!r} is not a pair; write 'a:b' (the handler "
                             f"of port a masks port b), e.g. '5:9'")
        a, b = (parse_ports(x, max_ports, what) for x in parts)
        if len(a) != 1 or len(b) != 1:
            raise ValueError(f"{what}: {tok!r} must name one port on each side of ':'")
        out.append((a[0], b[0]))
    return tuple(out)


# ------------------------------------------------------------------ HTML
_CELL = 10   # px, a bit cell (14 px when W = 32)
_GAP = 1


def _style(**kw) -> str:
    return ";".join(f"{k.replace('_', '-')}:{v}" for k, v in kw.items())


def _cell_title(view: GridView, r: int, b: int) -> str:
    port = view.port(r, b)
    code = int(view.codes[r, b])
    text = f"port {port}: {CELL_LABELS[code]}"
    if view.resume_cell == (r, b):
        text += "; resume position"
    return text


def render_html(source, *, rows="auto", legend: bool = True) -> str:
    """Compact HTML of a :class:`GridView` (or anything :func:`grid_view` takes).

    Inline styles only (JupyterLab keeps ``style`` attributes when it
    sanitizes, not ``<style>`` blocks); runs of undrawn words become one
    "words a-b: nothing set" line; every text is escaped.
    """
    view = source if isinstance(source, GridView) else grid_view(source, rows=rows)
    W, nsel = view.word_bits, view.levels - 1
    size = _CELL if W > 32 else _CELL + 4
    cols = f"max-content {' '.join(['16px'] * nsel)} 4px repeat({W},{size}px)"
    grid = _style(display="grid", grid_template_columns=cols, grid_auto_rows=f"{size}px",
                  gap=f"{_GAP}px", align_items="stretch", margin="4px 0",
                  font=f"9px/{size}px monospace")
    out = ["<div class='evt-bitmap' style='font:11px/1.35 sans-serif;color:#222'>",
           _caption(view), f"<div class='evt-grid' style='{grid}'>"]
    # header: level names, then bit ticks every 8 bits
    heads = ["sel"] if nsel == 1 else ["L1", "L2"]
    out.append("<span style='padding-right:4px'>word</span>"
               + "".join(f"<span>{h}</span>" for h in heads)
               + "<span></span>")
    for b in range(0, W, 8):
        out.append(f"<span style='grid-column:span 8'>{b}</span>")
    prev = None
    for r, w in enumerate(view.rows):
        if prev is not None and w > prev + 1:
            gap = f"words {prev + 1}-{w - 1}" if w > prev + 2 else f"word {prev + 1}"
            out.append(f"<span style='grid-column:1/-1;color:#777;padding-left:2px'>"
                       f"&#8942; {gap}: nothing set</span>")
        prev = w
        out.append(_html_row(view, r, size))
    last = W ** (view.levels - 1) - 1
    if prev is not None and prev < last:
        gap = f"words {prev + 1}-{last}" if last > prev + 1 else f"word {last}"
        out.append(f"<span style='grid-column:1/-1;color:#777;padding-left:2px'>"
                   f"&#8942; {gap}: nothing set</span>")
    out.append("</div>")
    if legend:
        out.append(_legend_html(view))
    out.append("</div>")
    return "".join(out)


def _caption(view: GridView) -> str:
    flag = int(view.upcall_pending)
    done = " ".join(map(str, view.delivered)) or "none yet"
    parts = [f"<b>{html.escape(view.title)}</b>",
             f"upcall_pending={flag}", f"resume {html.escape(str(view.resume))}"]
    ports = [f"pending: {_short_list(view.pending)}", f"masked: {_short_list(view.masked)}"]
    focus = (f"<div class='evt-focus' style='font-weight:bold;color:#7a3b00'>"
             f"{html.escape(view.focus)}</div>" if view.focus else "")
    return ("<div>" + " &middot; ".join(parts) + "</div><div>"
            + " &middot; ".join(html.escape(p) for p in ports)
            + f" &middot; delivered: <span class='evt-delivered'>{html.escape(done)}</span>"
            + "</div>" + focus)


def _short_list(ports: Sequence[int], limit: int = 16) -> str:
    if not ports:
        return "none"
    more = f" (+{len(ports) - limit} more)" if len(ports) > limit else ""
    return " ".join(map(str, ports[:limit])) + more


def _html_row(view: GridView, r: int, size: int) -> str:
    hot = view.hot_row == r
    lab = html.escape(view.row_label(r))
    lo = view.rows[r] * view.word_bits
    lab_style = _style(padding="0 3px", white_space="nowrap",
                       **({"background": ROW_HOT_COLOUR, "font_weight": "bold"} if hot else {}))
    cells = [f"<span style='{lab_style}' title='ports {lo}-{lo + view.word_bits - 1}'>{lab}</span>"]
    for k in range(view.levels - 1):
        code = int(view.sel[r, k])
        st = {"background": SEL_COLOURS[code]}
        if hot and view.hot_sel:
            st.update(outline=f"2px solid {HOT_COLOUR}", outline_offset="-1px",
                      position="relative", z_index="1")
        name = "selector" if view.levels == 2 else ("L1" if k == 0 else "L2")
        cells.append(f"<span style='{_style(**st)}' "
                     f"title='{name} bit: {html.escape(SEL_LABELS[code])}'></span>")
    cells.append("<span></span>")
    W = view.word_bits
    plain = [not view.codes[r, b] and view.resume_cell != (r, b)
             and not (hot and view.hot_bit == b) for b in range(W)]
    b = 0
    while b < W:
        run = b
        while run < W and plain[run]:
            run += 1
        if run - b >= 2:    # a run of clear cells: one span drawn as cells
            cells.append(f"<span style='grid-column:span {run - b};background:"
                         f"repeating-linear-gradient(90deg,{CELL_COLOURS[0]} 0 {size}px,"
                         f"transparent {size}px {size + _GAP}px)'></span>")
            b = run
            continue
        code = int(view.codes[r, b])
        st = {"background": CELL_COLOURS[code]}
        title = ""
        if not plain[b]:
            title = f" title='{html.escape(_cell_title(view, r, b))}'"
        if view.resume_cell == (r, b):
            st["box_shadow"] = f"inset 3px 0 0 {RESUME_COLOUR}"
        if hot and view.hot_bit == b:
            st.update(outline=f"2px solid {HOT_COLOUR}", outline_offset="0",
                      position="relative", z_index="1")
            cls = " class='evt-hot'"
        else:
            cls = ""
        cells.append(f"<span{cls} style='{_style(**st)}'{title}></span>")
        b += 1
    return "".join(cells)


def _swatch(colour: str, label: str, extra: str = "") -> str:
    box = _style(display="inline-block", width="9px", height="9px", background=colour,
                 vertical_align="middle", margin="0 3px 0 8px") + extra
    return f"<span style='{box}'></span>{html.escape(label)}"


def _legend_html(view: GridView) -> str:
    codes = sorted({int(c) for c in np.unique(view.codes)} - {0})
    items = [_swatch(CELL_COLOURS[c], CELL_LABELS[c]) for c in codes]
    sels = sorted({int(c) for c in np.unique(view.sel)} - {0})
    items += [_swatch(SEL_COLOURS[c], SEL_LABELS[c]) for c in sels]
    items.append(_swatch(CELL_COLOURS[0], "resume position",
                         f";box-shadow:inset 3px 0 0 {RESUME_COLOUR}"))
    if view.hot_row is not None:
        items.append(_swatch(ROW_HOT_COLOUR, "word being read"))
    return f"<div style='font-size:10px;color:#333'>{''.join(items)}</div>"


# ------------------------------------------------------------ matplotlib
def _rgb(hexcol: str) -> tuple[float, float, float]:
    return tuple(int(hexcol[i:i + 2], 16) / 255 for i in (1, 3, 5))


def _layout_rows(rows: Sequence[int]) -> list[int | None]:
    """Row positions with a None separator wherever words are skipped."""
    out: list[int | None] = []
    for r, w in enumerate(rows):
        if r and w > rows[r - 1] + 1:
            out.append(None)
        out.append(r)
    return out


def draw_grid(ax, view: GridView, *, annotate: int = 12, title: str | None = None) -> None:
    """Draw ``view`` on matplotlib axes ``ax`` (same layout as the HTML).

    Up to ``annotate`` non-clear cells get their port number written beside
    them.
    """
    from matplotlib.patches import Rectangle

    W, nsel = view.word_bits, view.levels - 1
    layout = _layout_rows(view.rows)
    x0 = nsel + 1                       # selector columns, then one blank column
    img = np.ones((len(layout), x0 + W, 3))
    for y, r in enumerate(layout):
        if r is None:
            continue
        for k in range(nsel):
            img[y, k] = _rgb(SEL_COLOURS[int(view.sel[r, k])])
        for b in range(W):
            img[y, x0 + b] = _rgb(CELL_COLOURS[int(view.codes[r, b])])
    ax.imshow(img, interpolation="nearest", aspect="equal")
    ax.set_xticks([k for k in range(nsel)] + [x0 + b for b in range(0, W, 8)])
    ax.set_xticklabels((["sel"] if nsel == 1 else ["L1", "L2"])
                       + [str(b) for b in range(0, W, 8)], fontsize=7)
    ax.xaxis.tick_top()
    for tick in ax.xaxis.get_major_ticks()[:nsel]:
        tick.label2.set_fontsize(6)
        tick.label2.set_rotation(90 if nsel > 1 else 0)
    step = 1 if len(view.rows) <= 24 else 8
    ticks, labels = [], []
    for y, r in enumerate(layout):
        if r is None:
            a, b = view.rows[layout[y - 1]] + 1, view.rows[layout[y + 1]] - 1
            ax.text(x0, y, (f"words {a}-{b}" if b > a else f"word {a}") + ": nothing set",
                    fontsize=5.5, color="#666", va="center")
        elif step == 1 or view.rows[r] % step == 0 or r == view.hot_row or view.codes[r].any():
            ticks.append(y)
            labels.append(view.row_label(r))
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=6 if len(view.rows) > 24 else 7)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    # thin white grid lines between cells
    ax.set_xticks(np.arange(-0.5, x0 + W, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(layout), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.4)
    ax.tick_params(which="minor", length=0)
    ypos = {r: y for y, r in enumerate(layout) if r is not None}
    if view.resume_cell is not None:
        r, b = view.resume_cell
        ax.add_patch(Rectangle((x0 + b - 0.5, ypos[r] - 0.5), 0.28, 1,
                               color=RESUME_COLOUR, linewidth=0, zorder=5))
    if view.hot_row is not None:
        y = ypos[view.hot_row]
        ax.add_patch(Rectangle((x0 - 0.5, y - 0.5), W, 1, fill=False,
                               edgecolor=ROW_HOT_COLOUR, linewidth=2))
        if view.hot_sel:
            ax.add_patch(Rectangle((-0.5, y - 0.5), nsel, 1, fill=False,
                                   edgecolor=HOT_COLOUR, linewidth=1.5))
        if view.hot_bit is not None:
            ax.add_patch(Rectangle((x0 + view.hot_bit - 0.5, y - 0.5), 1, 1, fill=False,
                                   edgecolor=HOT_COLOUR, linewidth=1.8))
    marked = [(r, b) for r in range(len(view.rows)) for b in range(W)
              if view.codes[r, b] and view.codes[r, b] != RESERVED]
    if len(marked) <= annotate:
        for r, b in marked:
            ax.annotate(str(view.port(r, b)), (x0 + b + 0.5, ypos[r]), xytext=(1, 0),
                        textcoords="offset points", ha="left", va="center", fontsize=5.5,
                        bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
    ax.set_title(view.focus if title is None else title, fontsize=8, loc="left")


def _legend_handles(views: Sequence[GridView]):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    codes = sorted(set().union(*({int(c) for c in np.unique(v.codes)} for v in views)) - {0})
    sels = sorted(set().union(*({int(c) for c in np.unique(v.sel)} for v in views)) - {0})
    handles = [Patch(color=CELL_COLOURS[c], label=CELL_LABELS[c]) for c in codes]
    handles += [Patch(color=SEL_COLOURS[c], label=SEL_LABELS[c]) for c in sels]
    handles.append(Line2D([], [], color=RESUME_COLOUR, lw=3, label="resume position"))
    if any(v.hot_row is not None for v in views):
        handles.append(Patch(fill=False, edgecolor=ROW_HOT_COLOUR, lw=2, label="word being read"))
    return handles


def plot_grids(sources: Sequence, *, rows="auto", titles: Sequence[str] | None = None,
               ncols: int | None = None, cell: float = 0.09):
    """Several grids side by side with one legend. Returns (figure, views).

    ``sources`` are models, Snapshots, Frames or GridViews (see :func:`grid_view`).
    """
    from matplotlib.figure import Figure

    views = [s if isinstance(s, GridView) else grid_view(s, rows=rows) for s in sources]
    if not views:
        raise ValueError("plot_grids needs at least one model, snapshot or frame")
    n = len(views)
    ncols = min(n, ncols or (1 if max(v.word_bits for v in views) > 32 else 2))
    nrows = -(-n // ncols)
    wmax = max(v.word_bits + v.levels for v in views)
    hmax = max(len(_layout_rows(v.rows)) for v in views)
    width = max(ncols * (wmax * cell + 1.0), 4.5)
    handles = _legend_handles(views)
    lcols = max(1, min(4, len(handles), int(width // 2.1)))
    legend_rows = -(-len(handles) // lcols)
    height = nrows * (hmax * cell + 0.6) + 0.25 * legend_rows + 0.3
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            draw_grid(ax, views[i], title=None if titles is None else titles[i])
        else:
            ax.set_visible(False)
    fig.legend(handles=handles, loc="outside lower center", ncols=lcols,
               fontsize=7, frameon=False)
    return fig, views


def plot_grid(source, *, rows="auto", title: str | None = None, cell: float = 0.1):
    """One grid (see :func:`plot_grids`). Returns (figure, view)."""
    fig, views = plot_grids([source], rows=rows, titles=None if title is None else [title],
                            cell=cell)
    return fig, views[0]


def key_frames(frames: Sequence[Frame], ops: Sequence[str] = ("deliver",)) -> list[Frame]:
    """The frames whose step is one of ``ops`` (e.g. every delivery)."""
    return [f for f in frames if f.op in ops]


def plot_walk(frames: Sequence[Frame], ops: Sequence[str] = ("deliver",),
              ncols: int | None = None):
    """Small multiples of an upcall: the first frame, then every ``ops`` step.

    Each panel is titled "step k: ..." with the step's focus. Returns
    (figure, views) like :func:`plot_grids`.
    """
    chosen = [frames[0]] + key_frames(frames, ops)
    titles = [f"step {f.index}: {_focus(f, _levels(f.state), f.state.word_bits)}"
              for f in chosen]
    return plot_grids(chosen, titles=titles, ncols=ncols)


# ------------------------------------------------------------ plain text
def _where_short(frame) -> str:
    where = frame.where
    return "(" + ",".join(map(str, where)) + ")" if where else ""


def trace_text(frames: Sequence, ops: Sequence[str] | None = None,
               width: int = WIDTH) -> str:
    """Frames (or recorded Steps) as plain text, every line at most ``width`` columns.

    One block per step: a head line (number, op, port, place), then the
    step's sentence wrapped under it. ``ops`` keeps only those steps (and
    the start and end frames).
    """
    lines = []
    for f in frames:
        if ops is not None and f.op not in ops and f.op not in ("start", "end"):
            continue
        port = "" if f.port is None else f"port {f.port}"
        lines.append(f"{f.index:>3} {f.op:<11} {port:<11} {_where_short(f)}".rstrip())
        lines += textwrap.wrap(f.why, width=width, initial_indent=" " * 6,
                               subsequent_indent=" " * 6, break_on_hyphens=False)
    return "\n".join(lines)


def delivery_table(runs: Mapping[str, Sequence[int]], width: int = WIDTH) -> str:
    """Delivery orders side by side: one line per run, ``name: 10 70 3 10``."""
    pad = max(len(k) for k in runs) if runs else 0
    out = []
    for name, ports in runs.items():
        out.append(textwrap.fill(" ".join(map(str, ports)) or "-", width=width,
                                 initial_indent=f"{name:<{pad}} : ",
                                 subsequent_indent=" " * (pad + 3)))
    return "\n".join(out)


# ---------------------------------------------------------------- widgets
def upcall_stepper(frames: Sequence[Frame], title: str = "", css_class: str | None = None):
    """A :class:`evtlib.widgets.Stepper` over ``frames``, drawn with :func:`render_html`."""
    from .widgets import Stepper
    st = Stepper(frames, render_html, title=title)
    if css_class:
        st.widget.add_class(css_class)
    return st


class UpcallExplorer(WidgetView):
    """Controls to set up a 2-level or 3-level state, and a stepper over one upcall.

    Every control offers only valid values: the word size is a toggle (32/64),
    the scan policy a dropdown, the resume position one bounded slider per
    part ((word, bit) or (l1, l2, bit), each 0..W-1); port lists are typed
    and checked, and a bad entry shows its message in the widget (the last
    good run stays on screen). Each change recomputes the frames once and
    replaces the stepper. ``css_class`` is added to the whole widget so that
    tests can tell two explorers apart.
    """

    #: Most pending ports a reader may set (the frames are computed at once).
    MAX_PENDING = 256

    def __init__(self, scheme: str = "2l", *, word_bits: int = 64, scan: str = "resume",
                 pending=(3, 10, 70), masked=(), reraise=(), masks=(), elsewhere=(),
                 resume=None, css_class: str = "evt-explorer") -> None:
        import ipywidgets as widgets

        if scheme not in _SCHEMES:
            raise ValueError(f"unknown scheme {scheme!r}: valid schemes are '2l', '3l'")
        self.scheme, self.levels = scheme, _SCHEMES[scheme]
        if resume is None:
            resume = (0,) * self.levels
        lay = widgets.Layout
        self.word_bits = widgets.ToggleButtons(options=[32, 64], value=word_bits,
                                               description="W (bits)",
                                               style={"button_width": "44px",
                                                      "description_width": "initial"})
        self.scan = widgets.Dropdown(options=["resume", "from-zero"], value=scan,
                                     description="scan", layout=lay(width="190px"))
        text = dict(continuous_update=False, layout=lay(width="330px"),
                    style={"description_width": "120px"})
        self.pending = widgets.Text(" ".join(map(str, pending)), description="pending ports",
                                    placeholder="e.g. 3 10 70", **text)
        self.masked = widgets.Text(" ".join(map(str, masked)), description="masked ports",
                                   placeholder="e.g. 70", **text)
        self.reraise = widgets.Text(" ".join(map(str, reraise)), description="re-raised once",
                                    placeholder="handler raises its port again", **text)
        self.masks = widgets.Text(" ".join(f"{a}:{b}" for a, b in masks),
                                  description="handler masks", placeholder="a:b, e.g. 5:9",
                                  **text)
        self.elsewhere = widgets.Text(" ".join(map(str, elsewhere)),
                                      description="bound to vCPU 1", placeholder="e.g. 5",
                                      **text)
        names = ("word", "bit") if self.levels == 2 else ("l1", "l2", "bit")
        self.resume = [widgets.IntSlider(value=v, min=0, max=word_bits - 1,
                                         description=f"resume {n}", continuous_update=False,
                                         style={"description_width": "80px"},
                                         layout=lay(width="300px"))
                       for n, v in zip(names, resume)]
        self.message = widgets.HTML()
        self.box = widgets.VBox()
        for w, cls in ((self.word_bits, "evt-wordbits"), (self.scan, "evt-scan"),
                       (self.pending, "evt-pending"), (self.masked, "evt-masked"),
                       (self.reraise, "evt-reraise"), (self.masks, "evt-masks"),
                       (self.elsewhere, "evt-elsewhere"), (self.message, "evt-message")):
            w.add_class(cls)
        for w, n in zip(self.resume, names):
            w.add_class(f"evt-resume-{n}")
        controls = widgets.VBox([
            widgets.HBox([self.word_bits, self.scan]),
            widgets.HBox([widgets.VBox([self.pending, self.masked, self.elsewhere]),
                          widgets.VBox([self.reraise, self.masks])]),
            widgets.HBox(self.resume)])
        self.widget = widgets.VBox([controls, self.message, self.box])
        self.widget.add_class("evt-explorer")
        if css_class != "evt-explorer":
            self.widget.add_class(css_class)
        self.frames: Frames | None = None
        self.stepper = None
        self._busy = False
        for w in [self.word_bits, self.scan, self.pending, self.masked, self.reraise,
                  self.masks, self.elsewhere, *self.resume]:
            w.observe(self._changed, names="value")
        self.update()

    def _changed(self, change) -> None:
        if self._busy:
            return
        if change["owner"] is self.word_bits:
            self._busy = True
            try:
                for s in self.resume:   # keep the position valid for the new W
                    s.max = self.word_bits.value - 1
            finally:
                self._busy = False
        self.update()

    def choices(self) -> dict:
        """The current choices as :func:`upcall_frames` arguments (ValueError if bad)."""
        W = self.word_bits.value
        max_ports = W ** self.levels
        pending = parse_ports(self.pending.value, max_ports, "pending ports")
        if len(pending) > self.MAX_PENDING:
            raise ValueError(f"pending ports: {len(pending)} ports; at most "
                             f"{self.MAX_PENDING}, so that every step stays instant")
        reraise = parse_ports(self.reraise.value, max_ports, "re-raised ports")
        stray = sorted(set(reraise) - set(pending))
        if stray:
            raise ValueError(f"re-raised ports: {' '.join(map(str, stray))} not pending, "
                             f"so never delivered; re-raise only pending ports")
        return dict(scheme=self.scheme, pending=pending,
                    masked=parse_ports(self.masked.value, max_ports, "masked ports"),
                    reraise=reraise,
                    masks=parse_pairs(self.masks.value, max_ports, "handler masks"),
                    elsewhere=parse_ports(self.elsewhere.value, max_ports, "bound to vCPU 1"),
                    resume=tuple(s.value for s in self.resume), word_bits=W,
                    scan=self.scan.value)

    def update(self) -> None:
        """Recompute the frames from the controls and show a fresh stepper."""
        try:
            args = self.choices()
            frames = upcall_frames(**args)
        except ValueError as exc:
            self.message.value = (f"<span class='evt-error' style='color:#b00020'>"
                                  f"{html.escape(str(exc))}</span>")
            return
        self.frames = frames
        order = " ".join(map(str, frames.delivered)) or "nothing"
        self.message.value = (f"<span class='evt-result'>delivered in order: {order} "
                              f"({len(frames) - 1} steps)</span>")
        if self.stepper is None:
            self.stepper = upcall_stepper(frames)
            self.box.children = (self.stepper.widget,)
        else:
            self.stepper.set_frames(frames)

