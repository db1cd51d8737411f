"""Interrupted upcalls: a handler that raises, nests or hits ``upcall_limit``.

The contract (``EventChannels.upcall``): the exception propagates, and the
model is left as the guest would be had the handler returned and the upcall
ended there. The port whose handler raised was acked (the ack comes before
the handler, as in Linux); every event not yet delivered stays pending and
the next upcall delivers exactly what the interrupted one had left.

"What it had left" is computed, not written down: an uninterrupted upcall
on a copy of the same state gives the full delivery order ``full``; an
upcall whose handler raises at position ``k`` must have delivered
``full[:k + 1]`` (port ``full[k]`` included: it was acked and its handler
ran, up to the raise), and the next upcall must deliver ``full[k + 1:]``.
"""

from __future__ import annotations

import copy
import random

import pytest

import evtlib
from evtlib.views.fifo import queue_view

SEEDS = range(12)


class Boom(Exception):
    """The exception our handlers raise."""


def raiser(at: int, seen: list, action=None):
    """A handler that records ports and raises Boom at delivery ``at``."""
    def handler(port):
        seen.append(port)
        if action is not None:
            action(port, len(seen) - 1)
        if len(seen) - 1 == at:
            raise Boom(port)
    return handler


def random_state(make, seed: int):
    """A model with events pending in several words/queues, some masked, some
    on vCPU 1, FIFO priorities, a resume point and (bitmap) a timer port."""
    rng = random.Random(seed)
    bitmap = make.bitmap
    s = make(vcpus=2, timer_first=bool(seed % 3 == 0)) if bitmap else make(vcpus=2)
    top = s.max_ports - 1
    ports = sorted(set(rng.sample(range(1, min(top, 300) + 1), 10)
                       + rng.sample(range(1, top + 1), 4)))
    if bitmap and s.timer_first:
        s.set_timer_port(0, ports[0])
    for p in ports[1:]:
        r = rng.random()
        if r < 0.15:
            s.mask(p)
        elif r < 0.25:
            s.bind(p, 1)
        if s.priorities and rng.random() < 0.5:
            s.set_priority(p, rng.randrange(16))
    # An earlier upcall leaves stale HEADs, tails and last queues (FIFO) and
    # a resume point (bitmap) behind.
    for p in rng.sample(ports, 4):
        s.set_pending(p)
    s.upcall(0)
    if bitmap and s.scan == "resume":
        W = s.word_bits
        pos = (rng.randrange(W), rng.randrange(W))
        s.set_resume_position(0, pos if s.name == "2l" else (0,) + pos)
    for p in rng.sample(ports, rng.randrange(5, len(ports) + 1)):
        s.set_pending(p)
    return s


@pytest.mark.parametrize("seed", SEEDS)
def test_the_next_upcall_delivers_exactly_the_rest(make_scheme, seed):
    s = random_state(make_scheme, seed)
    reference = copy.deepcopy(s)
    full = reference.upcall(0, lambda p: None)
    assert full, "the random state should have something to deliver"
    for k in range(len(full)):
        m = copy.deepcopy(s)
        seen = []
        with pytest.raises(Boom):
            m.upcall(0, raiser(k, seen))
        assert seen == full[:k + 1]
        # The port whose handler raised was acked (unless delivered again later).
        if full[k] not in full[k + 1:]:
            assert not m.is_pending(full[k])
        if full[k + 1:]:
            assert m.upcall_pending(0), "what is left must be flagged for the next upcall"
        assert m.upcall(0, lambda p: None) == full[k + 1:]
        # ...and the model ends where the uninterrupted one did.
        assert m.pending_ports() == reference.pending_ports()
        assert m.snapshot().per_vcpu == reference.snapshot().per_vcpu


@pytest.mark.parametrize("seed", SEEDS)
def test_a_nested_upcall_interrupts_like_any_exception(make_scheme, seed):
    s = random_state(make_scheme, seed)
    full = copy.deepcopy(s).upcall(0, lambda p: None)
    k = seed % len(full)
    seen = []

    def handler(port):
        seen.append(port)
        if len(seen) - 1 == k:
            s.upcall(1, force=True)

    with pytest.raises(evtlib.NestedUpcallError):
        s.upcall(0, handler)
    assert seen == full[:k + 1]
    assert s.upcall(0) == full[k + 1:]


@pytest.mark.parametrize("seed", SEEDS)
def test_nothing_is_lost_when_handlers_also_raise_and_mask(make_scheme, seed):
    """With handlers that raise, mask and unmask other ports, the exact order
    after an interruption depends on what they did; but nothing is lost:
    upcalls until the flag stays clear leave only masked ports pending."""
    s = random_state(make_scheme, seed)
    rng = random.Random(seed)
    pending = s.pending_ports()

    def act(port, n):
        p = rng.choice(pending)
        [s.set_pending, s.mask, s.unmask, s.set_pending][n % 4](p)

    seen = []
    with pytest.raises(Boom):
        # Raises at the first delivery, after one action.
        s.upcall(0, raiser(0, seen, act))
    for p in pending:
        s.unmask(p)                     # unmask everything; rebinding aside
    for _ in range(10):
        s.upcall(0)
        s.upcall(1)
    left = [p for p in s.pending_ports() if s.notify_vcpu(p) == s.cpu_of(p)]
    assert left == []


def test_fifo_raise_in_a_handler_no_longer_jams_the_queue():
    """The issue's reproducer: the rest of queue 7 (10, 70) and the later 5."""
    s = evtlib.Fifo()
    for p in (3, 10, 70):
        s.set_pending(p)
    with pytest.raises(ZeroDivisionError):
        s.upcall(0, lambda p: 1 / 0)
    s.set_pending(5)
    # The queue and the dump show the linked events of the half-consumed queue.
    assert s.queue(0, 7) == [10, 70, 5]
    assert "10 -> 70 -> 5" in s.dump()
    assert queue_view(s.snapshot(), 0, 7).ports == (10, 70, 5)
    assert s.upcall(0) == [10, 70, 5]
    assert s.pending_ports() == []


def test_fifo_queue_during_a_handler_lists_the_rest():
    """While port 3's handler runs, Linux holds "next" (10) in a local
    variable; queue() and dump() still show 10 -> 70."""
    s = evtlib.Fifo()
    for p in (3, 10, 70):
        s.set_pending(p)
    seen = []
    s.upcall(0, lambda p: seen.append((p, s.queue(0, 7), s.dump())))
    assert [(p, q) for p, q, _ in seen] == [(3, [10, 70]), (10, [70]), (70, [])]
    assert "queue: 10 -> 70" in seen[0][2] and "queue: 70" in seen[1][2]
    assert s.queue(0, 7) == []


def test_fifo_views_show_a_half_consumed_queue_mid_handler():
    """A snapshot taken inside a handler (a recorded deliver step) has HEAD
    and Linux's private head pointing at the dequeued port; the view finds
    the linked rest of the queue all the same."""
    s = evtlib.Fifo()
    for p in (3, 10, 70):
        s.set_pending(p)
    s.record()
    s.upcall(0)
    step = next(st for st in s.steps if st.op == "deliver" and st.port == 3)
    assert queue_view(step.state, 0, 7).ports == (10, 70)


@pytest.mark.parametrize("cls", [evtlib.TwoLevel, evtlib.ThreeLevel])
def test_bitmap_raise_in_a_handler_no_longer_strands_the_scan(cls):
    s = cls()
    W = s.word_bits
    ports = [3, 10, W + 6, 5 * W + 1]
    for p in ports:
        s.set_pending(p)
    with pytest.raises(Boom):
        s.upcall(0, raiser(0, []))
    assert s.pending_ports() == ports[1:] and s.upcall_pending(0)
    assert s.upcall(0) == ports[1:]


def test_upcall_limit_no_longer_strands_events():
    """The issue's reproducer: port 10 is delivered again after the error."""
    s = evtlib.TwoLevel()
    s.upcall_limit = 10
    s.set_pending(10)
    s.set_pending(70)
    with pytest.raises(evtlib.UpcallLimitError):
        s.upcall(0, s.set_pending)
    assert s.pending_ports() == [10, 70] and s.upcall_pending(0)
    assert s.upcall(0) == [10, 70]


@pytest.mark.parametrize("seed", SEEDS)
def test_upcall_limit_is_an_interruption_after_a_complete_delivery(make_scheme, seed):
    """With no handler at all, a limit of k stops after delivery k, which
    completed; the rest comes with the next upcall, exactly."""
    s = random_state(make_scheme, seed)
    full = copy.deepcopy(s).upcall(0)
    for k in range(1, len(full)):
        m = copy.deepcopy(s)
        m.upcall_limit = k
        with pytest.raises(evtlib.UpcallLimitError):
            m.upcall(0)
        m.upcall_limit = 10**6
        assert m.upcall(0) == full[k:]
