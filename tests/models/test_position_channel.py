"""fixed_position_channel and the 1D builders' position ramp.

The legacy ``PositionChannel`` layer is covered in test_legacy_layers.py.
"""

import subprocess
import sys

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models import cnn1d, get_model, resnet1d
from specauth.models.layers import fixed_position_channel
from tests.tolerance import assert_close


def _inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


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
def test_fixed_layer_appends_a_linspace_ramp(length, channels, keras):
    x = _inputs((3, length, channels))
    layer = fixed_position_channel(length, channels, low=-2.0, high=3.0)
    out = to_numpy(layer(x))
    assert out.shape == (3, length, channels + 1)
    # The input channels go through an identity kernel; the ramp is numpy's linspace.
    assert_close(out[..., :channels], x)
    expected = np.linspace(-2.0, 3.0, length) if length > 1 else [-2.0]
    for sample in out:
        np.testing.assert_allclose(sample[:, -1], expected, rtol=0, atol=2e-6)
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
def test_bad_ends(options, error, fragment):
    with pytest.raises(error, match=fragment):
        fixed_position_channel(5, 1, **options)


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
