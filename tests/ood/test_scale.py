"""SCALE against the rescaling written out one sample at a time."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import SCALE, Energy
from specauth.ood.scale import scale_score
from tests.ood.conftest import held_out_false_rejection


def _log_sum_exp(values):
    top = values.max()
    return top + np.log(np.exp(values - top).sum())


def _reference(features, weight, bias, percentile):
    n = features.shape[1]
    k = max(n - int(round(n * percentile / 100.0)), 1)
    scores = []
    for z in features:
        ratio = z.sum() / np.sort(z)[::-1][:k].sum()
        logits = (z * np.exp(ratio)) @ weight + bias
        scores.append(_log_sum_exp(logits))
    return np.array(scores)


@pytest.mark.parametrize("percentile", [0, 50, 90, 99])
def test_matches_the_formula(toy, percentile):
    test = np.vstack([toy.relu_features[:10], toy.relu_ood_features[:10]])
    det = SCALE(percentile=percentile, weight=toy.relu_weight, bias=toy.bias)
    det.fit(toy.relu_features)
    expected = _reference(test, toy.relu_weight, toy.bias, percentile)
    np.testing.assert_allclose(det.score_samples(test), expected, rtol=1e-10)


def test_hand_worked_value():
    # k = 1 of 2: (3, 1) * exp(4 / 3); nothing is pruned.
    score = scale_score(np.array([[3.0, 1.0]]), np.eye(2), np.zeros(2), 50)
    r = np.exp(4.0 / 3.0)
    np.testing.assert_allclose(score, [np.log(np.exp(3.0 * r) + np.exp(r))])


def test_keeping_everything_scales_by_e(toy):
    det = SCALE(percentile=0, weight=toy.relu_weight, bias=toy.bias)
    det.fit(toy.relu_features)
    logits = np.e * (toy.relu_features @ toy.relu_weight) + toy.bias
    np.testing.assert_allclose(
        det.score_samples(toy.relu_features),
        Energy().fit(logits).score_samples(logits),
    )


def test_prediction_is_not_changed(toy):
    # Only a positive factor per sample: the largest logit stays the largest.
    z = toy.relu_features
    ratio = z.sum(axis=1) / np.sort(z, axis=1)[:, -2:].sum(axis=1)  # k = 2 of 16
    scaled = (z * np.exp(ratio)[:, None]) @ toy.relu_weight
    plain = z @ toy.relu_weight
    np.testing.assert_array_equal(scaled.argmax(axis=1), plain.argmax(axis=1))
    det = SCALE(weight=toy.relu_weight, bias=np.zeros(3)).fit(z)
    np.testing.assert_allclose(
        det.score_samples(z), [_log_sum_exp(row) for row in scaled], rtol=1e-10
    )


def test_in_distribution_scores_higher_than_ood(toy):
    det = SCALE(weight=toy.relu_weight, bias=toy.bias).fit(toy.relu_features)
    assert det.score_samples(toy.relu_features).min() > np.median(
        det.score_samples(toy.relu_ood_features)
    )


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_held_out_false_rejection_is_near_alpha(toy, alpha):
    rate = held_out_false_rejection("SCALE", toy, alpha)
    assert alpha / 2 <= rate <= 2 * alpha


def test_negative_features_are_refused(toy):
    with pytest.raises(ValueError, match="SCALE needs non-negative activations"):
        SCALE(weight=toy.weight, bias=toy.bias).fit(toy.features)


@pytest.mark.parametrize("percentile", [100, -1])
def test_bad_percentile(toy, percentile):
    det = SCALE(percentile=percentile, weight=toy.relu_weight, bias=toy.bias)
    with pytest.raises(ValueError, match=r"`percentile`.*\[0, 100\)"):
        det.fit(toy.relu_features)
