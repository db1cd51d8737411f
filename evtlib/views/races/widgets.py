"""A stepper over a race counterexample (ipywidgets, through
:class:`evtlib.views.widgets.Stepper`).

Each step shows the swim lanes with the current step outlined and the
steps to come faded, beside the state after it: the FIFO queues as the
memory has them and the 32 bits of each event word the step changed, or
the 2-/3-level PENDING, MASK and selector bits. Frames are rendered when
first shown, then cached, so stepping only swaps HTML.
"""

from __future__ import annotations

from ..widgets import Stepper
from .frames import max_port, race_frames
from .html import race_frame_html

__all__ = ["race_stepper", "describe_frame"]


def describe_frame(frame) -> str:
    """The sentence under the controls: who did what, and why."""
    if frame.index == 0:
        return frame.why
    text = f"{frame.actor} ({'Xen' if frame.xen else 'guest'} code): {frame.why}"
    if frame.flags:
        text += f" [{', '.join(frame.flags)}]"
    return text


def race_stepper(race, title: str = "", css_class: str = "", kind: str | None = None,
                 frames=None) -> Stepper:
    """A :class:`~evtlib.views.widgets.Stepper` over a counterexample.

    ``race``: a :class:`~evtlib.races.Result` with a counterexample (or pass
    precomputed ``frames`` from :func:`~evtlib.views.races.race_frames`);
    ``kind``: step through its witness of that kind instead.
    The outer box carries ``evt-race-stepper`` and ``css_class``.
    """
    frames = tuple(frames) if frames is not None else race_frames(race, kind=kind)
    ports = max_port(frames) if frames[0].scheme != "fifo" else 0

    def render(frame) -> str:
        return race_frame_html(frame, frames, ports)

    st = Stepper(frames, render, describe=describe_frame, title=title)
    st.widget.add_class("evt-race-stepper")
    if css_class:
        st.widget.add_class(css_class)
    return st
