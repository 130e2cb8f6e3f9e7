"""Single vs multiple particles in XFEL diffraction patterns (issue 17).

On :func:`specauth.datasets.make_diffraction_patterns` (classes ``"single"``
and ``"multiple"``; ``--n-train`` / ``--n-test`` patterns of ``--shape``
pixels, 2,000 / 2,000 of 128 x 128 by default), for each of ``--seeds``
seeds and two noise regimes -- ``clean`` (``photons=None``: noiseless
intensities, each pattern summing to 1) and ``noisy`` (``photons=--photons``,
150 by default: Poisson counts, about 10 photons in the rings) -- this script
measures in the same run:

- ``cnn``: ``CNNClassifier("resnet2d", model__augment=True)`` on the
  intensities divided by one scalar, the mean pixel value of the training
  patterns (so the pixels average 1 in both regimes; no log). The network's
  first layer is a BatchNormalization, so the scalar only keeps the numbers
  in a sensible range;
- ``cnn_log``: the same with ``model__log_activation=True`` (a
  ``LogActivation`` as the stem's activation);
- ``ccm``: ``CNNClassifier("resnet2d")`` (no augmentation: rotating or
  shifting a correlation map is not a symmetry of it) on angular
  cross-correlation maps ``CrossCorrelationMap(PolarTransform(...),
  normalize="mean", half=True)`` of the scaled intensities, each map cell
  then standardised with the training maps' mean and standard deviation
  (without it, sparse-count maps reach ``n_angles - 1`` in cells of rings
  holding one photon, and the network on 800 noisy patterns scored 0.71
  instead of 0.90); the polar grid
  is centred on the nominal beam centre ``(h // 2, w // 2)``, runs from
  ``r_min = beam stop + 1`` pixels (5) to ``min(h, w) // 2 - 1`` with
  ``--n-radii`` radii (default: one per 2 pixels) and ``--n-angles`` angles
  (default 128), so the maps are ``n_radii x 65`` lags ``0..pi``;
- ``template``: :class:`specauth.ood.TemplateMatcher` (36 rotations by 5
  degrees, ``region="disk"``) fitted on the first ``--n-templates`` (200)
  ``"single"`` training patterns, scoring the test set; the figure is the
  ranking AUROC of ``"single"`` (positive) against ``"multiple"``
  (``sklearn.metrics.roc_auc_score`` of the scores). The patterns are
  ``log1p(X / s)``: ``s`` = 1 for photon counts (``log1p`` of the counts),
  ``s`` = the training mean pixel value for clean intensities.

The CNNs train ``--epochs`` epochs (default 20: about 1,250 optimizer steps
of batch 32 on 2,000 patterns, the step count the classifier's ``"auto"``
epochs ask for at least) with the classifier's one-cycle schedule, seed =
the run's seed. Train and test sets are drawn with seeds ``1000 * seed`` and
``1000 * seed + 1`` (the two regimes draw the same particles).

Printed: one line per run, then a table of the mean +- standard deviation
over seeds (accuracy for the CNNs, AUROC for the template matcher) per
configuration and regime; ``<out>/diffraction.json`` holds every run (score,
wall time of fit + predict / fit + score) and the table. ``--quick`` is a
smoke run: 200 / 200 patterns of 64 x 64, 1 seed, 2 epochs, 50 templates.

Usage::

    python benchmarks/diffraction.py [--n-train 2000] [--n-test 2000]
        [--shape 128 128] [--seeds 3] [--epochs 20] [--photons 150]
        [--configs cnn cnn_log ccm template] [--n-templates 200]
        [--quick] [--out benchmarks/results]
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
CONFIGS = ("cnn", "cnn_log", "ccm", "template")
BEAM_STOP = 4.0  # make_diffraction_patterns' default, in pixels
QUICK = {
    "n_train": 200,
    "n_test": 200,
    "seeds": 1,
    "epochs": 2,
    "shape": [64, 64],
    "n_templates": 50,
}


def make_sets(args, seed, photons):
    """Train and test Bunches of one seed and regime."""
    from specauth.datasets import make_diffraction_patterns

    shape = tuple(args.shape)
    train, test = (
        make_diffraction_patterns(
            n,
            shape,
            classes=("single", "multiple"),
            photons=photons,
            random_state=1000 * seed + offset,
        )
        for offset, n in ((0, args.n_train), (1, args.n_test))
    )
    return train, test


def polar_settings(args):
    """Keyword arguments of the PolarTransform of the ``ccm`` configuration."""
    h, w = args.shape
    r_min = BEAM_STOP + 1.0
    r_max = float(min(h, w) // 2 - 1)
    n_radii = args.n_radii or max(8, int(round((r_max - r_min) / 2)))
    return {
        "n_radii": n_radii,
        "n_angles": args.n_angles,
        "center": (h // 2, w // 2),
        "r_min": r_min,
        "r_max": r_max,
    }


def correlation_maps(args, X_train, X_test):
    """Angular cross-correlation maps of the train and test patterns."""
    from specauth.imaging import CrossCorrelationMap, PolarTransform

    ccm = CrossCorrelationMap(
        PolarTransform(**polar_settings(args)), normalize="mean", half=True
    )
    maps_train, maps_test = ccm.fit_transform(X_train), ccm.transform(X_test)
    # Standardise each (q, lag) cell with the training maps' mean and sd: with
    # a few photons per ring, "mean"-normalised cells reach n_angles - 1 (one
    # photon in a ring) and a network on the raw maps learns little.
    mean = maps_train.mean(axis=0)
    sd = maps_train.std(axis=0) + 1e-12
    return (maps_train - mean) / sd, (maps_test - mean) / sd


def cnn_accuracy(args, config, seed, train, test, scale):
    """Fit the configuration's CNN; return its test accuracy."""
    from specauth.estimators import CNNClassifier

    X_train = train.X / scale
    X_test = test.X / scale
    options = {"model__augment": True}
    if config == "cnn_log":
        options["model__log_activation"] = True
    if config == "ccm":
        X_train, X_test = correlation_maps(args, X_train, X_test)
        options = {}
    classifier = CNNClassifier(
        "resnet2d",
        epochs=args.epochs,
        batch_size=args.batch_size,
        random_state=seed,
        **options,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier.fit(X_train, train.y)
        predicted = classifier.predict(X_test)
    return float(np.mean(predicted == test.y))


def template_auroc(args, train, test, scale):
    """AUROC of single (positive) vs multiple from TemplateMatcher's scores."""
    from sklearn.metrics import roc_auc_score

    from specauth.ood import TemplateMatcher

    singles = np.flatnonzero(train.y == "single")[: args.n_templates]
    references = np.log1p(train.X[singles] / scale)
    matcher = TemplateMatcher(region="disk").fit(references)
    scores = matcher.score_samples(np.log1p(test.X / scale))
    return float(roc_auc_score(test.y == "single", scores))


def run_one(args, config, seed, regime, sets):
    """One configuration on one seed and regime: its score and seconds."""
    train, test = sets
    photons = args.photons if regime == "noisy" else None
    start = time.perf_counter()
    if config == "template":
        scale = 1.0 if photons else float(train.X.mean())
        score = template_auroc(args, train, test, scale)
    else:
        score = cnn_accuracy(args, config, seed, train, test, float(train.X.mean()))
    seconds = time.perf_counter() - start
    metric = "auroc" if config == "template" else "accuracy"
    print(
        f"{config:9s} {regime:6s} seed {seed}: {metric} {score:.3f} ({seconds:.1f} s)",
        flush=True,
    )
    return {
        "config": config,
        "regime": regime,
        "seed": seed,
        "metric": metric,
        "score": score,
        "seconds": seconds,
    }


def summarise(runs):
    """Mean, standard deviation and mean seconds per configuration and regime."""
    table = {}
    for run in runs:
        table.setdefault(run["config"], {}).setdefault(run["regime"], []).append(run)
    summary = {}
    for config, regimes in table.items():
        for regime, rows in regimes.items():
            scores = [row["score"] for row in rows]
            summary.setdefault(config, {})[regime] = {
                "metric": rows[0]["metric"],
                "mean": float(np.mean(scores)),
                "sd": float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0,
                "n_seeds": len(scores),
                "seconds_mean": float(np.mean([row["seconds"] for row in rows])),
            }
    return summary


def print_table(summary, regimes):
    print(f"\n{'config':10s}{'metric':10s}" + "".join(f"{r:>18s}" for r in regimes))
    for config, cells in summary.items():
        metric = next(iter(cells.values()))["metric"]
        texts = [
            f"{cells[r]['mean']:.3f} +- {cells[r]['sd']:.3f}" if r in cells else "-"
            for r in regimes
        ]
        print(f"{config:10s}{metric:10s}" + "".join(f"{t:>18s}" for t in texts))
    print(f"\n{'seconds/run':20s}" + "".join(f"{r:>18s}" for r in regimes))
    for config, cells in summary.items():
        texts = [
            f"{cells[r]['seconds_mean']:.1f}" if r in cells else "-" for r in regimes
        ]
        print(f"{config:20s}" + "".join(f"{t:>18s}" for t in texts))


def run(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "diffraction.json"
    regimes = {"clean": None, "noisy": args.photons}
    result = {
        "machine": platform.platform(),
        "settings": {
            **{k: v for k, v in vars(args).items() if k != "out"},
            "polar": {
                k: list(v) if isinstance(v, tuple) else v
                for k, v in polar_settings(args).items()
            },
            "cnn_scaling": "X / mean pixel value of the training patterns",
            "template_input": "log1p(counts) noisy; log1p(X / train mean) clean",
        },
        "runs": [],
    }
    for seed in range(args.seeds):
        for regime, photons in regimes.items():
            sets = make_sets(args, seed, photons)
            for config in args.configs:
                result["runs"].append(run_one(args, config, seed, regime, sets))
                result["summary"] = summarise(result["runs"])
                path.write_text(json.dumps(result, indent=1))
    print_table(result["summary"], list(regimes))
    print(f"wrote {path}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--shape", type=int, nargs=2, default=[128, 128])
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--photons", type=float, default=150.0, help="photons per noisy pattern"
    )
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    parser.add_argument(
        "--n-templates", type=int, default=200, help="single patterns matched"
    )
    parser.add_argument(
        "--n-radii", type=int, default=None, help="ccm radii (default: 1 per 2 px)"
    )
    parser.add_argument("--n-angles", type=int, default=128, help="ccm angles")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: " + json.dumps(QUICK)
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    vars(args).update(QUICK if args.quick else {})
    if min(args.n_train, args.n_test, args.seeds, args.epochs) < 1:
        parser.error("--n-train, --n-test, --seeds and --epochs must be >= 1.")
    return run(args)


if __name__ == "__main__":
    main()
