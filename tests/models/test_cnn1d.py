import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models import cnn1d, get_model
from specauth.models.cnn1d import _plan_blocks
from tests.tolerance import assert_close


@pytest.mark.parametrize(
    ("length", "plan", "final"),
    [
        # hand-worked: each block is ceil(n / 2) for the stride, then again for
        # the pooling, unless the stride already left <= 128 positions (or the
        # step would leave fewer than 2); blocks stop at <= 128 positions (an
        # explicit max_positions=128; "auto" is tested below)
        (2631, [(2, 2), (2, 2), (2, 1)], 83),  # 1316, 658 | 329, 165 | 83
        (1536, [(2, 2)] * 2, 96),  # 768, 384 | 192, 96
        (20000, [(2, 2)] * 4, 79),  # 10000, 5000 | ... | 157, 79
        (100000, [(2, 2)] * 4, 391),  # ... 782, 391: capped at 4 blocks
        (2049, [(2, 2), (2, 2), (2, 1)], 65),  # 1025, 513 | 257, 129 | 65
        (2048, [(2, 2)] * 2, 128),  # 1024, 512 | 256, 128
        (1025, [(2, 2)] * 2, 65),  # 513, 257 | 129, 65
        (1024, [(2, 2), (2, 1)], 128),  # 512, 256 | 128: no pooling
        (257, [(2, 2)], 65),  # 129, 65
        (256, [(2, 1)], 128),
        (64, [(2, 1)], 32),
        (3, [(2, 1)], 2),
        (2, [(1, 1)], 2),  # a stride 2 would leave one position
        (1, [(1, 1)], 1),
    ],
)
def test_auto_plan(length, plan, final):
    assert _plan_blocks(length, "auto", 4, 2, 2, 128) == (plan, final)


@pytest.mark.parametrize(
    ("length", "max_positions", "plan", "final"),
    [
        (2631, 4, [(2, 2)] * 5, 3),  # the earlier default: ... 21, 11 | 6, 3
        (128, 4, [(2, 2), (2, 2), (2, 1)], 4),  # 64, 32 | 16, 8 | 4: no pooling
        (2631, 1000, [(2, 2)], 658),
        (2631, 2631, [(2, 1)], 1316),  # at least one block, and it strides
    ],
)
def test_auto_plan_follows_max_positions(length, max_positions, plan, final):
    assert _plan_blocks(length, "auto", 6, 2, 2, max_positions) == (plan, final)


def test_auto_plan_is_capped_by_the_number_of_blocks():
    plan, final = _plan_blocks(50000, "auto", 3, 2, 2, 4)
    assert len(plan) == 3 and final == 782


def test_explicit_blocks_always_pool_but_never_go_below_two_positions():
    plan, final = _plan_blocks(16, 4, 4, 2, 2, 512)
    assert plan == [(2, 2), (2, 1), (1, 1), (1, 1)]
    assert final == 2
    assert _plan_blocks(1536, 2, 4, 2, 2, 512) == ([(2, 2)] * 2, 96)


def _conv_layers(model, keras):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv1D)]


def test_default_network_for_pgaa_length(keras):
    model = cnn1d((2631, 1), 10, seed=0)
    convs = _conv_layers(model, keras)
    # 3 downsampling blocks (2631 -> 83 positions), then 2 local blocks.
    assert [c.filters for c in convs] == [16, 32, 64, 128, 128]
    assert [c.kernel_size for c in convs] == [(7,), (7,), (7,), (3,), (3,)]
    assert [c.strides for c in convs] == [(2,), (2,), (2,), (1,), (1,)]
    assert all(c.dilation_rate == (1,) for c in convs)
    assert all(c.padding == "same" and not c.use_bias for c in convs)
    assert model.get_layer("gap").input.shape == (None, 83, 128)
    assert model.get_layer("dropout").rate == 0.25
    assert model.name == "cnn1d"
    # Input -> input_norm -> position -> block 1, which sees 1 + 1 channels.
    names = [layer.name for layer in model.layers]
    assert names[:4] == ["spectrum", "input_norm", "position", "block1_conv"]
    position = model.get_layer("position")  # a frozen ramp (fixed_position_channel)
    assert not position.trainable and position.output.shape == (None, 2631, 2)
    assert convs[0].input.shape == (None, 2631, 2)
    assert convs[2].input.shape == (None, 165, 32)
    assert convs[3].input.shape == (None, 83, 64 + 10)
    # Downsampling block: conv -> batch norm -> relu -> max pooling; local
    # blocks have no pooling.
    start = names.index("block1_conv")
    assert names[start : start + 4] == [
        "block1_conv",
        "block1_bn",
        "block1_relu",
        "block1_pool",
    ]
    start = names.index("block3_relu")  # the third block does not pool
    assert names[start:] == [
        "block3_relu",
        "local_position",  # 5 frequencies (<= 83 / 4): 10 sin/cos channels
        "block4_conv",
        "block4_bn",
        "block4_relu",
        "block5_conv",
        "block5_bn",
        "block5_relu",
        "gap",
        "dropout",
        "logits",
    ]


@pytest.mark.parametrize(
    ("length", "final", "jump", "window"),
    [
        # window = 1 + 6 + 1*2 + 6*4 + 1*8 + 6*16 + 2*2*32 (see the cnn1d
        # Notes); the third block does not pool
        (2631, 83, 32, 265),
        (1536, 96, 16, 105),  # 1 + 6 + 1*2 + 6*4 + 1*8 + 2*2*16: two blocks
        # 1 + 6 + 1*2 + 6*4 + 1*8 + 6*16 + 1*32 + 2*2*64: three blocks
        (20000, 313, 64, 425),
    ],
)
def test_final_positions_see_a_local_window(keras, length, final, jump, window):
    # An impulse at one input point may only change the final positions whose
    # window (computed by hand) holds that point; measured on random weights.
    model = cnn1d((length, 1), 3, seed=0)
    body = keras.Model(model.inputs, model.get_layer("gap").input)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, length, 1)).astype("float32")
    point = length // 2
    bumped = x.copy()
    bumped[0, point, 0] += 50.0
    features = to_numpy(body.predict(np.concatenate([x, bumped]), verbose=0))
    assert features.shape == (2, final, model.get_layer("gap").input.shape[-1])
    changed = np.flatnonzero(np.abs(features[1] - features[0]).max(axis=1) > 1e-5)
    assert changed.size >= 1
    centres = (changed + 0.5) * jump
    assert np.all(np.abs(centres - point) <= window / 2 + jump)
    assert changed.size <= window // jump + 2


def test_position_features_before_the_local_blocks(keras):
    model = cnn1d((2631, 1), 3, seed=0)
    layer = model.get_layer("local_position")
    assert type(layer).__name__ == "EinsumDense" and not layer.trainable
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 83, 64)).astype("float32")
    out = to_numpy(layer(x))
    # independent: the channels are copied, then sin, cos of 2 pi f (i + 0.5) / 83
    # for the frequencies f <= 83 / 4 (32 is dropped)
    assert_close(out[..., :64], x)  # an identity kernel, through a matmul kernel
    centres = (np.arange(83) + 0.5) / 83
    expected = np.stack(
        [
            g(2 * np.pi * f * centres)
            for f in (1, 2, 4, 8, 16)
            for g in (np.sin, np.cos)
        ],
        axis=1,
    )
    assert out.shape == (2, 83, 64 + 10)
    np.testing.assert_allclose(out[0, :, 64:], expected, atol=1e-6)
    np.testing.assert_allclose(out[1, :, 64:], expected, atol=1e-6)


@pytest.mark.parametrize(
    ("length", "options", "extra"),
    [
        (64, {}, 6),  # 16 positions: frequencies <= 16 / 4 = 4 are kept
        (64, {"position_frequencies": (3.0, 9.0)}, 2),  # 9 > 4 is dropped
        (4, {}, None),  # 2 positions: no frequency <= 0.5
        (64, {"position_frequencies": None}, None),
        (64, {"position_frequencies": ()}, None),
        (64, {"local_blocks": 0}, None),
        (64, {"position_channel": False}, None),  # no position input at all
    ],
)
def test_position_frequencies_follow_the_map_length(keras, length, options, extra):
    model = cnn1d((length, 1), 3, seed=0, **options)
    names = [layer.name for layer in model.layers]
    if extra is None:
        assert "local_position" not in names
    else:
        layer = model.get_layer("local_position")
        assert layer.output.shape[-1] == layer.input.shape[-1] + extra


def test_options_change_the_architecture(keras):
    model = cnn1d(
        (500, 2),
        3,
        n_blocks=2,
        local_blocks=1,
        filters=(4, 6, 8),
        kernel_size=3,
        local_kernel_size=5,
        strides=1,
        pool_size=4,
        batch_norm=False,
        dense_units=5,
        dropout=0.0,
        name="custom",
    )
    convs = _conv_layers(model, keras)
    assert [c.filters for c in convs] == [4, 6, 8]
    assert [c.kernel_size for c in convs] == [(3,), (3,), (5,)]
    assert all(c.use_bias for c in convs)
    names = {layer.name for layer in model.layers}
    assert "block1_bn" not in names and "dropout" not in names
    assert model.get_layer("gap").input.shape == (None, 32, 8)  # 500 / 4 / 4
    assert model.get_layer("dense").units == 5
    assert model.get_layer("logits").input.shape == (None, 5)
    assert model.name == "custom"


def test_max_positions_and_no_local_blocks(keras):
    # max_positions=4 without local blocks: the plan of earlier versions.
    model = cnn1d((2631, 1), 3, max_positions=4, local_blocks=0, seed=0)
    convs = _conv_layers(model, keras)
    assert [c.filters for c in convs] == [16, 32, 64, 128, 128]
    assert all(c.kernel_size == (7,) and c.strides == (2,) for c in convs)
    assert model.get_layer("gap").input.shape == (None, 3, 128)
    model = cnn1d((2631, 1), 3, max_positions=1000, local_blocks=3, seed=0)
    assert [c.filters for c in _conv_layers(model, keras)] == [16, 32, 64, 128]
    assert model.get_layer("gap").input.shape == (None, 658, 128)


@pytest.mark.parametrize(
    ("length", "limit", "positions"),
    [
        # limit = max(2, min(floor(3 sqrt(n)), ceil(n / 4))), by hand
        (2631, 153, 83),  # 1316, 658 | 329, 165 | 83
        (20000, 424, 313),  # 10000, 5000 | 2500, 1250 | 625, 313
        (1024, 96, 64),  # 512, 256 | 128, 64
        (128, 32, 32),  # 3 sqrt(128) = 33.9 > 128 / 4 = 32: 64, pooled to 32
        (129, 33, 33),  # 65, pooled to 33
        (64, 16, 16),  # 32, pooled to 16
        (4, 2, 2),
        (1, 2, 1),
    ],
)
def test_auto_max_positions_grows_with_the_square_root_of_the_length(
    keras, length, limit, positions
):
    from specauth.models.cnn1d import _position_limit

    assert _position_limit("auto", length) == limit
    model = cnn1d((length, 1), 3, seed=0)
    assert model.get_layer("gap").input.shape[1] == positions
    # an int is used as given
    assert _position_limit(500, length) == 500
    small = cnn1d((length, 1), 3, seed=0, max_positions=8)
    assert small.get_layer("gap").input.shape[1] <= max(8, -(-length // 256))


def test_flatten_head(keras):
    model = cnn1d((64, 1), 3, head="flatten", seed=0)
    names = {layer.name for layer in model.layers}
    assert "gap" not in names
    # 64 -> 1 block -> 16 positions (4 points each) of filters[2] = 64 channels
    assert model.get_layer("flatten").output.shape == (None, 16 * 64)
    assert get_model("cnn1d_flatten")((64, 1), 3).get_layer("flatten") is not None


def test_small_variant(keras):
    model = get_model("cnn1d_small")((64, 1), 3, seed=0)
    assert [c.filters for c in _conv_layers(model, keras)] == [8, 16, 32]
    assert model.get_layer("gap").input.shape == (None, 16, 32)


def test_variant_options_can_be_overridden(keras):
    model = get_model("cnn1d_small")((64, 1), 3, filters=(5, 7, 9), name="tiny")
    assert [c.filters for c in _conv_layers(model, keras)] == [5, 7, 9]
    assert model.name == "tiny"


def test_arguments_are_not_modified():
    filters = [8, 16, 32]
    shape = [64, 1]
    cnn1d(shape, 2, filters=filters)
    assert filters == [8, 16, 32] and shape == [64, 1]


def test_flatten_head_learns_peak_positions(keras):
    # Class 0: a peak at position 10; class 1: a peak at position 50; the
    # "flatten" head gives each position its own logit weights.
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    centres = np.where(y == 0, 10, 50)
    peaks = np.exp(-0.5 * ((np.arange(64)[None, :] - centres[:, None]) / 2.0) ** 2)
    X = (1.0 + 5.0 * peaks + 0.1 * rng.random((40, 64)))[..., None]
    keras.utils.set_random_seed(0)
    model = get_model("cnn1d_flatten")((64, 1), 2, seed=0)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(X, y, batch_size=8, epochs=6, verbose=0)
    pred = model.predict(X, verbose=0).argmax(axis=1)
    assert (pred == y).mean() == 1.0


@pytest.mark.parametrize(
    ("options", "error", "fragment"),
    [
        ({"head": "max"}, ValueError, "`head` must be 'gap' or 'flatten'; got 'max'"),
        ({"head": None}, TypeError, "`head`"),
        (
            {"kernel_size": 0},
            ValueError,
            r"`kernel_size` must be an int in \[1, inf\); got 0",
        ),
        ({"kernel_size": -3}, ValueError, "`kernel_size`"),
        ({"kernel_size": 3.0}, TypeError, "`kernel_size` must be an int"),
        ({"strides": 0}, ValueError, "`strides`"),
        ({"pool_size": 0}, ValueError, "`pool_size`"),
        (
            {"filters": ()},
            ValueError,
            r"`filters` must be a tuple of one or more ints in \[1, inf\); got \(\)",
        ),
        ({"filters": (8, 0)}, ValueError, r"`filters\[1\]`"),
        ({"filters": 8}, TypeError, "`filters` must be a tuple"),
        ({"n_blocks": 5}, ValueError, "at most len\\(filters\\) - local_blocks = "),
        ({"n_blocks": 5}, ValueError, "6 - 2 = 4; got 5"),
        ({"local_blocks": 6}, ValueError, "`local_blocks` must be less than len"),
        (
            {"local_blocks": -1},
            ValueError,
            r"`local_blocks` must be an int in \[0, inf\)",
        ),
        ({"local_blocks": 1.0}, TypeError, "`local_blocks`"),
        ({"local_kernel_size": 0}, ValueError, "`local_kernel_size`"),
        (
            {"max_positions": 0},
            ValueError,
            r"`max_positions` must be an int in \[1, inf\)",
        ),
        ({"max_positions": "fine"}, ValueError, "`max_positions` must be 'auto'"),
        ({"max_positions": 2.5}, TypeError, "`max_positions`"),
        ({"position_frequencies": "1"}, TypeError, "`position_frequencies` must"),
        ({"position_frequencies": 4}, TypeError, "tuple of positive numbers"),
        (
            {"position_frequencies": (1, 0)},
            ValueError,
            r"`position_frequencies\[1\]` must be a finite number > 0; got 0",
        ),
        ({"position_frequencies": (1, True)}, TypeError, "positive number"),
        ({"n_blocks": 0}, ValueError, "`n_blocks`"),
        ({"n_blocks": "many"}, ValueError, "'auto' or an int"),
        ({"dense_units": 0}, ValueError, "`dense_units`"),
        (
            {"dropout": 1.0},
            ValueError,
            r"`dropout` must be a number in \[0, 1\); got 1.0",
        ),
        ({"dropout": "0.5"}, TypeError, "`dropout`"),
        ({"batch_norm": 1}, TypeError, "`batch_norm` must be True or False"),
        ({"input_norm": "yes"}, ValueError, "`input_norm` must be 'batch'"),
        ({"input_norm": 1}, TypeError, "`input_norm` must be 'batch'"),
        ({"derivative": 1}, TypeError, "`derivative` must be True"),
        ({"position_channel": 1}, TypeError, "`position_channel` must be True"),
        ({"name": ""}, TypeError, "`name`"),
    ],
)
def test_bad_options(options, error, fragment):
    with pytest.raises(error, match=fragment):
        cnn1d((64, 1), 3, **options)
