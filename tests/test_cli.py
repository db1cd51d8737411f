"""The command line: limits, capacity, run (problem and answer), errors."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from evtlib import cli
from evtlib.sim.trace import Trace

ROOT = Path(__file__).resolve().parent.parent


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*argv, err=None):
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def narrow(text: str) -> bool:
    return all(len(line) <= 72 for line in text.splitlines())


def test_limits_table():
    code, out, err = run("limits")
    assert code == 0 and not err
    assert "131,072" in out and "262,144" in out and "1,024" in out
    assert narrow(out)


def test_capacity_shows_the_arithmetic():
    code, out, _ = run("capacity", "--word-bits", "32", "--per-guest", "4",
                       "--reserved", "100")
    assert code == 0
    assert "(1024 - 1 - 100) // 4 = 923 // 4 = 230 guests" in out
    assert "1024 // 4 = 256 guests" in out
    assert "723 // 4 = 180" in out          # George's ~180, reconstructed
    assert narrow(out)
    code, out, _ = run("capacity", "--word-bits", "64")
    assert "4096 // 4 = 1024 guests" in out and "George" not in out


def test_run_without_c_prints_the_problem():
    code, out, _ = run("run", "--scheme", "2l", "--scan", "from-zero",
                       "--workload", "flood", "-s", "3")
    assert code == 0 and narrow(out)
    for part in ("ARG scheme 2l", "ARG scan from-zero", "ARG seed 3",
                 "ARG workload flood", "Scheme: 2-level W=64, scan=from-zero",
                 "Workload: flood(port 3 on-handle)", "0:3 1:5 1:40 2:70",
                 "Question: In what order", "worst wait", "-c"):
        assert part in out
    assert "waited" not in out              # no answer without -c


def test_run_with_c_prints_the_answer(tmp_path):
    path = tmp_path / "t.json"
    code, out, err = run("run", "--scheme", "2l", "--scan", "from-zero",
                         "--workload", "flood", "-s", "3", "-c", "--json", str(path))
    assert code == 0 and not err
    assert out.endswith(f"Trace written to {path}\n")
    assert narrow(out[: out.rindex("Trace written")])
    assert "ARG policy from-zero" in out and "deliver" in out
    assert "Starved (waited > 100 ticks): 5 40 70" in out
    assert "Summary:" in out and "Jain" in out
    back = Trace.from_json(path)
    assert back.config.seed == 3 and back.config.scan == "from-zero"
    # Same seed, same answer.
    assert run("run", "--scheme", "2l", "--scan", "from-zero", "--workload",
               "flood", "-s", "3", "-c", "--json", str(path))[1] == out


@pytest.mark.parametrize("argv", [
    ("run", "--scheme", "fifo", "--workload", "timer", "-c", "--max-lines", "10"),
    ("run", "--scheme", "fifo", "--word-bits", "32", "--workload", "timer"),
    ("run", "--scheme", "3l", "--word-bits", "32", "--timer-first", "--workload",
     "mixed", "-c", "--ticks", "300", "--max-lines", "20", "--vcpus", "2"),
    ("run", "-l", "0:5,0:70,3:5", "--handler-time", "2", "-c"),
    ("run", "--workload", "guests", "-s", "1"),
    ("run", "--workload", "design-review", "--ticks", "500", "-c", "--max-lines", "0",
     "--horizon", "20"),
    ("workloads",),
])
def test_other_runs_work_and_fit(argv):
    code, out, err = run(*argv)
    assert code == 0, err
    assert narrow(out)


@pytest.mark.parametrize("argv,text", [
    (("run", "--scheme", "4l"), "invalid choice: '4l'"),
    (("run", "--ticks", "0"), "--ticks: 0 is out of range"),
    (("run", "--ticks", "ten"), "'ten' is not an integer"),
    (("run", "-s", "-1"), "-1 is out of range"),
    (("run", "--scheme", "fifo", "--scan", "resume"), "--scan applies to 2l and 3l"),
    (("run", "--scheme", "fifo", "--scan", "resume", "--timer-first"),
     "--scan, --timer-first apply"),
    (("run", "-l", "0:5000", "--word-bits", "32"), "port 5000 at tick 0: valid ports"),
    (("run", "-l", "0:0", "-c"), "port 0 is out of range"),
    (("run", "-l", "five"), "bad event 'five'"),
    (("run", "--workload", "timer", "--handler-time", "0", "-c"), "handler time must be >= 1"),
    (("capacity", "--reserved", "5000"), "reserved 5000 is out of range"),
    (("capacity", "--per-guest", "0"), "--per-guest: 0 is out of range"),
    (("capacity", "--word-bits", "16"), "invalid choice: 16"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
    ((), "the following arguments are required: COMMAND"),
    (("run", "--json"), "expected one argument"),
])
def test_bad_input_is_one_line_and_status_2(argv, text):
    code, out, err = run(*argv)
    assert code == 2
    assert not out
    assert err.count("\n") == 1 and err.startswith("evtlib")
    assert text in err


def test_json_without_c_keeps_the_answer_in_the_file(tmp_path):
    path = tmp_path / "p.json"
    code, out, _ = run("run", "--workload", "flood", "-s", "2", "--json", str(path))
    assert code == 0 and "Question:" in out and "waited" not in out
    assert Trace.from_json(path).summary.deliveries > 0


def test_unwritable_json_path_is_one_line(tmp_path):
    code, _, err = run("run", "-c", "--json", str(tmp_path / "no" / "dir" / "t.json"))
    assert code == 2 and err.count("\n") == 1


def test_help_documents_every_option(capsys):
    for argv, options in [
        (["--help"], ["limits", "capacity", "run", "workloads"]),
        (["run", "--help"], ["--scheme", "--scan", "--timer-first", "--word-bits",
                             "--vcpus", "--workload", "--list", "--seed", "--compute",
                             "--ticks", "--handler-time", "--horizon", "--max-lines",
                             "--json"]),
        (["capacity", "--help"], ["--word-bits", "--per-guest", "--reserved"]),
    ]:
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == 0
        out = capsys.readouterr().out
        for opt in options:
            assert opt in out


def test_progress_bar_only_on_a_terminal(monkeypatch):
    """A tqdm bar on stderr when it is a terminal and the run is long; erased
    at the end (the last thing written blanks the line)."""
    monkeypatch.setattr(cli, "PROGRESS_TICKS", 100)
    monkeypatch.setattr(cli, "PROGRESS_DELAY", 0)
    args = ("run", "--workload", "flood", "--ticks", "300", "-c", "--max-lines", "0")
    code, _, err = run(*args, err=TTY())
    assert code == 0 and "simulating:" in err and "/300" in err and "tick" in err
    assert err.endswith("\r") and err.rsplit("\r", 2)[1].strip() == ""
    code, _, err = run(*args)
    assert code == 0 and err == ""
    monkeypatch.setattr(cli, "PROGRESS_TICKS", 1000)        # a short run: no bar
    code, _, err = run(*args, err=TTY())
    assert code == 0 and err == ""


def test_python_dash_m():
    proc = subprocess.run([sys.executable, "-m", "evtlib", "run", "--ticks", "0"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stdout == ""
    proc = subprocess.run([sys.executable, "-m", "evtlib", "limits"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and "FIFO" in proc.stdout


def test_a_closed_pipe_ends_quietly():
    """``python -m evtlib run ... -c | head``: the reader leaves; exit 0, no error."""
    class Closed(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    assert cli.main(["limits"], out=Closed(), err=err) == 0
    assert err.getvalue() == ""


def test_list_and_workload_together_is_a_usage_error():
    code, _, err = run("run", "-l", "0:5", "--workload", "timer")
    assert code == 2 and "not allowed with" in err and len(err.strip().splitlines()) == 1


def test_an_unwritable_json_path_fails_before_the_run(tmp_path):
    code, out, err = run("run", "--json", str(tmp_path / "no" / "such" / "t.json"))
    assert code == 2 and "not a writable directory" in err and out == ""
