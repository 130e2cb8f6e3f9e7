"""SpectrumAugmentation: training-only, physically plausible augmentation of spectra.

The statistics of each transform are checked against the documented laws and
against the numpy reference, :func:`specauth.preprocessing.perturb_spectra`.
"""

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models.layers import SpectrumAugmentation
from specauth.models.layers.spectrum_augment import _shift
from specauth.preprocessing import augmentation_preset, perturb_spectra, shift_spectra

_NONE = {"shift": 0.0, "scale": 0.0, "offset": 0.0, "slope": 0.0, "noise": 0.0}
N = 4000  # spectra per statistical test: relative sampling error of a sd ~1%


def _spectra(n=8, length=64, channels=1, seed=0):
    """Peaks on a positive background, each spectrum on its own scale."""
    rng = np.random.default_rng(seed)
    grid = np.arange(length)
    centres = rng.uniform(10, length - 10, size=(n, 1, channels))
    peaks = np.exp(-((grid[None, :, None] - centres) ** 2) / 8.0)
    levels = rng.uniform(1.0, 100.0, size=(n, 1, 1))
    return (levels * (1.0 + 5.0 * peaks)).astype("float32")


def _run(layer, x, training=True):
    return to_numpy(layer(x, training=training))


def _positions(length):
    return np.linspace(-1.0, 1.0, length)


def test_identity_at_inference(keras):
    x = _spectra()
    layer = SpectrumAugmentation(poisson=1.0, seed=0)
    np.testing.assert_array_equal(_run(layer, x, False), x)
    np.testing.assert_array_equal(_run(layer, x, None), x)
    np.testing.assert_array_equal(to_numpy(layer(x)), x)
    inputs = keras.Input(x.shape[1:])
    model = keras.Model(inputs, layer(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_changes_the_input_in_training_with_the_defaults():
    x = _spectra()
    out = _run(SpectrumAugmentation(seed=0), x)
    assert out.shape == x.shape
    assert out.dtype == x.dtype
    assert not np.allclose(out, x, rtol=1e-3)


def _shift_np(x, shifts, keras):
    tensors = (keras.ops.convert_to_tensor(a) for a in (x, shifts))
    return keras.ops.convert_to_numpy(_shift(*tensors))


def test_whole_point_shift_is_a_roll_with_edge_padding(keras):
    x = np.array([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]], "float32")
    out = _shift_np(x[:, :, None], np.array([2.0, -1.0, 0.5], "float32"), keras)
    expected = [[1, 1, 1, 2, 3], [2, 3, 4, 5, 5], [1, 1.5, 2.5, 3.5, 4.5]]
    np.testing.assert_allclose(out[:, :, 0], expected, atol=1e-6)


def test_sub_point_shifts_match_the_numpy_reference(keras):
    x = _spectra(n=16, channels=3)
    shifts = np.random.default_rng(1).uniform(-4, 4, size=16).astype("float32")
    np.testing.assert_allclose(
        _shift_np(x, shifts, keras), shift_spectra(x, shifts), rtol=1e-5, atol=1e-4
    )


def test_random_shifts_are_uniform_real_and_shared_by_the_channels():
    length, shift = 64, 2.0
    ramp = np.broadcast_to(np.arange(length, dtype="float32"), (N, length))
    other = _spectra(n=N, length=length)[:, :, 0]
    x = np.stack([ramp, other], axis=-1)
    out = _run(SpectrumAugmentation(**{**_NONE, "shift": shift}, seed=0), x)
    # Interpolating a ramp is exact: away from the edges, ramp - out = s.
    inner = x[:, 8:-8, 0] - out[:, 8:-8, 0]
    s = inner.mean(axis=1)
    np.testing.assert_allclose(
        inner, np.broadcast_to(s[:, None], inner.shape), atol=1e-3
    )
    assert np.abs(s).max() <= shift + 1e-4
    assert abs(s.mean()) < 4 * shift / np.sqrt(3 * N)
    assert s.std() == pytest.approx(shift / np.sqrt(3), rel=0.05)
    assert np.mean(np.abs(s - np.round(s)) > 0.01) > 0.9  # sub-point shifts
    np.testing.assert_allclose(out[:, :, 1], shift_spectra(other, s), atol=2e-3)


def test_scaling_multiplies_each_spectrum_by_one_uniform_factor():
    x = _spectra(n=N)
    scale = 0.2
    out = _run(SpectrumAugmentation(**{**_NONE, "scale": scale}, seed=0), x)
    ratio = (out / x)[:, :, 0]
    np.testing.assert_allclose(
        ratio, np.broadcast_to(ratio[:, :1], ratio.shape), rtol=1e-5
    )
    reference = perturb_spectra(x, **{**_NONE, "scale": scale}, random_state=0)
    for factors in (ratio[:, 0], (reference / x)[:, 0, 0]):
        assert factors.min() >= 1 - scale - 1e-6
        assert factors.max() <= 1 + scale + 1e-6
        assert factors.mean() == pytest.approx(1.0, abs=4 * scale / np.sqrt(3 * N))
        assert factors.std() == pytest.approx(scale / np.sqrt(3), rel=0.05)


def test_offset_and_slope_add_a_line_in_units_of_each_spectrum_sd():
    x = _spectra(n=N)
    offset, slope = 0.3, 0.1
    layer = SpectrumAugmentation(**{**_NONE, "offset": offset, "slope": slope})
    reference = perturb_spectra(
        x, **{**_NONE, "offset": offset, "slope": slope}, random_state=0
    )
    t = _positions(x.shape[1])
    design = np.stack([np.ones_like(t), t], axis=1)
    sd = x[:, :, 0].std(axis=1)
    for out in (_run(layer, x), reference):
        drift = (out - x)[:, :, 0] / sd[:, None]
        coef, *_ = np.linalg.lstsq(design, drift.T, rcond=None)
        np.testing.assert_allclose(design @ coef, drift.T, atol=1e-3)  # a line
        a, b = coef
        assert a.std() == pytest.approx(offset, rel=0.05)
        assert b.std() == pytest.approx(slope, rel=0.05)
        assert abs(a.mean()) < 4 * offset / np.sqrt(N)
        assert abs(np.corrcoef(a, b)[0, 1]) < 0.1


def test_gaussian_noise_sd_is_relative_to_each_spectrum_sd():
    x = _spectra(n=N // 4, length=256)
    noise = 0.05
    layer = SpectrumAugmentation(**{**_NONE, "noise": noise}, seed=0)
    reference = perturb_spectra(x, **{**_NONE, "noise": noise}, random_state=0)
    sd = x[:, :, 0].std(axis=1)
    for out in (_run(layer, x), reference):
        z = (out - x)[:, :, 0] / (noise * sd[:, None])
        assert z.mean() == pytest.approx(0.0, abs=0.01)
        assert z.std() == pytest.approx(1.0, rel=0.01)
        per_spectrum = z.std(axis=1)
        assert per_spectrum.std() < 0.1  # same relative sd in every spectrum


def test_poisson_noise_keeps_the_mean_with_variance_x_over_poisson():
    x = np.full((N // 4, 64, 1), 50.0, dtype="float32")
    layer = SpectrumAugmentation(**{**_NONE}, poisson=2.0, seed=0)
    reference = perturb_spectra(x, **_NONE, poisson=2.0, random_state=0)
    for out in (_run(layer, x), reference):
        assert out.mean() == pytest.approx(50.0, rel=0.002)
        assert out.var() == pytest.approx(25.0, rel=0.03)
        assert (out >= 0).all()


def test_each_spectrum_draws_its_own_values():
    x = np.repeat(_spectra(n=1), 8, axis=0)
    out = _run(SpectrumAugmentation(seed=0), x)
    assert len({round(float(v), 4) for v in out[:, 32, 0]}) == 8


def test_same_seed_same_draws():
    x = _spectra()
    a = _run(SpectrumAugmentation(poisson=1.0, seed=3), x)
    b = _run(SpectrumAugmentation(poisson=1.0, seed=3), x)
    c = _run(SpectrumAugmentation(poisson=1.0, seed=4), x)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("name", ["spectra", "counts", "nir", "absorbance"])
def test_presets_build_layers(name):
    x = _spectra()
    out = _run(SpectrumAugmentation(**augmentation_preset(name), seed=0), x)
    assert out.shape == x.shape
    assert np.isfinite(out).all()


def test_defaults_are_the_spectra_preset():
    config = SpectrumAugmentation().get_config()
    assert {k: config[k] for k in augmentation_preset("spectra")} == (
        augmentation_preset("spectra")
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"shift": -1.0}, ValueError),
        ({"scale": 1.0}, ValueError),
        ({"scale": -0.1}, ValueError),
        ({"offset": -0.1}, ValueError),
        ({"slope": float("inf")}, ValueError),
        ({"noise": -0.01}, ValueError),
        ({"poisson": 0.0}, ValueError),
        ({"shift": "1"}, TypeError),
        ({"seed": -1}, ValueError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        SpectrumAugmentation(**kwargs)


def test_refuses_inputs_that_are_not_spectra():
    with pytest.raises(ValueError, match="batch, length, channels"):
        SpectrumAugmentation()(np.zeros((2, 16), "float32"), training=True)


def test_config_and_keras_file_round_trip(keras, tmp_path):
    layer = SpectrumAugmentation(shift=2.0, scale=0.1, poisson=5.0, seed=4)
    config = SpectrumAugmentation.from_config(layer.get_config()).get_config()
    assert config == layer.get_config()
    inputs = keras.Input((32, 1))
    model = keras.Model(inputs, keras.layers.Flatten()(layer(inputs)))
    path = tmp_path / "augment.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode
    restored = loaded.layers[1]
    assert isinstance(restored, SpectrumAugmentation)
    assert restored.get_config() == layer.get_config()
    x = _spectra(n=2, length=32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), x.reshape(2, -1))


def test_trains_inside_a_model(keras):
    x = _spectra(n=16, length=32)
    y = np.arange(16) % 2
    inputs = keras.Input((32, 1))
    hidden = keras.layers.GlobalAveragePooling1D()(SpectrumAugmentation(seed=0)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
