"""The kinds of violation the explorer reports, and the JSON layout version.

Kept apart from :mod:`evtlib.races.engine` so that :mod:`evtlib.races.render`
can read them without importing the engine (no import cycle).
"""

#: Version of :meth:`evtlib.races.Result.to_json`'s layout.
JSON_VERSION = 1

#: Violation kinds, with the invariant of spec section 4 each one breaks
#: (0: none of them) and what it means.
KINDS = {
    "lost-event": (1, "an event was raised and never delivered"),
    "malformed-queue": (2, "a FIFO queue is not a chain from HEAD to tail"),
    "wrong-queue": (3, "an event was consumed from a queue it was not "
                       "linked on"),
    "unbounded-xen-work": (4, "Xen retries without bound for the guest"),
    "extra-delivery": (5, "an event was delivered twice or never raised"),
    "deadlock": (0, "no actor can move but some have not finished"),
}
