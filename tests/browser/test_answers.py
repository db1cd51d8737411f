"""Predict, then reveal, in a real JupyterLab: a notebook opened as a student gets it (with
its stored outputs) shows each answer cell collapsed, with only "Answer:" in view; a click
on the collapsed output reveals it, and so does running the cell (Shift+Enter).

(Running a cell always shows its output, so Run All reveals every answer: the static checks
of the answer cells are in tests/test_notebook_answers.py.)
"""

from __future__ import annotations

import json
import shutil

import pytest
from lab import REPO, cell_errors, open_notebook

pytestmark = pytest.mark.browser

HEADING = "Answer:"


def stored_answer(name: str):
    """(index, stored output text) of the first answer cell of notebooks/NAME."""
    nb = json.loads((REPO / "notebooks" / name).read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if "answer" in cell["metadata"].get("tags", []):
            text = "".join(
                "".join(o["text"]) for o in cell["outputs"] if o["output_type"] == "stream"
            )
            return i, cell, text
    raise AssertionError(f"{name} has no answer cell")


def open_as_student(page, lab, name: str):
    """Serve notebooks/NAME with its stored outputs (the harness serves stripped copies) and
    open it. Returns (cell locator, index, stored cell, the answer lines below the heading)."""
    dest = lab.root / "student" / name
    dest.parent.mkdir(exist_ok=True)
    shutil.copyfile(REPO / "notebooks" / name, dest)
    open_notebook(page, f"student/{name}")
    index, cell, text = stored_answer(name)
    assert text.startswith(HEADING + "\n"), text
    answer = [line for line in text.splitlines()[1:] if line.strip()]
    cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    cells.first.wait_for(state="visible")
    assert cells.count() == len(json.loads(dest.read_text())["cells"])
    return cells.nth(index), index, cell, answer


def visible_outputs(cell) -> list[str]:
    outs = cell.locator(".jp-OutputArea-output")
    return [outs.nth(i).inner_text() for i in range(outs.count()) if outs.nth(i).is_visible()]


def test_a_click_reveals_a_collapsed_answer(page, lab):
    cell, _, stored, answer = open_as_student(page, lab, "00-quickstart.ipynb")
    assert stored["metadata"]["jupyter"] == {"outputs_hidden": True, "source_hidden": True}

    # collapsed: code and output folded; the only line in view is print("Answer:")
    assert visible_outputs(cell) == []
    code = cell.locator(".jp-InputPlaceholder .jp-PlaceholderText")
    assert code.inner_text().strip() == 'print("Answer:")'
    seen = cell.inner_text()
    assert not [line for line in answer if line.strip() in seen], seen

    # a click on the folded code shows the code, the output stays folded behind "Answer:"
    cell.locator(".jp-InputPlaceholder .jp-Placeholder-content").click()
    folded = cell.locator(".jp-OutputPlaceholder .jp-PlaceholderText")
    folded.wait_for(state="visible")
    assert folded.inner_text().strip() == HEADING
    assert visible_outputs(cell) == []

    # a click on the folded output reveals the answer
    cell.locator(".jp-OutputPlaceholder .jp-Placeholder-content").click()
    cell.locator(".jp-OutputArea-output").first.wait_for(state="visible")
    shown = "\n".join(visible_outputs(cell))
    assert shown.splitlines()[0].strip() == HEADING
    assert all(line.strip() in shown for line in answer), (answer, shown)


def test_a_figure_answer_shows_only_its_heading_until_clicked(page, lab):
    """04-fifo's first answer is a drawing: the placeholder previews "Answer:", not the
    figure, and no image is in view before the click."""
    cell, _, stored, _ = open_as_student(page, lab, "04-fifo.ipynb")
    assert "image/png" in json.dumps(stored["outputs"])
    folded = cell.locator(".jp-OutputPlaceholder .jp-PlaceholderText")
    folded.wait_for(state="visible")
    assert folded.inner_text().strip() == HEADING
    assert not [img for img in cell.locator("img").all() if img.is_visible()]

    cell.locator(".jp-OutputPlaceholder .jp-Placeholder-content").click()
    cell.locator(".jp-OutputArea-output img").first.wait_for(state="visible")


_ACTIVATE = """
async (index) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = index;
  panel.content.mode = 'command';
  panel.content.node.focus();
  return panel.content.activeCellIndex;
}
"""


def test_running_the_cell_reveals_its_answer(page, lab):
    cell, index, _, answer = open_as_student(page, lab, "00-quickstart.ipynb")
    # run every cell above the answer (the command resolves when they have run): the answer
    # stays folded
    assert page.evaluate(_ACTIVATE, index) == index
    assert page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-above')")
    assert cell_errors(page) == []
    assert visible_outputs(cell) == []

    # Shift+Enter on the (still folded) answer cell runs it and shows its output
    assert page.evaluate(_ACTIVATE, index) == index
    page.keyboard.press("Shift+Enter")
    cell.locator(".jp-OutputArea-output").first.wait_for(state="visible", timeout=60_000)
    page.wait_for_function(
        "(el) => el.innerText.includes('fifo delivered')", arg=cell.element_handle(), timeout=60_000
    )
    assert cell_errors(page) == []
    shown = "\n".join(visible_outputs(cell))
    assert shown.splitlines()[0].strip() == HEADING
    assert all(line.strip() in shown for line in answer), (answer, shown)
