"""The pattern networks resnet2d and vgg2d, alone and in CNNClassifier."""

import numpy as np
import pytest

from specauth.models import get_model, resnet2d, vgg2d
from specauth.models.layers import LogActivation, PatternAugmentation

NAMES = ["resnet2d", "vgg2d"]


def _patterns(n=16, size=(24, 24), seed=0):
    """Class 0: a ring; class 1: a central spot; raw counts with Poisson noise."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices(size) - (np.array(size)[:, None, None] - 1) / 2
    radius = np.hypot(rows, cols)
    ring = np.exp(-((radius - size[0] / 3) ** 2) / 2)
    spot = np.exp(-(radius**2) / 8)
    y = np.repeat([0, 1], n // 2)
    mean = 50 * np.where(y[:, None, None] == 0, ring, spot) + 2
    return rng.poisson(mean).astype("float32"), y


def test_registered_as_image_builders():
    for name, builder in zip(NAMES, (resnet2d, vgg2d), strict=True):
        assert get_model(name) is builder
        assert builder.input_kind == "image"
        assert builder.input_rank == 3


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(32, 32, 1), (45, 61, 1), (3, 5, 2)])
def test_any_size_gives_logits_from_a_gap_head(name, shape, keras):
    model = get_model(name)(shape, 4, seed=0)
    assert model.input_shape == (None, *shape)
    assert model.output_shape == (None, 4)
    gap = model.get_layer("gap")
    assert isinstance(gap, keras.layers.GlobalAveragePooling2D)
    assert len(gap.input.shape) == 4  # a 2D feature map, for CAM2D
    logits = model.get_layer("logits")
    assert model.layers[-1] is logits and logits.activation is keras.activations.linear
    x = np.random.default_rng(0).random((2, *shape)).astype("float32")
    out = keras.ops.convert_to_numpy(model(x, training=False))
    assert out.shape == (2, 4) and np.isfinite(out).all()


@pytest.mark.parametrize("name", NAMES)
def test_default_stem_divides_the_size_by_four(name):
    model = get_model(name)((260, 257, 1), 3, seed=0)
    assert model.get_layer("stem_pool").output.shape == (None, 65, 65, 16)
    assert model.layers[1].name == "input_norm"


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_weights(name):
    builder = get_model(name)
    first, second = builder((16, 16, 1), 2, seed=0), builder((16, 16, 1), 2, seed=0)
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_options(name):
    builder = get_model(name)
    model = builder(
        (20, 20, 1),
        3,
        filters=(8, 8),
        dropout=0.5,
        input_norm=False,
        augment={"poisson": 1.0},
        log_activation=True,
        stem_stride=1,
        stem_pool=1,
        seed=0,
    )
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["pattern", "augment", "stem_conv"]
    assert isinstance(model.get_layer("augment"), PatternAugmentation)
    assert model.get_layer("augment").poisson == 1.0
    assert isinstance(model.get_layer("stem_log"), LogActivation)
    assert "stem_pool" not in names and "dropout" in names
    assert model.get_layer("gap").input.shape == (None, 10, 10, 8)


@pytest.mark.parametrize("name", NAMES)
def test_bad_arguments(name):
    builder = get_model(name)
    with pytest.raises(ValueError, match=r"\(height, width, channels\) of 3 ints"):
        builder((32, 32), 3)
    with pytest.raises(ValueError, match="height"):
        builder((0, 32, 1), 3)
    with pytest.raises(TypeError, match="`augment`"):
        builder((32, 32, 1), 3, augment="rotate")
    with pytest.raises(ValueError, match="n_classes"):
        builder((32, 32, 1), 0)


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_round_trip_in_safe_mode(name, keras, tmp_path):
    model = get_model(name)((16, 16, 1), 3, augment=True, log_activation=True, seed=0)
    x = np.random.default_rng(0).random((3, 16, 16, 1)).astype("float32")
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.get_layer("augment"), PatternAugmentation)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x, training=False)),
        keras.ops.convert_to_numpy(model(x, training=False)),
        atol=1e-6,
    )


# --------------------------------------------------------------- estimator
@pytest.fixture(scope="module")
def fitted():
    from specauth.estimators import CNNClassifier

    X, y = _patterns()
    options = dict(epochs=3, batch_size=8, random_state=0, model__filters=(8, 16))
    flat = CNNClassifier("resnet2d", **options).fit(X, y)
    with_channel = CNNClassifier("resnet2d", **options).fit(X[..., None], y)
    return X, y, flat, with_channel


def test_classifier_takes_patterns_with_or_without_channel_axis(fitted):
    X, _, flat, with_channel = fitted
    assert flat.input_shape_ == with_channel.input_shape_ == (24, 24, 1)
    proba = flat.predict_proba(X)
    np.testing.assert_allclose(with_channel.predict_proba(X[..., None]), proba)
    np.testing.assert_allclose(flat.predict_proba(X[..., None]), proba)
    np.testing.assert_array_equal(flat.predict(X), with_channel.predict(X))


def test_cam2d_explains_a_fitted_resnet2d(fitted):
    from specauth.explain import CAM2D

    X, _, flat, _ = fitted
    maps = CAM2D(flat, "cam").explain(X[:3])
    assert maps.shape == (3, 24, 24)
    assert np.isfinite(maps).all()


def test_classifier_routes_augment_and_log_activation():
    import pickle

    from specauth.estimators import CNNClassifier

    X, y = _patterns(n=8, size=(16, 16))
    clf = CNNClassifier(
        "vgg2d",
        epochs=1,
        batch_size=4,
        random_state=0,
        model__filters=(4, 8),
        model__augment={"poisson": 1.0},
        model__log_activation=True,
    ).fit(X, y)
    layers = [layer.name for layer in clf.network_.layers]
    assert layers[:3] == ["pattern", "augment", "input_norm"]
    assert "stem_log" in layers
    restored = pickle.loads(pickle.dumps(clf))  # the network as a .keras file
    np.testing.assert_allclose(restored.predict_proba(X), clf.predict_proba(X))


def test_only_image_builders_get_a_channel_axis():
    from specauth.estimators import CNNClassifier
    from specauth.estimators._network import validate_network_input

    X = np.random.default_rng(0).random((8, 32, 2)).astype("float32")
    spectra = CNNClassifier("cnn1d_small")
    assert validate_network_input(spectra, X, reset=True).shape == (8, 32, 2)
    assert spectra.input_shape_ == (32, 2)
    patterns = CNNClassifier("vgg2d")
    assert validate_network_input(patterns, X, reset=True).shape == (8, 32, 2, 1)
    assert patterns.input_shape_ == (32, 2, 1)


@pytest.mark.slow
def test_learns_rings_from_spots():
    from specauth.estimators import CNNClassifier

    X, y = _patterns(n=40)
    clf = CNNClassifier("resnet2d", epochs=15, batch_size=8, random_state=0)
    clf.fit(X, y)
    X_test, y_test = _patterns(n=20, seed=1)
    assert clf.score(X_test, y_test) >= 0.9
