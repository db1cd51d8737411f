"""Plain-text state dumps (<= 72 columns), for terminals and mailing lists.

The models' ``dump()`` methods call these; the richer views live in
:mod:`evtlib.views`.
"""

from __future__ import annotations

import heapq
import textwrap

from .fifoword import BUSY, LINK_MASK, PRIORITY_DEFAULT, QUEUES, L, M, P

WIDTH = 72
MAX_ROWS = 48
#: Most items a port list shows; the rest are counted ("... 5,000 more").
MAX_ITEMS = 128


def port_list(label: str, ports, width: int = WIDTH, total: int | None = None) -> str:
    """``label: 3 10 70``, wrapped under the label; ``-`` when empty.

    At most :data:`MAX_ITEMS` items are shown, then how many more of
    ``total`` (default: all of ``ports``) there are.
    """
    items = [str(p) for p in ports[:MAX_ITEMS]]
    total = len(ports) if total is None else total
    if total > len(items):
        items.append(f"... {total - len(items):,} more")
    body = " ".join(items) or "-"
    head = f"{label}: "
    return textwrap.fill(body, width=width, initial_indent=head,
                         subsequent_indent=" " * len(head),
                         break_on_hyphens=False)


def _rows(lines: list[str], total: int) -> list[str]:
    if total > len(lines):
        lines = lines + [f"  ... {total - len(lines)} more rows"]
    return lines


def _hex(value: int, bits: int) -> str:
    return f"{value:#0{bits // 4 + 2}x}"


def dump_bitmap(s) -> str:
    """State dump of a 2-level or 3-level model.

    ``upcall`` is the vCPU's ``evtchn_upcall_pending``, ``sel`` its
    ``evtchn_pending_sel`` (L1 for 3-level), ``resume`` where its next resume
    scan starts.
    """
    snap = s.snapshot()
    W = s.word_bits
    out = [f"{s.describe()}; ports 1..{s.max_ports - 1}",
           port_list("pending", snap.pending), port_list("masked", snap.masked)]
    if snap.words:
        name = "word" if s.levels == 2 else "word (l1,l2)"
        out.append(f"{name:>12}  {'pending':<{W // 4 + 2}}  mask")
        rows = []
        for i, p, m in snap.words[:MAX_ROWS]:
            where = str(i) if s.levels == 2 else f"{i} ({i // W},{i % W})"
            rows.append(f"{where:>12}  {_hex(p, W)}  {_hex(m, W)}")
        out += _rows(rows, len(snap.words))
    for v in range(s.vcpus):
        d = snap.vcpu(v)
        timer = "-" if d["timer"] is None else d["timer"]
        resume = ",".join(map(str, d["resume"]))
        line = (f"vCPU {v}: upcall={int(snap.upcall_pending[v])} "
                f"sel={_hex(d['selector'], W)} resume=({resume})")
        # Large vCPU and port numbers could push the timer past 72 columns.
        timer_part = f" timer={timer}"
        out.append(line + timer_part if len(line + timer_part) <= WIDTH
                   else f"{line}\n  {timer_part.strip()}")
        if "l2" in d and d["l2"]:
            out.append(port_list("  L2 words (index:value)",
                                 [f"{i}:{x:#x}" for i, x in d["l2"]]))
    # Read from the model: listing every binding of 245,760 bound ports
    # would cost more than the whole dump.
    moved = [f"{p}->{v}" for p, v in heapq.nsmallest(MAX_ITEMS, s._cpu.items())]
    if moved:
        out.append(port_list("ports bound to other CPUs", moved, total=len(s._cpu)))
    return "\n".join(out)


def flags(word: int) -> str:
    """``P M L B`` flags of a FIFO event word as ``P.L.`` style letters."""
    return "".join(ch if word & bit else "." for ch, bit in
                   (("P", P), ("M", M), ("L", L), ("B", BUSY)))


def dump_fifo(s) -> str:
    """State dump of a FIFO model."""
    snap = s.snapshot()
    out = [f"{s.describe()}; ports 1..{s.max_ports - 1}",
           port_list("pending", snap.pending), port_list("masked", snap.masked)]
    prio = {p: q for kind, p, q in snap.settings if kind == "priority"}
    if snap.words:
        out.append("  port  event word  PMLB    LINK  prio")
        rows = [f"{port:>6}  {w:#010x}  {flags(w)}  {w & LINK_MASK:>6}  "
                f"{prio.get(port, PRIORITY_DEFAULT):>4}" for port, w in snap.words[:MAX_ROWS]]
        out += _rows(rows, len(snap.words))
    for v in range(s.vcpus):
        d = snap.vcpu(v)
        timer = "-" if d["timer"] is None else d["timer"]
        out.append(f"vCPU {v}: upcall={int(snap.upcall_pending[v])} "
                   f"READY={d['ready']:#06x} timer={timer}")
        for q in range(QUEUES):
            head, tail, lh = d["head"][q], d["tail"][q], d["linux_head"][q]
            if head or tail or lh or d["ready"] >> q & 1:
                chain = " -> ".join(map(str, s.queue(v, q))) or "(empty)"
                out.append(port_list(
                    f"  q{q:<2} HEAD={head} tail={tail} next={lh} queue", [chain]))
    return "\n".join(out)
