"""Views of 2-level/3-level state and of one upcall (evtlib.views.bitmap).

Figures are tested by their data: the cell-code arrays must say what the
model's state says, and the highlighted cells must be the step's word/bit.
"""

from __future__ import annotations

import dataclasses
import random
import re

import numpy as np
import pytest

import evtlib
from evtlib.views import bitmap as bv

SEED = 20130327
CANON = dict(pending=(3, 10, 70), masked=(), resume=(0, 8), reraise=(10,))
CANON3 = dict(pending=(3, 10, 70, 4100), masked=(), resume=(0, 0, 8), reraise=(10,))


def random_model(scheme, W, rng, n=40, elsewhere=3):
    s = bv.build_model(scheme, word_bits=W, elsewhere=rng.sample(range(1, 2 * W), elsewhere))
    hi = min(s.max_ports, 8 * W)  # a few words, so that words share bits
    for p in rng.sample(range(1, hi), n):
        s.mask(p)
    for p in rng.sample(range(1, hi), n):
        s.set_pending(p)
    return s


# ------------------------------------------------------------ cell codes
@pytest.mark.parametrize("scheme,W", [("2l", 32), ("2l", 64), ("3l", 32), ("3l", 64)])
def test_cell_codes_say_what_the_state_says(scheme, W):
    rng = random.Random(SEED + W)
    s = random_model(scheme, W, rng)
    rows = sorted({p // W for p in range(1, 8 * W)})
    codes = bv.cell_codes(s.snapshot(), 0, rows)
    assert codes.shape == (len(rows), W)
    for r, w in enumerate(rows):
        for b in range(W):
            port = w * W + b
            if port == 0:
                assert codes[r, b] == bv.RESERVED
                continue
            c = int(codes[r, b])
            assert bool(c & bv.PENDING) == s.is_pending(port)
            assert bool(c & bv.MASKED) == s.is_masked(port)
            assert bool(c & bv.ELSEWHERE) == (s.cpu_of(port) != 0)


def test_cell_codes_full_grid_for_2l_and_from_vcpu_1():
    s = bv.build_model("2l", pending=(3, 70), masked=(70,), word_bits=32, elsewhere=(5,))
    codes = bv.cell_codes(s.snapshot())
    assert codes.shape == (32, 32)
    expected = np.zeros((32, 32), dtype=np.uint8)
    expected[0, 0] = bv.RESERVED
    expected[0, 3] = bv.PENDING
    expected[2, 6] = bv.PENDING | bv.MASKED
    expected[0, 5] = bv.ELSEWHERE
    assert (codes == expected).all()
    # seen from vCPU 1 every port but 5 is someone else's
    one = bv.cell_codes(s.snapshot(), 1, rows=[0])
    assert one[0, 5] == 0 and one[0, 3] == bv.PENDING | bv.ELSEWHERE


@pytest.mark.parametrize("scheme,W", [("2l", 32), ("2l", 64), ("3l", 32), ("3l", 64)])
def test_selector_codes_match_the_selectors(scheme, W):
    rng = random.Random(SEED)
    s = random_model(scheme, W, rng)
    words = range(W ** (s.levels - 1)) if scheme == "2l" else range(2 * W)
    sel = bv.selector_codes(s.snapshot(), 0, list(words))
    for r, w in enumerate(words):
        if scheme == "2l":
            assert sel[r, 0] == (s.selector(0) >> w & 1) * bv.SEL_SHARED
        else:
            hi, lo = divmod(w, W)
            assert sel[r, 0] == (s.selector(0) >> hi & 1) * bv.SEL_SHARED
            assert sel[r, 1] == (s.l2_selector(0)[hi] >> lo & 1) * bv.SEL_SHARED


# -------------------------------------------------------- canonical runs
def test_canonical_two_level_order_and_highlights():
    frames = bv.upcall_frames("2l", **CANON)
    assert frames.delivered == [10, 70, 3, 10]
    assert frames[0].op == "start" and frames[-1].op == "end"
    assert frames[-1].delivered == (10, 70, 3, 10)
    assert "it delivered 10, 70, 3, 10" in frames[-1].why
    for f in frames[1:-1]:
        assert f.why == f.step.why
        view = bv.grid_view(f)
        if f.op == "deliver":
            w, b = f.step.where
            assert (view.rows[view.hot_row], view.hot_bit) == (w, b)
            assert view.hot_port == f.step.port and view.hot_sel
        elif f.op == "word":
            assert view.rows[view.hot_row] == f.step.where[0] and view.hot_bit is None
        elif f.op in ("upcall", "flag-clear", "again", "wrap", "upcall-flag"):
            assert view.hot_row is None
    whys = [f.why for f in frames]
    assert any("back at start word 0 after the wrap" in w for w in whys)


def test_canonical_three_level_order_and_highlights():
    frames = bv.upcall_frames("3l", **CANON3)
    assert frames.delivered == [10, 70, 4100, 3, 10]
    W = 64
    for f in bv.key_frames(frames, ("deliver", "word")):
        view = bv.grid_view(f)
        l1, l2 = f.step.where[:2]
        assert view.rows[view.hot_row] == l1 * W + l2
        if f.op == "deliver":
            assert view.hot_bit == f.step.where[2] and view.hot_port == f.step.port
    # the L1 and L2 columns: both selector levels appear, in the local copy
    v = bv.grid_view(bv.key_frames(frames, ("deliver",))[2])
    row = v.rows.index(4100 // W)
    assert v.sel.shape[1] == 2 and v.sel[row, 0] & bv.SEL_LOCAL and v.sel[row, 1] & bv.SEL_LOCAL


def test_scan_from_zero_contrast():
    resume = bv.upcall_frames("2l", **CANON).delivered
    zero = bv.upcall_frames("2l", **{**CANON, "resume": (0, 8)}, scan="from-zero").delivered
    assert resume == [10, 70, 3, 10]
    assert zero == [3, 10, 10, 70]


def test_snapshot_subtlety_handler_masks_a_later_port():
    """Spec 5 item 8: resume dispatches the masked port (snapshot), from-zero does not."""
    args = dict(pending=(5, 9), resume=(0, 0), masks={5: 9})
    r = bv.upcall_frames("2l", **args)
    z = bv.upcall_frames("2l", **args, scan="from-zero")
    assert r.delivered == [5, 9] and z.delivered == [5]
    assert z.model.is_pending(9) and z.model.is_masked(9)
    assert not r.model.is_pending(9) and r.model.is_masked(9)


def test_frames_keep_rows_and_models():
    frames = bv.upcall_frames("2l", **CANON)
    assert {f.rows for f in frames} == {(0, 1)}
    assert all(bv.grid_view(f).rows == (0, 1) for f in frames)
    assert frames.before.pending_ports() == [3, 10, 70]
    assert frames.model.pending_ports() == []
    assert frames.before.resume_position(0) == (0, 8)


def test_no_upcall_when_nothing_is_pending():
    frames = bv.upcall_frames("2l", pending=(), masked=(5,))
    assert frames.delivered == [] and frames[-1].op == "end"
    assert not bv.key_frames(frames, ("upcall", "deliver"))
    assert "no upcall on vCPU 0, so nothing is delivered" in frames[-1].why


# ------------------------------------------- the local selector copy
SCENARIOS = [
    ("2l", dict(CANON)),
    ("2l", dict(CANON, scan="from-zero")),
    ("2l", dict(pending=(1, 40, 63, 64, 100, 130), resume=(1, 40), reraise=(64, 130))),
    ("2l", dict(pending=(5, 9, 70), resume=(0, 7), masks={5: 9, 70: 5}, reraise=(5,),
                word_bits=32)),
    ("2l", dict(pending=(5, 9, 70), resume=(0, 7), masks={5: 9}, reraise=(5,),
                word_bits=32, scan="from-zero")),
    ("3l", dict(CANON3)),
    ("3l", dict(pending=(3, 4100, 200000, 262143), resume=(48, 53, 1), reraise=(3, 262143))),
    ("3l", dict(pending=(3, 4100, 9000), resume=(1, 0, 0), word_bits=32, scan="from-zero",
                reraise=(4100,))),
]


@pytest.mark.parametrize("scheme,args", SCENARIOS)
def test_frames_show_the_local_copy_the_model_recorded(scheme, args):
    frames = bv.upcall_frames(scheme, **args)
    inside = [f for f in frames[1:-1] if f.step.local is not None]
    assert inside, "a scan ran, so some steps carry the local copy"
    for f in frames[1:-1]:
        expect = None if f.step.local is None else frozenset(f.step.local)
        assert f.local == expect, (f.index, f.op, f.why)
    assert frames[0].local is None and frames[-1].local is None


def test_local_copy_of_the_canonical_resume_scan():
    """W=64, resume (0, 8), ports 3, 10, 70, 10 re-raised by its handler.

    The xchg takes words {0, 1}. Word 0 is the start word: its first visit
    keeps it in the copy, word 1's visit drops word 1, the wrap finds only
    word 0 left; its second visit (from bit 0) delivers 3 and 10."""
    frames = bv.upcall_frames("2l", **CANON)
    by_op = [(f.op, f.port, f.local) for f in frames if f.local is not None]
    take = next(loc for op, _, loc in by_op if op == "selector")
    assert take == {0, 1}
    assert [loc for op, port, loc in by_op if op == "deliver"] == [
        {0, 1}, {0, 1}, {0}, {0}]                      # 10, 70, then 3 and 10
    assert [port for op, port, _ in by_op if op == "deliver"] == [10, 70, 3, 10]
    wrap = next(loc for op, _, loc in by_op if op == "wrap")
    assert wrap == {0}


# -------------------------------------------------------------- HTML
def test_html_is_compact_escaped_and_marks_the_step():
    frames = bv.upcall_frames("2l", **CANON)
    first_deliver = bv.key_frames(frames)[0]
    h = bv.render_html(first_deliver)
    assert len(h) < 20_000
    assert h.count("class='evt-hot'") == 1
    assert "title='port 10: clear'" in h          # the ack has cleared it
    assert "deliver port 10 (word 0, bit 10)" in h
    assert "words 2-63: nothing set" in h
    assert "<style" not in h and "<script" not in h
    view = dataclasses.replace(bv.grid_view(first_deliver), title="<script>x</script>",
                               focus="a & b")
    h = bv.render_html(view)
    assert "<script>" not in h and "&lt;script&gt;" in h and "a &amp; b" in h


def test_html_of_every_frame_and_three_level_labels():
    frames = bv.upcall_frames("3l", **CANON3)
    for f in frames:
        h = bv.render_html(f)
        assert h.startswith("<div class='evt-bitmap'") and h.endswith("</div>")
        assert ("class='evt-hot'" in h) == (f.bit is not None)
    h = bv.render_html(bv.key_frames(frames)[2])
    assert "w64 (1,0)" in h and ">L1<" in h and ">L2<" in h
    assert "deliver port 4100 (word 64 = (l1 1, l2 0), bit 4)" in h


def test_html_of_a_model_and_of_a_snapshot():
    s = bv.build_model("2l", pending=(3,), word_bits=32)
    assert bv.render_html(s) == bv.render_html(s.snapshot())
    assert "pending: 3" in bv.render_html(s)


# -------------------------------------------------------- matplotlib
def test_plot_grid_draws_the_view_data():
    s = bv.build_model("2l", **{k: CANON[k] for k in ("pending", "resume")})
    fig, view = bv.plot_grid(s, rows="all")
    assert view.rows == tuple(range(64)) and view.codes.shape == (64, 64)
    assert (view.codes == bv.cell_codes(s.snapshot())).all()
    assert view.resume_cell == (0, 8)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    img = ax.images[0].get_array()
    assert img.shape == (64, 2 + 64, 3)
    # the picture's pixels carry the codes' colours
    assert tuple(img[1, 2 + 6]) == pytest.approx(bv._rgb(bv.CELL_COLOURS[bv.PENDING]))
    assert tuple(img[0, 0]) == pytest.approx(bv._rgb(bv.SEL_COLOURS[bv.SEL_SHARED]))


def test_plot_walk_panels_are_the_deliveries():
    frames = bv.upcall_frames("2l", **CANON)
    fig, views = bv.plot_walk(frames)
    assert [v.hot_port for v in views] == [None, 10, 70, 3, 10]
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 5
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()]
    assert titles[0] == "step 0: before the upcall"
    assert titles[1].startswith(f"step {bv.key_frames(frames)[0].index}: deliver port 10")


def test_plot_three_level_rows_in_use_only():
    frames = bv.upcall_frames("3l", **CANON3)
    _fig, view = bv.plot_grid(frames[0])
    assert view.rows == (0, 1, 64)
    with pytest.raises(ValueError, match="rows='all' would draw 4096 words"):
        bv.grid_view(frames[0], rows="all")


def _renderer(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _texts(fig):
    """Every text drawn in ``fig``: tick labels, notes, titles, legend entries."""
    from matplotlib.text import Text
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_three_level_selector_heads_are_horizontal_and_fit():
    frames = bv.upcall_frames("3l", **CANON3)
    fig, view = bv.plot_grid(frames[0])
    ax = fig.axes[0]
    heads = [t for t in ax.get_xticklabels() if t.get_text() in ("L1", "L2")]
    assert [t.get_text() for t in heads] == ["L1", "L2"]
    assert all(t.get_rotation() == 0 for t in heads)
    # each selector column is two cells wide: the picture is L1 L1 L2 L2, blank, bits
    img = ax.images[0].get_array()
    assert img.shape == (len(view.rows) + 1, 2 * 2 + 1 + 64, 3)     # +1: the skipped run
    assert tuple(img[0, 0]) == tuple(img[0, 1]) == pytest.approx(
        bv._rgb(bv.SEL_COLOURS[int(view.sel[0, 0])]))
    assert tuple(img[0, 2]) == tuple(img[0, 3]) == pytest.approx(
        bv._rgb(bv.SEL_COLOURS[int(view.sel[0, 1])]))
    assert tuple(img[0, 5 + 3]) == pytest.approx(bv._rgb(bv.CELL_COLOURS[bv.PENDING]))
    # the two heads do not overlap once drawn
    r = _renderer(fig)
    a, b = (t.get_window_extent(r) for t in heads)
    assert a.x1 < b.x0


@pytest.mark.parametrize("scheme,W,kw", [("2l", 64, dict(rows="all", cell=0.075)),
                                         ("2l", 32, dict(rows="all")), ("3l", 64, {})])
def test_grid_labels_are_readable_at_notebook_size(scheme, W, kw):
    """No text under 7 pt (about 10 px at 100 dpi); a cell is never under MIN_CELL,
    so the 64x64 grid grows instead of shrinking its labels to 5 px."""
    s = bv.build_model(scheme, word_bits=W, pending=(3, 10, 70))
    fig, view = bv.plot_grid(s, **kw)
    sizes = {t.get_text(): t.get_fontsize() for t in _texts(fig)}
    assert {"3", "10", "70"} <= set(sizes) and min(sizes.values()) >= 7, sizes
    ax = fig.axes[0]
    box = ax.get_window_extent(_renderer(fig))
    ncols = ax.images[0].get_array().shape[1]
    assert box.width / ncols >= bv.plot.MIN_CELL * fig.dpi * 0.95


def test_grid_view_rejects_fifo_and_bad_rows():
    with pytest.raises(ValueError, match="valid schemes are '2l', '3l'"):
        bv.grid_view(evtlib.Fifo())
    with pytest.raises(ValueError, match="0..63"):
        bv.grid_view(evtlib.TwoLevel(), rows=[64])
    with pytest.raises(TypeError):
        bv.grid_view("state")


# -------------------------------------------------------- plain text
@pytest.mark.parametrize("scheme,args", [("2l", CANON), ("3l", CANON3)])
def test_plain_text_fits_72_columns(scheme, args):
    frames = bv.upcall_frames(scheme, **args)
    text = bv.trace_text(frames)
    assert max(len(line) for line in text.splitlines()) <= 72
    assert text.splitlines()[0].startswith("  0 start")
    only = bv.trace_text(frames, ops=("deliver",))
    assert only.count(" deliver ") == len(frames.delivered)
    table = bv.delivery_table({"resume": frames.delivered, "from-zero": list(range(1, 60))})
    assert max(len(line) for line in table.splitlines()) <= 72
    assert table.splitlines()[0].startswith("resume    : ")


@pytest.mark.parametrize("scheme,args", [("2l", CANON), ("3l", CANON3)])
def test_dump_of_the_scenarios_fits_72_columns(scheme, args):
    frames = bv.upcall_frames(scheme, **args)
    for dump in (frames.before.dump(), frames.model.dump()):
        assert max(len(line) for line in dump.splitlines()) <= 72


# ---------------------------------------------------- reader's choices
def test_parse_ports_accepts_lists_and_ranges():
    assert bv.parse_ports("3 10, 70;3", 4096) == (3, 10, 70)
    assert bv.parse_ports(" 60-62 1 ", 4096) == (1, 60, 61, 62)
    assert bv.parse_ports("", 4096) == ()


@pytest.mark.parametrize("text,message", [
    ("0", "port 0 is reserved"),
    ("4096", "port 4096 is out of range; valid ports are 1..4095"),
    ("3 x", "'x' is not a port number"),
    ("9-5", "range '9-5' goes down"),
    ("-3", "'-3' is not a port number"),
    ("1-4095", None),
])
def test_parse_ports_errors_name_value_and_range(text, message):
    if message is None:
        assert len(bv.parse_ports(text, 4096)) == 4095
    else:
        with pytest.raises(ValueError, match=message):
            bv.parse_ports(text, 4096, "pending")


def test_parse_pairs():
    assert bv.parse_pairs("5:9 10:3", 4096) == ((5, 9), (10, 3))
    with pytest.raises(ValueError, match="write 'a:b'"):
        bv.parse_pairs("5", 4096)


def test_build_model_choices():
    s = bv.build_model("2l", pending=(3, 5, 70), masked=(70,), resume=(1, 2), word_bits=32,
                       elsewhere=(5,))
    assert s.vcpus == 2 and s.cpu_of(5) == 1 and s.notify_vcpu(5) == 1
    assert s.selector(0) == 1 and s.selector(1) == 1      # 70 masked: no bit for word 2
    assert s.is_pending(70) and s.is_masked(70)
    assert s.resume_position(0) == (1, 2)
    with pytest.raises(ValueError, match="valid schemes are '2l', '3l'"):
        bv.build_model("fifo")
    with pytest.raises(ValueError, match="0..31"):
        bv.build_model("2l", resume=(0, 32), word_bits=32)


def test_bound_elsewhere_is_skipped_and_stays_pending():
    frames = bv.upcall_frames("2l", pending=(3, 5), elsewhere=(5,))
    assert frames.delivered == [3]
    assert frames.model.is_pending(5)
    view = bv.grid_view(frames[0])
    assert view.codes[0, 5] == bv.PENDING | bv.ELSEWHERE


# ------------------------------------------------------------ widgets
def test_upcall_stepper_shows_frames():
    frames = bv.upcall_frames("2l", **CANON)
    st = bv.upcall_stepper(frames, css_class="evt-canon")
    assert "evt-canon" in st.widget._dom_classes
    assert "Step 0 of" in st.why.value and "before the upcall" in st.why.value
    st.go(bv.key_frames(frames)[0].index)
    assert "deliver port 10" in st.view.value and "class='evt-hot'" in st.view.value


def test_explorer_recomputes_on_each_valid_change():
    ex = bv.UpcallExplorer(word_bits=64, pending=(3, 10, 70), reraise=(10,), resume=(0, 8),
                           css_class="evt-x")
    assert {"evt-explorer", "evt-x"} <= set(ex.widget._dom_classes)
    assert ex.frames.delivered == [10, 70, 3, 10]
    assert "delivered in order: 10 70 3 10" in ex.message.value
    first = ex.stepper
    ex.resume[1].value = 0
    assert ex.frames.delivered == [3, 10, 70, 10]
    # the same stepper widget now walks the new frames from step 0
    assert ex.stepper is first and ex.stepper.frames == tuple(ex.frames)
    assert ex.stepper.index == 0
    assert ex.box.children == (ex.stepper.widget,)
    ex.scan.value = "from-zero"
    assert ex.frames.delivered == [3, 10, 10, 70]
    ex.masks.value = "3:10"
    assert ex.frames.delivered == [3, 70]


def test_explorer_word_size_bounds_the_resume_sliders():
    ex = bv.UpcallExplorer(word_bits=64, pending=(3, 70), resume=(1, 40))
    ex.word_bits.value = 32
    assert [s.max for s in ex.resume] == [31, 31]
    assert ex.frames.before.word_bits == 32
    assert ex.frames.before.resume_position(0) == tuple(s.value for s in ex.resume)
    assert ex.frames.delivered == [70, 3]


def test_explorer_rebuilds_the_resume_sliders_when_w_changes():
    """The browser's slider keeps its first range for Home/End when only ``max``
    changes, so a new W needs new slider widgets (tests/browser checks End)."""
    ex = bv.UpcallExplorer(word_bits=32, pending=(3, 70), resume=(1, 20))
    old = list(ex.resume)
    ex.word_bits.value = 64
    assert all(a is not b for a, b in zip(old, ex.resume))
    assert [s.max for s in ex.resume] == [63, 63] and [s.value for s in ex.resume] == [1, 20]
    assert ex.resume_row.children == (ex.resume_label, *ex.resume)
    assert all(w.comm is None for w in old)          # the old ones are closed
    # the new sliders drive the explorer; the old ones no longer do
    ex.resume[1].value = 63
    assert ex.frames.before.resume_position(0) == (1, 63)
    assert "evt-resume-bit" in ex.resume[1]._dom_classes
    ex.word_bits.value = 32
    assert [s.value for s in ex.resume] == [1, 31]
    assert ex.frames.before.resume_position(0) == (1, 31)


def test_explorer_disables_the_resume_sliders_under_from_zero():
    ex = bv.UpcallExplorer(word_bits=64, pending=(3, 10, 70), resume=(0, 8))
    assert not any(s.disabled for s in ex.resume)
    ex.scan.value = "from-zero"
    assert all(s.disabled for s in ex.resume)
    assert "not used" in ex.resume_label.value
    ex.word_bits.value = 32                     # rebuilt sliders stay disabled
    assert all(s.disabled for s in ex.resume)
    ex.scan.value = "resume"
    assert not any(s.disabled for s in ex.resume) and "not used" not in ex.resume_label.value


def test_explorer_stepper_gets_a_new_slider_when_the_step_count_changes():
    ex = bv.UpcallExplorer(word_bits=64, pending=(3, 10), resume=(0, 0))
    short = len(ex.frames) - 1
    slider = ex.stepper.slider
    ex.resume[1].value = 5                      # same ports, same number of steps
    assert len(ex.frames) - 1 == short and ex.stepper.slider is slider
    ex.pending.value = "3 10 70 100 200"
    n = len(ex.frames) - 1
    assert n > short and ex.stepper.slider is not slider
    assert ex.stepper.slider.max == ex.stepper.play.max == ex.stepper.jump.max == n
    ex.stepper.slider.value = n
    assert f"Step {n} of {n}" in ex.stepper.why.value


def test_from_zero_first_step_says_the_resume_position_is_unused():
    resume = bv.upcall_frames("2l", **CANON)
    zero = bv.upcall_frames("2l", **CANON, scan="from-zero")
    assert "resume position is (0, 8)" in zero[0].why and "not used" in zero[0].why
    assert "not used" not in resume[0].why


def test_explorer_bad_input_shows_message_and_keeps_last_run():
    ex = bv.UpcallExplorer(word_bits=32, pending=(3,), resume=(0, 0))
    good = ex.frames
    ex.pending.value = "3 2000"
    assert "port 2000 is out of range; valid ports are 1..1023" in ex.message.value
    assert "evt-error" in ex.message.value and ex.frames is good
    ex.pending.value = "3 <b>"
    assert "&lt;b&gt;" in ex.message.value
    ex.pending.value = "3"
    ex.reraise.value = "7"
    assert "not pending" in ex.message.value
    ex.reraise.value = ""
    assert ex.frames is not good and "evt-result" in ex.message.value


def test_explorer_three_level_has_three_resume_sliders():
    ex = bv.UpcallExplorer("3l", pending=(3, 10, 70, 4100), reraise=(10,), resume=(0, 0, 8))
    assert [s.description for s in ex.resume] == ["l1", "l2", "bit"]
    assert "resume position" in ex.resume_label.value
    assert ex.resume_row.children == (ex.resume_label, *ex.resume)
    assert ex.frames.delivered == [10, 70, 4100, 3, 10]
    assert ex.choices()["resume"] == (0, 0, 8)
    with pytest.raises(ValueError, match="valid schemes"):
        bv.UpcallExplorer("fifo")


def test_resume_steps_highlight_the_new_resume_cell():
    frames = bv.upcall_frames("2l", **CANON)
    moves = bv.key_frames(frames, ("resume",))
    assert len(moves) == len(frames.delivered)
    for f in moves:
        view = bv.grid_view(f)
        assert (view.rows[view.hot_row], view.hot_bit) == f.step.where
        assert view.resume_cell == (view.hot_row, view.hot_bit)
        assert view.focus.startswith("the next scan starts at word")


def _grid_children(h: str) -> list[dict]:
    """Attributes of the direct children of the evt-grid div of an HTML view."""
    from html.parser import HTMLParser

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.grid, self.kids = 0, None, []

        def handle_starttag(self, tag, attrs):
            self.depth += 1
            a = dict(attrs)
            if a.get("class") == "evt-grid":
                self.grid = self.depth
            elif self.grid is not None and self.depth == self.grid + 1:
                self.kids.append(a)

        def handle_endtag(self, tag):
            if self.grid == self.depth:
                self.grid = None
            self.depth -= 1

    p = P()
    p.feed(h)
    return p.kids


@pytest.mark.parametrize("scheme,args", [
    ("2l", CANON), ("3l", CANON3),
    ("2l", dict(word_bits=32, pending=(3, 5, 10, 40, 70), masked=(40,), elsewhere=(5,),
                resume=(0, 8)))])
def test_html_grid_rows_add_up_to_the_columns(scheme, args):
    """Runs of clear cells are merged into one span: every grid row must still
    cover label + selector columns + spacer + W bit columns."""
    frames = bv.upcall_frames(scheme, **args)
    for f in (frames[0], bv.key_frames(frames)[0], frames[-1]):
        view = bv.grid_view(f)
        ncols = 1 + (view.levels - 1) + 1 + view.word_bits
        used = 0
        for kid in _grid_children(bv.render_html(view)):
            style = kid.get("style") or ""
            m = re.search(r"grid-column:(span (\d+)|1/-1)", style)
            used += ncols if m and m.group(1) == "1/-1" else int(m.group(2)) if m else 1
        assert used % ncols == 0
        # header + drawn words + "nothing set" lines
        gaps = sum(1 for a, b in zip(view.rows, view.rows[1:]) if b > a + 1)
        last = view.word_bits ** (view.levels - 1) - 1
        assert used // ncols == 1 + len(view.rows) + gaps + (view.rows[-1] < last)
