"""Interpretation: confusion matrix, worst errors and report of a classifier."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from specauth._validation import (
    Interval,
    check_array_1d,
    check_choice,
    check_is_fitted,
    check_scalar,
)

__all__ = ["Interpretation"]

_NORMALIZE = ("true", "pred", "all")
_TINY = np.finfo(np.float64).tiny  # floor of a probability before its log
_POSITIVE = Interval(Integral, 1, None)


def _py(value):
    """Return ``value`` as a Python scalar when it is a numpy scalar."""
    return value.item() if isinstance(value, np.generic) else value


def _label_array(values, name):
    """Return labels as a new 1D array: str, numeric, or object when mixed."""
    arr = np.array(values, dtype=object)  # np.asarray would cast [1, "a"] to str
    if arr.ndim != 1:
        raise ValueError(
            f"`{name}` must be a 1D array of labels; got shape {arr.shape}."
        )
    if all(isinstance(v, str) for v in arr):
        return arr.astype(str) if arr.size else np.array([], dtype=str)
    if any(isinstance(v, str) for v in arr):
        return arr
    try:
        return np.array(arr.tolist())
    except (TypeError, ValueError):
        return arr


def _floats(values, name, n_samples):
    """One float per sample (a copy; NaN allowed)."""
    return check_array_1d(name, values, length=n_samples, min_length=0, finite=False)


def _n_rows(X, name):
    """Number of samples of an array-like, without converting it."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    if shape is None and hasattr(X, "__len__"):
        return len(X)
    raise TypeError(f"`{name}` must be an array-like of spectra; got {X!r:.60}.")


def _array_batches(X, y, batch_size):
    """Yield ``(X_batch, y_batch)`` slices of an array-like and its labels."""
    y = _label_array(y, "y")
    n_samples = _n_rows(X, "X")
    if n_samples != len(y):
        raise ValueError(
            "`X` and `y` must have the same number of samples; got "
            f"{n_samples} and {len(y)}."
        )
    rows = X.iloc if hasattr(X, "iloc") else X  # pandas: positional slicing
    for start in range(0, n_samples, batch_size):
        yield rows[start : start + batch_size], y[start : start + batch_size]


def _stream_batches(X):
    """Yield the ``(X_batch, y_batch)`` pairs of an iterable, checked."""
    if hasattr(X, "shape"):
        raise ValueError(
            "`y` is required when `X` is an array of spectra; to stream batches, "
            "pass `X` as an iterable of (X_batch, y_batch) pairs and y=None."
        )
    if not isinstance(X, Iterable):
        raise TypeError(
            "`X` must be an array-like of spectra (with `y`) or an iterable of "
            f"(X_batch, y_batch) pairs; got {type(X).__name__}."
        )
    for i, item in enumerate(X):
        try:
            X_batch, y_batch = item
        except (TypeError, ValueError) as err:
            raise ValueError(
                "With y=None, `X` must yield (X_batch, y_batch) pairs; batch "
                f"{i} is a {type(item).__name__} that is not a pair."
            ) from err
        y_batch = _label_array(y_batch, f"y of batch {i}")
        n_spectra = _n_rows(X_batch, f"X of batch {i}")
        if n_spectra != len(y_batch):
            raise ValueError(
                f"Batch {i} must hold as many spectra as labels; got "
                f"{n_spectra} spectra and {len(y_batch)} labels."
            )
        if len(y_batch):
            yield X_batch, y_batch


def _split_estimator(estimator):
    """Return ``(transform steps or None, final classifier, is_open_set)``."""
    from sklearn.pipeline import Pipeline

    from specauth.openset.classifier import OpenSetClassifier

    steps, final = None, estimator
    if isinstance(estimator, Pipeline):
        final = estimator[-1]
        steps = estimator[:-1] if len(estimator.steps) > 1 else None
    open_set = isinstance(final, OpenSetClassifier)
    if not open_set and not hasattr(final, "predict_proba"):
        raise TypeError(
            "`estimator` must be a fitted classifier with predict_proba (such as "
            "CNNClassifier), an OpenSetClassifier, or a Pipeline ending in one; "
            f"got {type(final).__name__}."
        )
    check_is_fitted(final)
    return steps, final, open_set


def _predict_batch(final, open_set, X, y, column_of):
    """Per-sample prediction, probabilities, loss and OOD score of one batch."""
    details = final.predict_details(X) if open_set else None
    proba = np.asarray(
        details.proba if open_set else final.predict_proba(X), dtype=np.float64
    )
    rows = np.arange(len(y))
    top = np.argmax(proba, axis=1)
    columns = np.array([column_of.get(_py(v), -1) for v in y], dtype=np.int64)
    if not open_set and (columns < 0).any():
        unseen = sorted({str(_py(v)) for v, c in zip(y, columns, strict=True) if c < 0})
        raise ValueError(
            f"`y` holds labels the classifier was never trained on: {unseen} "
            f"(its classes_ are {[_py(c) for c in final.classes_]}). Drop these "
            "samples, or use an OpenSetClassifier, which counts them as unknown."
        )
    proba_true = np.where(columns >= 0, proba[rows, np.maximum(columns, 0)], np.nan)
    out = {
        "y_true": y,
        "y_pred": final.classes_[top],
        "proba_true": proba_true,
        "proba_pred": proba[rows, top],
        "losses": -np.log(np.clip(proba_true, _TINY, None)),
    }
    if open_set:
        out.update(
            y_pred=details.labels,
            ood_scores=np.asarray(details.scores, dtype=np.float64),
        )
    return out


class Interpretation:
    """Where a fitted classifier goes wrong: confusions, worst losses, report.

    Built with :meth:`from_estimator`, which runs the classifier over the data
    in batches and keeps, per sample, only a few numbers: the true and the
    predicted label, the loss, the probabilities of the true and of the
    predicted class, the out-of-distribution score (open-set classifiers) and
    the sample's index. The spectra themselves are never stored, so data
    streamed from a generator or a file is never held whole; fetch the spectra
    of interest with ``X[result.indices]`` after :meth:`top_losses`.

    For an :class:`~specauth.openset.OpenSetClassifier` the predictions hold
    ``unknown_label`` for rejected spectra, the confusion matrix gains an
    unknown column and a row per never-trained class in ``y``, and the report
    an unknown row (see :func:`~specauth.openset.figures_of_merit`).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    classes : array-like of shape (n_classes,)
        The classes the classifier was trained on, in the order of its outputs.
    losses : array-like of shape (n_samples,)
        Cross-entropy of the true class; NaN where it is undefined.
    proba_true, proba_pred : array-like of shape (n_samples,)
        Probability given to the true class (NaN for a never-trained class)
        and to the most probable class.
    indices : array-like of int of shape (n_samples,), default=None
        Index of each sample in the data; ``None`` means ``0 .. n - 1``.
    ood_scores : array-like of shape (n_samples,), default=None
        Detector scores (higher = more in-distribution), open-set only.
    unknown_label : str or int, default=None
        The open-set rejection label; ``None`` for a closed-set classifier.

    Attributes
    ----------
    y_true, y_pred, losses, proba_true, proba_pred, indices, ood_scores, \
classes, unknown_label
        The parameters, as new numpy arrays (labels as str arrays when they
        are strings).

    See Also
    --------
    specauth.openset.figures_of_merit : open-set figures of merit.
    sklearn.metrics.classification_report : the report's computation.

    Notes
    -----
    The loss of a sample is ``-log(p)``, ``p`` the probability
    ``predict_proba`` gives its true class (floored at the smallest positive
    float64, so the loss is at most about 708). The predicted class is the
    most probable one (``argmax`` of ``predict_proba``, as
    ``CNNClassifier.predict``). For an open-set classifier, the loss and
    ``proba_true`` of a sample whose class the classifier never saw are NaN --
    no probability is given to a class it does not know -- so
    :meth:`top_losses` ranks known-class samples only; the never-trained
    samples it accepted are the most confused cells of :meth:`most_confused`,
    and ``ood_scores`` ranks them. ``proba_pred`` of a rejected sample is the
    probability of the class the detector overruled.

    Examples
    --------
    Any fitted classifier with ``predict_proba`` works; here a fast
    logistic regression stands in for a CNNClassifier:

    >>> from sklearn.linear_model import LogisticRegression
    >>> from specauth.datasets import make_spectra
    >>> from specauth.explain.interpretation import Interpretation
    >>> data = make_spectra(n_classes=3, n_samples_per_class=30, length=64,
    ...                     shared_peaks=4, n_peaks=1, counts=100,
    ...                     random_state=0)
    >>> clf = LogisticRegression(max_iter=1000).fit(data.X[:45], data.y[:45])
    >>> interp = Interpretation.from_estimator(clf, data.X[45:], data.y[45:])
    >>> interp.confusion_matrix().matrix
    array([[14,  1,  0],
           [ 6,  6,  0],
           [ 0,  0, 18]])
    >>> interp.most_confused()
    [('phase_1', 'phase_0', 6), ('phase_0', 'phase_1', 1)]
    >>> worst = interp.top_losses(k=2)
    >>> worst.indices, worst.actual, worst.predicted
    (array([41, 22]), array(['phase_1', 'phase_1'], dtype='<U7'),
     array(['phase_0', 'phase_0'], dtype='<U7'))
    >>> spectra = data.X[45:][worst.indices]  # the spectra to explain

    With a generator of ``(X_batch, y_batch)`` pairs nothing is held whole:

    >>> pairs = ((data.X[i:i + 10], data.y[i:i + 10]) for i in range(45, 90, 10))
    >>> len(Interpretation.from_estimator(clf, pairs))
    45
    """

    def __init__(
        self,
        y_true: Any,
        y_pred: Any,
        *,
        classes: Any,
        losses: Any,
        proba_true: Any,
        proba_pred: Any,
        indices: Any = None,
        ood_scores: Any = None,
        unknown_label: Any = None,
    ) -> None:
        self.y_true = _label_array(y_true, "y_true")
        self.y_pred = _label_array(y_pred, "y_pred")
        n_samples = len(self.y_true)
        if n_samples == 0 or len(self.y_pred) != n_samples:
            raise ValueError(
                "`y_true` and `y_pred` must hold the same number (>= 1) of labels; "
                f"got {n_samples} and {len(self.y_pred)}."
            )
        self.classes = _label_array(classes, "classes")
        self.unknown_label = _py(unknown_label)
        self.losses = _floats(losses, "losses", n_samples)
        self.proba_true = _floats(proba_true, "proba_true", n_samples)
        self.proba_pred = _floats(proba_pred, "proba_pred", n_samples)
        if indices is None:
            indices = np.arange(n_samples)
        self.indices = np.array(indices, dtype=np.int64)
        if self.indices.shape != (n_samples,):
            raise ValueError(
                f"`indices` must have shape ({n_samples},); got {self.indices.shape}."
            )
        self.ood_scores = (
            None if ood_scores is None else _floats(ood_scores, "ood_scores", n_samples)
        )
        self._check_labels()

    @classmethod
    def from_estimator(
        cls, estimator: Any, X: Any, y: Any = None, *, batch_size: int = 256
    ) -> Interpretation:
        """Run a fitted classifier over ``X`` in batches and interpret it.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~specauth.estimators.CNNClassifier` (or any
            classifier with ``classes_`` and ``predict_proba``), a fitted
            :class:`~specauth.openset.OpenSetClassifier`, or a fitted
            ``Pipeline`` ending in one (its transform steps run first).
        X : array-like of shape (n_samples, ...) or iterable of pairs
            Spectra, sliced ``batch_size`` at a time (numpy arrays, memmaps,
            h5py datasets and DataFrames are never copied whole); or, with
            ``y=None``, an iterable of ``(X_batch, y_batch)`` pairs such as a
            generator, consumed once.
        y : array-like of shape (n_samples,), default=None
            True labels of ``X``; ``None`` when ``X`` yields pairs. For an
            open-set classifier, labels outside its ``classes_`` are
            never-trained samples whose right answer is ``unknown_label``.
        batch_size : int, default=256
            Spectra per call to the estimator when ``X`` is an array-like.

        Returns
        -------
        interpretation : Interpretation

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the classifier is not fitted.
        ValueError
            If ``X`` is empty, ``X`` and ``y`` differ in length, or ``y``
            holds a class a closed-set classifier was not trained on.
        TypeError
            If ``estimator`` has no ``predict_proba``.
        """
        batch_size = check_scalar("batch_size", batch_size, _POSITIVE)
        steps, final, open_set = _split_estimator(estimator)
        column_of = {_py(c): j for j, c in enumerate(final.classes_)}
        batches = _stream_batches(X) if y is None else _array_batches(X, y, batch_size)
        parts: dict[str, list] = {}
        for X_batch, y_batch in batches:
            inputs = X_batch if steps is None else steps.transform(X_batch)
            result = _predict_batch(final, open_set, inputs, y_batch, column_of)
            for key, value in result.items():
                parts.setdefault(key, []).append(value)
        if not parts:
            raise ValueError("`X` must hold at least one sample; got none.")
        merged = {
            key: np.concatenate([np.asarray(v, dtype=object) for v in value])
            if key in ("y_true", "y_pred")  # object: never str-cast a mixed batch
            else np.concatenate(value)
            for key, value in parts.items()
        }
        unknown = final.unknown_label if open_set else None
        return cls(**merged, classes=final.classes_, unknown_label=unknown)

    # ----------------------------------------------------------- results
    def __len__(self) -> int:
        return len(self.y_true)

    def __repr__(self) -> str:
        kind = f"unknown_label={self.unknown_label!r}" if self._open_set else "closed"
        return (
            f"Interpretation(n_samples={len(self)}, n_classes={len(self.classes)}, "
            f"{kind})"
        )

    @property
    def _open_set(self):
        return self.unknown_label is not None

    def confusion_matrix(self, normalize: str | None = None) -> Bunch:
        """Counts of true class (row) against predicted class (column).

        Parameters
        ----------
        normalize : {"true", "pred", "all"} or None, default=None
            Divide by the row sums, the column sums or the total (an empty row
            or column stays 0), as in scikit-learn.

        Returns
        -------
        result : :class:`~sklearn.utils.Bunch`
            ``matrix`` (ndarray, int64 counts or float fractions), ``rows``
            and ``columns`` (lists of labels). Closed-set: both are
            ``classes``. Open-set: rows are the classes then the never-trained
            classes found in ``y_true``; columns the classes then
            ``unknown_label`` (from :func:`~specauth.openset.figures_of_merit`).
        """
        check_choice("normalize", normalize, _NORMALIZE, allow_none=True)
        if self._open_set:
            from specauth.openset.metrics import figures_of_merit

            fom = figures_of_merit(
                self.y_pred, self.y_true, self.classes, self.unknown_label
            )
            matrix, rows, columns = fom["confusion_matrix"], fom["rows"], fom["columns"]
        else:
            from sklearn.metrics import confusion_matrix

            matrix = confusion_matrix(self.y_true, self.y_pred, labels=self.classes)
            rows = columns = [_py(c) for c in self.classes]
        if normalize is not None:
            axis = {"true": 1, "pred": 0, "all": None}[normalize]
            totals = matrix.sum(axis=axis, keepdims=axis is not None)
            with np.errstate(invalid="ignore", divide="ignore"):
                matrix = np.nan_to_num(matrix / totals)
        return Bunch(matrix=matrix, rows=rows, columns=columns)

    def most_confused(self, min_count: int = 1) -> list[tuple[Any, Any, int]]:
        """The off-diagonal cells of the confusion matrix, largest first.

        Parameters
        ----------
        min_count : int, default=1
            Smallest count reported.

        Returns
        -------
        confusions : list of (actual, predicted, count)
            Sorted by decreasing count, then in matrix order. Open-set: a
            never-trained sample predicted ``unknown_label`` is right and not
            listed; a known one predicted ``unknown_label`` is.
        """
        min_count = check_scalar("min_count", min_count, _POSITIVE)
        cm = self.confusion_matrix()
        n_classes = len(self.classes)
        found = []
        for i, actual in enumerate(cm.rows):
            right = i if i < n_classes else n_classes  # never-trained: unknown
            for j, predicted in enumerate(cm.columns):
                count = int(cm.matrix[i, j])
                if j != right and count >= min_count:
                    found.append((actual, predicted, count))
        return sorted(found, key=lambda cell: -cell[2])

    def top_losses(self, k: int = 9) -> Bunch:
        """The ``k`` samples with the largest loss, largest first.

        Parameters
        ----------
        k : int, default=9
            How many; fewer are returned when fewer losses are defined
            (never-trained samples of an open-set classifier have none).

        Returns
        -------
        worst : :class:`~sklearn.utils.Bunch`
            ``indices`` (into the data passed to :meth:`from_estimator`),
            ``losses``, ``actual``, ``predicted``, ``proba_true`` and
            ``proba_pred``, each an array of length ``min(k, n_defined)``.
            Ties keep the data order.
        """
        k = check_scalar("k", k, _POSITIVE)
        defined = np.flatnonzero(~np.isnan(self.losses))
        order = np.argsort(-self.losses[defined], kind="stable")[:k]
        pick = defined[order]
        return Bunch(
            indices=self.indices[pick],
            losses=self.losses[pick],
            actual=self.y_true[pick],
            predicted=self.y_pred[pick],
            proba_true=self.proba_true[pick],
            proba_pred=self.proba_pred[pick],
        )

    def classification_report(
        self,
        *,
        digits: int = 2,
        output_dict: bool = False,
        zero_division: Any = "warn",
    ) -> str | dict:
        """Precision, recall and F1 per class, from scikit-learn.

        Parameters
        ----------
        digits : int, default=2
            Digits of the printed values.
        output_dict : bool, default=False
            Return a dict keyed by the class names (as ``str``) instead.
        zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
            Value of a ratio with a zero denominator, as in scikit-learn.

        Returns
        -------
        report : str or dict
            :func:`sklearn.metrics.classification_report`. Open-set: one more
            row, ``unknown_label``, whose support is the never-trained samples
            and whose precision is the share of rejected samples that were
            never-trained.
        """
        from sklearn.metrics import classification_report

        names = [_py(c) for c in self.classes]
        if self._open_set:
            names.append(self.unknown_label)
        code_of = {label: i for i, label in enumerate(names)}
        other = len(names) - 1  # never-trained true labels map to unknown
        true = [code_of.get(_py(v), other) for v in self.y_true]
        pred = [code_of[_py(v)] for v in self.y_pred]
        return classification_report(
            true,
            pred,
            labels=list(range(len(names))),
            target_names=[str(name) for name in names],
            digits=digits,
            output_dict=output_dict,
            zero_division=zero_division,
        )

    def _check_labels(self):
        """Refuse predictions (and closed-set truths) outside the classes."""
        allowed = {_py(c) for c in self.classes}
        if self._open_set:
            allowed.add(self.unknown_label)
        checks = [("y_pred", self.y_pred)]
        if not self._open_set:
            checks.append(("y_true", self.y_true))
        for name, labels in checks:
            bad = sorted({str(_py(v)) for v in labels if _py(v) not in allowed})
            if bad:
                raise ValueError(
                    f"`{name}` must hold only the classes {sorted(map(str, allowed))}"
                    f"; got {bad}."
                )
