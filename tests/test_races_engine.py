"""The explorer itself: state counts on toy models counted by hand, locks,
deadlock, cycles, shortest witnesses, bad input, and checks that can fail.
"""

from dataclasses import FrozenInstanceError

import pytest

import evtlib.races as races
from evtlib.races.engine import GuestState, Model, Program, put
from evtlib.races.search import run, search, violations

# ------------------------------------------------------------ toy models
# Shared state: a tuple of small ints. Locals: () unless said otherwise.


def write(slot, value, then=None):
    """A handler writing ``value`` into ``slot``, then going to ``then``."""
    def h(sh, loc, me, sw):
        return put(sh, slot, value), then and ("toy", then, loc), f"x{slot}={value}", \
            f"actor {me} writes {value} to slot {slot}", None
    return h


def lock(then, prog="toy"):
    def h(sh, loc, me, sw):
        if sh[0]:
            return None
        return put(sh, 0, me + 1), (prog, then, loc), "lock", "take the lock", None
    return h


def unlock(sh, loc, me, sw):
    return put(sh, 0, 0), None, "unlock", "release the lock", None


def spin(sh, loc, me, sw):
    # Wait for slot 1 to become 1, re-reading it each time.
    if sh[1]:
        return sh, None, "rd x1:1", "the flag is up", None
    return sh, ("spin", "wait", loc), "rd x1:0", "the flag is down: retry", None


def bad_step(sh, loc, me, sw):
    return put(sh, 2, 1), None, "oops", "this step breaks invariant 5", "extra-delivery"


class Toy(Model):
    scheme = "toy"

    def visible(self, sh):
        return GuestState("toy", (("slots", sh),), " ".join(map(str, sh)))

    def drain_frame(self, sh):
        return None


TOY = Program("toy", False, {
    "a0": write(1, 1, "a1"), "a1": write(1, 2),
    "b0": write(2, 1, "b1"), "b1": write(2, 2),
    "lock": lock("unlock"), "unlock": unlock, "bad": bad_step})
XSPIN = Program("spin", True, {"wait": spin})


def guest_spin(sh, loc, me, sw):
    """The same wait, as guest code."""
    r = spin(sh, loc, me, sw)
    return r[0], r[1] and ("gspin", "wait", ()), r[2], r[3], r[4]


GSPIN = Program("gspin", False, {"wait": guest_spin})
CHECKS = tuple(races.KINDS)


def toy(stacks, shared=(0, 0, 0), endless=(), after=None, programs=(TOY,)):
    names = [f"t{i}" for i in range(len(stacks))]
    return Toy(programs, names, stacks, shared, None, CHECKS, endless=endless,
               after=after)


def frame(pc, prog="toy"):
    return ((prog, pc, ()), ())


def test_two_independent_actors_give_a_grid():
    """Each actor makes 2 steps on its own slot, so the states are the 3 x 3
    pairs of program counters: 9 states; every state has one move per
    unfinished actor: 2*3 + 3*2 = 12 transitions; one end state."""
    f = search(toy([frame("a0"), frame("b0")]))
    assert (f.states, f.transitions, f.ends) == (9, 12, 1)
    assert f.witnesses == {}


def test_a_lock_excludes_the_holding_pair():
    """Two actors, each: lock, unlock. Of the 3 x 3 program-counter pairs
    the one with both holding the lock is unreachable: 8 states; from
    (0, 0) 2 moves, from each other unfinished state 1: 8 transitions."""
    f = search(toy([frame("lock"), frame("lock")]))
    assert (f.states, f.transitions, f.ends) == (8, 8, 1)


def test_deadlock_is_reported():
    """t0 takes the lock, then waits for it again (it is not re-entrant):
    after one step no actor can move and t0 has not finished."""
    hold = Program("hold", False, {"l1": lock("l2", "hold"), "l2": lock("x", "hold"),
                                   "x": unlock})
    f = search(toy([(("hold", "l1", ()), ())], programs=(TOY, hold)))
    assert "deadlock" in f.counts
    assert f.witnesses["deadlock"][1] == (0,)


def test_a_step_flag_is_found_with_its_shortest_path():
    """t0 writes twice, t1 runs one flagged step: the shortest run to the
    flag is t1 alone (1 step), although longer ones exist."""
    m = toy([frame("a0"), frame("bad")])
    f = search(m)
    assert f.witnesses["extra-delivery"][1] == (1,)
    assert f.counts["extra-delivery"] == 3   # once from each of t0's 3 pcs
    (v,) = violations(m, f)
    assert v.kind == "extra-delivery" and v.trace[0].flags == ("extra-delivery",)


def test_xen_spinning_on_the_guest_is_unbounded_work():
    """Xen code waiting for a flag the guest may not have set yet repeats
    one step in an unchanged state: a cycle that only Xen code runs."""
    setter = frame("a0")   # writes slot 1 := 1, then 2
    m = toy([(("spin", "wait", ()), ()), setter], programs=(TOY, XSPIN))
    f = search(m)
    _, sched, loop = f.witnesses["unbounded-xen-work"]
    assert sched == (0,) and loop == 0
    steps, _, start = run(m, sched, finish=False)
    assert start == 0 and steps[0].flags == ("unbounded-xen-work",)


def test_a_guest_spinning_is_not_xen_work():
    m = toy([(("gspin", "wait", ()), ()), frame("a0")], programs=(TOY, GSPIN))
    assert "unbounded-xen-work" not in search(m).counts


def test_endless_actors_restart_and_end_states_need_them_at_the_start():
    """t1 writes slot 2 := 1 then 2, forever; t0 writes slot 1 twice. End
    states are those with t0 done and t1 at its first step: slot 2 may then
    hold 0 (t1 never ran) or 2 (it ran whole rounds): 2 end states."""
    f = search(toy([frame("a0"), frame("b0")], endless=[1]))
    assert f.ends == 2


def test_after_delays_an_actor():
    """With t1 after t0, the 9-state grid shrinks to the path t0, t0, t1,
    t1: 5 states, 4 transitions."""
    f = search(toy([frame("a0"), frame("b0")], after={1: (0,)}))
    assert (f.states, f.transitions) == (5, 4)


def test_state_cap_raises_a_clear_error():
    with pytest.raises(races.StateLimitError, match="more than 5 states"):
        search(toy([frame("a0"), frame("b0")]), max_states=5)
    with pytest.raises(races.StateLimitError, match="max_states"):
        races.explore("2l-unmask", "fixed", max_states=100)
    with pytest.raises(ValueError, match="positive int"):
        races.explore("2l-unmask", "fixed", max_states=0)


# --------------------------------------------- checks that can fail
def test_a_broken_invariant_is_reported():
    """'Nothing is ever pending' is false for 2-level after port 1 is
    raised masked: the explorer must say so, with a witness."""
    def never_pending(state):
        return "a port is pending" if state["pending"] else None
    broken = races.Invariant("never-pending", never_pending)
    r = races.explore("2l-unmask", "unmask-no-recheck", invariants=[broken])
    assert "never-pending" in r.kinds
    v = next(v for v in r.violations if v.kind == "never-pending")
    assert v.message == "a port is pending"
    assert "never-pending" in v.trace[-1].flags


def test_a_true_invariant_is_not_reported():
    def nothing_pending_unmasked(state):
        left = set(state["pending"]) - set(state["mask"])
        return f"ports {sorted(left)} pending and unmasked" if left else None
    ok = races.Invariant("drained", nothing_pending_unmasked)
    assert races.explore("2l-unmask", "fixed", invariants=[ok]).ok


def test_invariants_must_be_records():
    with pytest.raises(TypeError, match="Invariant"):
        races.explore("2l-unmask", "fixed", invariants=[lambda s: None])


def test_every_mutant_is_caught():
    """Each teaching mutant loses an event on the scenario it runs on."""
    for name in races.scenarios():
        for code in races.codes(name):
            if code in ("late-upcall-clear", "sel-before-pending",
                        "unmask-no-recheck", "binding-mismatch"):
                assert "lost-event" in races.explore(name, code).kinds, (name, code)


# ------------------------------------------------------------ bad input
def test_bad_scenario_lists_valid_names():
    with pytest.raises(ValueError, match="valid values: ready-race") as e:
        races.explore("no-such")
    assert "2l-unmask" in str(e.value)
    with pytest.raises(ValueError, match="unknown scenario"):
        races.codes(7)


def test_bad_code_lists_valid_codes():
    with pytest.raises(ValueError, match="valid values: fixed, unmask-no-recheck"):
        races.explore("2l-unmask", "original")
    with pytest.raises(ValueError, match="unknown code"):
        races.describe("ready-race", "no-such")


def test_bad_schedule_names_step_and_enabled_actors():
    with pytest.raises(ValueError, match=r"step 1: unknown actor 'zz'.*enabled "
                                         r"there: xen-2, guest$"):
        races.replay("missing-page-race", "fixed", ["xen-2", "zz"])
    # guest waits for xen-2 in missing-page: only xen-2 may move first.
    with pytest.raises(ValueError, match=r"step 0: actor 'guest' cannot move "
                                         r"there; enabled actors: xen-2$"):
        races.replay("missing-page", "fixed", ["guest"])
    with pytest.raises(ValueError, match="list of actor names"):
        races.replay("missing-page", "fixed", "xen-2")


def test_replay_is_deterministic_and_partial_runs_have_no_drain():
    a = races.replay("old-tail-concurrent", "no-e33d4257fc", ["xen-1"] * 3)
    b = races.replay("old-tail-concurrent", "no-e33d4257fc", ["xen-1"] * 3)
    assert a == b and len(a) == 3
    assert all(s.actor == "xen-1" and s.xen for s in a)
    assert a[2].op == "tas P1:0" and a[2].state["words"][0] == (1, 1, 0, 0, 0, 0)
    assert a[2].state.line.startswith("1:P--- 2:---- |")


def test_records_are_frozen():
    step = races.replay("missing-page", "fixed", ["xen-2"])[0]
    with pytest.raises(FrozenInstanceError):
        step.op = "x"
    r = races.explore("missing-page", "original")
    with pytest.raises(FrozenInstanceError):
        r.states = 0
    with pytest.raises(FrozenInstanceError):
        r.violations[0].kind = "x"


def test_fifo_snapshot_shows_what_the_views_draw():
    steps = races.replay("ready-race", "fixed", ["guest", "guest"])
    s = steps[-1].state.as_dict()
    assert set(s) >= {"words", "head", "ready", "local_head", "tail", "upcall"}
    # (port, P, M, L, B, LINK)
    assert s["words"] == ((1, 1, 0, 1, 0, 0), (2, 0, 0, 0, 0, 0))
    assert s["missing"] == ()
    assert s["ready"] == ((),) and s["upcall"] == (0,)
    assert dict(s["head"]) == {"q3": 0, "q7": 1}
    assert dict(s["tail"]) == {"q3": 0, "q7": 1}


def test_fifo_snapshot_marks_missing_pages_and_links():
    steps = races.replay("missing-page", "no-917c123029", ["xen-2"])
    assert steps[0].state["missing"] == (2,)
    assert "2:????" in steps[0].state.line
    run = races.replay("old-tail-concurrent", "no-e33d4257fc",
                       ["xen-1"] * 5 + ["xen-2"] * 9 + ["xen-1"] * 4)
    words = run[17].state["words"]
    assert words == ((1, 1, 0, 1, 0, 2), (2, 1, 0, 1, 0, 1))


def test_bitmap_snapshot():
    steps = races.replay("2l-raise-vs-upcall", "fixed", ["guest", "guest"])
    s = steps[-1].state.as_dict()
    assert s["pending"] == (1,) and s["selector"] == (0,) and s["upcall"] == (0,)
    three = races.replay("3l-raise-vs-upcall", "fixed", ["guest"])[0].state
    assert three["l2"] == ((1, 0),)
