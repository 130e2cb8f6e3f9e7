"""fine_tune, freeze_base and unfreeze_base on a CNNFactory network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from specauth.models import CNNFactory, get_model  # noqa: E402
from specauth.training.fine_tuning import (  # noqa: E402
    fine_tune,
    freeze_base,
    unfreeze_base,
)

SLIM = dict(weights=None, freeze_base=True, base_options={"alpha": 0.35})
WEIGHTS = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "weights"
    / "mobilenet_v2_imagenet_notop.weights.h5"
)


def _network(seed=0):
    return CNNFactory("mobilenetv2", **SLIM)((32, 32, 3), 2, seed=seed)


def _is_bn(layer):
    return isinstance(layer, keras.layers.BatchNormalization)


def _weighted(base):
    """Non-BatchNorm layers of the base that hold weights, input to output."""
    return [layer for layer in base.layers if layer.weights and not _is_bn(layer)]


def _numpy(variables):
    return {v.path: keras.ops.convert_to_numpy(v).copy() for v in variables}


class WeightSnapshots(keras.callbacks.Callback):
    """Record every weight of the model when each ``Model.fit`` starts and ends."""

    def __init__(self):
        super().__init__()
        self.snapshots = []

    def on_train_begin(self, logs=None):
        self.snapshots.append(_numpy(self.model.weights))

    def on_train_end(self, logs=None):
        self.snapshots.append(_numpy(self.model.weights))


@pytest.fixture(scope="module")
def network():
    return _network()


@pytest.fixture(scope="module")
def tuned():
    """A pretrained network trained by fine_tune (1 frozen + 1 unfrozen epoch).

    ImageNet weights, because in a random-weight base with BatchNorm in
    inference mode the gradients of the early layers vanish.
    """
    if not WEIGHTS.is_file():
        pytest.skip(f"pretrained weights not found at {WEIGHTS}")
    model = CNNFactory("mobilenetv2", weights=WEIGHTS)((32, 32, 3), 2, seed=1)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (12, 32, 32, 3)).astype("float32")
    y = np.arange(12) % 2
    optimizer = keras.optimizers.Adam(1e-3)
    snapshots = WeightSnapshots()
    history = fine_tune(
        model,
        x,
        y,
        epochs=1,
        freeze_epochs=1,
        learning_rate=2e-2,
        lr_mult=100.0,
        batch_size=6,
        optimizer=optimizer,
        callbacks=[snapshots],
    )
    return model, history, snapshots.snapshots, optimizer


# ------------------------------------------------------------ freeze / unfreeze
def test_unfreeze_all_keeps_batch_norm_frozen(network):
    base = network.get_layer("base")
    freeze_base(network)
    unfrozen = unfreeze_base(network, "all")
    weighted = _weighted(base)
    assert unfrozen == weighted and len(weighted) > 10
    assert all(layer.trainable for layer in weighted)
    norms = [layer for layer in base.layers if _is_bn(layer)]
    assert norms and not any(layer.trainable for layer in norms)
    expected = {v.path for layer in weighted for v in layer.weights}
    assert {v.path for v in base.trainable_weights} == expected
    assert not {v.path for layer in norms for v in layer.weights} & {
        v.path for v in network.trainable_weights
    }


@pytest.mark.parametrize("n", [1, 3])
def test_unfreeze_n_unfreezes_exactly_the_top_n(network, n):
    base = network.get_layer("base")
    unfreeze_base(network, "all")  # start from a fully unfrozen base
    unfrozen = unfreeze_base(network, n)
    weighted = _weighted(base)
    assert unfrozen == weighted[-n:]
    assert [layer.trainable for layer in weighted] == [False] * (len(weighted) - n) + [
        True
    ] * n
    assert {v.path for v in base.trainable_weights} == {
        v.path for layer in weighted[-n:] for v in layer.weights
    }
    # the head stays trainable
    assert network.get_layer("logits").trainable


def test_unfreeze_again_after_a_partial_unfreeze(network):
    # regression: on the TensorFlow backend ``base.trainable = True`` is a no-op
    # when the base already is trainable, leaving earlier layers frozen
    base = network.get_layer("base")
    unfreeze_base(network, 1)
    unfrozen = unfreeze_base(network, "all")
    assert all(layer.trainable for layer in unfrozen)
    assert len(base.trainable_weights) == sum(len(x.weights) for x in unfrozen)
    unfreeze_base(network, 1)
    assert unfreeze_base(network, 4) == _weighted(base)[-4:]
    assert [x.trainable for x in _weighted(base)][-5:] == [False] + [True] * 4


def test_freeze_base_after_unfreeze_leaves_only_the_head(network):
    unfreeze_base(network, "all")
    base = freeze_base(network)
    assert base is network.get_layer("base")
    assert base.trainable_weights == []
    assert {v.path for v in network.trainable_weights} == {
        "logits/kernel",
        "logits/bias",
    }


@pytest.mark.parametrize(
    ("layers", "error", "match"),
    [
        (0, ValueError, r"`layers` must be 'all' or an int from 1 to \d+.*got 0"),
        (10_000, ValueError, r"from 1 to \d+ .*got 10000"),
        ("top", ValueError, "`layers` must be 'all' or an int; got 'top'"),
        (2.0, TypeError, "`layers` must be 'all' or an int; got 2.0 of type float"),
        (True, TypeError, "of type bool"),
    ],
)
def test_unfreeze_base_bad_layers(network, layers, error, match):
    with pytest.raises(error, match=match):
        unfreeze_base(network, layers)


def test_model_without_a_base_is_rejected():
    plain = get_model("cnn1d_small")((64, 1), 2, seed=0)
    with pytest.raises(ValueError, match="no layer named 'base'"):
        unfreeze_base(plain)
    with pytest.raises(ValueError, match="no layer named 'base'"):
        freeze_base(plain)
    with pytest.raises(ValueError, match="Layer 'logits' of `model` is a Dense"):
        unfreeze_base(plain, base_layer="logits")
    with pytest.raises(TypeError, match="`model` must be a keras.Model; got str"):
        unfreeze_base("mobilenetv2")


# ------------------------------------------------------------------ fine_tune
def test_fine_tune_history_has_both_phases(tuned):
    _, history, snapshots, _ = tuned
    assert history["phase"] == ["frozen", "unfrozen"]
    assert len(history["loss"]) == len(history["accuracy"]) == 2
    assert np.all(np.isfinite(history["loss"]))
    assert len(snapshots) == 4  # begin/end of each phase


def test_phases_follow_their_one_cycle_schedules(tuned):
    # Frozen phase: one cycle peaking at learning_rate=2e-2 (pct_start 0.99);
    # unfrozen phase: peak min(2e-2 / 2, 1e-3) = 1e-3, the default it shares
    # with CNNClassifier(fine_tune_epochs=...). Two batches per phase.
    from specauth.training import OneCycleSchedule

    _, history, _, _ = tuned
    frozen = OneCycleSchedule(2e-2, 2, pct_start=0.99)
    unfrozen = OneCycleSchedule(1e-3, 2, pct_start=0.3)
    expected = [float(frozen(i)) for i in range(2)] + [
        float(unfrozen(i)) for i in range(2)
    ]
    np.testing.assert_allclose(history["lr_per_batch"], expected, rtol=1e-6)


def test_frozen_phase_changes_only_the_head(tuned):
    model, _, snapshots, _ = tuned
    before, after = snapshots[0], snapshots[1]
    base_paths = [v.path for v in model.get_layer("base").weights]
    assert any("moving_mean" in p for p in base_paths)
    for path in base_paths:
        np.testing.assert_array_equal(after[path], before[path], err_msg=path)
    for path in ("logits/kernel", "logits/bias"):
        assert not np.array_equal(after[path], before[path]), path


def test_unfrozen_phase_changes_base_but_not_batch_norm(tuned):
    model, _, snapshots, _ = tuned
    before, after = snapshots[2], snapshots[3]
    base = model.get_layer("base")
    for layer in base.layers:
        for v in layer.weights:
            changed = not np.array_equal(after[v.path], before[v.path])
            # BN gamma/beta/moving statistics stay; every other weight moves
            assert changed != _is_bn(layer), v.path
    assert not np.array_equal(after["logits/kernel"], before["logits/kernel"])


def test_earlier_layers_move_less_than_later_ones(tuned):
    model, _, snapshots, _ = tuned
    before, after = snapshots[2], snapshots[3]
    weighted = _weighted(model.get_layer("base"))
    first, last = weighted[0].weights[0].path, weighted[-1].weights[0].path

    def moved(path):
        return np.abs(after[path] - before[path]).max()

    # Adam steps are about lr * factor: factors 1/100 (first) and 1/10 (last)
    assert moved(first) < 0.5 * moved(last)
    assert moved(last) < moved("logits/kernel")


def test_fine_tune_copies_the_optimizer(tuned):
    *_, optimizer = tuned
    assert not optimizer.built and int(optimizer.iterations) == 0
    assert float(optimizer.learning_rate) == pytest.approx(1e-3)


def test_fine_tune_without_frozen_phase_and_top_layers():
    model = _network(seed=2)
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 255, (6, 32, 32, 3)).astype("float32")
    snapshots = WeightSnapshots()
    history = fine_tune(
        model,
        x,
        np.arange(6) % 2,
        epochs=1,
        freeze_epochs=0,
        unfreeze=2,
        batch_size=6,
        callbacks=[snapshots],
    )
    assert history["phase"] == ["unfrozen"]
    before, after = snapshots.snapshots
    base = model.get_layer("base")
    weighted = _weighted(base)
    assert {v.path for v in base.trainable_weights} == {
        v.path for layer in weighted[-2:] for v in layer.weights
    }
    for layer in base.layers:
        if layer not in weighted[-2:]:
            for v in layer.weights:
                np.testing.assert_array_equal(after[v.path], before[v.path], v.path)
    assert not np.array_equal(after["logits/kernel"], before["logits/kernel"])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, r"`epochs` must be an int in \[1, inf\); got 0"),
        ({"epochs": 1.5}, TypeError, "`epochs` must be an int in .*; got 1.5"),
        ({"freeze_epochs": -1}, ValueError, r"`freeze_epochs` must be an int in \[0"),
        (
            {"learning_rate": 0},
            ValueError,
            r"`learning_rate` must be a finite number in \(0",
        ),
        ({"learning_rate": float("nan")}, ValueError, "`learning_rate` .* got nan"),
        (
            {"learning_rate": "1e-3"},
            TypeError,
            "`learning_rate` must be a finite number",
        ),
        (
            {"lr_mult": 0.5},
            ValueError,
            r"`lr_mult` must be a number in \[1, inf\); got 0.5",
        ),
        ({"batch_size": 0}, ValueError, r"`batch_size` must be an int in \[1"),
        (
            {"pct_start": 1.0},
            ValueError,
            r"`pct_start` must be a number in \[0, 1\); got 1.0",
        ),
        ({"unfreeze": 0}, ValueError, "`unfreeze` must be one of 'all' or an int"),
        ({"unfreeze": 10_000}, ValueError, "`unfreeze` must be 'all' or at most"),
        ({"unfrozen_learning_rate": -1.0}, ValueError, "`unfrozen_learning_rate`"),
        ({"y": np.zeros(3)}, ValueError, "same length; got 4 and 3"),
    ],
)
def test_fine_tune_bad_input(network, kwargs, error, match):
    args = {"x": np.zeros((4, 32, 32, 3)), "y": np.zeros(4), **kwargs}
    with pytest.raises(error, match=match):
        fine_tune(network, **args)


def test_fine_tune_model_without_base():
    plain = get_model("cnn1d_small")((64, 1), 2, seed=0)
    with pytest.raises(ValueError, match="no layer named 'base'"):
        fine_tune(plain, np.zeros((4, 64, 1)), np.zeros(4), epochs=1)
