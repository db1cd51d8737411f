"""Widgets of the FIFO views: a stepper over frames and the scenario explorer.

ipywidgets is imported when a widget is built.
"""

from __future__ import annotations

from typing import Sequence

from ...abi.fifoword import QUEUES
from ..widgets import Stepper, WidgetView
from .frames import MAX_PORT, Frame
from .html import _E, _script_html, frame_html
from .script import MAX_SCRIPT, PRESETS, check_action, check_script, run_script

__all__ = ["fifo_stepper", "FifoExplorer"]


def fifo_stepper(frames: Sequence[Frame], title: str = "", css_class: str = ""):
    """A :class:`evtlib.views.widgets.Stepper` over ``frames`` drawn with :func:`frame_html`.

    ``css_class`` is added to its outer box (to tell two steppers apart in a page).
    """
    st = Stepper(frames, frame_html, title=title)
    if css_class:
        st.widget.add_class(css_class)
    return st


class FifoExplorer(WidgetView):
    """Pick a preset scenario or build a script with bounded controls, then step.

    Controls (CSS classes): ``evt-fifo-preset`` (Dropdown), ``evt-fifo-op``,
    ``evt-fifo-port``, ``evt-fifo-prio``, ``evt-fifo-target``, ``evt-fifo-add``,
    ``evt-fifo-undo``, ``evt-fifo-clear``, ``evt-fifo-script`` (the script as
    text), ``evt-fifo-msg``; the stepper of the current script sits inside
    ``evt-fifo-stepper-box``; the whole thing is ``evt-fifo-explorer``. Ports
    are bounded to 1..131071 and priorities to 0..15, so every script a
    reader can build is valid. Frames are computed once per script; steppers
    of recent scripts are kept, so switching back is instant.
    """

    CUSTOM = "(your script)"
    OPS = ("raise", "mask", "unmask", "clear", "priority", "upcall", "on ... raise")

    def __init__(self, presets: dict | None = None, preset: str | None = None,
                 max_script: int = MAX_SCRIPT, cache: int = 16) -> None:
        import ipywidgets as widgets

        self.presets = {k: check_script(v) for k, v in (presets or PRESETS).items()}
        if not self.presets:
            raise ValueError("FifoExplorer needs at least one preset")
        first = next(iter(self.presets))
        if preset is not None and preset not in self.presets:
            valid = ", ".join(repr(p) for p in self.presets)
            raise ValueError(f"unknown preset {preset!r}: valid presets are {valid}")
        self.max_script = max_script
        self._cache_size = cache
        self._steppers: dict[tuple, object] = {}
        self._quiet = False
        self.preset = widgets.Dropdown(options=list(self.presets) + [self.CUSTOM],
                                       value=preset or first, description="scenario",
                                       layout=widgets.Layout(width="360px"))
        self.op = widgets.Dropdown(options=self.OPS, value="raise", description="action",
                                   layout=widgets.Layout(width="210px"))
        self.port = widgets.BoundedIntText(value=5, min=1, max=MAX_PORT, description="port",
                                           layout=widgets.Layout(width="160px"))
        self.prio = widgets.BoundedIntText(value=0, min=0, max=QUEUES - 1,
                                           description="priority",
                                           layout=widgets.Layout(width="150px"))
        self.target = widgets.BoundedIntText(value=9, min=1, max=MAX_PORT,
                                             description="raises",
                                             layout=widgets.Layout(width="160px"))
        self.add_button = widgets.Button(description="add", layout=widgets.Layout(width="60px"))
        self.undo_button = widgets.Button(description="undo", layout=widgets.Layout(width="60px"))
        self.clear_button = widgets.Button(description="clear",
                                           layout=widgets.Layout(width="60px"))
        self.script_view = widgets.HTML()
        self.message = widgets.HTML()
        self.stepper_box = widgets.Box()
        for w, cls in ((self.preset, "evt-fifo-preset"), (self.op, "evt-fifo-op"),
                       (self.port, "evt-fifo-port"), (self.prio, "evt-fifo-prio"),
                       (self.target, "evt-fifo-target"), (self.add_button, "evt-fifo-add"),
                       (self.undo_button, "evt-fifo-undo"),
                       (self.clear_button, "evt-fifo-clear"),
                       (self.script_view, "evt-fifo-script"), (self.message, "evt-fifo-msg"),
                       (self.stepper_box, "evt-fifo-stepper-box")):
            w.add_class(cls)
        self.preset.observe(self._on_preset, names="value")
        self.op.observe(lambda _: self._enable(), names="value")
        self.add_button.on_click(lambda _: self.add(self.current_action()))
        self.undo_button.on_click(lambda _: self.undo())
        self.clear_button.on_click(lambda _: self.set_script(()))
        editor = widgets.HBox([self.op, self.port, self.prio, self.target, self.add_button,
                               self.undo_button, self.clear_button])
        self.widget = widgets.VBox([self.preset, self.script_view, editor, self.message,
                                    self.stepper_box])
        self.widget.add_class("evt-fifo-explorer")
        self.script: tuple[tuple, ...] = ()
        self._enable()
        self.set_script(self.presets[self.preset.value], from_preset=True)

    # ------------------------------------------------------------ actions
    def current_action(self) -> tuple:
        """The action the editor controls describe."""
        op = self.op.value
        if op == "upcall":
            return ("upcall",)
        if op == "priority":
            return ("priority", self.port.value, self.prio.value)
        if op.startswith("on"):
            return ("on", self.port.value, "raise", self.target.value)
        return (op, self.port.value)

    def add(self, action) -> None:
        """Append ``action`` to the script (ignored with a message when full)."""
        action = check_action(action)
        if len(self.script) >= self.max_script:
            self.message.value = _E(f"the script is full ({self.max_script} actions): "
                                    f"undo or clear first")
            return
        self.set_script(self.script + (action,))

    def undo(self) -> None:
        """Drop the last action of the script."""
        if self.script:
            self.set_script(self.script[:-1])

    def set_script(self, script, from_preset: bool = False) -> None:
        """Show ``script`` and a stepper over its frames (at step 0)."""
        script = check_script(script)[: self.max_script]
        self.script = script
        if not from_preset and self.preset.value != self.CUSTOM:
            self._quiet = True
            try:
                self.preset.value = self.CUSTOM
            finally:
                self._quiet = False
        self.script_view.value = _script_html(script)
        self.stepper = self._stepper(script)
        self.stepper.reset()
        self.stepper_box.children = (self.stepper.widget,)
        n = len(self.stepper.frames) - 1
        self.message.value = _E(f"{len(script)} action(s), {n} step(s)")

    def choose(self, name: str) -> None:
        """Switch to preset ``name`` (as the dropdown does)."""
        if name not in self.presets:
            valid = ", ".join(repr(p) for p in self.presets)
            raise ValueError(f"unknown preset {name!r}: valid presets are {valid}")
        self.preset.value = name

    # ------------------------------------------------------------ plumbing
    def _stepper(self, script: tuple):
        st = self._steppers.pop(script, None)
        if st is None:
            st = fifo_stepper(run_script(script).frames)
        self._steppers[script] = st
        while len(self._steppers) > self._cache_size:
            self._steppers.pop(next(iter(self._steppers)))
        return st

    def _on_preset(self, change) -> None:
        if self._quiet or change["new"] == self.CUSTOM:
            return
        self.set_script(self.presets[change["new"]], from_preset=True)

    def _enable(self) -> None:
        op = self.op.value
        self.port.disabled = op == "upcall"
        self.prio.disabled = op != "priority"
        self.target.disabled = not op.startswith("on")
