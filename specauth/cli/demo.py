"""``specauth demo``: open-set classification on built-in data."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from specauth.cli._options import positive_float
from specauth.cli._pipeline import (
    add_model_arguments,
    classifier_from_args,
    preprocessing_steps,
)
from specauth.cli._text_tables import format_confusion_matrix

if TYPE_CHECKING:
    import argparse

__all__ = ["add_parser", "run"]

_EXAMPLES = """\
examples:
  specauth demo                        # synthetic diffraction-like spectra
  specauth demo --epochs 20 --seed 1 --detector energy --alpha 0.01
  specauth demo --pgaa ../shared/data/pgaa/pgaa.npz   # real gamma-ray spectra
  specauth demo --patterns             # 2D diffraction patterns, template ranking
  specauth demo --patterns --photons 200 --epochs 30
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``demo`` command."""
    import argparse

    parser = commands.add_parser(
        "demo",
        help="train and evaluate an open-set classifier on built-in data",
        description=(
            "Train CNNClassifier on the known classes of synthetic spectra from "
            "make_spectra (or of the PGAA gamma-ray spectra with --pgaa), then "
            "report the closed-set test accuracy, the AUROC of every detector "
            "against the held-out unknown classes, TEFF/TSNS/TSPS at --alpha, "
            "the confusion matrix with the unknown column, and timings. With "
            "--patterns: 2D diffraction patterns from make_diffraction_patterns "
            "(single and multiple particles known, non-spherical ones unknown) "
            "on resnet2d with a LogActivation and augmentation, plus a "
            "TemplateMatcher ranking of the test patterns."
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
    parser.add_argument(
        "--patterns",
        action="store_true",
        help="2D diffraction patterns (900 of 64 x 64) instead of spectra",
    )
    parser.add_argument(
        "--photons",
        type=positive_float,
        default=1000.0,
        help="photons per pattern with --patterns (default: %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_model_arguments(parser)
    parser.set_defaults(run=run)


def _load(args):
    """Return ``(name, X_train, X_test, y_train, y_test, X_unknown, y_unknown)``."""
    from sklearn.model_selection import train_test_split

    if args.pgaa:
        from specauth.datasets import PGAA_CNN_BINS, load_pgaa, pgaa_open_set_split

        data = load_pgaa(args.pgaa)
        s = pgaa_open_set_split(data.data[:, :PGAA_CNN_BINS], data.target)
        name = f"PGAA gamma-ray spectra (first {PGAA_CNN_BINS} bins)"
        return name, s.X_train, s.X_test, s.y_train, s.y_test, s.X_unknown, s.y_unknown
    from specauth.datasets import make_spectra

    data = make_spectra(
        n_classes=6,
        n_samples_per_class=80,
        length=1024,
        n_unknown_classes=2,
        random_state=args.seed,
    )
    parts = train_test_split(
        data.X, data.y, test_size=0.25, stratify=data.y, random_state=args.seed
    )
    name = "synthetic diffraction-like spectra (make_spectra)"
    return name, *parts, data.X_unknown, data.y_unknown


def _preprocess(args, X_train, *others):
    from sklearn.pipeline import Pipeline

    steps = preprocessing_steps(args)
    if not steps:
        return (X_train, *others)
    prep = Pipeline(steps).fit(X_train)
    return tuple(prep.transform(X) for X in (X_train, *others))


def _detector_table(args, classifier, data):
    """Fit every detector on the same (cached) network.

    Returns the table rows, and per detector the fitted model and its figures
    of merit on the known test + unknown spectra.
    """
    import numpy as np

    from specauth.openset import OpenSetClassifier, figures_of_merit, ood_metrics

    X_train, X_test, y_train, y_test, X_unk, y_unk = data
    rows, models, foms = [], {}, {}
    X_eval = np.vstack([X_test, X_unk])
    y_eval = np.concatenate([np.asarray(y_test), np.asarray(y_unk)])
    from specauth.ood import list_detectors, make_detector

    for name in list_detectors():
        osc = OpenSetClassifier(classifier, make_detector(name, alpha=args.alpha))
        osc.fit(X_train, y_train)  # the network is trained once, then cached
        ood = ood_metrics(osc.score_samples(X_test), osc.score_samples(X_unk))
        fom = figures_of_merit(
            osc.predict(X_eval),
            y_eval,
            known_classes=osc.classes_,
            unknown_label="unknown",
        )
        rows.append(
            (
                name,
                ood["AUROC"],
                ood["FPR@95TPR"],
                fom["TEFF"],
                fom["TSNS"],
                fom["TSPS"],
            )
        )
        models[name] = osc
        foms[name] = fom
    return rows, models, foms, X_eval


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the demo and print its results."""
    from sklearn.metrics import accuracy_score

    from specauth.cli import _demo_patterns
    from specauth.openset import clear_classifier_cache

    if args.patterns and args.pgaa:
        raise ValueError("--patterns and --pgaa are two demos: give one of them.")
    t0 = time.perf_counter()
    if args.patterns:
        name, *data, counts = _demo_patterns.load_patterns(args)
    else:
        name, *data = _load(args)
    t_load = time.perf_counter() - t0
    X_train, X_test, y_train, y_test, X_unk, y_unk = data
    kind = "patterns" if args.patterns else "spectra"
    size = (
        " x ".join(str(s) for s in X_train.shape[1:]) + " pixels"
        if args.patterns
        else f"{X_train.shape[1]} points"
    )
    print(f"data: {name}")
    print(
        f"  known classes: {len(set(y_train))} ({len(X_train)} training / "
        f"{len(X_test)} test {kind} of {size}); unknown classes held out: "
        f"{len(set(y_unk))} ({len(X_unk)} {kind})"
    )
    if args.patterns:
        print(f"  network: {_demo_patterns.pattern_network_args(args)}")
    else:
        data = list(_preprocess(args, X_train, X_test, X_unk))
        data = [data[0], data[1], y_train, y_test, data[2], y_unk]
    classifier = classifier_from_args(args, verbose=0 if args.quiet else 1)
    clear_classifier_cache()
    t0 = time.perf_counter()
    rows, models, foms, X_eval = _detector_table(args, classifier, data)
    t_fit = time.perf_counter() - t0
    chosen = args.detector if args.detector != "none" else "knn"
    osc = models[chosen]
    acc = accuracy_score(y_test, osc.classifier_.predict(data[1]))
    print(f"\nclosed-set test accuracy (known classes): {acc:.4f}")
    print(
        f"\ndetectors on the same network (alpha={args.alpha}; AUROC and "
        f"FPR@95 of known test vs unknown {kind}):"
    )
    print(
        f"  {'detector':<12} {'AUROC':>7} {'FPR@95':>7} {'TEFF':>7} "
        f"{'TSNS':>7} {'TSPS':>7}"
    )
    for row in rows:
        mark = " *" if row[0] == chosen else ""
        print(f"  {row[0]:<12} " + " ".join(f"{v:7.4f}" for v in row[1:]) + mark)
    t0 = time.perf_counter()
    osc.predict(X_eval)
    t_pred = time.perf_counter() - t0
    fom = foms[chosen]
    print(f"\nconfusion matrix with {chosen} (rows: true, columns: predicted):")
    print(
        format_confusion_matrix(
            fom["confusion_matrix"], fom["columns"], rows=fom["rows"]
        )
    )
    if args.patterns:
        _demo_patterns.print_template_ranking(
            _demo_patterns.template_ranking(counts, y_train, y_test, y_unk)
        )
    clf = osc.classifier_
    print(
        f"\ntimings: load {t_load:.2f} s, train + {len(rows)} detectors "
        f"{t_fit:.1f} s ({clf.epochs_} epochs, lr {clf.learning_rate_:.2g}), "
        f"predict {t_pred * 1000:.0f} ms for {len(X_eval)} {kind}"
    )
    clear_classifier_cache()
    return fom
