"""OpenSetClassifier: a classifier that answers "unknown" for unseen classes."""

from __future__ import annotations

import warnings
from numbers import Real
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.metaestimators import available_if

from specauth._axis_checks import check_frame_axis, record_axis
from specauth._state import FittedStateMixin
from specauth._validation import Interval, Options, check_is_fitted, check_params
from specauth.axis import axis_of_frame
from specauth.estimators.classifier import check_class_labels
from specauth.openset import _outputs as outputs
from specauth.openset._cache import cached_fit
from specauth.training.streams import is_stream

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["OpenSetClassifier"]

_METRICS = ("TEFF", "TSNS", "TSPS", "ACC")
_CALIBRATE_ON = {"train", "holdout"}
_DEPRECATED = "deprecated"
_LOGIT_SOURCES = {"head", "decision_function", "predict_proba"}


class OpenSetPrediction(NamedTuple):
    """What :meth:`OpenSetClassifier.predict_details` returns."""

    labels: np.ndarray
    proba: np.ndarray | None
    scores: np.ndarray
    accepted: np.ndarray


def _training_outputs(classifier: Any, X: ArrayLike) -> np.ndarray:
    """What the cache keeps of a fit: the embedding, else the logits."""
    if outputs.capabilities(classifier).embedding:
        return outputs.embedding(classifier, X)
    return outputs.logits(classifier, X)


def _needs(detector: Any) -> tuple[str, bool]:
    """The input a detector reads and whether it needs the linear head."""
    params = detector.get_params()
    return detector.input_kind, "weight" in params and "bias" in params


def _softmax_of_head(classifier: Any, linear: Any) -> bool:
    """Whether the classifier's probabilities are the softmax of its head.

    True for the specauth networks (``head_weights`` and ``predict_proba``):
    their probabilities are then computed from logits already at hand.
    """
    return (
        linear is not None
        and callable(getattr(classifier, "head_weights", None))
        and callable(getattr(classifier, "predict_proba", None))
    )


def _classifier_has_proba(osc: Any) -> bool:
    """``predict_proba`` is offered when the classifier has one."""
    classifier = osc.classifier
    return classifier is None or callable(getattr(classifier, "predict_proba", None))


class OpenSetClassifier(FittedStateMixin, ClassifierMixin, BaseEstimator):
    """Classify into the known classes, or answer ``unknown_label``.

    ``fit`` trains a clone of ``classifier`` on the known-class samples, embeds
    them once (the input of the network's last Dense layer) and fits a clone
    of ``detector`` on that embedding -- or on the logits computed from it,
    for logit-based detectors -- with the same labels. ``predict`` returns the
    classifier's label where the detector accepts the sample and
    ``unknown_label`` where it rejects it. The detector's ``alpha`` is the
    fraction of training spectra it is allowed to reject, so a threshold is
    set from training data alone.

    Parameters
    ----------
    classifier : estimator, default=None
        An (unfitted) scikit-learn classifier. ``None`` uses
        ``CNNClassifier()``. It is cloned, never fitted in place. Any
        classifier works whose outputs the detector can read: an embedding
        for the feature detectors (its ``transform``, as
        :class:`~specauth.estimators.CNNClassifier` and
        :class:`~specauth.estimators.PLSDAClassifier` have, or the output of
        the steps of a ``Pipeline`` before its final classifier), class scores
        for the logit detectors (a network's logits, ``decision_function``,
        or the log of ``predict_proba``), and for ViM and the other detectors
        with ``weight`` and ``bias`` a last linear layer from the embedding to
        the class scores (``head_weights()``, or a Pipeline's final linear
        classifier's ``coef_`` and ``intercept_``, checked on the training
        data). A detector that cannot be served is refused with a
        ``TypeError`` saying what is missing, before anything is trained when
        that can be known.
    detector : detector, default=None
        A :mod:`specauth.ood` detector instance (its ``model`` must be
        ``None``: it receives precomputed embeddings or logits). ``None``
        uses ``KNNDetector()``, the best detector of the open-set benchmark
        (``benchmarks/pgaa_openset.py``: AUROC 1.0 on PGAA and on synthetic
        spectra).
    unknown_label : str or int, default="unknown"
        Label predicted for rejected samples; must not be a training label.
    known_classes : array-like, default=None
        Classes to train on; each must be a class of ``y`` (a class that is
        not is an error, not silently dropped). Samples of other classes in
        ``y`` are left out of training (they are "never-trained" classes for
        :meth:`score`). ``None`` trains on every class in ``y``.
    calibrate_on : {"train", "holdout"}, default="train"
        Data the detector's threshold is calibrated on (the detector always
        learns from the embedding of the spectra the classifier was trained
        on). ``"train"``: those same training spectra (embedded once and
        reused). ``"holdout"``: a stratified ``holdout_fraction`` of the
        known-class spectra is kept out of the classifier's training, and the
        detector's threshold is set on them
        (:meth:`~specauth.ood.DIME.calibrate`), so it reflects unseen spectra
        (training embeddings are tighter than test ones, which makes
        distance-based detectors reject more known test spectra than
        ``alpha``).
    holdout_fraction : float, default=0.25
        Fraction held out with ``calibrate_on="holdout"``.
    score_metric : {"TEFF", "TSNS", "TSPS", "ACC"}, default="TEFF"
        Figure of merit returned by :meth:`score` (see
        :func:`~specauth.openset.figures_of_merit`).
    cache : bool, default=True
        Reuse a classifier already fitted, in this process, with identical
        parameters on identical data (see :mod:`specauth.openset._cache`). A
        grid search over detector parameters alone then trains one network
        per fold instead of one per parameter combination. Only seeded
        classifiers are reused (``random_state=None`` always trains); a
        builder passed as ``model`` is recognised by identity and code, so a
        builder redefined in a notebook trains a new network. Each
        OpenSetClassifier gets its own copy of a reused classifier.
    refit_detector_on : {"train", "holdout"}
        Deprecated alias of ``calibrate_on`` (it refits nothing). When given,
        it overrides ``calibrate_on`` and :meth:`fit` emits a
        ``FutureWarning``. It will be removed in specauth 0.3.

    Attributes
    ----------
    classifier_ : estimator
        The fitted classifier (on a cache hit, an independent copy of the
        cached one: never shared with another OpenSetClassifier).
    detector_ : detector
        The fitted detector.
    classes_ : ndarray of shape (n_known_classes,)
        The known classes.
    n_features_in_ : int
        Points per spectrum.
    logits_from_ : {"head", "decision_function", "predict_proba"} or None
        Where the class scores come from: the linear head applied to the
        embedding, the classifier's ``decision_function``, the log of its
        ``predict_proba``, or nowhere (feature detectors only).

    See Also
    --------
    specauth.openset.figures_of_merit : TEFF, TSNS, TSPS and per-class scores.
    specauth.ood.KNNDetector : the default detector.

    Examples
    --------
    >>> from specauth.datasets import make_spectra
    >>> from specauth.estimators import CNNClassifier
    >>> from specauth.ood import KNNDetector
    >>> data = make_spectra(n_classes=3, n_samples_per_class=20, length=128,
    ...                     n_unknown_classes=1, random_state=0)
    >>> osc = OpenSetClassifier(
    ...     CNNClassifier("cnn1d_small", epochs=5, learning_rate=1e-2,
    ...                   random_state=0),
    ...     KNNDetector(alpha=0.05),
    ... ).fit(data.X, data.y)
    >>> pred = osc.predict(data.X_unknown)
    >>> bool((pred == "unknown").mean() > 0.5)
    True
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "classifier": [object, None],
        "detector": [object, None],
        "unknown_label": [str, int, np.integer],
        "known_classes": ["array-like", None],
        "calibrate_on": [Options(str, _CALIBRATE_ON)],
        "refit_detector_on": [Options(str, _CALIBRATE_ON)],
        "holdout_fraction": [Interval(Real, 0, 1, closed="neither")],
        "score_metric": [Options(str, set(_METRICS))],
        "cache": ["boolean"],
    }

    def __init__(
        self,
        classifier: Any = None,
        detector: Any = None,
        *,
        unknown_label: str | int | np.integer = "unknown",
        known_classes: ArrayLike | None = None,
        calibrate_on: str = "train",
        holdout_fraction: float = 0.25,
        score_metric: str = "TEFF",
        cache: bool = True,
        refit_detector_on: str = _DEPRECATED,
    ) -> None:
        self.classifier = classifier
        self.detector = detector
        self.unknown_label = unknown_label
        self.known_classes = known_classes
        self.calibrate_on = calibrate_on
        self.holdout_fraction = holdout_fraction
        self.score_metric = score_metric
        self.cache = cache
        self.refit_detector_on = refit_detector_on

    # ------------------------------------------------------------------ fit
    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> OpenSetClassifier:
        """Fit the classifier on the known classes, then the detector.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points), or HDF5Dataset
            Training spectra (or patterns). A stream of batches -- an
            :class:`~specauth.datasets.HDF5Dataset` with labels -- trains a
            specauth network on it block by block, then fits the detector on
            the network's embedding (or logits) of the stream's rows: the
            patterns are never loaded whole; the embedding (a few hundred
            numbers per pattern) is held in memory.
        y : array-like of shape (n_samples,)
            Labels, all of one type (strings or numbers; no None or NaN). With
            ``known_classes``, samples of other classes are not used. For a
            stream: None (its own labels) or one label per row of its file.

        Returns
        -------
        self : OpenSetClassifier
        """
        calibrate_on = self._check_params()
        if is_stream(X):
            return self._fit_stream(X, y, calibrate_on)
        frame_axis = axis_of_frame(X)
        X_known, y_known = self._known_samples(X, y)
        X_fit, y_fit, X_det, y_det = self._split_for_detector(
            X_known, y_known, calibrate_on
        )
        detector = self._make_detector()
        classifier = self._make_classifier(detector)
        classifier, trained, _ = cached_fit(
            classifier, X_fit, y_fit, featurize=_training_outputs, enabled=self.cache
        )
        self.classifier_ = classifier
        self.classes_ = classifier.classes_
        self.n_features_in_ = classifier.n_features_in_
        self._record_axis(frame_axis)
        features = trained if outputs.capabilities(classifier).embedding else None
        self.logits_from_ = self._logits_source(features, X_fit)
        self.detector_ = self._with_head(self._with_members(detector))
        self.detector_.fit(self._detector_inputs(X_fit, features, trained), y_fit)
        if X_det is not None:
            self.detector_.calibrate(self._detector_inputs(X_det))
        return self

    def _record_axis(self, frame_axis):
        """``axis_`` from the classifier's ``axis`` or the columns of ``X``.

        The classifier saw an array; it is given the frame's axis too, so that
        it refuses spectra on another axis however it is reached.
        """
        classifier = self.classifier_
        if getattr(classifier, "axis_", None) is None and frame_axis is not None:
            if len(frame_axis) == self.n_features_in_:
                record_axis(classifier, frame_axis, self.n_features_in_)
        record_axis(self, getattr(classifier, "axis_", None), self.n_features_in_)

    def _fit_stream(self, stream, y, calibrate_on):
        """:meth:`fit` on an HDF5Dataset: network on the stream, detector on
        its embedding (see :mod:`specauth.openset._streams`)."""
        from specauth.openset._streams import (
            check_stream_classifier,
            check_stream_detector,
        )
        from specauth.training.streams import labelled_stream

        stream, labels = labelled_stream(
            stream,
            y,
            owner="OpenSetClassifier.fit",
            needed=("labels_", "rows_", "subset", "with_labels", "row_order"),
        )
        check_class_labels(labels)
        mask = self._known_mask(labels)
        rows, labels = stream.rows_[mask], labels[mask]
        fit_rows, _, det_rows, _ = self._split_for_detector(rows, labels, calibrate_on)
        detector = self._make_detector()
        check_stream_detector(detector)
        classifier = self._make_classifier(detector)
        check_stream_classifier(classifier)
        classifier.fit(stream.subset(fit_rows))
        self.classifier_ = classifier
        self.classes_ = classifier.classes_
        self.n_features_in_ = classifier.n_features_in_
        self._record_axis(None)
        ordered = stream.subset(fit_rows, shuffle=False)
        y_fit = np.asarray(stream.labels_)[ordered.row_order()]
        features = None
        if outputs.capabilities(classifier).embedding:
            features = outputs.embedding(classifier, ordered)
        self.logits_from_ = self._logits_source(features, None)
        self.detector_ = self._with_head(self._with_members(detector))
        self.detector_.fit(self._detector_inputs(ordered, features), y_fit)
        if det_rows is not None:
            held_out = stream.subset(det_rows, shuffle=False)
            self.detector_.calibrate(self._detector_inputs(held_out))
        return self

    def _logits_source(self, features, X_fit):
        """Where logits come from (see ``_outputs``), the head checked on data."""
        if features is not None and outputs.head(self.classifier_, features, X_fit):
            return "head"
        return outputs.capabilities(self.classifier_).logits

    def _check_params(self):
        """Validate the parameters; return the effective ``calibrate_on``.

        The deprecated ``refit_detector_on``, when given, wins over
        ``calibrate_on`` (with a ``FutureWarning``).
        """
        params = self.get_params(deep=False)
        legacy = params.pop("refit_detector_on")
        if isinstance(legacy, str) and legacy == _DEPRECATED:
            check_params(self, params)
            return self.calibrate_on
        warnings.warn(
            "`refit_detector_on` was renamed `calibrate_on` in specauth 0.2 and "
            "will be removed in 0.3 (it chooses the data the detector's "
            "threshold is calibrated on; it refits nothing). Pass "
            f"`calibrate_on={legacy!r}` instead.",
            FutureWarning,
            stacklevel=3,
        )
        check_params(self, {**params, "refit_detector_on": legacy})
        return legacy

    def _split_for_detector(self, X, y, calibrate_on):
        """Return ``(X_clf, y_clf, X_det, y_det)``; detector part None for "train"."""
        if calibrate_on == "train":
            return X, y, None, None
        from sklearn.model_selection import train_test_split

        try:
            X_a, X_b, y_a, y_b = train_test_split(
                X, y, test_size=self.holdout_fraction, stratify=y, random_state=0
            )
        except ValueError as err:
            raise ValueError(
                f"`holdout_fraction={self.holdout_fraction}` cannot hold out a "
                f"stratified set from {len(y)} known-class spectra: {err}"
            ) from err
        return X_a, y_a, X_b, y_b

    def _known_samples(self, X, y):
        X = _check_X(X)
        if y is None:
            raise ValueError(
                "OpenSetClassifier requires y to be passed, but the target y is None."
            )
        check_class_labels(y)
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"`y` must be 1D; got shape {y.shape}.")
        if len(X) != len(y):
            raise ValueError(
                f"`X` and `y` have inconsistent numbers of samples: {len(X)} and "
                f"{len(y)}."
            )
        mask = self._known_mask(y)
        return X[mask], y[mask]

    def _known_mask(self, y):
        """Which samples of ``y`` belong to a known class (at least 2 of them)."""
        known = self._known_classes(y)
        if any(_same(label, self.unknown_label) for label in known.tolist()):
            raise ValueError(
                f"`unknown_label={self.unknown_label!r}` is also a training class; "
                "choose an `unknown_label` that no training label uses."
            )
        mask = np.isin(y, known)
        found = np.unique(y[mask])
        if found.size < 2:
            raise ValueError(
                "`y` must hold at least 2 known classes to train an open-set "
                f"classifier; got {found.tolist()}."
            )
        return mask

    def _known_classes(self, y):
        """``known_classes`` (all of them in ``y``), or the classes of ``y``."""
        present = np.unique(y)
        if self.known_classes is None:
            return present
        check_class_labels(self.known_classes, name="known_classes")
        known = np.asarray(self.known_classes)
        absent = [c for c in known.ravel().tolist() if not np.isin(c, present)]
        if absent:
            raise ValueError(
                f"`known_classes` has classes {absent} that are not in `y`; the "
                f"classes of `y` are {present.tolist()}."
            )
        return known

    def _make_classifier(self, detector):
        """A clone of ``classifier``, checked against what ``detector`` reads."""
        if self.classifier is None:
            from specauth.estimators import CNNClassifier

            return CNNClassifier()
        name = type(self.classifier).__name__
        if not callable(getattr(self.classifier, "fit", None)) or not callable(
            getattr(self.classifier, "predict", None)
        ):
            raise TypeError(
                "`classifier` must be a scikit-learn classifier with fit and "
                f"predict (such as CNNClassifier or PLSDAClassifier); got {name}."
            )
        caps = outputs.capabilities(self.classifier)
        kind, _ = _needs(detector)
        detector_name = type(detector).__name__
        if kind == "patterns":  # it reads the inputs themselves (TemplateMatcher)
            return clone(self.classifier)
        if kind == "members":
            if not callable(getattr(self.classifier, "member_proba", None)):
                raise TypeError(
                    f"{detector_name} reads the members of an ensemble, and "
                    f"`classifier` ({name}) has no `member_proba`: wrap it in "
                    "specauth.estimators.EnsembleClassifier."
                )
            return clone(self.classifier)
        if kind == "features" and not caps.embedding:
            raise TypeError(
                f"{detector_name} reads an embedding, and `classifier` ({name}) "
                "has none: it needs a `transform` method, or must be a Pipeline "
                "whose steps before the final classifier transform the inputs. "
                "Use a logit detector (Energy, MaxSoftmax) or wrap the "
                "classifier in such a Pipeline."
            )
        if kind == "logits" and caps.logits is None:
            raise TypeError(
                f"{detector_name} reads class scores, and `classifier` ({name}) "
                "has neither `decision_function` nor `predict_proba`."
            )
        if caps.logits == "predict_proba" and detector_name in outputs.SCALE_DETECTORS:
            raise TypeError(
                f"{detector_name} reads the scale of the logits, and `classifier` "
                f"({name}) gives only probabilities (`predict_proba`): their "
                "log-sum-exp is 0 for every sample, so it would accept "
                "everything. Use MaxSoftmax, or a classifier with "
                "`decision_function`."
            )
        return clone(self.classifier)

    def _make_detector(self):
        if self.detector is None:
            from specauth.ood import KNNDetector

            return KNNDetector()
        if not hasattr(self.detector, "input_kind"):
            raise TypeError(
                "`detector` must be a specauth.ood detector instance; got "
                f"{type(self.detector).__name__}."
            )
        detector = clone(self.detector)
        if detector.get_params().get("model") is not None:
            raise ValueError(
                "`detector.model` must be None inside OpenSetClassifier: the "
                "detector receives the classifier's embedding (or logits, or the "
                "patterns themselves) directly."
            )
        return detector

    def _with_members(self, detector):
        """``detector`` told the ensemble's size, if it reads its members."""
        params = detector.get_params()
        if "n_members" in params and params["n_members"] is None:
            detector.set_params(n_members=self.classifier_.n_estimators)
        return detector

    def _with_head(self, detector):
        """``detector`` given the classifier's linear head, if it takes one."""
        if not _needs(detector)[1]:
            return detector
        linear = self._linear_head()
        if linear is None:
            raise TypeError(
                f"{type(detector).__name__} needs the classifier's last linear "
                f"layer, and {type(self.classifier_).__name__} has none that "
                "maps its embedding to its class scores: a specauth network or "
                "PLSDAClassifier (`head_weights()`), or a Pipeline ending in a "
                "linear classifier (`coef_`, `intercept_`), has one."
            )
        weight, bias = linear
        return detector.set_params(weight=weight, bias=bias)

    def _linear_head(self):
        if getattr(self, "logits_from_", "head") != "head":
            return None
        return outputs.head(self.classifier_, check=False)

    def _detector_inputs(self, X, features=None, trained=None):
        """Embedding or logits of ``X``, whichever the detector reads.

        ``features`` is the embedding of ``X`` when already computed;
        ``trained`` what the cache holds for it (the logits when the
        classifier has no embedding).
        """
        if self.detector_.input_kind == "patterns":
            return X if is_stream(X) else np.asarray(X)
        if self.detector_.input_kind == "members":
            check_is_fitted(self, "detector_")
            proba = np.asarray(self.classifier_.member_proba(X), dtype=np.float64)
            return proba.reshape(proba.shape[0], -1)
        if self.detector_.input_kind != "logits":
            return self._features(X) if features is None else features
        if features is None and trained is not None:
            return trained  # no embedding: the cache holds the logits
        return self._logits(X, features)

    # ------------------------------------------------------------- predict
    def _features(self, X):
        check_is_fitted(self, "detector_")
        check_frame_axis(self, X)
        return outputs.embedding(self.classifier_, X)

    def _logits(self, X, features=None):
        linear = self._linear_head()
        if linear is not None and features is None:
            features = self._features(X)
        return outputs.logits(
            self.classifier_, X, features=features, linear_head=linear
        )

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Detector score of each spectrum (higher = more like the known classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "detector_")
        return self.detector_.score_samples(self._detector_inputs(X))

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Detector score minus its threshold (negative = rejected as unknown)."""
        check_is_fitted(self, "detector_")
        return self.detector_.decision_function(self._detector_inputs(X))

    @available_if(_classifier_has_proba)
    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Probabilities of the known classes (columns follow ``classes_``).

        They do not include the unknown answer: use :meth:`predict` or
        :meth:`score_samples` for that. Available when the classifier gives
        probabilities (``predict_proba``, or a specauth network's softmax).
        """
        check_is_fitted(self, "detector_")
        if _softmax_of_head(self.classifier_, self._linear_head()):
            return softmax(self._logits(X), axis=1)
        return np.asarray(self.classifier_.predict_proba(X), dtype=np.float64)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Return a known class label, or ``unknown_label``, for each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self.predict_details(X).labels

    def predict_details(self, X: ArrayLike) -> OpenSetPrediction:
        """Labels, probabilities and detector scores from one pass over ``X``.

        The spectra are embedded once; the labels are what :meth:`predict`
        returns, the probabilities what :meth:`predict_proba` returns and the
        scores what :meth:`score_samples` returns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)

        Returns
        -------
        prediction : OpenSetPrediction
            A named tuple ``(labels, proba, scores, accepted)``: a known class
            or ``unknown_label`` per spectrum, the known-class probabilities
            (n_samples, n_classes; None when the classifier gives none, as
            PLS-DA does), the detector scores (higher = more like
            the known classes) and whether the detector accepted each
            spectrum.
        """
        check_is_fitted(self, "detector_")
        linear = self._linear_head()
        kind = self.detector_.input_kind
        features = None
        if linear is not None or kind == "features":
            features = self._features(X)
        logits = None
        if linear is not None or kind == "logits":
            logits = self._logits(X, features)
        inputs = {"logits": logits, "features": features}.get(kind)
        if kind == "patterns":
            inputs = X if is_stream(X) else np.asarray(X)
        mean_proba = None
        if inputs is None:  # an ensemble's members, read once for all three
            inputs = self._detector_inputs(X)
            n_members = self.detector_.n_members_
            mean_proba = inputs.reshape(len(inputs), n_members, -1).mean(axis=1)
        scores = np.asarray(self.detector_.score_samples(inputs))
        accepted = self.detector_.accepts(scores)
        if linear is not None and logits is not None:
            labels = self.classes_[np.argmax(logits, axis=1)]
        elif mean_proba is not None:  # EnsembleClassifier.predict
            labels = self.classes_[np.argmax(mean_proba, axis=1)]
        else:
            labels = np.asarray(self.classifier_.predict(X))
        if mean_proba is not None:  # EnsembleClassifier.predict_proba
            proba = mean_proba
        elif logits is not None and _softmax_of_head(self.classifier_, linear):
            proba = softmax(logits, axis=1)
        elif callable(getattr(self.classifier_, "predict_proba", None)):
            proba = np.asarray(self.classifier_.predict_proba(X), dtype=np.float64)
        else:
            proba = None
        return OpenSetPrediction(
            labels=_with_unknown(labels, accepted, self.unknown_label),
            proba=proba,
            scores=scores,
            accepted=accepted,
        )

    def score(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Return the figure of merit named by ``score_metric`` on ``(X, y)``.

        ``y`` may hold classes never seen in training: rejecting them counts as
        correct.
        """
        from specauth.openset.metrics import figures_of_merit

        if sample_weight is not None:
            raise ValueError("`sample_weight` is not supported by score().")
        result = figures_of_merit(
            self.predict(X),
            np.asarray(y),
            known_classes=self.classes_,
            unknown_label=self.unknown_label,
        )
        value = result[self.score_metric]
        return float(value)

    def set_fitted_state(self, state: dict[str, Any]) -> OpenSetClassifier:
        """Restore a saved fitted state (from :meth:`get_fitted_state`); return self.

        ``classifier_`` and ``detector_`` must be estimators of the class of
        the parameters they were cloned from (any estimator where the
        parameter is None); a ``ValueError`` says which is not.
        """
        source = state.get("logits_from_")
        if source is not None and source not in _LOGIT_SOURCES:
            raise ValueError(
                f"fitted attribute 'logits_from_' of {type(self).__name__} must be "
                f"one of {sorted(_LOGIT_SOURCES)} or None; got {source!r}."
            )
        for key in ("classifier_", "detector_"):
            if key not in state:
                continue
            template = getattr(self, key[:-1])
            expected = type(template) if isinstance(template, BaseEstimator) else None
            if not isinstance(state[key], expected or BaseEstimator):
                what = f"a {expected.__name__}" if expected else "an estimator"
                raise ValueError(
                    f"fitted attribute {key!r} of {type(self).__name__} must be "
                    f"{what}; got {type(state[key]).__name__}."
                )
        return super().set_fitted_state(state)

    def __setstate__(self, state):
        # Pickled before ``calibrate_on`` existed: ``refit_detector_on`` held it.
        if "calibrate_on" not in state and "refit_detector_on" in state:
            state = dict(state)
            state["calibrate_on"] = state.pop("refit_detector_on")
            state["refit_detector_on"] = _DEPRECATED
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = True
        return tags


def _check_X(X):
    """``X`` as a numpy array, with clear errors for None, sparse and scalars."""
    import scipy.sparse

    if X is None:
        raise TypeError(
            "`X` must be an array-like of spectra of shape (n_samples, n_points); "
            "got None."
        )
    if scipy.sparse.issparse(X):
        raise TypeError(
            "OpenSetClassifier does not support sparse input `X`; got a "
            f"{type(X).__name__} of shape {X.shape}. Pass a dense array, e.g. "
            "`X.toarray()`."
        )
    X = X.to_numpy() if hasattr(X, "iloc") else np.asarray(X)
    if X.ndim == 0:
        raise ValueError(
            "`X` must be an array-like of spectra of shape (n_samples, n_points); "
            f"got a scalar {X!r}."
        )
    return X


def _same(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _with_unknown(labels, accepted, unknown_label):
    """Replace rejected labels by ``unknown_label`` in a fitting dtype."""
    if accepted.all():
        return labels
    out = labels.astype(object)
    out[~accepted] = unknown_label
    if labels.dtype.kind in "US" and isinstance(unknown_label, str):
        return np.asarray(out.tolist(), dtype=str)
    if labels.dtype.kind in "iu" and isinstance(unknown_label, (int, np.integer)):
        return out.astype(labels.dtype)
    return out
