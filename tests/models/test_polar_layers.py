"""PolarResample and AngularCrossCorrelation give the numbers of the transformers."""

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.imaging import CrossCorrelationMap, PolarTransform
from specauth.models.layers import AngularCrossCorrelation, PolarResample


def _patterns(n=4, shape=(48, 52), seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, *shape)) * 100).astype("float32")


def _mask(shape=(48, 52)):
    mask = np.zeros(shape, dtype=bool)
    mask[20:28, 22:30] = True  # beamstop over the centre
    mask[:, 40] = True  # a dead column
    return mask


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"center": (21.3, 27.8), "r_min": 1.5, "r_max": 19.0},
        {"center": (24.0, 25.5), "interpolation": "nearest"},
        {"mask": _mask(), "fill_value": -5.0},
    ],
    ids=["default", "offset", "nearest", "mask"],
)
def test_polar_resample_matches_polar_transform(kwargs):
    X = _patterns()
    expected = PolarTransform(16, n_angles=36, **kwargs).fit_transform(X)
    out = to_numpy(PolarResample(16, 36, **kwargs)(X))
    assert out.shape == expected.shape == (4, 16, 36)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("normalize", [None, "mean", "zero_lag"])
@pytest.mark.parametrize("half", [False, True])
def test_angular_cross_correlation_matches_the_transformer(normalize, half):
    polar = np.random.default_rng(1).random((3, 10, 45)) * 10
    polar[:, 2] = 0.0  # a ring with zero mean and zero C(q, 0)
    expected = CrossCorrelationMap(normalize=normalize, half=half).fit_transform(polar)
    out = to_numpy(AngularCrossCorrelation(normalize, half=half)(polar))
    assert out.shape == expected.shape == (3, 10, 23 if half else 45)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5 * scale)


def test_raw_patterns_with_a_channel_axis_through_both_layers():
    X = _patterns(5, (40, 40))[..., None]
    polar = PolarTransform(12, n_angles=24, center=(19.0, 20.5), r_max=18)
    expected = CrossCorrelationMap(polar, half=True).fit_transform(X)
    h = PolarResample(12, 24, center=(19.0, 20.5), r_max=18)(X)
    assert tuple(h.shape) == (5, 12, 24, 1)
    out = to_numpy(AngularCrossCorrelation(half=True)(h))
    assert out.shape == expected.shape == (5, 12, 13, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-6)


def test_keras_file_round_trip_in_safe_mode(keras, tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((48, 52, 1))
    h = PolarResample(16, 32, center=(23.5, 25.0), mask=_mask(), name="polar")(inputs)
    h = AngularCrossCorrelation(normalize="zero_lag", half=True, name="ccf")(h)
    assert h.shape == (None, 16, 17, 1)
    h = keras.layers.Conv2D(4, 3)(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inputs, keras.layers.Dense(2)(h))
    path = tmp_path / "polar.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    X = _patterns(3)[..., None]
    np.testing.assert_array_equal(
        loaded.predict(X, verbose=0), model.predict(X, verbose=0)
    )
    polar = loaded.get_layer("polar")
    assert polar.center == [23.5, 25.0] and polar.n_angles == 32
    np.testing.assert_array_equal(polar.mask, _mask())
    assert loaded.get_layer("ccf").get_config()["normalize"] == "zero_lag"


def test_config_round_trip():
    layer = PolarResample(8, 20, center=(10, 11), r_min=1, r_max=5, fill_value=2.0)
    config = layer.get_config()
    assert config["center"] == [10.0, 11.0] and config["r_max"] == 5.0
    clone = PolarResample.from_config(config)
    assert clone.get_config() == config
    X = _patterns(2, (24, 24))
    np.testing.assert_array_equal(to_numpy(clone(X)), to_numpy(layer(X)))
    ccf = AngularCrossCorrelation(None, half=True)
    assert AngularCrossCorrelation.from_config(ccf.get_config()).half is True


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: PolarResample(n_angles=1), ValueError, "`n_angles`"),
        (lambda: PolarResample(n_radii=0), ValueError, "`n_radii`"),
        (lambda: PolarResample(r_min=-1.0), ValueError, "`r_min`"),
        (lambda: PolarResample(center=3), TypeError, "`center`"),
        (lambda: PolarResample(interpolation="cubic"), ValueError, "`interpolation`"),
        (lambda: AngularCrossCorrelation("max"), ValueError, "`normalize`"),
        (lambda: AngularCrossCorrelation(half=1), TypeError, "`half`"),
    ],
)
def test_bad_arguments_name_the_argument(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    ("layer", "shape", "match"),
    [
        (PolarResample(4, 8), (2, 20), r"\(batch, height, width\)"),
        (PolarResample(4, 8), (2, 20, 20, 3), r"\(batch, height, width\)"),
        (PolarResample(4, 8, r_max=12), (2, 20, 20), "`r_max` must be at most 9.5"),
        (PolarResample(4, 8, center=(5, 25)), (2, 20, 20), "`center` must be"),
        (PolarResample(4, 8, mask=np.zeros((3, 3))), (2, 20, 20), "`mask` must"),
        (AngularCrossCorrelation(), (2, 5), r"\(batch, height, width\)"),
        (AngularCrossCorrelation(), (2, 5, 1), "at least 2 angles"),
    ],
)
def test_bad_input_shapes(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer(np.zeros(shape, dtype="float32"))
