"""MaxSoftmax: the largest class probability, against a direct computation."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import MaxSoftmax
from specauth.ood.max_softmax import max_softmax_score


@pytest.mark.parametrize("temperature", [1.0, 3.0])
def test_max_softmax_matches_exp_over_sum(toy, temperature):
    logits = toy.logits / 4.0  # keep the probabilities away from 1
    exp = np.exp(logits / temperature)
    expected = (exp / exp.sum(axis=1, keepdims=True)).max(axis=1)
    np.testing.assert_allclose(max_softmax_score(logits, temperature), expected)
    det = MaxSoftmax(temperature=temperature).fit(logits)
    np.testing.assert_allclose(det.score_samples(logits), expected)


def test_uniform_logits_give_one_over_n_classes():
    np.testing.assert_allclose(max_softmax_score(np.zeros((2, 4))), [0.25, 0.25])


def test_bad_temperature(toy):
    with pytest.raises(ValueError, match="`temperature`"):
        MaxSoftmax(temperature=0.0).fit(toy.logits)
