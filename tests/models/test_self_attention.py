"""SelfAttention: fastai's simple self-attention, against numpy, in 1D and 2D."""

import numpy as np
import pytest

from specauth._lazy import import_keras
from specauth.models.layers import SelfAttention


def _np(x, dtype=None):
    """``x`` (a backend tensor, variable or array) as a numpy array."""
    return np.asarray(import_keras().ops.convert_to_numpy(x), dtype=dtype)


def _numpy_attention(inputs, kernel, gamma):
    """fastai's formula on channels-first ``x`` of shape (C, N), per sample.

    ``o = gamma * (x x^T)(W x) + x`` with ``W`` the (C_out, C_in) weight of a
    1x1 convolution, the transpose of the layer's channels-last kernel.
    """
    weight = kernel.T
    out = np.empty_like(inputs)
    for i, sample in enumerate(inputs):
        x = sample.reshape(-1, sample.shape[-1]).T  # (C, N), N = positions
        o = gamma * (x @ x.T) @ (weight @ x) + x
        out[i] = o.T.reshape(sample.shape)
    return out


def _layer_with(shape, kernel, gamma):
    layer = SelfAttention()
    layer.build((None, *shape[1:]))
    layer.kernel.assign(kernel)
    layer.gamma.assign(gamma)
    return layer


@pytest.mark.parametrize("shape", [(2, 7, 3), (2, 4, 5, 3)], ids=["1d", "2d"])
def test_matches_the_formula(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    kernel = rng.normal(size=(3, 3)).astype("float32")  # not symmetric
    layer = _layer_with(shape, kernel, 0.3)
    expected = _numpy_attention(x.astype(np.float64), kernel.astype(np.float64), 0.3)
    out = _np(layer(x), dtype=np.float64)
    assert out.shape == shape
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_is_the_identity_at_initialisation():
    x = np.random.default_rng(1).normal(size=(3, 4, 6, 5)).astype("float32")
    layer = SelfAttention()
    np.testing.assert_array_equal(_np(layer(x)), x)
    assert float(_np(layer.gamma)) == 0.0
    assert layer.kernel.shape == (5, 5)
    assert [w.name for w in layer.trainable_weights] == ["kernel", "gamma"]


def test_every_position_sees_the_whole_map():
    # Changing the last position changes the output at the first one.
    x = np.random.default_rng(2).normal(size=(1, 9, 2)).astype("float32")
    layer = _layer_with(x.shape, np.eye(2, dtype="float32"), 1.0)
    changed = x.copy()
    changed[0, -1] += 1.0
    before, after = _np(layer(x)), _np(layer(changed))
    assert not np.allclose(before[0, 0], after[0, 0])


def test_gamma_learns(keras):
    x = np.random.default_rng(3).normal(size=(8, 6, 2)).astype("float32")
    inputs = keras.Input((6, 2))
    model = keras.Model(inputs, SelfAttention(name="attention")(inputs))
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    model.fit(x, 2 * x, epochs=1, batch_size=8, verbose=0)
    assert float(_np(model.get_layer("attention").gamma)) != 0.0


def test_config_and_keras_file_round_trip(keras, tmp_path):
    inputs = keras.Input((4, 4, 3))
    layer = SelfAttention(kernel_initializer=keras.initializers.HeNormal(seed=0))
    model = keras.Model(inputs, layer(inputs))
    model.get_layer(layer.name).gamma.assign(0.5)
    config = layer.get_config()
    assert config["kernel_initializer"]["class_name"] == "HeNormal"
    clone = SelfAttention.from_config(config)
    assert clone.get_config() == config
    x = np.random.default_rng(4).normal(size=(2, 4, 4, 3)).astype("float32")
    path = tmp_path / "attention.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode
    np.testing.assert_array_equal(_np(loaded(x)), _np(model(x)))


def test_refuses_a_map_without_positions():
    with pytest.raises(ValueError, match="`SelfAttention` takes a"):
        SelfAttention()(np.zeros((2, 3), dtype="float32"))
