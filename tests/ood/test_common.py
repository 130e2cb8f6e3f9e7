"""scikit-learn's estimator checks on every detector (with ``model=None``).

ViM is not run through them: it needs the last layer's ``weight`` whose
first dimension must equal the feature width, and the generic checks fit on
data of many widths. Expected failures, each with its reason, are listed in
``EXPECTED_FAILED``; everything else must pass.
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.ood import DIME, Energy, KNNDetector, Mahalanobis, MaxLogit, MaxSoftmax

_NEEDS_Y = (
    "Mahalanobis needs the class labels `y` (target_tags.required); this check "
    "fits outlier detectors without y."
)
EXPECTED_FAILED = {
    "Mahalanobis": {
        "check_outliers_fit_predict": _NEEDS_Y,
        "check_outliers_train": _NEEDS_Y,
        "check_outliers_train(readonly_memmap=True)": _NEEDS_Y,
    }
}


def _estimators():
    return [
        Energy(),
        MaxSoftmax(),
        MaxLogit(),
        DIME(),
        DIME(n_components=1, mahalanobis=True, batch_size=7),
        Mahalanobis(),
        KNNDetector(n_neighbors=3),
    ]


@parametrize_with_checks(
    _estimators(),
    expected_failed_checks=lambda est: EXPECTED_FAILED.get(type(est).__name__, {}),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
