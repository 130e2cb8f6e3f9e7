import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models import get_model, resnet1d
from specauth.models.resnet1d import _split_factor, _stem_factor


@pytest.mark.parametrize(
    ("length", "downsample", "factor"),
    [
        (2631, "auto", 4),  # ceil(2631 / 4) = 658 <= 1024 < ceil(2631 / 2)
        (1024, "auto", 1),
        (1025, "auto", 2),
        (20000, "auto", 32),  # 625 positions
        (50000, "auto", 64),  # 782 positions
        (2, "auto", 1),
        (20000, None, 1),
        (100, 8, 8),
        (7, 64, 4),  # reduced so that ceil(7 / 4) = 2 positions remain
        (1, 2, 1),
    ],
)
def test_stem_factor(length, downsample, factor):
    assert _stem_factor(length, downsample) == factor


@pytest.mark.parametrize(
    ("factor", "split"), [(2, (2, 1)), (4, (2, 2)), (8, (4, 2)), (32, (8, 4))]
)
def test_split_factor(factor, split):
    assert _split_factor(factor) == split
    assert split[0] * split[1] == factor


def test_full_resolution_architecture(keras):
    model = resnet1d((100, 1), 5, downsample=None, seed=0)
    names = [layer.name for layer in model.layers]
    assert not any(n.startswith("stem") for n in names)
    for block, filters in zip((1, 2, 3), (64, 128, 128), strict=True):
        convs = [model.get_layer(f"block{block}_{j}_conv") for j in (1, 2, 3)]
        kernels = [conv.kernel_size for conv in convs]
        assert kernels == [(8,), (5,), (3,)]
        assert model.get_layer(f"block{block}_3_conv").filters == filters
    # The blocks see the spectrum plus the position channel.
    assert names[:4] == ["spectrum", "input_norm", "position", "block1_1_conv"]
    assert model.get_layer("block1_1_conv").input.shape == (None, 100, 2)
    # 1x1 shortcut only where the channel count changes (2 -> 64, 64 -> 128).
    assert model.get_layer("block1_shortcut_conv").kernel_size == (1,)
    assert "block2_shortcut_conv" in names
    assert "block3_shortcut_conv" not in names
    assert model.get_layer("gap").input.shape == (None, 100, 128)
    assert "dropout" not in names  # dropout=0.0 by default


def test_stem_for_long_spectra():
    model = resnet1d((20000, 1), 3, seed=0)
    stem = model.get_layer("stem_conv")
    assert stem.strides == (8,) and stem.filters == 64
    assert stem.input is model.get_layer("position").output
    assert stem.input.shape == (None, 20000, 2)
    assert model.get_layer("stem_pool").pool_size == (4,)
    assert model.get_layer("gap").input.shape == (None, 625, 128)
    # After the stem block 1 keeps 64 channels, so its shortcut is the identity.
    assert "block1_shortcut_conv" not in {layer.name for layer in model.layers}


def test_residual_wiring_matches_numpy(keras):
    model = get_model("resnet1d_small")((30, 2), 3, seed=0)
    x = np.random.default_rng(0).normal(size=(2, 30, 2)).astype("float32")
    names = [
        "input_norm",
        "block2_3_bn",
        "block2_shortcut_bn",
        "block2_out",
        "block3_3_bn",
        "block3_out",
    ]
    probe = keras.Model(model.input, [model.get_layer(n).output for n in names])
    norm, b1, s1, out1, b2, out2 = (to_numpy(t) for t in probe(x, training=False))
    assert norm.shape == (2, 30, 2)
    np.testing.assert_allclose(out1, np.maximum(b1 + s1, 0), rtol=1e-5, atol=1e-6)
    # block 3 has 32 -> 32 channels: the shortcut is the block input itself.
    np.testing.assert_allclose(out2, np.maximum(b2 + out1, 0), rtol=1e-5, atol=1e-6)


def test_custom_blocks_and_dropout(keras):
    model = resnet1d(
        (40, 1), 2, filters=(4, 8), kernel_sizes=(3, 3), dropout=0.5, name="tiny"
    )
    names = {layer.name for layer in model.layers}
    assert "block3_1_conv" not in names and "block2_2_conv" in names
    assert "block1_3_conv" not in names
    assert model.get_layer("dropout").rate == 0.5
    assert model.get_layer("logits").input.shape == (None, 8)
    assert model.name == "tiny"


@pytest.mark.parametrize(
    ("options", "error", "fragment"),
    [
        ({"downsample": 3}, ValueError, "power of 2; got 3"),
        ({"downsample": "fast"}, ValueError, "`downsample` must be 'auto'"),
        ({"downsample": 0}, ValueError, "`downsample`"),
        ({"downsample": 2.0}, TypeError, "`downsample`"),
        ({"kernel_sizes": (8, 0)}, ValueError, r"`kernel_sizes\[1\]`"),
        (
            {"kernel_sizes": ()},
            ValueError,
            "`kernel_sizes` must be a tuple of one or more ints",
        ),
        ({"filters": "64"}, TypeError, "`filters` must be a tuple"),
        ({"dropout": -0.1}, ValueError, "`dropout`"),
        ({"input_norm": None}, TypeError, "`input_norm`"),
        ({"position_channel": "no"}, TypeError, "`position_channel` must be True"),
    ],
)
def test_bad_options(options, error, fragment):
    with pytest.raises(error, match=fragment):
        resnet1d((64, 1), 3, **options)
