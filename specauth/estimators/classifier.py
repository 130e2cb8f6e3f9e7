"""CNNClassifier: a scikit-learn classifier around a Keras network."""

from __future__ import annotations

from numbers import Number, Real
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse
from scipy.special import softmax
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from specauth._validation import Interval, Options, check_is_fitted, check_scalar
from specauth.estimators._base import BaseCNNEstimator
from specauth.estimators._routing import route

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike

__all__ = ["CNNClassifier", "check_class_labels", "check_class_weight"]

_WEIGHT = Interval(Real, 0, None, closed="neither")
_LABEL_KINDS = {str: "strings", bytes: "bytes", Number: "numbers"}


def _label_kind(value):
    for kind, name in _LABEL_KINDS.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _is_missing(value):
    return value is None or (isinstance(value, Real) and value != value)


def check_class_labels(y: ArrayLike, *, name: str = "y") -> None:
    """Raise a ``ValueError`` if class labels are missing or of mixed types.

    Labels may be of any one type (strings, numbers, ...). ``None`` or NaN
    labels, and strings mixed with numbers (which cannot be sorted, or which
    numpy would silently turn into strings), are refused with a message naming
    ``name``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    name : str, default="y"
        Argument name used in the message.

    Raises
    ------
    ValueError
        If a label is None or NaN, or the labels mix types.

    Examples
    --------
    >>> check_class_labels(["setosa", "versicolor"])
    >>> check_class_labels(["setosa", 2])
    Traceback (most recent call last):
    ...
    ValueError: `y` mixes label types: strings (e.g. 'setosa') and numbers (e.g. \
2); use one type for every label, e.g. `np.asarray(y, dtype=str)`.
    """
    if isinstance(y, np.ndarray) and y.dtype != object:
        if y.dtype.kind not in "fc":
            return
        values = y.ravel()
        missing = np.flatnonzero(np.isnan(values))
    else:
        try:
            values = np.asarray(y, dtype=object).ravel()
        except (TypeError, ValueError):  # ragged input: reported by validation
            return
        flags = [_is_missing(v) for v in values.tolist()]
        missing = np.flatnonzero(np.asarray(flags, dtype=bool))
    if len(missing):
        raise ValueError(
            f"`{name}` has missing labels (None or NaN) at "
            f"{np.asarray(missing)[:10].tolist()}; every sample needs a class label."
        )
    examples: dict[str, Any] = {}
    for value in values.tolist():
        examples.setdefault(_label_kind(value), value)
    if len(examples) > 1:
        kinds = " and ".join(f"{k} (e.g. {v!r})" for k, v in examples.items())
        raise ValueError(
            f"`{name}` mixes label types: {kinds}; use one type for every label, "
            f"e.g. `np.asarray({name}, dtype=str)`."
        )


def check_class_weight(
    class_weight: Any, classes: ArrayLike, *, name: str = "class_weight"
) -> dict[int, float]:
    """Check a dict of class weights; return it keyed by output index.

    Parameters
    ----------
    class_weight : dict
        ``{class: weight}``; every key must be one of ``classes`` and every
        weight a finite number > 0. Classes left out weigh 1.
    classes : array-like of shape (n_classes,)
        The classes, in the order of the network's outputs.
    name : str, default="class_weight"
        Argument name used in the messages (``"fit__class_weight"`` for the
        weights passed to ``Model.fit``, keyed by output index).

    Returns
    -------
    weights : dict of int to float
        Output index -> weight, for every class.

    Raises
    ------
    TypeError
        If ``class_weight`` is not a dict or a weight is not a number.
    ValueError
        If a key is not a class, or a weight is NaN, infinite or <= 0.

    Examples
    --------
    >>> check_class_weight({"b": 2}, ["a", "b"])
    {0: 1.0, 1: 2.0}
    >>> check_class_weight({"b": -2}, ["a", "b"])
    Traceback (most recent call last):
    ...
    ValueError: `class_weight['b']` must be a finite number in (0, inf); got -2.
    """
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"`{name}` must be a dict {{class: weight}}, 'balanced' or None; got "
            f"{class_weight!r} of type {type(class_weight).__name__}."
        )
    labels = np.asarray(classes).tolist()
    unknown = [key for key in class_weight if key not in set(labels)]
    if unknown:
        raise ValueError(
            f"`{name}` has keys {unknown} that are not classes of `y`; valid keys "
            f"are {labels}."
        )
    for key, weight in class_weight.items():
        check_scalar(f"{name}[{key!r}]", weight, _WEIGHT, finite=True)
    return {i: float(class_weight.get(label, 1.0)) for i, label in enumerate(labels)}


class CNNClassifier(ClassifierMixin, BaseCNNEstimator):
    """Convolutional-network classifier for spectra, with a scikit-learn API.

    ``CNNClassifier()`` with no arguments trains a 1D CNN whose depth adapts to
    the spectrum length (tens to tens of thousands of points) with a one-cycle
    learning-rate schedule -- a good default for small labelled data sets. It
    drops into ``Pipeline`` and ``GridSearchCV``; open-ended options of the
    network, optimizer, schedule, ``Model.fit`` and the learning-rate finder
    are set with routed parameters (``model__filters=(8, 16)``,
    ``optimizer__weight_decay=1e-4``, ``schedule__pct_start=0.3``,
    ``fit__shuffle=False``, ``lr_find__num_it=50``).

    Parameters
    ----------
    model : str or callable, default="cnn1d"
        A registered network name (see :func:`specauth.models.list_models`) or a
        builder ``f(input_shape, n_classes, *, seed, **options) -> keras.Model``
        whose last layer is ``Dense(n_classes)`` producing logits. The names of
        :func:`specauth.models.list_bases` (``"mobilenetv2"``,
        ``"efficientnetb0"``, ...) build a :class:`specauth.models.CNNFactory`
        network on a pretrained ``keras.applications`` base: with
        ``model__imaging="gasf"`` it takes raw spectra and images them inside
        the network; without, it takes images ``(n, height, width, channels)``.
        Their options (``model__weights``, ``model__image_size``,
        ``model__preprocessing``, ...) are those of ``CNNFactory``; an instance
        ``CNNFactory(...)`` works as ``model`` too.
    epochs : int or "auto", default="auto"
        Passes over the training data. ``"auto"`` trains long enough for the
        data set: at least 60 epochs and at least 1000 optimizer steps
        (:func:`specauth.training.auto_epochs`), so that 30 spectra in one
        batch get 1000 steps rather than 60. The number used is
        ``epochs_``.
    batch_size : int, default=32
        Mini-batch size.
    learning_rate : float or "find", default=3e-3
        Peak learning rate of the schedule. ``"find"`` runs
        :func:`specauth.training.lr_find` on the freshly built network and uses
        its ``valley`` suggestion (the finder's result is kept in
        ``lr_finder_``).
    optimizer : str, keras optimizer class or instance, default="adam"
        ``"adam"``, ``"adamw"``, ``"sgd"``, ``"rmsprop"``, ``"nadam"``,
        ``"radam"`` (:class:`specauth.training.RAdam`) or ``"ranger"``
        (:class:`specauth.training.Lookahead` around ``RAdam``; its
        ``optimizer__k`` and ``optimizer__alpha`` go to Lookahead); an
        instance is copied from its config, never trained in place.
    schedule : {"one_cycle", "clr", "constant"} or None, default="one_cycle"
        Learning-rate schedule, updated every batch: one-cycle (warm-up then
        cosine annealing, with momentum cycling), triangular cyclical learning
        rate, or a constant rate.
    validation_fraction : float or None, default=None
        Fraction of the training data held out (stratified) to report
        ``val_loss`` and ``val_accuracy`` in ``history_``.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, keyed by the original labels.
    fine_tune_epochs : int, default=0
        For a network on a pretrained base: after ``epochs`` of training with
        the base frozen, unfreeze it (BatchNorm stays frozen and in inference
        mode) and train this many more epochs with a one-cycle schedule and
        discriminative learning rates (fastai's ``fine_tune``): the head peaks
        at ``fine_tune__learning_rate`` (default ``learning_rate / 2``, at
        most 1e-3) and the base's earliest unfrozen layer ``lr_mult`` times
        lower. Options: ``fine_tune__unfreeze`` ("all" or the number of top
        weighted layers), ``fine_tune__lr_mult`` (100),
        ``fine_tune__learning_rate``, ``fine_tune__pct_start`` (0.3); they are
        checked before any training. See :func:`specauth.training.fine_tune`.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the weight initialisation, shuffling and dropout. The same int
        gives the same predictions on the CPU. The caller's Python and numpy
        global random states are left as they were.
    verbose : int, default=0
        0: silent; 1: one progress bar over the epochs; 2: one line per epoch.
    axis : SpectralAxis or array-like of shape (n_points,), default=None
        The physical axis of the spectra (energy, wavenumber ...; see
        :class:`specauth.axis.SpectralAxis`) when ``X`` is an array. A pandas
        DataFrame whose column labels are the axis values (and whose
        ``columns.name`` is e.g. ``"wavenumber (cm-1)"``) gives it without
        this parameter. The axis is kept (``axis_``), saved with the model,
        used to label explanations, and checked at predict time: a
        DataFrame on another axis is refused (resample it with
        :class:`specauth.preprocessing.AxisResampler`).
    augmentation : str, keras layer, list of them or None, default=None
        Training-only augmentation put before the network (and used by
        :func:`specauth.estimators.tta`): a preset -- ``"spectra"`` (any
        spectra: sub-point shift, intensity factor, baseline offset and
        slope, noise), ``"counts"`` (gamma-ray and XRD counts: shift,
        intensity, Poisson noise), ``"nir"``/``"absorbance"`` (scatter and
        path-length offsets and slopes, small shift), ``"patterns"`` (2D
        diffraction patterns: any rotation, flips, shifts, intensity) -- or
        Keras layers that augment only when ``training`` (see
        :class:`~specauth.models.layers.SpectrumAugmentation`), or a list.
        None: no augmentation. Presets are in
        :func:`specauth.preprocessing.augmentation_preset`; routed
        ``augmentation__shift=2``, ``augmentation__noise=0`` ... change a
        preset's strengths (those of ``SpectrumAugmentation``, or of
        ``PatternAugmentation`` for ``"patterns"``).
    mixup : float, default=0.0
        ``alpha`` of mixup (Zhang et al., 2018): each training batch mixes
        every spectrum with another, ``lam * x_i + (1 - lam) * x_j``, and
        their one-hot targets alike, with ``lam ~ Beta(alpha, alpha)`` drawn
        per spectrum (see :class:`~specauth.training.MixupBatches`).
        0.2-0.4 is typical; 0 (the default) turns it off. With mixup the loss
        is categorical cross-entropy on one-hot targets, ``class_weight``
        weighs each mixed spectrum by the mix of its two classes' weights,
        and ``history_["accuracy"]`` is measured on the mixed batches.
        Validation data, the learning-rate finder and ``predict`` see
        unmixed spectra. Not available when ``X`` is a stream (HDF5Dataset).
    dtype_policy : {"mixed_float16", "mixed_bfloat16", "float32"} or None, \
default=None
        Keras dtype policy the network is built under. The mixed policies
        keep the weights in float32 and compute in 16 bits -- faster and
        lighter on GPUs with tensor cores (``"mixed_bfloat16"`` on TPUs and
        recent GPUs and CPUs) -- while the last layer computes in float32
        (:func:`specauth.models.float32_head`), so logits, probabilities,
        the loss and detector scores stay float32; with ``"mixed_float16"``
        Keras scales the loss. None: Keras's global policy (float32 unless
        changed with ``keras.config.set_dtype_policy``). On a CPU the mixed
        policies are slower: use them on accelerators.
    **routed
        Parameters prefixed with ``model__``, ``optimizer__``, ``schedule__``,
        ``fit__``, ``lr_find__``, ``fine_tune__`` or ``augmentation__``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the network's outputs.
    network_ : keras.Model
        The trained network (outputs logits).
    history_ : dict of list
        Per-epoch loss and metrics (``val_...`` with a validation set), ``lr``
        per epoch, and ``lr_per_batch``; with ``fine_tune_epochs``, both
        phases one after the other and ``phase`` ("head" or "fine_tune") per
        epoch.
    learning_rate_ : float
        Learning rate actually used (the finder's suggestion with ``"find"``).
    epochs_ : int
        Epochs of the training phase (``epochs``, or what ``"auto"`` chose);
        a settling phase or ``fine_tune_epochs`` may follow in ``history_``.
    input_shape_ : tuple
        Shape of one sample as the network sees it, e.g. ``(n_points, 1)``.
    n_features_in_ : int
        Number of points per spectrum seen in ``fit``.
    axis_ : SpectralAxis or None
        The axis of the training spectra (from ``axis`` or the columns of a
        DataFrame), or None.
    feature_names_in_ : ndarray of shape ``(n_features_in_,)``
        The axis values as strings; only when an axis is known (or ``X``
        was a DataFrame with string column names).

    See Also
    --------
    specauth.training.lr_find : learning-rate finder.
    specauth.models.cnn1d : the default network.

    Examples
    --------
    >>> from specauth.datasets import make_spectra
    >>> from specauth.estimators import CNNClassifier
    >>> data = make_spectra(n_classes=3, n_samples_per_class=20, length=128,
    ...                     random_state=0)
    >>> clf = CNNClassifier("cnn1d_small", epochs=5, random_state=0)
    >>> clf.fit(data.X, data.y).predict(data.X[:2]).shape
    (2,)
    >>> clf.predict_proba(data.X[:2]).sum(axis=1).round(3)
    array([1., 1.])

    The 2D path: a MobileNetV2 base on Gramian angular fields computed inside
    the network (``model__weights`` takes ``"imagenet"`` or a weights file;
    None here to stay offline; not run as a doctest to keep the suite fast,
    ``tests/estimators/test_classifier_2d.py`` trains it):

    >>> clf2d = CNNClassifier("mobilenetv2", epochs=2, random_state=0,
    ...                       model__imaging="gasf", model__image_size=32,
    ...                       model__weights=None,
    ...                       model__base_options={"alpha": 0.35})
    >>> clf2d.fit(data.X, data.y).predict(data.X[:2]).shape  # doctest: +SKIP
    (2,)
    """

    _parameter_constraints = {
        **BaseCNNEstimator._parameter_constraints,
        "class_weight": [dict, Options(str, {"balanced"}), None],
    }

    def __init__(
        self,
        model: str | Callable[..., Any] = "cnn1d",
        *,
        epochs: int | str = "auto",
        batch_size: int = 32,
        learning_rate: float | str = 3e-3,
        optimizer: Any = "adam",
        schedule: str | None = "one_cycle",
        validation_fraction: float | None = None,
        class_weight: dict[Any, float] | str | None = None,
        fine_tune_epochs: int = 0,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        verbose: int | bool = 0,
        axis: Any = None,
        augmentation: Any = None,
        mixup: float = 0.0,
        dtype_policy: str | None = None,
        **routed: Any,
    ) -> None:
        super().__init__(
            model,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            schedule=schedule,
            validation_fraction=validation_fraction,
            fine_tune_epochs=fine_tune_epochs,
            random_state=random_state,
            verbose=verbose,
            axis=axis,
            augmentation=augmentation,
            mixup=mixup,
            dtype_policy=dtype_policy,
            **routed,
        )
        self.class_weight = class_weight

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> CNNClassifier:
        """Train a new network on spectra ``X`` with labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points) or (n_samples, n_points, \
n_channels), or HDF5Dataset
            Training spectra (finite values); or a
            :class:`specauth.datasets.HDF5Dataset` streaming them from a file
            a block at a time (with ``shuffle=True`` for training), whose
            labels are the targets -- memory then stays at one block
            whatever the number of samples, and its batch size is used.
        y : array-like of shape (n_samples,)
            Class labels of any type (strings included); at least 2 classes.
            With an ``HDF5Dataset``: None (its labels), or one label per row
            of its file.

        Returns
        -------
        self : CNNClassifier
        """
        self._check_params()
        X, targets, n_classes, stratify = self._prepare_fit(X, y)
        return self._fit_network(X, targets, n_classes, stratify=stratify)

    def _prepare_fit(self, X, y):
        from specauth.training.streams import is_stream

        if is_stream(X):
            return self._prepare_stream(X, y)
        if y is not None:
            check_class_labels(y)
        X, y = self._validate_X(X, reset=True, y=y)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        if encoder.classes_.size < 2:
            raise ValueError(
                "`y` must hold at least 2 classes to train a classifier; got only "
                f"the class {encoder.classes_.tolist()}."
            )
        self.encoder_ = encoder
        self.classes_ = encoder.classes_
        labels = encoder.transform(y).astype(np.int32)
        self._check_class_weights()
        targets = labels
        if self.mixup:  # mixed targets are soft: one-hot, categorical loss
            targets = np.eye(self.classes_.size, dtype=np.float32)[labels]
        return X, targets, self.classes_.size, labels

    def _prepare_stream(self, X, y):
        """``fit`` on a stream of batches (an HDF5Dataset): labels encoded.

        The stream's labels (or ``y``, one per row of its file) are encoded
        as the network's targets; the sample shape is the stream's.
        """
        from specauth.training.streams import labelled_stream

        X, labels = labelled_stream(X, y, owner=f"{type(self).__name__}.fit")
        check_class_labels(labels)
        check_classification_targets(labels)
        encoder = LabelEncoder().fit(labels)
        if encoder.classes_.size < 2:
            raise ValueError(
                "The stream's labels must hold at least 2 classes to train a "
                f"classifier; got only {encoder.classes_.tolist()}."
            )
        self.encoder_ = encoder
        self.classes_ = encoder.classes_
        targets = encoder.transform(labels).astype(np.int32)
        every_row = np.full(X.n_rows, -1, dtype=np.int32)
        every_row[X.rows_] = targets
        self.input_shape_ = tuple(int(d) for d in X.sample_shape)
        self.n_features_in_ = self.input_shape_[0]
        self._check_class_weights()
        return X.with_labels(every_row), targets, self.classes_.size, targets

    def _check_class_weights(self):
        """Check ``class_weight`` and ``fit__class_weight`` before any training."""
        if isinstance(self.class_weight, dict):
            check_class_weight(self.class_weight, self.classes_)
        routed = route(self.get_params(deep=False), "fit")
        if routed.get("class_weight") is not None:  # passed to Model.fit as is
            check_class_weight(
                routed["class_weight"],
                np.arange(self.classes_.size),
                name="fit__class_weight",
            )

    def _validate_X(self, X, *, reset, y="no_validation"):
        if scipy.sparse.issparse(X):
            raise TypeError(
                f"{type(self).__name__} does not support sparse input `X`; got a "
                f"{type(X).__name__} of shape {X.shape}. Pass a dense array, "
                "e.g. `X.toarray()`."
            )
        return super()._validate_X(X, reset=reset, y=y)

    def set_fitted_state(self, state: dict[str, Any]) -> CNNClassifier:
        """Restore a saved fitted state; ``encoder_`` is rebuilt from ``classes_``.

        See :meth:`BaseCNNEstimator.set_fitted_state`.
        """
        super().set_fitted_state(state)
        if hasattr(self, "classes_"):
            self.encoder_ = LabelEncoder()
            self.encoder_.classes_ = self.classes_
        return self

    def _loss(self):
        from specauth._lazy import import_keras

        losses = import_keras().losses
        if self.mixup:  # one-hot targets (see _prepare_fit)
            return losses.CategoricalCrossentropy(from_logits=True)
        return losses.SparseCategoricalCrossentropy(from_logits=True)

    def _metrics(self):
        return ["accuracy"]

    def _keras_class_weight(self, targets):
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, str):  # "balanced", checked in fit
            targets = np.asarray(targets)
            if targets.ndim == 2:  # one-hot with mixup
                targets = targets.argmax(axis=1)
            indices = np.arange(self.classes_.size)
            present = np.unique(targets)
            weights = compute_class_weight("balanced", classes=present, y=targets)
            by_index = dict(zip(present.tolist(), weights.tolist(), strict=True))
            return {int(i): by_index.get(int(i), 1.0) for i in indices}
        return check_class_weight(self.class_weight, self.classes_)

    def logits(self, X: ArrayLike) -> np.ndarray:
        """Return the network's logits (pre-softmax class scores).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Spectra.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``. The Energy and MaxLogit detectors use
            these.
        """
        return self._predict_outputs(X)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Return class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Spectra.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return softmax(self.logits(X), axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Return the most probable class label of each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Spectra.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_`` (same type as the training labels).
        """
        check_is_fitted(self, "network_")
        return self.classes_[np.argmax(self.logits(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags
