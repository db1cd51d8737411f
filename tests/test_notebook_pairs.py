"""Every notebooks/NAME.ipynb has a py:percent twin notebooks/NAME.py (and vice versa) with
the same cells, and every .ipynb stores outputs for strict nbval, with no stored error.

Fix a drifted pair with `jupytext --sync notebooks/NAME.py` (the newer file wins), then
`make notebooks` to refresh the outputs."""

from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
IPYNB = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
PY = sorted(p.stem for p in NOTEBOOKS.glob("*.py"))
STEMS = sorted(set(IPYNB) | set(PY))


def cells(nb):
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("stem", STEMS)
def test_pair_exists(stem):
    assert (NOTEBOOKS / f"{stem}.ipynb").exists(), (
        f"notebooks/{stem}.py has no notebooks/{stem}.ipynb twin: run `jupytext --sync notebooks/{stem}.py` "
        "then `make notebooks`"
    )
    assert (NOTEBOOKS / f"{stem}.py").exists(), (
        f"notebooks/{stem}.ipynb has no notebooks/{stem}.py twin: run `jupytext --sync notebooks/{stem}.ipynb`"
    )


@pytest.mark.parametrize("stem", sorted(set(IPYNB) & set(PY)))
def test_pair_has_same_cells(stem):
    a = cells(jupytext.read(NOTEBOOKS / f"{stem}.ipynb"))
    b = cells(jupytext.read(NOTEBOOKS / f"{stem}.py", fmt="py:percent"))
    if a == b:
        return
    lines = [f"notebooks/{stem}.ipynb and .py have drifted ({len(a)} vs {len(b)} cells)"]
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            lines.append(f"first difference at cell {i}:\n  ipynb: {x!r:.300}\n  py:    {y!r:.300}")
            break
    lines.append(f"fix: `jupytext --sync notebooks/{stem}.py` (the newer file wins), then `make notebooks`")
    pytest.fail("\n".join(lines), pytrace=False)


@pytest.mark.parametrize("stem", IPYNB)
def test_notebook_has_outputs_and_no_errors(stem):
    nb = jupytext.read(NOTEBOOKS / f"{stem}.ipynb")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert any(c.get("execution_count") is not None for c in code), (
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
