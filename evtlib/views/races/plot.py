"""The swim-lane diagram of a counterexample (matplotlib).

One lane per actor, left to right in order of first appearance (the
guest's final drain, if any, last); time runs downward, one row per step,
each step a box labelled with its operation, filled by whose code it is
(Xen's or the guest's). The step that breaks an invariant is filled red and
labelled with the kind on the right; where the run ends in a cycle
(unbounded Xen work), a dashed line marks where the steps start to repeat.
:func:`plot_swimlanes` returns the figure and a :class:`SwimLanes` record
of what it drew. matplotlib is imported only when drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .frames import breaking_step, steps_of
from .html import BREAK_COLOUR, GUEST_COLOUR, XEN_COLOUR

__all__ = ["LaneStep", "SwimLanes", "plot_swimlanes"]

LANE_W = 1.9       # inches per lane
ROW_H = 0.25       # inches per step


@dataclass(frozen=True)
class LaneStep:
    """One box: step ``number`` (1-based, as in the text) in lane ``lane``."""

    number: int
    lane: int
    actor: str
    op: str
    xen: bool
    flags: tuple
    y: float


@dataclass(frozen=True)
class SwimLanes:
    """What :func:`plot_swimlanes` drew.

    ``lanes``: the actor of each lane, left to right; ``steps``: one
    :class:`LaneStep` per box, top to bottom; ``highlight``: the number of
    the step drawn as breaking the invariant (None if no step is flagged);
    ``flagged``: the numbers of every flagged step; ``loop_start``: the
    number of the first step that repeats forever, or None; ``title``.
    """

    title: str
    lanes: tuple
    steps: tuple
    highlight: int | None
    flagged: tuple
    loop_start: int | None


def _title(race, steps, hit, kind) -> str:
    drain = sum(s.actor == "drain" for s in steps)
    n = f"{len(steps) - drain} steps" + (f" + {drain} of the guest's drain" if drain
                                         else "")
    if hasattr(race, "scenario"):
        what = kind or ", ".join(race.kinds)
        return f"{race.scenario}, code {race.code}: {what} ({n})"
    return n + (f": {', '.join(steps[hit].flags)}" if hit is not None else "")


def _lanes(steps) -> list:
    lanes = list(dict.fromkeys(s.actor for s in steps if s.actor != "drain"))
    return lanes + (["drain"] if any(s.actor == "drain" for s in steps) else [])


def _box(ax, x, y, s, hit: bool) -> None:
    from matplotlib.patches import FancyBboxPatch
    fill = BREAK_COLOUR if hit else (XEN_COLOUR if s.xen else GUEST_COLOUR)
    edge = "#c00" if hit else ("#356" if s.xen else "#3a6")
    ax.add_patch(FancyBboxPatch((x + 0.05, y - 0.4), 0.9, 0.8,
                                boxstyle="round,pad=0,rounding_size=0.12",
                                facecolor=fill, edgecolor=edge, lw=2.2 if hit else 0.9))
    ax.text(x + 0.5, y, s.op, ha="center", va="center", fontsize=8.5,
            family="monospace", fontweight="bold" if hit else "normal")


def _frame(ax, lanes, n) -> None:
    for i, name in enumerate(lanes):
        ax.plot([i + 0.5, i + 0.5], [0.5, -n + 0.5], color="#ccc", lw=0.8,
                ls=":", zorder=0)
        ax.text(i + 0.5, 0.85, name, ha="center", va="center", fontsize=10,
                fontweight="bold")
    ax.plot([0, len(lanes)], [0.55, 0.55], color="#888", lw=0.8)


def _legend(ax) -> None:
    from matplotlib.patches import Patch
    handles = [Patch(facecolor=XEN_COLOUR, edgecolor="#356", label="Xen code (hypercalls too)"),
               Patch(facecolor=GUEST_COLOUR, edgecolor="#3a6", label="guest code"),
               Patch(facecolor=BREAK_COLOUR, edgecolor="#c00", lw=2,
                     label="breaks an invariant")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              ncol=3, fontsize=8.5, frameon=False)


def _flag_label(s, hit: bool) -> str:
    return ("\u2190 " if hit else "  ") + ", ".join(s.flags)


def plot_swimlanes(race, title: str | None = None, kind: str | None = None):
    """Draw a counterexample as swim lanes; returns ``(figure, SwimLanes)``.

    ``race``: a :class:`~evtlib.races.Result` (its shortest
    counterexample), a :class:`~evtlib.races.Violation` (its trace), or a
    sequence of :class:`~evtlib.races.Step`. ``kind``: draw the Result's
    witness of that kind instead of its shortest counterexample.
    """
    from matplotlib.figure import Figure
    steps, loop = steps_of(race, kind)
    if not steps:
        raise ValueError("nothing to draw: the counterexample has no steps")
    hit = breaking_step(steps, kind)
    lanes = _lanes(steps)
    n = len(steps)
    title = _title(race, steps, hit, kind) if title is None else title
    # Margins in inches: step numbers on the left, the flags on the right.
    notes = [_flag_label(s, k == hit) for k, s in enumerate(steps) if s.flags]
    right = max([1.3] + [0.3 + 0.075 * len(t) for t in notes])
    left, lanes_w = 0.5, LANE_W * len(lanes)
    w = max(left + lanes_w + right, 0.3 + 0.085 * len(title))
    h = 1.25 + ROW_H * n
    fig = Figure(figsize=(w, h), dpi=100)
    ax = fig.add_axes((left / w, 0.42 / h, lanes_w / w, 1 - 0.8 / h))
    ax.set_axis_off()
    _frame(ax, lanes, n)
    drawn = []
    for k, s in enumerate(steps):
        y = -float(k)
        x = lanes.index(s.actor)
        _box(ax, x, y, s, k == hit)
        ax.text(-0.06, y, str(k + 1), ha="right", va="center", fontsize=8, color="#666")
        if s.flags:
            ax.text(len(lanes) + 0.04, y, _flag_label(s, k == hit), ha="left",
                    va="center", fontsize=8.5, color="#c00",
                    fontweight="bold" if k == hit else "normal")
        drawn.append(LaneStep(k + 1, x, s.actor, s.op, s.xen, tuple(s.flags), y))
    if loop is not None:
        y = -(loop - 0.5)
        ax.plot([-0.1, len(lanes)], [y, y], color="#c00", lw=1, ls="--")
        ax.text(len(lanes) + 0.04, y, "from here on the\nsteps repeat forever",
                ha="left", va="center", fontsize=8, color="#c00")
    _legend(ax)
    fig.suptitle(title, x=0.08 / w, ha="left", fontsize=10.5, y=1 - 0.08 / h, va="top")
    ax.set_xlim(0, len(lanes))
    ax.set_ylim(-n + 0.5, 1.1)
    flagged = tuple(k + 1 for k, s in enumerate(steps) if s.flags)
    return fig, SwimLanes(title, tuple(lanes), tuple(drawn),
                          None if hit is None else hit + 1, flagged,
                          None if loop is None else loop + 1)
