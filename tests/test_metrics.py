"""Metrics: percentiles, Jain's index, per-port stats, costs and tables."""

from __future__ import annotations

import pytest

from evtlib.sim.metrics import (fairness, jain, latencies, longest_wait, metrics_table,
                            overall, percentile, port_stats, port_table, report,
                            scan_cost, starved_ports)
from evtlib.sim import simulate
from evtlib.sim.trace import (DeliverEvent, RaiseEvent, Trace, TraceConfig, TraceSummary,
                          UpcallEvent)
from evtlib.sim.workloads import Explicit, Flood, Guests, preset
import evtlib


def make_trace(events, waiting=(), classes=(), ticks=100, horizon=10, end=None,
               **summary):
    cfg = TraceConfig("2l", "2-level W=64, scan=resume, 1 vCPU", 64, "resume", False,
                      1, 4096, 0, "hand-made", ticks, 1, horizon, classes=classes)
    r = [e for e in events if type(e) is RaiseEvent]
    d = [e for e in events if type(e) is DeliverEvent]
    u = [e for e in events if type(e) is UpcallEvent]
    s = TraceSummary(len(r), sum(e.merged for e in r), len(d), len(u),
                     end if end is not None else ticks, tuple(waiting), **summary)
    return Trace(cfg, tuple(events), s)


R, D = RaiseEvent, DeliverEvent


def test_percentile_is_nearest_rank():
    xs = [5, 1, 3, 2, 4]
    assert percentile(xs, 50) == 3
    assert percentile(xs, 99) == 5 and percentile(xs, 100) == 5
    assert percentile(xs, 0) == 1 and percentile(xs, 20) == 1 and percentile(xs, 21) == 2
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="0..100"):
        percentile(xs, 101)


def test_jain_index():
    assert jain([3, 3, 3]) == pytest.approx(1.0)
    assert jain([1, 0, 0, 0]) == pytest.approx(0.25)
    assert jain([1, 2]) == pytest.approx(9 / 10)
    assert jain([]) is None and jain([0, 0]) is None
    with pytest.raises(ValueError, match=">= 0"):
        jain([1, -1])


def test_port_stats_from_a_hand_made_trace():
    t = make_trace([
        R(0, 3, 0, False), R(0, 9, 0, False), R(1, 3, 0, True),
        UpcallEvent(0, 0, 1, 3, 2, 10, 2, 4, 1),
        D(0, 3, 0, 0, 1), D(2, 9, 0, 2, 1),
        R(5, 9, 0, False), R(6, 4, 0, False),
    ], waiting=[(9, 5), (4, 6)], classes=[(3, "a"), (4, "a"), (9, "b")], ticks=30,
        horizon=20, guest_reads=10, guest_writes=2, guest_atomics=4, xen_atomics=8,
        xen_reads=5)
    st = port_stats(t)
    assert list(st) == [3, 4, 9]
    s3, s9, s4 = st[3], st[9], st[4]
    assert (s3.raises, s3.merged, s3.deliveries, s3.max, s3.longest_wait) == (2, 1, 1, 0, 0)
    assert not s3.starved and s3.cls == "a"
    # Port 9: delivered after 2, then raised at 5 and still waiting at 30.
    assert (s9.deliveries, s9.p50, s9.max, s9.longest_wait, s9.waiting_at_end) == (
        1, 2, 2, 25, 1)
    assert s9.starved                  # 25 > horizon 20
    assert s4.deliveries == 0 and s4.p50 is None and s4.longest_wait == 24
    assert starved_ports(t) == [4, 9]
    assert starved_ports(t, horizon=24) == [9]
    assert longest_wait(t, 9) == 25 and longest_wait(t, 77) is None
    assert latencies(t) == [0, 2] and latencies(t, port=9) == [2]
    assert latencies(t, cls="a") == [0]
    cost = scan_cost(t)
    assert cost.rw_per_delivery == 6.0 and cost.atomics_per_delivery == 2.0
    assert cost.xen_rw_per_raise == 1.0 and cost.xen_atomics_per_raise == 1.6


def test_fairness_per_class():
    t = make_trace([R(0, p, 0, False) for p in (1, 2, 3)] + [
        D(0, 1, 0, 0, 1), D(1, 1, 0, 1, 1), D(2, 2, 0, 2, 1), D(3, 3, 0, 3, 1)],
        classes=[(1, "x"), (2, "x"), (3, "y")])
    f = fairness(t)
    assert list(f) == ["x"]            # y has one port: nothing to compare
    assert f["x"] == pytest.approx(jain([2, 1]))
    assert fairness(t, of="mean-latency")["x"] == pytest.approx(jain([0.5, 2]))
    assert fairness(t, of="speed")["x"] == pytest.approx(jain([1 / 1.5, 1 / 3]))
    with pytest.raises(ValueError, match="deliveries, mean-latency, speed"):
        fairness(t, of="slowness")


def test_speed_fairness_sees_starvation_that_delivery_counts_hide():
    """Two ports of one class, each delivered once: one at once, one after 90 ticks.

    Delivery counts are equal (index 1.0); speeds 1/1 and 1/91 are not."""
    t = make_trace([R(0, 1, 0, False), R(0, 2, 0, False), D(0, 1, 0, 0, 1),
                    D(90, 2, 0, 90, 1)], classes=[(1, "x"), (2, "x")])
    assert fairness(t)["x"] == pytest.approx(1.0)
    assert fairness(t, of="speed")["x"] == pytest.approx(jain([1, 1 / 91]))
    assert fairness(t, of="speed")["x"] < 0.6


def test_overall_and_empty_runs():
    t = make_trace([], ticks=50)
    o = overall(t)
    assert o.deliveries == 0 and o.deliveries_per_tick == 0
    assert o.p50 is None and o.worst_fairness is None and o.starved == ()
    assert scan_cost(t).rw_per_delivery is None
    assert "-" in metrics_table([t])
    with pytest.raises(ValueError, match="horizon"):
        port_stats(t, horizon=-1)


def test_starvation_shows_in_a_simulated_flood():
    w = Flood(1) + Explicit([(2, 40)])
    zero = simulate("2l", w, ticks=300, seed=0, scan="from-zero", horizon=50)
    resume = simulate("2l", w, ticks=300, seed=0, horizon=50)
    assert starved_ports(zero) == [40]
    assert starved_ports(resume) == []
    assert overall(zero).max > 250 and overall(resume).max <= 2


def test_fair_shares_among_guests_of_one_class():
    t = simulate("2l", Guests(16, rate=0.01), ticks=5000, seed=2)
    f = fairness(t)
    assert set(f) == {"xenstore", "console", "vif", "vbd"}
    assert f["vif"] > 0.8


def test_tables_fit_72_columns():
    traces = [simulate(n, preset("mixed"), ticks=300, seed=1, **o) for n, o in (
        ("2l", {"scan": "from-zero"}), ("2l", {"timer_first": True}),
        ("3l", {}), ("fifo", {}))]
    table = metrics_table(traces)
    lines = table.splitlines()
    assert all(len(line) <= 72 for line in lines)
    assert lines[0].split()[:3] == ["run", "del/tk", "p50"]
    assert [line.split()[0] for line in lines[2:6]] == ["2l/W64", "2l/W64", "3l/W64", "fifo"]
    assert "resume+tf" in lines[3]
    named = metrics_table(traces[:2], labels=["a very long label indeed", "b"])
    assert named.splitlines()[2].startswith("a very long label")
    with pytest.raises(ValueError, match="2 traces but 1 labels"):
        metrics_table(traces[:2], labels=["x"])
    for text in (port_table(traces[0]), report(traces[0]), port_table(traces[3], limit=3)):
        assert all(len(line) <= 72 for line in text.splitlines())
    assert "more ports" in port_table(traces[3], limit=3)
    assert "Jain" in report(traces[0])


def _plain_port_stats(trace, horizon):
    """port_stats written the obvious way, event by event (the reference)."""
    from collections import defaultdict
    from evtlib.sim.metrics import PortStats
    raises, merged, delivered = defaultdict(int), defaultdict(int), defaultdict(int)
    lats = defaultdict(list)
    for e in trace.events:
        if type(e) is RaiseEvent:
            raises[e.port] += 1
            merged[e.port] += e.merged
        elif type(e) is DeliverEvent:
            delivered[e.port] += 1
            if e.latency is not None:
                lats[e.port].append(e.latency)
    still = defaultdict(list)
    for port, tick in trace.summary.waiting:
        still[port].append(trace.summary.end - tick)
    classes = dict(trace.config.classes)
    out = {}
    for port in sorted(set(raises) | set(delivered) | set(still)):
        xs = lats.get(port, [])
        waits = xs + still.get(port, [])
        out[port] = PortStats(
            port, classes.get(port, "other"), raises[port], merged[port], delivered[port],
            percentile(xs, 50), percentile(xs, 99), max(xs) if xs else None,
            sum(xs) / len(xs) if xs else None, max(waits) if waits else None,
            len(still.get(port, [])), bool(waits) and max(waits) > horizon)
    return out


@pytest.mark.parametrize("name,opts,work", [
    ("2l", {"scan": "from-zero"}, "mixed"), ("3l", {}, "guests"), ("fifo", {"vcpus": 2}, "mixed"),
    ("2l", {"timer_first": True}, "timer"), ("2l", {"scan": "from-zero"}, "flood")])
def test_column_port_stats_agree_with_the_plain_computation(name, opts, work):
    """The numpy port_stats gives exactly what an event-by-event loop gives
    (same ints, same float means), on runs with merges, waits left at the
    end and deliveries with no raise recorded."""
    s = evtlib.make_scheme(name, **opts)
    s.set_pending(7)                    # delivered with latency None
    s.mask(33)
    t = simulate(s, preset(work) + Explicit([(5, 33), (9, 33)]), ticks=700, seed=3)
    for h in (0, 5, 100):
        assert port_stats(t, h) == _plain_port_stats(t, h)
    assert latencies(t) == [e.latency for e in t.deliveries if e.latency is not None]
    for cls in ("vif", "other", "busy", "once"):
        classes = dict(t.config.classes)
        assert latencies(t, cls=cls) == [e.latency for e in t.deliveries
                                         if e.latency is not None
                                         and classes.get(e.port, "other") == cls]
