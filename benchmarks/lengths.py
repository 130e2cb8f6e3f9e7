"""``CNNClassifier()`` defaults across spectrum lengths (tens to tens of thousands).

For each length, synthetic spectra from ``make_spectra`` (classes differ by the
positions of their peaks) are split 70/30; the script reports the test
accuracy of ``CNNClassifier()`` with default parameters (behind the usual
sum-normalise + log preprocessing), the training time, and the same for a
logistic-regression baseline, and writes JSON.

Usage::

    python benchmarks/lengths.py [--lengths 32 256 2048 20000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _data(length, seed):
    from specauth.datasets import make_spectra

    short = length < 100  # room for only ~9 separated peaks
    return make_spectra(
        n_classes=3 if short else 4,
        n_samples_per_class=40,
        length=length,
        n_peaks=(2, 3) if short else (3, 8),
        random_state=seed,
    )


def _fit_score(estimator, X_train, X_test, y_train, y_test):
    from sklearn.pipeline import make_pipeline

    from specauth.preprocessing import LogTransform, SpectrumNormalizer

    pipe = make_pipeline(SpectrumNormalizer("sum"), LogTransform(), estimator)
    t0 = time.perf_counter()
    pipe.fit(X_train, y_train)
    seconds = time.perf_counter() - t0
    return float(pipe.score(X_test, y_test)), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lengths", type=int, nargs="+", default=[32, 256, 2048, 20000]
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    from specauth.estimators import CNNClassifier

    rows = []
    for length in args.lengths:
        for seed in range(args.seeds):
            data = _data(length, seed)
            split = train_test_split(
                data.X, data.y, test_size=0.3, stratify=data.y, random_state=seed
            )
            cnn_acc, cnn_s = _fit_score(CNNClassifier(random_state=seed), *split)
            lr_acc, lr_s = _fit_score(LogisticRegression(max_iter=3000), *split)
            rows.append(
                {
                    "length": length,
                    "seed": seed,
                    "cnn_accuracy": cnn_acc,
                    "cnn_seconds": cnn_s,
                    "logreg_accuracy": lr_acc,
                    "logreg_seconds": lr_s,
                }
            )
            print(
                f"length {length:6d} seed {seed}: CNNClassifier() acc "
                f"{cnn_acc:.3f} ({cnn_s:5.1f} s) | logistic regression acc "
                f"{lr_acc:.3f} ({lr_s:4.1f} s)",
                flush=True,
            )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "lengths.json").write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
