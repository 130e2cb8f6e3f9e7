"""Training that diverges raises instead of producing a model (issue 14, section 2)."""

import math

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.training import fit_network
from specauth.training.divergence import StopOnNonFiniteLoss, TrainingDivergedError


@pytest.fixture(scope="module")
def keras():
    from specauth._lazy import import_keras

    return import_keras()


@pytest.fixture(scope="module")
def data():
    return make_spectra(n_classes=2, n_samples_per_class=8, length=64, random_state=0)


def _dense(keras):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])


def _xy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int32")


@pytest.mark.parametrize("rate", [math.inf, math.nan, 0.0, -1e-3])
def test_estimator_refuses_a_rate_that_is_not_finite_and_positive(data, rate):
    clf = CNNClassifier("cnn1d_small", epochs=1, learning_rate=rate)
    with pytest.raises(ValueError, match="learning_rate"):
        clf.fit(data.X, data.y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


@pytest.mark.parametrize("rate", [math.inf, math.nan, 0.0, -1.0])
def test_fit_network_refuses_bad_rates(keras, rate):
    with pytest.raises(ValueError, match="learning_rate"):
        fit_network(_dense(keras), *_xy(), epochs=1, learning_rate=rate)


@pytest.mark.parametrize("weight", [math.nan, math.inf, 0.0, -1.0])
def test_fit_network_refuses_bad_class_weights(keras, weight):
    with pytest.raises(ValueError, match=r"class_weight\[1\]"):
        fit_network(
            _dense(keras),
            *_xy(),
            epochs=1,
            learning_rate=1e-3,
            class_weight={0: 1.0, 1: weight},
        )


def test_fit_class_weight_option_is_checked_too(data):
    clf = CNNClassifier("cnn1d_small", epochs=1, fit__class_weight={0: math.nan, 1: 1})
    with pytest.raises(ValueError, match="class_weight"):
        clf.fit(data.X, data.y)


def test_a_diverging_loss_raises_instead_of_returning_nan_weights(keras):
    network = _dense(keras)
    x, y = _xy()
    with pytest.raises(TrainingDivergedError, match="lower `learning_rate`"):
        fit_network(
            network, x * 1e20, y, epochs=3, learning_rate=1e30, schedule="constant"
        )


def test_a_diverging_estimator_is_left_unfitted(data):
    clf = CNNClassifier("cnn1d_small", epochs=3, learning_rate=1e30, random_state=0)
    with pytest.raises(TrainingDivergedError, match="learning_rate='find'"):
        clf.fit(data.X, data.y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


def test_open_set_blames_the_rate_not_the_data(data):
    from specauth.ood import Energy
    from specauth.openset import OpenSetClassifier

    osc = OpenSetClassifier(
        CNNClassifier("cnn1d_small", epochs=3, learning_rate=1e30, random_state=0),
        Energy(),
    )
    with pytest.raises(TrainingDivergedError, match="Training diverged"):
        osc.fit(data.X, data.y)


def test_callback_records_the_first_non_finite_epoch(keras):
    stop = StopOnNonFiniteLoss()
    stop.set_model(_dense(keras))
    stop.model.stop_training = False  # as Model.fit sets it
    stop.on_train_begin()
    stop.on_epoch_end(0, {"loss": 0.3})
    assert stop.epoch is None and not stop.model.stop_training
    stop.on_epoch_end(1, {"loss": float("inf")})
    assert (stop.epoch, stop.loss, stop.model.stop_training) == (1, math.inf, True)
