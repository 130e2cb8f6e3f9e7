"""scikit-learn's common estimator checks on every imaging transformer."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.imaging import (
    GramianAngularField,
    MarkovTransitionField,
    RecurrencePlot,
    StackedFields,
)

ESTIMATORS = [
    GramianAngularField(),
    GramianAngularField(1, method="difference", n_channels=3),
    MarkovTransitionField(),
    RecurrencePlot(),
    RecurrencePlot(threshold="point"),
    StackedFields(),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
