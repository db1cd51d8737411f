"""Progress bars (evtlib.views.progress): tqdm, shown only after a delay."""

from __future__ import annotations

import io

from evtlib.sim import simulate
from evtlib.sim.workloads import preset
from evtlib.views.progress import DELAY, progress_bar, ticks_hook


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_follows_a_simulation_and_is_erased():
    err = TTY()
    with progress_bar(2000, "simulating", unit="tick", file=err, auto=False, delay=0) as bar:
        t = simulate("fifo", preset("mixed"), ticks=2000, seed=1, progress=ticks_hook(bar))
        assert bar.n == 2000
    text = err.getvalue()
    assert "simulating" in text and "/2000" in text and text.endswith("\r")
    assert t.summary.deliveries > 0


def test_a_short_run_draws_nothing():
    """Shown only once the work has taken ``delay`` seconds (2 by default), so
    quick runs and the notebooks' stored outputs show no bar at all."""
    err = TTY()
    with progress_bar(300, "sweep", file=err, auto=False) as bar:
        simulate("2l", preset("flood"), ticks=300, seed=0, progress=ticks_hook(bar))
    assert err.getvalue() == "" and DELAY == 2.0


def test_a_sweep_counts_its_runs():
    err = TTY()
    with progress_bar(3, "sweep", file=err, auto=False, delay=0) as bar:
        for seed in range(3):
            simulate("2l", preset("flood"), ticks=50, seed=seed)
            bar.update(1)
    assert "sweep:" in err.getvalue() and "/3 " in err.getvalue() and bar.n == 3
