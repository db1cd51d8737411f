"""Notebook widgets. Everything here only redraws precomputed frames.

:class:`Stepper` walks a list of frames (usually the recorded :class:`Step`
records of one upcall): back, forward, play/pause with a speed control, a
slider and a box to jump to a step, reset, and one sentence of explanation
per step. The frames are computed once; a step only swaps HTML, so stepping
is instant in the browser.

Every control carries a CSS class (``evt-...``) so browser tests can find it.
"""

from __future__ import annotations

import html
from typing import Callable, Sequence

import ipywidgets as widgets

#: Playback speeds offered, as (label, milliseconds per step).
SPEEDS = (("0.5x", 1600), ("1x", 800), ("2x", 400), ("4x", 200))


def explain(frame) -> str:
    """The one-sentence explanation of a frame (a Step or anything with ``why``)."""
    return getattr(frame, "why", "") or str(frame)


#: What a widget shows where no kernel runs it (GitHub, HTML export, nbval).
STATIC_TEXT = ("[interactive widget: run this notebook in JupyterLab to use it;\n"
               " the static figure or table above shows the same thing]")


class WidgetView:
    """Mixin for objects that hold their ipywidgets tree in ``self.widget``.

    Displaying the object shows the live widget in JupyterLab; where widgets
    cannot run, the plain-text fallback is a sentence, not a ``VBox(...)`` repr.
    """

    widget: widgets.Widget

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        return {**bundle, "text/plain": STATIC_TEXT}


class Stepper(WidgetView):
    """Step forward and back through ``frames``, drawing each with ``render``.

    ``render(frame) -> str`` returns HTML for the view. ``describe(frame)``
    returns the sentence shown under the controls (default: ``frame.why``).
    """

    def __init__(self, frames: Sequence, render: Callable[[object], str],
                 describe: Callable[[object], str] = explain, title: str = "") -> None:
        if len(frames) == 0:
            raise ValueError("Stepper needs at least one frame, got none")
        self.frames = tuple(frames)
        self._render = render
        self._describe = describe
        # Rendered once per frame on first view, then reused: a step only redraws.
        self._cache: dict[int, tuple[str, str]] = {}
        last = len(self.frames) - 1
        self.slider = widgets.IntSlider(value=0, min=0, max=last, description="step",
                                        continuous_update=True,
                                        layout=widgets.Layout(width="360px"))
        self.play = widgets.Play(value=0, min=0, max=last, step=1,
                                 interval=SPEEDS[1][1], description="play")
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.speed = widgets.Dropdown(options=[label for label, _ in SPEEDS], value="1x",
                                      description="speed",
                                      layout=widgets.Layout(width="150px"))
        self.jump = widgets.BoundedIntText(value=0, min=0, max=last, description="go to",
                                           layout=widgets.Layout(width="150px"))
        self.back_button = widgets.Button(description="◀ back", layout=widgets.Layout(width="80px"))
        self.forward_button = widgets.Button(description="forward ▶",
                                             layout=widgets.Layout(width="95px"))
        self.reset_button = widgets.Button(description="reset", layout=widgets.Layout(width="70px"))
        self.why = widgets.HTML()
        self.view = widgets.HTML()
        for w, cls in ((self.slider, "evt-slider"), (self.play, "evt-play"),
                       (self.speed, "evt-speed"), (self.jump, "evt-jump"),
                       (self.back_button, "evt-back"), (self.forward_button, "evt-forward"),
                       (self.reset_button, "evt-reset"), (self.why, "evt-why"),
                       (self.view, "evt-view")):
            w.add_class(cls)
        self.back_button.on_click(lambda _: self.back())
        self.forward_button.on_click(lambda _: self.forward())
        self.reset_button.on_click(lambda _: self.reset())
        self.slider.observe(self._on_slider, names="value")
        self.jump.observe(self._on_jump, names="value")
        self.speed.observe(self._on_speed, names="value")
        rows = [widgets.HBox([self.back_button, self.forward_button, self.reset_button,
                              self.play, self.speed]),
                widgets.HBox([self.slider, self.jump]), self.why, self.view]
        if title:
            rows.insert(0, widgets.HTML(f"<b>{html.escape(title)}</b>"))
        self.widget = widgets.VBox(rows)
        self.widget.add_class("evt-stepper")
        self._show(0)

    def set_frames(self, frames: Sequence) -> None:
        """Show new frames in the same widget (an explorer re-ran its scenario)."""
        if len(frames) == 0:
            raise ValueError("Stepper needs at least one frame, got none")
        self.play.playing = False
        self.frames = tuple(frames)
        self._cache.clear()
        last = len(self.frames) - 1
        # Lower the value before the bounds so no widget holds an invalid step.
        self.slider.value = 0
        for w in (self.slider, self.play, self.jump):
            w.max = last
        self._show(0)

    # --------------------------------------------------------------- moves
    @property
    def index(self) -> int:
        return self.slider.value

    def go(self, i: int) -> None:
        """Show frame ``i`` (0-based); out of range is an error, not a clamp."""
        last = len(self.frames) - 1
        if type(i) is not int or not 0 <= i <= last:
            raise ValueError(f"step {i!r} is out of range: valid steps are 0..{last}")
        self.slider.value = i

    def forward(self) -> None:
        if self.index < len(self.frames) - 1:
            self.slider.value = self.index + 1

    def back(self) -> None:
        if self.index > 0:
            self.slider.value = self.index - 1

    def reset(self) -> None:
        self.play.playing = False
        self.slider.value = 0
        self._show(0)

    # ------------------------------------------------------------ plumbing
    def _frame_html(self, i: int) -> tuple[str, str]:
        if i not in self._cache:
            frame = self.frames[i]
            sentence = html.escape(self._describe(frame))
            why = (f"<span class='evt-step-no'>Step {i} of {len(self.frames) - 1}:</span> "
                   f"{sentence}")
            self._cache[i] = (why, self._render(frame))
        return self._cache[i]

    def _show(self, i: int) -> None:
        why, view = self._frame_html(i)
        # The view first: the browser applies updates in order, so once the
        # sentence says "Step i", the drawing already shows step i.
        self.view.value = view
        self.why.value = why
        if self.jump.value != i:
            self.jump.value = i

    def _on_slider(self, change) -> None:
        self._show(change["new"])

    def _on_jump(self, change) -> None:
        if change["new"] != self.slider.value:
            self.slider.value = change["new"]

    def _on_speed(self, change) -> None:
        self.play.interval = dict(SPEEDS)[change["new"]]

    @property
    def why_text(self) -> str:
        return self._describe(self.frames[self.index])
