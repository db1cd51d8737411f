"""Plain-text dumps (evtlib.abi.dumps): <= 72 columns, and they say what the state is."""

import evtlib
from evtlib.abi.dumps import flags, port_list


def test_port_list_wraps_under_label():
    text = port_list("pending", range(1, 60))
    lines = text.splitlines()
    assert len(lines) > 1 and all(len(line) <= 72 for line in lines)
    assert lines[0].startswith("pending: 1 2 3")
    assert lines[1].startswith(" " * len("pending: "))
    assert port_list("masked", []) == "masked: -"


def test_bitmap_dump_shows_words_and_selector():
    s = evtlib.TwoLevel(word_bits=32)
    s.mask(40)
    for p in (3, 40):
        s.set_pending(p)
    text = s.dump()
    assert all(len(line) <= 72 for line in text.splitlines())
    assert "pending: 3 40" in text and "masked: 40" in text
    assert "0x00000008" in text            # word 0: bit 3 pending
    assert "0x00000100" in text            # word 1: bit 8 (port 40)
    assert "sel=0x00000001" in text   # only word 0 is selected (40 is masked)


def test_three_level_dump_names_l1_l2():
    s = evtlib.ThreeLevel(word_bits=32)
    s.set_pending(5000)
    text = s.dump()
    assert "156 (4,28)" in text and "4:0x10000000" in text
    assert all(len(line) <= 72 for line in text.splitlines())


def test_fifo_dump_shows_queue_chain():
    f = evtlib.Fifo()
    for p in (5, 3, 9):
        f.set_pending(p)
    text = f.dump()
    assert "queue: 5 -> 3 -> 9" in text
    assert "HEAD=5 tail=9" in text
    assert all(len(line) <= 72 for line in text.splitlines())


def test_flags_letters():
    from evtlib.abi.fifo import BUSY, L, M, P
    assert flags(P | L) == "P.L."
    assert flags(M | BUSY) == ".M.B"
    assert flags(0) == "...."


def test_long_dumps_are_capped():
    s = evtlib.TwoLevel(word_bits=64)
    for w in range(60):
        s.set_pending(w * 64 + 1)
    text = s.dump()
    assert "... 12 more rows" in text
