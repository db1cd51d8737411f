"""HTML of a bitmap grid: :func:`render_html` draws one :class:`~.frames.GridView`.

Inline styles only (JupyterLab keeps ``style`` attributes when it
sanitizes, not ``<style>`` blocks); every text is escaped. This is what the
steppers show, one frame at a time.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from .frames import (CELL_COLOURS, CELL_LABELS, HOT_COLOUR, RESUME_COLOUR, ROW_HOT_COLOUR,
                     SEL_COLOURS, SEL_LABELS, GridView, grid_view)

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
