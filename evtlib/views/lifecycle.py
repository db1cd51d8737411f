"""Views of notebook 08's parts 1 and 2: the switch to FIFO, page growth,
four vCPUs. Text (72 columns), figures that return their data, widgets.

CSS classes: ``evt-switch`` (``evt-switch-mode``, ``evt-switch-step``,
``evt-switch-table``) and ``evt-vcpus`` (``evt-vcpus-scenario``,
``evt-vcpus-step``, ``evt-vcpus-why``, ``evt-vcpus-table``).
"""

from __future__ import annotations

import html

from ..studies.lifecycle import SCENARIOS, switch_story, vcpu_frames
from .charts import _figure
from .widgets import WidgetView

MODES = (("actual (Xen since 917c123029)", "keep"),
         ("documented (header: 'will be lost')", "drop"))


def _ports(ports) -> str:
    return " ".join(map(str, ports)) or "-"


# --------------------------------------------------------------- part 1
def switch_text(actual, documented) -> str:
    """The two stories side by side: pages, Xen's flags, what is delivered."""
    head = (f"{'step':<13}{'pages':>5}  {'Xen flags':<16}{'delivered':<12}"
            f"{'documented':>12}")
    lines = [head, "-" * len(head)]
    for a, d in zip(actual, documented):
        lines.append(f"{a.action:<13}{a.pages:>5}  {_ports(a.flagged):<16}"
                     f"{_ports(a.delivered):<12}{_ports(d.delivered):>12}")
    lines.append("Xen flags: raised with no page yet (Xen's private flag).")
    lines.append("delivered: by the upcall after the step; documented: the")
    lines.append("same steps if the switch lost every pending event.")
    return "\n".join(lines)


def switch_html(steps, upto: int) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(s.action)}</td><td>{s.pages}</td>"
        f"<td>{_ports(s.flagged)}</td><td>{_ports(s.pending)}</td>"
        f"<td><b>{_ports(s.delivered)}</b></td></tr>" for s in steps[:upto + 1])
    return ("<table><tr><th>step</th><th>pages</th><th>Xen flags</th>"
            "<th>FIFO pending</th><th>delivered</th></tr>" + rows + "</table>")


def plot_pages(growth, story):
    """Pages present as ports are bound (left) and when each carried event
    is delivered after the switch (right). Returns (fig, (growth, story))."""
    fig = _figure(8.4, 3.2)
    left, right = fig.subplots(1, 2)
    left.bar(range(len(growth)), [n for _, n in growth], color="#3060a0")
    left.set_xticks(range(len(growth)), [str(p) for p, _ in growth], fontsize=8)
    left.set_yticks(range(0, max(n for _, n in growth) + 1))
    left.set_xlabel("port bound, in order")
    left.set_ylabel("event-array pages (4 KiB each)")
    left.set_title("The array grows one page at a time", fontsize=10)
    for i, s in enumerate(story):
        right.bar(i, s.pages, color="#c8d7e8")
        for j, p in enumerate(s.delivered):
            right.annotate(f"{p}", (i, s.pages + 0.3 + 0.5 * j), ha="center",
                           fontsize=8, color="#b03020")
    right.set_xticks(range(len(story)), [s.action for s in story], fontsize=7)
    right.set_ylim(0, max(s.pages for s in story) + 2)
    right.set_ylabel("pages")
    right.set_title("After the switch: pages, and (red) ports delivered",
                    fontsize=10)
    return fig, (tuple(growth), tuple(story))


class SwitchExplorer(WidgetView):
    """Documented or actual behaviour, and a slider over the binds after the switch."""

    def __init__(self) -> None:
        import ipywidgets as widgets

        self.stories = {m: switch_story(m) for _, m in MODES}
        n = len(self.stories["keep"]) - 1
        self.mode = widgets.Dropdown(options=list(MODES), value="keep",
                                     description="behaviour",
                                     layout=widgets.Layout(width="420px"))
        self.step = widgets.IntSlider(value=n, min=0, max=n, description="step")
        self.table = widgets.HTML()
        for w, cls in ((self.mode, "evt-switch-mode"), (self.step, "evt-switch-step"),
                       (self.table, "evt-switch-table")):
            w.add_class(cls)
        for w in (self.mode, self.step):
            w.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.VBox([self.mode, self.step, self.table])
        self.widget.add_class("evt-switch")
        self.update()

    def update(self) -> None:
        self.table.value = switch_html(self.stories[self.mode.value], self.step.value)


# --------------------------------------------------------------- part 2
def vcpu_text(frame) -> str:
    """One frame as 72-column text."""
    lines = [f"step {frame.index}: port 10 notifies vCPU {frame.notify}, "
             f"Linux CPU {frame.cpu}",
             f"{'vCPU':<6}{'timer':>6}{'flag':>6}  {'waiting':<14}delivered so far"]
    for v, timer, flag, waiting, got in frame.rows:
        lines.append(f"{v:<6}{timer:>6}{'yes' if flag else '-':>6}  "
                     f"{_ports(waiting):<14}{_ports(got)}")
    return "\n".join(lines)


def vcpu_html(frame) -> str:
    rows = "".join(
        f"<tr><td>{v}</td><td>{t}</td><td>{'yes' if f else '-'}</td>"
        f"<td>{_ports(w)}</td><td><b>{_ports(g)}</b></td></tr>"
        for v, t, f, w, g in frame.rows)
    return (f"<p>port 10: Xen notifies vCPU {frame.notify}, Linux CPU "
            f"{frame.cpu}</p><table><tr><th>vCPU</th><th>timer</th>"
            f"<th>upcall flag</th><th>waiting</th><th>delivered so far</th></tr>"
            + rows + "</table>")


def vcpu_deliveries(frames) -> dict:
    """deliveries[v] = ((step, port), ...): what each vCPU delivered, when."""
    n = len(frames[0].rows)
    out = {v: [] for v in range(n)}
    for prev, cur in zip(frames, frames[1:]):
        for v in range(n):
            new = cur.rows[v][4][len(prev.rows[v][4]):]
            out[v] += [(cur.index, p) for p in new]
    return {v: tuple(items) for v, items in out.items()}


def _vcpu_lanes(ax, frames, title: str) -> dict:
    got = vcpu_deliveries(frames)
    for v, items in got.items():
        ax.axhline(v, color="#dddddd", lw=0.8)
        for k, (step, port) in enumerate(items):
            ax.plot(step, v, "o", color="#3060a0")
            ax.annotate(str(port), (step, v), textcoords="offset points",
                        xytext=(0, 6 + 8 * (k % 2)), ha="center", fontsize=8)
    ax.set_yticks(range(len(got)), [f"vCPU {v}" for v in got])
    ax.set_xlim(-0.5, len(frames) - 0.5)
    ax.set_ylim(-0.7, len(got) - 0.1)
    ax.set_title(title, fontsize=9)
    return got


def plot_vcpus(scenarios):
    """One panel per scenario (name -> frames): ports delivered, by vCPU and
    step. Returns (fig, {name: deliveries})."""
    fig = _figure(8.4, 2.4 * len(scenarios))
    axes = fig.subplots(len(scenarios), 1, sharex=True, squeeze=False)[:, 0]
    data = {name: _vcpu_lanes(ax, frames, name)
            for ax, (name, frames) in zip(axes, scenarios.items())}
    axes[-1].set_xlabel("step (see the explorer below for what each step does)")
    return fig, data


class VcpuExplorer(WidgetView):
    """A scenario and a step slider: each vCPU's queue, flag and deliveries."""

    def __init__(self, scenario: str = next(iter(SCENARIOS))) -> None:
        import ipywidgets as widgets

        self.frames = {name: vcpu_frames(name) for name in SCENARIOS}
        last = len(self.frames[scenario]) - 1
        self.scenario = widgets.Dropdown(options=list(SCENARIOS), value=scenario,
                                         description="scenario",
                                         layout=widgets.Layout(width="420px"))
        self.step = widgets.IntSlider(value=0, min=0, max=last, description="step")
        self.why = widgets.HTML()
        self.table = widgets.HTML()
        for w, cls in ((self.scenario, "evt-vcpus-scenario"),
                       (self.step, "evt-vcpus-step"), (self.why, "evt-vcpus-why"),
                       (self.table, "evt-vcpus-table")):
            w.add_class(cls)
        for w in (self.scenario, self.step):
            w.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.VBox([self.scenario, self.step, self.why, self.table])
        self.widget.add_class("evt-vcpus")
        self.update()

    def update(self) -> None:
        frames = self.frames[self.scenario.value]
        frame = frames[min(self.step.value, len(frames) - 1)]
        self.why.value = f"<i>{html.escape(frame.why)}</i>"
        self.table.value = vcpu_html(frame)
