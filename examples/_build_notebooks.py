"""Write the example notebooks from their sources in ``examples/_sources/``.

The notebooks are generated, never edited by hand, so that a review reads
plain Python: each ``_sources/nbXX_*.py`` module holds a ``CELLS`` list of
markdown and code cells. The notebooks are written without outputs, with
stable cell ids, so rebuilding an unchanged source gives a byte-identical
file.

Usage::

    python examples/_build_notebooks.py          # (re)write the .ipynb files
    python examples/_build_notebooks.py --check  # exit 1 if one is stale
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent

#: Notebook file name -> module of ``_sources`` holding its cells.
NOTEBOOKS = {
    "01_xrd_gramian_transfer.ipynb": "nb01_xrd_gramian_transfer",
    "02_pgaa_open_set.ipynb": "nb02_pgaa_open_set",
    "03_pgaa_2d_pretrained.ipynb": "nb03_pgaa_2d_pretrained",
    "04_share_and_reload.ipynb": "nb04_share_and_reload",
}

_METADATA = {
    "kernelspec": {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    },
    "language_info": {"name": "python"},
}


def _cells(module_name):
    """The ``CELLS`` of ``_sources.<module_name>`` (examples folder on the path)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module(f"_sources.{module_name}").CELLS


def build(name):
    """Return the ``nbformat`` notebook named ``name`` (a key of NOTEBOOKS)."""
    import nbformat.v4 as nbf

    if name not in NOTEBOOKS:
        raise ValueError(f"`name` must be one of {sorted(NOTEBOOKS)}; got {name!r}.")
    cells = []
    for index, (kind, text, tags) in enumerate(_cells(NOTEBOOKS[name])):
        maker = nbf.new_markdown_cell if kind == "markdown" else nbf.new_code_cell
        cell = maker(text.strip("\n"), id=f"cell-{index:02d}")
        if tags:
            cell.metadata["tags"] = list(tags)
        cells.append(cell)
    return nbf.new_notebook(cells=cells, metadata=dict(_METADATA))


def render(name):
    """Return the notebook ``name`` as the text written to its file."""
    import nbformat

    return nbformat.writes(build(name)) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if a notebook differs from its source",
    )
    args = parser.parse_args(argv)
    stale = []
    for name in NOTEBOOKS:
        path = EXAMPLES / name
        text = render(name)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if text == current:
            continue
        if args.check:
            stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"written: {path}")
    if stale:
        print(f"stale (run python examples/_build_notebooks.py): {stale}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
