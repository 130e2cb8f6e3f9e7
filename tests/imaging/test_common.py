"""scikit-learn's common estimator checks on every imaging transformer."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from specauth.imaging import (
    CrossCorrelationMap,
    GramianAngularField,
    MarkovTransitionField,
    PolarTransform,
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
    # Pattern transformers take (n, h, w) input (tag three_d_array, not
    # two_d_array), so scikit-learn skips its data checks on them; the
    # data-free checks and the fit/transform contract on 3D data are run in
    # test_polar.py.
    PolarTransform(),
    CrossCorrelationMap(PolarTransform(8, n_angles=16)),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
