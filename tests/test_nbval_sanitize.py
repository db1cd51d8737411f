"""tests/nbval_sanitize.cfg: parsed by nbval as intended, rewrites what varies between runs
and leaves model values (hex event words) alone."""

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

CFG = Path(__file__).resolve().parent / "nbval_sanitize.cfg"


def sanitize(text: str) -> str:
    for regex, replace in get_sanitize_patterns(CFG.read_text()):
        text = re.sub(regex, replace, text)
    return text


def test_every_section_parses():
    sections = re.findall(r"^\[", CFG.read_text(), flags=re.MULTILINE)
    assert len(get_sanitize_patterns(CFG.read_text())) == len(sections)


@pytest.mark.parametrize(
    "a, b",
    [
        ("<function f at 0x7f3a2b1c9d30>", "<function f at 0x7f11aa22bb40>"),
        ("<evtlib.Fifo object at 0x7fa0c1d2e3f0>", "<evtlib.Fifo object at 0x55d0c1d2e3f0>"),
        ("<Figure size 640x480 with 2 Axes>", "<Figure size 1000x400 with 2 Axes>"),
        ("took 12.5 ms", "took 3 s"),
        ("1.23 µs ± 45.6 ns per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)",
         "2.5 µs ± 1 ns per loop (mean ± std. dev. of 7 runs, 100,000 loops each)"),
        ("CPU times: user 1.2 ms, sys: 0 ns, total: 1.2 ms\nWall time: 2.1 ms",
         "CPU times: user 3 s, sys: 5 ms, total: 3 s\nWall time: 3.3 s"),
    ],
)  # fmt: skip
def test_varying_text_compares_equal(a, b):
    assert sanitize(a) == sanitize(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("event word 0x80000000", "event word 0x40000000"),
        ("<Figure size 640x480 with 1 Axes>", "<Figure size 640x480 with 2 Axes>"),
        ("pending ports [3, 64]", "pending ports [3, 65]"),
        ("3 vCPUs", "4 vCPUs"),
    ],
)
def test_model_values_still_compared(a, b):
    assert sanitize(a) != sanitize(b)
