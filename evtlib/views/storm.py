"""Views of notebook 08's part 3: the event storm. Text, bars and a widget.

CSS classes: ``evt-storm`` (``evt-storm-scheme``, ``evt-storm-frontends``,
``evt-storm-table``).
"""

from __future__ import annotations

import html

from ..studies.series import Bars
from ..studies.storm import JIFFY_TICKS, SCHEMES, run_storm
from .charts import plot_bars
from .widgets import WidgetView

COLUMNS = (("backend_deliveries", "hostile deliv."), ("others_worst", "others' worst"),
           ("timer_worst", "timer worst"), ("longest_upcall", "longest upcall"))
FRONTENDS = (1, 8, 64)


def storm_text(storm) -> str:
    """The storm's rows in 72 columns."""
    head = (f"{'run':<27}{'hostile':>8}{'others':>7}{'timer':>6}"
            f"{'longest':>8}{'upcalls':>8}{'defer':>6}")
    lines = [head, f"{'':<27}{'deliv.':>8}{'worst':>7}{'worst':>6}"
                   f"{'upcall':>8}", "-" * len(head)]
    for r in storm.rows:
        lines.append(f"{r.label:<27}{r.backend_deliveries:>8}{r.others_worst:>7}"
                     f"{r.timer_worst:>6}{r.longest_upcall:>8}{r.upcalls:>8}"
                     f"{r.deferring_upcalls:>6}")
    lines.append(f"{storm.frontends} hostile frontend(s), {storm.rate:g} raises/tick "
                 f"each; {storm.guests} guests;")
    lines.append(f"work {storm.work} ticks; {storm.ticks} ticks; seed {storm.seed}. "
                 f"Waits in ticks;")
    lines.append(f"1 tick = 1 handler (~100 us): 1 jiffy = {JIFFY_TICKS} ticks. "
                 f"defer: upcalls")
    lines.append("in which the loop control deferred EOIs.")
    return "\n".join(lines)


def storm_html(storm) -> str:
    cells = "".join(f"<th>{html.escape(name)}</th>" for _, name in COLUMNS)
    rows = "".join(
        f"<tr><td>{html.escape(r.label)}</td>"
        + "".join(f"<td>{getattr(r, key)}</td>" for key, _ in COLUMNS)
        + f"<td>{r.upcalls}</td><td>{r.deferring_upcalls}</td></tr>"
        for r in storm.rows)
    return (f"<table><tr><th>run</th>{cells}<th>upcalls</th><th>deferring</th></tr>"
            f"{rows}</table><p>{storm.frontends} hostile frontend(s), "
            f"{storm.rate:g} raises/tick each, seed {storm.seed}; waits in ticks</p>")


def storm_bars(storm) -> Bars:
    """The rows as grouped bars; group labels on two lines (scheme, mode)."""
    return Bars(tuple(r.label.replace(" / ", "\n") for r in storm.rows),
                tuple((name, tuple(getattr(r, key) for r in storm.rows))
                      for key, name in COLUMNS), "ticks, or deliveries")


def plot_storm(storm, title: str = ""):
    """Grouped bars of the storm's columns (symlog). Returns (fig, Bars)."""
    return plot_bars(storm_bars(storm), title or (
        f"{storm.frontends} hostile frontend(s) at {storm.rate:g}/tick"))


class StormExplorer(WidgetView):
    """Scheme and number of hostile frontends; re-runs the three modes."""

    def __init__(self, seed: int, scheme: str = "fifo", frontends: int = 1,
                 ticks: int = 1000) -> None:
        import ipywidgets as widgets

        self.seed, self.ticks = seed, ticks
        self.scheme = widgets.Dropdown(options=list(SCHEMES), value=scheme,
                                       description="scheme")
        self.frontends = widgets.SelectionSlider(
            options=list(FRONTENDS), value=frontends, description="frontends",
            continuous_update=False)
        self.table = widgets.HTML()
        for w, cls in ((self.scheme, "evt-storm-scheme"),
                       (self.frontends, "evt-storm-frontends"),
                       (self.table, "evt-storm-table")):
            w.add_class(cls)
        for w in (self.scheme, self.frontends):
            w.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.VBox([self.scheme, self.frontends, self.table])
        self.widget.add_class("evt-storm")
        self.update()

    def update(self) -> None:
        self.storm = run_storm(self.seed, schemes=(self.scheme.value,),
                               frontends=self.frontends.value, ticks=self.ticks)
        self.table.value = storm_html(self.storm)
