"""Reading trace files: ranges and consistency, the bulk reader, the size cap.

Types were always checked (tests/test_trace.py); a file of the right types
but impossible values (ticks 0, vCPUs -1, scheme "x", negative counts,
ports past the limit, latencies beyond the run, events out of order) is a
:class:`TraceFormatError` naming the field and the valid range too.
"""

from __future__ import annotations

import json

import pytest

from evtlib.sim import simulate, tracefile
from evtlib.sim.metrics import metrics_table, overall, report
from evtlib.sim.trace import LONG_LINE, Trace, TraceFormatError, fit
from evtlib.sim.workloads import preset


@pytest.fixture(scope="module")
def trace():
    return simulate("2l", preset("mixed"), ticks=200, seed=3, vcpus=2, word_bits=32)


def _index(data, kind, n=0):
    """Index in ``events`` of the n-th event of ``kind``."""
    return [i for i, e in enumerate(data["events"]) if e[0] == kind][n]


def _set(data, kind, field, value, n=0):
    from evtlib.sim.records import EVENT_FIELDS
    data["events"][_index(data, kind, n)][1 + EVENT_FIELDS[kind].index(field)] = value


CASES = [
    # the examples
    (lambda d: d["config"].update(ticks=0), r"config.ticks 0 is out of range: valid values are 1\.\."),
    (lambda d: d["config"].update(vcpus=-1), r"config.vcpus -1 is out of range: valid values are 1\.\.4096"),
    (lambda d: d["config"].update(scheme="x"), r"config.scheme \"x\" is unknown: valid schemes are '2l', '3l', 'fifo'"),
    (lambda d: d["summary"].update(raises=-4), r"summary.raises -4 is out of range: valid values are 0\.\."),
    (lambda d: _set(d, "r", "port", 1024), r"events\[\d+\].port 1024 is out of range: valid values are 1\.\.1023"),
    (lambda d: _set(d, "d", "port", -3), r"events\[\d+\].port -3 is out of range"),
    (lambda d: _set(d, "d", "latency", 10**4000), r"events\[\d+\].latency 1000.* is out of range"),
    (lambda d: _set(d, "d", "latency", 10**6), r"events\[\d+\].latency 1000000 is out of range: valid values are 0\.\.its tick"),
    (lambda d: d["events"].insert(0, d["events"].pop(_index(d, "d", 3))), r"events\[1\].tick .* is before events\[0\].tick .*: events must be sorted in time"),
    # more of the same
    (lambda d: d["config"].update(word_bits=48), r"config.word_bits 48 does not fit 2l: valid values are 32, 64"),
    (lambda d: d["config"].update(max_ports=5000), r"config.max_ports 5000 does not match 2l W=32: the valid value is 1024"),
    (lambda d: d["config"].update(scan="sideways"), r"config.scan \"sideways\" does not fit 2l"),
    (lambda d: d["config"].update(horizon=-1), r"config.horizon -1 is out of range"),
    (lambda d: d["config"].update(classes=[[0, "x"]]), r"config.classes\[0\]\[0\] 0 is out of range: valid values are 1\.\.1023"),
    (lambda d: d["config"].update(priorities=[[5, 16]]), r"config.priorities\[0\]\[1\] 16 is out of range: valid values are 0\.\.15"),
    (lambda d: d["summary"].update(end=5), r"summary.end 5 is out of range: valid values are 200\.\."),
    (lambda d: d["summary"].update(waiting=[[7, 500]]), r"summary.waiting\[0\]\[1\] 500 is out of range: valid ticks are 0\.\.199"),
    (lambda d: d["summary"].update(deliveries=d["summary"]["deliveries"] + 1), r"summary.deliveries is \d+ but the events hold \d+"),
    (lambda d: _set(d, "r", "vcpu", 2), r"events\[\d+\].vcpu 2 is out of range: valid values are 0\.\.1"),
    (lambda d: _set(d, "r", "tick", 200), r"events\[\d+\].tick 200 is out of range: valid values are 0\.\.199"),
    (lambda d: _set(d, "u", "index", 7), r"events\[\d+\].index 7 is out of range: valid values are 1, 2, 3"),
    (lambda d: _set(d, "u", "reads", -1), r"events\[\d+\].reads -1 is out of range"),
    (lambda d: _set(d, "d", "upcall", 10**6), r"events\[\d+\].upcall 1000000 is out of range"),
]


@pytest.mark.parametrize("change, problem", CASES)
def test_impossible_values_are_named_with_their_range(trace, tmp_path, change, problem):
    data = trace.to_dict()
    change(data)
    for text in (json.dumps(data), _canonical(data)):
        path = tmp_path / "bad.json"
        path.write_text(text)
        with pytest.raises(TraceFormatError, match=problem) as info:
            Trace.from_json(path)
        assert str(path) in str(info.value)
        assert len(str(info.value)) < 400


def _canonical(data) -> str:
    """``data`` in the layout ``Trace.dumps`` writes (the bulk reader's)."""
    events = data.pop("events")
    head = json.dumps(data, indent=1, sort_keys=True)
    data["events"] = events
    rows = ",\n  ".join(json.dumps(r, separators=(",", ":")) for r in events)
    return head[:-2] + ",\n " + f'"events": [\n  {rows}\n ]' + "\n}\n"


def test_the_bulk_reader_reads_what_dumps_writes(trace):
    text = trace.dumps()
    assert _canonical(trace.to_dict()) == text
    got = tracefile._fast([text.encode()], "t")
    assert got is not None, "dumps() output must take the bulk path"
    config, summary, table = got
    assert (config, summary, table) == (trace.config, trace.summary, trace.table)


@pytest.mark.parametrize("name,opts", [("2l", {"scan": "from-zero"}), ("3l", {}),
                                       ("fifo", {"vcpus": 3})])
def test_bulk_and_exact_readers_agree(name, opts):
    t = simulate(name, preset("guests"), ticks=400, seed=1, **opts)
    text = t.dumps()
    assert Trace.loads(text) == t                         # bulk
    assert Trace.loads(json.dumps(json.loads(text))) == t  # another layout: exact
    assert Trace.from_dict(json.loads(text)) == t


@pytest.mark.parametrize("old, new", [('"merged":', '"merged" :'), ('["d",', '["d" ,'),
                                      ("\n  [", "\n[")])
def test_other_layouts_read_the_same(trace, old, new):
    """JSON that is not dumps()'s layout leaves the bulk reader for the exact one."""
    odd = trace.dumps().replace(old, new, 1)
    assert odd != trace.dumps()
    if old != '"merged":':
        assert tracefile._fast([odd.encode()], "t") is None
    assert Trace.loads(odd) == trace


@pytest.mark.parametrize("old, new, problem", [
    (",false]", ",0]", "merged should be bool"), (",true]", ",1]", "merged should be bool"),
    (",false]", ",0.5]", "merged should be bool"), ('["d",', '["d",0.5,', "should have 5"),
    ('["u",', '["u",true,', "should have 9"), (',false]', ',null]', "merged should be bool")])
def test_wrong_types_in_dumps_layout_are_named_by_the_exact_reader(trace, old, new, problem):
    text = trace.dumps()
    if old not in text:
        pytest.skip(f"no {old} in this trace")
    odd = text.replace(old, new, 1)
    assert tracefile._fast([odd.encode()], "t") is None
    with pytest.raises(TraceFormatError, match=problem):
        Trace.loads(odd)


@pytest.mark.parametrize("odd", [
    '["r",1,2,0,false,"d"],\n  [1,2,3,4,5]',     # a marker inside a row
    '["r",[1],2,0,false]',                        # nested list
    '["r",1,2,0,false],["r",1,2,0,false]',         # two rows on a line
    '["r",-1,2,0,false]', '["r",1e3,2,0,false]', '["r",99999999999999999999,2,0,false]',
])
def test_malformed_rows_never_slip_through_the_bulk_reader(trace, odd):
    data = trace.to_dict()
    text = _canonical(data)
    first = json.dumps(data["events"][0], separators=(",", ":"))
    with pytest.raises(TraceFormatError):
        Trace.loads(text.replace(first, odd, 1))


def test_the_file_size_is_capped(trace, tmp_path):
    path = tmp_path / "t.json"
    trace.to_json(path)
    size = path.stat().st_size
    with pytest.raises(TraceFormatError, match=f"{size:,} bytes, more than the cap of 1,000"):
        Trace.from_json(path, max_bytes=1000)
    assert Trace.from_json(path, max_bytes=size) == trace
    assert tracefile.DEFAULT_MAX_BYTES == 512 * 2**20


def test_metrics_of_a_loaded_trace_cannot_divide_by_zero_or_overflow(trace, tmp_path):
    """The issue: ticks=0 made report() and metrics_table() divide by zero,
    and a 10**4000 latency overflowed the metrics. Both are refused on load,
    so whatever loads can be measured."""
    path = tmp_path / "t.json"
    trace.to_json(path)
    back = Trace.from_json(path)
    assert report(back) == report(trace) and metrics_table([back]) == metrics_table([trace])
    assert overall(back) == overall(trace)


def test_fit_cuts_long_words_into_line_sized_pieces():
    word = "x" * (LONG_LINE * 3)
    text = fit("ARG workload " + word)
    lines = text.splitlines()
    assert all(len(line) <= 72 for line in lines)
    assert lines[0] == "ARG workload" and "".join(map(str.strip, lines[1:])) == word
    # short lines and ordinary long ones wrap exactly as textwrap does
    import textwrap
    line = "Raises never delivered (port@tick): " + " ".join(f"{p}@{p}" for p in range(500))
    assert fit(line) == textwrap.fill(line, width=72, subsequent_indent=" " * 4,
                                      break_on_hyphens=False)


def test_text_of_a_trace_with_a_huge_string(trace):
    import dataclasses
    big = dataclasses.replace(trace.config, workload="w" * (LONG_LINE * 50))
    t = Trace(big, trace.table, trace.summary)
    lines = t.text(limit=3).splitlines()
    assert all(len(line) <= 72 for line in lines)
