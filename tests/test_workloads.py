"""Workloads: events, hooks, classes, specs, composition and presets."""

from __future__ import annotations

import numpy as np
import pytest

from evtlib.sim import schedule
from evtlib.sim import simulate
from evtlib.sim.workloads import (DEVICES, PRESETS, Burst, Explicit, Flood, FromGenerator,
                              Guests, Mix, Periodic, Poisson, PortSpec, Timer, Workload,
                              preset, with_priority)


def ev(w, ticks=100, seed=0):
    return list(w.events(ticks, np.random.default_rng(seed)))


def test_periodic_and_timer():
    assert ev(Periodic(5, every=30, phase=10)) == [(10, 5), (40, 5), (70, 5)]
    t = Timer(9, every=50, vcpu=1)
    assert ev(t) == [(0, 9), (50, 9)]
    assert t.port_class(9) == "timer" and t.port_class(8) is None
    assert t.specs() == {9: PortSpec(vcpu=1, timer=True)}
    assert "timer(port 9 every 50 vCPU 1)" == t.describe()


def test_flood_on_handle_reraises_when_handled():
    f = Flood(3, start=4)
    assert ev(f) == [(4, 3)]
    assert f.hooked_ports() == {3}
    assert list(f.on_deliver(3, 17)) == [(17, 3)]
    assert list(f.on_deliver(4, 17)) == []
    assert ev(Flood(3, start=200)) == []


def test_flood_at_a_rate_is_even_and_exact():
    assert ev(Flood(3, rate=0.25), ticks=10) == [(3, 3), (7, 3)]
    two = ev(Flood(3, rate=2), ticks=3)
    assert two == [(0, 3), (0, 3), (1, 3), (1, 3), (2, 3), (2, 3)]
    assert len(ev(Flood(3, rate=1 / 3), ticks=3000)) == 1000
    assert Flood(3, rate=0.5).hooked_ports() == frozenset()


def test_poisson_rate_and_range_without_listing_ports():
    big = Poisson(range(1, 262144), rate=2.0)
    e = ev(big, ticks=5000, seed=3)
    assert 9000 < len(e) < 11000
    assert all(1 <= p < 262144 for _, p in e)
    assert [t for t, _ in e] == sorted(t for t, _ in e)
    assert big.owns(262143) and not big.owns(262144)
    assert big.port_class(77) == "background"
    assert ev(big, ticks=5000, seed=3) == e
    listed = Poisson([4, 9, 100], rate=1.0, cls="bg")
    assert {p for _, p in ev(listed)} == {4, 9, 100}


def test_burst_all_or_sampled():
    assert ev(Burst([3, 1, 2], at=[5, 50])) == [(5, 3), (5, 1), (5, 2), (50, 3),
                                                (50, 1), (50, 2)]
    s = ev(Burst(range(10, 20), at=range(0, 100, 10), size=4), seed=1)
    assert len(s) == 40
    for t in range(0, 100, 10):
        ports = [p for tt, p in s if tt == t]
        assert len(set(ports)) == 4 and all(10 <= p < 20 for p in ports)
    assert ev(Burst([1], at=500)) == []


def test_guests_lay_out_device_ports_guest_by_guest():
    g = Guests(3, first_port=10)
    assert g.devices == DEVICES
    assert g.port(0, "xenstore") == 10 and g.port(2, "vbd") == 21
    assert g.last_port == 21
    assert [g.port_class(p) for p in range(10, 14)] == list(DEVICES)
    assert g.port_class(22) is None
    e = ev(Guests(100, rate=0.01), ticks=1000, seed=2)
    assert 3000 < len(e) < 5000
    assert all(1 <= p <= 400 for _, p in e)
    assert [t for t, _ in e] == sorted(t for t, _ in e)
    custom = Guests(2, per_guest=("vif", "ioreq"), rate={"vif": 0.5})
    assert custom.rates == (0.5, 0.002)


def test_explicit_keeps_order_and_parses():
    w = Explicit([(3, 7), (0, 5), (3, 2)])
    assert ev(w) == [(3, 7), (0, 5), (3, 2)]
    assert Explicit.parse("0:5, 3:70,").pairs == ((0, 5), (3, 70))
    assert "5@0" in Explicit.parse("0:5").describe()
    for bad in ("0-5", "", "a:1", "1:-2"):
        with pytest.raises(ValueError, match="TICK:PORT"):
            Explicit.parse(bad)


def test_from_generator_and_hooks():
    w = FromGenerator(lambda ticks, rng: [(1, 4)], on_deliver=lambda p, t: [(t, 5)],
                      classes={4: "x"}, name="mine")
    assert ev(w) == [(1, 4)]
    assert w.hooked_ports() is None
    assert list(w.on_deliver(4, 3)) == [(3, 5)]
    assert w.port_class(4) == "x" and w.describe() == "mine"


def test_mix_and_plus_compose():
    a, b = Explicit([(0, 1), (2, 1)], cls="a"), Explicit([(0, 2), (1, 2)], cls="b")
    m = a + b
    assert isinstance(m, Mix)
    # Same tick: the first component's events first; otherwise by tick.
    assert ev(m) == [(0, 1), (0, 2), (1, 2), (2, 1)]
    assert m.port_class(1) == "a" and m.port_class(2) == "b" and m.port_class(3) is None
    f = Flood(9)
    m3 = m + f
    assert len(m3.parts) == 3 and m3.hooked_ports() == {9}
    assert list(m3.on_deliver(9, 5)) == [(5, 9)]
    assert "explicit" in m3.describe() and "flood" in m3.describe()
    assert (Explicit([(0, 1)]) + FromGenerator(lambda t, r: [],
            on_deliver=lambda p, t: [])).hooked_ports() is None


def test_first_class_wins_and_specs_merge():
    m = Mix(Poisson([5, 6], rate=1.0), Timer(5, every=10))
    assert m.port_class(5) == "background"
    assert m.specs()[5].timer
    p = with_priority(Timer(5, every=10), {5: 2})
    assert p.specs()[5] == PortSpec(priority=2, vcpu=0, timer=True)
    with pytest.raises(ValueError, match="port 5 is given priority 2 .* and 3"):
        Mix(with_priority(Periodic(5, 1), {5: 2}), with_priority(Periodic(5, 1), {5: 3})).specs()


@pytest.mark.parametrize("make,exc,text", [
    (lambda: Periodic(0, 5), ValueError, "port 0 is out of range"),
    (lambda: Periodic(1.5, 5), TypeError, "port must be an integer"),
    (lambda: Periodic(3, 0), ValueError, "every 0 is out of range"),
    (lambda: Flood(3, rate=0), ValueError, "flood rate 0 is out of range"),
    (lambda: Flood(3, rate="often"), TypeError, "flood rate must be a number"),
    (lambda: Poisson([], rate=1), ValueError, "ports is empty"),
    (lambda: Poisson(range(0, 5), rate=1), ValueError, "port 0"),
    (lambda: Poisson([1], rate=float("inf")), ValueError, r"rate inf is out of range: valid rates are 1e-06\.\.1000"),
    (lambda: Burst([1, 2], at=3, size=3), ValueError, "at most 2"),
    (lambda: Burst([1, 2], at=-1), ValueError, "burst tick -1"),
    (lambda: Guests(0), ValueError, "number of guests 0"),
    (lambda: Guests(2, per_guest="vif"), ValueError, "per_guest"),
    (lambda: Guests(2, rate={"nic": 1.0}), ValueError, "nic"),
    (lambda: Explicit([(0, 1, 2)]), TypeError, r"\(tick, port\)"),
    (lambda: Explicit([(-1, 1)]), ValueError, "tick -1"),
    (lambda: FromGenerator(5), TypeError, "callable"),
    (lambda: Mix(), ValueError, "at least one"),
    (lambda: Mix(Explicit([(0, 1)]), "x"), TypeError, "Mix takes workloads"),
    (lambda: with_priority(Periodic(3, 1), {3: 16}), ValueError, "0..15"),
    (lambda: Periodic(3, 1, vcpu=-1), ValueError, "vcpu -1"),
    (lambda: preset("nope"), ValueError, "valid workloads are flood"),
    (lambda: Guests(2).port(2, "vif"), ValueError, "guest 2 is out of range"),
    (lambda: Guests(2).port(0, "nic"), ValueError, "unknown device"),
])
def test_bad_input_names_value_and_range(make, exc, text):
    with pytest.raises(exc, match=text):
        make()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_build_and_fit_the_smallest_scheme(name):
    p = PRESETS[name]
    w = preset(name)
    assert isinstance(w, Workload)
    sched = schedule(w, p.ticks, seed=0)
    assert sched and all(1 <= port < 1024 for _, port in sched)
    assert p.watch in {port for _, port in sched}
    assert p.question.endswith("?")
    assert schedule(preset(name), p.ticks, seed=0) == sched


def test_base_class_needs_events():
    with pytest.raises(NotImplementedError):
        Workload().events(10, np.random.default_rng(0))
    assert Workload().on_deliver(1, 1) == ()
    assert repr(Flood(3)) == "<Flood: flood(port 3 on-handle)>"


@pytest.mark.parametrize("rate", [1e-7, 0, -1, 1e300, float("nan"), float("inf")])
def test_rates_outside_the_range_are_refused_not_rounded(rate):
    """A rate below 1e-6 would round to 0 raises; a huge one would overflow numpy."""
    with pytest.raises(ValueError, match=r"valid rates are 1e-06\.\.1000"):
        Flood(5, rate=rate)
    with pytest.raises(ValueError, match=r"valid rates are 1e-06\.\.1000"):
        Poisson([5, 6], rate=rate)


def test_a_run_too_large_for_memory_is_refused_by_name():
    with pytest.raises(ValueError, match=r"poisson\(.*about 1e\+09 raises"):
        simulate("2l", Poisson(range(1, 100), 1000), ticks=10**6, seed=0)
