"""PGAA closed-set benchmark of ``CNNClassifier()`` defaults (issue 2).

On the authors' open-set split (known classes only: 243 train / 61 test
spectra, first 2631 bins, sum-normalised then log(clip(x, 1e-7))) this script
measures, in one run:

- closed-set test accuracy and training wall time of ``CNNClassifier()`` with
  default parameters for 5 seeds (mean and min accuracy, max time);
- the same for a logistic-regression baseline on the same preprocessing;
- ``lr_find`` on the PGAA network: its curve (PNG) and suggestions, and the
  test accuracy of training with each suggestion.

Results are printed and written as JSON (and the PNG) to ``--out``.

Usage::

    python benchmarks/pgaa_1d.py [--data ../shared/data/pgaa/pgaa.npz]
                                 [--seeds 5] [--out benchmarks/results]
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
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "pgaa" / "pgaa.npz"


def preprocessing():
    from sklearn.pipeline import make_pipeline

    from specauth.datasets import PGAA_CNN_BINS
    from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer

    return make_pipeline(
        Crop(0, PGAA_CNN_BINS), SpectrumNormalizer("sum"), LogTransform(1e-7)
    )


def load_split(path):
    from specauth.datasets import load_pgaa, pgaa_open_set_split

    data = load_pgaa(path)
    return pgaa_open_set_split(data.data, data.target)


def run_cnn(split, seeds):
    from sklearn.pipeline import make_pipeline

    from specauth.estimators import CNNClassifier

    runs = []
    for seed in range(seeds):
        pipe = make_pipeline(preprocessing(), CNNClassifier(random_state=seed))
        t0 = time.perf_counter()
        pipe.fit(split.X_train, split.y_train)
        fit_s = time.perf_counter() - t0
        acc = float(pipe.score(split.X_test, split.y_test))
        runs.append({"seed": seed, "accuracy": acc, "train_seconds": fit_s})
        print(f"  CNNClassifier() seed {seed}: accuracy {acc:.4f}, train {fit_s:.1f} s")
    return runs


def run_logistic(split):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(
        preprocessing(), StandardScaler(), LogisticRegression(max_iter=2000)
    )
    t0 = time.perf_counter()
    pipe.fit(split.X_train, split.y_train)
    fit_s = time.perf_counter() - t0
    acc = float(pipe.score(split.X_test, split.y_test))
    print(f"  LogisticRegression: accuracy {acc:.4f}, train {fit_s:.1f} s")
    return {"accuracy": acc, "train_seconds": fit_s}


def run_lr_find(split, out):
    import matplotlib

    matplotlib.use("Agg")
    from specauth.estimators import CNNClassifier
    from specauth.training import lr_find

    prep = preprocessing().fit(split.X_train)
    X_train, X_test = prep.transform(split.X_train), prep.transform(split.X_test)
    t0 = time.perf_counter()
    result = lr_find(CNNClassifier(random_state=0), X_train, split.y_train)
    find_s = time.perf_counter() - t0
    ax = result.plot()
    ax.set_title("lr_find on PGAA, CNNClassifier() network")
    png = out / "pgaa_lr_find.png"
    ax.figure.savefig(png, dpi=120, bbox_inches="tight")
    print(f"  lr_find: {find_s:.1f} s, curve -> {png}")
    trained = {}
    for name, lr in result.suggestions.items():
        clf = CNNClassifier(learning_rate=float(lr), random_state=0)
        acc = float(clf.fit(X_train, split.y_train).score(X_test, split.y_test))
        trained[name] = {"lr": float(lr), "accuracy": acc}
        print(f"  train with {name} suggestion lr={lr:.3g}: accuracy {acc:.4f}")
    return {"seconds": find_s, "png": str(png), "suggestions": trained}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--skip-lr-find", action="store_true")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    split = load_split(args.data)
    print(
        f"PGAA split: {len(split.X_train)} train / {len(split.X_test)} test "
        f"(known classes), machine: {platform.machine()}, {os.cpu_count()} cores"
    )
    cnn = run_cnn(split, args.seeds)
    accs = np.array([r["accuracy"] for r in cnn])
    times = np.array([r["train_seconds"] for r in cnn])
    summary = {
        "cnn_accuracy_mean": float(accs.mean()),
        "cnn_accuracy_min": float(accs.min()),
        "cnn_train_seconds_mean": float(times.mean()),
        "cnn_train_seconds_max": float(times.max()),
    }
    results = {
        "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
        "cnn_runs": cnn,
        "summary": summary,
        "logistic_regression": run_logistic(split),
    }
    if not args.skip_lr_find:
        results["lr_find"] = run_lr_find(split, out)
    print(json.dumps(summary, indent=2))
    (out / "pgaa_1d.json").write_text(json.dumps(results, indent=2))
    print(f"written: {out / 'pgaa_1d.json'}")
    return results


if __name__ == "__main__":
    main()
