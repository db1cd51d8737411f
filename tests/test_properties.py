"""Hypothesis property tests: random operation sequences on every scheme,
checked against small independent oracles written from the spec.

* BitmapOracle (2-level/3-level, one vCPU, everything bound to vCPU 0): the
  pending and mask sets, the set of selected words (sections 1.2, 1.3, 2.2),
  the upcall flag, and the resume position.  With no handler an upcall
  delivers every unmasked pending port once: from-zero in port order, the
  resume scan in port order rotated at the resume position (start word from
  start_b, later words, wrap, earlier words, the start word's lower bits on
  its second visit), and the position becomes last delivered + 1.
* FifoOracle (one vCPU): P/M/L, per-queue link order, HEAD, the Xen tail
  with the old-tail rule, lastq, READY and the flag (sections 3.5-3.7).
* With handlers that mask/clear/unmask/raise ports, the model is checked
  for "at most one delivery per raise edge", and (from-zero and FIFO, which
  re-read before every dispatch) "never delivers a port that is masked".
* With two vCPUs and consistent bindings (s.bind), a port is delivered only
  by its vCPU (FIFO: by the vCPU whose queue it was linked on), and after an
  upcall on every vCPU no unmasked port is left pending.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EV_L, EV_M, EV_P, Recorder

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def port_pool(s):
    """A few ports around word boundaries (and L1-group boundaries for 3L)."""
    w = s.word_bits or 32
    cand = {1, 2, w - 1, w, w + 1, 2 * w - 1, 2 * w, 3 * w + 3, s.max_ports - 1}
    if s.name == "3l":
        cand |= {w * w - 1, w * w, w * w + 1, 2 * w * w + 5}
    return sorted(p for p in cand if 0 < p < s.max_ports)


# ---------------------------------------------------------------- oracles

class BitmapOracle:
    def __init__(self, s):
        self.W = s.word_bits
        self.levels = 3 if s.name == "3l" else 2
        self.max_ports = s.max_ports
        self.scan = s.scan
        self.pending, self.masked, self.sel = set(), set(), set()
        self.resume = 0

    def word(self, p):
        return p // self.W

    def set_pending(self, p):
        if p in self.pending:
            return False
        self.pending.add(p)
        if p not in self.masked:
            self.sel.add(self.word(p))
        return True

    def mask(self, p):
        self.masked.add(p)

    def unmask(self, p):            # Linux fast path on the port's CPU 0
        self.masked.discard(p)
        if p in self.pending:
            self.sel.add(self.word(p))

    def xen_unmask(self, p):
        was = p in self.masked
        self.masked.discard(p)
        if was and p in self.pending:
            self.sel.add(self.word(p))

    def clear_pending(self, p):
        self.pending.discard(p)

    @property
    def flag(self):
        return bool(self.sel)

    def upcall(self):
        if not self.sel:
            return []
        ready = sorted(self.pending - self.masked)
        assert all(self.word(p) in self.sel for p in ready)   # oracle sanity
        if self.scan == "resume":
            r = self.resume
            ready = [p for p in ready if p >= r] + [p for p in ready if p < r]
            if ready:
                self.resume = (ready[-1] + 1) % self.max_ports
        self.pending -= set(ready)
        self.sel.clear()
        return ready

    def position(self, flat=None):
        r = self.resume if flat is None else flat
        W = self.W
        if self.levels == 2:
            return (r // W, r % W)
        return (r // (W * W), (r // W) % W, r % W)

    def check(self, s, pool):
        assert s.pending_ports() == sorted(self.pending)
        for p in pool:
            assert s.is_masked(p) == (p in self.masked), p
        assert s.upcall_pending(0) == self.flag
        W = self.W
        if self.levels == 2:
            assert s.selector(0) == sum(1 << w for w in self.sel)
        else:
            assert s.selector(0) == sum(1 << l1 for l1 in {w // W for w in self.sel})
            l2 = [0] * W
            for w in self.sel:
                l2[w // W] |= 1 << (w % W)
            assert tuple(s.l2_selector(0)) == tuple(l2)
        if self.scan == "resume":
            assert tuple(s.resume_position(0)) == self.position()
        snap = s.snapshot()
        assert tuple(snap.pending) == tuple(sorted(self.pending))
        assert tuple(snap.masked) == tuple(sorted(self.masked))
        assert snap.upcall_pending[0] == self.flag


class FifoOracle:
    def __init__(self, s):
        self.pending, self.masked = set(), set()
        self.prio, self.lastq, self.linked = {}, {}, {}
        self.queues = [[] for _ in range(16)]
        self.head = [0] * 16
        self.tail = [0] * 16
        self.ready = 0
        self.flag = False

    def _link(self, p):
        q = self.prio.get(p, 7)
        oq = self.lastq.get(p, 0)
        if self.tail[oq] == p:                 # old-tail rule
            self.tail[oq] = 0
        self.lastq[p] = q
        t = self.tail[q]
        if t != 0 and t in self.linked:       # set_link onto a LINKED tail
            assert self.linked[t] == q and self.queues[q][-1] == t
            self.queues[q].append(p)
        else:                                  # new HEAD
            assert self.queues[q] == []
            self.queues[q] = [p]
            self.head[q] = p
            if not self.ready & (1 << q):
                self.ready |= 1 << q
                self.flag = True
        self.tail[q] = p
        self.linked[p] = q

    def set_pending(self, p):
        new = p not in self.pending
        self.pending.add(p)
        if p not in self.masked and p not in self.linked:
            self._link(p)
        return new

    def mask(self, p):
        self.masked.add(p)

    def unmask(self, p):                      # clear_masked_cond
        if p not in self.masked:
            return
        if p in self.pending:
            self.xen_unmask(p)
        else:
            self.masked.discard(p)

    def xen_unmask(self, p):
        self.masked.discard(p)
        if p in self.pending and p not in self.linked:
            self._link(p)

    def clear_pending(self, p):
        self.pending.discard(p)

    def set_priority(self, p, q):
        self.prio[p] = q

    def upcall(self):
        if not self.flag:
            return []
        self.flag = False
        out = []
        ready, self.ready = self.ready, 0
        while ready:
            q = (ready & -ready).bit_length() - 1
            p = self.queues[q].pop(0)
            del self.linked[p]
            if not self.queues[q]:
                ready &= ~(1 << q)
            if p in self.pending and p not in self.masked:
                self.pending.discard(p)
                out.append(p)
        return out

    def event_word(self, p):
        w = (EV_P if p in self.pending else 0) | (EV_M if p in self.masked else 0)
        if p in self.linked:
            w |= EV_L
            qu = self.queues[self.linked[p]]
            i = qu.index(p)
            if i + 1 < len(qu):
                w |= qu[i + 1]
        return w

    def check(self, s, pool):
        assert s.pending_ports() == sorted(self.pending)
        for p in pool:
            assert s.is_masked(p) == (p in self.masked), p
            assert s.event_word(p) == self.event_word(p), p
            assert s.priority(p) == self.prio.get(p, 7)
        assert s.upcall_pending(0) == self.flag
        assert s.ready(0) == self.ready
        for q in range(16):
            assert s.queue(0, q) == self.queues[q], q
            assert s.head(0, q) == self.head[q], q
            assert s.tail(0, q) == self.tail[q], q
        snap = s.snapshot()
        assert tuple(snap.pending) == tuple(sorted(self.pending))
        assert tuple(snap.masked) == tuple(sorted(self.masked))


# ---------------------------------------------------------------- strategies

# index into the port pool (mod its size); half the draws pick one of the
# first three ports so that operations on the same port meet more often
IDX = st.one_of(st.integers(min_value=0, max_value=2), st.integers(min_value=0, max_value=15))
BASIC = st.tuples(st.sampled_from(["raise", "raise", "raise", "mask", "mask", "unmask",
                                   "xen_unmask", "clear"]), IDX)
UPCALL = st.tuples(st.just("upcall"), st.just(0))


def ops_for(s):
    """Operation sequences suited to the scheme (priorities for FIFO, resume
    positions for the resume scan), weighted towards port operations."""
    choices = [BASIC, BASIC, BASIC, UPCALL]
    if s.name == "fifo":
        choices.append(st.tuples(st.just("prio"), IDX, st.integers(0, 15)))
    elif s.scan == "resume":
        choices.append(st.tuples(st.just("resume"), IDX))
    op = st.one_of(*choices)
    # draw the length first: plain st.lists mostly produces very short lists
    return st.integers(2, 40).flatmap(lambda n: st.lists(op, min_size=n, max_size=n))


def apply(s, o, op, pool):
    kind = op[0]
    if kind == "upcall":
        got = s.upcall(0)
        exp = o.upcall()
        assert got == exp
        # nothing unmasked is left pending (one vCPU, consistent binding)
        assert all(s.is_masked(p) for p in s.pending_ports())
        return
    p = pool[op[1] % len(pool)]
    if kind == "raise":
        assert s.set_pending(p) is o.set_pending(p)
    elif kind == "mask":
        s.mask(p), o.mask(p)
    elif kind == "unmask":
        s.unmask(p), o.unmask(p)
    elif kind == "xen_unmask":
        s.xen_unmask(p), o.xen_unmask(p)
    elif kind == "clear":
        s.clear_pending(p), o.clear_pending(p)
    elif kind == "prio":
        if s.name == "fifo":
            s.set_priority(p, op[2]), o.set_priority(p, op[2])
    elif kind == "resume":
        if s.name != "fifo" and s.scan == "resume":
            pos = o.position(p)
            s.set_resume_position(0, pos)
            o.resume = p


@SETTINGS
@given(data=st.data())
def test_random_sequences_match_oracle(make_scheme, data):
    s = make_scheme()
    ops = data.draw(ops_for(s), label="ops")
    pool = port_pool(s)
    o = FifoOracle(s) if s.name == "fifo" else BitmapOracle(s)
    o.check(s, pool)
    for op in ops:
        apply(s, o, op, pool)
        o.check(s, pool)
    # drain: after a final (forced) upcall no unmasked port is pending
    s.upcall(0, force=True)
    assert all(s.is_masked(p) for p in s.pending_ports())


def short_sequences(s):
    """Every sequence of 3 operations on two ports in different words."""
    import itertools
    kinds = ["raise", "mask", "unmask", "xen_unmask", "clear"]
    ops = [(k, i) for k in kinds for i in (0, 1)] + [("upcall", 0)]
    if s.name == "fifo":
        ops += [("prio", 0, 3), ("prio", 1, 3)]
    return list(itertools.product(ops, repeat=3))


def test_all_short_sequences_match_oracle(make_scheme):
    """Exhaustive complement to the random test: all 3-step sequences over two
    ports (1 and 33: different words for W=32, the same word for W=64) checked
    step by step against the oracle, then drained."""
    probe = make_scheme()
    pool = [1, 33]
    for seq in short_sequences(probe):
        s = make_scheme()
        o = FifoOracle(s) if s.name == "fifo" else BitmapOracle(s)
        for op in seq:
            apply(s, o, op, pool)
            o.check(s, pool)
        assert s.upcall(0, force=True) == o.upcall()
        assert all(s.is_masked(p) for p in s.pending_ports())


# ---------------------------------------------------- handlers that act

ACTION = st.tuples(st.sampled_from(["mask", "clear", "unmask", "raise"]), IDX)
SCRIPT = st.dictionaries(IDX, st.lists(ACTION, max_size=3), max_size=6)
HOPS = st.one_of(
    st.tuples(st.sampled_from(["raise", "raise", "raise", "mask", "unmask", "clear"]), IDX),
    st.tuples(st.just("upcall"), st.just(0)),
)


@SETTINGS
@given(ops=st.integers(1, 30).flatmap(lambda n: st.lists(HOPS, min_size=n, max_size=n)),
       script=SCRIPT)
def test_at_most_one_delivery_per_raise_edge(make_scheme, ops, script):
    """Handlers (on a port's first delivery in an upcall) mask/clear/unmask/
    raise ports.  Checked:
    * every delivery consumes a raise edge: per port, deliveries <= edges
      (set_pending calls that returned True);
    * from-zero and FIFO re-read the state before each dispatch, so they
      never hand over a port that is masked at that moment;
    * the resume scan may (snapshot, item 8), but only a port that a handler
      masked during this upcall: it was unmasked when its word was read.
    """
    s = make_scheme()
    pool = port_pool(s)
    edges, delivered = Counter(), Counter()
    rereads = s.name == "fifo" or s.scan == "from-zero"
    masked_now = set()

    def do(kind, p):
        if kind == "raise":
            if s.set_pending(p):
                edges[p] += 1
        elif kind == "mask":
            s.mask(p)
            masked_now.add(p)
        elif kind == "unmask":
            s.unmask(p)
        elif kind == "clear":
            s.clear_pending(p)

    actions = {}
    for i, acts in script.items():
        port = pool[i % len(pool)]
        actions[port] = [lambda _p, acts=acts: [do(k, pool[j % len(pool)]) for k, j in acts]]
    for kind, i in ops:
        if kind == "upcall":
            masked_at_dispatch = []
            masked_now.clear()

            def h(port, rec=Recorder(actions)):
                if s.is_masked(port):
                    masked_at_dispatch.append(port)
                rec(port)

            got = s.upcall(0, h)
            delivered.update(got)
            if rereads:
                assert masked_at_dispatch == []
            else:
                assert set(masked_at_dispatch) <= masked_now
        else:
            do(kind, pool[i % len(pool)])
        for p, n in delivered.items():
            assert n <= edges[p], (p, n, edges[p])
    got = s.upcall(0, force=True)
    delivered.update(got)
    for p, n in delivered.items():
        assert n <= edges[p]


# ---------------------------------------------------- two vCPUs

MOPS = st.one_of(
    st.tuples(st.sampled_from(["raise", "raise", "raise", "mask", "unmask",
                               "xen_unmask", "clear"]), IDX, st.just(0), st.just(0)),
    st.tuples(st.just("bind"), IDX, st.integers(0, 1), st.integers(0, 1)),
    st.tuples(st.just("unmask_on"), IDX, st.integers(0, 1), st.just(0)),
    st.tuples(st.just("upcall"), st.just(0), st.integers(0, 1), st.just(0)),
)


@SETTINGS
@given(ops=st.integers(1, 40).flatmap(lambda n: st.lists(MOPS, min_size=n, max_size=n)))
def test_two_vcpus_consistent_binding_nothing_lost(make_scheme, ops):
    s = make_scheme(vcpus=2)
    pool = port_pool(s)
    owner = {p: 0 for p in pool}

    def linked_on(v):
        return {p for q in range(16) for p in s.queue(v, q)}

    def upcall(v):
        before = set(s.pending_ports()) - {p for p in pool if s.is_masked(p)}
        allowed = linked_on(v) if s.name == "fifo" else {p for p in pool if owner[p] == v}
        got = s.upcall(v, force=True)
        assert len(got) == len(set(got)), got
        assert set(got) <= allowed, (v, got, allowed)
        assert set(got) <= before
        if s.name != "fifo":
            # every unmasked pending port of this vCPU is delivered
            assert set(got) == {p for p in before if owner[p] == v}

    for kind, i, v, c in ops:
        p = pool[i % len(pool)]
        if kind == "raise":
            s.set_pending(p)
        elif kind == "mask":
            s.mask(p)
        elif kind == "unmask":
            s.unmask(p)
        elif kind == "unmask_on":
            s.unmask(p, cpu=v)
        elif kind == "xen_unmask":
            s.xen_unmask(p)
        elif kind == "clear":
            s.clear_pending(p)
        elif kind == "bind":
            s.bind(p, v, cpu=c)
            owner[p] = v
            assert s.notify_vcpu(p) == v and s.cpu_of(p) == v
        elif kind == "upcall":
            upcall(v)
    upcall(0)
    upcall(1)
    left = [p for p in s.pending_ports() if not s.is_masked(p)]
    assert left == []
