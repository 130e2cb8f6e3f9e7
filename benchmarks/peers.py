"""Closed-set accuracy of specauth's CNN against the best peers (issue 15).

On real spectral sets available offline, the same stratified resamples
(75 % train / 25 % test, or a fixed training size) are given to every method
**in the same run**:

- ``cnn``: ``CNNClassifier()`` with its defaults (``random_state`` = resample);
- ``cnn:<name>``: other specauth configurations (``CONFIGS`` below), the
  candidates for "the best specauth configuration"; ``cnn:std`` puts a
  ``StandardScaler`` (per-point standardisation) in front of the default CNN,
  ``cnn:std+<name>`` in front of a configuration, and ``cnn:ensemble<k>`` is
  an :class:`~specauth.estimators.EnsembleClassifier` of ``k`` default CNNs;
- ``plsda``: :class:`~specauth.estimators.PLSDAClassifier` with its number
  of components chosen by a 5-fold inner cross-validation (1 to 20);
- ``logreg``: ``StandardScaler`` + scikit-learn's ``LogisticRegression``;
- ``minirocket``, ``multirocket_hydra``: aeon's ``MiniRocketClassifier`` and
  ``MultiRocketHydraClassifier`` (``pip install aeon``, a benchmark-only
  dependency; Hydra also needs ``pip install torch==2.13.0+cpu``; skipped with
  a message without them). aeon pins numpy below specauth's test
  environment's, so run this script in a virtualenv of its own
  (``pip install -e ".[benchmarks]"`` there).

Data sets: ``pgaa`` (the 10 known PGAA classes, 304 spectra of 2631 bins,
sum-normalised and log, as the open-set benchmark preprocesses them),
``coffee`` (60 ATR-FTIR spectra of 1841 points, 3 origins, shipped with
chemotools; SNV), ``coffee30`` (the same, trained on 30 spectra -- one batch
of 32, the issue's underfitting case -- and tested on the other 30) and
``corn`` (80 corn samples on three NIR instruments, 700 points; the
instrument is the class: 240 spectra; absorbance as given).

Printed and written to ``peers.json``: mean and standard deviation of the
test accuracy over the resamples, and the mean fit time, per set and method.

Usage::

    python benchmarks/peers.py [--sets pgaa coffee corn coffee30]
        [--resamples 5] [--methods cnn plsda logreg minirocket
        multirocket_hydra cnn:standard_d1 cnn:ensemble3]
        [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
METHODS = ("cnn", "plsda", "logreg", "minirocket", "multirocket_hydra")

#: specauth configurations compared with the defaults (``cnn:<name>``).
CONFIGS: dict[str, dict] = {
    "epochs60": {"epochs": 60},  # the defaults before issue 15
    "batchnorm": {"model__input_norm": "batch", "model__derivative": False},
    "standard": {"model__input_norm": "standard", "model__derivative": False},
    "standard_d1": {"model__input_norm": "standard", "model__derivative": True},
    "batch_d1": {"model__input_norm": "batch", "model__derivative": True},
    "small_batch": {"batch_size": 8},
    "long": {"epochs": 200},
    "resnet1d": {"model": "resnet1d"},
    "inception_time": {"model": "inception_time"},
    "lite": {"model": "lite"},
}


def _snv(X):
    X = np.asarray(X, dtype=np.float64)
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


def load_pgaa():
    from sklearn.pipeline import make_pipeline

    from specauth.datasets import PGAA_CNN_BINS, load_pgaa, pgaa_open_set_split
    from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer

    data = load_pgaa(SHARED / "pgaa" / "pgaa.npz")
    split = pgaa_open_set_split(data.data, data.target)
    X = np.vstack([split.X_train, split.X_test])
    y = np.concatenate([split.y_train, split.y_test])
    prep = make_pipeline(
        Crop(0, PGAA_CNN_BINS), SpectrumNormalizer("sum"), LogTransform(1e-7)
    )
    return prep.fit_transform(X), np.asarray(y).astype(str)


def load_coffee():
    try:
        from chemotools.datasets import load_coffee as load
    except ImportError as err:
        raise SystemExit(
            'the coffee set needs chemotools: pip install -e ".[benchmarks]"'
        ) from err
    X, y = load()
    return _snv(X.to_numpy()), np.asarray(y).ravel().astype(str)


def load_corn():
    data = np.load(SHARED / "nir" / "corn.npz", allow_pickle=False)
    parts, labels = [], []
    for instrument, name in ((1, "m5"), (2, "mp5"), (3, "mp6")):
        for part in ("cal", "test", "trans"):
            block = data[f"X{part}{instrument}"]
            parts.append(block)
            labels += [name] * len(block)
    return np.vstack(parts).astype(np.float64), np.array(labels)


LOADERS = {
    "pgaa": load_pgaa,
    "coffee": load_coffee,
    "corn": load_corn,
    "coffee30": load_coffee,
}
#: Sets trained on a fixed number of spectra (the rest is the test part):
#: ``coffee30`` is the issue's case of a training set that is one batch.
TRAIN_SIZES = {"coffee30": 30}


def make_method(name, seed):
    """An unfitted estimator for ``name`` (None when its package is missing)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from specauth.estimators import CNNClassifier, EnsembleClassifier, PLSDAClassifier

    if name == "cnn":
        return CNNClassifier(random_state=seed)
    if name.startswith("cnn:std+"):  # per-point standardisation in front
        return make_pipeline(StandardScaler(), make_method("cnn:" + name[8:], seed))
    if name == "cnn:std":
        return make_pipeline(StandardScaler(), CNNClassifier(random_state=seed))
    if name.startswith("cnn:ensemble"):  # cnn:ensemble<k>: k default CNNs
        k = int(name[len("cnn:ensemble") :] or 5)
        return EnsembleClassifier(CNNClassifier(), n_estimators=k, random_state=seed)
    if name.startswith("cnn:"):
        return CNNClassifier(**{**CONFIGS[name[4:]], "random_state": seed})
    if name == "plsda":
        return GridSearchCV(
            PLSDAClassifier(),
            {"n_components": list(range(1, 21))},
            cv=StratifiedKFold(5, shuffle=True, random_state=seed),
        )
    if name == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    try:
        from aeon.classification.convolution_based import (
            MiniRocketClassifier,
            MultiRocketHydraClassifier,
        )
    except ImportError:
        return None
    try:
        if name == "minirocket":
            return MiniRocketClassifier(random_state=seed)
        if name == "multirocket_hydra":  # Hydra needs torch (CPU build is enough)
            return MultiRocketHydraClassifier(random_state=seed)
    except ImportError as err:
        print(f"  {name}: {err}")
        return None
    raise SystemExit(f"unknown method {name!r}; choose from {METHODS} or cnn:<name>")


def _fit_score(estimator, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        accuracy = float(np.mean(estimator.predict(X_test) == y_test))
    extra = {}
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    if hasattr(final, "epochs_"):
        extra["epochs"] = int(final.epochs_)
    if hasattr(estimator, "best_params_"):
        extra["best_params"] = estimator.best_params_
    return accuracy, seconds, extra


def run(args):
    from sklearn.model_selection import StratifiedShuffleSplit

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "peers.json"
    result = {"machine": platform.platform(), "resamples": args.resamples, "sets": {}}
    for set_name in args.sets:
        X, y = LOADERS[set_name]()
        print(
            f"{set_name}: {X.shape[0]} spectra of {X.shape[1]} points, "
            f"{len(np.unique(y))} classes",
            flush=True,
        )
        if set_name in TRAIN_SIZES:
            splitter = StratifiedShuffleSplit(
                args.resamples, train_size=TRAIN_SIZES[set_name], random_state=0
            )
        else:
            splitter = StratifiedShuffleSplit(
                args.resamples, test_size=0.25, random_state=0
            )
        rows = {}
        for method in args.methods:
            scores, seconds, extras = [], [], []
            for seed, (train, test) in enumerate(splitter.split(X, y)):
                estimator = make_method(method, seed)
                if estimator is None:
                    print(f"  {method}: skipped (pip install aeon; Hydra also torch)")
                    break
                accuracy, fit_s, extra = _fit_score(
                    estimator, X[train], y[train], X[test], y[test]
                )
                scores.append(accuracy)
                seconds.append(fit_s)
                extras.append(extra)
            if not scores:
                continue
            rows[method] = {
                "accuracy_mean": float(np.mean(scores)),
                "accuracy_sd": float(np.std(scores, ddof=1))
                if len(scores) > 1
                else 0.0,
                "accuracies": scores,
                "fit_seconds_mean": float(np.mean(seconds)),
                "extra": extras,
            }
            print(
                f"  {method:24s} {np.mean(scores):.3f} +- "
                f"{rows[method]['accuracy_sd']:.3f}  (fit {np.mean(seconds):.1f} s)",
                flush=True,
            )
            result["sets"][set_name] = rows
            path.write_text(json.dumps(result, indent=1))
    print_table(result)
    print(f"wrote {path}")
    return result


def print_table(result):
    methods = sorted({m for rows in result["sets"].values() for m in rows})
    print(f"\n{'method':24s}" + "".join(f"{s:>18s}" for s in result["sets"]))
    for method in methods:
        cells = []
        for rows in result["sets"].values():
            row = rows.get(method)
            cells.append(
                f"{row['accuracy_mean']:.3f} +- {row['accuracy_sd']:.3f}"
                if row
                else "-"
            )
        print(f"{method:24s}" + "".join(f"{c:>18s}" for c in cells))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets", nargs="+", default=["pgaa", "coffee", "corn"], choices=LOADERS
    )
    parser.add_argument("--resamples", type=int, default=5)
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument(
        "--threads", type=int, default=0, help="TensorFlow threads (0: its default)"
    )
    args = parser.parse_args(argv)
    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    return run(args)


if __name__ == "__main__":
    main()
