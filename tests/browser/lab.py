"""Real-browser test harness: JupyterLab as a subprocess, driven by Playwright in Debian chromium.

Fixtures (see tests/browser/conftest.py): ``lab`` (session: a running :class:`LabServer`),
``browser`` (session: a Playwright chromium browser), ``page`` (per test: a fresh page;
kernels are shut down after each test).

Import them as ``from browser.lab import open_and_run, click, ...`` (tests/browser is a package;
``from lab import ...`` gives the same module). Prefer putting helpers shared by several test
modules here: ``from test_01_x import f`` works but loads that test module a second time.
Helpers for tests::

    open_and_run(page, name, *, lab=None, timeout=180.0, allow_stderr=False) -> RunResult
    open_notebook(page, name, *, lab=None, timeout=60.0) -> Locator   # the notebook panel
    widget(page, css_class, *, timeout=30.0) -> Locator                # exactly one element
    click(page, css_class, *, timeout=30.0)                            # click a widget (Button)
    press_slider(page, css_class, *keys, timeout=30.0)                 # keys on a noUiSlider handle
    text_of(page, css_class_or_selector, *, timeout=30.0) -> str       # inner text
    wait_for_text(page, css_class_or_selector, expected, *, timeout=30.0) -> str
    cell_errors(page) -> list[str]                                     # error/stderr outputs

``name`` is a path relative to the lab root: the notebooks of ``notebooks/`` sit at the root
("01_intro.ipynb"), the fixtures of ``tests/browser/fixtures/`` under ``fixtures/``
("fixtures/quickstart_demo.ipynb"). All copies are stripped of outputs, so "every prompt is
numbered" means Run All finished.

Widgets get stable hooks in the notebooks with ``w.add_class("evt-...")``; pass that class
(with or without the leading dot) to the helpers. A string containing a space, ``#``, ``[``,
``>``, ``:`` or starting with ``.`` is used as a CSS selector as is.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

# One module whatever name imports it ("browser.lab" under pytest, "lab" for a script that puts
# tests/browser on sys.path): the running server is module state.
for _alias in ("browser.lab", "lab"):
    sys.modules.setdefault(_alias, sys.modules[__name__])

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = REPO / "notebooks"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"

CHROMIUM = os.environ.get("EVT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# stderr lines that are not cell errors (first import of matplotlib in a fresh environment)
BENIGN_STDERR = [
    re.compile(r"Matplotlib is building the font cache; this may take a moment\.\s*"),
]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# --------------------------------------------------------------------------- lab server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _strip_outputs(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nb.metadata.setdefault(
        "kernelspec", {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    )


def build_root(dest: Path, notebooks: Path = NOTEBOOKS_DIR, fixtures: Path = FIXTURES_DIR) -> Path:
    """Fill ``dest`` with a copy of ``notebooks/`` (every .ipynb stripped of outputs) and,
    under ``dest/fixtures``, the browser-test fixtures (.ipynb stripped, py:percent files
    converted to .ipynb). Returns ``dest``."""
    import jupytext
    import nbformat

    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    if notebooks.is_dir():
        shutil.copytree(notebooks, dest, ignore=ignore, dirs_exist_ok=True)
        for nb_path in dest.rglob("*.ipynb"):
            nb = nbformat.read(nb_path, as_version=4)
            _strip_outputs(nb)
            nbformat.write(nb, nb_path)
    if fixtures.is_dir():
        fx = dest / "fixtures"
        fx.mkdir(exist_ok=True)
        for src in sorted(fixtures.iterdir()):
            if src.suffix == ".ipynb":
                nb = nbformat.read(src, as_version=4)
            elif src.suffix == ".py":
                nb = jupytext.read(src, fmt="py:percent")
            else:
                if src.is_file():
                    shutil.copy2(src, fx / src.name)
                continue
            _strip_outputs(nb)
            nbformat.write(nb, fx / (src.stem + ".ipynb"))
    return dest


@dataclass
class LabServer:
    """A JupyterLab subprocess on 127.0.0.1 with token auth and throwaway config dirs."""

    root: Path
    port: int
    token: str
    base: Path
    proc: subprocess.Popen | None = None
    log_path: Path = field(default=None)  # type: ignore[assignment]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tree_url(self, name: str) -> str:
        """URL that opens ``name`` in a fresh workspace (``?reset``) and logs in with the token."""
        return f"{self.url}/lab/tree/{quote(name)}?reset&token={self.token}"

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 10.0):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def shutdown_kernels(self) -> None:
        """Shut down every running kernel (called between tests)."""
        try:
            for kernel in self.api("GET", "/api/kernels") or []:
                try:
                    self.api("DELETE", f"/api/kernels/{kernel['id']}")
                except urllib.error.URLError:
                    pass
        except (urllib.error.URLError, OSError):
            pass

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


_ACTIVE: LabServer | None = None


def active_lab() -> LabServer:
    if _ACTIVE is None:
        raise RuntimeError("no JupyterLab running: use the `lab` fixture (tests/browser/conftest.py)")
    return _ACTIVE


def jupyter_env(base: Path, names=("config", "data", "runtime", "ipython"),
                drop=("JUPYTER_TOKEN",)) -> tuple[dict, dict]:
    """Temporary Jupyter dirs under ``base`` and an environment that uses them.

    Returns ``(dirs, env)``: ``dirs[name]`` for each of ``names`` (created), and
    ``os.environ`` without ``drop`` plus the JUPYTER_*/IPYTHONDIR variables, so that a
    server started from a test never reads or writes the user's own Jupyter files."""
    dirs = {k: base / k for k in names}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
    )
    return dirs, env


def start_lab(root: Path | None = None, startup_timeout: float = 90.0) -> LabServer:
    """Start JupyterLab serving ``root`` (default: a fresh :func:`build_root` copy).

    Config, data, runtime, IPython, settings and workspace dirs are temporary; the news and
    update-check toast is off; ``window.jupyterapp`` is exposed for the helpers."""
    global _ACTIVE
    base = Path(tempfile.mkdtemp(prefix="evt-lab-"))
    if root is None:
        root = build_root(base / "root")
    dirs, env = jupyter_env(base, ("config", "data", "runtime", "ipython", "settings",
                                   "workspaces"))
    settings = dirs["settings"]
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    # render every cell (no virtual windowing), so DOM queries see the whole notebook
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )

    port = free_port()
    token = secrets.token_hex(24)
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={dirs['workspaces']}",
        "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    log_path = base / "lab.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    server = LabServer(root=root, port=port, token=token, base=base, proc=proc, log_path=log_path)

    deadline = time.monotonic() + startup_timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with code {proc.returncode} while starting:\n{server.log_tail()}"
            )
        try:
            server.api("GET", "/api/status", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"JupyterLab did not answer within {startup_timeout:.0f} s:\n{server.log_tail()}")
        time.sleep(0.2)
    _ACTIVE = server
    return server


def stop_lab(server: LabServer, keep_files: bool = False) -> None:
    global _ACTIVE
    server.stop()
    if _ACTIVE is server:
        _ACTIVE = None
    if not keep_files:
        shutil.rmtree(server.base, ignore_errors=True)


# --------------------------------------------------------------------------- browser


def launch_browser(playwright):
    """Headless Debian chromium through Playwright (never Playwright's own browser build)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# --------------------------------------------------------------------------- notebook helpers


class NotebookError(AssertionError):
    """A notebook cell raised, or wrote to stderr, in the browser."""


@dataclass
class RunResult:
    name: str
    code_cells: int
    seconds: float
    stderr: list[str]
    retried: bool = False  # Run All had to be sent twice (first request lost)


def _selector(css_class_or_selector: str) -> str:
    s = css_class_or_selector.strip()
    if s.startswith(".") or any(c in s for c in " #[>:"):
        return s
    return "." + s


# JS run in the page: outputs of the current notebook, read from the model
# (window.jupyterapp is exposed by --LabApp.expose_app_in_browser)
_JS_STATE = """
() => {
  const app = window.jupyterapp;
  const panels = document.querySelectorAll('.jp-NotebookPanel');
  const res = {panels: panels.length, cells: [], model: false};
  let widget = app && app.shell ? app.shell.currentWidget : null;
  if (widget && widget.content && widget.content.model && widget.content.model.cells) {
    res.model = true;
    const cells = widget.content.model.cells;
    for (let i = 0; i < cells.length; i++) {
      const c = cells.get(i);
      if (c.type !== 'code') continue;
      const outs = [];
      for (let j = 0; j < c.outputs.length; j++) {
        const o = c.outputs.get(j).toJSON();
        if (o.output_type === 'error') {
          outs.push({kind: 'error', text: o.ename + ': ' + o.evalue});
        } else if (o.output_type === 'stream' && o.name === 'stderr') {
          outs.push({kind: 'stderr', text: Array.isArray(o.text) ? o.text.join('') : o.text});
        }
      }
      res.cells.push({index: i, count: c.executionCount, outs: outs,
                      source: c.sharedModel.getSource().slice(0, 200)});
    }
  }
  const prompts = Array.from(document.querySelectorAll(
      '.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')).map(e => e.textContent.trim());
  res.prompts = prompts;
  const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
  res.status = ind ? ind.getAttribute('data-status') : null;
  res.domErrors = Array.from(document.querySelectorAll(
      '.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
      .map(e => e.textContent.slice(0, 2000));
  return res;
}
"""

_NUMBERED = re.compile(r"^\[\d+\]:?$")

# Wait until the notebook's kernel is really connected: its kernel_info reply has arrived.
# The execution indicator may already say "idle" while the websocket is still connecting, and
# a Run All sent then is silently lost (seen here: 1 first open in 4 after lab started).
_JS_KERNEL_READY = """
async (ms) => {
  const app = window.jupyterapp;
  const w = app && app.shell ? app.shell.currentWidget : null;
  if (!w || !w.sessionContext) return 'no notebook is the current widget';
  const timeout = new Promise(resolve => setTimeout(() => resolve('timeout'), ms));
  const ready = (async () => {
    await w.sessionContext.ready;
    const k = w.sessionContext.session && w.sessionContext.session.kernel;
    if (!k) return 'no kernel';
    await k.info;
    return k.connectionStatus === 'connected' ? 'ok' : 'kernel ' + k.connectionStatus;
  })();
  return await Promise.race([ready, timeout]);
}
"""


def _is_benign(text: str) -> bool:
    rest = text
    for pat in BENIGN_STDERR:
        rest = pat.sub("", rest)
    return not rest.strip()


def cell_errors(page, *, allow_stderr: bool = False) -> list[str]:
    """Error outputs (and, unless ``allow_stderr``, stderr outputs) of the open notebook,
    as readable strings "cell N: ..."."""
    state = page.evaluate(_JS_STATE)
    found = []
    if state["model"]:
        for cell in state["cells"]:
            for out in cell["outs"]:
                if out["kind"] == "error" or (not allow_stderr and not _is_benign(out["text"])):
                    src = cell["source"].splitlines()[0] if cell["source"] else ""
                    found.append(f"cell {cell['index']} ({src!r}): {out['kind']}: {out['text'].strip()[:2000]}")
    else:  # no model access: fall back to the DOM (errors render as stderr there)
        found = [t for t in state["domErrors"] if not _is_benign(t)]
    return found


def open_notebook(page, name: str, *, lab: LabServer | None = None, timeout: float = 60.0):
    """Open ``name`` in a fresh workspace, check it is the only notebook panel, wait for its
    kernel to be idle. Returns the panel locator."""
    lab = lab or active_lab()
    page.goto(lab.tree_url(name), wait_until="domcontentloaded", timeout=timeout * 1000)
    panel = page.locator(".jp-NotebookPanel")
    panel.first.wait_for(state="visible", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while True:
        # a "Select Kernel" dialog appears when the notebook names no known kernel: accept the default
        dialog = page.locator(".jp-Dialog .jp-mod-accept")
        if dialog.count():
            dialog.first.click()
        if page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count():
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: kernel not idle after {timeout:.0f} s\n{lab.log_tail(30)}")
        page.wait_for_timeout(200)
    n = panel.count()
    assert n == 1, f"{name}: expected exactly one .jp-NotebookPanel, found {n} (workspace not reset?)"
    if page.evaluate("() => !!window.jupyterapp"):
        left = max(1.0, deadline - time.monotonic())
        status = page.evaluate(_JS_KERNEL_READY, int(left * 1000))
        if status != "ok":
            raise AssertionError(f"{name}: kernel not ready: {status}\n{lab.log_tail(30)}")
    return panel


def _run_all_via_menu(page) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def _started(state) -> bool:
    """Some code cell is running, queued or done (prompt other than "[ ]:")."""
    return state["status"] == "busy" or any(p not in ("[ ]:", "[ ]") for p in state["prompts"])


def open_and_run(
    page,
    name: str,
    *,
    lab: LabServer | None = None,
    timeout: float = 180.0,
    allow_stderr: bool = False,
) -> RunResult:
    """Open notebook ``name`` (relative to the lab root), run all cells with the Run menu,
    wait until the kernel is idle and every code cell prompt is numbered.

    Raises :class:`NotebookError` naming the cell when a cell raises (or writes to stderr,
    unless ``allow_stderr``), and AssertionError on a time-out."""
    lab = lab or active_lab()
    t0 = time.monotonic()
    open_notebook(page, name, lab=lab, timeout=min(timeout, 90.0))
    _run_all_via_menu(page)
    t_run = time.monotonic()
    retried = False

    deadline = t0 + timeout
    last = None
    while True:
        errors = cell_errors(page, allow_stderr=allow_stderr)
        if errors:
            raise NotebookError(f"{name}: cell error in the browser:\n" + "\n".join(errors))
        state = page.evaluate(_JS_STATE)
        last = state
        prompts = state["prompts"]
        counts_ok = all(c["count"] is not None for c in state["cells"]) if state["model"] else True
        if (
            state["status"] == "idle"
            and prompts
            and all(_NUMBERED.match(p) for p in prompts)
            and counts_ok
        ):
            # settle: a late error output may still arrive with the last idle message
            page.wait_for_timeout(300)
            errors = cell_errors(page, allow_stderr=allow_stderr)
            if errors:
                raise NotebookError(f"{name}: cell error in the browser:\n" + "\n".join(errors))
            stderr = [
                o["text"] for c in state["cells"] for o in c["outs"] if o["kind"] == "stderr"
            ]
            # count code cells in the model: a cell whose code is collapsed (an answer cell
            # with jupyter.source_hidden) shows a placeholder instead of its input prompt
            n_code = len(state["cells"]) if state["model"] else len(prompts)
            return RunResult(
                name=name, code_cells=n_code, seconds=time.monotonic() - t0, stderr=stderr, retried=retried
            )
        if not retried and not _started(state) and time.monotonic() - t_run > 15:
            # belt and braces: nothing started 15 s after Run All (request lost): run again
            retried = True
            _run_all_via_menu(page)
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{name}: Run All did not finish within {timeout:.0f} s: kernel status "
                f"{last['status']!r}, prompts {last['prompts']}\n--- lab log ---\n{lab.log_tail(30)}"
            )
        page.wait_for_timeout(250)


def widget(page, css_class: str, *, timeout: float = 30.0):
    """Locator of the single visible element with this class (e.g. ``"evt-step-button"``)."""
    sel = _selector(css_class)
    loc = page.locator(sel)
    loc.first.wait_for(state="visible", timeout=timeout * 1000)
    n = loc.count()
    assert n == 1, f"expected one element matching {sel!r}, found {n} (widget displayed twice?)"
    return loc


def click(page, css_class: str, *, timeout: float = 30.0) -> None:
    """Click the widget with this class (a Button gets the class on its <button>)."""
    widget(page, css_class, timeout=timeout).click()


def press_slider(page, css_class: str, *keys: str, timeout: float = 30.0) -> None:
    """Focus the noUiSlider handle inside the slider widget with this class and press
    ``keys`` in order ("ArrowRight", "ArrowLeft", "Home", "End", "PageUp", ...)."""
    sel = _selector(css_class)
    widget(page, sel, timeout=timeout)
    handle = page.locator(f"{sel} .noUi-handle")
    assert handle.count() >= 1, f"no .noUi-handle inside {sel!r}: is it an ipywidgets 8 slider?"
    handle.first.focus()
    for key in keys or ("ArrowRight",):
        handle.first.press(key)


def text_of(page, css_class_or_selector: str, *, timeout: float = 30.0) -> str:
    """Inner text of the single element with this class (or matching this selector)."""
    return widget(page, css_class_or_selector, timeout=timeout).inner_text()


def wait_for_text(page, css_class_or_selector: str, expected, *, timeout: float = 30.0) -> str:
    """Wait until the element's text equals ``expected`` (str), matches it (re.Pattern) or
    satisfies it (callable). Returns the text; raises AssertionError with the last text seen."""
    loc = widget(page, css_class_or_selector, timeout=timeout)
    if isinstance(expected, str):
        ok = lambda t: t.strip() == expected.strip()  # noqa: E731
    elif isinstance(expected, re.Pattern):
        ok = lambda t: expected.search(t) is not None  # noqa: E731
    else:
        ok = expected
    deadline = time.monotonic() + timeout
    while True:
        text = loc.inner_text()
        if ok(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(
                f"text of {_selector(css_class_or_selector)!r} is {text!r}, expected {expected!r}"
            )
        page.wait_for_timeout(100)


def wait_one(page, selector: str, pattern: str, timeout: float = 30.0) -> str:
    """Wait until exactly one element matches ``selector`` and its text matches the
    regular expression ``pattern``; return that text. (A widget that was just replaced
    may briefly still be on the page next to its successor.)"""
    loc = page.locator(selector)
    deadline = time.monotonic() + timeout
    last = None
    while True:
        if loc.count() == 1:
            last = loc.inner_text()
            if re.search(pattern, last):
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector!r}: {loc.count()} element(s), last text "
                                 f"{last!r}, expected /{pattern}/")
        page.wait_for_timeout(100)


def image_src(page, selector: str, other: str | None = None, timeout: float = 30.0) -> str:
    """The ``src`` of the single image under ``selector`` (a chart widget); with
    ``other``, wait until it differs from it (the chart was redrawn)."""
    img = page.locator(f"{selector} img")
    img.first.wait_for(state="visible", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while True:
        assert img.count() == 1, f"{selector!r} shows exactly one chart"
        src = img.first.get_attribute("src")
        if other is None or src != other:
            return src
        assert time.monotonic() < deadline, f"the chart in {selector!r} was not redrawn"
        page.wait_for_timeout(100)
