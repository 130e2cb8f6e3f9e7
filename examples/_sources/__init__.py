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

#: Loads PGAA with the authors' open-set split and the networks' preprocessing
#: (needs ``find_shared``); the notebooks append their own lines.
LOAD_PGAA = """
from sklearn.pipeline import make_pipeline

from specauth.datasets import PGAA_CNN_BINS, load_pgaa, pgaa_open_set_split
from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer

data = load_pgaa(find_shared("data/pgaa/pgaa.npz"))  # None: local cache or download
split = pgaa_open_set_split(data.data, data.target)
prep = make_pipeline(
    Crop(0, PGAA_CNN_BINS), SpectrumNormalizer("sum"), LogTransform(1e-7)
)
prep.fit(split.X_train)
X_train, X_test, X_unknown = (
    prep.transform(X) for X in (split.X_train, split.X_test, split.X_unknown)
)
y_train, y_test, y_unknown = split.y_train, split.y_test, split.y_unknown
energies = data.energies[:PGAA_CNN_BINS]  # keV
"""

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
