"""FDBD against point-to-hyperplane distances computed one pair at a time."""

from __future__ import annotations

import numpy as np
import pytest

from specauth.ood import FDBD
from specauth.ood.fdbd import fdbd_score
from tests.ood.conftest import held_out_false_rejection


def _reference(train, test, weight, bias):
    """The paper's regularised score, with plain loops."""
    center = train.mean(axis=0)
    n_classes = weight.shape[1]
    scores = []
    for z in test:
        logits = z @ weight + bias
        c = int(np.argmax(logits))
        distances = []
        for k in range(n_classes):
            if k == c:
                continue
            normal = weight[:, c] - weight[:, k]
            offset = bias[c] - bias[k]
            distances.append(abs(normal @ z + offset) / np.linalg.norm(normal))
        scores.append(np.mean(distances) / np.linalg.norm(z - center))
    return np.array(scores)


def test_matches_the_formula(toy):
    test = np.vstack([toy.features[:10], toy.ood_features[:10]])
    det = FDBD(weight=toy.weight, bias=toy.bias).fit(toy.features)
    expected = _reference(toy.features, test, toy.weight, toy.bias)
    np.testing.assert_allclose(det.score_samples(test), expected, rtol=1e-10)
    np.testing.assert_allclose(det.center_, toy.features.mean(axis=0))
    # In-sample threshold: the training scores as they are.
    train_scores = _reference(toy.features, toy.features, toy.weight, toy.bias)
    np.testing.assert_allclose(det.calibration_scores_, np.sort(train_scores))


def test_hand_worked_value():
    # Two classes, w_0 - w_1 = (2, 0), b = 0: the boundary is x = 0. The
    # point (3, 4) is 3 from it and 5 from the centre (0, 0).
    weight, bias = np.array([[1.0, -1.0], [0.0, 0.0]]), np.zeros(2)
    score = fdbd_score(np.array([[3.0, 4.0]]), weight, bias, np.zeros(2))
    np.testing.assert_allclose(score, [3.0 / 5.0])


def test_averages_over_the_other_classes():
    # Three classes: boundaries x = 0 (class 1) and y = 0 (class 2) seen from
    # class 0 at (2, 1): distances 2 and 1, centre distance sqrt(5).
    weight = np.array([[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]])
    score = fdbd_score(np.array([[2.0, 1.0]]), weight, np.zeros(3), np.zeros(2))
    np.testing.assert_allclose(score, [1.5 / np.sqrt(5.0)])


def test_far_from_the_boundaries_scores_higher(toy):
    det = FDBD(weight=toy.weight, bias=toy.bias).fit(toy.features)
    scores_in = det.score_samples(toy.features)
    scores_out = det.score_samples(toy.ood_features)
    assert np.median(scores_in) > np.percentile(scores_out, 95)
    assert np.mean(det.predict(toy.ood_features) == -1) > 0.5


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_held_out_false_rejection_is_near_alpha(toy, alpha):
    rate = held_out_false_rejection("FDBD", toy, alpha)
    assert alpha / 2 <= rate <= 2 * alpha


def test_equal_columns_have_no_boundary(toy):
    weight = toy.weight.copy()
    weight[:, 2] = weight[:, 0]
    with pytest.raises(ValueError, match="equal columns 0 and 2"):
        FDBD(weight=weight, bias=toy.bias).fit(toy.features)


def test_one_class_is_refused(toy):
    with pytest.raises(ValueError, match="at least 2 classes; got 1"):
        FDBD(weight=toy.weight[:, :1], bias=toy.bias[:1]).fit(toy.features)


@pytest.mark.parametrize("missing", ["weight", "bias"])
def test_missing_weight_or_bias(toy, missing):
    params = {"weight": toy.weight, "bias": toy.bias}
    params.pop(missing)
    with pytest.raises(ValueError, match="FDBD needs the last Dense layer"):
        FDBD(**params).fit(toy.features)


def test_weight_of_wrong_shape(toy):
    with pytest.raises(ValueError, match=r"n_features=8.*got shape \(7, 3\)"):
        FDBD(weight=toy.weight[:7], bias=toy.bias).fit(toy.features)
    with pytest.raises(ValueError, match=r"`bias` must have shape \(3,\)"):
        FDBD(weight=toy.weight, bias=toy.bias[:2]).fit(toy.features)


def test_model_and_weight_together(fitted_cnn, spectra, toy):
    with pytest.raises(ValueError, match="not both"):
        FDBD(model=fitted_cnn, weight=toy.weight, bias=toy.bias).fit(spectra.X)


def test_model_without_head_weights_is_a_type_error(toy):
    class FeaturesOnly:
        def transform(self, X):
            return np.asarray(X, dtype=float)

    with pytest.raises(TypeError, match="head_weights"):
        FDBD(model=FeaturesOnly()).fit(toy.features)
