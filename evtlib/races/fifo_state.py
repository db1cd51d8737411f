"""FIFO shared state: layout, the code variants, the checks, the snapshot.

The shared part of a FIFO state is one flat tuple (indices below):

* guest-visible: the event words (one int per port, Xen's bit layout),
  HEAD per queue, READY and ``upcall_pending`` per vCPU;
* Linux-private: the local head copies (one per queue);
* Xen-private: the queue tails, the queue locks (0 = free, else the holder's
  actor index + 1), each port's priority, notify vCPU and ``fifo_lastq``, the
  ``pending`` flag of ``917c123029`` and which event-array pages exist;
* ghost (read only by the checks): ``owed``, the ports raised and not yet
  delivered; ``on``, the queue each LINKED port was linked for; ``disc``,
  the ports whose pending event the guest itself discarded (cleared P
  without a delivery) since the last raise.

Queues are numbered ``vcpu * nq + i``; ``i`` indexes the scenario's priority
labels, lowest first, so a lower index is consumed first, as in Linux.
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine import GuestState, Model, put

P, M, L, B = 1 << 31, 1 << 30, 1 << 29, 1 << 28
LINK = (1 << 17) - 1

(WORDS, HEAD, TAIL, READY, UP, LHEAD, LOCKS, PRIO, NOTIFY, LASTQ, XPEND,
 PAGES, OWED, ON, DISC) = range(15)

#: The attempts ``set_link`` makes before it gives up, since dae2a1c5f9.
FIXED_ATTEMPTS = 5


@dataclass(frozen=True)
class FifoCode:
    """One version of Xen's FIFO raise, as a set of named switches.

    ``locking``: ``"2020"`` (both queue locks taken before P is set, commit
    71ac522909), ``"4.4.0"`` (P and M tested unlocked, then the old queue's
    lock, then q's: e33d4257fc) or ``"2013"`` (only q's lock, taken after L
    is set, no ``fifo_lastq``: 88910061ec). ``ready_new_heads`` is
    70ccddb14a, ``busy`` is dae2a1c5f9 and ``page_pending`` is 917c123029.
    """

    name: str
    commit: str
    description: str
    locking: str
    ready_new_heads: bool
    busy: bool
    page_pending: bool


FIFO_CODES = {c.name: c for c in (
    FifoCode("fixed", "c447b7308b",
             "Today's Xen: both queue locks taken before P is set "
             "(71ac522909, 2020) and all four fixes.", "2020", True, True, True),
    FifoCode("xen-4.4.0", "RELEASE-4.4.0",
             "Xen 4.4.0: all four fixes, with e33d4257fc's locking (P and M "
             "tested unlocked, old queue's lock, then q's).",
             "4.4.0", True, True, True),
    FifoCode("original", "88910061ec",
             "The first FIFO code (Oct 2013): q's lock only, READY for every "
             "link, LINK retried without bound, no page means no event.",
             "2013", False, False, False),
    FifoCode("no-70ccddb14a", "c447b7308b without 70ccddb14a",
             "Today's code without 70ccddb14a: READY is set for every link, "
             "not only for a new HEAD.", "2020", False, True, True),
    FifoCode("no-dae2a1c5f9", "c447b7308b without dae2a1c5f9",
             "Today's code without dae2a1c5f9: no BUSY bit, set_link retries "
             "its cmpxchg for as long as the tail word keeps changing.",
             "2020", True, False, True),
    FifoCode("no-e33d4257fc", "e33d4257fc^ (Dec 2013)",
             "The code of Dec 2013 (after 70ccddb14a, before e33d4257fc): no "
             "fifo_lastq, L set before q's lock is taken.",
             "2013", True, True, True),
    FifoCode("no-917c123029", "c447b7308b without 917c123029",
             "Today's code without 917c123029: a raise of a port whose page "
             "is missing is dropped.", "2020", True, True, False),
)}


@dataclass(frozen=True)
class FifoSw:
    """What the step handlers need: the code's switches and the geometry."""

    locking: str
    ready_new_heads: bool
    busy: bool
    page_pending: bool
    nq: int
    labels: tuple
    vcpus: int
    # Can a port change queues while it is raised (a set_priority or
    # bind_vcpu actor)? If not, the re-check of fifo_lastq under the lock
    # always succeeds and is folded into the step that takes the lock.
    moves: bool = True

    def qname(self, q: int) -> str:
        v, i = divmod(q, self.nq)
        return f"q{self.labels[i]}" if self.vcpus == 1 else f"v{v}q{self.labels[i]}"


def word_text(w: int) -> str:
    """'PMLB' letters (or '-') then '>LINK' when LINK is set: 'P-L->2'."""
    flags = "".join(c if w & bit else "-" for c, bit in
                    (("P", P), ("M", M), ("L", L), ("B", B)))
    return flags + (f">{w & LINK}" if w & LINK else "")


def initial(sw: FifoSw, ports: int, words=None, head=None, tail=None, ready=None,
            upcall=None, prio=None, notify=None, lastq=None, missing=()) -> tuple:
    """The shared tuple of a scenario's initial state.

    Queues are given as ``(vcpu, label)``; ``prio`` maps ports to labels
    (default: the first label); ``missing`` lists ports without a page.
    Ports that start pending are owed; LINKED ones are taken to be linked
    for their ``lastq`` queue.
    """
    nq, nv = sw.nq, sw.vcpus

    def qid(vq):
        return vq[0] * nq + sw.labels.index(vq[1])

    w = [0] * ports
    for p, v in (words or {}).items():
        w[p] = v
    hd, tl = [0] * (nv * nq), [0] * (nv * nq)
    for vq, p in (head or {}).items():
        hd[qid(vq)] = p
    for vq, p in (tail or {}).items():
        tl[qid(vq)] = p
    rdy = [0] * nv
    for v, labels in (ready or {}).items():
        for lab in labels:
            rdy[v] |= 1 << sw.labels.index(lab)
    pr = [sw.labels.index((prio or {}).get(p, sw.labels[0])) for p in range(ports)]
    nt = [(notify or {}).get(p, 0) for p in range(ports)]
    lq = [qid((lastq or {}).get(p, (0, sw.labels[0]))) for p in range(ports)]
    pages = sum(1 << p for p in range(1, ports) if p not in missing)
    owed = sum(1 << p for p in range(ports) if w[p] & P)
    on = tuple(lq[p] if w[p] & L else -1 for p in range(ports))
    return (tuple(w), tuple(hd), tuple(tl), tuple(rdy),
            tuple(upcall or (0,) * nv), (0,) * (nv * nq), (0,) * (nv * nq),
            tuple(pr), tuple(nt), tuple(lq), 0, pages, owed, on, 0)


class FifoModel(Model):
    """A FIFO scenario under one code (see :mod:`evtlib.races.engine`)."""

    scheme = "fifo"

    def __init__(self, *args, ports: int, drain_frame, **kw) -> None:
        super().__init__(*args, **kw)
        self.ports = ports
        self._drain_frame = drain_frame

    def drain_frame(self, sh):
        for v, up in enumerate(sh[UP]):
            if up:
                return self._drain_frame(v)
        return None

    def check_end(self, sh) -> list:
        return [("malformed-queue", m) for m in queue_problems(sh, self.sw)]

    def check_drained(self, sh) -> list:
        out = [("malformed-queue", m + " (after the drain)")
               for m in queue_problems(sh, self.sw)]
        words, owed = sh[WORDS], sh[OWED] & ~sh[DISC]
        for p in range(1, self.ports):
            if owed >> p & 1 and not words[p] & M:
                out.append(("lost-event", lost_text(sh, p)))
        return out

    def visible(self, sh) -> GuestState:
        return fifo_visible(sh, self.sw, self.ports, self.names)


def raised(sh, port: int) -> tuple:
    """Ghost update for a raise: ``port`` is owed a delivery again."""
    bit = 1 << port
    return put(put(sh, OWED, sh[OWED] | bit), DISC, sh[DISC] & ~bit)


def lost_text(sh, p: int) -> str:
    w = sh[WORDS][p]
    if not sh[PAGES] >> p & 1:
        where = "its event-array page is missing"
    elif sh[XPEND] >> p & 1 and not w & P:
        where = "only Xen's private pending flag holds it"
    elif w & L:
        where = "it is LINKED but no queue reaches it"
    elif w & P:
        where = "it is pending but on no queue"
    else:
        where = "its P bit is clear"
    return f"port {p} was raised and never delivered: {where}"


def queue_problems(sh, sw: FifoSw) -> list:
    """Invariant 2 at a quiescent state: each queue a chain HEAD -> tail.

    A queue's chain starts at the guest's local head, or at HEAD when the
    queue's READY bit is set; it follows LINK through LINKED words. Every
    LINKED word must be on exactly one chain, for the queue it was linked for;
    no chain may loop; a chain ends at Xen's tail for it.
    """
    words, on, out, where = sh[WORDS], sh[ON], [], {}
    for q in range(sw.nq * sw.vcpus):
        v, i = divmod(q, sw.nq)
        start = sh[LHEAD][q] or (sh[HEAD][q] if sh[READY][v] >> i & 1 else 0)
        chain, port = [], start
        while port:
            if port in chain:
                out.append(f"{sw.qname(q)}: LINK loops back to port {port} "
                           f"({' -> '.join(map(str, chain + [port]))})")
                break
            if not words[port] & L:
                out.append(f"{sw.qname(q)}: READY or a LINK names port {port}, "
                           f"which is not LINKED (a stale HEAD)")
                break
            chain.append(port)
            if port in where:
                out.append(f"port {port} is on {sw.qname(where[port])} and "
                           f"{sw.qname(q)}")
            where[port] = q
            if on[port] != q and on[port] >= 0:
                out.append(f"port {port}, linked for {sw.qname(on[port])}, "
                           f"is on {sw.qname(q)}'s chain")
            port = words[port] & LINK
        if chain and sh[TAIL][q] != chain[-1]:
            out.append(f"{sw.qname(q)}: the chain ends at port {chain[-1]} but "
                       f"Xen's tail is port {sh[TAIL][q]}")
    orphans = [p for p in range(1, len(words)) if words[p] & L and p not in where]
    out += _orphan_loops(words, orphans)
    out += [f"port {p} is LINKED but no queue reaches it" for p in orphans]
    return out


def _orphan_loops(words, orphans) -> list:
    """LINK cycles among LINKED words that no queue reaches."""
    out, done = [], set()
    for start in orphans:
        chain, port = [], start
        while port and words[port] & L and port not in done and port not in chain:
            chain.append(port)
            port = words[port] & LINK
        if port in chain:
            loop = chain[chain.index(port):] + [port]
            out.append(f"LINK loops back to port {port} ({' -> '.join(map(str, loop))}) "
                       f"on no queue")
        done.update(chain)
    return out


def fifo_visible(sh, sw: FifoSw, ports: int, names) -> GuestState:
    """The guest-visible words and control blocks, Xen's tails and locks.

    ``words``: ``(port, P, M, L, B, LINK)`` per port from 1 (0/1 flags);
    ``missing``: ports whose event-array page is missing; ``head``,
    ``local_head``, ``tail``: ``(queue, port)``; ``ready``: per vCPU, the
    priorities whose READY bit is set; ``upcall``: per vCPU; ``locks``:
    ``(queue, holder)`` for each queue lock held.
    """
    qs = range(sw.nq * sw.vcpus)
    w = sh[WORDS]
    # (port, P, M, L, B, LINK): what a view draws for each event word.
    words = tuple((p, int(bool(w[p] & P)), int(bool(w[p] & M)), int(bool(w[p] & L)),
                   int(bool(w[p] & B)), w[p] & LINK) for p in range(1, ports))
    missing = tuple(p for p in range(1, ports) if not sh[PAGES] >> p & 1)
    heads = tuple((sw.qname(q), sh[HEAD][q]) for q in qs)
    ready = tuple(tuple(sw.labels[i] for i in range(sw.nq) if r >> i & 1)
                  for r in sh[READY])
    lheads = tuple((sw.qname(q), sh[LHEAD][q]) for q in qs)
    tails = tuple((sw.qname(q), sh[TAIL][q]) for q in qs)
    locks = tuple((sw.qname(q), names[h - 1] if h - 1 < len(names) else "drain")
                  for q, h in enumerate(sh[LOCKS]) if h)
    items = (("words", words), ("missing", missing), ("head", heads),
             ("ready", ready), ("local_head", lheads), ("tail", tails),
             ("upcall", sh[UP]), ("locks", locks))
    parts = [" ".join(f"{p}:{'????' if p in missing else word_text(w[p])}"
                      for p in range(1, ports)),
             "HEAD " + ",".join(f"{q}={p}" for q, p in heads),
             "RDY " + "/".join(",".join(map(str, r)) or "-" for r in ready),
             "lh " + ",".join(f"{q}={p}" for q, p in lheads),
             "tail " + ",".join(f"{q}={p}" for q, p in tails),
             "up " + "".join(map(str, sh[UP]))]
    if locks:
        parts.append("lock " + ",".join(q for q, _ in locks))
    return GuestState("fifo", items, " | ".join(parts))
