"""``python -m evtlib races``: the race explorer on the command line.

    python -m evtlib races                                  # the table
    python -m evtlib races old-tail-concurrent --code no-e33d4257fc
    python -m evtlib races old-tail-concurrent --code no-e33d4257fc -c

Without a scenario: every scenario under every code that applies to it,
with its number of states and its verdict (72 columns). With a scenario:
the problem (the actors, the initial state, the question, the code);
with ``-c``, the answer: the verdict, the shortest counterexample as
swim-lane text a maintainer can paste into a reply, and the scenario's
note where the model and a commit message part ways.

Kept apart from :mod:`evtlib.cli`, which only registers the subcommand
(:func:`add_parser`) and dispatches to :func:`cmd_races`. A bad scenario
or code raises ValueError naming the valid values; the command line turns
it into one line on stderr and exit status 2.
"""

from __future__ import annotations

import textwrap

from . import races

WIDTH = 72


def add_parser(sub) -> None:
    """Register ``races`` on the subparsers ``sub`` of the main parser."""
    p = sub.add_parser(
        "races", help="explore every interleaving of Xen and the guest",
        description="Without SCENARIO: the table of every scenario under "
        "every code (states, verdict). With SCENARIO: the problem; with -c, "
        "the answer: the verdict and the shortest counterexample as "
        "72-column swim lanes.")
    p.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO",
                   help="a scenario name (omit it for the table): "
                   + ", ".join(races.scenarios()))
    p.add_argument("--code", default=None, metavar="CODE",
                   help="code variant (default fixed); the problem lists "
                   "the codes of its scenario")
    p.add_argument("-c", "--compute", action="store_true",
                   help="print the answer: verdict and counterexample")
    p.add_argument("--states", action="store_true",
                   help="with -c, also print the guest-visible state after "
                   "each step")


def cmd_races(args, out) -> None:
    """The table, a problem, or (``-c``) its answer."""
    if args.scenario is None:
        given = [opt for opt, on in (("--code", args.code is not None),
                                     ("-c", args.compute),
                                     ("--states", args.states)) if on]
        if given:
            verb = "needs" if len(given) == 1 else "need"
            raise ValueError(f"races: {' and '.join(given)} {verb} a SCENARIO; "
                             f"valid scenarios: {', '.join(races.scenarios())}")
        print(races.table_text(), file=out)
        return
    code = args.code or "fixed"
    problem = races.describe(args.scenario, code)   # checks both names
    if not args.compute:
        print(problem_text(args.scenario, code, problem), file=out)
        return
    result = races.explore(args.scenario, code)
    print(answer_text(result, problem, args.states), file=out)


def _split(text: str) -> list:
    """The paragraphs of :func:`evtlib.races.describe`'s text."""
    return [p for p in text.split("\n\n") if p.strip()]


def problem_text(name: str, code: str, described: str) -> str:
    """The options echoed, then the problem without its note (the answer)."""
    paras = [p for p in _split(described) if not p.startswith("Note:")]
    lines = [f"ARG scenario {name}", f"ARG code {code}", ""]
    lines += "\n\n".join(paras).splitlines()
    lines += ["", *textwrap.wrap("Work it out, then add -c to see the verdict "
                                 "and the shortest counterexample.", WIDTH)]
    return "\n".join(lines)


def answer_text(result, described: str, states: bool = False) -> str:
    """The verdict and counterexample, then the scenario's note, if any."""
    text = result.text(states=states)
    notes = [p for p in _split(described) if p.startswith("Note:")]
    if notes:
        text += "\n\n" + "\n\n".join(notes)
    return text
