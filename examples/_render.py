"""Write an example notebook as a standalone HTML page (e.g. for a screenshot).

The notebook is executed first (quick mode unless ``--full``), unless it
already holds outputs -- such as the executed notebooks the test suite writes
with ``SPECAUTH_NOTEBOOK_OUTPUT=<folder>`` -- or ``--no-execute`` is given.
Needs ``nbconvert`` (``pip install nbconvert``) besides the test extra's
nbclient, nbformat and ipykernel.

Usage::

    python examples/_render.py examples/02_pgaa_open_set.ipynb --out page.html
    python examples/_render.py executed/02_pgaa_open_set.ipynb --no-execute
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _execute  # noqa: E402


def has_outputs(notebook):
    """Whether any code cell of ``notebook`` holds outputs."""
    return any(
        cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"
    )


def to_html(notebook):
    """The notebook as one HTML page (images and scripts inlined)."""
    try:
        from nbconvert import HTMLExporter
    except ImportError as err:
        raise SystemExit(
            "Rendering needs nbconvert: python -m pip install nbconvert"
        ) from err
    body, _ = HTMLExporter().from_notebook_node(notebook)
    return body


def main(argv=None):
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path, help="the .ipynb file")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="HTML file (default: beside the notebook)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="execute with the full sizes, not quick mode",
    )
    parser.add_argument(
        "--no-execute", action="store_true", help="render the notebook as it is"
    )
    args = parser.parse_args(argv)
    notebook = nbformat.read(args.notebook, as_version=4)
    if not args.no_execute and not has_outputs(notebook):
        notebook, seconds = _execute.execute(args.notebook, quick=not args.full)
        print(f"executed {args.notebook.name} in {seconds:.1f} s")
    out = args.out or args.notebook.with_suffix(".html")
    out.write_text(to_html(notebook), encoding="utf-8")
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
