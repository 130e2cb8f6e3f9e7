"""Per-point input standardisation and the derivative channel (issue 15)."""

import math
import pickle

import numpy as np
import pytest

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.hub import load_pretrained, save_pretrained
from specauth.models import cnn1d
from specauth.models._checks import check_input_norm
from specauth.training import adapt_normalization, fit_network
from specauth.training.normalization import SD_FLOOR


@pytest.fixture(scope="module")
def keras():
    from specauth._lazy import import_keras

    return import_keras()


def _layer_output(keras, network, name, x):
    part = keras.Model(network.inputs, network.get_layer(name).output)
    return np.asarray(part.predict(x, verbose=0), dtype=np.float64)


def _numpy_standard(train, x):
    """(x - mean) / sd per point and channel, sd floored as documented."""
    train = np.asarray(train, dtype=np.float64)
    mean, sd = train.mean(axis=0), train.std(axis=0)
    floor = SD_FLOOR * np.median(sd, axis=0)
    floor = np.where(floor > 0, floor, 1.0)
    return (np.asarray(x, dtype=np.float64) - mean) / np.maximum(sd, floor)


def _central_differences(x):
    """Hand-written: (x[i+1] - x[i-1]) / 2 inside, 0 at both ends, per channel."""
    slope = np.zeros_like(x, dtype=np.float64)
    for i in range(1, x.shape[1] - 1):
        slope[:, i] = (x[:, i + 1] - x[:, i - 1]) / 2.0
    return slope


def test_derivative_channel_is_central_differences(keras):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 30, 2)).astype(np.float32)
    network = cnn1d((30, 2), 3, input_norm=False, derivative=True, seed=0)
    out = _layer_output(keras, network, "with_derivative", x)
    assert out.shape == (4, 30, 4)
    np.testing.assert_allclose(out[..., :2], x, atol=1e-6)
    np.testing.assert_allclose(out[..., 2:], _central_differences(x), atol=1e-5)
    assert not network.get_layer("derivative").trainable_weights


def test_standard_layer_matches_numpy_after_adaptation(keras):
    rng = np.random.default_rng(1)
    train = (rng.normal(size=(60, 40, 1)) * np.linspace(0.5, 3, 40)[:, None]) + 7.0
    train[:, 5] = 2.0  # a point that never varies: not magnified
    train[:, 6] = 2.0 + 1e-6 * rng.normal(size=(60, 1))  # hardly varies: floored
    network = cnn1d((40, 1), 3, input_norm="standard", derivative=True, seed=0)
    assert adapt_normalization(network, train.astype(np.float32)) == 1
    test = rng.normal(size=(7, 40, 1)) + 7.0
    both = np.concatenate([train, _central_differences(train)], axis=-1)
    expected = _numpy_standard(
        both.astype(np.float32), np.concatenate([test, _central_differences(test)], -1)
    )
    out = _layer_output(keras, network, "input_std", test.astype(np.float32))
    np.testing.assert_allclose(out, expected, rtol=1e-3, atol=1e-3)
    # The floored point: a new spectrum 1 unit off is at most 1/floor away.
    floor = SD_FLOOR * np.median(train.std(axis=0)[:, 0])
    assert abs(out[0, 6, 0]) <= abs(test[0, 6, 0] - 2.0) / floor + 1e-3


def test_a_constant_channel_is_centred_not_scaled(keras):
    train = np.full((10, 8, 1), 3.0, dtype=np.float32)
    network = keras.Sequential(
        [keras.Input((8, 1)), keras.layers.Normalization(axis=(1, 2))]
    )
    adapt_normalization(network, train)
    out = network.predict(train + 2.0, verbose=0)
    np.testing.assert_allclose(out, 2.0, atol=1e-6)  # (5 - 3) / 1


def test_fit_network_sets_only_unset_layers(keras):
    rng = np.random.default_rng(2)
    x = (rng.normal(size=(40, 32, 1)) * 5 + 100).astype(np.float32)
    y = np.arange(40) % 2
    network = cnn1d((32, 1), 2, input_norm="standard", derivative=False, seed=0)
    layer = network.get_layer("input_std")
    assert float(keras.ops.convert_to_numpy(layer.count)) == 0
    fit_network(network, x, y, epochs=1, batch_size=20, learning_rate=1e-3)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.adapt_mean), x.mean(axis=0), rtol=1e-5
    )
    # Already set: a second fit on other data keeps the statistics.
    fit_network(network, x + 50, y, epochs=1, batch_size=20, learning_rate=1e-3)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.adapt_mean), x.mean(axis=0), rtol=1e-5
    )


@pytest.mark.parametrize(
    "value, error", [("pointwise", ValueError), (1, TypeError), (None, TypeError)]
)
def test_bad_input_norm_is_refused(value, error):
    with pytest.raises(error, match="`input_norm` must be 'batch'"):
        check_input_norm(value)
    with pytest.raises(error, match="`input_norm`"):
        cnn1d((64, 1), 2, input_norm=value)


@pytest.fixture(scope="module")
def standard_fit():
    data = make_spectra(n_classes=3, n_samples_per_class=8, length=64, random_state=0)
    clf = CNNClassifier(
        "cnn1d_small",
        epochs=3,
        validation_fraction=0.25,
        random_state=0,
        model__input_norm="standard",
        model__derivative=True,
    )
    return clf.fit(data.X, data.y), data


def test_estimator_standardises_with_the_training_part(keras, standard_fit):
    from specauth.estimators._seeding import seed_from_random_state
    from specauth.training.loop import split_validation

    clf, data = standard_fit
    X = clf.validate_input(data.X)
    targets = clf.encoder_.transform(data.y)
    train, _ = split_validation(
        X, targets, 0.25, stratify=targets, seed=seed_from_random_state(0)
    )
    assert len(train[0]) == 18
    both = np.concatenate([train[0], _central_differences(train[0])], axis=-1)
    layer = clf.network_.get_layer("input_std")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.adapt_mean), both.mean(axis=0), atol=1e-5
    )


def test_estimator_round_trip_keeps_the_statistics(standard_fit, tmp_path):
    clf, data = standard_fit
    loaded = load_pretrained(save_pretrained(clf, tmp_path / "model"))
    np.testing.assert_array_equal(loaded.predict(data.X), clf.predict(data.X))
    np.testing.assert_allclose(
        loaded.predict_proba(data.X), clf.predict_proba(data.X), atol=1e-6
    )
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(
        again.predict_proba(data.X), clf.predict_proba(data.X), atol=1e-6
    )


def test_build_network_sets_the_statistics_as_fit_does(keras, standard_fit):
    clf, data = standard_fit
    network, _, _ = clf.build_network(data.X, data.y)
    built = network.get_layer("input_std")
    fitted = clf.network_.get_layer("input_std")
    for name in ("adapt_mean", "adapt_variance"):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(getattr(built, name)),
            keras.ops.convert_to_numpy(getattr(fitted, name)),
            rtol=1e-6,
        )
    assert math.isclose(float(keras.ops.convert_to_numpy(built.count)), 18)
