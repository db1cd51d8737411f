"""Progress bars for long runs and sweeps, drawn by tqdm.

:func:`progress_bar` opens a tqdm bar (``tqdm.auto``: a widget in a
notebook, text on a terminal) that appears only once the work has taken
``delay`` seconds, so that short runs, and the stored outputs of the
notebooks, show nothing at all. :func:`ticks_hook` turns a bar into the
``progress(now, ticks)`` callback of :func:`evtlib.sim.simulate`; a sweep
calls ``bar.update(1)`` after each of its runs::

    with progress_bar(len(rates), "noise sweep") as bar:
        for r in rates:
            ...
            bar.update(1)
"""

from __future__ import annotations

import io
import os
from typing import Callable

#: Seconds of work before a bar appears (runs shorter than this show nothing).
DELAY = 2.0


def progress_bar(total: int, desc: str = "", *, unit: str = "it", file=None,
                 delay: float = DELAY, leave: bool = False, auto: bool = True):
    """A tqdm bar over ``total`` units; use it as a context manager.

    ``file`` (default stderr) is where a text bar goes; ``auto=False`` forces
    the text bar even in a notebook. ``leave=False`` erases the bar when it
    closes, also when the work is interrupted.
    """
    if auto and file is None:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    # A pseudo-terminal whose size was never set says 0x0: tqdm would then
    # draw nothing at all, so give it a size.
    width = {} if _has_size(file) else {"ncols": 80, "nrows": 24}
    return tqdm(total=total, desc=desc or None, unit=unit, file=file, delay=delay,
                leave=leave, dynamic_ncols=not width, mininterval=0.2, **width)


def _has_size(file) -> bool:
    """Whether ``file`` is not a terminal, or one that knows its size."""
    try:
        return os.get_terminal_size(file.fileno()).columns > 0
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return True


def ticks_hook(bar) -> Callable[[int, int], None]:
    """``progress(now, ticks)`` for :func:`evtlib.sim.simulate`, moving ``bar``."""
    def progress(now: int, ticks: int) -> None:
        if now > bar.n:
            bar.update(now - bar.n)
    return progress
