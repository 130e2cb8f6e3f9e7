import numpy as np
import pytest

from specauth.models import cnn1d, get_model
from specauth.models.cnn1d import _plan_blocks


@pytest.mark.parametrize(
    ("length", "plan", "final"),
    [
        # hand-worked: each block is ceil(n / 2) twice while >= 2 positions
        # remain, and blocks are added until at most 4 positions are left
        (2631, [(2, 2)] * 5, 3),  # 1316, 658 | 329, 165 | 83, 42 | 21, 11 | 6, 3
        (20000, [(2, 2)] * 6, 5),  # ... 157, 79 | 40, 20 | 10, 5
        (50000, [(2, 2)] * 6, 13),  # ... 98, 49 | 25, 13: capped at 6 blocks
        (129, [(2, 2)] * 3, 3),  # 65, 33 | 17, 9 | 5, 3
        (128, [(2, 2)] * 3, 2),  # 64, 32 | 16, 8 | 4, 2
        (64, [(2, 2)] * 2, 4),  # 32, 16 | 8, 4
        (33, [(2, 2)] * 2, 3),  # 17, 9 | 5, 3
        (32, [(2, 2)] * 2, 2),  # 16, 8 | 4, 2
        (9, [(2, 2)], 3),  # 5, 3
        (7, [(2, 2)], 2),
        (3, [(2, 1)], 2),  # pooling 2 -> 1 would leave one position
        (2, [(1, 1)], 2),
        (1, [(1, 1)], 1),
    ],
)
def test_auto_plan(length, plan, final):
    assert _plan_blocks(length, "auto", 6, 2, 2) == (plan, final)


def test_auto_plan_is_capped_by_the_number_of_filters():
    plan, final = _plan_blocks(50000, "auto", 3, 2, 2)
    assert len(plan) == 3 and final == 782


def test_explicit_blocks_never_go_below_two_positions():
    plan, final = _plan_blocks(16, 4, 4, 2, 2)
    assert plan == [(2, 2), (2, 1), (1, 1), (1, 1)]
    assert final == 2


def _conv_layers(model, keras):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv1D)]


def test_default_network_for_pgaa_length(keras):
    model = cnn1d((2631, 1), 10, seed=0)
    convs = _conv_layers(model, keras)
    assert [c.filters for c in convs] == [16, 32, 64, 64, 128]
    assert all(c.kernel_size == (7,) and c.strides == (2,) for c in convs)
    assert all(c.padding == "same" and not c.use_bias for c in convs)
    assert model.get_layer("gap").input.shape == (None, 3, 128)
    assert model.get_layer("dropout").rate == 0.25
    assert model.name == "cnn1d"
    # Input -> input_norm -> position -> block 1, which sees 1 + 1 channels.
    names = [layer.name for layer in model.layers]
    assert names[:4] == ["spectrum", "input_norm", "position", "block1_conv"]
    assert isinstance(model.get_layer("position"), keras.layers.EinsumDense)
    assert convs[0].input.shape == (None, 2631, 2)
    # Block order: conv -> batch norm -> relu -> max pooling.
    start = names.index("block1_conv")
    assert names[start : start + 4] == [
        "block1_conv",
        "block1_bn",
        "block1_relu",
        "block1_pool",
    ]


def test_options_change_the_architecture(keras):
    model = cnn1d(
        (500, 2),
        3,
        n_blocks=2,
        filters=(4, 6, 8),
        kernel_size=3,
        strides=1,
        pool_size=4,
        batch_norm=False,
        dense_units=5,
        dropout=0.0,
        name="custom",
    )
    convs = _conv_layers(model, keras)
    assert [c.filters for c in convs] == [4, 6]
    assert all(c.use_bias and c.kernel_size == (3,) for c in convs)
    names = {layer.name for layer in model.layers}
    assert "block1_bn" not in names and "dropout" not in names
    assert model.get_layer("gap").input.shape == (None, 32, 6)  # 500 / 4 / 4
    assert model.get_layer("dense").units == 5
    assert model.get_layer("logits").input.shape == (None, 5)
    assert model.name == "custom"


def test_flatten_head(keras):
    model = cnn1d((64, 1), 3, head="flatten", seed=0)
    names = {layer.name for layer in model.layers}
    assert "gap" not in names
    # 64 -> 2 blocks -> 4 positions of filters[1] = 32 channels
    assert model.get_layer("flatten").output.shape == (None, 4 * 32)
    assert get_model("cnn1d_flatten")((64, 1), 3).get_layer("flatten") is not None


def test_variant_options_can_be_overridden(keras):
    model = get_model("cnn1d_small")((64, 1), 3, filters=(5, 7), name="tiny")
    assert [c.filters for c in _conv_layers(model, keras)] == [5, 7]
    assert model.name == "tiny"


def test_arguments_are_not_modified():
    filters = [8, 16]
    shape = [64, 1]
    cnn1d(shape, 2, filters=filters)
    assert filters == [8, 16] and shape == [64, 1]


def test_flatten_head_learns_peak_positions(keras):
    # Class 0: a peak at position 10; class 1: a peak at position 50. A "gap"
    # head averages over positions, so with one block (receptive field of 9
    # points) it cannot tell these apart; the "flatten" head sees positions.
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
        ({"kernel_size": 0}, ValueError, "`kernel_size` must be an int >= 1; got 0"),
        ({"kernel_size": -3}, ValueError, "`kernel_size`"),
        ({"kernel_size": 3.0}, TypeError, "`kernel_size` must be an int"),
        ({"strides": 0}, ValueError, "`strides`"),
        ({"pool_size": 0}, ValueError, "`pool_size`"),
        ({"filters": ()}, ValueError, "`filters` must hold at least one"),
        ({"filters": (8, 0)}, ValueError, r"`filters\[1\]`"),
        ({"filters": 8}, TypeError, "`filters` must be a tuple"),
        ({"n_blocks": 7}, ValueError, "at most len\\(filters\\) = 6"),
        ({"n_blocks": 0}, ValueError, "`n_blocks`"),
        ({"n_blocks": "many"}, ValueError, "'auto' or an int"),
        ({"dense_units": 0}, ValueError, "`dense_units`"),
        ({"dropout": 1.0}, ValueError, r"`dropout` must be in \[0, 1\); got 1.0"),
        ({"dropout": "0.5"}, TypeError, "`dropout`"),
        ({"batch_norm": 1}, TypeError, "`batch_norm` must be True or False"),
        ({"input_norm": "yes"}, TypeError, "`input_norm`"),
        ({"position_channel": 1}, TypeError, "`position_channel` must be True"),
        ({"name": ""}, TypeError, "`name`"),
    ],
)
def test_bad_options(options, error, fragment):
    with pytest.raises(error, match=fragment):
        cnn1d((64, 1), 3, **options)
