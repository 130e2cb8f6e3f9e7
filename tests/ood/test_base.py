"""Contract shared by every detector: inputs, threshold, errors, model mode."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from specauth.ood import DIME, Energy, KNNDetector, Mahalanobis, MaxLogit
from specauth.ood._base import batched_call
from tests.ood.conftest import (
    DETECTOR_NAMES,
    HEAD_DETECTORS,
    fit_toy,
    inputs_of,
    make_detector,
)

# ------------------------------------------------------------------ threshold

#: Detectors whose threshold is set on their in-sample training scores.
IN_SAMPLE = ("Energy", "MaxSoftmax", "MaxLogit", "GEN", "FDBD", "ReAct", "ASH", "SCALE")


@pytest.mark.parametrize("name", DETECTOR_NAMES)
@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.29, 0.5])
def test_every_detector_rejects_floor_alpha_n_training_points(toy, name, alpha):
    det = fit_toy(make_detector(name, toy, alpha=alpha), toy)
    n = toy.y.size
    expected = math.floor(alpha * n + 1e-9)  # 0.29 * 120 = 34.8 -> 34
    assert (det.calibration_scores_ < det.threshold_).sum() == expected
    assert det.calibration_scores_.dtype == np.float64
    assert np.all(np.diff(det.calibration_scores_) >= 0)
    rejected = (det.predict(inputs_of(det, toy)) == -1).sum()
    if name in ("KNNDetector", "NNGuide"):
        # Training scores are leave-one-out; each point finds itself when
        # scored again, so it can only score higher.
        assert rejected <= expected
    elif name in IN_SAMPLE:
        # In-sample training scores: predict rejects exactly those points.
        assert rejected == expected
    # Mahalanobis, RMD, DIME and ViM set it on out-of-fold scores, which the
    # final fit need not reproduce on its own training points (test_cross_fit.py).


def test_alpha_rounding_is_robust():
    scores = np.arange(100.0)[:, None]
    det = MaxLogit(alpha=0.29).fit(scores)
    assert det.threshold_ == 28.5  # 0.29 * 100 = 28.999999999999996 in floats
    assert (det.predict(scores) == -1).sum() == 29


def test_threshold_is_halfway_across_the_gap():
    logits = np.array([[4.0], [0.0], [1.0], [3.0], [7.0]])
    det = MaxLogit(alpha=0.5).fit(logits)  # k = 2: between 1 and 3
    assert det.threshold_ == 2.0
    np.testing.assert_array_equal(det.predict(logits), [1, -1, -1, 1, 1])
    det = MaxLogit(alpha=0.1).fit(logits)  # k = 0: half the gap below 0
    assert det.threshold_ == -0.5
    assert (det.predict(logits) == 1).all()


def test_accepts_is_the_rule_predict_applies():
    logits = np.array([[4.0], [0.0], [1.0], [3.0], [7.0]])
    det = MaxLogit(alpha=0.5).fit(logits)  # threshold 2.0
    accepted = det.accepts([2.0, 1.999, 7.0])
    assert accepted.dtype == bool and accepted.tolist() == [True, False, True]
    np.testing.assert_array_equal(
        det.accepts(det.score_samples(logits)), det.predict(logits) == 1
    )
    with pytest.raises(NotFittedError):
        MaxLogit().accepts([1.0])


def test_ties_across_the_gap_reject_fewer():
    logits = np.array([[0.0], [1.0], [1.0], [1.0], [2.0]])
    det = MaxLogit(alpha=0.5).fit(logits)  # k = 2, sorted[1] == sorted[2] == 1
    assert det.threshold_ == 1.0
    assert (det.predict(logits) == -1).sum() == 1


def test_training_points_do_not_flip_with_rounding(toy):
    det = Mahalanobis().fit(toy.features, toy.y)
    full = det.predict(toy.features)
    one_by_one = np.concatenate([det.predict(row[None, :]) for row in toy.features])
    np.testing.assert_array_equal(full, one_by_one)


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_scores_decision_predict_percentile_agree(toy, name):
    det = fit_toy(make_detector(name, toy), toy)
    Z = np.vstack([inputs_of(det, toy), inputs_of(det, toy, ood=True)])
    scores = det.score_samples(Z)
    assert scores.shape == (Z.shape[0],)
    np.testing.assert_array_equal(det.decision_function(Z), scores - det.threshold_)
    np.testing.assert_array_equal(
        det.predict(Z), np.where(scores >= det.threshold_, 1, -1)
    )
    expected = np.array([(det.calibration_scores_ <= s).mean() for s in scores])
    np.testing.assert_allclose(det.score_percentile(Z), expected)
    np.testing.assert_array_equal(det.score_inputs(Z), scores)
    assert det.offset_ == det.threshold_
    assert det.n_features_in_ == Z.shape[1]


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_detectors_separate_shifted_data(toy, name):
    params = {"n_components": 2} if name == "DIME" else {}
    det = fit_toy(make_detector(name, toy, **params), toy)
    scores_in = det.score_samples(inputs_of(det, toy))
    scores_out = det.score_samples(inputs_of(det, toy, ood=True))
    labels = np.r_[np.ones(scores_in.size), np.zeros(scores_out.size)]
    assert roc_auc_score(labels, np.r_[scores_in, scores_out]) > 0.95
    assert (det.predict(inputs_of(det, toy, ood=True)) == -1).mean() > 0.5


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", DETECTOR_NAMES)
@pytest.mark.parametrize("alpha", [0, 1, 1.5, -0.1])
def test_alpha_outside_open_unit_interval(toy, name, alpha):
    det = make_detector(name, toy, alpha=alpha)
    with pytest.raises(ValueError, match=rf"`alpha`.*\(0, 1\); got {alpha}"):
        fit_toy(det, toy)


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_not_fitted(toy, name):
    det = make_detector(name, toy)
    Z = inputs_of(det, toy)
    for method in ("score_samples", "decision_function", "predict", "score_percentile"):
        with pytest.raises(NotFittedError):
            getattr(det, method)(Z)
    with pytest.raises(NotFittedError):
        det.score_inputs(Z)


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_wrong_width_names_both(toy, name):
    det = fit_toy(make_detector(name, toy), toy)
    Z = inputs_of(det, toy)
    wider = np.hstack([Z, Z[:, :1]])
    width, fitted = wider.shape[1], Z.shape[1]
    with pytest.raises(ValueError, match=rf"{width} features.*{fitted} features"):
        det.score_samples(wider)
    with pytest.raises(ValueError, match=rf"{width} features.*{fitted} features"):
        det.score_inputs(wider)


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_nan_and_1d_inputs(toy, name):
    det = make_detector(name, toy)
    Z = inputs_of(det, toy).copy()
    Z[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        det.fit(Z, toy.y)
    fit_toy(det, toy)
    with pytest.raises(ValueError, match="NaN"):
        det.score_samples(Z)
    with pytest.raises(ValueError, match="NaN"):
        det.score_inputs(Z)
    with pytest.raises(ValueError, match="2D"):
        det.score_samples(inputs_of(det, toy)[0])
    with pytest.raises(ValueError, match="2D"):
        det.fit(inputs_of(det, toy)[:, 0], toy.y)


def test_fit_needs_two_samples():
    with pytest.raises(ValueError, match="minimum of 2"):
        Energy().fit([[1.0, 2.0]])


def test_inputs_are_not_modified(toy):
    features = toy.features.copy()
    det = DIME().fit(features)
    det.score_samples(features)
    np.testing.assert_array_equal(features, toy.features)


# ---------------------------------------------------------------- model mode


def _weights(model):
    return [w.copy() for w in model.network_.get_weights()]


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_model_mode_equals_precomputed_inputs(fitted_cnn, spectra, name):
    X, y = spectra.X, spectra.y
    before = _weights(fitted_cnn)
    det = make_detector(name, None)
    det.set_params(model=fitted_cnn)
    det.fit(X, y)
    Z = fitted_cnn.logits(X) if det.input_kind == "logits" else fitted_cnn.transform(X)
    if name in HEAD_DETECTORS:
        weight, bias = fitted_cnn.head_weights()
        reference = make_detector(name, None, weight=weight, bias=bias)
        reference.fit(Z, y)  # y: same folds
    else:
        reference = make_detector(name, None).fit(Z, y)
    np.testing.assert_allclose(det.score_samples(X), reference.score_samples(Z))
    np.testing.assert_allclose(det.calibration_scores_, reference.calibration_scores_)
    assert det.threshold_ == pytest.approx(reference.threshold_)
    np.testing.assert_allclose(det.score_inputs(Z), reference.score_samples(Z))
    assert det.n_features_in_ == Z.shape[1]
    for old, new in zip(before, _weights(fitted_cnn), strict=True):
        np.testing.assert_array_equal(old, new)


def test_model_mode_wrong_spectrum_length(fitted_cnn, spectra):
    det = Energy(model=fitted_cnn).fit(spectra.X)
    with pytest.raises(ValueError, match="32 features.*64 features"):
        det.score_samples(spectra.X[:, :32])


def test_mahalanobis_uses_model_predictions_without_y(fitted_cnn, spectra):
    det = Mahalanobis(model=fitted_cnn).fit(spectra.X)
    predicted = fitted_cnn.predict(spectra.X)
    np.testing.assert_array_equal(det.classes_, np.unique(predicted))
    reference = Mahalanobis().fit(fitted_cnn.transform(spectra.X), predicted)
    np.testing.assert_allclose(det.means_, reference.means_)


def test_unfitted_model_is_refused(spectra):
    from specauth.estimators import CNNClassifier

    with pytest.raises(NotFittedError):
        Energy(model=CNNClassifier("cnn1d_small")).fit(spectra.X)


class _CountingModel:
    """A stand-in classifier: features = X, logits = X @ ones; counts calls."""

    def __init__(self):
        self.calls = []

    def transform(self, X):
        self.calls.append(len(X))
        return np.asarray(X, dtype=float)

    def logits(self, X):
        self.calls.append(len(X))
        return np.asarray(X, dtype=float) @ np.ones((2, 3))


def test_model_is_called_in_batches_of_1024():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2500, 2))
    model = _CountingModel()
    det = KNNDetector(model=model).fit(X)
    assert model.calls == [1024, 1024, 452]
    np.testing.assert_allclose(
        det.score_samples(X[:10]), KNNDetector().fit(X).score_samples(X[:10])
    )
    model.calls.clear()
    MaxLogit(model=model).fit(X)
    assert model.calls == [1024, 1024, 452]


def test_model_without_method_is_a_type_error():
    with pytest.raises(TypeError, match="logits"):
        Energy(model=object()).fit(np.ones((4, 2)))


def test_batched_call_concatenates_blocks():
    seen = []

    def method(block):
        seen.append(block.shape[0])
        return block[:, ::-1]

    X = np.arange(10).reshape(5, 2)
    np.testing.assert_array_equal(batched_call(method, X, batch_size=2), X[:, ::-1])
    assert seen == [2, 2, 1]


def test_clone_keeps_the_fitted_model(fitted_cnn, spectra):
    det = Energy(model=fitted_cnn, temperature=2.0)
    copy = clone(det)
    assert copy.model is fitted_cnn
    assert copy.get_params()["temperature"] == 2.0
    copy.fit(spectra.X)  # works without refitting the model
    assert not hasattr(det, "threshold_")


def test_calibrate_resets_the_threshold_on_held_out_scores():
    from specauth.ood import Energy

    rng = np.random.default_rng(0)
    train = rng.normal(size=(50, 3)) + [6.0, 0.0, 0.0]
    held = rng.normal(size=(40, 3)) + [4.0, 0.0, 0.0]
    det = Energy(alpha=0.1).fit(train)
    before = det.threshold_
    det.calibrate(held)
    scores = np.sort(det.score_samples(held))
    assert det.threshold_ != before
    assert scores[3] < det.threshold_ < scores[4]  # floor(0.1 * 40) = 4 rejected
    np.testing.assert_array_equal(det.calibration_scores_, scores)
    assert int((det.predict(held) == -1).sum()) == 4
    with pytest.raises(ValueError, match="at least 2"):
        det.calibrate(held[:1])


# ---------------------------------------------------- deprecated train_scores_
@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_train_scores_is_a_deprecated_alias_of_calibration_scores(toy, name):
    det = fit_toy(make_detector(name, toy, alpha=0.1), toy)
    with pytest.warns(FutureWarning, match="renamed `calibration_scores_`"):
        old = det.train_scores_
    assert old is det.calibration_scores_
    assert "train_scores_" not in det.get_fitted_state()
    unfitted = make_detector(name, toy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for a missing attribute
        assert not hasattr(unfitted, "train_scores_")


def _saved_before_the_rename(det):
    """``det``'s fitted state as specauth 0.1 saved it (``train_scores_``)."""
    state = det.get_fitted_state()
    state["train_scores_"] = state.pop("calibration_scores_")
    return state


def test_state_and_pickles_saved_with_train_scores_load(toy):
    det = fit_toy(make_detector("KNNDetector", toy, alpha=0.1), toy)
    Z = inputs_of(det, toy)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        restored = clone(det).set_fitted_state(_saved_before_the_rename(det))
        old = clone(det)
        vars(old).update(_saved_before_the_rename(det))  # an 0.1 object
        unpickled = pickle.loads(pickle.dumps(old))
    for loaded in (restored, unpickled):
        assert "train_scores_" not in vars(loaded)
        np.testing.assert_array_equal(
            loaded.calibration_scores_, det.calibration_scores_
        )
        np.testing.assert_array_equal(
            loaded.score_percentile(Z), det.score_percentile(Z)
        )
        np.testing.assert_array_equal(loaded.predict(Z), det.predict(Z))


def test_shared_docstring_paragraphs_are_filled_in():
    # Each detector names the shared paragraphs as %(name)s; BaseDetector's
    # __init_subclass__ fills them, so users and Sphinx read the full text.
    import specauth.ood as ood
    from specauth.ood import list_detectors

    for name in list_detectors():
        cls = type(ood.make_detector(name))
        doc = cls.__doc__
        assert "%(" not in doc, cls.__name__
        assert "alpha : float, default=0.05\n        Fraction of the training" in doc


def test_alpha_next_to_one_rejects_all_but_the_best_point():
    # floor(alpha * n + 1e-9) reached n and indexed past the scores (issue 14).
    logits = np.array([[1.0], [2.0], [3.0]])
    det = MaxLogit(alpha=1.0 - 1e-12).fit(logits)
    assert det.threshold_ == 2.5
    np.testing.assert_array_equal(det.predict(logits), [-1, -1, 1])
