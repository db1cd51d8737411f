"""Switching a running 2-level guest to FIFO: ``EVTCHNOP_init_control``.

What Xen does (``evtchn_fifo_init_control``, the first call for a domain):
it sets up an empty event array (no page), switches the domain's port
operations to FIFO, then ``setup_ports`` walks the ports below the old
2-level limit: a port pending in the old 2-level bitmap gets Xen's private
pending flag, and every port's priority becomes the default, 7. Xen-private
state that is not ABI-specific stays: each port's notify vCPU, and the
vCPUs' upcall flags (in ``vcpu_info``).

What Linux does: its own bindings (the CPU each irq runs on, which port is
which vCPU's timer) stay, and a port becomes usable again when Linux sets it
up for FIFO (``evtchn_fifo_setup``: add the pages it needs, every word of a
new page masked by ``init_array_page``), then unmasks it when the irq starts.
So the old 2-level masks are not carried; in this model, ``bind`` (or
``setup_port``) does that set-up. Which ports Linux bound late-EOI is
carried; an EOI pending at the switch is not (Linux switches before it
handles any event). A carried event is re-raised when its page
is added (Xen ``917c123029``) and is delivered once Linux unmasks its port.

The public header's note on ``init_control`` says the opposite: "any events
that are currently pending will not be resent and will be lost". That was
the code before ``917c123029``; ``switch_to_fifo(s, missing="drop")``
models it (nothing carried, and raises before a page exists are lost).
"""

from __future__ import annotations

from .fifo import Fifo
from .twolevel import TwoLevel


def switch_to_fifo(two_level, missing: str = "keep") -> Fifo:
    """A :class:`Fifo` (``grow="on-demand"``, no page yet) for the 2-level
    guest ``two_level`` after ``EVTCHNOP_init_control`` and ``setup_ports``.

    ``two_level`` itself is not changed. ``missing``: ``"keep"`` (Xen since
    ``917c123029``) or ``"drop"`` (the header's "will be lost").
    """
    if not isinstance(two_level, TwoLevel):
        raise TypeError(f"switch_to_fifo takes a 2-level model (evtlib.TwoLevel), "
                        f"got {two_level!r}: EVTCHNOP_init_control switches a "
                        f"2-level domain to FIFO")
    if two_level._in_upcall is not None:
        raise ValueError("switch_to_fifo called from inside an upcall: Linux "
                         "switches ABIs before it handles events")
    f = Fifo(vcpus=two_level.vcpus, grow="on-demand", missing=missing)
    # Xen-private and vcpu_info state that survives the switch.
    f._notify = dict(two_level._notify)
    f._upcall_flag = list(two_level._upcall_flag)
    # Linux's own bindings survive too.
    f._cpu = dict(two_level._cpu)
    f._timer = list(two_level._timer)
    f._timer_vcpu = dict(two_level._timer_vcpu)
    f._lateeoi = set(two_level._lateeoi)
    # setup_ports: ports 1 .. old limit - 1; every priority back to 7.
    f._prio = {}
    if missing == "keep":
        f._xen_pending = set(two_level.pending_ports())
    return f
