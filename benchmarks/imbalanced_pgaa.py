"""Class imbalance on the PGAA gamma-ray spectra (issue 18).

On the known classes of the authors' open-set split
(:func:`specauth.datasets.pgaa_open_set_split`, first ``PGAA_CNN_BINS``
bins; 243 train / 61 test spectra of 10 classes), the training set is made
more imbalanced, for each of ``--seeds`` seeds: the ``--keep-largest`` (3)
largest training classes keep all their spectra, every other class keeps a
random ``--fraction`` (0.3) of its spectra, at least ``--min-per-class`` (4),
drawn without replacement with ``numpy.random.default_rng(seed)``. That gives
74 / 32 / 31 spectra of Coal and Coke, Concrete and Lubricating Oil against
4 to 8 of the 7 others (172 in all, a 18.5 : 1 ratio); the counts are printed
and written to the JSON. The test set stays as given (61 spectra).

Every configuration is ``CNNClassifier()`` with the settings of
``specauth demo --pgaa`` (``cnn1d``, epochs ``"auto"`` = at least 60 epochs
and 1000 optimizer steps, batch 32, learning rate 3e-3, one-cycle schedule,
``random_state=seed``) after ``SpectrumNormalizer("sum")`` and
``LogTransform()`` (the demo's preprocessing), in a Pipeline:

- ``none``: nothing more;
- ``class_weight``: ``class_weight="balanced"``;
- ``oversample``: :class:`specauth.preprocessing.AugmentingOverSampler`
  (``preset="counts"``, ``random_state=seed``) as the FIRST step of an
  ``imblearn.pipeline.Pipeline``, on the raw counts before the
  normalisation: every class grows to the size of the largest with copies
  shifted by up to one bin and Poisson-resampled, the variation a repeated
  measurement shows. (After the sum normalisation and the log the inputs are
  no longer counts, so the Poisson preset would be wrong there; on raw counts
  it is the physical choice, and its intensity factor is undone by the
  normalisation.);
- ``oversample_smote``: ``imblearn.over_sampling.SMOTE`` in the same place
  (straight lines between raw count spectra of a class; ``k_neighbors`` =
  smallest class size - 1, as SMOTE's default 5 needs 6 spectra per class);
- ``augment``: ``CNNClassifier(augmentation="spectra")``: the estimator's
  training-time augmentation layer sits before the network, after the
  sklearn preprocessing, i.e. on log-normalised inputs, which the
  ``"spectra"`` preset (shift, intensity factor, baseline offset and slope,
  Gaussian noise) suits and the ``"counts"`` preset (Poisson noise of the
  input taken as counts) does not.

With epochs ``"auto"`` the oversampled configurations (740 training spectra)
train 60 epochs, about 1,440 steps; the others 167 epochs, about 1,000
steps; ``--epochs N`` fixes the epochs of all instead.

Measured on the test set: accuracy, balanced accuracy, macro F1, recall of
every class (the minority classes' printed), the smallest per-class recall,
and the fit wall time. For ``none`` and ``augment``, also accuracy and
balanced accuracy with test-time augmentation,
``specauth.estimators.tta(model, X_test, n=--tta-n, beta=--tta-beta)``
(8 and 0.25; ``none`` has no augmentation of its own, so tta uses the
``"spectra"`` preset; ``augment`` its own).

Printed: one line per run as it finishes, then a table of the mean +-
standard deviation over seeds per configuration (with TTA rows), and the
mean recall of each minority class per configuration.
``<out>/imbalanced_pgaa.json`` holds every run (per-class recalls, training
counts, epochs and steps, seconds), the summary, the settings and the
machine. ``--quick`` is a smoke run: 1 seed, 2 epochs, TTA with n=2.

Usage::

    python benchmarks/imbalanced_pgaa.py [--data ../shared/data/pgaa/pgaa.npz]
        [--seeds 5] [--epochs auto] [--configs none class_weight ...]
        [--fraction 0.3] [--min-per-class 4] [--keep-largest 3]
        [--tta-n 8] [--tta-beta 0.25] [--quick] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "pgaa" / "pgaa.npz"
CONFIGS = ("none", "class_weight", "oversample", "oversample_smote", "augment")
TTA_CONFIGS = ("none", "augment")
METRICS = ("accuracy", "balanced_accuracy", "macro_f1", "min_recall")
QUICK = {"seeds": 1, "epochs": "2", "tta_n": 2}


def load_split(path):
    from specauth.datasets import PGAA_CNN_BINS, load_pgaa, pgaa_open_set_split

    data = load_pgaa(path)
    return pgaa_open_set_split(data.data[:, :PGAA_CNN_BINS], data.target)


def imbalance(y, seed, *, fraction, min_per_class, keep_largest):
    """Indices of the imbalanced training set (sorted) and the kept counts.

    The ``keep_largest`` largest classes keep every spectrum; the others
    keep ``max(min_per_class, round(fraction * n))`` of their ``n``, drawn
    without replacement with ``default_rng(seed)``.
    """
    rng = np.random.default_rng(seed)
    labels, counts = np.unique(y, return_counts=True)
    largest = set(labels[np.argsort(-counts, kind="stable")[:keep_largest]])
    keep = []
    for label, n in zip(labels, counts, strict=True):
        k = n if label in largest else min(n, max(min_per_class, round(fraction * n)))
        keep.append(rng.choice(np.flatnonzero(y == label), size=k, replace=False))
    keep = np.sort(np.concatenate(keep))
    kept = dict(zip(*np.unique(y[keep], return_counts=True), strict=True))
    return keep, {str(k): int(v) for k, v in kept.items()}


def make_model(args, config, seed, min_count):
    """The Pipeline of one configuration."""
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import Pipeline

    from specauth.estimators import CNNClassifier
    from specauth.preprocessing import (
        AugmentingOverSampler,
        LogTransform,
        SpectrumNormalizer,
    )

    options = dict(random_state=seed, verbose=0)
    if args.epochs != "auto":
        options["epochs"] = int(args.epochs)
    if config == "class_weight":
        options["class_weight"] = "balanced"
    if config == "augment":
        options["augmentation"] = "spectra"
    samplers = {
        "oversample": AugmentingOverSampler(preset="counts", random_state=seed),
        "oversample_smote": SMOTE(k_neighbors=min_count - 1, random_state=seed),
    }
    steps = [("sampler", samplers[config])] if config in samplers else []
    steps += [
        ("normalize", SpectrumNormalizer(method="sum")),
        ("log", LogTransform()),
        ("classifier", CNNClassifier(**options)),
    ]
    return Pipeline(steps)


def scores(y_true, y_pred, labels):
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        f1_score,
        recall_score,
    )

    recall = recall_score(y_true, y_pred, labels=labels, average=None)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro")),
        "min_recall": float(recall.min()),
        "recall": {str(c): float(r) for c, r in zip(labels, recall, strict=True)},
    }


def run_one(args, config, seed, train, test, minority):
    """Fit one configuration on ``train``, score it (and its TTA) on ``test``."""
    from specauth.estimators import tta

    (X_train, y_train), (X_test, y_test) = train, test
    labels = np.unique(y_train)
    min_count = int(min(np.unique(y_train, return_counts=True)[1]))
    model = make_model(args, config, seed, min_count)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    clf = model[-1]
    steps = len(clf.history_.get("lr_per_batch", [])) or None
    row = {"config": config, "seed": seed, "seconds": seconds}
    row |= {"epochs": int(clf.epochs_), "steps": steps}
    row |= scores(y_test, model.predict(X_test), labels)
    if config in TTA_CONFIGS:
        proba = tta(model, X_test, n=args.tta_n, beta=args.tta_beta, random_state=seed)
        tta_scores = scores(y_test, clf.classes_[proba.argmax(axis=1)], labels)
        row["tta"] = tta_scores
    minority_text = " ".join(f"{row['recall'][c]:.2f}" for c in minority)
    tta_text = (
        f" | tta acc {row['tta']['accuracy']:.3f} bacc "
        f"{row['tta']['balanced_accuracy']:.3f}"
        if "tta" in row
        else ""
    )
    print(
        f"seed {seed} {config:17s} acc {row['accuracy']:.3f} "
        f"bacc {row['balanced_accuracy']:.3f} F1 {row['macro_f1']:.3f} "
        f"min-rec {row['min_recall']:.2f} minority rec [{minority_text}]"
        f"{tta_text} ({row['epochs']} ep, {seconds:.0f} s)",
        flush=True,
    )
    return row


def mean_sd(values):
    values = [v for v in values if v is not None]
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {"mean": float(np.mean(values)), "sd": sd, "n": len(values)}


def summarise(runs):
    """Mean and sd over seeds of every metric, per configuration (and TTA)."""
    groups = {}
    for run in runs:
        groups.setdefault(run["config"], []).append(run)
        if "tta" in run:
            groups.setdefault(run["config"] + "+tta", []).append(run["tta"])
    summary = {}
    for name, rows in groups.items():
        entry = {m: mean_sd([row[m] for row in rows]) for m in METRICS}
        entry["recall"] = {
            c: mean_sd([row["recall"][c] for row in rows]) for c in rows[0]["recall"]
        }
        if "seconds" in rows[0]:
            entry["seconds"] = mean_sd([row["seconds"] for row in rows])
        summary[name] = entry
    return summary


def tta_gain(runs):
    """Per seed and mean: TTA minus plain, accuracy and balanced accuracy."""
    gains = {}
    for run in runs:
        if "tta" not in run:
            continue
        gains.setdefault(run["config"], []).append(
            {
                "seed": run["seed"],
                "accuracy": run["tta"]["accuracy"] - run["accuracy"],
                "balanced_accuracy": run["tta"]["balanced_accuracy"]
                - run["balanced_accuracy"],
            }
        )
    return {
        config: {
            "per_seed": rows,
            "mean": {m: mean_sd([r[m] for r in rows]) for m in METRICS[:2]},
        }
        for config, rows in gains.items()
    }


def print_tables(summary, gains, minority):
    header = "".join(f"{m:>18s}" for m in METRICS) + f"{'seconds':>10s}"
    print(f"\n{'config':22s}" + header)
    for name, entry in summary.items():
        cells = "".join(
            f"{entry[m]['mean']:.3f} +- {entry[m]['sd']:.3f}".rjust(18) for m in METRICS
        )
        seconds = f"{entry['seconds']['mean']:.0f}" if "seconds" in entry else "-"
        print(f"{name:22s}{cells}{seconds:>10s}")
    print("\nTTA gain (TTA - plain), per seed then mean:")
    for config, gain in gains.items():
        for m in METRICS[:2]:
            per_seed = " ".join(f"{r[m]:+.3f}" for r in gain["per_seed"])
            mean = gain["mean"][m]
            print(
                f"  {config:8s} {m:18s} [{per_seed}] mean "
                f"{mean['mean']:+.3f} +- {mean['sd']:.3f}"
            )
    print("\nmean recall of the minority classes:")
    print(f"{'config':22s}" + "".join(f"{c[:12]:>13s}" for c in minority))
    for name, entry in summary.items():
        cells = "".join(f"{entry['recall'][c]['mean']:13.2f}" for c in minority)
        print(f"{name:22s}{cells}")


def machine():
    import imblearn
    import keras
    import sklearn

    return {
        "platform": platform.platform(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()),
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "scikit-learn": sklearn.__version__,
        "imbalanced-learn": imblearn.__version__,
    }


def run(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "imbalanced_pgaa.json"
    split = load_split(args.data)
    sizes = {"fraction": args.fraction, "min_per_class": args.min_per_class}
    sizes["keep_largest"] = args.keep_largest
    given = dict(zip(*np.unique(split.y_train, return_counts=True), strict=True))
    result = {
        "machine": machine(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "data")},
        "data": str(args.data),
        "train_counts_given": {str(k): int(v) for k, v in given.items()},
        "test_counts": {
            str(k): int(v)
            for k, v in zip(*np.unique(split.y_test, return_counts=True), strict=True)
        },
        "runs": [],
    }
    start = time.perf_counter()
    for seed in range(args.seeds):
        keep, counts = imbalance(split.y_train, seed, **sizes)
        minority = [c for c, n in counts.items() if n < given[c]]
        result["train_counts"] = counts
        result["minority_classes"] = minority
        if seed == 0:
            print("training counts (given -> kept):", flush=True)
            for c, n in counts.items():
                print(f"  {c:24s}{given[c]:4d} -> {n:3d}", flush=True)
        train = split.X_train[keep], split.y_train[keep]
        test = split.X_test, split.y_test
        for config in args.configs:
            row = run_one(args, config, seed, train, test, minority)
            result["runs"].append(row)
            result["summary"] = summarise(result["runs"])
            result["tta_gain"] = tta_gain(result["runs"])
            result["total_seconds"] = time.perf_counter() - start
            path.write_text(json.dumps(result, indent=1))
    print_tables(result["summary"], result["tta_gain"], result["minority_classes"])
    print(f"\ntotal {result['total_seconds'] / 60:.1f} min; wrote {path}")
    return result


def epochs_option(text):
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be 'auto' or an int >= 1; got {text}")
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="pgaa.npz")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds")
    parser.add_argument("--epochs", type=epochs_option, default="auto")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    parser.add_argument("--fraction", type=float, default=0.3)
    parser.add_argument("--min-per-class", type=int, default=4)
    parser.add_argument("--keep-largest", type=int, default=3)
    parser.add_argument("--tta-n", type=int, default=8)
    parser.add_argument("--tta-beta", type=float, default=0.25)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: " + json.dumps(QUICK)
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    vars(args).update(QUICK if args.quick else {})
    if args.seeds < 1 or args.min_per_class < 2 or not 0 < args.fraction <= 1:
        parser.error("need --seeds >= 1, --min-per-class >= 2, 0 < --fraction <= 1.")
    if not math.isfinite(args.tta_beta) or not 0 <= args.tta_beta <= 1:
        parser.error("--tta-beta must be in [0, 1].")
    return run(args)


if __name__ == "__main__":
    main()
