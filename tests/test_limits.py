"""evtlib.limits(): spec sections 1.1, 2.2, 3.8 and the numbers table (4)."""

from __future__ import annotations

import pytest

import evtlib

# (scheme, word_bits) -> (max ports, shared bytes per domain at max, per-vCPU bytes)
# Shared memory (table of section 4):
#   2-level: pending + mask = 2 x W*W bits = 2x128 B (W=32) / 2x512 B (W=64)
#   3-level: 2 x W**3 bits = 2x4 KiB (W=32) / 2x32 KiB (W=64)
#   FIFO:    4 B per port x 2**17 = 512 KiB
# Per-vCPU selector memory (the scheme-specific shared words a vCPU adds):
#   2-level: the selector word, 4 / 8 B
#   3-level: L1 word (4 / 8 B) + L2 array W words (128 / 512 B) = 132 / 520 B
#   FIFO:    the 72-byte control block
# (The two flag bytes of vcpu_info exist in every scheme and are not counted.)
EXPECTED = {
    ("2l", 32): (1024, 256, 4),
    ("2l", 64): (4096, 1024, 8),
    ("3l", 32): (32768, 8192, 132),
    ("3l", 64): (262144, 65536, 520),
    ("fifo", 32): (131072, 524288, 72),
    ("fifo", 64): (131072, 524288, 72),
}


def rows():
    return {(r.scheme, r.word_bits): r for r in evtlib.limits()}


def test_one_row_per_scheme_and_guest_size():
    rs = evtlib.limits()
    assert len(rs) == 6
    assert [(r.scheme, r.word_bits) for r in rs] == list(EXPECTED)


@pytest.mark.parametrize("key", list(EXPECTED))
def test_max_and_usable_ports(key):
    r = rows()[key]
    max_ports = EXPECTED[key][0]
    assert r.max_ports == max_ports
    assert r.usable_ports == max_ports - 1


def test_max_ports_exact_list():
    assert [r.max_ports for r in evtlib.limits()] == [1024, 4096, 32768, 262144,
                                                      131072, 131072]
    assert [r.usable_ports for r in evtlib.limits()] == [1023, 4095, 32767, 262143,
                                                         131071, 131071]


@pytest.mark.parametrize("key", list(EXPECTED))
def test_shared_memory(key):
    assert rows()[key].shared_bytes == EXPECTED[key][1]


@pytest.mark.parametrize("key", list(EXPECTED))
def test_per_vcpu_memory(key):
    assert rows()[key].per_vcpu_bytes == EXPECTED[key][2]


@pytest.mark.parametrize("key, pages", [(("2l", 32), 1), (("2l", 64), 1),
                                        (("3l", 32), 2), (("3l", 64), 16),
                                        (("fifo", 32), 128), (("fifo", 64), 128)])
def test_shared_pages(key, pages):
    """Section 4: 3-level 2 pages / 16 pages, FIFO 128 pages of 4 KiB; 2-level
    fits in the existing shared_info page."""
    assert -(-rows()[key].shared_bytes // 4096) == pages


@pytest.mark.parametrize("key", list(EXPECTED))
def test_limits_match_models(key):
    name, w = key
    s = evtlib.make_scheme(name) if name == "fifo" else evtlib.make_scheme(name, word_bits=w)
    assert s.max_ports == EXPECTED[key][0]
    s.set_pending(s.max_ports - 1)
    with pytest.raises(ValueError):
        s.set_pending(s.max_ports)


def test_limit_rows_are_immutable():
    r = evtlib.limits()[0]
    with pytest.raises(Exception):
        r.max_ports = 1


def test_limits_text_fits_72_columns():
    text = evtlib.limits_text()
    lines = text.splitlines()
    assert all(len(line) <= 72 for line in lines)
    for n in ("1,024", "4,096", "32,768", "262,144", "131,072"):
        assert n in text
