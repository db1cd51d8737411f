"""The 3-level ABI: a RECONSTRUCTION of Wei Liu's proposal (never merged).

Only the cover letters of the series (Dec 2012 - Mar 2013) survive, so this
module follows spec section 2 and fills the gaps by analogy with 2-level:

* Shared PENDING/MASK bitmaps of ``W * W`` words (``W**3`` ports: 32,768 for
  32-bit guests, 262,144 for 64-bit ones), per domain.
* Per vCPU, an L1 selector word (the old ``evtchn_pending_sel``; bit ``i``
  covers L2 word ``i``) and an L2 selector array of W words (bit ``j`` of L2
  word ``i`` covers bitmap word ``i * W + j``).
* Raise: test-and-set PENDING (stop if set); if unmasked test-and-set the L2
  bit; if that was new, test-and-set the L1 bit; if that was new, mark the
  upcall pending. Unmask mirrors it, as in 2-level.
* Guest scan (our choice, since the Linux half was not found): take L1 with
  one xchg, then each L2 word under it with one xchg each, and run the
  2-level resume scan over the bitmap words in (l1, l2) order. The start
  word is visited twice, the resume position is an (l1, l2, bit) triple and
  wraps from (W-1, W-1, W-1) to (0, 0, 0). ``scan="from-zero"`` and
  ``timer_first`` work as in 2-level.
"""

from __future__ import annotations

from .bitmap import BitmapScheme, WordSet2, bit_list


class ThreeLevel(BitmapScheme):
    """3-level event channels (reconstruction of an unmerged proposal)."""

    name = "3l"
    label = "3-level"
    levels = 3
    _position_names = ("l1", "l2", "bit")

    def _init_selectors(self) -> None:
        self._l1 = [0] * self.vcpus
        self._flat_sel = None
        self._l2 = [[0] * self.word_bits for _ in range(self.vcpus)]

    def _sel_set(self, vcpu: int, w: int) -> bool:
        """Mark bitmap word ``w``: L2 bit, then L1 bit; True if L1 was new."""
        hi, m2 = w >> self._shift, 1 << (w & self._low)
        c = self.counters
        c.atomics += 1
        l2 = self._l2[vcpu]
        if l2[hi] & m2:
            return False
        l2[hi] |= m2
        c.atomics += 1
        m1 = 1 << hi
        new = not self._l1[vcpu] & m1
        self._l1[vcpu] |= m1
        if self._steps is not None:
            self._record("selector", vcpu, None, (hi, w & self._low), l2[hi],
                         f"set L2 bit {w & self._low} of L2 word {hi}"
                         + (f" and L1 bit {hi}" if new else
                            f" (L1 bit {hi} already set)") + f" on vCPU {vcpu}")
        return new

    def _sel_take(self, vcpu: int) -> WordSet2:
        """xchg L1, then xchg each L2 word that L1 names."""
        c = self.counters
        c.atomics += 1
        l1, self._l1[vcpu] = self._l1[vcpu], 0
        l2 = self._l2[vcpu]
        local = {}
        for hi in bit_list(l1):
            c.atomics += 1
            bits, l2[hi] = l2[hi], 0
            if bits:
                local[hi] = bits
            else:
                l1 &= ~(1 << hi)
        self._words = WordSet2(l1, local, self._shift)
        if self._steps is not None:
            self._record("selector", vcpu, None, (), l1,
                         f"take vCPU {vcpu}'s L1 selector ({l1:#x}) and the "
                         f"L2 words it names, each with one xchg")
        return self._words

    def _sel_top(self, vcpu: int) -> int:
        return self._l1[vcpu]

    def _sel_state(self, vcpu: int) -> tuple:
        l2 = tuple((i, x) for i, x in enumerate(self._l2[vcpu]) if x)
        return (("selector", self._l1[vcpu]), ("l2", l2))

    def _selector_words(self) -> int:
        return 1 + len(self._l2[0])

    def selector(self, vcpu: int) -> int:
        """The L1 selector (``evtchn_pending_sel``) of ``vcpu``."""
        return self._l1[self._vcpu(vcpu)]

    def l2_selector(self, vcpu: int) -> tuple[int, ...]:
        return tuple(self._l2[self._vcpu(vcpu)])

    def _position(self, w: int, b: int) -> tuple:
        return (w >> self._shift, w & self._low, b)

    def _flat_position(self, parts) -> tuple:
        return ((parts[0] << self._shift) | parts[1], parts[2])
