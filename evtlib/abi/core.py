"""The scheme-independent core: validation, bindings, the upcall loop, recording.

This plays the part of Linux ``events_base.c`` plus the common half of Xen's
``event_channel.c``. It never names a scheme: everything that depends on the
ABI goes through the hooks of :class:`EvtchnOps`, the Python counterpart of
Linux's ``struct evtchn_ops`` (plus Xen's per-ABI ``set_pending``/``unmask``).
Each scheme module (``twolevel``, ``threelevel``, ``fifo``) subclasses
:class:`EventChannels` and implements those hooks.

Conventions shared by every scheme:

* Ports are ``1 .. max_ports-1``; port 0 is reserved (Xen never allocates it).
* Linux CPU ``n`` runs on vCPU ``n``, so "vcpu" and "cpu" index the same list.
* The model starts as if Linux had bound and enabled every port: unmasked,
  notify vCPU 0, Linux CPU 0, FIFO priority 7.
* Delivering a port means what ``handle_irq_for_port`` does for an edge IRQ:
  the chip's ack clears PENDING first, then the handler runs.
"""

from __future__ import annotations

from typing import Callable, ClassVar, Optional, Protocol

from .checks import check_choice, check_flag, check_int, is_integer, type_name  # noqa: F401
from .lateeoi import LateEoi, LoopCtrl  # noqa: F401
from .records import Counters, Later, Snapshot, Step

Handler = Optional[Callable[[int], object]]
#: ``deliver(port, why)``: the scan has acked ``port`` (cleared PENDING, as the
#: edge chip's ack does before the handler); deliver records it and runs the
#: handler. ``why`` is the explanation, built only while recording (schemes
#: pass ``recording and f"..."``, so it may be False).
Deliver = Callable[[int, object], None]


class NestedUpcallError(RuntimeError):
    """A handler called ``upcall`` while an upcall was running."""


class UpcallLimitError(RuntimeError):
    """One upcall reached ``upcall_limit`` deliveries (it looked as if it would not end)."""


class EvtchnOps(Protocol):
    """The per-ABI hooks the core calls (Linux ``struct evtchn_ops`` + Xen hooks).

    :meth:`handle_events` acks each port it delivers (clears PENDING), then
    calls ``deliver(port, why)``, which records it and runs the handler; if
    that raises, the scan puts its local copy back before the exception
    leaves it (see :meth:`EventChannels.upcall`).
    """

    def xen_set_pending(self, vcpu: int, port: int) -> bool: ...
    def xen_unmask_port(self, port: int) -> None: ...
    def test_and_set_mask(self, port: int) -> bool: ...
    def clear_pending_bit(self, port: int) -> None: ...
    def guest_unmask(self, port: int, cpu: int) -> None: ...
    def bind_to_cpu_hook(self, port: int, old: int, new: int) -> None: ...
    def handle_events(self, cpu: int, deliver: Deliver) -> None: ...
    def events_left(self, vcpu: int) -> bool: ...
    def pending_bit(self, port: int) -> bool: ...
    def masked_bit(self, port: int) -> bool: ...
    def locate(self, port: int) -> tuple: ...


def _settings_rows(parts: tuple, value_of) -> dict:
    """``Snapshot.settings``: each map's entries sorted by port, map by map."""
    return {"settings": [(name, p, value_of(name, v))
                         for name, mapping in parts for p, v in sorted(mapping.items())]}


class EventChannels(LateEoi):
    """One guest's event channels: Xen's side and the Linux guest's side.

    Subclasses provide the :class:`EvtchnOps` hooks and ``name``/``label``.
    Late-EOI ports and the upcall loop control come from
    :class:`~evtlib.abi.lateeoi.LateEoi`.
    """

    name: ClassVar[str] = "?"
    label: ClassVar[str] = "?"
    word_bits: int | None = None
    #: Number of priority levels (0: the ABI has none).
    priorities: int = 0
    #: Guest word sizes the ABI depends on (empty: the same for every guest).
    word_sizes: tuple[int, ...] = ()
    scan: str | None = None
    timer_first: bool = False
    _upcall_limit: int = 100_000

    @classmethod
    def port_limit(cls, word_bits: int) -> int:
        """Ports (port 0 included) a guest of ``word_bits`` gets with this ABI."""
        raise NotImplementedError  # pragma: no cover - every scheme overrides

    def __init__(self, vcpus: int, max_ports: int) -> None:
        self.vcpus = check_int(vcpus, "vcpus", 1, 4096)
        self.max_ports = max_ports
        # vcpu_info.evtchn_upcall_pending, one byte per vCPU.
        self._upcall_flag = [False] * self.vcpus
        # Xen's notify_vcpu_id and Linux's cpu_from_evtchn, non-zero entries only.
        self._notify: dict[int, int] = {}
        self._cpu: dict[int, int] = {}
        self._timer: list[int | None] = [None] * self.vcpus
        # The same, keyed by port: whose VIRQ_TIMER a port is, in O(1).
        self._timer_vcpu: dict[int, int] = {}
        # The settings maps a snapshot describes: name -> (attribute, default).
        # Copy-on-write: a snapshot keeps the map itself, and the model
        # copies a map that a snapshot holds before changing it.
        self._maps: dict[str, tuple[str, object]] = {"notify": ("_notify", 0),
                                                      "cpu": ("_cpu", 0)}
        self._lent: set[str] = set()
        self.counters = Counters()
        self._steps: list[Step] | None = None
        self._in_upcall: int | None = None
        # During an upcall with no handler and no recording: the list of
        # ports delivered, which a scan may append to itself instead of
        # calling deliver() (the fast path); None otherwise.
        self._quiet: list[int] | None = None
        self._init_lateeoi()

    @property
    def upcall_limit(self) -> int:
        """Most deliveries one upcall makes: reaching it raises :class:`UpcallLimitError`."""
        return self._upcall_limit

    @upcall_limit.setter
    def upcall_limit(self, value) -> None:
        self._upcall_limit = check_int(value, "upcall_limit", 1)

    # ----------------------------------------------------------- validation
    def _port(self, port) -> int:
        if type(port) is int and 0 < port < self.max_ports:
            return port
        if not is_integer(port):
            raise TypeError(f"port must be an integer in 1..{self.max_ports - 1}, "
                            f"got {port!r} of type {type_name(port)}")
        port = int(port)
        if port == 0:
            raise ValueError(f"port 0 is reserved (Xen never allocates it): "
                             f"valid ports are 1..{self.max_ports - 1}")
        if not 0 < port < self.max_ports:
            raise ValueError(f"port {port} is out of range: valid ports are "
                             f"1..{self.max_ports - 1}")
        return port

    def _vcpu(self, vcpu, what: str = "vCPU") -> int:
        if type(vcpu) is int and 0 <= vcpu < self.vcpus:
            return vcpu
        if not is_integer(vcpu):
            # The type is the problem ("0" or 0.0 look like a valid vCPU).
            raise TypeError(f"{what} must be an integer in 0..{self.vcpus - 1}, "
                            f"got {vcpu!r} of type {type_name(vcpu)}")
        v = int(vcpu)
        if 0 <= v < self.vcpus:
            return v
        raise ValueError(f"unknown {what} {v}: this model has {self.vcpus} "
                         f"vCPU(s), valid values are 0..{self.vcpus - 1}")

    # ------------------------------------------------------------ recording
    def record(self, on: bool = True) -> None:
        """Start (or stop) recording a :class:`Step` for every state change.

        Each step carries a snapshot; consecutive snapshots share what did
        not change, so a step costs about what it changed (see
        :mod:`evtlib.abi.records`), but recording is still meant for walks
        (a notebook's stepper, a short run), not for bulk runs.
        Stopping discards the steps recorded so far; read ``steps`` first.
        """
        on = check_flag(on, "record(on)")
        if on and self._steps is None:
            self._steps = []
        elif not on:
            self._steps = None

    @property
    def recording(self) -> bool:
        """True while every state change is recorded as a :class:`Step`."""
        return self._steps is not None

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(self._steps or ())

    def clear_steps(self) -> None:
        if self._steps is not None:
            self._steps = []

    def _record(self, op: str, vcpu, port, where=(), value=None, why="") -> None:
        steps = self._steps
        steps.append(Step(len(steps), op, vcpu, port, tuple(where), value, why,
                          self.snapshot(), self._scan_local()))

    def _scan_local(self):
        """The running scan's private copy of what it has left (see Step.local)."""
        return None

    def reset_counters(self) -> None:
        self.counters.reset()

    # --------------------------------------------------------- Xen: upcalls
    def _mark_events_pending(self, vcpu: int) -> None:
        """Xen ``vcpu_mark_events_pending``: test-and-set the upcall flag."""
        self.counters.atomics += 1
        if not self._upcall_flag[vcpu]:
            self._upcall_flag[vcpu] = True
            if self._steps is not None:
                self._record("upcall-flag", vcpu, None, why=(
                    f"upcall_pending of vCPU {vcpu} was clear: Xen sets it and "
                    f"kicks the vCPU"))

    def upcall_pending(self, vcpu: int) -> bool:
        return self._upcall_flag[self._vcpu(vcpu)]

    # ------------------------------------------------------------- Xen side
    def set_pending(self, port: int) -> bool:
        """Xen raises ``port`` on its notify vCPU. False: it was pending (merged)."""
        if type(port) is not int or not 0 < port < self.max_ports:
            port = self._port(port)
        return self.xen_set_pending(self._notify.get(port, 0), port)

    def xen_unmask(self, port: int) -> None:
        """The ``EVTCHNOP_unmask`` hypercall."""
        self.xen_unmask_port(self._port(port))

    def xen_bind_vcpu(self, port: int, vcpu: int) -> None:
        """``EVTCHNOP_bind_vcpu``: later raises go to ``vcpu``. Nothing else moves."""
        port, vcpu = self._port(port), self._vcpu(vcpu)
        owner = self._timer_vcpu.get(port)
        if owner is not None and owner != vcpu:
            raise ValueError(f"port {port} is vCPU {owner}'s VIRQ_TIMER: Xen refuses "
                             f"to move a per-vCPU VIRQ (EINVAL); valid vCPU is {owner}")
        self._set_map("notify", port, vcpu)
        if self._steps is not None:
            self._record("bind", vcpu, port, why=(
                f"EVTCHNOP_bind_vcpu: Xen will notify vCPU {vcpu} of port {port}"))

    def notify_vcpu(self, port: int) -> int:
        return self._notify.get(self._port(port), 0)

    # ----------------------------------------------------------- guest side
    def mask(self, port: int) -> None:
        self.test_and_set_mask(self._port(port))

    def clear_pending(self, port: int) -> None:
        self.clear_pending_bit(self._port(port))

    def unmask(self, port: int, cpu: int | None = None) -> None:
        """Linux ``unmask_evtchn`` running on ``cpu`` (default: the port's CPU)."""
        port = self._port(port)
        cpu = self._cpu.get(port, 0) if cpu is None else self._vcpu(cpu, "CPU")
        if port in self._eoi_wait:
            self._eoi_holds(port, cpu)
            return
        self.guest_unmask(port, cpu)

    def _eoi_holds(self, port: int, cpu: int) -> None:
        """Linux keeps a port masked while its EOI is pending, whatever else
        unmasks it (``mask_reason``: the EOI-pending reason stays)."""
        if self._steps is not None:
            self._record("eoi-holds", cpu, port, why=(
                f"port {port} awaits its EOI: it stays masked until eoi({port})"))

    def is_pending(self, port: int) -> bool:
        return self.pending_bit(self._port(port))

    def is_masked(self, port: int) -> bool:
        return self.masked_bit(self._port(port))

    def cpu_of(self, port: int) -> int:
        return self._cpu.get(self._port(port), 0)

    def bind_to_cpu(self, port: int, cpu: int) -> None:
        """Linux-side binding only (``bind_evtchn_to_cpu``); Xen is not told."""
        port, cpu = self._port(port), self._vcpu(cpu, "CPU")
        old = self._cpu.get(port, 0)
        self._set_map("cpu", port, cpu)
        self.bind_to_cpu_hook(port, old, cpu)

    def bind(self, port: int, vcpu: int, cpu: int = 0, lateeoi: bool | None = None) -> None:
        """Linux ``xen_rebind_evtchn_to_cpu(port, vcpu)`` executed on ``cpu``.

        Mask first so no event arrives half-bound, move Xen's notify vCPU,
        move Linux's binding, then unmask (from ``cpu``: the fast path only
        if ``cpu`` is the new CPU) if the port was unmasked before. A port
        awaiting its EOI stays masked (its EOI unmasks it).

        ``lateeoi=True`` binds it with Linux's lateeoi chip (see
        :mod:`evtlib.abi.lateeoi`), ``False`` with the plain edge chip,
        ``None`` leaves that as it was.
        """
        port, vcpu = self._port(port), self._vcpu(vcpu)
        cpu = self._vcpu(cpu, "CPU")
        if lateeoi is not None:
            lateeoi = check_flag(lateeoi, "lateeoi")
            if not lateeoi and port in self._eoi_wait:
                raise ValueError(f"port {port} is waiting for its EOI: call "
                                 f"eoi({port}) before binding it without lateeoi")
        owner = self._timer_vcpu.get(port)
        if owner is not None and owner != vcpu:
            raise ValueError(f"port {port} is vCPU {owner}'s VIRQ_TIMER: Xen refuses "
                             f"to move a per-vCPU VIRQ (EINVAL); valid vCPU is {owner}")
        if lateeoi is not None:
            self._set_lateeoi(port, lateeoi)
        was_masked = self.test_and_set_mask(port)
        self.xen_bind_vcpu(port, vcpu)
        self.bind_to_cpu(port, vcpu)
        if not was_masked:
            self.guest_unmask(port, cpu)

    def set_timer_port(self, vcpu: int, port: int) -> None:
        """Bind VIRQ_TIMER of ``vcpu`` to ``port`` (Xen and Linux both on ``vcpu``)."""
        vcpu, port = self._vcpu(vcpu), self._port(port)
        owner = self._timer_vcpu.get(port)
        if owner is not None and owner != vcpu:
            raise ValueError(f"port {port} is already vCPU {owner}'s VIRQ_TIMER")
        if self._timer[vcpu] not in (None, port):
            raise ValueError(f"vCPU {vcpu}'s VIRQ_TIMER is already port "
                             f"{self._timer[vcpu]}: one timer port per vCPU")
        self._timer[vcpu] = port
        self._timer_vcpu[port] = vcpu
        self._set_map("notify", port, vcpu)
        old = self._cpu.get(port, 0)
        self._set_map("cpu", port, vcpu)
        self.bind_to_cpu_hook(port, old, vcpu)
        self.timer_port_hook(port)

    def timer_port_hook(self, port: int) -> None:
        """What Linux does to a new timer port beyond binding (FIFO: priority)."""

    def timer_port(self, vcpu: int) -> int | None:
        return self._timer[self._vcpu(vcpu)]

    def _set_map(self, name: str, port: int, value) -> None:
        """Set a settings map entry (the map's default value is not stored)."""
        attr, default = self._maps[name]
        mapping = getattr(self, attr)
        if name in self._lent:
            # A snapshot holds this very dict: write into a copy.
            mapping = dict(mapping)
            setattr(self, attr, mapping)
            self._lent.discard(name)
        if value != default:
            mapping[port] = value
        else:
            mapping.pop(port, None)

    def set_priority(self, port: int, priority: int) -> None:
        raise NotImplementedError(f"{self.label} has no priorities "
                                  f"(EVTCHNOP_set_priority is FIFO only)")

    def priority(self, port: int) -> int:
        raise NotImplementedError(f"{self.label} has no priorities")

    # ------------------------------------------------------ the upcall loop
    def upcall(self, vcpu: int = 0, handler: Handler = None, force: bool = False) -> list[int]:
        """Xen enters the upcall handler of ``vcpu``; Linux runs its event loop.

        Like ``__xen_evtchn_do_upcall``: clear ``upcall_pending`` *before*
        each pass over the ABI's pending state, and pass again while Xen set
        it meanwhile. Runs only if the flag is set (or ``force``, a bool).
        Returns the ports delivered, in order, with repeats. ``handler(port)``
        runs after the ack and may call any method but ``upcall``.

        **Interrupted upcalls.** An exception from a handler (including
        :class:`NestedUpcallError` and the :class:`UpcallLimitError` raised
        once a delivery completes) propagates to the caller, and the model is
        left as the guest would be had the handler returned and the upcall
        ended there (an interrupt return): the port whose handler raised was
        acked, as the ack comes before the handler; the scan's private copy
        (the taken selector words, the FIFO local READY and next pointer) is
        put back into shared memory; and ``upcall_pending`` is set if
        anything is left. So every event not yet delivered stays pending and
        the next upcall delivers exactly what this one had left to deliver.
        """
        vcpu, force = self._upcall_args(vcpu, handler, force)
        counters = self.counters
        counters.reads += 1
        if not (self._upcall_flag[vcpu] or force):
            if self._steps is not None:
                self._record("no-upcall", vcpu, None, why=(
                    f"upcall_pending of vCPU {vcpu} is clear: Xen does not enter "
                    f"the upcall handler"))
            return []
        delivered: list[int] = []
        late = bool(self._lateeoi)
        deliver = (self._lateeoi_deliverer(vcpu, handler, delivered, self._upcall_limit)
                   if late else self._deliverer(vcpu, handler, delivered))
        # With no handler to run, nothing to record and no late-EOI port, a
        # scan may simply append each port it acks to this list (see
        # ``_quiet``), as long as that does not reach the limit: deliver()
        # raises UpcallLimitError.
        quiet = handler is None and self._steps is None and not late
        self._quiet = delivered if quiet else None
        self._in_upcall = vcpu
        counters.upcalls += 1
        if self._steps is not None:
            self._record("upcall", vcpu, None, why=f"Xen enters vCPU {vcpu}'s upcall handler")
        try:
            self._passes(vcpu, deliver)
        except BaseException:
            # The scheme's scan has put its local copy back; make sure the
            # next upcall comes for what is left.
            self._interrupted(vcpu)
            raise
        finally:
            self._in_upcall = self._quiet = None
            counters.deliveries += len(delivered)
            if late:
                # Linux increments irq_epoch when the upcall ends: EOIs from
                # now on are not "inside" it any more.
                self._epoch[vcpu] += 1
        return delivered

    def _upcall_args(self, vcpu, handler: Handler, force) -> tuple[int, bool]:
        """Checked ``upcall`` arguments; a nested upcall is refused here."""
        if type(vcpu) is not int or not 0 <= vcpu < self.vcpus:
            vcpu = self._vcpu(vcpu)
        if force is not False:
            force = check_flag(force, "force")
        if self._in_upcall is not None:
            raise NestedUpcallError(
                f"upcall(vcpu={vcpu}) called while vCPU {self._in_upcall}'s upcall is "
                f"running: handlers may raise, mask, unmask, bind or clear, not upcall")
        if handler is not None and not callable(handler):
            raise TypeError(f"handler must be callable or None, got {handler!r}")
        return vcpu, force

    def _interrupted(self, vcpu: int) -> None:
        """After an upcall ended by an exception: re-arm ``upcall_pending`` if
        events are left (as the guest's fast-path unmask sets its own flag)."""
        if self._upcall_flag[vcpu] or not self.events_left(vcpu):
            return
        self._upcall_flag[vcpu] = True
        self.counters.writes += 1
        if self._steps is not None:
            self._record("upcall-flag", vcpu, None, why=(
                f"the upcall ended early with events left: upcall_pending of "
                f"vCPU {vcpu} is set again so that the next upcall takes them"))

    def _deliverer(self, vcpu: int, handler: Handler, delivered: list[int]) -> Deliver:
        """The ``deliver(port, why)`` the ABI's ``handle_events`` calls once it
        has acked the port: record it, then run the handler."""
        limit = self._upcall_limit
        append = delivered.append

        def deliver(port: int, why: str) -> None:
            # The scan acked the port (cleared PENDING) before calling this,
            # so a re-raise from the handler is a new 0->1 edge.
            append(port)
            if self._steps is not None:
                self._record("deliver", vcpu, port, self.locate(port), why=(
                    f"{why}; the ack clears its PENDING, then its handler runs"))
            if handler is not None:
                handler(port)
            # Checked once the delivery is complete, never between the scan
            # taking its local copy and using it: the scan then puts back
            # what it still holds, as for any exception, and nothing is lost.
            if len(delivered) >= limit:
                self._limit_reached(vcpu, port, limit)

        return deliver

    @staticmethod
    def _limit_reached(vcpu: int, port: int, limit: int) -> None:
        raise UpcallLimitError(
            f"upcall on vCPU {vcpu} reached its limit of {limit} deliveries "
            f"(last port {port}); a handler that re-raises its port every "
            f"time never lets it end. Raise upcall_limit if this is intended")

    def _passes(self, vcpu: int, deliver: Deliver) -> None:
        """The body of ``__xen_evtchn_do_upcall``: passes while Xen sets the flag again."""
        counters = self.counters
        while True:
            # Cleared before looking at any selector or READY: a raise during
            # the pass sets it again and buys another pass.
            self._upcall_flag[vcpu] = False
            counters.writes += 1
            counters.passes += 1
            if self._steps is not None:
                self._record("flag-clear", vcpu, None, why=(
                    f"clear upcall_pending of vCPU {vcpu}, then look for events"))
            self.handle_events(vcpu, deliver)
            counters.reads += 1
            if not self._upcall_flag[vcpu]:
                break
            if self._steps is not None:
                self._record("again", vcpu, None, why=(
                    "upcall_pending was set again during the pass: loop once more"))

    # ------------------------------------------------------------ reporting
    def memory(self) -> int:
        """Bytes of guest memory the per-domain structure takes now: the
        scheme's ``shared_bytes()`` (FIFO on demand: the pages present)."""
        return self.shared_bytes()

    def describe(self) -> str:
        return self.label

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def pending_ports(self) -> list[int]:
        return list(self.snapshot().pending)

    def _settings(self) -> Later:
        """The snapshot's ``settings``, built when read, from the maps as they
        are now (the model copies a lent map before its next change)."""
        self._lent.update(self._maps)
        parts = tuple((name, getattr(self, attr)) for name, (attr, _) in self._maps.items())
        return Later(_settings_rows, parts, self._setting_value)

    @staticmethod
    def _setting_value(name: str, value) -> int:
        """How a settings value reads in ``Snapshot.settings`` (FIFO's lastq differs)."""
        return value

    def snapshot(self) -> Snapshot:  # pragma: no cover - every scheme overrides
        raise NotImplementedError
