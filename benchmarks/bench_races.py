"""Speed and memory of the race explorer: every scenario under every code.

For each pair: distinct states, transitions, wall time of one full
exploration (search, witnesses and their replays), states per second, and
the peak of Python memory traced by tracemalloc during a second run (traced
separately, since tracing slows the run down). The last line is the total
time of the untraced runs: the cost of exploring the whole set, as a
notebook does.

Run: ``python benchmarks/bench_races.py [--no-memory] [SCENARIO ...]``
(or ``make bench``). A script, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)) + "/..")

from evtlib import races  # noqa: E402
from evtlib.races import api  # noqa: E402


def timed(name: str, code: str):
    # explore() keeps its results: start each measured run from nothing.
    api._explore.cache_clear()
    gc.collect()
    t0 = time.perf_counter()
    r = races.explore(name, code)
    return r, time.perf_counter() - t0


def peak_kib(name: str, code: str) -> float:
    api._explore.cache_clear()
    gc.collect()
    tracemalloc.start()
    try:
        races.explore(name, code)
        return tracemalloc.get_traced_memory()[1] / 1024
    finally:
        tracemalloc.stop()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", help="default: all")
    ap.add_argument("--no-memory", action="store_true",
                    help="skip the traced runs (peak memory)")
    args = ap.parse_args(argv)
    names = args.scenarios or races.scenarios()
    print(f"{'scenario':<20}{'code':<19}{'states':>8}{'trans':>9}"
          f"{'s':>7}{'states/s':>10}{'peak':>10}")
    total = slowest = 0.0
    for name in names:
        for code in races.codes(name):
            r, dt = timed(name, code)
            total += dt
            slowest = max(slowest, dt)
            mem = "" if args.no_memory else f"{peak_kib(name, code) / 1024:.1f}MiB"
            print(f"{name:<20}{code:<19}{r.states:>8,}{r.transitions:>9,}"
                  f"{dt:>7.2f}{r.states / dt:>10,.0f}{mem:>10}")
    print(f"total {total:.2f} s for the whole set; slowest pair {slowest:.2f} s")


if __name__ == "__main__":
    main()
