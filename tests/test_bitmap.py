"""The local selector copies the resume scan walks (evtlib.abi.bitmap)."""

import random

import pytest

import evtlib
from evtlib.abi.bitmap import WordSet, WordSet2, bit_list, lowest_bit


def test_lowest_bit_and_bit_list():
    assert lowest_bit(0b1000) == 3
    assert lowest_bit(1 << 63) == 63
    assert bit_list(0b1010_0001) == [0, 5, 7]
    assert bit_list(0) == []


def test_wordset_first_from_and_discard():
    ws = WordSet(0b1001_0100)          # words 2, 4, 7
    assert ws.first_from(0) == 2
    assert ws.first_from(3) == 4
    assert ws.first_from(5) == 7
    assert ws.first_from(8) == -1
    ws.discard(4)
    assert ws.first_from(3) == 7
    ws.discard(2); ws.discard(7)
    assert not ws


@pytest.mark.parametrize("seed", range(20))
def test_wordset2_matches_a_flat_set(seed):
    """The two-level local copy answers exactly like a plain set of word indices."""
    rng = random.Random(seed)
    shift, W = 3, 8                      # 8 L2 words of 8 bits: 64 word indices
    words = set(rng.sample(range(W * W), rng.randint(1, 20)))
    l2 = {}
    for w in words:
        l2[w >> shift] = l2.get(w >> shift, 0) | 1 << (w & 7)
    l1 = sum(1 << hi for hi in l2)
    ws = WordSet2(l1, l2, shift)
    while words:
        for start in range(W * W):
            expect = min((w for w in words if w >= start), default=-1)
            assert ws.first_from(start) == expect
        gone = rng.choice(sorted(words))
        words.discard(gone)
        ws.discard(gone)
    assert not ws


@pytest.mark.parametrize("W", [32, 64])
def test_the_inline_raise_is_xen_set_pending(W):
    """2-level set_pending runs xen_set_pending's steps inline when not
    recording: the same state and the same counters, raise by raise, over
    random raises, masks, unmasks, binds and upcalls on 3 vCPUs."""
    import random
    fast, ref = evtlib.TwoLevel(W, vcpus=3), evtlib.TwoLevel(W, vcpus=3)
    rng = random.Random(W)
    for _ in range(3000):
        port, v = rng.randrange(1, W * W), rng.randrange(3)
        op = rng.choice(["raise"] * 6 + ["mask", "unmask", "bind", "upcall"])
        for s in (fast, ref):
            if op == "raise":
                got = (s.set_pending(port) if s is fast
                       else s.xen_set_pending(s.notify_vcpu(port), port))
            elif op == "upcall":
                got = s.upcall(v)
            else:
                got = {"mask": s.mask, "unmask": s.unmask,
                       "bind": lambda p: s.bind(p, v)}[op](port)
            if s is fast:
                want = got
            else:
                assert got == want
        assert fast.snapshot() == ref.snapshot()
        assert fast.counters.as_dict() == ref.counters.as_dict()
