"""evtlib.views.charts: every chart returns the data it drew; the data comes from the models."""

from __future__ import annotations

import pytest

import evtlib
from evtlib.studies import capacity, series
from evtlib.views import charts, study_widgets as sw
from evtlib.sim import simulate
from evtlib.sim.workloads import Explicit


def bar_heights(ax):
    return [round(p.get_height()) for p in ax.patches]


# ------------------------------------------------------------------ limits
def test_limits_data_is_read_off_the_models():
    data = charts.limits_data()
    assert data.schemes == tuple(evtlib.SCHEMES)
    for row in evtlib.limits():
        assert data.value(row.scheme, row.word_bits) == row.max_ports
    assert data.value("2l", 32) == evtlib.make_scheme("2l", word_bits=32).max_ports
    assert data.value("fifo", 32) == data.value("fifo", 64)


def test_plot_limits_draws_its_data():
    fig, data = charts.plot_limits()
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert bar_heights(ax) == [v for row in data.ports for v in row]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "2-level", "3-level\n(reconstruction)", "FIFO"]


def test_every_3_level_label_says_reconstruction():
    """The caveat is in the chart itself, so it survives a copied PNG."""
    assert charts.shown("3l resume") == "3l resume (reconstruction)"
    assert charts.shown("3-level", "\n") == "3-level\n(reconstruction)"
    assert charts.shown("2l resume") == "2l resume"
    sweep = series.Sweep((1, 2), "x", "y", (("3l resume", (1, 2)), ("fifo", (0, 1))))
    bars = series.Bars(("2l resume", "3l resume"), (("3l resume", (1, 2)),), "ticks")
    figs = [charts.plot_limits()[0], charts.plot_memory()[0], charts.plot_guests()[0],
            charts.plot_sweep(sweep)[0], charts.plot_bars(bars)[0]]
    for fig in figs:
        texts = [t.get_text() for ax in fig.axes for t in ax.get_xticklabels()]
        texts += [t.get_text() for ax in fig.axes if ax.get_legend()
                  for t in ax.get_legend().get_texts()]
        threes = [t for t in texts if t.startswith(("3l", "3-level"))]
        assert threes and all("(reconstruction)" in t for t in threes), texts


def test_memory_data_and_chart():
    fig, data = charts.plot_memory()
    for row in evtlib.limits():
        assert data.value(row.scheme, row.word_bits) == row.shared_bytes
        assert data.value(row.scheme, row.word_bits, "per_vcpu") == row.per_vcpu_bytes
        assert data.value(row.scheme, row.word_bits, "used_per_vcpu") == \
            row.per_vcpu_used_bytes
    # Linux gives each CPU a page for FIFO's 72-byte control block
    assert data.value("fifo", 64, "per_vcpu") == 72
    assert data.value("fifo", 64, "used_per_vcpu") == 4096
    # in practice FIFO, not 3-level, needs the most per vCPU; by ABI size 3-level does
    assert max(data.used_per_vcpu[1]) == data.value("fifo", 64, "used_per_vcpu")
    assert max(data.per_vcpu[1]) == data.value("3l", 64, "per_vcpu")
    assert data.in_shared_info == (True, False, False)
    # FIFO: one 32-bit event word per port; bitmaps: 2 bits (PENDING, MASK) per port
    assert data.value("fifo", 64) == 4 * charts.limits_data().value("fifo", 64)
    assert data.value("2l", 64) * 8 == 2 * charts.limits_data().value("2l", 64)
    left, right = fig.axes
    assert bar_heights(left) == [v for row in data.shared for v in row]
    assert bar_heights(right) == [v for row in data.used_per_vcpu for v in row]
    labels = [t.get_text() for t in left.texts]
    assert labels.count("256 B\nin shared_info") == 1 and "512 KiB" in labels


# -------------------------------------------------------- guests per dom0
def test_guests_chart_reproduces_the_thread():
    fig, data = charts.plot_guests(32, per_guest=4, reserved=0)
    assert data.of("2l").theoretical == 256
    fig, data = charts.plot_guests(32, per_guest=5, reserved=capacity.GEORGE.reserved)
    assert data.of("2l").guests == 184
    assert data.guests == tuple(capacity.guests_per_dom0(s, 32, 5, 100).guests
                                for s in evtlib.SCHEMES)
    assert bar_heights(fig.axes[0]) == list(data.theoretical) + list(data.guests)
    with pytest.raises(ValueError, match="unknown scheme"):
        data.of("4l")


def test_calculator_arithmetic_is_capacitys():
    """The calculator widget shows evtlib.studies.capacity's arithmetic, not a copy."""
    assert sw.dom0_reserved is capacity.dom0_reserved
    assert sw.calculator_text is capacity.calculator_text
    assert (sw.DOM0_VCPUS, sw.DOM0_IRQS) == (capacity.DOM0_VCPUS, capacity.DOM0_IRQS)


def test_every_calculator_setting_is_valid():
    """The widest settings the controls offer still leave guests on the smallest scheme."""
    worst = capacity.dom0_reserved(capacity.DOM0_VCPUS[1], capacity.DOM0_IRQS[1])
    data = charts.guests_data(32, charts.PER_GUEST[1], worst.reserved)
    assert min(data.guests) > 0


def test_capacity_calculator_redraws_on_every_control():
    calc = sw.CapacityCalculator()
    assert (calc.per_guest.min, calc.per_guest.max) == charts.PER_GUEST
    assert (calc.vcpus.min, calc.vcpus.max) == capacity.DOM0_VCPUS
    assert (calc.irqs.min, calc.irqs.max) == capacity.DOM0_IRQS
    assert [v for _, v in calc.word.options] == [32, 64]
    assert "= 184 guests" in calc.text.value
    assert len(calc.figure.outputs) == 1
    assert "image/png" in calc.figure.outputs[0]["data"]
    calc.per_guest.value = 4
    assert "4 port(s) per guest" in calc.text.value
    assert calc.data.of("2l").guests == (1024 - 1 - 100) // 4
    calc.word.value = 64
    assert "64-bit dom0" in calc.text.value and calc.data.word_bits == 64
    calc.vcpus.value, calc.irqs.value = 1, 0
    assert "reserved = 1 vCPU x 7 + 0 IRQs/VIRQs = 7" in calc.text.value
    assert len(calc.figure.outputs) == 1
    assert calc.widget._dom_classes == ("evt-capacity",)


def test_figure_png_and_show_figure():
    import ipywidgets as widgets

    fig, _ = charts.plot_limits()
    png = charts.figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    out = widgets.Output()
    charts.show_figure(out, fig)
    charts.show_figure(out, fig)
    assert len(out.outputs) == 1 and out.outputs[0]["output_type"] == "display_data"


# ----------------------------------------------------------------- latency
def two_runs():
    w = Explicit([(0, 5), (0, 70), (3, 5)], cls="x")
    return {"resume": simulate("2l", w, ticks=20, seed=0),
            "fifo": simulate("fifo", w, ticks=20, seed=0)}


def test_port_waits_are_the_longest_waits():
    traces = two_runs()
    data = series.port_waits(traces, marks={70: "seventy"})
    assert data.labels == ("resume", "fifo") and data.ports == (5, 70)
    assert data.classes == ("x", "x")
    # both deliver 5 at tick 0, then 70 at tick 1 (waited 1); 5 again at 3 (0)
    assert data.of("resume", 70) == 1 and data.of("fifo", 5) == 0
    assert data.worst("resume") == 1
    assert data.marks == ((70, "seventy"),)
    only = series.port_waits(traces, ports=[5, 99])
    assert only.waits == ((0, None), (0, None))
    with pytest.raises(ValueError, match="at least one trace"):
        series.port_waits({})


def test_plot_port_waits_draws_its_data():
    fig, data = charts.plot_port_waits(two_runs(), marks={70: "x"})
    ax = fig.axes[0]
    assert ax.get_yscale() == "symlog"
    for i, coll in enumerate(ax.collections):
        pts = [tuple(map(int, p)) for p in coll.get_offsets()]
        assert pts == [(p, w) for p, w in zip(data.ports, data.waits[i]) if w is not None]
    _, data2 = charts.plot_port_waits(data, marks={5: "five"})
    assert data2.marks == ((5, "five"),) and data2.waits == data.waits


def sweep():
    return series.Sweep((1, 2, 4), "busy", "wait", (("a", (0, 1, 2)), ("b", (5, 5, 9))))


def test_plot_sweep_draws_its_data():
    fig, data = charts.plot_sweep(sweep(), title="t")
    ax = fig.axes[0]
    assert [list(line.get_ydata()) for line in ax.get_lines()] == [[0, 1, 2], [5, 5, 9]]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4"]
    assert data.values("b") == (5, 5, 9) and data.labels == ("a", "b")
    fig, _ = charts.plot_sweep(sweep(), log=False)
    assert fig.axes[0].get_yscale() == "linear"


def test_sweep_text():
    text = charts.sweep_text(sweep())
    lines = text.splitlines()
    assert lines[0] == "wait; columns: busy"
    assert lines[2].split() == ["a", "0", "1", "2"]
    assert max(map(len, lines)) <= 72
    wide = series.Sweep(tuple(range(30)), "x", "y", (("a", tuple(range(30))),))
    with pytest.raises(ValueError, match="does not fit in 72 columns"):
        charts.sweep_text(wide)
    floats = series.Sweep((1,), "x", "y", (("a", (0.5,)), ("b", (None,))))
    assert charts.sweep_text(floats).splitlines()[-2:] == [
        "a" + " " * 17 + " 0.50", "b" + " " * 17 + "    -"]


def test_plot_bars_draws_its_data():
    bars = series.Bars(("p", "q"), (("one", (3, 0)), ("two", (7, None))), "ticks")
    fig, data = charts.plot_bars(bars, log=False)
    ax = fig.axes[0]
    assert bar_heights(ax) == [3, 0, 7, 0]
    assert ax.get_ylabel() == "ticks"
    assert data.values("two") == (7, None)
    fig, _ = charts.plot_bars(bars)
    assert fig.axes[0].get_yscale() == "symlog"
