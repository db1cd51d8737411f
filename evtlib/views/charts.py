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
from ..studies.capacity import MAX_GUESTS, Capacity, guests_per_dom0
from ..studies.series import Bars, PortWaits, Sweep, port_waits

WIDTH = 72
WORD_BITS = (32, 64)

#: Colours of the word sizes and of successive policies (colour-blind safe).
BITS_COLOURS = {32: "#4477aa", 64: "#ee6677"}
SERIES_COLOURS = ("#cc3311", "#0077bb", "#009988", "#ee7733", "#aa3377", "#555555")
SERIES_MARKERS = ("o", "x", "D", "^", "v", "s")
#: Filled or hollow markers and line styles, so overlapping series stay apart.
SERIES_FILLED = (True, False, True, False, True, False)
SERIES_LINES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (1, 1)))


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


def shown(label: str, sep: str = " ") -> str:
    """A chart label, with "(reconstruction)" after any 3-level one, so that the
    caveat survives a copied PNG (3-level was never merged)."""
    if label.startswith(("3l", "3-level")) and "reconstruction" not in label:
        return f"{label}{sep}(reconstruction)"
    return label


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
    """Memory drawn by :func:`plot_memory`, in bytes, for ``word_bits[i]``:
    ``shared[i][j]`` per domain at scheme ``j``'s port limit (bitmaps or event
    array; ``in_shared_info[j]``: inside the ``shared_info`` page, no page of
    its own), ``per_vcpu[i][j]`` the ABI's size per vCPU (selector words or
    control block) and ``used_per_vcpu[i][j]`` what the guest allocates per
    vCPU (a whole page for FIFO's control block)."""

    schemes: tuple[str, ...]
    labels: tuple[str, ...]
    word_bits: tuple[int, ...]
    shared: tuple[tuple[int, ...], ...]
    per_vcpu: tuple[tuple[int, ...], ...]
    used_per_vcpu: tuple[tuple[int, ...], ...] = ()
    in_shared_info: tuple[bool, ...] = ()

    def value(self, scheme: str, word_bits: int, kind: str = "shared") -> int:
        table = {"shared": self.shared, "per_vcpu": self.per_vcpu,
                 "used_per_vcpu": self.used_per_vcpu}[kind]
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
        tuple(tuple(rows[s, b].per_vcpu_bytes for s in schemes) for b in WORD_BITS),
        tuple(tuple(rows[s, b].per_vcpu_used_bytes for s in schemes) for b in WORD_BITS),
        tuple(rows[s, WORD_BITS[0]].in_shared_info for s in schemes))


def _grouped_bars(ax, labels, word_bits, values, texts) -> None:
    """Bars per scheme, one per word size, labelled with ``texts``."""
    n = len(word_bits)
    width = 0.8 / n
    for i, bits in enumerate(word_bits):
        xs = [j + (i - (n - 1) / 2) * width for j in range(len(labels))]
        bars = ax.bar(xs, values[i], width, label=f"{bits}-bit guest",
                      color=BITS_COLOURS.get(bits))
        _label_bars(ax, bars, texts[i])
    ax.set_xticks(range(len(labels)), [shown(x, "\n") for x in labels])
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
    fig = _figure(8.4, 3.6)
    left, right = fig.subplots(1, 2)
    in_info = data.in_shared_info or (False,) * len(data.schemes)
    _grouped_bars(left, data.labels, data.word_bits, data.shared,
                  [[_bytes_text(v) + ("\nin shared_info" if in_info[j] else "")
                    for j, v in enumerate(row)] for row in data.shared])
    left.set_ylabel("bytes (log scale)")
    left.set_title("per domain, at the port limit", fontsize=10)
    left.legend(fontsize=8, frameon=False, loc="upper left")
    _grouped_bars(right, data.labels, data.word_bits, data.used_per_vcpu,
                  [[_bytes_text(u) + ("" if u == a else f"\n({_bytes_text(a)})")
                    for u, a in zip(used, abi)]
                   for used, abi in zip(data.used_per_vcpu, data.per_vcpu)])
    right.set_title("per vCPU, as allocated (ABI size in brackets)", fontsize=10)
    fig.suptitle("Guest memory each scheme shares with Xen. FIFO's event array grows "
                 "a page at a time\nas ports are bound: at most 128 pages, one page "
                 "for a guest whose ports are all below 1024", fontsize=9)
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
    fig = _figure(8.4, 3.4)
    ax = fig.subplots()
    n = len(data.labels)
    for i, (name, values, colour) in enumerate((
            ("theoretical: ports // per guest", data.theoretical, "#bbbbbb"),
            (f"practical: {reserved} reserved, port 0 unusable", data.guests, "#4477aa"))):
        xs = [j + (i - 0.5) * 0.4 for j in range(n)]
        bars = ax.bar(xs, values, 0.4, label=name, color=colour)
        _label_bars(ax, bars, [f"{v:,}" for v in values])
    ax.set_xticks(range(n), [shown(x, "\n") for x in data.labels])
    if any(c.capped for c in data.capacities):
        ax.axhline(MAX_GUESTS, color="#aa3377", lw=0.8, ls="--",
                   label=f"domain IDs: at most {MAX_GUESTS:,} guests")
    ax.set_yscale("log")
    ax.margins(y=0.25)
    ax.set_ylabel("guests per dom0 (log scale)")
    ax.set_title(f"{word_bits}-bit dom0, {per_guest} dom0 port(s) per guest",
                 fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, data





# ----------------------------------------------------------------- latency


def _scatter(ax, i: int, xs, ys, label: str) -> None:
    """Series ``i``: its own colour and marker, filled or hollow by turn."""
    colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
    filled = SERIES_FILLED[i % len(SERIES_FILLED)]
    marker = SERIES_MARKERS[i % len(SERIES_MARKERS)]
    ax.scatter(xs, ys, s=30 if filled else 46, marker=marker, label=label,
               color=colour if filled or marker == "x" else "none",
               edgecolors=None if marker == "x" else colour, linewidths=1.2,
               alpha=0.85, zorder=3 + i)


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
        _scatter(ax, i, [p for p, _ in pts], [w for _, w in pts], shown(label))
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=-0.3)
    for port, name in data.marks:
        ax.axvline(port, color="#888888", lw=0.8, ls=":", zorder=1)
        # above the plotting area, horizontal: never on top of a data point
        ax.annotate(name, (port, 1), xycoords=("data", "axes fraction"),
                    xytext=(0, 2), textcoords="offset points", fontsize=8,
                    color="#444444", ha="center", va="bottom")
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
    n = len(sweep.series)
    for i, (label, values) in enumerate(sweep.series):
        # a small sideways offset per series: equal values stay visible side by side
        dx = (i - (n - 1) / 2) * 0.06
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        ax.plot([x + dx for x in xs], values, marker=SERIES_MARKERS[i % len(SERIES_MARKERS)],
                color=colour, label=shown(label), ls=SERIES_LINES[i % len(SERIES_LINES)],
                lw=1.5, ms=6, alpha=0.85,
                mfc=colour if SERIES_FILLED[i % len(SERIES_FILLED)] else "none")
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
        drawn = ax.bar(xs, heights, w, label=shown(name),
                       color=SERIES_COLOURS[(i + 1) % len(SERIES_COLOURS)])
        _label_bars(ax, drawn, ["-" if v is None else _sweep_cell(v) for v in values])
    ax.set_xticks(range(len(bars.groups)), [shown(g, "\n") for g in bars.groups],
                  fontsize=8)
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
