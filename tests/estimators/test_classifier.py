"""CNNClassifier: training, prediction, routing, reproducibility, bad input."""

from __future__ import annotations

import gc
import pickle
import weakref

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, train_test_split

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from tests.tolerance import assert_close

FAST = dict(
    model="cnn1d_small", epochs=8, batch_size=16, learning_rate=1e-2, random_state=0
)


@pytest.fixture(scope="module")
def data():
    d = make_spectra(n_classes=3, n_samples_per_class=30, length=128, random_state=0)
    return train_test_split(d.X, d.y, test_size=0.3, stratify=d.y, random_state=0)


@pytest.fixture(scope="module")
def fitted(data):
    X_train, _, y_train, _ = data
    return CNNClassifier(**FAST).fit(X_train, y_train)


def test_learns_synthetic_spectra(data, fitted):
    X_train, X_test, y_train, y_test = data
    assert fitted.score(X_test, y_test) >= 0.9
    assert list(fitted.classes_) == sorted(set(y_train))
    assert fitted.n_features_in_ == X_train.shape[1]
    assert fitted.input_shape_ == (X_train.shape[1], 1)


def test_predict_proba_is_softmax_of_logits(data, fitted):
    X = data[1]
    logits = fitted.logits(X)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(fitted.predict_proba(X), expected, rtol=1e-6)
    np.testing.assert_array_equal(
        fitted.predict(X), fitted.classes_[np.argmax(logits, axis=1)]
    )


def test_transform_is_the_input_of_the_logits_layer(data, fitted):
    X = data[1]
    embedding = fitted.transform(X)
    kernel, bias = fitted.network_.layers[-1].get_weights()
    assert embedding.shape == (len(X), kernel.shape[0])
    np.testing.assert_allclose(
        embedding @ kernel + bias, fitted.logits(X), rtol=1e-4, atol=1e-4
    )


def test_head_weights_are_the_last_dense_layer(data, fitted):
    kernel, bias = fitted.network_.layers[-1].get_weights()
    weight, offset = fitted.head_weights()
    assert weight.dtype == offset.dtype == np.float64
    np.testing.assert_array_equal(weight, kernel.astype(np.float64))
    np.testing.assert_array_equal(offset, bias.astype(np.float64))
    weight[:] = 0.0  # a copy: the network keeps its head
    assert np.abs(fitted.network_.layers[-1].get_weights()[0]).sum() > 0


def test_head_weights_without_a_bias_are_zeros(data):
    import keras

    def no_bias(input_shape, n_outputs, *, seed=None):
        inputs = keras.Input(input_shape)
        pooled = keras.layers.GlobalAveragePooling1D()(inputs)
        return keras.Model(
            inputs, keras.layers.Dense(n_outputs, use_bias=False)(pooled)
        )

    X_train, _, y_train, _ = data
    clf = CNNClassifier(no_bias, epochs=1, random_state=0).fit(X_train, y_train)
    weight, bias = clf.head_weights()
    assert weight.shape == (1, 3)
    np.testing.assert_array_equal(bias, np.zeros(3))


def test_validate_input_is_what_the_network_takes(data, fitted):
    X = data[1]
    checked = fitted.validate_input(X)
    assert checked.dtype == np.float32 and checked.shape == (*X.shape, 1)
    np.testing.assert_array_equal(checked[..., 0], X.astype(np.float32))
    with pytest.raises(ValueError, match="64 features.*expecting 128 features"):
        fitted.validate_input(X[:, :64])
    with pytest.raises(NotFittedError):
        CNNClassifier().validate_input(X)


def test_build_network_is_the_untrained_network_fit_starts_from(data):
    X_train, _, y_train, _ = data
    clf = CNNClassifier(**FAST)
    network, X, targets = clf.build_network(X_train, y_train)
    assert not hasattr(clf, "network_") and not hasattr(clf, "classes_")
    assert X.shape == (*X_train.shape, 1) and X.dtype == np.float32
    np.testing.assert_array_equal(targets, np.unique(y_train, return_inverse=True)[1])
    assert network.optimizer is not None
    again, _, _ = clf.build_network(X_train, y_train)
    for a, b in zip(network.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # same seed, same initial weights
    # ... and fit starts from those weights: one epoch at a zero-ish rate
    # leaves them (almost) where build_network put them.
    still = CNNClassifier(**{**FAST, "epochs": 1, "learning_rate": 1e-12})
    still.fit(X_train, y_train)
    kernel = network.layers[-1].get_weights()[0]
    assert_close(still.head_weights()[0], kernel, dtype=np.float32)


def test_fitted_state_round_trip_leaves_out_derived_attributes(data, fitted):
    state = fitted.get_fitted_state()
    assert {"network_", "classes_", "input_shape_", "history_"} <= set(state)
    assert "encoder_" not in state and "lr_finder_" not in state
    assert not any(key.startswith("_") for key in state)
    restored = clone(fitted).set_fitted_state(state)
    X_test = data[1]
    np.testing.assert_array_equal(restored.predict(X_test), fitted.predict(X_test))
    np.testing.assert_array_equal(restored.transform(X_test), fitted.transform(X_test))
    np.testing.assert_array_equal(restored.encoder_.classes_, fitted.classes_)


def test_a_spectrum_gets_the_same_output_whatever_comes_with_it(data, fitted):
    # Chunks are padded to one compiled shape, so one spectrum alone, in a
    # short batch or after a full inference chunk gives bit-identical outputs.
    X = data[1]
    many = np.concatenate([np.repeat(X[:1], 300, axis=0), X])
    together = fitted.logits(many)[300:]
    alone = np.concatenate([fitted.logits(X[i : i + 1]) for i in range(len(X))])
    np.testing.assert_array_equal(alone, fitted.logits(X))
    np.testing.assert_array_equal(together, fitted.logits(X))
    np.testing.assert_array_equal(fitted.transform(X[3:4]), fitted.transform(X)[3:4])


def test_same_seed_gives_same_predictions_and_keeps_global_rng(data):
    X_train, X_test, y_train, _ = data
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    a = CNNClassifier(**FAST).fit(X_train, y_train).predict_proba(X_test)
    assert np.random.random() == before  # caller's numpy stream untouched
    b = CNNClassifier(**FAST).fit(X_train, y_train).predict_proba(X_test)
    np.testing.assert_array_equal(a, b)
    c = CNNClassifier(**{**FAST, "random_state": 1}).fit(X_train, y_train)
    assert not np.array_equal(a, c.predict_proba(X_test))


def test_string_and_integer_labels(data):
    X_train, X_test, y_train, _ = data
    as_int = np.unique(y_train, return_inverse=True)[1] * 10 + 5
    clf = CNNClassifier(**FAST).fit(X_train, as_int)
    assert set(clf.predict(X_test)) <= {5, 15, 25}
    assert clf.predict(X_test).dtype.kind == "i"


def test_pickle_and_clone_round_trip(data, fitted):
    X_test = data[1]
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(
        restored.predict_proba(X_test), fitted.predict_proba(X_test)
    )
    np.testing.assert_array_equal(restored.transform(X_test), fitted.transform(X_test))
    fresh = clone(fitted)
    assert not hasattr(fresh, "network_")
    assert fresh.get_params() == fitted.get_params()


@pytest.mark.slow
def test_routed_parameters_reach_the_network_and_grid_search(data):
    X_train, _, y_train, _ = data
    clf = CNNClassifier(**FAST, model__filters=(4, 8, 8), model__dropout=0.0)
    params = clf.get_params()
    assert params["model__filters"] == (4, 8, 8)
    clf.set_params(model__filters=(2, 4, 6))
    assert clone(clf).model__filters == (2, 4, 6)
    clf.fit(X_train, y_train)
    convs = [la for la in clf.network_.layers if type(la).__name__ == "Conv1D"]
    assert [c.filters for c in convs][:2] == [2, 4]
    search = GridSearchCV(
        CNNClassifier(**{**FAST, "epochs": 1}),
        {"model__filters": [(2, 4, 4), (4, 8, 8)]},
        cv=2,
    ).fit(X_train, y_train)
    assert len(search.cv_results_["params"]) == 2
    best = search.best_estimator_
    assert best.model__filters == search.best_params_["model__filters"]
    convs = [la for la in best.network_.layers if type(la).__name__ == "Conv1D"]
    assert [c.filters for c in convs][:2] == list(best.model__filters[:2])


def test_unrouted_keyword_is_rejected(data):
    clf = CNNClassifier(filters=(8,))  # __init__ only stores; fit validates
    assert clone(clf).get_params()["filters"] == (8,)
    with pytest.raises(TypeError, match="model__"):
        clf.fit(data[0], data[2])
    with pytest.raises(TypeError, match="prefixes"):
        CNNClassifier().set_params(bogus__x=1)


@pytest.mark.parametrize("schedule", ["one_cycle", "clr", "constant", None])
def test_schedules_record_the_learning_rate_every_batch(data, schedule):
    X_train, _, y_train, _ = data
    clf = CNNClassifier(**{**FAST, "epochs": 3}, schedule=schedule)
    clf.set_params(learning_rate=1e-2).fit(X_train, y_train)
    lrs = np.array(clf.history_["lr_per_batch"])
    steps = int(np.ceil(len(X_train) / 16)) * 3
    assert len(lrs) == steps
    assert lrs.max() == pytest.approx(1e-2, rel=0.05)
    if schedule in ("constant", None):
        np.testing.assert_allclose(lrs, 1e-2, rtol=1e-6)
    else:
        assert lrs.min() < 0.2e-2  # it really varies within training


def test_lr_find_option_uses_the_valley_suggestion(data):
    X_train, _, y_train, _ = data
    clf = CNNClassifier(**{**FAST, "learning_rate": "find"}, lr_find__num_it=30)
    clf.fit(X_train, y_train)
    assert clf.learning_rate_ == pytest.approx(clf.lr_finder_.valley)
    assert 1e-7 <= clf.learning_rate_ <= 10


def test_validation_fraction_and_class_weight(data):
    X_train, _, y_train, _ = data
    classes = sorted(set(y_train))
    clf = CNNClassifier(
        **FAST, validation_fraction=0.25, class_weight={classes[0]: 2.0}
    ).fit(X_train, y_train)
    assert len(clf.history_["val_loss"]) == FAST["epochs"]
    assert "val_accuracy" in clf.history_
    weights = clf._keras_class_weight(None)
    assert weights == {0: 2.0, 1: 1.0, 2: 1.0}
    balanced = CNNClassifier(**FAST, class_weight="balanced")
    balanced.classes_ = np.array(classes)
    w = balanced._keras_class_weight(np.array([0, 0, 0, 1, 2, 2]))
    assert w == pytest.approx({0: 6 / 9, 1: 2.0, 2: 1.0})


def test_multichannel_input(data):
    X_train, X_test, y_train, y_test = data
    X2 = np.stack([X_train, np.sqrt(X_train)], axis=-1)
    clf = CNNClassifier(**FAST).fit(X2, y_train)
    assert clf.input_shape_ == (X_train.shape[1], 2)
    X2_test = np.stack([X_test, np.sqrt(X_test)], axis=-1)
    assert clf.predict(X2_test).shape == y_test.shape


def test_inputs_are_not_modified(data):
    X_train, _, y_train, _ = data
    X, y = X_train.copy(), y_train.copy()
    CNNClassifier(**{**FAST, "epochs": 1}).fit(X, y)
    np.testing.assert_array_equal(X, X_train)
    np.testing.assert_array_equal(y, y_train)


def test_refit_frees_the_previous_network(data):
    X_train, _, y_train, _ = data
    clf = CNNClassifier(**{**FAST, "epochs": 1}).fit(X_train, y_train)
    old = weakref.ref(clf.network_)
    clf.fit(X_train, y_train)
    gc.collect()
    assert old() is None


# --------------------------------------------------------------- bad input
def test_bad_inputs_raise_clear_errors(data, fitted):
    X_train, X_test, y_train, _ = data
    clf = CNNClassifier(**FAST)
    bad = X_train.copy()
    bad[0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(bad, y_train)
    bad[0, 3] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.fit(bad, y_train)
    with pytest.raises(ValueError, match="2D array|Expected 2D"):
        clf.fit(X_train[0], y_train[:1])
    with pytest.raises(ValueError, match="0 sample"):
        clf.fit(X_train[:0], y_train[:0])
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X_train[:5], np.array(["a"] * 5))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(X_train, y_train[:-1])
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X_train, np.linspace(0, 1, len(X_train)))
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X_test[:, :-1])
    with pytest.raises(ValueError, match="shape"):
        fitted.predict(X_test[:, :, None].repeat(2, axis=2))
    with pytest.raises(ValueError, match="images"):
        clf.fit(np.zeros((4, 8, 8, 1)), ["a", "b", "a", "b"])


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"model": "no_such_net"}, ValueError, "cnn1d"),
        ({"epochs": 0}, ValueError, "`epochs`"),
        ({"epochs": 2.5}, TypeError, "`epochs`"),
        ({"learning_rate": -1.0}, ValueError, "`learning_rate`"),
        ({"learning_rate": "fast"}, ValueError, "`learning_rate`"),
        ({"schedule": "linear"}, ValueError, "`schedule`"),
        ({"optimizer": "adagradx"}, ValueError, "`optimizer`"),
        ({"class_weight": {"nope": 2.0}}, ValueError, "`class_weight`"),
        ({"fit__epochs": 3}, ValueError, "fit__epochs"),
    ],
)
def test_bad_parameters_are_reported_at_fit(data, params, error, match):
    X_train, _, y_train, _ = data
    with pytest.raises(error, match=match):
        CNNClassifier(**{**FAST, "epochs": 1, **params}).fit(X_train, y_train)


def test_predict_before_fit_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CNNClassifier().predict(np.zeros((2, 8)))


def test_verbose_1_draws_one_progress_bar_over_epochs(data, capsys):
    X_train, _, y_train, _ = data
    CNNClassifier(**{**FAST, "epochs": 3}, verbose=1).fit(X_train, y_train)
    out = capsys.readouterr().out
    assert "3/3" in out and "loss" in out
    assert "1/3" in out or "epoch" in out
