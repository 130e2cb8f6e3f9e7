"""fit_network, the one training loop, and the fine-tuning phase it shares."""

import numpy as np
import pytest

from specauth.datasets import make_spectra
from specauth.estimators import CNNClassifier
from specauth.training import OneCycleSchedule, fit_network, split_validation
from specauth.training.unfrozen import (
    MAX_UNFROZEN_PEAK,
    UNFROZEN_CONSTRAINTS,
    UNFROZEN_DEFAULTS,
    unfrozen_peak,
)


@pytest.fixture(scope="module")
def keras():
    from specauth._lazy import import_keras

    return import_keras()


def _dense(keras, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int32")


def test_one_cycle_rates_match_the_schedule_step_by_step(keras, xy):
    x, y = xy
    history = fit_network(
        _dense(keras), x, y, epochs=3, batch_size=8, learning_rate=1e-2
    )
    steps = 3 * 3  # ceil(20 / 8) batches per epoch
    expected = [float(OneCycleSchedule(1e-2, steps)(i)) for i in range(steps)]
    np.testing.assert_allclose(history["lr_per_batch"], expected, rtol=1e-6)
    assert len(history["loss"]) == 3


def test_same_weights_as_keras_fit_with_the_same_optimizer(keras, xy):
    # A constant rate and no shuffling: the loop must train exactly as a plain
    # Model.fit with the same optimizer and loss does.
    x, y = xy
    ours = _dense(keras)
    fit_network(
        ours,
        x,
        y,
        epochs=2,
        batch_size=5,
        learning_rate=1e-2,
        schedule="constant",
        fit_options={"shuffle": False},
    )
    plain = _dense(keras)
    plain.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    plain.fit(x, y, epochs=2, batch_size=5, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _counting_train_steps(network):
    """Count the calls of ``network.train_step``: on TensorFlow, its traces."""
    calls = []
    step = network.train_step

    def counted(data):
        calls.append(1)
        return step(data)

    network.train_step = counted
    return calls


def test_tensorflow_traces_the_training_step_once(keras, xy):
    # Keras creates the optimizer's slots and a metric named by a string
    # inside the first trace, and TensorFlow then traces the step again; the
    # loop builds both beforehand. Plain Keras here traces twice (the
    # reference: if Keras changes, this test says the work-around can go).
    if keras.backend.backend() != "tensorflow":
        pytest.skip("traces of the training step: a TensorFlow matter")
    x, y = xy
    ours = _dense(keras)
    ours_calls = _counting_train_steps(ours)
    fit_network(ours, x, y, epochs=3, batch_size=10, learning_rate=1e-2)
    plain = _dense(keras)
    plain_calls = _counting_train_steps(plain)
    plain.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    plain.fit(x, y, epochs=3, batch_size=10, verbose=0)
    assert (len(ours_calls), len(plain_calls)) == (1, 2)


@pytest.mark.parametrize("one_hot", [False, True])
def test_accuracy_is_the_one_keras_would_choose(keras, xy, one_hot):
    # The loop passes an accuracy object for the loss instead of the string
    # "accuracy": the validation accuracy must still be the fraction of
    # validation samples whose largest logit is their class.
    x, y = xy
    network = _dense(keras)
    targets = np.eye(2, dtype="float32")[y] if one_hot else y
    loss = keras.losses.CategoricalCrossentropy(from_logits=True) if one_hot else None
    history = fit_network(
        network,
        x[:12],
        targets[:12],
        epochs=2,
        batch_size=4,
        learning_rate=1e-1,
        loss=loss,
        validation_data=(x[12:], targets[12:]),
    )
    logits = keras.ops.convert_to_numpy(network(x[12:]))
    expected = np.mean(logits.argmax(axis=1) == y[12:])
    assert history["val_accuracy"][-1] == pytest.approx(expected)
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_optimizer_instance_is_copied_not_trained(keras, xy):
    x, y = xy
    optimizer = keras.optimizers.SGD(0.1, momentum=0.5)
    fit_network(_dense(keras), x, y, epochs=1, learning_rate=1e-2, optimizer=optimizer)
    assert int(optimizer.iterations) == 0
    assert float(optimizer.learning_rate) == pytest.approx(0.1)


def test_validation_and_callbacks(keras, xy):
    x, y = xy
    seen = []

    class Probe(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(epoch)

    history = fit_network(
        _dense(keras),
        x,
        y,
        epochs=2,
        learning_rate=1e-2,
        validation_data=(x[:4], y[:4]),
        callbacks=[Probe()],
    )
    assert seen == [0, 1]
    assert len(history["val_loss"]) == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, r"`epochs` must be an int in \[1, inf\); got 0"),
        ({"batch_size": 2.0}, TypeError, "`batch_size` must be an int"),
        ({"verbose": 3}, ValueError, r"`verbose` must be an int in \[0, 2\]"),
        ({"fit_options": {"epochs": 3}}, ValueError, r"must not set \['epochs'\]"),
        ({"fit_options": {"callbacks": []}}, ValueError, "callbacks"),
        ({"schedule": "warmup"}, ValueError, "`schedule` must be one of"),
        ({"optimizer": "adagrad"}, ValueError, "`optimizer` must be one of"),
    ],
)
def test_bad_arguments_fail_before_training(keras, xy, kwargs, error, match):
    x, y = xy
    network = _dense(keras)
    before = [w.copy() for w in network.get_weights()]
    args = {"epochs": 1, "learning_rate": 1e-2, **kwargs}
    with pytest.raises(error, match=match):
        fit_network(network, x, y, **args)
    for a, b in zip(network.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_x_and_y_lengths_must_match(keras, xy):
    x, y = xy
    with pytest.raises(ValueError, match="same length; got 20 and 19"):
        fit_network(_dense(keras), x, y[:-1], epochs=1, learning_rate=1e-2)


def test_split_validation_is_stratified_and_seeded():
    x, y = np.arange(40), np.repeat([0, 1], 20)
    (train, valid) = split_validation(x, y, 0.25, stratify=y, seed=3)
    again = split_validation(x, y, 0.25, stratify=y, seed=3)
    np.testing.assert_array_equal(valid[0], again[1][0])
    assert np.bincount(valid[1]).tolist() == [5, 5]
    assert sorted([*train[0], *valid[0]]) == list(range(40))
    assert split_validation(x, y, None) == ((x, y), None)
    with pytest.raises(ValueError, match="`validation_fraction=0.01` cannot"):
        split_validation(x, y, 0.01, stratify=y, seed=0)


@pytest.mark.parametrize(
    ("head", "peak", "expected"),
    [
        (2e-3, None, 1e-3),
        (1e-2, None, MAX_UNFROZEN_PEAK),
        (1e-3, None, 5e-4),
        (1e-2, 3e-4, 3e-4),
    ],
)
def test_unfrozen_peak_is_half_the_head_rate_capped(head, peak, expected):
    assert unfrozen_peak(head, peak) == pytest.approx(expected)


def test_one_set_of_fine_tune_defaults():
    import inspect

    from specauth.training import fine_tune

    signature = inspect.signature(fine_tune).parameters
    assert signature["unfreeze"].default == UNFROZEN_DEFAULTS["unfreeze"]
    assert signature["lr_mult"].default == UNFROZEN_DEFAULTS["lr_mult"]
    assert signature["pct_start"].default == UNFROZEN_DEFAULTS["pct_start"]
    assert signature["unfrozen_learning_rate"].default is None
    for key, accepted in UNFROZEN_CONSTRAINTS.items():
        assert CNNClassifier._parameter_constraints[f"fine_tune__{key}"] == accepted


@pytest.mark.parametrize(
    ("option", "value", "error", "match"),
    [
        ("lr_mult", 0.5, ValueError, r"`fine_tune__lr_mult` parameter .* \[1, inf\)"),
        ("pct_start", 1.0, ValueError, r"`fine_tune__pct_start` parameter"),
        ("unfreeze", 0, ValueError, r"'all' or an int in \[1, inf\); got 0"),
        ("unfreeze", "top", ValueError, "`fine_tune__unfreeze` parameter"),
        ("learning_rate", "1e-3", TypeError, "`fine_tune__learning_rate`"),
    ],
)
def test_fine_tune_options_checked_before_anything_is_built(
    option, value, error, match, monkeypatch
):
    # Checked by the declared constraints even when fine_tune_epochs=0, and
    # before any network is built.
    from specauth.estimators import _base

    def fail(*args, **kwargs):
        raise AssertionError("a network was built")

    monkeypatch.setattr(_base, "build_checked_network", fail)
    data = make_spectra(n_classes=2, n_samples_per_class=4, length=64, random_state=0)
    clf = CNNClassifier("cnn1d_small", epochs=1, **{f"fine_tune__{option}": value})
    with pytest.raises(error, match=match):
        clf.fit(data.X, data.y)


def test_reserved_fit_option_is_refused_before_training():
    data = make_spectra(n_classes=2, n_samples_per_class=4, length=64, random_state=0)
    clf = CNNClassifier("cnn1d_small", epochs=1, fit__batch_size=4)
    with pytest.raises(ValueError, match="`fit__batch_size` is set by CNNClassifier"):
        clf.fit(data.X, data.y)
