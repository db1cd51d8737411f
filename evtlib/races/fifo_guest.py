"""The guest's FIFO code as actors (Linux ``events_fifo.c``), and two guests
that are not Linux: a hostile one and a rule-abiding one.

* The upcall loop (``__xen_evtchn_do_upcall`` around ``handle_events``):
  clear ``upcall_pending``; take READY with xchg; per event: read HEAD when
  the local head is 0, ``clear_linked`` (read, then cmpxchg attempts), read P,
  read M, ack (clear P) and run the handler, re-take READY with xchg; repeat
  while ``upcall_pending`` was set again.
* mask (set M) and unmask (Linux >= 5.10 ``clear_masked_cond``: nothing if M
  is clear; the ``EVTCHNOP_unmask`` hypercall if P is set; else a cmpxchg
  that clears M, expecting B clear, so it spins while B is set).
* The rule-abiding guest makes only the changes dae2a1c5f9 allows, through
  complete guest operations: mask (set M), unmask (clear M honouring B, or
  Xen's own clear of M by the hypercall), clear P (``clear_pending``: the
  guest discards the event itself), and the upcall loop's dequeue (clear L
  and LINK, following LINK). Scenarios make each its own actor, so that the
  explorer tries every order of them.
* The hostile guest flips M on one word, ignoring B; as an endless actor it
  does so forever.
"""

from __future__ import annotations

from typing import NamedTuple

from .engine import Program, put
from .fifo_state import (DISC, HEAD, LHEAD, LINK, ON, OWED, READY, UP, WORDS, B, L, M,
                         P, word_text)
from .fifo_xen import unmask_frame

UPCALL, UNMASKG, MASKG, RULE, HOSTILE = ("guest.upcall", "guest.unmask", "guest.mask",
                                         "guest.rule", "guest.hostile")


class G(NamedTuple):
    """Locals of the upcall loop: vCPU, local READY copy, current event."""

    v: int
    ready: int = 0
    q: int = 0
    port: int = 0
    w: int = 0
    nxt: int = 0


def upcall_frame(v: int):
    return (UPCALL, "clr", G(v))


def _go(pc, g):
    return (UPCALL, pc, g)


def _pick(sh, g, sw):
    """Next pc once the local READY copy is known: an event, or the recheck."""
    if not g.ready:
        return _go("recheck", g)
    i = (g.ready & -g.ready).bit_length() - 1
    q = g.v * sw.nq + i
    head = sh[LHEAD][q]
    if head:
        return _go("cl_read", g._replace(q=q, port=head))
    return _go("rdhead", g._replace(q=q))


def g_clr(sh, g, me, sw):
    # Cleared before READY is taken: a raise that lands after this sets it
    # again, and the recheck at the end runs the loop once more.
    return (put(sh, UP, put(sh[UP], g.v, 0)), _go("xchg", g), "upcall=0",
            f"vCPU {g.v} clears upcall_pending before looking at READY", None)


def g_xchg(sh, g, me, sw):
    took = sh[READY][g.v]
    sh = put(sh, READY, put(sh[READY], g.v, 0))
    g = g._replace(ready=g.ready | took)
    return (sh, _pick(sh, g, sw), f"xchg RDY:{_labels(took, sw)}",
            f"the guest takes READY with xchg: queues {_labels(took, sw)}", None)


def _labels(bits, sw):
    return ",".join(str(sw.labels[i]) for i in range(sw.nq) if bits >> i & 1) or "-"


def g_rdhead(sh, g, me, sw):
    port = sh[HEAD][g.q]
    return (sh, _go("cl_read", g._replace(port=port)), f"rd HEAD={port}",
            f"the local head of {sw.qname(g.q)} is 0: the guest reads HEAD = "
            f"{port}", None)


def g_cl_read(sh, g, me, sw):
    w = sh[WORDS][g.port]
    return (sh, _go("cl_cas", g._replace(w=w)), f"rd w{g.port}",
            f"clear_linked reads word {g.port}: {word_text(w)}", None)


def g_cl_cas(sh, g, me, sw):
    # clear_linked: one cmpxchg clears L and LINK and keeps the old LINK.
    # Xen's set_link on this word either lands first (the guest sees the
    # new LINK) or fails on the cleared L (and writes a new HEAD).
    port, cur = g.port, sh[WORDS][g.port]
    if cur != g.w:
        return (sh, _go("cl_cas", g._replace(w=cur)), f"cas w{port} FAIL",
                f"clear_linked's cmpxchg on word {port} fails: it changed", None)
    nxt = g.w & LINK
    sh = put(sh, WORDS, put(sh[WORDS], port, g.w & ~(L | LINK)))
    flag, why = None, f"the guest dequeues port {port} from {sw.qname(g.q)}"
    linked_for = sh[ON][port]
    if linked_for < 0:
        # READY (or a LINK) led to an event that is on no queue: HEAD was
        # stale, which READY must never allow (invariant 2).
        flag = "malformed-queue"
        why += ", but it is on no queue: the guest followed a stale HEAD"
    elif linked_for != g.q:
        flag = "wrong-queue"
        why += f", but it was linked for {sw.qname(linked_for)}"
    sh = put(sh, ON, put(sh[ON], port, -1))
    ready = g.ready if nxt else g.ready & ~(1 << (g.q % sw.nq))
    why += f"; next is {nxt}" if nxt else "; LINK was 0: the queue is done"
    return (sh, _go("rdP", g._replace(nxt=nxt, ready=ready)), f"cas w{port} >{nxt}",
            why, flag)


def _done_event(sh, g, sw):
    sh = put(sh, LHEAD, put(sh[LHEAD], g.q, g.nxt))
    return sh, _go("xchg2", g)


def g_rdP(sh, g, me, sw):
    if sh[WORDS][g.port] & P:
        return sh, _go("rdM", g), f"rd P{g.port}:1", f"port {g.port} is pending", None
    sh, nxt = _done_event(sh, g, sw)
    return (sh, nxt, f"rd P{g.port}:0", f"port {g.port} is not pending: "
            f"dropped silently", None)


def g_rdM(sh, g, me, sw):
    if sh[WORDS][g.port] & M:
        sh, nxt = _done_event(sh, g, sw)
        return (sh, nxt, f"rd M{g.port}:1", f"port {g.port} is masked: it "
                f"stays pending, to be linked at unmask", None)
    return sh, _go("ack", g), f"rd M{g.port}:0", f"port {g.port} is not masked", None


def g_ack(sh, g, me, sw):
    # The ack clears P before the handler runs: a raise after it is a new
    # edge, one before it is covered by this delivery.
    port = g.port
    sh = put(sh, WORDS, put(sh[WORDS], port, sh[WORDS][port] & ~P))
    flag, why = None, f"the guest acks port {port} (clears P) and runs its handler"
    if not sh[OWED] >> port & 1:
        flag, why = "extra-delivery", why + ": no raise is waiting for it"
    sh = put(sh, OWED, sh[OWED] & ~(1 << port))
    sh, nxt = _done_event(sh, g, sw)
    return sh, nxt, f"DELIVER {port}", why, flag


def g_xchg2(sh, g, me, sw):
    # One event per iteration, then READY again: a queue made ready
    # meanwhile (even a higher one) is picked up before the next event.
    took = sh[READY][g.v]
    sh = put(sh, READY, put(sh[READY], g.v, 0))
    g = g._replace(ready=g.ready | took)
    return (sh, _pick(sh, g, sw), f"xchg RDY:{_labels(took, sw)}",
            f"after each event the guest re-takes READY: "
            f"{_labels(took, sw)}", None)


def g_recheck(sh, g, me, sw):
    if sh[UP][g.v]:
        return (sh, _go("clr", G(g.v)), "rd upcall:1", "upcall_pending was "
                "set again meanwhile: the loop runs once more", None)
    return sh, None, "rd upcall:0", "upcall_pending is clear: the upcall returns", None


UPCALL_PROGRAM = Program(UPCALL, False, {
    "clr": g_clr, "xchg": g_xchg, "rdhead": g_rdhead, "cl_read": g_cl_read,
    "cl_cas": g_cl_cas, "rdP": g_rdP, "rdM": g_rdM, "ack": g_ack,
    "xchg2": g_xchg2, "recheck": g_recheck})


# --------------------------------------------------------- mask, unmask
def mask_frame(port: int):
    return (MASKG, "set", (port,))


def m_set(sh, loc, me, sw):
    port = loc[0]
    return (put(sh, WORDS, put(sh[WORDS], port, sh[WORDS][port] | M)), None,
            f"set M{port}", f"the guest masks port {port} (sets M)", None)


MASK_PROGRAM = Program(MASKG, False, {"set": m_set})


def unmask_guest_frame(port: int, linux: str = "5.10"):
    """Linux's unmask of ``port``.

    ``"5.10"``: ``clear_masked_cond``: nothing if M is clear; if P is set,
    leave M and make the ``EVTCHNOP_unmask`` hypercall; else clear M with a
    cmpxchg. ``"3.14"``: ``clear_masked`` (always clear M with a cmpxchg),
    then the hypercall if P is set. Both cmpxchg expect B clear, so both spin
    while Xen holds B.
    """
    return (UNMASKG, "read", (port, 0, linux))


def _unmask_next(w, loc):
    port, _, linux = loc
    if linux == "3.14":
        return (UNMASKG, "cas", (port, w, linux))
    if not w & M:
        return None
    if w & P:
        return unmask_frame(port)
    return (UNMASKG, "cas", (port, w, linux))


def n_read(sh, loc, me, sw):
    port = loc[0]
    w = sh[WORDS][port]
    nxt = _unmask_next(w, loc)
    why = f"unmask reads word {port}: {word_text(w)}"
    if nxt is None:
        why += ": not masked, nothing to do"
    elif nxt[0] != UNMASKG:
        why += ": pending, so leave M to Xen: EVTCHNOP_unmask"
    return sh, nxt, f"rd w{port}", why, None


def n_cas(sh, loc, me, sw):
    port, w, linux = loc
    cur, old = sh[WORDS][port], w & ~B
    if cur == old:
        nxt = (UNMASKG, "testP", loc) if linux == "3.14" else None
        return (put(sh, WORDS, put(sh[WORDS], port, old & ~M)), nxt,
                f"cas clr M{port}", f"the guest clears M of port {port} "
                f"(cmpxchg expecting B clear succeeds)", None)
    nxt = _unmask_next(cur, (port, cur, linux))
    why = (f"the unmask cmpxchg on word {port} fails"
           + (": B is set, the guest spins" if cur & B else ": the word changed"))
    return sh, nxt, f"cas M{port} FAIL", why, None


def n_testP(sh, loc, me, sw):
    port = loc[0]
    if sh[WORDS][port] & P:
        return (sh, unmask_frame(port), f"rd P{port}:1", f"port {port} is "
                f"pending: the guest makes the EVTCHNOP_unmask hypercall", None)
    return sh, None, f"rd P{port}:0", f"port {port} is not pending: done", None


UNMASK_G_PROGRAM = Program(UNMASKG, False, {"read": n_read, "cas": n_cas,
                                             "testP": n_testP})


# ---------------------------------------------- rule-abiding and hostile
def clear_p_frame(port: int):
    """The allowed "clear P" (``evtchn_fifo_clear_pending``): the guest
    discards the event itself, so it is no longer owed."""
    return (RULE, "clrP", (port,))


def x_clrP(sh, loc, me, sw):
    port = loc[0]
    sh = put(sh, WORDS, put(sh[WORDS], port, sh[WORDS][port] & ~P))
    return (put(sh, DISC, sh[DISC] | 1 << port), None, f"clr P{port}",
            f"the guest clears P of port {port} (allowed): it discards that "
            f"event", None)


RULE_PROGRAM = Program(RULE, False, {"clrP": x_clrP})


def hostile_frame(port: int):
    """Flip M of ``port`` forever, whatever B says (outside the rules)."""
    return (HOSTILE, "flip", (port,))


def h_flip(sh, loc, me, sw):
    port = loc[0]
    w = sh[WORDS][port] ^ M
    return (put(sh, WORDS, put(sh[WORDS], port, w)), None,
            f"{'set' if w & M else 'clr'} M{port}!", f"the hostile guest "
            f"{'sets' if w & M else 'clears'} M of port {port}, ignoring B", None)


HOSTILE_PROGRAM = Program(HOSTILE, False, {"flip": h_flip})

GUEST_PROGRAMS = (UPCALL_PROGRAM, MASK_PROGRAM, UNMASK_G_PROGRAM, RULE_PROGRAM,
                  HOSTILE_PROGRAM)
