"""evtlib: executable models of Xen event channels (2-level, 3-level, FIFO).

Models (Xen side and Linux guest side): :class:`TwoLevel`, :class:`ThreeLevel`
(a reconstruction of an unmerged proposal), :class:`Fifo`; :func:`make_scheme`
builds one by name. Over time: :func:`simulate` a workload into a :class:`Trace`
and measure it with the functions of :mod:`evtlib.sim.metrics`.

The package is layered; imports only go down:

* :mod:`evtlib.abi`: what Xen and Linux do (the models);
* :mod:`evtlib.sim` (time) and :mod:`evtlib.races` (interleavings);
* :mod:`evtlib.studies`: the experiments the notebooks and the CLI run;
* :mod:`evtlib.views`: text, HTML, charts and widgets;
* :mod:`evtlib.cli` and the notebooks on top.
"""

from .abi import (SCHEMES, Counters, EventChannels, EvtchnOps, Fifo, LimitRow, LoopCtrl,
                  NestedUpcallError, Snapshot, Step, ThreeLevel, TwoLevel, UpcallLimitError,
                  bound_memory, limits, limits_text, make_scheme, switch_to_fifo)
from .sim import (Trace, TraceFormatError, fairness, jain, metrics_table, overall, port_stats,
                  port_table, report, scan_cost, schedule, simulate, workloads)
from .sim.workloads import (Backend, Burst, Explicit, Flood, FromGenerator, Guests, Mix, Periodic,
                            Poisson, Timer, preset)
from .studies.capacity import Capacity, capacity_table, guests_per_dom0

__all__ = [
    "EventChannels", "EvtchnOps", "NestedUpcallError", "UpcallLimitError",
    "Fifo", "ThreeLevel", "TwoLevel", "SCHEMES", "make_scheme", "switch_to_fifo",
    "LoopCtrl",
    "LimitRow", "limits", "limits_text", "bound_memory", "Counters", "Snapshot", "Step",
    "simulate", "schedule", "Trace", "TraceFormatError", "workloads",
    "Backend", "Burst", "Explicit", "Flood", "FromGenerator", "Guests", "Mix", "Periodic",
    "Poisson", "Timer", "preset",
    "fairness", "jain", "metrics_table", "overall", "port_stats", "port_table",
    "report", "scan_cost", "Capacity", "capacity_table", "guests_per_dom0",
]
