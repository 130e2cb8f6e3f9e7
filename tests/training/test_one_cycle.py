"""Tests for OneCycleSchedule against numpy values at hand-picked steps."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from specauth.training import OneCycleSchedule  # noqa: E402


def reference_one_cycle(step, max_lr, total, pct, div, final_div):
    """fastai's one-cycle learning rate, written independently with numpy."""
    low, final = max_lr / div, max_lr / div / final_div
    warm = pct * total
    if step < warm:
        t = step / warm
        return max_lr + (low - max_lr) * (1 + np.cos(np.pi * t)) / 2
    t = min((step - warm) / (total - warm), 1.0)
    return final + (max_lr - final) * (1 + np.cos(np.pi * t)) / 2


def lr_at(schedule, step):
    return float(schedule(step))


def test_hand_picked_steps():
    sched = OneCycleSchedule(0.1, total_steps=200)  # warm-up over 50 steps
    low, final = 0.1 / 25, 0.1 / 25 / 1e4
    assert lr_at(sched, 0) == pytest.approx(low, rel=1e-6)
    assert lr_at(sched, 25) == pytest.approx((low + 0.1) / 2, rel=1e-6)
    assert lr_at(sched, 50) == pytest.approx(0.1, rel=1e-6)
    assert lr_at(sched, 125) == pytest.approx((0.1 + final) / 2, rel=1e-6)
    assert lr_at(sched, 200) == pytest.approx(final, rel=1e-5)
    assert lr_at(sched, 10_000) == pytest.approx(final, rel=1e-5)
    assert sched.initial_lr == pytest.approx(low)
    assert sched.final_lr == pytest.approx(final)


@pytest.mark.parametrize("pct_start", [0.0, 0.1, 0.3, 0.9])
def test_matches_numpy_reference(pct_start):
    sched = OneCycleSchedule(
        3e-3,
        total_steps=40,
        pct_start=pct_start,
        div_factor=10.0,
        final_div_factor=100.0,
    )
    for step in range(0, 60):
        expected = reference_one_cycle(step, 3e-3, 40, pct_start, 10.0, 100.0)
        assert lr_at(sched, step) == pytest.approx(expected, rel=1e-5), step


def test_rises_then_falls_monotonically():
    lrs = [lr_at(OneCycleSchedule(1.0, total_steps=100), s) for s in range(101)]
    peak = int(np.argmax(lrs))
    assert peak == 25
    assert np.all(np.diff(lrs[: peak + 1]) > 0)
    assert np.all(np.diff(lrs[peak:]) < 0)


def test_keras_file_round_trip_in_safe_mode(tmp_path):
    sched = OneCycleSchedule(0.02, total_steps=12, pct_start=0.3, div_factor=5.0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(sched), loss="mse")
    X, y = np.ones((8, 2), "float32"), np.zeros(8, "float32")
    model.fit(X, y, batch_size=2, epochs=1, verbose=0)  # 4 steps
    assert float(model.optimizer.learning_rate) == pytest.approx(
        reference_one_cycle(4, 0.02, 12, 0.3, 5.0, 1e4), rel=1e-5
    )
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    restored = loaded.optimizer._learning_rate
    assert isinstance(restored, OneCycleSchedule)
    assert restored.get_config() == sched.get_config()
    assert int(loaded.optimizer.iterations) == 4


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            dict(max_lr=-0.1),
            ValueError,
            "`max_lr` must be a finite number in \\(0, inf\\)",
        ),
        (dict(total_steps=0), ValueError, "`total_steps` must be an int"),
        (dict(total_steps=10.5), TypeError, "`total_steps`"),
        (dict(pct_start=1.0), ValueError, "`pct_start` must be a number in \\[0, 1\\)"),
        (dict(pct_start=-0.1), ValueError, "`pct_start`"),
        (dict(div_factor=0), ValueError, "`div_factor`"),
        (dict(final_div_factor=-1.0), ValueError, "`final_div_factor`"),
        (dict(max_lr=None), TypeError, "`max_lr`"),
    ],
)
def test_bad_input(kwargs, error, match):
    params = dict(max_lr=0.1, total_steps=10)
    params.update(kwargs)
    with pytest.raises(error, match=match):
        OneCycleSchedule(**params)
