"""The workload kinds: periodic, timer, flood, Poisson, bursts, guests, explicit lists.

See :mod:`evtlib.sim.workloads` for what a workload is.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from ...abi.checks import check_flag
from .base import (DEVICE_RATES, DEVICES, Mix, Pair, PortSpec, Workload, _pairs, _pick,
                   _ports_text, _spec, _SpecMixin, check_count, check_port, check_ports,
                   check_rate, check_volume)


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
        check_volume(1 / self.every, ticks - self.phase, self.describe())
        return [(t, self.port) for t in range(self.phase, ticks, self.every)]

    def expected_raises(self, ticks):
        return len(range(self.phase, ticks, self.every))

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
        # Tick t gets floor((t+1)r) - floor(tr) raises, so raise number k
        # (counted from tick 0) falls in tick ceil(k/r) - 1: listed raise by
        # raise, in integers, whatever the number of idle ticks between them.
        num, den = self.rate.numerator, self.rate.denominator
        first = self.start * num // den + 1
        last = max(self.start, ticks) * num // den
        k = np.arange(first, last + 1, dtype=np.int64)
        t = (k * den + num - 1) // num - 1
        return _pairs(t, np.full(len(t), self.port, dtype=np.int64))

    def expected_raises(self, ticks):
        if self.on_handle:
            return int(self.start < ticks)
        num, den = self.rate.numerator, self.rate.denominator
        return max(0, ticks * num // den - self.start * num // den)

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

    def expected_raises(self, ticks):
        return self.rate * ticks

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

    def expected_raises(self, ticks):
        return sum(1 for t in self.at if t < ticks) * (self.size or len(self.ports))

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

    def expected_raises(self, ticks):
        return sum(self.rates) * self.n * ticks

    def events(self, ticks, rng):
        check_volume(sum(self.rates) * self.n, ticks, self.describe())
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

    def expected_raises(self, ticks):
        return sum(1 for t, _ in self.pairs if t < ticks)

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
    :class:`PortSpec`; ``expected(ticks)`` (optional) says about how many
    raises ``fn`` makes, for checking a run's size before it starts.
    """

    def __init__(self, fn: Callable, *, on_deliver: Callable | None = None,
                 name: str = "generator", classes: Mapping[int, str] | None = None,
                 specs: Mapping[int, PortSpec] | None = None,
                 expected: Callable[[int], float] | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"FromGenerator needs a callable fn(ticks, rng), got {fn!r}")
        if on_deliver is not None and not callable(on_deliver):
            raise TypeError(f"on_deliver must be callable or None, got {on_deliver!r}")
        if expected is not None and not callable(expected):
            raise TypeError(f"expected must be callable or None, got {expected!r}")
        self.fn, self.hook, self.name, self.expected = fn, on_deliver, name, expected
        self.classes = {check_port(p): str(c) for p, c in (classes or {}).items()}
        self._specs = {check_port(p): s for p, s in (specs or {}).items()}

    def events(self, ticks, rng):
        return self.fn(ticks, rng)

    def expected_raises(self, ticks):
        return None if self.expected is None else self.expected(ticks)

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



class Backend(Workload):
    """A frontend raising ``port`` at ``rate`` raises per tick, and the
    backend that handles it.

    The raises are spread evenly as :class:`Flood`'s (a hostile frontend is
    a high rate). The backend's handler only queues the work (it takes the
    simulator's handler time); a worker does the work, ``work`` ticks,
    elsewhere. With ``lateeoi=True`` the port is bound with Linux's lateeoi
    chip and the worker calls ``eoi(port)`` when it is done, ``work`` ticks
    after the handler ends, as netback and blkback do since XSA-332; until
    then the port stays masked and new raises only merge. With
    ``lateeoi=False`` (plain edge handling) every raise after the ack is a
    new delivery.
    """

    def __init__(self, port: int, rate: float = 1.0, *, work: int = 4,
                 lateeoi: bool = True, start: int = 0, vcpu: int | None = None,
                 cls: str = "backend") -> None:
        self.port = check_port(port)
        self.rate = Fraction(check_rate(rate, "frontend rate")).limit_denominator(10**6)
        self.work = check_count(work, "work", 1)
        self.lateeoi = bool(check_flag(lateeoi, "lateeoi"))
        self.start = check_count(start, "start")
        self.cls = cls
        self._vcpu = None if vcpu is None else check_count(vcpu, "vcpu")

    def events(self, ticks, rng):
        return Flood(self.port, float(self.rate), start=self.start).events(ticks, rng)

    def on_deliver_eoi(self, port, tick):
        return [(tick + self.work, port)] if self.lateeoi and port == self.port else ()

    def eoi_ports(self):
        return frozenset({self.port}) if self.lateeoi else frozenset()

    def owns(self, port):
        return port == self.port

    def specs(self):
        return {self.port: PortSpec(vcpu=self._vcpu, lateeoi=self.lateeoi)}

    def describe(self):
        how = "lateeoi" if self.lateeoi else "edge"
        return (f"{self.cls}(port {self.port} {float(self.rate):g}/tick, {how}, "
                f"work {self.work})")




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
                                       specs=specs, expected=lambda ticks: 0))
