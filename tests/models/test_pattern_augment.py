"""PatternAugmentation: training-only augmentation of 2D patterns."""

import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from specauth.models.layers import PatternAugmentation

_NONE = {"rotation": 0.0, "flip": False, "shift": 0.0, "intensity": 0.0}


def _blob(n=4, size=32, width=3.0, peak=100.0, seed=0):
    """Off-centre Gaussian spots well inside the frame, on a raw-count scale."""
    rng = np.random.default_rng(seed)
    grid = np.arange(size) - (size - 1) / 2
    rows, cols = np.meshgrid(grid, grid, indexing="ij")
    centres = rng.uniform(-5, 5, size=(n, 2))
    d2 = (rows - centres[:, :1, None]) ** 2 + (cols - centres[:, 1:, None]) ** 2
    return (peak * np.exp(-d2 / (2 * width**2)))[..., None].astype("float32")


def _run(layer, x, training):
    return to_numpy(layer(x, training=training))


def test_identity_at_inference(keras):
    x = _blob()
    layer = PatternAugmentation(poisson=1.0, seed=0)
    np.testing.assert_array_equal(_run(layer, x, False), x)
    np.testing.assert_array_equal(to_numpy(layer(x)), x)
    inputs = keras.Input(x.shape[1:])
    model = keras.Model(inputs, layer(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_changes_the_input_in_training():
    x = _blob()
    out = _run(PatternAugmentation(seed=0), x, True)
    assert out.shape == x.shape
    assert not np.allclose(out, x, atol=1.0)


def test_rotation_keeps_the_total_intensity():
    x = _blob(n=8)
    layer = PatternAugmentation(**{**_NONE, "rotation": 180.0}, seed=1)
    out = _run(layer, x, True)
    assert not np.allclose(out, x, atol=1.0)  # the spots moved
    np.testing.assert_allclose(
        out.sum(axis=(1, 2, 3)), x.sum(axis=(1, 2, 3)), rtol=0.02
    )


def test_flips_give_one_of_the_four_mirror_images():
    x = _blob(n=8, seed=2)
    out = _run(PatternAugmentation(**{**_NONE, "flip": True}, seed=0), x, True)
    for got, image in zip(out, x, strict=True):
        mirrors = [image, image[::-1], image[:, ::-1], image[::-1, ::-1]]
        assert any(np.allclose(got, m, atol=1e-4) for m in mirrors)


def test_intensity_scales_each_pattern_by_one_factor():
    x = _blob(n=16) + 1.0
    out = _run(PatternAugmentation(**{**_NONE, "intensity": 0.2}, seed=0), x, True)
    ratio = out / x
    per_pattern = ratio.reshape(16, -1)
    np.testing.assert_allclose(
        per_pattern, np.broadcast_to(per_pattern[:, :1], per_pattern.shape), rtol=1e-5
    )
    assert ((per_pattern >= 0.8 - 1e-6) & (per_pattern <= 1.2 + 1e-6)).all()
    assert per_pattern[:, 0].std() > 0.02


def test_poisson_resampling_keeps_the_mean_with_variance_x_over_lambda():
    x = np.full((16, 32, 32, 1), 50.0, dtype="float32")
    out = _run(PatternAugmentation(**{**_NONE, "poisson": 2.0}, seed=0), x, True)
    assert out.mean() == pytest.approx(50.0, rel=0.01)
    assert out.var() == pytest.approx(50.0 / 2.0, rel=0.1)
    assert (out >= 0).all()


def test_shift_moves_the_pattern():
    x = _blob(n=4, width=2.0)
    out = _run(PatternAugmentation(**{**_NONE, "shift": 0.2}, seed=0), x, True)
    moved = [np.argmax(o) != np.argmax(i) for o, i in zip(out, x, strict=True)]
    assert any(moved)


def test_same_seed_same_draws():
    x = _blob()
    a = _run(PatternAugmentation(poisson=1.0, seed=3), x, True)
    b = _run(PatternAugmentation(poisson=1.0, seed=3), x, True)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"rotation": 200}, ValueError),
        ({"shift": 1.0}, ValueError),
        ({"intensity": -0.1}, ValueError),
        ({"poisson": 0.0}, ValueError),
        ({"flip": "yes"}, TypeError),
        ({"seed": -1}, ValueError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        PatternAugmentation(**kwargs)


def test_config_and_keras_file_round_trip(keras, tmp_path):
    layer = PatternAugmentation(rotation=90, shift=0.1, poisson=5.0, seed=4)
    config = PatternAugmentation.from_config(layer.get_config()).get_config()
    assert config == layer.get_config()
    inputs = keras.Input((16, 16, 1))
    model = keras.Model(inputs, keras.layers.Flatten()(layer(inputs)))
    path = tmp_path / "augment.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode
    restored = loaded.layers[1]
    assert isinstance(restored, PatternAugmentation)
    assert restored.get_config() == layer.get_config()
    x = _blob(n=2, size=16)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), x.reshape(2, -1))
