"""`make html`, the static site: built through the Makefile's own target (into a temporary
SITE folder), served by a plain HTTP server, read in Debian chromium without any kernel.

The index links every notebook page; every page loads with no broken image, no failed
request and no console error, shows every figure its notebook stores (embedded; at least one
on every page but the text-only course map, TEXT_ONLY), shows each widget's static fallback
instead of a widget, folds the answers, and has the footer.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from browser import lab as labmod

pytestmark = pytest.mark.browser

REPO = labmod.REPO
NOTEBOOKS = REPO / "notebooks"
NUMBERED = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
PAGES = ["index.html"] + [n.replace(".ipynb", ".html") for n in NUMBERED]
FIGURE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# pages with no figure to show: their notebooks store none (the course map is markdown only,
# the quickstart prints text only); every other page must show at least one
TEXT_ONLY = {"index.html"}

# JS run in the page: images, figures, widget fallbacks, answers, footer
_JS_PAGE = """
() => {
  const imgs = Array.from(document.querySelectorAll('img'));
  return {
    images: imgs.length,
    broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80)),
    external: imgs.filter(i => !i.src.startsWith('data:')).map(i => i.src.slice(0, 80)),
    figures: document.querySelectorAll(
        '.jp-OutputArea-output img, .jp-OutputArea-output svg, .jp-RenderedSVG svg').length,
    widgets: document.querySelectorAll('.jupyter-widgets, script[type*="widget"]').length,
    fallbacks: Array.from(document.querySelectorAll('.jp-OutputArea-output'))
        .filter(e => e.innerText.trim().startsWith('[interactive widget')).length,
    answers: document.querySelectorAll('details.evt-answer').length,
    open_answers: document.querySelectorAll('details.evt-answer[open]').length,
    footer: (document.querySelector('footer.evt-footer') || {innerText: ''}).innerText,
  };
}
"""


def stored(nb_name: str) -> dict:
    """What the notebook stores: figure outputs, widget outputs, collapsed answer cells."""
    if nb_name == "index.html":
        nb = json.loads((NOTEBOOKS / "index.ipynb").read_text())
    else:
        nb = json.loads((NOTEBOOKS / nb_name.replace(".html", ".ipynb")).read_text())
    outs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    return {
        "figures": sum(any(t in o.get("data", {}) for t in FIGURE_TYPES) for o in outs),
        "widgets": sum(WIDGET_VIEW in o.get("data", {}) for o in outs),
        "answers": sum(bool(c["metadata"].get("jupyter", {}).get("outputs_hidden")) for c in nb["cells"]),
    }


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(browser):
    """`make html` into a temporary SITE, served over HTTP. Yields (base URL, folder, seconds)."""
    tmp = Path(tempfile.mkdtemp(prefix="evt-site-"))
    out = tmp / "site"
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    # -o: take the venv stamp as it is, so that make never reinstalls anything from here
    args = ["--no-print-directory", "-o", ".venv/.evtlib-installed", "html", f"VPY={sys.executable}", f"SITE={out}"]
    dry = subprocess.run(["make", "-n", *args], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert "build_site.py" in dry.stdout and "pip" not in dry.stdout, f"`make -n html` would run:\n{dry.stdout}"
    t0 = time.monotonic()
    run = subprocess.run(["make", *args], check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - t0
    assert run.returncode == 0, f"`make html` failed:\n{run.stdout}\n{run.stderr}"
    assert "warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(out))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", out, seconds
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def site_page(browser):
    """A fresh page; console errors, failed requests and HTTP errors in ``page.problems``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: page.problems.append(f"failed: {r.url[:100]}"))
    page.on("response", lambda r: page.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    yield page
    context.close()


def test_index_links_every_notebook_page(site, site_page):
    base, out, seconds = site
    assert sorted(p.name for p in out.glob("*.html")) == sorted(PAGES)
    site_page.goto(f"{base}/index.html")
    site_page.locator("h2", has_text="Course map").wait_for(state="visible")
    hrefs = site_page.locator("main a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    linked = {h for h in hrefs if not h.startswith("#")}
    assert set(PAGES[1:]) <= linked, f"index.html lacks {sorted(set(PAGES[1:]) - linked)}"
    assert not [h for h in linked if h.endswith(".ipynb")], hrefs
    # a link opens its page
    site_page.locator("main a", has_text="01 · Two-level upcall").first.click()
    site_page.wait_for_url(re.compile(r"/01-two-level-upcall\.html$"))
    assert not site_page.problems, site_page.problems
    print(f"\nmake html took {seconds:.1f} s")


def test_every_page_loads_with_its_figures_and_no_error(site, site_page):
    base, _, _ = site
    version = subprocess.run(
        [sys.executable, "-c", "from importlib.metadata import version; print(version('evtlib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    for name in PAGES:
        site_page.goto(f"{base}/{name}", wait_until="load")
        got = site_page.evaluate(_JS_PAGE)
        want = stored(name)
        where = f"{name}: {got}"
        assert not site_page.problems, f"{name}: {site_page.problems}"
        assert not got["broken"] and not got["external"], where
        assert got["figures"] == want["figures"], where
        assert got["widgets"] == 0 and got["fallbacks"] == want["widgets"], where
        assert got["answers"] == want["answers"] and got["open_answers"] == 0, where
        assert f"evtlib {version}" in got["footer"] and "make html" in got["footer"], where
        if name not in TEXT_ONLY:
            assert got["figures"] >= 1, where
