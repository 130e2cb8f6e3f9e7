"""Score an open-set classifier's rejection of unknowns, for ``GridSearchCV``.

- :func:`make_openset_scorer` -- a scorer of TEFF, TSNS, TSPS, ACC (from
  :func:`~specauth.openset.figures_of_merit`) or AUROC (known against
  unknown, from :func:`~specauth.openset.ood_metrics`) for
  ``GridSearchCV(..., scoring=...)``. Test labels outside the estimator's
  ``classes_`` are the unknowns: with
  :class:`~specauth.openset.LeaveClassesOut`, the held-out classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._validation import check_choice
from specauth.openset.detection_metrics import ood_metrics
from specauth.openset.metrics import figures_of_merit

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["make_openset_scorer"]

#: Metrics :func:`make_openset_scorer` offers (all: higher is better).
SCORER_METRICS = ("TEFF", "TSNS", "TSPS", "ACC", "AUROC")

# Which test samples each metric is defined on: known, pseudo-unknown or both.
_NEEDS_KNOWN = {"TEFF", "TSNS", "AUROC"}
_NEEDS_UNKNOWN = {"TEFF", "TSPS", "AUROC"}


def make_openset_scorer(metric: str = "TEFF") -> _OpenSetScorer:
    """Return a scorer of an open-set figure of merit, for ``GridSearchCV``.

    The scorer is a callable ``scorer(estimator, X, y) -> float`` (higher is
    better) for a fitted open-set classifier -- an
    :class:`~specauth.openset.OpenSetClassifier`, or a ``Pipeline`` ending
    in one. Test labels that are not in the estimator's ``classes_`` are
    *unknowns*: with :class:`LeaveClassesOut`, the held-out classes.

    Parameters
    ----------
    metric : {"TEFF", "TSNS", "TSPS", "ACC", "AUROC"}, default="TEFF"
        ``"TEFF"``, ``"TSNS"``, ``"TSPS"`` and ``"ACC"`` are computed by
        :func:`~specauth.openset.figures_of_merit` from ``estimator.predict``
        (with ``estimator.unknown_label``). ``"AUROC"`` is computed by
        :func:`~specauth.openset.ood_metrics` from
        ``estimator.score_samples``, known samples against unknown ones: it
        does not depend on the detector's threshold (``alpha``).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` returns the metric as a float.

    Raises
    ------
    ValueError
        If ``metric`` is not one of the names above (``TypeError`` if it is
        not a str). The scorer raises a ``ValueError`` when ``y`` is None, or
        when the test samples lack what the metric is defined on: known ones
        (for TEFF, TSNS and AUROC) or unknown ones (for TEFF, TSPS and
        AUROC).

    See Also
    --------
    LeaveClassesOut : The splitter that puts unknowns in every test fold.
    specauth.openset.figures_of_merit : The figures of merit.

    Notes
    -----
    TEFF needs both kinds of sample although
    :func:`~specauth.openset.figures_of_merit` falls back to TSNS without
    unknowns: a TEFF that cannot see rejections would rank detectors as a
    closed-set score does. In ``GridSearchCV`` a scorer that raises gives
    ``error_score`` (NaN, with a warning, by default) for that fold, and
    stops the search with ``error_score="raise"``.

    Examples
    --------
    A fitted open-set classifier, mocked here, trained on classes ``"a"`` and
    ``"b"`` and tested on ``"c"`` too:

    >>> import numpy as np
    >>> from specauth.openset import make_openset_scorer
    >>> class Fitted:
    ...     classes_ = np.array(["a", "b"])
    ...     unknown_label = "unknown"
    ...     def predict(self, X):
    ...         return np.array(["a", "unknown", "unknown", "b"])
    ...     def score_samples(self, X):
    ...         return np.array([0.9, 0.8, 0.1, 0.85])
    >>> y = ["a", "b", "c", "c"]
    >>> make_openset_scorer("TSPS")(Fitted(), None, y)
    0.5
    >>> make_openset_scorer("AUROC")(Fitted(), None, y)
    0.75

    In a grid search, several scorers at once:

    >>> scoring = {m: make_openset_scorer(m) for m in ("TEFF", "AUROC")}
    >>> scoring["TEFF"]
    make_openset_scorer('TEFF')

    then ``GridSearchCV(osc, grid, cv=LeaveClassesOut(), scoring=scoring,
    refit="TEFF")``.
    """
    return _OpenSetScorer(check_choice("metric", metric, SCORER_METRICS))


class _OpenSetScorer:
    """What :func:`make_openset_scorer` returns (picklable, unlike a closure)."""

    def __init__(self, metric: str) -> None:
        self.metric = metric

    def __repr__(self) -> str:
        return f"make_openset_scorer({self.metric!r})"

    def __call__(self, estimator: Any, X: ArrayLike, y: ArrayLike | None) -> float:
        classes, unknown_label = _open_set_attributes(estimator)
        if y is None:
            raise ValueError(
                f"The {self.metric!r} scorer needs the true labels `y`; got None."
            )
        labels = np.asarray(y)
        self._check_fold(np.isin(labels, classes), classes, labels)
        if self.metric == "AUROC":
            scores = np.asarray(estimator.score_samples(X), dtype=float)
            known = np.isin(labels, classes)
            return float(ood_metrics(scores[known], scores[~known])["AUROC"])
        fom = figures_of_merit(
            estimator.predict(X),
            labels,
            known_classes=classes,
            unknown_label=unknown_label,
        )
        return float(fom[self.metric])

    def _check_fold(self, known, classes, labels):
        if self.metric in _NEEDS_UNKNOWN and known.all():
            raise ValueError(
                f"The {self.metric!r} scorer needs test samples of classes the "
                f"estimator was not trained on; every test label is in its "
                f"classes_={classes.tolist()}. Use cv=LeaveClassesOut() so each "
                "test fold holds held-out classes."
            )
        if self.metric in _NEEDS_KNOWN and not known.any():
            raise ValueError(
                f"The {self.metric!r} scorer needs test samples of the classes "
                f"the estimator was trained on ({classes.tolist()}); the test "
                f"labels are only {np.unique(labels).tolist()}."
            )


def _open_set_attributes(estimator):
    """``(classes_, unknown_label)`` of a fitted open-set classifier or pipeline."""
    final = estimator
    while hasattr(final, "steps"):  # a Pipeline: its last step decides
        final = final.steps[-1][1]
    try:
        classes = np.asarray(estimator.classes_)
        unknown_label = final.unknown_label
    except AttributeError as err:
        raise TypeError(
            "An open-set scorer needs a fitted open-set classifier (with "
            "`classes_`, `unknown_label`, `predict` and `score_samples`, such as "
            f"OpenSetClassifier); got {type(estimator).__name__}: {err}."
        ) from err
    return classes, unknown_label
