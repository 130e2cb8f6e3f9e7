"""scikit-learn's estimator checks on CNNRegressor.

Expected failures (each with its reason) are listed in ``EXPECTED_FAILED``;
everything else must pass. The whole module runs in the slow lane (``pytest
-m slow``): the classifier's checks in the fast lane already exercise the
shared base, and these 57 checks train networks for about 4 minutes.
"""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.estimators import CNNRegressor

pytestmark = pytest.mark.slow

EXPECTED_FAILED: dict[str, str] = {}


def _estimators():
    return [
        CNNRegressor(
            "cnn1d_small", epochs=30, batch_size=32, learning_rate=1e-2, random_state=0
        )
    ]


@parametrize_with_checks(
    _estimators(), expected_failed_checks=lambda est: EXPECTED_FAILED
)
def test_sklearn_compatible_regressor(estimator, check):
    check(estimator)
