"""environment.yml (conda route, not solvable here) lists the same packages with the same
floors as pyproject.toml, on conda-forge, and installs evtlib itself with `pip: [-e .]`."""

import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# pip-only on purpose: playwright drives Debian chromium on the (tested) venv route;
# tomli only matters on Python 3.10 and comes with conda's pip tooling anyway.
PIP_ONLY = {"playwright", "tomli"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def env():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def pyproject_floors(pyproject) -> dict[str, str]:
    proj = pyproject["project"]
    reqs = list(proj["dependencies"])
    for extra in ("notebooks", "test"):
        reqs += proj["optional-dependencies"][extra]
    floors = {}
    for r in map(Requirement, reqs):
        if norm(r.name) == norm(proj["name"]) or norm(r.name) in PIP_ONLY:
            continue
        spec = str(r.specifier)
        if floors.get(norm(r.name), spec) != spec:
            raise AssertionError(f"pyproject.toml gives {r.name} two different specs")
        floors[norm(r.name)] = spec
    return floors


def conda_specs(env) -> dict[str, str]:
    specs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", dep)
            assert m, f"cannot parse conda dependency {dep!r}"
            specs[norm(m.group(1))] = m.group(2).replace(" ", "")
    return specs


def test_channels(env):
    assert env["channels"] == ["conda-forge", "nodefaults"]
    assert env.get("name") == "evtlib"


def test_python_and_pip(env, pyproject):
    specs = conda_specs(env)
    assert specs.get("python") == pyproject["project"]["requires-python"]
    assert "pip" in specs


def test_installs_evtlib_editable_with_pip(env):
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one `- pip:` section"
    assert "-e ." in [s.strip() for s in pip_sections[0]]


@pytest.mark.parametrize(
    "name",
    ["numpy", "matplotlib", "ipywidgets", "jupyterlab", "ipykernel", "jupytext",
     "pytest", "pytest-timeout", "hypothesis", "nbval"],
)  # fmt: skip
def test_core_deps_listed(env, name):
    assert name in conda_specs(env), f"environment.yml does not list {name}"


def test_same_packages_and_floors_as_pyproject(env, pyproject):
    want = pyproject_floors(pyproject)
    have = {k: v for k, v in conda_specs(env).items() if k not in ("python", "pip")}
    missing = sorted(set(want) - set(have))
    extra = sorted(set(have) - set(want))
    assert not missing, f"in pyproject.toml but not in environment.yml: {missing}"
    assert not extra, f"in environment.yml but not in pyproject.toml: {extra}"
    differ = {k: (want[k], have[k]) for k in want if want[k] != have[k]}
    assert not differ, f"floors differ (pyproject, environment.yml): {differ}"
