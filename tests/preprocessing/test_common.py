"""scikit-learn common checks and shared bad-input checks for every transformer."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.preprocessing import Crop, LogTransform, SpectrumNormalizer

# The common checks fit on data with only 2 columns in places; Crop(1, -1)
# then keeps no column and rightly raises, so these checks cannot pass.
_CROP_TWO_COLUMNS = (
    "fitted on 2-column data, where Crop(1, -1) keeps no column and raises "
    "a ValueError by design"
)
_CROP_1_MINUS_1_FAILS = {
    name: _CROP_TWO_COLUMNS
    for name in (
        "check_estimators_overwrite_params",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
    )
}

ESTIMATORS = [
    Crop(),
    Crop(1, -1),
    Crop(1),
    Crop(None, -1),
    SpectrumNormalizer(),
    SpectrumNormalizer("max"),
    SpectrumNormalizer("area"),
    SpectrumNormalizer("snv"),
    SpectrumNormalizer("l2"),
    LogTransform(),
    LogTransform(base=10),
]


def _expected_failed_checks(estimator):
    if isinstance(estimator, Crop) and (estimator.start, estimator.stop) == (1, -1):
        return _CROP_1_MINUS_1_FAILS
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


TRANSFORMERS = [
    Crop(1, -1),
    Crop(2.0, 4.0, energies=np.arange(6.0)),
    SpectrumNormalizer(),
    SpectrumNormalizer("area", energies=np.arange(6.0)),
    SpectrumNormalizer("snv"),
    LogTransform(),
]


def _id(estimator):
    return repr(estimator).replace("\n", "")


X_GOOD = np.random.default_rng(0).uniform(0.0, 10.0, size=(4, 6))


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.where(np.eye(4, 6) > 0, np.nan, X_GOOD), "NaN"),
        (np.where(np.eye(4, 6) > 0, np.inf, X_GOOD), "infinity"),
        (X_GOOD[0], "2D array"),
        (np.empty((0, 6)), "0 sample"),
        (np.empty((4, 0)), "0 feature"),
    ],
    ids=["nan", "inf", "1d", "no-rows", "no-columns"],
)
def test_bad_input_rejected_in_fit_and_transform(estimator, bad, match):
    estimator = clone(estimator)
    with pytest.raises(ValueError, match=match):
        estimator.fit(bad)
    estimator.fit(X_GOOD)
    with pytest.raises(ValueError, match=match):
        estimator.transform(bad)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
def test_wrong_number_of_features_at_transform(estimator):
    estimator = clone(estimator)
    estimator.fit(X_GOOD)
    with pytest.raises(ValueError, match="X has 5 features, but .* expecting 6"):
        estimator.transform(X_GOOD[:, :5])


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
def test_non_numeric_input_rejected(estimator):
    estimator = clone(estimator)
    with pytest.raises(ValueError, match="convert|could not"):
        estimator.fit([["a", "b", "c", "d", "e", "f"]])


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_input_is_not_modified(estimator, dtype):
    estimator = clone(estimator)
    X = X_GOOD.astype(dtype)
    X[0, 0] = -1.0  # exercise clipping in LogTransform and sign handling
    before = X.copy()
    out = estimator.fit(X).transform(X)
    np.testing.assert_array_equal(X, before)
    assert not np.shares_memory(out, X)
    assert out.dtype == dtype


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
def test_integer_input_becomes_float64(estimator):
    estimator = clone(estimator)
    out = estimator.fit_transform(np.arange(1, 25).reshape(4, 6))
    assert out.dtype == np.float64


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
def test_feature_names_follow_dataframe_columns(estimator):
    estimator = clone(estimator)
    pd = pytest.importorskip("pandas")
    columns = [f"e{i}" for i in range(6)]
    frame = pd.DataFrame(X_GOOD, columns=columns)
    out = estimator.fit(frame).transform(frame)
    names = estimator.get_feature_names_out()
    assert names.shape == (out.shape[1],)
    assert set(names) <= set(columns)
