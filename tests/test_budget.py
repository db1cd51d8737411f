"""A run's size before it starts: workloads' expected raises, volume checks,
and the limits the command line applies (evtlib.sim.budget)."""

from __future__ import annotations

import numpy as np
import pytest

from evtlib.sim.budget import (BASE_BYTES, BYTES_PER_RAISE, MAX_VCPU_TICKS, RunSize, RunTooBig,
                               check_run, run_size)
from evtlib.sim.workloads import (MAX_RAISES, PRESETS, Burst, Explicit, Flood, FromGenerator,
                                  Guests, Periodic, Poisson, Timer, with_priority)

RNG = np.random.default_rng


@pytest.mark.parametrize("w", [
    Periodic(5, every=7, phase=3), Timer(2, every=10), Flood(3, rate=0.37, start=11),
    Flood(3, rate=2.5), Flood(4), Burst(range(10, 30), at=(5, 50, 5000), size=4),
    Burst([1, 2, 3], at=7), Explicit([(0, 1), (3, 2), (20000, 3)]),
], ids=repr)
def test_expected_raises_is_exact_for_deterministic_kinds(w):
    for ticks in (1, 10, 4000):
        got = [e for e in w.events(ticks, RNG(0)) if e[0] < ticks]
        assert w.expected_raises(ticks) == pytest.approx(len(got))


@pytest.mark.parametrize("w", [Poisson(range(1, 100), rate=0.3), Guests(20),
                               PRESETS["mixed"].make(), PRESETS["design-review"].make()],
                         ids=repr)
def test_expected_raises_is_the_mean_for_random_kinds(w):
    n = [len(list(w.events(20000, RNG(s)))) for s in range(4)]
    assert w.expected_raises(20000) == pytest.approx(np.mean(n), rel=0.05)


def test_mixes_sum_and_unknowns_stay_unknown():
    a, b = Periodic(5, every=2), Flood(3, rate=0.5)
    assert (a + b).expected_raises(100) == 100
    assert (a + FromGenerator(lambda t, r: [])).expected_raises(100) is None
    assert FromGenerator(lambda t, r: [], expected=lambda t: 3 * t).expected_raises(10) == 30
    assert with_priority(a, {5: 2}).expected_raises(100) == 50


@pytest.mark.parametrize("w, text", [
    (Periodic(5, every=1), "periodic"), (Timer(5, every=1), "timer"),
    (Guests(1000, rate=1.0), "guests"), (Flood(3, rate=1000.0), "flood")])
def test_periodic_and_guests_check_their_volume_too(w, text):
    """The issue: Periodic and Guests skipped the volume check (Guests then
    failed inside numpy asking for 35.8 GiB)."""
    with pytest.raises(ValueError, match=rf"{text}\(.*raises: at most 1e\+08 fit in one run"):
        w.events(10**9, RNG(0))


def test_a_flood_lists_its_raises_without_listing_its_ticks():
    """0.000001/tick for 10**12 ticks is a million raises, not 10**12 ticks."""
    t = [tick for tick, _ in Flood(3, rate=1e-6).events(10**12, RNG(0))]
    assert len(t) == 10**6 and t[:2] == [999_999, 1_999_999] and t[-1] == 10**12 - 1


def test_run_size_counts_hook_raises_and_memory():
    size = run_size(Flood(3) + Periodic(9, every=4), ticks=1000, handler_time=2, vcpus=4)
    assert size.raises == 1 + 250 + (1000 // 2 + 1)
    assert size.vcpu_ticks == 4000 and size.handler_ticks == 2 * size.raises
    assert size.memory == BASE_BYTES + 4 * 4096 + BYTES_PER_RAISE * size.raises
    unknown = run_size(FromGenerator(lambda t, r: []), ticks=10, handler_time=1, vcpus=1)
    assert unknown.raises is None and unknown.vcpu_ticks == 10
    check_run(unknown)                       # nothing to check but vCPU-ticks


@pytest.mark.parametrize("size, text", [
    (RunSize(10, MAX_VCPU_TICKS + 1, 10, 1), "vCPU-ticks .* lower --ticks or --vcpus"),
    (RunSize(MAX_RAISES + 1, 10, 1, 1), "raises: at most 1e\\+08 .* lower --ticks"),
    (RunSize(10, 10, 2.0**54, 1), "clock stops at 2\\*\\*53; lower --handler-time"),
    (RunSize(10, 10, 10, 3 * 2**30), "3 GiB of memory .* budget of 2 GiB; lower --ticks "
                                     "or raise --max-memory"),
])
def test_check_run_names_the_option_to_change(size, text):
    names = {"ticks": "--ticks", "vcpus": "--vcpus", "handler_time": "--handler-time",
             "max_memory": "--max-memory"}
    with pytest.raises(RunTooBig, match=text):
        check_run(size, names=names)
    assert issubclass(RunTooBig, ValueError)


def test_every_preset_fits_the_default_budget_at_its_own_length():
    for p in PRESETS.values():
        check_run(run_size(p.make(), ticks=p.ticks, handler_time=1, vcpus=1))
