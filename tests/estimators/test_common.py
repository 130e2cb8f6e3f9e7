"""scikit-learn's estimator checks on CNNClassifier.

Expected failures (each with its reason) are listed in ``EXPECTED_FAILED``;
everything else must pass.
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.estimators import CNNClassifier

EXPECTED_FAILED = {}


def _estimators():
    return [
        CNNClassifier(
            "cnn1d_small", epochs=30, batch_size=32, learning_rate=1e-2, random_state=0
        )
    ]


@parametrize_with_checks(
    _estimators(), expected_failed_checks=lambda est: EXPECTED_FAILED
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
