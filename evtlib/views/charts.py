"""Charts for the notebooks, each returning the figure AND the data it drew.

Every ``plot_*`` function returns ``(figure, data)``: ``data`` is a small
frozen dataclass holding exactly the numbers on the chart, so tests check the
numbers, never pixels. Figures are :class:`matplotlib.figure.Figure` objects
built without pyplot (nothing is left open, nothing is shown twice).

* Limits (notebook 05): :func:`plot_limits` (ports per scheme and guest word
  size, log scale), :func:`plot_memory` (shared memory per domain and per
  vCPU at that limit), :func:`plot_guests` (guests per dom0). All numbers come
  from :func:`evtlib.limits` and :mod:`evtlib.studies.capacity`, never typed in.
* Latency (notebooks 02 and 06): :func:`plot_port_waits` (each port's worst
  wait under several policies), :func:`plot_sweep` (one number per policy
  against a parameter) and :func:`plot_bars`; their data records live in
  :mod:`evtlib.studies.series`.

The guests-per-dom0 calculator widget is in :mod:`evtlib.views.study_widgets`.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass

from ..abi.limits import limits
from ..abi.schemes import SCHEMES
from ..studies.capacity import Capacity, guests_per_dom0
from ..studies.series import Bars, PortWaits, Sweep, port_waits

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





# ----------------------------------------------------------------- latency


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
