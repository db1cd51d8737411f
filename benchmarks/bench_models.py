"""Speed and memory of the models (issue: core, section 6). Prints figures.

Workload: 64 active ports, a raise at a time chosen by a seeded RNG, and an
upcall every 8 raises; deliveries per second is measured over the whole loop
(raises included), on one core.

Run: ``python benchmarks/bench_models.py`` (or ``make bench``).
"""

from __future__ import annotations

import gc
import random
import sys
import time
import tracemalloc

sys.path.insert(0, __import__("os").path.dirname(__file__) + "/..")

import evtlib  # noqa: E402

SEED = 1
RAISES = 200_000


def active_ports(scheme, n: int = 64) -> list[int]:
    """``n`` ports spread over the whole port space (so the scan crosses words)."""
    step = (scheme.max_ports - 1) // n
    return [1 + i * step for i in range(n)]


def deliveries_per_second(scheme, raises: int = RAISES, every: int = 8) -> tuple[float, int]:
    rng = random.Random(SEED)
    ports = active_ports(scheme)
    seq = [rng.choice(ports) for _ in range(raises)]
    raise_ = scheme.set_pending
    upcall = scheme.upcall
    delivered = 0
    gc.collect()
    t0 = time.perf_counter()
    for i, port in enumerate(seq, 1):
        raise_(port)
        if i % every == 0:
            delivered += len(upcall())
    delivered += len(upcall())
    dt = time.perf_counter() - t0
    return delivered / dt, delivered


def fifo_on_demand():
    """FIFO with grow="on-demand", every active port bound (pages added):
    the page path is on for every raise, mask and unmask."""
    s = evtlib.Fifo(grow="on-demand")
    for p in active_ports(s):
        s.setup_port(p)
    return s


def with_lateeoi(factory):
    """A model with one idle port bound late-EOI: every upcall takes the
    late-EOI path (loop control counting every event)."""
    def make():
        s = factory()
        s.bind(s.max_ports - 2, 0, lateeoi=True)
        return s
    return make


def model_bytes(factory) -> int:
    """Peak traced memory of building one full-size model."""
    gc.collect()
    tracemalloc.start()
    model = factory()
    model.set_pending(model.max_ports - 1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del model
    return peak


def main() -> None:
    print(f"bench_models: seed={SEED} raises={RAISES} upcall every 8 raises, "
          f"64 active ports, Python {sys.version.split()[0]}")
    cases = [
        ("2-level W=64 resume", lambda: evtlib.TwoLevel(64)),
        ("2-level W=64 from-zero", lambda: evtlib.TwoLevel(64, scan="from-zero")),
        ("2-level W=32 resume", lambda: evtlib.TwoLevel(32)),
        ("3-level W=64 resume", lambda: evtlib.ThreeLevel(64)),
        ("3-level W=32 resume", lambda: evtlib.ThreeLevel(32)),
        ("FIFO", lambda: evtlib.Fifo()),
        # the new paths on (issue 11): pages on demand, late EOI in use
        ("FIFO on-demand", fifo_on_demand),
        ("2-level W=64 +lateeoi", with_lateeoi(lambda: evtlib.TwoLevel(64))),
        ("FIFO +lateeoi", with_lateeoi(lambda: evtlib.Fifo())),
    ]
    base = None
    print(f"{'model':<24}{'ports':>9}{'deliv/s':>11}{'us/deliv':>10}"
          f"{'vs 2L-64':>9}{'memory':>11}")
    for name, factory in cases:
        model = factory()
        rate, n = deliveries_per_second(model)
        us = 1e6 / rate
        if base is None:
            base = us
        mem = model_bytes(factory)
        print(f"{name:<24}{model.max_ports:>9,}{rate:>11,.0f}{us:>10.2f}"
              f"{us / base:>8.2f}x{mem / 1024:>8.1f}KiB")
    print("targets: 2-level >= 300,000 deliveries/s; 3-level (262,144) and FIFO "
          "(131,072) within 2x of 2-level at 4,096; every model < 4 MiB")


if __name__ == "__main__":
    main()
