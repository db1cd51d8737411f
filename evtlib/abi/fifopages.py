"""FIFO event-array pages: ``EVTCHNOP_expand_array`` and Xen's private pending flag.

The event array is guest memory, added to Xen one 4 KiB page (1024 event
words) at a time, at most 128 pages (Xen ``add_page_to_event_array``).
Linux adds pages as it binds ports (``evtchn_fifo_setup``: a port needs
``port // 1024 + 1`` pages) and fills each new page with MASKED words first
(``init_array_page``); a port is unmasked when its irq starts up.

Xen on a port whose page is missing (``evtchn_fifo_word_from_port`` finds no
word): a raise sets the Xen-private ``evtchn->pending`` flag and returns
(Xen commit ``917c123029``, "don't lose pending state if FIFO event array
page is missing", 2013); adding the page re-raises every flagged port of
that page on its notify vCPU. Before that commit the raise was lost, which
is also what the public header still says of events pending at
``EVTCHNOP_init_control`` ("will not be resent and will be lost"):
``missing="drop"`` models that. Unmask does nothing; "is masked" reads true.

This mixin is only used by a model built with ``grow="on-demand"``: its
methods replace the fast ones on that instance, so a model with every page
present (``grow="all"``) runs exactly the code it ran before pages existed.
"""

from __future__ import annotations

from .fifoword import LINK_BITS, M

#: Event words in one 4 KiB page, and the most pages the array can have.
WORDS_PER_PAGE = 1024
MAX_PAGES = (1 << LINK_BITS) // WORDS_PER_PAGE
GROW = ("all", "on-demand")
MISSING = ("keep", "drop")


class FifoPages:
    """Page handling of :class:`~evtlib.abi.fifo.Fifo` (mixin)."""

    def _init_pages(self, grow: str, missing: str) -> None:
        self.grow, self.missing = grow, missing
        self._xen_pending: set[int] = set()     # evtchn->pending of page-less ports
        self._bound: set[int] = set()           # ports Linux has set up (on-demand)
        if grow == "all":
            self._pages = MAX_PAGES
            return
        self._pages = 0
        # Instance attributes shadow the fast methods for this model only.
        for name in ("xen_set_pending", "xen_unmask_port", "test_and_set_mask",
                     "clear_pending_bit", "guest_unmask", "pending_bit",
                     "masked_bit"):
            setattr(self, name, getattr(self, "_paged_" + name))

    # --------------------------------------------------------- reading
    @property
    def event_array_pages(self) -> int:
        """Pages of the event array Xen has (``grow="all"``: all 128)."""
        return self._pages

    def has_page(self, port: int) -> bool:
        """Whether ``port``'s event word exists (its page has been added)."""
        return self._port(port) < self._pages * WORDS_PER_PAGE

    def xen_pending(self) -> list[int]:
        """Ports whose Xen-private pending flag is set (raised with no page)."""
        return sorted(self._xen_pending)

    # ------------------------------------------------------- expanding
    def expand_array(self) -> int:
        """Add one page: Linux masks its 1024 words, then ``EVTCHNOP_expand_array``.

        Xen then re-raises every port of the page whose private pending flag
        is set (``917c123029``): it becomes pending but, its word being
        masked, is linked only when Linux unmasks it. Returns the new count.
        """
        if self._pages >= MAX_PAGES:
            raise ValueError(f"the event array already has all {MAX_PAGES} pages "
                             f"(ports 1..{MAX_PAGES * WORDS_PER_PAGE - 1}): "
                             f"EVTCHNOP_expand_array fails (ENOSPC)")
        first = self._pages * WORDS_PER_PAGE
        words = self._word
        for p in range(first, first + WORDS_PER_PAGE):
            words[p] = M
        self._pages += 1
        if self._steps is not None:
            self._record("expand", None, None, (), self._pages, (
                f"Linux masks the 1024 words of page {self._pages - 1} and adds "
                f"it with EVTCHNOP_expand_array: ports {max(first, 1)}.."
                f"{first + WORDS_PER_PAGE - 1} now have a word"))
        carried = sorted(p for p in self._xen_pending
                         if first <= p < first + WORDS_PER_PAGE)
        for p in carried:
            self._xen_pending.discard(p)
            if self._steps is not None:
                self._record("re-raise", None, p, why=(
                    f"port {p} was raised before its page existed: Xen raises "
                    f"it again now (917c123029)"))
            type(self).xen_set_pending(self, self._notify.get(p, 0), p)
        return self._pages

    def setup_port(self, port: int) -> None:
        """Linux ``evtchn_fifo_setup`` + irq start-up, once per port: add the
        pages ``port`` needs, then unmask it (a new page's words are masked)."""
        port = self._port(port)
        if port in self._bound:
            return
        need = port // WORDS_PER_PAGE + 1
        while self._pages < need:
            self.expand_array()
        self._bound.add(port)
        type(self).guest_unmask(self, port, self._cpu.get(port, 0))

    def _missing(self, port: int) -> bool:
        return port >= self._pages * WORDS_PER_PAGE

    def _no_page(self, port: int, what: str):
        raise ValueError(f"port {port} has no event word yet: the event array has "
                         f"{self._pages} page(s), ports 1.."
                         f"{max(self._pages * WORDS_PER_PAGE - 1, 0)}; bind it "
                         f"first (Linux adds its page), then {what}")

    # ------------------------------------------- paged variants (on-demand)
    def _paged_xen_set_pending(self, vcpu: int, port: int) -> bool:
        if port < self._pages * WORDS_PER_PAGE:
            return type(self).xen_set_pending(self, vcpu, port)
        if self.missing == "drop":
            if self._steps is not None:
                self._record("lost", vcpu, port, why=(
                    f"port {port} has no page yet: without 917c123029 Xen "
                    f"drops the event"))
            return True
        fresh = port not in self._xen_pending
        self._xen_pending.add(port)
        if self._steps is not None:
            self._record("no-page", vcpu, port, why=(
                f"port {port} has no page yet: Xen keeps the event in its "
                f"private pending flag until the page is added"))
        return fresh

    def _paged_xen_unmask_port(self, port: int) -> None:
        if not self._missing(port):
            type(self).xen_unmask_port(self, port)

    def _paged_test_and_set_mask(self, port: int) -> bool:
        if self._missing(port):
            self._no_page(port, "mask it")
        return type(self).test_and_set_mask(self, port)

    def _paged_clear_pending_bit(self, port: int) -> None:
        if self._missing(port):
            self._no_page(port, "clear it")
        type(self).clear_pending_bit(self, port)

    def _paged_guest_unmask(self, port: int, cpu: int) -> None:
        if self._missing(port):
            self._no_page(port, "unmask it")
        type(self).guest_unmask(self, port, cpu)

    def _paged_pending_bit(self, port: int) -> bool:
        return not self._missing(port) and type(self).pending_bit(self, port)

    def _paged_masked_bit(self, port: int) -> bool:
        # Xen's evtchn_fifo_is_masked: no word reads as masked.
        return self._missing(port) or type(self).masked_bit(self, port)
