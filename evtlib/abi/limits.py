"""Port limits and guest memory of each scheme, read off the models themselves."""

from __future__ import annotations

from dataclasses import dataclass

from .schemes import SCHEMES

PAGE = 4096


@dataclass(frozen=True)
class LimitRow:
    """One scheme on one guest word size, at its maximum number of ports."""

    scheme: str
    label: str
    word_bits: int
    max_ports: int
    shared_bytes: int      # per domain: bitmaps (2L/3L) or event array (FIFO)
    per_vcpu_bytes: int    # selector words (2L/3L) or control block (FIFO)

    @property
    def usable_ports(self) -> int:
        """Port 0 is reserved in every scheme."""
        return self.max_ports - 1

    @property
    def shared_pages(self) -> int:
        return -(-self.shared_bytes // PAGE)


def _model(name: str, word_bits: int):
    cls = SCHEMES[name]
    return cls(word_bits=word_bits) if cls.word_sizes else cls()


def limits() -> list[LimitRow]:
    """Every scheme x 32/64-bit guest, built from a full-size model of each."""
    rows = []
    for name, cls in SCHEMES.items():
        for bits in (32, 64):
            m = _model(name, bits)
            rows.append(LimitRow(name, cls.label, bits, m.max_ports,
                                 m.shared_bytes(), m.per_vcpu_bytes()))
    return rows


def _size(n: int) -> str:
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} B"


def limits_text() -> str:
    """The limits table in 72 columns."""
    head = (f"{'scheme':<9}{'guest':>6}{'max ports':>11}{'usable':>9}"
            f"{'shared memory':>16}{'per vCPU':>10}")
    lines = [head, "-" * len(head)]
    for r in limits():
        mem = f"{_size(r.shared_bytes)} ({r.shared_pages}p)"
        lines.append(f"{r.label:<9}{str(r.word_bits) + '-bit':>6}{r.max_ports:>11,}"
                     f"{r.usable_ports:>9,}{mem:>16}{_size(r.per_vcpu_bytes):>10}")
    lines.append("Port 0 is reserved; 'p' = 4 KiB pages. 3-level was never")
    lines.append("merged: its figures come from a reconstruction.")
    lines.append("Per vCPU: selector words (2L, 3L) or control block (FIFO); the")
    lines.append("2 flag bytes every scheme has in vcpu_info are not counted.")
    return "\n".join(lines)
