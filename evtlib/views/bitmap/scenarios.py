"""Scenarios from a reader's choices: set up a model, run one upcall, get its frames.

:func:`build_model` sets up a model (pending, masked, bound to vCPU 1,
resume position); :func:`upcall_frames` runs one upcall with scripted
handlers (:func:`scripted_handler`) and returns its :class:`~.frames.Frames`.
:func:`parse_ports` and :func:`parse_pairs` read port lists typed by a
reader, with a message naming the bad value and the valid range.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np

from ...abi.schemes import make_scheme
from .frames import _SCHEMES, Frames, frames_from_steps


def _ports(values) -> tuple[int, ...]:
    if isinstance(values, (int, np.integer)):
        values = (values,)
    return tuple(values)


def build_model(scheme: str = "2l", pending=(), masked=(), resume=None, *,
                word_bits: int = 64, scan: str = "resume", elsewhere=()):
    """A fresh model in a chosen state, as Xen and Linux would have made it.

    ``elsewhere`` ports are bound to vCPU 1 (Xen and Linux, as
    ``xen_rebind_evtchn_to_cpu`` does; the model then has 2 vCPUs). Masked
    ports are masked before anything is raised, so a port both pending and
    masked is pending only (no selector bit). ``resume`` is vCPU 0's resume
    position: (word, bit), or (l1, l2, bit) for 3-level. Bad values raise
    the model's ValueError, which names the value and the valid range.
    """
    if scheme not in _SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}: valid schemes are '2l', '3l'")
    pending, masked, elsewhere = (_ports(pending), _ports(masked),
                                  _ports(elsewhere))
    s = make_scheme(scheme, word_bits=word_bits, scan=scan, vcpus=2 if elsewhere else 1)
    for p in elsewhere:
        s.bind(p, 1)
    for p in masked:
        s.mask(p)
    for p in pending:
        s.set_pending(p)
    if resume is not None:
        s.set_resume_position(0, tuple(resume))
    return s


def scripted_handler(model, reraise=(), masks: Mapping[int, Iterable[int]] | Iterable = ()):
    """A handler for ``model.upcall``: on the first delivery of a port in
    ``reraise`` Xen raises it again; on the first delivery of port ``a`` it
    masks every port of ``masks[a]`` (``masks``: a mapping or (a, b) pairs)."""
    reraise = set(_ports(reraise))
    pairs = masks.items() if isinstance(masks, Mapping) else masks
    table: dict[int, list[int]] = {}
    for a, bs in pairs:
        table.setdefault(a, []).extend(_ports(bs))
    seen: set[int] = set()

    def handler(port: int) -> None:
        if port in seen:
            return
        seen.add(port)
        for b in table.get(port, ()):
            model.mask(b)
        if port in reraise:
            model.set_pending(port)

    return handler


def upcall_frames(scheme: str = "2l", pending=(), masked=(), resume=None, reraise=(), *,
                  masks=(), word_bits: int = 64, scan: str = "resume",
                  elsewhere=()) -> Frames:
    """Set up a state (see :func:`build_model`), run one upcall on vCPU 0 and
    return its frames: the state before, one frame per recorded step, and
    the state after. ``frames.model.counters`` count the upcall only (with
    the raises its handlers make).

    Handlers are scripted (see :func:`scripted_handler`): ``reraise`` ports
    raise themselves again on their first delivery, ``masks`` maps a port to
    ports its handler masks on its first delivery.
    """
    before = build_model(scheme, pending, masked, resume, word_bits=word_bits, scan=scan,
                         elsewhere=elsewhere)
    s = build_model(scheme, pending, masked, resume, word_bits=word_bits, scan=scan,
                    elsewhere=elsewhere)
    start = s.snapshot()
    s.reset_counters()
    s.record()
    delivered = s.upcall(0, scripted_handler(s, reraise, masks))
    frames = frames_from_steps(s.steps, start, vcpu=0, scan=scan)
    return Frames(frames, before=before, model=s, delivered=delivered)


_PORT_TOKEN = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_ports(text: str, max_ports: int, what: str = "ports") -> tuple[int, ...]:
    """Ports typed by a reader: "3 10 70", "3, 10, 70" or ranges "60-66".

    Returns them sorted without repeats; raises ValueError with a message for
    the reader (naming the bad value and the valid range) otherwise.
    """
    out: set[int] = set()
    for tok in (t for t in re.split(r"[\s,;]+", text.strip()) if t):
        m = _PORT_TOKEN.match(tok)
        if not m:
            raise ValueError(f"{what}: {tok!r} is not a port number; write ports "
                             f"like '3 10 70' or a range '60-66'")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if hi < lo:
            raise ValueError(f"{what}: range {tok!r} goes down; write it as {hi}-{lo}")
        for p in (lo, hi):
            if p == 0:
                raise ValueError(f"{what}: port 0 is reserved (Xen never allocates it); "
                                 f"valid ports are 1..{max_ports - 1}")
            if p >= max_ports:
                raise ValueError(f"{what}: port {p} is out of range; valid ports are "
                                 f"1..{max_ports - 1}")
        if hi - lo >= 4096:
            raise ValueError(f"{what}: range {tok!r} is too long (at most 4096 ports)")
        out.update(range(lo, hi + 1))
    return tuple(sorted(out))


def parse_pairs(text: str, max_ports: int, what: str = "masks") -> tuple[tuple[int, int], ...]:
    """Pairs "a:b c:d" (the handler of a masks b) typed by a reader."""
    out = []
    for tok in (t for t in re.split(r"[\s,;]+", text.strip()) if t):
        parts = tok.split(":")
        if len(parts) != 2:
            raise ValueError(f"{what}: {tok!r} is not a pair; write 'a:b' (the handler "
                             f"of port a masks port b), e.g. '5:9'")
        a, b = (parse_ports(x, max_ports, what) for x in parts)
        if len(a) != 1 or len(b) != 1:
            raise ValueError(f"{what}: {tok!r} must name one port on each side of ':'")
        out.append((a[0], b[0]))
    return tuple(out)
