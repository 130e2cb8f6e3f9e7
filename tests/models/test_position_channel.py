import subprocess
import sys

import numpy as np
import pytest

from specauth.models import cnn1d, get_model, resnet1d
from specauth.models.layers import PositionChannel, fixed_position_channel
from tests.tolerance import assert_close


def _inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("length", [1, 2, 5, 2631])
@pytest.mark.parametrize("channels", [1, 3])
def test_appends_a_linspace_ramp(length, channels):
    x = _inputs((2, length, channels))
    out = np.asarray(PositionChannel()(x))
    assert out.shape == (2, length, channels + 1)
    np.testing.assert_array_equal(out[..., :channels], x)
    expected = np.linspace(-1.0, 1.0, length)
    for sample in out:
        np.testing.assert_allclose(sample[:, -1], expected, rtol=0, atol=1e-6)
    assert out.dtype == np.float32


@pytest.mark.parametrize(("low", "high"), [(0, 1), (2.5, -3.0), (-10, 10)])
def test_custom_ends(low, high):
    out = np.asarray(PositionChannel(low=low, high=high)(np.zeros((1, 7, 1))))
    np.testing.assert_allclose(out[0, :, 1], np.linspace(low, high, 7), atol=1e-5)


def test_hand_worked_ramp():
    out = np.asarray(PositionChannel()(np.full((1, 3, 1), 7.0, dtype="float32")))
    assert_close(out[0], [[7.0, -1.0], [7.0, 0.0], [7.0, 1.0]], dtype=np.float32)


def test_does_not_depend_on_the_batch(keras):
    x = _inputs((7, 11, 2))
    layer = PositionChannel()
    whole = np.asarray(layer(x))
    single = np.asarray(layer(x[3:4]))
    np.testing.assert_array_equal(single[0], whole[3])
    # Every sample gets the same ramp, whatever its values.
    np.testing.assert_array_equal(
        whole[..., -1], np.broadcast_to(whole[0, :, -1], (7, 11))
    )
    # Inside a model, predict in batches of 2 and 7 alike.
    inputs = keras.Input((11, 2))
    model = keras.Model(inputs, PositionChannel()(inputs))
    np.testing.assert_array_equal(model.predict(x, batch_size=2, verbose=0), whole)
    np.testing.assert_array_equal(model.predict(x, batch_size=7, verbose=0), whole)


def test_input_is_not_modified():
    x = _inputs((2, 5, 1))
    copy = x.copy()
    PositionChannel()(x)
    np.testing.assert_array_equal(x, copy)


def test_output_shape_and_no_weights(keras):
    layer = PositionChannel()
    assert layer.compute_output_shape((None, 50, 3)) == (None, 50, 4)
    assert layer.compute_output_shape((None, None, None)) == (None, None, None)
    inputs = keras.Input((50, 3))
    assert layer(inputs).shape == (None, 50, 4)
    assert layer.weights == []


def test_config_round_trip():
    layer = PositionChannel(low=0, high=2, name="where")
    config = layer.get_config()
    assert config["low"] == 0.0 and config["high"] == 2.0
    assert isinstance(config["low"], float) and isinstance(config["high"], float)
    clone = PositionChannel.from_config(config)
    assert (clone.low, clone.high, clone.name) == (0.0, 2.0, "where")
    x = _inputs((3, 9, 2))
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(layer(x)))


def _tiny_model(keras):
    inputs = keras.Input((10, 2))
    x = PositionChannel(low=0.0, high=2.0, name="position")(inputs)
    x = keras.layers.Conv1D(3, 3, padding="same", name="conv")(x)
    x = keras.layers.GlobalAveragePooling1D(name="gap")(x)
    return keras.Model(inputs, keras.layers.Dense(2, name="logits")(x))


def test_keras_file_round_trip_in_safe_mode(keras, tmp_path):
    keras.utils.set_random_seed(0)
    model = _tiny_model(keras)
    x = _inputs((4, 10, 2))
    expected = model.predict(x, verbose=0)
    path = tmp_path / "tiny.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    layer = loaded.get_layer("position")
    assert isinstance(layer, PositionChannel)
    assert (layer.low, layer.high) == (0.0, 2.0)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)


def test_network_loads_in_a_fresh_process_without_specauth(tmp_path):
    # What a user does: build and save here, then load elsewhere in safe mode
    # with plain Keras: the 1D networks are made of built-in layers only.
    model = cnn1d((32, 1), 2, seed=0)
    x = _inputs((2, 32, 1))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "expected.npy", model.predict(x, verbose=0))
    model.save(tmp_path / "net.keras")
    code = (
        "import sys, numpy as np, keras; "
        "d = sys.argv[1]; "
        "m = keras.saving.load_model(d + '/net.keras', safe_mode=True); "
        "assert not [k for k in sys.modules if k.startswith('specauth')]; "
        "np.save(d + '/got.npy', m.predict(np.load(d + '/x.npy'), verbose=0))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    np.testing.assert_array_equal(
        np.load(tmp_path / "got.npy"), np.load(tmp_path / "expected.npy")
    )


# ------------------------------------------------------- fixed_position_channel
@pytest.mark.parametrize("length", [1, 2, 5, 2631])
@pytest.mark.parametrize("channels", [1, 3])
def test_fixed_layer_equals_the_custom_layer(length, channels, keras):
    x = _inputs((3, length, channels))
    layer = fixed_position_channel(length, channels, low=-2.0, high=3.0)
    out = np.asarray(layer(x))
    assert out.shape == (3, length, channels + 1)
    # The input channels go through an identity kernel; the ramp is numpy's linspace.
    assert_close(out[..., :channels], x)
    expected = np.linspace(-2.0, 3.0, length) if length > 1 else [-2.0]
    for sample in out:
        np.testing.assert_allclose(sample[:, -1], expected, rtol=0, atol=2e-6)
    custom = np.asarray(PositionChannel(low=-2.0, high=3.0)(x))
    np.testing.assert_allclose(out, custom, rtol=0, atol=2e-6)
    assert isinstance(layer, keras.layers.EinsumDense)
    assert not layer.trainable and layer.trainable_weights == []


def test_fixed_layer_survives_training_and_cloning(keras):
    inputs = keras.Input((6, 1))
    x = fixed_position_channel(6, 1, name="position")(inputs)
    x = keras.layers.GlobalAveragePooling1D()(keras.layers.Conv1D(2, 3)(x))
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(_inputs((8, 6, 1)), _inputs((8, 2), seed=1), epochs=2, verbose=0)
    probe = keras.Model(inputs, model.get_layer("position").output)
    ramp = probe.predict(np.zeros((1, 6, 1)), verbose=0)[0, :, 1]
    np.testing.assert_allclose(ramp, np.linspace(-1, 1, 6), atol=1e-6)
    clone = keras.models.clone_model(model)
    probe = keras.Model(clone.inputs, clone.get_layer("position").output)
    ramp = probe.predict(np.zeros((1, 6, 1)), verbose=0)[0, :, 1]
    np.testing.assert_allclose(ramp, np.linspace(-1, 1, 6), atol=1e-6)


@pytest.mark.parametrize(
    ("args", "options", "error", "fragment"),
    [
        ((0, 1), {}, ValueError, "`length`"),
        ((5, 1.5), {}, TypeError, "`channels`"),
        ((5, 1), {"low": 1.0, "high": 1.0}, ValueError, "must differ"),
        ((5, 1), {"high": float("nan")}, ValueError, "`high` must be a finite"),
    ],
)
def test_fixed_layer_bad_arguments(args, options, error, fragment):
    with pytest.raises(error, match=fragment):
        fixed_position_channel(*args, **options)


@pytest.mark.parametrize(
    ("options", "error", "fragment"),
    [
        ({"low": 1.0, "high": 1.0}, ValueError, "`low` and `high` must differ"),
        ({"low": 0, "high": 0.0}, ValueError, "got low=0.0, high=0.0"),
        ({"low": "0"}, TypeError, "`low` must be a finite number; got '0'"),
        ({"high": None}, TypeError, "`high` must be a finite number; got None"),
        ({"high": [1.0]}, TypeError, "of type list"),
        ({"low": True}, TypeError, "`low` must be a finite number"),
        ({"low": float("nan")}, ValueError, "`low` must be a finite number; got nan"),
        ({"high": float("inf")}, ValueError, "`high` must be a finite number"),
    ],
)
def test_bad_arguments(options, error, fragment):
    with pytest.raises(error, match=fragment):
        PositionChannel(**options)


@pytest.mark.parametrize("builder", [cnn1d, resnet1d])
def test_builders_add_it_by_default_only(builder):
    names = {layer.name for layer in builder((64, 1), 2, seed=0).layers}
    assert "position" in names
    without = builder((64, 1), 2, position_channel=False, seed=0)
    assert "position" not in {layer.name for layer in without.layers}
    # The builders use built-in layers only.
    for model in (builder((64, 1), 2, seed=0), without):
        assert {type(layer).__module__.split(".")[0] for layer in model.layers} == {
            "keras"
        }


def _peak_position_task(centres=(30, 90), n=40, length=128, seed=0):
    """Two classes that differ only in where one narrow peak sits."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    centres = np.where(y == 0, *centres) + rng.uniform(-2, 2, n)
    grid = np.arange(length)[None, :]
    peaks = np.exp(-0.5 * ((grid - centres[:, None]) / 1.5) ** 2)
    X = 1.0 + 5.0 * peaks + 0.1 * rng.normal(size=(n, length))
    return X[..., None].astype("float32"), y


def test_default_cnn1d_learns_where_a_peak_is(keras):
    X, y = _peak_position_task()
    keras.utils.set_random_seed(0)
    model = get_model("cnn1d")((128, 1), 2, seed=0)
    assert model.get_layer("gap") is not None  # a GAP head, with the ramp
    assert "position" in {layer.name for layer in model.layers}
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(X, y, batch_size=8, epochs=15, verbose=0)
    pred = model.predict(X, verbose=0).argmax(axis=1)
    assert (pred == y).mean() >= 0.95


def test_ramp_gives_a_shallow_gap_network_the_position(keras):
    # One block sees 9 points, far from both edges for peaks at 40 and 88, so
    # only the ramp tells the GAP head where a peak is (measured without it:
    # 0.5 to 0.78 training accuracy over seeds 0-3; with it: 1.0).
    X, y = _peak_position_task(centres=(40, 88))
    keras.utils.set_random_seed(0)
    model = cnn1d((128, 1), 2, n_blocks=1, local_blocks=0, seed=0)
    assert model.get_layer("gap").input.shape == (None, 32, 16)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(X, y, batch_size=8, epochs=15, verbose=0)
    pred = model.predict(X, verbose=0).argmax(axis=1)
    assert (pred == y).mean() >= 0.95
