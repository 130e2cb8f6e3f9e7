"""Interpretation: numbers against sklearn/numpy, open set, streaming, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report, confusion_matrix, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils import Bunch

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.explain.interpretation import Interpretation
from specauth.ood import KNNDetector
from specauth.openset import OpenSetClassifier, figures_of_merit


def _cnn():
    return CNNClassifier("cnn1d_small", epochs=3, random_state=0)


@pytest.fixture(scope="module")
def data():
    d = make_spectra(
        n_classes=3,
        n_samples_per_class=20,
        length=128,
        n_unknown_classes=1,
        shared_peaks=3,
        n_peaks=1,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        d.X, d.y, test_size=0.4, stratify=d.y, random_state=0
    )
    X_mix = np.concatenate([X_test, d.X_unknown[:8]])
    y_mix = np.concatenate([y_test, d.y_unknown[:8]])
    return Bunch(X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
                 X_mix=X_mix, y_mix=y_mix, unseen=d.y_unknown[0])  # fmt: skip


@pytest.fixture(scope="module")
def pipe(data):
    """A closed-set Pipeline: a transform step, then a CNNClassifier."""
    return make_pipeline(FunctionTransformer(np.log1p), _cnn()).fit(
        data.X_train, data.y_train
    )


@pytest.fixture(scope="module")
def interp(pipe, data):
    return Interpretation.from_estimator(pipe, data.X_test, data.y_test, batch_size=7)


@pytest.fixture(scope="module")
def osc(data):
    clf = OpenSetClassifier(_cnn(), KNNDetector(alpha=0.1), cache=False)
    return clf.fit(data.X_train, data.y_train)


@pytest.fixture(scope="module")
def open_interp(osc, data):
    return Interpretation.from_estimator(osc, data.X_mix, data.y_mix, batch_size=5)


def _hand_made(**kw):
    """a a a b b c: two a->b, one b->a, one c->a."""
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "b", "b", "a", "b", "a"]
    losses = [0.1, 2.0, 1.0, 3.0, 0.2, 2.0]
    kw = {"classes": ["a", "b", "c"], "losses": losses, **kw}
    return Interpretation(
        y_true, y_pred, proba_true=np.exp(-np.array(losses)), proba_pred=[0.9] * 6, **kw
    )


# ----------------------------------------------------------- closed set
def test_per_sample_values_match_the_estimator(interp, pipe, data):
    proba = pipe.predict_proba(data.X_test)
    classes = pipe[-1].classes_
    true_col = np.searchsorted(classes, data.y_test)
    p_true = proba[np.arange(len(proba)), true_col]
    np.testing.assert_array_equal(interp.y_true, data.y_test)
    np.testing.assert_array_equal(interp.y_pred, pipe.predict(data.X_test))
    np.testing.assert_array_equal(interp.indices, np.arange(len(data.y_test)))
    np.testing.assert_allclose(interp.proba_true, p_true, rtol=1e-6)
    np.testing.assert_allclose(interp.proba_pred, proba.max(axis=1), rtol=1e-6)
    np.testing.assert_allclose(interp.losses, -np.log(p_true), rtol=1e-6)
    expected = log_loss(data.y_test, proba, labels=classes)
    assert interp.losses.mean() == pytest.approx(expected, rel=1e-6)
    assert interp.ood_scores is None


def test_pipeline_equals_final_step_on_transformed_data(interp, pipe, data):
    bare = Interpretation.from_estimator(pipe[-1], np.log1p(data.X_test), data.y_test)
    np.testing.assert_array_equal(bare.y_pred, interp.y_pred)
    np.testing.assert_allclose(bare.losses, interp.losses, rtol=1e-6)


def test_confusion_matrix_matches_sklearn(interp, pipe, data):
    cm = interp.confusion_matrix()
    classes = pipe[-1].classes_
    expected = confusion_matrix(data.y_test, pipe.predict(data.X_test), labels=classes)
    np.testing.assert_array_equal(cm.matrix, expected)
    assert cm.rows == cm.columns == classes.tolist()
    rates = interp.confusion_matrix(normalize="true").matrix
    np.testing.assert_allclose(rates, expected / expected.sum(axis=1, keepdims=True))
    share = interp.confusion_matrix(normalize="all").matrix
    assert share.sum() == pytest.approx(1.0)


def test_classification_report_matches_sklearn(interp, data):
    expected = classification_report(
        data.y_test, interp.y_pred, digits=3, zero_division=0
    )
    assert interp.classification_report(digits=3, zero_division=0) == expected
    as_dict = interp.classification_report(output_dict=True, zero_division=0)
    assert as_dict["accuracy"] == pytest.approx(np.mean(interp.y_pred == data.y_test))


def test_top_losses_are_the_largest_in_order(interp, data):
    worst = interp.top_losses(k=4)
    assert worst.losses.tolist() == sorted(interp.losses, reverse=True)[:4]
    # the indices point back into X and y: recompute independently
    np.testing.assert_array_equal(worst.actual, data.y_test[worst.indices])
    np.testing.assert_array_equal(worst.losses, interp.losses[worst.indices])
    np.testing.assert_array_equal(worst.predicted, interp.y_pred[worst.indices])
    assert len(interp.top_losses(k=1000).indices) == len(data.y_test)


def test_most_confused_by_hand():
    interp = _hand_made()
    assert interp.most_confused() == [("a", "b", 2), ("b", "a", 1), ("c", "a", 1)]
    assert interp.most_confused(min_count=2) == [("a", "b", 2)]
    worst = interp.top_losses(k=3)
    assert worst.indices.tolist() == [3, 1, 5]  # ties (2.0, 2.0) keep data order
    np.testing.assert_allclose(worst.proba_true, np.exp(-worst.losses))


def test_most_confused_agrees_with_the_matrix(interp):
    cm = interp.confusion_matrix()
    off_diagonal = cm.matrix.sum() - np.trace(cm.matrix)
    assert sum(count for *_, count in interp.most_confused()) == off_diagonal
    counts = [count for *_, count in interp.most_confused()]
    assert counts == sorted(counts, reverse=True)


def test_works_for_any_predict_proba_classifier(data):
    clf = LogisticRegression(max_iter=200).fit(np.log1p(data.X_train), data.y_train)
    interp = Interpretation.from_estimator(clf, np.log1p(data.X_test), data.y_test)
    proba = clf.predict_proba(np.log1p(data.X_test))
    assert interp.losses.mean() == pytest.approx(log_loss(data.y_test, proba))


# ------------------------------------------------------------- open set
def test_open_set_values_match_the_estimator(open_interp, osc, data):
    never = ~np.isin(data.y_mix, osc.classes_)
    np.testing.assert_array_equal(open_interp.y_pred, osc.predict(data.X_mix))
    assert 0 < np.sum(open_interp.y_pred == "unknown") < len(never)  # both kinds
    np.testing.assert_allclose(
        open_interp.ood_scores, osc.score_samples(data.X_mix), rtol=1e-6
    )
    assert open_interp.unknown_label == "unknown"
    # losses and proba_true are NaN exactly for the never-trained samples
    np.testing.assert_array_equal(np.isnan(open_interp.losses), never)
    proba = osc.predict_proba(data.X_mix[~never])
    cols = np.searchsorted(osc.classes_, data.y_mix[~never])
    p_true = proba[np.arange(len(cols)), cols]
    np.testing.assert_allclose(open_interp.losses[~never], -np.log(p_true), rtol=1e-6)
    np.testing.assert_allclose(
        open_interp.proba_pred, osc.predict_proba(data.X_mix).max(1)
    )


def test_open_set_confusion_matrix_has_unknown(open_interp, osc, data):
    cm = open_interp.confusion_matrix()
    fom = figures_of_merit(osc.predict(data.X_mix), data.y_mix, osc.classes_)
    np.testing.assert_array_equal(cm.matrix, fom["confusion_matrix"])
    assert cm.columns == [*osc.classes_.tolist(), "unknown"]
    assert cm.rows == [*osc.classes_.tolist(), str(data.unseen)]
    assert cm.matrix[-1].sum() == 8


def test_open_set_top_losses_skip_never_trained(open_interp, osc):
    worst = open_interp.top_losses(k=1000)
    assert len(worst.indices) == np.sum(~np.isnan(open_interp.losses))
    assert set(worst.actual) <= set(osc.classes_)


def test_open_set_report_has_unknown_row(open_interp, osc, data):
    report = open_interp.classification_report(output_dict=True, zero_division=0)
    assert report["unknown"]["support"] == 8
    mapped = np.where(np.isin(data.y_mix, osc.classes_), data.y_mix, "unknown")
    expected = classification_report(
        mapped, open_interp.y_pred, output_dict=True, zero_division=0
    )
    assert report == expected


def test_open_set_most_confused_by_hand():
    """x, never trained: rejected is right, accepted as a is a confusion."""
    interp = Interpretation(
        ["a", "a", "b", "x", "x", "x"],
        ["a", "unknown", "b", "unknown", "unknown", "a"],
        classes=["a", "b"],
        losses=[0.1, 0.5, 0.2, np.nan, np.nan, np.nan],
        proba_true=[0.9, 0.6, 0.8, np.nan, np.nan, np.nan],
        proba_pred=[0.9, 0.6, 0.8, 0.7, 0.5, 0.9],
        ood_scores=[1, 0, 1, 0, 0, 1],
        unknown_label="unknown",
    )
    assert interp.most_confused() == [("a", "unknown", 1), ("x", "a", 1)]
    assert interp.confusion_matrix().matrix.tolist() == [
        [1, 0, 1],
        [0, 1, 0],
        [1, 0, 2],
    ]
    assert interp.top_losses().indices.tolist() == [1, 2, 0]
    report = interp.classification_report(output_dict=True)
    assert report["unknown"]["precision"] == pytest.approx(2 / 3)


def test_integer_classes_with_a_string_unknown_label():
    interp = Interpretation(
        [0, 1, 2, 2],
        [0, "unknown", "unknown", 1],
        classes=np.array([0, 1]),
        losses=[0.1, 0.5, np.nan, np.nan],
        proba_true=[0.9, 0.6, np.nan, np.nan],
        proba_pred=[0.9, 0.6, 0.7, 0.8],
        unknown_label="unknown",
    )
    assert interp.y_true.dtype.kind == "i" and interp.y_pred.dtype == object
    cm = interp.confusion_matrix()
    assert cm.rows == [0, 1, 2] and cm.columns == [0, 1, "unknown"]
    assert interp.most_confused() == [(1, "unknown", 1), (2, 1, 1)]
    report = interp.classification_report(output_dict=True, zero_division=0)
    assert report["unknown"]["support"] == 2 and report["0"]["recall"] == 1.0


# ------------------------------------------------------------ streaming
class _OnePassBatches:
    """An iterable of (X, y) batches that counts how it is consumed."""

    def __init__(self, X, y, size):
        self.X, self.y, self.size = X, y, size
        self.iterations = 0
        self.served = 0

    def __iter__(self):
        self.iterations += 1
        for start in range(0, len(self.y), self.size):
            self.served += 1
            yield self.X[start : start + self.size], self.y[start : start + self.size]


def test_streaming_consumes_once_and_keeps_no_spectra(interp, pipe, data):
    batches = _OnePassBatches(data.X_test, data.y_test, size=5)
    streamed = Interpretation.from_estimator(pipe, batches)
    assert batches.iterations == 1
    assert batches.served == -(-len(data.y_test) // 5)
    np.testing.assert_array_equal(streamed.y_pred, interp.y_pred)
    np.testing.assert_allclose(streamed.losses, interp.losses, rtol=1e-6)
    np.testing.assert_array_equal(streamed.indices, np.arange(len(data.y_test)))
    n = len(data.y_test)
    arrays = [v for v in vars(streamed).values() if isinstance(v, np.ndarray)]
    per_sample = [a for a in arrays if a is not streamed.classes]
    assert all(a.shape == (n,) for a in per_sample)  # O(n), nothing (n, n_points)
    assert sum(a.nbytes for a in arrays) < data.X_test.nbytes / 4


def test_generator_is_consumed_and_inputs_untouched(pipe, data):
    X = data.X_test.copy()
    gen = ((X[i : i + 4], data.y_test[i : i + 4]) for i in range(0, len(X), 4))
    assert len(Interpretation.from_estimator(pipe, gen)) == len(X)
    assert next(gen, None) is None
    np.testing.assert_array_equal(X, data.X_test)


# ------------------------------------------------------------- bad input
def test_bad_data(pipe, data):
    X, y = data.X_test, data.y_test
    with pytest.raises(ValueError, match="same number of samples; got 24 and 23"):
        Interpretation.from_estimator(pipe, X, y[:-1])
    with pytest.raises(ValueError, match="at least one sample"):
        Interpretation.from_estimator(pipe, X[:0], y[:0])
    with pytest.raises(ValueError, match="at least one sample"):
        Interpretation.from_estimator(pipe, iter([]))
    with pytest.raises(ValueError, match="`y` is required"):
        Interpretation.from_estimator(pipe, X)
    with pytest.raises(ValueError, match="pairs; batch 0"):
        Interpretation.from_estimator(pipe, [X[0], X[1]])
    with pytest.raises(ValueError, match="Batch 0 must hold as many"):
        Interpretation.from_estimator(pipe, [(X[:3], y[:2])])
    with pytest.raises(ValueError, match="`y` must be a 1D"):
        Interpretation.from_estimator(pipe, X, y[:, None])
    with pytest.raises(TypeError, match="iterable of"):
        Interpretation.from_estimator(pipe, 3)


def test_never_trained_label_closed_set(pipe, data):
    with pytest.raises(ValueError, match="never trained on: \\['phase_3'\\]"):
        Interpretation.from_estimator(pipe, data.X_mix, data.y_mix)


def test_bad_estimator_and_arguments(interp, data):
    X, y = data.X_test, data.y_test
    with pytest.raises(NotFittedError):
        Interpretation.from_estimator(_cnn(), X, y)
    with pytest.raises(NotFittedError):
        Interpretation.from_estimator(OpenSetClassifier(), X, y)
    with pytest.raises(TypeError, match="predict_proba"):
        Interpretation.from_estimator(StandardScaler().fit(X), X, y)
    with pytest.raises(
        ValueError, match=r"`batch_size` must be an int in \[1, inf\); got 0"
    ):
        Interpretation.from_estimator(_cnn(), X, y, batch_size=0)
    with pytest.raises(TypeError, match="`batch_size`"):
        Interpretation.from_estimator(_cnn(), X, y, batch_size=2.0)
    with pytest.raises(ValueError, match=r"`k` must be an int in \[1, inf\); got 0"):
        interp.top_losses(k=0)
    with pytest.raises(TypeError, match="`k`"):
        interp.top_losses(k=1.5)
    with pytest.raises(ValueError, match=r"`min_count` must be an int in \[1, inf\)"):
        interp.most_confused(min_count=0)
    with pytest.raises(ValueError, match="`normalize` must be one of"):
        interp.confusion_matrix(normalize="rows")


def test_constructor_checks():
    with pytest.raises(
        ValueError, match=r"`losses` must be a 1D array of shape \(6,\)"
    ):
        _hand_made(losses=[1.0])
    with pytest.raises(ValueError, match="`y_true` must hold only the classes"):
        _hand_made(classes=["a", "b"])
    with pytest.raises(ValueError, match="same number"):
        Interpretation([], [], classes=["a"], losses=[], proba_true=[], proba_pred=[])
    assert repr(_hand_made()) == "Interpretation(n_samples=6, n_classes=3, closed)"
