"""The one place that maps scheme names to model classes."""

from __future__ import annotations

from .core import check_choice
from .fifo import Fifo
from .threelevel import ThreeLevel
from .twolevel import TwoLevel

SCHEMES = {"2l": TwoLevel, "3l": ThreeLevel, "fifo": Fifo}


def make_scheme(name: str, **options):
    """Build a model by name: ``make_scheme("2l", word_bits=32, scan="from-zero")``.

    FIFO takes only ``vcpus``; passing bitmap options to it is an error.
    """
    check_choice(name, "scheme", tuple(SCHEMES))
    return SCHEMES[name](**options)
