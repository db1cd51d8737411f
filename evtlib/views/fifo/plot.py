"""matplotlib figures of the FIFO views; each returns the data it drew.

matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from .frames import WORD_FIELDS, QueueView, _state, _word, decode_word, queue_views, word_bits
from .html import LOCAL_COLOUR

__all__ = ["WordDrawing", "QueueDrawing", "plot_event_word", "plot_queues"]

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
    as READY (the shared word); ``local_ready``: priorities drawn as set in
    Linux's local copy of READY (during a scan only); ``words``: the line
    drawn above the queues, the shared READY and, during a scan, the local
    copy beside it.
    """

    vcpu: int
    queues: tuple[QueueView, ...]
    boxes: tuple[tuple[int, int, float, float, bool], ...]
    arrows: tuple[tuple[int, int, int], ...]
    pointers: tuple[tuple[int, str, int], ...]
    ready: tuple[int, ...]
    local_ready: tuple[int, ...] = ()
    words: str = ""


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


def _queue_boxes(ax, qv: QueueView, y: float, boxes: list) -> tuple[dict, dict]:
    """Draw the boxes of one queue; return the x of each linked port and of each ghost."""
    from matplotlib.patches import FancyBboxPatch
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
    return pos, ghosts


def _queue_links(ax, qv: QueueView, y: float, pos: dict, ghosts: dict, arrows: list) -> None:
    """Draw the LINK arrows of one queue and its end (``0``, or ``(empty)``)."""
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


def _queue_pointers(ax, qv: QueueView, y: float, pos: dict, ghosts: dict,
                    pointers: list) -> None:
    """Draw HEAD, next and tail of one queue above the boxes they point at."""
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


def _plot_queue(ax, qv: QueueView, y: float, boxes: list, arrows: list,
                pointers: list) -> None:
    """Draw one queue at height ``y``, appending what was drawn to the lists."""
    label = f"q{qv.priority}" + ("  READY" if qv.ready else "")
    local = qv.local_ready is not None
    ax.text(-0.3, y + (0.42 if local else 0.3), label, ha="right", va="center", fontsize=10,
            fontweight="bold", color="#2a7" if qv.ready else "#333")
    if local:       # this queue's bit in Linux's local copy of READY
        ax.text(-0.3, y + 0.08, "local READY" if qv.local_ready else "local=0", ha="right",
                va="center", fontsize=8.5, color=LOCAL_COLOUR if qv.local_ready else "#aaa",
                fontweight="bold" if qv.local_ready else "normal")
    pos, ghosts = _queue_boxes(ax, qv, y, boxes)
    _queue_links(ax, qv, y, pos, ghosts, arrows)
    _queue_pointers(ax, qv, y, pos, ghosts, pointers)


def plot_queues(state, vcpu: int = 0, title: str | None = None):
    """Draw the non-empty queues of ``vcpu`` as linked lists.

    Solid boxes are linked events in consume order, arrows their LINKs;
    HEAD, tail (Xen-private) and next (Linux-private) point at boxes; a
    dashed box is a pointer to a port no longer on the queue (stale HEAD,
    consumed tail). Above the queues: the shared READY word and, for a
    :class:`~evtlib.views.fifo.frames.Frame` taken during a scan, Linux's
    local copy of it beside it (each queue then says its bit in the copy).
    Returns ``(figure, QueueDrawing)``.
    """
    st = _state(state)
    views = queue_views(st, vcpu)
    ncols = max([len(qv.ports) + 2 for qv in views] + [4])
    rows = max(len(views), 1)
    fig, ax = _figure(1.6 + 1.25 * ncols, 0.95 + 1.1 * rows + (0.3 if title else 0))
    boxes: list = []
    arrows: list = []
    pointers: list = []
    for r, qv in enumerate(views):
        _plot_queue(ax, qv, -1.3 * r, boxes, arrows, pointers)
    ready = [qv.priority for qv in views if qv.ready]
    local = [qv.priority for qv in views if qv.local_ready]
    if not views:
        ax.text(0, 0.3, f"vCPU {vcpu}: all 16 queues empty", fontsize=10, color="#888")
    words = _ready_words(ax, st, vcpu)
    if title:
        ax.text(-1.6, 2.05, title, ha="left", va="center", fontsize=10)
    ax.set_xlim(-1.7, 1.6 * ncols + 0.2)
    ax.set_ylim(-1.3 * rows + 0.95, 2.3 if title else 1.85)
    return fig, QueueDrawing(vcpu, tuple(views), tuple(boxes), tuple(arrows),
                             tuple(pointers), tuple(ready), tuple(local), words)


def _ready_words(ax, st, vcpu: int) -> str:
    """The line above the queues: the shared READY word, and Linux's local copy
    of it while a scan runs. Returns the text drawn."""
    shared = f"vCPU {vcpu}: READY={st.vcpus[vcpu]['ready']:#06x}"
    local = st.local_ready if vcpu == 0 else None
    ax.text(-1.6, 1.6, shared, ha="left", va="center", fontsize=9.5, color="#333")
    if local is None:
        return shared
    copy = f"Linux's local copy: READY={local:#06x}"
    ax.annotate(copy, (1, 0.5), xycoords=ax.texts[-1], xytext=(14, 0),
                textcoords="offset points", ha="left", va="center", fontsize=9.5,
                color=LOCAL_COLOUR, fontweight="bold")
    return f"{shared}   {copy}"
