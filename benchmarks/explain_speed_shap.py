"""Seconds per SHAP explanation: a 2631-point spectrum and a 224 x 224 image.

Times ``ShapExplainer(...).explain`` at its defaults (``algorithm="partition"``,
``max_evals=500``, 64 segments for spectra, ``background="blur"``) on

- ``spectrum``: ``CNNClassifier("cnn1d")`` trained 2 epochs on
  ``make_spectra(length=2631)``;
- ``image``: ``CNNClassifier("mobilenetv2", model__weights=None,
  model__base_options={"alpha": 0.35})`` trained 1 epoch on random
  224 x 224 x 3 images.

The first explanation of a process also compiles shap's numba kernels and
traces the network, so it is reported apart (``first_seconds``); the
per-explanation time is the mean over ``--n`` further samples, each explained
alone. Training is not timed. Results are printed and written as JSON.

Usage::

    python benchmarks/explain_speed_shap.py [--n 3] [--max-evals 500]
                                            [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_POINTS = 2631
IMAGE_SIZE = 224


def spectrum_classifier():
    """A cnn1d classifier of 2631-point spectra and spectra to explain."""
    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier

    data = make_spectra(3, 20, length=N_POINTS, random_state=0)
    clf = CNNClassifier("cnn1d", epochs=2, random_state=0)
    return clf.fit(data.X, data.y), data.X


def image_classifier():
    """A MobileNetV2 (alpha 0.35, random weights) on 224 x 224 x 3 images."""
    from specauth.estimators import CNNClassifier

    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(16, IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.float32)
    y = np.repeat(["a", "b"], 8)
    clf = CNNClassifier(
        "mobilenetv2",
        epochs=1,
        batch_size=8,
        random_state=0,
        model__weights=None,
        model__base_options={"alpha": 0.35},
    )
    return clf.fit(X, y), X


def time_explanations(clf, X, n, max_evals):
    """First-call seconds, then mean and all seconds of ``n`` explanations."""
    from specauth.explain.shap_explainer import ShapExplainer

    explainer = ShapExplainer(clf, max_evals=max_evals)
    start = time.perf_counter()
    explainer.explain(X[:1])
    first = time.perf_counter() - start
    seconds, evals, gaps = [], [], []
    for i in range(1, n + 1):
        start = time.perf_counter()
        maps = explainer.explain(X[i : i + 1])
        seconds.append(time.perf_counter() - start)
        evals.append(int(explainer.n_evals_[0]))
        expected = explainer.output_values_[0] - explainer.base_values_[0]
        gaps.append(float(abs(maps[0].sum() - expected)))
    return {
        "input_shape": list(X.shape[1:]),
        "map_shape": list(maps.shape[1:]),
        "max_evals": max_evals,
        "network_evaluations": evals,
        "first_seconds": first,
        "seconds_per_explanation": float(np.mean(seconds)),
        "seconds": seconds,
        "max_efficiency_gap": max(gaps),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3, help="timed explanations")
    parser.add_argument("--max-evals", type=int, default=500)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    results = {
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.processor(),
        }
    }
    for name, build in [("spectrum", spectrum_classifier), ("image", image_classifier)]:
        clf, X = build()
        results[name] = time_explanations(clf, X, args.n, args.max_evals)
        row = results[name]
        print(
            f"{name}: {row['seconds_per_explanation']:.2f} s per explanation "
            f"(shape {tuple(row['input_shape'])}, {row['network_evaluations'][0]} "
            f"evaluations; first call {row['first_seconds']:.1f} s)"
        )
    print(json.dumps(results, indent=2))
    path = out / "explain_speed_shap.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"written: {path}")


if __name__ == "__main__":
    main()
