"""evtlib.limits(): spec sections 1.1, 2.2, 3.8 and the numbers table (4)."""

from __future__ import annotations

import pytest

import evtlib
from evtlib.abi.limits import bound_memory

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


@pytest.mark.parametrize("key, extra", [(("2l", 32), 0), (("2l", 64), 0),
                                        (("3l", 32), 2), (("3l", 64), 16),
                                        (("fifo", 32), 128), (("fifo", 64), 128)])
def test_extra_pages_at_the_limit(key, extra):
    """2-level's bitmaps are fields of shared_info: no page of their own."""
    r = rows()[key]
    assert r.extra_pages == extra
    assert r.in_shared_info == (key[0] == "2l")


@pytest.mark.parametrize("key, used", [(("2l", 32), 4), (("2l", 64), 8),
                                       (("3l", 32), 132), (("3l", 64), 520),
                                       (("fifo", 32), 4096), (("fifo", 64), 4096)])
def test_per_vcpu_memory_as_allocated(key, used):
    """Linux's init_control_block clears and registers a whole page per CPU."""
    assert rows()[key].per_vcpu_used_bytes == used


@pytest.mark.parametrize("scheme, bits, highest, pages", [
    ("fifo", 64, 1, 1), ("fifo", 64, 300, 1), ("fifo", 64, 1023, 1),
    ("fifo", 64, 1024, 2), ("fifo", 32, 131071, 128),
    ("2l", 64, 4095, 0), ("2l", 32, 300, 0),
    ("3l", 64, 300, 16), ("3l", 32, 300, 2),
])
def test_memory_for_the_ports_bound(scheme, bits, highest, pages):
    """FIFO: port // 1024 + 1 event-array pages (evtchn_fifo_setup); 2-level:
    none beyond shared_info; 3-level (reconstruction): both bitmaps whole."""
    m = bound_memory(scheme, bits, highest)
    assert (m.extra_pages, m.bytes) == (pages, pages * 4096)


@pytest.mark.parametrize("args, text", [
    (("fifo", 64, 0), r"highest bound port 0 is out of range: valid values are 1\.\.131071"),
    (("2l", 32, 1024), r"valid values are 1\.\.1023"),
    (("4l", 64, 5), "valid schemes are 2l, 3l, fifo"),
    (("2l", 48, 5), "word sizes 32 and 64"),
])
def test_bound_memory_bad_input(args, text):
    with pytest.raises(ValueError, match=text):
        bound_memory(*args)


def test_limits_text_says_at_the_limit_and_in_use():
    text = evtlib.limits_text()
    assert "(1p)" not in text and "in s_info" in text
    assert "512 KiB (128p)" in text and "4 KiB" in text
    assert "on Arm xen_ulong_t is 64-bit" in text
    assert "uses one page" in text
