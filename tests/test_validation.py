"""Bad input (docs/api-contract.md): ValueError/TypeError whose message names
the value and the valid range; a rejected call changes no state."""

from __future__ import annotations

import pytest

import evtlib


def busy_model(make_scheme):
    """A model with some state, so that 'changes no state' is meaningful."""
    s = make_scheme(vcpus=2)
    s.set_pending(3)
    s.mask(64)
    s.set_pending(64)
    s.bind(70, 1)
    s.set_pending(70)
    return s


def check_rejected(s, exc, fn, *args, must_name=(), **kw):
    before = s.snapshot()
    steps_before = s.steps
    with pytest.raises(exc) as info:
        fn(*args, **kw)
    msg = str(info.value)
    for text in must_name:
        assert text in msg, (text, msg)
    assert s.snapshot() == before, "a rejected call changed the state"
    assert s.steps == steps_before
    return msg


PORT_OPS = ["set_pending", "mask", "unmask", "clear_pending", "xen_unmask",
            "is_pending", "is_masked", "notify_vcpu", "cpu_of"]


@pytest.mark.parametrize("op", PORT_OPS)
def test_bad_port_values(make_scheme, op):
    s = busy_model(make_scheme)
    last = s.max_ports - 1
    fn = getattr(s, op)
    for bad in (0, -1, -5, s.max_ports, s.max_ports + 7, 10**9):
        check_rejected(s, ValueError, fn, bad, must_name=(str(bad), str(last)))


@pytest.mark.parametrize("op", PORT_OPS)
@pytest.mark.parametrize("bad", [1.5, "3", 3.0, None, True, False, [3]],
                         ids=["float", "str", "float-int", "none", "true", "false", "list"])
def test_non_integer_port(make_scheme, op, bad):
    """Ports must be ints: 1.5, "3", 3.0, None, bools, lists -> TypeError (or
    ValueError) naming the value and the range.  True is not port 1."""
    s = busy_model(make_scheme)
    check_rejected(s, (TypeError, ValueError), getattr(s, op), bad,
                   must_name=(repr(bad), str(s.max_ports - 1)))


def test_numpy_integer_port_accepted(make_scheme):
    np = pytest.importorskip("numpy")
    s = make_scheme()
    assert s.set_pending(np.int64(5)) is True
    assert s.is_pending(5)


@pytest.mark.parametrize("bad", [2, 3, -1, 100])
def test_unknown_vcpu(make_scheme, bad):
    s = busy_model(make_scheme)
    name = (str(bad), "0..1")
    check_rejected(s, ValueError, s.upcall, bad, must_name=name)
    check_rejected(s, ValueError, s.upcall_pending, bad, must_name=name)
    check_rejected(s, ValueError, s.bind, 5, bad, must_name=name)
    check_rejected(s, ValueError, s.bind, 5, 1, cpu=bad, must_name=name)
    check_rejected(s, ValueError, s.xen_bind_vcpu, 5, bad, must_name=name)
    check_rejected(s, ValueError, s.bind_to_cpu, 5, bad, must_name=name)
    check_rejected(s, ValueError, s.unmask, 64, cpu=bad, must_name=name)
    check_rejected(s, ValueError, s.set_timer_port, bad, 5, must_name=name)
    check_rejected(s, ValueError, s.timer_port, bad, must_name=name)
    if s.name == "fifo":
        check_rejected(s, ValueError, s.ready, bad, must_name=name)
        check_rejected(s, ValueError, s.head, bad, 7, must_name=name)
        check_rejected(s, ValueError, s.tail, bad, 7, must_name=name)
        check_rejected(s, ValueError, s.queue, bad, 7, must_name=name)
    else:
        check_rejected(s, ValueError, s.selector, bad, must_name=name)
        check_rejected(s, ValueError, s.resume_position, bad, must_name=name)


@pytest.mark.parametrize("bad", [1.0, "1", True])
def test_non_integer_vcpu(make_scheme, bad):
    s = busy_model(make_scheme)
    check_rejected(s, (TypeError, ValueError), s.upcall, bad, must_name=(repr(bad),))
    check_rejected(s, (TypeError, ValueError), s.bind, 5, bad, must_name=(repr(bad),))


@pytest.mark.parametrize("bad", [-1, 16, 17, 255])
def test_priority_out_of_range(bad):
    s = evtlib.Fifo()
    s.set_pending(3)
    check_rejected(s, ValueError, s.set_priority, 5, bad, must_name=(str(bad), "15"))
    assert s.priority(5) == 7


@pytest.mark.parametrize("bad", [1.5, "2", None, True])
def test_priority_not_integer(bad):
    s = evtlib.Fifo()
    check_rejected(s, (TypeError, ValueError), s.set_priority, 5, bad, must_name=(repr(bad),))


def test_priority_bad_port_and_queue_index():
    s = evtlib.Fifo()
    check_rejected(s, ValueError, s.set_priority, 0, 3)
    check_rejected(s, ValueError, s.head, 0, 16, must_name=("16",))
    check_rejected(s, ValueError, s.tail, 0, -1, must_name=("-1",))
    check_rejected(s, ValueError, s.queue, 0, 16, must_name=("16",))
    check_rejected(s, ValueError, s.event_word, 0)
    check_rejected(s, ValueError, s.event_word, 131072)


@pytest.mark.parametrize("cls", [evtlib.TwoLevel, evtlib.ThreeLevel])
@pytest.mark.parametrize("bad", [48, 16, 0, 128, -32])
def test_bad_word_bits(cls, bad):
    with pytest.raises(ValueError) as info:
        cls(word_bits=bad)
    msg = str(info.value)
    assert str(bad) in msg and "32" in msg and "64" in msg


@pytest.mark.parametrize("cls", [evtlib.TwoLevel, evtlib.ThreeLevel])
def test_bad_word_bits_type(cls):
    with pytest.raises((TypeError, ValueError)):
        cls(word_bits="64")
    with pytest.raises((TypeError, ValueError)):
        cls(word_bits=64.0)


@pytest.mark.parametrize("name", ["2l", "3l", "fifo"])
@pytest.mark.parametrize("bad", [0, -1])
def test_bad_vcpus(name, bad):
    with pytest.raises(ValueError) as info:
        evtlib.make_scheme(name, vcpus=bad)
    assert str(bad) in str(info.value)


@pytest.mark.parametrize("name", ["2l", "3l", "fifo"])
def test_vcpus_not_integer(name):
    with pytest.raises((TypeError, ValueError)):
        evtlib.make_scheme(name, vcpus=1.5)
    with pytest.raises((TypeError, ValueError)):
        evtlib.make_scheme(name, vcpus="2")


@pytest.mark.parametrize("cls", [evtlib.TwoLevel, evtlib.ThreeLevel])
@pytest.mark.parametrize("bad", ["fifo", "resume ", "Resume", "xenolinux", "", None])
def test_unknown_scan_policy(cls, bad):
    with pytest.raises((ValueError, TypeError)) as info:
        cls(scan=bad)
    msg = str(info.value)
    assert repr(bad) in msg or str(bad) in msg
    assert "resume" in msg and "from-zero" in msg


def test_fifo_rejects_bitmap_options():
    """FIFO has no scan policy; its event word is 32 bits for every guest.
    (Accepting word_bits=32/64 as a no-op is allowed; other values are not.)"""
    with pytest.raises((TypeError, ValueError)):
        evtlib.make_scheme("fifo", scan="resume")
    with pytest.raises((TypeError, ValueError)):
        evtlib.make_scheme("fifo", timer_first=True)
    with pytest.raises(TypeError):
        evtlib.Fifo(scan="resume")
    with pytest.raises((TypeError, ValueError)):
        evtlib.Fifo(word_bits=48)
    for w in (32, 64):
        try:
            f = evtlib.Fifo(word_bits=w)
        except TypeError:
            continue
        assert f.word_bits is None and f.max_ports == 131072


def test_unknown_scheme_name():
    with pytest.raises(ValueError) as info:
        evtlib.make_scheme("fifo2")
    msg = str(info.value)
    assert "fifo2" in msg and "2l" in msg and "3l" in msg


@pytest.mark.parametrize("cls, w, bad", [
    (evtlib.TwoLevel, 64, (64, 0)), (evtlib.TwoLevel, 64, (0, 64)),
    (evtlib.TwoLevel, 32, (32, 0)), (evtlib.TwoLevel, 32, (0, 32)),
    (evtlib.TwoLevel, 64, (-1, 0)), (evtlib.TwoLevel, 64, (0, 0, 0)),
    (evtlib.ThreeLevel, 32, (32, 0, 0)), (evtlib.ThreeLevel, 32, (0, 32, 0)),
    (evtlib.ThreeLevel, 32, (0, 0, 32)), (evtlib.ThreeLevel, 32, (0, 0)),
])
def test_bad_resume_position(cls, w, bad):
    s = cls(word_bits=w)
    s.set_pending(3)
    check_rejected(s, (ValueError, TypeError), s.set_resume_position, 0, bad)
    assert s.resume_position(0) == ((0, 0) if cls is evtlib.TwoLevel else (0, 0, 0))


def test_set_priority_not_on_bitmap_schemes():
    for s in (evtlib.TwoLevel(), evtlib.ThreeLevel()):
        check_rejected(s, NotImplementedError, s.set_priority, 5, 3)


def test_fifo_only_and_bitmap_only_accessors():
    f = evtlib.Fifo()
    for name in ("selector", "resume_position"):
        with pytest.raises((AttributeError, NotImplementedError, TypeError)):
            getattr(f, name)(0)
    t = evtlib.TwoLevel()
    with pytest.raises((AttributeError, NotImplementedError, TypeError)):
        t.l2_selector(0)
    for name in ("ready",):
        with pytest.raises((AttributeError, NotImplementedError, TypeError)):
            getattr(t, name)(0)
    with pytest.raises((AttributeError, NotImplementedError, TypeError)):
        t.event_word(5)


def test_upcall_handler_not_callable(make_scheme):
    s = busy_model(make_scheme)
    check_rejected(s, TypeError, s.upcall, 0, 42)


def test_timer_port_already_owned_by_other_vcpu(make_scheme):
    s = make_scheme(vcpus=2)
    s.set_timer_port(0, 100)
    check_rejected(s, ValueError, s.set_timer_port, 1, 100, must_name=("100",))
    check_rejected(s, ValueError, s.bind, 100, 1, must_name=("100",))
