"""Common pytest setup (keep small). Markers and the default timeout are in pyproject.toml."""

# Browser-test fixture notebooks are opened in JupyterLab by tests/browser, never collected
# (with --nbval, pytest would otherwise collect any .ipynb found there).
collect_ignore_glob = ["browser/fixtures/*"]


# ---------------------------------------------------------------------------
# Scheme fixtures and helpers for the model tests (test_twolevel, test_threelevel,
# test_fifo, test_contract, test_properties, test_validation, test_core,
# test_limits).
#
# ``scheme`` is one fresh model (2 vCPUs) per scheme configuration, so a test
# that takes it runs once for every scheme: 2-level and 3-level with both word
# sizes and both scan policies (the 3-level W=64 from-zero combination is left
# out to keep the run short), and FIFO.  ``make_scheme`` is the matching
# factory, for tests that need other constructor options (vcpus, ...).

import pytest  # noqa: E402

import evtlib  # noqa: E402

# (id, scheme name, constructor options)
SCHEME_CONFIGS = [
    ("2l-w32-resume", "2l", {"word_bits": 32, "scan": "resume"}),
    ("2l-w64-resume", "2l", {"word_bits": 64, "scan": "resume"}),
    ("2l-w32-from-zero", "2l", {"word_bits": 32, "scan": "from-zero"}),
    ("2l-w64-from-zero", "2l", {"word_bits": 64, "scan": "from-zero"}),
    ("3l-w32-resume", "3l", {"word_bits": 32, "scan": "resume"}),
    ("3l-w64-resume", "3l", {"word_bits": 64, "scan": "resume"}),
    ("3l-w32-from-zero", "3l", {"word_bits": 32, "scan": "from-zero"}),
    ("fifo", "fifo", {}),
]

# Expected ABI port limits, from spec section 4.
MAX_PORTS = {("2l", 32): 1024, ("2l", 64): 4096,
             ("3l", 32): 32768, ("3l", 64): 262144,
             ("fifo", None): 131072}


class SchemeFactory:
    """Builds models of one configuration; ``factory(vcpus=2, timer_first=True)``."""

    def __init__(self, ident: str, name: str, options: dict) -> None:
        self.ident = ident
        self.name = name
        self.options = dict(options)

    @property
    def word_bits(self):
        return self.options.get("word_bits")

    @property
    def scan(self):
        return self.options.get("scan")

    @property
    def bitmap(self) -> bool:
        return self.name in ("2l", "3l")

    def __call__(self, **extra):
        return evtlib.make_scheme(self.name, **{**self.options, **extra})

    def __repr__(self) -> str:
        return f"SchemeFactory({self.ident})"


@pytest.fixture(params=SCHEME_CONFIGS, ids=[c[0] for c in SCHEME_CONFIGS])
def make_scheme(request) -> SchemeFactory:
    ident, name, options = request.param
    return SchemeFactory(ident, name, options)


@pytest.fixture
def scheme(make_scheme):
    """A fresh model with 2 vCPUs, one per scheme configuration."""
    return make_scheme(vcpus=2)


def spread_ports(s) -> list:
    """Ports spread over several words, on both sides of word boundaries.

    For W=32 and W=64 this crosses the boundaries of words 0/1, 1/2 and, for
    64, the 32-bit half; it also includes the last valid port of the scheme.
    """
    cand = {1, 2, 30, 31, 32, 33, 63, 64, 65, 127, 128, 1000, 1023, s.max_ports - 1}
    return sorted(p for p in cand if 0 < p < s.max_ports)


class Recorder:
    """A handler that records every port and runs per-port actions.

    ``actions`` maps a port to a list of callables; the n-th delivery of that
    port runs the n-th callable (if any).  The callable gets the port.
    """

    def __init__(self, actions=None) -> None:
        self.seen = []
        self.actions = {p: list(a) for p, a in (actions or {}).items()}
        self.count = {}

    def __call__(self, port: int) -> None:
        self.seen.append(port)
        n = self.count.get(port, 0)
        self.count[port] = n + 1
        acts = self.actions.get(port, [])
        if n < len(acts) and acts[n] is not None:
            acts[n](port)


# FIFO event-word bits (spec 3.1)
EV_P = 1 << 31
EV_M = 1 << 30
EV_L = 1 << 29
EV_BUSY = 1 << 28
LINK_MASK = (1 << 17) - 1
