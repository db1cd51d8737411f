"""Robustness and scale (issue 10): does cost follow events? Prints figures.

1. Cost per raise of a 3-level run (262,144 ports, Poisson traffic over all
   of them, every port bound round-robin to vCPUs 0..15) with 16 vCPUs and
   with 1,024 (the same 16 busy, 1,008 idle). Target: ratio <= 1.5. And the
   peak memory of the 16-vCPU run.
2. report() time relative to the simulation time of that run. Target <= 0.3.
3. Loading that run's trace file: time relative to ``json.loads`` of the same
   file (target <= 2) and peak memory relative to the file size (target <= 4).
4. The memory of a recorded run of 10,000 steps on the same model (3-level,
   262,144 ports, 16 vCPUs, 245,760 ports bound away from vCPU 0).
5. bind() and snapshot() against the number of vCPUs and bound ports.
6. text() of a trace with a 1 MB and a 10 MB string (linear: ~10x).

Times are CPU time of this process (``time.process_time``), so that other
jobs on a shared machine do not count; wall time is printed beside. Memory
is the peak traced by tracemalloc (Python objects and numpy arrays).
Everything is seeded. ``--quick`` runs a 10x smaller version (about a
minute); the default is the issue's size (100,000 ticks, about 1M raises).
Run: ``python benchmarks/bench_scale.py`` (or ``make bench``).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import evtlib  # noqa: E402
from evtlib.sim import simulate  # noqa: E402
from evtlib.sim.metrics import report  # noqa: E402
from evtlib.sim.trace import Trace  # noqa: E402
from evtlib.sim.workloads import Poisson  # noqa: E402

SEED = 1
PORTS = 262_144
BUSY = 16


def clock(fn, *args, **kwargs):
    """``fn(...)``, its CPU seconds and its wall seconds."""
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.process_time() - c0, time.perf_counter() - w0


def peak(fn, *args, **kwargs):
    """``fn(...)`` and the peak memory it traced, in bytes."""
    gc.collect()
    tracemalloc.start()
    out = fn(*args, **kwargs)
    top = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, top


def bound_model(vcpus: int):
    """3-level W=64 with port p bound to vCPU p % 16 (Xen and Linux)."""
    s = evtlib.ThreeLevel(64, vcpus=vcpus)
    for p in range(1, PORTS):
        if p % BUSY:
            s.bind(p, p % BUSY)
    return s


def per_raise(ticks: int, rate: float):
    print(f"1. Cost per raise, 3-level W=64 ({PORTS:,} ports, bound to vCPUs 0..15), "
          f"Poisson {rate:g}/tick, {ticks:,} ticks")
    w = Poisson(range(1, PORTS), rate=rate)
    runs = {}
    for vcpus in (BUSY, 1024):
        s = bound_model(vcpus)
        t, cpu, wall = clock(simulate, s, w, ticks=ticks, seed=SEED)
        runs[vcpus] = (t, cpu)
        print(f"   {vcpus:>5} vCPUs: {t.summary.raises:,} raises, {t.summary.deliveries:,} "
              f"deliveries in {cpu:.1f} s CPU ({wall:.1f} s wall): "
              f"{cpu / t.summary.raises * 1e6:.1f} us per raise")
    a, b = (runs[v][1] / runs[v][0].summary.raises for v in (BUSY, 1024))
    print(f"   ratio 1,024 / 16 vCPUs: {b / a:.2f} (target <= 1.5)")
    s = bound_model(BUSY)
    _, top = peak(simulate, s, w, ticks=ticks, seed=SEED)
    print(f"   peak memory of the 16-vCPU run (model, schedule, trace): {top / 2**20:.0f} MiB")
    return runs[BUSY]


def report_time(t: Trace, sim_cpu: float) -> None:
    text, cpu, wall = clock(report, t)
    print(f"2. report() of that run: {cpu:.2f} s CPU ({wall:.2f} s wall) = "
          f"{cpu / sim_cpu:.3f} of the simulation's {sim_cpu:.1f} s (target <= 0.3); "
          f"{len(t.ports()):,} ports")


def load_time(t: Trace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.json")
        t.to_json(path)
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            raw = f.read()
        _, j_cpu, _ = clock(json.loads, raw)
        del raw
        back, l_cpu, l_wall = clock(Trace.from_json, path)
        assert back == t
        del back
        _, l_peak = peak(Trace.from_json, path)

        def json_peak():
            with open(path, "rb") as f:
                return json.loads(f.read())
        _, j_peak = peak(json_peak)
    print(f"3. Loading its trace file ({size / 2**20:.1f} MiB, {len(t.table):,} events):")
    print(f"   json.loads {j_cpu:.2f} s; Trace.from_json {l_cpu:.2f} s CPU ({l_wall:.2f} s "
          f"wall) = {l_cpu / j_cpu:.2f}x json.loads (target <= 2)")
    print(f"   peak memory: Trace.from_json {l_peak / 2**20:.0f} MiB = {l_peak / size:.2f}x "
          f"the file (target <= 4); json.loads alone {j_peak / 2**20:.0f} MiB = "
          f"{j_peak / size:.2f}x")


def recorded(steps: int) -> None:
    w = Poisson(range(1, PORTS), rate=0.5)
    # Find the run length that records about ``steps`` steps.
    trial = simulate(bound_model(BUSY), w, ticks=200, seed=SEED, record=True)
    ticks = max(10, round(200 * steps / len(trial.steps)))
    s = bound_model(BUSY)
    t, top = peak(simulate, s, w, ticks=ticks, seed=SEED, record=True)
    n = len(t.steps)
    last = t.steps[-1].state
    print(f"4. Recorded run, 3-level W=64 ({PORTS:,} ports, {BUSY} vCPUs, "
          f"{PORTS - PORTS // BUSY:,} bound away from vCPU 0), {ticks:,} ticks: "
          f"{n:,} steps, peak {top / 2**20:.1f} MiB = {top / n / 1024:.2f} KiB per step "
          f"(a step's settings hold {len(last.settings):,} entries when read)")


def bind_and_snapshot() -> None:
    print("5. bind() and snapshot() against vCPUs and bound ports (3-level W=64)")
    for vcpus in (1, 16, 1024, 4096):
        s = evtlib.ThreeLevel(64, vcpus=vcpus)
        _, cpu, _ = clock(lambda: [s.bind(p, p % vcpus) for p in range(1, 20_001)])
        print(f"   {vcpus:>5} vCPUs: bind {cpu / 20_000 * 1e6:.1f} us")
    s = bound_model(BUSY)
    snap, top = peak(s.snapshot)
    _, cpu, _ = clock(s.snapshot)
    print(f"   snapshot with {len(s._notify):,} bound ports: {cpu * 1e3:.2f} ms, "
          f"{top / 1024:.0f} KiB (its settings are listed only when read)")


def text_time(t: Trace) -> None:
    cpus = []
    for mb in (1, 10):
        big = Trace(dataclasses.replace(t.config, workload="w" * (mb * 2**20)),
                    t.table, t.summary)
        _, cpu, _ = clock(lambda: big.text(limit=10))
        cpus.append(cpu)
    print(f"6. text() with a 1 MB string {cpus[0]:.2f} s, with 10 MB {cpus[1]:.2f} s "
          f"(ratio {cpus[1] / max(cpus[0], 1e-9):.1f}: linear is ~10)")


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    ticks = 10_000 if quick else 100_000
    print(f"Python {sys.version.split()[0]}, seed {SEED}" + (" (quick)" if quick else ""))
    t, sim_cpu = per_raise(ticks, rate=10.0)
    report_time(t, sim_cpu)
    load_time(t)
    del t
    recorded(1_000 if quick else 10_000)
    bind_and_snapshot()
    text_time(simulate("2l", Poisson(range(1, 100), rate=1.0), ticks=100, seed=SEED))


if __name__ == "__main__":
    main(sys.argv[1:])
