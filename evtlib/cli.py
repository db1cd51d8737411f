"""``python -m evtlib``: limits, capacity, and OSTEP-style simulation problems.

    python -m evtlib limits
    python -m evtlib capacity --word-bits 32 --per-guest 4 --reserved 100
    python -m evtlib run --scheme 2l --scan from-zero --workload flood -s 3
    python -m evtlib run --scheme 2l --scan from-zero --workload flood -s 3 -c

Without ``-c``, ``run`` prints the problem: the options, the scheme, the
workload and its raises, and a question. With ``-c`` it prints the answer:
the trace and its metrics. The same seed always gives the same problem.

Every error (a bad option, a value the library rejects such as a port
out of range, or a run too big for its limits or its memory budget) is one
line on stderr and exit status 2; Ctrl-C is one line and exit status 130.
A run is checked before it starts (raises, ticks x vCPUs, handler time x
deliveries, estimated memory against ``--max-memory``); its ``--json`` file
is written before anything is printed, so a closed pipe (``| head``) loses
nothing, and it is never left half-written.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
from typing import Sequence

from .abi.limits import limits_text
from .abi.schemes import SCHEMES, make_scheme
from .cli_races import add_parser as _add_races, cmd_races
from .sim import DEFAULT_HORIZON, schedule, simulate
from .sim.budget import DEFAULT_MAX_MEMORY, check_run, run_size, size_text
from .sim.metrics import report
from .sim.workloads import PRESETS, Explicit
from .studies.capacity import capacity_table, george_text
from .views.runlog import LONG_UPCALL, MAX_LINES, runlog_lines
from .views.progress import progress_bar, ticks_hook

PROG = "evtlib"
#: Runs at least this long show a progress bar (on a terminal only), once
#: they have taken PROGRESS_DELAY seconds.
PROGRESS_TICKS = 20_000
PROGRESS_DELAY = 1.0
#: The options named by a run's size limits.
OPTIONS = {"ticks": "--ticks", "vcpus": "--vcpus", "handler_time": "--handler-time",
           "max_memory": "--max-memory"}


class UsageError(Exception):
    """A bad command line: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage dump) and exit status 2."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: error: {message} (see --help)")


def _at_least(lo: int):
    """An argparse type: an integer >= ``lo``, or a one-line error naming it."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"{value} is out of range: it must be >= {lo}")
        return value
    parse.__name__ = f"integer >= {lo}"
    return parse


_positive = _at_least(1)
_natural = _at_least(0)


def _lines(text: str):
    """``--max-lines``: a count >= 0, or ``all`` (None: no cap, nothing summarised)."""
    return None if text == "all" else _natural(text)


def _memory(text: str) -> int:
    """An argparse type: a size in bytes, with an optional unit (K, M, G, T,
    powers of 1024; ``KiB`` and ``KB`` read the same), e.g. ``512M``, ``4GiB``."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text, re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: write e.g. 512M, 2G or 4GiB")
    value = float(m.group(1)) * 1024 ** " KMGT".index(m.group(2).upper() or " ")
    if not 2**20 <= value <= 2**50:
        raise argparse.ArgumentTypeError(f"{text} is out of range: valid sizes are "
                                         f"1M..1024T")
    return int(value)


def _path(text: str) -> str:
    """An argparse type: a file path, not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file path")
    return text


def build_parser() -> Parser:
    p = Parser(prog=PROG, description=(
        "Executable models of Xen event channels (2-level, 3-level, FIFO): "
        "port limits, dom0 capacity, and simulations of the March 2013 "
        "xen-devel discussion."))
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    sub.add_parser("limits", help="print each scheme's port limit and memory",
                   description="Print each scheme's port limit and guest "
                   "memory at the maximum, for 32- and 64-bit guests.")

    cap = sub.add_parser("capacity", help="how many guests a dom0 can host",
                         description="How many guests a dom0 can host under "
                         "each scheme, with the arithmetic shown.")
    cap.add_argument("--word-bits", type=int, choices=(32, 64), default=32,
                     help="dom0's guest word size in bits (default 32)")
    cap.add_argument("--per-guest", type=_positive, default=4, metavar="N",
                     help="dom0 ports each guest needs (default 4: xenstore, "
                     "console, vif, vbd)")
    cap.add_argument("--reserved", type=_natural, default=0, metavar="N",
                     help="ports dom0 keeps for itself: timers, IPIs, PIRQs, "
                     "global VIRQs (default 0)")

    sub.add_parser("workloads", help="list the named workloads",
                   description="List the named workloads that run --workload takes.")

    _add_run(sub)
    _add_races(sub)
    return p


def _add_run(sub) -> None:
    """The ``run`` subcommand: one simulation, the problem or (-c) its answer."""
    run = sub.add_parser("run", help="simulate a workload on a scheme",
                         description="Print a simulation problem (without -c) "
                         "or its answer (with -c): the trace and the metrics.")
    run.add_argument("--scheme", choices=tuple(SCHEMES), default="2l",
                     help="event channel ABI (default 2l)")
    run.add_argument("--scan", choices=("from-zero", "resume"), default=None,
                     help="2l/3l guest scan policy (default resume)")
    run.add_argument("--timer-first", action="store_true",
                     help="2l/3l: deliver the timer VIRQ before each scan pass")
    run.add_argument("--word-bits", type=int, choices=(32, 64), default=None,
                     help="guest word size in bits (default 64); FIFO's limits "
                     "are the same for both")
    run.add_argument("--vcpus", type=_positive, default=1, metavar="N",
                     help="number of vCPUs (default 1)")
    what = run.add_mutually_exclusive_group()
    what.add_argument("--workload", choices=tuple(PRESETS), default=None,
                      help="named workload (default flood; see 'workloads')")
    what.add_argument("-l", "--list", dest="events", metavar="T:P,...",
                      help="explicit raises instead of --workload, e.g. "
                      "'0:5,0:70,3:5' (tick:port)")
    run.add_argument("-s", "--seed", type=_natural, default=0,
                     help="random seed (default 0)")
    run.add_argument("-c", "--compute", action="store_true",
                     help="print the answer: the trace and the metrics")
    run.add_argument("--ticks", type=_positive, default=None, metavar="N",
                     help="length of the run (default: the workload's)")
    run.add_argument("--handler-time", type=_natural, default=1, metavar="N",
                     help="ticks each handler takes (default 1)")
    run.add_argument("--horizon", type=_natural, default=DEFAULT_HORIZON, metavar="N",
                     help=f"a wait longer than this is starvation (default "
                     f"{DEFAULT_HORIZON})")
    run.add_argument("--max-lines", type=_lines, default=MAX_LINES, metavar="N|all",
                     help=f"with -c, print at most N lines of events, repeated "
                     f"patterns summarised (default {MAX_LINES}); 'all' lists every "
                     f"event on its own line")
    run.add_argument("--long-upcall", type=_natural, default=LONG_UPCALL, metavar="N",
                     help=f"with -c, note every upcall that ran more than N ticks "
                     f"(default {LONG_UPCALL})")
    run.add_argument("--json", metavar="PATH", type=_path,
                     help="also write the trace as JSON to PATH (with or "
                     "without -c); it is written before anything is printed")
    run.add_argument("--partial", action="store_true",
                     help="with --json: if the run is interrupted (Ctrl-C), "
                     "write the trace so far")
    run.add_argument("--max-memory", type=_memory, default=DEFAULT_MAX_MEMORY,
                     metavar="SIZE", help=f"refuse a run whose estimated peak memory "
                     f"is larger (default {size_text(DEFAULT_MAX_MEMORY)}; e.g. 512M, 8G)")


# ------------------------------------------------------------- commands
def cmd_limits(args, out) -> None:
    print(limits_text(), file=out)


def cmd_capacity(args, out) -> None:
    print(capacity_table(args.word_bits, args.per_guest, args.reserved), file=out)
    if args.word_bits == 32:
        print(file=out)
        print(george_text(), file=out)


def cmd_workloads(args, out) -> None:
    for p in PRESETS.values():
        print(textwrap.fill(f"{p.name:<14}{p.about} ({p.ticks} ticks)", width=72,
                            subsequent_indent=" " * 14), file=out)


def _scheme_options(args) -> dict:
    if args.scheme == "fifo":
        # FIFO's event word is 32 bits for every guest: --word-bits is
        # accepted (and echoed) but changes nothing; a scan policy is an error.
        given = [name for name, value in (("--scan", args.scan),
                                          ("--timer-first", args.timer_first or None))
                 if value is not None]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            raise UsageError(f"{PROG} run: error: {', '.join(given)} {verb} to 2l "
                             f"and 3l only, not fifo (see --help)")
        return {"vcpus": args.vcpus, "word_bits": args.word_bits}
    return {"vcpus": args.vcpus, "scan": args.scan or "resume",
            "word_bits": args.word_bits or 64, "timer_first": args.timer_first}


def _workload(args):
    """(workload, ticks, watched port, question) from the options."""
    if args.events is not None:
        w = Explicit.parse(args.events)
        last = max(t for t, _ in w.pairs)
        watch = max(p for _, p in w.pairs)
        ticks = args.ticks or last + 50
        return w, ticks, watch, (f"In what order are the ports delivered? "
                                 f"What is the worst wait of port {watch}?")
    p = PRESETS[args.workload or "flood"]
    return p.make(), args.ticks or p.ticks, p.watch, p.question


def _echo(args) -> list[tuple[str, str]]:
    opts = [("scheme", args.scheme)]
    if args.scheme == "fifo" and args.word_bits:
        opts.append(("word-bits", f"{args.word_bits} (same limits for FIFO)"))
    if args.scheme != "fifo":
        opts += [("scan", args.scan or "resume"), ("word-bits", str(args.word_bits or 64)),
                 ("timer-first", str(args.timer_first))]
    opts += [("vcpus", str(args.vcpus)), ("seed", str(args.seed))]
    opts.append(("list", args.events) if args.events is not None
                else ("workload", args.workload or "flood"))
    opts.append(("horizon", str(args.horizon)))
    if args.json:
        opts.append(("json", args.json))
    return opts


def cmd_run(args, out, err) -> None:
    """Without -c: the problem. With -c: the trace and the metrics.

    --json saves the trace either way (without -c the answer goes only to
    the file, so a problem can be shared with its solution alongside). The
    run's size is checked first, and the file is written before anything
    is printed.
    """
    options = _scheme_options(args)
    workload, ticks, watch, question = _workload(args)
    if args.partial and not args.json:
        raise UsageError(f"{PROG} run: error: --partial needs --json (see --help)")
    check_run(run_size(workload, ticks=ticks, handler_time=args.handler_time,
                       vcpus=args.vcpus), max_memory=args.max_memory, names=OPTIONS)
    if args.json:
        # Fail on an unwritable path now, not after the whole simulation.
        parent = os.path.dirname(os.path.abspath(args.json))
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
            raise ValueError(f"cannot write the trace to {args.json}: "
                             f"{parent} is not a writable directory")
    s = make_scheme(args.scheme, **options)
    trace = None
    if args.compute or args.json:
        trace = _simulate(args, s, workload, ticks, err)
        if args.json:
            trace.to_json(args.json)
            args.written = True
        if trace.summary.stopped and trace.summary.stopped.startswith("interrupted"):
            raise KeyboardInterrupt
    if not args.compute:
        print_problem(args, s, workload, ticks, watch, question, out)
    else:
        for line in runlog_lines(trace, args.max_lines, args.long_upcall):
            print(line, file=out)
        print(file=out)
        print(report(trace), file=out)
    if args.json:
        print(f"\nTrace written to {args.json}", file=out)


def _simulate(args, s, workload, ticks: int, err):
    """The simulation, with a tqdm bar on stderr if it is a terminal and the
    run is long; the bar is erased when the run ends, however it ends."""
    run = dict(ticks=ticks, seed=args.seed, handler_time=args.handler_time,
               horizon=args.horizon, partial=args.partial,
               options=[("list", args.events) if args.events is not None
                        else ("preset", args.workload or "flood")])
    if ticks < PROGRESS_TICKS or not err.isatty():
        return simulate(s, workload, **run)
    with progress_bar(ticks, "simulating", unit="tick", file=err, auto=False,
                      delay=PROGRESS_DELAY) as bar:
        return simulate(s, workload, progress=ticks_hook(bar), **run)


def print_problem(args, s, workload, ticks, watch, question, out) -> None:
    """The problem: options echoed, scheme, workload, its raises, a question."""
    sched = schedule(workload, ticks, args.seed, s)
    lines = [f"ARG {k} {v}" for k, v in _echo(args)]
    lines += [f"ARG ticks {ticks}", f"ARG handler-time {args.handler_time}", "",
              f"Scheme: {s.describe()}",
              f"Workload: {workload.describe()}",
              f"Each delivery's handler takes {args.handler_time} tick(s); raises "
              f"keep arriving meanwhile."]
    specs = workload.specs()
    timers = [p for p, sp in sorted(specs.items()) if sp.timer]
    if timers:
        lines.append("Timer VIRQ port(s): " + ", ".join(map(str, timers)))
    hooked = workload.hooked_ports()
    if hooked:
        lines.append("Re-raised as soon as handled: port(s) "
                     + ", ".join(map(str, sorted(hooked))))
    lines.append("")
    lines.append(f"Scheduled raises ({len(sched)}), as tick:port:")
    shown = sched[:60]
    lines.append("  " + " ".join(f"{t}:{p}" for t, p in shown)
                 + (f" ... ({len(sched) - len(shown)} more)" if len(sched) > 60 else ""))
    lines += ["", f"Question: {question}",
              "Work it out, then add -c to see the trace and the metrics."]
    print("\n".join(_wrap(line) for line in lines), file=out)


def _wrap(line: str) -> str:
    if len(line) <= 72:
        return line
    indent = "  " if line.startswith("  ") else "    "
    return textwrap.fill(line, width=72, subsequent_indent=indent,
                         break_on_hyphens=False)


# ----------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None, out=None, err=None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input, 130 Ctrl-C)."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "limits":
            cmd_limits(args, out)
        elif args.command == "capacity":
            cmd_capacity(args, out)
        elif args.command == "workloads":
            cmd_workloads(args, out)
        elif args.command == "races":
            cmd_races(args, out)
        else:
            cmd_run(args, out, err)
    except UsageError as e:
        print(_one_line(str(e)), file=err)
        return 2
    except KeyboardInterrupt:
        saved = (f": the trace so far is in {args.json}"
                 if getattr(args, "partial", False) and getattr(args, "written", False)
                 else "")
        print(f"{PROG}: interrupted{saved}", file=err)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as Unix tools do
        # (the --json file was written before any output). Point stdout at
        # /dev/null so that the interpreter's final flush is silent.
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 0
    except MemoryError:
        print(f"{PROG}: error: out of memory; lower --ticks or --vcpus, or set "
              f"--max-memory below what this machine has", file=err)
        return 2
    except (ValueError, OSError, ArithmeticError) as e:
        print(_one_line(f"{PROG}: error: {e}"), file=err)
        return 2
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())
