"""The scenario registry: a scenario is a documented builder function.

:func:`scenario` registers a function whose docstring is the scenario's
description (actors, initial state, the question) and which, given a code
variant, returns a :class:`Setup`: the initial shared state, the actors and
the switches. :func:`make_model` turns a name and a code into a model the
search can explore.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from .engine import KINDS

ALL_CHECKS = tuple(KINDS)


@dataclass(frozen=True)
class Actor:
    """An actor of a scenario: its frames run one after another.

    ``endless`` actors never finish: when their last frame ends they start
    again (interference running in the background). The end checks run in
    every state where each other actor has finished and each endless one is
    back at its first frame. ``after`` names actors that must finish before
    this one starts.
    """

    name: str
    frames: tuple
    endless: bool = False
    after: tuple = ()


@dataclass(frozen=True)
class Setup:
    """What a scenario builder returns for one code."""

    model: type
    sw: object
    shared: tuple
    actors: tuple
    options: dict


@dataclass(frozen=True)
class Scenario:
    """A registered scenario: name, scheme, codes, checks and builder."""

    name: str
    scheme: str
    codes: tuple
    checks: tuple
    doc: str
    build: Callable


REGISTRY: dict = {}


def scenario(name: str, scheme: str, codes: tuple, checks: tuple = ALL_CHECKS):
    """Register the decorated builder under ``name``."""
    def deco(fn):
        REGISTRY[name] = Scenario(name, scheme, tuple(codes), tuple(checks),
                                  inspect.cleandoc(fn.__doc__ or ""), fn)
        return fn
    return deco


def make_model(sc: Scenario, code, programs, invariants=()):
    """The model of scenario ``sc`` under ``code`` (a code record)."""
    setup = sc.build(code)
    names = [a.name for a in setup.actors]
    stacks = [(a.frames[0], tuple(a.frames[1:])) for a in setup.actors]
    endless = [i for i, a in enumerate(setup.actors) if a.endless]
    after = {i: tuple(names.index(n) for n in a.after)
             for i, a in enumerate(setup.actors) if a.after}
    return setup.model(programs, names, stacks, setup.shared, setup.sw,
                       sc.checks, endless=endless, after=after,
                       invariants=invariants, **setup.options)
