"""A saved model as the command line uses it: loaded, checked, split into its
preprocessing and final step, and run over a chunk of spectra."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import os

__all__ = [
    "check_classifier",
    "is_regression",
    "load_classifier",
    "predict_outputs",
    "split_model",
]


def _describe(model):
    """What a loaded model is, in a few words: 'a KNNDetector', 'a Pipeline ...'."""
    steps = getattr(model, "steps", None)
    if steps is None:
        return f"a {type(model).__name__}"
    names = ", ".join(type(step).__name__ for _, step in steps)
    return f"a Pipeline of {names}" if steps else "an empty Pipeline"


def is_regression(model: Any) -> bool:
    """Whether a loaded model (or its final step) predicts values, not classes."""
    from sklearn.base import is_regressor

    return is_regressor(split_model(model)[1])


def check_classifier(
    model: Any, folder: str | os.PathLike[str], *, regressor_ok: bool = False
) -> Any:
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
    if regressor_ok and final is not None and hasattr(final, "n_outputs_"):
        return model  # a fitted CNNRegressor
    if final is None or not (is_classifier(final) and hasattr(final, "classes_")):
        what = "a classifier or a regressor" if regressor_ok else "a classifier"
        raise ValueError(
            f"{folder} holds {_describe(model)}, not {what}: this command "
            "needs a folder written by `specauth train` (a classifier or an "
            f"open-set classifier{', or a regressor' * regressor_ok}, after "
            "optional preprocessing)."
        )
    return model


def load_classifier(
    folder: str | os.PathLike[str], *, regressor_ok: bool = False
) -> Any:
    """``load_pretrained(folder)``, checked with :func:`check_classifier`."""
    from specauth.hub import load_pretrained

    return check_classifier(load_pretrained(folder), folder, regressor_ok=regressor_ok)


def split_model(model: Any) -> tuple[list[Any], Any]:
    """Return ``(transformers, final)`` of a loaded model.

    ``transformers`` are the fitted preprocessing steps of a Pipeline (empty
    for a bare estimator) and ``final`` its last step: a ``CNNClassifier`` or
    an ``OpenSetClassifier``.
    """
    steps = getattr(model, "steps", None)
    if steps is None:
        return [], model
    return [step for _, step in steps[:-1] if step not in (None, "passthrough")], (
        steps[-1][1]
    )


def predict_outputs(model: Any, X: np.ndarray) -> dict[str, Any]:
    """Predict one chunk with a single pass through the network.

    Parameters
    ----------
    model : Pipeline or estimator
        A model loaded with :func:`specauth.hub.load_pretrained`.
    X : ndarray of shape (n_samples, n_points)
        Raw spectra (before preprocessing).

    Returns
    -------
    outputs : dict
        ``"labels"`` (a known class or the unknown label), ``"proba"``
        (n_samples, n_classes), ``"scores"`` (detector scores, or None for a
        closed-set model) and ``"Xt"`` (the preprocessed spectra the network
        reads); for a regressor ``"values"`` (n_samples,) or (n_samples,
        n_targets) and ``"Xt"``.
    """
    transformers, final = split_model(model)
    Xt = X
    for step in transformers:
        Xt = step.transform(Xt)
    if hasattr(final, "n_outputs_"):  # a regressor: values, no classes
        return {"values": np.asarray(final.predict(Xt), dtype=np.float64), "Xt": Xt}
    if not hasattr(final, "detector_"):
        proba = np.asarray(final.predict_proba(Xt), dtype=np.float64)
        labels = final.classes_[np.argmax(proba, axis=1)]
        return {"labels": labels, "proba": proba, "scores": None, "Xt": Xt}
    details = final.predict_details(Xt)
    return {
        "labels": details.labels,
        "proba": details.proba,
        "scores": details.scores,
        "Xt": Xt,
    }
