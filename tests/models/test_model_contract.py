"""Checks every registered 1D builder must pass (the contract in specauth.models).

The pretrained 2D bases registered by :class:`specauth.models.CNNFactory`
(``input_kind == "image"``) have their own tests in ``test_factory.py``.
"""

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models import get_model, list_models
from tests.tolerance import assert_close

NAMES = [
    name
    for name in list_models()
    if getattr(get_model(name), "input_kind", None) != "image"
]


def _build(name, input_shape=(64, 1), n_classes=3, seed=0, **options):
    return get_model(name)(input_shape, n_classes, seed=seed, **options)


def _inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("name", NAMES)
def test_layers_follow_the_contract(name, keras):
    model = _build(name)
    assert isinstance(model, keras.Model)
    assert not model.compiled
    first = model.layers[1]
    assert first.name == "input_norm"
    assert isinstance(first, keras.layers.BatchNormalization)
    position = model.layers[2]
    assert position.name == "position"
    assert isinstance(position, keras.layers.EinsumDense)  # a built-in layer
    assert not position.trainable
    assert position.input.shape == (None, 64, 1)
    assert position.output.shape == (None, 64, 2)
    last = model.layers[-1]
    assert last.name == "logits"
    assert isinstance(last, keras.layers.Dense)
    assert last.units == 3
    assert last.activation is keras.activations.linear
    assert model.output_shape == (None, 3)
    names = {layer.name for layer in model.layers}
    assert "gap" in names or "flatten" in names


@pytest.mark.parametrize("name", NAMES)
def test_outputs_are_logits_and_embedding_is_retrievable(name, keras):
    model = _build(name)
    x = _inputs((4, 64, 1))
    logits = to_numpy(model(x, training=False))
    assert logits.shape == (4, 3)
    assert not np.allclose(logits.sum(axis=1), 1.0)

    # model.inputs is a list, so the embedder takes a list of one array.
    embedder = keras.Model(model.inputs, model.get_layer("logits").input)
    embedding = to_numpy(embedder([x], training=False))
    assert embedding.ndim == 2 and embedding.shape[0] == 4
    # The logits are an affine function of the embedding.
    kernel, bias = model.get_layer("logits").get_weights()
    np.testing.assert_allclose(embedding @ kernel + bias, logits, rtol=1e-4, atol=1e-5)

    # No softmax after "logits": with a zero kernel the output is the bias
    # itself, negative entry included (a softmax would give values in (0, 1)).
    model.get_layer("logits").set_weights(
        [np.zeros_like(kernel), np.array([-5.0, 0.0, 5.0], dtype=bias.dtype)]
    )
    assert_close(
        to_numpy(model(x, training=False)),
        np.tile([-5.0, 0.0, 5.0], (4, 1)),
        dtype=np.float32,
    )


@pytest.mark.parametrize("name", [n for n in NAMES if "flatten" not in n])
def test_gap_averages_the_last_feature_map(name, keras):
    model = _build(name)
    x = _inputs((2, 64, 1))
    gap = model.get_layer("gap")
    feature_map, embedding = keras.Model(
        model.input, [gap.input, model.get_layer("logits").input]
    )(x, training=False)
    feature_map = to_numpy(feature_map)
    assert feature_map.ndim == 3  # (batch, positions, filters): usable for CAM
    # Only dropout (identity at inference) may sit between "gap" and "logits".
    np.testing.assert_allclose(
        to_numpy(embedding), feature_map.mean(axis=1), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_weights(name):
    first = _build(name, seed=0).get_weights()
    second = _build(name, seed=0).get_weights()
    other = _build(name, seed=1).get_weights()
    assert len(first) == len(second) == len(other)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first, other, strict=True))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("length", [2, 7, 64, 2631, 20000])
def test_any_length_builds_and_runs(name, length):
    model = _build(name, input_shape=(length, 1), n_classes=4)
    logits = to_numpy(model(_inputs((2, length, 1)), training=False))
    assert logits.shape == (2, 4)
    assert np.isfinite(logits).all()


@pytest.mark.parametrize("name", NAMES)
def test_several_channels(name):
    model = _build(name, input_shape=(50, 3), n_classes=2)
    assert model.input_shape == (None, 50, 3)
    logits = to_numpy(model(_inputs((2, 50, 3)), training=False))
    assert logits.shape == (2, 2)


@pytest.mark.parametrize("name", NAMES)
def test_without_input_norm(name, keras):
    model = _build(name, input_norm=False)
    assert "input_norm" not in {layer.name for layer in model.layers}
    # The position ramp is appended to the raw input.
    assert model.layers[1].name == "position"
    assert model.layers[1].input is model.inputs[0]
    assert isinstance(model.layers[2], keras.layers.Conv1D)
    assert model.layers[2].input.shape == (None, 64, 2)


@pytest.mark.parametrize("name", NAMES)
def test_without_position_channel(name, keras):
    model = _build(name, position_channel=False)
    names = [layer.name for layer in model.layers]
    assert "position" not in names
    assert not any(isinstance(la, keras.layers.EinsumDense) for la in model.layers)
    assert names[1] == "input_norm"
    assert isinstance(model.layers[2], keras.layers.Conv1D)
    assert model.layers[2].input.shape == (None, 64, 1)

    bare = _build(name, input_norm=False, position_channel=False)
    assert isinstance(bare.layers[1], keras.layers.Conv1D)
    assert bare.layers[1].input is bare.inputs[0]


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_round_trip_in_safe_mode(name, keras, tmp_path):
    model = _build(name)
    x = _inputs((3, 64, 1))
    expected = model.predict(x, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe_mode=True by default
    assert loaded.name == model.name
    assert loaded.get_layer("logits").units == 3
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_common_bad_inputs(name):
    builder = get_model(name)
    with pytest.raises(
        ValueError, match=r"`n_classes` must be an int in \[1, inf\); got 0"
    ):
        builder((64, 1), 0)
    with pytest.raises(TypeError, match="`n_classes`"):
        builder((64, 1), 2.0)
    with pytest.raises(ValueError, match=r"\(length, channels\) of 2 ints"):
        builder((64, 1, 1), 3)
    with pytest.raises(ValueError, match="length"):
        builder((0, 1), 3)
    with pytest.raises(TypeError, match="`input_shape` must be a tuple"):
        builder(64, 3)
    with pytest.raises(
        ValueError, match=r"`seed` must be an int in \[0, inf\) or None"
    ):
        builder((64, 1), 3, seed=-1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        builder((64, 1), 3, no_such_option=1)


def _peak_or_dip(n=40, length=64, scale=1e4):
    """Class 0 has a peak, class 1 a dip, at random positions, on raw-count scale."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], n // 2)
    centres = rng.integers(8, length - 8, n)
    bumps = np.exp(-0.5 * ((np.arange(length)[None, :] - centres[:, None]) / 2.0) ** 2)
    height = np.where(y == 0, 4.0, -0.8)[:, None]
    X = scale * (1.0 + height * bumps + 0.05 * rng.random((n, length)))
    return X[..., None].astype("float32"), y


@pytest.mark.parametrize("name", NAMES)
def test_learns_a_separable_problem_from_raw_counts(name, keras):
    X, y = _peak_or_dip()
    keras.utils.set_random_seed(0)
    model = _build(name, n_classes=2)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(X, y, batch_size=8, epochs=8, verbose=0)
    pred = model.predict(X, verbose=0).argmax(axis=1)
    assert (pred == y).mean() == 1.0
