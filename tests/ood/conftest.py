"""Shared data for the detector tests: a Gaussian-blob toy problem and a CNN."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils import Bunch

from specauth.ood import (
    DIME,
    Energy,
    KNNDetector,
    Mahalanobis,
    MaxLogit,
    MaxSoftmax,
    ViM,
)

DETECTOR_NAMES = [
    "Energy",
    "MaxSoftmax",
    "MaxLogit",
    "DIME",
    "Mahalanobis",
    "KNNDetector",
    "ViM",
]


def make_toy(n_per_class=40, n_features=8, n_classes=3, n_ood=60, seed=0):
    """Three Gaussian blobs (unit noise) far from the origin, and OOD near it.

    The "classifier" is a prototype classifier: ``logits = features @ weight
    + bias`` with ``weight`` the class means / 4, so in-distribution samples
    get large logits and the OOD samples (around the origin) small ones.
    """
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(n_classes, n_features))
    means *= 8.0 / np.linalg.norm(means, axis=1, keepdims=True)
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
    )


def make_detector(name, toy, **params):
    """Return an unfitted detector called ``name`` set up for the toy problem."""
    if name == "ViM":
        params = {"weight": toy.weight, "bias": toy.bias, **params}
    factories = {
        "Energy": Energy,
        "MaxSoftmax": MaxSoftmax,
        "MaxLogit": MaxLogit,
        "DIME": DIME,
        "Mahalanobis": Mahalanobis,
        "KNNDetector": KNNDetector,
        "ViM": ViM,
    }
    return factories[name](**params)


def inputs_of(detector, toy, ood=False):
    """The toy features or logits that ``detector`` works on."""
    if detector.input_kind == "logits":
        return toy.ood_logits if ood else toy.logits
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
