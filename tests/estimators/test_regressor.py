"""CNNRegressor: targets standardised inside, predictions in the user's
units, multi-output, persistence, scikit-learn composition, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV

from specauth.estimators import CNNRegressor

FAST = dict(epochs=3, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 48))
    y = 40.0 + 7.0 * X[:, 5:15].sum(axis=1)  # far from mean 0 / sd 1
    return X, y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return CNNRegressor("cnn1d_small", **FAST).fit(X, y)


def test_targets_are_standardised_and_predictions_in_user_units(data, fitted):
    X, y = data
    np.testing.assert_allclose(fitted.target_mean_, [y.mean()])
    np.testing.assert_allclose(fitted.target_scale_, [y.std()])
    raw = fitted.network_.predict(X[..., None].astype(np.float32), verbose=0)
    expected = raw[:, 0] * y.std() + y.mean()
    np.testing.assert_allclose(fitted.predict(X), expected, rtol=1e-5)
    assert fitted.predict(X).shape == (80,)
    assert fitted.score(X, y) == pytest.approx(r2_score(y, fitted.predict(X)))
    # the embedding and head give the standardised output
    weight, bias = fitted.head_weights()
    np.testing.assert_allclose(
        fitted.transform(X) @ weight + bias, raw, rtol=1e-4, atol=1e-4
    )


def test_it_learns_a_linear_quantity(data):
    X, y = data
    reg = CNNRegressor("cnn1d_small", epochs=40, batch_size=16, random_state=0)
    reg.fit(X[:60], y[:60])
    assert reg.score(X[60:], y[60:]) > 0.5


def test_multi_output_and_column_targets(data):
    X, y = data
    Y = np.column_stack([y, -0.01 * y])
    reg = CNNRegressor("cnn1d_small", **FAST).fit(X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X[:5]).shape == (5, 2)
    np.testing.assert_allclose(reg.target_scale_, Y.std(axis=0))
    column = CNNRegressor("cnn1d_small", **FAST).fit(X, y[:, None])
    assert column.predict(X[:5]).shape == (5, 1)


def test_unstandardised_and_losses(data):
    import keras

    X, y = data
    reg = CNNRegressor("cnn1d_small", standardize_targets=False, **FAST).fit(X, y)
    np.testing.assert_array_equal(reg.target_mean_, [0.0])
    np.testing.assert_array_equal(reg.target_scale_, [1.0])
    kinds = {
        "mse": keras.losses.MeanSquaredError,
        "mae": keras.losses.MeanAbsoluteError,
        "huber": keras.losses.Huber,
    }
    for name, cls in kinds.items():
        assert isinstance(CNNRegressor(loss=name)._loss(), cls)
    custom = keras.losses.LogCosh()
    assert CNNRegressor(loss=custom)._loss() is custom
    with pytest.raises(ValueError, match="loss"):
        CNNRegressor("cnn1d_small", loss="hinge", **FAST).fit(X, y)


def test_save_load_round_trip_gives_identical_predictions(data, fitted, tmp_path):
    from specauth.hub import load_pretrained, save_pretrained

    X, _ = data
    save_pretrained(fitted, tmp_path / "reg")
    loaded = load_pretrained(tmp_path / "reg")
    assert type(loaded) is CNNRegressor and loaded.target_ndim_ == 1
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))


def test_transformed_target_and_grid_search(data):
    X, y = data
    wrapped = TransformedTargetRegressor(
        regressor=CNNRegressor("cnn1d_small", **FAST), func=np.log, inverse_func=np.exp
    ).fit(X, y - y.min() + 1.0)
    assert wrapped.predict(X[:4]).shape == (4,)
    assert np.all(wrapped.predict(X) > 0)
    search = GridSearchCV(
        CNNRegressor("cnn1d_small", **FAST), {"loss": ["mse", "huber"]}, cv=2
    ).fit(X, y)
    assert search.best_params_["loss"] in ("mse", "huber")
    assert np.isfinite(search.best_score_)


def test_bad_targets_named(data):
    X, y = data
    reg = CNNRegressor("cnn1d_small", **FAST)
    with pytest.raises(ValueError, match="real numbers.*'fat'.*CNNClassifier"):
        reg.fit(X[:3], ["fat", "lean", "fat"])
    bad = y.copy()
    bad[[3, 7]] = [np.nan, np.inf]
    with pytest.raises(ValueError, match=r"NaN or infinite values at rows \[3, 7\]"):
        reg.fit(X, bad)
    with pytest.raises(ValueError, match="80 spectra and 79 targets"):
        reg.fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"shape \(n_samples,\) or"):
        reg.fit(X, y.reshape(80, 1, 1))
    with pytest.raises(ValueError, match="requires y"):
        reg.fit(X)
    with pytest.raises(ValueError, match="Complex data not supported: `y`"):
        reg.fit(X, y + 1j)


def test_trains_on_a_stream(tmp_path, data):
    h5py = pytest.importorskip("h5py")
    from specauth.datasets import HDF5Dataset

    X, y = data
    with h5py.File(tmp_path / "nir.h5", "w") as f:
        f["spectra"] = X.astype(np.float32)
        f["fat"] = y
    stream = HDF5Dataset(tmp_path / "nir.h5", "spectra", labels="fat", batch_size=16)
    reg = CNNRegressor("cnn1d_small", **FAST).fit(stream)
    np.testing.assert_allclose(reg.target_mean_, [y.mean()])
    ordered = HDF5Dataset(tmp_path / "nir.h5", "spectra", batch_size=16)
    np.testing.assert_allclose(reg.predict(ordered), reg.predict(X), rtol=1e-5)


def test_learning_rate_finder_and_validation_history(data):
    X, y = data
    reg = CNNRegressor(
        "cnn1d_small",
        learning_rate="find",
        validation_fraction=0.25,
        lr_find__num_it=30,
        **FAST,
    ).fit(X, y)
    assert reg.lr_finder_.valley == pytest.approx(reg.learning_rate_)
    assert len(reg.history_["val_loss"]) == reg.epochs_
    assert np.isfinite(reg.history_["val_loss"]).all()


def test_cnn1d_input_is_standardised_per_point_with_a_derivative(data, fitted):
    X, y = data
    names = {layer.name for layer in fitted.network_.layers}
    assert {"input_std", "derivative"} <= names and "input_norm" not in names
    # the Normalization layer holds the training spectra's per-point statistics
    # (X with its derivative channel, 0 at both ends)
    slope = np.zeros_like(X)
    slope[:, 1:-1] = (X[:, 2:] - X[:, :-2]) / 2
    stacked = np.stack([X, slope], axis=-1)
    layer = fitted.network_.get_layer("input_std")
    np.testing.assert_allclose(
        np.ravel(layer.mean), stacked.mean(axis=0).ravel(), rtol=1e-4, atol=1e-5
    )
    # routing either option overrides the regressor's own
    plain = CNNRegressor(
        "cnn1d_small", model__input_norm="batch", model__derivative=False, **FAST
    ).fit(X, y)
    names = {layer.name for layer in plain.network_.layers}
    assert "input_norm" in names and not {"input_std", "derivative"} & names
    assert "model__input_norm" not in CNNRegressor().get_params()
