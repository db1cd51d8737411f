"""Notebook widgets. Everything here only redraws precomputed frames.

:class:`Stepper` walks a list of frames (usually the recorded :class:`Step`
records of one upcall): back, forward, play with a speed control, pause
(stays on the current step), a slider and a box to jump to a step, reset,
and one sentence of explanation per step. The frames are computed once; a
step only swaps HTML, so stepping is instant in the browser.

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


#: What a widget's output shows where no live widget is drawn: in JupyterLab
#: when the notebook is opened or reloaded from disk (stored outputs are
#: untrusted until the cell runs again, so Lab shows this text/plain), on
#: GitHub, in an HTML export, under nbval. It must read right in all of them,
#: so it says what to do in JupyterLab and elsewhere.
STATIC_TEXT = ("[interactive widget, not running here. In JupyterLab: run this cell\n"
               " (after the cells above it: Run All in a new kernel). On GitHub or in\n"
               " an HTML export: open the notebook in JupyterLab. The static figure\n"
               " or table above shows the same thing.]")

#: Tooltips of the playback controls. The Play widget's own buttons have no
#: titles of their own, so its tooltip names all three.
PLAY_TIP = ("▶ play / ❚❚ pause (stays on this step); ■ stop: pauses and goes back "
            "to step 0; ⟲ repeat: loop")
PAUSE_TIP = "stop playing and stay on this step"
RESET_TIP = "stop playing and go back to step 0"


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

    Playback: the Play widget's ▶/❚❚ button and the ``pause`` button stop on
    the current step; its ■ button stops *and* goes back to step 0 (the
    Play widget's own behaviour, said in its tooltip), as ``reset`` does.
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
        self.speed = widgets.Dropdown(options=[label for label, _ in SPEEDS], value="1x",
                                      description="speed",
                                      layout=widgets.Layout(width="150px"))
        self.jump = widgets.BoundedIntText(value=0, min=0, max=last, description="go to",
                                           layout=widgets.Layout(width="150px"))
        self.back_button = widgets.Button(description="◀ back", layout=widgets.Layout(width="80px"))
        self.forward_button = widgets.Button(description="forward ▶",
                                             layout=widgets.Layout(width="95px"))
        self.pause_button = widgets.Button(description="❚❚ pause", tooltip=PAUSE_TIP,
                                           layout=widgets.Layout(width="105px"))
        self.reset_button = widgets.Button(description="reset", tooltip=RESET_TIP,
                                           layout=widgets.Layout(width="70px"))
        self.why = widgets.HTML()
        self.view = widgets.HTML()
        for w, cls in ((self.speed, "evt-speed"), (self.jump, "evt-jump"),
                       (self.back_button, "evt-back"), (self.forward_button, "evt-forward"),
                       (self.pause_button, "evt-pause"), (self.reset_button, "evt-reset"),
                       (self.why, "evt-why"), (self.view, "evt-view")):
            w.add_class(cls)
        self.back_button.on_click(lambda _: self.back())
        self.forward_button.on_click(lambda _: self.forward())
        self.pause_button.on_click(lambda _: self.pause())
        self.reset_button.on_click(lambda _: self.reset())
        self.jump.observe(self._on_jump, names="value")
        self.speed.observe(self._on_speed, names="value")
        self._buttons = widgets.HBox()
        self._slider_row = widgets.HBox()
        self._link = None
        self._make_transport(last)
        rows = [self._buttons, self._slider_row, self.why, self.view]
        if title:
            rows.insert(0, widgets.HTML(f"<b>{html.escape(title)}</b>"))
        self.widget = widgets.VBox(rows)
        self.widget.add_class("evt-stepper")
        self._show(0)

    def _make_transport(self, last: int) -> None:
        """A new slider and Play over steps 0..``last``, linked, in the layout.

        New widgets, not new bounds on the old ones: the browser's slider
        (noUiSlider) keeps its first range for the Home/End keys when only
        its bounds change, so End would stop at the old last step.
        """
        old = [w for w in (getattr(self, "slider", None), getattr(self, "play", None)) if w]
        if self._link is not None:
            self._link.unlink()
        if old:
            self.slider.unobserve(self._on_slider, names="value")
        self.slider = widgets.IntSlider(value=0, min=0, max=last, description="step",
                                        continuous_update=True,
                                        layout=widgets.Layout(width="360px"))
        # No description: the browser shows a widget's tooltip only when it has none.
        self.play = widgets.Play(value=0, min=0, max=last, step=1, tooltip=PLAY_TIP,
                                 interval=dict(SPEEDS)[self.speed.value])
        self._link = widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.slider.add_class("evt-slider")
        self.play.add_class("evt-play")
        self.slider.observe(self._on_slider, names="value")
        self._buttons.children = (self.back_button, self.forward_button, self.reset_button,
                                  self.play, self.pause_button, self.speed)
        self._slider_row.children = (self.slider, self.jump)
        for w in old:
            w.close()

    def set_frames(self, frames: Sequence) -> None:
        """Show new frames in the same widget (an explorer re-ran its scenario)."""
        if len(frames) == 0:
            raise ValueError("Stepper needs at least one frame, got none")
        self.play.playing = False
        self.frames = tuple(frames)
        self._cache.clear()
        last = len(self.frames) - 1
        if last != self.slider.max:
            self._make_transport(last)
        else:
            self.slider.value = 0
        # Lower the value before the bound so the box never holds an invalid step.
        self.jump.value = 0
        self.jump.max = last
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

    def pause(self) -> None:
        """Stop playing and stay on the current step."""
        self.play.playing = False

    def reset(self) -> None:
        """Stop playing and go back to step 0."""
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
