"""OneCycleMomentum must change the momentum the compiled train step uses."""

import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from specauth.training import OneCycleMomentum  # noqa: E402

X = np.array([[1.0], [2.0], [-1.0], [0.5]], dtype="float32")
Y = np.array([[1.0], [3.0], [0.0], [2.0]], dtype="float32")
LR = 0.05

#: JAX's compiled train step cannot read a changing momentum: there
#: OneCycleMomentum warns once and leaves the momentum as it is (documented in
#: docs/backends.md and checked by test_on_jax_warns_once_and_keeps_the_momentum).
cycles = pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="no momentum cycling on JAX (OneCycleMomentum warns and leaves it)",
)


def reference_momentum(step, total, pct, high, low):
    """High -> low -> high by half cosines, written independently."""
    warm = pct * total
    if step < warm:
        t, a, b = step / warm, high, low
    else:
        t, a, b = min((step - warm) / (total - warm), 1.0), low, high
    return b + (a - b) * (1 + np.cos(np.pi * t)) / 2


def linear_model(optimizer, n_inputs=1):
    model = keras.Sequential(
        [
            keras.Input((n_inputs,)),
            keras.layers.Dense(
                1, use_bias=False, kernel_initializer=keras.initializers.Constant(0.1)
            ),
        ]
    )
    model.compile(optimizer, loss="mse")
    return model


def fit(model, epochs, callbacks=(), x=X, y=Y):
    model.fit(
        x,
        y,
        batch_size=2,
        epochs=epochs,
        shuffle=False,
        verbose=0,
        callbacks=list(callbacks),
    )
    return model.get_weights()[0]


def simulate_sgd(momentums, w=0.1):
    """Keras SGD (velocity = mu * velocity - lr * g; w += velocity), by hand."""
    velocity = 0.0
    batches = [(X[:2, 0], Y[:2, 0]), (X[2:, 0], Y[2:, 0])]
    for step, mu in enumerate(momentums):
        xb, yb = batches[step % 2]
        grad = np.mean(2 * xb * (w * xb - yb))
        velocity = mu * velocity - LR * grad
        w = w + velocity
    return w


def simulate_adam(beta_1s, w=0.1, beta_2=0.999, eps=1e-7):
    """Keras Adam by hand, with the step's own beta_1 in the bias correction."""
    m = v = 0.0
    batches = [(X[:2, 0], Y[:2, 0]), (X[2:, 0], Y[2:, 0])]
    for step, b1 in enumerate(beta_1s):
        xb, yb = batches[step % 2]
        grad = np.mean(2 * xb * (w * xb - yb))
        t = step + 1
        alpha = LR * np.sqrt(1 - beta_2**t) / (1 - b1**t)
        m += (grad - m) * (1 - b1)
        v += (grad**2 - v) * (1 - beta_2)
        w -= m * alpha / (np.sqrt(v) + eps)
    return w


def test_momentum_at_matches_reference():
    cb = OneCycleMomentum(40, pct_start=0.3, max_momentum=0.95, min_momentum=0.8)
    for step in range(50):
        assert cb.momentum_at(step) == pytest.approx(
            reference_momentum(step, 40, 0.3, 0.95, 0.8), abs=1e-6
        )
    assert cb.momentum_at(0) == 0.95
    assert cb.momentum_at(12) == 0.8


@cycles
def test_sgd_weights_follow_the_scheduled_momentum():
    cb = OneCycleMomentum(6, pct_start=0.5, max_momentum=0.9, min_momentum=0.3)
    model = linear_model(keras.optimizers.SGD(LR, momentum=0.9))
    w = fit(model, epochs=3, callbacks=[cb])
    expected_mus = [reference_momentum(s, 6, 0.5, 0.9, 0.3) for s in range(6)]
    np.testing.assert_allclose(cb.momentums, expected_mus, atol=1e-6)
    assert cb.iterations == list(range(6))
    np.testing.assert_allclose(w.item(), simulate_sgd(expected_mus), rtol=1e-5)
    # ... and not what constant momentum would have given
    assert abs(w.item() - simulate_sgd([0.9] * 6)) > 1e-3
    assert model.optimizer.momentum == 0.9


@cycles
def test_adam_weights_follow_the_scheduled_beta_1():
    cb = OneCycleMomentum(8, pct_start=0.5, max_momentum=0.9, min_momentum=0.2)
    w = fit(linear_model(keras.optimizers.Adam(LR)), epochs=4, callbacks=[cb])
    beta_1s = [reference_momentum(s, 8, 0.5, 0.9, 0.2) for s in range(8)]
    np.testing.assert_allclose(w.item(), simulate_adam(beta_1s), rtol=1e-5)
    assert abs(w.item() - simulate_adam([0.9] * 8)) > 1e-3


@cycles
def test_works_after_the_train_step_was_traced_with_the_float():
    model = linear_model(keras.optimizers.SGD(LR, momentum=0.9))
    fit(model, epochs=1)  # traces the step with momentum=0.9 baked in
    cb = OneCycleMomentum(6, pct_start=0.5, max_momentum=0.9, min_momentum=0.0)
    w = fit(model, epochs=2, callbacks=[cb])
    mus = [0.9, 0.9] + [reference_momentum(s, 6, 0.5, 0.9, 0.0) for s in range(2, 6)]
    np.testing.assert_allclose(w.item(), simulate_sgd(mus), rtol=1e-5)
    # a later fit without the callback uses the original float again
    w_after = fit(model, epochs=1)
    np.testing.assert_allclose(
        w_after.item(), simulate_sgd(mus + [0.9, 0.9]), rtol=1e-5
    )


@cycles
@pytest.mark.parametrize(
    "make, attribute",
    [
        (lambda m: keras.optimizers.Adam(0.05, beta_1=m), "beta_1"),
        (lambda m: keras.optimizers.Nadam(0.05, beta_1=m), "beta_1"),
        (lambda m: keras.optimizers.RMSprop(0.05, momentum=m), "momentum"),
    ],
)
def test_forced_momentum_equals_an_optimizer_built_with_it(make, attribute):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    forced = OneCycleMomentum(4, max_momentum=0.5, min_momentum=0.5)
    model = linear_model(make(0.9), n_inputs=3)
    w_forced = fit(model, epochs=2, callbacks=[forced], x=x, y=y)
    w_built = fit(linear_model(make(0.5), n_inputs=3), epochs=2, x=x, y=y)
    w_plain = fit(linear_model(make(0.9), n_inputs=3), epochs=2, x=x, y=y)
    np.testing.assert_allclose(w_forced, w_built, rtol=1e-5, atol=1e-7)
    assert np.abs(w_forced - w_plain).max() > 1e-4
    value = getattr(model.optimizer, attribute)
    assert type(value) is float and value == 0.9


def test_optimizer_state_and_saving_are_untouched(tmp_path):
    model = linear_model(keras.optimizers.Adam(0.01))
    fit(model, epochs=1)
    variables = model.optimizer.variables
    checkpoint = keras.callbacks.ModelCheckpoint(tmp_path / "mid.keras")
    # the checkpoint runs first at each epoch end: the worst order for it
    fit(model, epochs=2, callbacks=[checkpoint, OneCycleMomentum(4)])
    assert [id(v) for v in model.optimizer.variables] == [id(v) for v in variables]
    mid = keras.saving.load_model(tmp_path / "mid.keras", safe_mode=True)
    assert isinstance(mid.optimizer.beta_1, float)
    assert len(mid.optimizer.variables) == len(variables)
    model.save(tmp_path / "end.keras")
    end = keras.saving.load_model(tmp_path / "end.keras", safe_mode=True)
    assert end.optimizer.beta_1 == 0.9
    np.testing.assert_array_equal(end.get_weights()[0], model.get_weights()[0])


@cycles
def test_history_is_reset_at_each_fit():
    cb = OneCycleMomentum(10)
    model = linear_model(keras.optimizers.Adam(0.01))
    fit(model, epochs=2, callbacks=[cb])
    fit(model, epochs=1, callbacks=[cb])
    assert cb.iterations == [4, 5]
    assert len(cb.momentums) == 2


@cycles
@pytest.mark.parametrize(
    "optimizer, match",
    [
        (lambda: keras.optimizers.Adagrad(LR), "neither `beta_1` nor `momentum`"),
        (lambda: keras.optimizers.SGD(LR), "`momentum` is 0"),
    ],
)
def test_no_momentum_warns_once_and_does_nothing(optimizer, match):
    cb = OneCycleMomentum(4, min_momentum=0.0)
    model = linear_model(optimizer())
    with pytest.warns(UserWarning, match=match) as record:
        w = fit(model, epochs=1, callbacks=[cb])
        fit(model, epochs=1, callbacks=[cb])
    assert sum("OneCycleMomentum" in str(r.message) for r in record) == 1
    w_plain = fit(linear_model(optimizer()), epochs=1)
    np.testing.assert_array_equal(w, w_plain)
    assert cb.momentums == []


@cycles
def test_no_warning_when_momentum_is_cycled():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fit(
            linear_model(keras.optimizers.SGD(LR, momentum=0.5)),
            1,
            callbacks=[OneCycleMomentum(2)],
        )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(total_steps=0), ValueError, "`total_steps`"),
        (dict(total_steps=2.0), TypeError, "`total_steps`"),
        (dict(pct_start=1.0), ValueError, "`pct_start`"),
        (dict(max_momentum=1.0), ValueError, "`max_momentum` must be a number in"),
        (dict(min_momentum=-0.1), ValueError, "`min_momentum`"),
        (dict(min_momentum=0.97), ValueError, "`min_momentum` must be <= `max"),
    ],
)
def test_bad_input(kwargs, error, match):
    params = dict(total_steps=10)
    params.update(kwargs)
    with pytest.raises(error, match=match):
        OneCycleMomentum(**params)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="the JAX behaviour")
def test_on_jax_warns_once_and_keeps_the_momentum():
    cb = OneCycleMomentum(4)
    model = linear_model(keras.optimizers.SGD(LR, momentum=0.5))
    with pytest.warns(UserWarning, match="JAX backend") as record:
        w = fit(model, epochs=1, callbacks=[cb])
        fit(model, epochs=1, callbacks=[cb])
    assert sum("OneCycleMomentum" in str(r.message) for r in record) == 1
    assert model.optimizer.momentum == 0.5 and cb.momentums == []
    plain = fit(linear_model(keras.optimizers.SGD(LR, momentum=0.5)), epochs=1)
    np.testing.assert_array_equal(w, plain)
