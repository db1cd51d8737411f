"""Immutable records: state snapshots, recorded steps and cost counters.

Snapshots are sparse (only non-zero words, only non-default settings) so that a
262,144-port model can be recorded step by step without copying every word.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Snapshot:
    """The whole guest-visible and Xen-private state of a model at one moment.

    Fields common to every scheme come first. ``words`` holds the scheme's
    shared words that are not zero: for 2-level and 3-level ``(index, pending,
    mask)`` triples; for FIFO ``(port, event_word)`` pairs. ``per_vcpu`` holds
    one tuple per vCPU of ``(name, value)`` pairs (selectors, resume position,
    READY, HEAD, tails...). ``settings`` holds the ports whose notify vCPU,
    Linux CPU or FIFO priority differ from the defaults.
    """

    scheme: str
    word_bits: int | None
    vcpus: int
    max_ports: int
    pending: tuple[int, ...]
    masked: tuple[int, ...]
    upcall_pending: tuple[bool, ...]
    words: tuple[tuple[int, ...], ...]
    per_vcpu: tuple[tuple[tuple[str, object], ...], ...]
    settings: tuple[tuple[str, int, int], ...] = ()

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
