"""Per-port figures of a trace, computed on its columns, for the metrics.

:func:`port_columns` makes one pass of numpy over the events: counts of
raises, merges and deliveries per port, the latency distribution of each
(nearest-rank p50/p99, max, exact integer sum), the waits still open at the
end. :class:`PortColumns` then hands out a :class:`PortStats` per port, but
only for the ports asked for, and the per-class groups the fairness indices
need, so a report on 250,000 ports builds 30 records, not 250,000.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .records import NO_LATENCY
from .trace import Trace


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


def _nearest_rank(ordered: np.ndarray, starts: np.ndarray, counts: np.ndarray,
                  q: float) -> np.ndarray:
    """Nearest-rank q-percentile of each group of ``ordered`` (sorted within
    groups): the same float arithmetic as ``metrics.percentile``."""
    rank = np.maximum(1, np.ceil(q / 100 * counts)).astype(np.int64)
    return ordered[starts + rank - 1]


class PortColumns:
    """The per-port figures as columns (lists), ports in increasing order.

    ``waits[i]`` is the port's longest wait (-1: none), ``counts[i]`` its
    timed deliveries and ``sums[i]`` their latencies' exact sum.
    """

    FIELDS = ("raises", "merged", "deliveries", "counts", "sums", "lmax", "waits",
              "left", "p50", "p99")

    def __init__(self, ports: list, cls: list, horizon: int, **cols) -> None:
        self.ports, self.cls, self.horizon = ports, cls, horizon
        for name in self.FIELDS:
            setattr(self, name, cols[name])

    def mean(self, i: int) -> float | None:
        k = self.counts[i]
        return self.sums[i] / k if k else None

    def row(self, i: int) -> PortStats:
        k, w = self.counts[i], self.waits[i]
        return PortStats(
            port=self.ports[i], cls=self.cls[i], raises=self.raises[i],
            merged=self.merged[i], deliveries=self.deliveries[i],
            p50=self.p50[i] if k else None, p99=self.p99[i] if k else None,
            max=self.lmax[i] if k else None, mean=self.mean(i),
            longest_wait=w if w >= 0 else None, waiting_at_end=self.left[i],
            starved=w > self.horizon)

    def all(self) -> dict[int, PortStats]:
        return {p: self.row(i) for i, p in enumerate(self.ports)}

    def starved(self) -> tuple[int, ...]:
        h = self.horizon
        return tuple(p for p, w in zip(self.ports, self.waits) if w > h)

    def groups(self) -> dict[str, list[int]]:
        """Row indices of each class, classes sorted, rows in port order."""
        out: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(self.cls):
            out[c].append(i)
        return dict(sorted(out.items()))


def port_columns(trace: Trace, horizon: int) -> PortColumns:
    """The per-port figures of ``trace`` (a still-waiting raise counts as a
    wait of ``summary.end - raise tick``)."""
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
    p50, p99 = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    p50[has] = _nearest_rank(lv, starts[has], counts[has], 50)
    p99[has] = _nearest_rank(lv, starts[has], counts[has], 99)
    ports = np.flatnonzero(raises + delivered + left)
    classes = dict(trace.config.classes)
    cols = dict(raises=raises, merged=merged, deliveries=delivered, counts=counts,
                sums=sums, lmax=lmax, waits=waits, left=left, p50=p50, p99=p99)
    plist = ports.tolist()
    return PortColumns(plist, [classes.get(p, "other") for p in plist], horizon,
                       **{k: v[ports].tolist() for k, v in cols.items()})
