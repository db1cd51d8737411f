"""Capacity: guests per dom0, with the arithmetic shown."""

from __future__ import annotations

import pytest

import evtlib
from evtlib.studies import capacity
from evtlib.studies.capacity import (ASSUMPTIONS, GEORGE, capacity_table, george_text,
                             guests_per_dom0, max_ports)


def test_max_ports_come_from_the_models():
    for row in evtlib.limits():
        assert max_ports(row.scheme, row.word_bits) == row.max_ports
    assert max_ports("2l", 32) == evtlib.make_scheme("2l", word_bits=32).max_ports


@pytest.mark.parametrize("scheme,bits,per,reserved,theory,guests", [
    ("2l", 32, 4, 0, 256, 255),          # port 0 costs the 256th guest
    ("2l", 32, 4, 100, 256, 230),
    ("2l", 64, 4, 0, 1024, 1023),
    ("3l", 32, 4, 0, 8192, 8191),
    ("3l", 64, 4, 300, 65536, 32751),    # ports allow 65,460: domain IDs cap it
    ("fifo", 32, 4, 0, 32768, 32751),    # ports allow 32,767: domain IDs cap it
    ("fifo", 64, 5, 100, 26214, 26194),
])
def test_arithmetic(scheme, bits, per, reserved, theory, guests):
    cap = guests_per_dom0(scheme, bits, per, reserved)
    assert cap.theoretical == theory
    assert cap.guests == guests
    assert cap.usable == cap.max_ports - 1 - reserved
    assert 0 <= cap.spare < per
    assert f"// {per} = {cap.port_guests}" in cap.practical_text()
    assert cap.guests == min(cap.port_guests, 32751)
    assert cap.theoretical_text() == f"{cap.max_ports} // {per} = {theory}"


def test_documented_assumptions_reconstruct_about_180():
    assert GEORGE in ASSUMPTIONS
    for a in ASSUMPTIONS:
        assert a.why and a.per_guest in (4, 5)
        assert 175 <= guests_per_dom0("2l", 32, a.per_guest, a.reserved).guests <= 185
    # the sourced one leads: XenServer's figures, 5 per guest and 100 other ports
    assert (GEORGE.per_guest, GEORGE.reserved) == (5, 100) and GEORGE is ASSUMPTIONS[0]
    text = george_text()
    assert "1024 // 4 = 256 guests" in text
    assert text.index("(1024 - 1 - 100) // 5 = 923 // 5 = 184") < text.index(
        "(1024 - 1 - 300) // 4 = 723 // 4 = 180")
    assert "50-300 reserved: 144..243 guests" in text


def test_spread_is_a_range_not_a_point():
    """(1023 - 300) // 5 = 144 at the low end, (1023 - 50) // 4 = 243 at the high end."""
    sp = capacity.spread()
    assert (sp.low, sp.high) == (144, 243)
    assert sp.guests[sp.per_guest.index(5)][sp.reserved.index(100)] == 184
    assert all(len(line) <= 72 for line in sp.text().splitlines())
    assert "range 144..243 guests" in sp.text()


def test_domain_ids_cap_guests_per_dom0():
    """DOMID_FIRST_RESERVED = 0x7FF0 = 32,752 domain IDs; dom0 takes 0."""
    assert capacity.DOMID_FIRST_RESERVED == 0x7FF0 == 32752
    assert capacity.MAX_GUESTS == 32751
    for scheme, bits, port_guests in (("fifo", 64, 131071), ("3l", 64, 262143),
                                      ("3l", 32, 32767)):
        cap = guests_per_dom0(scheme, bits, per_guest=1)
        assert (cap.port_guests, cap.guests, cap.capped) == (port_guests, 32751, True)
        assert "capped at 32,751 guests by domain IDs" in cap.text()
    two = guests_per_dom0("2l", 64, per_guest=1)
    assert (two.guests, two.capped) == (4095, False) and "capped" not in two.text()
    table = capacity_table(32, 1, 0)
    assert "Domain IDs cap any dom0 at 32,751 guests" in table
    assert "max_event_channels=1023" in table


def test_table_shows_every_scheme_in_72_columns():
    text = capacity_table(32, 4, 100)
    assert all(len(line) <= 72 for line in text.splitlines())
    for label in ("2-level", "3-level", "FIFO"):
        assert label in text
    assert "(1024 - 1 - 100) // 4 = 923 // 4 = 230 guests" in text
    assert all(len(line) <= 72 for line in george_text().splitlines())


@pytest.mark.parametrize("args,exc,text", [
    (("2l", 32, 0, 0), ValueError, "per_guest 0 is out of range"),
    (("2l", 32, 4, -1), ValueError, "reserved -1 is out of range"),
    (("2l", 32, 4, 1024), ValueError, r"valid values are 0\.\.1023"),
    (("2l", 48, 4, 0), ValueError, "32 and 64"),
    (("4l", 32, 4, 0), ValueError, "valid schemes are 2l, 3l, fifo"),
    (("2l", 32, 2.5, 0), TypeError, "per_guest must be an integer"),
])
def test_bad_input(args, exc, text):
    with pytest.raises(exc, match=text):
        guests_per_dom0(*args)


# ------------------------------------------- dom0's own ports, the calculator
def test_dom0_reserved_is_the_documented_reconstruction():
    d = capacity.dom0_reserved()
    assert (d.vcpus, d.per_vcpu, d.irqs) == (4, 7, 72)
    assert d.reserved == capacity.GEORGE.reserved == 100
    assert d.text() == "reserved = 4 vCPUs x 7 + 72 IRQs/VIRQs = 100"
    assert capacity.dom0_reserved(1, 0).text() == "reserved = 1 vCPU x 7 + 0 IRQs/VIRQs = 7"


@pytest.mark.parametrize("kw,err,msg", [
    ({"vcpus": 0}, ValueError, r"dom0 vCPUs 0 is out of range: valid values are 1\.\.64"),
    ({"vcpus": 65}, ValueError, r"1\.\.64"),
    ({"irqs": 401}, ValueError, r"dom0 IRQs 401 .* 0\.\.400"),
    ({"irqs": 1.5}, TypeError, "must be an integer"),
    ({"vcpus": True}, TypeError, "must be an integer"),
])
def test_dom0_reserved_rejects_invalid_values(kw, err, msg):
    with pytest.raises(err, match=msg):
        capacity.dom0_reserved(**kw)


def test_calculator_text_shows_the_arithmetic_in_72_columns():
    text = capacity.calculator_text()
    assert "(1024 - 1 - 100) // 5 = 923 // 5 = 184 guests" in text
    assert "4 vCPUs x 7 + 72" in text
    assert max(len(line) for line in text.splitlines()) <= 72
    other = capacity.calculator_text(64, per_guest=5, vcpus=4, irqs=0)
    assert "64-bit dom0, 5 port(s) per guest" in other
    assert "(4096 - 1 - 28) // 5 = 4067 // 5 = 813 guests" in other


def test_texts_say_3_level_figures_are_a_reconstruction():
    assert "never merged: its figures come from a reconstruction" in capacity_table()
    assert "its figures come from a reconstruction" in evtlib.limits_text()
    for text in (capacity_table(), evtlib.limits_text()):
        assert max(len(line) for line in text.splitlines()) <= 72

