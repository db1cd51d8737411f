"""`make lab` opens JupyterLab on the start page: the course map in notebooks/index.ipynb,
with the project's Lab settings (lab-settings/overrides.json: no news pop-up, no update
check) and the notebooks listed once (their .py twins are in notebooks/py/).

Lab is started through the Makefile's own `lab` target, so the test sees what a student
sees. Only what a test needs is added through LAB_FLAGS: a token, a free port, and throwaway
user-settings and workspace folders (the student's home is never read or written), and
LAB_ROOT: Lab serves a copy of notebooks/, so that opening a notebook writes no checkpoint
into the tree.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
from pathlib import Path
from urllib.parse import urlparse

import pytest

from browser import lab as labmod

pytestmark = pytest.mark.browser

REPO = labmod.REPO
NUMBERED = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))


@pytest.fixture
def make_lab():
    """JupyterLab started by `make lab` (the venv is taken as it is: make does not reinstall)."""
    base = Path(tempfile.mkdtemp(prefix="evt-make-lab-"))
    root = labmod.build_root(base / "root")
    dirs, env = labmod.jupyter_env(
        base, ("config", "data", "runtime", "ipython", "settings", "workspaces"),
        drop=("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "JUPYTER_TOKEN"))
    port, token = labmod.free_port(), secrets.token_hex(24)
    flags = " ".join([
        "--allow-root", "--no-browser", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={dirs['settings']}",
        f"--LabApp.workspaces_dir={dirs['workspaces']}",
        "--LabApp.expose_app_in_browser=True",
    ])  # fmt: skip
    # -o: take the venv stamp as it is (the name as the Makefile spells it), so that make never
    # reinstalls anything from here; the dry run checks that `lab` runs JupyterLab and nothing else
    args = ["--no-print-directory", "-o", ".venv/.evtlib-installed", "lab", f"VPY={sys.executable}",
            f"LAB_PORT={port}", f"LAB_ROOT={root}", f"LAB_FLAGS={flags}"]  # fmt: skip
    dry = subprocess.run(["make", "-n", *args], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert "-m jupyterlab" in dry.stdout and "pip" not in dry.stdout, f"`make -n lab` would run:\n{dry.stdout}"
    cmd = ["make", *args]
    log_path = base / "lab.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    server = labmod.LabServer(root=root, port=port, token=token, base=base, proc=proc, log_path=log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"`make lab` exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                server.api("GET", "/api/status", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"`make lab` did not answer within 90 s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        server.shutdown_kernels()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # make and the Lab it started: our own session
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def test_make_lab_opens_on_the_course_map(make_lab, browser):
    log = make_lab.log_path.read_text(errors="replace")
    assert re.search(r"http://127\.0\.0\.1:\d+/lab/tree/index\.ipynb", log), make_lab.log_tail(20)

    # the news and update check are off by the project's defaults (overrides.json), with no
    # user settings at all
    schema = make_lab.api("GET", "/lab/api/settings/@jupyterlab/apputils-extension:notification")
    props = schema["schema"]["properties"]
    assert props["fetchNews"]["default"] == "false"
    assert props["checkForUpdates"]["default"] is False
    assert schema["raw"] in ("", "{}")

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        # the URL `make lab` prints without its path: the server sends it to the start page
        page.goto(f"{make_lab.url}/?token={make_lab.token}", wait_until="domcontentloaded")
        page.wait_for_url(re.compile(r"/lab/tree/index\.ipynb"), timeout=30_000)
        panel = page.locator(".jp-NotebookPanel")
        panel.first.wait_for(state="visible", timeout=60_000)
        assert panel.count() == 1
        heading = page.locator(".jp-NotebookPanel .jp-RenderedMarkdown h2", has_text="Course map")
        heading.wait_for(state="visible", timeout=30_000)
        assert page.locator(".lm-TabBar-tab.jp-mod-current").inner_text().strip() == "index.ipynb"

        # Lab renders a relative link to X.ipynb as .../files/X.ipynb and opens it in Lab
        hrefs = page.locator(".jp-NotebookPanel .jp-RenderedMarkdown a").evaluate_all(
            "els => els.map(a => a.href)"
        )
        links = {Path(urlparse(h).path).name for h in hrefs if "/files/" in urlparse(h).path}
        assert set(NUMBERED) <= links, f"the course map lacks {sorted(set(NUMBERED) - links)}: {hrefs}"

        # each notebook once in the file browser; the .py twins are in py/
        names = page.locator(".jp-DirListing-itemName")
        names.first.wait_for(state="visible", timeout=30_000)
        listed = [n.strip() for n in names.all_inner_texts()]
        assert "py" in listed and "index.ipynb" in listed
        assert not [n for n in listed if n.endswith(".py")], listed
        assert set(NUMBERED) <= set(listed), listed

        # a following link opens the notebook it names
        page.locator(".jp-NotebookPanel .jp-RenderedMarkdown a", has_text="00 · Quickstart").first.click()
        page.locator(".lm-TabBar-tab.jp-mod-current", has_text="00-quickstart.ipynb").wait_for(timeout=30_000)

        # no "Jupyter news" question or update toast appeared meanwhile
        page.wait_for_timeout(1500)
        toasts = [t for t in page.locator(".Toastify__toast").all_inner_texts() if t.strip()]
        assert not toasts, toasts
    finally:
        context.close()
