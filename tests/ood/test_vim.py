"""ViM against its formula, computed with numpy's SVD and least squares."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from specauth.ood import ViM


def _reference(train, test, weight, bias, k):
    origin = np.linalg.lstsq(weight.T, -bias, rcond=None)[0]  # min-norm W^T u = -b
    _, _, vt = np.linalg.svd(train - origin, full_matrices=False)
    principal = vt[:k]

    def residual(Z):
        d = Z - origin
        return np.linalg.norm(d - d @ principal.T @ principal, axis=1)

    scale = (train @ weight + bias).max(axis=1).mean() / residual(train).mean()
    logits = test @ weight + bias
    energy = np.log(np.exp(logits).sum(axis=1))
    return energy - scale * residual(test), origin, scale


@pytest.mark.parametrize("k", [2, 4, 7])
def test_matches_formula(toy, k):
    test = np.vstack([toy.features[:10], toy.ood_features[:10]])
    expected, origin, scale = _reference(toy.features, test, toy.weight, toy.bias, k)
    det = ViM(n_components=k, weight=toy.weight, bias=toy.bias).fit(toy.features)
    np.testing.assert_allclose(det.score_samples(test), expected, rtol=1e-8)
    np.testing.assert_allclose(det.origin_, origin, atol=1e-12)
    assert det.virtual_logit_scale_ == pytest.approx(scale)
    assert det.residual_basis_.shape == (8, 8 - k)


def test_default_n_components_is_half_the_width(toy):
    det = ViM(weight=toy.weight, bias=toy.bias).fit(toy.features)
    assert det.n_components_ == 4


def test_fraction_is_capped_below_the_width(toy):
    det = ViM(n_components=1.0, weight=toy.weight, bias=toy.bias).fit(toy.features)
    assert det.n_components_ == 7


def test_batch_size_does_not_change_results(toy):
    params = {"n_components": 3, "weight": toy.weight, "bias": toy.bias}
    small = ViM(batch_size=7, **params).fit(toy.features)
    large = ViM(batch_size=1000, **params).fit(toy.features)
    np.testing.assert_allclose(
        small.calibration_scores_, large.calibration_scores_, rtol=1e-9
    )


def test_weight_and_bias_are_copied(toy):
    weight = toy.weight.copy()
    det = ViM(weight=weight, bias=toy.bias).fit(toy.features)
    weight[:] = 0.0
    assert np.abs(det.weight_).sum() > 0
    assert det.weight is weight  # the parameter itself is stored unchanged


def test_logsumexp_part_is_energy(toy):
    det = ViM(weight=toy.weight, bias=toy.bias).fit(toy.features)
    on_origin = det.origin_[None, :]
    energy = logsumexp(on_origin @ toy.weight + toy.bias, axis=1)
    np.testing.assert_allclose(det.score_samples(on_origin), energy)


@pytest.mark.parametrize("missing", ["weight", "bias", "both"])
def test_missing_weight_or_bias(toy, missing):
    params = {"weight": toy.weight, "bias": toy.bias}
    for key in ("weight", "bias") if missing == "both" else (missing,):
        params.pop(key)
    with pytest.raises(ValueError, match="`weight`.*`bias`"):
        ViM(**params).fit(toy.features)


def test_weight_of_wrong_shape(toy):
    with pytest.raises(ValueError, match=r"n_features=8.*got shape \(7, 3\)"):
        ViM(weight=toy.weight[:7], bias=toy.bias).fit(toy.features)
    with pytest.raises(ValueError, match=r"`bias` must have shape \(3,\)"):
        ViM(weight=toy.weight, bias=toy.bias[:2]).fit(toy.features)


def test_n_components_must_leave_a_residual(toy):
    with pytest.raises(ValueError, match=r"`n_components` must be <= 7.*got 8"):
        ViM(n_components=8, weight=toy.weight, bias=toy.bias).fit(toy.features)
    with pytest.raises(ValueError, match=r"`n_components` must be <= 7.*got 20"):
        ViM(n_components=20, weight=toy.weight, bias=toy.bias).fit(toy.features)


def test_model_and_weight_together(fitted_cnn, spectra, toy):
    with pytest.raises(ValueError, match="not both"):
        ViM(model=fitted_cnn, weight=toy.weight, bias=toy.bias).fit(spectra.X)


def test_model_reads_the_last_dense_layer(fitted_cnn, spectra):
    det = ViM(model=fitted_cnn).fit(spectra.X)
    weight, bias = fitted_cnn.network_.layers[-1].get_weights()
    np.testing.assert_array_equal(det.weight_, weight.astype(np.float64))
    np.testing.assert_array_equal(det.bias_, bias.astype(np.float64))
    np.testing.assert_allclose(
        fitted_cnn.transform(spectra.X) @ det.weight_ + det.bias_,
        fitted_cnn.logits(spectra.X),
        rtol=1e-4,
        atol=1e-4,
    )


class _KernelOnlyModel:
    """A fitted model whose ``head_weights()`` gives the kernel alone."""

    def __init__(self, weight):
        self.weight = weight

    def head_weights(self):
        return [self.weight]

    def transform(self, X):
        return np.asarray(X, dtype=np.float64)


def test_a_head_without_bias_gets_a_zero_bias(toy):
    det = ViM(model=_KernelOnlyModel(toy.weight)).fit(toy.features)
    np.testing.assert_array_equal(det.bias_, np.zeros(3))
    reference = ViM(weight=toy.weight, bias=np.zeros(3)).fit(toy.features)
    np.testing.assert_array_equal(
        det.score_samples(toy.ood_features), reference.score_samples(toy.ood_features)
    )


def test_nan_in_the_head_is_refused(toy):
    weight = toy.weight.copy()
    weight[0, 0] = np.nan
    with pytest.raises(ValueError):
        ViM(weight=weight, bias=toy.bias).fit(toy.features)


def _softmax_head(n_features, n_classes, seed=0):
    """A float32 head whose columns sum to zero, as softmax training leaves it."""
    rng = np.random.default_rng(seed)
    weight = rng.normal(size=(n_features, n_classes))
    weight -= weight.mean(axis=1, keepdims=True)
    return weight.astype(np.float32), rng.normal(size=n_classes).astype(np.float32)


def test_origin_ignores_a_bias_shift_of_a_rank_deficient_head():
    # Adding -20 to every bias changes no prediction; numpy's default pinv
    # cutoff inverted the float32 noise and moved the origin to ~1e16.
    weight, bias = _softmax_head(16, 4)
    rng = np.random.default_rng(1)
    features = rng.normal(size=(200, 16)) + 3.0
    det = ViM(n_components=6, weight=weight, bias=bias).fit(features)
    shifted = ViM(n_components=6, weight=weight, bias=bias - 20.0).fit(features)
    np.testing.assert_allclose(shifted.origin_, det.origin_, atol=1e-5)
    # Reference: least squares on the 3 directions the head actually uses.
    u, s, vt = np.linalg.svd(weight.T.astype(np.float64), full_matrices=False)
    kept = s > 1e-6 * s[0]
    reference = -(vt[kept].T / s[kept]) @ (u[:, kept].T @ bias.astype(np.float64))
    assert kept.sum() == 3
    np.testing.assert_allclose(det.origin_, reference, atol=1e-9)
    assert np.abs(det.origin_).max() < 10.0


def test_non_positive_scale_warns(toy):
    with pytest.warns(UserWarning, match="virtual-logit scale"):
        ViM(weight=toy.weight, bias=toy.bias - 100.0).fit(toy.features)


def test_subspace_is_capped_by_the_number_of_samples():
    # n <= d/2: the training features had no residual (1e-13), the scale was
    # 1.5e13 and every new sample was rejected.
    rng = np.random.default_rng(0)
    weight, bias = rng.normal(size=(64, 3)), np.zeros(3)
    means = 4.0 * rng.normal(size=(3, 64))
    y = np.arange(30) % 3
    train = means[y] + rng.normal(size=(30, 64))
    test = means[np.arange(600) % 3] + rng.normal(size=(600, 64))
    with pytest.warns(UserWarning, match="lowered from 32 to 15"):
        det = ViM(weight=weight, bias=bias, alpha=0.1).fit(train, y)
    assert det.n_components_ == 15
    assert det.virtual_logit_scale_ < 1e3
    assert np.mean(det.predict(test) == -1) <= 0.3
