"""Views of 2-level and 3-level state, and of one upcall step by step.

One drawing serves both schemes. A view is a grid: one row per bitmap word
(W bits each: the shared PENDING and MASK bits, coloured together), and to
the left of each row the selector bits that lead to that word: one column
for 2-level (bit ``w`` of ``evtchn_pending_sel`` names word ``w``), two for
3-level (the L1 bit, then the L2 bit). Apart from the row labels, the
number of selector columns is the only thing that depends on the level.

Data first, drawings second. :func:`grid_view` turns a model, a snapshot or a
:class:`Frame` into a :class:`GridView` (numpy arrays of cell codes plus the
highlighted cells); :func:`render_html` and :func:`plot_grid` only draw a
GridView, so tests check the arrays, not pixels.

Scenarios come from a reader's choices: :func:`build_model` sets up a model
(pending, masked, bound to vCPU 1, resume position), :func:`upcall_frames`
runs one upcall with scripted handlers and returns its frames (the state
before, one frame per recorded :class:`~evtlib.abi.records.Step`, the state
after). The frames are computed once; :func:`upcall_stepper` and
:class:`UpcallExplorer` only show them (the Stepper caches each frame's
HTML), so stepping is instant. :func:`trace_text` and the models' ``dump()``
give the same thing as plain text of at most 72 columns.

Cell codes (bit flags): ``PENDING`` 1, ``MASKED`` 2, ``ELSEWHERE`` 4 (the
port's Linux CPU is not the viewed vCPU), ``RESERVED`` 8 (port 0). Selector
codes: ``SEL_SHARED`` 1 (set in ``vcpu_info``), ``SEL_LOCAL`` 2 (in the
guest's private copy taken by the xchg and not yet scanned).

Modules, one concern each, each importing only those before it: ``frames``
(Frame, GridView, the codes and their colours), ``scenarios`` (set up a
model, run an upcall, parse typed ports), ``text`` (plain text), ``html``
(:func:`render_html`), ``plot`` (matplotlib, imported when drawing),
``widgets`` (ipywidgets). Everything public is re-exported here.
"""

from .frames import (CELL_COLOURS, CELL_LABELS, ELSEWHERE, HOT_COLOUR, MASKED, PENDING,
                     RESERVED, RESUME_COLOUR, ROW_HOT_COLOUR, SEL_COLOURS, SEL_LABELS, SEL_LOCAL,
                     SEL_SHARED, Frame, Frames, GridView, cell_codes, describe_state,
                     frames_from_steps, grid_view, key_frames, selector_codes)
from .html import render_html
from .plot import _rgb as _rgb  # private, re-exported for the tests
from .plot import draw_grid, plot_grid, plot_grids, plot_walk
from .scenarios import build_model, parse_pairs, parse_ports, scripted_handler, upcall_frames
from .text import WIDTH, delivery_table, trace_text
from .widgets import UpcallExplorer, upcall_stepper

__all__ = [
    "PENDING", "MASKED", "ELSEWHERE", "RESERVED", "SEL_SHARED", "SEL_LOCAL", "WIDTH",
    "CELL_COLOURS", "CELL_LABELS", "SEL_COLOURS", "SEL_LABELS", "HOT_COLOUR",
    "ROW_HOT_COLOUR", "RESUME_COLOUR",
    "Frame", "Frames", "frames_from_steps", "key_frames", "GridView", "cell_codes",
    "selector_codes", "grid_view", "describe_state",
    "build_model", "scripted_handler", "upcall_frames", "parse_ports", "parse_pairs",
    "trace_text", "delivery_table", "render_html",
    "draw_grid", "plot_grids", "plot_grid", "plot_walk",
    "upcall_stepper", "UpcallExplorer",
]
