"""The example notebooks: built from their sources, and executed in quick mode.

The tests marked ``notebooks`` (``pytest -m notebooks``) run each notebook of
``examples/`` top to bottom with nbclient on a kernel of this Python, with
``SPECAUTH_QUICK=1``, then read the ``KEY: value`` lines of its summary cell
and check the numbers are sane. With ``SPECAUTH_NOTEBOOK_OUTPUT=<folder>``
the executed notebooks and their summaries (plus the seconds taken) are
written there, e.g. for ``python examples/_render.py``.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import PGAA_NPZ, PROJECT_ROOT, SHARED

EXAMPLES = PROJECT_ROOT / "examples"
WEIGHTS = SHARED / "weights" / "mobilenet_v2_imagenet_notop.weights.h5"

#: Files of ../shared each notebook needs to run offline.
NEEDS = {
    "01_xrd_gramian_transfer.ipynb": [WEIGHTS],
    "02_pgaa_open_set.ipynb": [PGAA_NPZ],
    "03_pgaa_2d_pretrained.ipynb": [PGAA_NPZ, WEIGHTS],
    "04_share_and_reload.ipynb": [],
}

#: Lowest acceptable value of summary numbers in quick mode (few epochs,
#: small images): far below the full-mode results, far above chance.
MINIMA = {
    "01_xrd_gramian_transfer.ipynb": {"TEST_ACCURACY": 0.6, "ANOMALY_AUROC": 0.6},
    "02_pgaa_open_set.ipynb": {
        "CLOSED_SET_ACCURACY": 0.6,
        "BEST_DETECTOR_AUROC": 0.8,
        "FINAL_TSNS": 0.5,
    },
    "03_pgaa_2d_pretrained.ipynb": {"TEST_ACCURACY": 0.6, "KNN_AUROC": 0.8},
    "04_share_and_reload.ipynb": {"AUROC": 0.6},
}

#: Summary entries that must read True.
MUST_HOLD = {
    "04_share_and_reload.ipynb": [
        "RELOADED_SAME",
        "PULLED_SAME",
        "PRIVATE_REFUSED",
        "CLI_SAME",
    ],
}


def examples_module(name):
    """Import a helper module of ``examples/`` (``_execute``, ``_build_notebooks``)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def nbformat():
    return pytest.importorskip("nbformat", reason="needs nbformat (test extra)")


# ------------------------------------------------------------ fast checks
def test_every_notebook_is_listed():
    build = examples_module("_build_notebooks")
    on_disk = sorted(p.name for p in EXAMPLES.glob("*.ipynb"))
    assert on_disk == sorted(build.NOTEBOOKS) == sorted(NEEDS)


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_notebook_is_built_from_its_source(nbformat, name):
    build = examples_module("_build_notebooks")
    committed = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    assert committed == json.loads(build.render(name)), (
        f"{name} differs from examples/_sources: run "
        "python examples/_build_notebooks.py"
    )


def test_build_refuses_an_unknown_notebook(nbformat):
    build = examples_module("_build_notebooks")
    with pytest.raises(ValueError, match="`name` must be one of .*got 'nope.ipynb'"):
        build.build("nope.ipynb")


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_notebook_is_committed_without_outputs(nbformat, name):
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert code_cells
    assert all(c.outputs == [] and c.execution_count is None for c in code_cells)
    nbformat.validate(notebook)


def _quick_assignments(source):
    """``(name, body, orelse)`` of every ``NAME = a if QUICK else b`` line."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.IfExp):
            test = node.value.test
            if isinstance(test, ast.Name) and test.id == "QUICK":
                found.append((node.targets[0].id, node.value.body, node.value.orelse))
    return found


def _is_number_literal(node):
    """A number, a string, or a list of them: what the quick switch may change."""
    if isinstance(node, ast.List):
        return all(_is_number_literal(element) for element in node.elts)
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str))


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_quick_switch_changes_only_numbers(nbformat, name):
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    code_cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    setup = code_cells[0]
    assert 'QUICK = os.environ.get("SPECAUTH_QUICK") == "1"' in setup
    switched = _quick_assignments(setup)
    assert switched, "the first code cell sets the quick-switched sizes"
    for target, body, orelse in switched:
        assert _is_number_literal(body) and _is_number_literal(orelse), target
    # Beyond the first cell, QUICK is only reported in the summary.
    for source in code_cells[1:-1]:
        names = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
        assert "QUICK" not in names


def test_read_summary_parses_the_summary_cell(nbformat):
    execute = examples_module("_execute")
    cell = nbformat.v4.new_code_cell("print(...)", id="s")
    cell.metadata["tags"] = ["summary"]
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="A: 1\nnot a key\n"),
        nbformat.v4.new_output("stream", name="stderr", text="B: ignored\n"),
        nbformat.v4.new_output("stream", name="stdout", text="TEST_ACC: 0.9 x\n"),
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    assert execute.read_summary(notebook) == {"A": "1", "TEST_ACC": "0.9 x"}


def test_read_summary_refuses_a_notebook_without_summary(nbformat):
    execute = examples_module("_execute")
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", id="a")])
    with pytest.raises(ValueError, match="exactly one cell tagged 'summary'; got 0"):
        execute.read_summary(plain)
    tagged = nbformat.v4.new_code_cell("print(1)", id="b")
    tagged.metadata["tags"] = ["summary"]
    unexecuted = nbformat.v4.new_notebook(cells=[tagged])
    with pytest.raises(ValueError, match="printed no 'KEY: value' line"):
        execute.read_summary(unexecuted)


def test_execute_refuses_a_missing_notebook(tmp_path):
    pytest.importorskip("nbclient", reason="needs nbclient (test extra)")
    execute = examples_module("_execute")
    with pytest.raises(FileNotFoundError, match="No notebook at"):
        execute.execute(tmp_path / "missing.ipynb")


def test_kernel_environment_is_restored(monkeypatch):
    execute = examples_module("_execute")
    monkeypatch.delenv("SPECAUTH_QUICK", raising=False)
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    with execute.kernel_environment(quick=True):
        assert os.environ["SPECAUTH_QUICK"] == "1"
        paths = os.environ["PYTHONPATH"].split(os.pathsep)
        assert paths == [str(PROJECT_ROOT), "/elsewhere"]
        spec = Path(os.environ["JUPYTER_PATH"]) / "kernels" / "python3" / "kernel.json"
        assert json.loads(spec.read_text())["argv"][0] == sys.executable
    assert "SPECAUTH_QUICK" not in os.environ
    assert os.environ["PYTHONPATH"] == "/elsewhere"


# --------------------------------------------------------- execution
def _save(notebook, name, summary, seconds):
    folder = os.environ.get("SPECAUTH_NOTEBOOK_OUTPUT")
    if not folder:
        return
    import nbformat

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out / name)
    record = {"seconds": round(seconds, 1), "summary": summary}
    (out / f"{Path(name).stem}.summary.json").write_text(json.dumps(record, indent=2))


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NEEDS))
def test_notebook_executes(name):
    pytest.importorskip("nbclient", reason="needs nbclient (test extra)")
    pytest.importorskip("ipykernel", reason="needs ipykernel (test extra)")
    missing = [str(path) for path in NEEDS[name] if not path.is_file()]
    if missing:
        pytest.skip(f"{name} needs {missing} (../shared is absent)")
    execute = examples_module("_execute")
    notebook, seconds = execute.execute(EXAMPLES / name, quick=True)
    summary = execute.read_summary(notebook)
    _save(notebook, name, summary, seconds)
    assert summary["QUICK"] == "True"
    assert float(summary["TOTAL_SECONDS"]) > 0
    for key, minimum in MINIMA[name].items():
        assert float(summary[key]) >= minimum, (key, summary)
    for key in MUST_HOLD.get(name, []):
        assert summary[key] == "True", (key, summary)
