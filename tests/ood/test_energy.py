"""Energy: T * logsumexp(logits / T) against a direct numpy computation."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import Energy
from specauth.ood.energy import energy_score


@pytest.mark.parametrize("temperature", [1.0, 2.5, 0.5])
def test_energy_matches_log_sum_exp(toy, temperature):
    logits = toy.logits
    expected = temperature * np.log(np.sum(np.exp(logits / temperature), axis=1))
    np.testing.assert_allclose(energy_score(logits, temperature), expected)
    det = Energy(temperature=temperature).fit(logits)
    np.testing.assert_allclose(det.score_samples(logits), expected)
    np.testing.assert_allclose(det.calibration_scores_, np.sort(expected))


def test_energy_is_stable_for_large_logits():
    logits = np.array([[1000.0, 1000.0], [-1000.0, -1001.0]])
    expected = np.array([1000.0 + np.log(2.0), -1000.0 + np.log1p(np.exp(-1.0))])
    np.testing.assert_allclose(energy_score(logits), expected)


def test_energy_does_not_modify_its_input():
    logits = np.array([[1.0, 2.0], [3.0, 4.0]])
    energy_score(logits, 2.0)
    np.testing.assert_array_equal(logits, [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("temperature", [0, -1.0])
def test_bad_temperature(toy, temperature):
    with pytest.raises(ValueError, match="`temperature`"):
        Energy(temperature=temperature).fit(toy.logits)
