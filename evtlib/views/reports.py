"""The studies as plain text, every line at most 72 columns (for a xen-devel reply)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from ..studies.policies import POLICIES, Policy
from ..studies.review import HORIZON, LATE_PORT, NOISY_PORT, TIMER, TIMER_EVERY, Review
from ..studies.starvation import FLOOD_PORT, PERIOD, QUIET_PORTS, TIMER_PORT, Starvation

WIDTH = 72


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width=WIDTH, initial_indent=indent,
                         subsequent_indent=indent, break_on_hyphens=False)


def wrap(text: str, hang: str = "  ") -> str:
    """``text`` wrapped to 72 columns; continuation lines indented by ``hang``."""
    return textwrap.fill(text, width=WIDTH, subsequent_indent=hang,
                         break_on_hyphens=False, break_long_words=False)


def policies_text(policies: Sequence[Policy] = POLICIES) -> str:
    """One line per policy, ``label  about``, wrapped under the description."""
    width = max(len(p.label) for p in policies) + 2
    return "\n".join(
        textwrap.fill(p.about, width=WIDTH, initial_indent=f"{p.label:<{width}}",
                      subsequent_indent=" " * width, break_on_hyphens=False)
        for p in policies)


def starvation_text(st: Starvation) -> str:
    """The starvation study as a 72-column table."""
    lines = _wrap(f"Flood on port {FLOOD_PORT} at {st.flood_rate:g}/tick; every "
                  f"{PERIOD} ticks {st.busy} busy ports and the timer (port "
                  f"{TIMER_PORT}); quiet ports {', '.join(map(str, QUIET_PORTS))}. "
                  f"2-level, 64-bit, {st.ticks} ticks, seed {st.seed}.")
    head = (f"{'policy':<18}{'top port':>10}{'timer':>8}{'worst busy':>12}"
            f"{'flood deliv':>13}")
    lines += ["", head, "-" * len(head)]
    for i, label in enumerate(st.labels):
        lines.append(f"{label:<18}{st.top[i]:>10}{st.timer[i]:>8}"
                     f"{st.busy_worst[i]:>12}{st.flood[i]:>13}")
    lines += _wrap("Worst waits in ticks (one tick = one handler); 'worst busy' is "
                   "the longest wait of any busy port. A wait can exceed the run: "
                   "after the last raise the guest drains what is left, and a port "
                   "that waited since early in the run counts its whole wait.")
    return "\n".join(lines)


def _num(x, fmt: str = "d") -> str:
    return "-" if x is None else format(x, fmt)


def _mem(n: int) -> str:
    return f"{n // 1024} KiB" if n >= 1024 and n % 1024 == 0 else f"{n} B"


REVIEW_HEAD = (f"{'policy':<17}{'p50':>4}{'p99':>5}{'max':>5}{'timer':>6}{'late':>5}"
               f"{'strv':>5}{'fair':>5}{'rw/ev':>6}{'at/ev':>6}{'memory':>8}")


def review_text(review: Review) -> str:
    """The review as plain text, every line <= 72 columns, for a xen-devel reply."""
    r0 = review
    lines = _wrap(f"Event channel delivery, one workload on every scheme "
                  f"(evtlib, seed {r0.seed}, {r0.ticks} ticks, "
                  f"{r0.word_bits}-bit guest, 1 tick per handler):")
    lines += _wrap(f"{r0.guests} guests x xenstore+console+vif+vbd from port 8; "
                   f"timer port {TIMER} every {TIMER_EVERY} ticks; noisy guest 0's "
                   f"vif (port {NOISY_PORT}) at {r0.noisy_rate:g}/tick; late port "
                   f"{LATE_PORT} at "
                   f"0.01/tick.", "  ")
    lines += ["", REVIEW_HEAD, "-" * len(REVIEW_HEAD)]
    for r in review.rows:
        lines.append(
            f"{r.label[:16]:<17}{_num(r.p50):>4}{_num(r.p99):>5}{_num(r.max):>5}"
            f"{_num(r.timer_max):>6}{_num(r.late_max):>5}{r.starved:>5}"
            f"{_num(r.fairness, '.2f'):>5}{_num(r.rw_per_event, '.1f'):>6}"
            f"{_num(r.atomics_per_event, '.1f'):>6}{_mem(r.shared_bytes):>8}")
    sizes = "/".join(_mem(r.per_vcpu_bytes) for r in review.rows
                     if r.label in ("2l resume", "3l resume", "fifo timer prio0"))
    highest = max((r.highest for r in review.rows), default=0)
    notes = [
        (f"Waits in ticks: p50/p99/max over all deliveries; timer (port {TIMER}) "
         f"and late (port {LATE_PORT}): worst wait; strv: ports that waited > "
         f"{HORIZON} ticks. Raises arrive at tick boundaries and a handler takes "
         f"one tick, so a wait of 0 means 'served when the running handler "
         f"ended', not 'never waited': delivery is not preemptive."),
        ("fair: Jain's index of the device ports' 1/(1 + mean wait), a "
         "starved port counting 0 ('-': every port starved)."),
        ("rw/ev, at/ev: shared words read or written, atomic ops, per event "
         "(guest side)."),
        (f"memory: pages the guest gives Xen for the ports bound (highest "
         f"{highest}), not at the limit; 2-level's bitmaps are inside "
         f"shared_info (0 B). Per vCPU as allocated: {sizes} (2l/3l/fifo; "
         f"FIFO's 72-byte control block takes a page)."),
        ("3-level is a reconstruction of an unmerged series: its waits and "
         "costs follow from the reconstruction's scan (evtlib.abi.threelevel)."),
    ]
    lines.append("")
    for note in notes:
        lines += _wrap(note)
    return "\n".join(lines)


def review_findings(review: Review) -> str:
    """"What the numbers say": one short paragraph per finding, 72 columns.

    Needs the five standard rows (:data:`POLICIES`).
    """
    z, res, tf, l3, ff = (review.row(p.label) for p in POLICIES)
    best = min(review.rows, key=lambda r: r.max)
    findings = [
        (f"Timer (port {TIMER}), worst wait: 2-level resume {res.timer_max}, with "
         f"timer-first {tf.timer_max}, FIFO (priority 0) {ff.timer_max} ticks "
         f"(0: served as soon as the running handler ended; the model's raises "
         f"arrive at tick boundaries)."),
        (f"3-level vs 2-level, both resume: the same waits (p99 {l3.p99} vs "
         f"{res.p99}, max {l3.max} vs {res.max}) and {l3.atomics_per_event:.1f} vs "
         f"{res.atomics_per_event:.1f} atomic ops per event. Both follow from "
         f"the reconstruction, not from Wei Liu's code: it scans the bitmap "
         f"words in the 2-level order and takes each L2 selector word with one "
         f"more xchg."),
        (f"FIFO, per event: {ff.rw_per_event:.1f} shared words read or written "
         f"(2-level resume {res.rw_per_event:.1f}) but {ff.atomics_per_event:.1f} "
         f"atomic ops ({res.atomics_per_event:.1f}); Xen's raise costs "
         f"{ff.xen_rw_per_raise:.1f} words per raise ({res.xen_rw_per_raise:.1f})."),
        (f"Scan from zero: fairness {z.fairness:.2f} (resume {res.fairness:.2f}, "
         f"FIFO {ff.fairness:.2f}), worst wait {z.max} (resume {res.max}), "
         f"{z.starved} port(s) starved."),
        f"Lowest worst wait of any port: {best.label}, {best.max} ticks.",
    ]
    out = []
    for text in findings:
        out += _wrap(text) + [""]
    return "\n".join(out[:-1])
