"""Views of the race explorer: frames, queues, bits, swim lanes, HTML, stepper, text.

Figures are checked by the data they drew (the ``SwimLanes`` record), not by
pixels. The counterexamples come from the explorer; their shapes are pinned
in tests/test_races_scenarios.py, so the expectations here are read off the
swim-lane text of ``python -m evtlib races SCENARIO --code CODE -c``.
"""

from __future__ import annotations

from functools import cache

import matplotlib
import pytest

from evtlib import races
from evtlib.views import races as rv
from evtlib.views.widgets import Stepper

matplotlib.use("Agg")


@cache
def res(name: str, code: str):
    return races.explore(name, code)


# ------------------------------------------------------------------ frames


def test_frames_start_at_the_initial_state_and_follow_the_steps():
    r = res("old-tail-concurrent", "no-e33d4257fc")
    frames = rv.race_frames(r)
    assert len(frames) == len(r.counterexample) + 1 == 19
    assert frames[0].state == races.initial_state("old-tail-concurrent", "no-e33d4257fc")
    assert frames[0].actor == "" and frames[0].index == 0
    for k, (f, s) in enumerate(zip(frames[1:], r.counterexample), 1):
        assert (f.index, f.actor, f.op, f.why, f.state) == (k, s.actor, s.op, s.why, s.state)
        assert f.last == 18
    # the one step that breaks the invariant: the last (the end checks flag it)
    assert [f.index for f in frames if f.breaks] == [18]
    assert frames[18].flags == ("malformed-queue", "lost-event")


def test_changed_words_name_the_ports_a_step_wrote():
    frames = rv.race_frames(res("old-tail-concurrent", "no-e33d4257fc"))
    by_op = {f.op: f.changed for f in frames[1:]}
    assert by_op["tas P1:0"] == (1,) and by_op["tas L2:0"] == (2,)
    assert by_op["cas w1>2 ok"] == (1,) and by_op["cas w2>1 ok"] == (2,)
    assert by_op["lock q7"] == () and by_op["raise 2"] == ()
    assert rv.word_of((1, 1, 0, 1, 0, 2)) == 0xA0000002


def test_a_witness_of_one_kind_and_its_highlight():
    r = res("ready-race", "no-70ccddb14a")
    assert r.kinds == ("malformed-queue", "wrong-queue")
    shortest = rv.race_frames(r)
    wrong = rv.race_frames(r, kind="wrong-queue")
    assert len(shortest) - 1 == 28 and len(wrong) - 1 == 35
    assert [f.index for f in wrong if f.breaks] == [35]
    assert wrong[35].flags == ("wrong-queue",)
    with pytest.raises(ValueError, match="shows no 'lost-event'; it shows: malformed-queue"):
        rv.race_frames(r, kind="lost-event")


def test_frames_need_a_counterexample_or_an_initial_state():
    with pytest.raises(ValueError, match="no counterexample: no violation"):
        rv.race_frames(res("missing-page", "fixed"))
    v = res("missing-page", "no-917c123029").violations[0]
    with pytest.raises(ValueError, match="initial state"):
        rv.race_frames(v)
    start = races.initial_state("missing-page", "no-917c123029")
    assert len(rv.race_frames(v, initial=start)) == 5
    with pytest.raises(TypeError, match="Result, a Violation or a sequence"):
        rv.race_frames([1, 2], initial=start)
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        races.initial_state("nope")


def test_loop_frames_repeat_from_the_cycle_on():
    frames = rv.race_frames(res("link-spin", "no-dae2a1c5f9"))
    assert [f.index for f in frames if f.repeats] == [20, 21, 22, 23]
    assert [f.index for f in frames if f.breaks] == [18]


# ------------------------------------------------------------------ queues


def test_queues_show_a_stale_head_and_a_loop_the_guest_cannot_see():
    frames = rv.race_frames(res("old-tail-concurrent", "no-e33d4257fc"))
    (q,) = rv.queues_of(frames[0].state)
    assert (q.name, q.priority, q.head, q.tail) == ("q7", 7, 1, 1)
    assert (q.chain, q.end, q.end_port, q.live) == ((), "unlinked", 1, False)
    (q,) = rv.queues_of(frames[-1].state)
    # LINK 1 -> 2 -> 1 from the stale HEAD; READY clear, so nothing delivers it
    assert (q.chain, q.end, q.end_port, q.ready, q.live) == ((1, 2), "loop", 1, False, False)
    (q,) = rv.queues_of(frames[16].state)
    assert q.locked_by == "xen-1"


def test_queues_show_two_cross_linked_queues_and_an_orphan():
    r = res("old-tail-moved", "no-e33d4257fc")
    frames = rv.race_frames(r)
    f = next(f for f in frames if f.op == "cas w1>2 ok")     # xen-2 on q7 hits port 1
    qs = {q.name: q for q in rv.queues_of(f.state)}
    assert qs["q3"].chain == qs["q7"].chain == (1, 2)
    assert qs["q3"].shared == qs["q7"].shared == (1, 2)
    assert qs["q3"].ready and not qs["q7"].ready
    assert rv.orphans_of(f.state) == (3,)                    # port 3 fell off q3
    assert "no queue reaches it: port(s) 3" in rv.race_queues_html(f.state)
    with pytest.raises(ValueError, match="needs a FIFO state"):
        rv.queues_of(res("2l-unmask", "unmask-no-recheck").counterexample[0].state)


def test_two_vcpus_queue_names():
    frames = rv.race_frames(res("old-tail-rebound", "no-e33d4257fc"))
    names = {q.name: (q.vcpu, q.priority) for q in rv.queues_of(frames[0].state)}
    assert names == {"v0q7": (0, 7), "v1q7": (1, 7)}


# ------------------------------------------------------------------ bits


def test_bits_of_two_and_three_levels():
    last = res("2l-raise-vs-upcall", "late-upcall-clear").counterexample[-1].state
    b = rv.bits_of(last, ports=3)
    assert (b.levels, b.ports, b.pending, b.mask) == (2, (1, 2, 3), (2, 3), ())
    assert (b.selector, b.l2, b.upcall) == (((1,),), (), (0,))
    start = races.initial_state("3l-raise-vs-upcall")
    b = rv.bits_of(start)
    assert (b.levels, b.ports, b.pending, b.selector, b.l2) == (3, (1,), (1,), ((0,),),
                                                                (((0,), ()),))
    frames = rv.race_frames(res("3l-raise-vs-upcall", "late-upcall-clear"))
    assert rv.max_port(frames) == 7                    # xen-7 is an actor
    with pytest.raises(ValueError, match="needs a 2l or 3l state"):
        rv.bits_of(races.initial_state("missing-page"))


# ------------------------------------------------------------------ swim lanes


def test_swimlanes_draw_each_step_in_its_actors_lane():
    r = res("old-tail-concurrent", "no-e33d4257fc")
    fig, d = rv.plot_swimlanes(r)
    assert fig.axes and d.lanes == ("xen-1", "xen-2")
    assert d.title == ("old-tail-concurrent, code no-e33d4257fc: lost-event, "
                       "malformed-queue (18 steps)")
    assert len(d.steps) == 18
    for k, (box, s) in enumerate(zip(d.steps, r.counterexample), 1):
        assert (box.number, box.actor, box.op, box.xen) == (k, s.actor, s.op, s.xen)
        assert d.lanes[box.lane] == s.actor
    assert [b.y for b in d.steps] == sorted((b.y for b in d.steps), reverse=True)  # downward
    assert [b.lane for b in d.steps[:6]] == [0, 0, 0, 0, 0, 1]
    assert (d.highlight, d.flagged, d.loop_start) == (18, (18,), None)


def test_swimlanes_drain_lane_last_and_guest_code():
    _fig, d = rv.plot_swimlanes(res("old-tail-moved", "no-e33d4257fc"))
    assert d.lanes == ("xen-1", "xen-3", "xen-2", "drain")
    drain = [b for b in d.steps if b.actor == "drain"]
    assert len(drain) == 16 and not any(b.xen for b in drain)
    assert d.highlight == 40 and d.flagged == (40, 45)
    assert d.steps[39].op == "cas w2 >0" and d.steps[39].flags == ("wrong-queue",)


def test_swimlanes_of_a_cycle_and_of_a_chosen_kind():
    _, d = rv.plot_swimlanes(res("link-spin", "no-dae2a1c5f9"))
    assert d.lanes == ("xen-2", "hostile")
    assert (d.highlight, d.loop_start) == (18, 20)
    assert d.steps[17].op == "cas w1 FAIL"
    _, d = rv.plot_swimlanes(res("ready-race", "no-70ccddb14a"), kind="wrong-queue")
    assert d.lanes == ("guest", "xen-2", "prio-1", "xen-1")
    assert (len(d.steps), d.highlight) == (35, 35)
    assert d.title.endswith(": wrong-queue (35 steps)")
    _, d = rv.plot_swimlanes(res("2l-unmask", "unmask-no-recheck").violations[0],
                             title="given")
    assert d.title == "given" and d.highlight == len(d.steps)


def test_swimlanes_refuse_nothing_to_draw():
    with pytest.raises(ValueError, match="no counterexample"):
        rv.plot_swimlanes(res("link-spin", "fixed"))
    with pytest.raises(ValueError, match="no steps"):
        rv.plot_swimlanes(())


# ------------------------------------------------------------------ HTML and stepper


def test_frame_html_lanes_queues_and_changed_words():
    frames = rv.race_frames(res("old-tail-concurrent", "no-e33d4257fc"))
    page = rv.race_frame_html(frames[13], frames)
    assert "evt-race-current' data-step='13'" in page
    assert page.count("evt-race-row") == 18
    assert "data-q='q7'" in page and "evt-fifo-word" in page   # port 1's word, 32 bits
    assert "port 1: 0xa0000002" in page
    last = rv.race_frame_html(frames[-1], frames)
    assert "breaks: malformed-queue, lost-event" in last
    assert "back to 1 (a loop)" in last and "READY clear" in last
    start = rv.race_frame_html(frames[0], frames)
    assert "stale HEAD 1: not LINKED" in start and "evt-race-current" not in start


def test_bits_html_for_bitmaps():
    frames = rv.race_frames(res("2l-raise-vs-upcall", "late-upcall-clear"))
    page = rv.race_frame_html(frames[-1], frames, rv.max_port(frames))
    assert "evt-race-bits" in page and "evt-fifo-word" not in page
    assert "vCPU 0 selector: 1" in page and "vCPU 0 upcall_pending: 0" in page


def test_stepper_walks_the_frames():
    r = res("old-tail-concurrent", "no-e33d4257fc")
    st = rv.race_stepper(r, title="old tail", css_class="evt-race-x")
    assert isinstance(st, Stepper) and len(st.frames) == 19
    assert {"evt-race-stepper", "evt-race-x"} <= set(st.widget._dom_classes)
    assert "Step 0 of 18:" in st.why.value and "initial state" in st.why.value
    st.forward()
    assert "Step 1 of 18:" in st.why.value
    assert "xen-1 (Xen code): Xen raises port 1" in st.why.value
    assert "data-step='1'" in st.view.value and "evt-race-current" in st.view.value
    before = st.view.value
    st.go(18)
    assert st.view.value != before and "[malformed-queue, lost-event]" in st.why_text
    st.reset()
    assert st.index == 0


# ------------------------------------------------------------------ text


def test_problem_and_note_text():
    problem = rv.problem_text("old-tail-concurrent", "no-e33d4257fc")
    assert "Question:" in problem and "Note:" not in problem
    assert "Code no-e33d4257fc" in problem
    assert rv.note_text("old-tail-concurrent").startswith("Note: without e33d4257fc")
    assert rv.note_text("missing-page") == ""


def test_verdicts_text_only_the_pairs_asked():
    pairs = [("missing-page", "no-917c123029"), ("missing-page", "fixed")]
    rows = rv.rows_for(pairs)
    assert [(r.scenario, r.code, r.kinds, r.steps) for r in rows] == [
        ("missing-page", "no-917c123029", ("lost-event",), 4),
        ("missing-page", "fixed", (), None)]
    text = rv.verdicts_text(pairs)
    assert text.splitlines()[2:] == [
        "missing-page        no-917c123029              5  lost-event (4 steps)",
        "missing-page        fixed                     22  no violation"]
    assert all(len(line) <= 72 for line in text.splitlines())
