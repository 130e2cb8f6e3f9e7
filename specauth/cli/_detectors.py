"""Detector names accepted by the command line."""

from __future__ import annotations

__all__ = ["DETECTOR_NAMES", "make_detector"]

#: command-line name -> class name in :mod:`specauth.ood`
DETECTOR_NAMES = {
    "dime": "DIME",
    "energy": "Energy",
    "softmax": "MaxSoftmax",
    "maxlogit": "MaxLogit",
    "mahalanobis": "Mahalanobis",
    "knn": "KNNDetector",
    "vim": "ViM",
}


def make_detector(name, alpha):
    """Return a fresh detector instance for a command-line name.

    Examples
    --------
    >>> make_detector("energy", 0.01)
    Energy(alpha=0.01)
    """
    import specauth.ood

    if name not in DETECTOR_NAMES:
        raise ValueError(
            f"Unknown detector {name!r}; choose one of {sorted(DETECTOR_NAMES)}."
        )
    return getattr(specauth.ood, DETECTOR_NAMES[name])(alpha=alpha)
