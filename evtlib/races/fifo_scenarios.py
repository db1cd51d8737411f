"""The FIFO scenarios: one per row of spec section 5, and a few more.

Each builder's docstring is what :func:`evtlib.races.describe` prints;
its "Note:" paragraph says where the model and a commit's claim part ways.
Queues are named by priority (``q7`` is the default priority 7, ``q3`` a
higher one, consumed first), with the vCPU in front when there are two
(``v1q7``). Each scenario lists the codes that bear on its question:
today's (``fixed``), Xen 4.4.0, the original code and the code without the
fix in question, plus the other ablations where they are cheap.
"""

from __future__ import annotations

from dataclasses import replace

from .fifo_guest import (clear_p_frame, hostile_frame, mask_frame, unmask_guest_frame,
                         upcall_frame)
from .fifo_state import FifoModel, FifoSw, L, P, initial
from .fifo_xen import HYPER, bind_frame, expand_frame, priority_frame, raise_frame
from .registry import Actor, Setup, scenario

ALL_FIFO = ("fixed", "xen-4.4.0", "original", "no-70ccddb14a", "no-dae2a1c5f9",
            "no-e33d4257fc", "no-917c123029")


def _sw(code, labels, vcpus=1) -> FifoSw:
    return FifoSw(code.locking, code.ready_new_heads, code.busy, code.page_pending,
                  len(labels), tuple(labels), vcpus)


def _setup(sw, ports, actors, **init) -> Setup:
    moves = any(f[0] == HYPER for a in actors for f in a.frames)
    sw = replace(sw, moves=moves)
    return Setup(FifoModel, sw, initial(sw, ports, **init), tuple(actors),
                 {"ports": ports, "drain_frame": upcall_frame})


@scenario("ready-race", "fifo", ("fixed", "xen-4.4.0", "original", "no-70ccddb14a",
                                  "no-e33d4257fc"))
def ready_race(code):
    """READY set late for an appended event (70ccddb14a).

    Actors: xen-2 raises port 2 (priority 7); guest runs the upcall loop;
    prio-1 is the guest's EVTCHNOP_set_priority moving port 1 to priority
    3; xen-1 raises port 1 again.
    Initial state: port 1 is pending and LINKED, alone on q7 (HEAD 1, tail
    1, READY 7, upcall_pending set).
    Question: xen-2 appends port 2 behind port 1. If READY is set for
    every link, can the guest empty q7 before that READY lands, then follow
    the stale HEAD (port 1, meanwhile re-linked on q3) and consume from the
    wrong queue? The fixed code sets READY only with a new HEAD.
    Note: without 70ccddb14a the shortest violation (28 steps) is the
    stale HEAD alone: READY for port 2 lands after the guest has consumed
    ports 1 and 2, and the guest dequeues port 1 again, though it is on no
    queue (invariant 2). The wrong-queue consumption the commit describes
    follows when port 1 has been re-linked on q3 first (35 steps). Nothing
    is lost here: every event is still delivered, some from the wrong
    queue; a loss would need more events behind port 1 on q3.
    """
    sw = _sw(code, (3, 7))
    actors = (Actor("guest", (upcall_frame(0),)),
              Actor("xen-2", (raise_frame(2),)),
              Actor("prio-1", (priority_frame(1, 0),)),
              Actor("xen-1", (raise_frame(1),)))
    return _setup(sw, 3, actors, words={1: P | L}, head={(0, 7): 1},
                  tail={(0, 7): 1}, ready={0: (7,)}, upcall=(1,),
                  prio={1: 7, 2: 7}, lastq={1: (0, 7)})


@scenario("link-spin", "fifo", ALL_FIFO,
          checks=("unbounded-xen-work", "deadlock"))
def link_spin(code):
    """A hostile guest keeps changing the tail word (dae2a1c5f9).

    Actors: xen-2 raises port 2, to be appended behind port 1; hostile
    flips M of port 1 forever, ignoring BUSY (an endless actor).
    Initial state: port 1 pending and LINKED, alone on q7 (HEAD 1, tail
    1, READY 7, upcall_pending set).
    Question: can the guest make Xen's cmpxchg on the tail word fail for
    ever? Only invariant 4 (and deadlock) is checked: a guest that breaks
    the rules may lose its own events, as the commit says.
    Note: the claim reproduces. Without BUSY the cmpxchg fails for as long
    as the guest flips M: a cycle of states that Xen never leaves. With it,
    set_link gives up after 5 attempts and port 2, the hostile guest's own
    event, is left LINKED on no queue (20 steps; not a violation here).
    """
    sw = _sw(code, (7,))
    actors = (Actor("xen-2", (raise_frame(2),)),
              Actor("hostile", (hostile_frame(1),), endless=True))
    return _setup(sw, 3, actors, words={1: P | L}, head={(0, 7): 1},
                  tail={(0, 7): 1}, ready={0: (7,)}, upcall=(1,),
                  prio={1: 7, 2: 7}, lastq={1: (0, 7)})


@scenario("link-spin-rules", "fifo", ("fixed", "xen-4.4.0", "no-dae2a1c5f9"))
def link_spin_rules(code):
    """A rule-abiding guest changes the tail word while Xen links.

    Actors: xen-2 raises port 2, to be appended behind port 1; guest runs
    the upcall loop (its dequeue clears L and LINK of port 1, following
    LINK); mask-1 masks port 1; unmask-1 unmasks it as Linux 5.10 does (a
    cmpxchg clearing M, expecting B clear; or, if P is set, EVTCHNOP_unmask,
    where Xen clears M and raises port 1 again); clrP-1 clears P of port 1
    (the guest discarding that event). So every change dae2a1c5f9 allows
    (set M, clear M by the guest or by Xen, clear P, clear L) happens at
    most once, in every order.
    Initial state: port 1 pending and LINKED, alone on q7 (HEAD 1, tail
    1, READY 7, upcall_pending set).
    Question: does set_link stay within 1 + 4 cmpxchg attempts, and does
    the guest lose nothing?
    Note: in today's code, yes. In Xen 4.4.0, no: EVTCHNOP_unmask raises
    port 1 again after clearing M, and 4.4.0's raise sets P before taking
    any lock, so Xen itself makes a fifth change to the tail word. After
    the guest's set M (first attempt fails) come Xen's clear of M, the
    guest's clear of P, Xen's set of P and the dequeue's clear of L: the
    fifth failure is the clear of L, but set_link has used its 4 retries,
    gives up without looking at L and pretends port 2 is linked: it is
    LINKED on no queue and lost (36 steps). Today's raise takes q7's lock,
    which set_link holds, before it sets P, so that change cannot happen.
    """
    sw = _sw(code, (7,))
    actors = (Actor("xen-2", (raise_frame(2),)),
              Actor("guest", (upcall_frame(0),)),
              Actor("mask-1", (mask_frame(1),)),
              Actor("unmask-1", (unmask_guest_frame(1),)),
              Actor("clrP-1", (clear_p_frame(1),)))
    return _setup(sw, 3, actors, words={1: P | L}, head={(0, 7): 1},
                  tail={(0, 7): 1}, ready={0: (7,)}, upcall=(1,),
                  prio={1: 7, 2: 7}, lastq={1: (0, 7)})


@scenario("link-spin-repeat", "fifo", ("fixed", "xen-4.4.0", "no-dae2a1c5f9"))
def link_spin_repeat(code):
    """Three vCPUs of a rule-abiding guest mask and unmask the tail, again
    and again, while Xen links (dae2a1c5f9).

    Actors: xen-2 raises port 2, to be appended behind port 1; vcpu-a,
    vcpu-b and vcpu-c each loop forever: mask port 1, then unmask it as
    Linux 5.10 does (port 1 stays pending, so the unmask is EVTCHNOP_unmask:
    Xen clears M, then raises port 1 again). Every write to port 1's word is
    one the ABI allows; only their repetition is new.
    Initial state: port 1 pending and LINKED, alone on q7 (HEAD 1, tail
    1, READY 7, upcall_pending set).
    Question: the commit bounds set_link's failures by 4 because each
    allowed change happens once. Does the bound hold when they repeat, and
    does the guest then lose port 2?
    Note: the commit's bound does not survive repetition. In today's code
    each vCPU clears M through EVTCHNOP_unmask once, then its raise of port
    1 waits for q7's lock, which set_link holds: two vCPUs make at most 4
    changes and lose nothing (checked separately: 1,296 states), three make
    6, and set_link gives up: port 2 is lost although every write obeyed
    the ABI (43 steps). In Xen 4.4.0 the unmask's raise returns at once
    (port 1 is LINKED), so even one vCPU repeating mask and unmask makes
    Xen give up. Without BUSY (no-dae2a1c5f9) set_link makes more than the
    fixed code's 5 attempts, flagged as unbounded Xen work; here the queue
    lock still bounds them (6 changes, 6 attempts), so it is not a cycle.
    """
    sw = _sw(code, (7,))
    loop = (mask_frame(1), unmask_guest_frame(1))
    actors = (Actor("xen-2", (raise_frame(2),)),) + tuple(
        Actor(f"vcpu-{c}", loop, endless=True) for c in "abc")
    return _setup(sw, 3, actors, words={1: P | L}, head={(0, 7): 1},
                  tail={(0, 7): 1}, ready={0: (7,)}, upcall=(1,),
                  prio={1: 7, 2: 7}, lastq={1: (0, 7)})


@scenario("old-tail-concurrent", "fifo", ALL_FIFO)
def old_tail_concurrent(code):
    """An old tail re-raised while another event is raised (e33d4257fc, 1).

    Actors: xen-1 raises port 1 on one CPU; xen-2 raises port 2 on
    another; both go to q7. The guest drains at the end.
    Initial state: port 1 was q7's last event and has been consumed: its
    word is clear but Xen's tail of q7 is still port 1 (an old tail); HEAD
    of q7 is 1 (stale), READY clear.
    Question: xen-1 sets L on port 1 before taking q7's lock. Can xen-2 see
    that L, take port 1 for a live tail and write LINK instead of HEAD?
    Note: without e33d4257fc (with 70ccddb14a, as in Dec 2013) the LINK
    cycle 1 -> 2 -> 1 forms and, both events having been appended, READY
    is never set: both are lost (18 steps). In original, where READY is set
    for every link, the same cycle forms but nothing is lost: the guest
    follows HEAD round the loop once and clear_linked stops it; only
    invariant 2 fails (and the guest dequeues port 1 a second time).
    """
    sw = _sw(code, (7,))
    actors = (Actor("xen-1", (raise_frame(1),)),
              Actor("xen-2", (raise_frame(2),)))
    return _setup(sw, 3, actors, head={(0, 7): 1}, tail={(0, 7): 1},
                  prio={1: 7, 2: 7}, lastq={1: (0, 7)})


@scenario("old-tail-moved", "fifo", ALL_FIFO)
def old_tail_moved(code):
    """An old tail moved to another queue, then an event on the old one
    (e33d4257fc, case 2).

    Actors: xen-1 raises port 1, whose priority is now 3; xen-3 raises port
    3 (priority 3); xen-2 raises port 2 (priority 7). The guest drains at
    the end.
    Initial state: port 1 was q7's last event and has been consumed (old
    tail of q7, HEAD of q7 stale); the guest has since moved it to
    priority 3 with EVTCHNOP_set_priority.
    Question: port 1 is linked on q3 (with port 3 behind it). Can the raise
    of port 2 on q7 take port 1 for q7's live tail and overwrite its LINK,
    cross-linking the queues and losing port 3?
    """
    sw = _sw(code, (3, 7))
    actors = (Actor("xen-1", (raise_frame(1),)),
              Actor("xen-3", (raise_frame(3),)),
              Actor("xen-2", (raise_frame(2),)))
    return _setup(sw, 4, actors, head={(0, 7): 1}, tail={(0, 7): 1},
                  prio={1: 3, 2: 7, 3: 3}, lastq={1: (0, 7)})


@scenario("old-tail-rebound", "fifo", ("fixed", "xen-4.4.0", "original", "no-e33d4257fc"))
def old_tail_rebound(code):
    """An old tail moved to another vCPU, then an event on the old queue
    (e33d4257fc, case 2, by EVTCHNOP_bind_vcpu).

    Actors: bind-1 (EVTCHNOP_bind_vcpu) moves port 1 to vCPU 1; xen-1
    raises port 1 on its notify vCPU as read when the raise starts; xen-3
    raises port 3 (vCPU 1); xen-2 raises port 2 (vCPU 0). All at priority
    7. The guest drains both vCPUs at the end.
    Initial state: port 1 was the last event of vCPU 0's q7 and has been
    consumed (old tail; HEAD of v0q7 stale).
    Question: when port 1 is linked on vCPU 1's q7 (port 3 behind it), can
    the raise of port 2 on vCPU 0 take it for v0q7's live tail and cross-
    link the two vCPUs' queues?
    """
    sw = _sw(code, (7,), vcpus=2)
    actors = (Actor("bind-1", (bind_frame(1, 1),)),
              Actor("xen-1", (raise_frame(1),)),
              Actor("xen-3", (raise_frame(3),)),
              Actor("xen-2", (raise_frame(2),)))
    return _setup(sw, 4, actors, head={(0, 7): 1}, tail={(0, 7): 1},
                  prio={1: 7, 2: 7, 3: 7}, notify={3: 1}, lastq={1: (0, 7)})


@scenario("old-tail-lastq", "fifo", ("fixed", "xen-4.4.0", "no-e33d4257fc"))
def old_tail_lastq(code):
    """fifo_lastq recorded from a priority that changed meanwhile
    (e33d4257fc's locking; Jan Beulich's 6f6f07b64c, 2020).

    Actors: xen-1 raises port 1 while prio-1 (EVTCHNOP_set_priority) moves
    port 1 back to priority 7; guest runs the upcall loop; then xen-1b
    raises port 1 again (once xen-1 has finished), then xen-3 raises port 3
    (priority 3; once xen-1b has finished).
    Initial state: port 1 is q7's old tail (consumed; tail and stale HEAD
    of q7 are port 1) and has priority 3; port 3 has priority 3.
    Question: Xen 4.4.0 picks the queue from the priority read before its
    locks, but records fifo_lastq from the priority as it is later. Can
    port 1 be linked on q3 while fifo_lastq says q7, so that the old-tail
    rule later misses q3's tail and port 3 is linked behind port 1 on q7?
    Note: a difference between Xen 4.4.0 and today's code (spec 1.4 says
    they should agree): 4.4.0 cross-links q3 and q7 here (47 steps), the
    case 2 corruption e33d4257fc set out to prevent. Today's code records
    fifo_lastq from the queue it actually locked (6f6f07b64c, 2020).
    """
    sw = _sw(code, (3, 7))
    actors = (Actor("xen-1", (raise_frame(1),)),
              Actor("prio-1", (priority_frame(1, 1),)),
              Actor("guest", (upcall_frame(0),)),
              Actor("xen-1b", (raise_frame(1),), after=("xen-1",)),
              Actor("xen-3", (raise_frame(3),), after=("xen-1b",)))
    return _setup(sw, 4, actors, head={(0, 7): 1}, tail={(0, 7): 1},
                  prio={1: 3, 2: 7, 3: 3}, lastq={1: (0, 7)})


@scenario("missing-page", "fifo", ALL_FIFO)
def missing_page(code):
    """A port raised before its event-array page exists (917c123029).

    Actors: xen-2 raises port 2 (bound by the toolstack); then guest
    (starting only once xen-2 has finished) adds the page holding port 2
    with EVTCHNOP_expand_array and unmasks port 2 as Linux does.
    Initial state: port 2's page is missing; nothing is pending.
    Question: is the event kept until the guest can see it?
    """
    sw = _sw(code, (7,))
    actors = (Actor("xen-2", (raise_frame(2),)),
              Actor("guest", (expand_frame((2,)), unmask_guest_frame(2)),
                    after=("xen-2",)))
    return _setup(sw, 3, actors, prio={1: 7, 2: 7}, missing=(2,))


@scenario("missing-page-race", "fifo", ALL_FIFO)
def missing_page_race(code):
    """The same raise, concurrent with expand_array (917c123029).

    Actors: xen-2 raises port 2 on one CPU; guest adds the page holding
    port 2 with EVTCHNOP_expand_array, then unmasks port 2, at the same
    time. The raise (evtchn_send, holding the sender's locks) and
    expand_array (holding the receiver's event_lock) share no lock, so
    their accesses to Xen's private data interleave.
    Initial state: port 2's page is missing; nothing is pending.
    Question: can the raise find the page missing, expand_array add the
    page and look for the private pending flag, and only then the raise
    set that flag, which nothing reads again?
    Note: a finding: yes, in every code, today's included (6 steps). The
    fix keeps an event raised strictly before expand_array (missing-page);
    a raise concurrent with it can still be lost, because the page check
    and the flag write in the raise, and the page add and the flag read in
    expand_array, are not ordered by any lock they share.
    """
    sw = _sw(code, (7,))
    actors = (Actor("xen-2", (raise_frame(2),)),
              Actor("guest", (expand_frame((2,)), unmask_guest_frame(2))))
    return _setup(sw, 3, actors, prio={1: 7, 2: 7}, missing=(2,))
