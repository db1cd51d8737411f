"""Charts for the notebooks, each returning the figure AND the data it drew.

Every ``plot_*`` function returns ``(figure, data)``: ``data`` is a small
frozen dataclass holding exactly the numbers on the chart, so tests check the
numbers, never pixels. Figures are :class:`matplotlib.figure.Figure` objects
built without pyplot (nothing is left open, nothing is shown twice).

* Limits (notebook 05): :func:`plot_limits` (ports per scheme and guest word
  size, log scale), :func:`plot_memory` (shared memory per domain and per
  vCPU at that limit), :func:`plot_guests` (guests per dom0). All numbers come
  from :func:`evtlib.limits` and :mod:`evtlib.capacity`, never typed in.
* The guests-per-dom0 calculator widget :class:`CapacityCalculator`. Its
  arithmetic lives in :mod:`evtlib.capacity` (:func:`~evtlib.capacity.dom0_reserved`,
  :func:`~evtlib.capacity.calculator_text`); both names are re-exported here.
* Latency (notebooks 02 and 06): :func:`port_waits` / :func:`plot_port_waits`
  (each port's worst wait under several policies) and :func:`plot_sweep`
  (one number per policy against a parameter).
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .capacity import (  # noqa: F401  (re-exported: the calculator's arithmetic)
    DOM0_IRQS,
    DOM0_PORTS_PER_VCPU,
    DOM0_VCPUS,
    Capacity,
    Dom0,
    calculator_text,
    dom0_reserved,
    guests_per_dom0,
)
from .limits import limits
from .metrics import port_stats
from .schemes import SCHEMES
from .trace import Trace
from .widgets import WidgetView

WIDTH = 72
WORD_BITS = (32, 64)

#: Colours of the word sizes and of successive policies (colour-blind safe).
BITS_COLOURS = {32: "#4477aa", 64: "#ee6677"}
SERIES_COLOURS = ("#cc3311", "#0077bb", "#009988", "#ee7733", "#aa3377", "#555555")
SERIES_MARKERS = ("o", "s", "D", "^", "v", "x")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def figure_png(fig) -> bytes:
    """The figure as PNG bytes (for widgets: no pyplot, no inline backend needed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def show_figure(out, fig) -> None:
    """Replace what Output widget ``out`` shows with ``fig`` (as a PNG).

    Sets ``out.outputs`` to the one ``display_data`` record that
    ``append_display_data`` would add, in a single update (no flicker, no
    ``with out:``), so JupyterLab, nbclient and nbval see the same thing from
    a callback.
    """
    png = base64.b64encode(figure_png(fig)).decode("ascii")
    out.outputs = ({"output_type": "display_data",
                    "data": {"image/png": png, "text/plain": "<chart>"},
                    "metadata": {}},)


def _bytes_text(n: int) -> str:
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} B"


def _label_bars(ax, bars, texts) -> None:
    for bar, text in zip(bars, texts):
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 2), textcoords="offset points", ha="center",
                    va="bottom", fontsize=7)


# ------------------------------------------------------------------ limits
@dataclass(frozen=True)
class LimitsChart:
    """Port limits drawn by :func:`plot_limits`: ``ports[i][j]`` is scheme
    ``schemes[j]`` on a ``word_bits[i]``-bit guest (port 0 included)."""

    schemes: tuple[str, ...]
    labels: tuple[str, ...]
    word_bits: tuple[int, ...]
    ports: tuple[tuple[int, ...], ...]

    def value(self, scheme: str, word_bits: int) -> int:
        return self.ports[self.word_bits.index(word_bits)][self.schemes.index(scheme)]


@dataclass(frozen=True)
class MemoryChart:
    """Memory drawn by :func:`plot_memory`, at each scheme's port limit, in bytes:
    ``shared[i][j]`` per domain (bitmaps or event array), ``per_vcpu[i][j]``
    per vCPU (selector words or control block), for ``word_bits[i]``."""

    schemes: tuple[str, ...]
    labels: tuple[str, ...]
    word_bits: tuple[int, ...]
    shared: tuple[tuple[int, ...], ...]
    per_vcpu: tuple[tuple[int, ...], ...]

    def value(self, scheme: str, word_bits: int, kind: str = "shared") -> int:
        table = {"shared": self.shared, "per_vcpu": self.per_vcpu}[kind]
        return table[self.word_bits.index(word_bits)][self.schemes.index(scheme)]


def _limit_rows():
    rows = {(r.scheme, r.word_bits): r for r in limits()}
    schemes = tuple(SCHEMES)
    labels = tuple(SCHEMES[s].label for s in schemes)
    return rows, schemes, labels


def limits_data() -> LimitsChart:
    rows, schemes, labels = _limit_rows()
    return LimitsChart(schemes, labels, WORD_BITS, tuple(
        tuple(rows[s, b].max_ports for s in schemes) for b in WORD_BITS))


def memory_data() -> MemoryChart:
    rows, schemes, labels = _limit_rows()
    return MemoryChart(
        schemes, labels, WORD_BITS,
        tuple(tuple(rows[s, b].shared_bytes for s in schemes) for b in WORD_BITS),
        tuple(tuple(rows[s, b].per_vcpu_bytes for s in schemes) for b in WORD_BITS))


def _grouped_bars(ax, labels, word_bits, values, texts) -> None:
    """Bars per scheme, one per word size, labelled with ``texts``."""
    n = len(word_bits)
    width = 0.8 / n
    for i, bits in enumerate(word_bits):
        xs = [j + (i - (n - 1) / 2) * width for j in range(len(labels))]
        bars = ax.bar(xs, values[i], width, label=f"{bits}-bit guest",
                      color=BITS_COLOURS.get(bits))
        _label_bars(ax, bars, texts[i])
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yscale("log")
    ax.margins(y=0.25)


def plot_limits():
    """Max ports per scheme for 32- and 64-bit guests (log scale). Returns (fig, LimitsChart)."""
    data = limits_data()
    fig = _figure(6.4, 3.4)
    ax = fig.subplots()
    _grouped_bars(ax, data.labels, data.word_bits, data.ports,
                  [[f"{v:,}" for v in row] for row in data.ports])
    ax.set_ylabel("event channels (ports) per guest")
    ax.set_title("Port limit per guest (port 0 reserved); log scale", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig, data


def plot_memory():
    """Shared memory per domain and per vCPU at each scheme's limit (log scale).

    Returns (fig, MemoryChart).
    """
    data = memory_data()
    fig = _figure(8.4, 3.4)
    left, right = fig.subplots(1, 2)
    _grouped_bars(left, data.labels, data.word_bits, data.shared,
                  [[_bytes_text(v) for v in row] for row in data.shared])
    left.set_ylabel("bytes (log scale)")
    left.set_title("per domain: bitmaps / event array", fontsize=10)
    left.legend(fontsize=8, frameon=False, loc="upper left")
    _grouped_bars(right, data.labels, data.word_bits, data.per_vcpu,
                  [[_bytes_text(v) for v in row] for row in data.per_vcpu])
    right.set_title("per vCPU: selector words / control block", fontsize=10)
    fig.suptitle("Guest memory each scheme shares with Xen, at its port limit",
                 fontsize=10)
    return fig, data


# -------------------------------------------------------- guests per dom0
PER_GUEST = (1, 16)


@dataclass(frozen=True)
class GuestsChart:
    """Guests per dom0 drawn by :func:`plot_guests`, one Capacity per scheme."""

    word_bits: int
    per_guest: int
    reserved: int
    capacities: tuple[Capacity, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.capacities)

    @property
    def theoretical(self) -> tuple[int, ...]:
        return tuple(c.theoretical for c in self.capacities)

    @property
    def guests(self) -> tuple[int, ...]:
        return tuple(c.guests for c in self.capacities)

    def of(self, scheme: str) -> Capacity:
        for c in self.capacities:
            if c.scheme == scheme:
                return c
        raise ValueError(f"unknown scheme {scheme!r}: valid schemes are "
                         f"{', '.join(c.scheme for c in self.capacities)}")


def guests_data(word_bits: int = 32, per_guest: int = 4, reserved: int = 0) -> GuestsChart:
    caps = tuple(guests_per_dom0(s, word_bits, per_guest, reserved) for s in SCHEMES)
    return GuestsChart(word_bits, caps[0].per_guest, caps[0].reserved, caps)


def plot_guests(word_bits: int = 32, per_guest: int = 4, reserved: int = 0):
    """Guests per dom0 for each scheme: the thread's arithmetic (every port,
    nothing reserved) next to the practical number (log scale).

    Returns (fig, GuestsChart).
    """
    data = guests_data(word_bits, per_guest, reserved)
    fig = _figure(6.4, 3.4)
    ax = fig.subplots()
    n = len(data.labels)
    for i, (name, values, colour) in enumerate((
            ("theoretical: ports // per guest", data.theoretical, "#bbbbbb"),
            (f"practical: {reserved} reserved, port 0 unusable", data.guests, "#4477aa"))):
        xs = [j + (i - 0.5) * 0.4 for j in range(n)]
        bars = ax.bar(xs, values, 0.4, label=name, color=colour)
        _label_bars(ax, bars, [f"{v:,}" for v in values])
    ax.set_xticks(range(n), data.labels)
    ax.set_yscale("log")
    ax.margins(y=0.25)
    ax.set_ylabel("guests per dom0 (log scale)")
    ax.set_title(f"{word_bits}-bit dom0, {per_guest} dom0 port(s) per guest",
                 fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig, data


class CapacityCalculator(WidgetView):
    """Guests per dom0 with controls that only offer valid values.

    Ports per guest (1..16), dom0 vCPUs (1..64, 7 ports each), dom0's
    physical IRQs and global VIRQs (0..400) and the word size (32/64). Shows
    the arithmetic (``.text``, an HTML ``<pre>``) and the chart (``.figure``,
    an Output filled with ``append_display_data``). CSS classes:
    ``evt-cap-per-guest``, ``evt-cap-vcpus``, ``evt-cap-irqs``,
    ``evt-cap-word``, ``evt-cap-text``, ``evt-cap-figure``.
    """

    def __init__(self, word_bits: int = 32, per_guest: int = 4, vcpus: int = 16,
                 irqs: int = 188, css_class: str = "evt-capacity") -> None:
        import ipywidgets as widgets

        style = {"description_width": "190px"}
        wide = widgets.Layout(width="520px")
        self.per_guest = widgets.IntSlider(
            value=per_guest, min=PER_GUEST[0], max=PER_GUEST[1],
            description="dom0 ports per guest", style=style, layout=wide,
            continuous_update=False)
        self.vcpus = widgets.IntSlider(
            value=vcpus, min=DOM0_VCPUS[0], max=DOM0_VCPUS[1],
            description=f"dom0 vCPUs (x {DOM0_PORTS_PER_VCPU} ports)", style=style,
            layout=wide, continuous_update=False)
        self.irqs = widgets.IntSlider(
            value=irqs, min=DOM0_IRQS[0], max=DOM0_IRQS[1],
            description="dom0 physical IRQs + VIRQs", style=style, layout=wide,
            continuous_update=False)
        self.word = widgets.Dropdown(options=[("32-bit dom0", 32), ("64-bit dom0", 64)],
                                     value=word_bits, description="word size",
                                     style=style)
        self.text = widgets.HTML()
        self.figure = widgets.Output()
        for w, cls in ((self.per_guest, "evt-cap-per-guest"), (self.vcpus, "evt-cap-vcpus"),
                       (self.irqs, "evt-cap-irqs"), (self.word, "evt-cap-word"),
                       (self.text, "evt-cap-text"), (self.figure, "evt-cap-figure")):
            w.add_class(cls)
            if w not in (self.text, self.figure):
                w.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.VBox([self.per_guest, self.vcpus, self.irqs, self.word,
                                    self.text, self.figure])
        self.widget.add_class(css_class)
        self.update()

    def settings(self) -> dict:
        return {"word_bits": self.word.value, "per_guest": self.per_guest.value,
                "vcpus": self.vcpus.value, "irqs": self.irqs.value}

    def update(self) -> None:
        s = self.settings()
        self.text.value = f"<pre>{html.escape(calculator_text(**s))}</pre>"
        reserved = dom0_reserved(s["vcpus"], s["irqs"]).reserved
        fig, self.data = plot_guests(s["word_bits"], s["per_guest"], reserved)
        show_figure(self.figure, fig)



# ----------------------------------------------------------------- latency
@dataclass(frozen=True)
class PortWaits:
    """Each port's worst wait (ticks) under several runs, as drawn by
    :func:`plot_port_waits`. ``waits[i][k]`` is run ``labels[i]``, port
    ``ports[k]`` (None: the port was not raised in that run). The worst wait
    counts raises still waiting at the end (``PortStats.longest_wait``)."""

    labels: tuple[str, ...]
    ports: tuple[int, ...]
    classes: tuple[str, ...]
    waits: tuple[tuple[int | None, ...], ...]
    marks: tuple[tuple[int, str], ...] = ()

    def of(self, label: str, port: int) -> int | None:
        return self.waits[self.labels.index(label)][self.ports.index(port)]

    def worst(self, label: str) -> int:
        return max((w for w in self.waits[self.labels.index(label)] if w is not None),
                   default=0)


def port_waits(traces: Mapping[str, Trace], ports: Sequence[int] | None = None,
               marks: Mapping[int, str] | None = None) -> PortWaits:
    """Worst wait of every port (or of ``ports``) in each labelled trace."""
    if not traces:
        raise ValueError("port_waits needs at least one trace")
    stats = {label: port_stats(t) for label, t in traces.items()}
    if ports is None:
        ports = sorted(set().union(*(s.keys() for s in stats.values())))
    ports = tuple(int(p) for p in ports)
    classes = {}
    for s in stats.values():
        for p in ports:
            if p in s:
                classes.setdefault(p, s[p].cls)
    waits = tuple(tuple(s[p].longest_wait if p in s else None for p in ports)
                  for s in stats.values())
    return PortWaits(tuple(traces), ports, tuple(classes.get(p, "other") for p in ports),
                     waits, tuple(sorted((marks or {}).items())))


def plot_port_waits(data, title: str = "Worst wait of each port",
                    marks: Mapping[int, str] | None = None, width: float = 8.4):
    """Each port's worst wait under each run: x = port number, y = ticks
    (symmetric log: 0 stays visible). ``data``: a :class:`PortWaits` or a
    mapping label -> Trace. ``marks`` names ports to annotate (e.g. the
    timer). Returns (fig, PortWaits)."""
    if not isinstance(data, PortWaits):
        data = port_waits(data, marks=marks)
    elif marks is not None:
        data = PortWaits(data.labels, data.ports, data.classes, data.waits,
                         tuple(sorted(marks.items())))
    fig = _figure(width, 3.8)
    ax = fig.subplots()
    for i, label in enumerate(data.labels):
        pts = [(p, w) for p, w in zip(data.ports, data.waits[i]) if w is not None]
        ax.scatter([p for p, _ in pts], [w for _, w in pts], s=22 - 3 * i,
                   marker=SERIES_MARKERS[i % len(SERIES_MARKERS)],
                   color=SERIES_COLOURS[i % len(SERIES_COLOURS)], label=label,
                   alpha=0.8, zorder=3 + i)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=-0.3)
    for port, name in data.marks:
        ax.axvline(port, color="#888888", lw=0.8, ls=":", zorder=1)
        ax.annotate(name, (port, 1), xycoords=("data", "axes fraction"),
                    xytext=(2, -10), textcoords="offset points", fontsize=8,
                    color="#444444", rotation=90, ha="left", va="top")
    ax.set_xlabel("port number")
    ax.set_ylabel("worst wait, ticks (symlog)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper left",
              bbox_to_anchor=(1.0, 1.0))
    ax.grid(True, axis="y", lw=0.3)
    return fig, data


@dataclass(frozen=True)
class Sweep:
    """One number per run label for each value of a parameter:
    ``series[i] = (label, values)`` with ``values[k]`` at ``x[k]``."""

    x: tuple
    xlabel: str
    ylabel: str
    series: tuple[tuple[str, tuple], ...]

    def values(self, label: str) -> tuple:
        return dict(self.series)[label]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(label for label, _ in self.series)


def plot_sweep(sweep: Sweep, title: str = "", log: bool = True, width: float = 6.4):
    """Lines (one per label) of a :class:`Sweep`; symmetric log y by default
    (so 0 stays visible). Returns (fig, sweep)."""
    fig = _figure(width, 3.6)
    ax = fig.subplots()
    xs = list(range(len(sweep.x)))
    for i, (label, values) in enumerate(sweep.series):
        ax.plot(xs, values, marker=SERIES_MARKERS[i % len(SERIES_MARKERS)],
                color=SERIES_COLOURS[i % len(SERIES_COLOURS)], label=label,
                lw=1.5, ms=5, alpha=0.85)
    ax.set_xticks(xs, [str(x) for x in sweep.x])
    if log:
        ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(bottom=-0.3)
    ax.set_xlabel(sweep.xlabel)
    ax.set_ylabel(sweep.ylabel + (" (symlog)" if log else ""))
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, axis="y", lw=0.3)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, sweep


def sweep_text(sweep: Sweep, label_width: int = 18) -> str:
    """A sweep as a plain-text table (one row per label), at most 72 columns."""
    cols = [str(x) for x in sweep.x]
    width = max(max(len(c) for c in cols) + 1,
                max(len(str(v)) for _, vs in sweep.series for v in vs) + 1, 5)
    if label_width + width * len(cols) > WIDTH:
        raise ValueError(f"a sweep of {len(cols)} values does not fit in {WIDTH} columns")
    lines = textwrap.wrap(f"{sweep.ylabel}; columns: {sweep.xlabel}", width=WIDTH)
    lines.append(f"{'':<{label_width}}" + "".join(f"{c:>{width}}" for c in cols))
    for label, values in sweep.series:
        lines.append(f"{label[:label_width - 1]:<{label_width}}"
                     + "".join(f"{_sweep_cell(v):>{width}}" for v in values))
    return "\n".join(lines)


def _sweep_cell(v) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}" if isinstance(v, float) else str(v)


@dataclass(frozen=True)
class Bars:
    """Grouped bars: ``series[i] = (name, values)`` with ``values[k]`` for
    ``groups[k]`` (None: no bar)."""

    groups: tuple[str, ...]
    series: tuple[tuple[str, tuple], ...]
    ylabel: str

    def values(self, name: str) -> tuple:
        return dict(self.series)[name]


def plot_bars(bars: Bars, title: str = "", log: bool = True, width: float = 8.4):
    """Grouped bars of a :class:`Bars`, each labelled with its value; symmetric
    log y by default (0 stays visible). Returns (fig, bars)."""
    fig = _figure(width, 3.6)
    ax = fig.subplots()
    n = len(bars.series)
    w = 0.8 / n
    for i, (name, values) in enumerate(bars.series):
        xs = [k + (i - (n - 1) / 2) * w for k in range(len(bars.groups))]
        heights = [0 if v is None else v for v in values]
        drawn = ax.bar(xs, heights, w, label=name,
                       color=SERIES_COLOURS[(i + 1) % len(SERIES_COLOURS)])
        _label_bars(ax, drawn, ["-" if v is None else _sweep_cell(v) for v in values])
    ax.set_xticks(range(len(bars.groups)), bars.groups, fontsize=8)
    if log:
        ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(bottom=0)
    ax.margins(y=0.15)
    ax.set_ylabel(bars.ylabel + (" (symlog)" if log else ""))
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, axis="y", lw=0.3)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, bars
