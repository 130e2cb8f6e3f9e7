"""epochs="auto": a training budget in optimizer steps (issue 15)."""

import math

import numpy as np
import pytest

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.training import budget
from specauth.training.budget import AUTO_MIN_EPOCHS, AUTO_MIN_STEPS, auto_epochs


@pytest.mark.parametrize("n_samples", [1, 5, 30, 31, 32, 33, 240, 1000, 20_000])
@pytest.mark.parametrize("batch_size", [1, 8, 32, 128])
def test_auto_epochs_reaches_the_step_and_epoch_floors(n_samples, batch_size):
    epochs = auto_epochs(n_samples, batch_size)
    steps_per_epoch = -(-n_samples // batch_size)  # ceil, by integer division
    assert epochs >= AUTO_MIN_EPOCHS
    assert epochs * steps_per_epoch >= AUTO_MIN_STEPS
    # The fewest such epochs: one fewer misses a floor.
    fewer = epochs - 1
    assert fewer < AUTO_MIN_EPOCHS or fewer * steps_per_epoch < AUTO_MIN_STEPS


def test_auto_epochs_hand_worked():
    # 30 spectra, batch 32: 1 step per epoch -> 1000 epochs; 240 -> 8 steps.
    assert auto_epochs(30, 32) == 1000
    assert auto_epochs(240, 32) == 125
    assert auto_epochs(10_000, 32) == 60
    assert auto_epochs(10, 4, min_epochs=2, min_steps=10) == 4  # 3 steps/epoch
    assert auto_epochs(10, 4, min_epochs=7, min_steps=10) == 7


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_samples": 0, "batch_size": 32}, "n_samples"),
        ({"n_samples": 10, "batch_size": 2.5}, "batch_size"),
        ({"n_samples": 10, "batch_size": 2, "min_steps": -1}, "min_steps"),
        ({"n_samples": 10, "batch_size": 2, "min_epochs": 0}, "min_epochs"),
    ],
)
def test_auto_epochs_refuses_bad_counts(kwargs, name):
    with pytest.raises((TypeError, ValueError), match=f"`{name}`"):
        auto_epochs(**kwargs)


def test_default_epochs_is_auto():
    assert CNNClassifier().epochs == "auto"


@pytest.fixture
def small_budget(monkeypatch):
    """A small step floor, read by auto_epochs at call time."""
    monkeypatch.setattr(budget, "AUTO_MIN_STEPS", 12)
    monkeypatch.setattr(budget, "AUTO_MIN_EPOCHS", 2)


def _train_epochs(clf):
    phases = clf.history_.get("phase", ["train"] * len(clf.history_["loss"]))
    return sum(phase in ("train", "head") for phase in phases)


@pytest.mark.parametrize("n_per_class, batch_size", [(5, 32), (5, 4), (12, 8)])
def test_auto_trains_the_step_budget(small_budget, n_per_class, batch_size):
    data = make_spectra(
        n_classes=2, n_samples_per_class=n_per_class, length=64, random_state=0
    )
    clf = CNNClassifier("cnn1d_small", batch_size=batch_size, random_state=0)
    clf.fit(data.X, data.y)
    steps_per_epoch = math.ceil(2 * n_per_class / batch_size)
    expected = max(2, math.ceil(12 / steps_per_epoch))
    assert clf.epochs_ == expected
    assert _train_epochs(clf) == expected
    # One learning rate per optimizer step: the budget in steps was trained.
    n_batches = len(clf.history_["lr_per_batch"])
    assert n_batches >= expected * steps_per_epoch


def test_auto_counts_the_training_part_only(small_budget):
    # 20 spectra, a quarter held out for validation: 15 train -> 4 steps of 4.
    data = make_spectra(n_classes=2, n_samples_per_class=10, length=64, random_state=0)
    clf = CNNClassifier(
        "cnn1d_small", batch_size=4, validation_fraction=0.25, random_state=0
    )
    clf.fit(data.X, data.y)
    assert clf.epochs_ == max(2, math.ceil(12 / math.ceil(15 / 4)))


def test_an_int_is_trained_as_given(small_budget):
    data = make_spectra(n_classes=2, n_samples_per_class=5, length=64, random_state=0)
    clf = CNNClassifier("cnn1d_small", epochs=3, random_state=0).fit(data.X, data.y)
    assert clf.epochs_ == 3
    assert _train_epochs(clf) == 3


@pytest.mark.parametrize("epochs", ["Auto", "steps", 0, 2.5])
def test_bad_epochs_is_refused(epochs):
    data = make_spectra(n_classes=2, n_samples_per_class=5, length=64, random_state=0)
    with pytest.raises((TypeError, ValueError), match="epochs"):
        CNNClassifier("cnn1d_small", epochs=epochs).fit(data.X, data.y)
    assert np.isfinite(data.X).all()
