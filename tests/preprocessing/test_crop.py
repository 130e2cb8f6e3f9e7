"""Tests for specauth.preprocessing.Crop."""

import numpy as np
import pytest

from specauth.preprocessing import Crop

RNG = np.random.default_rng(0)
X = RNG.uniform(0.0, 100.0, size=(5, 8))
ENERGIES = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0])


@pytest.mark.parametrize(
    ("start", "stop"),
    [(None, None), (1, -1), (2, 5), (-3, None), (None, 3), (0, 100), (-100, -7)],
)
def test_index_crop_matches_python_slice(start, stop):
    crop = Crop(start, stop).fit(X)
    expected = X[:, start:stop]
    np.testing.assert_array_equal(crop.transform(X), expected)
    np.testing.assert_array_equal(
        crop.support_, np.isin(np.arange(8), np.arange(8)[start:stop])
    )
    assert crop.energies_ is None


def test_index_crop_accepts_numpy_integers():
    out = Crop(np.int64(1), np.int32(3)).fit_transform(X)
    np.testing.assert_array_equal(out, X[:, 1:3])


@pytest.mark.parametrize(
    ("start", "stop", "kept"),
    [
        (30.0, 60.0, [2, 3, 4, 5]),  # both ends inclusive
        (25.0, 55.0, [2, 3, 4]),  # between bins
        (None, 20.0, [0, 1]),
        (75.0, None, [7]),
        (-np.inf, np.inf, list(range(8))),
        (40, 40, [3]),  # integer energies, a single bin
    ],
)
def test_energy_crop_keeps_bins_between_start_and_stop(start, stop, kept):
    crop = Crop(start, stop, energies=ENERGIES).fit(X)
    np.testing.assert_array_equal(crop.transform(X), X[:, kept])
    np.testing.assert_array_equal(np.flatnonzero(crop.support_), kept)
    np.testing.assert_array_equal(crop.energies_, ENERGIES[kept])


def test_energies_are_copied_not_referenced():
    energies = ENERGIES.copy()
    crop = Crop(20.0, 40.0, energies=energies).fit(X)
    energies[:] = 0.0
    np.testing.assert_array_equal(crop.energies_, [20.0, 30.0, 40.0])
    assert crop.energies is energies  # the parameter is stored unchanged


def test_energies_as_list():
    crop = Crop(15, 35, energies=ENERGIES.tolist()).fit(X)
    np.testing.assert_array_equal(crop.transform(X), X[:, 1:3])


def test_float32_kept_and_output_is_a_copy():
    X32 = X.astype(np.float32)
    before = X32.copy()
    out = Crop(2, 4).fit(X32).transform(X32)
    assert out.dtype == np.float32
    out[:] = -1.0
    np.testing.assert_array_equal(X32, before)


def test_get_feature_names_out():
    crop = Crop(1, 3).fit(X)
    np.testing.assert_array_equal(crop.get_feature_names_out(), ["x1", "x2"])
    names = [f"c{i}" for i in range(8)]
    np.testing.assert_array_equal(crop.get_feature_names_out(names), ["c1", "c2"])
    with pytest.raises(ValueError, match="n_features_in_=8"):
        crop.get_feature_names_out(["a", "b"])


def test_get_feature_names_out_rejects_other_names_than_fit():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(8)])
    crop = Crop(6).fit(frame)
    np.testing.assert_array_equal(crop.get_feature_names_out(), ["c6", "c7"])
    with pytest.raises(ValueError, match="feature_names_in_"):
        crop.get_feature_names_out([f"d{i}" for i in range(8)])


def test_transform_before_fit_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Crop(1).transform(X)


# --- bad parameters -------------------------------------------------------


@pytest.mark.parametrize(("start", "stop"), [(3, 3), (5, 2), (8, None), (None, -8)])
def test_index_crop_selecting_nothing_raises(start, stop):
    with pytest.raises(ValueError, match=r"keeps no column of X.*n_features=8"):
        Crop(start, stop).fit(X)


@pytest.mark.parametrize(("start", "stop"), [(85.0, None), (None, 5.0), (41, 49)])
def test_energy_crop_selecting_nothing_raises(start, stop):
    with pytest.raises(ValueError, match="keeps no column of X: the axis runs from"):
        Crop(start, stop, energies=ENERGIES).fit(X)


def test_energy_crop_start_above_stop_is_the_same_range():
    """``Crop(1800, 1000)`` on a wavenumber axis drawn decreasing means the
    same range as ``Crop(1000, 1800)``."""
    forward = Crop(30.0, 60.0, energies=ENERGIES).fit(X)
    backward = Crop(60.0, 30.0, energies=ENERGIES).fit(X)
    np.testing.assert_array_equal(forward.support_, backward.support_)
    assert forward.cropped_by_ == backward.cropped_by_ == "axis"


def test_energies_length_mismatch_names_both_lengths():
    with pytest.raises(ValueError, match="`energies` has 7 values but X has 8"):
        Crop(10.0, 30.0, energies=ENERGIES[:7]).fit(X)


@pytest.mark.parametrize(
    "energies",
    [ENERGIES[::-1], np.r_[ENERGIES[:4], ENERGIES[3:7]]],
    ids=["decreasing", "repeated"],
)
def test_energies_not_increasing_raises(energies):
    with pytest.raises(ValueError, match="`energies` must be strictly increasing"):
        Crop(10.0, 30.0, energies=energies).fit(X)


def test_energies_2d_or_nan_raise():
    with pytest.raises(ValueError, match="`energies` must be a 1D array"):
        Crop(energies=ENERGIES.reshape(2, 4)).fit(X)
    with pytest.raises(ValueError, match="`energies` contains NaN"):
        Crop(energies=np.r_[ENERGIES[:7], np.nan]).fit(X)


@pytest.mark.parametrize("name", ["start", "stop"])
def test_float_index_without_energies_raises_type_error(name):
    with pytest.raises(TypeError, match=f"`{name}` must be an int column index"):
        Crop(**{name: 1.5}).fit(X)


@pytest.mark.parametrize("value", ["1", np.nan, True])
def test_bad_start_type_or_value(value):
    with pytest.raises((TypeError, ValueError), match="`start` parameter of Crop"):
        Crop(value).fit(X)
