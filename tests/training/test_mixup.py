"""mixup_batch: mixes inputs and targets with the same Beta weights."""

import numpy as np
import pytest

from specauth.training import mixup_batch


def _batch(n=6, length=10, k=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, length, 1)).astype("float32")
    y = np.eye(k)[rng.integers(0, k, size=n)]
    return x, y


def test_matches_a_hand_computation_with_the_documented_draws():
    x, y = _batch()
    draws = np.random.default_rng(7)
    lam = draws.beta(0.4, 0.4, size=6)
    j = draws.permutation(6)
    x_mixed, y_mixed = mixup_batch(x, y, alpha=0.4, rng=np.random.default_rng(7))
    for i in range(6):
        np.testing.assert_allclose(
            x_mixed[i], lam[i] * x[i] + (1 - lam[i]) * x[j[i]], rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(
            y_mixed[i], lam[i] * y[i] + (1 - lam[i]) * y[j[i]], rtol=1e-12
        )


def test_int_seed_is_a_default_rng_seed():
    x, y = _batch()
    a = mixup_batch(x, y, alpha=0.4, rng=3)
    b = mixup_batch(x, y, alpha=0.4, rng=np.random.default_rng(3))
    for got, expected in zip(a, b, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_one_hot_rows_still_sum_to_one_and_stay_in_the_simplex():
    x, y = _batch(n=200, k=5)
    _, y_mixed = mixup_batch(x, y, alpha=1.0, rng=0)
    np.testing.assert_allclose(y_mixed.sum(axis=1), 1.0)
    assert ((y_mixed >= 0) & (y_mixed <= 1)).all()
    assert ((y_mixed > 0) & (y_mixed < 1)).any()  # targets really mixed


@pytest.mark.parametrize("shape", [(8,), (8, 2)])
def test_regression_targets_are_mixed_like_the_inputs(shape):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 12))
    # A linear target stays the same linear function of the mixed input.
    weights = rng.normal(size=(12,) + shape[1:])
    y = x @ weights
    x_mixed, y_mixed = mixup_batch(x, y, alpha=0.2, rng=0)
    assert y_mixed.shape == shape
    np.testing.assert_allclose(y_mixed, x_mixed @ weights, atol=1e-10)


def test_keeps_float32_and_leaves_the_inputs_untouched():
    x, y = _batch()
    y = y.astype("float32")
    x_copy, y_copy = x.copy(), y.copy()
    x_mixed, y_mixed = mixup_batch(x, y, rng=0)
    assert x_mixed.dtype == np.float32
    assert y_mixed.dtype == np.float32
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_lambda_follows_the_beta_law():
    n = 4000
    x = np.zeros((n, 1))
    x[: n // 2] = 1.0
    y = x[:, 0].copy()
    _, y_mixed = mixup_batch(x, y, alpha=0.5, rng=0)
    # Partners of the other half: y_mixed = lam (own 1) or 1 - lam (own 0).
    lam = np.concatenate([y_mixed[: n // 2], 1 - y_mixed[n // 2 :]])
    mixed = lam[(lam > 0) & (lam < 1)]  # pairs of opposite samples
    assert len(mixed) > n / 4
    assert mixed.mean() == pytest.approx(0.5, abs=0.03)
    assert mixed.var() == pytest.approx(1 / (4 * 2), rel=0.1)  # 1 / (4 (2a + 1))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"alpha": 0.0}, ValueError, "alpha"),
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"alpha": "0.2"}, TypeError, "alpha"),
        ({"rng": "seed"}, TypeError, "rng"),
        ({"y": np.array([0, 1, 2, 0, 1, 2])}, ValueError, "integer class labels"),
        ({"y": np.ones((5, 3))}, ValueError, "same number of samples"),
        ({"y": np.ones((6, 3, 1))}, ValueError, "n_targets"),
    ],
)
def test_bad_input(kwargs, error, match):
    x, y = _batch()
    arguments = {"x": x, "y": y, **kwargs}
    with pytest.raises(error, match=match):
        mixup_batch(**arguments)
