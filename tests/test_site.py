"""tools/build_site.py (`make html`): link rewriting, widget fallbacks, and a whole build of a
small made-up collection (the browser test tests/browser/test_site.py reads the real one)."""

from __future__ import annotations

import base64
import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
site = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("build_site", site)  # dataclasses look their module up there
_spec.loader.exec_module(site)

PAGES = {"00-a.ipynb", "01-b.ipynb"}
# a 1x1 PNG
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()
WIDGET = {"model_id": "abc", "version_major": 2, "version_minor": 0}
FALLBACK = "[interactive widget, not running here: the figure above shows it]"


@pytest.mark.parametrize(
    "target, want",
    [
        ("00-a.ipynb", "00-a.html"),
        ("./01-b.ipynb", "01-b.html"),
        ("01-b.ipynb#Section-2", "01-b.html#Section-2"),
        ("07-missing.ipynb", "07-missing.ipynb"),  # no page: left alone (and warned about)
        ("https://example.org/00-a.ipynb", "https://example.org/00-a.ipynb"),
        ("/00-a.ipynb", "/00-a.ipynb"),
        ("#00-a.ipynb", "#00-a.ipynb"),
        ("../docs/sources.md", "../docs/sources.md"),
    ],
)
def test_rewrite_link(target, want):
    assert site.rewrite_link(target, PAGES) == want


def test_rewrite_links_in_markdown_and_html():
    text = '* [00 · A](00-a.ipynb): first\n* [B](01-b.ipynb "title") and <a href="00-a.ipynb#x">A</a>'
    assert site.rewrite_links(text, PAGES) == (
        '* [00 · A](00-a.html): first\n* [B](01-b.html "title") and <a href="00-a.html#x">A</a>'
    )


def widget_output(text_plain: str | None = FALLBACK):
    data = {"application/vnd.jupyter.widget-view+json": WIDGET}
    if text_plain is not None:
        data["text/plain"] = text_plain
    return new_output("display_data", data=data)


def test_static_notebook_keeps_the_widget_fallback_and_drops_the_state():
    nb = new_notebook(cells=[
        new_markdown_cell("# 01 · *B*: the title\n\nsee [A](00-a.ipynb)"),
        new_code_cell("w", outputs=[widget_output()]),
        new_code_cell("w2", outputs=[widget_output(None)]),
    ])  # fmt: skip
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    out = site.static_notebook(nb, PAGES)
    assert "widgets" not in out.metadata and "widgets" in nb.metadata  # the input is untouched
    assert out.metadata["title"] == "01 · B: the title"
    assert out.cells[0].source.endswith("see [A](00-a.html)")
    assert out.cells[1].outputs[0].data == {"text/plain": FALLBACK}
    assert out.cells[2].outputs[0].data == {"text/plain": site.WIDGET_FALLBACK}


def test_notebook_pages_are_the_numbered_notebooks(tmp_path):
    for name in ("index.ipynb", "02-c.ipynb", "00-a.ipynb", "scratch.ipynb", "1-x.ipynb"):
        (tmp_path / name).write_text("{}")
    assert [(p.source.name, p.html) for p in site.notebook_pages(tmp_path)] == [
        ("00-a.ipynb", "00-a.html"),
        ("02-c.ipynb", "02-c.html"),
    ]


def write_collection(folder: Path, index: bool = True) -> None:
    folder.mkdir()
    nbformat.write(new_notebook(cells=[
        new_markdown_cell("# 00 · A\n\nNext: [B](01-b.ipynb)."),
        new_code_cell("fig", execution_count=1, outputs=[
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]),
        new_markdown_cell("**Predict.** What is 6 * 7?"),
        new_code_cell("print('Answer:')\nprint(6 * 7)", execution_count=2,
                      metadata={"tags": ["answer"], "jupyter": {"outputs_hidden": True}},
                      outputs=[new_output("stream", name="stdout", text="Answer:\n42\n")]),
    ]), folder / "00-a.ipynb")  # fmt: skip
    nbformat.write(new_notebook(cells=[
        new_markdown_cell("# 01 · B"),
        new_code_cell("w", execution_count=1, outputs=[widget_output()]),
    ]), folder / "01-b.ipynb")  # fmt: skip
    if index:
        nbformat.write(new_notebook(cells=[new_markdown_cell(
            "# Start here\n\n## Course map\n\n* [00 · A](00-a.ipynb)\n* [01 · B](01-b.ipynb)\n"
            "* [08 · Later](08-later.ipynb)"
        )]), folder / "index.ipynb")  # fmt: skip


def test_build_a_collection(tmp_path):
    write_collection(tmp_path / "nb")
    logged = []
    written = site.build(tmp_path / "nb", tmp_path / "site", log=logged.append)
    assert [p.name for p in written] == ["index.html", "00-a.html", "01-b.html"]
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == [
        ".evtlib-site", "00-a.html", "01-b.html", "index.html",
    ]  # fmt: skip
    # a link to a notebook that does not exist yet stays as it is, with a warning
    assert [m for m in logged if "warning" in m] == [
        "build_site: warning: index.ipynb links 08-later.ipynb, which has no page"
    ]
    index = (tmp_path / "site" / "index.html").read_text()
    assert 'href="00-a.html"' in index and 'href="01-b.html"' in index and "01-b.ipynb" not in index
    a = (tmp_path / "site" / "00-a.html").read_text()
    b = (tmp_path / "site" / "01-b.html").read_text()
    version = site.evtlib_version()
    for page in (index, a, b):
        # self-contained: no script, stylesheet or image from elsewhere
        assert not re.search(r"<script[^>]*\bsrc=", page)
        assert not re.search(r"<link[^>]*\bhref=[\"']https?:", page)
        assert not re.search(r"<img[^>]*\bsrc=[\"'](?!data:)", page)
        footer = re.search(r'<footer class="evt-footer">(.*?)</footer>', page, re.DOTALL).group(1)
        assert f"evtlib {version}" in footer and "<code>make html</code>" in footer
    assert f'src="data:image/png;base64,{PNG}' in a
    assert 'href="01-b.html"' in a and '<a href="index.html">' in a
    # the answer is folded: its output sits inside a closed <details>
    details = re.search(r'<details class="evt-collapsed evt-answer">(.*?)</details>', a, re.DOTALL)
    assert details and "42" in details.group(1) and "<details open" not in a
    # the widget shows its fallback sentence, with no widget script
    assert "interactive widget, not running here" in b and "widget-view+json" not in b
    assert "<title>01 · B</title>" in b


def test_build_without_an_index_lists_every_page(tmp_path):
    write_collection(tmp_path / "nb", index=False)
    site.build(tmp_path / "nb", tmp_path / "site", log=lambda m: None)
    index = (tmp_path / "site" / "index.html").read_text()
    assert 'href="00-a.html"' in index and 'href="01-b.html"' in index


def test_build_rewrites_its_own_site_only(tmp_path):
    write_collection(tmp_path / "nb")
    out = tmp_path / "site"
    site.build(tmp_path / "nb", out, log=lambda m: None)
    (out / "stale.html").write_text("old")
    site.build(tmp_path / "nb", out, log=lambda m: None)
    assert not (out / "stale.html").exists()
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not built by this script"):
        site.build(tmp_path / "nb", other, log=lambda m: None)
    assert (other / "notes.txt").read_text() == "keep me"
