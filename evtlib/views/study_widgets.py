"""The studies' explorer widgets: controls that only offer valid values.

Callbacks set ``widgets.HTML`` values and Output records
(:func:`evtlib.views.charts.show_figure`), never print.
"""

from __future__ import annotations

import html

from ..studies.capacity import DOM0_IRQS, DOM0_PORTS_PER_VCPU, DOM0_VCPUS, calculator_text, dom0_reserved
from ..studies.review import GUESTS, NOISY_RATES, run_review
from ..studies.starvation import BUSY_CHOICES, FLOOD_RATES, run_starvation
from ..studies.policies import SEED
from .charts import PER_GUEST, plot_guests, plot_port_waits, show_figure
from .report_html import review_html, starvation_html
from .reports import review_text
from .widgets import WidgetView


class CapacityCalculator(WidgetView):
    """Guests per dom0 with controls that only offer valid values.

    Ports per guest (1..16), dom0 vCPUs (1..64, 7 ports each), dom0's
    physical IRQs and global VIRQs (0..400) and the word size (32/64). Shows
    the arithmetic (``.text``, an HTML ``<pre>``) and the chart (``.figure``,
    an Output filled with ``append_display_data``). CSS classes:
    ``evt-cap-per-guest``, ``evt-cap-vcpus``, ``evt-cap-irqs``,
    ``evt-cap-word``, ``evt-cap-text``, ``evt-cap-figure``.
    """

    def __init__(self, word_bits: int = 32, per_guest: int = 5, vcpus: int = 4,
                 irqs: int = 72, css_class: str = "evt-capacity") -> None:
        import ipywidgets as widgets

        style = {"description_width": "190px"}
        wide = widgets.Layout(width="520px")
        self.per_guest = widgets.IntSlider(
            value=per_guest, min=PER_GUEST[0], max=PER_GUEST[1],
            description="dom0 ports per guest", style=style, layout=wide,
            continuous_update=False)
        self.vcpus = widgets.IntSlider(
            value=vcpus, min=DOM0_VCPUS[0], max=DOM0_VCPUS[1],
            description=f"dom0 vCPUs (x {DOM0_PORTS_PER_VCPU} ports)", style=style,
            layout=wide, continuous_update=False)
        self.irqs = widgets.IntSlider(
            value=irqs, min=DOM0_IRQS[0], max=DOM0_IRQS[1],
            description="dom0 physical IRQs + VIRQs", style=style, layout=wide,
            continuous_update=False)
        self.word = widgets.Dropdown(options=[("32-bit dom0", 32), ("64-bit dom0", 64)],
                                     value=word_bits, description="word size",
                                     style=style)
        self.text = widgets.HTML()
        self.figure = widgets.Output()
        for w, cls in ((self.per_guest, "evt-cap-per-guest"), (self.vcpus, "evt-cap-vcpus"),
                       (self.irqs, "evt-cap-irqs"), (self.word, "evt-cap-word"),
                       (self.text, "evt-cap-text"), (self.figure, "evt-cap-figure")):
            w.add_class(cls)
            if w not in (self.text, self.figure):
                w.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.VBox([self.per_guest, self.vcpus, self.irqs, self.word,
                                    self.text, self.figure])
        self.widget.add_class(css_class)
        self.update()

    def settings(self) -> dict:
        return {"word_bits": self.word.value, "per_guest": self.per_guest.value,
                "vcpus": self.vcpus.value, "irqs": self.irqs.value}

    def update(self) -> None:
        s = self.settings()
        self.text.value = f"<pre>{html.escape(calculator_text(**s))}</pre>"
        reserved = dom0_reserved(s["vcpus"], s["irqs"]).reserved
        fig, self.data = plot_guests(s["word_bits"], s["per_guest"], reserved)
        show_figure(self.figure, fig)


class StarvationExplorer(WidgetView):
    """Flood rate, busy ports and seed; shows the summary table and the per-port chart.

    CSS classes: ``evt-starve-rate``, ``evt-starve-busy``, ``evt-starve-seed``,
    ``evt-starve-summary`` (HTML table), ``evt-starve-figure`` (Output).
    """

    def __init__(self, seed: int = SEED, flood_rate: float = 1.0, busy: int = 8,
                 css_class: str = "evt-starve") -> None:
        import ipywidgets as widgets

        style = {"description_width": "150px"}
        wide = widgets.Layout(width="480px")
        self.rate = widgets.SelectionSlider(
            options=[(f"{r:g}", r) for r in FLOOD_RATES], value=flood_rate,
            description="flood rate (per tick)", style=style, layout=wide,
            continuous_update=False)
        self.busy = widgets.SelectionSlider(
            options=list(BUSY_CHOICES), value=busy, description="busy ports",
            style=style, layout=wide, continuous_update=False)
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=9999,
                                           description="seed", style=style)
        self.summary = widgets.HTML()
        self.figure = widgets.Output()
        for w, cls in ((self.rate, "evt-starve-rate"), (self.busy, "evt-starve-busy"),
                       (self.seed, "evt-starve-seed"), (self.summary, "evt-starve-summary"),
                       (self.figure, "evt-starve-figure")):
            w.add_class(cls)
        for w in (self.rate, self.busy, self.seed):
            w.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.VBox([self.rate, self.busy, self.seed, self.summary,
                                    self.figure])
        self.widget.add_class(css_class)
        self.update()

    def update(self) -> None:
        self.study = run_starvation(self.seed.value, self.rate.value, self.busy.value)
        self.summary.value = starvation_html(self.study)
        fig, self.data = plot_port_waits(
            self.study.waits(), title=f"Worst wait of each port: flood "
            f"{self.study.flood_rate:g}/tick, {self.study.busy} busy ports, seed "
            f"{self.study.seed}")
        show_figure(self.figure, fig)


class ReviewExplorer(WidgetView):
    """Seed, number of guests and noisy-guest rate; re-runs the review table.

    Shows the HTML table and, under it, the 72-column text to paste into a
    reply. CSS classes: ``evt-review-seed``, ``evt-review-next`` (button:
    next seed), ``evt-review-guests``, ``evt-review-noisy``,
    ``evt-review-html`` (the table) and ``evt-review-text`` (the text).
    """

    def __init__(self, seed: int = SEED, guests: int = 64, noisy_rate: float = 0.15,
                 css_class: str = "evt-review") -> None:
        import ipywidgets as widgets

        style = {"description_width": "150px"}
        wide = widgets.Layout(width="480px")
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=9999,
                                           description="seed", style=style)
        self.next = widgets.Button(description="next seed")
        self.guests = widgets.IntSlider(value=guests, min=GUESTS[0], max=GUESTS[1],
                                        step=8, description="guests", style=style,
                                        layout=wide, continuous_update=False)
        self.noisy = widgets.SelectionSlider(
            options=[(f"{r:g}", r) for r in NOISY_RATES], value=noisy_rate,
            description="noisy guest (per tick)", style=style, layout=wide,
            continuous_update=False)
        self.table = widgets.HTML()
        self.text = widgets.HTML()
        for w, cls in ((self.seed, "evt-review-seed"), (self.next, "evt-review-next"),
                       (self.guests, "evt-review-guests"), (self.noisy, "evt-review-noisy"),
                       (self.table, "evt-review-html"), (self.text, "evt-review-text")):
            w.add_class(cls)
        for w in (self.seed, self.guests, self.noisy):
            w.observe(lambda _change: self.update(), names="value")
        self.next.on_click(lambda _b: self.next_seed())
        self.widget = widgets.VBox([widgets.HBox([self.seed, self.next]), self.guests,
                                    self.noisy, self.table, self.text])
        self.widget.add_class(css_class)
        self.update()

    def next_seed(self) -> None:
        self.seed.value = self.seed.value + 1 if self.seed.value < self.seed.max else 0

    def update(self) -> None:
        self.review = run_review(self.seed.value, self.guests.value, self.noisy.value)
        self.table.value = review_html(self.review)
        self.text.value = (f"<pre style='font-size:11px'>"
                           f"{html.escape(review_text(self.review))}</pre>")
