"""KNNDetector against brute-force distances between normalised rows."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import KNNDetector
from specauth.ood.knn import l2_normalize


def _brute_force(train, test, k, leave_one_out=False):
    a = train / np.linalg.norm(train, axis=1, keepdims=True)
    b = test / np.linalg.norm(test, axis=1, keepdims=True)
    dist = np.sqrt(((b[:, None, :] - a[None, :, :]) ** 2).sum(axis=2))
    if leave_one_out:
        np.fill_diagonal(dist, np.inf)
    return -np.sort(dist, axis=1)[:, k - 1]


@pytest.mark.parametrize("k", [1, 3, 10])
def test_matches_brute_force(toy, k):
    test = np.vstack([toy.features[:5] + 0.3, toy.ood_features[:10]])
    det = KNNDetector(n_neighbors=k).fit(toy.features)
    np.testing.assert_allclose(
        det.score_samples(test), _brute_force(toy.features, test, k), atol=1e-7
    )
    loo = _brute_force(toy.features, toy.features, k, leave_one_out=True)
    np.testing.assert_allclose(det.calibration_scores_, np.sort(loo), atol=1e-7)


def test_scale_of_features_is_ignored(toy):
    det = KNNDetector(n_neighbors=2).fit(toy.features)
    test = toy.ood_features[:5]
    np.testing.assert_allclose(det.score_samples(10 * test), det.score_samples(test))


def test_duplicates_are_left_out_by_index():
    train = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    det = KNNDetector(alpha=0.5).fit(train)
    np.testing.assert_allclose(det.calibration_scores_, [-np.sqrt(2.0), 0.0, 0.0])


def test_zero_rows_stay_zero():
    np.testing.assert_array_equal(l2_normalize([[0.0, 0.0]]), [[0.0, 0.0]])


@pytest.mark.parametrize("k", [1, 4])
def test_batch_size_does_not_change_results(toy, k):
    small = KNNDetector(n_neighbors=k, batch_size=7).fit(toy.features)
    large = KNNDetector(n_neighbors=k, batch_size=1000).fit(toy.features)
    np.testing.assert_allclose(
        small.calibration_scores_, large.calibration_scores_, atol=1e-12
    )
    np.testing.assert_allclose(
        small.score_samples(toy.ood_features),
        large.score_samples(toy.ood_features),
        atol=1e-12,
    )


def test_too_many_neighbours(toy):
    with pytest.raises(
        ValueError, match=r"`n_neighbors` must be smaller .*\(5\); got 5"
    ):
        KNNDetector(n_neighbors=5).fit(toy.features[:5])


@pytest.mark.parametrize("bad", [0, 2.5])
def test_bad_n_neighbors(toy, bad):
    with pytest.raises((ValueError, TypeError), match="`n_neighbors`"):
        KNNDetector(n_neighbors=bad).fit(toy.features)
