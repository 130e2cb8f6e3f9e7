"""Tests for specauth.preprocessing.LogTransform."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from specauth.preprocessing import LogTransform, SpectrumNormalizer

RNG = np.random.default_rng(0)
X = np.vstack([RNG.uniform(-1.0, 10.0, size=(4, 7)), np.zeros((1, 7))])


@pytest.mark.parametrize(
    ("base", "log"), [("e", np.log), (10, np.log10), (10.0, np.log10), (2, np.log2)]
)
@pytest.mark.parametrize("floor", [1e-7, 0.5, 3.0])
def test_matches_numpy_log_of_clipped(base, log, floor):
    out = LogTransform(floor=floor, base=base).fit_transform(X)
    np.testing.assert_allclose(out, log(np.clip(X, floor, None)), rtol=1e-12)


def test_values_below_floor_become_log_floor():
    out = LogTransform().fit_transform([[0.0, -5.0, 1e-9, 1.0]])
    np.testing.assert_allclose(out, [[np.log(1e-7)] * 3 + [0.0]])


def test_pgaa_pipeline_matches_reference_preprocessing():
    counts = RNG.poisson(3.0, size=(3, 50)).astype(float)
    counts[0, :10] = 0.0
    pgaa = make_pipeline(SpectrumNormalizer("sum"), LogTransform())
    expected = np.log(np.clip(counts / counts.sum(axis=1, keepdims=True), 1e-7, None))
    np.testing.assert_allclose(pgaa.fit_transform(counts), expected, rtol=1e-12)


def test_float32_large_counts():
    counts = RNG.integers(0, 1_000_000, size=(2, 20_000)).astype(np.float32)
    before = counts.copy()
    out = LogTransform(base=10).fit_transform(counts)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(counts, before)
    expected = np.log10(np.clip(counts.astype(np.float64), 1e-7, None))
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_stateless_transform_without_fit():
    transform = LogTransform()
    assert transform.__sklearn_tags__().requires_fit is False
    np.testing.assert_allclose(transform.transform(X), np.log(np.clip(X, 1e-7, None)))


def test_feature_names_pass_through():
    names = LogTransform().fit(X).get_feature_names_out([f"e{i}" for i in range(7)])
    np.testing.assert_array_equal(names, [f"e{i}" for i in range(7)])


# --- bad parameters -------------------------------------------------------


@pytest.mark.parametrize("floor", [0, 0.0, -1e-7, np.nan])
def test_floor_must_be_positive(floor):
    with pytest.raises(ValueError, match=r"`floor` parameter .* in \(0, inf\)"):
        LogTransform(floor=floor).fit(X)
    with pytest.raises(ValueError, match="`floor`"):
        LogTransform(floor=floor).transform(X)


def test_floor_of_wrong_type_raises_type_error():
    with pytest.raises(TypeError, match="`floor`"):
        LogTransform(floor="1e-7").fit(X)


@pytest.mark.parametrize("base", [3, "ten", 1.5])
def test_unknown_base_raises(base):
    with pytest.raises(ValueError, match="`base` parameter of LogTransform"):
        LogTransform(base=base).fit(X)


def test_base_of_wrong_type_raises_type_error():
    with pytest.raises(TypeError, match="`base`"):
        LogTransform(base=None).fit(X)


def test_floor_that_underflows_in_float32_raises():
    X32 = X.astype(np.float32)
    with pytest.raises(ValueError, match="`floor` must be representable in float32"):
        LogTransform(floor=1e-50).fit(X32)
    with pytest.raises(ValueError, match="representable in float32"):
        LogTransform(floor=1e-50).transform(X32)
    # the same floor is fine in float64
    out = LogTransform(floor=1e-50).fit_transform(X)
    np.testing.assert_allclose(out.min(), np.log(1e-50))


def test_floor_that_overflows_in_float32_raises():
    with pytest.raises(ValueError, match="representable in float32"):
        LogTransform(floor=1e300).fit(X.astype(np.float32))
