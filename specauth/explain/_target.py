"""What an explainer explains: the network, its class labels, the class chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specauth._lazy import import_keras

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    import keras
    from numpy.typing import ArrayLike

    from specauth.estimators import BaseCNNEstimator
    from specauth.openset import OpenSetClassifier

    #: What an explainer takes: a fitted estimator or a Keras network (logits).
    ExplainedModel: TypeAlias = "BaseCNNEstimator | OpenSetClassifier | keras.Model"

__all__ = ["class_indices", "per_sample_classes", "resolve_model"]


def resolve_model(
    model: ExplainedModel,
) -> tuple[keras.Model, np.ndarray | None, Callable[[ArrayLike], np.ndarray] | None]:
    """Return ``(keras network with logits output, classes_ or None, validate)``."""
    keras = import_keras()
    from specauth.estimators import BaseCNNEstimator

    if isinstance(model, BaseCNNEstimator):
        if not hasattr(model, "network_"):
            raise ValueError(
                f"The {type(model).__name__} is not fitted yet; call fit before "
                "explaining it."
            )
        return (
            model.network_,
            getattr(model, "classes_", None),
            model.validate_input,
        )
    if isinstance(model, keras.Model):
        return model, None, None
    inner = getattr(model, "classifier_", None)  # a fitted OpenSetClassifier
    if inner is not None:
        return resolve_model(inner)
    raise TypeError(
        "`model` must be a fitted CNNClassifier, a fitted OpenSetClassifier or a "
        f"keras.Model that outputs logits; got {type(model).__name__}."
    )


def per_sample_classes(classes: ArrayLike, n_samples: int) -> np.ndarray:
    """Return ``classes`` as an array: 0-d (one class for all) or ``(n_samples,)``.

    Explainers call it on the whole ``X``, before cutting it into batches, so
    a list of labels one too long or too short is refused, never truncated.
    """
    values = np.asarray(classes)
    if values.ndim == 0 or values.shape == (n_samples,):
        return values
    got = _values(len(values)) if values.ndim == 1 else f"shape {values.shape}"
    raise ValueError(
        "`classes` must be one class or one per sample of `X` "
        f"({_values(n_samples)}); got {got}."
    )


def _values(count):
    return f"{count} value" + ("" if count == 1 else "s")


def class_indices(
    classes: ArrayLike | None, logits: np.ndarray, known: np.ndarray | None
) -> np.ndarray:
    """Return the class index to explain for every sample.

    ``classes`` is None (the highest logit), one class for all samples or one
    per sample: labels of ``known`` (the estimator's ``classes_``), or class
    indices when ``known`` is None (a bare Keras model).
    """
    n = len(logits)
    if classes is None:
        return np.argmax(logits, axis=1)
    n_classes = logits.shape[1]
    values = per_sample_classes(classes, n)
    if values.ndim == 0:
        values = np.full(n, values[()])
    if known is not None:
        lookup = {c: i for i, c in enumerate(known.tolist())}
        unknown = sorted({v for v in values.tolist() if v not in lookup}, key=str)
        if unknown:
            raise ValueError(
                f"`classes` holds labels {unknown} that the model does not "
                f"know; its classes are {known.tolist()}."
            )
        return np.array([lookup[v] for v in values.tolist()], dtype=np.int64)
    if not np.issubdtype(values.dtype, np.integer) or not (
        (values >= 0).all() and (values < n_classes).all()
    ):
        raise ValueError(
            f"`classes` must be class indices in [0, {n_classes}) for a Keras "
            f"model; got {values.tolist()}."
        )
    return values.astype(np.int64)
