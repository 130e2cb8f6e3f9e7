"""scikit-learn's estimator checks on CNNClassifier.

Expected failures (each with its reason) are listed in ``EXPECTED_FAILED``;
everything else must pass. The checks that train several networks each (5 to
20 s apiece on 2 cores) are in the slow lane (``pytest -m slow``, run by
``.ci/run``); the other checks run in every plain ``pytest``.
"""

from __future__ import annotations

import functools

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.estimators import CNNClassifier

EXPECTED_FAILED = {}

#: Checks that fit four or more networks (measured 5-20 s each).
SLOW_CHECKS = {
    "check_classifiers_train",
    "check_classifiers_classes",
    "check_classifier_data_not_an_array",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_estimators_dtypes",
    "check_pipeline_consistency",
}


def _estimators():
    # 10 epochs: enough for the training-accuracy thresholds of the checks
    # (check_classifiers_train asks for 0.83) on their small data sets.
    return [
        CNNClassifier(
            "cnn1d_small", epochs=10, batch_size=32, learning_rate=1e-2, random_state=0
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
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_slow_checks_are_checks_that_exist():
    names = {
        _check_name(value[1])
        for value in parametrize_with_checks(_estimators()).args[1]
    }
    assert SLOW_CHECKS <= names
