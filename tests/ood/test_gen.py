"""GEN: minus the generalized entropy of the top softmax probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import GEN
from specauth.ood.gen import gen_score
from tests.ood.conftest import held_out_false_rejection


def _reference(logits, gamma, n_top):
    """The paper's formula, one sample at a time."""
    scores = []
    for row in logits:
        p = np.exp(row - row.max())
        p /= p.sum()
        top = sorted(p, reverse=True)[:n_top]
        scores.append(-sum(q**gamma * (1.0 - q) ** gamma for q in top))
    return np.array(scores)


@pytest.mark.parametrize(("gamma", "n_top"), [(0.1, 100), (0.5, 2), (0.9, 1)])
def test_matches_the_formula(toy, gamma, n_top):
    logits = np.vstack([toy.logits[:10], toy.ood_logits[:10]]) / 4.0
    expected = _reference(logits, gamma, n_top)
    np.testing.assert_allclose(gen_score(logits, gamma, n_top), expected, rtol=1e-12)
    det = GEN(gamma=gamma, n_top=n_top).fit(toy.logits / 4.0)
    np.testing.assert_allclose(det.score_samples(logits), expected, rtol=1e-12)


def test_hand_worked_values():
    # p = (1/2, 1/2): each term sqrt(1/4) = 1/2. p = (3/4, 1/4): 2 sqrt(3/16).
    logits = np.array([[0.0, 0.0], [np.log(3.0), 0.0]])
    np.testing.assert_allclose(
        gen_score(logits, gamma=0.5), [-1.0, -2.0 * np.sqrt(3.0) / 4.0]
    )
    # Top 1 of 3 uniform classes: (1/3)^0.5 (2/3)^0.5.
    np.testing.assert_allclose(
        gen_score(np.zeros((1, 3)), gamma=0.5, n_top=1), [-np.sqrt(2.0) / 3.0]
    )


def test_n_top_larger_than_the_classes_keeps_them_all(toy):
    np.testing.assert_array_equal(
        gen_score(toy.logits, n_top=3), gen_score(toy.logits, n_top=1000)
    )


def test_confident_logits_score_higher():
    # Higher = more in-distribution: a peaked softmax beats a flat one.
    scores = gen_score(np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [9.0, 0.0, 0.0]]))
    assert scores[0] < scores[1] < scores[2] <= 0.0


def test_saturated_probabilities_stay_finite():
    scores = gen_score(np.array([[1000.0, -1000.0, 0.0]]))
    assert np.isfinite(scores).all()
    assert scores[0] == pytest.approx(0.0, abs=1e-30)


def test_in_distribution_scores_higher_than_ood(toy):
    det = GEN().fit(toy.logits)
    assert det.score_samples(toy.logits).min() > np.median(
        det.score_samples(toy.ood_logits)
    )
    assert np.mean(det.predict(toy.ood_logits) == -1) > 0.9


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_held_out_false_rejection_is_near_alpha(toy, alpha):
    rate = held_out_false_rejection("GEN", toy, alpha)
    assert alpha / 2 <= rate <= 2 * alpha


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"gamma": 0.0}, "`gamma`"),
        ({"gamma": 1.0}, "`gamma`"),
        ({"n_top": 0}, "`n_top`"),
        ({"n_top": 2.5}, "`n_top`"),
    ],
)
def test_bad_parameters(toy, params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        GEN(**params).fit(toy.logits)
