"""Input types: numpy integers and bools are taken wherever ints and flags are.

Widgets and numpy code pass ``numpy.int64`` and ``numpy.bool_``. Any
``numbers.Integral`` but ``bool`` is an integer (vCPU, CPU, port, priority,
word size, counts); ``True``/``False`` and numpy bools are flags, and
nothing else is (``force=1`` is refused rather than read as true).
"""

from __future__ import annotations

import numpy as np
import pytest

import evtlib

NP_INTS = [np.int64, np.int32, np.uint16, np.int8]


def _calls(s, I):
    """Every integer-taking call, with integers of type ``I``."""
    calls = [
        ("set_pending", (I(5),)), ("set_pending", (I(70),)), ("mask", (I(70),)),
        ("unmask", (I(70), I(0))), ("clear_pending", (I(5),)), ("set_pending", (I(5),)),
        ("bind", (I(9), I(1), I(1))), ("bind_to_cpu", (I(9), I(1))),
        ("xen_bind_vcpu", (I(9), I(1))), ("set_timer_port", (I(1), I(12))),
        ("is_pending", (I(5),)), ("is_masked", (I(5),)), ("notify_vcpu", (I(9),)),
        ("cpu_of", (I(9),)), ("timer_port", (I(1),)), ("upcall_pending", (I(0),)),
        ("upcall", (I(0),)), ("upcall", (I(1),)),
    ]
    if s.priorities:
        calls += [("set_priority", (I(5), I(3))), ("priority", (I(5),)),
                  ("event_word", (I(5),)), ("ready", (I(0),)), ("head", (I(0), I(7))),
                  ("tail", (I(0), I(7))), ("linux_head", (I(0), I(7))),
                  ("queue", (I(0), I(7)))]
    else:
        calls += [("selector", (I(0),)), ("resume_position", (I(1),)),
                  ("set_resume_position", (I(0), (I(1),) * (s.levels)))]
        if s.name == "3l":
            calls.append(("l2_selector", (I(0),)))
    return calls


@pytest.mark.parametrize("I", NP_INTS, ids=lambda t: t.__name__)
def test_numpy_integers_work_everywhere_like_ints(make_scheme, I):
    a, b = make_scheme(vcpus=2), make_scheme(vcpus=np.int64(2))
    for name, args in _calls(a, I):
        got = getattr(a, name)(*args)
        want = getattr(b, name)(*[tuple(map(int, x)) if isinstance(x, tuple) else int(x)
                                  for x in args])
        assert got == want, name
        assert type(got) is type(want), name
    assert a.snapshot() == b.snapshot()
    assert all(type(p) is int for p in a.pending_ports())


@pytest.mark.parametrize("cls", [evtlib.TwoLevel, evtlib.ThreeLevel])
def test_numpy_word_size_and_flag(cls):
    s = cls(word_bits=np.int64(32), timer_first=np.bool_(True), vcpus=np.int32(3))
    assert (s.word_bits, s.timer_first, s.vcpus) == (32, True, 3)
    assert type(s.word_bits) is int and type(s.timer_first) is bool
    assert evtlib.Fifo(word_bits=np.int16(64)).max_ports == 131072


def test_the_issues_reproducer_upcall_on_a_numpy_vcpu():
    s = evtlib.TwoLevel(vcpus=2)
    s.set_pending(3)
    assert s.upcall(np.int64(0)) == [3]


@pytest.mark.parametrize("bad, kind", [("0", "str"), (0.0, "float"), (True, "bool"),
                                       (np.bool_(False), "numpy.bool"), (None, "NoneType")])
def test_a_vcpu_of_the_wrong_type_is_named_with_its_type(make_scheme, bad, kind):
    s = make_scheme(vcpus=2)
    with pytest.raises(TypeError) as info:
        s.upcall(bad)
    msg = str(info.value)
    assert kind in msg and repr(bad) in msg and "0..1" in msg
    assert "unknown vCPU" not in msg


def test_an_out_of_range_vcpu_says_so_without_a_type(make_scheme):
    s = make_scheme(vcpus=2)
    with pytest.raises(ValueError, match=r"unknown vCPU 2: .* valid values are 0\.\.1"):
        s.upcall(np.int64(2))


@pytest.mark.parametrize("bad", [True, np.bool_(True), 5.0, "5"])
def test_bools_and_non_integers_are_not_ports(make_scheme, bad):
    s = make_scheme()
    before = s.snapshot()
    with pytest.raises(TypeError, match="port must be an integer"):
        s.set_pending(bad)
    assert s.snapshot() == before


@pytest.mark.parametrize("bad", [1, 0, "yes", None, 1.0])
def test_force_and_record_take_real_bools_only(make_scheme, bad):
    s = make_scheme()
    s.set_pending(5)
    with pytest.raises(TypeError, match="force must be True or False"):
        s.upcall(0, force=bad)
    with pytest.raises(TypeError, match=r"record\(on\) must be True or False"):
        s.record(bad)
    assert s.is_pending(5) and not s.recording


def test_numpy_bools_are_flags(make_scheme):
    s = make_scheme()
    s.record(np.bool_(True))
    assert s.recording
    s.set_pending(5)
    s.upcall(0)
    s.record(np.bool_(False))
    assert not s.recording
    # The flag is clear: only a forced upcall runs.
    n = s.counters.upcalls
    s.upcall(0, force=np.bool_(False))
    assert s.counters.upcalls == n
    s.upcall(0, force=np.bool_(True))
    assert s.counters.upcalls == n + 1


@pytest.mark.parametrize("bad, exc, text", [
    (0, ValueError, "upcall_limit 0 is out of range: it must be >= 1"),
    (-5, ValueError, ">= 1"), (2.5, TypeError, "float"), ("10", TypeError, "str"),
    (True, TypeError, "bool"), (None, TypeError, "NoneType")])
def test_upcall_limit_is_checked_when_set(make_scheme, bad, exc, text):
    s = make_scheme()
    with pytest.raises(exc, match=text):
        s.upcall_limit = bad
    assert s.upcall_limit == 100_000
    s.upcall_limit = np.int64(7)
    assert s.upcall_limit == 7 and type(s.upcall_limit) is int


def test_check_int_and_check_flag_directly():
    from evtlib.abi.checks import check_flag, check_int
    assert check_int(np.uint8(3), "n", 0, 5) == 3
    with pytest.raises(TypeError, match="numpy.float64"):
        check_int(np.float64(3), "n", 0)
    assert check_flag(np.True_, "f") is True
    with pytest.raises(TypeError, match="numpy.int64"):
        check_flag(np.int64(1), "f")
