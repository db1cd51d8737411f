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
    ("3l", 64, 4, 300, 65536, 65460),
    ("fifo", 32, 4, 0, 32768, 32767),
    ("fifo", 64, 5, 100, 26214, 26194),
])
def test_arithmetic(scheme, bits, per, reserved, theory, guests):
    cap = guests_per_dom0(scheme, bits, per, reserved)
    assert cap.theoretical == theory
    assert cap.guests == guests
    assert cap.usable == cap.max_ports - 1 - reserved
    assert 0 <= cap.spare < per
    assert f"// {per} = {guests}" in cap.practical_text()
    assert cap.theoretical_text() == f"{cap.max_ports} // {per} = {theory}"


def test_documented_assumptions_reconstruct_about_180():
    assert GEORGE in ASSUMPTIONS
    for a in ASSUMPTIONS:
        assert a.why and a.per_guest in (4, 5)
        assert 175 <= guests_per_dom0("2l", 32, a.per_guest, a.reserved).guests <= 185
    text = george_text()
    assert "1024 // 4 = 256 guests" in text
    assert "(1024 - 1 - 300) // 4 = 723 // 4 = 180" in text


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
    assert (d.vcpus, d.per_vcpu, d.irqs) == (16, 7, 188)
    assert d.reserved == capacity.GEORGE.reserved
    assert d.text() == "reserved = 16 vCPUs x 7 + 188 IRQs/VIRQs = 300"


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
    assert "(1024 - 1 - 300) // 4 = 723 // 4 = 180 guests" in text
    assert "16 vCPUs x 7 + 188" in text
    assert max(len(line) for line in text.splitlines()) <= 72
    other = capacity.calculator_text(64, per_guest=5, vcpus=4, irqs=0)
    assert "64-bit dom0, 5 port(s) per guest" in other
    assert "(4096 - 1 - 28) // 5 = 4067 // 5 = 813 guests" in other


def test_texts_say_3_level_figures_are_a_reconstruction():
    assert "never merged: its figures come from a reconstruction" in capacity_table()
    assert "its figures come from a reconstruction" in evtlib.limits_text()
    for text in (capacity_table(), evtlib.limits_text()):
        assert max(len(line) for line in text.splitlines()) <= 72

