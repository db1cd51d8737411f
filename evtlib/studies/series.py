"""Chart-ready results: each port's worst wait, sweeps and grouped bars.

Small frozen records that hold exactly the numbers a chart draws, so tests
check numbers, never pixels. The studies build them; :mod:`evtlib.views.charts`
draws them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..sim.metrics import port_stats
from ..sim.trace import Trace


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


@dataclass(frozen=True)
class Bars:
    """Grouped bars: ``series[i] = (name, values)`` with ``values[k]`` for
    ``groups[k]`` (None: no bar)."""

    groups: tuple[str, ...]
    series: tuple[tuple[str, tuple], ...]
    ylabel: str

    def values(self, name: str) -> tuple:
        return dict(self.series)[name]
