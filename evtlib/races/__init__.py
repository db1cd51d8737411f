"""Layer ``races``: every interleaving of Xen and guest actors, explored.

Actors (Xen raising and unmasking, the guest's upcall loop, mask, unmask
and hypercalls, a hostile and a rule-abiding guest) are small programs of
atomic steps, one guest-visible memory access each. :func:`explore` runs
every interleaving of a named scenario's actors under a named code variant
(today's code, Xen 4.4.0, the original FIFO code, today's code without one
fix, or a teaching mutant), lets the guest drain, checks the invariants of
the concurrency spec, and returns a :class:`Result` with the shortest
counterexample; :func:`replay` re-runs one interleaving step by step.

May import: :mod:`evtlib.abi`, the standard library and numpy (this layer
uses only the standard library).
"""

from .api import (Row, codes, describe, explore, initial_state, replay, scenarios, table,
                  table_text)
from .engine import (JSON_VERSION, KINDS, MAX_STATES, GuestState, Invariant, Result,
                     StateLimitError, Step, Violation)

__all__ = [
    "scenarios", "codes", "describe", "explore", "initial_state", "replay", "table",
    "table_text",
    "Row", "Result", "Violation", "Step", "GuestState", "Invariant",
    "StateLimitError", "KINDS", "MAX_STATES", "JSON_VERSION",
]
