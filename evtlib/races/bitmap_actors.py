"""2-level and 3-level event channels as actors (spec section 3).

Shared state, one flat tuple: PENDING and MASK bitmaps (one int each, bit p
= port p), per vCPU the selector (2-level ``evtchn_pending_sel``; 3-level:
the L1 word) and, for 3-level, the W L2 words, ``upcall_pending`` per vCPU,
and the ghost ``owed`` (ports raised and not yet delivered). Port ``p`` is
in bitmap word ``p // W``; in 3-level that word is L2 bit ``w % W`` of L2
word ``w // W``, itself L1 bit ``w // W``. Linux's per-CPU binding
(``cpu_evtchn_mask``) and Xen's notify vCPU do not change in these scenarios,
so they live in the switches, not in the state.

The selector chain is written once and shared by Xen's raise, Xen's unmask
and Linux's fast-path unmask (which sets the bits itself): test-and-set the
selector bit (3-level: the L2 bit, then the L1 bit), each stopping the chain
when the bit was already set, then mark the upcall pending.
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine import GuestState, Model, Program, put

PEND, MASK, SEL, L2, UP, OWED = range(6)


@dataclass(frozen=True)
class BitmapCode:
    """A 2-level/3-level code: today's, a teaching mutant or the mismatch."""

    name: str
    commit: str
    description: str
    late_upcall_clear: bool = False
    sel_before_pending: bool = False
    unmask_no_recheck: bool = False
    mismatch: bool = False


BITMAP_CODES = {c.name: c for c in (
    BitmapCode("fixed", "c447b7308b / Linux 17ef715c0c",
               "Today's code: Xen event_2l.c and Linux events_2l.c (3-level: "
               "the reconstruction of spec section 2)."),
    BitmapCode("late-upcall-clear", "never shipped",
               "Teaching mutant, never shipped: the guest clears "
               "upcall_pending after the selector xchg.", late_upcall_clear=True),
    BitmapCode("sel-before-pending", "never shipped",
               "Teaching mutant, never shipped: Xen sets the selector bit "
               "(and the upcall) before PENDING.", sel_before_pending=True),
    BitmapCode("unmask-no-recheck", "never shipped",
               "Teaching mutant, never shipped: the guest's unmask clears "
               "MASK and does not re-check PENDING.", unmask_no_recheck=True),
    BitmapCode("binding-mismatch", "Linux before 'ensure that all event "
               "channels start off bound to VCPU 0'",
               "Xen notifies vCPU 1 while Linux has the port in vCPU 0's "
               "cpu_evtchn_mask (historical).", mismatch=True),
)}


@dataclass(frozen=True)
class BitSw:
    """Geometry, code switches and the fixed bindings of a bitmap scenario."""

    levels: int
    W: int
    vcpus: int
    late_upcall_clear: bool
    sel_before_pending: bool
    unmask_no_recheck: bool
    notify: tuple      # Xen's notify vCPU, per port
    active: tuple      # active[v]: ports Linux binds to v, as one bitmask


def _bits(x: int) -> str:
    return ",".join(str(i) for i in range(x.bit_length()) if x >> i & 1) or "-"


# ------------------------------------------------------------ the chain
def chain_handlers(prog: str) -> dict:
    """Selector chain and upcall, for a program named ``prog``.

    Locals: ``(port, v, then)``; ``then`` is the pc to go to after the chain
    (None: the program ends).
    """
    def end(loc):
        return (prog, loc[2], loc) if loc[2] else None

    def c_sel(sh, loc, me, sw):
        port, v, _ = loc
        w = port // sw.W
        if sw.levels == 3:
            hi, lo = divmod(w, sw.W)
            l2 = sh[L2][v]
            was = l2[hi] >> lo & 1
            sh = put(sh, L2, put(sh[L2], v, put(l2, hi, l2[hi] | 1 << lo)))
            nxt = end(loc) if was else (prog, "l1", loc)
            return (sh, nxt, f"tas L2[{hi}].{lo}:{was}", f"set bit {lo} of L2 "
                    f"word {hi} of vCPU {v} (it was {was})", None)
        was = sh[SEL][v] >> w & 1
        sh = put(sh, SEL, put(sh[SEL], v, sh[SEL][v] | 1 << w))
        nxt = end(loc) if was else (prog, "upcall", loc)
        return (sh, nxt, f"tas sel.{w}:{was}", f"set selector bit {w} of vCPU "
                f"{v} (it was {was})", None)

    def c_l1(sh, loc, me, sw):
        port, v, _ = loc
        hi = port // sw.W // sw.W
        was = sh[SEL][v] >> hi & 1
        sh = put(sh, SEL, put(sh[SEL], v, sh[SEL][v] | 1 << hi))
        nxt = end(loc) if was else (prog, "upcall", loc)
        return (sh, nxt, f"tas L1.{hi}:{was}", f"set L1 bit {hi} of vCPU {v} "
                f"(it was {was})", None)

    def c_upcall(sh, loc, me, sw):
        v = loc[1]
        return (put(sh, UP, put(sh[UP], v, 1)), end(loc), "upcall=1",
                f"mark vCPU {v}'s upcall pending", None)

    return {"sel": c_sel, "l1": c_l1, "upcall": c_upcall}


# ----------------------------------------------------------- Xen raise
XRAISE, XUNMASK, GUNMASK, GUPCALL = ("xen.bitmap.raise", "xen.bitmap.unmask",
                                     "guest.bitmap.unmask", "guest.bitmap.upcall")


def raise_frame(port: int):
    return (XRAISE, "start", (port, 0, None))


def x_start(sh, loc, me, sw):
    """Read the notify vCPU; then PENDING first (or, mutant, MASK first)."""
    # PENDING must be set before the selector bit: a guest that takes the
    # selector must find the port pending when it scans the word.
    port = loc[0]
    loc = (port, sw.notify[port], None)
    if sw.sel_before_pending:
        return x_testM(sh, loc, me, sw)
    return x_tasP(sh, loc, me, sw)


def x_tasP(sh, loc, me, sw):
    port = loc[0]
    was = sh[PEND] >> port & 1
    sh = put(put(sh, PEND, sh[PEND] | 1 << port), OWED, sh[OWED] | 1 << port)
    if sw.sel_before_pending:
        nxt = None
    else:
        nxt = None if was else (XRAISE, "testM", loc)
    return (sh, nxt, f"tas P{port}:{was}", f"Xen sets PENDING of port {port} "
            f"(it was {was})" + (": already pending, nothing more" if was and
                                 nxt is None and not sw.sel_before_pending else ""), None)


def x_testM(sh, loc, me, sw):
    port = loc[0]
    then = "tasP" if sw.sel_before_pending else None
    if sh[MASK] >> port & 1:
        nxt = (XRAISE, "tasP", loc) if then else None
        return sh, nxt, f"test M{port}:1", f"port {port} is masked", None
    loc = (port, loc[1], then)
    return (sh, (XRAISE, "sel", loc), f"test M{port}:0", f"port {port} is "
            f"not masked", None)


XRAISE_PROGRAM = Program(XRAISE, True, dict(
    start=x_start, tasP=x_tasP, testM=x_testM, **chain_handlers(XRAISE)))


def xen_unmask_frame(port: int):
    """``EVTCHNOP_unmask``: only if MASK was set and PENDING is set."""
    return (XUNMASK, "tacM", (port, 0, None))


def xu_tacM(sh, loc, me, sw):
    port = loc[0]
    was = sh[MASK] >> port & 1
    sh = put(sh, MASK, sh[MASK] & ~(1 << port))
    nxt = (XUNMASK, "testP", (port, sw.notify[port], None)) if was else None
    return (sh, nxt, f"X tac M{port}:{was}", f"EVTCHNOP_unmask: Xen clears "
            f"MASK of port {port} (it was {was})", None)


def u_testP(prog):
    def testP(sh, loc, me, sw):
        port = loc[0]
        if sh[PEND] >> port & 1:
            return (sh, (prog, "sel", loc), f"test P{port}:1", f"port {port} "
                    f"is pending: signal it on vCPU {loc[1]}", None)
        return sh, None, f"test P{port}:0", f"port {port} is not pending", None
    return testP


XUNMASK_PROGRAM = Program(XUNMASK, True, dict(
    tacM=xu_tacM, testP=u_testP(XUNMASK), **chain_handlers(XUNMASK)))


def guest_unmask_frame(port: int, cpu: int):
    """Linux ``evtchn_2l_unmask`` fast path, on the port's own CPU."""
    return (GUNMASK, "clrM", (port, cpu, None))


def gu_clrM(sh, loc, me, sw):
    # MASK is cleared first and PENDING read after: a raise that saw MASK
    # set only set PENDING, and this re-check is what signals it.
    port = loc[0]
    sh = put(sh, MASK, sh[MASK] & ~(1 << port))
    if sw.unmask_no_recheck:
        return (sh, None, f"clr M{port}", f"the guest clears MASK of port "
                f"{port} and (mutant) does not look at PENDING", None)
    return (sh, (GUNMASK, "testP", loc), f"clr M{port}", f"the guest clears "
            f"MASK of port {port}", None)


GUNMASK_PROGRAM = Program(GUNMASK, False, dict(
    clrM=gu_clrM, testP=u_testP(GUNMASK), **chain_handlers(GUNMASK)))


# ------------------------------------------------------- guest upcall
def upcall_frame(v: int, sw: BitSw):
    """``__xen_evtchn_do_upcall`` on vCPU ``v`` with the 2-/3-level scan.

    Locals: ``(v, l1, words, w, snap)``: the L1 bits not yet taken (3-level),
    the bitmap words still to scan, the current word and its snapshot.
    """
    return (GUPCALL, "xchg" if sw.late_upcall_clear else "clr", (v, 0, 0, 0, 0))


def _next(sh, loc, sw):
    v, l1, words, _, _ = loc
    if words:
        w = (words & -words).bit_length() - 1
        return (GUPCALL, "snap", (v, l1, words & ~(1 << w), w, 0))
    if l1:
        return (GUPCALL, "xchgL2", loc)
    return (GUPCALL, "recheck", loc)


def g_clr(sh, loc, me, sw):
    v = loc[0]
    late = sw.late_upcall_clear
    nxt = _next(sh, loc, sw) if late else (GUPCALL, "xchg", loc)
    why = (f"vCPU {v} clears upcall_pending" + (
        " (mutant: only after taking the selector)" if late else
        " before taking the selector"))
    return put(sh, UP, put(sh[UP], v, 0)), nxt, "upcall=0", why, None


def g_xchg(sh, loc, me, sw):
    # upcall_pending was cleared before this xchg (except in the mutant):
    # a raise after the xchg sets both again and the loop goes round.
    v = loc[0]
    took = sh[SEL][v]
    sh = put(sh, SEL, put(sh[SEL], v, 0))
    if sw.levels == 3:
        loc = (v, took, 0, 0, 0)
        what = f"L1 selector: bits {_bits(took)}"
    else:
        loc = (v, 0, took, 0, 0)
        what = f"selector: words {_bits(took)}"
    nxt = (GUPCALL, "clr", loc) if sw.late_upcall_clear else _next(sh, loc, sw)
    return sh, nxt, f"xchg sel:{_bits(took)}", f"vCPU {v} takes its {what}", None


def g_xchgL2(sh, loc, me, sw):
    v, l1 = loc[0], loc[1]
    i = (l1 & -l1).bit_length() - 1
    took = sh[L2][v][i]
    sh = put(sh, L2, put(sh[L2], v, put(sh[L2][v], i, 0)))
    words = sum(1 << (i * sw.W + j) for j in range(sw.W) if took >> j & 1)
    loc = (v, l1 & ~(1 << i), words, 0, 0)
    return (sh, _next(sh, loc, sw), f"xchg L2[{i}]:{_bits(took)}",
            f"vCPU {v} takes L2 word {i}: bits {_bits(took)}", None)


def g_snap(sh, loc, me, sw):
    # One read of the word per visit (Linux's snapshot): a port raised in
    # this word later is found through its selector bit, set again.
    v, w = loc[0], loc[3]
    span = ((1 << sw.W) - 1) << (w * sw.W)
    snap = sh[PEND] & ~sh[MASK] & sw.active[v] & span
    loc = loc[:4] + (snap,)
    nxt = (GUPCALL, "ack", loc) if snap else _next(sh, loc, sw)
    return (sh, nxt, f"rd word{w}:{_bits(snap)}", f"vCPU {v} reads word {w}: "
            f"pending, unmasked and bound here: ports {_bits(snap)}", None)


def g_ack(sh, loc, me, sw):
    snap = loc[4]
    port = (snap & -snap).bit_length() - 1
    bit = 1 << port
    sh = put(sh, PEND, sh[PEND] & ~bit)
    flag, why = None, f"the guest acks port {port} (clears PENDING) and runs its handler"
    if not sh[OWED] & bit:
        flag, why = "extra-delivery", why + ": no raise is waiting for it"
    sh = put(sh, OWED, sh[OWED] & ~bit)
    loc = loc[:4] + (snap & ~bit,)
    nxt = (GUPCALL, "ack", loc) if loc[4] else _next(sh, loc, sw)
    return sh, nxt, f"DELIVER {port}", why, flag


def g_recheck(sh, loc, me, sw):
    v = loc[0]
    if sh[UP][v]:
        first = "xchg" if sw.late_upcall_clear else "clr"
        return (sh, (GUPCALL, first, (v, 0, 0, 0, 0)), "rd upcall:1",
                "upcall_pending was set again: the loop runs once more", None)
    return sh, None, "rd upcall:0", "upcall_pending is clear: the upcall returns", None


GUPCALL_PROGRAM = Program(GUPCALL, False, dict(
    clr=g_clr, xchg=g_xchg, xchgL2=g_xchgL2, snap=g_snap, ack=g_ack,
    recheck=g_recheck))

BITMAP_PROGRAMS = (XRAISE_PROGRAM, XUNMASK_PROGRAM, GUNMASK_PROGRAM, GUPCALL_PROGRAM)


# ------------------------------------------------------------ the model
def initial(sw: BitSw, pending=(), masked=(), selector=None, l2=None, upcall=None) -> tuple:
    """Shared tuple: ``selector``/``l2`` map vCPUs to their bits/words."""
    pend = sum(1 << p for p in pending)
    sel = tuple((selector or {}).get(v, 0) for v in range(sw.vcpus))
    if sw.levels == 3:
        l2w = tuple(tuple((l2 or {}).get(v, (0,) * sw.W)) for v in range(sw.vcpus))
    else:
        l2w = ()
    return (pend, sum(1 << p for p in masked), sel, l2w,
            tuple(upcall or (0,) * sw.vcpus), pend)


class BitmapModel(Model):
    """A 2-level or 3-level scenario under one code."""

    def __init__(self, *args, ports: int, **kw) -> None:
        super().__init__(*args, **kw)
        self.ports = ports
        self.scheme = "2l" if self.sw.levels == 2 else "3l"

    def drain_frame(self, sh):
        for v, up in enumerate(sh[UP]):
            if up:
                return upcall_frame(v, self.sw)
        return None

    def check_drained(self, sh) -> list:
        out = []
        lost = sh[OWED] & ~sh[MASK]
        for p in range(1, self.ports):
            if lost >> p & 1:
                state = "still pending" if sh[PEND] >> p & 1 else "not pending"
                out.append(("lost-event", f"port {p} was raised and never "
                            f"delivered: it is {state}, unmasked, and no "
                            f"selector bit or upcall leads to it"))
        return out

    def visible(self, sh) -> GuestState:
        sw = self.sw
        ports = range(1, self.ports)
        pend = tuple(p for p in ports if sh[PEND] >> p & 1)
        mask = tuple(p for p in ports if sh[MASK] >> p & 1)
        items = [("pending", pend), ("mask", mask), ("selector", sh[SEL])]
        parts = ["P " + (",".join(map(str, pend)) or "-"),
                 "M " + (",".join(map(str, mask)) or "-"),
                 ("L1 " if sw.levels == 3 else "sel ")
                 + "/".join(_bits(s) for s in sh[SEL])]
        if sw.levels == 3:
            items.append(("l2", sh[L2]))
            parts.append("L2 " + "/".join(
                ";".join(_bits(x) for x in words) for words in sh[L2]))
        items.append(("upcall", sh[UP]))
        parts.append("up " + "".join(map(str, sh[UP])))
        return GuestState(self.scheme, tuple(items), " | ".join(parts))
