"""The registry of schemes (evtlib.abi.schemes)."""

import pytest

import evtlib


def test_registry_names_the_three_schemes():
    assert set(evtlib.SCHEMES) == {"2l", "3l", "fifo"}
    for name, cls in evtlib.SCHEMES.items():
        assert cls.name == name


def test_make_scheme_passes_options():
    s = evtlib.make_scheme("2l", word_bits=32, scan="from-zero", timer_first=True)
    assert (s.max_ports, s.scan, s.timer_first) == (1024, "from-zero", True)
    assert evtlib.make_scheme("fifo", vcpus=2, word_bits=64).vcpus == 2


@pytest.mark.parametrize("name, options, message", [
    ("4l", {}, "unknown scheme '4l'"),
    ("fifo", {"scan": "resume"}, "FIFO does not take option 'scan'"),
    ("2l", {"priority": 3}, "2-level does not take option 'priority'"),
])
def test_make_scheme_rejects_clearly(name, options, message):
    with pytest.raises(ValueError, match=message):
        evtlib.make_scheme(name, **options)


@pytest.mark.parametrize("name", sorted(evtlib.SCHEMES))
@pytest.mark.parametrize("bits", [32, 64])
def test_port_limit_is_what_a_built_model_has(name, bits):
    """Capacity reads the class geometry without building models: it must agree."""
    cls = evtlib.SCHEMES[name]
    assert cls.port_limit(bits) == cls(word_bits=bits).max_ports
