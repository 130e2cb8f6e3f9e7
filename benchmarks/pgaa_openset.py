"""Open-set benchmark of every detector on the same networks (issue 3).

For each data set and seed, one ``CNNClassifier()`` (default parameters) is
trained on the known classes only; every detector of :mod:`specauth.ood` is
then fitted on that same network's embedding or logits of the *training*
spectra (the network is reused through OpenSetClassifier's cache). **No
unknown-class spectrum is used in training or tuning.** Reported per detector,
mean and min over seeds:

- AUROC and FPR@95TPR of the known test spectra vs all unknown spectra;
- TEFF (and TSNS, TSPS) on test + unknown spectra at the threshold set from
  the training data alone, for alpha = 0.05 and 0.01.

Both ``calibrate_on`` modes are measured: ``"train"`` (threshold set on the
classifier's own training spectra) and ``"holdout"`` (a stratified quarter of
the known training spectra is kept from the network and calibrates the
detector's threshold). A logistic regression on the same preprocessing with the
max-softmax score is the reference point. Data sets: ``pgaa`` (the authors'
split: 243 train / 61 test known spectra, 21 unknown), ``synthetic``
(``make_spectra``, 6 known classes, 3 held-out classes).

Usage::

    python benchmarks/pgaa_openset.py [--dataset pgaa synthetic] [--seeds 5]
                                 [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PGAA = ROOT / ".." / "shared" / "data" / "pgaa" / "pgaa.npz"
ALPHAS = (0.05, 0.01)
DETECTORS = (
    "DIME",
    "Energy",
    "MaxSoftmax",
    "MaxLogit",
    "Mahalanobis",
    "KNNDetector",
    "ViM",
    "GEN",
    "FDBD",
    "RMD",
    "ReAct",
    "ASH",
    "SCALE",
    "NNGuide",
)


def load(name, seed):
    """Return preprocessed ``(X_train, y_train, X_test, y_test, X_unk, y_unk)``."""
    from sklearn.pipeline import make_pipeline

    from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer

    if name == "pgaa":
        from specauth.datasets import (
            PGAA_CNN_BINS,
            load_pgaa,
            pgaa_open_set_split,
        )

        data = load_pgaa(PGAA)
        s = pgaa_open_set_split(data.data, data.target)  # fixed split, seed 42
        parts = (s.X_train, s.y_train, s.X_test, s.y_test, s.X_unknown, s.y_unknown)
        prep = make_pipeline(
            Crop(0, PGAA_CNN_BINS), SpectrumNormalizer("sum"), LogTransform(1e-7)
        )
    else:
        from sklearn.model_selection import train_test_split

        from specauth.datasets import make_spectra

        d = make_spectra(
            n_classes=6,
            n_samples_per_class=60,
            length=1024,
            n_unknown_classes=3,
            random_state=100 + seed,
        )
        Xtr, Xte, ytr, yte = train_test_split(
            d.X, d.y, test_size=0.25, stratify=d.y, random_state=seed
        )
        parts = (Xtr, ytr, Xte, yte, d.X_unknown, d.y_unknown)
        prep = make_pipeline(SpectrumNormalizer("sum"), LogTransform(1e-7))
    prep.fit(parts[0])
    X_train, y_train, X_test, y_test, X_unk, y_unk = parts
    return (
        prep.transform(X_train),
        y_train,
        prep.transform(X_test),
        y_test,
        prep.transform(X_unk),
        y_unk,
    )


def evaluate_detectors(data, seed, calibrate_on="train", clf=None):
    """Fit every detector on one network; ``clf`` defaults to ``CNNClassifier()``.

    The network is trained once (OpenSetClassifier's classifier cache) and
    shared by all detectors and alphas.
    """
    import specauth.ood
    from specauth.estimators import CNNClassifier
    from specauth.openset import OpenSetClassifier, figures_of_merit, ood_metrics

    X_train, y_train, X_test, y_test, X_unk, y_unk = data
    X_eval = np.vstack([X_test, X_unk])
    y_eval = np.concatenate([np.asarray(y_test), np.asarray(y_unk)])
    if clf is None:
        clf = CNNClassifier(random_state=seed)
    rows = {}
    t0 = time.perf_counter()
    for name in DETECTORS:
        row = {}
        for alpha in ALPHAS:
            detector = getattr(specauth.ood, name)(alpha=alpha)
            osc = OpenSetClassifier(clf, detector, calibrate_on=calibrate_on)
            osc.fit(X_train, y_train)
            if alpha == ALPHAS[0]:
                ood = ood_metrics(osc.score_samples(X_test), osc.score_samples(X_unk))
                row.update(AUROC=ood["AUROC"], FPR95=ood["FPR@95TPR"])
                row["closed_set_accuracy"] = float(
                    np.mean(osc.classifier_.predict(X_test) == y_test)
                )
            fom = figures_of_merit(
                osc.predict(X_eval),
                y_eval,
                known_classes=osc.classes_,
                unknown_label="unknown",
            )
            for key in ("TEFF", "TSNS", "TSPS"):
                row[f"{key}@{alpha}"] = float(fom[key])
        rows[name] = row
    return rows, time.perf_counter() - t0


def logistic_baseline(data):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from specauth.openset import ood_metrics

    X_train, y_train, X_test, y_test, X_unk, _ = data
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    lr.fit(X_train, y_train)
    ood = ood_metrics(
        lr.predict_proba(X_test).max(axis=1), lr.predict_proba(X_unk).max(axis=1)
    )
    return {
        "AUROC": ood["AUROC"],
        "FPR95": ood["FPR@95TPR"],
        "closed_set_accuracy": float(lr.score(X_test, y_test)),
    }


def summarize(per_seed):
    names = per_seed[0].keys()
    out = {}
    for name in names:
        keys = per_seed[0][name].keys()
        out[name] = {
            key: {
                "mean": float(np.mean([r[name][key] for r in per_seed])),
                "min": float(np.min([r[name][key] for r in per_seed])),
            }
            for key in keys
        }
    return out


def print_table(title, summary):
    print(f"\n{title}")
    cols = ("AUROC", "FPR95", "TEFF@0.05", "TEFF@0.01", "TSPS@0.01")
    print(f"  {'detector':<13}" + "".join(f"{c + ' mean/min':>22}" for c in cols))
    for name, stats in summary.items():
        cells = "".join(
            f"{stats[c]['mean']:>13.4f}/{stats[c]['min']:<8.4f}" for c in cols
        )
        print(f"  {name:<13}{cells}")


def run_dataset(dataset, calibrate_on, seeds):
    """Benchmark all detectors on one data set for ``seeds`` seeds."""
    from specauth.openset import clear_classifier_cache

    per_seed, baselines, seconds = [], [], []
    for seed in range(seeds):
        data = load(dataset, seed)
        rows, s = evaluate_detectors(data, seed, calibrate_on)
        clear_classifier_cache()
        per_seed.append(rows)
        seconds.append(s)
        baselines.append({"LogReg+MaxSoftmax": logistic_baseline(data)})
        best = max(rows, key=lambda n: rows[n]["AUROC"])
        print(
            f"{dataset} ({calibrate_on}) seed {seed}: closed-set acc "
            f"{rows[best]['closed_set_accuracy']:.4f}, best AUROC {best} "
            f"{rows[best]['AUROC']:.4f}, {s:.1f} s",
            flush=True,
        )
    summary = summarize(per_seed)
    result = {
        "calibrate_on": calibrate_on,
        "detectors": summary,
        "logistic_regression_maxsoftmax": summarize(baselines),
        "per_seed": per_seed,
        "seconds_per_seed": seconds,
    }
    print_table(
        f"{dataset}, calibrate_on={calibrate_on!r}: {seeds} seeds (AUROC/FPR95: "
        "known test vs unknown; TEFF at the threshold from training data)",
        summary,
    )
    lr = result["logistic_regression_maxsoftmax"]["LogReg+MaxSoftmax"]
    print(
        f"  reference LogReg+MaxSoftmax AUROC {lr['AUROC']['mean']:.4f}, "
        f"FPR95 {lr['FPR95']['mean']:.4f}"
    )
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        nargs="+",
        default=["pgaa", "synthetic"],
        choices=["pgaa", "synthetic"],
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--calibrate-on",
        "--refit",  # its name before specauth 0.2
        dest="calibrate_on",
        nargs="+",
        default=["train", "holdout"],
        choices=["train", "holdout"],
        help="OpenSetClassifier calibrate_on modes to compare",
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    results = {}
    for dataset in args.dataset:
        for calibrate_on in args.calibrate_on:
            key = dataset if calibrate_on == "train" else f"{dataset}/holdout"
            results[key] = run_dataset(dataset, calibrate_on, args.seeds)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "pgaa_openset.json").write_text(json.dumps(results, indent=2))
    print(f"\nwritten: {out / 'pgaa_openset.json'}")
    return results


if __name__ == "__main__":
    main()
