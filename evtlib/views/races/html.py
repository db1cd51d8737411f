"""HTML of a race counterexample: swim lanes, FIFO queues, bitmap bits.

:func:`lanes_html` is the swim-lane table with the current step marked and
the steps still to come faded; :func:`race_queues_html` draws each FIFO
queue as the memory has it (boxes in the style of
:func:`evtlib.views.fifo.queues_html`), :func:`bits_html` the 2-/3-level
PENDING, MASK and selector bits; :func:`race_frame_html` puts them side
by side for one step, with the 32 bits of each event word the step changed
(:func:`evtlib.views.fifo.event_word_html`). All HTML is escaped and uses
inline styles only, so it survives static export.
"""

from __future__ import annotations

import html

from ..fifo import event_word_html
from .frames import RaceFrame, RaceQueue, bits_of, orphans_of, queues_of, word_of

__all__ = ["lanes_html", "race_queues_html", "bits_html", "race_frame_html",
           "XEN_COLOUR", "GUEST_COLOUR", "BREAK_COLOUR"]

_E = html.escape
_MONO = "font-family:ui-monospace,Menlo,Consolas,monospace"
#: Fill colours shared with the swim-lane figure: Xen's code, the guest's,
#: the step that breaks an invariant.
XEN_COLOUR = "#dceaf8"
GUEST_COLOUR = "#e2f1de"
BREAK_COLOUR = "#ffc9c9"
_BOX = ("display:inline-block;min-width:2.4em;padding:1px 4px;text-align:center;"
        "border:1.5px solid #356;border-radius:3px;background:#eef4fb")
_GHOST = ("display:inline-block;min-width:2.4em;padding:1px 4px;text-align:center;"
          "border:1.5px dashed #999;border-radius:3px;color:#777")
_BAD = ";border-color:#c00;background:#ffe3e3"
_TAG = "font-size:10px;color:#555;line-height:1.1;white-space:nowrap"


def _flags(entry) -> str:
    _, p, m, l_, b, _link = entry
    return "".join(c if on else "." for c, on in zip("PMLB", (p, m, l_, b)))


def lanes_html(frames, current: int) -> str:
    """The steps as swim lanes: one column per actor, one row per step.

    Row ``current`` is outlined; later rows are faded; the breaking step
    is filled red.
    """
    steps = frames[1:]
    actors = list(dict.fromkeys(f.actor for f in steps))
    th = "padding:1px 6px;text-align:left;border-bottom:1px solid #999"
    head = "".join(f"<th style='{th}'>{_E(a)}</th>" for a in actors)
    rows = [f"<tr><th style='{th}'>#</th>{head}</tr>"]
    for f in steps:
        fill = BREAK_COLOUR if f.breaks else (XEN_COLOUR if f.xen else GUEST_COLOUR)
        cells = []
        for a in actors:
            if a == f.actor:
                cells.append(f"<td style='padding:0 6px;background:{fill};"
                             f"white-space:nowrap'>{_E(f.op)}</td>")
            else:
                cells.append("<td></td>")
        style = "opacity:0.35" if f.index > current else ""
        cls = "evt-race-row"
        if f.index == current:
            style = "outline:2px solid #222"
            cls += " evt-race-current"
        rows.append(f"<tr class='{cls}' data-step='{f.index}' style='{style}'>"
                    f"<td style='padding:0 4px;color:#666;text-align:right'>{f.index}"
                    f"</td>{''.join(cells)}</tr>")
    return (f"<table class='evt-race-lanes' style='border-collapse:collapse;{_MONO};"
            f"font-size:11px'>" + "".join(rows) + "</table>")


def _node(port: int, entry, tags, ghost: bool, bad: bool) -> str:
    style = (_GHOST if ghost else _BOX) + (_BAD if bad else "")
    tag = _E(" ".join(tags)) or "&nbsp;"
    return (f"<span style='display:inline-block;vertical-align:bottom;margin-right:2px'>"
            f"<span style='display:block;{_TAG}'>{tag}</span>"
            f"<span style='{style}'>{port}<span style='display:block;font-size:9px;"
            f"color:#567'>{_flags(entry)}</span></span></span>")


def _queue_row(q: RaceQueue, words: dict) -> str:
    tags: dict = {}
    for name, port in (("HEAD", q.head), ("next", q.local_head), ("tail", q.tail)):
        if port:
            tags.setdefault(port, []).append(name)
    arrow = "<span style='padding:0 3px;color:#356'>&rarr;</span>"
    body = arrow.join(_node(p, words[p], tags.get(p, []), False, p in q.shared)
                      for p in q.chain)
    if q.end == "0" and q.chain:
        body += arrow + "<span style='color:#888'>0</span>"
    elif q.end == "loop":
        body += (arrow + f"<span style='color:#c00;font-weight:bold'>back to "
                 f"{q.end_port} (a loop)</span>")
    elif q.end == "unlinked":
        what = ("LINK to" if q.chain else "the guest's next" if q.local_head
                else "stale HEAD")
        body += ((arrow if q.chain else "")
                 + f"<span style='color:#a60'>{what} {q.end_port}: not LINKED</span>")
    else:
        body = "<span style='color:#888'>(empty)</span>"
    extra = [p for p in dict.fromkeys((q.tail,)) if p and p not in q.chain]
    if extra:
        body += ("<span style='padding:0 8px;color:#aaa'>&middot;</span>"
                 + " ".join(_node(p, words[p], ["tail (Xen)"], True, False) for p in extra))
    ready = ("<span style='background:#2a7;color:#fff;border-radius:3px;padding:0 3px;"
             "font-size:10px'>READY</span>") if q.ready else (
             "<span style='color:#bbb;font-size:10px;padding:0 3px'>ready=0</span>")
    lock = (f" <span style='color:#a33;font-size:10px'>locked by {_E(q.locked_by)}</span>"
            if q.locked_by else "")
    live = "" if q.live or not q.chain else (
        " <span style='color:#a60;font-size:10px'>(the guest will not look: "
        "READY clear)</span>")
    return (f"<div class='evt-race-queue' data-q='{_E(q.name)}' style='margin:3px 0'>"
            f"<span style='display:inline-block;width:3.2em;font-weight:bold'>"
            f"{_E(q.name)}</span>{ready}{lock} {body}{live}</div>")


def race_queues_html(state) -> str:
    """Each FIFO queue of ``state`` (a GuestState) with HEAD, READY, tail,
    the guest's local head (``next``) and the lock holder; ports reached by
    two queues are red; LINKED ports on no queue are listed below."""
    words = {w[0]: w for w in state["words"]}
    rows = "".join(_queue_row(q, words) for q in queues_of(state) if q.shown)
    rows = rows or "<div style='color:#888'>every queue empty</div>"
    ups = ", ".join(f"vCPU {v}: {u}" for v, u in enumerate(state["upcall"]))
    lost = orphans_of(state)
    tail = ""
    if lost:
        tail = ("<div style='color:#c00'>L set, but no queue reaches it: port(s) "
                + _E(", ".join(map(str, lost))) + "</div>")
    missing = state["missing"]
    if missing:
        tail += ("<div style='color:#a60'>no event-array page yet: port(s) "
                 + _E(", ".join(map(str, missing))) + "</div>")
    cells = " ".join(f"{w[0]}:{'????' if w[0] in missing else _flags(w)}"
                     + (f"&gt;{w[5]}" if w[5] else "") for w in state["words"])
    return (f"<div class='evt-race-queues' style='{_MONO};font-size:12px'>"
            f"<div style='color:#333'>upcall_pending {_E(ups)}</div>{rows}{tail}"
            f"<div class='evt-race-words' style='color:#333;margin-top:3px'>"
            f"words {cells}</div></div>")


def bits_html(state, ports: int = 0) -> str:
    """PENDING and MASK per port, selector (L1) and L2 bits, upcall flags."""
    b = bits_of(state, ports)
    cell = "padding:0 4px;text-align:center;border:1px solid #ccc;min-width:1.2em"
    on = ";background:#9cc3f0;font-weight:bold"

    def row(label, members, across):
        tds = "".join(f"<td style='{cell}{on if x in members else ''}'>"
                      f"{int(x in members)}</td>" for x in across)
        return f"<tr><th style='text-align:right;padding-right:6px'>{_E(label)}</th>{tds}</tr>"

    head = "".join(f"<td style='{cell};color:#666;font-size:10px'>{p}</td>" for p in b.ports)
    rows = [f"<tr><th style='text-align:right;padding-right:6px'>port</th>{head}</tr>",
            row("PENDING", b.pending, b.ports), row("MASK", b.mask, b.ports)]
    sel = []
    for v, bits in enumerate(b.selector):
        name = "L1" if b.levels == 3 else "selector"
        sel.append(f"vCPU {v} {name}: {','.join(map(str, bits)) or '-'}")
        if b.levels == 3:
            sel.append(f"vCPU {v} L2: " + "; ".join(
                f"[{i}] {','.join(map(str, w)) or '-'}" for i, w in enumerate(b.l2[v])))
        sel.append(f"vCPU {v} upcall_pending: {b.upcall[v]}")
    return (f"<div class='evt-race-bits' style='{_MONO};font-size:12px'>"
            f"<table style='border-collapse:collapse'>{''.join(rows)}</table>"
            + "".join(f"<div>{_E(s)}</div>" for s in sel) + "</div>")


def race_frame_html(frame: RaceFrame, frames, ports: int = 0) -> str:
    """One step: the lanes so far beside the state after it."""
    if frame.scheme == "fifo":
        state = race_queues_html(frame.state)
        words = {w[0]: w for w in frame.state["words"]}
        state += "".join(f"<div style='margin-top:6px'>"
                         f"{event_word_html(word_of(words[p]), p)}</div>"
                         for p in frame.changed)
    else:
        state = bits_html(frame.state, ports)
    flag = ""
    if frame.flags:
        flag = (f"<div class='evt-race-flag' style='color:#c00;font-weight:bold'>"
                f"{'breaks' if frame.breaks else 'still broken'}: "
                f"{_E(', '.join(frame.flags))}</div>")
    # ipywidgets' HTML widget sets a 28px line-height: tables would be twice as tall.
    return (f"<div class='evt-race-frame' style='display:flex;gap:18px;line-height:1.3;"
            f"align-items:flex-start;flex-wrap:wrap'>"
            f"<div>{lanes_html(frames, frame.index)}</div>"
            f"<div style='min-width:22em'>{flag}{state}</div></div>")
