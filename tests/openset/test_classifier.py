"""OpenSetClassifier: open-set predictions, nesting, tuning, caching, bad input."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.ood import DIME, Energy, MaxSoftmax
from specauth.openset import OpenSetClassifier, clear_classifier_cache
from specauth.preprocessing import LogTransform, SpectrumNormalizer


def _clf(**kw):
    params = dict(epochs=12, batch_size=16, learning_rate=1e-2, random_state=0)
    return CNNClassifier("cnn1d_small", **{**params, **kw})


@pytest.fixture(scope="module")
def data():
    d = make_spectra(
        n_classes=3,
        n_samples_per_class=30,
        length=128,
        n_unknown_classes=2,
        random_state=3,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        d.X, d.y, test_size=0.3, stratify=d.y, random_state=0
    )
    return X_train, X_test, y_train, y_test, d.X_unknown, d.y_unknown


@pytest.fixture(scope="module")
def fitted(data):
    X_train, _, y_train, *_ = data
    return OpenSetClassifier(_clf(), Energy(alpha=0.05)).fit(X_train, y_train)


def test_predicts_known_labels_or_unknown(data, fitted):
    X_train, X_test, y_train, y_test, X_unk, y_unk = data
    labels = set(fitted.classes_) | {"unknown"}
    pred_test = fitted.predict(X_test)
    pred_unk = fitted.predict(X_unk)
    assert set(pred_test) <= labels and set(pred_unk) <= labels
    assert pred_test.dtype.kind == "U"
    # exactly floor(alpha * n) training spectra are rejected by construction
    n_rejected = np.sum(fitted.predict(X_train) == "unknown")
    assert n_rejected == int(np.floor(0.05 * len(X_train)))
    # the unknown classes are rejected far more often than known test spectra
    assert np.mean(pred_unk == "unknown") > np.mean(pred_test == "unknown") + 0.3


def test_consistency_of_scores_probabilities_and_predictions(data, fitted):
    X_test = data[1]
    scores = fitted.score_samples(X_test)
    decision = fitted.decision_function(X_test)
    np.testing.assert_allclose(scores - decision, fitted.detector_.threshold_)
    pred = fitted.predict(X_test)
    assert np.array_equal(pred == "unknown", decision < 0)
    proba = fitted.predict_proba(X_test)
    assert proba.shape == (len(X_test), len(fitted.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(
        proba, fitted.classifier_.predict_proba(X_test), rtol=1e-5, atol=1e-6
    )
    accepted = pred != "unknown"
    np.testing.assert_array_equal(
        pred[accepted], fitted.classifier_.predict(X_test)[accepted]
    )


def test_predict_details_is_predict_proba_and_scores_in_one_pass(data, fitted):
    X_test = data[1]
    details = fitted.predict_details(X_test)
    np.testing.assert_array_equal(details.labels, fitted.predict(X_test))
    np.testing.assert_array_equal(details.proba, fitted.predict_proba(X_test))
    np.testing.assert_array_equal(details.scores, fitted.score_samples(X_test))
    np.testing.assert_array_equal(
        details.accepted, fitted.decision_function(X_test) >= 0
    )
    assert 0 < details.accepted.sum() <= len(X_test)
    np.testing.assert_array_equal(details.labels == "unknown", ~details.accepted)


def test_set_fitted_state_refuses_what_is_not_a_fitted_sub_estimator(data, fitted):
    state = fitted.get_fitted_state()
    assert {"classifier_", "detector_", "classes_"} <= set(state)
    restored = clone(fitted).set_fitted_state(state)
    np.testing.assert_array_equal(restored.predict(data[1]), fitted.predict(data[1]))
    with pytest.raises(ValueError, match="'classifier_' of OpenSetClassifier must "):
        clone(fitted).set_fitted_state({**state, "classifier_": "hello"})
    with pytest.raises(ValueError, match="'detector_' .* must be a Energy; got DIME"):
        clone(fitted).set_fitted_state({**state, "detector_": DIME()})
    with pytest.raises(ValueError, match="OpenSetClassifier cannot hold a network"):
        clone(fitted).set_fitted_state({**state, "network_": object()})


def test_score_uses_figures_of_merit(data, fitted):
    from specauth.openset import figures_of_merit

    _, X_test, _, y_test, X_unk, y_unk = data
    X = np.vstack([X_test, X_unk])
    y = np.concatenate([y_test, y_unk])
    expected = figures_of_merit(
        fitted.predict(X), y, known_classes=fitted.classes_, unknown_label="unknown"
    )
    assert fitted.score(X, y) == pytest.approx(expected["TEFF"])
    tsps = clone(fitted).set_params(score_metric="TSPS")
    tsps.classifier_, tsps.detector_, tsps.classes_ = (
        fitted.classifier_,
        fitted.detector_,
        fitted.classes_,
    )
    assert tsps.score(X, y) == pytest.approx(expected["TSPS"])


def test_known_classes_leave_other_samples_out(data):
    X_train, _, y_train, *_ = data
    known = sorted(set(y_train))[:2]
    osc = OpenSetClassifier(_clf(epochs=3), MaxSoftmax(), known_classes=known)
    osc.fit(X_train, y_train)
    assert list(osc.classes_) == known
    assert osc.classifier_.n_features_in_ == X_train.shape[1]


def test_integer_labels_with_integer_unknown(data):
    X_train, X_test, y_train, *_ = data
    y_int = np.unique(y_train, return_inverse=True)[1]
    osc = OpenSetClassifier(_clf(epochs=3), Energy(alpha=0.2), unknown_label=-1)
    pred = osc.fit(X_train, y_int).predict(X_test)
    assert pred.dtype.kind == "i" and set(pred) <= {-1, 0, 1, 2}


def test_nested_params_clone_and_pickle(data, fitted):
    X_test = data[1]
    params = fitted.get_params()
    assert params["classifier__epochs"] == 12
    assert params["detector__alpha"] == 0.05
    other = clone(fitted).set_params(classifier__epochs=2, detector__alpha=0.1)
    assert other.classifier.epochs == 2 and other.detector.alpha == 0.1
    assert fitted.classifier.epochs == 12  # the original is untouched
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X_test), fitted.predict(X_test))
    np.testing.assert_allclose(
        restored.score_samples(X_test), fitted.score_samples(X_test)
    )


@pytest.mark.slow
def test_grid_search_tunes_network_and_detector_together(data):
    X_train, _, y_train, *_ = data
    clear_classifier_cache()
    search = GridSearchCV(
        OpenSetClassifier(_clf(epochs=2), DIME()),
        {"detector__alpha": [0.01, 0.05, 0.1], "classifier__epochs": [1, 2]},
        cv=2,
    ).fit(X_train, y_train)
    assert len(search.cv_results_["params"]) == 6
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.detector_.alpha in (0.01, 0.05, 0.1)


@pytest.mark.slow
def test_alpha_only_search_trains_one_network_per_fold(data, monkeypatch):
    X_train, _, y_train, *_ = data
    clear_classifier_cache()
    calls = []
    original = CNNClassifier.fit

    def counting_fit(self, X, y):
        calls.append(len(X))
        return original(self, X, y)

    monkeypatch.setattr(CNNClassifier, "fit", counting_fit)
    GridSearchCV(
        OpenSetClassifier(_clf(epochs=1), Energy()),
        {"detector__alpha": [0.01, 0.05, 0.1]},
        cv=3,
    ).fit(X_train, y_train)
    # 3 folds x 1 network each, plus the final refit on all the data
    assert len(calls) == 4


def test_cache_can_be_disabled(data, fit_calls):
    X_train, _, y_train, *_ = data
    clear_classifier_cache()
    calls = fit_calls
    for _ in range(2):
        OpenSetClassifier(_clf(epochs=1), Energy(), cache=False).fit(X_train, y_train)
    assert len(calls) == 2


def test_last_step_of_a_pipeline_with_an_oversampler(data):
    imblearn = pytest.importorskip("imblearn")
    X_train, X_test, y_train, *_ = data
    keep = np.r_[
        np.flatnonzero(y_train != y_train[0]), np.flatnonzero(y_train == y_train[0])[:5]
    ]
    pipe = imblearn.pipeline.make_pipeline(
        SpectrumNormalizer("sum"),
        LogTransform(),
        imblearn.over_sampling.RandomOverSampler(random_state=0),
        OpenSetClassifier(_clf(epochs=3), MaxSoftmax()),
    ).fit(X_train[keep], y_train[keep])
    assert pipe.predict(X_test).shape == (len(X_test),)
    sk = make_pipeline(
        SpectrumNormalizer("sum"),
        LogTransform(),
        OpenSetClassifier(_clf(epochs=3), MaxSoftmax()),
    )
    assert sk.fit(X_train, y_train).predict(X_test).shape == (len(X_test),)


# --------------------------------------------------------------- bad input
def test_bad_inputs(data, fitted):
    X_train, X_test, y_train, *_ = data
    with pytest.raises(ValueError, match="also a training class"):
        OpenSetClassifier(_clf(), Energy(), unknown_label=y_train[0]).fit(
            X_train, y_train
        )
    with pytest.raises(ValueError, match="at least 2 known classes"):
        OpenSetClassifier(_clf(), Energy(), known_classes=[y_train[0]]).fit(
            X_train, y_train
        )
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        OpenSetClassifier(_clf(), Energy()).fit(X_train, y_train[:-1])
    with pytest.raises(ValueError, match="score_metric"):
        OpenSetClassifier(_clf(), Energy(), score_metric="F1").fit(X_train, y_train)
    with pytest.raises(TypeError, match="detector"):
        OpenSetClassifier(_clf(), object()).fit(X_train, y_train)
    with pytest.raises(ValueError, match="alpha"):
        OpenSetClassifier(_clf(epochs=1), Energy(alpha=1.5)).fit(X_train, y_train)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X_test[:, :-3])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        OpenSetClassifier().predict(X_test)


def test_holdout_detector_calibration(data):
    X_train, X_test, y_train, *_ = data
    osc = OpenSetClassifier(
        _clf(epochs=3),
        Energy(alpha=0.1),
        calibrate_on="holdout",
        holdout_fraction=0.25,
    ).fit(X_train, y_train)
    n_holdout = int(np.ceil(0.25 * len(X_train)))
    assert len(osc.detector_.calibration_scores_) == n_holdout
    assert osc.classifier_.n_features_in_ == X_train.shape[1]
    # the threshold rejects exactly floor(alpha * n) of the held-out spectra
    held = np.sort(osc.detector_.calibration_scores_)
    k = int(np.floor(0.1 * n_holdout))
    assert held[k - 1] < osc.detector_.threshold_ < held[k]
    assert osc.predict(X_test).shape == (len(X_test),)
    with pytest.raises(ValueError, match="calibrate_on"):
        OpenSetClassifier(_clf(), Energy(), calibrate_on="test").fit(X_train, y_train)


# ------------------------------------------------ deprecated refit_detector_on
def test_refit_detector_on_is_a_deprecated_alias_of_calibrate_on(data):
    X_train, X_test, y_train, *_ = data
    params = dict(holdout_fraction=0.25)
    new = OpenSetClassifier(_clf(epochs=3), Energy(alpha=0.1), calibrate_on="holdout")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # the new name is silent
        new.set_params(**params).fit(X_train, y_train)
    old = OpenSetClassifier(
        _clf(epochs=3), Energy(alpha=0.1), refit_detector_on="holdout", **params
    )
    # scikit-learn's parameter protocol keeps the old keyword as it was given
    assert old.get_params()["refit_detector_on"] == "holdout"
    assert clone(old).get_params()["refit_detector_on"] == "holdout"
    assert OpenSetClassifier().get_params()["refit_detector_on"] == "deprecated"
    assert (
        OpenSetClassifier().set_params(refit_detector_on="holdout").refit_detector_on
        == "holdout"
    )
    with pytest.warns(FutureWarning, match="renamed `calibrate_on`.*'holdout'"):
        old.fit(X_train, y_train)  # same network (cache): same threshold
    assert old.detector_.threshold_ == new.detector_.threshold_
    np.testing.assert_array_equal(
        old.detector_.calibration_scores_, new.detector_.calibration_scores_
    )
    np.testing.assert_array_equal(old.predict(X_test), new.predict(X_test))
    # the old keyword wins over calibrate_on, and is checked under its own name
    with pytest.warns(FutureWarning):
        overridden = OpenSetClassifier(
            _clf(epochs=3), Energy(alpha=0.1), refit_detector_on="train", **params
        ).fit(X_train, y_train)
    assert len(overridden.detector_.calibration_scores_) == len(X_train)
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="refit_det"):
        OpenSetClassifier(_clf(), Energy(), refit_detector_on="test").fit(
            X_train, y_train
        )


@pytest.mark.parametrize("legacy", [False, True])
def test_parameter_protocol_checks_of_scikit_learn(legacy):
    from sklearn.utils import estimator_checks

    osc = OpenSetClassifier(**({"refit_detector_on": "holdout"} if legacy else {}))
    for name in (
        "check_parameters_default_constructible",
        "check_get_params_invariance",
        "check_set_params",
        "check_no_attributes_set_in_init",
        "check_estimator_cloneable",
        "check_estimator_repr",
    ):
        getattr(estimator_checks, name)("OpenSetClassifier", clone(osc))


def test_pickle_from_before_calibrate_on_loads(data, fitted):
    _, X_test, *_ = data
    old = pickle.loads(pickle.dumps(fitted))
    del old.calibrate_on  # an 0.1 object: only refit_detector_on
    old.refit_detector_on = "holdout"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        loaded = pickle.loads(pickle.dumps(old))
    assert loaded.get_params()["calibrate_on"] == "holdout"
    assert loaded.get_params()["refit_detector_on"] == "deprecated"
    np.testing.assert_array_equal(loaded.predict(X_test), fitted.predict(X_test))


# ------------------------------------------------- labels and input types
@pytest.mark.parametrize(
    "labels, match",
    [
        (["a", None, "b", "a", "b", "a"], r"`y` has missing labels .* at \[1\]"),
        (np.array(["a", 1, "b", 1, "a", "b"], dtype=object), "`y` mixes label types"),
        (["a", 1, "b", 1, "a", "b"], "`y` mixes label types"),
    ],
)
def test_missing_and_mixed_labels_get_one_clear_message(data, labels, match):
    X = data[0][:6]
    with pytest.raises(ValueError, match=match):
        OpenSetClassifier(_clf(epochs=1), Energy()).fit(X, labels)


def test_known_classes_absent_from_y_are_an_error(data):
    X_train, _, y_train, *_ = data
    known = [*sorted(set(y_train))[:2], "no-such-class"]
    with pytest.raises(ValueError, match=r"`known_classes` has classes \['no-such"):
        OpenSetClassifier(_clf(epochs=1), Energy(), known_classes=known).fit(
            X_train, y_train
        )
    with pytest.raises(ValueError, match="`known_classes` mixes label types"):
        OpenSetClassifier(_clf(epochs=1), Energy(), known_classes=["a", 1]).fit(
            X_train, y_train
        )


def test_x_none_and_sparse_x_are_refused_by_name(data):
    import scipy.sparse as sp

    X_train, _, y_train, *_ = data
    osc = OpenSetClassifier(_clf(epochs=1), Energy())
    with pytest.raises(TypeError, match="`X` must be an array-like .* got None"):
        osc.fit(None, y_train)
    for kind in (sp.csr_matrix, sp.csr_array):
        with pytest.raises(TypeError, match="OpenSetClassifier does not support sp"):
            osc.fit(kind(X_train), y_train)
    with pytest.raises(ValueError, match="`X` must be an array-like .* scalar"):
        osc.fit(3.0, y_train)


# ------------------------------------------------------ cache and sharing
def test_cache_hits_are_not_shared_between_open_set_classifiers(data, fit_calls):
    X_train, X_test, y_train, *_ = data
    clear_classifier_cache()
    calls = fit_calls
    first = OpenSetClassifier(_clf(epochs=1), Energy()).fit(X_train, y_train)
    second = OpenSetClassifier(_clf(epochs=1), Energy()).fit(X_train, y_train)
    assert len(calls) == 1  # a hit ...
    assert second.classifier_ is not first.classifier_  # ... but a copy
    assert second.classifier_.network_ is not first.classifier_.network_
    expected = first.classifier_.logits(X_test)
    np.testing.assert_array_equal(second.classifier_.logits(X_test), expected)
    np.testing.assert_array_equal(second.predict(X_test), first.predict(X_test))
    # change the first one's network in place (as fine-tuning would) ...
    network = first.classifier_.network_
    network.set_weights([np.zeros_like(w) for w in network.get_weights()])
    # ... the second one, and the next cache hit, keep the trained network
    np.testing.assert_array_equal(second.classifier_.logits(X_test), expected)
    third = OpenSetClassifier(_clf(epochs=1), Energy()).fit(X_train, y_train)
    assert len(calls) == 1
    np.testing.assert_array_equal(third.classifier_.logits(X_test), expected)
    # refitting one with other parameters leaves the others alone
    second.set_params(classifier__batch_size=8).fit(X_train, y_train)
    assert len(calls) == 2
    np.testing.assert_array_equal(third.classifier_.logits(X_test), expected)


@pytest.mark.slow  # two trainings; test_cache.py checks the rule without networks
def test_unseeded_classifiers_are_never_reused(data, fit_calls):
    X_train, _, y_train, *_ = data
    clear_classifier_cache()
    calls = fit_calls
    fits = [
        OpenSetClassifier(_clf(epochs=1, random_state=None), Energy()).fit(
            X_train, y_train
        )
        for _ in range(2)
    ]
    assert len(calls) == 2
    assert fits[0].classifier_ is not fits[1].classifier_


# ------------------------------------------------- any scikit-learn classifier
@pytest.fixture(scope="module")
def open_data():
    return make_spectra(
        n_classes=4,
        n_samples_per_class=30,
        length=128,
        n_unknown_classes=2,
        random_state=0,
    )


def _pls_da():
    from sklearn.preprocessing import StandardScaler

    from specauth.estimators import PLSDAClassifier

    return make_pipeline(StandardScaler(), PLSDAClassifier(6))


@pytest.mark.parametrize("detector", [DIME(), Energy(), MaxSoftmax(), "ViM", "KNN"])
def test_pls_da_pipeline_with_every_kind_of_detector(open_data, detector):
    from specauth.ood import KNNDetector, ViM

    detector = {"ViM": ViM(), "KNN": KNNDetector()}.get(detector, detector)
    d = open_data
    osc = OpenSetClassifier(_pls_da(), detector).fit(d.X, d.y)
    reference = _pls_da().fit(d.X, d.y)
    details = osc.predict_details(d.X)
    # Accepted spectra get the PLS-DA's own label; the rest the unknown label.
    assert np.array_equal(
        details.labels[details.accepted], reference.predict(d.X)[details.accepted]
    )
    assert np.all(details.labels[~details.accepted] == "unknown")
    assert details.proba is None and not hasattr(osc, "predict_proba")
    if isinstance(detector, (DIME, ViM, KNNDetector)):  # far-OOD on the scores
        assert np.mean(osc.predict(d.X_unknown) == "unknown") > 0.9


def test_pls_da_detectors_read_the_pls_outputs(open_data):
    from specauth.ood import ViM

    d = open_data
    osc = OpenSetClassifier(_pls_da(), ViM()).fit(d.X, d.y)
    reference = _pls_da().fit(d.X, d.y)
    scores = reference.transform(d.X_unknown)
    weight, bias = reference[-1].head_weights()
    assert osc.logits_from_ == "head"
    assert osc.detector_.weight == pytest.approx(weight)
    expected = ViM(weight=weight, bias=bias).fit(reference.transform(d.X), d.y)
    assert osc.score_samples(d.X_unknown) == pytest.approx(
        expected.score_samples(scores)
    )
    energy = OpenSetClassifier(_pls_da(), Energy()).fit(d.X, d.y)
    logits = scores @ weight + bias
    assert energy.score_samples(d.X_unknown) == pytest.approx(
        Energy().fit(reference.transform(d.X) @ weight + bias).score_samples(logits)
    )


def test_logistic_regression_pipeline(open_data):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    d = open_data
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    osc = OpenSetClassifier(pipe, MaxSoftmax(alpha=0.1)).fit(d.X, d.y)
    fitted = clone(pipe).fit(d.X, d.y)
    assert osc.logits_from_ == "head"  # coef_ checked against decision_function
    assert osc.predict_proba(d.X) == pytest.approx(fitted.predict_proba(d.X))
    assert osc.score_samples(d.X) == pytest.approx(
        fitted.predict_proba(d.X).max(axis=1)
    )


def test_classifier_without_embedding_serves_logit_detectors_only(open_data):
    from sklearn.linear_model import LogisticRegression

    d = open_data
    osc = OpenSetClassifier(LogisticRegression(max_iter=2000), Energy()).fit(d.X, d.y)
    assert osc.logits_from_ == "decision_function"
    fitted = LogisticRegression(max_iter=2000).fit(d.X, d.y)
    expected = Energy().fit(fitted.decision_function(d.X))
    assert osc.score_samples(d.X_unknown) == pytest.approx(
        expected.score_samples(fitted.decision_function(d.X_unknown))
    )


class _FitFails:
    """A classifier that must never be fitted (fit raises)."""

    def __init__(self, with_proba=False):
        self.with_proba = with_proba

    def get_params(self, deep=True):
        return {"with_proba": self.with_proba}

    def set_params(self, **params):
        self.with_proba = params.get("with_proba", self.with_proba)
        return self

    def fit(self, X, y):
        raise AssertionError("fitted although the detector cannot be served")

    def predict(self, X):
        return np.zeros(len(X))


class _ProbaOnly(_FitFails):
    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


@pytest.mark.parametrize(
    "classifier, detector, message",
    [
        (_FitFails(), DIME(), "DIME reads an embedding, and `classifier`"),
        (_FitFails(), Energy(), "has neither `decision_function` nor"),
        (_ProbaOnly(), Energy(), "gives only probabilities"),
    ],
)
def test_detectors_that_cannot_be_served_are_refused_before_training(
    open_data, classifier, detector, message
):
    with pytest.raises(TypeError, match=message):
        OpenSetClassifier(classifier, detector).fit(open_data.X, open_data.y)


def test_head_detector_without_a_linear_head(open_data):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.preprocessing import StandardScaler

    from specauth.ood import ViM

    forest = make_pipeline(StandardScaler(), RandomForestClassifier(10, random_state=0))
    with pytest.raises(TypeError, match="ViM needs the classifier's last linear"):
        OpenSetClassifier(forest, ViM()).fit(open_data.X, open_data.y)


def test_not_a_classifier_is_refused(open_data):
    with pytest.raises(TypeError, match="with fit and predict"):
        OpenSetClassifier(object()).fit(open_data.X, open_data.y)


@pytest.mark.parametrize("kind", ["pls_da", "logistic"])
def test_sklearn_classifier_save_load_round_trip(open_data, tmp_path, kind):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from specauth.hub import load_pretrained, save_pretrained
    from specauth.ood import ViM

    d = open_data
    if kind == "pls_da":
        classifier = _pls_da()
    else:
        classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    osc = OpenSetClassifier(classifier, ViM(alpha=0.1)).fit(d.X, d.y)
    save_pretrained(osc, tmp_path / "model")
    loaded = load_pretrained(tmp_path / "model")
    X = np.vstack([d.X, d.X_unknown])
    assert np.array_equal(loaded.predict(X), osc.predict(X))
    assert np.array_equal(loaded.score_samples(X), osc.score_samples(X))
    assert loaded.logits_from_ == osc.logits_from_ == "head"


def test_tampered_logit_source_is_refused(open_data):
    osc = OpenSetClassifier(_pls_da(), Energy()).fit(open_data.X, open_data.y)
    state = osc.get_fitted_state()
    with pytest.raises(ValueError, match="'logits_from_'"):
        OpenSetClassifier(_pls_da(), Energy()).set_fitted_state(
            {**state, "logits_from_": "eval"}
        )


def test_ensemble_disagreement_inside_open_set_classifier(open_data):
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    from specauth.estimators import EnsembleClassifier
    from specauth.ood import MutualInformation
    from specauth.ood.mutual_information import mutual_information_score

    d = open_data
    member = make_pipeline(StandardScaler(), MLPClassifier((16,), max_iter=300))
    ensemble = EnsembleClassifier(member, n_estimators=3, random_state=0)
    osc = OpenSetClassifier(ensemble, MutualInformation(alpha=0.1)).fit(d.X, d.y)
    assert osc.detector_.n_members == 3
    fitted = clone(ensemble).fit(d.X, d.y)
    assert osc.score_samples(d.X_unknown) == pytest.approx(
        mutual_information_score(fitted.member_proba(d.X_unknown))
    )
    details = osc.predict_details(d.X_unknown)
    assert details.proba == pytest.approx(fitted.predict_proba(d.X_unknown))
    predicted = fitted.predict(d.X_unknown)
    assert np.array_equal(details.labels[details.accepted], predicted[details.accepted])
    assert np.mean(~details.accepted) > 0.5


def test_member_detector_needs_an_ensemble(open_data):
    from specauth.ood import MutualInformation

    with pytest.raises(TypeError, match="wrap it in specauth.estimators.Ensemble"):
        OpenSetClassifier(_FitFails(), MutualInformation()).fit(
            open_data.X, open_data.y
        )
