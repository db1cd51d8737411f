"""Breadth-first exploration of every interleaving, cycles, and replay.

:func:`search` visits each distinct state once, in order of distance from
the initial state, and remembers for each state the state and actor it was
first reached from; the first witness of each violation kind is therefore a
shortest one. Edges are kept in flat arrays so that, when the graph has a
cycle at all, Tarjan's algorithm can look for a cycle containing a step of
Xen code (invariant 4: Xen retrying without bound). :func:`run` replays one
schedule deterministically and records every step.
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass, replace

from .engine import KINDS, MAX_STATES, Model, StateLimitError, Violation


@dataclass(frozen=True)
class Found:
    """What :func:`search` saw: sizes, counts and one witness per kind."""

    states: int
    transitions: int
    ends: int
    counts: dict
    # kind -> (message, schedule as actor indices, loop start or None)
    witnesses: dict


class _Graph:
    """States in discovery order, BFS tree and every edge."""

    def __init__(self, init) -> None:
        self.index = {init: 0}
        self.order = [init]
        self.parent = array("i", [-1])
        self.via = array("b", [-1])
        self.depth = array("i")  # filled by _spin
        self.src, self.dst = array("i"), array("i")
        self.actor, self.xen = array("b"), bytearray()

    def path(self, i: int) -> list:
        """Actor indices of the BFS-tree path from the initial state to ``i``."""
        out = []
        while i > 0:
            out.append(self.via[i])
            i = self.parent[i]
        out.reverse()
        return out


def search(model: Model, max_states: int = MAX_STATES) -> Found:
    """Explore every interleaving of ``model``; see the module docstring."""
    g = _Graph(model.init)
    index, order, step = g.index, g.order, model.step
    first: dict = {}
    counts: dict = {}
    end_memo: dict = {}
    # Pairs (frame before, frame after) of every step of Xen code: a Xen
    # actor can spin only if these pairs form a cycle.
    xframes: set = set()
    n, transitions, ends = len(model.names), 0, 0

    def note(kind, msg, where):
        counts[kind] = counts.get(kind, 0) + 1
        first.setdefault(kind, (msg, where))

    i = 0
    while i < len(order):
        st = order[i]
        moved = False
        for a in range(n):
            r = step(st, a)
            if r is None:
                continue
            moved = True
            transitions += 1
            # One hash of the new state: setdefault both finds and inserts.
            j = len(order)
            if index.setdefault(r[0], j) == j:
                if j >= max_states:
                    raise StateLimitError(
                        f"more than {max_states:,} states: the scenario is too "
                        f"large to explore (raise max_states= or make it smaller)")
                order.append(r[0])
                g.parent.append(i)
                g.via.append(a)
            if r[4]:
                xframes.add((st[1][a], r[0][1][a]))
            flag = r[3]
            if flag and (flag in model.checks or flag not in KINDS):
                note(flag, r[2], ("step", i, a))
        if model.finished(st[1]):
            ends += 1
            res = end_memo.get(st[0])
            if res is None:
                res = end_memo[st[0]] = tuple(model.end_checks(st[0])[0])
            for kind, msg in res:
                note(kind, msg, ("end", i))
        elif not moved and "deadlock" in model.checks:
            note("deadlock", "no actor can take a step but some have not "
                             "finished", ("end", i))
        i += 1
    if "unbounded-xen-work" in model.checks and _has_cycle(xframes):
        _spin(model, g, counts, first)
    return Found(len(order), transitions, ends, counts, _witnesses(g, first))


_END = object()


def _has_cycle(pairs) -> bool:
    """Whether the directed graph given by its edge pairs has a cycle."""
    succ: dict = {}
    for a, b in pairs:
        succ.setdefault(a, []).append(b)
    state: dict = {}
    for root in succ:
        if root in state:
            continue
        state[root] = 1
        work = [(root, iter(succ[root]))]
        while work:
            node, it = work[-1]
            nxt = next(it, _END)
            if nxt is _END:
                state[node] = 2
                work.pop()
            elif state.get(nxt) == 1:
                return True
            elif nxt not in state:
                state[nxt] = 1
                work.append((nxt, iter(succ.get(nxt, ()))))
    return False


def _spin(model: Model, g: _Graph, counts: dict, first: dict) -> None:
    """Second pass: store every edge, then look for a Xen-only cycle."""
    index, step = g.index, model.step
    depth = array("i", [0]) * len(g.order)
    for j in range(1, len(g.order)):
        depth[j] = depth[g.parent[j]] + 1
    g.depth = depth
    for i, st in enumerate(g.order):
        for a in range(len(model.names)):
            r = step(st, a)
            if r is not None:
                g.src.append(i)
                g.dst.append(index[r[0]])
                g.actor.append(a)
                g.xen.append(r[4])
    cyc = _xen_cycle(g)
    if cyc is not None:
        counts["unbounded-xen-work"] = counts.get("unbounded-xen-work", 0) + cyc[2]
        # A cycle proves the spin unbounded: it is a better witness than a
        # run that merely exceeds the fixed code's number of attempts.
        first["unbounded-xen-work"] = (
            "Xen code repeats a step forever: a cycle of states in which Xen "
            "keeps retrying", ("cycle", cyc[0], cyc[1]))


def _witnesses(g: _Graph, first: dict) -> dict:
    out = {}
    for kind, (msg, where) in first.items():
        if where[0] == "step":
            out[kind] = (msg, tuple(g.path(where[1]) + [where[2]]), None)
        elif where[0] == "end":
            out[kind] = (msg, tuple(g.path(where[1])), None)
        else:
            out[kind] = (msg, where[1], where[2])
    return out


def _csr(g: _Graph, n: int, drop: int = -1):
    """Edges grouped by source: offsets, targets, actors, Xen flags.

    The guest-code edges of actor ``drop`` are left out.
    """
    keep = [e for e in range(len(g.src))
            if not (g.actor[e] == drop and not g.xen[e])]
    off = [0] * (n + 1)
    for e in keep:
        off[g.src[e] + 1] += 1
    for k in range(n):
        off[k + 1] += off[k]
    m = len(keep)
    tgt, act, xen = array("i", [0]) * m, array("b", [0]) * m, bytearray(m)
    fill = off[:-1]
    for e in keep:
        s = g.src[e]
        p = fill[s]
        fill[s] = p + 1
        tgt[p], act[p], xen[p] = g.dst[e], g.actor[e], g.xen[e]
    return off, tgt, act, xen


def _scc(n: int, off, tgt) -> list:
    """Tarjan's strongly connected components, iteratively: component ids."""
    index = [-1] * n
    low = [0] * n
    comp = [-1] * n
    onstack = bytearray(n)
    stack: list = []
    counter = ncomp = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        work = [(root, off[root])]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        onstack[root] = 1
        while work:
            v, p = work[-1]
            if p < off[v + 1]:
                work[-1] = (v, p + 1)
                w = tgt[p]
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    onstack[w] = 1
                    work.append((w, off[w]))
                elif onstack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work and low[v] < low[work[-1][0]]:
                low[work[-1][0]] = low[v]
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    onstack[w] = 0
                    comp[w] = ncomp
                    if w == v:
                        break
                ncomp += 1
    return comp


def _cyclic_xen(n, off, tgt, act, xen, comp, only=-1):
    """Xen-code edges ``(u, p)`` whose two ends share a component."""
    out = []
    for u in range(n):
        cu = comp[u]
        for p in range(off[u], off[u + 1]):
            if xen[p] and comp[tgt[p]] == cu and (only < 0 or act[p] == only):
                out.append((u, p))
    return out


def _xen_cycle(g: _Graph):
    """A lasso in which one actor runs only Xen code, forever; or None.

    A guest that keeps making hypercalls runs Xen code in a cycle too, but
    each time it comes back to guest code; so for each candidate actor the
    cycle is looked for without that actor's guest-code edges. Returns
    ``(schedule, loop_start, edges)``: the schedule reaches a state ``u`` by
    the BFS tree, takes the actor's Xen edge ``u -> v`` and comes back from
    ``v`` to ``u`` by a shortest path inside their component; ``edges``
    counts the Xen edges found on such cycles.
    """
    n = len(g.order)
    full = _csr(g, n)
    comp = _scc(n, full[0], full[1])
    cand = sorted({full[2][p] for _, p in _cyclic_xen(n, *full, comp)})
    best, found = None, 0
    for a in cand:
        off, tgt, act, xen = _csr(g, n, drop=a)
        comp = _scc(n, off, tgt)
        edges = _cyclic_xen(n, off, tgt, act, xen, comp, only=a)
        found += len(edges)
        for u, p in edges:
            if best is None or g.depth[u] < g.depth[best[0]]:
                best = (u, p, off, tgt, act, comp)
    if best is None:
        return None
    u, p, off, tgt, act, comp = best
    back = _path_within(u, tgt[p], comp, off, tgt, act)
    prefix = g.path(u)
    return tuple(prefix + [act[p]] + back), len(prefix), found


def _path_within(u: int, v: int, comp, off, tgt, act) -> list:
    """Actor indices of a shortest path from ``v`` to ``u`` in their component."""
    if u == v:
        return []
    prev = {v: None}
    todo = deque([v])
    while todo:
        x = todo.popleft()
        for p in range(off[x], off[x + 1]):
            y = tgt[p]
            if comp[y] != comp[u] or y in prev:
                continue
            prev[y] = (x, act[p])
            if y == u:
                out = []
                while prev[y] is not None:
                    y, a = prev[y]
                    out.append(a)
                out.reverse()
                return out
            todo.append(y)
    raise AssertionError("no path inside a strongly connected component")


def run(model: Model, schedule, finish: bool = True):
    """Replay ``schedule`` (actor indices): ``(steps, state, loop_start)``.

    Raises ValueError naming the first index whose actor cannot move. When
    every finite actor has finished, the drain's steps are appended and the
    flags of the end checks are put on the last step. A state seen twice
    with a step of Xen code in between is flagged as unbounded Xen work.
    """
    state = model.init
    seen = {state: 0}
    steps: list = []
    loop = None
    for k, a in enumerate(schedule):
        r = model.step(state, a)
        if r is None:
            ok = [model.names[b] for b in range(len(model.names))
                  if model.step(state, b) is not None]
            raise ValueError(
                f"schedule step {k}: actor {model.names[a]!r} cannot move "
                f"there; enabled actors: {', '.join(ok) or 'none'}")
        state, op, why, flag, xen = r
        if flag and not (flag in model.checks or flag not in KINDS):
            flag = None
        steps.append(model.make_step(model.names[a], state[0], op, why, xen, flag))
        if state in seen and loop is None and any(s.xen for s in steps[seen[state]:]):
            loop = seen[state]
            if "unbounded-xen-work" in model.checks:
                steps[-1] = _flag(steps[-1], ("unbounded-xen-work",))
        seen.setdefault(state, k + 1)
    if finish and model.finished(state[1]):
        flags, drain = model.end_checks(state[0], record=True)
        steps += drain
        if flags and steps:
            steps[-1] = _flag(steps[-1], tuple(dict.fromkeys(k for k, _ in flags)))
    return tuple(steps), state, loop


def _flag(step, kinds):
    new = tuple(k for k in kinds if k not in step.flags)
    return replace(step, flags=step.flags + new)


def violations(model: Model, found: Found) -> tuple:
    """One :class:`Violation` per kind found, each with its replayed trace."""
    order = list(KINDS) + sorted(k for k in found.witnesses if k not in KINDS)
    out = []
    for kind in order:
        if kind not in found.witnesses:
            continue
        msg, sched, loop = found.witnesses[kind]
        steps, _, _ = run(model, sched, finish=loop is None)
        names = tuple(model.names[a] for a in sched)
        out.append(Violation(kind, KINDS.get(kind, (0, ""))[0], msg,
                             found.counts.get(kind, 1), names, steps, loop))
    return tuple(out)
