"""LITE: fixed filters, structure, hand-counted parameters, lengths, CAM, training."""

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models import get_model, inception_time, lite

SIZES = (2, 4, 8, 16, 32, 64)
FIXED = (
    [f"increase{k}" for k in SIZES]
    + [f"decrease{k}" for k in SIZES]
    + [f"peak{k}" for k in (6, 12, 24, 48, 96)]
)


def _count(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


def _inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _bare(length=64, **options):
    """LITE on the raw input: no input_norm, no position channel."""
    return lite((length, 1), 3, input_norm=False, position_channel=False, **options)


# Filters written out by hand from the papers' definitions.
INCREASE_4 = [-1, 1, -1, 1]
DECREASE_4 = [1, -1, 1, -1]
PEAK_6 = [-1, -1, 2, 2, -1, -1]  # size 4: quarter 1, parabola (1/1)^2
PEAK_12 = [  # size 8: quarters of 2, parabola (1/2)^2, (2/2)^2
    -0.25, -1, -1, -0.25, 0.5, 2, 2, 0.5, -0.25, -1, -1, -0.25
]  # fmt: skip


def test_fixed_filters_are_frozen_and_have_the_intended_values(keras):
    model = lite((64, 1), 3, seed=0)  # 2 input channels: spectrum and position
    for name in FIXED:
        layer = model.get_layer(name)
        assert type(layer) is keras.layers.Conv1D  # built-in, not a custom class
        assert not layer.trainable and not layer.use_bias
        assert layer.trainable_weights == []
        assert layer.filters == 1 and layer.padding == "same"
        kernel = layer.get_weights()[0]
        assert kernel.shape == (layer.kernel_size[0], 2, 1)
        # The same filter on every input channel.
        np.testing.assert_array_equal(kernel[:, 0, 0], kernel[:, 1, 0])
    kernel = {name: model.get_layer(name).get_weights()[0][:, 0, 0] for name in FIXED}
    np.testing.assert_array_equal(kernel["increase2"], [-1, 1])
    np.testing.assert_array_equal(kernel["increase4"], INCREASE_4)
    np.testing.assert_array_equal(kernel["decrease4"], DECREASE_4)
    np.testing.assert_array_equal(kernel["peak6"], PEAK_6)
    np.testing.assert_array_equal(kernel["peak12"], PEAK_12)
    for k in SIZES:
        expected = np.tile([-1.0, 1.0], k // 2)
        np.testing.assert_array_equal(kernel[f"increase{k}"], expected)
        np.testing.assert_array_equal(kernel[f"decrease{k}"], -expected)
    for length in (6, 12, 24, 48, 96):
        peak = kernel[f"peak{length}"]
        assert peak.size == length
        assert abs(peak.sum()) < 1e-6  # zero response to a flat baseline
        np.testing.assert_array_equal(peak, peak[::-1])  # symmetric
        assert peak.max() == 2 and peak.min() == -1
    # No trainable weight is a fixed filter.
    fixed_ids = {id(model.get_layer(n).kernel) for n in FIXED}
    assert not fixed_ids & {id(w) for w in model.trainable_weights}


def _same_correlation(x, weights):
    """Keras 'same' cross-correlation: (k - 1) // 2 zeros left, the rest right."""
    left = (len(weights) - 1) // 2
    padded = np.pad(x, (left, len(weights) - 1 - left))
    return np.correlate(padded, weights, mode="valid")


def test_fixed_filters_detect_rises_falls_and_peaks(keras):
    length = 100
    model = _bare(length, seed=0)
    names = ["increase8", "decrease8", "peak12", "custom_relu"]
    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    centre = 50
    bump = np.exp(-0.5 * ((np.arange(length) - centre) / 1.5) ** 2)
    x = (0.01 * np.arange(length) + bump).astype("float32")
    rise, fall, peak, relu = (
        to_numpy(t)[0, :, 0] if t.shape[-1] == 1 else to_numpy(t)[0]
        for t in probe([x[None, :, None]], training=False)
    )
    np.testing.assert_allclose(
        rise, _same_correlation(x, np.tile([-1, 1], 4)), atol=1e-5
    )
    np.testing.assert_allclose(fall, -rise, atol=1e-6)
    np.testing.assert_allclose(peak, _same_correlation(x, PEAK_12), atol=1e-5)
    # On the slope alone (far from the bump), increase8 sums 4 rises of 0.01.
    np.testing.assert_allclose(rise[10:30], 0.04, atol=1e-5)
    assert abs(int(np.argmax(peak)) - centre) <= 1  # the peak detector fires
    assert rise[centre - 3] > 0 > rise[centre + 3]  # left flank up, right down
    # The fixed responses pass through a ReLU before the concatenation.
    assert relu.shape == (length, 17)
    np.testing.assert_allclose(relu[:, FIXED.index("peak12")], np.maximum(peak, 0))


def test_fixed_filters_stay_fixed_while_training(keras):
    model = get_model("lite_small")((32, 1), 2, seed=0)
    fixed = {n: model.get_layer(n).get_weights()[0] for n in ("increase4", "peak12")}
    learned = model.get_layer("multiplex_conv20").get_weights()[0]
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(_inputs((8, 32, 1)), np.arange(8) % 2, epochs=1, verbose=0)
    for name, weights in fixed.items():
        np.testing.assert_array_equal(model.get_layer(name).get_weights()[0], weights)
    assert not np.array_equal(
        model.get_layer("multiplex_conv20").get_weights()[0], learned
    )


def test_structure(keras):
    model = lite((100, 1), 5, seed=0)
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["spectrum", "input_norm", "position"]
    for k in (40, 20, 10):
        conv = model.get_layer(f"multiplex_conv{k}")
        assert conv.kernel_size == (k,) and conv.filters == 32 and not conv.use_bias
        assert conv.input is model.get_layer("position").output
    assert set(FIXED) <= set(names)
    assert model.get_layer("multiplex_concat").output.shape == (None, 100, 3 * 32 + 17)
    for index, kernel, dilation in ((1, 20, 2), (2, 10, 4)):
        sep = model.get_layer(f"separable{index}_conv")
        assert isinstance(sep, keras.layers.SeparableConv1D)
        assert sep.kernel_size == (kernel,) and sep.dilation_rate == (dilation,)
        assert sep.filters == 32 and sep.depth_multiplier == 1
    assert model.get_layer("gap").input is model.get_layer("separable2_relu").output
    assert model.get_layer("gap").input.shape == (None, 100, 32)


def test_ablation_options(keras):
    plain = lite(
        (50, 1),
        3,
        custom_filter_sizes=None,
        use_multiplexing=False,
        use_dilation=False,
        seed=0,
    )
    names = {layer.name for layer in plain.layers}
    assert not names & set(FIXED) and "multiplex_concat" not in names
    assert plain.get_layer("multiplex_conv40").filters == 96
    assert plain.get_layer("separable1_conv").dilation_rate == (1,)
    assert plain.get_layer("separable2_conv").dilation_rate == (1,)
    # Sizes not divisible by 4 get trend filters only.
    odd_quarter = lite((50, 1), 3, custom_filter_sizes=(2, 6, 8), seed=0)
    fixed = {la.name for la in odd_quarter.layers if not la.trainable}
    assert {"increase6", "decrease6", "peak12"} <= fixed
    assert "peak9" not in fixed and "peak3" not in fixed


def test_parameter_count_by_hand():
    model = _bare(n_filters=4, kernel_size=8, custom_filter_sizes=(2, 4), seed=0)
    multiplex = (8 + 4 + 2) * 1 * 4  # bias-free Conv1D, 1 input channel
    channels = 3 * 4 + 5  # increase2/4, decrease2/4, peak6
    bn1 = 2 * channels
    separable1 = 4 * channels + channels * 4  # depthwise k=4, pointwise 1x1
    separable2 = 2 * 4 + 4 * 4  # depthwise k=2, pointwise 1x1
    head = 4 * 3 + 3
    expected = multiplex + bn1 + separable1 + 8 + separable2 + 8 + head
    assert _count(model.trainable_weights) == expected == 281
    fixed = 2 + 4 + 2 + 4 + 6
    assert _count(model.non_trainable_weights) == fixed + 2 * channels + 8 + 8


def test_far_fewer_parameters_than_inception_time():
    lite_params = _count(lite((128, 1), 3).trainable_weights)
    inception_params = _count(inception_time((128, 1), 3).trainable_weights)
    # Measured: 12,155 vs 490,245 trainable parameters, 2.5 % (the paper: 2.3 %).
    assert lite_params == 12_155
    assert inception_params == 490_245
    assert lite_params / inception_params < 0.03
    # The paper's univariate LITE: 9,814 parameters before the logits layer.
    bare = _count(_bare(128).trainable_weights)
    assert bare - (32 * 3 + 3) == 9_814


@pytest.mark.parametrize("length", [1, 7, 5000])
def test_short_and_long_inputs(length):
    model = lite((length, 1), 3, seed=0)
    assert model.get_layer("gap").input.shape == (None, length, 32)
    logits = to_numpy(model(_inputs((2, length, 1)), training=False))
    assert logits.shape == (2, 3) and np.isfinite(logits).all()


def test_same_seed_same_weights():
    first = lite((30, 1), 3, seed=4).get_weights()
    second = lite((30, 1), 3, seed=4).get_weights()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    one, other = lite((30, 1), 3, seed=4), lite((30, 1), 3, seed=5)
    for name in ("multiplex_conv40", "separable1_conv"):
        assert not np.array_equal(
            one.get_layer(name).get_weights()[0],
            other.get_layer(name).get_weights()[0],
        )
    np.testing.assert_array_equal(  # the fixed filters do not depend on the seed
        one.get_layer("peak96").get_weights()[0],
        other.get_layer("peak96").get_weights()[0],
    )


def test_keras_file_round_trip_in_safe_mode(keras, tmp_path):
    model = lite((80, 1), 3, seed=0)
    x = _inputs((3, 80, 1))
    expected = model.predict(x, verbose=0)
    path = tmp_path / "lite.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe_mode=True
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    assert all(type(la).__module__.startswith("keras.") for la in loaded.layers)
    for name in FIXED:
        assert not loaded.get_layer(name).trainable
        np.testing.assert_array_equal(
            loaded.get_layer(name).get_weights()[0],
            model.get_layer(name).get_weights()[0],
        )
    # A clone (config only, no weights) rebuilds the fixed filters too.
    clone = keras.models.clone_model(model)
    np.testing.assert_array_equal(
        clone.get_layer("peak24").get_weights()[0],
        model.get_layer("peak24").get_weights()[0],
    )


def test_bad_options():
    with pytest.raises(ValueError, match=r"`kernel_size` must be an int >= 4.*got 2"):
        lite((64, 1), 3, kernel_size=2)
    with pytest.raises(ValueError, match=r"even ints.*odd sizes \[3\]"):
        lite((64, 1), 3, custom_filter_sizes=(2, 3))
    with pytest.raises(TypeError, match="`use_dilation`"):
        lite((64, 1), 3, use_dilation=1)
    with pytest.raises(ValueError, match="`n_filters`"):
        lite((64, 1), 3, n_filters=0)


def test_cam1d_explains_the_network(keras):
    from specauth.explain import CAM1D

    model = get_model("lite_small")((48, 1), 3, seed=0)
    X = _inputs((4, 48))
    cam = CAM1D(model, "cam")
    assert cam.explain(X).shape == (4, 48)
    body = keras.Model(model.inputs, model.get_layer("gap").input)
    features = to_numpy(body([X[..., None]], training=False)).astype(np.float64)
    kernel = to_numpy(model.get_layer("logits").kernel).astype(np.float64)
    predicted = to_numpy(model(X[..., None], training=False)).argmax(axis=1)
    expected = np.stack(
        [f @ kernel[:, c] for f, c in zip(features, predicted, strict=True)]
    )
    np.testing.assert_allclose(cam.low_resolution_maps_, expected, rtol=1e-4, atol=1e-5)


def test_classifier_learns_synthetic_spectra():
    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier

    data = make_spectra(n_classes=3, n_samples_per_class=20, length=128, random_state=0)
    clf = CNNClassifier("lite_small", epochs=20, random_state=0)
    clf.fit(data.X, data.y)
    # Chance is 1/3 (measured with random_state 0 and 1: 0.97 to 1.0 after 15
    # epochs, 1.0 after 30, on tensorflow and jax; about 4 s).
    assert clf.score(data.X, data.y) >= 0.8
