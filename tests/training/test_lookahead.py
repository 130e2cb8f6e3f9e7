"""Lookahead syncs slow and fast weights every k steps; Ranger trains and saves."""

import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from specauth.datasets import make_spectra  # noqa: E402
from specauth.estimators import CNNClassifier  # noqa: E402
from specauth.training import (  # noqa: E402
    LearningRateRecorder,
    Lookahead,
    OneCycleMomentum,
    RAdam,
    make_optimizer,
)

W0 = np.array([1.0, -2.0])
TARGET = np.array([3.0, 1.0])


def grad(w):
    """Gradient of 0.5 * |w - TARGET|**2 scaled per coordinate."""
    return np.array([1.0, 0.3]) * (w - TARGET)


def reference(steps, *, lr, k, alpha):
    """Lookahead around plain SGD in numpy; returns w after each step."""
    fast, slow = W0.copy(), W0.copy()
    out = []
    for t in range(1, steps + 1):
        fast = fast - lr * grad(fast)
        if t % k == 0:
            slow = slow + alpha * (fast - slow)
            fast = slow.copy()
        out.append(fast.copy())
    return out


def run(optimizer, steps):
    w = keras.Variable(W0.astype("float32"))
    out = []
    for _ in range(steps):
        value = np.asarray(keras.ops.convert_to_numpy(w), dtype=float)
        optimizer.apply([keras.ops.array(grad(value).astype("float32"))], [w])
        out.append(np.asarray(keras.ops.convert_to_numpy(w), dtype=float))
    return out


def test_matches_numpy_around_sgd_for_2k_plus_1_steps():
    k, alpha, lr = 3, 0.4, 0.2
    got = run(Lookahead(keras.optimizers.SGD(lr), k=k, alpha=alpha), 2 * k + 1)
    expected = reference(2 * k + 1, lr=lr, k=k, alpha=alpha)
    for step, (a, b) in enumerate(zip(got, expected, strict=True), start=1):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"step {step}")
    # Up to step k - 1 this is SGD; step k lands between W0 and SGD's step k.
    sgd = run(keras.optimizers.SGD(lr), k)
    np.testing.assert_allclose(got[k - 2], sgd[k - 2], rtol=1e-6)
    np.testing.assert_allclose(got[k - 1], W0 + alpha * (sgd[k - 1] - W0), rtol=1e-6)


def test_counts_steps_of_an_accumulating_inner_optimizer():
    # With 2 gradients per update, k=2 updates are 4 calls.
    inner = keras.optimizers.SGD(0.5, gradient_accumulation_steps=2)
    optimizer = Lookahead(inner, k=2, alpha=0.5)
    w = keras.Variable([0.0])
    values = []
    for _ in range(4):
        optimizer.apply([keras.ops.array([-1.0])], [w])
        values.append(float(keras.ops.convert_to_numpy(w)[0]))
    # Updates at calls 2 and 4 move w by 0.5; the sync halves the total.
    assert values == pytest.approx([0.0, 0.5, 0.5, 0.5])
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == 2


def test_learning_rate_and_iterations_are_the_inner_optimizers():
    inner = RAdam(0.01)
    optimizer = Lookahead(inner)
    optimizer.learning_rate = 0.5
    assert float(keras.ops.convert_to_numpy(inner.learning_rate)) == 0.5
    assert optimizer.iterations is inner.iterations
    assert optimizer.inner_optimizer is inner


def test_make_optimizer_ranger_routes_k_and_alpha_to_lookahead():
    optimizer = make_optimizer("ranger", 0.02, {"k": 4, "beta_1": 0.95})
    assert type(optimizer) is Lookahead and type(optimizer.inner_optimizer) is RAdam
    assert (optimizer.k, optimizer.alpha) == (4, 0.5)
    assert optimizer.inner_optimizer.beta_1 == 0.95
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == (
        pytest.approx(0.02)
    )
    assert type(make_optimizer("RAdam", 0.1, {})) is RAdam
    default = make_optimizer("ranger", 1e-3, {})
    assert (default.k, default.alpha) == (6, 0.5)


def test_config_round_trip_and_copy_of_an_instance():
    optimizer = make_optimizer("ranger", 0.02, {"alpha": 0.8, "epsilon": 1e-6})
    config = optimizer.get_config()
    assert Lookahead.from_config(config).get_config() == config
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(restored, Lookahead) and restored.get_config() == config
    copy = make_optimizer(optimizer, 0.1, {"k": 2})
    assert (
        copy is not optimizer and copy.inner_optimizer is not optimizer.inner_optimizer
    )
    assert (copy.k, copy.alpha, copy.inner_optimizer.epsilon) == (2, 0.8, 1e-6)
    assert float(keras.ops.convert_to_numpy(copy.learning_rate)) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"k": 0}, ValueError, "`k`"),
        ({"k": 2.5}, TypeError, "`k`"),
        ({"alpha": 0.0}, ValueError, "`alpha`"),
        ({"alpha": 1.5}, ValueError, "`alpha`"),
    ],
)
def test_bad_k_or_alpha_names_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        Lookahead(keras.optimizers.SGD(0.1), **kwargs)


def test_a_non_optimizer_is_refused():
    with pytest.raises(TypeError, match="`optimizer`"):
        Lookahead("adam")
    with pytest.raises(TypeError, match="Lookahead class"):
        make_optimizer(Lookahead, 1e-3, {})


def test_ranger_model_trains_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)).astype("float32")
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + 1.0).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(make_optimizer("ranger", 0.1, {"k": 3}), loss="mse")
    history = model.fit(X, y, batch_size=8, epochs=6, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    path = tmp_path / "ranger.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded.optimizer, Lookahead)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    saved = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]
    restored = [keras.ops.convert_to_numpy(v) for v in loaded.optimizer.variables]
    for a, b in zip(saved, restored, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(
    keras.backend.backend() == "jax", reason="no momentum cycling on JAX"
)
def test_one_cycle_momentum_reaches_the_inner_optimizers_compiled_step():
    X = np.linspace(-1, 1, 32, dtype="float32").reshape(16, 2)
    y = X.sum(axis=1)

    def fit(callbacks):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(Lookahead(RAdam(0.05), k=2), loss="mse")
        model.fit(
            X, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=callbacks
        )
        return model

    momentum, recorder = OneCycleMomentum(8, min_momentum=0.5), LearningRateRecorder()
    cycled = fit([momentum, recorder])
    plain = fit([])
    assert recorder.momentums == pytest.approx(momentum.momentums)
    assert min(recorder.momentums) == pytest.approx(0.5)
    assert cycled.optimizer.inner_optimizer.beta_1 == 0.9
    assert not np.allclose(cycled.get_weights()[0], plain.get_weights()[0])


def test_cnn_classifier_trains_with_ranger_and_one_cycle_momentum():
    data = make_spectra(n_classes=2, n_samples_per_class=8, length=64, random_state=0)
    clf = CNNClassifier(
        "cnn1d_small",
        optimizer="ranger",
        epochs=2,
        batch_size=8,
        random_state=0,
        optimizer__k=3,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="OneCycleMomentum cannot")
        clf.fit(data.X, data.y)
    optimizer = clf.network_.optimizer
    assert isinstance(optimizer, Lookahead) and optimizer.k == 3
    # The momentum was cycled on the inner RAdam and its float put back.
    assert optimizer.inner_optimizer.beta_1 == 0.9
    assert np.isfinite(clf.history_["loss"]).all()
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) >= 4
