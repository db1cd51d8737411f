"""The checks on hand-made states: each invariant's code can see a violation.

The scenarios never double-deliver, so the extra-delivery checks are shown
firing here, on states built by hand, next to the queue-shape and loss
checks.
"""

from evtlib.races import bitmap_actors as bm
from evtlib.races.engine import put
from evtlib.races.fifo_guest import G, g_ack, g_cl_cas, upcall_frame
from evtlib.races.fifo_state import OWED, FifoModel, FifoSw, L, M, P, initial, queue_problems

SW = FifoSw("2020", True, True, True, 2, (3, 7), 1)
Q7 = 1   # queue id of priority 7 on vCPU 0 (labels (3, 7))


def model(shared):
    return FifoModel((), ["x"], [(("guest.upcall", "clr", G(0)), ())], shared, SW,
                     ("lost-event", "malformed-queue"), ports=4,
                     drain_frame=upcall_frame)


def test_fifo_ack_without_a_raise_is_an_extra_delivery():
    sh = initial(SW, 4, words={1: P})
    ok = g_ack(sh, G(0, q=Q7, port=1), 0, SW)
    assert ok[4] is None and not ok[0][OWED] & 2
    bad = g_ack(put(sh, OWED, 0), G(0, q=Q7, port=1), 0, SW)
    assert bad[4] == "extra-delivery" and "no raise" in bad[3]


def test_dequeue_checks_the_queue_the_port_was_linked_for():
    # Port 1 LINKED for q7 (lastq); dequeued from q3: wrong queue.
    sh = initial(SW, 4, words={1: P | L}, lastq={1: (0, 7)})
    w = sh[0][1]
    wrong = g_cl_cas(sh, G(0, q=0, port=1, w=w), 0, SW)
    assert wrong[4] == "wrong-queue" and "linked for q7" in wrong[3]
    right = g_cl_cas(sh, G(0, q=Q7, port=1, w=w), 0, SW)
    assert right[4] is None
    # A port on no queue (L clear): a stale HEAD, invariant 2.
    stale = g_cl_cas(initial(SW, 4), G(0, q=Q7, port=1, w=0), 0, SW)
    assert stale[4] == "malformed-queue" and "stale HEAD" in stale[3]


def test_queue_shape_finds_loops_orphans_and_a_wrong_tail():
    """q7: HEAD 1, READY set, 1 -> 2 -> 1 (a loop); port 3 LINKED alone."""
    sh = initial(SW, 4, words={1: L | 2, 2: L | 1, 3: L}, head={(0, 7): 1},
                 tail={(0, 7): 2}, ready={0: (7,)}, lastq={1: (0, 7), 2: (0, 7),
                                                        3: (0, 7)})
    problems = queue_problems(sh, SW)
    assert problems[0] == "q7: LINK loops back to port 1 (1 -> 2 -> 1)"
    assert "port 3 is LINKED but no queue reaches it" in problems
    good = initial(SW, 4, words={1: L | 2, 2: L}, head={(0, 7): 1},
                   tail={(0, 7): 2}, ready={0: (7,)},
                   lastq={1: (0, 7), 2: (0, 7)})
    assert queue_problems(good, SW) == []
    wrong_tail = put(good, 2, (0, 1))
    assert queue_problems(wrong_tail, SW) == [
        "q7: the chain ends at port 2 but Xen's tail is port 1"]
    # An orphan loop is named as a loop too.
    orphan = initial(SW, 4, words={1: L | 2, 2: L | 1}, lastq={1: (0, 7), 2: (0, 7)})
    assert queue_problems(orphan, SW)[0].startswith("LINK loops back to port")


def test_drained_state_reports_a_pending_unmasked_port_as_lost():
    m = model(initial(SW, 4, words={2: P}))
    kinds = [k for k, _ in m.end_checks(m.init[0])[0]]
    assert kinds == ["lost-event"]
    masked = model(initial(SW, 4, words={2: P | M}))
    assert masked.end_checks(masked.init[0])[0] == []


def test_bitmap_ack_without_a_raise_is_an_extra_delivery():
    sw = bm.BitSw(2, 2, 1, False, False, False, (0, 0, 0, 0), (0b1110,))
    sh = bm.initial(sw, pending=(1,))
    loc = (0, 0, 0, 0, 0b10)
    assert bm.g_ack(sh, loc, 0, sw)[4] is None
    assert bm.g_ack(put(sh, bm.OWED, 0), loc, 0, sw)[4] == "extra-delivery"
