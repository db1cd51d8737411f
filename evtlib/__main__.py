"""``python -m evtlib``: see :mod:`evtlib.cli`."""

from .cli import main

raise SystemExit(main())
