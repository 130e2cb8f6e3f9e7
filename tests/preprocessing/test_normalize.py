"""Tests for specauth.preprocessing.SpectrumNormalizer."""

import numpy as np
import pytest

from specauth.preprocessing import SpectrumNormalizer

# numpy >= 2 names it trapezoid; numpy 1.x only has trapz.
trapezoid = getattr(np, "trapezoid", None) or np.trapz

RNG = np.random.default_rng(0)
X = RNG.uniform(0.0, 50.0, size=(6, 9))
X_SIGNED = RNG.normal(size=(6, 9)) + 0.5
ENERGIES = np.cumsum(RNG.uniform(0.1, 2.0, size=9))
METHODS = ["sum", "max", "area", "snv", "l2"]


def _reference(X, method, energies=None):
    """Straightforward numpy computation of each method, row by row."""
    rows = []
    for row in X:
        if method == "sum":
            rows.append(row / row.sum())
        elif method == "max":
            rows.append(row / np.abs(row).max())
        elif method == "area":
            area = trapezoid(row) if energies is None else trapezoid(row, energies)
            rows.append(row / area)
        elif method == "snv":
            rows.append((row - row.mean()) / row.std())
        else:
            rows.append(row / np.linalg.norm(row))
    return np.array(rows)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("data", [X, X_SIGNED], ids=["positive", "signed"])
def test_matches_numpy_reference(method, data):
    out = SpectrumNormalizer(method).fit_transform(data)
    np.testing.assert_allclose(out, _reference(data, method), rtol=1e-10)


def test_area_uses_energy_spacing():
    out = SpectrumNormalizer("area", energies=ENERGIES).fit_transform(X)
    np.testing.assert_allclose(out, _reference(X, "area", ENERGIES), rtol=1e-10)
    for row in out:
        assert trapezoid(row, ENERGIES) == pytest.approx(1.0)


def test_hand_worked_values():
    row = np.array([[1.0, 2.0, 2.0, 3.0]])
    np.testing.assert_allclose(
        SpectrumNormalizer("sum").fit_transform(row), [[0.125, 0.25, 0.25, 0.375]]
    )
    # trapezoid with unit steps: 1.5 + 2 + 2.5 = 6
    np.testing.assert_allclose(SpectrumNormalizer("area").fit_transform(row), row / 6.0)
    # mean 2, population std sqrt(0.5)
    np.testing.assert_allclose(
        SpectrumNormalizer("snv").fit_transform(row),
        [[-np.sqrt(2), 0.0, 0.0, np.sqrt(2)]],
    )
    np.testing.assert_allclose(
        SpectrumNormalizer("l2").fit_transform(row), row / np.sqrt(18.0)
    )


@pytest.mark.parametrize("method", METHODS)
def test_zero_row_stays_zero_without_nan(method):
    data = np.vstack([X[:2], np.zeros((1, 9))])
    out = SpectrumNormalizer(method).fit_transform(data)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[2], 0.0)
    np.testing.assert_allclose(out[:2], _reference(X[:2], method), rtol=1e-10)


@pytest.mark.parametrize("method", ["sum", "area"])
def test_row_with_zero_sum_or_area_is_left_unchanged(method):
    cancelling = np.array([[0.0, 1.0, -2.0, 1.0, 0.0]])  # sum 0 and area 0
    out = SpectrumNormalizer(method).fit_transform(cancelling)
    np.testing.assert_array_equal(out, cancelling)


def test_area_of_single_column_is_zero_so_row_is_unchanged():
    out = SpectrumNormalizer("area").fit_transform([[3.0], [-2.0]])
    np.testing.assert_array_equal(out, [[3.0], [-2.0]])


@pytest.mark.parametrize("value", [0.0, 7.0, -1e-3, 0.1])
def test_snv_constant_row_becomes_zeros(value):
    out = SpectrumNormalizer("snv").fit_transform(np.full((2, 20), value))
    np.testing.assert_array_equal(out, 0.0)


@pytest.mark.parametrize("method", METHODS)
def test_float32_large_counts_no_overflow(method):
    counts = RNG.integers(0, 1_000_000, size=(3, 20_000)).astype(np.float32)
    before = counts.copy()
    out = SpectrumNormalizer(method).fit_transform(counts)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(counts, before)
    expected = _reference(counts.astype(np.float64), method)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-9)
    if method == "sum":
        np.testing.assert_allclose(out.sum(axis=1, dtype=np.float64), 1.0, rtol=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_float64_huge_values_no_overflow(method):
    data = np.array([[1e300, 3e300, 2e300, 5e299]])
    out = SpectrumNormalizer(method).fit_transform(data)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, _reference(data / 1e300, method), rtol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_stateless_transform_without_fit(method):
    normalizer = SpectrumNormalizer(method)
    assert normalizer.__sklearn_tags__().requires_fit is False
    np.testing.assert_allclose(normalizer.transform(X), _reference(X, method))


def test_feature_names_pass_through():
    normalizer = SpectrumNormalizer().fit(X)
    np.testing.assert_array_equal(
        normalizer.get_feature_names_out(), [f"x{i}" for i in range(9)]
    )


# --- bad parameters -------------------------------------------------------


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="`method` parameter .* got 'median'"):
        SpectrumNormalizer("median").fit(X)
    with pytest.raises(ValueError, match="`method`"):
        SpectrumNormalizer("median").transform(X)


def test_method_of_wrong_type_raises_type_error():
    with pytest.raises(TypeError, match="`method`"):
        SpectrumNormalizer(1).fit(X)


@pytest.mark.parametrize("method", ["area", "sum"])
def test_energies_length_mismatch_raises(method):
    normalizer = SpectrumNormalizer(method, energies=ENERGIES[:5])
    with pytest.raises(ValueError, match="`energies` has 5 values but X has 9"):
        normalizer.fit(X)
    with pytest.raises(ValueError, match="`energies` has 5 values but X has 9"):
        normalizer.transform(X)


def test_energies_not_increasing_raises():
    with pytest.raises(ValueError, match="strictly increasing"):
        SpectrumNormalizer("area", energies=ENERGIES[::-1]).fit(X)
