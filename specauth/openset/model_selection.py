"""Tune an open-set classifier without unknowns: leave classes out, score rejection.

A grid search over :class:`~specauth.openset.OpenSetClassifier` parameters
with an ordinary splitter tests every candidate on the classes it was trained
on, so it cannot see how well a detector rejects spectra of classes it never
saw. The leave-class-out protocol makes such spectra from the known ones:

- :class:`LeaveClassesOut` -- a cross-validation splitter that holds whole
  classes out of each training part and puts all their samples in the test
  part, as *pseudo-unknowns*;
- :func:`make_openset_scorer` -- a scorer of TEFF, TSNS, TSPS, ACC (from
  :func:`~specauth.openset.figures_of_merit`) or AUROC (known against
  pseudo-unknown, from :func:`~specauth.openset.ood_metrics`) for
  ``GridSearchCV(..., scoring=...)``; defined in
  :mod:`specauth.openset.scoring` and importable from here too.
"""

from __future__ import annotations

import itertools
import math
import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_consistent_length

from specauth._validation import Interval, check_random_state_value, check_scalar
from specauth.estimators.classifier import check_class_labels

# The scorers were defined here before scoring.py: importing them keeps
# ``from specauth.openset.model_selection import ...`` (and scorers pickled
# then) working.
from specauth.openset.scoring import (  # noqa: F401
    SCORER_METRICS,
    _OpenSetScorer,
    make_openset_scorer,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from numpy.typing import ArrayLike

__all__ = ["LeaveClassesOut", "make_openset_scorer"]


class LeaveClassesOut(BaseCrossValidator):
    """Cross-validation that holds whole classes out as pseudo-unknowns.

    Each split chooses ``n_unknown`` classes of ``y`` to hold out. The
    training part is a stratified ``1 - test_size`` of the samples of the
    other classes; the test part is the rest of their samples plus **every**
    sample of the held-out classes. A model fitted on the training part never
    sees the held-out classes, so on the test part it meets both known
    spectra and spectra of classes it never saw, and an open-set scorer
    (:func:`make_openset_scorer`) can measure how well it rejects the latter.

    Parameters
    ----------
    n_unknown : int, default=1
        Number of classes held out in each split. ``y`` must hold at least
        ``n_unknown + 2`` classes, so that every training part has two.
    n_splits : int, default=None
        ``None`` makes one split per combination of ``n_unknown`` classes, in
        the order of :func:`itertools.combinations` over the sorted classes.
        An int makes that many splits from distinct combinations drawn at
        random (with many classes, the number of combinations grows fast).
    test_size : float, default=0.25
        Fraction of the samples of each remaining class put in the test part:
        ``round(test_size * n)`` of a class of ``n`` samples, at least one and
        at most ``n - 1`` (so each class needs two samples).
    random_state : int, RandomState instance or None, default=None
        Draws the held-out combinations (with ``n_splits``) and the
        stratified parts. An int gives the same splits at every call of
        :meth:`split`; ``None`` gives new ones.

    See Also
    --------
    make_openset_scorer : Scorers to use with this splitter.
    sklearn.model_selection.LeavePGroupsOut : Leaves groups out, without a
        training/test split of the other groups.

    Notes
    -----
    ``groups`` is ignored (with a warning when given). Every label of ``y``
    is treated as a class that may be held out, so pass only known-class
    spectra, and leave ``known_classes`` of an
    :class:`~specauth.openset.OpenSetClassifier` at ``None``: each training
    part holds only some of the classes. After a grid search, the refit
    trains on every class.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.openset import LeaveClassesOut
    >>> y = np.repeat(["a", "b", "c", "d"], 4)
    >>> X = np.zeros((len(y), 10))
    >>> cv = LeaveClassesOut(n_unknown=1, test_size=0.25, random_state=0)
    >>> cv.get_n_splits(X, y)
    4
    >>> for train, test in cv.split(X, y):
    ...     held_out = np.setdiff1d(y[test], y[train]).tolist()
    ...     print(np.unique(y[train]).tolist(), held_out, len(train), len(test))
    ['b', 'c', 'd'] ['a'] 9 7
    ['a', 'c', 'd'] ['b'] 9 7
    ['a', 'b', 'd'] ['c'] 9 7
    ['a', 'b', 'c'] ['d'] 9 7

    Two random pairs of held-out classes:

    >>> cv = LeaveClassesOut(n_unknown=2, n_splits=2, random_state=0)
    >>> [np.setdiff1d(y[test], y[train]).tolist() for train, test in cv.split(X, y)]
    [['c', 'd'], ['a', 'c']]
    """

    def __init__(
        self,
        n_unknown: int = 1,
        *,
        n_splits: int | None = None,
        test_size: float = 0.25,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        check_scalar("n_unknown", n_unknown, Interval(Integral, 1, None))
        check_scalar("n_splits", n_splits, Interval(Integral, 1, None), allow_none=True)
        check_scalar("test_size", test_size, Interval(Real, 0, 1, closed="neither"))
        check_random_state_value("random_state", random_state)
        self.n_unknown = n_unknown
        self.n_splits = n_splits
        self.test_size = test_size
        self.random_state = random_state

    def get_n_splits(
        self, X: object = None, y: ArrayLike | None = None, groups: object = None
    ) -> int:
        """Return the number of splits.

        Parameters
        ----------
        X : object, default=None
            Ignored.
        y : array-like of shape (n_samples,), default=None
            Class labels. Needed when ``n_splits`` is None (the number of
            combinations of classes); when given, it is checked as in
            :meth:`split`.
        groups : object, default=None
            Ignored.

        Returns
        -------
        n_splits : int
        """
        if y is None:
            if self.n_splits is None:
                raise ValueError(
                    "LeaveClassesOut.get_n_splits needs the class labels `y` when "
                    "`n_splits` is None (one split per combination of classes); "
                    "got y=None."
                )
            return int(self.n_splits)
        _, n_classes = self._check_y(y)
        return self._n_splits_for(n_classes)

    def split(
        self, X: ArrayLike, y: ArrayLike | None = None, groups: object = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Generate training and test indices, holding classes out of training.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Data; only its length is used (it must match ``y``).
        y : array-like of shape (n_samples,)
            Class labels (required).
        groups : object, default=None
            Ignored (a ``UserWarning`` says so when it is given).

        Yields
        ------
        train : ndarray of int
            Sorted training indices: no sample of a held-out class.
        test : ndarray of int
            Sorted test indices: the other samples, among them every sample
            of the held-out classes.
        """
        if groups is not None:
            warnings.warn(
                "The `groups` parameter is ignored by LeaveClassesOut: it holds "
                "out classes of `y`.",
                UserWarning,
                stacklevel=2,
            )
        codes, n_classes = self._check_y(y)
        if X is not None:
            check_consistent_length(X, codes)
        n_splits = self._n_splits_for(n_classes)
        rng = check_random_state(self.random_state)
        held_out = self._held_out_sets(n_classes, n_splits, rng)
        return self._iter_splits(codes, n_classes, held_out, rng)

    def _iter_splits(self, codes, n_classes, held_out, rng):
        for classes in held_out:
            yield self._one_split(codes, n_classes, classes, rng)

    def _one_split(self, codes, n_classes, held_out, rng):
        """Training and test indices with the classes ``held_out`` left out."""
        test = np.isin(codes, held_out)
        for code in range(n_classes):
            if code in held_out:
                continue
            members = np.flatnonzero(codes == code)
            n_test = int(np.floor(self.test_size * members.size + 0.5))
            n_test = min(max(n_test, 1), members.size - 1)
            test[rng.choice(members, size=n_test, replace=False)] = True
        return np.flatnonzero(~test), np.flatnonzero(test)

    def _held_out_sets(
        self, n_classes: int, n_splits: int, rng: np.random.RandomState
    ) -> list[tuple[int, ...]]:
        """The combinations of class codes to hold out, one per split."""
        every = itertools.combinations(range(n_classes), self.n_unknown)
        if self.n_splits is None:
            return list(every)
        if 2 * n_splits >= math.comb(n_classes, self.n_unknown):
            combos = list(every)
            picks = rng.choice(len(combos), size=n_splits, replace=False)
            return [combos[i] for i in picks]
        # Rejection sampling: each draw is new with probability >= 1/2.
        drawn: dict[tuple[int, ...], None] = {}
        while len(drawn) < n_splits:
            codes = rng.choice(n_classes, size=self.n_unknown, replace=False)
            drawn.setdefault(tuple(sorted(codes.tolist())), None)
        return list(drawn)

    def _n_splits_for(self, n_classes):
        total = math.comb(n_classes, self.n_unknown)
        if self.n_splits is None:
            return total
        if self.n_splits > total:
            raise ValueError(
                f"`n_splits` must be at most the number of combinations of "
                f"n_unknown={self.n_unknown} of the {n_classes} classes, "
                f"{total}; got n_splits={self.n_splits}. Lower `n_splits`, or pass "
                "n_splits=None for every combination."
            )
        return int(self.n_splits)

    def _check_y(self, y):
        """Return ``(codes, n_classes)``: ``y`` as class codes 0..n_classes-1."""
        if y is None:
            raise ValueError(
                "LeaveClassesOut needs the class labels `y` to hold classes out; "
                "got y=None. Pass y to split(X, y) (GridSearchCV and "
                "cross_val_score do)."
            )
        check_class_labels(y)
        labels = np.asarray(y)
        if labels.ndim != 1:
            raise ValueError(f"`y` must be 1D; got an array of shape {labels.shape}.")
        classes, codes, counts = np.unique(
            labels, return_inverse=True, return_counts=True
        )
        if classes.size < self.n_unknown + 2:
            raise ValueError(
                f"LeaveClassesOut(n_unknown={self.n_unknown}) needs at least "
                f"n_unknown + 2 = {self.n_unknown + 2} classes in `y` (two to "
                f"train on); got {classes.size}: {classes.tolist()}."
            )
        if counts.min() < 2:
            rare = classes[counts < 2].tolist()
            raise ValueError(
                "Every class of `y` needs at least 2 samples (one to train on, one "
                f"to test on); classes {rare} have 1."
            )
        return codes.ravel(), int(classes.size)
