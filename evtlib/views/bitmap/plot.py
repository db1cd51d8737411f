"""Matplotlib drawings of bitmap grids (same layout and colours as the HTML).

:func:`draw_grid` draws one :class:`~.frames.GridView` on given axes;
:func:`plot_grids` / :func:`plot_grid` make a figure of one or several grids
with one legend; :func:`plot_walk` shows an upcall as small multiples (the
first frame, then every delivery). matplotlib is imported only when a
figure is drawn.

Readable at the size a notebook shows it (100 dpi, no zoom): every text is
at least :data:`NOTE_PT` points and a bit cell at least :data:`MIN_CELL`
inches, so a 64x64 bitmap is drawn larger rather than with 5-pixel labels;
the 3-level selector columns are two cells wide so that their "L1"/"L2"
heads fit horizontally.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .frames import (CELL_COLOURS, CELL_LABELS, HOT_COLOUR, RESERVED, RESUME_COLOUR,
                     ROW_HOT_COLOUR, SEL_COLOURS, SEL_LABELS, Frame, GridView, _focus, _levels,
                     grid_view, key_frames)


#: Smallest bit cell, in inches (11 px at 100 dpi): one line of LABEL_PT text.
MIN_CELL = 0.11
#: Font sizes (points): tick and row labels, the small notes, panel titles.
LABEL_PT, NOTE_PT, TITLE_PT = 8, 7, 9


def _sel_width(view: GridView) -> int:
    """Cells per selector column: 2 for 3-level, so "L1" and "L2" fit side by side."""
    return 1 if view.levels == 2 else 2


def _x0(view: GridView) -> int:
    """Column of bit 0: the selector columns, then one blank column."""
    return (view.levels - 1) * _sel_width(view) + 1


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
    layout = _layout_rows(view.rows)
    x0 = _x0(view)
    ax.imshow(_grid_image(view, layout, x0), interpolation="nearest", aspect="equal")
    _draw_ticks(ax, view, layout, x0)
    ypos = {r: y for y, r in enumerate(layout) if r is not None}
    _draw_marks(ax, view, ypos, x0)
    _annotate_ports(ax, view, ypos, x0, annotate)
    ax.set_title(view.focus if title is None else title, fontsize=TITLE_PT, loc="left")


def _grid_image(view: GridView, layout: list[int | None], x0: int) -> np.ndarray:
    """RGB image of the grid: selector columns, a blank column, the W bits."""
    W, nsel, sw = view.word_bits, view.levels - 1, _sel_width(view)
    img = np.ones((len(layout), x0 + W, 3))
    for y, r in enumerate(layout):
        if r is None:
            continue
        for k in range(nsel):
            img[y, k * sw:(k + 1) * sw] = _rgb(SEL_COLOURS[int(view.sel[r, k])])
        for b in range(W):
            img[y, x0 + b] = _rgb(CELL_COLOURS[int(view.codes[r, b])])
    return img


def _draw_ticks(ax, view: GridView, layout: list[int | None], x0: int) -> None:
    """Column heads on top (horizontal), word labels on the left (a line for
    each skipped run of words), no spines, thin white lines between the cells."""
    W, nsel, sw = view.word_bits, view.levels - 1, _sel_width(view)
    heads = [k * sw + (sw - 1) / 2 for k in range(nsel)]
    ax.set_xticks(heads + [x0 + b for b in range(0, W, 8)])
    ax.set_xticklabels((["sel"] if nsel == 1 else ["L1", "L2"])
                       + [str(b) for b in range(0, W, 8)], fontsize=LABEL_PT)
    ax.xaxis.tick_top()
    step = 1 if len(view.rows) <= 24 else 8
    ticks, labels = [], []
    for y, r in enumerate(layout):
        if r is None:
            a, b = view.rows[layout[y - 1]] + 1, view.rows[layout[y + 1]] - 1
            ax.text(x0, y, (f"words {a}-{b}" if b > a else f"word {a}") + ": nothing set",
                    fontsize=NOTE_PT, color="#555", va="center")
        elif step == 1 or view.rows[r] % step == 0 or r == view.hot_row or view.codes[r].any():
            ticks.append(y)
            labels.append(view.row_label(r))
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=LABEL_PT)
    ax.tick_params(length=0, pad=2)
    for spine in ax.spines.values():
        spine.set_visible(False)
    # thin white lines between cells (not inside a two-cell selector column)
    edges = [k * sw - 0.5 for k in range(nsel + 1)] + list(np.arange(x0 - 0.5, x0 + W, 1))
    ax.set_xticks(edges, minor=True)
    ax.set_yticks(np.arange(-0.5, len(layout), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.5)
    ax.tick_params(which="minor", length=0)


def _draw_marks(ax, view: GridView, ypos: dict[int, int], x0: int) -> None:
    """The resume position, and the frame of the word, selector and bit being read."""
    from matplotlib.patches import Rectangle

    W, nsel = view.word_bits, view.levels - 1
    if view.resume_cell is not None:
        r, b = view.resume_cell
        ax.add_patch(Rectangle((x0 + b - 0.5, ypos[r] - 0.5), 0.28, 1,
                               color=RESUME_COLOUR, linewidth=0, zorder=5))
    if view.hot_row is not None:
        y = ypos[view.hot_row]
        ax.add_patch(Rectangle((x0 - 0.5, y - 0.5), W, 1, fill=False,
                               edgecolor=ROW_HOT_COLOUR, linewidth=2))
        if view.hot_sel:
            ax.add_patch(Rectangle((-0.5, y - 0.5), nsel * _sel_width(view), 1, fill=False,
                                   edgecolor=HOT_COLOUR, linewidth=1.5))
        if view.hot_bit is not None:
            ax.add_patch(Rectangle((x0 + view.hot_bit - 0.5, y - 0.5), 1, 1, fill=False,
                                   edgecolor=HOT_COLOUR, linewidth=1.8))


def _annotate_ports(ax, view: GridView, ypos: dict[int, int], x0: int, annotate: int) -> None:
    """Port numbers beside the non-clear cells, when there are at most ``annotate``."""
    marked = [(r, b) for r in range(len(view.rows)) for b in range(view.word_bits)
              if view.codes[r, b] and view.codes[r, b] != RESERVED]
    if len(marked) <= annotate:
        for r, b in marked:
            ax.annotate(str(view.port(r, b)), (x0 + b + 0.5, ypos[r]), xytext=(1, 0),
                        textcoords="offset points", ha="left", va="center", fontsize=NOTE_PT,
                        bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))


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
               ncols: int | None = None, cell: float = MIN_CELL):
    """Several grids side by side with one legend. Returns (figure, views).

    ``sources`` are models, Snapshots, Frames or GridViews (see :func:`grid_view`).
    ``cell`` is the side of a bit cell in inches, at least :data:`MIN_CELL`
    (a smaller value is raised to it, so that the labels stay readable).
    """
    from matplotlib.figure import Figure

    views = [s if isinstance(s, GridView) else grid_view(s, rows=rows) for s in sources]
    if not views:
        raise ValueError("plot_grids needs at least one model, snapshot or frame")
    n = len(views)
    cell = max(cell, MIN_CELL)
    ncols = min(n, ncols or (1 if max(v.word_bits for v in views) > 32 else 2))
    nrows = -(-n // ncols)
    wmax = max(v.word_bits + _x0(v) for v in views)
    hmax = max(len(_layout_rows(v.rows)) for v in views)
    width = max(ncols * (wmax * cell + 1.0), 4.5)
    handles = _legend_handles(views)
    lcols = max(1, min(4, len(handles), int(width // 2.3)))
    legend_rows = -(-len(handles) // lcols)
    height = nrows * (hmax * cell + 0.7) + 0.28 * legend_rows + 0.3
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            draw_grid(ax, views[i], title=None if titles is None else titles[i])
        else:
            ax.set_visible(False)
    fig.legend(handles=handles, loc="outside lower center", ncols=lcols,
               fontsize=LABEL_PT, frameon=False)
    return fig, views


def plot_grid(source, *, rows="auto", title: str | None = None, cell: float = MIN_CELL):
    """One grid (see :func:`plot_grids`; ``cell`` is at least :data:`MIN_CELL`).
    Returns (figure, view)."""
    fig, views = plot_grids([source], rows=rows, titles=None if title is None else [title],
                            cell=cell)
    return fig, views[0]


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
