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

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..abi.checks import check_int
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
@dataclass(frozen=True)
class PortStats:
    """What happened to one port over the run (waits in ticks)."""

    port: int
    cls: str
    raises: int
    merged: int
    deliveries: int
    p50: int | None
    p99: int | None
    max: int | None
    mean: float | None
    longest_wait: int | None   # delivered or still waiting at the end
    waiting_at_end: int        # unmerged raises never delivered
    starved: bool              # some raise waited longer than the horizon


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


def _nearest_rank(ordered: np.ndarray, starts: np.ndarray, counts: np.ndarray,
                  q: float) -> np.ndarray:
    """Nearest-rank q-percentile of each group of ``ordered`` (sorted within
    groups): the same float arithmetic as :func:`percentile`."""
    rank = np.maximum(1, np.ceil(q / 100 * counts)).astype(np.int64)
    return ordered[starts + rank - 1]


def port_stats(trace: Trace, horizon: int | None = None) -> dict[int, PortStats]:
    """Per-port statistics, keyed and ordered by port.

    A still-waiting raise counts as a wait of ``summary.end - raise tick``.
    Computed on the event columns, a few passes of numpy in all.
    """
    horizon = _horizon(trace, horizon)
    t, end = trace.table, trace.summary.end
    rp, dp = t.column("r", "port"), t.column("d", "port")
    still = np.array(trace.summary.waiting, dtype=np.int64).reshape(-1, 2)
    n = int(max(rp.max(initial=0), dp.max(initial=0), still[:, 0].max(initial=0))) + 1
    raises = np.bincount(rp, minlength=n)
    merged = np.bincount(rp[t.column("r", "merged") != 0], minlength=n)
    delivered = np.bincount(dp, minlength=n)
    lat = t.column("d", "latency")
    timed = lat != NO_LATENCY
    lp, lv = dp[timed], lat[timed]
    order = np.lexsort((lv, lp))
    lp, lv = lp[order], lv[order]
    counts = np.bincount(lp, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    sums = np.zeros(n, dtype=np.int64)
    if has.any():
        # Groups are contiguous in lv: one sum per non-empty group, exact ints.
        sums[has] = np.add.reduceat(lv, starts[has])
    waits = np.full(n, -1, dtype=np.int64)
    waits[has] = lv[starts[has] + counts[has] - 1]
    lmax = waits.copy()
    left = np.bincount(still[:, 0], minlength=n)
    np.maximum.at(waits, still[:, 0], end - still[:, 1])
    ports = np.flatnonzero(raises + delivered + left)
    cols = {"raises": raises, "merged": merged, "deliveries": delivered, "counts": counts,
            "sums": sums, "lmax": lmax, "waits": waits, "left": left}
    cols = {k: v[ports].tolist() for k, v in cols.items()}
    p50 = np.full(n, -1, dtype=np.int64)
    p99 = p50.copy()
    p50[has] = _nearest_rank(lv, starts[has], counts[has], 50)
    p99[has] = _nearest_rank(lv, starts[has], counts[has], 99)
    q50, q99 = p50[ports].tolist(), p99[ports].tolist()
    classes = dict(trace.config.classes)
    out = {}
    for i, port in enumerate(ports.tolist()):
        k = cols["counts"][i]
        w = cols["waits"][i]
        out[port] = PortStats(
            port=port, cls=classes.get(port, "other"), raises=cols["raises"][i],
            merged=cols["merged"][i], deliveries=cols["deliveries"][i],
            p50=q50[i] if k else None, p99=q99[i] if k else None,
            max=cols["lmax"][i] if k else None, mean=cols["sums"][i] / k if k else None,
            longest_wait=w if w >= 0 else None, waiting_at_end=cols["left"][i],
            starved=w > horizon)
    return out


def starved_ports(trace: Trace, horizon: int | None = None) -> list[int]:
    """Ports with a raise that waited longer than the horizon (or still waits)."""
    return [p for p, st in port_stats(trace, horizon).items() if st.starved]


def longest_wait(trace: Trace, port: int) -> int | None:
    """The longest wait of one port (None if it was never raised)."""
    st = port_stats(trace).get(port)
    return None if st is None else st.longest_wait


# ------------------------------------------------------------- fairness
FAIRNESS_OF = ("deliveries", "mean-latency", "speed")


def _mean_wait(st: PortStats) -> float | None:
    return st.mean if st.mean is not None else st.longest_wait


def fairness(trace: Trace, of: str = "deliveries") -> dict[str, float | None]:
    """Jain's index per port class (classes with at least two ports).

    ``of="deliveries"``: how evenly deliveries were shared among the ports of
    a class (ports of one class raised at one rate should get equal shares).
    ``of="mean-latency"``: how evenly they waited (each port's mean latency).
    ``of="speed"``: how evenly they were served, each port's speed being
    ``1 / (1 + mean wait)`` (a port never delivered counts its wait so far).
    Under starvation the first two can read "fair" (every starved port got
    its one delivery; nearly every port waits equally long); speed does not.
    """
    if of not in FAIRNESS_OF:
        raise ValueError(f"unknown fairness measure {of!r}: valid values are "
                         f"{', '.join(FAIRNESS_OF)}")
    return _fairness(port_stats(trace), of)


def _fairness(stats: dict[int, PortStats], of: str) -> dict[str, float | None]:
    groups: dict[str, list[PortStats]] = defaultdict(list)
    for st in stats.values():
        groups[st.cls].append(st)
    out = {}
    for cls, sts in sorted(groups.items()):
        if len(sts) < 2:
            continue
        if of == "deliveries":
            out[cls] = jain(st.deliveries for st in sts)
        elif of == "mean-latency":
            out[cls] = jain(st.mean for st in sts if st.mean is not None)
        else:
            out[cls] = jain(1 / (1 + w) for w in map(_mean_wait, sts) if w is not None)
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
    return _overall(trace, port_stats(trace, horizon))


def _rank(ordered: np.ndarray, q: float) -> int | None:
    """:func:`percentile` of values already sorted (a numpy array)."""
    if not len(ordered):
        return None
    return int(ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1])


def _overall(trace: Trace, stats: dict[int, PortStats]) -> Overall:
    """:func:`overall` from stats already computed (with the same horizon)."""
    lats = np.sort(_latencies(trace))
    # Speed, not delivery counts: a starved port still gets its one delivery.
    fair = _fairness(stats, "speed")
    known = [v for v in fair.values() if v is not None]
    s = trace.summary
    return Overall(
        ticks=trace.config.ticks, raises=s.raises, merged=s.merged,
        deliveries=s.deliveries, upcalls=s.upcalls,
        deliveries_per_tick=s.deliveries / trace.config.ticks,
        p50=_rank(lats, 50), p99=_rank(lats, 99),
        max=int(lats[-1]) if len(lats) else None,
        starved=tuple(p for p, st in stats.items() if st.starved),
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
    return _port_table(port_stats(trace, horizon), ports, limit)


def _port_table(stats: dict[int, PortStats], ports: Iterable[int] | None,
                limit: int | None) -> str:
    if limit is not None:
        limit = check_int(limit, "limit", 0)
    rows = list(stats.values())
    if ports is not None:
        wanted = set(ports)
        rows = [st for st in rows if st.port in wanted]
    cut = 0
    if limit is not None and len(rows) > limit:
        keep = heapq.nsmallest(limit, rows, key=lambda st: -(st.longest_wait or 0))
        cut = len(rows) - limit
        rows = sorted(keep, key=lambda st: st.port)
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
    stats = port_stats(trace, h)
    o = _overall(trace, stats)
    c = o.cost
    fair = ", ".join(f"{k} {_num(v, '.3f')}" for k, v in o.fairness) or "-"
    lines = [_port_table(stats, None, limit), "",
             f"Deliveries per tick: {o.deliveries_per_tick:.3f} ({o.deliveries} in "
             f"{o.ticks} ticks, {o.upcalls} upcalls)",
             f"Latency (ticks): p50 {_num(o.p50)}, p99 {_num(o.p99)}, "
             f"max {_num(o.max)}",
             f"Starved (waited > {h} ticks): "
             + (" ".join(map(str, o.starved)) if o.starved else "none"),
             f"Jain's index by class (speed, 1/(1+mean wait)): {fair}",
             f"Guest cost per delivery: {_num(c.rw_per_delivery, '.2f')} words "
             f"read/written, {_num(c.atomics_per_delivery, '.2f')} atomics",
             f"Xen cost per raise: {_num(c.xen_rw_per_raise, '.2f')} words "
             f"read/written, {_num(c.xen_atomics_per_raise, '.2f')} atomics"]
    return "\n".join(fit(line) for text in lines for line in text.split("\n"))
