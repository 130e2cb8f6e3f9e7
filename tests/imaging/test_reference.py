"""Each field agrees with a naive numpy reference, at several (odd) sizes."""

import numpy as np
import pytest

from specauth.imaging import (
    GramianAngularField,
    MarkovTransitionField,
    RecurrencePlot,
    StackedFields,
)
from tests.imaging._reference import ref_gaf, ref_mtf, ref_paa, ref_rp, ref_scale
from tests.tolerance import tolerance

SIZES = [(24, None), (24, 8), (37, 10), (50, 17), (31, 31), (20, 1)]


def _spectra(n_points, n=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, n_points))


@pytest.mark.parametrize(("n_points", "size"), SIZES)
@pytest.mark.parametrize("method", ["summation", "difference"])
def test_gaf_matches_trig_reference(n_points, size, method):
    X = _spectra(n_points)
    out = GramianAngularField(size, method=method).fit_transform(X)
    side = size or n_points
    assert out.shape == (3, side, side, 1)
    assert out.dtype == np.float32
    for s in range(3):
        expected = ref_gaf(X[s], side, method)
        np.testing.assert_allclose(out[s, :, :, 0], expected, atol=2e-4)


def test_gaf_sample_range_and_float64():
    X = _spectra(30)
    out = GramianAngularField(5, sample_range=(0, 1), dtype="float64").fit_transform(X)
    z = ref_scale(ref_paa(X[1], 5), 0.0, 1.0)
    phi = np.arccos(z)
    assert out.dtype == np.float64
    np.testing.assert_allclose(
        out[1, :, :, 0], np.cos(phi[:, None] + phi[None, :]), atol=1e-7
    )


def test_gaf_constant_spectrum_gives_no_nan():
    out = GramianAngularField().fit_transform(np.full((2, 6), 3.0))
    assert np.isfinite(out).all()
    # constant -> x = 0 -> phi = pi / 2 -> cos(pi) = -1
    np.testing.assert_allclose(out, -1.0, atol=1e-6)


@pytest.mark.parametrize(("n_points", "size"), SIZES)
@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
def test_mtf_matches_loop_reference(n_points, size, strategy):
    X = _spectra(n_points, seed=1)
    side = size or n_points
    out = MarkovTransitionField(side, n_bins=4, strategy=strategy).fit_transform(X)
    assert out.shape == (3, side, side, 1)
    for s in range(3):
        expected = ref_mtf(X[s], side, 4, strategy)
        np.testing.assert_allclose(out[s, :, :, 0], expected, atol=1e-6)


@pytest.mark.parametrize(("n_points", "size"), SIZES)
def test_rp_matches_direct_reference(n_points, size):
    X = _spectra(n_points, seed=2)
    side = size or n_points
    out = RecurrencePlot(size).fit_transform(X)
    for s in range(3):
        expected = ref_rp(ref_paa(X[s], side))
        np.testing.assert_allclose(out[s, :, :, 0], expected, atol=1e-5)


def test_rp_trajectories_and_thresholds():
    X = _spectra(30, seed=3)
    dist = ref_rp(X[0], dimension=3, time_delay=2)
    rp = RecurrencePlot(dimension=3, time_delay=2, dtype="float64")
    np.testing.assert_allclose(rp.fit_transform(X)[0, :, :, 0], dist, atol=1e-12)
    binary = RecurrencePlot(threshold=0.7, dtype="float64").fit_transform(X)
    d0 = ref_rp(X[0])
    _assert_thresholded(binary[0, :, :, 0], d0, 0.7)
    point = RecurrencePlot(threshold="point", percentage=25, dtype="float64")
    _assert_thresholded(point.fit_transform(X)[0, :, :, 0], d0, np.percentile(d0, 25))
    far = RecurrencePlot(threshold="distance", percentage=40, dtype="float64")
    _assert_thresholded(far.fit_transform(X)[0, :, :, 0], d0, 0.4 * d0.max())


def _assert_thresholded(binary, distances, threshold):
    """``binary == (distances < threshold)`` wherever the reference distance is
    not within float64 tolerance of the threshold (an ulp there may flip a pixel:
    a percentile threshold is one of the distances itself)."""
    near = np.isclose(distances, threshold, **tolerance(np.float64))
    assert near.mean() < 0.05
    np.testing.assert_array_equal(binary[~near], (distances < threshold)[~near])


def test_rp_image_size_with_embedding_counts_trajectories():
    X = _spectra(40)
    out = RecurrencePlot(12, dimension=2, time_delay=3).fit_transform(X)
    assert out.shape == (3, 12, 12, 1)
    expected = ref_rp(ref_paa(X[0], 15), dimension=2, time_delay=3)
    np.testing.assert_allclose(out[0, :, :, 0], expected, atol=1e-5)


def test_n_channels_repeats_the_field():
    X = _spectra(20)
    one = GramianAngularField(8).fit_transform(X)
    three = GramianAngularField(8, n_channels=3).fit_transform(X)
    assert three.shape == (3, 8, 8, 3)
    for c in range(3):
        np.testing.assert_array_equal(three[..., c], one[..., 0])


def test_stacked_fields_are_the_individual_fields():
    X = _spectra(45)
    out = StackedFields(("gasf", "gadf", "mtf", "rp"), image_size=9).fit_transform(X)
    assert out.shape == (3, 9, 9, 4)
    for s in range(3):
        np.testing.assert_allclose(out[s, ..., 0], ref_gaf(X[s], 9), atol=2e-4)
        np.testing.assert_allclose(
            out[s, ..., 1], ref_gaf(X[s], 9, "difference"), atol=2e-4
        )
        np.testing.assert_allclose(out[s, ..., 2], ref_mtf(X[s], 9), atol=1e-6)
        span = X[s].max() - X[s].min()
        np.testing.assert_allclose(
            out[s, ..., 3], ref_rp(ref_paa(X[s], 9)) / span, atol=1e-5
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_spectra_stay_constant_after_downsampling(dtype):
    from specauth.imaging import GramianAngularField

    X = np.full((2, 10), 0.1, dtype=dtype)
    images = GramianAngularField(3).fit_transform(X)
    # constant spectra map to the middle of sample_range (0): GASF = 0*0 - 1*1
    np.testing.assert_allclose(images, -1.0, atol=1e-6)
