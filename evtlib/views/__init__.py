"""Layer ``views``: what a person sees.

Split by concern, so that a module derives frames, renders text or HTML,
plots with matplotlib, or builds ipywidgets:

* ``widgets``: the generic :class:`~evtlib.views.widgets.Stepper` and
  :class:`~evtlib.views.widgets.WidgetView`;
* ``bitmap/`` and ``fifo/``: the 2-/3-level bitmap grids and the FIFO queues
  and event words, each as ``frames`` (derived from recorded steps), ``html``,
  ``plot`` and ``widgets`` modules;
* ``races/``: a race counterexample as frames, swim lanes, HTML and a stepper;
* ``charts``: matplotlib charts of limits, capacity and latency;
* ``reports`` (72-column text), ``report_html`` and ``study_widgets``: the
  studies' tables and explorers;
* ``progress``: tqdm progress bars for long runs and sweeps (shown only
  after a delay, so quick runs and stored notebook outputs show none).

May import every lower layer (:mod:`evtlib.abi`, :mod:`evtlib.sim`,
:mod:`evtlib.races`, :mod:`evtlib.studies`), never :mod:`evtlib.cli`. A new
view goes in the module of its concern; a new family of drawings gets a
subpackage like ``bitmap/``.
"""
