"""PLSDAClassifier against scikit-learn's PLSRegression on one-hot targets."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.datasets import make_spectra
from specauth.estimators import PLSDAClassifier


@pytest.fixture(scope="module")
def data():
    d = make_spectra(n_classes=3, n_samples_per_class=20, length=64, random_state=0)
    return d.X, d.y


def _one_hot(y):
    return (np.asarray(y)[:, None] == np.unique(y)).astype(float)


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("k", [1, 3, 6])
def test_decision_function_is_the_pls_prediction_of_the_indicators(data, scale, k):
    X, y = data
    clf = PLSDAClassifier(k, scale=scale).fit(X, y)
    reference = PLSRegression(n_components=k, scale=scale).fit(X, _one_hot(y))
    expected = reference.predict(X)
    assert clf.decision_function(X) == pytest.approx(expected, abs=1e-6)
    assert np.array_equal(clf.predict(X), clf.classes_[expected.argmax(axis=1)])
    assert clf.n_components_ == k


def test_transform_gives_the_pls_scores(data):
    X, y = data
    clf = PLSDAClassifier(4).fit(X, y)
    scores = PLSRegression(n_components=4).fit(X, _one_hot(y)).transform(X)
    ours = clf.transform(X)
    signs = np.sign(np.sum(ours * scores, axis=0))  # a component may flip sign
    assert ours * signs == pytest.approx(scores, abs=1e-5)


def test_head_maps_the_scores_to_the_decision(data):
    X, y = data
    clf = PLSDAClassifier(5).fit(X, y)
    weight, bias = clf.head_weights()
    assert weight.shape == (5, 3) and bias.shape == (3,)
    assert clf.transform(X) @ weight + bias == pytest.approx(
        clf.decision_function(X), abs=1e-12
    )


def test_string_labels_and_accuracy():
    d = make_spectra(n_classes=3, n_samples_per_class=25, length=128, random_state=1)
    labels = np.array(["quartz", "calcite", "gypsum"])[
        np.unique(d.y, return_inverse=True)[1]
    ]
    clf = PLSDAClassifier(6).fit(d.X[::2], labels[::2])
    assert set(clf.classes_) == {"quartz", "calcite", "gypsum"}
    assert clf.score(d.X[1::2], labels[1::2]) > 0.9


def test_components_are_lowered_to_what_the_data_support():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 40)), np.array([0, 1] * 3)
    with pytest.warns(UserWarning, match="n_components=10.*using 5"):
        clf = PLSDAClassifier().fit(X, y)
    assert clf.n_components_ == 5


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_components": 0}, "`n_components`"),
        ({"n_components": 2.5}, "`n_components`"),
        ({"scale": "yes"}, "`scale`"),
    ],
)
def test_bad_parameters(data, params, message):
    with pytest.raises((ValueError, TypeError), match=message):
        PLSDAClassifier(**params).fit(*data)


def test_one_class_is_refused(data):
    X, _ = data
    with pytest.raises(ValueError, match="at least 2 classes"):
        PLSDAClassifier(2).fit(X, np.zeros(len(X)))


def test_mixed_labels_are_refused(data):
    X, _ = data
    with pytest.raises(ValueError, match="mixes label types"):
        PLSDAClassifier(2).fit(X[:4], np.array(["a", 1, "a", 1], dtype=object))


def test_unfitted_and_wrong_width(data):
    X, y = data
    with pytest.raises(NotFittedError):
        PLSDAClassifier().transform(X)
    clf = PLSDAClassifier(2).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :10])


def test_inputs_are_not_modified(data):
    X, y = data
    X_copy, y_copy = X.copy(), y.copy()
    PLSDAClassifier(3).fit(X, y).predict(X)
    assert np.array_equal(X, X_copy) and np.array_equal(y, y_copy)


@parametrize_with_checks([PLSDAClassifier(n_components=2)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
