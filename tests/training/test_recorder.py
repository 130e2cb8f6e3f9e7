"""Tests for LearningRateRecorder."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from specauth.training import (  # noqa: E402
    CyclicalLearningRate,
    LearningRateRecorder,
    OneCycleMomentum,
    OneCycleSchedule,
)

X = np.linspace(-1, 1, 24, dtype="float32").reshape(12, 2)
Y = X.sum(axis=1, keepdims=True)


def small_model(optimizer):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer, loss="mse")
    return model


def test_records_the_schedule_value_of_every_step():
    clr = CyclicalLearningRate(0.001, 0.01, step_size=2, mode="triangular2")
    recorder = LearningRateRecorder()
    model = small_model(keras.optimizers.SGD(clr))
    history = model.fit(X, Y, batch_size=4, epochs=3, verbose=0, callbacks=[recorder])
    assert recorder.iterations == list(range(9))
    # triangular2 by hand: peaks 0.01, then 0.0055 (amplitude halved)
    expected = [0.001, 0.0055, 0.01, 0.0055, 0.001, 0.00325, 0.0055, 0.00325, 0.001]
    np.testing.assert_allclose(recorder.lrs, expected, rtol=1e-5)
    # the epoch's last rate lands in the History
    np.testing.assert_allclose(history.history["lr"], expected[2::3], rtol=1e-5)
    assert recorder.momentums == [0.0] * 9  # SGD has a momentum: 0


def test_float_lr_and_reset_between_fits():
    recorder = LearningRateRecorder()
    model = small_model(keras.optimizers.RMSprop(0.003))
    model.fit(X, Y, batch_size=6, epochs=2, verbose=0, callbacks=[recorder])
    model.fit(X, Y, batch_size=6, epochs=1, verbose=0, callbacks=[recorder])
    assert recorder.iterations == [4, 5]
    np.testing.assert_allclose(recorder.lrs, [0.003, 0.003], rtol=1e-6)


@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="no momentum cycling on JAX (OneCycleMomentum warns and leaves it)",
)
@pytest.mark.parametrize("recorder_first", [True, False])
def test_records_cycled_momentum_whatever_the_callback_order(recorder_first):
    steps = 6
    recorder = LearningRateRecorder()
    momentum = OneCycleMomentum(steps, pct_start=0.5)
    callbacks = [recorder, momentum] if recorder_first else [momentum, recorder]
    schedule = OneCycleSchedule(0.01, total_steps=steps, pct_start=0.5)
    model = small_model(keras.optimizers.Adam(schedule))
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0, callbacks=callbacks)
    assert recorder.momentums == momentum.momentums
    assert len(recorder.momentums) == steps
    np.testing.assert_allclose(
        recorder.lrs, [float(schedule(s)) for s in range(steps)], rtol=1e-6
    )
    # the learning rate rises while the momentum falls, and the other way round
    assert np.argmax(recorder.lrs) == np.argmin(recorder.momentums) == 3


def test_no_momentum_attribute_records_nothing():
    recorder = LearningRateRecorder()
    model = small_model(keras.optimizers.Adagrad(0.01))
    model.fit(X, Y, batch_size=6, epochs=1, verbose=0, callbacks=[recorder])
    assert recorder.momentums == []
    assert len(recorder.lrs) == 2
