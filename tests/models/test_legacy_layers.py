"""Legacy custom layers: kept only so that networks saved by earlier versions load.

No builder uses ``PositionChannel``, ``ChannelAdapter`` or ``PixelScaling``
any more (they use the built-in ``fixed_*`` twins, tested in
test_position_channel.py, test_channel_adapter.py and test_pixel_scaling.py).
What must keep working: a saved ``.keras`` network holding one of them loads
in safe mode once ``specauth.models.layers`` is imported, and predicts what
it predicted when saved. Plus one numeric check of each layer.
"""

import subprocess
import sys

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models.layers.channel_adapter import ChannelAdapter
from specauth.models.layers.pixel_scaling import PixelScaling
from specauth.models.layers.position_channel import PositionChannel


def _inputs(shape, seed=0, low=0.0, high=1.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).astype("float32")


def _position_network(keras):
    inputs = keras.Input((10, 2))
    x = PositionChannel(low=0.0, high=2.0, name="legacy")(inputs)
    x = keras.layers.Conv1D(3, 3, padding="same")(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x)), (4, 10, 2)


def _adapter_network(keras):
    inputs = keras.Input((5, 4, 2))
    adapter = ChannelAdapter(trainable=True, name="legacy")
    x = keras.layers.GlobalAveragePooling2D()(adapter(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    # A "learned" adapter saved after training: a kernel off its initial value.
    kernel = np.random.default_rng(3).normal(size=(2, 3)).astype("float32")
    adapter.kernel.assign(kernel)
    return model, (3, 5, 4, 2)


def _scaling_network(keras):
    inputs = keras.Input((4, 4, 3))
    x = PixelScaling((0.0, 1.0), mode="caffe", name="legacy")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x)), (2, 4, 4, 3)


NETWORKS = {
    "PositionChannel": _position_network,
    "ChannelAdapter": _adapter_network,
    "PixelScaling": _scaling_network,
}


def _save(name, keras, folder):
    keras.utils.set_random_seed(0)
    model, shape = NETWORKS[name](keras)
    x = _inputs(shape)
    np.save(folder / f"{name}_x.npy", x)
    np.save(folder / f"{name}_expected.npy", model.predict(x, verbose=0))
    model.save(folder / f"{name}.keras")
    return model, x


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_saved_network_with_a_legacy_layer_loads_and_predicts_the_same(
    name, keras, tmp_path
):
    model, x = _save(name, keras, tmp_path)
    loaded = keras.saving.load_model(tmp_path / f"{name}.keras", safe_mode=True)
    layer = loaded.get_layer("legacy")
    assert type(layer).__name__ == name
    assert layer.get_config() == model.get_layer("legacy").get_config()
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), np.load(tmp_path / f"{name}_expected.npy")
    )


def test_importing_specauth_models_layers_registers_them(keras, tmp_path):
    # What an old file's user does: a fresh process, no specauth class named.
    for name in NETWORKS:
        _save(name, keras, tmp_path)
    code = (
        "import sys, numpy as np, keras; import specauth.models.layers; "
        "d = sys.argv[1]\n"
        f"for name in {sorted(NETWORKS)!r}:\n"
        "    m = keras.saving.load_model(f'{d}/{name}.keras', safe_mode=True)\n"
        "    got = m.predict(np.load(f'{d}/{name}_x.npy'), verbose=0)\n"
        "    np.testing.assert_array_equal(got, np.load(f'{d}/{name}_expected.npy'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]


# ------------------------------------------------- one numeric check per layer
def test_position_channel_appends_a_ramp():
    out = to_numpy(PositionChannel()(np.full((1, 3, 1), 7.0, dtype="float32")))
    np.testing.assert_allclose(out[0], [[7.0, -1.0], [7.0, 0.0], [7.0, 1.0]])


def test_channel_adapter_copies_one_channel_to_rgb():
    x = _inputs((2, 5, 4, 1))
    out = to_numpy(ChannelAdapter()(x))
    np.testing.assert_allclose(out, np.repeat(x, 3, axis=-1), rtol=1e-6)


def test_pixel_scaling_matches_keras_preprocess_input(keras):
    x = _inputs((3, 5, 4, 3), high=255.0)
    expected = keras.applications.imagenet_utils.preprocess_input(
        x.copy(), mode="torch", data_format="channels_last"
    )
    out = to_numpy(PixelScaling(mode="torch")(x))
    np.testing.assert_allclose(out, to_numpy(expected), rtol=1e-5, atol=1e-4)
