"""Agreement with pyts where pyts has the same method (skipped without pyts).

Importing ``pyts.image`` compiles its numba functions: about 25 s of CPU at
every import. The import therefore happens in a fixture, in the one worker
that runs these tests, not at collection in every worker; and the tests are in
the slow lane (``pytest -m slow``).
"""

import numpy as np
import pytest

from specauth.imaging import GramianAngularField, MarkovTransitionField, RecurrencePlot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pyts_image():
    return pytest.importorskip("pyts.image")


CASES = [(40, None), (40, 8), (37, 10), (50, 17)]


@pytest.mark.parametrize(("n_points", "size"), CASES)
@pytest.mark.parametrize("method", ["summation", "difference"])
def test_gaf_matches_pyts(pyts_image, n_points, size, method):
    X = np.random.default_rng(0).normal(size=(4, n_points))
    ours = GramianAngularField(size, method=method).fit_transform(X)[..., 0]
    theirs = pyts_image.GramianAngularField(
        image_size=size or n_points, method=method
    ).fit_transform(X)
    np.testing.assert_allclose(ours, theirs, atol=2e-4)


@pytest.mark.parametrize(("n_points", "size"), CASES)
@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
def test_mtf_matches_pyts(pyts_image, n_points, size, strategy):
    X = np.random.default_rng(1).normal(size=(4, n_points))
    ours = MarkovTransitionField(size, strategy=strategy).fit_transform(X)[..., 0]
    theirs = pyts_image.MarkovTransitionField(
        image_size=size or n_points, strategy=strategy
    ).fit_transform(X)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"dimension": 3, "time_delay": 2},
        {"threshold": 0.5},
        {"threshold": "point", "percentage": 20},
        {"threshold": "distance", "percentage": 30},
    ],
)
def test_rp_matches_pyts(pyts_image, kwargs):
    X = np.random.default_rng(2).normal(size=(4, 33))
    ours = RecurrencePlot(dtype="float64", **kwargs).fit_transform(X)[..., 0]
    theirs = pyts_image.RecurrencePlot(**kwargs).fit_transform(X)
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
