"""RMD against np.linalg.inv of hand-computed class and background covariances."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import RMD, Mahalanobis
from specauth.ood.rmd import rmd_score
from tests.ood.conftest import held_out_false_rejection


def _ridge(cov, reg):
    d = cov.shape[0]
    return cov + reg * np.trace(cov) / d * np.eye(d)


def _fit_reference(train, y, reg):
    classes = np.unique(y)
    means = np.array([train[y == c].mean(axis=0) for c in classes])
    centred = train - means[np.searchsorted(classes, y)]
    cov = _ridge(centred.T @ centred / train.shape[0], reg)
    mean0 = train.mean(axis=0)
    cov0 = _ridge((train - mean0).T @ (train - mean0) / train.shape[0], reg)
    return means, cov, mean0, cov0


def _score_reference(test, means, cov, mean0, cov0):
    precision, precision0 = np.linalg.inv(cov), np.linalg.inv(cov0)
    scores = []
    for x in test:
        md0 = (x - mean0) @ precision0 @ (x - mean0)
        relative = [(x - m) @ precision @ (x - m) - md0 for m in means]
        scores.append(-min(relative))
    return np.array(scores)


@pytest.mark.parametrize("reg", [0.0, 1e-6, 0.1])
def test_matches_inverse_covariances(toy, reg):
    test = np.vstack([toy.features[:10], toy.ood_features[:10]])
    means, cov, mean0, cov0 = _fit_reference(toy.features, toy.y, reg)
    det = RMD(reg=reg).fit(toy.features, toy.y)
    expected = _score_reference(test, means, cov, mean0, cov0)
    np.testing.assert_allclose(det.score_samples(test), expected, rtol=1e-8)
    np.testing.assert_allclose(det.background_mean_, mean0)
    np.testing.assert_allclose(det.background_covariance_, cov0)
    np.testing.assert_allclose(det.covariance_, cov)


def test_is_mahalanobis_minus_the_background_distance(toy):
    det = RMD().fit(toy.features, toy.y)
    classes = Mahalanobis().fit(toy.features, toy.y)
    background = Mahalanobis().fit(toy.features, np.zeros(toy.y.size))
    test = toy.ood_features
    np.testing.assert_allclose(
        det.score_samples(test),
        classes.score_samples(test) - background.score_samples(test),
        rtol=1e-10,
    )


def test_hand_worked_value():
    # MD_0 = 4 / 4 = 1 and MD_c = 4 at (2, 0): score -(4 - 1) = -3.
    score = rmd_score(
        np.array([[2.0, 0.0]]), np.zeros((1, 2)), np.eye(2), np.zeros(2), 4 * np.eye(2)
    )
    np.testing.assert_allclose(score, [-3.0])


def test_calibration_scores_are_out_of_fold(toy):
    det = RMD(alpha=0.1).fit(toy.features, toy.y)
    order = np.argsort(toy.y, kind="stable")
    folds = np.empty(toy.y.size, dtype=int)
    folds[order] = np.arange(toy.y.size) % 10
    expected = np.empty(toy.y.size)
    for fold in range(10):
        held = folds == fold
        fitted = _fit_reference(toy.features[~held], toy.y[~held], 1e-6)
        expected[held] = _score_reference(toy.features[held], *fitted)
    np.testing.assert_allclose(det.calibration_scores_, np.sort(expected), rtol=1e-8)


def test_in_distribution_scores_higher_than_ood(toy):
    det = RMD().fit(toy.features, toy.y)
    assert np.median(det.score_samples(toy.features)) > np.percentile(
        det.score_samples(toy.ood_features), 95
    )


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_held_out_false_rejection_is_near_alpha(toy, alpha):
    rate = held_out_false_rejection("RMD", toy, alpha)
    assert alpha / 2 <= rate <= 2 * alpha


def test_y_is_required(toy):
    with pytest.raises(ValueError, match="`y`"):
        RMD().fit(toy.features)


def test_bad_reg(toy):
    with pytest.raises(ValueError, match="`reg`"):
        RMD(reg=-1.0).fit(toy.features, toy.y)


def test_singular_covariance_without_regularisation(toy):
    features = np.hstack([toy.features, toy.features[:, :1]])
    with pytest.raises(ValueError, match="`reg`"):
        RMD(reg=0.0).fit(features, toy.y)


def test_uses_model_predictions_without_y(fitted_cnn, spectra):
    det = RMD(model=fitted_cnn).fit(spectra.X)
    predicted = fitted_cnn.predict(spectra.X)
    reference = RMD().fit(fitted_cnn.transform(spectra.X), predicted)
    np.testing.assert_allclose(det.background_mean_, reference.background_mean_)
    np.testing.assert_allclose(det.calibration_scores_, reference.calibration_scores_)
