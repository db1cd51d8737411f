"""Plain text of the race explorer for notebooks and the command line (72 columns).

:func:`problem_text` is a scenario's problem without its note (the note
tells the answer); :func:`note_text` is that note alone; :func:`verdicts_text`
is the table of :func:`evtlib.races.table_text` for chosen (scenario,
code) pairs only, so a notebook explores just what it shows.
"""

from __future__ import annotations

from ...races import Row, describe, explore, table_text

__all__ = ["problem_text", "note_text", "verdicts_text", "rows_for"]


def _paragraphs(described: str) -> list:
    return [p for p in described.split("\n\n") if p.strip()]


def problem_text(name: str, code: str | None = None) -> str:
    """The problem of scenario ``name`` (actors, initial state, question,
    and with ``code`` that code's commit), without the scenario's note."""
    paras = _paragraphs(describe(name, code))
    return "\n\n".join(p for p in paras if not p.startswith("Note:"))


def note_text(name: str) -> str:
    """The scenario's note (where the model and a commit's claim part
    ways), or an empty string when it has none."""
    paras = _paragraphs(describe(name))
    return "\n\n".join(p for p in paras if p.startswith("Note:"))


def rows_for(pairs) -> tuple:
    """A :class:`evtlib.races.Row` per ``(scenario, code)`` pair, in order."""
    rows = []
    for name, code in pairs:
        r = explore(name, code)
        rows.append(Row(name, code, r.states, r.transitions, r.kinds,
                              len(r.schedule) if r.schedule else None))
    return tuple(rows)


def verdicts_text(pairs) -> str:
    """States and verdict of each ``(scenario, code)`` pair, 72 columns."""
    return table_text(rows_for(pairs))
