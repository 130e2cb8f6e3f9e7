"""PolarTransform, friedel_center and CrossCorrelationMap against independent numpy."""

import numpy as np
import pytest
from scipy.ndimage import map_coordinates
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_estimator_repr,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from specauth.imaging import (
    CrossCorrelationMap,
    PolarTransform,
    angular_correlation,
    friedel_center,
    polar_sampling,
)


def _polar_points(center, radii, n_angles):
    """Sample points of the documented convention, written out independently."""
    phi = 2 * np.pi * np.arange(n_angles) / n_angles
    rows = center[0] + radii[:, None] * np.sin(phi)[None, :]
    cols = center[1] + radii[:, None] * np.cos(phi)[None, :]
    return rows, cols, phi


def _speckles(shape, center, n_blobs=12, seed=0, width=2.0):
    """A centrosymmetric pattern: Gaussian speckle pairs at c +- v, radial falloff."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[: shape[0], : shape[1]].astype(float)
    dr, dc = rows - center[0], cols - center[1]
    image = 50.0 * np.exp(-(dr**2 + dc**2) / (2 * 15.0**2))
    for v, amp in zip(
        rng.uniform(-35, 35, size=(n_blobs, 2)), rng.uniform(1, 5, n_blobs), strict=True
    ):
        for sign in (1, -1):
            image += amp * np.exp(
                -((dr - sign * v[0]) ** 2 + (dc - sign * v[1]) ** 2) / (2 * width**2)
            )
    return image


def test_polar_image_is_the_analytic_function_at_the_sample_points():
    center = (61.3, 66.8)
    rows, cols = np.mgrid[:128, :128].astype(float)
    r = np.hypot(rows - center[0], cols - center[1])
    phi = np.arctan2(rows - center[0], cols - center[1])

    def f(r, phi):  # smooth at r = 0 too: r^3 cos(3 phi) = x^3 - 3 x y^2
        return np.exp(-(r**2) / (2 * 30.0**2)) * (
            1 + 0.3 * (r / 30) ** 3 * np.cos(3 * phi)
        )

    polar = PolarTransform(48, n_angles=90, center=center, r_max=55, dtype="float64")
    out = polar.fit_transform(f(r, phi)[None])[0]
    radii = np.linspace(0, 55, 48)
    assert np.allclose(polar.radii_, radii)
    _, _, angles = _polar_points(center, radii, 90)
    expected = f(radii[:, None], angles[None, :])
    # Bilinear error is at most h^2/8 max|f''| ~ 1e-3 for this smooth function.
    np.testing.assert_allclose(out, expected, atol=2e-3)


@pytest.mark.parametrize("center", [(30.0, 28.5), (25.37, 33.91)])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_matches_scipy_map_coordinates(center, interpolation):
    X = np.random.default_rng(1).normal(size=(3, 60, 64))
    polar = PolarTransform(
        20,
        n_angles=36,
        center=center,
        r_min=2.0,
        r_max=24.0,
        interpolation=interpolation,
        dtype="float64",
    )
    out = polar.fit_transform(X)
    assert out.shape == (3, 20, 36)
    rows, cols, _ = _polar_points(center, np.linspace(2, 24, 20), 36)
    order = 1 if interpolation == "bilinear" else 0
    for image, polar_image in zip(X, out, strict=True):
        expected = map_coordinates(image, [rows, cols], order=order, mode="nearest")
        np.testing.assert_allclose(polar_image, expected, rtol=1e-12, atol=1e-12)


def test_default_geometry_and_channel_axis_kept():
    X = np.random.default_rng(2).random((4, 33, 41, 1))
    polar = PolarTransform(8, n_angles=12).fit(X)
    assert polar.center_ == (16.0, 20.0)
    assert polar.radii_[-1] == 16.0  # distance to the nearest edge
    out = polar.transform(X)
    assert out.shape == (4, 8, 12, 1) and out.dtype == np.float32
    np.testing.assert_array_equal(out[..., 0], polar.transform(X[..., 0]))


def test_iter_transform_and_batches_equal_one_shot():
    X = np.random.default_rng(3).random((7, 20, 20))
    polar = PolarTransform(5, n_angles=8, batch_size=3).fit(X)
    whole = polar.transform(X)
    chunks = [images.copy() for _, images in polar.iter_transform(X, batch_size=2)]
    np.testing.assert_array_equal(np.concatenate(chunks), whole)
    np.testing.assert_array_equal(
        clone(polar).set_params(batch_size=100).fit_transform(X), whole
    )


@pytest.mark.parametrize(
    ("shape", "center"),
    [((128, 128), (57.3, 69.8)), ((260, 257), (135.6, 121.2))],
)
def test_friedel_center_recovers_an_offset_centre(shape, center):
    pattern = _speckles(shape, center)
    noisy = np.random.default_rng(4).poisson(pattern).astype(float)
    found = friedel_center(noisy)
    assert np.hypot(found[0] - center[0], found[1] - center[1]) < 0.5


def test_friedel_center_ignores_masked_pixels():
    center = (66.4, 60.2)
    pattern = _speckles((128, 128), center, seed=5)
    mask = np.zeros(pattern.shape, dtype=bool)
    mask[:, 90:96] = True  # detector gap
    mask[np.hypot(*np.mgrid[:128, :128] - np.array(center)[:, None, None]) < 6] = True
    garbage = np.where(mask, 1e4, pattern)
    found = friedel_center(garbage, mask)
    assert np.hypot(found[0] - center[0], found[1] - center[1]) < 0.5


def test_auto_centre_is_found_on_the_mean_pattern_and_a_given_one_is_kept():
    center = (60.7, 66.2)
    X = np.stack([_speckles((128, 128), center, seed=s) for s in range(3)])
    auto = PolarTransform(16, n_angles=32, center="auto").fit(X)
    assert np.hypot(auto.center_[0] - center[0], auto.center_[1] - center[1]) < 0.5
    given = PolarTransform(16, n_angles=32, center=(10.25, 100.5), r_max=5).fit(X)
    assert given.center_ == (10.25, 100.5)


def test_masked_pixels_do_not_enter_and_empty_samples_take_the_fill_value():
    X = np.full((2, 40, 40), 3.0)
    mask = np.zeros((40, 40), dtype=bool)
    mask[19:22, 19:22] = True  # the centre, a beamstop
    mask[5, :] = True
    X[:, mask] = 1e6
    polar = PolarTransform(10, n_angles=16, mask=mask, fill_value=-1.0).fit(X)
    out = polar.transform(X)
    assert not polar.valid_[0].any() and polar.valid_[3:].all()
    np.testing.assert_array_equal(out[:, ~polar.valid_], -1.0)
    np.testing.assert_allclose(out[:, polar.valid_], 3.0, rtol=1e-6)


def _direct_correlation(rings):
    """O(n^2): the mean over phi of I(phi) I(phi + k), by rolling."""
    n_angles = rings.shape[-1]
    return np.stack(
        [
            np.mean(rings * np.roll(rings, -k, axis=-1), axis=-1)
            for k in range(n_angles)
        ],
        axis=-1,
    )


@pytest.mark.parametrize("n_angles", [17, 180])
def test_fft_correlation_equals_the_direct_sum(n_angles):
    polar = np.random.default_rng(6).random((3, 5, n_angles)) * 10
    direct = _direct_correlation(polar)
    np.testing.assert_allclose(angular_correlation(polar), direct, rtol=1e-6, atol=1e-9)
    mean = polar.mean(axis=-1, keepdims=True)
    np.testing.assert_allclose(
        angular_correlation(polar, normalize="mean"),
        (direct - mean**2) / mean**2,
        rtol=1e-6,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        angular_correlation(polar, normalize="zero_lag", half=True),
        (direct / direct[..., :1])[..., : n_angles // 2 + 1],
        rtol=1e-6,
        atol=1e-9,
    )


def test_correlation_is_symmetric_and_zero_rings_give_zero():
    polar = np.random.default_rng(7).random((2, 4, 24))
    polar[:, 1] = 0.0
    full = angular_correlation(polar, normalize="mean")
    np.testing.assert_allclose(full[..., 1:], full[..., 1:][..., ::-1], atol=1e-12)
    assert np.all(full[:, 1] == 0)
    assert np.all(angular_correlation(polar, normalize="zero_lag")[:, 1] == 0)


def test_cross_correlation_map_composes_the_polar_transform():
    X = np.random.default_rng(8).random((5, 50, 50, 1))
    polar = PolarTransform(12, n_angles=40, r_min=1.0, dtype="float64")
    maps = CrossCorrelationMap(polar, normalize=None, half=True, dtype="float64")
    out = maps.fit_transform(X)
    assert out.shape == (5, 12, 21, 1)
    expected = _direct_correlation(clone(polar).fit_transform(X)[..., 0])[..., :21]
    np.testing.assert_allclose(out[..., 0], expected, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(maps.lags_, 2 * np.pi * np.arange(21) / 40)
    assert polar.dtype == "float64" and not hasattr(polar, "center_")  # not fitted


def test_correlation_map_is_invariant_to_rotating_the_pattern():
    X = _speckles((64, 64), (31.5, 31.5), seed=9)[None]
    rotated = np.rot90(X, axes=(1, 2))
    maps = CrossCorrelationMap(PolarTransform(20, n_angles=72), dtype="float64").fit(X)
    np.testing.assert_allclose(maps.transform(rotated), maps.transform(X), atol=1e-10)


@pytest.mark.parametrize(
    ("estimator", "X", "match"),
    [
        (PolarTransform(), np.zeros((3, 20)), r"`X` must be an array of shape"),
        (PolarTransform(), np.zeros((3, 20, 20, 3)), r"`X` must be an array of shape"),
        (PolarTransform(n_angles=1), np.zeros((1, 20, 20)), "`n_angles`"),
        (PolarTransform(n_radii=0), np.zeros((1, 20, 20)), "`n_radii`"),
        (
            PolarTransform(r_max=10),
            np.zeros((1, 20, 20)),
            r"`r_max` must be at most 9.5",
        ),
        (PolarTransform(center=(2, 30)), np.zeros((1, 20, 20)), "`center` must be"),
        (PolarTransform(center=(-1, 3)), np.zeros((1, 20, 20)), "`center` must be"),
        (PolarTransform(center="middle"), np.zeros((1, 20, 20)), "`center`"),
        (PolarTransform(r_min=5, r_max=4), np.zeros((1, 20, 20)), "`r_min` must be"),
        (PolarTransform(mask=np.zeros((3, 3))), np.zeros((1, 20, 20)), "`mask` must"),
        (
            PolarTransform(interpolation="cubic"),
            np.zeros((1, 20, 20)),
            "`interpolation`",
        ),
        (CrossCorrelationMap(normalize="max"), np.zeros((1, 4, 8)), "`normalize`"),
        (CrossCorrelationMap(), np.zeros((4, 8)), r"`X` must be an array of shape"),
        (CrossCorrelationMap(), np.full((1, 4, 8), np.nan), "NaN"),
    ],
)
def test_bad_input_names_the_argument(estimator, X, match):
    with pytest.raises((ValueError, TypeError), match=match):
        estimator.fit(X)


def test_other_pattern_shape_at_transform():
    polar = PolarTransform(4, n_angles=8).fit(np.zeros((2, 20, 20)))
    with pytest.raises(ValueError, match=r"samples of shape \(20, 20\)"):
        polar.transform(np.zeros((2, 20, 21)))
    maps = CrossCorrelationMap().fit(np.zeros((2, 4, 8)))
    with pytest.raises(ValueError, match=r"samples of shape \(4, 8\)"):
        maps.transform(np.zeros((2, 4, 9)))


def test_polar_sampling_checks_its_arguments():
    with pytest.raises(ValueError, match="`n_angles`"):
        polar_sampling((10, 10), n_radii=3, n_angles=1)
    with pytest.raises(ValueError, match="`r_max` must be at most 2"):
        polar_sampling((10, 10), n_radii=3, n_angles=4, center=(2, 5), r_max=3)


_API_ESTIMATORS = [
    PolarTransform(8, n_angles=16, center="auto", mask=np.eye(30, dtype=bool)),
    CrossCorrelationMap(PolarTransform(8, n_angles=16), normalize="zero_lag"),
]


@pytest.mark.parametrize("estimator", _API_ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    "check",
    [
        check_no_attributes_set_in_init,
        check_get_params_invariance,
        check_set_params,
        check_estimator_repr,
        check_parameters_default_constructible,
    ],
)
def test_sklearn_checks_that_need_no_2d_data(estimator, check):
    # test_common.py runs scikit-learn's checks, which feed 2D data and so skip
    # these (n, h, w) transformers; the data-free ones are run here.
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", _API_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_fit_returns_self_is_repeatable_and_changes_nothing(estimator):
    X = np.random.default_rng(10).random((4, 30, 30))
    X_copy, params = X.copy(), repr(estimator.get_params())
    fitted = clone(estimator)
    assert fitted.fit(X) is fitted
    first = fitted.transform(X)
    np.testing.assert_array_equal(fitted.fit(X).transform(X), first)
    np.testing.assert_array_equal(X, X_copy)
    assert repr(fitted.get_params()) == params
    assert first.dtype == np.float32 and first.shape[:2] == (4, 8)
    with pytest.raises(NotFittedError):
        clone(estimator).transform(X)
