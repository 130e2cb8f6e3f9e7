"""Where OpenSetClassifier finds an embedding, a linear head and logits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from specauth.estimators import PLSDAClassifier
from specauth.openset._outputs import capabilities, embedding, head, logits


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(4, 12)) * 3.0
    y = np.repeat(np.arange(4), 25)
    return means[y] + rng.normal(size=(100, 12)), y


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("final", [LogisticRegression, RidgeClassifier])
def test_pipeline_head_reproduces_the_decision_function(blobs, n_classes, final):
    X, y = blobs
    keep = y < n_classes
    X, y = X[keep], y[keep]
    pipe = make_pipeline(StandardScaler(), final()).fit(X, y)
    features = embedding(pipe, X)
    assert features == pytest.approx(StandardScaler().fit_transform(X))
    weight, bias = head(pipe, features, X)
    assert weight.shape == (12, n_classes)
    scores = features @ weight + bias
    decision = pipe.decision_function(X)
    if n_classes == 2:  # one column d becomes [-d/2, d/2]
        assert scores == pytest.approx(np.column_stack([-decision, decision]) / 2)
    else:
        assert scores == pytest.approx(decision)
    assert np.array_equal(pipe.classes_[scores.argmax(axis=1)], pipe.predict(X))


def test_float32_spectra_keep_the_pipeline_head(pgaa_npz):
    # Reported by the issue-15 benchmark: float32 PGAA spectra through
    # StandardScaler + LogisticRegression; sklearn computes in float32, and
    # the old check (rtol 1e-6, atol 1e-8 x scale) refused the head.
    from specauth.datasets import PGAA_CNN_BINS, load_pgaa, pgaa_open_set_split
    from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer

    data = load_pgaa(pgaa_npz)
    split = pgaa_open_set_split(data.data, data.target)
    prep = make_pipeline(
        Crop(0, PGAA_CNN_BINS), SpectrumNormalizer("sum"), LogTransform(1e-7)
    )
    X = prep.fit_transform(split.X_train)
    assert X.dtype == np.float32
    pipe = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=5000, random_state=0)
    ).fit(X, split.y_train)
    features = embedding(pipe, X)
    weight, bias = head(pipe, features, X)
    np.testing.assert_allclose(
        features @ weight + bias,
        pipe.decision_function(X.astype(np.float64)),
        rtol=1e-3,
        atol=1e-3,
    )


def test_binary_logits_give_the_probabilities_back(blobs):
    X, y = blobs
    keep = y < 2
    clf = LogisticRegression().fit(X[keep], y[keep])
    assert softmax(logits(clf, X), axis=1) == pytest.approx(clf.predict_proba(X))


def test_a_nonlinear_final_step_has_no_head(blobs):
    # A one-vs-one SVC has coef_ and decision_function, but its decision is
    # not coef_ applied to the embedding: the check on the data refuses it.
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), SVC(kernel="linear")).fit(X, y)
    assert hasattr(pipe[-1], "coef_")
    assert head(pipe, embedding(pipe, X), X) is None
    assert capabilities(pipe).logits == "decision_function"


def test_probabilities_only(blobs):
    X, y = blobs
    forest = RandomForestClassifier(20, random_state=0).fit(X, y)
    assert capabilities(forest) == (False, "predict_proba")
    scores = logits(forest, X)
    assert softmax(scores, axis=1) == pytest.approx(forest.predict_proba(X))
    assert np.all(np.isfinite(scores))  # zero probabilities are clipped


def test_specauth_head_inside_a_pipeline(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), PLSDAClassifier(3)).fit(X, y)
    weight, bias = head(pipe)  # no check needed: head_weights() is exact
    expected = pipe[-1].head_weights()
    assert weight == pytest.approx(expected[0]) and bias == pytest.approx(expected[1])
    features = embedding(pipe, X)
    assert features.shape == (100, 3)
    assert features @ weight + bias == pytest.approx(pipe.decision_function(X))


def test_no_embedding_and_no_scores():
    class Bare:
        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.zeros(len(X))

    assert capabilities(Bare()) == (False, None)
    with pytest.raises(TypeError, match="Bare has no embedding"):
        embedding(Bare(), np.zeros((2, 3)))
    with pytest.raises(TypeError, match="Bare gives no class scores"):
        logits(Bare(), np.zeros((2, 3)))
