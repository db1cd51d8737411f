"""How big a run will be, before it starts: raises, vCPU-ticks, handler
time and memory.

The command line checks every run against these limits and a memory budget
(:func:`check_run`), so that one value cannot take the machine: a run too
big is refused with one line naming the option to change, before anything
is allocated. The estimate (:func:`run_size`) comes from the workload's
:meth:`~evtlib.sim.workloads.Workload.expected_raises`, and the memory per
raise was measured (``benchmarks/bench_sim.py``, section 6).
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import MAX_CLOCK
from .workloads import MAX_RAISES, Workload

#: Most vCPU-ticks (ticks x vCPUs) in one run: when upcalls keep flagging
#: other vCPUs without the clock moving, the run loop makes up to 2 rounds
#: per vCPU before a tick passes, so this bounds its worst case.
MAX_VCPU_TICKS = 10**10
#: Peak memory of a run, per raise: the events as columns (about 100 bytes
#: for a raise, its delivery and a share of an upcall), the schedule, the
#: report's per-port figures, and the workload's lists while they are drawn
#: (150-250 bytes measured), with a margin for what the estimate misses.
BYTES_PER_RAISE = 384
#: Python, numpy and evtlib loaded, plus the largest model (FIFO's 512 KiB
#: event array), plus each vCPU's share.
BASE_BYTES = 96 * 2**20
BYTES_PER_VCPU = 4096
#: The default memory budget of a command-line run.
DEFAULT_MAX_MEMORY = 2 * 2**30


class RunTooBig(ValueError):
    """A run that would exceed a limit; the message names the option to change."""


@dataclass(frozen=True)
class RunSize:
    """A run's size, estimated before it starts (None: the workload cannot say)."""

    raises: float | None          # scheduled raises plus the most hook raises
    vcpu_ticks: int
    handler_ticks: float | None   # handler time x deliveries (<= raises)
    memory: float | None          # estimated peak, bytes


def run_size(workload: Workload, *, ticks: int, handler_time: int, vcpus: int) -> RunSize:
    """Estimate the size of ``simulate(..., workload, ticks=..., handler_time=...)``."""
    scheduled = workload.expected_raises(ticks)
    hooked = workload.hooked_ports()
    if scheduled is None or hooked is None:
        return RunSize(None, ticks * vcpus, None, None)
    # An on-handle port is raised again at most once per handler it runs.
    raises = scheduled + len(hooked) * (ticks // max(1, handler_time) + 1)
    memory = BASE_BYTES + BYTES_PER_VCPU * vcpus + BYTES_PER_RAISE * raises
    return RunSize(raises, ticks * vcpus, handler_time * raises, memory)


def size_text(n: float) -> str:
    """``1.5 GiB``, ``512 MiB``, ``900 KiB``."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} bytes"


def check_run(size: RunSize, *, max_memory: int = DEFAULT_MAX_MEMORY,
              names: dict | None = None) -> None:
    """Raise :class:`RunTooBig` if the run exceeds a limit or the memory budget.

    ``names`` maps ``ticks``, ``vcpus``, ``handler_time`` and
    ``max_memory`` to what the caller calls them (the command line's options).
    """
    n = {"ticks": "ticks", "vcpus": "vcpus", "handler_time": "handler_time",
         "max_memory": "max_memory", **(names or {})}
    if size.vcpu_ticks > MAX_VCPU_TICKS:
        raise RunTooBig(f"the run would be {size.vcpu_ticks:.3g} vCPU-ticks (ticks x "
                        f"vCPUs): at most {MAX_VCPU_TICKS:.0e} fit in one run; lower "
                        f"{n['ticks']} or {n['vcpus']}")
    if size.raises is None:
        return
    if size.raises > MAX_RAISES:
        raise RunTooBig(f"the run would make about {size.raises:.3g} raises: at most "
                        f"{MAX_RAISES:.0e} fit in one run; lower {n['ticks']}")
    if size.handler_ticks > MAX_CLOCK:
        raise RunTooBig(f"handlers would take about {size.handler_ticks:.3g} ticks in all "
                        f"(handler time x deliveries): the clock stops at 2**53; lower "
                        f"{n['handler_time']} or {n['ticks']}")
    if size.memory > max_memory:
        raise RunTooBig(f"the run would need about {size_text(size.memory)} of memory "
                        f"(estimated), more than the budget of {size_text(max_memory)}; "
                        f"lower {n['ticks']} or raise {n['max_memory']}")
