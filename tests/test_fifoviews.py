"""Tests of evtlib.views.fifo: decoded words, queue views, scripts, renderings, widgets.

Figures are tested by the data they drew: the bit labels and values of the event word,
the queue drawing's boxes, arrows and pointers against the model's own links, HEAD and
tails.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evtlib
from evtlib.views import fifo as fv
from evtlib.abi.fifo import LINK_MASK, QUEUES

EV_P, EV_M, EV_L, EV_B = 1 << 31, 1 << 30, 1 << 29, 1 << 28


# --------------------------------------------------------------------------- event word


def test_word_fields_are_the_abi_layout():
    spans = {f.name: (f.hi, f.lo) for f in fv.WORD_FIELDS}
    assert spans == {"P": (31, 31), "M": (30, 30), "L": (29, 29), "B": (28, 28),
                     "-": (27, 17), "LINK": (16, 0)}
    covered = sorted(b for f in fv.WORD_FIELDS for b in range(f.lo, f.hi + 1))
    assert covered == list(range(32))
    assert fv.field_of(31).name == "P" and fv.field_of(0).name == "LINK"
    assert fv.field_of(17).name == "-"


def test_word_bits_and_decode():
    word = EV_P | EV_L | 3
    bits = fv.word_bits(word)
    assert [b for b, _, _ in bits] == list(range(31, -1, -1))
    assert {b for b, v, _ in bits if v} == {31, 29, 1, 0}
    assert fv.decode_word(word) == {"P": 1, "M": 0, "L": 1, "B": 0, "LINK": 3}
    assert fv.decode_word(EV_M | EV_B | LINK_MASK)["LINK"] == LINK_MASK


@pytest.mark.parametrize("bad", [-1, 1 << 32])
def test_word_out_of_range(bad):
    with pytest.raises(ValueError, match="event word"):
        fv.word_bits(bad)
    with pytest.raises(ValueError, match=r"0\.\.4294967295"):
        fv.event_word_html(bad)


def test_plot_event_word_data_matches_bits():
    s = evtlib.Fifo()
    for p in (70, 3):
        s.set_pending(p)
    word = s.event_word(70)
    fig, d = fv.plot_event_word(word, port=70)
    assert d.word == word == EV_P | EV_L | 3
    assert [b for b, _, _ in d.cells] == list(range(31, -1, -1))
    assert [v for _, v, _ in d.cells] == [word >> b & 1 for b in range(31, -1, -1)]
    # cells left to right, bit 31 first
    assert [x for _, _, x in d.cells] == sorted(x for _, _, x in d.cells)
    labels = {name: (hi, lo) for name, hi, lo in d.labels}
    assert labels["P"] == (31, 31) and labels["M"] == (30, 30)
    assert labels["L"] == (29, 29) and labels["B"] == (28, 28)
    assert labels["LINK"] == (16, 0)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"P", "M", "L", "B", "LINK", "unused"} <= texts


def test_event_word_html_has_32_bits_and_fields():
    out = fv.event_word_html(EV_P | EV_M | 5, port=9)
    assert out.count("<td") == 32 + 32 + len(fv.WORD_FIELDS)
    assert "colspan='17'" in out and "LINK 16..0" in out
    assert "port 9: 0xc0000005 = P=1 M=1 L=0 B=0 LINK=5" in out


# --------------------------------------------------------------------------- queues


def _model_links(s, v, q):
    chain = s.queue(v, q)
    return [(a, s.event_word(a) & LINK_MASK) for a in chain[:-1]]


def test_queue_view_matches_model():
    s = evtlib.Fifo()
    s.set_priority(9, 0)
    for p in (70, 3, 10, 9):
        s.set_pending(p)
    qv = fv.queue_view(s, 0, 7)
    assert qv.ports == tuple(s.queue(0, 7)) == (70, 3, 10)
    assert list(qv.links) == _model_links(s, 0, 7) == [(70, 3), (3, 10)]
    assert (qv.head, qv.tail, qv.linux_next) == (s.head(0, 7), s.tail(0, 7), 0)
    assert qv.ready and qv.head_live and qv.tail_live
    assert [v.priority for v in fv.queue_views(s)] == [0, 7]
    assert len(fv.queue_views(s, everything=True)) == QUEUES
    assert fv.queue_text(s) == "q0 9 | q7 70->3->10"


def test_queue_view_after_consumption_shows_stale_head():
    s = evtlib.Fifo()
    s.set_pending(5)
    s.upcall()
    qv = fv.queue_view(s, 0, 7)
    assert qv.ports == () and qv.head == 5 == s.head(0, 7) and qv.tail == 5
    assert not qv.head_live and not qv.tail_live and qv.shown
    assert fv.queue_text(s) == "-"
    assert "HEAD (stale)" in fv.queues_html(s) and "tail (consumed)" in fv.queues_html(s)


def test_queue_view_validation():
    s = evtlib.Fifo()
    with pytest.raises(ValueError, match="priority"):
        fv.queue_view(s, 0, 16)
    with pytest.raises(ValueError, match="vCPU"):
        fv.queue_view(s, 1, 0)
    with pytest.raises(TypeError, match="Fifo model"):
        fv.queue_views(object())
    with pytest.raises(ValueError, match="FIFO snapshot"):
        fv.queue_views(evtlib.TwoLevel().snapshot())


def test_plot_queues_arrows_equal_model_links():
    run = fv.run_script(fv.PRESETS["priority preemption"][:-1])  # everything but the upcall
    s = run.model
    fig, d = fv.plot_queues(s, title="before the upcall")
    want = {(q, a, b) for q in range(QUEUES) for a, b in _model_links(s, 0, q)}
    assert set(d.arrows) == want and len(d.arrows) == len(want)
    assert d.arrows  # the scenario has an append (5 -> 6)
    # every linked event drawn once, as a solid box, on its queue
    solid = {(q, p) for q, p, _, _, ghost in d.boxes if not ghost}
    assert solid == {(q, p) for q in range(QUEUES) for p in s.queue(0, q)}
    pointers = set(d.pointers)
    for q in range(QUEUES):
        if s.head(0, q):
            assert (q, "HEAD", s.head(0, q)) in pointers
        if s.tail(0, q):
            assert (q, "tail", s.tail(0, q)) in pointers
    assert set(d.ready) == {q for q in range(QUEUES) if s.ready(0) >> q & 1} == {7, 12}
    # arrows go left to right between boxes of the same row
    xs = {(q, p): (x, y) for q, p, x, y, _ in d.boxes}
    for q, a, b in d.arrows:
        assert xs[(q, a)][0] < xs[(q, b)][0] and xs[(q, a)][1] == xs[(q, b)][1]


def test_plot_queues_ghosts_and_empty():
    s = evtlib.Fifo()
    fig, d = fv.plot_queues(s)
    assert d.queues == () and d.boxes == () and d.arrows == ()
    s.set_pending(5)
    s.upcall()
    fig, d = fv.plot_queues(s)
    assert d.boxes == ((7, 5, 0.0, 0.0, True),)
    assert set(d.pointers) == {(7, "HEAD", 5), (7, "tail", 5)}


# --------------------------------------------------------------------------- scripts


def test_check_action_and_ranges():
    assert fv.check_action(["raise", 5]) == ("raise", 5)
    assert fv.check_action(("on", 5, "priority", 9, 0)) == ("on", 5, "priority", 9, 0)
    assert fv.check_action(("raise", 131071)) == ("raise", 131071)
    with pytest.raises(ValueError, match=r"valid values are 1\.\.131071"):
        fv.check_action(("raise", 0))
    with pytest.raises(ValueError, match=r"131072.*1\.\.131071"):
        fv.check_action(("mask", 131072))
    with pytest.raises(ValueError, match=r"priority 16 .*0\.\.15"):
        fv.check_action(("priority", 5, 16))
    with pytest.raises(TypeError, match="port"):
        fv.check_action(("raise", True))
    with pytest.raises(ValueError, match="unknown action 'kick'"):
        fv.check_action(("kick", 5))
    with pytest.raises(ValueError, match="unknown action 'upcall'"):
        fv.check_action(("on", 5, "upcall"))
    with pytest.raises(ValueError, match="takes 1 argument"):
        fv.check_action(("raise", 5, 6))
    with pytest.raises(TypeError):
        fv.check_action("raise 5")
    with pytest.raises(ValueError, match="action 2"):
        fv.check_script([("raise", 5), ("raise", 0)])


def test_parse_and_format_round_trip():
    text = "priority 9 0\nraise 5 ; raise 3  # two raises\n\non 5 raise 9\nUPCALL\n"
    script = fv.parse_script(text)
    assert script == [("priority", 9, 0), ("raise", 5), ("raise", 3),
                      ("on", 5, "raise", 9), ("upcall",)]
    assert fv.parse_script(fv.format_script(script)) == script
    for preset in fv.PRESETS.values():
        assert tuple(fv.parse_script(fv.format_script(preset))) == preset
    with pytest.raises(ValueError, match=r"line 2 \('raise 0'\).*1\.\.131071"):
        fv.parse_script("raise 5\nraise 0")
    with pytest.raises(ValueError, match="line 1.*valid actions"):
        fv.parse_script("raise five")


EXPECTED_UPCALLS = {
    "FIFO order": ((5, 3, 7),),
    "priority preemption": ((5, 9, 6, 4),),
    "old tail re-raised": ((5, 5),),
    "new HEAD after consumption": ((5,), (3, 7)),
    "masked event": ((), (5,)),
    "masked while linked": ((3,), (5,)),
    "cleared while linked": ((3,),),
    "priority change": ((6, 5), (5, 6)),
}


@pytest.mark.parametrize("name", list(fv.PRESETS))
def test_presets_deliver_as_the_spec_says(name):
    run = fv.run_script(fv.PRESETS[name])
    assert run.upcalls == EXPECTED_UPCALLS[name]
    assert run.delivered == tuple(p for u in EXPECTED_UPCALLS[name] for p in u)
    assert run.frames[-1].delivered == run.delivered
    assert [f.index for f in run.frames] == list(range(len(run.frames)))
    assert all(f.why for f in run.frames)


def _manual(script):
    """Run ``script`` by hand on a recorded model: the steps fifo_frames should show."""
    s = evtlib.Fifo()
    s.record()
    rules = {}

    def handler(port):
        for rule in rules.pop(port, []):
            fv._apply(s, rule)

    for action in script:
        if action[0] == "on":
            rules.setdefault(action[1], []).append(action[2:])
        else:
            fv._apply(s, action, handler)
    return s


@pytest.mark.parametrize("name", list(fv.PRESETS))
def test_frames_are_the_model_steps(name):
    script = fv.PRESETS[name]
    frames = fv.fifo_frames(script)
    s = _manual(script)
    model = [f for f in frames if f.step is not None]
    assert [(f.op, f.port, f.why) for f in model] == [(st.op, st.port, st.why) for st in s.steps]
    # a frame shows its step's state, or (last step of an action, before the
    # "return" frame of an upcall) what the action left
    same = [f.state == st.state for f, st in zip(model, s.steps)]
    for f, ok in zip(model, same):
        nxt = frames[f.index + 1] if f.index + 1 < len(frames) else None
        assert (ok or nxt is None or nxt.action != f.action or nxt.line != f.line
                or nxt.op == "return")
    assert frames[-1].state == s.snapshot()
    assert frames[0].op == "start" and frames[0].line == 0
    assert all(f.op in ("nothing", "return") for f in frames[1:] if f.step is None)
    # one "return" frame per upcall that Xen entered, right after its last step
    entered = [f.line for f in frames if f.op == "upcall"]
    assert [f.line for f in fv.ops(frames, "return")] == entered
    for f in fv.ops(frames, "return"):
        before = frames[f.index - 1]
        assert f.action == ("upcall",) and f.local_ready is None
        assert max(g.index for g in frames if g.line == f.line) == f.index
        assert (f.state, f.delivered, f.cursors) == (before.state, before.delivered,
                                                     before.cursors)
        assert "so the upcall returns" in f.why


def test_frame_lines_and_handler_actions():
    run = fv.run_script(fv.PRESETS["priority preemption"])
    raise9 = fv.ops(run.frames, "raise", port=9)
    assert len(raise9) == 1 and raise9[0].action == ("on", 5, "raise", 9)
    assert raise9[0].line == 6 and raise9[0].lines == 7
    # the handler's frames (line 6) sit inside the upcall's (line 7)
    upcall = [f.index for f in run.frames_of(7)]
    assert upcall[0] < raise9[0].index < upcall[-1]
    assert run.after(5).op == "tail" and run.after(5).line == 5
    assert run.after(6) == run.after(5)          # an 'on' line changes nothing by itself
    assert run.after(7) == run.frames[-1] and run.after(0) == run.frames[0]
    assert run.after(5).word(5) == EV_P | EV_L | 6 and run.after(5).word(9) == 0
    with pytest.raises(ValueError, match="line"):
        run.after(8)
    assert "handler of port 5: raise 9" in fv.frame_html(raise9[0])


def test_an_upcall_ends_with_a_return_frame():
    run = fv.run_script(fv.PRESETS["masked while linked"])
    first, second = fv.ops(run.frames, "return")
    assert first.why == ("upcall_pending stayed clear during the last pass, so the upcall "
                         "returns; it delivered 3 (still pending: 5)")
    assert second.why.endswith("it delivered 5") and second is run.frames[-1]
    assert run.after(4) is first and run.ops_of(4)[-1] == "return"
    # Xen did not enter the handler: no return frame, the no-upcall frame says so
    masked = fv.run_script(fv.PRESETS["masked event"])
    assert masked.ops_of(3) == ["no-upcall"]
    assert "return" in fv.frames_table_html(run.frames)
    assert "upcall returns" in fv.trace_text(run.frames)


def test_frames_carry_linux_local_ready_copy():
    run = fv.run_script(fv.PRESETS["priority preemption"])
    for f in run.frames:
        assert f.local_ready == (f.step.local if f.step is not None else None)
    take = fv.ops(run.frames, "ready")
    taken = [f for f in take if f.step.where == (0,)][0]
    # the xchg: the shared word is now 0, the local copy holds what was taken
    assert taken.state.vcpu(0)["ready"] == 0 and taken.local_ready == 1 << 7 | 1 << 12
    # inside port 5's handler, after raise 9: Xen set READY bit 0 in the shared
    # word, Linux still works from its copy (queues 7 and 12)
    f = fv.ops(run.frames, "upcall-flag")[-1]
    assert f.state.vcpu(0)["ready"] == 1 and f.local_ready == 1 << 7 | 1 << 12
    qs = {qv.priority: qv for qv in fv.queue_views(f)}
    assert (qs[0].ready, qs[0].local_ready) == (True, False)
    assert (qs[7].ready, qs[7].local_ready) == (False, True)
    assert (qs[12].ready, qs[12].local_ready) == (False, True)
    html = fv.queues_html(f)
    assert "READY=0x0001" in html and "Linux&#x27;s local copy: READY=0x1080" in html
    assert html.count(">local</span>") == 2 and html.count(">local=0</span>") == 1
    _fig, drawing = fv.plot_queues(f)
    assert drawing.local_ready == (7, 12) and drawing.ready == (0,)
    assert "READY=0x0001" in drawing.words and "local copy: READY=0x1080" in drawing.words
    # outside a scan there is no local copy to show
    quiet = run.after(5)
    assert quiet.local_ready is None
    assert all(qv.local_ready is None for qv in fv.queue_views(quiet))
    assert "local" not in fv.queues_html(quiet)
    _fig, drawing = fv.plot_queues(quiet)
    assert drawing.local_ready == () and "local" not in drawing.words
    assert fv.queue_view(run.model, 0, 7).local_ready is None


def test_noop_actions_get_a_frame():
    run = fv.run_script([("upcall",), ("unmask", 5)])
    assert [f.op for f in run.frames] == ["start", "no-upcall", "unmask"]
    assert "does not enter" in run.frames[1].why
    assert "not masked" in run.frames[2].why
    assert run.upcalls == ((),)


def test_old_tail_rule_frames():
    run = fv.run_script(fv.PRESETS["old tail re-raised"])
    (old,) = fv.ops(run.frames, "old-tail")
    assert old.port == 5 and old.action == ("on", 5, "raise", 5)
    heads = fv.ops(run.frames, "head", port=5)
    assert len(heads) == 2 and heads[1].index > old.index
    assert len([f for f in fv.ops(run.frames, "ready") if f.step.where == (0, 7)]) == 2


def test_ready_only_for_a_new_head():
    run = fv.run_script(fv.PRESETS["FIFO order"])
    raises = run.frames_of(1) + run.frames_of(2) + run.frames_of(3)
    assert [f.op for f in raises if f.op in ("head", "ready", "upcall-flag", "link")] == [
        "head", "ready", "upcall-flag", "link", "link"]


def test_cursor_keeps_the_rest_of_the_queue_during_a_handler():
    run = fv.run_script(fv.PRESETS["priority preemption"])
    deliver5 = fv.ops(run.frames, "deliver", port=5)[0]
    # Linux has not stored next=6 yet: from the snapshot alone the view finds
    # the queue's rest as the linked event nothing links to
    assert fv.queue_view(deliver5.state, 0, 7).ports == (6,)
    assert fv.queue_view(deliver5.state, 0, 7).linux_next == 0
    assert fv.queue_view(deliver5, 0, 7).ports == (6,)
    assert fv.queue_view(deliver5, 0, 7).linux_next == 6
    assert fv.queue_text(deliver5) == "q7 6 | q12 4"


ports_st = st.integers(1, 6)
action_st = st.one_of(
    st.tuples(st.sampled_from(["raise", "mask", "unmask", "clear"]), ports_st),
    st.tuples(st.just("priority"), ports_st, st.sampled_from([0, 7, 12])),
    st.just(("upcall",)),
    st.tuples(st.just("on"), ports_st, st.sampled_from(["raise", "mask", "unmask"]), ports_st),
    st.tuples(st.just("on"), ports_st, st.just("priority"), ports_st, st.sampled_from([0, 12])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action_st, max_size=14))
def test_random_scripts_views_agree_with_model(script):
    run = fv.run_script(script)
    s = run.model
    for q in range(QUEUES):
        qv = fv.queue_view(s, 0, q)
        assert qv.ports == tuple(s.queue(0, q))
        assert (qv.head, qv.tail, qv.linux_next) == (s.head(0, q), s.tail(0, q),
                                                       s.linux_head(0, q))
        assert list(qv.links) == _model_links(s, 0, q)
        assert fv.queue_view(run.frames[-1], 0, q) == qv
    for i, f in enumerate(run.frames):
        # every drawn event is linked, drawn once; between actions and while a
        # handler runs, every linked event is drawn (Xen sets L before it
        # writes LINK or HEAD, so a raise's middle steps may miss one)
        drawn = [p for qv in fv.queue_views(f) for p in qv.ports]
        linked = sorted(p for p, w in f.state.words if w & EV_L)
        assert len(drawn) == len(set(drawn)) and set(drawn) <= set(linked)
        last = i + 1 == len(run.frames) or run.frames[i + 1].line != f.line
        if last or f.op == "deliver":
            assert sorted(drawn) == linked
        for qv in fv.queue_views(f):
            words = dict(f.state.words)
            for a, b in qv.links:
                assert words[a] & LINK_MASK == b
    assert run.frames[-1].state == s.snapshot()


# --------------------------------------------------------------------------- renderings


def test_html_is_escaped():
    run = fv.run_script(fv.PRESETS["FIFO order"])
    evil = fv.Frame(1, "<b>", 5, "why <script>alert(1)</script> & more", run.frames[3].state,
                    ("raise", 5), 1, (5,), None, 1)
    out = fv.frame_html(evil)
    assert "<script>" not in out
    table = fv.frames_table_html([evil])
    assert "<script>" not in table and html.escape("<script>") in table
    assert "&lt;b&gt;" in table


def test_frame_html_shows_queue_and_words():
    run = fv.run_script(fv.PRESETS["FIFO order"])
    f = run.after(3)  # after the three raises
    out = fv.frame_html(f)
    assert "line 3 of 4: raise 7" in out
    assert out.index(">5<") < out.index(">3<") < out.index(">7<")
    assert "READY" in out and "HEAD" in out and "tail" in out
    assert "evt-fifo-queues" in out and "evt-fifo-words" in out
    assert len(out) < 8000
    assert "before the script" in fv.frame_html(run.frames[0])
    assert "every event word is 0" in fv.frame_html(run.frames[0])
    assert "all 16 queues empty" in fv.frame_html(run.frames[0])


def test_words_html_limits_rows():
    s = evtlib.Fifo()
    for p in range(1, 21):
        s.set_pending(p)
    out = fv.words_html(s, max_rows=16)
    assert out.count("<tr") == 1 + 16 + 1 and "... 4 more" in out


def test_tables():
    out = fv.presets_table_html()
    for name in fv.PRESETS:
        assert html.escape(name) in out
    assert "5 9 6 4" in out and "(none); 5" in out
    frames = fv.fifo_frames(fv.PRESETS["FIFO order"])
    table = fv.frames_table_html(frames)
    assert table.count("<tr>") == len(frames) + 1
    assert "q7 5-&gt;3-&gt;7" in table


@pytest.mark.parametrize("name", list(fv.PRESETS))
def test_trace_text_fits_72_columns(name):
    frames = fv.fifo_frames(fv.PRESETS[name])
    text = fv.trace_text(frames)
    assert max(len(line) for line in text.splitlines()) <= 72
    assert len(re.findall(r"^ *\d+ ", text, re.M)) == len(frames)
    assert "HEAD[7] =\n" not in text  # "HEAD[7] = 5" is kept on one line


def test_dump_fits_72_columns_after_each_preset():
    for script in fv.PRESETS.values():
        s = fv.run_script(script).model
        assert max(len(line) for line in s.dump().splitlines()) <= 72


# --------------------------------------------------------------------------- widgets


def test_fifo_stepper_steps_through_frames():
    frames = fv.fifo_frames(fv.PRESETS["FIFO order"])
    stp = fv.fifo_stepper(frames, css_class="evt-fifo-walk")
    assert "evt-fifo-walk" in stp.widget._dom_classes
    assert f"Step 0 of {len(frames) - 1}" in stp.why.value
    first = stp.view.value
    stp.forward()
    assert f"Step 1 of {len(frames) - 1}" in stp.why.value
    assert html.escape(frames[1].why) in stp.why.value
    assert stp.view.value != first and "line 1 of 4: raise 5" in stp.view.value
    stp.go(len(frames) - 1)
    assert "delivered so far: 5 3 7" in stp.view.value
    stp.reset()
    assert stp.index == 0 and stp.view.value == first


def test_explorer_presets_and_editing():
    ex = fv.FifoExplorer()
    assert ex.preset.value == "FIFO order" and ex.script == fv.PRESETS["FIFO order"]
    n = len(ex.stepper.frames) - 1
    assert f"Step 0 of {n}" in ex.stepper.why.value
    assert ex.stepper_box.children == (ex.stepper.widget,)
    # bounded controls: only valid values
    assert (ex.port.min, ex.port.max) == (1, 131071)
    assert (ex.target.min, ex.target.max) == (1, 131071)
    assert (ex.prio.min, ex.prio.max) == (0, 15)

    first = ex.stepper
    ex.choose("priority preemption")
    assert ex.script == fv.PRESETS["priority preemption"]
    assert ex.stepper is not first and ex.stepper_box.children == (ex.stepper.widget,)
    assert "Step 0 of" in ex.stepper.why.value
    ex.stepper.forward()
    ex.choose("FIFO order")
    assert ex.stepper is first and ex.stepper.index == 0  # cached, and reset

    ex.op.value = "priority"
    assert not ex.prio.disabled and ex.target.disabled
    ex.port.value, ex.prio.value = 7, 0
    ex.add_button.click()
    assert ex.script[-1] == ("priority", 7, 0) and ex.preset.value == ex.CUSTOM
    assert "evt-fifo-script" in ex.script_view._dom_classes
    assert "priority 7 0" in ex.script_view.value
    ex.op.value = "on ... raise"
    ex.port.value, ex.target.value = 5, 7
    ex.add_button.click()
    ex.op.value = "upcall"
    assert ex.port.disabled
    ex.add_button.click()
    assert ex.script[-2:] == (("on", 5, "raise", 7), ("upcall",))
    run = fv.run_script(ex.script)
    assert len(ex.stepper.frames) == len(run.frames)
    ex.undo_button.click()
    assert ex.script[-1] == ("on", 5, "raise", 7)
    ex.clear_button.click()
    assert ex.script == () and len(ex.stepper.frames) == 1
    ex.choose("masked event")
    assert ex.script == fv.PRESETS["masked event"]


def test_explorer_script_is_bounded():
    ex = fv.FifoExplorer(max_script=3)
    ex.set_script(())
    for _ in range(4):
        ex.add(("raise", 5))
    assert len(ex.script) == 3 and "full" in ex.message.value
    with pytest.raises(ValueError, match="unknown preset"):
        ex.choose("nope")
    with pytest.raises(ValueError, match="unknown preset"):
        fv.FifoExplorer(preset="nope")
    with pytest.raises(ValueError, match="port"):
        ex.add(("raise", 0))
