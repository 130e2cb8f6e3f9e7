"""Cell sources of the example notebooks (see ``examples/_build_notebooks.py``).

Each module holds ``CELLS``, a list of ``(kind, text, tags)`` made with
:func:`md` and :func:`code`; the cells shared by several notebooks are here.
"""

from __future__ import annotations


def md(text):
    """A markdown cell."""
    return ("markdown", text, ())


def code(text, *tags):
    """A code cell, with optional cell tags (``"summary"`` marks the last one)."""
    return ("code", text, tags)


#: Imports, the quick switch and the timer; ``sizes`` (code lines setting the
#: numbers the quick switch changes) is spliced in.
SETUP = """
import os
import time
from pathlib import Path

{matplotlib}import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up

# SPECAUTH_QUICK=1 (the test suite sets it) runs the very same code on smaller
# numbers, so that the notebook executes in seconds in CI.
QUICK = os.environ.get("SPECAUTH_QUICK") == "1"
{sizes}
SEED = 0
T_START = time.perf_counter()
"""

MATPLOTLIB = "import matplotlib.pyplot as plt\n"

#: Locates ``../shared`` (data and weights beside the repository).
FIND_SHARED = '''
def find_shared(relative):
    """Return ``shared/<relative>`` found here or in a parent folder, else None."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / "shared" / relative
        if candidate.is_file():
            return candidate
    return None
'''

#: The summary cell: prints ``KEY: value`` lines that the test suite parses.
SUMMARY = """
summary["TOTAL_SECONDS"] = f"{time.perf_counter() - T_START:.1f}"
summary["QUICK"] = QUICK
for key, value in summary.items():
    print(f"{key}: {value}")
"""


def setup(sizes, *, plots=True):
    """The first code cell, with the notebook's quick-switched numbers."""
    text = SETUP.replace("{sizes}", sizes.strip("\n"))
    return code(text.replace("{matplotlib}", MATPLOTLIB if plots else ""))


def summary_cell(entries):
    """The last code cell: ``entries`` (code filling ``summary``) then printing."""
    return code(entries.strip("\n") + "\n" + SUMMARY, "summary")
