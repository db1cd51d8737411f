"""Every scenario under every code: pinned verdicts, replays, text and JSON.

The expected table is written out by hand (kinds of violation and the
length of the shortest counterexample, in steps before the guest's drain);
where the length can be counted from the actors' programs, a test below
does the count in its docstring.
"""

import json
from functools import cache

import pytest

import evtlib.races as races

NONE = ((), None)
LOST = ("lost-event",)
SPIN = ("unbounded-xen-work",)
SHAPE = ("malformed-queue",)
LOST_SHAPE = ("lost-event", "malformed-queue")
SHAPE_WRONG = ("malformed-queue", "wrong-queue")
ALL3 = ("lost-event", "malformed-queue", "wrong-queue")

EXPECTED = {
    ("ready-race", "fixed"): NONE,
    ("ready-race", "xen-4.4.0"): NONE,
    ("ready-race", "original"): (SHAPE_WRONG, 28),
    ("ready-race", "no-70ccddb14a"): (SHAPE_WRONG, 28),
    ("ready-race", "no-e33d4257fc"): (ALL3, 29),
    ("link-spin", "fixed"): NONE,
    ("link-spin", "xen-4.4.0"): NONE,
    ("link-spin", "original"): (SPIN, 24),
    ("link-spin", "no-70ccddb14a"): NONE,
    ("link-spin", "no-dae2a1c5f9"): (SPIN, 23),
    ("link-spin", "no-e33d4257fc"): NONE,
    ("link-spin", "no-917c123029"): NONE,
    ("link-spin-rules", "fixed"): NONE,
    ("link-spin-rules", "xen-4.4.0"): (LOST_SHAPE, 36),
    ("link-spin-rules", "no-dae2a1c5f9"): NONE,
    ("link-spin-repeat", "fixed"): (LOST_SHAPE, 43),
    ("link-spin-repeat", "xen-4.4.0"): (LOST_SHAPE, 39),
    ("link-spin-repeat", "no-dae2a1c5f9"): (SPIN, 21),
    ("old-tail-concurrent", "fixed"): NONE,
    ("old-tail-concurrent", "xen-4.4.0"): NONE,
    ("old-tail-concurrent", "original"): (SHAPE, 21),
    ("old-tail-concurrent", "no-70ccddb14a"): NONE,
    ("old-tail-concurrent", "no-dae2a1c5f9"): NONE,
    ("old-tail-concurrent", "no-e33d4257fc"): (LOST_SHAPE, 18),
    ("old-tail-concurrent", "no-917c123029"): NONE,
    ("old-tail-moved", "fixed"): NONE,
    ("old-tail-moved", "xen-4.4.0"): NONE,
    ("old-tail-moved", "original"): (ALL3, 32),
    ("old-tail-moved", "no-70ccddb14a"): NONE,
    ("old-tail-moved", "no-dae2a1c5f9"): NONE,
    ("old-tail-moved", "no-e33d4257fc"): (ALL3, 29),
    ("old-tail-moved", "no-917c123029"): NONE,
    ("old-tail-rebound", "fixed"): NONE,
    ("old-tail-rebound", "xen-4.4.0"): NONE,
    ("old-tail-rebound", "original"): (ALL3, 33),
    ("old-tail-rebound", "no-e33d4257fc"): (ALL3, 30),
    ("old-tail-lastq", "fixed"): NONE,
    ("old-tail-lastq", "xen-4.4.0"): (SHAPE_WRONG, 47),
    ("old-tail-lastq", "no-e33d4257fc"): (SHAPE_WRONG, 41),
    ("missing-page", "fixed"): NONE,
    ("missing-page", "xen-4.4.0"): NONE,
    ("missing-page", "original"): (LOST, 4),
    ("missing-page", "no-70ccddb14a"): NONE,
    ("missing-page", "no-dae2a1c5f9"): NONE,
    ("missing-page", "no-e33d4257fc"): NONE,
    ("missing-page", "no-917c123029"): (LOST, 4),
    ("missing-page-race", "fixed"): (LOST, 6),
    ("missing-page-race", "xen-4.4.0"): (LOST, 6),
    ("missing-page-race", "original"): (LOST, 4),
    ("missing-page-race", "no-70ccddb14a"): (LOST, 6),
    ("missing-page-race", "no-dae2a1c5f9"): (LOST, 6),
    ("missing-page-race", "no-e33d4257fc"): (LOST, 6),
    ("missing-page-race", "no-917c123029"): (LOST, 4),
    ("2l-raise-vs-upcall", "fixed"): NONE,
    ("2l-raise-vs-upcall", "late-upcall-clear"): (LOST, 13),
    ("2l-raise-vs-upcall", "sel-before-pending"): (LOST, 15),
    ("3l-raise-vs-upcall", "fixed"): NONE,
    ("3l-raise-vs-upcall", "late-upcall-clear"): (LOST, 15),
    ("3l-raise-vs-upcall", "sel-before-pending"): (LOST, 17),
    ("2l-unmask", "fixed"): NONE,
    ("2l-unmask", "unmask-no-recheck"): (LOST, 12),
    ("3l-unmask", "fixed"): NONE,
    ("3l-unmask", "unmask-no-recheck"): (LOST, 13),
    ("2l-binding-mismatch", "fixed"): NONE,
    ("2l-binding-mismatch", "binding-mismatch"): (LOST, 10),
    ("3l-binding-mismatch", "fixed"): NONE,
    ("3l-binding-mismatch", "binding-mismatch"): (LOST, 11),
}

PAIRS = sorted(EXPECTED)


@cache
def result(name, code):
    return races.explore(name, code)


def test_every_scenario_and_code_is_pinned():
    """A scenario or code added without a pinned verdict fails here."""
    listed = {(n, c) for n in races.scenarios() for c in races.codes(n)}
    assert listed == set(EXPECTED)


def test_required_scenarios_exist_with_fixed_first():
    required = {"ready-race", "link-spin", "old-tail-concurrent", "old-tail-moved",
                "missing-page", "2l-raise-vs-upcall", "2l-unmask",
                "2l-binding-mismatch", "3l-raise-vs-upcall"}
    assert required <= set(races.scenarios())
    for name in races.scenarios():
        assert races.codes(name)[0] == "fixed"


@pytest.mark.parametrize("name,code", PAIRS)
def test_verdict_and_shortest_counterexample(name, code):
    kinds, steps = EXPECTED[name, code]
    r = result(name, code)
    assert r.kinds == kinds
    if steps is None:
        assert r.ok and r.counterexample is None and r.schedule is None
    else:
        assert len(r.schedule) == steps
        # The counterexample is the shortest of the violations' witnesses.
        assert steps == min(len(v.schedule) for v in r.violations)
    assert r.states > 1 and r.transitions >= r.states - 1


@pytest.mark.parametrize("name,code", [p for p in PAIRS if EXPECTED[p][1]])
def test_replaying_each_witness_reproduces_it(name, code):
    r = result(name, code)
    for v in r.violations:
        steps = races.replay(name, code, list(v.schedule))
        assert steps == v.trace
        flagged = {k for s in steps for k in s.flags}
        assert v.kind in flagged
        if v.loop_start:
            # The state after the loop is the state where it began.
            assert steps[-1].state == steps[v.loop_start - 1].state


def test_each_fix_is_needed_and_enough():
    """Spec section 5: the code without the fix finds what the commit
    describes, and today's code finds nothing on that scenario."""
    cases = {"ready-race": ("no-70ccddb14a", "wrong-queue"),
             "link-spin": ("no-dae2a1c5f9", "unbounded-xen-work"),
             "old-tail-concurrent": ("no-e33d4257fc", "lost-event"),
             "old-tail-moved": ("no-e33d4257fc", "wrong-queue"),
             "missing-page": ("no-917c123029", "lost-event")}
    for name, (code, kind) in cases.items():
        assert kind in result(name, code).kinds, (name, code)
        assert result(name, "fixed").ok, name


def test_witness_lengths_quoted_in_docstrings():
    """The scenario notes quote these lengths; keep them true."""
    def lengths(name, code):
        return {v.kind: len(v.schedule) for v in result(name, code).violations}
    assert lengths("ready-race", "no-70ccddb14a") == {
        "malformed-queue": 28, "wrong-queue": 35}
    assert lengths("link-spin-rules", "xen-4.4.0")["lost-event"] == 36
    assert lengths("link-spin-repeat", "fixed")["lost-event"] == 43
    assert lengths("old-tail-lastq", "xen-4.4.0")["wrong-queue"] == 47
    assert lengths("old-tail-concurrent", "no-e33d4257fc")["lost-event"] == 18
    assert lengths("missing-page-race", "fixed")["lost-event"] == 6


def test_old_tail_concurrent_by_hand():
    """Without e33d4257fc the two raises build a LINK cycle and lose both.

    Count (Dec 2013 code, raise = page, priority, P, M, L, lock, read tail
    word, cmpxchg, unlock): xen-1 runs its first five steps (L of port 1 is
    set, no lock held), then xen-2 runs all nine (its tail, port 1, looks
    LINKED: LINK(1) := 2), then xen-1 its last four (its tail is now port 2:
    LINK(2) := 1). 5 + 9 + 4 = 18 steps; both appended, so READY is never
    set and nothing is delivered. In ``original`` READY follows every link,
    so the guest delivers both: only the queue shape is wrong.
    """
    r = result("old-tail-concurrent", "no-e33d4257fc")
    assert [s.actor for s in r.counterexample[:18]] == (
        ["xen-1"] * 5 + ["xen-2"] * 9 + ["xen-1"] * 4)
    shape = next(v for v in r.violations if v.kind == "malformed-queue")
    assert "loops back" in shape.message
    assert result("old-tail-concurrent", "original").kinds == ("malformed-queue",)


def test_missing_page_by_hand():
    """Without 917c123029: the raise finds no page and returns (1 step);
    expand_array adds the page (1 step, no re-raise loop); the unmask reads
    the word (M set, P clear) and clears M (2 steps): 4 steps, port 2 lost.

    With the fix, sequentially nothing is lost; concurrently (missing-page-
    race) the raise reads "no page" (1), expand_array adds the page (2) and
    finds no private pending flag (3), the raise sets it (4), the unmask
    reads and clears M (5, 6): 6 steps, and nothing reads the flag again.
    """
    r = result("missing-page", "no-917c123029")
    assert [s.actor for s in r.counterexample] == ["xen-2"] + ["guest"] * 3
    race = result("missing-page-race", "fixed")
    assert [s.actor for s in race.counterexample] == (
        ["xen-2", "guest", "guest", "xen-2", "guest", "guest"])
    assert "private pending flag" in race.violations[0].message


def test_binding_mismatch_by_hand():
    """xen-1: PENDING, MASK, selector bit on vCPU 1, upcall (4 steps); each
    guest: clear upcall, xchg selector, (vCPU 1: read the word, filtered:
    nothing), re-check the flag: 3 + 4 = 7 at most; the shortest run has
    both guests finish before the raise (3 + 3) and then 4 Xen steps: 10.
    The drain then serves vCPU 1 and filters the port out again.
    """
    r = result("2l-binding-mismatch", "binding-mismatch")
    assert len(r.schedule) == 10
    assert r.schedule.count("xen-1") == 4
    drain = r.counterexample[10:]
    assert drain and all(s.actor == "drain" for s in drain)
    assert not any(s.op.startswith("DELIVER") for s in drain)


def test_hostile_guest_only_loses_its_own_event():
    """With BUSY, set_link gives up on the hostile guest: port 2 stays
    LINKED (and pending) on no queue. The scenario does not count that as a
    violation (the guest broke the rules), but an extra invariant sees it.
    xen-2: raise, lock, P, M, L, read the tail word (6 steps), first
    cmpxchg (7), set B (8), re-read (9), 4 more cmpxchg (13), give up (14),
    unlock (15); each of the 5 failed cmpxchg needs one flip of M before
    it: 5 hostile steps, 20 in all."""
    def stranded(state):
        port2 = state["words"][1]
        return "port 2 is LINKED on no queue" if port2[1] and port2[3] else None
    inv = races.Invariant("port-2-stranded", stranded)
    r = races.explore("link-spin", "fixed", invariants=[inv])
    assert r.kinds == ("port-2-stranded",)
    assert len(r.schedule) == 20
    assert r.schedule.count("xen-2") == 15 and r.schedule.count("hostile") == 5


def test_unbounded_spin_is_a_cycle_without_busy_only():
    for code in ("original", "no-dae2a1c5f9"):
        v = result("link-spin", code).violations[0]
        assert v.loop_start is not None and v.loop_start < len(v.trace)
        loop = v.trace[v.loop_start:]
        assert any(s.actor == "xen-2" and "FAIL" in s.op for s in loop)
        assert all(s.actor in ("xen-2", "hostile") for s in loop)
    # On link-spin-repeat the queue lock bounds the changes: the verdict
    # comes from the attempt count (6 > 5), not from a cycle.
    v = result("link-spin-repeat", "no-dae2a1c5f9").violations[0]
    assert v.loop_start is None and "more than the fixed code's 5" in v.message


@pytest.mark.parametrize("name,code", PAIRS)
def test_text_fits_72_columns(name, code):
    text = result(name, code).text()
    assert all(len(line) <= 72 for line in text.splitlines())
    assert text.startswith(f"{name}, code {code}: ")
    detailed = result(name, code).text(states=True)
    assert all(len(line) <= 72 for line in detailed.splitlines())


@pytest.mark.parametrize("name", sorted({n for n, _ in EXPECTED}))
def test_describe_fits_72_columns_and_names_the_problem(name):
    for code in races.codes(name):
        text = races.describe(name, code)
        assert all(len(line) <= 72 for line in text.splitlines())
        assert f"Code {code} (" in text
    plain = races.describe(name)
    assert plain.startswith(name) and "Code " not in plain
    for part in ("Actors: ", "Initial state: ", "Question: "):
        assert f"\n\n{part}" in plain, part


@pytest.mark.parametrize("name,code", [("link-spin", "original"),
                                       ("ready-race", "no-70ccddb14a"),
                                       ("2l-unmask", "fixed")])
def test_json_round_trip(name, code):
    r = result(name, code)
    doc = json.loads(r.to_json())
    assert doc["version"] == races.JSON_VERSION
    assert (doc["scenario"], doc["code"], doc["states"]) == (name, code, r.states)
    assert [v["kind"] for v in doc["violations"]] == list(r.kinds)
    for v, got in zip(r.violations, doc["violations"], strict=True):
        assert got["schedule"] == list(v.schedule)
        assert len(got["trace"]) == len(v.trace)
        assert got["trace"][-1]["state"]["line"] == v.trace[-1].state.line
    if r.counterexample is not None:
        best = doc["violations"][doc["counterexample"]]
        assert len(best["trace"]) == len(r.counterexample)


def test_table_rows_and_text():
    rows = races.table(["missing-page", "2l-binding-mismatch"])
    assert [(r.scenario, r.code) for r in rows] == [
        (n, c) for n in ("missing-page", "2l-binding-mismatch")
        for c in races.codes(n)]
    by = {(r.scenario, r.code): r for r in rows}
    assert by["missing-page", "no-917c123029"].verdict == "lost-event (4 steps)"
    assert by["missing-page", "fixed"].verdict == "no violation"
    text = races.table_text(rows)
    assert all(len(line) <= 72 for line in text.splitlines())
    assert len(text.splitlines()) >= 2 + len(rows)
