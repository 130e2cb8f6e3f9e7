"""Execute the example notebooks with nbclient and read their summaries.

Used by ``tests/examples/test_notebooks.py`` and ``examples/_render.py``. A
notebook runs

- with the working directory ``examples/`` (as when opened there),
- on a kernel of the Python running this code (a kernel spec written to a
  temporary folder, so another ``python3`` kernel installed for the user
  cannot be picked up instead),
- with this repository first on ``PYTHONPATH`` (the checkout is what runs,
  not another installed copy of specauth),
- with ``SPECAUTH_QUICK=1`` when ``quick`` (smaller numbers, same code).

Its last cell, tagged ``summary``, prints ``KEY: value`` lines;
:func:`read_summary` returns them as a dict of strings.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
ROOT = EXAMPLES.parent
SUMMARY_TAG = "summary"
_LINE = re.compile(r"^([A-Z][A-Z0-9_]*): (.*)$")


def _set_environment(values):
    """Set environment variables; a value of None deletes the variable."""
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@contextmanager
def _environment(updates):
    """Set environment variables (None deletes one), restore them afterwards."""
    saved = {key: os.environ.get(key) for key in updates}
    try:
        _set_environment(updates)
        yield
    finally:
        _set_environment(saved)


@contextmanager
def kernel_environment(quick):
    """Environment in which ``python3`` is a kernel of this very Python."""
    with tempfile.TemporaryDirectory(prefix="specauth-kernel-") as folder:
        spec_dir = Path(folder) / "kernels" / "python3"
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
            ],
            "display_name": "Python 3 (specauth examples)",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
        updates = {
            "JUPYTER_PATH": folder,
            "PYTHONPATH": os.pathsep.join(p for p in paths if p),
            "SPECAUTH_QUICK": "1" if quick else None,
        }
        with _environment(updates):
            yield


def execute(path, *, quick=True, timeout=600):
    """Run every cell of the notebook at ``path``; return ``(notebook, seconds)``.

    Raises ``nbclient.exceptions.CellExecutionError`` at the first cell that
    fails (its message holds the traceback) and ``FileNotFoundError`` if
    ``path`` does not exist. ``seconds`` includes the kernel start.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No notebook at {path}.")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    with kernel_environment(quick):
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    return notebook, seconds


def read_summary(notebook):
    """Return the ``KEY: value`` lines printed by the cell tagged ``summary``.

    Raises ValueError if no cell is tagged ``summary`` or it printed no such
    line (for instance because the notebook was not executed).
    """
    cells = [
        cell
        for cell in notebook.cells
        if SUMMARY_TAG in cell.get("metadata", {}).get("tags", [])
    ]
    if len(cells) != 1:
        raise ValueError(
            f"The notebook must have exactly one cell tagged {SUMMARY_TAG!r}; "
            f"got {len(cells)}."
        )
    found = {}
    for output in cells[0].get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            for line in output.get("text", "").splitlines():
                match = _LINE.match(line.strip())
                if match:
                    found[match.group(1)] = match.group(2).strip()
    if not found:
        raise ValueError(
            f"The {SUMMARY_TAG!r} cell printed no 'KEY: value' line; was the "
            "notebook executed?"
        )
    return found
