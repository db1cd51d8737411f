"""Xen's FIFO code as actors: raise (``evtchn_fifo_set_pending``), unmask,
``expand_array``, and the ``set_priority`` / ``bind_vcpu`` hypercalls.

The raise is written once; :class:`~evtlib.races.fifo_state.FifoSw` picks
the order of its steps (``locking``) and the three other fixes. The step
sequences, from spec sections 1.1-1.4 and the Xen sources:

* 2020 (today): page, lock both queues, recheck, P, M, L (+ old-tail rule,
  ``fifo_lastq``), set_link..., HEAD, unlock (+ tail), READY, upcall.
* 4.4.0 (e33d4257fc): page, P, M, test L, read priority, lock old queue,
  recheck, L (+ old-tail rule, ``fifo_lastq`` from the port's *current*
  notify vCPU and priority), lock q, set_link..., HEAD, unlock, READY, upcall.
* 2013 (88910061ec): page, read priority, P, M, L, lock q, set_link (unless
  the port is q's tail)..., HEAD, unlock, READY, upcall.

``set_link`` with BUSY (dae2a1c5f9): read the tail word; one cmpxchg; on
failure set B, re-read, then at most 4 more cmpxchg; give up (clear B and
pretend it linked) after the 5th failure. Without BUSY the cmpxchg is retried
for as long as the word keeps changing; the attempt count is kept up to 6 so
that the state space stays finite and "more attempts than 5" can be flagged.
"""

from __future__ import annotations

from typing import NamedTuple

from .engine import Program, put
from .fifo_state import (FIXED_ATTEMPTS, HEAD, LASTQ, LINK, LOCKS, NOTIFY, ON, PAGES,
                         PRIO, READY, TAIL, UP, WORDS, XPEND, B, L, M, P, raised)

RAISE, UNMASK, EXPAND, HYPER = "xen.raise", "xen.unmask", "xen.expand", "xen.hypercall"


class R(NamedTuple):
    """Locals of a raise: the port, its vCPU and queues, set_link's state."""

    port: int
    v: int = 0
    q: int = 0
    oq: int = 0
    w: int = 0
    k: int = 0          # cmpxchg attempts made by set_link
    tries: int = 0      # lock attempts (3 at most)
    linked: bool = True  # "do not touch READY" (Xen's own variable)
    entered: bool = False  # this raise set L and queues the event


def raise_frame(port: int):
    return (RAISE, "page", R(port))


def _go(pc, r):
    return (RAISE, pc, r)


def _words(sh, port, value):
    return put(sh, WORDS, put(sh[WORDS], port, value))


def _release(sh, me):
    h = me + 1
    return put(sh, LOCKS, tuple(0 if x == h else x for x in sh[LOCKS]))


def _take(sh, me, *qs):
    locks = sh[LOCKS]
    for q in qs:
        locks = put(locks, q, me + 1)
    return put(sh, LOCKS, locks)


def _qid(sh, sw, v, port):
    return v * sw.nq + sh[PRIO][port]


def r_page(sh, r, me, sw):
    port, v = r.port, sh[NOTIFY][r.port]
    r = r._replace(v=v)
    if sh[PAGES] >> port & 1:
        first = {"2020": "lock", "4.4.0": "P", "2013": "prio"}[sw.locking]
        return (sh, _go(first, r), f"raise {port}",
                f"Xen raises port {port} for vCPU {v}; its event-array page "
                f"is present", None)
    if sw.page_pending:
        return (sh, _go("pend", r), f"raise {port}: no pg",
                f"port {port}'s event-array page is missing: Xen will keep "
                f"the event in its private pending flag", None)
    # Before 917c123029 there is nowhere to put the event: it is gone.
    sh = raised(sh, port)
    return (sh, None, f"raise {port}: LOST",
            f"port {port}'s page is missing: Xen returns and the event is "
            f"lost", None)


def r_pend(sh, r, me, sw):
    port = r.port
    sh = raised(put(sh, XPEND, sh[XPEND] | 1 << port), port)
    return (sh, None, f"xpend {port}=1",
            f"Xen sets port {port}'s private pending flag, for expand_array "
            f"to re-raise", None)


def r_lock(sh, r, me, sw):
    # 2020: read fifo_lastq and the priority, take both locks (in address
    # order; one step here, since nothing else happens in between). A
    # change of queue after that is caught by the re-check, its own step
    # when the scenario can move ports (sw.moves).
    q, oq = _qid(sh, sw, r.v, r.port), sh[LASTQ][r.port]
    if sh[LOCKS][q] or sh[LOCKS][oq]:
        return None
    both = sw.qname(q) if q == oq else f"{sw.qname(oq)}+{sw.qname(q)}"
    return (_take(sh, me, q, oq), _go("recheck" if sw.moves else "P", r._replace(q=q, oq=oq)),
            f"lock {both}", f"Xen takes the lock of {sw.qname(q)} (the port's "
            f"queue) and of {sw.qname(oq)} (fifo_lastq)", None)


def r_lockold(sh, r, me, sw):
    # 4.4.0 lock_old_queue(): only the queue named by fifo_lastq.
    oq = sh[LASTQ][r.port]
    if sh[LOCKS][oq]:
        return None
    return (_take(sh, me, oq), _go("recheck" if sw.moves else "L", r._replace(oq=oq)),
            f"lock {sw.qname(oq)}", f"Xen takes the lock of the port's last "
            f"queue {sw.qname(oq)} (fifo_lastq)", None)


def r_recheck(sh, r, me, sw):
    # The port may have moved queues before the lock was held: re-read and
    # retry (at most 3 attempts, then the event is dropped).
    same = sh[LASTQ][r.port] == r.oq
    if sw.locking == "2020":
        same = same and _qid(sh, sw, r.v, r.port) == r.q
        ok_pc, lock_pc = "P", "lock"
    else:
        ok_pc, lock_pc = "L", "lockold"
    if same:
        return (sh, _go(ok_pc, r), "recheck ok", "Xen re-reads fifo_lastq "
                "under the lock: the port has not moved", None)
    sh = _release(sh, me)
    tries = r.tries + 1
    if tries < 3:
        return (sh, _go(lock_pc, r._replace(tries=tries)), "moved: retry",
                "the port moved queues meanwhile: Xen unlocks and retries", None)
    pc = "Pdrop" if sw.locking == "2020" else None
    return (sh, pc and _go(pc, r), "moved 3x: drop",
            "the port moved queues three times: Xen gives up", None)


def r_P(sh, r, me, sw):
    port = r.port
    w = sh[WORDS][port]
    sh = raised(_words(sh, port, w | P), port)
    return (sh, _go("M", r), f"tas P{port}:{int(bool(w & P))}",
            f"Xen sets P of port {port} (test-and-set: it was "
            f"{'already set' if w & P else 'clear'})", None)


def r_Pdrop(sh, r, me, sw):
    port = r.port
    w = sh[WORDS][port]
    sh = raised(_words(sh, port, w | P), port)
    return (sh, None, f"tas P{port}: drop", f"Xen sets P of port {port} but "
            f"drops the event (too many queue changes)", None)


def r_M(sh, r, me, sw):
    port = r.port
    if sh[WORDS][port] & M:
        nxt = _go("unlock", r) if sw.locking == "2020" else None
        return (sh, nxt, f"test M{port}:1", f"port {port} is masked: it stays "
                f"pending and is linked at unmask", None)
    nxt = "Ltest" if sw.locking == "4.4.0" else "L"
    return sh, _go(nxt, r), f"test M{port}:0", f"port {port} is not masked", None


def r_Ltest(sh, r, me, sw):
    port = r.port
    if sh[WORDS][port] & L:
        return (sh, None, f"test L{port}:1", f"port {port} is already LINKED: "
                f"nothing more to do", None)
    return (sh, _go("prio", r), f"test L{port}:0", f"port {port} is not "
            f"LINKED (a plain test, no lock held)", None)


def r_prio(sh, r, me, sw):
    # The priority is read with no lock held ("may race with changing the
    # priority but we are allowed to signal the event once on the old one").
    q = _qid(sh, sw, r.v, r.port)
    nxt = "lockold" if sw.locking == "4.4.0" else "P"
    return (sh, _go(nxt, r._replace(q=q)), f"q={sw.qname(q)}",
            f"Xen reads port {r.port}'s priority without a lock: queue "
            f"{sw.qname(q)}", None)


def r_L(sh, r, me, sw):
    port, q = r.port, r.q
    w = sh[WORDS][port]
    if w & L:
        nxt = _go("unlock", r) if sw.locking == "2020" else None
        if sw.locking == "4.4.0":
            sh = _release(sh, me)
        return (sh, nxt, f"tas L{port}:1", f"port {port} is already LINKED: it "
                f"keeps its place", None)
    sh = put(_words(sh, port, w | L), ON, put(sh[ON], port, q))
    why = f"Xen sets L of port {port}, to be queued on {sw.qname(q)}"
    if sw.locking == "2013":
        # L is set before any lock is held: another CPU linking onto this
        # port (as q's tail) now sees it LINKED.
        return sh, _go("lockq", r._replace(entered=True)), f"tas L{port}:0", why, None
    oq = r.oq
    if sh[TAIL][oq] == port:
        # The old-tail rule: the port was oq's tail and was consumed, so oq
        # is really empty; forget its tail before the port goes elsewhere.
        sh = put(sh, TAIL, put(sh[TAIL], oq, 0))
        why += f"; it was {sw.qname(oq)}'s old tail: that tail := 0"
    r = r._replace(entered=True, linked=False)
    if oq != q:
        if sw.locking == "2020":
            last = q
        else:
            # 4.4.0 records the port's notify vCPU and priority as they are
            # NOW, which may differ from the q chosen earlier (6f6f07b64c).
            last = _qid(sh, sw, sh[NOTIFY][port], port)
        sh = put(sh, LASTQ, put(sh[LASTQ], port, last))
        sh = put(sh, LOCKS, put(sh[LOCKS], oq, 0))
        why += f"; fifo_lastq := {sw.qname(last)}, unlock {sw.qname(oq)}"
        if sw.locking == "4.4.0":
            return sh, _go("lockq", r), f"tas L{port}:0", why, None
    return sh, _link_or_head(sh, r), f"tas L{port}:0", why, None


def _link_or_head(sh, r):
    return _go("sl_read" if sh[TAIL][r.q] else "head", r)


def r_lockq(sh, r, me, sw):
    q = r.q
    if sh[LOCKS][q]:
        return None
    sh = _take(sh, me, q)
    r = r._replace(linked=False, entered=True)
    if sw.locking == "2013":
        # The only old-tail case the original code handles: the port is
        # q's own tail, so q is empty and the port becomes HEAD.
        nxt = _go("head" if sh[TAIL][q] == r.port else "sl_read", r)
    else:
        nxt = _link_or_head(sh, r)
    return (sh, nxt, f"lock {sw.qname(q)}", f"Xen takes the lock of "
            f"{sw.qname(q)}; its tail is port {sh[TAIL][q]}", None)


def r_sl_read(sh, r, me, sw):
    t = sh[TAIL][r.q]
    w = sh[WORDS][t]
    if not w & L:
        return (sh, _go("head", r), f"rd w{t}: not L", f"the tail port {t} is "
                f"no longer LINKED: the queue is empty, port {r.port} will be "
                f"HEAD", None)
    return (sh, _go("sl_cas", r._replace(w=w)), f"rd w{t}: L",
            f"Xen reads the tail word {t}: LINKED, so it will link port "
            f"{r.port} behind it", None)


def r_sl_cas(sh, r, me, sw):
    t, port = sh[TAIL][r.q], r.port
    cur, k = sh[WORDS][t], r.k + 1
    if cur == r.w:
        new = (r.w & ~(B | LINK) if sw.busy else r.w & ~LINK) | port
        return (_words(sh, t, new), _go("unlock", r._replace(linked=True, k=k)),
                f"cas w{t}>{port} ok", f"cmpxchg attempt {k}: LINK of port {t} "
                f":= {port} (appended: no new HEAD)", None)
    r = r._replace(w=cur, k=min(k, FIXED_ATTEMPTS + 1))
    if k > FIXED_ATTEMPTS + 1:
        why = (f"another cmpxchg on word {t} fails (more than {FIXED_ATTEMPTS} "
               f"attempts so far): the word changed")
    else:
        why = f"cmpxchg attempt {k} on word {t} fails: the word changed"
    flag = None
    if not sw.busy:
        if not cur & L:
            return sh, _go("head", r), f"cas w{t} FAIL", why + " (no longer LINKED)", None
        if k == FIXED_ATTEMPTS + 1:
            flag = "unbounded-xen-work"
            why += f"; that is more than the fixed code's {FIXED_ATTEMPTS}"
        return sh, _go("sl_cas", r), f"cas w{t} FAIL", why, flag
    if k == 1:
        nxt = "sl_setB"
    elif k == FIXED_ATTEMPTS:
        nxt = "sl_giveup"
    elif not cur & L:
        nxt = "sl_clrB"
    else:
        nxt = "sl_cas"
    return sh, _go(nxt, r), f"cas w{t} FAIL", why, None


def r_sl_setB(sh, r, me, sw):
    t = sh[TAIL][r.q]
    return (_words(sh, t, sh[WORDS][t] | B), _go("sl_read2", r), f"set B{t}",
            f"Xen sets BUSY on word {t}: the guest may not clear M now", None)


def r_sl_read2(sh, r, me, sw):
    t = sh[TAIL][r.q]
    w = sh[WORDS][t]
    nxt = "sl_cas" if w & L else "sl_clrB"
    return (sh, _go(nxt, r._replace(w=w)), f"rd w{t}", f"Xen re-reads word {t}"
            + ("" if w & L else ": no longer LINKED"), None)


def r_sl_clrB(sh, r, me, sw):
    t = sh[TAIL][r.q]
    return (_words(sh, t, sh[WORDS][t] & ~B), _go("head", r._replace(linked=False)),
            f"clr B{t}", f"the tail {t} was dequeued: Xen clears BUSY; port "
            f"{r.port} will be HEAD", None)


def r_sl_giveup(sh, r, me, sw):
    t = sh[TAIL][r.q]
    return (_words(sh, t, sh[WORDS][t] & ~B), _go("unlock", r._replace(linked=True)),
            f"clr B{t}: give up", f"{FIXED_ATTEMPTS} cmpxchg attempts failed: "
            f"Xen clears BUSY and gives up; port {r.port} is LINKED but on no "
            f"queue", None)


def r_head(sh, r, me, sw):
    return (put(sh, HEAD, put(sh[HEAD], r.q, r.port)), _go("unlock", r._replace(linked=False)),
            f"HEAD {sw.qname(r.q)}={r.port}", f"Xen writes HEAD of "
            f"{sw.qname(r.q)} = {r.port}: a new head", None)


def r_unlock(sh, r, me, sw):
    if r.entered:
        sh = put(sh, TAIL, put(sh[TAIL], r.q, r.port))
    sh = _release(sh, me)
    new_head = r.entered and not r.linked
    ready = new_head if sw.ready_new_heads else r.entered
    why = (f"tail of {sw.qname(r.q)} := {r.port}; Xen unlocks" if r.entered
           else "Xen unlocks")
    return sh, _go("ready", r) if ready else None, "unlock", why, None


def r_ready(sh, r, me, sw):
    v, i = divmod(r.q, sw.nq)
    old = sh[READY][v]
    sh = put(sh, READY, put(sh[READY], v, old | 1 << i))
    was = old >> i & 1
    what = "a new HEAD was written" if not r.linked else "an event was linked"
    return (sh, None if was else _go("upcall", r), f"tas RDY {sw.qname(r.q)}:{was}",
            f"{what}: Xen sets READY bit of {sw.qname(r.q)} (it was {was})", None)


def r_upcall(sh, r, me, sw):
    v = r.q // sw.nq
    return (put(sh, UP, put(sh[UP], v, 1)), None, "upcall=1",
            f"READY was clear: Xen marks vCPU {v}'s upcall pending", None)


RAISE_PROGRAM = Program(RAISE, True, {
    "page": r_page, "pend": r_pend, "lock": r_lock, "lockold": r_lockold,
    "recheck": r_recheck, "P": r_P, "Pdrop": r_Pdrop, "M": r_M, "Ltest": r_Ltest,
    "prio": r_prio, "L": r_L, "lockq": r_lockq, "sl_read": r_sl_read,
    "sl_cas": r_sl_cas, "sl_setB": r_sl_setB, "sl_read2": r_sl_read2,
    "sl_clrB": r_sl_clrB, "sl_giveup": r_sl_giveup, "head": r_head,
    "unlock": r_unlock, "ready": r_ready, "upcall": r_upcall})


# ---------------------------------------------------------------- unmask
def unmask_frame(port: int):
    """``EVTCHNOP_unmask``: clear M; if P, the raise on the notify vCPU."""
    return (UNMASK, "clrM", (port,))


def u_clrM(sh, loc, me, sw):
    port = loc[0]
    return (_words(sh, port, sh[WORDS][port] & ~M), (UNMASK, "testP", loc),
            f"X clr M{port}", f"EVTCHNOP_unmask: Xen clears M of port {port} "
            f"(Xen does not look at BUSY)", None)


def u_testP(sh, loc, me, sw):
    port = loc[0]
    if sh[WORDS][port] & P:
        return (sh, raise_frame(port), f"X test P{port}:1", f"port {port} is "
                f"pending: Xen raises it again to link it", None)
    return sh, None, f"X test P{port}:0", f"port {port} is not pending", None


UNMASK_PROGRAM = Program(UNMASK, True, {"clrM": u_clrM, "testP": u_testP})


# ------------------------------------------------------ expand, hypercalls
def expand_frame(ports: tuple):
    """``EVTCHNOP_expand_array`` adding the page that holds ``ports``."""
    return (EXPAND, "add", (ports, 0))


def e_add(sh, loc, me, sw):
    ports = loc[0]
    words, pages = sh[WORDS], sh[PAGES]
    for p in ports:
        # Linux initialises every word of a new page to MASKED first.
        words = put(words, p, M)
        pages |= 1 << p
    sh = put(put(sh, WORDS, words), PAGES, pages)
    nxt = (EXPAND, "scan", loc) if sw.page_pending else None
    return (sh, nxt, "add page", f"Xen adds the page of ports "
            f"{', '.join(map(str, ports))} (the guest set every word to M)", None)


def e_scan(sh, loc, me, sw):
    ports, i = loc
    port = ports[i]
    rest = (EXPAND, "scan", (ports, i + 1)) if i + 1 < len(ports) else None
    if sh[XPEND] >> port & 1:
        nxt = (raise_frame(port), rest) if rest else raise_frame(port)
        return (sh, nxt, f"rd xpend{port}:1", f"port {port} has Xen's private "
                f"pending flag: Xen raises it again", None)
    return (sh, rest, f"rd xpend{port}:0", f"port {port} has no private "
            f"pending flag", None)


EXPAND_PROGRAM = Program(EXPAND, True, {"add": e_add, "scan": e_scan})


def priority_frame(port: int, index: int):
    """``EVTCHNOP_set_priority``: only the next link uses the new queue."""
    return (HYPER, "prio", (port, index))


def bind_frame(port: int, vcpu: int):
    """``EVTCHNOP_bind_vcpu``: the next raise goes to ``vcpu``."""
    return (HYPER, "bind", (port, vcpu))


def h_prio(sh, loc, me, sw):
    port, i = loc
    return (put(sh, PRIO, put(sh[PRIO], port, i)), None, f"prio {port}:={sw.labels[i]}",
            f"EVTCHNOP_set_priority: port {port}'s next link goes to priority "
            f"{sw.labels[i]}", None)


def h_bind(sh, loc, me, sw):
    port, v = loc
    return (put(sh, NOTIFY, put(sh[NOTIFY], port, v)), None, f"bind {port}:=v{v}",
            f"EVTCHNOP_bind_vcpu: port {port} is now raised on vCPU {v}", None)


HYPER_PROGRAM = Program(HYPER, True, {"prio": h_prio, "bind": h_bind})

XEN_PROGRAMS = (RAISE_PROGRAM, UNMASK_PROGRAM, EXPAND_PROGRAM, HYPER_PROGRAM)
