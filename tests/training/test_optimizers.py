"""make_schedule: the callbacks that go with each schedule, per backend."""

import pytest

from specauth.training import OneCycleMomentum, OneCycleSchedule
from specauth.training.optimizers import make_schedule


def _callbacks(options=None):
    schedule, callbacks = make_schedule(
        "one_cycle", 1e-3, total_steps=10, options=options or {}
    )
    assert isinstance(schedule, OneCycleSchedule)
    return callbacks


def test_one_cycle_cycles_the_momentum_on_tensorflow_and_torch(keras, monkeypatch):
    for backend in ("tensorflow", "torch"):
        monkeypatch.setattr(keras.backend, "backend", lambda b=backend: b)
        (callback,) = _callbacks()
        assert isinstance(callback, OneCycleMomentum)


def test_no_momentum_callback_on_jax_unless_asked_for(keras, monkeypatch):
    # The compiled JAX step reads the momentum as a constant: the default
    # schedule leaves it alone instead of warning at every fit.
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    assert _callbacks() == []
    (callback,) = _callbacks({"max_momentum": 0.9})
    assert isinstance(callback, OneCycleMomentum)


@pytest.fixture()
def keras():
    from specauth._lazy import import_keras

    return import_keras()
