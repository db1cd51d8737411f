"""The command line cannot eat the machine, and exits tidily.

Each case of the issue runs the real CLI in a subprocess: a run too big for
its limits or its memory budget, Ctrl-C (with and without ``--partial``),
a closed pipe, ``--json ''``. Every one ends with one line on stderr, no
traceback, and exit status 2 (bad input), 130 (Ctrl-C) or 0 (the reader
left; the trace file was written first).
"""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evtlib import cli
from evtlib.sim.trace import Trace

ROOT = Path(__file__).resolve().parent.parent


def evtlib_cli(*argv, **kw):
    return subprocess.run([sys.executable, "-m", "evtlib", *argv], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, **kw)


def one_line(stderr: str) -> bool:
    return stderr.count("\n") == 1 and "Traceback" not in stderr and stderr.startswith("evtlib")


@pytest.mark.parametrize("preset", ["mixed", "timer", "design-review", "guests"])
def test_a_huge_run_is_refused_before_it_starts(preset):
    """The issue: --ticks 100000000000 was OOM-killed, or a MemoryError or
    numpy traceback."""
    p = evtlib_cli("run", "--workload", preset, "--ticks", "100000000000", "-c")
    assert p.returncode == 2 and one_line(p.stderr) and p.stdout == ""
    assert "--ticks" in p.stderr


@pytest.mark.parametrize("argv, names", [
    (["--workload", "mixed", "--ticks", "3000000", "--max-memory", "256M"],
     ["memory", "budget of 256 MiB", "--max-memory"]),
    (["--workload", "guests", "--ticks", "300000000", "--max-memory", "1000T"],
     ["raises", "--ticks"]),
    (["--workload", "flood", "--ticks", "20000000", "--vcpus", "4096"],
     ["vCPU-ticks", "--ticks", "--vcpus"]),
    (["--handler-time", "100000000000000000000", "-c"], ["--handler-time", "2**53"]),
    (["--json", "", "-c"], ["--json", "not a file path"]),
    (["--partial", "-c"], ["--partial needs --json"]),
    (["--max-memory", "lots"], ["--max-memory", "not a size"]),
    (["--max-memory", "12K"], ["--max-memory", "out of range"]),
    (["--handler-time", "1e20"], ["--handler-time", "not an integer"]),
])
def test_limits_and_bad_values_are_one_line_naming_the_option(argv, names):
    p = evtlib_cli("run", *argv)
    assert p.returncode == 2 and one_line(p.stderr) and p.stdout == ""
    for name in names:
        assert name in p.stderr


def test_a_closed_pipe_still_writes_the_json_first(tmp_path):
    """The issue: with ``| head`` the --json trace was never written."""
    path = tmp_path / "t.json"
    proc = subprocess.Popen([sys.executable, "-m", "evtlib", "run", "--workload", "mixed",
                             "--ticks", "3000", "-c", "--json", str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()                 # the reader leaves after one line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert first.startswith(b"ARG scheme") and err == ""
    back = Trace.from_json(path)
    assert back.config.ticks == 3000 and back.summary.stopped is None


def _interrupt(tmp_path, *extra):
    """Start a long run with stderr on a terminal, press Ctrl-C once the bar
    shows; return (status, stderr, json path)."""
    path = tmp_path / "t.json"
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "evtlib", "run", "--workload", "mixed",
                             "--ticks", "3000000", "-c", "--json", str(path), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=slave,
                            env={**os.environ, "COLUMNS": "80"})
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    while b"simulating" not in seen and time.monotonic() < deadline:
        if select.select([master], [], [], 1)[0]:
            seen += os.read(master, 4096)
    assert b"simulating" in seen, "the progress bar never showed"
    proc.send_signal(signal.SIGINT)
    out = proc.stdout.read()
    status = proc.wait(timeout=60)
    while select.select([master], [], [], 0.5)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return status, out, seen.decode(errors="replace"), path


def test_ctrl_c_is_one_line_and_status_130(tmp_path):
    status, out, err, path = _interrupt(tmp_path)
    assert status == 130 and out == b""
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    # The bar was erased: after its last redraw comes a blank line, then ours.
    assert err.rstrip().endswith("evtlib: interrupted")
    tail = err[err.rindex("simulating"):]
    assert "\r" in tail and tail.splitlines()[-1].strip() == "evtlib: interrupted"
    assert not path.exists(), "without --partial no trace is written"
    assert not list(tmp_path.glob(".*.tmp"))


def test_ctrl_c_with_partial_writes_the_trace_so_far(tmp_path):
    status, out, err, path = _interrupt(tmp_path, "--partial")
    assert status == 130 and out == b""
    assert "Traceback" not in err
    assert err.rstrip().endswith(f"evtlib: interrupted: the trace so far is in {path}")
    t = Trace.from_json(path)          # complete, consistent, validated
    assert t.summary.stopped.startswith("interrupted (Ctrl-C) at tick")
    assert 0 < t.summary.raises and t.config.ticks == 3000000


class _Boom(io.StringIO):
    def __init__(self, exc):
        super().__init__()
        self.exc = exc

    def write(self, text):
        raise self.exc


def test_ctrl_c_while_printing_and_out_of_memory_are_one_line(monkeypatch):
    err = io.StringIO()
    assert cli.main(["run", "--workload", "flood", "-c"], out=_Boom(KeyboardInterrupt()),
                    err=err) == 130
    assert err.getvalue() == "evtlib: interrupted\n"

    def no_memory(*a, **k):
        raise MemoryError
    monkeypatch.setattr(cli, "simulate", no_memory)
    err = io.StringIO()
    assert cli.main(["run", "--workload", "flood", "-c"], out=io.StringIO(), err=err) == 2
    assert err.getvalue().count("\n") == 1 and "out of memory" in err.getvalue()
    assert "--max-memory" in err.getvalue()


def test_a_run_within_its_limits_still_runs(tmp_path):
    path = tmp_path / "ok.json"
    p = evtlib_cli("run", "--workload", "guests", "--ticks", "5000", "--max-memory", "512M",
                   "-c", "--max-lines", "3", "--json", str(path))
    assert p.returncode == 0 and p.stderr == ""
    assert Trace.from_json(path).config.ticks == 5000
