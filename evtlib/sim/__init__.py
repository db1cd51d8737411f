"""Layer ``sim``: event channels over time.

``engine`` raises a workload against a model tick by tick (its loop is
``runner``) and records an immutable :class:`~evtlib.sim.trace.Trace`;
``workloads`` says which ports are raised and when; ``budget`` sizes a run
before it starts; ``metrics`` measures traces (waits, starvation, fairness,
scan cost; per-port figures in ``portcols``); ``records`` holds the event
records and their columns, ``trace`` the trace and its text and JSON,
``tracefile`` and ``tracecheck`` reading and checking trace files.

May import: :mod:`evtlib.abi`, the standard library and numpy. A new workload
kind goes in ``workloads/kinds.py`` (a named one in ``workloads/presets.py``);
a new measure in ``metrics``.
"""

from . import workloads
from .engine import DEFAULT_HORIZON, resolve_scheme, schedule, simulate
from .metrics import (fairness, jain, metrics_table, overall, port_stats, port_table, report,
                      scan_cost)
from .trace import Trace, TraceFormatError

__all__ = [
    "workloads", "DEFAULT_HORIZON", "resolve_scheme", "schedule", "simulate", "fairness",
    "jain", "metrics_table", "overall", "port_stats", "port_table", "report", "scan_cost",
    "Trace", "TraceFormatError",
]
