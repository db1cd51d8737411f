"""Layer ``races``: every interleaving of Xen and the guest on small scenarios.

Filled by the concurrency explorer: actors made of atomic steps, an
exhaustive breadth-first explorer, named scenarios and the FIFO bugs found in
review, replayed.

May import: :mod:`evtlib.abi`, the standard library and numpy.
"""
