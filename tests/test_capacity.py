"""Capacity: guests per dom0, with the arithmetic shown."""

from __future__ import annotations

import pytest

import evtlib
from evtlib.capacity import (ASSUMPTIONS, GEORGE, capacity_table, george_text,
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
