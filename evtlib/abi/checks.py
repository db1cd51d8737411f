"""Input checks shared by every layer: integers, flags, choices.

Each check returns the value in its plain Python form or raises an error
whose message names the value, its type when the type is the problem, and the
valid range. Widgets and numpy code pass numpy integers and numpy bools, so
those are taken wherever an int or a bool is.
"""

from __future__ import annotations

import numbers

import numpy as np


def type_name(value) -> str:
    """``value``'s type as a reader knows it: ``str``, ``float``, ``numpy.float64``."""
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def is_integer(value) -> bool:
    """Any :class:`numbers.Integral` (numpy integers too), but not a bool."""
    return type(value) is int or (isinstance(value, numbers.Integral)
                                  and not isinstance(value, (bool, np.bool_)))


def check_int(value, what: str, lo: int, hi: int | None = None) -> int:
    """Return ``value`` as an int in ``lo..hi`` (no upper bound if ``hi`` is None),
    or raise naming the value and the valid range.

    Any :class:`numbers.Integral` is taken (numpy integers from widgets and
    arrays too), except ``bool``: ``True`` is not a port or a count.
    """
    valid = f">= {lo}" if hi is None else f"in {lo}..{hi}"
    if type(value) is not int:
        if not is_integer(value):
            raise TypeError(f"{what} must be an integer {valid}, got {value!r} "
                            f"of type {type_name(value)}")
        value = int(value)
    if hi is None and value < lo:
        raise ValueError(f"{what} {value} is out of range: it must be >= {lo}")
    if hi is not None and not lo <= value <= hi:
        raise ValueError(f"{what} {value} is out of range: valid values are {lo}..{hi}")
    return value


def check_flag(value, what: str) -> bool:
    """``True`` or ``False`` (a numpy bool too), as a bool; anything else is refused.

    ``1``, ``"yes"`` or ``None`` are refused rather than read as truth values:
    a flag given the wrong thing is usually a misplaced argument.
    """
    if value is True or value is False:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"{what} must be True or False, got {value!r} of type "
                    f"{type_name(value)}")


def check_choice(value, what: str, choices) -> object:
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {what} {value!r}: valid values are {valid}")
    return value


def check_word_bits(value, allow_none: bool = False) -> int | None:
    """A guest word size: 32 or 64 bits (``xen_ulong_t``), or None if allowed."""
    if value is None and allow_none:
        return None
    valid = "32, 64 or None" if allow_none else "32 or 64"
    if not is_integer(value):
        raise TypeError(f"word_bits must be {valid} (bits in xen_ulong_t), got "
                        f"{value!r} of type {type_name(value)}")
    if int(value) not in (32, 64):
        raise ValueError(f"word_bits must be {valid} (bits in xen_ulong_t), "
                         f"got {int(value)}")
    return int(value)
