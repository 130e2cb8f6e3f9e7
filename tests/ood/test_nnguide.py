"""NNGuide against cosine similarities and energies computed with loops."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specauth.ood import KNNDetector, NNGuide
from specauth.ood.nnguide import guidance_bank, nnguide_score
from tests.ood.conftest import held_out_false_rejection


def _energy(z, weight, bias):
    logits = z @ weight + bias
    top = logits.max()
    return top + np.log(np.exp(logits - top).sum())


def _reference(train, test, weight, bias, k, leave_one_out=False):
    """The paper's score: energy times the mean of the k best guided cosines."""
    bank = [t / np.linalg.norm(t) * _energy(t, weight, bias) for t in train]
    scores = []
    for i, z in enumerate(test):
        unit = z / np.linalg.norm(z)
        similarities = [
            unit @ b for j, b in enumerate(bank) if not (leave_one_out and i == j)
        ]
        best = sorted(similarities, reverse=True)[:k]
        scores.append(_energy(z, weight, bias) * np.mean(best))
    return np.array(scores)


@pytest.mark.parametrize("k", [1, 5, 20])
def test_matches_the_formula(toy, k):
    test = np.vstack([toy.features[:10], toy.ood_features[:10]])
    det = NNGuide(n_neighbors=k, weight=toy.weight, bias=toy.bias)
    det.fit(toy.features)
    expected = _reference(toy.features, test, toy.weight, toy.bias, k)
    np.testing.assert_allclose(det.score_samples(test), expected, rtol=1e-10)
    loo = _reference(toy.features, toy.features, toy.weight, toy.bias, k, True)
    np.testing.assert_allclose(det.calibration_scores_, np.sort(loo), rtol=1e-10)


def test_hand_worked_value():
    # Bank: (1, 0) and (0, 1), each of energy log(e + 1). The query (2, 0)
    # has energy log(e^2 + 1) and cosine 1 with the first.
    bank = guidance_bank(np.eye(2), np.eye(2), np.zeros(2))
    score = nnguide_score(np.array([[2.0, 0.0]]), np.eye(2), np.zeros(2), bank, 1)
    expected = np.log(np.exp(2.0) + 1.0) * np.log(np.e + 1.0)
    np.testing.assert_allclose(score, [expected])


@pytest.mark.parametrize("k", [1, 4])
def test_batch_size_does_not_change_results(toy, k):
    params = {"n_neighbors": k, "weight": toy.weight, "bias": toy.bias}
    small = NNGuide(batch_size=7, **params).fit(toy.features)
    large = NNGuide(batch_size=1000, **params).fit(toy.features)
    np.testing.assert_allclose(
        small.calibration_scores_, large.calibration_scores_, rtol=1e-12
    )
    np.testing.assert_allclose(
        small.score_samples(toy.ood_features),
        large.score_samples(toy.ood_features),
        rtol=1e-12,
    )


def test_leave_one_out_scores_at_most_the_in_sample_ones(toy):
    det = NNGuide(weight=toy.weight, bias=toy.bias).fit(toy.features)
    in_sample = np.sort(det.score_samples(toy.features))
    assert np.all(det.calibration_scores_ <= in_sample + 1e-12)
    assert np.any(det.calibration_scores_ < in_sample)


def test_in_distribution_scores_higher_than_ood(toy):
    det = NNGuide(weight=toy.weight, bias=toy.bias).fit(toy.features)
    assert det.score_samples(toy.features).min() > np.median(
        det.score_samples(toy.ood_features)
    )


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_held_out_false_rejection_is_near_alpha(toy, alpha):
    rate = held_out_false_rejection("NNGuide", toy, alpha)
    assert alpha / 2 <= rate <= 2 * alpha


def test_non_positive_energy_warns(toy):
    with pytest.warns(UserWarning, match="energy <= 0"):
        NNGuide(weight=toy.weight, bias=toy.bias - 100.0).fit(toy.features)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NNGuide(weight=toy.weight, bias=toy.bias).fit(toy.features)


def test_too_many_neighbours(toy):
    with pytest.raises(
        ValueError, match=r"`n_neighbors` must be smaller .*\(5\); got 5"
    ):
        NNGuide(n_neighbors=5, weight=toy.weight, bias=toy.bias).fit(toy.features[:5])


@pytest.mark.parametrize("bad", [0, 2.5])
def test_bad_n_neighbors(toy, bad):
    det = NNGuide(n_neighbors=bad, weight=toy.weight, bias=toy.bias)
    with pytest.raises((ValueError, TypeError), match="`n_neighbors`"):
        det.fit(toy.features)


def test_missing_weight(toy):
    with pytest.raises(ValueError, match="NNGuide needs the last Dense layer"):
        NNGuide(bias=toy.bias).fit(toy.features)


def test_guidance_uses_the_normalised_features_like_knn(toy):
    # With equal energies everywhere (a zero head), the guidance is the mean
    # cosine similarity, whose k=1 version is a function of KNN's distance.
    weight, bias = np.zeros((8, 3)), np.zeros(3)
    det = NNGuide(n_neighbors=1, weight=weight, bias=bias).fit(toy.features)
    knn = KNNDetector(n_neighbors=1).fit(toy.features)
    energy = np.log(3.0)
    cosine = 1.0 - knn.score_samples(toy.ood_features) ** 2 / 2.0
    np.testing.assert_allclose(
        det.score_samples(toy.ood_features), energy * energy * cosine, rtol=1e-9
    )
