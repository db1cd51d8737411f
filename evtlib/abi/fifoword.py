"""The FIFO event word and control block layout (Xen ``public/event_channel.h``).

Kept apart from :mod:`evtlib.abi.fifo` so that the text dumps can read the
layout without importing the model (no import cycle).
"""

#: The event word's flag bits: pending, masked, linked, busy.
P, M, L, BUSY = 1 << 31, 1 << 30, 1 << 29, 1 << 28
LINK_BITS = 17
LINK_MASK = (1 << LINK_BITS) - 1
NR_CHANNELS = 1 << LINK_BITS
QUEUES = 16
PRIORITY_DEFAULT = 7
#: READY, padding and 16 HEAD words: ``struct evtchn_fifo_control_block``.
CONTROL_BLOCK_BYTES = 4 + 4 + 4 * QUEUES
#: Bytes of one event word (``event_word_t``, 32 bits for every guest).
EVENT_WORD_BYTES = 4
