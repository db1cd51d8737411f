"""Predict, then reveal: every "Predict" question in a notebook has a collapsed answer.

A markdown cell asks a question when it has a bold **Predict** or a heading with the word
Predict. The code cells right after it (up to the next markdown cell) must include one
tagged ``answer``; usually it is the first. Every answer cell

* opens collapsed in JupyterLab: cell metadata ``"jupyter": {"outputs_hidden": true}``
  (py:percent: ``# %% jupyter={"outputs_hidden": true} tags=["answer"]``). The student
  runs the cell, or clicks the collapsed output, to see it;
* stores its outputs (strict nbval compares them, collapsed or not);
* shows ``Answer:`` in the collapsed placeholder. Lab previews there the first line of the
  first output (its HTML, else its text), so the cell starts with ``print("Answer:")``:
  any other first line (a table header, a figure's repr, the answer itself) would be seen
  before the click;
* when its code states the answer too (asserts), also has ``"source_hidden": true``; its
  first line is then ``print("Answer:")``, which is what Lab's input placeholder shows.

Run All executes every cell, and running a cell shows its output: in class, run the
notebook cell by cell (Shift+Enter).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

PREDICT = re.compile(r"\*\*Predict\b|^#+ .*\bPredict\b", re.MULTILINE)
TAG = "answer"
HEADING = "Answer:"
FIRST_LINE = f'print("{HEADING}")'
# What Lab's collapsed-output placeholder previews: the first of these MIME types the first
# output has as a string, and in it the first non-empty line
# (@jupyterlab/cells, CodeCell.getOutputPlaceholderText, JupyterLab 4.6).
PREVIEW_TYPES = (
    "text/html", "image/svg+xml", "application/pdf", "text/markdown", "text/plain",
    "application/vnd.jupyter.stderr", "application/vnd.jupyter.stdout", "text",
)  # fmt: skip


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def source(cell) -> str:
    return _text(cell.get("source", ""))


def is_answer(cell) -> bool:
    return cell["cell_type"] == "code" and TAG in cell.get("metadata", {}).get("tags", [])


def placeholder_text(cell) -> str | None:
    """The text Lab shows in the collapsed placeholder of this code cell's outputs."""
    outputs = cell.get("outputs", [])
    if not outputs:
        return None
    first = outputs[0]
    if first["output_type"] == "stream":
        data = {f"application/vnd.jupyter.{first['name']}": first["text"]}
    else:
        data = first.get("data", {})
    for mime in PREVIEW_TYPES:
        value = data.get(mime)
        if isinstance(value, str) or (isinstance(value, list) and value and isinstance(value[0], str)):
            return next((line.strip() for line in _text(value).split("\n") if line.strip()), "")
    return None


def answer_cell_problems(cell) -> list[str]:
    problems = []
    jupyter = cell.get("metadata", {}).get("jupyter", {})
    if jupyter.get("outputs_hidden") is not True:
        problems.append('is not collapsed: add jupyter={"outputs_hidden": true} to its "# %%" line')
    if not cell.get("outputs"):
        problems.append("has no stored output: run `make notebooks`")
    else:
        shown = placeholder_text(cell)
        if shown != HEADING:
            problems.append(
                f"collapsed, it would show {shown!r}, not {HEADING!r}: start the cell with {FIRST_LINE}"
            )
    if jupyter.get("source_hidden") and source(cell).split("\n", 1)[0].strip() != FIRST_LINE:
        problems.append(f"its code is hidden, and Lab shows its first line: make that line {FIRST_LINE}")
    return problems


def answer_problems(nb) -> list[str]:
    """Everything wrong with the Predict questions and answer cells of notebook ``nb``
    (a dict as stored in an .ipynb); empty when all is well."""
    cells = nb["cells"]
    problems = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown" or not PREDICT.search(source(cell)):
            continue
        following = []
        for after in cells[i + 1 :]:
            if after["cell_type"] != "code":
                break
            following.append(after)
        if not any(is_answer(c) for c in following):
            problems.append(
                f"cell {i} asks to predict, but none of the code cells right after it is tagged "
                f"{TAG!r} (py:percent: # %% jupyter={{\"outputs_hidden\": true}} tags=[\"{TAG}\"])"
            )
    for i, cell in enumerate(cells):
        if is_answer(cell):
            problems += [f"answer cell {i} {p}" for p in answer_cell_problems(cell)]
    return problems


def test_there_are_predict_questions():
    """Guards the pattern: if it stopped matching, every notebook would pass vacuously."""
    asked = [
        path.name
        for path in NOTEBOOKS
        for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
        if c["cell_type"] == "markdown" and PREDICT.search(source(c))
    ]
    assert len(asked) >= 10, asked


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_predict_has_a_collapsed_answer(path):
    problems = answer_problems(json.loads(path.read_text(encoding="utf-8")))
    assert not problems, f"notebooks/{path.name}:\n" + "\n".join(problems)


# ------------------------------------------------------------------ the checker itself


def _answer(src: str, *outputs, hidden=True, source_hidden=False, tag=True):
    cell = new_code_cell(src, execution_count=1, outputs=list(outputs))
    if tag:
        cell.metadata["tags"] = [TAG]
    jupyter = {}
    if hidden:
        jupyter["outputs_hidden"] = True
    if source_hidden:
        jupyter["source_hidden"] = True
    if jupyter:
        cell.metadata["jupyter"] = jupyter
    return cell


def _stdout(text: str):
    return new_output("stream", name="stdout", text=text)


def _checked(*cells) -> list[str]:
    nb = new_notebook(cells=[new_markdown_cell("**Predict.** In which order?"), *cells])
    return answer_problems(json.loads(nbformat.writes(nb)))


GOOD = f'{FIRST_LINE}\nprint("3 10 70")'


def test_checker_accepts_a_collapsed_answer():
    assert _checked(_answer(GOOD, _stdout("Answer:\n3 10 70\n"))) == []
    # split stream pieces, and the answer in the second code cell after the question
    setup = new_code_cell("x = 1", execution_count=1)
    split = _answer(GOOD, _stdout("Answer:"), _stdout("\n3 10 70\n"), source_hidden=True)
    assert _checked(setup, split) == []


def test_checker_finds_each_problem():
    out = _stdout("Answer:\n3 10 70\n")
    assert "none of the code cells" in _checked(_answer(GOOD, out, tag=False))[0]
    assert "not collapsed" in _checked(_answer(GOOD, out, hidden=False))[0]
    assert "no stored output" in _checked(_answer(GOOD))[0]
    leaks = _checked(_answer('print("3 10 70")', _stdout("3 10 70\n")))
    assert leaks == ["answer cell 1 collapsed, it would show '3 10 70', not 'Answer:': "
                     f"start the cell with {FIRST_LINE}"]
    hidden_code = _checked(_answer("print('Answer:')\nassert order == [3]", out, source_hidden=True))
    assert "its code is hidden" in hidden_code[0]
    # a markdown cell between the question and the answer
    nb = new_notebook(cells=[new_markdown_cell("## 2. Predict: the order"),
                             new_markdown_cell("More text."), _answer(GOOD, out)])
    assert "cell 0 asks to predict" in answer_problems(json.loads(nbformat.writes(nb)))[0]


def test_checker_previews_what_lab_previews():
    """A figure or an HTML table first: Lab previews its text/html, else its text/plain."""
    figure = new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure size 640x480 with 1 Axes>"})
    table = new_output("execute_result", execution_count=1,
                       data={"text/html": "\n<table><tr><td>fifo 5 3 7</td></tr></table>",
                             "text/plain": "<IPython.core.display.HTML object>"})
    assert placeholder_text(_answer("", figure)) == "<Figure size 640x480 with 1 Axes>"
    assert placeholder_text(_answer("", table)) == "<table><tr><td>fifo 5 3 7</td></tr></table>"
    assert placeholder_text(_answer("", _stdout("\n\nAnswer:\n1\n"), table)) == "Answer:"
    assert "would show '<table>" in _checked(_answer(GOOD, table))[0]
    assert _checked(_answer(GOOD, _stdout("Answer:\n"), figure)) == []


def test_checker_recognises_questions_not_mentions():
    assert PREDICT.search("**Predict.** Which port?")
    assert PREDICT.search("text\n## 4. Predict: the order of one upcall\n")
    assert PREDICT.search("is the only difference. **Predict** the order")
    assert not PREDICT.search("Write what you predict, then run the cell.")
    assert not PREDICT.search("every *Predict* question has an answer")
