"""Port limits and guest memory of each scheme, read off the models themselves.

Memory is given two ways, and every figure says which:

* **at the port limit**: the ABI's whole per-domain structure (the models'
  ``shared_bytes()``), what a domain using every port would need;
* **for the ports actually bound**: what a guest really gives Xen.
  - 2-level: the PENDING and MASK bitmaps are fields of ``shared_info``, the
    page every guest shares with Xen anyway: **no extra page**, whatever the
    number of ports.
  - FIFO: Linux adds event-array pages one at a time with
    ``EVTCHNOP_expand_array`` as it binds ports (``evtchn_fifo_setup``: the
    pages needed are ``port // 1024 + 1`` for the highest bound port), so a
    guest whose ports are all below 1024 uses one 4 KiB page, not 512 KiB.
  - 3-level (reconstruction): the series registered both bitmaps whole
    (``EVTCHNOP_register_extended``, phase one), so the figure is the same as
    at the limit.

Per vCPU, the ABI size (selector words; FIFO's 72-byte control block) is not
what the guest allocates: Linux gives each CPU's FIFO control block a whole
page (``init_control_block`` clears and registers a page), while the 2-level
selector is a field of ``vcpu_info``. ``per_vcpu_used_bytes`` is the latter.
The 2 flag bytes every scheme has in ``vcpu_info`` are counted in neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .fifoword import EVENT_WORD_BYTES
from .schemes import SCHEMES

PAGE = 4096
#: FIFO event words in one event-array page.
WORDS_PER_PAGE = PAGE // EVENT_WORD_BYTES
#: Schemes whose bitmaps live inside ``shared_info`` (no page of their own).
IN_SHARED_INFO = frozenset({"2l"})
#: Schemes whose guest gives each vCPU a whole page for its per-vCPU structure.
PAGE_PER_VCPU = frozenset({"fifo"})


@dataclass(frozen=True)
class LimitRow:
    """One scheme on one guest word size: its port limit and memory.

    ``shared_bytes`` is at the port limit; ``extra_pages`` is the number of
    pages the guest adds for it at the limit beyond ``shared_info`` (0 for
    2-level). ``per_vcpu_bytes`` is the ABI's size per vCPU and
    ``per_vcpu_used_bytes`` what the guest really allocates per vCPU.
    """

    scheme: str
    label: str
    word_bits: int
    max_ports: int
    shared_bytes: int      # per domain at the limit: bitmaps (2L/3L) or event array (FIFO)
    per_vcpu_bytes: int    # ABI size: selector words (2L/3L) or control block (FIFO)
    per_vcpu_used_bytes: int = 0   # what the guest allocates per vCPU
    extra_pages: int = 0   # pages beyond shared_info at the limit

    @property
    def usable_ports(self) -> int:
        """Port 0 is reserved in every scheme."""
        return self.max_ports - 1

    @property
    def shared_pages(self) -> int:
        """Pages the structure spans at the limit (inside ``shared_info`` for 2-level)."""
        return -(-self.shared_bytes // PAGE)

    @property
    def in_shared_info(self) -> bool:
        return self.scheme in IN_SHARED_INFO


@dataclass(frozen=True)
class BoundMemory:
    """A scheme's per-domain memory for the ports actually bound (highest port ``highest``)."""

    scheme: str
    word_bits: int
    highest: int
    extra_pages: int       # pages beyond shared_info the guest gives Xen

    @property
    def bytes(self) -> int:
        return self.extra_pages * PAGE


def _model(name: str, word_bits: int):
    cls = SCHEMES[name]
    return cls(word_bits=word_bits) if cls.word_sizes else cls()


def limits() -> list[LimitRow]:
    """Every scheme x 32/64-bit guest, built from a full-size model of each."""
    return list(_limit_rows())


@lru_cache(maxsize=1)
def _limit_rows() -> tuple[LimitRow, ...]:
    # Six full-size models (a 128-page FIFO event array, 3-level's 64 KiB
    # bitmaps): built once, since the rows never change and callers such as
    # bound_memory() and the design review ask again for every row they make.
    rows = []
    for name, cls in SCHEMES.items():
        for bits in (32, 64):
            m = _model(name, bits)
            shared, per_vcpu = m.shared_bytes(), m.per_vcpu_bytes()
            rows.append(LimitRow(
                name, cls.label, bits, m.max_ports, shared, per_vcpu,
                per_vcpu_used_bytes=PAGE if name in PAGE_PER_VCPU else per_vcpu,
                extra_pages=0 if name in IN_SHARED_INFO else -(-shared // PAGE)))
    return tuple(rows)


def bound_memory(scheme: str, word_bits: int, highest: int) -> BoundMemory:
    """Pages a guest gives Xen when its highest bound port is ``highest``.

    2-level: none (the bitmaps are in ``shared_info``). FIFO: the event-array
    pages Linux has added, ``highest // 1024 + 1``. 3-level (reconstruction):
    both bitmaps, registered whole.
    """
    row = next((r for r in limits() if r.scheme == scheme and r.word_bits == word_bits), None)
    if row is None:
        raise ValueError(f"unknown scheme {scheme!r} or word size {word_bits!r}: valid "
                         f"schemes are {', '.join(SCHEMES)}, word sizes 32 and 64")
    if type(highest) is not int or not 1 <= highest < row.max_ports:
        raise ValueError(f"highest bound port {highest!r} is out of range: valid values "
                         f"are 1..{row.max_ports - 1}")
    if scheme == "fifo":
        pages = highest // WORDS_PER_PAGE + 1
    else:
        pages = row.extra_pages
    return BoundMemory(scheme, word_bits, highest, pages)


def _size(n: int) -> str:
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} B"


def memory_text(r: LimitRow) -> str:
    """``512 KiB (128p)``, or ``256 B in shared_info`` for 2-level."""
    if r.in_shared_info:
        return f"{_size(r.shared_bytes)} in s_info"
    return f"{_size(r.shared_bytes)} ({r.extra_pages}p)"


def limits_text() -> str:
    """The limits table in 72 columns."""
    head = (f"{'scheme':<8}{'guest':>6}{'max ports':>10}"
            f"{'memory at limit':>19}{'per vCPU':>9}{'in use':>8}")
    lines = [head, "-" * len(head)]
    for r in limits():
        lines.append(f"{r.label:<8}{str(r.word_bits) + '-bit':>6}{r.max_ports:>10,}"
                     f"{memory_text(r):>19}{_size(r.per_vcpu_bytes):>9}"
                     f"{_size(r.per_vcpu_used_bytes):>8}")
    lines += [
        "Port 0 is reserved. Memory at the port limit, per domain;",
        "'p' = extra 4 KiB pages; s_info = inside the shared_info page, no",
        "page of its own. FIFO adds pages as ports are bound: a guest",
        "whose ports are all below 1024 uses one page. Per vCPU: the ABI",
        "size (selector words, or FIFO's control block) and what the guest",
        "allocates (Linux: a whole page per CPU for the control block).",
        "32-bit = x86 32-bit guests; on Arm xen_ulong_t is 64-bit.",
        "3-level was never merged: its figures come from a reconstruction.",
    ]
    return "\n".join(lines)
