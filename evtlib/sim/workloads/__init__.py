"""Workloads: which ports Xen raises, and when.

A workload is a small object with

* ``events(ticks, rng)``: the raises scheduled in ticks ``0 .. ticks-1``, as
  ``(tick, port)`` pairs. Their order matters only within one tick: the
  simulator raises same-tick events in the order given here (it sorts by
  tick with a stable sort). All randomness comes from ``rng``, a
  ``numpy.random.Generator`` the simulator builds from the seed, so the same
  seed gives the same events.
* ``on_deliver(port, tick)``: raises caused by a delivery ("re-raise as soon
  as handled"). ``tick`` is when that delivery's handler finishes; the
  returned ``(tick, port)`` pairs must not be earlier. Most workloads have
  none. ``hooked_ports()`` tells the simulator which ports have hooks
  (``None``: any port may).
* ``on_deliver_eoi(port, tick)``: EOIs a delivery schedules (late-EOI
  ports, see :class:`Backend`); ``eoi_ports()`` names the ports that have them.
* ``port_class(port)``: a label ("timer", "flood", "vif"...) used to compare
  like with like (Jain's fairness index is taken over one class).
* ``specs()``: the few ports that need setting up before the run: the timer
  VIRQ of a vCPU, a FIFO priority, a vCPU binding (see :class:`PortSpec`).
* ``describe()``: one line for trace headers.

Workloads compose: ``Mix(a, b)`` or ``a + b`` raises both. Ports are checked
here only for being ints >= 1; the simulator checks them against the
scheme's ``max_ports``.
"""

from .base import (DEVICE_RATES, DEVICES, MAX_RAISES, MAX_RATE, MIN_RATE, Mix, Pair,
                   PortSpec, Workload, check_count, check_port, check_ports, check_rate,
                   check_volume)
from .kinds import (Backend, Burst, Explicit, Flood, FromGenerator, Guests, Periodic, Poisson, Timer,
                    as_workload, with_priority)
from .presets import PRESETS, Preset, preset

__all__ = [
    "DEVICE_RATES", "DEVICES", "MAX_RAISES", "MAX_RATE", "MIN_RATE", "Mix", "Pair",
    "PortSpec", "Workload", "check_count", "check_port", "check_ports", "check_rate",
    "check_volume", "Backend", "Burst", "Explicit", "Flood", "FromGenerator", "Guests", "Periodic",
    "Poisson", "Timer", "as_workload", "with_priority", "PRESETS", "Preset", "preset",
]
