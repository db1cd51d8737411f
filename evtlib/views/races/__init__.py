"""Views of the race explorer (:mod:`evtlib.races`): swim lanes and a stepper.

* :mod:`.frames`: :func:`race_frames` turns a counterexample into
  :class:`RaceFrame` s (the initial state, then the state after each step,
  the breaking step marked); :func:`queues_of` rebuilds each FIFO queue as
  the guest's memory has it (loops, stale HEADs and cross-links show);
  :func:`bits_of` reads the 2-/3-level bits.
* :mod:`.html`: :func:`lanes_html`, :func:`race_queues_html`,
  :func:`bits_html` and :func:`race_frame_html` (reusing
  :func:`evtlib.views.fifo.event_word_html` for changed event words).
* :mod:`.plot`: :func:`plot_swimlanes`, the swim-lane diagram, returning
  the figure and a :class:`SwimLanes` record of what it drew.
* :mod:`.text`: :func:`problem_text` (a scenario without its note),
  :func:`note_text` and :func:`verdicts_text` (the verdicts of chosen
  scenario and code pairs, 72 columns).
* :mod:`.widgets`: :func:`race_stepper`, the generic
  :class:`~evtlib.views.widgets.Stepper` over a counterexample.

Imports go down this list, never up.
"""

from __future__ import annotations

from .frames import (Bits, RaceFrame, RaceQueue, bits_of, breaking_step, changed_words,
                     max_port, orphans_of, queues_of, race_frames, steps_of, word_of)
from .html import bits_html, lanes_html, race_frame_html, race_queues_html
from .plot import LaneStep, SwimLanes, plot_swimlanes
from .text import note_text, problem_text, rows_for, verdicts_text
from .widgets import describe_frame, race_stepper

__all__ = [
    "RaceFrame", "RaceQueue", "Bits", "race_frames", "steps_of", "breaking_step",
    "queues_of", "orphans_of", "bits_of", "max_port", "word_of", "changed_words",
    "lanes_html", "race_queues_html", "bits_html", "race_frame_html",
    "LaneStep", "SwimLanes", "plot_swimlanes",
    "problem_text", "note_text", "rows_for", "verdicts_text",
    "race_stepper", "describe_frame",
]
