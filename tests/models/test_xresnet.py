"""xresnet1d / xresnet2d: fastai's structure, identity at initialisation, use."""

import re

import numpy as np
import pytest

from specauth._lazy import import_keras
from specauth.models import get_model, xresnet1d, xresnet2d
from specauth.models.layers import LogActivation, SelfAttention
from tests.tolerance import assert_close

#: A tiny network: stage 2 changes the width (pool + 1x1 conv shortcut),
#: stage 3 keeps it (pool only), stage 4 changes it again.
TINY = {"widths": (8, 16, 16, 32), "stem_widths": (4, 4, 8)}
BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3)}


def _np(x, dtype=None):
    """``x`` (a backend tensor, variable or array) as a numpy array."""
    return np.asarray(import_keras().ops.convert_to_numpy(x), dtype=dtype)


def _tiny1d(depth=18, shape=(64, 1), n_classes=3, **options):
    return xresnet1d(shape, n_classes, seed=0, depth=depth, **{**TINY, **options})


def _inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _block_names(depth):
    return [
        f"stage{s}_block{b}"
        for s, n in enumerate(BLOCKS[depth], start=1)
        for b in range(1, n + 1)
    ]


# ---------------------------------------------------------------- structure
def test_registered_with_the_builder_contract():
    assert get_model("xresnet1d") is xresnet1d
    assert get_model("xresnet2d") is xresnet2d
    assert xresnet2d.input_kind == "image" and xresnet2d.input_rank == 3
    assert getattr(xresnet1d, "input_rank", 2) == 2


@pytest.mark.parametrize(
    "builder, shape", [(xresnet1d, (50, 1)), (xresnet2d, (20, 18, 1))]
)
def test_stem_is_three_convolutions_the_first_strided(builder, shape, keras):
    model = builder(shape, 3, seed=0)
    convs = [model.get_layer(f"stem_{i}_conv") for i in (1, 2, 3)]
    assert [c.filters for c in convs] == [32, 32, 64]
    ones = (1,) * (len(shape) - 1)
    assert [c.strides for c in convs] == [(2,) * len(ones), ones, ones]
    assert all(c.kernel_size == (3,) * len(ones) for c in convs)
    assert all(not c.use_bias for c in convs)
    for i in (1, 2, 3):  # each conv + BN + activation
        assert isinstance(
            model.get_layer(f"stem_{i}_bn"), keras.layers.BatchNormalization
        )
        assert model.get_layer(f"stem_{i}_act").get_config()["activation"] == "relu"
    pool = model.get_layer("stem_pool")
    assert pool.pool_size == (3,) * len(ones) and pool.strides == (2,) * len(ones)
    assert pool.input is model.get_layer("stem_3_act").output
    # 50 -> 25 (conv) -> 13 (pool) -> 7 -> 4 -> 2; 20 x 18 -> 10 x 9 -> 5 x 5 -> ...
    expected = (2, 512) if builder is xresnet1d else (1, 1, 512)
    assert model.get_layer("gap").input.shape == (None, *expected)


@pytest.mark.parametrize("depth", [18, 34, 50])
def test_blocks_per_stage_and_bottleneck_expansion(depth):
    model = _tiny1d(depth)
    names = [layer.name for layer in model.layers]
    adds = [re.fullmatch(r"stage(\d)_block(\d)_add", n) for n in names]
    per_stage = np.bincount([int(m[1]) for m in adds if m], minlength=5)[1:]
    assert tuple(per_stage) == BLOCKS[depth]
    expansion = 4 if depth == 50 else 1
    assert model.get_layer("gap").input.shape == (None, 2, 32 * expansion)
    if depth == 50:  # 1x1 -> 3 (strided) -> 1x1 with 4x the filters
        convs = [model.get_layer(f"stage2_block1_{j}_conv") for j in (1, 2, 3)]
        assert [c.kernel_size for c in convs] == [(1,), (3,), (1,)]
        assert [c.strides for c in convs] == [(1,), (2,), (1,)]
        assert [c.filters for c in convs] == [16, 16, 64]
        assert "stage2_block1_4_conv" not in names
    else:  # two 3-wide convolutions, the first strided
        convs = [model.get_layer(f"stage2_block1_{j}_conv") for j in (1, 2)]
        assert [c.kernel_size for c in convs] == [(3,), (3,)]
        assert [c.strides for c in convs] == [(2,), (1,)]
        assert "stage2_block1_3_conv" not in names


def _expected_parameters(depth, widths, stem_widths, n_classes, k=3):
    """Hand count: bias-free convs, BatchNorm = 4 numbers per channel."""
    total, channels = 0, 1
    for width in stem_widths:
        total += k * channels * width + 4 * width
        channels = width
    expansion = 4 if depth == 50 else 1
    for n_blocks, width in zip(BLOCKS[depth], widths, strict=True):
        for _ in range(n_blocks):
            out = width * expansion
            if expansion == 1:
                total += k * channels * width + k * width * width + 8 * width
            else:
                total += channels * width + k * width * width + width * out
                total += 8 * width + 4 * out
            if channels != out:  # 1x1 conv + BN on the shortcut
                total += channels * out + 4 * out
            channels = out
    return total + channels * n_classes + n_classes


@pytest.mark.parametrize("depth", [18, 34, 50])
def test_parameter_counts_match_a_hand_count(depth):
    model = _tiny1d(depth, input_norm=False, position_channel=False)
    expected = _expected_parameters(depth, TINY["widths"], TINY["stem_widths"], 3)
    assert model.count_params() == expected


def test_full_size_parameter_counts():
    # ResNet-18/34/50-like sizes with 3-wide 1D kernels, 10 outputs.
    counts = [
        xresnet1d(
            (64, 1), 10, depth=d, input_norm=False, position_channel=False
        ).count_params()
        for d in (18, 34, 50)
    ]
    assert counts == [
        _expected_parameters(d, (64, 128, 256, 512), (32, 32, 64), 10)
        for d in (18, 34, 50)
    ]
    assert counts[0] < counts[1] < counts[2]


def test_downsampling_shortcut_is_average_pool_then_1x1_conv(keras):
    model = _tiny1d(18)
    names = {layer.name for layer in model.layers}
    for block in ("stage2_block1", "stage4_block1"):  # stride 2, width changes
        pool = model.get_layer(f"{block}_pool")
        assert isinstance(pool, keras.layers.AveragePooling1D)
        assert pool.pool_size == (2,) and pool.strides == (2,)
        conv = model.get_layer(f"{block}_shortcut_conv")
        assert conv.kernel_size == (1,) and conv.strides == (1,)
        assert conv.input is pool.output
        assert isinstance(
            model.get_layer(f"{block}_shortcut_bn"), keras.layers.BatchNormalization
        )
    # Stride 2 but same width: the pool alone; stride 1, same width: identity.
    assert "stage3_block1_pool" in names and "stage3_block1_shortcut_conv" not in names
    assert (
        "stage1_block1_pool" not in names and "stage1_block1_shortcut_conv" not in names
    )
    # No strided 1x1 convolution anywhere ("ResNet-D").
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv1D) and layer.kernel_size == (1,):
            assert layer.strides == (1,)


def test_last_batchnorm_of_each_residual_branch_starts_at_zero():
    for depth, last in ((18, 2), (50, 3)):
        model = _tiny1d(depth)
        for block in _block_names(depth):
            gamma = _np(model.get_layer(f"{block}_{last}_bn").gamma)
            np.testing.assert_array_equal(gamma, 0.0)
            first = _np(model.get_layer(f"{block}_1_bn").gamma)
            np.testing.assert_array_equal(first, 1.0)


# ------------------------------------------------- identity at initialisation
def _block_tensors(keras, model, depth, x, training):
    """For each block: (input, residual branch, shortcut, output) on ``x``."""
    names, tensors = _block_names(depth), []
    previous = "stem_pool"
    for block in names:
        add = model.get_layer(f"{block}_add")
        residual, shortcut = add.input
        tensors.append(
            [
                model.get_layer(previous).output,
                residual,
                shortcut,
                model.get_layer(f"{block}_out").output,
            ]
        )
        previous = f"{block}_out"
    flat = [t for group in tensors for t in group]
    values = keras.Model(model.inputs, flat)([x], training=training)
    values = [_np(v) for v in values]
    return names, [values[i : i + 4] for i in range(0, len(values), 4)]


@pytest.mark.parametrize("depth", [18, 50])
@pytest.mark.parametrize("training", [False, True])
def test_every_block_is_the_identity_at_initialisation(depth, training, keras):
    model = _tiny1d(depth, self_attention=True)
    x = 100.0 * _inputs((4, 64, 1))
    names, values = _block_tensors(keras, model, depth, x, training)
    for block, (inp, residual, shortcut, out) in zip(names, values, strict=True):
        # The zeroed BatchNorm (then self-attention with gamma 0) gives exactly 0.
        np.testing.assert_array_equal(residual, 0.0, err_msg=block)
        # fastai: relu(residual + shortcut), so the block computes relu(shortcut).
        np.testing.assert_array_equal(out, np.maximum(shortcut, 0.0), err_msg=block)
        if inp.shape == out.shape:  # identity shortcut; its input is >= 0
            assert (inp >= 0).all()
            np.testing.assert_array_equal(out, inp, err_msg=block)
    identity = [
        b for b, v in zip(names, values, strict=True) if v[0].shape == v[3].shape
    ]
    assert len(identity) == sum(BLOCKS[depth]) - (3 if depth == 18 else 4)


def test_with_mish_a_block_applies_the_activation_after_the_add(keras):
    model = _tiny1d(18, activation="mish")
    assert model.get_layer("stage1_block1_out").get_config()["activation"] == "mish"
    names, values = _block_tensors(keras, model, 18, _inputs((2, 64, 1)), False)
    for block, (inp, residual, shortcut, out) in zip(names, values, strict=True):
        np.testing.assert_array_equal(residual, 0.0, err_msg=block)
        expected = _np(keras.activations.mish(shortcut))
        assert_close(out, expected, dtype=np.float32, err_msg=block)
        if block == "stage1_block1":  # identity shortcut: mish(x), not x
            assert_close(out, _np(keras.activations.mish(inp)), dtype=np.float32)
            assert not np.allclose(out, inp)


def test_self_attention_sits_in_the_last_block_of_the_first_stage():
    for depth, last in ((18, 2), (50, 3)):
        model = _tiny1d(depth, self_attention=True)
        layers = [la for la in model.layers if isinstance(la, SelfAttention)]
        assert [la.name for la in layers] == [
            f"stage1_block{BLOCKS[depth][0]}_attention"
        ]
        attention = layers[0]
        block = attention.name[: -len("_attention")]
        assert attention.input is model.get_layer(f"{block}_{last}_bn").output
        assert model.get_layer(f"{block}_add").input[0] is attention.output
    assert not any(isinstance(la, SelfAttention) for la in _tiny1d(18).layers)


# ------------------------------------------------------------------ options
def test_log_activation_replaces_the_first_stem_activation():
    model = _tiny1d(18, log_activation=True)
    assert isinstance(model.get_layer("stem_1_log"), LogActivation)
    names = {layer.name for layer in model.layers}
    assert "stem_1_act" not in names and "stem_2_act" in names


def test_dropout_sits_between_gap_and_logits(keras):
    model = _tiny1d(18, dropout=0.3)
    dropout = model.get_layer("dropout")
    assert dropout.rate == 0.3
    assert dropout.input is model.get_layer("gap").output
    assert model.get_layer("logits").input is dropout.output


@pytest.mark.parametrize("shape", [(3, 5, 2), (45, 61, 1)])
def test_xresnet2d_takes_patterns_of_any_size(shape, keras):
    model = xresnet2d(shape, 4, seed=0, depth=50, self_attention=True, **TINY)
    assert model.layers[0].name == "pattern" and model.layers[1].name == "input_norm"
    assert isinstance(model.get_layer("gap"), keras.layers.GlobalAveragePooling2D)
    assert model.get_layer("stage2_block1_pool").pool_size == (2, 2)
    out = _np(model(_inputs((2, *shape)), training=False))
    assert out.shape == (2, 4) and np.isfinite(out).all()


def test_xresnet2d_same_seed_same_weights():
    first = xresnet2d((16, 16, 1), 2, seed=0, **TINY).get_weights()
    second = xresnet2d((16, 16, 1), 2, seed=0, **TINY).get_weights()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "builder, shape", [(xresnet1d, (40, 1)), (xresnet2d, (24, 20, 1))]
)
def test_keras_file_round_trip_in_safe_mode(builder, shape, keras, tmp_path):
    model = builder(
        shape,
        3,
        seed=0,
        activation="mish",
        self_attention=True,
        log_activation=True,
        **TINY,
    )
    model.get_layer("stage1_block2_attention").gamma.assign(0.01)
    x = _inputs((3, *shape))
    expected = _np(model(x, training=False))
    path = tmp_path / "xresnet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode; specauth layers imported
    np.testing.assert_array_equal(_np(loaded(x, training=False)), expected)


@pytest.mark.parametrize(
    "builder, shape", [(xresnet1d, (64, 1)), (xresnet2d, (8, 8, 1))]
)
def test_bad_options_name_the_option(builder, shape):
    with pytest.raises(ValueError, match=r"`depth` must be one of 18, 34, 50; got 20"):
        builder(shape, 3, depth=20)
    with pytest.raises(ValueError, match="`activation` must be the name of a Keras"):
        builder(shape, 3, activation="no_such_activation")
    with pytest.raises(TypeError, match="`activation`"):
        builder(shape, 3, activation=None)
    with pytest.raises(ValueError, match="`kernel_size` must be odd; got 4"):
        builder(shape, 3, kernel_size=4)
    with pytest.raises(ValueError, match="`widths`"):
        builder(shape, 3, widths=(8, 16))
    with pytest.raises(TypeError, match="`self_attention`"):
        builder(shape, 3, self_attention="yes")


# --------------------------------------------------------------- estimators
def test_classifier_fits_spectra_and_cam_explains_it(keras):
    from specauth.datasets import make_spectra
    from specauth.estimators import CNNClassifier
    from specauth.explain import CAM1D

    data = make_spectra(n_classes=3, n_samples_per_class=8, length=64, random_state=0)
    options = {f"model__{k}": v for k, v in TINY.items()}
    clf = CNNClassifier(
        "xresnet1d", epochs=2, batch_size=8, random_state=0, **options
    ).fit(data.X, data.y)
    assert clf.predict(data.X).shape == (24,)
    assert clf.transform(data.X).shape == (24, 32)
    maps = CAM1D(clf, "cam").explain(data.X[:3])
    assert maps.shape == (3, 64) and np.isfinite(maps).all()


def test_cam1d_maps_are_the_logit_weighted_last_feature_map(keras):
    from specauth.explain import CAM1D

    model = _tiny1d(18, shape=(48, 1))
    X = _inputs((4, 48))
    cam = CAM1D(model, "cam")
    assert cam.explain(X).shape == (4, 48)
    body = keras.Model(model.inputs, model.get_layer("gap").input)
    features = _np(body([X[..., None]], training=False), dtype=np.float64)
    kernel = _np(model.get_layer("logits").kernel, dtype=np.float64)
    predicted = _np(model(X[..., None], training=False)).argmax(axis=1)
    expected = np.stack(
        [f @ kernel[:, c] for f, c in zip(features, predicted, strict=True)]
    )
    np.testing.assert_allclose(cam.low_resolution_maps_, expected, rtol=1e-4, atol=1e-5)


def test_classifier_fits_diffraction_patterns():
    from specauth.datasets import make_diffraction_patterns
    from specauth.estimators import CNNClassifier
    from specauth.explain import CAM2D

    data = make_diffraction_patterns(16, (32, 32), random_state=0)
    options = {f"model__{k}": v for k, v in TINY.items()}
    clf = CNNClassifier(
        "xresnet2d", epochs=2, batch_size=8, random_state=0, **options
    ).fit(data.X, data.y)
    assert clf.input_shape_ == (32, 32, 1)
    assert set(clf.predict(data.X)) <= set(clf.classes_)
    maps = CAM2D(clf, "cam").explain(data.X[:2])
    assert maps.shape == (2, 32, 32) and np.isfinite(maps).all()
