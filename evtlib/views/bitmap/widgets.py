"""Notebook widgets over upcall frames; they only show precomputed frames.

:func:`upcall_stepper` steps through the frames of one upcall (the
:class:`~evtlib.views.widgets.Stepper` caches each frame's HTML, so stepping
is instant); :class:`UpcallExplorer` adds controls to set up the state and
recomputes the frames once per change. Every control carries a CSS class
(``evt-...``) so browser tests can find it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..widgets import Stepper, WidgetView
from .frames import _SCHEMES, Frame, Frames
from .html import render_html
from .scenarios import parse_pairs, parse_ports, upcall_frames


def upcall_stepper(frames: Sequence[Frame], title: str = "", css_class: str | None = None):
    """A :class:`evtlib.views.widgets.Stepper` over ``frames``, drawn with :func:`render_html`."""
    st = Stepper(frames, render_html, title=title)
    if css_class:
        st.widget.add_class(css_class)
    return st


class UpcallExplorer(WidgetView):
    """Controls to set up a 2-level or 3-level state, and a stepper over one upcall.

    Every control offers only valid values: the word size is a toggle (32/64),
    the scan policy a dropdown, the resume position one bounded slider per
    part ((word, bit) or (l1, l2, bit), each 0..W-1, rebuilt when W changes,
    disabled under the "from-zero" scan, which ignores them); port lists are typed
    and checked, and a bad entry shows its message in the widget (the last
    good run stays on screen). Each change recomputes the frames once and
    replaces the stepper. ``css_class`` is added to the whole widget so that
    tests can tell two explorers apart.
    """

    #: Most pending ports a reader may set (the frames are computed at once).
    MAX_PENDING = 256

    def __init__(self, scheme: str = "2l", *, word_bits: int = 64, scan: str = "resume",
                 pending=(3, 10, 70), masked=(), reraise=(), masks=(), elsewhere=(),
                 resume=None, css_class: str = "evt-explorer") -> None:
        import ipywidgets as widgets

        if scheme not in _SCHEMES:
            raise ValueError(f"unknown scheme {scheme!r}: valid schemes are '2l', '3l'")
        self.scheme, self.levels = scheme, _SCHEMES[scheme]
        if resume is None:
            resume = (0,) * self.levels
        self._make_choices(word_bits, scan)
        self._make_port_fields(pending, masked, reraise, masks, elsewhere)
        self._names = ("word", "bit") if self.levels == 2 else ("l1", "l2", "bit")
        self.resume_label = widgets.HTML()
        self.resume_row = widgets.HBox()
        self.resume: list = []
        self._make_resume_sliders(resume, word_bits)
        self.message = widgets.HTML()
        self.box = widgets.VBox()
        self._add_classes()
        self.widget = self._layout(css_class)
        self.frames: Frames | None = None
        self.stepper = None
        for w in [self.word_bits, self.scan, self.pending, self.masked, self.reraise,
                  self.masks, self.elsewhere]:
            w.observe(self._changed, names="value")
        self._enable_resume()
        self.update()

    def _make_choices(self, word_bits: int, scan: str) -> None:
        """The word-size toggle and the scan-policy dropdown."""
        import ipywidgets as widgets

        self.word_bits = widgets.ToggleButtons(options=[32, 64], value=word_bits,
                                               description="W (bits)",
                                               style={"button_width": "44px",
                                                      "description_width": "initial"})
        self.scan = widgets.Dropdown(options=["resume", "from-zero"], value=scan,
                                     description="scan", layout=widgets.Layout(width="190px"))

    def _make_port_fields(self, pending, masked, reraise, masks, elsewhere) -> None:
        """The text fields for port lists (one Layout shared by all of them)."""
        import ipywidgets as widgets

        text = dict(continuous_update=False, layout=widgets.Layout(width="330px"),
                    style={"description_width": "120px"})
        self.pending = widgets.Text(" ".join(map(str, pending)), description="pending ports",
                                    placeholder="e.g. 3 10 70", **text)
        self.masked = widgets.Text(" ".join(map(str, masked)), description="masked ports",
                                   placeholder="e.g. 70", **text)
        self.reraise = widgets.Text(" ".join(map(str, reraise)), description="re-raised once",
                                    placeholder="handler raises its port again", **text)
        self.masks = widgets.Text(" ".join(f"{a}:{b}" for a, b in masks),
                                  description="handler masks", placeholder="a:b, e.g. 5:9",
                                  **text)
        self.elsewhere = widgets.Text(" ".join(map(str, elsewhere)),
                                      description="bound to vCPU 1", placeholder="e.g. 5",
                                      **text)

    def _make_resume_sliders(self, resume: Sequence[int], word_bits: int) -> None:
        """One bounded slider (0..W-1) per part of the resume position, in ``resume_row``.

        Called again when W changes: new sliders, not a new ``max`` on the old
        ones, because the browser's slider (noUiSlider) keeps its first range
        for the Home/End keys, so End would stop at 31 after W went to 64.
        """
        import ipywidgets as widgets

        old = self.resume
        for w in old:
            w.unobserve(self._changed, names="value")
        top = word_bits - 1
        self.resume = [widgets.IntSlider(value=min(v, top), min=0, max=top, description=n,
                                         continuous_update=False,
                                         style={"description_width": "initial"},
                                         layout=widgets.Layout(width="240px"))
                       for n, v in zip(self._names, resume)]
        for w, n in zip(self.resume, self._names):
            w.add_class(f"evt-resume-{n}")
            w.observe(self._changed, names="value")
        self.resume_row.children = (self.resume_label, *self.resume)
        for w in old:
            w.close()

    def _enable_resume(self) -> None:
        """The resume controls mean nothing to a from-zero scan: disable them, say why."""
        off = self.scan.value == "from-zero"
        for w in self.resume:
            w.disabled = off
        tip = ("from-zero always scans from the lowest word and bit, so it has no "
               "resume position" if off else
               "where the next scan starts: Linux's per-CPU resume position")
        text = "resume position <i>(not used by from-zero)</i>" if off else "resume position"
        self.resume_label.value = (f"<span style='white-space:nowrap;padding-right:6px;"
                                   f"color:{'#888' if off else 'inherit'}' "
                                   f"title='{tip}'>{text}</span>")

    def _add_classes(self) -> None:
        """The ``evt-...`` CSS class of every control (browser tests find them by it)."""
        for w, cls in ((self.word_bits, "evt-wordbits"), (self.scan, "evt-scan"),
                       (self.pending, "evt-pending"), (self.masked, "evt-masked"),
                       (self.reraise, "evt-reraise"), (self.masks, "evt-masks"),
                       (self.elsewhere, "evt-elsewhere"), (self.message, "evt-message"),
                       (self.resume_label, "evt-resume-label")):
            w.add_class(cls)

    def _layout(self, css_class: str):
        """The whole widget: the controls, the message line, the stepper's box."""
        import ipywidgets as widgets

        controls = widgets.VBox([
            widgets.HBox([self.word_bits, self.scan]),
            widgets.HBox([widgets.VBox([self.pending, self.masked, self.elsewhere]),
                          widgets.VBox([self.reraise, self.masks])]),
            self.resume_row])
        widget = widgets.VBox([controls, self.message, self.box])
        widget.add_class("evt-explorer")
        if css_class != "evt-explorer":
            widget.add_class(css_class)
        return widget

    def _changed(self, change) -> None:
        if change["owner"] is self.word_bits:
            self._make_resume_sliders([w.value for w in self.resume], self.word_bits.value)
        if change["owner"] in (self.word_bits, self.scan):
            self._enable_resume()
        self.update()

    def choices(self) -> dict:
        """The current choices as :func:`upcall_frames` arguments (ValueError if bad)."""
        W = self.word_bits.value
        max_ports = W ** self.levels
        pending = parse_ports(self.pending.value, max_ports, "pending ports")
        if len(pending) > self.MAX_PENDING:
            raise ValueError(f"pending ports: {len(pending)} ports; at most "
                             f"{self.MAX_PENDING}, so that every step stays instant")
        reraise = parse_ports(self.reraise.value, max_ports, "re-raised ports")
        stray = sorted(set(reraise) - set(pending))
        if stray:
            raise ValueError(f"re-raised ports: {' '.join(map(str, stray))} not pending, "
                             f"so never delivered; re-raise only pending ports")
        return dict(scheme=self.scheme, pending=pending,
                    masked=parse_ports(self.masked.value, max_ports, "masked ports"),
                    reraise=reraise,
                    masks=parse_pairs(self.masks.value, max_ports, "handler masks"),
                    elsewhere=parse_ports(self.elsewhere.value, max_ports, "bound to vCPU 1"),
                    resume=tuple(s.value for s in self.resume), word_bits=W,
                    scan=self.scan.value)

    def update(self) -> None:
        """Recompute the frames from the controls and show a fresh stepper."""
        try:
            args = self.choices()
            frames = upcall_frames(**args)
        except ValueError as exc:
            self.message.value = (f"<span class='evt-error' style='color:#b00020'>"
                                  f"{html.escape(str(exc))}</span>")
            return
        self.frames = frames
        order = " ".join(map(str, frames.delivered)) or "nothing"
        self.message.value = (f"<span class='evt-result'>delivered in order: {order} "
                              f"({len(frames) - 1} steps)</span>")
        if self.stepper is None:
            self.stepper = upcall_stepper(frames)
            self.box.children = (self.stepper.widget,)
        else:
            self.stepper.set_frames(frames)
