"""Immutable records: state snapshots, recorded steps and cost counters.

Snapshots are cheap to take and cheap to keep, so that a model of 262,144
ports can be recorded step by step:

* only non-zero words and non-default settings are described;
* the models hand a snapshot frozen *parts* that the next snapshot shares
  when nothing in them changed (copy-on-write pages of the bitmaps, one
  frozen copy of each settings map per change), and the long fields
  (``pending``, ``masked``, ``words``, ``settings``) are built from those
  parts only when first read.

So a recorded step costs what changed at that step, plus a few references.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Later:
    """A group of snapshot fields computed on first use: ``Later(fn, *args)``.

    ``fn(*args)`` returns a dict ``{field name: tuple}``; ``args`` must be
    immutable (frozen parts), since the fields are built at some later time.
    """

    __slots__ = ("fn", "args")

    def __init__(self, fn, *args) -> None:
        self.fn, self.args = fn, args

    def __call__(self) -> dict:
        return self.fn(*self.args)


_FIELDS = ("scheme", "word_bits", "vcpus", "max_ports", "pending", "masked",
           "upcall_pending", "words", "per_vcpu", "settings")


@dataclass(frozen=True, eq=False, repr=False)
class Snapshot:
    """The whole guest-visible and Xen-private state of a model at one moment.

    Fields common to every scheme come first. ``words`` holds the scheme's
    shared words that are not zero: for 2-level and 3-level ``(index, pending,
    mask)`` triples; for FIFO ``(port, event_word)`` pairs. ``per_vcpu`` holds
    one tuple per vCPU of ``(name, value)`` pairs (selectors, resume position,
    READY, HEAD, tails...). ``settings`` holds the ports whose notify vCPU,
    Linux CPU or FIFO priority differ from the defaults.

    A frozen dataclass, built with the fields in this order. ``pending``,
    ``masked``, ``words`` and ``settings`` may be given as a :class:`Later`
    and are then built when first read; two snapshots are equal when every
    field is.
    """

    scheme: str
    word_bits: int | None
    vcpus: int
    max_ports: int
    _pending: tuple = ()
    _masked: tuple = ()
    upcall_pending: tuple[bool, ...] = ()
    _words: tuple = ()
    per_vcpu: tuple = ()
    _settings: tuple = ()

    def _lazy(self, slot: str):
        value = getattr(self, slot)
        if type(value) is not Later:
            return value
        # One Later may stand for several fields: fill in all of them.
        for name, got in value().items():
            if getattr(self, "_" + name) is value:
                object.__setattr__(self, "_" + name, tuple(got))
        return getattr(self, slot)

    pending = property(lambda self: self._lazy("_pending"),
                       doc="Pending ports, sorted.")
    masked = property(lambda self: self._lazy("_masked"), doc="Masked ports, sorted.")
    words = property(lambda self: self._lazy("_words"),
                     doc="The scheme's non-zero shared words (see the class doc).")
    settings = property(lambda self: self._lazy("_settings"),
                        doc="``(kind, port, value)`` of every non-default setting.")

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other) -> bool:
        if type(other) is not Snapshot:
            return NotImplemented
        return self is other or self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS)
        return f"Snapshot({inner})"

    def vcpu(self, v: int) -> dict:
        """The per-vCPU fields of vCPU ``v`` as a plain dict (a copy)."""
        return dict(self.per_vcpu[v])


@dataclass(frozen=True)
class Step:
    """One recorded state change or observation.

    ``op`` names what happened ("raise", "selector", "word", "deliver", ...),
    ``where`` locates it ((word, bit), (l1, l2, bit) or (vcpu, queue)),
    ``value`` is the word value read or written when there is one, ``why`` is
    one sentence for a reader, ``state`` the snapshot right after the step.
    ``local`` is the guest's private copy of what its scan still has to visit
    (a local variable of the Linux scan, so not in ``state``): for 2-level
    and 3-level the bitmap word indices left in the taken selector, for FIFO
    the local READY bits; None outside a scan.
    """

    index: int
    op: str
    vcpu: int | None
    port: int | None
    where: tuple = ()
    value: int | None = None
    why: str = ""
    state: Snapshot | None = field(default=None, repr=False, compare=False)
    local: tuple[int, ...] | int | None = None


class Counters:
    """Shared-memory traffic of a model, counted as the real code would do it.

    ``reads``/``writes`` are plain loads and stores of shared words (pending,
    mask, selectors, event words, READY, HEAD, the upcall flag); ``atomics``
    are locked read-modify-writes (test-and-set, xchg, cmpxchg, sync bit ops),
    counted once each and not also as a read or write. Linux-private data
    (per-CPU binding masks, the resume position, the private queue heads) is
    not counted. ``passes`` counts ``handle_events`` calls.
    """

    __slots__ = ("reads", "writes", "atomics", "deliveries", "upcalls", "passes")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.reads = self.writes = self.atomics = 0
        self.deliveries = self.upcalls = self.passes = 0

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.as_dict().items())
        return f"Counters({inner})"
