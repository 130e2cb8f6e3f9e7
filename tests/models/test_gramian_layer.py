import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.imaging import GramianAngularField
from specauth.models.layers import GramianAngularLayer
from tests.tolerance import assert_close


def _spectra(n, length, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, length)).cumsum(axis=1)
    X[1] = 3.5  # a constant spectrum
    return X.astype("float32")


@pytest.mark.parametrize("length", [64, 100])
@pytest.mark.parametrize("image_size", [None, 32, 33])
@pytest.mark.parametrize("method", ["summation", "difference"])
def test_matches_gramian_angular_field(length, image_size, method):
    X = _spectra(4, length)
    expected = GramianAngularField(image_size=image_size, method=method).fit_transform(
        X
    )
    out = to_numpy(GramianAngularLayer(image_size, method=method)(X))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    # The constant spectrum maps to x = 0 everywhere: GASF = -1, GADF = 0.
    assert_close(out[1], np.full_like(out[1], -1.0 if method == "summation" else 0.0))


@pytest.mark.parametrize("sample_range", [(0.0, 1.0), (-0.5, 0.25)])
def test_sample_range_matches_gramian_angular_field(sample_range):
    X = _spectra(3, 50, seed=1)
    gaf = GramianAngularField(image_size=20, sample_range=sample_range)
    layer = GramianAngularLayer(20, sample_range=sample_range)
    np.testing.assert_allclose(
        to_numpy(layer(X)), gaf.fit_transform(X), rtol=1e-5, atol=1e-5
    )


def test_hand_worked_fields():
    # PAA of [0, 1, 2, 3] to 2 points is [0.5, 2.5], scaled to x = [-1, 1], r = 0.
    X = np.array([[0.0, 1.0, 2.0, 3.0]], dtype="float32")
    gasf = to_numpy(GramianAngularLayer(2)(X))[0, :, :, 0]
    np.testing.assert_allclose(gasf, [[1.0, -1.0], [-1.0, 1.0]], atol=1e-7)
    # x = [-1, 0, 1], r = [0, 1, 0]: GADF_ij = r_i x_j - x_i r_j.
    X = np.array([[2.0, 4.0, 6.0]], dtype="float32")
    gadf = to_numpy(GramianAngularLayer(method="difference")(X))[0, :, :, 0]
    expected = [[0.0, 1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, -1.0, 0.0]]
    np.testing.assert_allclose(gadf, expected, atol=1e-7)


@pytest.mark.parametrize("shape", [(5, 40), (5, 40, 1)])
def test_output_shape_and_dtype(shape):
    x = np.random.default_rng(2).normal(size=shape)
    layer = GramianAngularLayer(16, channels=3)
    out = to_numpy(layer(x))
    assert out.shape == (5, 16, 16, 3)
    assert out.dtype == np.float32
    assert layer.compute_output_shape(shape) == (5, 16, 16, 3)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    assert np.all(np.abs(out) <= 1.0)
    assert not layer.weights


def test_input_is_not_modified():
    x = _spectra(3, 30)
    copy = x.copy()
    GramianAngularLayer(10)(x)
    np.testing.assert_array_equal(x, copy)


def test_keras_file_round_trip(keras, tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((100,))
    h = GramianAngularLayer(32, method="difference")(inputs)
    h = keras.layers.Conv2D(4, 3)(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inputs, keras.layers.Dense(2)(h))
    assert model.output_shape == (None, 2)
    path = tmp_path / "gaf.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    X = _spectra(6, 100, seed=3)
    np.testing.assert_array_equal(
        loaded.predict(X, verbose=0), model.predict(X, verbose=0)
    )
    layer = next(la for la in loaded.layers if isinstance(la, GramianAngularLayer))
    assert layer.image_size == 32 and layer.method == "difference"


def test_config_round_trip():
    layer = GramianAngularLayer(
        12, method="difference", sample_range=(0, 0.5), channels=2, name="gaf"
    )
    config = layer.get_config()
    assert config["image_size"] == 12
    assert config["method"] == "difference"
    assert config["sample_range"] == [0.0, 0.5]
    assert config["channels"] == 2
    clone = GramianAngularLayer.from_config(config)
    assert clone.get_config() == config
    X = _spectra(2, 30)
    np.testing.assert_array_equal(to_numpy(clone(X)), to_numpy(layer(X)))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"image_size": 0},
            ValueError,
            r"`image_size` must be an int in \[1, inf\) or None",
        ),
        (
            {"image_size": 2.5},
            TypeError,
            r"`image_size` must be an int in \[1, inf\) or None",
        ),
        ({"image_size": True}, TypeError, "`image_size`"),
        ({"method": "sum"}, ValueError, "`method` must be one of"),
        ({"method": 1}, TypeError, "`method` must be one of"),
        ({"sample_range": (0.5, 0.5)}, ValueError, "`sample_range`"),
        ({"sample_range": (-2, 1)}, ValueError, "`sample_range`"),
        ({"sample_range": (0, 1, 2)}, ValueError, "`sample_range`"),
        ({"sample_range": 1.0}, TypeError, "`sample_range`"),
        ({"sample_range": ("a", 1)}, TypeError, "`sample_range`"),
        (
            {"channels": 0},
            ValueError,
            r"`channels` must be an int in \[1, inf\); got 0",
        ),
        (
            {"channels": "3"},
            TypeError,
            r"`channels` must be an int in \[1, inf\); got '3'",
        ),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        GramianAngularLayer(**kwargs)


def test_bad_inputs(keras):
    with pytest.raises(ValueError, match="`image_size` must be at most"):
        GramianAngularLayer(50)(np.zeros((2, 20), dtype="float32"))
    with pytest.raises(ValueError, match=r"\(batch, length, 1\)"):
        GramianAngularLayer()(np.zeros((2, 20, 3), dtype="float32"))
    with pytest.raises(ValueError, match="needs the spectrum length"):
        GramianAngularLayer(8)(keras.Input((None,)))
