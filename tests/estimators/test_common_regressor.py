"""scikit-learn's estimator checks on CNNRegressor.

Expected failures (each with its reason) are listed in ``EXPECTED_FAILED``;
everything else must pass. The whole module runs in the slow lane (``pytest
-m slow``): the classifier's checks in the fast lane already exercise the
shared base, and these 57 checks train networks for about 4 minutes.
"""

from __future__ import annotations

import functools

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.estimators import CNNRegressor

pytestmark = pytest.mark.slow

EXPECTED_FAILED: dict[str, str] = {}

#: Checks that fit several networks (over 20 s each on a busy 2-core machine).
SLOW_CHECKS = {
    "check_transformer_data_not_an_array",
    "check_regressor_data_not_an_array",
    "check_transformer_general",
    "check_fit_idempotent",
    "check_regressors_train",
    "check_estimators_dtypes",
    "check_n_features_in",
    "check_dict_unchanged",
    "check_estimators_pickle",
    "check_regressors_int",
    "check_pipeline_consistency",
    "check_fit_score_takes_y",
    "check_fit_check_is_fitted",
}


def _estimators():
    return [
        CNNRegressor(
            "cnn1d_small", epochs=30, batch_size=32, learning_rate=1e-2, random_state=0
        )
    ]


def _check_name(check):
    while isinstance(check, functools.partial):
        check = check.func
    return check.__name__


def _with_slow_marks(decorator):
    """``parametrize_with_checks``'s parametrisation, ``SLOW_CHECKS`` marked slow."""
    argnames, argvalues = decorator.args
    marked = []
    for value in argvalues:
        values, marks = (
            (value.values, list(value.marks))
            if hasattr(value, "marks")
            else (tuple(value), [])
        )
        if _check_name(values[1]) in SLOW_CHECKS:
            marks.append(pytest.mark.slow)
        marked.append(pytest.param(*values, marks=marks))
    return pytest.mark.parametrize(argnames, marked, **decorator.kwargs)


@_with_slow_marks(
    parametrize_with_checks(
        _estimators(), expected_failed_checks=lambda est: EXPECTED_FAILED
    )
)
def test_sklearn_compatible_regressor(estimator, check):
    check(estimator)
