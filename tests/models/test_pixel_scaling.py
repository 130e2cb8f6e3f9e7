"""fixed_pixel_scaling against Keras' preprocess_input and numpy.

The legacy ``PixelScaling`` layer is covered in test_legacy_layers.py.
"""

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models.layers import fixed_pixel_scaling
from specauth.models.layers.pixel_scaling import PIXEL_MODES

TORCH_MEAN = np.array([0.485, 0.456, 0.406])
TORCH_STD = np.array([0.229, 0.224, 0.225])
CAFFE_BGR_MEAN = np.array([103.939, 116.779, 123.68])


def _rgb(shape=(3, 5, 4, 3), low=0.0, high=255.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).astype("float32")


def _by_hand(pixels, mode):
    """The four conventions in numpy, from 0-255 RGB pixels."""
    pixels = np.asarray(pixels, dtype=np.float64)
    if mode == "tf":
        return pixels / 127.5 - 1.0
    if mode == "torch":
        return (pixels / 255.0 - TORCH_MEAN) / TORCH_STD
    if mode == "caffe":
        return pixels[..., ::-1] - CAFFE_BGR_MEAN
    return pixels


# ------------------------------------------------------ fixed_pixel_scaling
# Every mode on 3 channels; the modes without per-channel constants on 1 and 4.
BUILTIN_CASES = [(mode, 3) for mode in PIXEL_MODES] + [
    (mode, channels) for mode in ("tf", "none") for channels in (1, 4)
]


@pytest.mark.parametrize(("mode", "channels"), BUILTIN_CASES)
@pytest.mark.parametrize("input_range", [(0.0, 255.0), (-1.0, 1.0), (2.0, 6.0)])
def test_builtin_layer_maps_the_range_then_the_mode(mode, channels, input_range, keras):
    low, high = input_range
    x = _rgb(shape=(2, 5, 4, channels), low=low, high=high, seed=2)
    layer = fixed_pixel_scaling(
        input_range, mode, image_shape=(5, 4), channels=channels
    )
    out = to_numpy(layer(x))
    assert out.shape == x.shape and out.dtype == np.float32
    pixels = (x.astype(np.float64) - low) / (high - low) * 255.0
    np.testing.assert_allclose(out, _by_hand(pixels, mode), rtol=1e-5, atol=1e-4)
    assert isinstance(layer, keras.layers.EinsumDense)
    assert layer.name == "pixel_scaling"
    assert layer.trainable is False and layer.trainable_weights == []


@pytest.mark.parametrize("mode", ["tf", "torch", "caffe"])
def test_builtin_layer_matches_keras_preprocess_input(mode, keras):
    x = _rgb()
    expected = keras.applications.imagenet_utils.preprocess_input(
        x.copy(), mode=mode, data_format="channels_last"
    )
    out = to_numpy(fixed_pixel_scaling(mode=mode, image_shape=(5, 4))(x))
    np.testing.assert_allclose(out, to_numpy(expected), rtol=1e-5, atol=1e-4)


def test_builtin_caffe_is_a_flip_plus_a_bias(keras):
    # Hand-worked: pure red pixels become blue-last BGR minus the BGR means.
    x = np.zeros((1, 1, 2, 3), dtype="float32")
    x[..., 0] = 255.0
    out = to_numpy(fixed_pixel_scaling(mode="caffe", image_shape=(1, 2))(x))
    np.testing.assert_allclose(
        out[0, 0], [[-103.939, -116.779, 131.32]] * 2, rtol=0, atol=1e-4
    )
    layer = fixed_pixel_scaling((0.0, 1.0), "caffe", image_shape=(1, 1))
    layer.build((None, 1, 1, 3))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer.kernel), np.fliplr(np.eye(3)) * 255.0
    )


def test_builtin_layer_survives_training_cloning_and_saving(keras, tmp_path):
    inputs = keras.Input((4, 4, 3))
    scaled = fixed_pixel_scaling((0.0, 1.0), "torch", image_shape=(4, 4))(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(scaled)
    model = keras.Model(inputs, keras.layers.Dense(1, name="head")(pooled))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = _rgb(shape=(6, 4, 4, 3), high=1.0)
    expected = _by_hand(x * 255.0, "torch")
    model.fit(x, np.ones((6, 1)), epochs=2, verbose=0)
    copies = [model, keras.models.clone_model(model)]
    model.save(tmp_path / "scaling.keras")
    copies.append(keras.saving.load_model(tmp_path / "scaling.keras", safe_mode=True))
    for copy in copies:
        probe = keras.Model(copy.inputs, copy.get_layer("pixel_scaling").output)
        out = probe.predict(x, verbose=0)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("image_shape", [(1, 1), (9, 7)])
def test_builtin_layer_image_shapes_and_the_input_left_alone(image_shape, keras):
    layer = fixed_pixel_scaling(mode="caffe", image_shape=image_shape)
    x = _rgb(shape=(2, *image_shape, 3))
    before = x.copy()
    out = to_numpy(layer(x))
    np.testing.assert_allclose(out, _by_hand(x, "caffe"), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(x, before)
    # The static output shape keeps the height and width (a Flatten needs them).
    inputs = keras.Input((*image_shape, 3))
    out = fixed_pixel_scaling(image_shape=image_shape)(inputs)
    assert out.shape == (None, *image_shape, 3)


@pytest.mark.parametrize(
    "args, options, error, match",
    [
        (((1.0, 1.0),), {}, ValueError, "`input_range` must be a pair"),
        (("0,255",), {}, TypeError, "`input_range` must be a pair"),
        (((0.0, 1.0), "imagenet"), {}, ValueError, "`mode` must be one of"),
        (((0.0, 1.0), None), {}, TypeError, "of type NoneType"),
        ((), {"mode": "torch", "channels": 1}, ValueError, "got 1 channels"),
        ((), {"mode": "caffe", "channels": 4}, ValueError, "needs RGB images"),
        ((), {"channels": 0}, ValueError, "`channels` must be an int.*; got 0"),
        ((), {"channels": 3.0}, TypeError, "`channels` must be an int"),
        ((), {"name": None}, TypeError, "`name` must be a non-empty str"),
        ((), {"image_shape": (4, 4, 3)}, ValueError, "`image_shape` must be a pair"),
        ((), {"image_shape": (0, 4)}, ValueError, r"`image_shape\[0\]` must be"),
        ((), {"image_shape": "4x4"}, TypeError, "`image_shape` must be a .*tuple"),
    ],
)
def test_builtin_layer_bad_arguments(args, options, error, match):
    options = {"image_shape": (4, 4), **options}
    with pytest.raises(error, match=match):
        fixed_pixel_scaling(*args, **options)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "input_range, error",
    [
        ((1.0, 1.0), ValueError),
        ((2.0, -1.0), ValueError),
        ((0.0, np.inf), ValueError),
        ((np.nan, 1.0), ValueError),
        ((0.0, 1.0, 2.0), ValueError),
        ((0.0,), ValueError),
        ("0,255", TypeError),
        (255.0, TypeError),
        ((0.0, "1"), TypeError),
        ((False, True), TypeError),
        (None, TypeError),
    ],
)
def test_bad_input_range(input_range, error):
    with pytest.raises(error, match="`input_range` must be a pair of finite numbers"):
        fixed_pixel_scaling(input_range=input_range, image_shape=(4, 4))


@pytest.mark.parametrize(
    "mode, error, match",
    [
        ("imagenet", ValueError, r"`mode` must be one of \['tf', 'torch', 'caffe', "),
        ("TF", ValueError, "got 'TF'"),
        (None, TypeError, "`mode` must be one of .* of type NoneType"),
        (1, TypeError, "of type int"),
    ],
)
def test_bad_mode(mode, error, match):
    with pytest.raises(error, match=match):
        fixed_pixel_scaling(mode=mode, image_shape=(4, 4))
