"""How many guests a dom0 can host before it runs out of event channels.

Every guest costs dom0 a few ports (xenstore, console, one per vif, one per
vbd, ioreq ports for HVM guests...); dom0 also spends ports on itself
(per-vCPU timer and IPIs, physical IRQs, global VIRQs). Two lines of
arithmetic, both shown:

* theoretical = ``max_ports // per_guest``: the thread's own arithmetic
  ("each VM needs 4 or more event channels in domain 0 ... for a 32-bit
  dom0, there is a theoretical maximum of 256 guests": 1024 // 4), which
  neither subtracts port 0 nor reserves anything;
* practical = ``(max_ports - 1 - reserved) // per_guest``: port 0 is never
  usable, and ``reserved`` ports go to dom0's own needs.

George's "in practice it's more like 180 or so" is reconstructed here
(arithmetic, not stated in the thread; the sources are listed in
docs/sources.md): see :data:`ASSUMPTIONS`, led by XenServer's published
figures, and :func:`spread` for the range over plausible inputs. Whatever
the port limit, domain IDs cap a host at :data:`MAX_GUESTS` guests. dom0's own ports for the
calculator are :func:`dom0_reserved`, and :func:`calculator_text` shows the
arithmetic for every scheme. ``max_ports`` always comes from the models
(each scheme class's ``port_limit``), never typed in here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..abi.core import check_int
from ..abi.schemes import SCHEMES

WORD_BITS = (32, 64)


@dataclass(frozen=True)
class Assumption:
    """A documented guess at dom0's ports: per guest, and reserved for itself."""

    name: str
    per_guest: int
    reserved: int
    why: str


#: Two reconstructions of George's "~180" on a 32-bit dom0 (1024 ports). The
#: first is the sourced one: XenServer's published figures (one port per
#: disk, VIF, xenstore and HVM vCPU; "around 50-100" other dom0 ports).
ASSUMPTIONS = (
    Assumption("5 per guest, 100 reserved", 5, 100,
               "a 1-vCPU HVM guest: xenstore+vif+vbd+ioreq+bufioreq; 100 "
               "'other purposes' ports, the top of XenServer's 50-100"),
    Assumption("4 per guest, 300 reserved", 4, 300,
               "xenstore+console+vif+vbd per guest; dom0 keeps ~7 ports per "
               "vCPU x 16 vCPUs = 112, plus ~188 PIRQ/MSI-X and global VIRQs"),
)

#: The assumption the notebooks lead with for "about 180".
GEORGE = ASSUMPTIONS[0]
#: Plausible inputs for the spread: dom0 ports per guest, and ports dom0
#: keeps for itself (XenServer's 50-100 up to a large dom0's ~300).
SPREAD_PER_GUEST = (4, 5)
SPREAD_RESERVED = (50, 100, 200, 300)

#: Domain IDs stop below ``DOMID_FIRST_RESERVED`` (0x7FF0, xen/include/public/xen.h);
#: dom0 takes 0, so at most 32,751 guests whatever the port limit.
DOMID_FIRST_RESERVED = 0x7FF0
MAX_GUESTS = DOMID_FIRST_RESERVED - 1
#: xl's default ``max_event_channels`` for a domU (xl.cfg; commit a77eb86f44).
XL_MAX_EVENT_CHANNELS = 1023


def max_ports(scheme: str, word_bits: int) -> int:
    """The scheme's port limit for a guest of ``word_bits``, from the model's geometry."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}: valid schemes are "
                         f"{', '.join(SCHEMES)}")
    if type(word_bits) is not int or word_bits not in WORD_BITS:
        raise ValueError(f"word_bits {word_bits!r} is out of range: valid values "
                         f"are 32 and 64")
    return SCHEMES[scheme].port_limit(word_bits)


@dataclass(frozen=True)
class Capacity:
    """Guests per dom0 for one scheme, with the arithmetic behind both numbers."""

    scheme: str
    label: str
    word_bits: int
    max_ports: int
    per_guest: int
    reserved: int

    @property
    def theoretical(self) -> int:
        """The thread's arithmetic: every port, port 0 included, nothing reserved."""
        return self.max_ports // self.per_guest

    @property
    def usable(self) -> int:
        """Ports left for guests: all but port 0 and the reserved ones."""
        return self.max_ports - 1 - self.reserved

    @property
    def port_guests(self) -> int:
        """Usable ports // ports per guest: what the event channels allow."""
        return self.usable // self.per_guest

    @property
    def capped(self) -> bool:
        """Whether domain IDs, not ports, are the limit (:data:`MAX_GUESTS`)."""
        return self.port_guests > MAX_GUESTS

    @property
    def guests(self) -> int:
        """The practical number: the port limit, capped by the domain IDs."""
        return min(self.port_guests, MAX_GUESTS)

    @property
    def spare(self) -> int:
        """Usable ports left over after the last whole guest the ports allow."""
        return self.usable - self.port_guests * self.per_guest

    def theoretical_text(self) -> str:
        return f"{self.max_ports} // {self.per_guest} = {self.theoretical}"

    def practical_text(self) -> str:
        return (f"({self.max_ports} - 1 - {self.reserved}) // {self.per_guest} = "
                f"{self.usable} // {self.per_guest} = {self.port_guests}")

    def text(self) -> str:
        lines = [f"{self.label} ({self.word_bits}-bit dom0): {self.max_ports} ports",
                 f"  theoretical  {self.theoretical_text()} guests",
                 f"  practical    {self.practical_text()} guests"]
        if self.capped:
            lines.append(f"  capped at {MAX_GUESTS:,} guests by domain IDs "
                         f"(DOMID_FIRST_RESERVED)")
        return "\n".join(lines)


def guests_per_dom0(scheme: str, word_bits: int = 32, per_guest: int = 4,
                    reserved: int = 0) -> Capacity:
    """Guests a dom0 of ``word_bits`` can host under ``scheme``.

    ``per_guest``: dom0 ports each guest needs (>= 1). ``reserved``: ports
    dom0 keeps for itself (>= 0, and fewer than the usable ports).
    """
    per_guest = check_int(per_guest, "per_guest", 1)
    reserved = check_int(reserved, "reserved", 0)
    top = max_ports(scheme, word_bits)
    if reserved > top - 1:
        raise ValueError(f"reserved {reserved} is out of range for {scheme} at "
                         f"{word_bits} bits: valid values are 0..{top - 1} "
                         f"(usable ports)")
    label = SCHEMES[scheme].label
    return Capacity(scheme, label, word_bits, top, per_guest, reserved)


# ------------------------------------------- dom0's own ports, the calculator
#: Ports a 2013 Linux PV dom0 binds per vCPU: VIRQ_TIMER, VIRQ_DEBUG and five
#: IPIs (resched, callfunc, callfuncsingle, spinlock, irqwork);
#: docs/sources.md (dom0's own ports).
DOM0_PORTS_PER_VCPU = 7
DOM0_VCPUS = (1, 64)
DOM0_IRQS = (0, 400)


@dataclass(frozen=True)
class Dom0:
    """The ports dom0 keeps for itself: per-vCPU VIRQs/IPIs plus physical IRQs."""

    vcpus: int
    irqs: int
    per_vcpu: int = DOM0_PORTS_PER_VCPU

    @property
    def reserved(self) -> int:
        return self.vcpus * self.per_vcpu + self.irqs

    def text(self) -> str:
        cpus = "vCPU" if self.vcpus == 1 else "vCPUs"
        return (f"reserved = {self.vcpus} {cpus} x {self.per_vcpu} + {self.irqs} "
                f"IRQs/VIRQs = {self.reserved}")


def dom0_reserved(vcpus: int = 4, irqs: int = 72,
                  per_vcpu: int = DOM0_PORTS_PER_VCPU) -> Dom0:
    """dom0's own ports: ``vcpus`` x ``per_vcpu`` plus ``irqs`` (PIRQs, MSI-X,
    global VIRQs). The defaults add up to :data:`GEORGE`'s 100 reserved ports
    (4 x 7 + 72); the total is XenServer's figure, the split is illustrative."""
    return Dom0(check_int(vcpus, "dom0 vCPUs", *DOM0_VCPUS),
                check_int(irqs, "dom0 IRQs", *DOM0_IRQS),
                check_int(per_vcpu, "ports per dom0 vCPU", 1, 16))


def calculator_text(word_bits: int = 32, per_guest: int = 5, vcpus: int = 4,
                    irqs: int = 72, per_vcpu: int = DOM0_PORTS_PER_VCPU) -> str:
    """The calculator's arithmetic for every scheme, in 72 columns."""
    dom0 = dom0_reserved(vcpus, irqs, per_vcpu)
    caps = [guests_per_dom0(name, word_bits, per_guest, dom0.reserved)
            for name in SCHEMES]
    lines = [f"{word_bits}-bit dom0, {caps[0].per_guest} port(s) per guest",
             dom0.text(), ""]
    lines += [cap.text() for cap in caps]
    return "\n".join(lines)


def capacity_table(word_bits: int = 32, per_guest: int = 4, reserved: int = 0) -> str:
    """Every scheme's guests per dom0, arithmetic shown, in 72 columns."""
    caps = [guests_per_dom0(name, word_bits, per_guest, reserved) for name in SCHEMES]
    lines = [f"Guests per dom0: {word_bits}-bit dom0, {per_guest} port(s) per "
             f"guest, {reserved} reserved",
             "theoretical = ports // per-guest (the thread's arithmetic);",
             "practical = (ports - port 0 - reserved) // per-guest.", ""]
    for cap in caps:
        lines += [cap.text(), ""]
    lines += ["3-level was never merged: its figures come from a reconstruction.",
              "FIFO has the same limit for 32- and 64-bit.",
              f"Domain IDs cap any dom0 at {MAX_GUESTS:,} guests (0x7FF0 - 1).",
              f"xl gives a domU max_event_channels={XL_MAX_EVENT_CHANNELS} by default."]
    return "\n".join(lines)


@dataclass(frozen=True)
class Spread:
    """Guests on a 32-bit 2-level dom0 over plausible inputs: ``guests[i][k]``
    for ``per_guest[i]`` dom0 ports per guest and ``reserved[k]`` dom0 ports."""

    per_guest: tuple[int, ...]
    reserved: tuple[int, ...]
    guests: tuple[tuple[int, ...], ...]

    @property
    def low(self) -> int:
        return min(min(row) for row in self.guests)

    @property
    def high(self) -> int:
        return max(max(row) for row in self.guests)

    def text(self) -> str:
        lines = ["guests per 32-bit 2-level dom0 (rows: ports per guest;",
                 "columns: ports dom0 keeps for itself)",
                 "      " + "".join(f"{r:>7}" for r in self.reserved)]
        for pg, row in zip(self.per_guest, self.guests):
            lines.append(f"{pg:>4}  " + "".join(f"{g:>7}" for g in row))
        lines.append(f"range {self.low}..{self.high} guests")
        return "\n".join(lines)


def spread(per_guest=SPREAD_PER_GUEST, reserved=SPREAD_RESERVED) -> Spread:
    """The practical 2-level guest count over every pair of plausible inputs."""
    per_guest, reserved = tuple(per_guest), tuple(reserved)
    return Spread(per_guest, reserved, tuple(
        tuple(guests_per_dom0("2l", 32, pg, r).guests for r in reserved)
        for pg in per_guest))


def george_text() -> str:
    """The thread's 256 and the reconstructions of its ~180, in 72 columns."""
    two = guests_per_dom0("2l", 32, 4, 0)
    lines = ["George (xen-devel, 27 Mar 2013): 32-bit dom0, >= 4 ports per guest:",
             f"  theoretical  {two.theoretical_text()} guests",
             "  'in practice it's more like 180 or so'. Reconstructions:"]
    for a in ASSUMPTIONS:
        cap = guests_per_dom0("2l", 32, a.per_guest, a.reserved)
        lines.append(f"  {a.name}: {cap.practical_text()}")
    sp = spread()
    lines.append(f"  Over {min(sp.per_guest)}-{max(sp.per_guest)} ports per guest and "
                 f"{min(sp.reserved)}-{max(sp.reserved)} reserved: "
                 f"{sp.low}..{sp.high} guests.")
    return "\n".join(lines)
