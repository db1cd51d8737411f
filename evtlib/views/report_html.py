"""The studies as HTML tables (for notebooks and the static site)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..studies.review import HORIZON, LATE_PORT, Review
from ..studies.starvation import TIMER_PORT, TOP_PORT, Starvation
from .reports import _mem, _num


def _table_html(head: Sequence[str], rows: Sequence[Sequence[str]], css: str,
                caption: str = "") -> str:
    th = "".join(f"<th style='text-align:right;padding:2px 8px'>{html.escape(h)}</th>"
                 for h in head)
    body = []
    for row in rows:
        first = f"<td style='text-align:left;padding:2px 8px;white-space:nowrap'>{row[0]}</td>"
        cells = [first]
        cells += [f"<td style='text-align:right;padding:2px 8px'>{c}</td>" for c in row[1:]]
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption style='caption-side:bottom;text-align:left'>{caption}</caption>" \
        if caption else ""
    return (f"<table class='{css}' style='border-collapse:collapse;"
            f"font-family:monospace;line-height:1.4'>"
            f"{cap}<thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def starvation_html(st: Starvation) -> str:
    rows = [[html.escape(label), str(st.top[i]), str(st.timer[i]),
             str(st.busy_worst[i]), str(st.flood[i])]
            for i, label in enumerate(st.labels)]
    cap = (f"worst waits in ticks; flood {st.flood_rate:g}/tick, {st.busy} busy "
           f"ports, seed {st.seed}; a wait can exceed the {st.ticks}-tick run "
           f"(the guest drains what is left after the last raise)")
    return _table_html(["policy", f"top port {TOP_PORT}", f"timer {TIMER_PORT}",
                        "worst busy port", "flood deliveries"], rows,
                       "evt-starve-table", cap)


def review_html(review: Review) -> str:
    """The review table as HTML (best value of each column in bold)."""
    cols = [("p50", "p50", min, "d"), ("p99", "p99", min, "d"), ("max", "max", min, "d"),
            ("timer_max", "timer max", min, "d"), ("late_max", f"port {LATE_PORT} max", min, "d"),
            ("starved", "starved", min, "d"), ("fairness", "fairness", max, ".2f"),
            ("rw_per_event", "r/w per event", min, ".1f"),
            ("atomics_per_event", "atomics per event", min, ".1f"),
            ("shared_bytes", "memory (max)", min, "mem")]

    def show(v, fmt):
        return _mem(v) if fmt == "mem" else _num(v, fmt)

    best = {}
    for name, _, pick, fmt in cols:
        vals = [v for v in review.column(name).values() if v is not None]
        # compare what is shown: two values that print alike are both best
        best[name] = show(pick(vals), fmt) if vals else None
    rows = []
    for r in review.rows:
        cells = [html.escape(r.label)]
        for name, _, _, fmt in cols:
            text = show(getattr(r, name), fmt)
            cells.append(f"<b>{text}</b>" if text == best[name] else text)
        rows.append(cells)
    cap = html.escape(
        f"seed {review.seed}, {review.guests} guests, noisy guest {review.noisy_rate:g}"
        f"/tick, {review.ticks} ticks, {review.word_bits}-bit; waits in ticks; "
        f"starved = waited > {HORIZON} ticks; bold = best in the column")
    return _table_html(["policy"] + [c[1] for c in cols], rows, "evt-review-table", cap)
