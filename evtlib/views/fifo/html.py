"""HTML renderings of the FIFO views: the event word, the queues, the frames.

All HTML is escaped and uses inline styles only, so it survives static export.
"""

from __future__ import annotations

import html
from typing import Sequence

from ...abi.core import check_int
from ...abi.fifoword import LINK_MASK
from .frames import (WORD_FIELDS, Frame, QueueView, _flags, _State, _state, _word, decode_word,
                     queue_text, queue_views, word_bits)
from .script import PRESETS, format_action, run_script

__all__ = [
    "event_word_html", "queues_html", "words_html", "frame_html", "frames_table_html",
    "presets_table_html",
]

_E = html.escape
_MONO = "font-family:ui-monospace,Menlo,Consolas,monospace"
_BOX = ("display:inline-block;min-width:2.6em;padding:1px 4px;text-align:center;"
        "border:1.5px solid #356;border-radius:3px;background:#eef4fb")
_GHOST = ("display:inline-block;min-width:2.6em;padding:1px 4px;text-align:center;"
          "border:1.5px dashed #999;border-radius:3px;color:#777")
_HIGH = ";background:#ffe9a8"
_TAG = "font-size:10px;color:#555;line-height:1.1;white-space:nowrap"
#: Colour of Linux's local copy of READY (a dark shade of the bitmap views' local colour).
LOCAL_COLOUR = "#5e3c99"
_LOCAL_TIP = ("Linux's local copy of READY: the scan took READY with one xchg and "
              "works from this copy; Xen's new READY bits wait in the shared word")


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
            f"q{qv.priority}</span>{ready}{_local_tag(qv)} {body}</div>")



def _local_tag(qv: QueueView) -> str:
    """This queue's bit in Linux's local READY copy (nothing outside a scan)."""
    if qv.local_ready is None:
        return ""
    if qv.local_ready:
        return (f" <span class='evt-fifo-local' title='{_E(_LOCAL_TIP)}' style='border:1.5px "
                f"solid {LOCAL_COLOUR};color:{LOCAL_COLOUR};border-radius:3px;padding:0 2px;"
                f"font-size:10px'>local</span>")
    return (f" <span class='evt-fifo-local' title='{_E(_LOCAL_TIP)}' style='color:#bbb;"
            f"font-size:10px'>local=0</span>")


def queues_html(state, vcpu: int | None = None, highlight: int | None = None) -> str:
    """Each non-empty queue as boxes and arrows, with HEAD, READY, tail and next.

    ``vcpu=None`` draws every vCPU. Dashed boxes are pointers to ports that
    are no longer on the queue: a stale HEAD, a consumed tail. During a scan
    (a :class:`Frame` taken while the upcall runs), Linux's local copy of
    READY is shown beside the shared word, and each queue says its bit in it.
    """
    st = _state(state)
    vs = range(len(st.vcpus)) if vcpu is None else [check_int(vcpu, "vCPU", 0, len(st.vcpus) - 1)]
    out = []
    for v in vs:
        d = st.vcpus[v]
        rows = [_queue_row(qv, st, highlight) for qv in queue_views(st, v)]
        head = (f"vCPU {v}: upcall_pending={int(st.snap.upcall_pending[v])} "
                f"READY={d['ready']:#06x}")
        local = st.local_ready if v == 0 else None
        if local is not None:
            copy = _E(f"Linux's local copy: READY={local:#06x}")
            head = (f"{_E(head)} &middot; <span class='evt-fifo-local-word' "
                    f"style='color:{LOCAL_COLOUR}' title='{_E(_LOCAL_TIP)}'>{copy}</span>")
        else:
            head = _E(head)
        body = "".join(rows) or "<div style='color:#888'>all 16 queues empty</div>"
        out.append(f"<div style='margin-bottom:4px'><div style='color:#333'>{head}</div>"
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


def _script_html(script) -> str:
    """``script`` (checked actions) as numbered lines, as :class:`~evtlib.views.fifo.widgets.FifoExplorer` shows it."""
    lines = "\n".join(f"{i:>2}  {format_action(a)}" for i, a in enumerate(script, 1))
    return (f"<pre style='margin:2px 0;font-size:12px'>"
            f"{_E(lines or '(empty script: add actions below)')}</pre>")


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
