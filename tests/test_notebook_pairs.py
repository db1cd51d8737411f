"""Every notebooks/NAME.ipynb has a py:percent twin notebooks/py/NAME.py (and vice versa) with
the same cells (sources, tags and the `jupyter` collapse metadata), every .ipynb stores
outputs for strict nbval, with no stored error, and the start page notebooks/index.ipynb
links every numbered notebook.

The pairing is set in notebooks/jupytext.toml (`formats = "ipynb,py//py:percent"`): the twins
sit in notebooks/py/ so that JupyterLab's file browser lists each notebook once. Fix a drifted
pair with `jupytext --sync notebooks/py/NAME.py` (the newer file wins), then `make notebooks`
to refresh the outputs."""

import re
from pathlib import Path

import jupytext
import pytest
from jupytext.config import load_jupytext_config, notebook_formats
from jupytext.paired_paths import paired_paths

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TWINS = NOTEBOOKS / "py"
IPYNB = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
PY = sorted(p.stem for p in TWINS.glob("*.py"))
STEMS = sorted(set(IPYNB) | set(PY))
INDEX = NOTEBOOKS / "index.ipynb"
NUMBERED = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def cells(nb):
    return [
        (c.cell_type, c.source, list(c.metadata.get("tags", [])), c.metadata.get("jupyter", {}))
        for c in nb.cells
    ]


@pytest.mark.parametrize("stem", STEMS)
def test_pair_exists(stem):
    assert (NOTEBOOKS / f"{stem}.ipynb").exists(), (
        f"notebooks/py/{stem}.py has no notebooks/{stem}.ipynb twin: run "
        f"`jupytext --sync notebooks/py/{stem}.py` then `make notebooks`"
    )
    assert (TWINS / f"{stem}.py").exists(), (
        f"notebooks/{stem}.ipynb has no notebooks/py/{stem}.py twin: run `jupytext --sync notebooks/{stem}.ipynb`"
    )


def test_no_twin_left_beside_the_notebooks():
    """The twins live in notebooks/py/ only (a stray notebooks/NAME.py is an old location)."""
    stray = sorted(p.name for p in NOTEBOOKS.glob("*.py"))
    assert not stray, f"move {stray} to notebooks/py/ (`git mv`): the pairing is ipynb <-> py/NAME.py"


@pytest.mark.parametrize("stem", IPYNB)
def test_jupytext_pairs_the_notebook_with_its_py_twin(stem):
    """What `jupytext --sync` and JupyterLab (which serves notebooks/, so the config must be
    there) compute from notebooks/jupytext.toml."""
    path = NOTEBOOKS / f"{stem}.ipynb"
    config = load_jupytext_config(str(path))
    assert config is not None, "notebooks/jupytext.toml not found"
    formats = notebook_formats(jupytext.read(path), config, str(path))
    paired = sorted(Path(p) for p, _ in paired_paths(str(path), "ipynb", formats))
    assert paired == sorted([path, TWINS / f"{stem}.py"])


@pytest.mark.parametrize("stem", sorted(set(IPYNB) & set(PY)))
def test_pair_has_same_cells(stem):
    a = cells(jupytext.read(NOTEBOOKS / f"{stem}.ipynb"))
    b = cells(jupytext.read(TWINS / f"{stem}.py", fmt="py:percent"))
    if a == b:
        return
    lines = [f"notebooks/{stem}.ipynb and notebooks/py/{stem}.py have drifted ({len(a)} vs {len(b)} cells)"]
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            lines.append(f"first difference at cell {i}:\n  ipynb: {x!r:.300}\n  py:    {y!r:.300}")
            break
    lines.append(f"fix: `jupytext --sync notebooks/py/{stem}.py` (the newer file wins), then `make notebooks`")
    pytest.fail("\n".join(lines), pytrace=False)


@pytest.mark.parametrize("stem", IPYNB)
def test_notebook_has_outputs_and_no_errors(stem):
    nb = jupytext.read(NOTEBOOKS / f"{stem}.ipynb")
    code = [c for c in nb.cells if c.cell_type == "code"]
    # a markdown-only notebook (the start page) has nothing to execute or compare
    assert not code or any(c.get("execution_count") is not None for c in code), (
        f"notebooks/{stem}.ipynb has no stored outputs (strict nbval would compare nothing): run `make notebooks`"
    )
    errors = [
        f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"notebooks/{stem}.ipynb stores error outputs:\n" + "\n".join(errors)


@pytest.mark.parametrize("stem", IPYNB)
def test_every_code_cell_was_executed(stem):
    """nbval runs but does not compare a cell whose stored execution_count is null: keep every
    non-empty code cell executed (or tag it nbval-skip)."""
    nb = jupytext.read(NOTEBOOKS / f"{stem}.ipynb")
    unrun = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and c.source.strip()
        and c.get("execution_count") is None
        and "nbval-skip" not in c.metadata.get("tags", [])
    ]
    assert not unrun, f"notebooks/{stem}.ipynb: code cells {unrun} have no stored execution: run `make notebooks`"


# ------------------------------------------------------------------ the start page
# `make lab` opens notebooks/index.ipynb: the course map (one line per notebook) and what to
# try first. Markdown only, with relative links, so it reads the same on GitHub.

LINK = re.compile(r"\]\(([^)\s]+\.ipynb)\)")


def index_links(nb) -> list[str]:
    return [m for c in nb.cells if c.cell_type == "markdown" for m in LINK.findall(c.source)]


def test_index_is_markdown_only():
    nb = jupytext.read(INDEX)
    kinds = {c.cell_type for c in nb.cells}
    assert kinds == {"markdown"}, f"notebooks/index.ipynb has {kinds - {'markdown'}} cells: keep it markdown only"


def test_index_links_every_numbered_notebook():
    """Adding notebooks/NN-name.ipynb means adding its line to the course map in
    notebooks/py/index.py (then `jupytext --sync notebooks/py/index.py`)."""
    assert NUMBERED, "no notebooks/NN-*.ipynb"
    links = set(index_links(jupytext.read(INDEX)))
    missing = [name for name in NUMBERED if name not in links]
    assert not missing, (
        f"the course map in notebooks/index.ipynb does not link {missing}: add one line per notebook, "
        "e.g. `* [07 · Races](07-races.ipynb): ...` in notebooks/py/index.py, then "
        "`jupytext --sync notebooks/py/index.py`"
    )


def test_index_links_only_existing_notebooks():
    links = index_links(jupytext.read(INDEX))
    assert links
    broken = sorted({link for link in links if not (NOTEBOOKS / link).is_file()})
    assert not broken, f"notebooks/index.ipynb links missing notebooks: {broken}"


def test_the_link_checker_finds_markdown_links_only():
    nb = jupytext.reads(
        "# %% [markdown]\n# * [00 · Q](00-quickstart.ipynb): x\n# * 01-two-level-upcall.ipynb\n"
        "# * [two](02-starvation.ipynb) and [three](03-three-level.ipynb)\n\n"
        "# %%\nprint('[04](04-fifo.ipynb)')\n",
        fmt="py:percent",
    )
    assert index_links(nb) == ["00-quickstart.ipynb", "02-starvation.ipynb", "03-three-level.ipynb"]
