"""``python -m evtlib races``: the table, a problem, its answer, and bad input.

In-process through :func:`evtlib.cli.main` (fast, the explorer's cache is
shared), and as a subprocess for what a user types: the exit status, stdout
and the one-line error on stderr.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from evtlib import cli, races

ROOT = Path(__file__).resolve().parent.parent


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["races", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def sub(*argv):
    p = subprocess.run([sys.executable, "-m", "evtlib", "races", *argv], cwd=ROOT,
                       capture_output=True, text=True, timeout=120, check=False)
    return p.returncode, p.stdout, p.stderr


def narrow(text: str) -> bool:
    return all(len(line) <= 72 for line in text.splitlines())


def test_table_has_every_scenario_and_code_in_72_columns():
    code, out, err = run()
    assert code == 0 and not err and narrow(out)
    assert out.splitlines()[0].split() == ["scenario", "code", "states", "verdict"]
    # one row start per (scenario, code) pair; a long verdict wraps under itself
    starts = [line.split()[:2] for line in out.splitlines()[2:] if not line.startswith(" ")]
    assert starts == [[n, c] for n in races.scenarios() for c in races.codes(n)]
    assert "old-tail-concurrent no-e33d4257fc            133  lost-event," in out
    assert "missing-page        no-917c123029              5  lost-event (4 steps)" in out
    assert "2l-raise-vs-upcall  fixed                  2,723  no violation" in out


def test_problem_hides_the_answer():
    code, out, err = run("old-tail-concurrent", "--code", "no-e33d4257fc")
    assert code == 0 and not err and narrow(out)
    assert out.startswith("ARG scenario old-tail-concurrent\nARG code no-e33d4257fc\n")
    for part in ("Actors: xen-1 raises port 1", "Initial state:", "Question:",
                 "Code no-e33d4257fc (e33d4257fc^ (Dec 2013))", "add -c"):
        assert part in out
    # the note tells the verdict: it belongs to the answer only
    assert "Note:" not in out and "VIOLATED" not in out


def test_default_code_is_fixed():
    _, out, _ = run("missing-page")
    assert "ARG code fixed" in out and "Code fixed (c447b7308b)" in out


def test_answer_is_the_verdict_lanes_and_note():
    code, out, err = run("old-tail-concurrent", "--code", "no-e33d4257fc", "-c")
    assert code == 0 and not err and narrow(out)
    lines = out.splitlines()
    assert lines[0] == "old-tail-concurrent, code no-e33d4257fc: VIOLATED: lost-event,"
    assert "Shortest counterexample (lost-event): 18 steps." in out
    head = next(i for i, line in enumerate(lines) if line.lstrip().startswith("xen-1"))
    assert lines[head].split("|")[1].strip() == "xen-2"
    assert lines[head + 2].startswith("  1 raise 1")
    assert " 17 cas w2>1 ok" in out
    assert out.rstrip().splitlines()[-1].endswith("time).")      # the note, last
    assert "Note: without e33d4257fc" in out


def test_answer_fixed_and_states():
    code, out, _ = run("missing-page", "-c")
    assert code == 0
    assert out.splitlines()[0] == "missing-page, code fixed: no violation"
    code, out, _ = run("missing-page", "--code", "no-917c123029", "-c", "--states")
    assert code == 0 and narrow(out)
    assert "now: 1:---- 2:????" in out        # the state after each step


def test_bad_values_are_one_line_exit_2():
    code, out, err = run("no-such-race")
    assert code == 2 and not out
    assert err.count("\n") == 1
    assert "unknown scenario 'no-such-race'; valid values: ready-race, link-spin" in err
    code, _, err = run("ready-race", "--code", "no-dae2a1c5f9")
    assert code == 2 and err.count("\n") == 1
    assert ("unknown code 'no-dae2a1c5f9' for scenario 'ready-race'; valid values: "
            "fixed, xen-4.4.0, original, no-70ccddb14a, no-e33d4257fc") in err
    code, _, err = run("-c")
    assert code == 2 and "-c needs a SCENARIO; valid scenarios: ready-race" in err
    code, _, err = run("--code", "fixed", "--states")
    assert code == 2 and "--code and --states need a SCENARIO" in err


def test_subprocess_problem_answer_and_errors():
    code, out, err = sub("missing-page", "--code", "no-917c123029")
    assert code == 0 and not err and "Question: is the event kept" in out
    code, out, err = sub("missing-page", "--code", "no-917c123029", "-c")
    assert code == 0 and not err and narrow(out)
    assert "VIOLATED: lost-event" in out and "  1 raise 2: LOST" in out
    code, out, err = sub("missing-page", "--code", "nope")
    assert code == 2 and not out
    assert err.startswith("evtlib: error: unknown code 'nope' for scenario 'missing-page'")
    assert err.count("\n") == 1
    code, _, err = sub("--bogus")
    assert code == 2 and err.count("\n") == 1 and "unrecognized arguments" in err


def test_help_lists_the_scenarios():
    code, out, _ = sub("--help")
    assert code == 0
    assert "SCENARIO" in out and "old-tail-" in out and "--code CODE" in out
