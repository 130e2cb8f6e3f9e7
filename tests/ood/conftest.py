"""Shared data for the detector tests: a Gaussian-blob toy problem and a CNN."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils import Bunch

import specauth.ood

DETECTOR_NAMES = [
    "Energy",
    "MaxSoftmax",
    "MaxLogit",
    "GEN",
    "DIME",
    "Mahalanobis",
    "RMD",
    "KNNDetector",
    "ViM",
    "FDBD",
    "ReAct",
    "ASH",
    "SCALE",
    "NNGuide",
]

#: Detectors that also read the last Dense layer (``weight`` and ``bias``).
HEAD_DETECTORS = {"ViM", "FDBD", "ReAct", "ASH", "SCALE", "NNGuide"}

#: Detectors that need non-negative (post-ReLU) features; the toy gives them
#: ``relu_features`` and ``relu_weight`` (same logits, see ``make_toy``).
NON_NEGATIVE = {"ASH", "SCALE"}


def relu_lift(features):
    """``[max(z, 0), max(-z, 0)]``: non-negative, and ``@ [W; -W]`` gives ``z @ W``."""
    return np.hstack([np.maximum(features, 0.0), np.maximum(-features, 0.0)])


def _toy_means(seed, n_classes, n_features):
    """The toy's class means (norm 8) and the generator that drew them."""
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(n_classes, n_features))
    return means * 8.0 / np.linalg.norm(means, axis=1, keepdims=True), rng


def make_toy(n_per_class=40, n_features=8, n_classes=3, n_ood=60, seed=0):
    """Three Gaussian blobs (unit noise) far from the origin, and OOD near it.

    The "classifier" is a prototype classifier: ``logits = features @ weight
    + bias`` with ``weight`` the class means / 4, so in-distribution samples
    get large logits and the OOD samples (around the origin) small ones.

    ``relu_features`` (width ``2 * n_features``) is the same data as a
    ReLU layer would give it to the detectors that need non-negative
    activations: ``relu_lift(features)``, with ``relu_weight = [W; -W]`` so
    that ``relu_features @ relu_weight + bias`` are the same logits.
    """
    means, rng = _toy_means(seed, n_classes, n_features)
    y = np.repeat(np.arange(n_classes), n_per_class)
    features = means[y] + rng.normal(size=(y.size, n_features))
    weight = means.T / 4.0
    bias = 0.1 * rng.normal(size=n_classes)
    ood = rng.normal(size=(n_ood, n_features))
    return Bunch(
        features=features,
        y=y,
        weight=weight,
        bias=bias,
        logits=features @ weight + bias,
        ood_features=ood,
        ood_logits=ood @ weight + bias,
        relu_features=relu_lift(features),
        relu_ood_features=relu_lift(ood),
        relu_weight=np.vstack([weight, -weight]),
    )


def draw_toy(n, seed, n_features=8, n_classes=3, toy_seed=0):
    """``(features, y)``: ``n`` fresh in-distribution samples of the toy problem.

    The same blobs as ``make_toy(seed=toy_seed)``, new noise drawn with
    ``seed``; classes in turn.
    """
    means, _ = _toy_means(toy_seed, n_classes, n_features)
    y = np.arange(n) % n_classes
    noise = np.random.default_rng(seed).normal(size=(n, n_features))
    return means[y] + noise, y


def held_out_false_rejection(name, toy, alpha, n_train=1000, n_test=4000, **params):
    """Fraction of fresh toy samples that detector ``name`` fitted on others rejects.

    The detector is fitted on ``n_train`` samples of the toy distribution and
    tested on ``n_test`` new ones (its features, ReLU features or logits).
    """
    det = make_detector(name, toy, alpha=alpha, **params)
    train, y = draw_toy(n_train, seed=1)
    test, _ = draw_toy(n_test, seed=2)
    if det.input_kind == "logits":
        train, test = train @ toy.weight + toy.bias, test @ toy.weight + toy.bias
    elif name in NON_NEGATIVE:
        train, test = relu_lift(train), relu_lift(test)
    det.fit(train, y)
    return float(np.mean(det.predict(test) == -1))


def make_detector(name, toy, **params):
    """Return an unfitted detector called ``name`` set up for the toy problem.

    With ``toy=None`` the detectors of ``HEAD_DETECTORS`` get no last layer
    (for ``model=...``, which provides it).
    """
    if name in HEAD_DETECTORS and toy is not None:
        weight = toy.relu_weight if name in NON_NEGATIVE else toy.weight
        params = {"weight": weight, "bias": toy.bias, **params}
    return getattr(specauth.ood, name)(**params)


def inputs_of(detector, toy, ood=False):
    """The toy features or logits that ``detector`` works on."""
    if detector.input_kind == "logits":
        return toy.ood_logits if ood else toy.logits
    if type(detector).__name__ in NON_NEGATIVE:
        return toy.relu_ood_features if ood else toy.relu_features
    return toy.ood_features if ood else toy.features


def fit_toy(detector, toy):
    """Fit ``detector`` on the toy training inputs (with labels) and return it."""
    return detector.fit(inputs_of(detector, toy), toy.y)


@pytest.fixture(scope="session")
def toy():
    return make_toy()


@pytest.fixture(scope="session")
def spectra():
    from specauth.datasets import make_spectra

    return make_spectra(n_classes=3, n_samples_per_class=15, length=64, random_state=0)


@pytest.fixture(scope="session")
def fitted_cnn(spectra):
    """A tiny CNNClassifier, fitted once for the whole test package."""
    from specauth.estimators import CNNClassifier

    return CNNClassifier("cnn1d_small", epochs=2, random_state=0).fit(
        spectra.X, spectra.y
    )
