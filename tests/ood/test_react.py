"""ReAct against clipping and log-sum-exp written out in numpy."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import Energy, ReAct
from specauth.ood.react import react_score
from tests.ood.conftest import held_out_false_rejection


def _reference(train, test, weight, bias, percentile):
    values = np.sort(train.ravel())
    # numpy's default ("linear") percentile, by hand.
    position = percentile / 100.0 * (values.size - 1)
    low = int(np.floor(position))
    high = min(low + 1, values.size - 1)
    clip = values[low] + (position - low) * (values[high] - values[low])
    logits = np.where(test > clip, clip, test) @ weight + bias
    return np.log(np.exp(logits).sum(axis=1)), clip


@pytest.mark.parametrize("percentile", [50, 90, 99.5, 100])
def test_matches_the_formula(toy, percentile):
    test = np.vstack([toy.features[:10], toy.ood_features[:10] * 5.0])
    expected, clip = _reference(toy.features, test, toy.weight, toy.bias, percentile)
    det = ReAct(percentile=percentile, weight=toy.weight, bias=toy.bias)
    det.fit(toy.features)
    assert det.clip_ == pytest.approx(clip, rel=1e-12)
    np.testing.assert_allclose(det.score_samples(test), expected, rtol=1e-10)


def test_hand_worked_value():
    # Clipped at 2: (9, 0) -> (2, 0), logsumexp = log(e^2 + 1).
    score = react_score(np.array([[9.0, 0.0]]), np.eye(2), np.zeros(2), clip=2.0)
    np.testing.assert_allclose(score, [np.log(np.exp(2.0) + 1.0)])


def test_no_clipping_is_the_energy_of_the_logits(toy):
    det = ReAct(percentile=100, weight=toy.weight, bias=toy.bias).fit(toy.features)
    assert det.clip_ == toy.features.max()
    np.testing.assert_allclose(
        det.score_samples(toy.features),
        Energy().fit(toy.logits).score_samples(toy.logits),
    )


def test_clipping_tames_a_spiking_unit(toy):
    # One huge activation along a class direction fools the energy, not ReAct.
    spike = np.zeros((1, 8))
    spike[0, np.argmax(toy.weight[:, 0])] = 100.0
    det = ReAct(weight=toy.weight, bias=toy.bias).fit(toy.features)
    energy = Energy().fit(toy.logits)
    assert energy.predict(spike @ toy.weight + toy.bias)[0] == 1
    assert det.predict(spike)[0] == -1


def test_in_distribution_scores_higher_than_ood(toy):
    det = ReAct(weight=toy.weight, bias=toy.bias).fit(toy.features)
    assert det.score_samples(toy.features).min() > np.median(
        det.score_samples(toy.ood_features)
    )


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_held_out_false_rejection_is_near_alpha(toy, alpha):
    rate = held_out_false_rejection("ReAct", toy, alpha)
    assert alpha / 2 <= rate <= 2 * alpha


@pytest.mark.parametrize("percentile", [0, -5, 100.5])
def test_bad_percentile(toy, percentile):
    det = ReAct(percentile=percentile, weight=toy.weight, bias=toy.bias)
    with pytest.raises(ValueError, match=r"`percentile`.*\(0, 100\]"):
        det.fit(toy.features)


def test_missing_weight(toy):
    with pytest.raises(ValueError, match="ReAct needs the last Dense layer"):
        ReAct(bias=toy.bias).fit(toy.features)


def test_reads_the_head_of_the_model(fitted_cnn, spectra):
    det = ReAct(model=fitted_cnn).fit(spectra.X)
    weight, bias = fitted_cnn.head_weights()
    np.testing.assert_array_equal(det.weight_, weight)
    np.testing.assert_array_equal(det.bias_, bias)
