"""evtlib: executable models of Xen event channels (2-level, 3-level, FIFO).

Models (Xen side and Linux guest side): :class:`TwoLevel`, :class:`ThreeLevel`
(a reconstruction of an unmerged proposal), :class:`Fifo`; :func:`make_scheme`
builds one by name. Over time: :func:`simulate` a workload into a :class:`Trace`
and measure it with the functions of :mod:`evtlib.metrics`.
"""

from . import workloads
from .capacity import Capacity, capacity_table, guests_per_dom0
from .core import EventChannels, EvtchnOps, NestedUpcallError, UpcallLimitError
from .fifo import Fifo
from .limits import LimitRow, limits, limits_text
from .metrics import (fairness, jain, metrics_table, overall, port_stats, port_table,
                      report, scan_cost)
from .records import Counters, Snapshot, Step
from .schemes import SCHEMES, make_scheme
from .sim import schedule, simulate
from .threelevel import ThreeLevel
from .trace import Trace, TraceFormatError
from .twolevel import TwoLevel
from .workloads import (Burst, Explicit, Flood, FromGenerator, Guests, Mix, Periodic,
                        Poisson, Timer, preset)

__all__ = [
    "EventChannels", "EvtchnOps", "NestedUpcallError", "UpcallLimitError",
    "Fifo", "ThreeLevel", "TwoLevel", "SCHEMES", "make_scheme",
    "LimitRow", "limits", "limits_text", "Counters", "Snapshot", "Step",
    "simulate", "schedule", "Trace", "TraceFormatError", "workloads",
    "Burst", "Explicit", "Flood", "FromGenerator", "Guests", "Mix", "Periodic",
    "Poisson", "Timer", "preset",
    "fairness", "jain", "metrics_table", "overall", "port_stats", "port_table",
    "report", "scan_cost", "Capacity", "capacity_table", "guests_per_dom0",
]
