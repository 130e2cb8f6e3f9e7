"""fixed_channel_adapter and its mixing matrix, against hand-worked numpy.

The legacy ``ChannelAdapter`` layer is covered in test_legacy_layers.py.
"""

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models.layers import fixed_channel_adapter
from specauth.models.layers.channel_adapter import channel_mixing_matrix
from tests.tolerance import assert_close

HAND_WORKED = {
    # 1 channel copied to R, G and B.
    1: [[1.0, 1.0, 1.0]],
    # Channels 0 -> R, 1 -> G; B (no channel i with i % 3 == 2) is their mean.
    2: [[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]],
    3: np.eye(3),
    # Channels 0 and 3 averaged into R, 4 and 1 into G, 2 and 5 into B.
    6: [
        [0.5, 0.0, 0.0],
        [0.0, 0.5, 0.0],
        [0.0, 0.0, 0.5],
        [0.5, 0.0, 0.0],
        [0.0, 0.5, 0.0],
        [0.0, 0.0, 0.5],
    ],
    # Channels 0 and 3 into R; 1 alone into G, 2 alone into B.
    4: [[0.5, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.0]],
}


def _images(channels, seed=0, n=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5, 4, channels)).astype("float32")


@pytest.mark.parametrize("channels", sorted(HAND_WORKED))
def test_mixing_matrix_matches_hand_worked(channels):
    matrix = channel_mixing_matrix(channels)
    assert matrix.dtype == np.float32
    assert matrix.shape == (channels, 3)
    np.testing.assert_array_equal(matrix, to_numpy(HAND_WORKED[channels]))


def test_mixing_matrix_to_other_channel_counts():
    np.testing.assert_array_equal(channel_mixing_matrix(4, 1), np.full((4, 1), 0.25))
    np.testing.assert_array_equal(
        channel_mixing_matrix(3, 2), [[0.5, 0.0], [0.0, 1.0], [0.5, 0.0]]
    )
    np.testing.assert_array_equal(channel_mixing_matrix(1, 1), [[1.0]])


def _one_training_step(keras, adapter, channels=2):
    inputs = keras.Input((5, 4, channels))
    x = adapter(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1, kernel_initializer="ones", name="head")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    head_before = model.get_layer("head").get_weights()[0].copy()
    kernel_before = keras.ops.convert_to_numpy(adapter.kernel).copy()
    x = _images(channels, n=8) + 1.0
    model.train_on_batch(x, np.full((8, 1), 10.0, dtype="float32"))
    head_after = model.get_layer("head").get_weights()[0]
    assert not np.allclose(head_after, head_before)  # the step did happen
    return kernel_before, keras.ops.convert_to_numpy(adapter.kernel)


def _adapter(trainable):
    return fixed_channel_adapter(2, image_shape=(5, 4), trainable=trainable)


def test_fixed_adapter_keeps_its_kernel_in_training(keras):
    adapter = _adapter(False)
    before, after = _one_training_step(keras, adapter)
    assert adapter.trainable_weights == []
    np.testing.assert_array_equal(after, before)
    np.testing.assert_array_equal(after, channel_mixing_matrix(2))


def test_learned_adapter_moves_its_kernel_in_training(keras):
    adapter = _adapter(True)
    before, after = _one_training_step(keras, adapter)
    np.testing.assert_array_equal(before, channel_mixing_matrix(2))
    assert len(adapter.trainable_weights) == 1
    assert not np.allclose(after, before)


# ---------------------------------------------------- fixed_channel_adapter
@pytest.mark.parametrize("channels", sorted(HAND_WORKED))
def test_builtin_adapter_is_x_times_the_matrix(channels, keras):
    x = _images(channels, seed=4)
    adapter = fixed_channel_adapter(channels, image_shape=(5, 4))
    out = to_numpy(adapter(x))
    assert out.shape == (3, 5, 4, 3) and out.dtype == np.float32
    expected = x.astype(np.float64) @ to_numpy(HAND_WORKED[channels])
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert isinstance(adapter, keras.layers.EinsumDense)
    assert adapter.name == "channel_adapter"
    assert [w.path for w in adapter.weights] == ["channel_adapter/kernel"]  # no bias
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(adapter.kernel), HAND_WORKED[channels]
    )


@pytest.mark.parametrize("image_shape", [(1, 1), (7, 9), [2, 3]])
def test_builtin_adapter_other_shapes_and_channel_counts(image_shape, keras):
    adapter = fixed_channel_adapter(3, out_channels=2, image_shape=image_shape)
    x = np.random.default_rng(5).normal(size=(2, *image_shape, 3)).astype("float32")
    expected = x @ np.array([[0.5, 0.0], [0.0, 1.0], [0.5, 0.0]])
    np.testing.assert_allclose(to_numpy(adapter(x)), expected, atol=1e-6)
    # The static output shape keeps the height and width (a Flatten needs them).
    inputs = keras.Input((*image_shape, 3))
    layer = fixed_channel_adapter(3, 4, image_shape=image_shape)
    assert layer(inputs).shape == (None, *image_shape, 4)


@pytest.mark.parametrize("trainable", [True, False])
def test_builtin_adapter_trainable_flag(trainable, keras):
    adapter = fixed_channel_adapter(4, image_shape=(5, 4), trainable=trainable)
    adapter(_images(4))
    assert adapter.trainable is trainable
    assert len(adapter.trainable_weights) == int(trainable)
    assert len(adapter.non_trainable_weights) == int(not trainable)


def test_builtin_adapter_round_trips_a_changed_kernel_and_clones_fresh(keras, tmp_path):
    inputs = keras.Input((5, 4, 2))
    adapter = fixed_channel_adapter(2, image_shape=(5, 4), trainable=True)
    model = keras.Model(inputs, adapter(inputs))
    kernel = np.random.default_rng(3).normal(size=(2, 3)).astype("float32")
    model.layers[-1].kernel.assign(kernel)
    model.save(tmp_path / "adapter.keras")
    loaded = keras.saving.load_model(tmp_path / "adapter.keras", safe_mode=True)
    assert isinstance(loaded.layers[-1], keras.layers.EinsumDense)
    assert loaded.layers[-1].trainable is True
    x = _images(2)
    # A Keras product against numpy's: equal to float32 tolerance, not bit for bit.
    assert_close(to_numpy(loaded(x)), x @ kernel)
    # A clone starts again from the mixing matrix (the initialiser holds it).
    clone = keras.models.clone_model(model)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(clone.layers[-1].kernel), HAND_WORKED[2]
    )


def test_builtin_adapter_does_not_modify_its_input():
    x = _images(6)
    before = x.copy()
    fixed_channel_adapter(6, image_shape=(5, 4))(x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    "args, options, error, match",
    [
        ((0,), {}, ValueError, "`in_channels` must be an int >= 1; got 0"),
        ((2, 0), {}, ValueError, "`out_channels` must be an int >= 1; got 0"),
        ((2.0,), {}, TypeError, "`in_channels` must be an int >= 1; got 2.0"),
        ((2,), {"trainable": "yes"}, TypeError, "`trainable` must be True or False"),
        ((2,), {"trainable": 1}, TypeError, "of type int"),
        ((2,), {"name": ""}, TypeError, "`name` must be a non-empty str"),
        ((2,), {"image_shape": (5,)}, ValueError, r"`image_shape` must be a pair"),
        ((2,), {"image_shape": (5, 4, 3)}, ValueError, r"got \(5, 4, 3\)"),
        ((2,), {"image_shape": (5, 0)}, ValueError, r"`image_shape\[1\]` must be"),
        ((2,), {"image_shape": (5, 4.0)}, TypeError, "of type float"),
        ((2,), {"image_shape": 5}, TypeError, "`image_shape` must be a .*tuple"),
    ],
)
def test_builtin_adapter_bad_arguments(args, options, error, match):
    options = {"image_shape": (5, 4), **options}
    with pytest.raises(error, match=match):
        fixed_channel_adapter(*args, **options)


def test_builtin_adapter_needs_image_shape():
    with pytest.raises(TypeError, match="image_shape"):
        fixed_channel_adapter(2)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "args, error, match",
    [
        ((0,), ValueError, "`in_channels` must be an int >= 1; got 0"),
        ((2, 0), ValueError, "`out_channels` must be an int >= 1; got 0"),
        ((2.5,), TypeError, "`in_channels` must be an int >= 1; got 2.5 of type float"),
        ((np.bool_(True),), TypeError, "`in_channels`"),
        ((3, "3"), TypeError, "`out_channels`"),
    ],
)
def test_bad_mixing_matrix_arguments(args, error, match):
    with pytest.raises(error, match=match):
        channel_mixing_matrix(*args)


def test_mixing_matrix_accepts_numpy_ints():
    np.testing.assert_array_equal(channel_mixing_matrix(np.int64(2)), HAND_WORKED[2])
