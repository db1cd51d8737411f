"""Plain-text renderings of upcall frames, lines of at most WIDTH (72) columns.

:func:`trace_text` writes one upcall step by step (the same frames the
stepper shows); :func:`delivery_table` puts delivery orders side by side.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

WIDTH = 72


def _where_short(frame) -> str:
    where = frame.where
    return "(" + ",".join(map(str, where)) + ")" if where else ""


def trace_text(frames: Sequence, ops: Sequence[str] | None = None,
               width: int = WIDTH) -> str:
    """Frames (or recorded Steps) as plain text, every line at most ``width`` columns.

    One block per step: a head line (number, op, port, place), then the
    step's sentence wrapped under it. ``ops`` keeps only those steps (and
    the start and end frames).
    """
    lines = []
    for f in frames:
        if ops is not None and f.op not in ops and f.op not in ("start", "end"):
            continue
        port = "" if f.port is None else f"port {f.port}"
        lines.append(f"{f.index:>3} {f.op:<11} {port:<11} {_where_short(f)}".rstrip())
        lines += textwrap.wrap(f.why, width=width, initial_indent=" " * 6,
                               subsequent_indent=" " * 6, break_on_hyphens=False)
    return "\n".join(lines)


def delivery_table(runs: Mapping[str, Sequence[int]], width: int = WIDTH) -> str:
    """Delivery orders side by side: one line per run, ``name: 10 70 3 10``."""
    pad = max(len(k) for k in runs) if runs else 0
    out = []
    for name, ports in runs.items():
        out.append(textwrap.fill(" ".join(map(str, ports)) or "-", width=width,
                                 initial_indent=f"{name:<{pad}} : ",
                                 subsequent_indent=" " * (pad + 3)))
    return "\n".join(out)
