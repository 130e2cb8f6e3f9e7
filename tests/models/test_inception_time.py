"""InceptionTime: structure, hand-counted parameters, lengths, CAM and training."""

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models import get_model, inception_time


def _count(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


def _inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _module_params(c_in, n_filters, bottleneck, kernels=(40, 20, 10)):
    """Trainable parameters of one inception module, counted by hand.

    Bias-free convolutions: bottleneck 1 x c_in x B, the three parallel kernels
    k x B x F each, the pool-branch 1x1 conv c_in x F; BatchNorm over the 4 F
    concatenated channels: gamma and beta.
    """
    return (
        c_in * bottleneck
        + sum(kernels) * bottleneck * n_filters
        + c_in * n_filters
        + 2 * 4 * n_filters
    )


def _network_params(c_in, n_classes, depth, n_filters, bottleneck):
    """Trainable parameters of a whole network without input_norm / position."""
    total, width, block_input = 0, c_in, c_in
    for index in range(1, depth + 1):
        total += _module_params(width, n_filters, bottleneck)
        width = 4 * n_filters
        if index % 3 == 0:  # shortcut: 1x1 conv (no bias) + BatchNorm
            total += block_input * width + 2 * width
            block_input = width
    return total + width * n_classes + n_classes


def test_one_module_parameter_count_by_hand(keras):
    model = inception_time(
        (64, 1),
        3,
        depth=1,
        n_filters=8,
        bottleneck_size=4,
        use_residual=False,
        input_norm=False,
        position_channel=False,
        seed=0,
    )
    # bottleneck 1*4 + convs (40+20+10)*4*8 + pool conv 1*8 + BN gamma/beta 2*32
    # + logits 32*3 + 3
    assert _count(model.trainable_weights) == 4 + 2240 + 8 + 64 + 99 == 2415
    assert _count(model.non_trainable_weights) == 64  # BN moving mean/variance
    # With input_norm (2 trainable) and the position ramp (2 input channels).
    model = inception_time(
        (64, 1), 3, depth=1, n_filters=8, bottleneck_size=4, use_residual=False
    )
    assert _count(model.trainable_weights) == 2 + 8 + 2240 + 16 + 64 + 99 == 2429


@pytest.mark.parametrize(
    ("name", "depth", "n_filters", "bottleneck"),
    [("inception_time_small", 3, 8, 8), ("inception_time", 6, 32, 32)],
)
def test_registered_variants_match_the_hand_count(name, depth, n_filters, bottleneck):
    model = get_model(name)((128, 1), 3, position_channel=False, input_norm=False)
    expected = _network_params(1, 3, depth, n_filters, bottleneck)
    assert _count(model.trainable_weights) == expected
    # Measured (recorded in the lite docstring): 490,245 trainable parameters
    # for the default network on one channel + position ramp, 3 classes.
    full = get_model(name)((128, 1), 3)
    position_expected = _network_params(2, 3, depth, n_filters, bottleneck) + 2
    assert _count(full.trainable_weights) == position_expected
    if name == "inception_time":
        assert position_expected == 490_245


def test_module_structure(keras):
    model = inception_time((100, 1), 5, seed=0)
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["spectrum", "input_norm", "position"]
    for i in range(1, 7):
        bottleneck = model.get_layer(f"module{i}_bottleneck")
        assert bottleneck.kernel_size == (1,) and bottleneck.filters == 32
        for k in (40, 20, 10):
            conv = model.get_layer(f"module{i}_conv{k}")
            assert conv.kernel_size == (k,) and conv.filters == 32
            assert conv.input is bottleneck.output
            assert not conv.use_bias
        pool = model.get_layer(f"module{i}_pool")
        assert pool.pool_size == (3,) and pool.strides == (1,)
        assert pool.input is bottleneck.input  # pools the module input
        assert model.get_layer(f"module{i}_pool_conv").input is pool.output
        assert model.get_layer(f"module{i}_concat").output.shape == (None, 100, 128)
        assert isinstance(
            model.get_layer(f"module{i}_bn"), keras.layers.BatchNormalization
        )
    # A shortcut after modules 3 and 6, from the input of the 3 modules.
    assert {n for n in names if n.endswith("_add")} == {
        "shortcut1_add",
        "shortcut2_add",
    }
    assert model.get_layer("shortcut1_conv").input is model.get_layer("position").output
    assert (
        model.get_layer("shortcut2_conv").input
        is model.get_layer("shortcut1_relu").output
    )
    assert (
        model.get_layer("module4_bottleneck").input
        is model.get_layer("shortcut1_relu").output
    )
    assert model.get_layer("gap").input is model.get_layer("shortcut2_relu").output
    assert model.get_layer("gap").input.shape == (None, 100, 128)


def test_options_change_the_structure():
    model = inception_time((50, 1), 3, depth=2, bottleneck_size=None, seed=0)
    names = {layer.name for layer in model.layers}
    assert not any("bottleneck" in n or "shortcut" in n for n in names)
    assert model.get_layer("module2_conv40").input.shape == (None, 50, 128)
    model = inception_time((50, 1), 3, kernel_size=8, use_residual=False, seed=0)
    assert {"module1_conv8", "module1_conv4", "module1_conv2"} <= {
        layer.name for layer in model.layers
    }
    assert "shortcut1_add" not in {layer.name for layer in model.layers}


@pytest.mark.parametrize("length", [1, 7, 5000])
def test_short_and_long_inputs_keep_full_resolution(length):
    model = get_model("inception_time_small")((length, 1), 3, seed=0)
    assert model.get_layer("gap").input.shape == (None, length, 32)
    logits = to_numpy(model(_inputs((2, length, 1)), training=False))
    assert logits.shape == (2, 3) and np.isfinite(logits).all()


def test_same_seed_same_weights():
    first = get_model("inception_time_small")((30, 1), 3, seed=4).get_weights()
    second = get_model("inception_time_small")((30, 1), 3, seed=4).get_weights()
    other = get_model("inception_time_small")((30, 1), 3, seed=5).get_weights()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    conv = [i for i, w in enumerate(first) if w.ndim == 3]
    assert all(not np.array_equal(first[i], other[i]) for i in conv)


def test_keras_file_round_trip_in_safe_mode(keras, tmp_path):
    model = inception_time((40, 1), 3, depth=3, n_filters=4, seed=0)
    x = _inputs((3, 40, 1))
    expected = model.predict(x, verbose=0)
    path = tmp_path / "inception.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe_mode=True
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    assert [la.name for la in loaded.layers] == [la.name for la in model.layers]


def test_bad_options():
    with pytest.raises(ValueError, match=r"`kernel_size` must be an int >= 4.*got 3"):
        inception_time((64, 1), 3, kernel_size=3)
    with pytest.raises(ValueError, match="`depth`"):
        inception_time((64, 1), 3, depth=0)
    with pytest.raises(TypeError, match="`bottleneck_size`"):
        inception_time((64, 1), 3, bottleneck_size=2.5)
    with pytest.raises(TypeError, match="`use_residual`"):
        inception_time((64, 1), 3, use_residual="yes")


def test_cam1d_explains_the_network(keras):
    from specauth.explain import CAM1D

    model = get_model("inception_time_small")((48, 1), 3, seed=0)
    X = _inputs((4, 48))
    cam = CAM1D(model, "cam")
    maps = cam.explain(X)
    assert maps.shape == (4, 48)
    body = keras.Model(model.inputs, model.get_layer("gap").input)
    features = to_numpy(body([X[..., None]], training=False)).astype(np.float64)
    kernel = to_numpy(model.get_layer("logits").kernel).astype(np.float64)
    predicted = to_numpy(model(X[..., None], training=False)).argmax(axis=1)
    expected = np.stack(
        [f @ kernel[:, c] for f, c in zip(features, predicted, strict=True)]
    )
    np.testing.assert_allclose(cam.low_resolution_maps_, expected, rtol=1e-4, atol=1e-5)
    grad = CAM1D(model, "gradcam").explain(X)
    assert grad.shape == (4, 48) and np.isfinite(grad).all()


def test_classifier_learns_synthetic_spectra():
    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier

    data = make_spectra(n_classes=3, n_samples_per_class=20, length=128, random_state=0)
    clf = CNNClassifier("inception_time_small", epochs=10, random_state=0)
    clf.fit(data.X, data.y)
    # Chance is 1/3 (measured: 1.0 after 10 epochs, 0.7 after 5; about 5 s).
    assert clf.score(data.X, data.y) >= 0.9
