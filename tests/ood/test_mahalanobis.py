"""Mahalanobis against np.linalg.inv of a hand-computed tied covariance."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import Mahalanobis


def _reference(train, y, test, reg):
    classes = np.unique(y)
    means = np.array([train[y == c].mean(axis=0) for c in classes])
    centred = train - means[np.searchsorted(classes, y)]
    cov = centred.T @ centred / train.shape[0]
    d = train.shape[1]
    cov = cov + reg * np.trace(cov) / d * np.eye(d)
    precision = np.linalg.inv(cov)
    dists = np.array([[(x - m) @ precision @ (x - m) for m in means] for x in test])
    return -dists.min(axis=1), means, cov


@pytest.mark.parametrize("reg", [0.0, 1e-6, 0.1])
def test_matches_inverse_covariance(toy, reg):
    test = np.vstack([toy.features[:10], toy.ood_features[:10]])
    expected, means, cov = _reference(toy.features, toy.y, test, reg)
    det = Mahalanobis(reg=reg).fit(toy.features, toy.y)
    np.testing.assert_allclose(det.score_samples(test), expected, rtol=1e-8)
    np.testing.assert_allclose(det.means_, means)
    np.testing.assert_allclose(det.covariance_, cov)


def test_string_labels(toy):
    labels = np.array(["a", "b", "c"])[toy.y]
    det = Mahalanobis().fit(toy.features, labels)
    np.testing.assert_array_equal(det.classes_, ["a", "b", "c"])
    reference = Mahalanobis().fit(toy.features, toy.y)
    np.testing.assert_allclose(det.calibration_scores_, reference.calibration_scores_)


def test_duplicated_and_constant_columns(toy):
    features = np.hstack(
        [toy.features, toy.features[:, :2], np.full((len(toy.y), 1), 3.0)]
    )
    det = Mahalanobis().fit(features, toy.y)
    scores = det.score_samples(features)
    assert np.isfinite(scores).all()
    expected, _, _ = _reference(features, toy.y, features[:5], 1e-6)
    np.testing.assert_allclose(scores[:5], expected, rtol=1e-5)
    moved = features[:1].copy()
    moved[0, -1] = 4.0  # leaves the constant column: far out of distribution
    assert det.predict(moved)[0] == -1


def test_singular_covariance_without_regularisation(toy):
    features = np.hstack([toy.features, toy.features[:, :1]])
    with pytest.raises(ValueError, match="`reg`"):
        Mahalanobis(reg=0.0).fit(features, toy.y)


def test_batch_size_does_not_change_results(toy):
    small = Mahalanobis(batch_size=7).fit(toy.features, toy.y)
    large = Mahalanobis(batch_size=1000).fit(toy.features, toy.y)
    np.testing.assert_allclose(
        small.calibration_scores_, large.calibration_scores_, rtol=1e-10
    )
    np.testing.assert_allclose(
        small.score_samples(toy.ood_features), large.score_samples(toy.ood_features)
    )


def test_y_is_required(toy):
    with pytest.raises(ValueError, match="`y`"):
        Mahalanobis().fit(toy.features)


def test_y_of_wrong_length(toy):
    with pytest.raises(
        ValueError, match=r"`y` must hold one label per .*\(120\); got 119"
    ):
        Mahalanobis().fit(toy.features, toy.y[:-1])


def test_bad_reg(toy):
    with pytest.raises(ValueError, match="`reg`"):
        Mahalanobis(reg=-1.0).fit(toy.features, toy.y)
