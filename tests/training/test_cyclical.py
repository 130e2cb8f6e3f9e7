"""Tests for CyclicalLearningRate against an independent numpy implementation."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from specauth.training import CyclicalLearningRate  # noqa: E402


def reference_clr(steps, base_lr, max_lr, step_size, mode, gamma=1.0):
    """Smith (2017), written out independently with numpy."""
    steps = np.asarray(steps, dtype=float)
    cycle = np.floor(1 + steps / (2 * step_size))
    x = np.abs(steps / step_size - 2 * cycle + 1)
    height = (max_lr - base_lr) * np.maximum(0.0, 1 - x)
    if mode == "triangular":
        scale = np.ones_like(steps)
    elif mode == "triangular2":
        scale = 1.0 / 2.0 ** (cycle - 1)
    else:
        scale = gamma**steps
    return base_lr + height * scale


def evaluate(schedule, steps):
    return np.array([float(schedule(step)) for step in steps])


@pytest.mark.parametrize(
    "mode, gamma", [("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.97)]
)
def test_matches_numpy_reference(mode, gamma):
    clr = CyclicalLearningRate(1e-3, 6e-3, step_size=5, mode=mode, gamma=gamma)
    steps = np.arange(0, 43)
    expected = reference_clr(steps, 1e-3, 6e-3, 5, mode, gamma)
    np.testing.assert_allclose(evaluate(clr, steps), expected, rtol=1e-5)


def test_hand_worked_points():
    tri = CyclicalLearningRate(0.1, 0.5, step_size=10)
    # start, peak, back at base, half way up the second cycle
    np.testing.assert_allclose(
        evaluate(tri, [0, 10, 20, 25, 30]), [0.1, 0.5, 0.1, 0.3, 0.5], rtol=1e-6
    )
    tri2 = CyclicalLearningRate(0.1, 0.5, step_size=10, mode="triangular2")
    # peaks of cycles 1, 2, 3: amplitude 0.4, 0.2, 0.1
    np.testing.assert_allclose(
        evaluate(tri2, [10, 30, 50, 40]), [0.5, 0.3, 0.2, 0.1], rtol=1e-6
    )
    exp = CyclicalLearningRate(0.1, 0.5, step_size=10, mode="exp_range", gamma=0.9)
    np.testing.assert_allclose(
        evaluate(exp, [0, 10, 30]),
        [0.1, 0.1 + 0.4 * 0.9**10, 0.1 + 0.4 * 0.9**30],
        rtol=1e-5,
    )


def test_from_epochs_fractional_step_size():
    clr = CyclicalLearningRate.from_epochs(
        1e-3, 1e-2, step_size_epochs=1.5, steps_per_epoch=4, mode="triangular2"
    )
    assert clr.step_size == 6.0
    direct = CyclicalLearningRate(1e-3, 1e-2, step_size=6, mode="triangular2")
    steps = np.arange(30)
    np.testing.assert_allclose(evaluate(clr, steps), evaluate(direct, steps))


def test_accepts_tensor_steps_of_any_int_dtype():
    clr = CyclicalLearningRate(0.1, 0.5, step_size=10)
    step = keras.ops.convert_to_tensor(np.int64(10))
    assert float(clr(step)) == pytest.approx(0.5)


def test_config_round_trip():
    clr = CyclicalLearningRate(
        1e-3, 1e-2, step_size=3.5, mode="exp_range", gamma=0.99, name="clr"
    )
    clone = CyclicalLearningRate.from_config(clr.get_config())
    assert clone.get_config() == clr.get_config()
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(clr)
    )
    assert isinstance(restored, CyclicalLearningRate)
    np.testing.assert_allclose(evaluate(restored, range(20)), evaluate(clr, range(20)))


def test_optimizer_evaluates_it_every_batch_and_keras_file_reloads(tmp_path):
    clr = CyclicalLearningRate(0.01, 0.05, step_size=3, mode="triangular2")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(clr), loss="mse")
    X, y = np.ones((10, 2), "float32"), np.zeros(10, "float32")
    model.fit(X, y, batch_size=2, epochs=1, verbose=0)  # 5 batches
    assert float(model.optimizer.learning_rate) == pytest.approx(
        reference_clr(5, 0.01, 0.05, 3, "triangular2"), rel=1e-6
    )
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    schedule = loaded.optimizer._learning_rate
    assert isinstance(schedule, CyclicalLearningRate)
    assert schedule.get_config() == clr.get_config()
    assert float(loaded.optimizer.learning_rate) == pytest.approx(
        float(model.optimizer.learning_rate)
    )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            dict(base_lr=-0.1),
            ValueError,
            "`base_lr` must be a finite number in \\(0, inf\\)",
        ),
        (dict(base_lr=0.0), ValueError, "`base_lr`"),
        (dict(max_lr=-1.0), ValueError, "`max_lr`"),
        (dict(base_lr=0.5, max_lr=0.1), ValueError, "`max_lr` must be >= `base_lr`"),
        (dict(step_size=0), ValueError, "`step_size`"),
        (dict(mode="cosine"), ValueError, "`mode` must be one of 'triangular'"),
        (dict(mode="exp_range", gamma=1.5), ValueError, "`gamma` must be"),
        (dict(mode="exp_range", gamma=0.0), ValueError, "`gamma` must be"),
        (dict(base_lr="0.1"), TypeError, "`base_lr` must be a finite number"),
        (dict(step_size=True), TypeError, "`step_size`"),
        (dict(step_size=float("nan")), ValueError, "`step_size`"),
    ],
)
def test_bad_input(kwargs, error, match):
    params = dict(base_lr=0.01, max_lr=0.1, step_size=4)
    params.update(kwargs)
    with pytest.raises(error, match=match):
        CyclicalLearningRate(**params)


def test_from_epochs_bad_input():
    with pytest.raises(ValueError, match="`steps_per_epoch`"):
        CyclicalLearningRate.from_epochs(0.01, 0.1, 2, steps_per_epoch=0)
    with pytest.raises(TypeError, match="`steps_per_epoch`"):
        CyclicalLearningRate.from_epochs(0.01, 0.1, 2, steps_per_epoch=2.5)
    with pytest.raises(ValueError, match="`step_size_epochs`"):
        CyclicalLearningRate.from_epochs(0.01, 0.1, -1.0, steps_per_epoch=10)
