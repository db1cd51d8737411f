"""Fixtures for real-browser tests: ``lab`` (JupyterLab subprocess), ``browser`` (Playwright
chromium) and ``page``. Helpers are in ``tests/browser/lab.py``; see its docstring.

Every test in this directory is marked ``browser``. Without /usr/bin/chromium or the Python
package playwright the tests are skipped with a message, unless CI is set: then they fail
(`make browser` installs chromium; `pip install -e ".[test]"` installs playwright).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# tests/browser is a package (it has __init__.py) so that this conftest is imported as
# `browser.conftest` and does not shadow tests/conftest.py, which the model tests import as
# `conftest`. Import the helpers as `from browser.lab import ...`; `from lab import ...` works
# too (same module object, see lab.py), as this directory is also put on sys.path.
from browser import lab as labmod

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


def _unavailable() -> str | None:
    missing = []
    if not os.path.exists(labmod.CHROMIUM):
        missing.append(
            f"{labmod.CHROMIUM} not found (Debian chromium: `make browser`, or as root "
            "`apt-get install -y chromium`)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append('Python package playwright not installed (`pip install -e ".[test]"`)')
    return "; ".join(missing) or None


@pytest.fixture(scope="session")
def _browser_available():
    why = _unavailable()
    if why:
        if labmod.in_ci():
            pytest.fail(f"browser tests cannot run in CI: {why}", pytrace=False)
        pytest.skip(f"browser tests skipped: {why}")


@pytest.fixture(scope="session")
def lab(_browser_available):
    """A running JupyterLab (see lab.LabServer) serving stripped copies of notebooks/ and
    the fixtures (under fixtures/)."""
    server = labmod.start_lab()
    yield server
    keep = os.environ.get("EVT_KEEP_LAB") == "1"
    labmod.stop_lab(server, keep_files=keep)
    if keep:
        print(f"\nlab files kept in {server.base}")


@pytest.fixture(scope="session")
def browser(_browser_available):
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        b = labmod.launch_browser(pw)
    except Exception:
        pw.stop()
        raise
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def page(request, lab, browser):
    """A fresh page (new browser context) on a 1400x1000 viewport. On failure a screenshot is
    saved under .pytest_cache/browser/. Kernels are shut down after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    console = []
    pg.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None)
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        out = Path(request.config.rootpath) / ".pytest_cache" / "browser"
        out.mkdir(parents=True, exist_ok=True)
        shot = out / f"{request.node.name}.png"
        try:
            pg.screenshot(path=str(shot), full_page=True)
            print(f"\nscreenshot: {shot}")
        except Exception as exc:  # the page may be gone
            print(f"\nno screenshot: {exc}")
        if console:
            print("browser console errors:\n" + "\n".join(console[-20:]))
    context.close()
    lab.shutdown_kernels()
