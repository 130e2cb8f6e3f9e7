"""Memory across repeated fits: 20 fits of CNNClassifier must not grow memory.

GridSearchCV clones and refits the estimator many times; each fit builds a
new Keras network and traces a new train step. This script fits ``--fits``
times in one process, as a grid search does, and records the resident memory
(RSS) after each fit, for two paths in the same process:

- ``old``: TensorFlow's custom-gradient registrations are kept (the release
  of :func:`specauth.training._traced_graphs.release_traced_graphs` is
  disabled), as before the fix;
- ``new``: each fit runs inside ``release_traced_graphs()``.

It reports the median of the per-fit RSS deltas and the least-squares slope
over fits 5..N, and whether the new path's ``predict_proba`` equals, bit for
bit, that of a plain fit with the same seed. JSON goes to
``<out>/refit_memory.json``.

Usage::

    python benchmarks/refit_memory.py [--fits 20] [--paths old new] [--out DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import resource
import time
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def rss_mb():
    """Current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def growth(rss, first=5):
    """Median per-fit delta and slope (MiB per fit) over fits ``first``..N."""
    tail = np.asarray(rss[first - 1 :] if len(rss) > first else rss, dtype=float)
    if len(tail) < 2:
        return {"median_delta_mib": None, "slope_mib_per_fit": None}
    slope = float(np.polyfit(np.arange(len(tail)), tail, 1)[0])
    return {
        "median_delta_mib": float(np.median(np.diff(tail))),
        "slope_mib_per_fit": slope,
    }


def run_path(path, fits, data, template):
    """Fit ``fits`` clones along ``path``; return the RSS after each fit."""
    from sklearn.base import clone

    from specauth.training import _traced_graphs

    rss = []
    for i in range(fits):
        with contextlib.ExitStack() as stack:
            if path == "old":  # the release disabled, wherever it is wired
                stack.enter_context(
                    mock.patch.object(_traced_graphs, "_release", lambda *a: 0)
                )
            else:
                stack.enter_context(_traced_graphs.release_traced_graphs())
            clone(template).set_params(random_state=i).fit(data.X, data.y)
        gc.collect()
        rss.append(rss_mb())
        print(f"{path} fit {i + 1:2d}: RSS {rss[-1]:7.1f} MiB", flush=True)
    return rss


def same_predictions(data, template):
    """Whether a released fit predicts exactly as a plain fit, same seed."""
    from sklearn.base import clone

    from specauth.training import _traced_graphs

    with mock.patch.object(_traced_graphs, "_release", lambda *a: 0):
        plain = clone(template).fit(data.X, data.y).predict_proba(data.X)
    with _traced_graphs.release_traced_graphs():
        released = clone(template).fit(data.X, data.y).predict_proba(data.X)
    return bool(np.array_equal(plain, released))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=20)
    parser.add_argument("--paths", nargs="+", default=["old", "new"])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier

    data = make_spectra(
        n_classes=4, n_samples_per_class=40, length=1024, random_state=0
    )
    template = CNNClassifier(epochs=5, random_state=0)
    result = {"fits": args.fits, "paths": {}}
    t0 = time.perf_counter()
    for path in args.paths:
        rss = run_path(path, args.fits, data, template)
        result["paths"][path] = {"rss_mib": rss, **growth(rss)}
        stats = result["paths"][path]
        print(
            f"{path}: median delta {stats['median_delta_mib']:.2f} MiB, "
            f"slope {stats['slope_mib_per_fit']:.2f} MiB per fit (fits 5..)"
        )
    result["identical_predictions"] = same_predictions(data, template)
    result["seconds"] = time.perf_counter() - t0
    print(f"identical predict_proba: {result['identical_predictions']}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "refit_memory.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
