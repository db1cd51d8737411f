"""Views of the FIFO ABI: the event word, the queues, and scripted scenarios.

Three layers, each usable alone:

* **Data.** :data:`WORD_FIELDS` and :func:`word_bits` decode the 32-bit event
  word (P=31, M=30, L=29, B=28, LINK=16..0); :func:`queue_view` and
  :func:`queue_views` rebuild each per-priority queue as a linked list (with
  HEAD, READY, Xen's private tail and Linux's private "next" pointer) from a
  :class:`~evtlib.abi.records.Snapshot`, so any recorded step can be drawn.
* **Scenarios.** A *script* is a list of actions run on a fresh
  :class:`~evtlib.abi.fifo.Fifo`::

      ("raise", port)            Xen raises the port
      ("mask", port)             the guest sets M
      ("unmask", port)           Linux unmask (local, or hypercall if pending)
      ("clear", port)            the guest clears P
      ("priority", port, p)      EVTCHNOP_set_priority (0 highest .. 15)
      ("upcall",)                Xen enters vCPU 0's upcall handler
      ("on", port, "raise", q)   the next time port's handler runs, it raises q
                                 (also "mask"/"unmask"/"clear" q, "priority" q p)

  :func:`run_script` runs one with step recording and returns the model, the
  delivery order of each upcall and the list of :class:`Frame` (the start,
  then one frame per recorded model :class:`~evtlib.abi.records.Step`, whose
  ``why`` is the model's sentence, and a "return" frame when an upcall that
  ran returns). A frame taken during a scan also holds Linux's local copy
  of READY (``Frame.local_ready``), which the drawings show beside the
  shared READY word. :func:`parse_script` and
  :func:`format_script` convert to and from text (``"raise 5"``, ``"on 5
  raise 9"``). :data:`PRESETS` holds the notebook's scenarios.
* **Renderings.** HTML (:func:`event_word_html`, :func:`queues_html`,
  :func:`words_html`, :func:`frame_html`, :func:`frames_table_html`,
  :func:`presets_table_html`), plain text <= 72 columns (:func:`queue_text`,
  :func:`trace_text`), matplotlib figures that return the data they drew
  (:func:`plot_event_word`, :func:`plot_queues`) and the widgets
  (:func:`fifo_stepper`, :class:`FifoExplorer`).

All HTML is escaped and uses inline styles only, so it survives static export.

The package is split by concern (imports go down this list, never up):

* :mod:`.frames`: the decoded word, :class:`QueueView`, :class:`Frame` and the
  plain-text renderings; the constants the others share (``WIDTH``, ``MAX_PORT``).
* :mod:`.script`: the script language, :data:`PRESETS` and :func:`run_script`.
* :mod:`.html`: the HTML renderings.
* :mod:`.plot`: the matplotlib figures (matplotlib is imported when drawing).
* :mod:`.widgets`: :func:`fifo_stepper` and :class:`FifoExplorer`.
"""

from __future__ import annotations

from .frames import (WORD_FIELDS, Field, Frame, QueueView, decode_word, field_of, queue_text,
                     queue_view, queue_views, trace_text, word_bits)
from .frames import MAX_PORT as MAX_PORT, WIDTH as WIDTH  # not in __all__, as before
from .html import (event_word_html, frame_html, frames_table_html, presets_table_html,
                   queues_html, words_html)
from .plot import QueueDrawing, WordDrawing, plot_event_word, plot_queues
from .script import (ACTIONS, HANDLER_ACTIONS, MAX_SCRIPT, PRESETS, ScriptRun, check_action,
                     check_script, fifo_frames, format_action, format_script, ops, parse_script,
                     run_script)
from .script import START_WHY as START_WHY, _apply as _apply  # not in __all__; tests use _apply
from .widgets import FifoExplorer, fifo_stepper

__all__ = [
    "WORD_FIELDS", "Field", "field_of", "word_bits", "decode_word",
    "QueueView", "queue_view", "queue_views", "queue_text",
    "ACTIONS", "HANDLER_ACTIONS", "MAX_SCRIPT", "PRESETS", "check_action", "check_script",
    "parse_script", "format_action", "format_script",
    "Frame", "ScriptRun", "run_script", "fifo_frames", "ops",
    "event_word_html", "queues_html", "words_html", "frame_html", "frames_table_html",
    "presets_table_html", "trace_text",
    "WordDrawing", "QueueDrawing", "plot_event_word", "plot_queues",
    "fifo_stepper", "FifoExplorer",
]

