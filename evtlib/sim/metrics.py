"""Metrics computed from a :class:`~evtlib.trace.Trace` (never from formulas).

Per port (:func:`port_stats`): raises, merged raises, deliveries, the
latency distribution (p50/p99/max, nearest-rank percentiles), the longest
wait (delivered or still waiting at the end) and whether the port starved
(some raise waited longer than the horizon). Overall (:func:`overall`):
deliveries per tick, upcalls, Jain's fairness index over the ports of each
class (:func:`fairness`), and the scan cost per delivered event from the
models' counters (:func:`scan_cost`). :func:`metrics_table` compares runs
side by side in 72 columns.
"""

from __future__ import annotations

from collections import Counter

import heapq
import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..abi.checks import check_int
from .portcols import PortColumns, PortStats, port_columns
from .records import NO_LATENCY
from .trace import Trace, fit

WIDTH = 72


# ------------------------------------------------------------ statistics
def percentile(values: Sequence[int], q: float):
    """Nearest-rank percentile: the smallest value with at least q% at or below.

    Always one of the values (so latencies stay whole ticks); None if empty.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is out of range: valid values are 0..100")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def jain(values: Iterable[float]) -> float | None:
    """Jain's fairness index (sum x)^2 / (n * sum x^2).

    1.0 when every value is equal, 1/n when one value has everything. None
    for no values or all zeros (nothing to share, so fairness is undefined).
    """
    xs = [float(x) for x in values]
    if any(x < 0 for x in xs):
        raise ValueError(f"Jain's index needs values >= 0, got {min(xs)}")
    sq = sum(x * x for x in xs)
    if not xs or sq == 0:
        return None
    return sum(xs) ** 2 / (len(xs) * sq)


# -------------------------------------------------------------- per port
def latencies(trace: Trace, port: int | None = None, cls: str | None = None) -> list[int]:
    """Raise-to-delivery latencies, in delivery order (one port, one class, or all)."""
    return _latencies(trace, port, cls).tolist()


def _latencies(trace: Trace, port: int | None = None, cls: str | None = None) -> np.ndarray:
    ports, lat = trace.table.column("d", "port"), trace.table.column("d", "latency")
    keep = lat != NO_LATENCY
    if port is not None:
        keep &= ports == port
    if cls is not None:
        named = {p for p, c in trace.config.classes if c != cls}
        if cls == "other":
            keep &= ~np.isin(ports, list(named))
        else:
            keep &= np.isin(ports, [p for p, c in trace.config.classes if c == cls])
    return lat[keep]


def _horizon(trace: Trace, horizon: int | None) -> int:
    if horizon is None:
        return trace.config.horizon
    return check_int(horizon, "horizon", 0)


def port_stats(trace: Trace, horizon: int | None = None) -> dict[int, PortStats]:
    """Per-port statistics, keyed and ordered by port.

    A still-waiting raise counts as a wait of ``summary.end - raise tick``.
    Computed on the event columns (:mod:`evtlib.sim.portcols`).
    """
    return port_columns(trace, _horizon(trace, horizon)).all()


def starved_ports(trace: Trace, horizon: int | None = None) -> list[int]:
    """Ports with a raise that waited longer than the horizon (or still waits)."""
    return [p for p, st in port_stats(trace, horizon).items() if st.starved]


def longest_wait(trace: Trace, port: int) -> int | None:
    """The longest wait of one port (None if it was never raised)."""
    st = port_stats(trace).get(port)
    return None if st is None else st.longest_wait


# ------------------------------------------------------------- fairness
FAIRNESS_OF = ("deliveries", "mean-latency", "speed")


def fairness(trace: Trace, of: str = "deliveries") -> dict[str, float | None]:
    """Jain's index per port class (classes with at least two ports).

    ``of="deliveries"``: how evenly deliveries were shared among the ports of
    a class (ports of one class raised at one rate should get equal shares).
    ``of="mean-latency"``: how evenly they waited (each port's mean latency).
    ``of="speed"``: how evenly they were served, each port's speed being
    ``1 / (1 + mean wait)`` (a port never delivered counts its wait so far),
    and 0 for a starved port (a wait over the trace's horizon): a class whose
    ports all starved gets None, not 1.0. Under starvation the first two can
    read "fair" (every starved port got its one delivery; nearly every port
    waits equally long); speed does not.
    """
    if of not in FAIRNESS_OF:
        raise ValueError(f"unknown fairness measure {of!r}: valid values are "
                         f"{', '.join(FAIRNESS_OF)}")
    return _fairness(port_columns(trace, trace.config.horizon), of)


def _fairness(cols: PortColumns, of: str) -> dict[str, float | None]:
    """Jain's index per class of two ports or more, as in :func:`fairness`
    (the values in port order, as Python floats: the same sums as ever)."""
    out = {}
    for cls, rows in cols.groups().items():
        if len(rows) < 2:
            continue
        if of == "deliveries":
            out[cls] = jain(cols.deliveries[i] for i in rows)
        elif of == "mean-latency":
            out[cls] = jain(m for m in map(cols.mean, rows) if m is not None)
        else:
            # A port never delivered counts its wait so far (its longest); a
            # starved port (a wait over the horizon) counts as unserved, speed 0,
            # so that a class starved alike reads None, never "fair".
            speeds = []
            for i in rows:
                w = cols.mean(i) if cols.counts[i] else (
                    cols.waits[i] if cols.waits[i] >= 0 else None)
                if w is not None:
                    speeds.append(0.0 if cols.waits[i] > cols.horizon else 1 / (1 + w))
            out[cls] = jain(speeds)
    return out


# ------------------------------------------------------------- scan cost
@dataclass(frozen=True)
class ScanCost:
    """Shared-memory traffic from the models' counters.

    Guest side: words read or written and atomic operations spent in
    upcalls, per delivered event. Xen side: the same spent on raises, per
    raise. None where there was nothing to divide by.
    """

    deliveries: int
    raises: int
    guest_rw: int
    guest_atomics: int
    xen_rw: int
    xen_atomics: int

    @staticmethod
    def _per(n: int, d: int) -> float | None:
        return n / d if d else None

    @property
    def rw_per_delivery(self) -> float | None:
        return self._per(self.guest_rw, self.deliveries)

    @property
    def atomics_per_delivery(self) -> float | None:
        return self._per(self.guest_atomics, self.deliveries)

    @property
    def xen_rw_per_raise(self) -> float | None:
        return self._per(self.xen_rw, self.raises)

    @property
    def xen_atomics_per_raise(self) -> float | None:
        return self._per(self.xen_atomics, self.raises)


def scan_cost(trace: Trace) -> ScanCost:
    s = trace.summary
    return ScanCost(s.deliveries, s.raises, s.guest_reads + s.guest_writes,
                    s.guest_atomics, s.xen_reads + s.xen_writes, s.xen_atomics)


# --------------------------------------------------------------- overall
@dataclass(frozen=True)
class Overall:
    """One run in numbers (waits in ticks)."""

    ticks: int
    raises: int
    merged: int
    deliveries: int
    upcalls: int
    deliveries_per_tick: float
    p50: int | None
    p99: int | None
    max: int | None
    starved: tuple[int, ...]
    fairness: tuple[tuple[str, float | None], ...]
    worst_fairness: float | None   # the lowest index over the classes
    cost: ScanCost


def overall(trace: Trace, horizon: int | None = None) -> Overall:
    return _overall(trace, port_columns(trace, _horizon(trace, horizon)))


def _rank(ordered: np.ndarray, q: float) -> int | None:
    """:func:`percentile` of values already sorted (a numpy array)."""
    if not len(ordered):
        return None
    return int(ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1])


def _overall(trace: Trace, cols: PortColumns) -> Overall:
    """:func:`overall` from the per-port columns already computed."""
    lats = np.sort(_latencies(trace))
    # Speed, not delivery counts: a starved port still gets its one delivery.
    fair = _fairness(cols, "speed")
    known = [v for v in fair.values() if v is not None]
    s = trace.summary
    return Overall(
        ticks=trace.config.ticks, raises=s.raises, merged=s.merged,
        deliveries=s.deliveries, upcalls=s.upcalls,
        deliveries_per_tick=s.deliveries / trace.config.ticks,
        p50=_rank(lats, 50), p99=_rank(lats, 99),
        max=int(lats[-1]) if len(lats) else None,
        starved=cols.starved(),
        fairness=tuple(fair.items()), worst_fairness=min(known) if known else None,
        cost=scan_cost(trace))


# ---------------------------------------------------------------- tables
def _num(x, fmt: str = "d") -> str:
    if x is None:
        return "-"
    return format(x, fmt)


def label_of(trace: Trace) -> str:
    """A short label for a run: scheme and policy."""
    c = trace.config
    if c.scheme == "fifo":
        return "fifo"
    scan = {"from-zero": "zero", "resume": "resume"}.get(c.scan, str(c.scan))
    return f"{c.scheme}/W{c.word_bits} {scan}" + ("+tf" if c.timer_first else "")


def metrics_table(traces: Sequence[Trace], labels: Sequence[str] | None = None,
                  horizon: int | None = None) -> str:
    """Compare runs, one row each, in 72 columns.

    Columns: deliveries per tick; latency p50/p99/max; ports starved (wait >
    horizon); worst Jain index over port classes (speed); guest words
    read+written and atomics per delivery.
    """
    traces = list(traces)
    if labels is None:
        labels = [label_of(t) for t in traces]
    labels = list(labels)
    if len(labels) != len(traces):
        raise ValueError(f"metrics_table got {len(traces)} traces but "
                         f"{len(labels)} labels")
    head = (f"{'run':<18}{'del/tk':>7}{'p50':>6}{'p99':>6}{'max':>7}"
            f"{'starved':>8}{'Jain':>6}{'rw/del':>7}{'at/del':>7}")
    lines = [head, "-" * len(head)]
    for label, t in zip(labels, traces):
        o = overall(t, horizon)
        lines.append(
            f"{str(label)[:17]:<18}{o.deliveries_per_tick:>7.3f}{_num(o.p50):>6}"
            f"{_num(o.p99):>6}{_num(o.max):>7}{len(o.starved):>8}"
            f"{_num(o.worst_fairness, '.2f'):>6}"
            f"{_num(o.cost.rw_per_delivery, '.1f'):>7}"
            f"{_num(o.cost.atomics_per_delivery, '.1f'):>7}")
    hz = {t.config.horizon for t in traces} if horizon is None else {horizon}
    lines.append(f"waits in ticks; starved = waited > {'/'.join(map(str, sorted(hz)))} "
                 f"ticks; Jain = worst class")
    return "\n".join(lines)


def port_table(trace: Trace, ports: Iterable[int] | None = None,
               limit: int | None = 30, horizon: int | None = None) -> str:
    """Per-port table in 72 columns (``limit`` rows, worst waits first if cut)."""
    return _port_table(port_columns(trace, _horizon(trace, horizon)), ports, limit)


def _port_table(cols: PortColumns, ports: Iterable[int] | None, limit: int | None) -> str:
    if limit is not None:
        limit = check_int(limit, "limit", 0)
    index = range(len(cols.ports))
    if ports is not None:
        wanted = set(ports)
        index = [i for i in index if cols.ports[i] in wanted]
    cut = 0
    if limit is not None and len(index) > limit:
        # The longest waits (a stable sort: ties keep port order), then by port.
        keep = heapq.nsmallest(limit, index, key=lambda i: -max(cols.waits[i], 0))
        cut = len(index) - limit
        index = sorted(keep)
    rows = [cols.row(i) for i in index]
    head = (f"{'port':>6} {'class':<10}{'raised':>7}{'merged':>7}{'deliv':>7}"
            f"{'p50':>6}{'p99':>6}{'max':>6}{'longest':>8} {'starved':<7}")
    lines = [head, "-" * len(head)]
    for st in rows:
        lines.append(
            f"{st.port:>6} {st.cls[:9]:<10}{st.raises:>7}{st.merged:>7}"
            f"{st.deliveries:>7}{_num(st.p50):>6}{_num(st.p99):>6}{_num(st.max):>6}"
            f"{_num(st.longest_wait):>8} {'STARVED' if st.starved else '':<7}".rstrip())
    if cut:
        lines.append(f"  ... {cut} more ports (showing the longest waits)")
    return "\n".join(lines)


def report(trace: Trace, horizon: int | None = None, limit: int | None = 30) -> str:
    """Per-port table plus the overall figures, in 72 columns.

    The per-port statistics are computed once, for the table and the totals.
    """
    h = _horizon(trace, horizon)
    cols = port_columns(trace, h)
    o = _overall(trace, cols)
    c = o.cost
    starved_in = Counter(cols.cls[i] for i in range(len(cols.ports))
                         if cols.waits[i] > h)
    size = Counter(cols.cls)
    fair = ", ".join(f"{k} {_num(v, '.3f')}" + (f" ({starved_in[k]}/{size[k]} starved)"
                                                 if starved_in[k] else "")
                     for k, v in o.fairness) or "-"
    lines = [_port_table(cols, None, limit), "",
             f"Deliveries per tick: {o.deliveries_per_tick:.3f} ({o.deliveries} in "
             f"{o.ticks} ticks, {o.upcalls} upcalls)",
             f"Latency (ticks): p50 {_num(o.p50)}, p99 {_num(o.p99)}, "
             f"max {_num(o.max)}",
             f"Starved (waited > {h} ticks): "
             + (" ".join(map(str, o.starved)) if o.starved else "none"),
             f"Fairness by class (Jain's index of 1/(1+mean wait), a starved port "
             f"counting 0; '-': all starved): {fair}",
             f"Guest cost per delivery: {_num(c.rw_per_delivery, '.2f')} words "
             f"read/written, {_num(c.atomics_per_delivery, '.2f')} atomics",
             f"Xen cost per raise: {_num(c.xen_rw_per_raise, '.2f')} words "
             f"read/written, {_num(c.xen_atomics_per_raise, '.2f')} atomics"]
    return "\n".join(fit(line) for text in lines for line in text.split("\n"))
