"""The public API: every name reachable as ``evtlib.X`` before the layers were split still is."""

from __future__ import annotations

import inspect

import pytest

import evtlib

#: ``evtlib.__all__`` as it was before the package was split into layers, and the
#: layer module that now defines each name.
PUBLIC = {
    "EventChannels": "abi.core", "EvtchnOps": "abi.core", "NestedUpcallError": "abi.core",
    "UpcallLimitError": "abi.core", "Fifo": "abi.fifo", "ThreeLevel": "abi.threelevel",
    "TwoLevel": "abi.twolevel", "SCHEMES": "abi.schemes", "make_scheme": "abi.schemes",
    "LimitRow": "abi.limits", "limits": "abi.limits", "limits_text": "abi.limits",
    "Counters": "abi.records", "Snapshot": "abi.records", "Step": "abi.records",
    "simulate": "sim.engine", "schedule": "sim.engine", "Trace": "sim.trace",
    "TraceFormatError": "sim.records", "workloads": "sim.workloads",
    "Burst": "sim.workloads.kinds", "Explicit": "sim.workloads.kinds",
    "Flood": "sim.workloads.kinds", "FromGenerator": "sim.workloads.kinds",
    "Guests": "sim.workloads.kinds", "Mix": "sim.workloads.base",
    "Periodic": "sim.workloads.kinds", "Poisson": "sim.workloads.kinds",
    "Timer": "sim.workloads.kinds", "preset": "sim.workloads.presets",
    "fairness": "sim.metrics", "jain": "sim.metrics", "metrics_table": "sim.metrics",
    "overall": "sim.metrics", "port_stats": "sim.metrics", "port_table": "sim.metrics",
    "report": "sim.metrics", "scan_cost": "sim.metrics", "Capacity": "studies.capacity",
    "capacity_table": "studies.capacity", "guests_per_dom0": "studies.capacity",
}


def test_all_lists_every_public_name():
    assert set(PUBLIC) <= set(evtlib.__all__)
    assert len(evtlib.__all__) == len(set(evtlib.__all__))


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_each_name_comes_from_its_layer(name):
    obj = getattr(evtlib, name)
    home = "evtlib." + PUBLIC[name]
    if inspect.ismodule(obj):
        assert obj.__name__ == home
    elif isinstance(obj, dict):          # SCHEMES
        assert obj is __import__(home, fromlist=["x"]).SCHEMES
    else:
        assert obj.__module__ == home, f"evtlib.{name} is defined in {obj.__module__}"


def test_workloads_module_keeps_its_names():
    for name in ("PRESETS", "Preset", "DEVICES", "with_priority", "as_workload", "Workload"):
        assert hasattr(evtlib.workloads, name)
