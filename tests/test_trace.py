"""Traces: immutability, text (72 columns), JSON round trip and bad files."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evtlib.sim import simulate
from evtlib.sim.trace import (FORMAT, VERSION, DeliverEvent, RaiseEvent, Trace,
                          TraceFormatError)
from evtlib.sim.workloads import Explicit, Flood, preset, with_priority


@pytest.fixture(scope="module")
def trace():
    w = with_priority(preset("mixed"), {9: 3})
    return simulate("2l", w, ticks=300, seed=5, word_bits=32, timer_first=True,
                    port_handler_time={9: 2}, options=[("preset", "mixed")])


def test_trace_is_immutable(trace):
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.events = ()
    with pytest.raises((dataclasses.FrozenInstanceError, AttributeError)):
        trace.events[0].tick = 5
    assert isinstance(trace.events, tuple)
    assert isinstance(trace.config.classes, tuple)


def test_views(trace):
    assert len(trace.raises) == trace.summary.raises
    assert len(trace.deliveries) == trace.summary.deliveries
    assert len(trace.upcalls) == trace.summary.upcalls
    assert trace.delivered_ports() == [e.port for e in trace.deliveries]
    assert set(trace.ports()) >= set(trace.delivered_ports())
    assert "seed 5" in repr(trace)


def test_text_header_events_summary_in_72_columns(trace):
    text = trace.text()
    lines = text.splitlines()
    assert all(len(line) <= 72 for line in lines), max(lines, key=len)
    head = "\n".join(lines[:14])
    for part in ("ARG scheme 2l (2-level W=32, scan=resume, timer first",
                 "ARG policy resume + timer first", "ARG seed 5",
                 "ARG workload timer(port 2", "ARG ticks 300",
                 "ARG handler time per port 9:2", "ARG timer port 2 (vCPU 0)",
                 "ARG priorities (ignored: no priorities) 9:3", "ARG preset mixed"):
        assert part in head
    assert any(line.split()[1:2] == ["deliver"] for line in lines)
    assert "Summary:" in text and "Guest cost per delivery" in text
    short = trace.text(limit=5)
    assert f"... {len(trace.events) - 5} more events" in short
    with pytest.raises(ValueError, match="limit"):
        trace.text(limit=-1)


def test_event_lines_are_timestamped():
    t = simulate("2l", Explicit([(0, 4), (0, 4), (2, 9)]), ticks=10, seed=0)
    lines = t.text().splitlines()
    body = [line for line in lines if line[:6].strip().isdigit()]
    assert body[0].split() == ["0", "raise", "4", "v0"]
    assert body[1].split()[:5] == ["0", "raise", "4", "v0", "merged:"]
    assert body[2].split()[:3] == ["0", "upcall", "#1"]
    assert body[3].split() == ["0", "deliver", "4", "v0", "waited", "0"]


def test_json_round_trip_loses_nothing(trace, tmp_path):
    path = tmp_path / "t.json"
    trace.to_json(path)
    back = Trace.from_json(path)
    assert back == trace
    assert back.text() == trace.text()
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT and data["version"] == VERSION
    assert data["fields"]["d"] == ["tick", "port", "vcpu", "latency", "upcall"]
    assert Trace.loads(trace.dumps()) == trace
    assert Trace.from_dict(trace.to_dict()) == trace


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 1023)), min_size=1,
                max_size=20), st.integers(0, 3), st.sampled_from(["2l", "3l", "fifo"]))
def test_round_trip_property(pairs, handler_time, scheme):
    t = simulate(scheme, Explicit(pairs), ticks=31, seed=0, handler_time=handler_time)
    assert Trace.loads(t.dumps()) == t


def test_round_trip_keeps_none_and_stops(tmp_path):
    import evtlib
    s = evtlib.make_scheme("fifo")
    s.clear_pending(3)
    s.upcall_limit = 5
    from evtlib.sim.workloads import FromGenerator
    w = FromGenerator(lambda ticks, rng: [(0, 1)], on_deliver=lambda p, t: [(t, p)])
    t = simulate(s, w, ticks=5, seed=0, handler_time=0)
    assert t.summary.stopped
    path = tmp_path / "s.json"
    t.to_json(path)
    assert Trace.from_json(path) == t


def _write(tmp_path, text, name="bad.json"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


def _mutate(trace, tmp_path, change):
    data = trace.to_dict()
    change(data)
    return _write(tmp_path, json.dumps(data))


@pytest.mark.parametrize("change,problem", [
    (lambda d: d.update(format="other"), "not an evtlib trace"),
    (lambda d: d.update(version=2), "version 2 is not supported"),
    (lambda d: d.pop("version"), "version null is not supported"),
    (lambda d: d.pop("events"), 'lacks "events"'),
    (lambda d: d["config"].pop("seed"), r"config lacks field\(s\) seed"),
    (lambda d: d["config"].update(colour="red"), r"unknown field\(s\) colour"),
    (lambda d: d["config"].update(seed="3"), 'config.seed should be int, got "3"'),
    (lambda d: d["config"].update(ticks=True), "config.ticks should be int"),
    (lambda d: d["config"].update(classes=[[1]]), r"config.classes\[0\] should be a pair"),
    (lambda d: d["config"].update(classes=[[1, 2]]), r"config.classes\[0\]\[1\] should be str"),
    (lambda d: d["summary"].update(stopped=5), "summary.stopped should be str|None"),
    (lambda d: d.update(events={}), "events should be a list"),
    (lambda d: d["events"].append(["x", 1]), r'events\[\d+\] should be a list starting'),
    (lambda d: d["events"].append(["r", 1, 2]), r'events\[\d+\] \("r"\) should have 4'),
    (lambda d: d["events"].append(["d", 1, 2, 0, "late", 1]),
     r"events\[\d+\].latency should be int\|None"),
    (lambda d: d["events"].append(["r", 1, 2, 0, 1]), r"events\[\d+\].merged should be bool"),
    (lambda d: d["events"].append([[1], 1]), r'events\[\d+\] should be a list starting'),
    (lambda d: d.update(version=True), "version true is not supported"),
    (lambda d: d.update(version=1.0), "version 1.0 is not supported"),
])
def test_wrong_shape_is_a_clear_error(trace, tmp_path, change, problem):
    path = _mutate(trace, tmp_path, change)
    with pytest.raises(TraceFormatError, match=problem) as info:
        Trace.from_json(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_truncated_corrupt_and_missing_files(trace, tmp_path):
    text = trace.dumps()
    cases = {
        "truncated.json": (text[: len(text) // 2], "not valid JSON"),
        "empty.json": ("", "not valid JSON"),
        "list.json": ("[1, 2]", "top level should be a JSON object"),
        "binary.json": (b"\xff\xfe\x00garbage", "not UTF-8"),
        "pickle.json": (b"\x80\x04\x95", "not UTF-8"),
        "deep.json": ("[" * 100_000 + "]" * 100_000, "not a trace JSON can hold"),
        "hugeint.json": ('{"format": ' + "9" * 5000 + "}", "not a trace JSON can hold"),
    }
    for name, (body, problem) in cases.items():
        path = _write(tmp_path, body, name)
        with pytest.raises(TraceFormatError, match=problem) as info:
            Trace.from_json(path)
        assert name in str(info.value)
    with pytest.raises(TraceFormatError, match="cannot read"):
        Trace.from_json(tmp_path / "nope.json")


def test_records_are_plain_values():
    assert RaiseEvent(1, 2, 0, True) == RaiseEvent(1, 2, 0, True)
    assert DeliverEvent(1, 2, 0, None, 1).kind == "deliver"
    t = simulate("2l", Flood(1), ticks=5, seed=0)
    assert hash(t.events[0]) == hash(RaiseEvent(0, 1, 0, False))


def test_empty_run_round_trips_and_prints():
    t = simulate("3l", lambda ticks, rng: [], ticks=10, seed=0)
    assert t.events == () and Trace.loads(t.dumps()) == t
    assert "0 raises" in t.text()
