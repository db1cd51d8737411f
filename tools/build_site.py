"""Build the static site of the notebook collection (`make html`).

One HTML page per notebook, ``notebooks/NN-*.ipynb`` -> ``SITE/NN-*.html``, from the outputs
stored in the notebook (nothing is re-executed), plus ``SITE/index.html``, the course map of
``notebooks/index.ipynb`` with its links to ``X.ipynb`` rewritten to ``X.html``. The pages
use the nbconvert template ``share/jupyter/nbconvert/templates/evtlib-site`` (nbconvert's
lab template, self-contained: see its header) and need no kernel and no network:

* figures are embedded (data: URIs), so the folder can be zipped or served by any web server;
* each widget output keeps only its static fallback (the text/plain sentence the notebook
  stored; the figure or table just before it shows the same thing);
* answers (cells whose outputs Lab collapses) stay collapsed, in a <details>;
* a footer names the evtlib version and the command that regenerates the page.

The pages are whatever ``NN-*.ipynb`` exist; without ``notebooks/index.ipynb`` the index is a
plain list of them. Usage: ``python tools/build_site.py [--notebooks DIR] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = REPO / "share" / "jupyter" / "nbconvert" / "templates"
TEMPLATE = "evtlib-site"
COMMAND = "make html"
MARKER = ".evtlib-site"  # written into the output folder: only such a folder is ever emptied

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_FALLBACK = (
    "[interactive widget: it runs in JupyterLab or in class mode (make present); "
    "the figure or table above shows the same thing]"
)
NUMBERED = re.compile(r"^\d\d-[^/]*\.ipynb$")
# a link target in markdown, "](target)" or "](target "title")", or in HTML, href="target"
_MD_LINK = re.compile(r"(\]\(\s*<?)([^)\s>]+)")
_HREF = re.compile(r"""(href\s*=\s*["'])([^"']+)""")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class Page:
    source: Path  # the notebook
    html: str  # file name of its page in the site

    @property
    def title(self) -> str:
        return self.source.stem


def notebook_pages(notebooks: Path) -> list[Page]:
    """The numbered notebooks ``NN-*.ipynb`` of ``notebooks``, in name order."""
    return [
        Page(p, p.with_suffix(".html").name)
        for p in sorted(notebooks.glob("*.ipynb"))
        if NUMBERED.match(p.name)
    ]


def rewrite_link(target: str, pages: set[str]) -> str:
    """``X.ipynb`` (or ``X.ipynb#anchor``) -> ``X.html`` when ``X.ipynb`` has a page in the
    site; any other target (absolute URL, other file) is returned unchanged."""
    if _SCHEME.match(target) or target.startswith(("/", "#")):
        return target
    path, sep, anchor = target.partition("#")
    path = path.removeprefix("./")
    if path in pages:
        return path[: -len(".ipynb")] + ".html" + sep + anchor
    return target


def rewrite_links(text: str, pages: set[str]) -> str:
    """Rewrite every markdown and HTML link of ``text`` with :func:`rewrite_link`."""
    text = _MD_LINK.sub(lambda m: m.group(1) + rewrite_link(m.group(2), pages), text)
    return _HREF.sub(lambda m: m.group(1) + rewrite_link(m.group(2), pages), text)


def dangling_links(nb, pages: set[str]) -> list[str]:
    """Relative links to a notebook that has no page in the site (after rewriting)."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for m in list(_MD_LINK.finditer(cell.source)) + list(_HREF.finditer(cell.source)):
            target = m.group(2).partition("#")[0]
            if target.endswith(".ipynb") and rewrite_link(target, pages) == target and not _SCHEME.match(target):
                found.append(target)
    return found


def static_notebook(nb, pages: set[str]):
    """A copy of ``nb`` ready for a static page: links to notebooks point at their pages,
    widget outputs keep only their text fallback, no widget state, a page title."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source, pages)
        elif cell.cell_type == "code":
            for out in cell.get("outputs", []):
                data = out.get("data")
                if data and WIDGET_VIEW in data:
                    del data[WIDGET_VIEW]
                    if not data:
                        data["text/plain"] = WIDGET_FALLBACK
    title = page_title(nb)
    if title:
        nb.metadata["title"] = title
    return nb


def page_title(nb) -> str | None:
    """The text of the notebook's first markdown heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
                if m:
                    return re.sub(r"[*_`]", "", m.group(1))
    return None


def fallback_index(pages: list[Page]):
    """An index notebook listing every page, for a collection without notebooks/index.ipynb."""
    import nbformat

    lines = ["# evtlib notebooks", ""] + [f"* [{p.title}]({p.html})" for p in pages]
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
    return nb


def evtlib_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("evtlib")
    except PackageNotFoundError:  # not installed: read it from pyproject.toml
        m = re.search(r'^version\s*=\s*"([^"]+)"', (REPO / "pyproject.toml").read_text(), re.MULTILINE)
        return m.group(1) if m else "unknown"


def shown_path(path: Path) -> str:
    """``path`` relative to the repository when it is inside it (as the footer names it)."""
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return path.as_posix()


def prepare_out(out: Path) -> None:
    """Empty ``out`` (only when it is empty or a site this script built) and mark it."""
    if out.exists():
        if not out.is_dir():
            raise SystemExit(f"build_site: {out} exists and is not a folder")
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise SystemExit(f"build_site: {out} is not empty and was not built by this script; not touching it")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text(f"built by tools/build_site.py ({COMMAND}); the whole folder is rewritten\n")


def build(notebooks: Path, out: Path, *, command: str = COMMAND, log=print) -> list[Path]:
    """Build the site of ``notebooks`` into ``out``; returns the written pages, index first."""
    import nbformat
    from nbconvert import HTMLExporter

    pages = notebook_pages(notebooks)
    names = {p.source.name for p in pages}
    exporter = HTMLExporter(template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATE_DIR)])
    version = evtlib_version()
    prepare_out(out)

    index_src = notebooks / "index.ipynb"
    jobs = [(index_src if index_src.exists() else None, "index.html", None)]
    jobs += [(p.source, p.html, "index.html") for p in pages]
    written = []
    for src, html, index_href in jobs:
        nb = nbformat.read(src, as_version=4) if src else fallback_index(pages)
        for target in dangling_links(nb, names):
            log(f"build_site: warning: {src.name} links {target}, which has no page")
        nb = static_notebook(nb, names)
        resources = {
            "metadata": {"name": (src.stem if src else "index")},
            "evtlib": {
                "version": version,
                "command": command,
                "source": shown_path(src) if src else shown_path(notebooks) + "/",
                "index_href": index_href,
            },
        }
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        path = out / html
        path.write_text(body, encoding="utf-8")
        written.append(path)
        log(f"  {path}")
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebooks", type=Path, default=REPO / "notebooks", help="notebook folder (default: notebooks/)")
    ap.add_argument("--out", type=Path, default=REPO / "site", help="output folder (default: site/)")
    args = ap.parse_args(argv)
    print(f"building {args.out} from {args.notebooks}/*.ipynb (stored outputs, no execution)")
    written = build(args.notebooks, args.out)
    print(f"{len(written)} pages; open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
