"""``specauth demo --patterns``: diffraction patterns, open set, template ranking.

The built-in data are :func:`specauth.datasets.make_diffraction_patterns`:
single spheres and clusters of touching spheres are the known classes,
elongated (non-spherical) particles the class never trained on. The network
is the pattern ResNet with a LogActivation and training-time augmentation;
the detectors then sit on its embedding, and a TemplateMatcher ranks the test
patterns by their distance to rotated copies of 100 training singles, the
hit-picking step of single-particle imaging.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import argparse

__all__ = ["load_patterns", "pattern_network_args", "template_ranking"]

KNOWN = ("single", "multiple")
UNKNOWN = "non-spherical"
N_PATTERNS = 900  # 300 of each kind
SHAPE = (64, 64)
N_REFERENCES = 100


def load_patterns(args: argparse.Namespace) -> tuple[Any, ...]:
    """``(name, X_train, X_test, y_train, y_test, X_unknown, y_unknown, counts)``.

    The X are the photon counts divided by the training mean pixel value
    (float32); ``counts`` holds the raw train, test and unknown counts for
    the template matcher.
    """
    from sklearn.model_selection import train_test_split

    from specauth.datasets import make_diffraction_patterns

    data = make_diffraction_patterns(
        N_PATTERNS,
        SHAPE,
        classes=(*KNOWN, UNKNOWN),
        photons=args.photons,
        random_state=args.seed,
    )
    unknown = data.y == UNKNOWN
    X_train, X_test, y_train, y_test = train_test_split(
        data.X[~unknown],
        data.y[~unknown],
        test_size=0.25,
        stratify=data.y[~unknown],
        random_state=args.seed,
    )
    X_unknown, y_unknown = data.X[unknown], data.y[unknown]
    scale = float(X_train.mean())
    scaled = [(X / scale).astype(np.float32) for X in (X_train, X_test, X_unknown)]
    name = (
        f"diffraction patterns (make_diffraction_patterns, {args.photons:g} "
        "photons each)"
    )
    counts = (X_train, X_test, X_unknown)
    return (name, scaled[0], scaled[1], y_train, y_test, scaled[2], y_unknown, counts)


def pattern_network_args(args: argparse.Namespace) -> str:
    """Switch the default 1D network to the pattern recipe; describe it."""
    if args.model == "cnn1d":  # the default of spectra
        args.model = "resnet2d"
        args.log_activation = True
        args.augment = "auto"
    extras = [
        text
        for flag, text in (
            (args.log_activation, "LogActivation"),
            (args.augment, "augmentation"),
        )
        if flag
    ]
    return args.model + (f" with {' and '.join(extras)}" if extras else "")


def template_ranking(
    counts: tuple[np.ndarray, np.ndarray, np.ndarray],
    y_train: Any,
    y_test: Any,
    y_unknown: Any,
) -> dict[str, float]:
    """Rank the test and unknown patterns by distance to rotated singles."""
    from sklearn.metrics import roc_auc_score

    from specauth.ood import TemplateMatcher

    X_train, X_test, X_unknown = counts
    references = np.log1p(X_train[np.asarray(y_train) == "single"][:N_REFERENCES])
    X_eval = np.log1p(np.concatenate([X_test, X_unknown]))
    is_single = np.concatenate([np.asarray(y_test), np.asarray(y_unknown)]) == "single"
    matcher = TemplateMatcher(region="disk").fit(references)
    start = time.perf_counter()
    scores = matcher.score_samples(X_eval)
    seconds = time.perf_counter() - start
    top = np.argsort(-scores)[: int(is_single.sum())]
    return {
        "references": float(len(references)),
        "templates": float(len(references) * matcher.angles_.size),
        "auroc": float(roc_auc_score(is_single, scores)),
        "precision_at_k": float(is_single[top].mean()),
        "k": float(is_single.sum()),
        "n": float(len(X_eval)),
        "patterns_per_second": len(X_eval) / max(seconds, 1e-9),
    }


def print_template_ranking(result: dict[str, float]) -> None:
    """The ranking's figures, as the demo prints them."""
    print(
        f"\ntemplate pre-ranking (TemplateMatcher, {result['references']:.0f} "
        f"training singles x 36 rotations = {result['templates']:.0f} templates):"
    )
    print(
        f"  AUROC single vs the rest {result['auroc']:.4f}; of the "
        f"{result['k']:.0f} top-ranked of {result['n']:.0f} test patterns, "
        f"{result['precision_at_k']:.1%} are singles "
        f"({result['patterns_per_second']:.0f} patterns/s)"
    )
