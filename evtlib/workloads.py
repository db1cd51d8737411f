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
* ``port_class(port)``: a label ("timer", "flood", "vif"...) used to compare
  like with like (Jain's fairness index is taken over one class).
* ``specs()``: the few ports that need setting up before the run: the timer
  VIRQ of a vCPU, a FIFO priority, a vCPU binding (see :class:`PortSpec`).
* ``describe()``: one line for trace headers.

Workloads compose: ``Mix(a, b)`` or ``a + b`` raises both. Ports are checked
here only for being ints >= 1; the simulator checks them against the
scheme's ``max_ports``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .core import check_int

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
    if isinstance(port, bool) or not isinstance(port, numbers.Integral):
        raise TypeError(f"{what} must be an integer >= 1, got {port!r}")
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
    """

    priority: int | None = None
    vcpu: int | None = None
    timer: bool = False

    def merge(self, other: "PortSpec", port: int) -> "PortSpec":
        """Combine two specs of one port; conflicting settings are an error."""
        out = {}
        for name in ("priority", "vcpu"):
            a, b = getattr(self, name), getattr(other, name)
            if a is not None and b is not None and a != b:
                raise ValueError(f"port {port} is given {name} {a} by one workload "
                                 f"and {b} by another")
            out[name] = a if a is not None else b
        return PortSpec(timer=self.timer or other.timer, **out)


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

    def on_deliver(self, port: int, tick: int) -> Iterable[Pair]:
        return ()

    def hooked_ports(self) -> frozenset | None:
        """Ports whose delivery may trigger :meth:`on_deliver` (None: any)."""
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


# ---------------------------------------------------------------- sources
class Periodic(_SpecMixin, Workload):
    """Raise ``port`` every ``every`` ticks, first at ``phase``."""

    def __init__(self, port: int, every: int, phase: int = 0, *, cls: str = "periodic",
                 priority: int | None = None, vcpu: int | None = None) -> None:
        self.port = check_port(port)
        self.every = check_count(every, "every", 1)
        self.phase = check_count(phase, "phase")
        self.cls = cls
        self._ports = (self.port,)
        self._spec_ = _spec(priority, vcpu)

    def events(self, ticks, rng):
        return [(t, self.port) for t in range(self.phase, ticks, self.every)]

    def owns(self, port):
        return port == self.port

    def describe(self):
        phase = f"+{self.phase}" if self.phase else ""
        return f"{self.cls}(port {self.port} every {self.every}{phase})"


class Timer(Periodic):
    """The timer VIRQ of ``vcpu``: periodic, and set up as the vCPU's timer port.

    Being the timer port is what timer-first (2-level/3-level) looks at and
    what gives it FIFO priority 0, as Linux's ``xen_setup_timer`` does.
    """

    def __init__(self, port: int, every: int, phase: int = 0, *, vcpu: int = 0) -> None:
        super().__init__(port, every, phase, cls="timer")
        self._spec_ = _spec(vcpu=vcpu, timer=True)

    def describe(self):
        phase = f"+{self.phase}" if self.phase else ""
        v = f" vCPU {self._spec_.vcpu}" if self._spec_.vcpu else ""
        return f"timer(port {self.port} every {self.every}{phase}{v})"


class Flood(_SpecMixin, Workload):
    """A port that never lets up.

    ``rate="on-handle"``: raised at ``start`` and again each time its handler
    finishes, so it is pending again as soon as it has been handled (needs a
    handler time of at least 1 tick, or it would never let the clock move).
    A number: raised ``rate`` times per tick on average, evenly spread and
    deterministic (tick ``t`` gets ``floor((t+1)*rate) - floor(t*rate)``
    raises; the ones after the first in a tick merge).
    """

    def __init__(self, port: int, rate="on-handle", *, start: int = 0,
                 cls: str = "flood", priority: int | None = None,
                 vcpu: int | None = None) -> None:
        self.port = check_port(port)
        if rate != "on-handle":
            rate = Fraction(check_rate(rate, "flood rate")).limit_denominator(10**6)
        self.rate = rate
        self.start = check_count(start, "start")
        self.cls = cls
        self._ports = (self.port,)
        self._spec_ = _spec(priority, vcpu)

    @property
    def on_handle(self) -> bool:
        return self.rate == "on-handle"

    def events(self, ticks, rng):
        if self.on_handle:
            return [(self.start, self.port)] if self.start < ticks else []
        check_volume(float(self.rate), ticks - self.start, self.describe())
        num, den = self.rate.numerator, self.rate.denominator
        t = np.arange(self.start, max(self.start, ticks), dtype=np.int64)
        n = (t + 1) * num // den - t * num // den
        t = np.repeat(t, n)
        return _pairs(t, np.full(len(t), self.port, dtype=np.int64))

    def on_deliver(self, port, tick):
        return [(tick, self.port)] if self.on_handle and port == self.port else ()

    def hooked_ports(self):
        return frozenset({self.port}) if self.on_handle else frozenset()

    def owns(self, port):
        return port == self.port

    def describe(self):
        how = "on-handle" if self.on_handle else f"{float(self.rate):g}/tick"
        start = f" from {self.start}" if self.start else ""
        return f"flood(port {self.port} {how}{start})"


class Poisson(Workload):
    """Background: on average ``rate`` raises per tick, over ``ports`` uniformly.

    A Poisson process of the given total rate: the number of raises over the
    run is Poisson(rate * ticks), each at a uniform tick on a uniform port.
    Cost follows the raises, not the number of ports (``ports`` may be a
    ``range`` of 262,143 ports).
    """

    def __init__(self, ports, rate: float, *, cls: str = "background") -> None:
        self.ports = check_ports(ports)
        self.rate = check_rate(rate)
        self.cls = cls
        self._set = self.ports if isinstance(self.ports, range) else frozenset(self.ports)

    def events(self, ticks, rng):
        check_volume(self.rate, ticks, self.describe())
        n = int(rng.poisson(self.rate * ticks))
        t = np.sort(rng.integers(0, ticks, size=n))
        p = _pick(self.ports, rng.integers(0, len(self.ports), size=n))
        return _pairs(t, p)

    def owns(self, port):
        return port in self._set

    def describe(self):
        return f"poisson({self.rate:g}/tick over ports {_ports_text(self.ports)})"


class Burst(Workload):
    """At each tick in ``at``, raise ``ports`` all at once.

    ``size=None`` raises every port in the order given; a number raises that
    many distinct ports drawn at random (in random order) at each burst.
    """

    def __init__(self, ports, at, size: int | None = None, *, cls: str = "burst") -> None:
        self.ports = check_ports(ports)
        at = [at] if isinstance(at, numbers.Integral) else list(at)
        self.at = tuple(sorted(check_count(t, "burst tick") for t in at))
        if size is not None:
            size = check_count(size, "burst size", 1)
            if size > len(self.ports):
                raise ValueError(f"burst size {size} is out of range: at most "
                                 f"{len(self.ports)} (the number of ports)")
        self.size = size
        self.cls = cls
        self._set = self.ports if isinstance(self.ports, range) else frozenset(self.ports)

    def events(self, ticks, rng):
        out = []
        for t in self.at:
            if t >= ticks:
                continue
            if self.size is None:
                out += [(t, p) for p in self.ports]
            else:
                idx = rng.choice(len(self.ports), size=self.size, replace=False)
                out += [(t, int(p)) for p in _pick(self.ports, idx)]
        return out

    def owns(self, port):
        return port in self._set

    def describe(self):
        at = ",".join(map(str, self.at[:5])) + (",..." if len(self.at) > 5 else "")
        size = f" x{self.size}" if self.size else ""
        return f"burst(ports {_ports_text(self.ports)}{size} at {at})"


class Guests(Workload):
    """``n`` guests, each with the dom0 ports of ``per_guest`` devices.

    Guest ``g`` (0-based) device ``d`` (index in ``per_guest``) has port
    ``first_port + g * len(per_guest) + d``, as a dom0 that binds them guest
    by guest would hand them out. Each port is its own Poisson source;
    ``rate`` is one rate per port per tick for every device, or a mapping
    device -> rate (missing devices use :data:`DEVICE_RATES`, else 0.002).
    The class of a port is its device name, so fairness compares vif with vif.
    """

    def __init__(self, n: int, per_guest: Sequence[str] = DEVICES, *, first_port: int = 1,
                 rate: float | Mapping[str, float] | None = None) -> None:
        self.n = check_count(n, "number of guests", 1)
        if isinstance(per_guest, str) or not per_guest:
            raise ValueError(f"per_guest must be a non-empty sequence of device "
                             f"names, got {per_guest!r}")
        self.devices = tuple(str(d) for d in per_guest)
        if len(set(self.devices)) != len(self.devices):
            raise ValueError(f"per_guest names a device twice: {self.devices}")
        self.first_port = check_port(first_port, "first_port")
        if rate is None or isinstance(rate, Mapping):
            given = dict(rate or {})
            unknown = set(given) - set(self.devices)
            if unknown:
                raise ValueError(f"rate names device(s) {sorted(unknown)} that are "
                                 f"not in per_guest {self.devices}")
            self.rates = tuple(check_rate(given.get(d, DEVICE_RATES.get(d, 0.002)),
                                          f"rate of {d}") for d in self.devices)
        else:
            self.rates = (check_rate(rate),) * len(self.devices)

    @property
    def last_port(self) -> int:
        return self.first_port + self.n * len(self.devices) - 1

    def port(self, guest: int, device: str) -> int:
        """The port of ``device`` of guest ``guest`` (0-based)."""
        guest = check_count(guest, "guest")
        if guest >= self.n:
            raise ValueError(f"guest {guest} is out of range: valid guests are "
                             f"0..{self.n - 1}")
        if device not in self.devices:
            raise ValueError(f"unknown device {device!r}: valid devices are "
                             f"{', '.join(self.devices)}")
        return self.first_port + guest * len(self.devices) + self.devices.index(device)

    def events(self, ticks, rng):
        k = len(self.devices)
        ts, ps = [], []
        for d, r in enumerate(self.rates):
            n = int(rng.poisson(r * self.n * ticks))
            ts.append(rng.integers(0, ticks, size=n))
            ps.append(self.first_port + d + k * rng.integers(0, self.n, size=n))
        t, p = np.concatenate(ts), np.concatenate(ps)
        # Within a tick: device order, then draw order (a stable sort).
        order = np.argsort(t, kind="stable")
        return _pairs(t[order], p[order])

    def owns(self, port):
        return self.first_port <= port <= self.last_port

    def port_class(self, port):
        if not self.owns(port):
            return None
        return self.devices[(port - self.first_port) % len(self.devices)]

    def describe(self):
        return (f"guests({self.n} x {'+'.join(self.devices)}, ports "
                f"{self.first_port}..{self.last_port})")


class Explicit(_SpecMixin, Workload):
    """A short list of ``(tick, port)`` raises, in the order given."""

    def __init__(self, events: Iterable[Pair], *, cls: str | None = None) -> None:
        out = []
        for item in events:
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise TypeError(f"each explicit event must be a (tick, port) pair, "
                                f"got {item!r}")
            out.append((check_count(item[0], "tick"), check_port(item[1])))
        self.pairs = tuple(out)
        self.cls = cls
        self._set = frozenset(p for _, p in out)

    @classmethod
    def parse(cls, text: str) -> "Explicit":
        """``"0:5,1:40,2:70"`` (tick:port, comma separated)."""
        pairs = []
        for item in filter(None, (x.strip() for x in text.split(","))):
            tick, sep, port = item.partition(":")
            if not sep or not tick.strip().isdigit() or not port.strip().isdigit():
                raise ValueError(f"bad event {item!r}: write TICK:PORT, e.g. 0:5,3:70")
            pairs.append((int(tick), int(port)))
        if not pairs:
            raise ValueError(f"no events in {text!r}: write TICK:PORT,... e.g. 0:5,3:70")
        return cls(pairs)

    def events(self, ticks, rng):
        return list(self.pairs)

    def owns(self, port):
        return port in self._set

    def describe(self):
        items = [f"{p}@{t}" for t, p in self.pairs[:8]]
        more = f", ... ({len(self.pairs)} raises)" if len(self.pairs) > 8 else ""
        return f"explicit({', '.join(items)}{more})"


class FromGenerator(Workload):
    """Any callable ``fn(ticks, rng) -> iterable of (tick, port)``.

    ``on_deliver(port, tick)`` (optional) is called after every delivery;
    ``classes`` maps ports to class labels; ``specs`` maps ports to
    :class:`PortSpec`.
    """

    def __init__(self, fn: Callable, *, on_deliver: Callable | None = None,
                 name: str = "generator", classes: Mapping[int, str] | None = None,
                 specs: Mapping[int, PortSpec] | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"FromGenerator needs a callable fn(ticks, rng), got {fn!r}")
        if on_deliver is not None and not callable(on_deliver):
            raise TypeError(f"on_deliver must be callable or None, got {on_deliver!r}")
        self.fn, self.hook, self.name = fn, on_deliver, name
        self.classes = {check_port(p): str(c) for p, c in (classes or {}).items()}
        self._specs = {check_port(p): s for p, s in (specs or {}).items()}

    def events(self, ticks, rng):
        return self.fn(ticks, rng)

    def on_deliver(self, port, tick):
        return self.hook(port, tick) if self.hook else ()

    def hooked_ports(self):
        return None if self.hook else frozenset()

    def port_class(self, port):
        return self.classes.get(port)

    def specs(self):
        return dict(self._specs)

    def describe(self):
        return self.name


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

    def events(self, ticks, rng):
        out = []
        for w in self.parts:
            out += list(w.events(ticks, rng))
        # Stable: same-tick events keep component order, then their own order.
        out.sort(key=lambda e: e[0])
        return out

    def on_deliver(self, port, tick):
        out = []
        for w in self._hooked:
            out += list(w.on_deliver(port, tick))
        return out

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


def as_workload(obj) -> Workload:
    """A workload from a workload, a list of ``(tick, port)`` pairs, or a
    generator function ``fn(ticks, rng)``."""
    if isinstance(obj, Workload):
        return obj
    if isinstance(obj, (list, tuple)):
        return Explicit(obj)
    if callable(obj):
        return FromGenerator(obj, name=getattr(obj, "__name__", "generator"))
    raise TypeError(f"a workload must be a Workload, a list of (tick, port) pairs "
                    f"or a function fn(ticks, rng), got {obj!r}")


def with_priority(workload: Workload, priorities: Mapping[int, int]) -> Workload:
    """``workload`` with FIFO priorities set for some ports."""
    specs = {check_port(p): _spec(priority=q) for p, q in priorities.items()}
    text = ",".join(f"{p}:{q}" for p, q in sorted(specs.items()))
    return Mix(workload, FromGenerator(lambda ticks, rng: (), name=f"priorities({text})",
                                       specs=specs))


# ----------------------------------------------------------------- presets
@dataclass(frozen=True)
class Preset:
    """A named workload for the command line and the notebooks.

    ``make()`` builds it; ``ticks`` is the suggested run length; ``watch`` is
    the port the question asks about. Every preset fits the smallest scheme
    (2-level, 32-bit: ports 1..1023).
    """

    name: str
    about: str
    make: Callable[[], Workload]
    ticks: int
    watch: int
    question: str

    def __call__(self) -> Workload:
        return self.make()


def _flood() -> Workload:
    # Port 3 is re-raised whenever handled; the others arrive once, early, in
    # word 0 (5, 40) and in later words (70 for W=64; 70 and 40 apart for W=32).
    return Flood(3) + Explicit([(1, 5), (1, 40), (2, 70)], cls="once")


def _timer() -> Workload:
    # Eight device ports re-raised as soon as handled, and the timer VIRQ at
    # port 20 every 25 ticks: how long does the timer wait for its turn?
    busy = [Flood(p, cls="busy") for p in (4, 9, 13, 31, 33, 47, 62, 71)]
    return Mix(Timer(20, every=25, phase=3), *busy)


def _guests() -> Workload:
    return Guests(48, first_port=8)


def _mixed() -> Workload:
    return Mix(Timer(2, every=20, phase=1), Guests(32, first_port=8),
               Flood(9, rate=0.25), Burst(range(200, 264), at=(100, 300), size=16),
               Poisson(range(300, 1000), rate=0.05))


def _design_review() -> Workload:
    # 64 guests' device ports (dom0 side) plus the timer, about 90% load;
    # guest 0's vif is busy as a streaming network guest's would be (its
    # own class, so "vif" fairness compares the ordinary vifs). A watched
    # late port, 1000, belongs to a guest created last.
    g = Guests(64, first_port=8)
    return Mix(Timer(1, every=10), Flood(g.port(0, "vif"), rate=0.15, cls="busy-vif"),
               g, Poisson([1000], rate=0.01, cls="late"))


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("flood", "port 3 re-raised as soon as it is handled; ports 5, 40 "
           "and 70 raised once at ticks 1-2", _flood, 200, 70,
           "In what order are the ports delivered? What is the worst wait "
           "of port 70?"),
    Preset("timer", "timer VIRQ (port 20, every 25 ticks) against 8 device "
           "ports re-raised as soon as handled", _timer, 400, 20,
           "How long does the timer (port 20) wait at worst? Does its port "
           "number matter?"),
    Preset("guests", "48 guests x (xenstore, console, vif, vbd), ports "
           "8..199, Poisson", _guests, 2000, 199,
           "What are the median and worst waits? Are vif ports treated alike "
           "(Jain's index)?"),
    Preset("mixed", "timer, 32 guests, a 0.25/tick flood, bursts, Poisson "
           "background", _mixed, 1000, 2,
           "Which class of port waits longest? What does one delivery cost?"),
    Preset("design-review", "64 guests, timer at port 1, guest 0's vif at "
           "0.15/tick, a late port 1000", _design_review, 2000, 1000,
           "What is the worst wait of the late port 1000 and of the timer?"),
)}


def preset(name: str) -> Workload:
    """Build the named preset workload (see :data:`PRESETS`)."""
    if name not in PRESETS:
        raise ValueError(f"unknown workload {name!r}: valid workloads are "
                         f"{', '.join(PRESETS)}")
    return PRESETS[name].make()
