"""Lifecycle and many vCPUs (notebook 08, parts 1 and 2): scripted scenarios.

Part 1: a 2-level guest with events pending switches to FIFO
(:func:`~evtlib.abi.switch.switch_to_fifo`), then Linux binds its ports
again one by one; the event array grows page by page and each carried event
is delivered once its page is there and its port unmasked. The same script
runs on the documented behaviour (``missing="drop"``: "will not be resent
and will be lost") and on Xen's (``"keep"``, since ``917c123029``).

Part 2: four vCPUs, each with its own timer (ports 1..4) and, in FIFO, its
own queues. Scripts of small steps (raise, bind, mask, unmask, upcall), each
step a frame of what every vCPU holds and has delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..abi.fifo import Fifo
from ..abi.switch import switch_to_fifo
from ..abi.twolevel import TwoLevel

#: Ports pending in the 2-level guest at the switch (pages 0, 0, 1, 3).
CARRIED = (3, 700, 1500, 4000)
#: The order in which Linux binds them again after the switch.
BIND_ORDER = (3, 1500, 700, 4000)
VCPUS = 4


# --------------------------------------------------------------- part 1
@dataclass(frozen=True)
class SwitchStep:
    """After one action: pages present, Xen's flags, FIFO-pending ports and
    the ports the upcall after it delivered."""

    action: str
    pages: int
    flagged: tuple[int, ...]
    pending: tuple[int, ...]
    delivered: tuple[int, ...]


def _pending_2l() -> TwoLevel:
    s = TwoLevel()
    for p in CARRIED:
        s.set_pending(p)
    return s


def switch_story(missing: str = "keep", order=BIND_ORDER) -> tuple[SwitchStep, ...]:
    """The switch, then one ``bind`` per port of ``order``, an upcall after each."""
    f = switch_to_fifo(_pending_2l(), missing=missing)
    steps = [SwitchStep("init_control", 0, tuple(f.xen_pending()),
                        tuple(f.pending_ports()), ())]
    for port in order:
        f.bind(port, 0)
        got = tuple(f.upcall(0))
        steps.append(SwitchStep(f"bind {port}", f.event_array_pages,
                                tuple(f.xen_pending()), tuple(f.pending_ports()), got))
    return tuple(steps)


def delivered_by_switch(steps) -> tuple[int, ...]:
    return tuple(p for s in steps for p in s.delivered)


def page_growth(ports) -> tuple[tuple[int, int], ...]:
    """(port bound, pages present after it) as Linux binds ``ports`` in order."""
    f = Fifo(grow="on-demand")
    out = []
    for p in ports:
        f.bind(p, 0)
        out.append((p, f.event_array_pages))
    return tuple(out)


def early_raise(missing: str = "keep", port: int = 2000) -> tuple[int, ...]:
    """A port raised before its page exists (the toolstack bound it and the
    other end sent), then Linux binds it: what the next upcall delivers."""
    f = Fifo(grow="on-demand", missing=missing)
    f.bind(1, 0)                     # the guest already has page 0
    f.set_pending(port)
    f.bind(port, 0)
    return tuple(f.upcall(0))


# --------------------------------------------------------------- part 2
@dataclass(frozen=True)
class VcpuFrame:
    """One step of a many-vCPU scenario: what each vCPU holds and delivered."""

    index: int
    why: str
    scheme: str
    rows: tuple[tuple, ...]   # (vcpu, timer, upcall flag, waiting ports, delivered)
    notify: int               # the watched port's Xen notify vCPU
    cpu: int                  # and its Linux CPU


WATCHED = 10


def _waiting(s, v: int) -> tuple[int, ...]:
    if isinstance(s, Fifo):
        return tuple(p for q in range(16) for p in s.queue(v, q))
    return tuple(p for p in s.pending_ports()
                 if s.notify_vcpu(p) == v and not s.is_masked(p))


def _model(scheme: str):
    s = Fifo(vcpus=VCPUS) if scheme == "fifo" else TwoLevel(vcpus=VCPUS)
    for v in range(VCPUS):
        s.set_timer_port(v, v + 1)
    return s


def _frame(s, i: int, why: str, got: dict) -> VcpuFrame:
    rows = tuple((v, s.timer_port(v), s.upcall_pending(v), _waiting(s, v),
                  tuple(got[v])) for v in range(VCPUS))
    return VcpuFrame(i, why, s.name, rows, s.notify_vcpu(WATCHED), s.cpu_of(WATCHED))


def _script_rebind(s) -> list[tuple[str, Callable]]:
    w = WATCHED
    return [
        ("Xen raises port 10 and port 11 on vCPU 0: both are linked on vCPU 0's "
         "queue 7", lambda: (s.set_pending(w), s.set_pending(11))),
        ("Linux rebinds port 10 to vCPU 2: mask, bind_vcpu, unmask. It is "
         "pending, so the unmask asks Xen, but it is still LINKED on vCPU 0: "
         "it keeps its place there", lambda: s.bind(w, 2, cpu=2)),
        ("vCPU 2's upcall: nothing for it yet", lambda: 2),
        ("vCPU 0's upcall delivers port 10 once more on its old vCPU, then 11",
         lambda: 0),
        ("Xen raises port 10 again: now it goes to vCPU 2's queue",
         lambda: s.set_pending(w)),
        ("vCPU 2's upcall delivers it on the new vCPU", lambda: 2),
    ]


def _script_mismatch(s) -> list[tuple[str, Callable]]:
    w = WATCHED
    fifo = s.name == "fifo"
    return [
        ("Xen's binding moves port 10 to vCPU 2 (EVTCHNOP_bind_vcpu) but "
         "Linux still runs it on CPU 0", lambda: s.xen_bind_vcpu(w, 2)),
        ("Xen raises port 10: it notifies vCPU 2", lambda: s.set_pending(w)),
        ("vCPU 2's upcall: " + ("FIFO has no per-CPU filter, so vCPU 2 takes it "
         "from its own queue" if fifo else "its scan skips ports bound to "
         "another CPU: the edge is lost"), lambda: 2),
        ("vCPU 0's upcall: " + ("nothing left" if fifo else "vCPU 0 was never "
         "notified: port 10 stays pending"), lambda: 0),
        ("Linux masks and unmasks port 10 on its CPU, 0: " + (
            "nothing pending" if fifo else "the fast-path unmask sees it "
            "pending and flags vCPU 0 itself"),
         lambda: (s.mask(w), s.unmask(w, cpu=0))),
        ("vCPU 0's upcall: " + ("nothing" if fifo else "port 10 is delivered: "
         "recovered"), lambda: 0),
    ]


SCENARIOS = {
    "rebind while linked (FIFO)": ("fifo", _script_rebind),
    "Xen/Linux mismatch (2-level)": ("2l", _script_mismatch),
    "Xen/Linux mismatch (FIFO)": ("fifo", _script_mismatch),
}


def vcpu_frames(name: str) -> tuple[VcpuFrame, ...]:
    """The frames of scenario ``name`` (a key of :data:`SCENARIOS`)."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}: valid values are "
                         f"{', '.join(SCENARIOS)}")
    scheme, script = SCENARIOS[name]
    s = _model(scheme)
    got = {v: [] for v in range(VCPUS)}
    frames = [_frame(s, 0, "four vCPUs, timer ports 1..4, one each; nothing "
                     "pending", got)]
    timers = ("every vCPU's timer fires: Xen raises ports 1..4, each on its own "
              "vCPU, and each vCPU's upcall delivers its own timer", None)
    for i, (why, act) in enumerate([timers] + script(s), 1):
        if act is None:
            for v in range(VCPUS):
                s.set_pending(s.timer_port(v))
            for v in range(VCPUS):
                got[v] += s.upcall(v)
        else:
            result = act()
            if why.startswith("vCPU") and isinstance(result, int):
                got[result] += s.upcall(result, force=True)
        frames.append(_frame(s, i, why, got))
    return tuple(frames)
