"""MaxLogit: the largest logit."""

from __future__ import annotations

import numpy as np

from specauth.ood import MaxLogit
from specauth.ood.max_logit import max_logit_score


def test_max_logit_is_row_maximum(toy):
    expected = np.array([max(row) for row in toy.logits.tolist()])
    np.testing.assert_array_equal(max_logit_score(toy.logits), expected)
    det = MaxLogit().fit(toy.logits)
    np.testing.assert_array_equal(det.score_samples(toy.logits), expected)


def test_threshold_on_hand_worked_example():
    logits = np.array([[5.0, 0.0], [1.0, 2.0], [0.0, 3.0], [4.0, -1.0]])
    det = MaxLogit(alpha=0.5).fit(logits)  # maxima 5, 2, 3, 4: k = 2
    assert det.threshold_ == 3.5  # halfway between the 2nd and 3rd lowest
    np.testing.assert_array_equal(det.predict(logits), [1, -1, -1, 1])
