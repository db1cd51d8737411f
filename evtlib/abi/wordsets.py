"""Words of bits for the bitmap schemes (2-level, 3-level).

* :class:`WordSet` and :class:`WordSet2`: the guest scan's local copy of a
  1-level selector (one word) or of a 2-level selector tree (3-level);
* :class:`Sparse`: a CPU's binding-mask words, only the non-zero ones;
* :class:`Pages` and :func:`bitmap_fields`: copy-on-write pages of the
  PENDING and MASK bitmaps, shared between consecutive snapshots.
"""

from __future__ import annotations


def lowest_bit(x: int) -> int:
    """Index of the lowest set bit of ``x`` (``x`` > 0)."""
    return (x & -x).bit_length() - 1


def bit_list(x: int) -> list[int]:
    out = []
    while x:
        low = x & -x
        out.append(low.bit_length() - 1)
        x ^= low
    return out


class WordSet:
    """The guest's local copy of a 1-level selector: one W-bit integer."""

    __slots__ = ("bits",)

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __bool__(self) -> bool:
        return self.bits != 0

    def first_from(self, w: int) -> int:
        """Lowest word index >= w present, or -1."""
        above = self.bits >> w
        return w + (above & -above).bit_length() - 1 if above else -1

    def discard(self, w: int) -> None:
        self.bits &= ~(1 << w)

    def indices(self) -> list[int]:
        return bit_list(self.bits)


class WordSet2:
    """Local copy of a 2-level selector tree (3-level scheme): L1 bits over L2 words."""

    __slots__ = ("l1", "l2", "shift", "low")

    def __init__(self, l1: int, l2: dict[int, int], shift: int) -> None:
        self.l1, self.l2, self.shift = l1, l2, shift
        self.low = (1 << shift) - 1

    def __bool__(self) -> bool:
        return self.l1 != 0

    def first_from(self, w: int) -> int:
        hi, lo = w >> self.shift, w & self.low
        rest = self.l2.get(hi, 0) >> lo if self.l1 >> hi & 1 else 0
        if rest:
            return w + lowest_bit(rest)
        above = self.l1 >> (hi + 1)
        if not above:
            return -1
        hi = hi + 1 + lowest_bit(above)
        return (hi << self.shift) + lowest_bit(self.l2[hi])

    def indices(self) -> list[int]:
        return [(hi << self.shift) + lo for hi in bit_list(self.l1)
                for lo in bit_list(self.l2[hi])]

    def discard(self, w: int) -> None:
        hi = w >> self.shift
        left = self.l2.get(hi, 0) & ~(1 << (w & self.low))
        if left:
            self.l2[hi] = left
        else:
            self.l2.pop(hi, None)
            self.l1 &= ~(1 << hi)


class Sparse(dict):
    """A CPU's binding mask words, only the non-zero ones (missing words read 0).

    Every port starts bound to CPU 0, so the other CPUs' masks are mostly
    zero: storing them sparsely keeps a model of 4,096 vCPUs small.
    """

    __slots__ = ()

    def __missing__(self, w: int) -> int:
        return 0


class Pages:
    """Copy-on-write pages of a word list, for snapshots.

    ``freeze(words)`` returns a tuple of page tuples; a page that did not
    change since the last call is the same tuple object as before, so
    consecutive snapshots share every unchanged page.
    """

    __slots__ = ("size", "seen", "frozen", "table")

    def __init__(self, n: int, size: int = 64) -> None:
        self.size = size
        self.seen: list = [None] * ((n + size - 1) // size)
        self.frozen: list = [()] * len(self.seen)
        self.table: tuple = ()

    def freeze(self, words: list) -> tuple:
        size, seen, frozen = self.size, self.seen, self.frozen
        changed = False
        for i in range(len(seen)):
            cur = words[i * size:(i + 1) * size]
            if cur != seen[i]:
                seen[i], frozen[i], changed = cur, tuple(cur), True
        if changed:
            self.table = tuple(frozen)
        return self.table


def bitmap_fields(pend_pages: tuple, mask_pages: tuple, size: int, W: int) -> dict:
    """``pending``, ``masked`` and ``words`` of a bitmap snapshot, from its pages."""
    pend, mask, words = [], [], []
    for k, (pp, mp) in enumerate(zip(pend_pages, mask_pages)):
        base = k * size
        for j, (p, m) in enumerate(zip(pp, mp)):
            if p or m:
                i = base + j
                words.append((i, p, m))
                pend += [i * W + b for b in bit_list(p)]
                mask += [i * W + b for b in bit_list(m)]
    return {"pending": pend, "masked": mask, "words": words}
