"""Tests of specauth.datasets.make_diffraction_patterns (coherent diffraction)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import map_coordinates

from specauth.datasets import make_diffraction_patterns

#: Zeros of the sphere form factor 3 (sin x - x cos x) / x**3 (tan x = x).
SPHERE_ZEROS = (4.4934, 7.7253, 10.9041)

CENTRED = dict(center_shift=0.0, beam_stop=0.0, shuffle=False)


def fine_patterns(n, kind, **kwargs):
    """128 x 128 patterns of one kind, fine enough to match the continuum."""
    kwargs = {"oversampling": 4, "random_state": 0, **kwargs}
    return make_diffraction_patterns(n, 128, classes=(kind,), **kwargs)


def sphere_amplitude(x):
    """Fourier transform of a uniform sphere, 1 at x = q R = 0."""
    x = np.asarray(x, dtype=float)
    out = np.ones_like(x)
    big = x > 1e-8
    xb = x[big]
    out[big] = 3.0 * (np.sin(xb) - xb * np.cos(xb)) / xb**3
    return out


def detector_q(shape, center):
    """Momentum transfer (q_row, q_col) of each pixel, in inverse object pixels."""
    scale = 2.0 * np.pi / max(shape)
    q_row = (np.arange(shape[0]) - center[0])[:, None] * scale
    q_col = (np.arange(shape[1]) - center[1])[None, :] * scale
    return q_row, q_col


def assert_matches_model(pattern, model, center, relative=0.05):
    """``pattern`` follows ``model`` (up to scale) within a quarter field of view.

    Both are renormalised over the disc; the error allowed at a pixel is
    ``relative`` times the model there plus 1e-4 of its peak (near zeros).
    """
    rows, cols = np.indices(pattern.shape)
    disc = np.hypot(rows - center[0], cols - center[1]) < max(pattern.shape) / 4
    got = np.where(disc, pattern, 0.0) / pattern[disc].sum()
    want = np.where(disc, model, 0.0) / model[disc].sum()
    error = np.abs(got - want) / (want + 1e-4 * want.max())
    assert error.max() < relative


def circle_values(pattern, center, radius, n=360):
    angles = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    points = [center[0] + radius * np.sin(angles), center[1] + radius * np.cos(angles)]
    return map_coordinates(pattern, points, order=1)


def test_shapes_dtypes_labels_and_metadata():
    classes = ("non-spherical", "single", "multiple")
    data = make_diffraction_patterns(
        10, (40, 33), classes=classes, beam_stop=2.0, random_state=0
    )
    assert data.X.shape == (10, 40, 33) and data.X.dtype == np.float32
    assert data.target_names.tolist() == sorted(classes)
    labels, counts = np.unique(data.y, return_counts=True)
    assert dict(zip(labels, counts, strict=True)) == {
        "non-spherical": 4,
        "single": 3,
        "multiple": 3,
    }
    assert data.centers.shape == (10, 2)
    assert np.all(np.abs(data.centers - [20, 16]) <= 1.0)
    assert np.all((data.radii >= 0.04 * 40) & (data.radii <= 0.07 * 40))
    single = data.y == "single"
    assert np.isnan(data.angles[single]).all()
    assert np.all((data.angles[~single] >= 0) & (data.angles[~single] < np.pi))
    assert np.all(data.n_particles[data.y == "multiple"] >= 2)
    assert np.all(data.n_particles[data.y != "multiple"] == 1)
    assert np.all(data.aspects[data.y == "non-spherical"] >= 1.5)
    assert data.mask.shape == (40, 33) and data.mask.dtype == bool
    assert data.photons is None and data.q_per_pixel == pytest.approx(np.pi / 20)
    np.testing.assert_allclose(data.X.sum(axis=(1, 2)), 1.0, rtol=1e-5)
    assert (data.X >= 0).all()


def test_same_seed_same_output_different_seed_different():
    kwargs = dict(classes=("single", "multiple", "non-spherical"), photons=1e3)
    first = make_diffraction_patterns(9, 32, random_state=3, **kwargs)
    again = make_diffraction_patterns(9, 32, random_state=3, **kwargs)
    other = make_diffraction_patterns(9, 32, random_state=4, **kwargs)
    for key in ("X", "y", "centers", "radii", "angles", "n_particles"):
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.array_equal(first.X, other.X)
    assert not np.array_equal(first.radii, other.radii)


def test_random_state_objects_are_accepted():
    rng = np.random.default_rng(0)
    data = make_diffraction_patterns(2, 32, random_state=rng)
    legacy = make_diffraction_patterns(2, 32, random_state=np.random.RandomState(0))
    assert data.X.shape == legacy.X.shape == (2, 32, 32)


@pytest.mark.parametrize(("shape", "oversampling"), [((48, 48), 1), ((40, 48), 2)])
def test_single_sphere_is_the_fft_of_its_projected_density(shape, oversampling):
    """The pattern equals numpy's |FFT|**2 of ``2 sqrt(R**2 - r**2)``."""
    data = make_diffraction_patterns(
        1, shape, classes=("single",), oversampling=oversampling, **CENTRED
    )
    side, radius = max(shape), data.radii[0]
    n = side * oversampling
    r = np.hypot(*np.indices((n, n)) - n // 2) / oversampling
    density = 2.0 * np.sqrt(np.clip(radius**2 - r**2, 0.0, None))
    intensity = np.fft.fftshift(np.abs(np.fft.fft2(density)) ** 2)
    top, left = n // 2 - shape[0] // 2, n // 2 - shape[1] // 2
    expected = intensity[top : top + shape[0], left : left + shape[1]]
    expected /= expected.sum()
    np.testing.assert_allclose(
        data.X[0], expected, rtol=2e-3, atol=1e-6 * expected.max()
    )


def test_single_sphere_follows_the_sphere_form_factor_off_centre():
    data = fine_patterns(3, "single", center_shift=2.0, beam_stop=0.0)
    assert np.abs(data.centers - 64).max() > 0.5  # sub-pixel and pixel shifts
    for pattern, center, radius in zip(data.X, data.centers, data.radii, strict=True):
        q_row, q_col = detector_q(pattern.shape, center)
        model = sphere_amplitude(np.hypot(q_row, q_col) * radius) ** 2
        assert_matches_model(pattern, model, center)


def test_sphere_ring_minima_sit_where_the_formula_puts_them():
    data = make_diffraction_patterns(
        1, 256, classes=("single",), radius=8.0, oversampling=4, **CENTRED
    )
    profile = data.X[0, 128, 128:]
    minima = np.flatnonzero(
        (profile[1:-1] < profile[:-2]) & (profile[1:-1] < profile[2:])
    )
    expected = np.array(SPHERE_ZEROS) * 256 / (2 * np.pi * 8.0)  # 22.9, 39.3, 55.5
    np.testing.assert_allclose(minima[:3] + 1, expected, atol=1.0)


def test_dimer_is_sphere_times_two_beam_interference():
    """Touching equal spheres: |F|**2 * 2 (1 + cos(q . d)), d along ``angles``."""
    data = fine_patterns(3, "multiple", n_spheres=2, gap=0.0, **CENTRED)
    for pattern, center, radius, angle in zip(
        data.X, data.centers, data.radii, data.angles, strict=True
    ):
        q_row, q_col = detector_q(pattern.shape, center)
        sphere = sphere_amplitude(np.hypot(q_row, q_col) * radius) ** 2
        phase = 2 * radius * (q_row * np.sin(angle) + q_col * np.cos(angle))
        model = sphere * (1 + np.cos(phase))
        assert_matches_model(pattern, model, center, relative=0.1)


def test_multiple_spheres_show_fringes_across_the_rings():
    data = make_diffraction_patterns(
        40, 128, classes=("single", "multiple"), center_shift=0.0, random_state=2
    )
    spread = {}  # median over circles of the relative spread along each circle
    for pattern, label in zip(data.X, data.y, strict=True):
        circles = [circle_values(pattern, (64, 64), r) for r in range(12, 40)]
        cv = np.median([values.std() / values.mean() for values in circles])
        spread.setdefault(label, []).append(cv)
    assert max(spread["single"]) < 0.15
    assert min(spread["multiple"]) > 0.4


def test_non_spherical_rings_are_ellipses_across_the_long_axis():
    data = fine_patterns(4, "non-spherical", aspect=2.0, random_state=5, **CENTRED)
    np.testing.assert_allclose(data.aspects, 2.0)
    for pattern, center, radius, angle in zip(
        data.X, data.centers, data.radii, data.angles, strict=True
    ):
        long_axis, short_axis = radius * 2 ** (2 / 3), radius * 2 ** (-1 / 3)
        q_row, q_col = detector_q(pattern.shape, center)
        q_long = q_row * np.sin(angle) + q_col * np.cos(angle)
        q_short = -q_row * np.cos(angle) + q_col * np.sin(angle)
        x = np.hypot(q_long * long_axis, q_short * short_axis)
        assert_matches_model(pattern, sphere_amplitude(x) ** 2, center)
        # second moments: the pattern spreads across the particle's long axis
        weights = pattern * (np.hypot(q_row, q_col) < np.pi / 2)
        moments = np.cov(
            np.vstack([q_row.repeat(128, 1).ravel(), q_col.repeat(128, 0).ravel()]),
            aweights=weights.ravel(),
        )
        values, vectors = np.linalg.eigh(moments)
        assert values[1] > 2 * values[0]
        across = np.array([-np.cos(angle), np.sin(angle)])
        assert abs(vectors[:, 1] @ across) > 0.98


def test_beam_stop_hides_a_central_disc():
    data = make_diffraction_patterns(6, (48, 40), beam_stop=5.0, random_state=0)
    rows, cols = np.indices((48, 40))
    hidden = np.hypot(rows - 24, cols - 20) < 5.0
    np.testing.assert_array_equal(data.mask, ~hidden)
    assert (data.X[:, hidden] == 0).all()
    assert (data.X[:, ~hidden][:, :10] > 0).all()
    assert make_diffraction_patterns(2, 32, beam_stop=0.0).mask.all()


def test_poisson_counts_have_the_requested_total_and_mean():
    kwargs = dict(classes=("single", "non-spherical"), random_state=7)
    noisy = make_diffraction_patterns(60, 64, photons=500.0, **kwargs)
    clean = make_diffraction_patterns(60, 64, **kwargs)
    assert noisy.photons == 500.0
    np.testing.assert_array_equal(noisy.X, np.round(noisy.X))
    totals = noisy.X.sum(axis=(1, 2))
    assert abs(totals.mean() - 500) < 4 * np.sqrt(500 / 60)
    assert np.all(np.abs(totals - 500) < 6 * np.sqrt(500))
    assert (noisy.X[:, ~noisy.mask] == 0).all()
    # the same particles: counts scatter around photons * clean with unit z-scores
    expected = 500.0 * clean.X
    bright = expected > 5
    z = (noisy.X[bright] - expected[bright]) / np.sqrt(expected[bright])
    assert abs(z.mean()) < 0.1 and 0.85 < z.var() < 1.15


def test_classes_mapping_names_the_labels():
    data = make_diffraction_patterns(
        5, 32, classes={"monomer": "single", "dimer": "multiple"}, random_state=0
    )
    assert data.target_names.tolist() == ["dimer", "monomer"]
    assert np.all(data.n_particles[data.y == "dimer"] >= 2)
    assert np.all(data.n_particles[data.y == "monomer"] == 1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(shape=8), ValueError, r"`shape\[0\]` must be an int in \[16"),
        (dict(shape=(64,)), ValueError, "`shape` must be a tuple of 2"),
        (dict(shape="big"), TypeError, "`shape`"),
        (dict(classes=("single", "blob")), ValueError, r"`classes\[1\]` must be one"),
        (dict(classes={"a": "blob"}), ValueError, r"`classes\['a'\]`"),
        (dict(classes="single"), TypeError, "`classes` must be a sequence"),
        (dict(classes={1: "single"}), TypeError, "`classes` labels must be str"),
        (dict(classes=()), ValueError, "one or more distinct"),
        (dict(classes=("single", "single")), ValueError, "distinct"),
        (dict(n_samples=1), ValueError, "`n_samples` must be at least the number"),
        (dict(n_samples=0), ValueError, "`n_samples`"),
        (dict(photons=-1.0), ValueError, "`photons` must be"),
        (dict(photons=0), ValueError, "`photons` must be"),
        (dict(photons="many"), TypeError, "`photons`"),
        (dict(radius=40.0), ValueError, "`radius` up to 40 gives 'multiple'"),
        (dict(radius=-1.0), ValueError, "`radius`"),
        (dict(n_spheres=1), ValueError, "`n_spheres`"),
        (dict(aspect=0.5), ValueError, "`aspect`"),
        (dict(gap=-0.1), ValueError, "`gap`"),
        (dict(beam_stop=-1.0), ValueError, "`beam_stop`"),
        (dict(beam_stop=64.0), ValueError, "`beam_stop`"),
        (dict(center_shift=np.inf), ValueError, "`center_shift`"),
        (dict(oversampling=0), ValueError, "`oversampling`"),
        (dict(oversampling=2.0), TypeError, "`oversampling`"),
        (dict(random_state="seed"), TypeError, "`random_state`"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_diffraction_patterns(**{"n_samples": 4, **kwargs})
