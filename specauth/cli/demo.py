"""``specauth demo``: train the default classifier on built-in data."""

from __future__ import annotations

import time

from specauth.cli._pipeline import (
    add_model_arguments,
    build_pipeline,
    classifier_from_args,
)
from specauth.cli._report import format_confusion_matrix

__all__ = ["add_parser", "run"]

_EXAMPLES = """\
examples:
  specauth demo                        # synthetic diffraction-like spectra
  specauth demo --epochs 20 --seed 1
  specauth demo --pgaa ../shared/data/pgaa/pgaa.npz   # real gamma-ray spectra
"""


def add_parser(commands):
    """Register the ``demo`` command."""
    import argparse

    parser = commands.add_parser(
        "demo",
        help="train and evaluate the default classifier on built-in data",
        description=(
            "Train CNNClassifier on synthetic spectra from make_spectra (or on "
            "the PGAA gamma-ray spectra with --pgaa) and print the test "
            "accuracy, the confusion matrix and timings."
        ),
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--pgaa",
        metavar="PATH",
        default=None,
        help="PGAA data (.npz file or folder of the authors' CSVs)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_model_arguments(parser)
    parser.set_defaults(run=run)


def _load(args):
    from sklearn.model_selection import train_test_split

    if args.pgaa:
        from specauth.datasets import PGAA_CNN_BINS, load_pgaa, pgaa_open_set_split

        data = load_pgaa(args.pgaa)
        split = pgaa_open_set_split(data.data[:, :PGAA_CNN_BINS], data.target)
        name = f"PGAA gamma-ray spectra (first {PGAA_CNN_BINS} bins, known classes)"
        return name, split.X_train, split.X_test, split.y_train, split.y_test
    from specauth.datasets import make_spectra

    data = make_spectra(
        n_classes=6, n_samples_per_class=80, length=1024, random_state=args.seed
    )
    parts = train_test_split(
        data.X, data.y, test_size=0.25, stratify=data.y, random_state=args.seed
    )
    return "synthetic diffraction-like spectra (make_spectra)", *parts


def run(args):
    """Run the demo and print its results."""
    import numpy as np
    from sklearn.metrics import accuracy_score, confusion_matrix

    t0 = time.perf_counter()
    name, X_train, X_test, y_train, y_test = _load(args)
    t_load = time.perf_counter() - t0
    classes = np.unique(y_train)
    print(f"data: {name}")
    print(
        f"  {len(X_train)} training / {len(X_test)} test spectra of "
        f"{X_train.shape[1]} points, {len(classes)} classes"
    )
    pipe = build_pipeline(
        args, classifier_from_args(args, verbose=0 if args.quiet else 1)
    )
    print(
        f"model: {args.model}, preprocessing: "
        f"{' -> '.join(n for n, _ in pipe.steps[:-1]) or 'none'}"
    )
    t0 = time.perf_counter()
    pipe.fit(X_train, y_train)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    y_pred = pipe.predict(X_test)
    t_pred = time.perf_counter() - t0
    acc = accuracy_score(y_test, y_pred)
    print(f"\ntest accuracy: {acc:.4f} ({int(round(acc * len(y_test)))}/{len(y_test)})")
    print("\nconfusion matrix:")
    print(
        format_confusion_matrix(
            confusion_matrix(y_test, y_pred, labels=classes), classes
        )
    )
    clf = pipe[-1]
    print(
        f"\ntimings: load {t_load:.2f} s, train {t_fit:.1f} s "
        f"({clf.epochs} epochs, lr {clf.learning_rate_:.2g}), "
        f"predict {t_pred * 1000:.0f} ms for {len(X_test)} spectra"
    )
    return acc
