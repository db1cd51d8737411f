"""The storm study (studies/storm.py) and its views; numbers checked as claims
that hold by construction, the orders worked out in the docstrings."""

from __future__ import annotations

import pytest

from evtlib.studies.storm import MODES, hostile_ports, run_storm
from evtlib.views.storm import plot_storm, storm_bars, storm_text

TICKS = 600


@pytest.fixture(scope="module")
def one():
    return run_storm(1, schemes=("2l from-zero", "fifo"), ticks=TICKS)


def test_lateeoi_bounds_the_backends_deliveries(one):
    """Late EOI: one delivery per EOI, i.e. at most one per handler + work
    (1 + 8 = 9) ticks: <= 600 / 9 + 1. Edge: one per raise it can take,
    several times more."""
    for scheme in ("2l from-zero", "fifo"):
        late, edge = one.row(f"{scheme} / lateeoi"), one.row(f"{scheme} / edge")
        assert late.backend_deliveries <= TICKS // 9 + 1
        assert edge.backend_deliveries > 5 * late.backend_deliveries


def test_edge_storm_never_leaves_the_upcall(one):
    """Edge handling at 1 raise/tick with 1-tick handlers: the upcall runs
    the whole run; late EOI ends it after a few ticks."""
    assert one.row("fifo / edge").longest_upcall >= TICKS
    assert one.row("fifo / edge").upcalls == 1
    assert one.row("fifo / lateeoi").longest_upcall <= 10


def test_from_zero_starves_the_others_only_without_lateeoi(one):
    """The hostile port (2) is below every guest port: scan-from-zero
    serves it first every time, so the guests wait the whole run; with late
    EOI it is masked between EOIs and they are served."""
    assert one.row("2l from-zero / edge").others_worst >= TICKS - 10
    assert one.row("2l from-zero / lateeoi").others_worst < 20


def test_loop_control_defers_only_with_many_frontends():
    s = run_storm(1, frontends=64, ticks=TICKS, modes=MODES)
    assert s.row("fifo / lateeoi+ctrl").deferring_upcalls >= 1
    assert s.row("fifo / lateeoi").deferring_upcalls == 0
    assert (s.row("fifo / lateeoi+ctrl").longest_upcall
            < s.row("fifo / lateeoi").longest_upcall)


def test_same_seed_same_rows():
    assert run_storm(3, ticks=200).rows == run_storm(3, ticks=200).rows


def test_views(one):
    text = storm_text(one)
    assert max(len(line) for line in text.splitlines()) <= 72
    bars = storm_bars(one)
    assert bars.groups == tuple(r.label.replace(" / ", "\n") for r in one.rows)
    assert bars.values("others' worst") == tuple(r.others_worst for r in one.rows)
    fig, data = plot_storm(one)
    assert data == bars


def test_bad_input():
    with pytest.raises(ValueError, match="scheme"):
        run_storm(1, schemes=("3l",))
    with pytest.raises(ValueError, match="mode"):
        run_storm(1, modes=("polling",))
    with pytest.raises(ValueError, match="frontends"):
        run_storm(1, frontends=0)
    assert hostile_ports(3) == (2, 200, 201)
