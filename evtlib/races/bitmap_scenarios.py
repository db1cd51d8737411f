"""The 2-level and 3-level scenarios (spec section 5, last two rows).

Words are W = 2 bits wide, so that a handful of ports spans several words
(and, for 3-level, several L2 words). The teaching mutants of spec section 3
are run as codes on these scenarios rather than as scenarios of their own:
``late-upcall-clear`` and ``sel-before-pending`` on the raise-vs-upcall
scenarios, ``unmask-no-recheck`` on the unmask ones, ``binding-mismatch`` on
the binding ones.
"""

from __future__ import annotations

from .bitmap_actors import (BitmapModel, BitSw, guest_unmask_frame, initial,
                            raise_frame, upcall_frame, xen_unmask_frame)
from .registry import Actor, Setup, scenario

W = 2
UPCALL_CODES = ("fixed", "late-upcall-clear", "sel-before-pending")
UNMASK_CODES = ("fixed", "unmask-no-recheck")
BINDING_CODES = ("fixed", "binding-mismatch")


def _sw(code, levels, ports, vcpus=1, notify=None, bound=None) -> BitSw:
    notify = notify or {}
    bound = bound or {}
    active = tuple(sum(1 << p for p in range(1, ports) if bound.get(p, 0) == v)
                   for v in range(vcpus))
    return BitSw(levels, W, vcpus, code.late_upcall_clear, code.sel_before_pending,
                 code.unmask_no_recheck,
                 tuple(notify.get(p, 0) for p in range(ports)), active)


def _setup(sw, ports, actors, **init) -> Setup:
    return Setup(BitmapModel, sw, initial(sw, **init), tuple(actors), {"ports": ports})


def _raise_vs_upcall(code, levels):
    if levels == 2:
        # Port 1 in word 0; ports 2 and 3 share word 1.
        ports, a, b, c = 4, 1, 2, 3
        init = dict(pending=(1,), selector={0: 0b01}, upcall=(1,))
    else:
        # Port 1 in word 0 (L1 0, L2 bit 0); ports 6 and 7 in word 3 (L1 1,
        # L2 bit 1).
        ports, a, b, c = 8, 1, 6, 7
        init = dict(pending=(1,), selector={0: 0b01}, l2={0: (0b01, 0)},
                    upcall=(1,))
    sw = _sw(code, levels, ports)
    actors = (Actor("guest", (upcall_frame(0, sw),)),
              Actor(f"xen-{a}", (raise_frame(a),)),
              Actor(f"xen-{b}", (raise_frame(b),)),
              Actor(f"xen-{c}", (raise_frame(c),)))
    return _setup(sw, ports, actors, **init)


@scenario("2l-raise-vs-upcall", "2l", UPCALL_CODES)
def two_level_raise_vs_upcall(code):
    """Raises during an upcall, and two raisers on one word (2-level).

    Actors: guest runs the upcall loop on vCPU 0; xen-1 raises port 1
    again; xen-2 and xen-3 raise ports 2 and 3, which share bitmap word 1,
    on two other CPUs.
    Initial state: port 1 (word 0) is pending and signalled: selector bit
    0 and upcall_pending set. W = 2 ports per word.
    Question: is every raise delivered, exactly once per pending edge?
    The mutants late-upcall-clear and sel-before-pending run here.
    """
    return _raise_vs_upcall(code, 2)


@scenario("3l-raise-vs-upcall", "3l", UPCALL_CODES)
def three_level_raise_vs_upcall(code):
    """Raises during an upcall, and two raisers on one word (3-level).

    Actors: guest runs the upcall loop on vCPU 0 (xchg L1, then each L2
    word it names, then scan); xen-1 raises port 1 again; xen-6 and xen-7
    raise ports 6 and 7, which share bitmap word 3 (L1 bit 1, L2 bit 1).
    Initial state: port 1 (word 0: L1 bit 0, L2 bit 0) is pending and
    signalled: L2 bit, L1 bit and upcall_pending set. W = 2.
    Question: does the longer selector chain (L2, then L1, then the flag)
    lose or duplicate anything? This is the reconstruction of spec section
    2; the thread called its races "fairly well understood".
    """
    return _raise_vs_upcall(code, 3)


def _unmask(code, levels):
    ports = 4 if levels == 2 else 8
    sw = _sw(code, levels, ports)
    actors = (Actor("xen-1", (raise_frame(1),)),
              Actor("unmask-1", (guest_unmask_frame(1, 0),)),
              Actor("xen-2", (raise_frame(2),)),
              Actor("xunmask-2", (xen_unmask_frame(2),)),
              Actor("guest", (upcall_frame(0, sw),)))
    return _setup(sw, ports, actors, masked=(1, 2))


@scenario("2l-unmask", "2l", UNMASK_CODES)
def two_level_unmask(code):
    """Raise versus unmask (2-level).

    Actors: xen-1 raises port 1 while unmask-1 unmasks it with Linux's fast
    path (on vCPU 0, the port's CPU: clear MASK, re-check PENDING, set the
    selector bit and the upcall itself); xen-2 raises port 2 while
    xunmask-2 unmasks it by EVTCHNOP_unmask (Xen's path); guest runs the
    upcall loop on vCPU 0.
    Initial state: ports 1 and 2 masked, nothing pending. W = 2.
    Question: is an event raised while its port is masked delivered after
    the unmask? The mutant unmask-no-recheck runs here.
    """
    return _unmask(code, 2)


@scenario("3l-unmask", "3l", UNMASK_CODES)
def three_level_unmask(code):
    """Raise versus unmask (3-level).

    Actors: xen-1 raises port 1 while unmask-1 unmasks it with the guest's
    fast path (on vCPU 0: clear MASK, re-check PENDING, then set the L2
    bit, the L1 bit and the upcall itself); xen-2 raises port 2 while
    xunmask-2 unmasks it by EVTCHNOP_unmask; guest runs the upcall loop.
    Initial state: ports 1 and 2 masked, nothing pending. W = 2.
    Question: as in 2l-unmask, with the longer 3-level chain in both
    unmasks. The mutant unmask-no-recheck runs here.
    """
    return _unmask(code, 3)


def _binding(code, levels):
    ports = 2
    notify = {1: 1} if code.mismatch else {}
    sw = _sw(code, levels, ports, vcpus=2, notify=notify, bound={1: 0})
    actors = (Actor("xen-1", (raise_frame(1),)),
              Actor("guest-v0", (upcall_frame(0, sw),)),
              Actor("guest-v1", (upcall_frame(1, sw),)))
    return _setup(sw, ports, actors)


@scenario("2l-binding-mismatch", "2l", BINDING_CODES)
def two_level_binding(code):
    """Xen's notify vCPU against Linux's binding (2-level).

    Actors: xen-1 raises port 1; guest-v0 and guest-v1 run the upcall loop
    on vCPUs 0 and 1. Linux binds port 1 to vCPU 0 (its cpu_evtchn_mask);
    Xen notifies vCPU 0 in the fixed code, vCPU 1 under binding-mismatch.
    Initial state: nothing pending, two vCPUs.
    Question: if the two disagree, vCPU 1 takes the selector bit and
    filters the port out: is the event then lost until an unmask or a
    rebind (the race Linux's "ensure that all event channels start off
    bound to VCPU 0" addresses)?
    """
    return _binding(code, 2)


@scenario("3l-binding-mismatch", "3l", BINDING_CODES)
def three_level_binding(code):
    """Xen's notify vCPU against Linux's binding (3-level).

    Actors: xen-1 raises port 1; guest-v0 and guest-v1 run the upcall loop
    on vCPUs 0 and 1, each taking its own L1 word and then the L2 words it
    names. Linux binds port 1 to vCPU 0; Xen notifies vCPU 0 in the fixed
    code, vCPU 1 under binding-mismatch.
    Initial state: nothing pending, two vCPUs.
    Question: as in 2l-binding-mismatch: does the port stay pending, and
    its event lost, when vCPU 1 consumes the selector bits?
    """
    return _binding(code, 3)
