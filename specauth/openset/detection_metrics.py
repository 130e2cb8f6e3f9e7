"""Threshold-free scores of an out-of-distribution detector.

:func:`ood_metrics` compares the scores a detector gives to in-distribution
samples with those it gives to out-of-distribution samples (higher score =
more in-distribution, the specauth detector convention).

The function lives in ``detection_metrics.py`` rather than ``ood_metrics.py``
so that the module name never shadows the function re-exported as
``specauth.openset.ood_metrics``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from specauth._validation import check_array_1d

__all__ = ["ood_metrics"]


def ood_metrics(scores_in: ArrayLike, scores_out: ArrayLike) -> dict[str, float]:
    r"""AUROC, FPR at 95 % TPR and the two AUPRs of a detector's scores.

    Parameters
    ----------
    scores_in : array-like of shape (n_in,)
        Scores of in-distribution samples (the "positives"); higher means
        more in-distribution.
    scores_out : array-like of shape (n_out,)
        Scores of out-of-distribution samples. Infinite scores are allowed
        (they are orderable); NaN is not.

    Returns
    -------
    metrics : dict of str to float
        ``"AUROC"``
            Area under the ROC curve: the probability that a random IN sample
            scores higher than a random OUT sample, ties counting one half.
        ``"FPR@95TPR"``
            Fraction of OUT samples accepted at the threshold that accepts
            95 % of IN samples (see Notes).
        ``"AUPR-in"``
            Average precision with IN as the positive class.
        ``"AUPR-out"``
            Average precision with OUT as the positive class, ranked by the
            negated scores.

    Raises
    ------
    ValueError
        If either array is empty, not 1D, not numeric, or holds NaN.

    See Also
    --------
    figures_of_merit : Figures of merit of thresholded open-set predictions.

    Notes
    -----
    A sample is *accepted* at threshold :math:`t` when its score is
    :math:`\geq t`; :math:`\mathrm{TPR}(t)` and :math:`\mathrm{FPR}(t)` are the
    accepted fractions of IN and OUT samples. ``FPR@95TPR`` is
    :math:`\mathrm{FPR}(t^*)` with :math:`t^*` the **largest** threshold such
    that :math:`\mathrm{TPR}(t^*) \geq 0.95`, i.e. the :math:`k`-th largest
    IN score with :math:`k = \lceil 0.95\, n_{in} \rceil`. This is the first
    point of the ROC curve (scikit-learn's ``roc_curve``) whose TPR reaches
    0.95, as in Hendrycks & Gimpel (2017). Lower is better.

    Average precision is :math:`\mathrm{AP} = \sum_j (R_j - R_{j-1}) P_j` over
    the distinct score values taken as thresholds in decreasing order, with
    precision :math:`P_j` and recall :math:`R_j` (:math:`R_0 = 0`); tied
    scores enter together. This is scikit-learn's ``average_precision_score``
    (no interpolation). The AUROC is computed exactly from the pairwise
    comparisons (Mann-Whitney U statistic), equal to ``roc_auc_score``.

    References
    ----------
    .. [1] D. Hendrycks and K. Gimpel, "A baseline for detecting misclassified
       and out-of-distribution examples in neural networks", ICLR 2017.
       https://arxiv.org/abs/1610.02136

    Examples
    --------
    >>> from specauth.openset.detection_metrics import ood_metrics
    >>> m = ood_metrics([0.9, 0.8, 0.7, 0.4], [0.5, 0.3, 0.2])
    >>> m["AUROC"]
    0.9166666666666666
    >>> m["FPR@95TPR"], m["AUPR-in"]
    (0.3333333333333333, 0.95)

    Perfect separation:

    >>> ood_metrics([3, 4, 5], [0, 1, 2])
    {'AUROC': 1.0, 'FPR@95TPR': 0.0, 'AUPR-in': 1.0, 'AUPR-out': 1.0}
    """
    s_in = _check_scores(scores_in, "scores_in")
    s_out = _check_scores(scores_out, "scores_out")
    return {
        "AUROC": _auroc(s_in, s_out),
        "FPR@95TPR": _fpr_at_95_tpr(s_in, s_out),
        "AUPR-in": _average_precision(s_in, s_out),
        "AUPR-out": _average_precision(-s_out, -s_in),
    }


def _check_scores(scores, name):
    """Return ``scores`` as a non-empty 1D float array without NaN (inf is a score)."""
    arr = check_array_1d(name, scores, finite=False)
    if np.isnan(arr).any():
        first = int(np.flatnonzero(np.isnan(arr))[0])
        raise ValueError(
            f"`{name}` contains NaN (first at index {first}); remove those "
            "samples or fix the detector before scoring."
        )
    return arr


def _auroc(s_in, s_out):
    """P(in > out) + P(in == out) / 2 over all pairs."""
    sorted_out = np.sort(s_out)
    below = np.searchsorted(sorted_out, s_in, side="left")
    tied = np.searchsorted(sorted_out, s_in, side="right") - below
    twice_u = 2 * int(below.sum()) + int(tied.sum())
    return twice_u / (2 * s_in.size * s_out.size)


def _fpr_at_95_tpr(s_in, s_out):
    """FPR at the largest threshold accepting at least 95 % of IN samples."""
    k = (95 * s_in.size + 99) // 100  # ceil(0.95 * n_in) in exact integers
    threshold = np.sort(s_in)[s_in.size - k]
    return int(np.count_nonzero(s_out >= threshold)) / s_out.size


def _average_precision(positive, negative):
    """Non-interpolated average precision, tied scores taken together."""
    scores = np.concatenate([positive, negative])
    is_pos = np.concatenate([np.ones(positive.size), np.zeros(negative.size)])
    order = np.argsort(-scores, kind="stable")
    scores, is_pos = scores[order], is_pos[order]
    # the last index of each run of equal scores is where a threshold stops
    ends = np.flatnonzero(np.append(scores[1:] != scores[:-1], True))
    true_pos = np.cumsum(is_pos)[ends]
    precision = true_pos / (ends + 1)
    recall = true_pos / positive.size
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))
