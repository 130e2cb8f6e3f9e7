"""Load a saved model folder that the command line can predict with."""

from __future__ import annotations

__all__ = ["check_classifier", "load_classifier"]


def _describe(model):
    """What a loaded model is, in a few words: 'a KNNDetector', 'a Pipeline ...'."""
    steps = getattr(model, "steps", None)
    if steps is None:
        return f"a {type(model).__name__}"
    names = ", ".join(type(step).__name__ for _, step in steps)
    return f"a Pipeline of {names}" if steps else "an empty Pipeline"


def check_classifier(model, folder):
    """Raise a one-line ValueError unless ``model`` ends in a fitted classifier.

    ``specauth predict``, ``report`` and ``explain`` need a classifier (a
    ``CNNClassifier`` or an ``OpenSetClassifier``, possibly after
    preprocessing steps) with ``classes_``; a folder saved from a
    preprocessing-only Pipeline or a bare detector is refused here rather
    than failing later with an AttributeError.

    Examples
    --------
    >>> from specauth.preprocessing import SpectrumNormalizer
    >>> check_classifier(SpectrumNormalizer(), "norm/")
    Traceback (most recent call last):
    ...
    ValueError: norm/ holds a SpectrumNormalizer, not a classifier: ...
    """
    from sklearn.base import is_classifier

    steps = getattr(model, "steps", None)
    if steps is None:
        final = model
    else:
        final = steps[-1][1] if steps else None
    if final is None or not (is_classifier(final) and hasattr(final, "classes_")):
        raise ValueError(
            f"{folder} holds {_describe(model)}, not a classifier: this command "
            "needs a folder written by `specauth train` (a classifier or an "
            "open-set classifier, after optional preprocessing)."
        )
    return model


def load_classifier(folder):
    """``load_pretrained(folder)``, checked with :func:`check_classifier`."""
    from specauth.hub import load_pretrained

    return check_classifier(load_pretrained(folder), folder)
