"""The 2-level ABI: Xen ``event_2l.c`` and Linux ``events_2l.c``.

A guest has ``W * W`` ports (W = 32 or 64 bits per ``xen_ulong_t``): the
shared PENDING and MASK bitmaps are W words of W bits in ``shared_info``, and
each vCPU's ``evtchn_pending_sel`` has one bit per bitmap word. Xen sets the
port's PENDING bit, then (if unmasked) the word's selector bit on the notify
vCPU, then (if that bit was new) the vCPU's upcall flag. The guest takes the
whole selector with one xchg and scans the words it names (see
:mod:`evtlib.bitmap` for the two scan policies).
"""

from __future__ import annotations

from .bitmap import BitmapScheme, WordSet


class TwoLevel(BitmapScheme):
    """2-level event channels, Xen and Linux sides.

    ``scan="resume"`` is Linux ``evtchn_2l_handle_events``; ``"from-zero"``
    the old pvops loop, modelled inside the modern upcall loop and rebind so
    that the scan policy is the only difference. ``timer_first=True`` adds
    the VIRQ_TIMER check of Linux commit bee980d9e964 (spec 1.7).
    """

    name = "2l"
    label = "2-level"
    levels = 2
    _position_names = ("word", "bit")

    def _init_selectors(self) -> None:
        self._sel = [0] * self.vcpus
        self._flat_sel = self._sel          # one word: raises set it inline

    def _sel_set(self, vcpu: int, w: int) -> bool:
        """Test-and-set selector bit ``w``; True if it was clear."""
        self.counters.atomics += 1
        m = 1 << w
        if self._sel[vcpu] & m:
            return False
        self._sel[vcpu] |= m
        if self._steps is not None:
            self._record("selector", vcpu, None, (w,), self._sel[vcpu],
                         f"set bit {w} of vCPU {vcpu}'s selector: word {w} "
                         f"has an unmasked pending port")
        return True

    def _sel_take(self, vcpu: int) -> WordSet:
        """``xchg(&vcpu_info->evtchn_pending_sel, 0)``."""
        self.counters.atomics += 1
        bits, self._sel[vcpu] = self._sel[vcpu], 0
        self._words = WordSet(bits)
        if self._steps is not None:
            self._record("selector", vcpu, None, (), bits,
                         f"take vCPU {vcpu}'s selector with one xchg: "
                         f"{bits:#x}, leaving 0")
        return self._words

    def _sel_top(self, vcpu: int) -> int:
        return self._sel[vcpu]

    def _sel_state(self, vcpu: int) -> tuple:
        return (("selector", self._sel[vcpu]),)

    def _selector_words(self) -> int:
        return 1

    def selector(self, vcpu: int) -> int:
        """``evtchn_pending_sel`` of ``vcpu``."""
        return self._sel[self._vcpu(vcpu)]

    def _position(self, w: int, b: int) -> tuple:
        return (w, b)

    def _flat_position(self, parts) -> tuple:
        return (parts[0], parts[1])
