"""Layer ``studies``: the experiments the notebooks and the command line run.

Each module is one study, returning frozen records of numbers: ``starvation``
(notebook 02), ``review`` (the design review, notebook 06), ``capacity``
(guests per dom0, notebook 05); ``policies`` holds the scheme/policy pairs
they compare and ``series`` the chart-ready records they fill.

May import: :mod:`evtlib.abi`, :mod:`evtlib.sim`, :mod:`evtlib.races`, the
standard library and numpy; never :mod:`evtlib.views` (a study computes, a
view shows). A new experiment goes here as one module, with its text, HTML,
charts and widgets in :mod:`evtlib.views`.
"""
