"""BaseDetector: inputs, threshold and calibrated scores shared by every detector.

Every detector of :mod:`specauth.ood` derives from :class:`BaseDetector`,
which owns everything but the score itself: where the features or logits come
from (a fitted classifier or precomputed arrays), the rejection threshold, and
the scikit-learn outlier-detector methods. A subclass implements ``_score``
(and ``_fit`` when it learns something from the training inputs).
"""

from __future__ import annotations

import math
import warnings
from numbers import Real
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, clone

from specauth._state import FittedStateMixin
from specauth._validation import (
    Interval,
    check_is_fitted,
    check_params,
    check_spectra,
    validate_data,
)
from specauth.ood._crossfit import out_of_fold_scores

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike

__all__ = ["BaseDetector", "batched_call"]

_TRAIN_SCORES_RENAMED = (
    "`train_scores_` was renamed `calibration_scores_` in specauth 0.2 and will "
    "be removed in 0.3 (after `calibrate` it holds held-out scores, not "
    "training scores)."
)

MODEL_BATCH_SIZE = 1024
"""Rows passed to the classifier at a time when a detector has a ``model``."""

_METHODS = {"features": "transform", "logits": "logits", "members": "member_proba"}

_DetectorT = TypeVar("_DetectorT", bound="BaseDetector")


def batched_call(
    method: Callable[[np.ndarray], ArrayLike],
    X: ArrayLike,
    batch_size: int = MODEL_BATCH_SIZE,
) -> np.ndarray:
    """Call ``method`` on row blocks of ``X`` and concatenate the results.

    Parameters
    ----------
    method : callable
        A function of one array argument, e.g. ``model.transform``.
    X : array-like of shape (n_samples, ...)
        Inputs; only read.
    batch_size : int, default=1024
        Rows per call.

    Returns
    -------
    out : ndarray
        The outputs of all the calls, concatenated along the first axis.

    Examples
    --------
    >>> import numpy as np
    >>> batched_call(lambda block: block * 2, np.arange(5), batch_size=2)
    array([0, 2, 4, 6, 8])
    """
    X = np.asarray(X)
    if X.ndim == 0:
        raise ValueError(f"`X` must be an array of samples; got the scalar {X!r}.")
    n = X.shape[0]
    # An empty X still goes through ``method`` once so that it raises its error.
    parts = [
        np.asarray(method(X[start : start + batch_size]))
        for start in range(0, max(n, 1), batch_size)
    ]
    return np.concatenate(parts, axis=0)


#: Paragraphs that every detector's docstring shares, written once: a
#: subclass's docstring names them as ``%(name)s`` on a line of their own.
_DOC_BLOCKS = {
    "inputs_logits": (
        "Inputs: with ``model=None``, ``X`` is the logits array ``(n_samples,\n"
        "n_classes)``; with ``model=clf`` (a fitted ``CNNClassifier`` or any\n"
        "fitted object with ``logits(X)``), ``X`` holds spectra and the detector\n"
        "calls ``clf.logits`` in batches of 1024 rows, without modifying ``clf``."
    ),
    "inputs_features": (
        "Inputs: with ``model=None``, ``X`` is the embedding ``(n_samples,\n"
        "n_features)``; with ``model=clf`` (a fitted ``CNNClassifier`` or any\n"
        "fitted object with ``transform(X)``), ``X`` holds spectra and the\n"
        "detector calls ``clf.transform`` in batches of 1024 rows, without\n"
        "modifying ``clf``."
    ),
    "threshold_rule": (
        "The threshold is the same for every detector (see ``BaseDetector``): the\n"
        "``k = floor(alpha * n)`` lowest training scores are rejected and\n"
        "``threshold_`` lies halfway between the k-th and (k+1)-th lowest."
    ),
    "threshold_rule_cross_fit": (
        "The threshold follows the rule of every detector (see ``BaseDetector``):\n"
        "the ``k = floor(alpha * n)`` lowest training scores are rejected and\n"
        "``threshold_`` lies halfway between the k-th and (k+1)-th lowest. As the\n"
        "fit adapts to its training points, which would then score higher than\n"
        "new samples, those scores are **out-of-fold**: the training data are\n"
        "dealt round-robin (in order of class when ``y`` is given, so the folds\n"
        "are stratified) into 10 folds, and each fold is scored by a copy fitted\n"
        "on the 9 others (the final detector is fitted on all the data). So\n"
        "about ``alpha`` of *new* in-distribution samples are rejected, not just\n"
        "of the training data. No randomness: the same data give the same\n"
        "threshold. Below 4 training samples the in-sample scores are used."
    ),
    "model_logits": (
        "model : estimator or None, default=None\n"
        "    Fitted classifier providing the logits, or ``None`` when ``X`` is the\n"
        "    logits."
    ),
    "model_features": (
        "model : estimator or None, default=None\n"
        "    Fitted classifier providing the embedding, or ``None`` when ``X`` is\n"
        "    the embedding."
    ),
    "alpha": (
        "alpha : float, default=0.05\n"
        "    Fraction of the training data rejected, in (0, 1)."
    ),
    "threshold_attributes": (
        "threshold_ : float\n"
        "    Scores below it are out-of-distribution.\n"
        "offset_ : float\n"
        "    Same as ``threshold_``.\n"
        "calibration_scores_ : ndarray of shape (n_samples,)\n"
        "    Sorted scores the threshold was set on: the training scores after\n"
        "    ``fit`` (out-of-fold for the detectors that adapt to their training\n"
        "    points), the held-out scores after ``calibrate``."
    ),
}


def _fill_docstring(doc: str | None) -> str | None:
    """``doc`` with each ``%(name)s`` line replaced by its shared paragraph."""
    if doc is None:
        return None
    for key, block in _DOC_BLOCKS.items():
        doc = doc.replace(f"%({key})s", block.replace("\n", "\n    "))
    return doc


class BaseDetector(FittedStateMixin, OutlierMixin, BaseEstimator):
    """Base class of the out-of-distribution detectors; not used directly.

    A detector maps each sample to a score, **higher = more
    in-distribution**, and rejects the samples that score below a threshold
    set on the training data.

    **Inputs.** A detector scores either the classifier's *features* (the
    embedding, the input of its last Dense layer) or its *logits*; the class
    attribute ``input_kind`` says which. Two modes:

    - ``model=None``: ``X`` *is* the precomputed features or logits, a finite
      2D float array of shape ``(n_samples, n_features)``.
    - ``model=clf``, a fitted :class:`~specauth.estimators.CNNClassifier` (or
      any fitted object with ``transform(X)`` and ``logits(X)``): ``X`` holds
      the classifier's inputs (spectra) and the detector computes
      ``clf.transform(X)`` or ``clf.logits(X)`` itself, 1024 rows at a time.
      The model is only read, never refitted or modified, and
      :func:`sklearn.base.clone` keeps the same fitted model (it is treated as
      frozen).

    :meth:`score_inputs` scores precomputed features or logits in either mode.

    **Threshold.** The same rule for every detector: with the ``n`` training
    scores sorted in increasing order ``s[0] <= ... <= s[n-1]`` and ``k =
    floor(alpha * n)``, the ``k`` lowest are rejected and the threshold lies
    halfway across the gap that follows them, ``threshold_ = (s[k-1] +
    s[k]) / 2`` (for ``k = 0``, the same half gap below the lowest score,
    ``s[0] - (s[1] - s[0]) / 2``; ``k`` is at most ``n - 1``, however close
    ``alpha`` is to 1). A sample is an inlier iff its score is
    ``>= threshold_``, so exactly ``k`` of these scores are rejected (fewer
    only when they tie across the gap, ``s[k-1] == s[k]``).
    Putting the threshold between two training scores rather than on one
    keeps a training point from flipping side when it is scored again with
    rounding differences of a few ulps (another batch size, another BLAS
    path).

    The training scores are in-sample for the detectors whose fit does not
    depend on the training points (Energy, MaxSoftmax, MaxLogit: they only
    read the logits). A detector whose fit adapts to its training points
    would score them higher than new samples and reject far more than
    ``alpha`` of new data; it sets the threshold on scores that do not see
    the point they score: leave-one-out (KNNDetector, NNGuide) or out-of-fold
    (Mahalanobis, RMD, DIME, ViM: 10 folds, dealt round-robin in order of class,
    each scored by a copy of the detector fitted on the others). The
    final detector is still fitted on all the data, and the threshold is
    deterministic (no random folds). The scores the threshold was set on are
    kept in ``calibration_scores_`` so that :meth:`score_percentile` can turn
    any score into a calibrated, p-value-like number. :meth:`calibrate` sets the
    threshold again, by the same rule, on held-out samples.

    Parameters
    ----------
    model : estimator or None, default=None
        Fitted classifier computing the detector's inputs, or ``None`` when
        ``X`` is already the features or logits.
    alpha : float, default=0.05
        Fraction of the training data the threshold rejects, in (0, 1).

    Attributes
    ----------
    threshold_ : float
        Scores below it are out-of-distribution.
    offset_ : float
        Same as ``threshold_`` (the name scikit-learn's outlier detectors use).
    calibration_scores_ : ndarray of shape (n_samples,)
        Scores the threshold was set on, sorted increasingly (float64): the
        training scores after :meth:`fit`, the held-out scores after
        :meth:`calibrate`.
    train_scores_ : ndarray of shape (n_samples,)
        Deprecated alias of ``calibration_scores_`` (reading it emits a
        ``FutureWarning``); it will be removed in specauth 0.3.
    n_features_in_ : int
        Width of the features or logits seen in ``fit``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__doc__ = _fill_docstring(cls.__doc__)

    input_kind: str = "features"

    _parameter_constraints: dict[str, list[Any]] = {
        "alpha": [Interval(Real, 0, 1, closed="neither")]
    }

    def __init__(self, *, model: Any = None, alpha: float = 0.05) -> None:
        self.model = model
        self.alpha = alpha

    # --------------------------------------------------------------------- fit
    def fit(self: _DetectorT, X: ArrayLike, y: ArrayLike | None = None) -> _DetectorT:
        """Fit the detector and set its threshold on the training data ``X``.

        Parameters
        ----------
        X : array-like
            Features or logits of shape ``(n_samples, n_features)`` when
            ``model`` is None, else the inputs of ``model`` (spectra).
        y : array-like of shape (n_samples,), default=None
            Class labels; used by detectors that need them (Mahalanobis),
            ignored by the others.

        Returns
        -------
        self : BaseDetector
        """
        check_params(self)
        Z = self._inputs(X, reset=True)
        y = self._fit_targets(X, y, Z.shape[0])
        self._fit(Z, y)
        self._set_threshold(self._training_scores(Z, y))
        return self

    def _fit(self, Z, y):
        """Learn from the training inputs; stateless detectors need nothing."""

    def _fit_targets(self, X, y, n_samples):
        """Return the ``y`` that ``_fit`` receives; most detectors ignore it."""
        return y

    #: Whether the fit adapts to the training points, so that the threshold
    #: must come from out-of-fold scores (see ``_crossfit``).
    _cross_fit: bool = False

    def _training_scores(self, Z, y):
        """Scores the threshold is set on: in-sample, or out-of-fold."""
        if self._cross_fit:
            return out_of_fold_scores(self, Z, y, self._fold_overrides())
        return self._score(Z)

    def _fold_overrides(self):
        """Parameters the out-of-fold copies take from this fit (none here)."""
        return {}

    def calibrate(self: _DetectorT, X: ArrayLike) -> _DetectorT:
        """Reset the threshold from held-out in-distribution samples.

        ``fit`` sets ``threshold_`` from the scores of the data the detector
        learned from; those are optimistic (training embeddings sit closer to
        the model than new spectra do). ``calibrate`` keeps what was learned
        and applies the same rule -- reject ``floor(alpha * n)`` -- to the
        scores of ``X``, spectra of the known classes that were not used for
        training. ``calibration_scores_`` (the reference of
        :meth:`score_percentile`) becomes these scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            At least 2 held-out in-distribution samples (features or logits
            with ``model=None``, inputs of ``model`` otherwise).

        Returns
        -------
        self : detector

        Examples
        --------
        >>> import numpy as np
        >>> from specauth.ood import MaxLogit
        >>> det = MaxLogit(alpha=0.25).fit([[3.0, 0.0], [4.0, 0.0]])
        >>> det.calibrate([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [5.0, 0.0]])
        MaxLogit(alpha=0.25)
        >>> det.threshold_
        1.5
        """
        scores = self.score_samples(X)
        if scores.size < 2:
            raise ValueError(
                f"`X` must hold at least 2 samples to calibrate; got {scores.size}."
            )
        self._set_threshold(scores)
        return self

    def _set_threshold(self, scores):
        scores = np.sort(np.asarray(scores, dtype=np.float64))
        # floor(alpha * n), robust to rounding (alpha=0.29, n=100 gives 29).
        # At most n - 1, so that s[k] exists however close alpha is to 1.
        k = min(math.floor(self.alpha * scores.size + 1e-9), scores.size - 1)
        below = scores[k - 1] if k > 0 else scores[0] - (scores[1] - scores[0])
        self.calibration_scores_ = scores
        self.threshold_ = float(below + (scores[k] - below) / 2.0)
        self.offset_ = self.threshold_

    # ------------------------------------------------------------------ inputs
    def _inputs(self, X, *, reset):
        """Return the detector's 2D float64 inputs for ``X`` (see the class)."""
        if self.model is None:
            return validate_data(
                self,
                X,
                reset=reset,
                dtype=np.float64,
                ensure_min_samples=2 if reset else 1,
            )
        method = _METHODS[self.input_kind]
        Z = self._model_call(method, X)
        if np.ndim(Z) == 3:  # an ensemble's member probabilities, flattened
            Z = np.reshape(Z, (np.shape(Z)[0], -1))
        Z = check_spectra(
            Z,
            name=f"model.{method}(X)",
            min_samples=2 if reset else 1,
            dtype=np.float64,
        )
        if reset:
            self.n_features_in_ = Z.shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            self._check_width(Z, f"model.{method}(X)")
        return Z

    def _model_call(self, method_name, X):
        """Run ``model.<method_name>`` on ``X`` in batches, checking the model."""
        method = getattr(self.model, method_name, None)
        if not callable(method):
            raise TypeError(
                f"`model` must be a fitted classifier with a `{method_name}(X)` "
                f"method, such as a CNNClassifier; got {type(self.model).__name__}."
            )
        if hasattr(self.model, "fit"):
            check_is_fitted(self.model)
        from specauth.training.streams import is_stream

        if is_stream(X):  # an HDF5Dataset: the model reads it batch by batch
            return method(X)
        return batched_call(method, X)

    def _check_width(self, Z, name):
        if Z.shape[1] != self.n_features_in_:
            raise ValueError(
                f"`{name}` has {Z.shape[1]} features, but {type(self).__name__} "
                f"was fitted on {self.n_features_in_} features."
            )

    # ----------------------------------------------------------------- scoring
    def _score(self, Z: np.ndarray) -> np.ndarray:  # pragma: no cover
        # Every detector overrides it.
        raise NotImplementedError

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Return the score of each sample; higher = more in-distribution.

        Parameters
        ----------
        X : array-like
            Features or logits (``model=None``) or inputs of ``model``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self._score(self._inputs(X, reset=False))

    def score_inputs(self, Z: ArrayLike) -> np.ndarray:
        """Score precomputed features or logits, whether or not ``model`` is set.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features_in_)
            The features (``input_kind="features"``) or logits the detector
            works on, e.g. ``clf.transform(X)``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        Z = check_spectra(Z, name="Z", dtype=np.float64)
        self._check_width(Z, "Z")
        return self._score(Z)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Return ``score_samples(X) - threshold_``; negative = out-of-distribution.

        Parameters
        ----------
        X : array-like
            Features or logits (``model=None``) or inputs of ``model``.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.threshold_

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Return +1 for in-distribution samples and -1 for outliers.

        Parameters
        ----------
        X : array-like
            Features or logits (``model=None``) or inputs of ``model``.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            ``+1`` where the score is ``>= threshold_``, else ``-1``.
        """
        return np.where(self.accepts(self.score_samples(X)), 1, -1)

    def accepts(self, scores: ArrayLike) -> np.ndarray:
        """Return True where ``scores`` pass the threshold (in-distribution).

        The one acceptance rule of every detector, ``score - threshold_ >= 0``:
        :meth:`predict` applies it, and so does code that already holds the
        scores (an open-set classifier that reports them) instead of scoring
        the samples again.

        Parameters
        ----------
        scores : array-like of shape (n_samples,)
            Values of :meth:`score_samples`.

        Returns
        -------
        accepted : ndarray of shape (n_samples,), dtype bool

        Examples
        --------
        >>> import numpy as np
        >>> from specauth.ood import MaxLogit
        >>> det = MaxLogit(alpha=0.5).fit(np.array([[1.0], [2.0], [3.0], [4.0]]))
        >>> det.threshold_, det.accepts([2.0, 2.5, 3.0]).tolist()
        (2.5, [False, True, True])
        """
        check_is_fitted(self)
        return np.asarray(scores) - self.threshold_ >= 0

    def fit_predict(self, X: ArrayLike, y: ArrayLike | None = None) -> np.ndarray:
        """Fit on ``X`` (and ``y``, for detectors that use labels), then predict.

        Parameters
        ----------
        X : array-like
            Features or logits (``model=None``) or inputs of ``model``.
        y : array-like of shape (n_samples,), default=None
            Class labels, passed on to :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            ``+1`` for inliers, ``-1`` for the rejected training samples.
        """
        return self.fit(X, y).predict(X)

    def score_percentile(self, X: ArrayLike) -> np.ndarray:
        """Return the fraction of training scores ``<=`` each sample's score.

        A calibrated, p-value-like output in [0, 1]: about ``alpha`` of the
        training data falls below ``alpha``; a value near 0 means the sample
        scores lower than nearly every training sample.

        Parameters
        ----------
        X : array-like
            Features or logits (``model=None``) or inputs of ``model``.

        Returns
        -------
        percentiles : ndarray of shape (n_samples,)
        """
        scores = self.score_samples(X)
        ranks = np.searchsorted(self.calibration_scores_, scores, side="right")
        return ranks / self.calibration_scores_.size

    # ------------------------------------------------------- deprecated names
    @property
    def train_scores_(self) -> np.ndarray:
        """Deprecated alias of ``calibration_scores_`` (removed in 0.3)."""
        scores = self.calibration_scores_  # AttributeError while unfitted
        warnings.warn(
            _TRAIN_SCORES_RENAMED + " Read `calibration_scores_` instead.",
            FutureWarning,
            stacklevel=2,
        )
        return scores

    def set_fitted_state(self: _DetectorT, state: dict[str, Any]) -> _DetectorT:
        """Restore a saved fitted state (from :meth:`get_fitted_state`); return self.

        State saved before the rename holds ``train_scores_``; it is restored
        as ``calibration_scores_``.
        """
        return super().set_fitted_state(_renamed_state(state))

    def __setstate__(self, state):
        # Pickled before the rename: ``train_scores_`` is ``calibration_scores_``.
        super().__setstate__(_renamed_state(state))

    # ------------------------------------------------------------ scikit-learn
    def __sklearn_clone__(self):
        # The model is a fitted, frozen input provider: keep it, do not refit.
        params = self.get_params(deep=False)
        model = params.pop("model")
        params = {key: clone(value, safe=False) for key, value in params.items()}
        return type(self)(model=model, **params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = self.model is not None
        return tags


def _renamed_state(state):
    """``state`` with a ``train_scores_`` saved before the rename renamed."""
    if "train_scores_" not in state:
        return state
    state = dict(state)
    legacy = state.pop("train_scores_")
    state.setdefault("calibration_scores_", legacy)
    return state
