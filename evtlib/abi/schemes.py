"""The one place that maps scheme names to model classes."""

from __future__ import annotations

import inspect

from .core import check_choice
from .fifo import Fifo
from .threelevel import ThreeLevel
from .twolevel import TwoLevel

SCHEMES = {"2l": TwoLevel, "3l": ThreeLevel, "fifo": Fifo}


def make_scheme(name: str, **options):
    """Build a model by name: ``make_scheme("2l", word_bits=32, scan="from-zero")``.

    FIFO takes ``vcpus`` and (ignored but checked) ``word_bits``; passing it
    ``scan`` or ``timer_first`` is an error naming the valid options.
    """
    check_choice(name, "scheme", tuple(SCHEMES))
    cls = SCHEMES[name]
    valid = tuple(inspect.signature(cls).parameters)
    for key in options:
        if key not in valid:
            raise ValueError(f"{cls.label} does not take option {key!r}: valid options "
                             f"are {', '.join(valid)}")
    return cls(**options)
