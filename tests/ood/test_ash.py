"""ASH-S against pruning and rescaling written out one sample at a time."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import ASH, Energy
from specauth.ood.ash import ash_score
from tests.ood.conftest import held_out_false_rejection


def _log_sum_exp(values):
    top = values.max()
    return top + np.log(np.exp(values - top).sum())


def _reference(features, weight, bias, percentile):
    n = features.shape[1]
    k = max(n - int(round(n * percentile / 100.0)), 1)
    scores = []
    for z in features:
        largest = np.sort(z)[::-1]
        cutoff = largest[k] if k < n else -np.inf  # no ties in the toy data
        kept = np.where(z > cutoff, z, 0.0)
        shaped = kept * np.exp(z.sum() / kept.sum())
        scores.append(_log_sum_exp(shaped @ weight + bias))
    return np.array(scores)


@pytest.mark.parametrize("percentile", [0, 50, 90, 99])
def test_matches_the_formula(toy, percentile):
    test = np.vstack([toy.relu_features[:10], toy.relu_ood_features[:10]])
    det = ASH(percentile=percentile, weight=toy.relu_weight, bias=toy.bias)
    det.fit(toy.relu_features)
    expected = _reference(test, toy.relu_weight, toy.bias, percentile)
    np.testing.assert_allclose(det.score_samples(test), expected, rtol=1e-10)


def test_hand_worked_value():
    # Keep 1 of 2: (3, 1) -> (3 exp(4/3), 0), logsumexp with the 0 logit.
    score = ash_score(np.array([[3.0, 1.0]]), np.eye(2), np.zeros(2), 50)
    np.testing.assert_allclose(score, [np.log(np.exp(3.0 * np.exp(4.0 / 3.0)) + 1.0)])


def test_no_pruning_scales_by_e(toy):
    # percentile=0 keeps everything: s1 = s2, the features are multiplied by e.
    det = ASH(percentile=0, weight=toy.relu_weight, bias=toy.bias)
    det.fit(toy.relu_features)
    logits = np.e * (toy.relu_features @ toy.relu_weight) + toy.bias
    np.testing.assert_allclose(
        det.score_samples(toy.relu_features),
        Energy().fit(logits).score_samples(logits),
    )


def test_a_row_of_zeros_scores_the_energy_of_the_bias():
    bias = np.array([0.5, -1.0])
    score = ash_score(np.zeros((1, 4)), np.ones((4, 2)), bias, 50)
    np.testing.assert_allclose(score, [np.log(np.exp(bias).sum())])


def test_in_distribution_scores_higher_than_ood(toy):
    det = ASH(weight=toy.relu_weight, bias=toy.bias).fit(toy.relu_features)
    assert det.score_samples(toy.relu_features).min() > np.median(
        det.score_samples(toy.relu_ood_features)
    )


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_held_out_false_rejection_is_near_alpha(toy, alpha):
    rate = held_out_false_rejection("ASH", toy, alpha)
    assert alpha / 2 <= rate <= 2 * alpha


def test_negative_features_are_refused(toy):
    det = ASH(weight=toy.weight, bias=toy.bias)
    with pytest.raises(ValueError, match="ASH needs non-negative activations"):
        det.fit(toy.features)
    det = ASH(weight=toy.relu_weight, bias=toy.bias).fit(toy.relu_features)
    with pytest.raises(ValueError, match=r"minimum of -1"):
        det.score_samples(toy.relu_features[:2] - 1.0)


@pytest.mark.parametrize("percentile", [100, -1])
def test_bad_percentile(toy, percentile):
    det = ASH(percentile=percentile, weight=toy.relu_weight, bias=toy.bias)
    with pytest.raises(ValueError, match=r"`percentile`.*\[0, 100\)"):
        det.fit(toy.relu_features)


def test_missing_bias(toy):
    with pytest.raises(ValueError, match="ASH needs the last Dense layer"):
        ASH(weight=toy.relu_weight).fit(toy.relu_features)
