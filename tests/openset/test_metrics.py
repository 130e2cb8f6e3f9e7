"""Tests of specauth.openset.metrics.figures_of_merit (hand-worked cases)."""

import math
import warnings

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from specauth.openset.metrics import figures_of_merit

# Main hand-worked case: known classes a, b, c (2 samples each) and two
# never-trained samples x, y. Three mistakes: one "a" predicted "b"
# (misclassified), one "b" rejected (false rejection), "y" accepted as "a"
# (false acceptance).
KNOWN = ["a", "b", "c"]
Y_TRUE = ["a", "a", "b", "b", "c", "c", "x", "y"]
Y_PRED = ["a", "b", "b", "unknown", "c", "c", "unknown", "a"]


@pytest.fixture
def fom():
    return figures_of_merit(Y_PRED, Y_TRUE, KNOWN)


def test_confusion_matrix_rows_and_columns(fom):
    #            a  b  c  unknown
    # true a   [ 1, 1, 0, 0 ]
    # true b   [ 0, 1, 0, 1 ]
    # true c   [ 0, 0, 2, 0 ]
    # true x   [ 0, 0, 0, 1 ]
    # true y   [ 1, 0, 0, 0 ]
    expected = [[1, 1, 0, 0], [0, 1, 0, 1], [0, 0, 2, 0], [0, 0, 0, 1], [1, 0, 0, 0]]
    np.testing.assert_array_equal(fom["confusion_matrix"], expected)
    assert fom["confusion_matrix"].dtype == np.int64
    assert fom["rows"] == ["a", "b", "c", "x", "y"]
    assert fom["columns"] == ["a", "b", "c", "unknown"]


def test_total_sensitivity(fom):
    # known samples: 6; accepted as their own class: a(1) + b(1) + c(2) = 4
    assert fom["TSNS"] == 4 / 6


def test_total_specificity(fom):
    # never-trained samples: x, y; rejected: x only
    assert fom["TSPS"] == 1 / 2


def test_total_efficiency(fom):
    # sqrt(4/6 * 1/2) = sqrt(1/3)
    assert fom["TEFF"] == pytest.approx(math.sqrt(1 / 3), rel=1e-15)


def test_accuracy_counts_rejected_never_trained_as_correct(fom):
    # 4 known samples right + x rejected = 5 of 8; the rejected "b" is wrong
    assert fom["ACC"] == 5 / 8


def test_class_sensitivity(fom):
    # a: 1 of 2, b: 1 of 2 (one rejected), c: 2 of 2
    assert fom["CSNS"] == {"a": 1 / 2, "b": 1 / 2, "c": 1.0}


def test_class_specificity_includes_never_trained_samples(fom):
    # not-a samples: b b c c x y (6); predicted a: y -> 5/6
    # not-b samples: a a c c x y (6); predicted b: one a -> 5/6
    # not-c samples: a a b b x y (6); predicted c: none -> 1
    assert fom["CSPS"] == {"a": 5 / 6, "b": 5 / 6, "c": 1.0}


def test_class_efficiency(fom):
    assert fom["CEFF"]["a"] == pytest.approx(math.sqrt(1 / 2 * 5 / 6))
    assert fom["CEFF"]["b"] == pytest.approx(math.sqrt(1 / 2 * 5 / 6))
    assert fom["CEFF"]["c"] == 1.0
    assert list(fom["CEFF"]) == KNOWN  # known_classes order


def test_returns_exactly_the_documented_keys(fom):
    assert set(fom) == {
        "TEFF",
        "TSNS",
        "TSPS",
        "ACC",
        "CSNS",
        "CSPS",
        "CEFF",
        "confusion_matrix",
        "rows",
        "columns",
    }
    assert all(type(fom[k]) is float for k in ("TEFF", "TSNS", "TSPS", "ACC"))


def test_one_class_view():
    # class a as the only inlier: 1 of 2 a's predicted a -> TSNS 1/2;
    # 6 other samples, 5 not predicted a (y is) -> TSPS 5/6
    fom = figures_of_merit(Y_PRED, Y_TRUE, KNOWN, score_using="a")
    assert fom["TSNS"] == 1 / 2
    assert fom["TSPS"] == 5 / 6
    assert fom["TEFF"] == pytest.approx(math.sqrt(5 / 12))
    # the other figures do not depend on score_using
    assert fom["ACC"] == 5 / 8
    assert fom["CSNS"] == {"a": 1 / 2, "b": 1 / 2, "c": 1.0}
    fom_c = figures_of_merit(Y_PRED, Y_TRUE, KNOWN, score_using="c")
    assert (fom_c["TSNS"], fom_c["TSPS"], fom_c["TEFF"]) == (1.0, 1.0, 1.0)


def test_class_absent_from_y_true_gives_nan_without_warnings():
    # c never appears in y_true, but one "a" is predicted "c"
    y_true = ["a", "a", "b", "x"]
    y_pred = ["a", "c", "b", "unknown"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fom = figures_of_merit(y_pred, y_true, KNOWN)
        one = figures_of_merit(y_pred, y_true, KNOWN, score_using="c")
    assert math.isnan(fom["CSNS"]["c"])
    assert fom["CSPS"]["c"] == 3 / 4  # 4 non-c samples, one predicted c
    assert fom["CEFF"]["c"] == 3 / 4  # CSNS undefined -> CEFF = CSPS
    assert fom["rows"] == ["a", "b", "c", "x"]
    np.testing.assert_array_equal(fom["confusion_matrix"][2], [0, 0, 0, 0])
    assert fom["TSNS"] == 2 / 3
    assert fom["TSPS"] == 1.0
    assert math.isnan(one["TSNS"])
    assert one["TSPS"] == one["TEFF"] == 3 / 4


def test_no_never_trained_samples_teff_equals_tsns():
    # 4 known samples, 3 right -> TSNS 3/4; no never-trained -> TSPS NaN
    y_true = [0, 0, 1, 1]
    y_pred = [0, 0, 1, -1]
    fom = figures_of_merit(y_pred, y_true, [0, 1], unknown_label=-1)
    assert fom["TSNS"] == 3 / 4
    assert math.isnan(fom["TSPS"])
    assert fom["TEFF"] == 3 / 4
    assert fom["ACC"] == 3 / 4
    assert fom["rows"] == [0, 1]


def test_only_never_trained_samples_teff_equals_tsps():
    fom = figures_of_merit(["unknown", "a", "unknown"], ["x", "y", "y"], ["a", "b"])
    assert math.isnan(fom["TSNS"])
    assert fom["TSPS"] == fom["TEFF"] == fom["ACC"] == 2 / 3
    assert math.isnan(fom["CSNS"]["a"])
    assert fom["CSPS"] == {"a": 2 / 3, "b": 1.0}


def test_every_sample_of_one_class_makes_its_csps_nan():
    fom = figures_of_merit(["a", "a"], ["a", "a"], ["a", "b"])
    assert math.isnan(fom["CSPS"]["a"])
    assert fom["CEFF"]["a"] == fom["CSNS"]["a"] == 1.0


def test_int_classes_with_int_unknown_label():
    # never-trained classes 7 and 5 are sorted after the known ones
    y_true = np.array([0, 1, 2, 7, 5, 2])
    y_pred = np.array([0, 1, -1, -1, 2, 2])
    fom = figures_of_merit(y_pred, y_true, np.array([0, 1, 2]), unknown_label=-1)
    assert fom["rows"] == [0, 1, 2, 5, 7]
    assert fom["columns"] == [0, 1, 2, -1]
    assert all(type(r) is int for r in fom["rows"])
    assert fom["TSNS"] == 3 / 4  # the first 2 is rejected
    assert fom["TSPS"] == 1 / 2  # 7 rejected, 5 accepted as 2
    assert fom["CSPS"][2] == 3 / 4  # non-2 samples 0 1 7 5; the 5 is called 2
    assert fom["CSNS"] == {0: 1.0, 1: 1.0, 2: 1 / 2}


def test_int_classes_with_string_unknown_label_compared_as_objects():
    y_true = [0, 1, 2, 9]
    y_pred = np.array([0, "unknown", 2, "unknown"], dtype=object)
    fom = figures_of_merit(y_pred, y_true, [0, 1, 2])
    assert fom["columns"] == [0, 1, 2, "unknown"]
    assert fom["TSNS"] == 2 / 3
    assert fom["TSPS"] == 1.0
    # the string "1" is not the class 1
    with pytest.raises(ValueError, match="got '1' at index 1"):
        figures_of_merit(np.array([0, "1"], dtype=object), [0, 1], [0, 1, 2])


def test_numpy_string_and_object_arrays_mix():
    y_true = np.array(["a", "b", "x"])  # numpy unicode dtype
    y_pred = np.array(["a", "unknown", "unknown"], dtype=object)
    fom = figures_of_merit(y_pred, y_true, np.array(["a", "b"]))
    assert fom["rows"] == ["a", "b", "x"]
    assert all(type(k) is str for k in fom["CSNS"])
    assert fom["ACC"] == 2 / 3


def test_mixed_numeric_and_string_never_trained_classes_sort():
    fom = figures_of_merit(["unknown"] * 3, ["z", 3, "m"], ["a"])
    assert fom["rows"] == ["a", 3, "m", "z"]


def test_unknown_label_in_y_true_is_a_never_trained_row():
    fom = figures_of_merit(["unknown", "a"], ["unknown", "a"], ["a"])
    assert fom["rows"] == ["a", "unknown"]
    assert fom["TSPS"] == 1.0


def test_confusion_matrix_matches_sklearn_on_random_labels():
    rng = np.random.default_rng(0)
    known = ["a", "b", "c"]
    y_true = rng.choice(["a", "b", "c", "x", "y"], size=200)
    y_pred = rng.choice(["a", "b", "c", "unknown"], size=200)
    fom = figures_of_merit(y_pred, y_true, known)
    labels = fom["rows"] + ["unknown"]
    reference = confusion_matrix(y_true, y_pred, labels=labels)[:5, [0, 1, 2, 5]]
    np.testing.assert_array_equal(fom["confusion_matrix"], reference)
    # ACC / TSNS / TSPS against a direct count
    is_known = np.isin(y_true, known)
    right = np.where(is_known, y_pred == y_true, y_pred == "unknown")
    assert fom["ACC"] == pytest.approx(right.mean())
    assert fom["TSNS"] == pytest.approx(right[is_known].mean())
    assert fom["TSPS"] == pytest.approx(right[~is_known].mean())
    for c in known:
        assert fom["CSPS"][c] == pytest.approx(np.mean(y_pred[y_true != c] != c))


def test_inputs_are_not_modified():
    y_true = np.array(["a", "x"])
    y_pred = np.array(["a", "unknown"])
    known = np.array(["a"])
    copies = [y_true.copy(), y_pred.copy(), known.copy()]
    figures_of_merit(y_pred, y_true, known)
    for arr, copy in zip([y_true, y_pred, known], copies, strict=True):
        np.testing.assert_array_equal(arr, copy)


@pytest.mark.parametrize(
    ("y_pred", "y_true", "known", "kwargs", "match"),
    [
        (["a", "a"], ["a"], ["a"], {}, r"len\(y_pred\)=2 and len\(y_true\)=1"),
        ([], [], ["a"], {}, "`y_pred` must hold at least one label"),
        (["a"], ["a"], [], {}, "`known_classes` must hold at least one"),
        (["a"], ["a"], ["a", "unknown"], {}, "`unknown_label` must not be a known"),
        ([0], [0], [0, 1], {"unknown_label": 1}, "`unknown_label` must not be"),
        (["a", "q"], ["a", "a"], ["a"], {}, "got 'q' at index 1"),
        (["a"], ["a"], ["a", "a"], {}, "duplicates of 'a'"),
        (["a"], ["a"], ["a"], {"score_using": "b"}, "`score_using` must be"),
        (["a"], ["a"], ["a"], {"score_using": "unknown"}, "`score_using` must be"),
        ([["a"]], [["a"]], ["a"], {}, r"1D array of labels; got .* shape \(1, 1\)"),
        (["a"], [None], ["a"], {}, "`y_true` must not hold missing labels"),
        (["a"], [float("nan")], ["a"], {}, "missing labels; got nan at index 0"),
        (None, ["a"], ["a"], {}, "`y_pred` must be a 1D array of labels; got None"),
    ],
)
def test_bad_input_raises_value_error(y_pred, y_true, known, kwargs, match):
    with pytest.raises(ValueError, match=match):
        figures_of_merit(y_pred, y_true, known, **kwargs)


def test_unhashable_label_raises_type_error():
    y_pred = np.empty(1, dtype=object)
    y_pred[0] = ["a"]
    with pytest.raises(TypeError, match="`y_pred` labels must be hashable"):
        figures_of_merit(y_pred, ["a"], ["a"])
