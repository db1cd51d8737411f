"""Workload basics: input checks, port set-up records, the base class and Mix.

What a workload is: see :mod:`evtlib.sim.workloads`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from ...abi.checks import check_int, is_integer, type_name

#: The ports a dom0 spends on each guest (docs/sources.md, dom0 port use).
DEVICES = ("xenstore", "console", "vif", "vbd")

#: Default raise rate of each device port, per port per tick. A guest then
#: makes about 0.01 raises per tick: 64 guests keep a vCPU whose handlers take
#: 1 tick about 64% busy.
DEVICE_RATES = {"xenstore": 0.001, "console": 0.001, "vif": 0.005, "vbd": 0.003}

Pair = tuple[int, int]


# ------------------------------------------------------------- validation
def check_port(port, what: str = "port") -> int:
    """An int >= 1 (port 0 is reserved); the upper bound is the scheme's."""
    if not is_integer(port):
        raise TypeError(f"{what} must be an integer >= 1, got {port!r} of type "
                        f"{type_name(port)}")
    port = int(port)
    if port < 1:
        raise ValueError(f"{what} {port} is out of range: ports start at 1 "
                         f"(port 0 is reserved)")
    return port


def check_count(value, what: str, lo: int = 0) -> int:
    """An integer >= ``lo`` (ticks, counts), or an error naming value and range."""
    return check_int(value, what, lo)


#: Raises per tick a rate may ask for: below MIN_RATE a flood's exact
#: fraction would round to 0; above MAX_RATE every port merges anyway.
MIN_RATE, MAX_RATE = 1e-6, 1000.0
#: Most raises one workload may schedule in a run (memory stays bounded).
MAX_RAISES = 10**8


def check_rate(value, what: str = "rate") -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number in {MIN_RATE:g}..{MAX_RATE:g} "
                        f"(raises per tick), got {value!r}")
    value = float(value)
    if not (MIN_RATE <= value <= MAX_RATE):
        raise ValueError(f"{what} {value:g} is out of range: valid rates are "
                         f"{MIN_RATE:g}..{MAX_RATE:g} raises per tick")
    return value


def check_volume(rate: float, ticks: int, what: str) -> None:
    """Refuse a run whose expected number of raises would not fit in memory."""
    if rate * ticks > MAX_RAISES:
        raise ValueError(f"{what} at {rate:g}/tick for {ticks} ticks is about "
                         f"{rate * ticks:.3g} raises: at most {MAX_RAISES:.0e} "
                         f"fit in one run; use fewer ticks or a lower rate")


def check_ports(ports, what: str = "ports") -> Sequence[int]:
    """A non-empty range or sequence of ports (a range stays a range)."""
    if isinstance(ports, range):
        if len(ports) == 0:
            raise ValueError(f"{what} is empty: give at least one port")
        check_port(min(ports), what + " item")
        return ports
    if isinstance(ports, (str, bytes)) or not isinstance(ports, Iterable):
        raise TypeError(f"{what} must be a range or a sequence of ports, got {ports!r}")
    out = tuple(check_port(p, what + " item") for p in ports)
    if not out:
        raise ValueError(f"{what} is empty: give at least one port")
    return out


def _ports_text(ports: Sequence[int]) -> str:
    if isinstance(ports, range) and ports.step == 1:
        return f"{ports.start}..{ports.stop - 1}"
    items = list(ports[:6])
    text = ",".join(map(str, items))
    return text + (f",... ({len(ports)} ports)" if len(ports) > 6 else "")


def _pairs(ticks: np.ndarray, ports: np.ndarray) -> list[Pair]:
    return list(zip(ticks.tolist(), ports.tolist()))


def _pick(ports: Sequence[int], index: np.ndarray) -> np.ndarray:
    """``ports[index]`` for an index array, without listing a big range."""
    if isinstance(ports, range):
        return ports.start + index * ports.step
    return np.asarray(ports, dtype=np.int64)[index]


# ----------------------------------------------------------- port specs
@dataclass(frozen=True)
class PortSpec:
    """Set-up a port needs before the run. None/False: leave the default.

    ``timer``: the port is VIRQ_TIMER of ``vcpu`` (default vCPU 0); the model's
    ``set_timer_port`` binds it there and, for FIFO, gives it priority 0.
    ``priority``: FIFO priority (0 highest .. 15); 2-level and 3-level have
    none and ignore it. ``vcpu``: bind the port to this vCPU (Xen and Linux).
    ``lateeoi``: bind it with Linux's lateeoi chip (``bind(..., lateeoi=True)``).
    """

    priority: int | None = None
    vcpu: int | None = None
    timer: bool = False
    lateeoi: bool = False

    def merge(self, other: "PortSpec", port: int) -> "PortSpec":
        """Combine two specs of one port; conflicting settings are an error."""
        out = {}
        for name in ("priority", "vcpu"):
            a, b = getattr(self, name), getattr(other, name)
            if a is not None and b is not None and a != b:
                raise ValueError(f"port {port} is given {name} {a} by one workload "
                                 f"and {b} by another")
            out[name] = a if a is not None else b
        return PortSpec(timer=self.timer or other.timer,
                        lateeoi=self.lateeoi or other.lateeoi, **out)


def _spec(priority=None, vcpu=None, timer=False) -> PortSpec:
    if priority is not None:
        priority = check_count(priority, "priority")
        if priority > 15:
            raise ValueError(f"priority {priority} is out of range: FIFO "
                             f"priorities are 0..15 (0 highest)")
    if vcpu is not None:
        vcpu = check_count(vcpu, "vcpu")
    return PortSpec(priority, vcpu, bool(timer))


# --------------------------------------------------------------- base class
class Workload:
    """Base class: override :meth:`events`; the rest has neutral defaults."""

    #: Class label of the ports this workload raises (None: no opinion).
    cls: str | None = None

    def events(self, ticks: int, rng: np.random.Generator) -> Iterable[Pair]:
        raise NotImplementedError

    def expected_raises(self, ticks: int) -> float | None:
        """About how many raises :meth:`events` schedules over ``ticks`` ticks
        (None: unknown); hook raises not included. For checking a run's size
        before it starts."""
        return None

    def on_deliver(self, port: int, tick: int) -> Iterable[Pair]:
        return ()

    def hooked_ports(self) -> frozenset | None:
        """Ports whose delivery may trigger :meth:`on_deliver` (None: any)."""
        return frozenset()

    def on_deliver_eoi(self, port: int, tick: int) -> Iterable[Pair]:
        """EOIs a delivery schedules, as ``(tick, port)``: the simulator calls
        the model's ``eoi(port)`` at that tick (late-EOI ports only)."""
        return ()

    def eoi_ports(self) -> frozenset:
        """Ports whose delivery may schedule an EOI (:meth:`on_deliver_eoi`)."""
        return frozenset()

    def owns(self, port: int) -> bool:
        """Whether this workload raises ``port`` (used for its class)."""
        return False

    def port_class(self, port: int) -> str | None:
        return self.cls if self.cls is not None and self.owns(port) else None

    def specs(self) -> Mapping[int, PortSpec]:
        return {}

    def describe(self) -> str:
        return type(self).__name__

    def __add__(self, other: "Workload") -> "Mix":
        if not isinstance(other, Workload):
            return NotImplemented
        return Mix(self, other)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"


class _SpecMixin:
    """Workloads that may carry a PortSpec for their ports."""

    _ports: Sequence[int] = ()
    _spec_: PortSpec = PortSpec()

    def specs(self) -> Mapping[int, PortSpec]:
        if self._spec_ == PortSpec():
            return {}
        return {p: self._spec_ for p in self._ports}


# ------------------------------------------------------------ composition
class Mix(Workload):
    """Several workloads at once.

    Same-tick events keep the order of the components (the first
    component's events of a tick come first). A port's class is given by the
    first component that names one; port specs are merged (a conflict, such
    as two priorities for one port, is an error).
    """

    def __init__(self, *workloads: Workload) -> None:
        parts = []
        for w in workloads:
            if not isinstance(w, Workload):
                raise TypeError(f"Mix takes workloads, got {w!r}")
            parts += w.parts if isinstance(w, Mix) else [w]
        if not parts:
            raise ValueError("Mix needs at least one workload")
        self.parts = parts
        self._hooked = [w for w in parts if w.hooked_ports() != frozenset()]
        self._eoi = [w for w in parts if w.eoi_ports()]

    def events(self, ticks, rng):
        out = []
        for w in self.parts:
            out += list(w.events(ticks, rng))
        # Stable: same-tick events keep component order, then their own order.
        out.sort(key=lambda e: e[0])
        return out

    def expected_raises(self, ticks):
        counts = [w.expected_raises(ticks) for w in self.parts]
        return None if None in counts else sum(counts)

    def on_deliver(self, port, tick):
        out = []
        for w in self._hooked:
            out += list(w.on_deliver(port, tick))
        return out

    def on_deliver_eoi(self, port, tick):
        out = []
        for w in self._eoi:
            out += list(w.on_deliver_eoi(port, tick))
        return out

    def eoi_ports(self):
        return frozenset().union(*(w.eoi_ports() for w in self._eoi))

    def hooked_ports(self):
        ports = set()
        for w in self._hooked:
            h = w.hooked_ports()
            if h is None:
                return None
            ports |= h
        return frozenset(ports)

    def owns(self, port):
        return any(w.owns(port) for w in self.parts)

    def port_class(self, port):
        for w in self.parts:
            c = w.port_class(port)
            if c is not None:
                return c
        return None

    def specs(self):
        out: dict[int, PortSpec] = {}
        for w in self.parts:
            for port, spec in w.specs().items():
                out[port] = out[port].merge(spec, port) if port in out else spec
        return out

    def describe(self):
        return " + ".join(w.describe() for w in self.parts)
