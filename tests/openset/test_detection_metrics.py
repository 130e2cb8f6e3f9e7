"""Tests of specauth.openset.detection_metrics.ood_metrics."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from specauth.openset.detection_metrics import ood_metrics

KEYS = {"AUROC", "FPR@95TPR", "AUPR-in", "AUPR-out"}


def _sklearn_reference(s_in, s_out):
    """The same four numbers from scikit-learn, IN = positive class."""
    y = np.r_[np.ones(len(s_in)), np.zeros(len(s_out))]
    s = np.r_[s_in, s_out]
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    return {
        "AUROC": roc_auc_score(y, s),
        "FPR@95TPR": fpr[np.argmax(tpr >= 0.95)],
        "AUPR-in": average_precision_score(y, s),
        "AUPR-out": average_precision_score(1 - y, -s),
    }


def test_perfect_separation():
    m = ood_metrics([3.0, 4.0, 5.0], [0.0, 1.0, 2.0])
    assert m == {"AUROC": 1.0, "FPR@95TPR": 0.0, "AUPR-in": 1.0, "AUPR-out": 1.0}


def test_reversed_scores():
    # every OUT sample outscores every IN sample
    m = ood_metrics([0.0, 1.0], [2.0, 3.0])
    assert m["AUROC"] == 0.0
    assert m["FPR@95TPR"] == 1.0
    # AUPR-in: IN found at ranks 3 and 4 -> 1/2 * 1/3 + 1/2 * 2/4
    assert m["AUPR-in"] == pytest.approx(1 / 6 + 1 / 4)


def test_identical_distributions():
    # every value tied once between IN and OUT: AUROC 1/2; the threshold that
    # keeps all 4 IN scores (ceil(0.95 * 4) = 4) is 1 -> all OUT accepted;
    # each tie group adds one IN and one OUT, so precision is always 1/2
    s = [1.0, 2.0, 3.0, 4.0]
    m = ood_metrics(s, s)
    assert m == {"AUROC": 0.5, "FPR@95TPR": 1.0, "AUPR-in": 0.5, "AUPR-out": 0.5}


def test_ties_count_half():
    # pairs (in, out): (2,1) (2,0) (1,0) win, (1,1) tie -> (3 + 0.5) / 4
    m = ood_metrics([2.0, 1.0], [1.0, 0.0])
    assert m["AUROC"] == 3.5 / 4
    # ceil(0.95 * 2) = 2 -> threshold 1 -> OUT 1 accepted, OUT 0 not
    assert m["FPR@95TPR"] == 1 / 2
    # ranked: 2 (in) | 1 (in), 1 (out) | 0 (out):
    # recall 1/2 at precision 1, then recall 1 at precision 2/3
    assert m["AUPR-in"] == pytest.approx(1 / 2 + 1 / 2 * 2 / 3)
    assert m["AUPR-out"] == pytest.approx(1 / 2 + 1 / 2 * 2 / 3)


def test_fpr_threshold_is_the_largest_one_keeping_95_percent():
    # 20 IN scores 1..20: ceil(0.95 * 20) = 19 must be kept -> threshold 2
    # (TPR = 19/20); OUT scores >= 2 are 2.5 and 19.5 -> FPR 2/4
    s_in = np.arange(1.0, 21.0)
    s_out = [0.5, 1.5, 2.5, 19.5]
    assert ood_metrics(s_in, s_out)["FPR@95TPR"] == 2 / 4
    # 21 IN scores: ceil(19.95) = 20 -> threshold 2 again; 100 -> 95 kept
    assert ood_metrics(np.arange(1.0, 22.0), s_out)["FPR@95TPR"] == 2 / 4
    s_in = np.arange(100.0)  # 95 largest are 5..99 -> threshold 5
    assert ood_metrics(s_in, [4.9, 5.0, 5.1, 1.0])["FPR@95TPR"] == 2 / 4


def test_single_in_score():
    m = ood_metrics([1.0], [0.0, 1.0, 2.0])
    assert m["FPR@95TPR"] == 2 / 3
    assert m["AUROC"] == 1.5 / 3


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("rounding", [None, 0])
def test_matches_sklearn(seed, rounding):
    rng = np.random.default_rng(seed)
    s_in = rng.normal(1.0, 1.0, size=137)
    s_out = rng.normal(0.0, 1.5, size=61)
    if rounding is not None:  # many ties
        s_in, s_out = np.round(s_in, rounding), np.round(s_out, rounding)
    m = ood_metrics(s_in, s_out)
    ref = _sklearn_reference(s_in, s_out)
    assert set(m) == KEYS
    for key in KEYS:
        assert m[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-12), key
        assert type(m[key]) is float


def test_infinite_scores_are_orderable():
    m = ood_metrics([np.inf, 1.0], [-np.inf, 0.0])
    assert m["AUROC"] == 1.0
    assert m["AUPR-out"] == 1.0


def test_accepts_lists_ints_and_does_not_modify_input():
    s_in = np.array([3, 2, 1])
    before = s_in.copy()
    assert ood_metrics(s_in, [0])["AUROC"] == 1.0
    np.testing.assert_array_equal(s_in, before)


@pytest.mark.parametrize(
    ("scores_in", "scores_out", "match"),
    [
        ([], [1.0], r"`scores_in` must hold at least 1 value\(s\); got 0"),
        ([1.0], [], r"`scores_out` must hold at least 1 value\(s\); got 0"),
        ([1.0, np.nan], [1.0], r"`scores_in` contains NaN \(first at index 1\)"),
        ([1.0], [np.nan], "`scores_out` contains NaN"),
        ([[1.0, 2.0]], [1.0], r"1D array of numbers; got .* shape \(1, 2\)"),
        ([1.0], np.zeros((3, 1)), r"`scores_out` must be a 1D .* \(3, 1\)"),
        (["a", "b"], [1.0], "`scores_in` must be a 1D array of numbers"),
        (None, [1.0], "`scores_in` must be a 1D array of numbers; got None"),
    ],
)
def test_bad_input_raises_value_error(scores_in, scores_out, match):
    with pytest.raises(ValueError, match=match):
        ood_metrics(scores_in, scores_out)
