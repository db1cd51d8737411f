"""evtlib.studies (starvation, review) and their views: the starvation study (notebook 02) and the design review (notebook 06).

The claims the notebooks assert for their fixed seed are checked here for several seeds.
"""

from __future__ import annotations

import pytest

from evtlib.studies import policies as pol, review as rev, starvation as starv
from evtlib.views import report_html as rhtml, reports, study_widgets as sw
from evtlib.abi.limits import limits
from evtlib.sim.metrics import port_stats
from evtlib.sim import simulate
from evtlib.sim.workloads import DEVICES, Explicit, Guests

SEEDS = (0, 1, 7)


# ---------------------------------------------------------------- policies
def test_policies():
    labels = [p.label for p in pol.POLICIES]
    assert len(set(labels)) == 5 and all(len(label) <= 16 for label in labels)
    assert pol.STARVATION_POLICIES == pol.POLICIES[:3]
    assert {p.scheme for p in pol.STARVATION_POLICIES} == {"2l"}
    assert pol.policy("3l resume").scheme == "3l"
    with pytest.raises(ValueError, match="valid policies are 2l from-zero"):
        pol.policy("4l")
    t = pol.policy("2l resume+timer").run(Explicit([(0, 3)]), ticks=5, seed=0)
    assert (t.config.scheme, t.config.word_bits, t.config.timer_first) == ("2l", 64, True)
    assert pol.policy("fifo timer prio0").run(Explicit([(0, 3)]), ticks=5,
                                             seed=0).config.scheme == "fifo"


# -------------------------------------------------------------- starvation
@pytest.mark.parametrize("busy", starv.BUSY_CHOICES)
def test_busy_pool(busy):
    pool = starv.busy_pool(busy)
    assert len(pool) == len(set(pool)) == 4 * busy
    assert not set(pool) & {starv.TIMER_PORT, starv.FLOOD_PORT, *starv.QUIET_PORTS}
    assert min(pool) >= 64 and max(pool) < 4096


def test_starvation_workload_only_takes_offered_values():
    with pytest.raises(ValueError, match="flood rate 0.3 is not offered: valid values "
                                         "are 0.25, 0.5"):
        starv.starvation_workload(0.3)
    with pytest.raises(ValueError, match="number of busy ports 3 is not offered"):
        starv.starvation_workload(1.0, 3)
    w = starv.starvation_workload(1.0, 8)
    assert w.specs()[starv.TIMER_PORT].timer
    assert w.port_class(starv.FLOOD_PORT) == "flood" and w.port_class(starv.TOP_PORT) == "quiet"


@pytest.mark.parametrize("seed", SEEDS)
def test_from_zero_starves_the_top_port_and_resume_does_not(seed):
    st = starv.run_starvation(seed, flood_rate=1.0, busy=8)
    assert st.labels == tuple(p.label for p in pol.STARVATION_POLICIES)
    assert st.of("top", "2l from-zero") > st.ticks // 2
    assert st.of("top", "2l from-zero") > 10 * max(1, st.of("top", "2l resume"))
    assert st.of("busy_worst", "2l resume") < rev.HORIZON
    # the flood pays for fairness with a few deliveries
    assert st.of("flood", "2l resume") < st.of("flood", "2l from-zero")
    # the timer (port 1, below the flood) is found first by a scan from zero;
    # resume takes that priority away; timer-first gives it back
    assert st.of("timer", "2l from-zero") == 0 < st.of("timer", "2l resume")
    assert st.of("timer", "2l resume+timer") == 0


def test_run_starvation_is_deterministic_and_matches_the_traces():
    a, b = starv.run_starvation(3), starv.run_starvation(3)
    assert a == b
    for label, t in a.traces.items():
        assert port_stats(t)[starv.TOP_PORT].longest_wait == a.of("top", label)
    waits = a.waits()
    assert waits.labels == a.labels and dict(waits.marks)[starv.TIMER_PORT] == "timer"
    assert waits.of("2l from-zero", starv.TOP_PORT) == a.of("top", "2l from-zero")
    with pytest.raises(ValueError, match="seed -1 is out of range"):
        starv.run_starvation(-1)


@pytest.mark.parametrize("seed", SEEDS)
def test_timer_sweep(seed):
    sw = starv.timer_sweep(seed)
    assert sw.x == starv.BUSY_CHOICES
    resume = sw.values("2l resume")
    assert list(resume) == sorted(resume) and resume[-1] > 4 * resume[0]
    assert set(sw.values("2l resume+timer")) == {0}
    # the timer's low port: scanning from zero favours it, however busy the burst
    assert set(sw.values("2l from-zero")) == {0}


@pytest.mark.parametrize("seed", SEEDS)
def test_flood_sweep_is_a_cliff(seed):
    sw = starv.flood_sweep(seed)
    zero = sw.values("2l from-zero")
    assert sw.x[-1] == 1.0
    assert max(zero[:-1]) < 10 and zero[-1] > 1000
    assert max(sw.values("2l resume")) < 10


def test_starvation_text_and_html():
    st = starv.run_starvation()
    text = reports.starvation_text(st)
    assert max(map(len, text.splitlines())) <= 72
    for label in st.labels:
        assert label in text
    row = next(line for line in text.splitlines() if line.startswith("2l from-zero"))
    assert row.split()[2:] == [str(st.top[0]), str(st.timer[0]), str(st.busy_worst[0]),
                               str(st.flood[0])]
    page = rhtml.starvation_html(st)
    assert "evt-starve-table" in page and f"<td style='text-align:right;padding:2px 8px'>" \
        f"{st.top[0]}</td>" in page


def test_starvation_explorer_re_runs_on_every_control():
    ex = sw.StarvationExplorer()
    assert [v for _, v in ex.rate.options] == list(starv.FLOOD_RATES)
    assert list(ex.busy.options) == list(starv.BUSY_CHOICES)
    assert (ex.seed.min, ex.seed.max) == (0, 9999)
    assert ex.study == starv.run_starvation(pol.SEED, 1.0, 8)
    assert len(ex.figure.outputs) == 1
    ex.busy.value = 16
    assert ex.study == starv.run_starvation(pol.SEED, 1.0, 16)
    assert ex.summary.value == rhtml.starvation_html(ex.study)
    ex.rate.value = 0.5
    ex.seed.value = 5
    assert ex.study == starv.run_starvation(5, 0.5, 16)
    assert len(ex.figure.outputs) == 1 and "image/png" in ex.figure.outputs[0]["data"]


# ----------------------------------------------------------- design review
def test_review_workload():
    w = rev.review_workload(64, 0.15)
    g = Guests(64, first_port=8)
    assert rev.NOISY_PORT == g.port(0, "vif")
    assert w.port_class(rev.NOISY_PORT) == "noisy" and w.port_class(rev.LATE_PORT) == "late"
    assert w.port_class(g.port(63, "vbd")) == "vbd"
    assert w.specs()[rev.TIMER].timer
    with pytest.raises(ValueError, match="number of guests 81 is out of range: valid "
                                         "values are 8..80"):
        rev.review_workload(81)
    with pytest.raises(ValueError, match="noisy-guest rate 0.4 is not offered"):
        rev.review_workload(64, 0.4)


def test_speed_fairness():
    # port 5 is served at once, port 6 one tick later: speeds 1 and 1/2
    t = simulate("2l", Explicit([(0, 5), (0, 6)], cls="vif"), ticks=10, seed=0)
    assert rev.speed_fairness(t) == pytest.approx(1.5 ** 2 / (2 * 1.25))
    assert rev.speed_fairness(t, classes=("vbd",)) is None
    same = simulate("2l", Explicit([(0, 5), (3, 6)], cls="vif"), ticks=10, seed=0)
    assert rev.speed_fairness(same) == 1.0


def reviews():
    return [rev.run_review(seed) for seed in SEEDS]


@pytest.fixture(scope="module")
def some_reviews():
    return reviews()


def test_review_rows_come_from_metrics_and_limits(some_reviews):
    r = some_reviews[0]
    assert r.labels == tuple(p.label for p in pol.POLICIES)
    lim = {(x.scheme, x.word_bits): x for x in limits()}
    for row in r.rows:
        st = port_stats(r.traces[row.label])
        assert row.timer_max == st[rev.TIMER].longest_wait
        assert row.late_max == st[rev.LATE_PORT].longest_wait
        # memory for the ports bound (highest 1000), not at the limit
        assert row.highest == rev.LATE_PORT == 1000
        assert row.shared_bytes == {"2l": 0, "3l": lim["3l", 64].shared_bytes,
                                    "fifo": 4096}[row.scheme]
        assert row.per_vcpu_bytes == lim[row.scheme, 64].per_vcpu_used_bytes
    assert r.row("fifo timer prio0").per_vcpu_bytes == 4096   # a page per CPU
    assert r == rev.run_review(SEEDS[0])
    assert r.column("scheme") == {p.label: p.scheme for p in pol.POLICIES}
    with pytest.raises(ValueError, match="no row"):
        r.row("nope")


def test_the_review_claims_hold_for_several_seeds(some_reviews):
    for r in some_reviews:
        zero, resume, _first, three, fifo = (r.row(p.label) for p in pol.POLICIES)
        assert fifo.timer_max == 0
        for k in ("p50", "p99", "max", "timer_max", "late_max", "starved", "fairness"):
            assert getattr(three, k) == getattr(resume, k), k
        assert three.atomics_per_event > resume.atomics_per_event
        assert fifo.rw_per_event == min(r.column("rw_per_event").values())
        assert fifo.atomics_per_event == max(r.column("atomics_per_event").values())
        assert fifo.xen_rw_per_raise > resume.xen_rw_per_raise
        assert zero.fairness == min(r.column("fairness").values())
        assert zero.max > resume.max and fifo.max == min(r.column("max").values())


def test_review_text_fits_72_columns(some_reviews):
    r = some_reviews[0]
    text = reports.review_text(r)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 72 and len(reports.REVIEW_HEAD) == 72
    assert f"seed {r.seed}" in text and "0.15/tick" in text
    for row in r.rows:
        line = next(x for x in lines if x.startswith(row.label))
        assert line.split()[-8:-6] == [str(row.timer_max), str(row.late_max)]
    findings = reports.review_findings(r)
    assert max(map(len, findings.splitlines())) <= 72
    fifo = r.row("fifo timer prio0")
    assert f"FIFO\n(priority 0) {fifo.timer_max} ticks" in findings or \
        f"FIFO (priority 0) {fifo.timer_max} ticks" in findings


def test_review_html_marks_the_best_value(some_reviews):
    r = some_reviews[0]
    page = rhtml.review_html(r)
    assert page.count("<tr>") == 1 + len(r.rows) and "evt-review-table" in page
    assert "<b>0</b>" in page          # FIFO's timer
    assert "<b>0 B</b>" in page        # 2-level memory: inside shared_info


def test_review_bars(some_reviews):
    r = some_reviews[0]
    bars = rev.review_bars(r)
    assert bars.groups == r.labels
    assert bars.values("timer's worst") == tuple(r.column("timer_max").values())


def test_noise_sweep_from_zero_falls_off_a_cliff():
    sw = rev.noise_sweep(0, guests=64, rates=(0.05, 0.9))
    assert sw.values("2l from-zero")[-1] > 10 * max(sw.values("2l resume"))
    for label in sw.labels[1:]:
        assert max(sw.values(label)) < rev.HORIZON


def test_review_explorer():
    ex = sw.ReviewExplorer()
    assert (ex.guests.min, ex.guests.max, ex.guests.step) == (8, 80, 8)
    assert [v for _, v in ex.noisy.options] == list(rev.NOISY_RATES)
    first = ex.table.value
    assert first == rhtml.review_html(rev.run_review(pol.SEED, 64, 0.15))
    ex.next.click()
    assert ex.seed.value == pol.SEED + 1 and ex.table.value != first
    assert "seed 2014" in ex.text.value
    ex.guests.value = 16
    ex.noisy.value = 0.9
    assert ex.review == rev.run_review(pol.SEED + 1, 16, 0.9)
    ex.seed.value = ex.seed.max
    ex.next_seed()
    assert ex.seed.value == 0


def test_device_classes_are_the_workload_devices():
    assert set(DEVICES) == {"xenstore", "console", "vif", "vbd"}


# ------------------------------------------------- notebook 02/06 helpers
@pytest.mark.parametrize("seed", range(10))
def test_resume_serves_the_top_port_at_once_for_any_seed(seed):
    """Notebook 02's claims: top port served at once, no resume-row wait past HORIZON."""
    st = starv.run_starvation(seed, flood_rate=1.0, busy=8)
    assert st.of("top", "2l resume") <= 1
    for label in ("2l resume", "2l resume+timer"):
        assert max(st.of(w, label) for w in ("top", "timer", "busy_worst")) <= rev.HORIZON


def test_wrap_and_policies_text_fit_72_columns():
    w = starv.starvation_workload(1.0, 8).describe()
    assert len(w) > 72
    text = reports.wrap("workload: " + w)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 72 and len(lines) > 1
    assert all(line.startswith("  ") for line in lines[1:])
    assert " ".join(x.strip() for x in lines) == "workload: " + w
    listed = reports.policies_text(pol.POLICIES)
    assert max(map(len, listed.splitlines())) <= 72
    for p in pol.POLICIES:
        assert any(line.startswith(p.label + " ") for line in listed.splitlines())
    assert "≈3.0–3.8" in reports.policies_text(pol.STARVATION_POLICIES)
    assert "3.0-3.8" not in listed


def test_check_findings_passes_on_the_notebook_run_and_names_a_broken_claim():
    import dataclasses

    review = rev.run_review(pol.SEED, guests=64, noisy_rate=0.15)
    assert rev.check_findings(review) is None
    # timer-first no better than resume: the strict claim fails, with its name
    res = review.row("2l resume")
    rows = tuple(dataclasses.replace(r, timer_max=res.timer_max)
                 if r.label == "2l resume+timer" else r for r in review.rows)
    with pytest.raises(AssertionError, match="timer-first shortens"):
        rev.check_findings(dataclasses.replace(review, rows=rows))
    rows = tuple(dataclasses.replace(r, p99=0) if r.label == "fifo timer prio0" else r
                 for r in review.rows)
    with pytest.raises(AssertionError, match=r"seed 2013.*lowest p99"):
        rev.check_findings(dataclasses.replace(review, rows=rows))


def test_fifo_memory_is_the_pages_present():
    """The review's FIFO memory comes from an on-demand model that bound the
    workload's ports; it agrees with bound_memory's arithmetic: ports up to
    1500 need 1500 // 1024 + 1 = 2 pages, 8 KiB."""
    from evtlib.abi.limits import bound_memory
    from evtlib.studies.review import pages_for
    assert pages_for([1, 700, 1500]) == bound_memory("fifo", 64, 1500).bytes == 8192
