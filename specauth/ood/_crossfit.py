"""Out-of-fold training scores, the calibration scores of adaptive detectors.

A detector whose fit adapts to its training points (Mahalanobis, RMD, DIME,
ViM)
scores those points higher than new samples of the same distribution, so a
threshold set on its in-sample scores rejects far more than ``alpha`` of new
data. These detectors set their threshold on *out-of-fold* scores instead:
each training point is scored by a copy of the detector fitted without it.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import clone

if TYPE_CHECKING:
    from specauth.ood._base import BaseDetector

__all__ = ["N_FOLDS", "fold_ids", "out_of_fold_scores"]

N_FOLDS = 10
"""Number of folds of the cross-fit (fewer when there are fewer samples)."""

MIN_CROSS_FIT_SAMPLES = 4
"""Below this many training samples the in-sample scores are used."""


def fold_ids(n_samples: int, y: Any = None, n_folds: int = N_FOLDS) -> np.ndarray:
    """Assign each sample to a fold, deterministically and stratified by ``y``.

    The samples are put in order of class (stable: in their own order within
    a class, for ``y=None`` all in their own order) and dealt round-robin to
    ``min(n_folds, n_samples)`` folds, so each fold holds about the same share
    of every class and of every part of the data, whatever its order.

    Parameters
    ----------
    n_samples : int
        Number of samples.
    y : array-like of shape (n_samples,) or None, default=None
        Class labels to stratify on.
    n_folds : int, default=10
        Number of folds wanted.

    Returns
    -------
    folds : ndarray of shape (n_samples,)
        Fold index of each sample, in ``[0, min(n_folds, n_samples))``.

    Examples
    --------
    >>> fold_ids(6, n_folds=3).tolist()
    [0, 1, 2, 0, 1, 2]
    >>> fold_ids(6, y=["a", "b", "a", "b", "a", "b"], n_folds=2).tolist()
    [0, 1, 1, 0, 0, 1]
    """
    n_folds = min(n_folds, n_samples)
    order = np.arange(n_samples)
    if y is not None:
        codes = np.unique(np.asarray(y), return_inverse=True)[1].ravel()
        order = np.argsort(codes, kind="stable")
    folds = np.empty(n_samples, dtype=np.intp)
    folds[order] = np.arange(n_samples) % n_folds
    return folds


def out_of_fold_scores(
    detector: BaseDetector,
    Z: np.ndarray,
    y: Any = None,
    overrides: dict[str, Any] | None = None,
) -> np.ndarray:
    """Score each row of ``Z`` with a copy of ``detector`` fitted without it.

    The folds come from :func:`fold_ids` (10 folds, stratified by ``y`` when
    given). For each fold, a clone of ``detector`` (with ``overrides`` set,
    e.g. the number of components the full fit chose) learns from the other
    folds through ``_fit`` and scores the rows of this one through
    ``_score``. The copies' warnings are silenced: the full fit has emitted
    its own. With fewer than 4 samples the in-sample scores are returned.

    Parameters
    ----------
    detector : BaseDetector
        The detector, already fitted on all of ``Z`` (only its parameters are
        read).
    Z : ndarray of shape (n_samples, n_features)
        Training features or logits.
    y : array-like of shape (n_samples,) or None, default=None
        Labels passed to ``_fit`` and used to stratify the folds.
    overrides : dict or None, default=None
        Parameters set on every copy.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
    """
    n_samples = Z.shape[0]
    if n_samples < MIN_CROSS_FIT_SAMPLES:
        return detector._score(Z)
    y = None if y is None else np.asarray(y)
    folds = fold_ids(n_samples, y)
    scores = np.empty(n_samples)
    for fold in range(int(folds.max()) + 1):
        held = folds == fold
        part = clone(detector).set_params(**(overrides or {}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            part._fit(Z[~held], None if y is None else y[~held])
        scores[held] = part._score(Z[held])
    return scores
