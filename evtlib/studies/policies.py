"""The delivery policies the studies compare: a scheme and its options.

Each :class:`Policy` runs a workload with :func:`evtlib.sim.simulate`; a
study picks a few of :data:`POLICIES`. A tick is the time one handler takes
(``handler_time=1``). Every run is deterministic for its seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..sim import simulate
from ..sim.trace import Trace
from ..sim.workloads import Workload

#: The fixed seed of the notebooks (the month of the thread).
SEED = 2013
WORD_BITS = 64


# ------------------------------------------------------------------ policies
@dataclass(frozen=True)
class Policy:
    """A scheme and its delivery policy, with a short label for tables."""

    label: str
    scheme: str
    options: tuple[tuple[str, object], ...]
    about: str

    def run(self, workload: Workload, *, ticks: int, seed: int,
            word_bits: int = WORD_BITS) -> Trace:
        opts = dict(self.options)
        if self.scheme != "fifo":
            opts["word_bits"] = word_bits
        return simulate(self.scheme, workload, ticks=ticks, seed=seed, **opts)


POLICIES = (
    Policy("2l from-zero", "2l", (("scan", "from-zero"),),
           "2-level, scan from port 0 (the original pvops upcall)"),
    Policy("2l resume", "2l", (("scan", "resume"),),
           "2-level, resume after the last port handled (Linux ≈3.0–3.8)"),
    Policy("2l resume+timer", "2l", (("scan", "resume"), ("timer_first", True)),
           "2-level, resume, timer VIRQ first (Linux bee980d9e964)"),
    Policy("3l resume", "3l", (("scan", "resume"),),
           "3-level (Wei Liu, reconstruction), resume scan"),
    Policy("fifo timer prio0", "fifo", (),
           "FIFO (David Vrabel), timer at priority 0 as xen_setup_timer does"),
)
STARVATION_POLICIES = POLICIES[:3]


def policy(label: str) -> Policy:
    for p in POLICIES:
        if p.label == label:
            return p
    raise ValueError(f"unknown policy {label!r}: valid policies are "
                     f"{', '.join(p.label for p in POLICIES)}")


def _choice(value, what: str, choices: Sequence):
    if value not in choices:
        raise ValueError(f"{what} {value!r} is not offered: valid values are "
                         f"{', '.join(map(str, choices))}")
    return value
