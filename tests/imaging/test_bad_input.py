"""Bad parameters and bad data raise ValueError/TypeError naming the problem."""

import numpy as np
import pytest

from specauth.imaging import (
    GramianAngularField,
    MarkovTransitionField,
    RecurrencePlot,
    StackedFields,
)

X = np.random.default_rng(0).normal(size=(4, 12))
CLASSES = [GramianAngularField, MarkovTransitionField, RecurrencePlot]


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.where(np.eye(4, 12) > 0, np.nan, X), "NaN"),
        (X[0], "2D array"),
        (np.empty((0, 12)), "0 sample"),
    ],
    ids=["nan", "1d", "empty"],
)
def test_bad_data(cls, bad, match):
    with pytest.raises(ValueError, match=match):
        cls().fit(bad)
    fitted = cls().fit(X)
    with pytest.raises(ValueError, match=match):
        fitted.transform(bad)


@pytest.mark.parametrize("cls", CLASSES)
def test_image_size_out_of_range(cls):
    with pytest.raises(ValueError, match=r"`image_size` must be <= .*\(12\); got 13"):
        cls(13).fit(X)
    with pytest.raises(ValueError, match="`image_size` parameter .* got 0"):
        cls(0).fit(X)
    with pytest.raises(TypeError, match="`image_size`"):
        cls(2.5).fit(X)


@pytest.mark.parametrize("cls", CLASSES)
def test_wrong_number_of_points_at_transform(cls):
    fitted = cls().fit(X)
    with pytest.raises(ValueError, match="X has 11 features"):
        fitted.transform(X[:, :11])


@pytest.mark.parametrize(
    ("imager", "match"),
    [
        (GramianAngularField(method="sum"), "`method` parameter"),
        (GramianAngularField(sample_range=(-2, 1)), "`sample_range` must satisfy"),
        (GramianAngularField(sample_range=("a", 1)), "`sample_range` must be a pair"),
        (GramianAngularField(dtype="float16"), "`dtype` parameter"),
        (GramianAngularField(n_channels=0), "`n_channels` parameter"),
        (MarkovTransitionField(n_bins=1), "`n_bins` parameter"),
        (MarkovTransitionField(strategy="normal"), "`strategy` parameter"),
        (RecurrencePlot(threshold="points"), "`threshold` parameter"),
        (RecurrencePlot(threshold=-1.0), "`threshold` parameter"),
        (RecurrencePlot(percentage=101), "`percentage` parameter"),
        (RecurrencePlot(dimension=5, time_delay=3), "`dimension` and `time_delay`"),
        (StackedFields(("gasf", "cwt")), "`fields` must be"),
        (StackedFields(()), "`fields` must be"),
    ],
)
def test_bad_parameters(imager, match):
    with pytest.raises((ValueError, TypeError), match=match):
        imager.fit(X)


def test_unfitted_transform():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        GramianAngularField().transform(X)
