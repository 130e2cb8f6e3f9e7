"""Discriminative learning rates: per-variable factors really scale each step."""

from __future__ import annotations

import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from specauth.training.discriminative import (  # noqa: E402
    discriminative_optimizer,
    layer_rate_factors,
)

LR = 0.1


def _variables():
    rng = np.random.default_rng(0)
    slow = keras.Variable(rng.normal(size=(3, 2)).astype("float32"), name="slow")
    fast = keras.Variable(rng.normal(size=(4,)).astype("float32"), name="fast")
    grads = [
        rng.normal(size=(3, 2)).astype("float32"),
        rng.normal(size=(4,)).astype("float32"),
    ]
    return [slow, fast], grads


def _values(variables):
    return [keras.ops.convert_to_numpy(v).copy() for v in variables]


def _step(optimizer, variables, grads):
    optimizer.apply_gradients(
        [
            (keras.ops.convert_to_tensor(g), v)
            for g, v in zip(grads, variables, strict=True)
        ]
    )
    return _values(variables)


def test_sgd_step_is_minus_lr_times_factor_times_grad():
    variables, grads = _variables()
    before = _values(variables)
    opt = discriminative_optimizer(keras.optimizers.SGD(LR), {"slow": 0.01})
    after = _step(opt, variables, grads)
    # hand-worked: w1 = w0 - lr * f * g, with f = 0.01 for "slow" and 1 otherwise
    np.testing.assert_allclose(after[0], before[0] - LR * 0.01 * grads[0], atol=1e-7)
    np.testing.assert_allclose(after[1], before[1] - LR * 1.0 * grads[1], atol=1e-7)
    assert not np.allclose(after[0], before[0] - LR * grads[0])


def test_lookahead_keeps_the_factors_of_its_inner_optimizer():
    """Ranger (Lookahead around RAdam) inside fine-tuning: the per-variable
    factors scale the inner steps (first step, before any sync: SGD inside
    gives exactly w - lr * f * g) and k, alpha are kept."""
    from specauth.training.lookahead import Lookahead

    variables, grads = _variables()
    before = _values(variables)
    opt = discriminative_optimizer(
        Lookahead(keras.optimizers.SGD(LR), k=3, alpha=0.4), {"slow": 0.01}
    )
    assert isinstance(opt, Lookahead) and (opt.k, opt.alpha) == (3, 0.4)
    after = _step(opt, variables, grads)
    np.testing.assert_allclose(after[0], before[0] - LR * 0.01 * grads[0], atol=1e-7)
    np.testing.assert_allclose(after[1], before[1] - LR * grads[1], atol=1e-7)


def test_factor_scales_a_learning_rate_schedule():
    variables, grads = _variables()
    before = _values(variables)
    schedule = keras.optimizers.schedules.ExponentialDecay(LR, 1, 0.5)
    opt = discriminative_optimizer(
        keras.optimizers.SGD(schedule), {"slow": 0.2, "fast": 3.0}
    )
    first = _step(opt, variables, grads)  # step 0: rate LR
    second = _step(opt, variables, grads)  # step 1: rate LR / 2
    np.testing.assert_allclose(first[0], before[0] - LR * 0.2 * grads[0], atol=1e-6)
    np.testing.assert_allclose(first[1], before[1] - LR * 3.0 * grads[1], atol=1e-6)
    np.testing.assert_allclose(second[0], first[0] - LR / 2 * 0.2 * grads[0], atol=1e-6)


def test_adam_with_factor_matches_plain_adam_at_scaled_rate():
    factor = 0.05
    variables, grads = _variables()
    reference, _ = _variables()
    before = _values(variables)
    opt = discriminative_optimizer(keras.optimizers.Adam(LR), {"slow": factor})
    plain_slow = keras.optimizers.Adam(LR * factor)
    plain_fast = keras.optimizers.Adam(LR)
    for step in range(3):
        after = _step(opt, variables, grads)
        expected = [
            _step(plain_slow, reference[:1], grads[:1])[0],
            _step(plain_fast, reference[1:], grads[1:])[0],
        ]
        np.testing.assert_allclose(after[0], expected[0], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(after[1], expected[1], rtol=1e-6, atol=1e-8)
        if step == 0:
            # Adam's first step is lr * sign(g) (|g| >> epsilon)
            np.testing.assert_allclose(
                before[0] - after[0], LR * factor * np.sign(grads[0]), rtol=1e-3
            )
            np.testing.assert_allclose(
                before[1] - after[1], LR * np.sign(grads[1]), rtol=1e-3
            )


def _tiny_model():
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, activation="tanh", name="body"),
            keras.layers.Dense(2, name="head"),
        ]
    )
    model.set_weights([np.full(w.shape, 0.3, "float32") for w in model.weights])
    return model


def test_factors_apply_inside_compiled_model_fit():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    plain, slowed = _tiny_model(), _tiny_model()
    start = [w.copy() for w in plain.get_weights()]
    body = slowed.get_layer("body")
    factors = {v.path: 0.25 for v in body.trainable_weights}
    plain.compile(optimizer=keras.optimizers.SGD(LR), loss="mse")
    slowed.compile(
        optimizer=discriminative_optimizer(keras.optimizers.SGD(LR), factors),
        loss="mse",
    )
    for model in (plain, slowed):
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    moved_plain = [a - b for a, b in zip(plain.get_weights(), start, strict=True)]
    moved_slowed = [a - b for a, b in zip(slowed.get_weights(), start, strict=True)]
    for index in (0, 1):  # body kernel and bias: a quarter of the plain step
        assert np.abs(moved_plain[index]).max() > 1e-4
        np.testing.assert_allclose(
            moved_slowed[index], 0.25 * moved_plain[index], rtol=1e-4, atol=1e-8
        )
    for index in (2, 3):  # head: factor 1, same step
        np.testing.assert_allclose(
            moved_slowed[index], moved_plain[index], rtol=1e-5, atol=1e-8
        )


def test_copy_keeps_config_and_leaves_original_untouched():
    original = keras.optimizers.SGD(LR, momentum=0.5, nesterov=True)
    config = original.get_config()
    opt = discriminative_optimizer(original, {"slow": 0.5})
    assert type(opt).__name__ == "DiscriminativeSGD"
    assert isinstance(opt, keras.optimizers.SGD) and opt is not original
    assert opt.get_config() == config
    variables, grads = _variables()
    _step(opt, variables, grads)
    assert original.get_config() == config
    assert not original.built and int(original.iterations) == 0
    assert not hasattr(original, "_rate_factors")
    assert int(opt.iterations) == 1


def test_rewrapping_replaces_the_factors_instead_of_stacking():
    once = discriminative_optimizer(keras.optimizers.SGD(LR), {"slow": 0.5})
    twice = discriminative_optimizer(once, {"slow": 0.1})
    assert type(twice) is type(once)
    variables, grads = _variables()
    before = _values(variables)
    after = _step(twice, variables, grads)
    np.testing.assert_allclose(after[0], before[0] - LR * 0.1 * grads[0], atol=1e-7)


def _dense_layers(n):
    layers = [keras.layers.Dense(2, name=f"dense_{i}") for i in range(n)]
    for layer in layers:
        layer.build((None, 2))
    return layers


def test_layer_rate_factors_hand_worked():
    layers = _dense_layers(5)
    factors = layer_rate_factors(layers, 100.0)
    # geometric from 1/100 to 1/sqrt(100) = 1/10 in 4 equal log-steps
    expected = [10 ** (-2 + 0.25 * i) for i in range(5)]
    for layer, value in zip(layers, expected, strict=True):
        assert factors[layer.kernel.path] == pytest.approx(value, rel=1e-12)
        assert factors[layer.bias.path] == pytest.approx(value, rel=1e-12)
    assert factors[layers[0].kernel.path] == pytest.approx(0.01)
    assert factors[layers[-1].kernel.path] == pytest.approx(0.1)
    assert len(factors) == 10
    ratios = np.diff(np.log([factors[layer.kernel.path] for layer in layers]))
    np.testing.assert_allclose(ratios, math.log(10) / 4)


def test_layer_rate_factors_edge_cases():
    single = _dense_layers(1)
    assert layer_rate_factors(single, 16.0) == {
        single[0].kernel.path: pytest.approx(1 / 16),
        single[0].bias.path: pytest.approx(1 / 16),
    }
    assert layer_rate_factors([], 10.0) == {}
    ones = layer_rate_factors(_dense_layers(3), 1)
    assert set(ones.values()) == {1.0}
    frozen = _dense_layers(2)
    frozen[0].trainable = False  # frozen weights get no factor
    assert set(layer_rate_factors(frozen, 4.0)) == {
        frozen[1].kernel.path,
        frozen[1].bias.path,
    }


@pytest.mark.parametrize(
    ("optimizer", "factors", "error", "match"),
    [
        ("sgd", {}, TypeError, "`optimizer` must be a keras.optimizers.Optimizer"),
        (None, [("w", 0.5)], TypeError, "`factors` must be a dict; got list"),
        (None, {1: 0.5}, TypeError, "keys must be variable paths"),
        (None, {"w": "0.5"}, TypeError, r"`factors\['w'\]` must be a positive"),
        (None, {"w": True}, TypeError, r"`factors\['w'\]` must be a positive"),
        (None, {"w": 0.0}, ValueError, r"`factors\['w'\]` must be a finite number"),
        (None, {"w": -1}, ValueError, r"> 0; got -1"),
        (None, {"w": float("nan")}, ValueError, "got nan"),
    ],
)
def test_discriminative_optimizer_bad_input(optimizer, factors, error, match):
    optimizer = keras.optimizers.SGD(LR) if optimizer is None else optimizer
    with pytest.raises(error, match=match):
        discriminative_optimizer(optimizer, factors)


@pytest.mark.parametrize(
    ("lr_mult", "error", "match"),
    [
        (0.5, ValueError, "`lr_mult` must be a finite number >= 1; got 0.5"),
        (0, ValueError, "`lr_mult` must be a finite number >= 1; got 0"),
        (float("inf"), ValueError, "got inf"),
        ("10", TypeError, "`lr_mult` must be a number >= 1; got '10' of type str"),
        (True, TypeError, "of type bool"),
    ],
)
def test_layer_rate_factors_bad_input(lr_mult, error, match):
    with pytest.raises(error, match=match):
        layer_rate_factors(_dense_layers(2), lr_mult)
