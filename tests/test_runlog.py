"""evtlib.views.runlog: run -c output a maintainer can paste (summarised, capped, costs once)."""

from __future__ import annotations

from evtlib.sim import simulate
from evtlib.sim.workloads import Explicit, Flood, preset
from evtlib.views.runlog import event_lines, long_upcalls, runlog_lines


def flood_trace():
    return simulate("2l", preset("flood"), ticks=200, seed=3, scan="from-zero")


def test_a_flood_becomes_one_line():
    """Port 3 is raised and delivered once per tick from tick 2 to 199: 198 pairs."""
    t = flood_trace()
    lines = list(event_lines(t))
    assert "ticks 2-199 v0: port 3 raised, delivered (x198, waited 0)" in lines
    assert len(lines) < 20 < len(t.events)
    # every event is accounted for, either on its own line or in a block
    every = list(event_lines(t, summarise=False))
    assert len(every) == len(t.events)


def test_short_patterns_are_left_alone():
    """Two repeats are not worth a summary line (MIN_REPEATS is 3)."""
    t = simulate("2l", Explicit([(0, 5), (1, 5)]), ticks=5, seed=0)
    assert not any(line.startswith("ticks") for line in event_lines(t))


def test_long_upcall_note_and_threshold():
    t = flood_trace()
    notes = long_upcalls(t, threshold=20)
    assert len(notes) == 1 and "ran 203 ticks" in notes[0] and "interrupts off" in notes[0]
    assert long_upcalls(t, threshold=203) == []


def test_runlog_is_short_fits_72_columns_and_prints_costs_once():
    t = simulate("2l", preset("mixed"), ticks=1000, seed=0)
    lines = "\n".join(runlog_lines(t, max_lines=60)).splitlines()
    events = [x for x in lines if x.startswith("  ...")]
    assert events and "--max-lines all" in events[0]
    assert len(lines) < 60 + 30
    assert all(len(x) <= 72 for x in lines)
    assert not any(x.startswith("Guest cost per delivery") for x in lines)
    full = list(runlog_lines(t, max_lines=None))
    assert len(full) > len(t.events)
    assert not any(x.startswith("ticks ") for x in full)


def test_cli_run_c_is_pasteable(capsys):
    from evtlib import cli
    assert cli.main(["run", "--scheme", "2l", "--scan", "from-zero", "--workload", "flood",
                     "-s", "3", "-c"]) in (0, None)
    out = capsys.readouterr().out
    assert "port 3 raised, delivered (x198" in out
    assert out.count("Guest cost per delivery") == 1
    assert "Upcall #1 on vCPU 0 ran 203 ticks" in out
    assert "once - (3/3 starved)" in out and "once 1.000" not in out
    assert len(out.splitlines()) < 60
