"""The step-through widget (evtlib.views.widgets): logic only; the browser tests drive it live."""

import pytest

import evtlib
from evtlib.views.widgets import SPEEDS, Stepper


def one_upcall_steps():
    s = evtlib.TwoLevel()
    s.record()
    for p in (3, 10, 70):
        s.set_pending(p)
    s.upcall()
    return s.steps


def test_forward_back_reset_and_jump():
    steps = one_upcall_steps()
    st = Stepper(steps, lambda f: f"<p>{f.op}</p>")
    assert st.index == 0 and "Step 0 of" in st.why.value
    st.forward(); st.forward()
    assert st.index == 2 and st.view.value == f"<p>{steps[2].op}</p>"
    st.back()
    assert st.index == 1 and st.jump.value == 1
    st.jump.value = 5
    assert st.index == 5 and st.why_text == steps[5].why
    st.reset()
    assert st.index == 0 and st.view.value == f"<p>{steps[0].op}</p>"


def test_bounds_are_not_clamped_silently():
    st = Stepper(one_upcall_steps(), str)
    st.back()
    assert st.index == 0
    st.go(len(st.frames) - 1)
    st.forward()
    assert st.index == len(st.frames) - 1
    with pytest.raises(ValueError, match="valid steps are 0.."):
        st.go(len(st.frames))
    assert st.slider.max == st.play.max == st.jump.max == len(st.frames) - 1


def test_speed_sets_play_interval():
    st = Stepper(one_upcall_steps(), str)
    st.speed.value = "4x"
    assert st.play.interval == dict(SPEEDS)["4x"]


def test_each_step_rendered_once():
    calls = []
    st = Stepper(one_upcall_steps(), lambda f: calls.append(f.index) or "x")
    st.forward(); st.back(); st.forward()
    assert calls == [0, 1]


def test_empty_frames_rejected():
    with pytest.raises(ValueError, match="at least one frame"):
        Stepper([], str)


def test_set_frames_replaces_the_walk_in_place():
    st = Stepper(one_upcall_steps(), lambda f: f"<p>{getattr(f, 'op', f)}</p>")
    st.go(7)
    st.set_frames(["a", "b"])
    assert st.index == 0 and st.slider.max == st.play.max == st.jump.max == 1
    assert st.view.value == "<p>a</p>" and st.why_text == "a"
    st.forward()
    assert st.index == 1
    with pytest.raises(ValueError, match="at least one frame"):
        st.set_frames([])


def test_static_fallback_is_a_sentence_not_a_repr():
    """Where no kernel runs the widget (GitHub, HTML export) text/plain is what shows."""
    from evtlib.views.widgets import STATIC_TEXT
    st = Stepper(one_upcall_steps(), str)
    bundle = st._repr_mimebundle_()
    assert bundle["text/plain"] == STATIC_TEXT and "VBox" not in bundle["text/plain"]
    # it reads right in JupyterLab (stored, untrusted outputs) and in a static copy
    text = " ".join(STATIC_TEXT.split())
    assert "In JupyterLab: run this cell" in text
    assert "HTML export: open the notebook in JupyterLab" in text
    assert "run this notebook in JupyterLab to use it" not in text
    assert max(len(line) for line in STATIC_TEXT.splitlines()) <= 72
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == st.widget.model_id


def test_set_frames_builds_a_new_slider_only_when_the_count_changes():
    """A new step count gets a new slider and Play (the browser's slider keeps its
    first range for Home/End otherwise); the same count keeps them."""
    st = Stepper(["a", "b", "c"], str)
    slider, play = st.slider, st.play
    st.set_frames(["x", "y", "z"])
    assert st.slider is slider and st.play is play
    st.go(2)
    st.set_frames(list("abcdefg"))
    assert st.slider is not slider and st.play is not play
    assert slider.comm is None and play.comm is None   # closed
    assert st.slider.max == st.play.max == st.jump.max == 6 and st.index == 0
    assert st.slider in st._slider_row.children and st.play in st._buttons.children
    st.slider.value = 6                 # the new slider drives the view
    assert st.view.value == "g" and st.jump.value == 6 and "Step 6 of 6" in st.why.value
    st.speed.value = "2x"
    st.set_frames(["a", "b"])
    assert st.play.interval == dict(SPEEDS)["2x"]


def test_pause_keeps_the_step_reset_goes_back():
    st = Stepper(list("abcdef"), str)
    st.go(3)
    st.play.playing = True
    st.pause()
    assert not st.play.playing and st.index == 3
    st.play.playing = True
    st.reset()
    assert not st.play.playing and st.index == 0
    assert "stop" in st.play.tooltip and "step 0" in st.play.tooltip
    assert st.play.description == ""    # else the browser does not show the tooltip
    assert "stay" in st.pause_button.tooltip and "evt-pause" in st.pause_button._dom_classes
