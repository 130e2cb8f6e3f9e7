"""Test-time augmentation: average predictions over augmented copies of X."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._validation import Interval, check_is_fitted, check_scalar
from specauth.estimators._augmentation import augmentation_layers, check_augmentation
from specauth.estimators._routing import route
from specauth.estimators._seeding import seed_from_random_state

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["tta"]

#: Samples augmented at once (bounds the memory of the augmented copies).
_BLOCK = 1024


def tta(
    estimator: Any,
    X: ArrayLike,
    *,
    n: int = 4,
    beta: float | None = 0.25,
    augmentation: Any = None,
    random_state: Any = 0,
) -> np.ndarray:
    """Predict with test-time augmentation (fastai's ``tta``).

    The fitted network predicts ``X`` as it is and ``n`` augmented copies of
    it; the result is ``beta * plain + (1 - beta) * mean(augmented)`` (a
    linear interpolation from the augmented mean towards the plain
    prediction, as fastai's ``torch.lerp(aug, plain, beta)``). Averaging over
    plausible variations of a spectrum (small shifts, intensity and baseline
    changes; rotations of a pattern) smooths predictions that hinge on
    details the augmentation says do not matter.

    Parameters
    ----------
    estimator : CNNClassifier, CNNRegressor or Pipeline
        A fitted specauth network, or a fitted Pipeline ending in one (the
        steps before it transform ``X`` first).
    X : array-like
        Inputs, as for the estimator's ``predict``.
    n : int, default=4
        Augmented copies of ``X``.
    beta : float in [0, 1] or None, default=0.25
        Weight of the plain prediction; None or 0 averages the augmented
        copies only, 1 returns the plain prediction.
    augmentation : str, keras layer, list or None, default=None
        As the estimators' ``augmentation`` parameter; None uses the
        estimator's own (with its ``augmentation__...`` strengths), or when it
        has none ``"patterns"`` for 2D patterns
        and ``"spectra"`` for spectra.
    random_state : int, RandomState, Generator or None, default=0
        Seed of the augmentations (the same seed gives the same result).

    Returns
    -------
    predictions : ndarray
        Class probabilities (n_samples, n_classes) for a classifier (take
        ``classes_[argmax]`` for labels), predicted values for a regressor.

    Examples
    --------
    >>> from specauth.datasets import make_spectra
    >>> from specauth.estimators import CNNClassifier, tta
    >>> data = make_spectra(n_classes=2, n_samples_per_class=10, length=64,
    ...                     random_state=0)
    >>> clf = CNNClassifier("cnn1d_small", epochs=2, random_state=0)
    >>> proba = tta(clf.fit(data.X, data.y), data.X, n=2)
    >>> proba.shape, bool(abs(proba.sum(axis=1) - 1).max() < 1e-6)
    ((20, 2), True)
    """
    n = check_scalar("n", n, Interval(Integral, 1, None))
    if beta is not None:
        beta = check_scalar("beta", beta, Interval(Real, 0, 1), finite=True)
    network, X = _final_network(estimator, X)
    check_is_fitted(network, "network_")
    spec, options = augmentation, {}
    if spec is None:
        spec = getattr(network, "augmentation", None)
        options = route(network.get_params(deep=False), "augmentation")
    if spec is None:
        spec = "patterns" if len(network.input_shape_) == 3 else "spectra"
    check_augmentation(spec, options)
    seed = seed_from_random_state(random_state)
    predict = (
        network.predict_proba if hasattr(network, "predict_proba") else network.predict
    )
    inputs = network.validate_input(X)
    plain = np.asarray(predict(inputs), dtype=np.float64)
    if beta is not None and beta == 1:
        return plain
    augmented = np.zeros_like(plain)
    for copy in range(n):
        layers = augmentation_layers(spec, seed + 104729 * copy, options)
        augmented += np.asarray(predict(_augment(inputs, layers)), dtype=np.float64)
    augmented /= n
    if not beta:
        return augmented
    return beta * plain + (1.0 - beta) * augmented


def _final_network(estimator, X):
    """The specauth network of ``estimator`` and ``X`` as it receives it."""
    steps = getattr(estimator, "steps", None)
    if steps is not None:
        check_is_fitted(estimator)
        final = steps[-1][1]
        for _, step in steps[:-1]:
            if step is None or step == "passthrough":
                continue
            if hasattr(step, "fit_resample") and not hasattr(step, "transform"):
                continue  # an imbalanced-learn sampler acts in fit only
            X = step.transform(X)
        estimator = final
    if not hasattr(estimator, "validate_input"):
        raise TypeError(
            "`estimator` must be a fitted CNNClassifier or CNNRegressor (or a "
            f"Pipeline ending in one); got {type(estimator).__name__}."
        )
    return estimator, X


def _augment(inputs, layers):
    """``inputs`` through ``layers`` in training mode, a block at a time."""
    parts = []
    for start in range(0, len(inputs), _BLOCK):
        block = inputs[start : start + _BLOCK]
        for layer in layers:
            block = layer(block, training=True)
        parts.append(np.asarray(block, dtype=np.float32))
    return np.concatenate(parts)
