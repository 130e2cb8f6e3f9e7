"""CNNRegressor: a scikit-learn regressor around a Keras network."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse
from sklearn.base import RegressorMixin

from specauth._validation import Options, check_is_fitted
from specauth.estimators._base import BaseCNNEstimator
from specauth.estimators._network import validate_network_input

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike

__all__ = ["CNNRegressor", "check_regression_targets"]

_LOSSES = ("mse", "mae", "huber")


#: Registered networks whose input the regressor standardises per point and
#: extends with a derivative channel unless ``model__...`` says otherwise.
_STANDARDIZED_MODELS = ("cnn1d", "cnn1d_small")


def check_regression_targets(y: Any, *, name: str = "y") -> np.ndarray:
    """Return ``y`` as a float64 array of shape (n,) or (n, k), or say what is wrong.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Real-valued targets.
    name : str, default="y"
        Argument name used in the messages.

    Returns
    -------
    y : ndarray of float64

    Raises
    ------
    ValueError
        If ``y`` is not numeric (class labels such as strings), holds NaN or
        infinity, or is not 1D or 2D.

    Examples
    --------
    >>> check_regression_targets([1, 2.5])
    array([1. , 2.5])
    >>> check_regression_targets(["low", "high"])
    Traceback (most recent call last):
    ...
    ValueError: `y` must hold real numbers (the quantities to predict); got \
values such as 'low'. For class labels use CNNClassifier.
    """
    if scipy.sparse.issparse(y):
        raise TypeError(f"`{name}` must be a dense array; got a sparse matrix.")
    if hasattr(y, "to_numpy"):
        y = y.to_numpy()
    values = np.asarray(y)
    if values.dtype.kind == "c":
        raise ValueError(
            f"Complex data not supported: `{name}` holds complex values; give "
            "the real quantities to predict."
        )
    if values.dtype.kind == "b" or values.dtype.kind not in "iuf":
        try:
            flat = values.ravel().tolist()
            if values.dtype.kind in "bc" or any(
                isinstance(v, (str, bytes, bool, complex)) or v is None for v in flat
            ):
                raise TypeError
            values = values.astype(np.float64)
        except (TypeError, ValueError):
            example = next(
                (v for v in values.ravel().tolist() if not _is_number(v)),
                values.ravel()[:1].tolist()[0] if values.size else None,
            )
            raise ValueError(
                f"`{name}` must hold real numbers (the quantities to predict); got "
                f"values such as {example!r}. For class labels use CNNClassifier."
            ) from None
    values = values.astype(np.float64)
    if values.ndim not in (1, 2) or (values.ndim == 2 and values.shape[1] < 1):
        raise ValueError(
            f"`{name}` must have shape (n_samples,) or (n_samples, n_targets); got "
            f"shape {values.shape}."
        )
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.flatnonzero(bad.reshape(len(values), -1).any(axis=1))
        raise ValueError(
            f"`{name}` holds NaN or infinite values at rows {rows[:10].tolist()}"
            f"{' ...' if rows.size > 10 else ''}; every sample needs a finite target "
            "(drop those rows, or impute them before fitting)."
        )
    return values


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, bool)


class CNNRegressor(RegressorMixin, BaseCNNEstimator):
    """Convolutional-network regressor for spectra, with a scikit-learn API.

    The regression counterpart of :class:`CNNClassifier`: the same networks
    (any builder; its last ``Dense`` layer gives one output per target),
    the same single training loop (one-cycle schedule, ``learning_rate=
    "find"``, routed ``model__``/``optimizer__``/``schedule__``/``fit__``/
    ``lr_find__`` options), persistence and ``transform`` (the embedding).
    The targets are standardised inside the estimator (each column to mean 0
    and standard deviation 1 on the training set); predictions are in the
    units of ``y``.

    Parameters
    ----------
    model : str or callable, default="cnn1d"
        A registered network name (see :func:`specauth.models.list_models`)
        or a builder ``f(input_shape, n_outputs, *, seed, **options)`` whose
        last layer is ``Dense(n_outputs)``. For ``"cnn1d"`` and
        ``"cnn1d_small"`` the regressor sets two builder options of its own
        (see Notes): ``model__input_norm="standard"`` and
        ``model__derivative=True``; routing either one overrides it (e.g.
        ``model__input_norm="batch", model__derivative=False`` for the
        classifier's network).
    epochs : int or "auto", default="auto"
        Passes over the training data; ``"auto"`` trains at least 60 epochs
        and 1000 optimizer steps (:func:`specauth.training.auto_epochs`).
    batch_size : int, default=32
        Mini-batch size.
    learning_rate : float or "find", default=3e-3
        Peak learning rate of the schedule, or ``"find"`` to run
        :func:`specauth.training.lr_find` and use its ``valley``.
    optimizer : str, keras optimizer class or instance, default="adam"
        As for :class:`CNNClassifier`.
    schedule : {"one_cycle", "clr", "constant"} or None, default="one_cycle"
        Learning-rate schedule, updated every batch.
    loss : {"mse", "mae", "huber"} or keras loss, default="mse"
        Loss on the standardised targets: mean squared error, mean absolute
        error (robust to outlying references), or Huber with ``delta`` 1
        (one training standard deviation: squared below, absolute above).
    standardize_targets : bool, default=True
        Standardise each target column with its training mean and standard
        deviation (a constant column keeps scale 1). False trains on ``y``
        as given.
    validation_fraction : float or None, default=None
        Fraction of the training data held out to report ``val_loss`` in
        ``history_``.
    fine_tune_epochs : int, default=0
        For a network on a pretrained base: epochs with the base unfrozen
        after the head phase (see :class:`CNNClassifier`).
    random_state : int, RandomState, Generator or None, default=None
        Seed of the initialisation, shuffling and dropout.
    verbose : int, default=0
        0: silent; 1: a progress bar over the epochs; 2: one line per epoch.
    axis : SpectralAxis or array-like of shape (n_points,), default=None
        The physical axis of the spectra (see :class:`CNNClassifier`).
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
        preset's strengths.
    mixup : float, default=0.0
        ``alpha`` of mixup (Zhang et al., 2018): each training batch mixes
        every spectrum with another, ``lam * x_i + (1 - lam) * x_j``, and
        their standardised targets alike, with ``lam ~ Beta(alpha, alpha)``
        drawn per spectrum (see :class:`~specauth.training.MixupBatches`).
        0.2-0.4 is typical; 0 (the default) turns it off. Validation data,
        the learning-rate finder and ``predict`` see unmixed spectra. Not
        available when ``X`` is a stream (HDF5Dataset).
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
    network_ : keras.Model
        The trained network (outputs standardised targets).
    n_outputs_ : int
        Number of targets (columns of ``y``; 1 for a 1D ``y``).
    target_mean_, target_scale_ : ndarray of shape ``(n_outputs_,)``
        The standardisation of the targets: ``y = output * scale + mean``.
    target_ndim_ : int
        1 when the training ``y`` was 1D (``predict`` then returns 1D), else 2.
    history_ : dict of list
        Per-epoch ``loss`` (standardised units), ``val_loss``, ``lr``.
    learning_rate_ : float
        Learning rate used.
    epochs_ : int
        Epochs trained.
    input_shape_ : tuple
        Shape of one sample as the network sees it.
    n_features_in_ : int
        Points per spectrum seen in ``fit``.
    axis_ : SpectralAxis or None
        The axis of the training spectra.

    See Also
    --------
    CNNClassifier : the classifier on the same networks.
    sklearn.cross_decomposition.PLSRegression : the chemometrics reference.

    Notes
    -----
    Why the regressor's ``cnn1d`` standardises every input point and adds a
    derivative channel: a quantity read from a spectrum (fat, protein,
    moisture) is carried by small changes of shape on a large common curve,
    which a per-point standardisation (``StandardScaler`` inside the
    network, its statistics from the training spectra) and the first
    derivative bring out. Measured by 5-fold cross-validation on the
    *training* sets of ``benchmarks/nir_regression.py`` (one seed): Tecator
    fat RMSE 2.85 with the classifier's input (one ``BatchNormalization``)
    and 1.67 with both; corn protein (24 spectra per fold) 0.208 and 0.156.
    The per-point statistics are those of the training instrument, so
    spectra from another instrument that sit offset from them come out
    biased; the guide page "Regression, augmentation and imbalanced
    classes" measures this case.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.estimators import CNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 64))
    >>> y = X[:, 10:20].sum(axis=1)
    >>> reg = CNNRegressor("cnn1d_small", epochs=3, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **BaseCNNEstimator._parameter_constraints,
        "loss": [Options(str, set(_LOSSES)), "callable"],
        "standardize_targets": ["boolean"],
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
        loss: Any = "mse",
        standardize_targets: bool = True,
        validation_fraction: float | None = None,
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
        self.loss = loss
        self.standardize_targets = standardize_targets

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> CNNRegressor:
        """Train a new network on spectra ``X`` with targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points) or (n_samples, n_points, \
n_channels), or HDF5Dataset
            Training spectra (finite values), or a
            :class:`specauth.datasets.HDF5Dataset` whose labels are the
            (numeric) targets.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Real-valued targets (finite). With an ``HDF5Dataset``: None (its
            labels) or one target per row of its file.

        Returns
        -------
        self : CNNRegressor
        """
        self._check_params()
        X, targets, n_outputs, _ = self._prepare_fit(X, y)
        return self._fit_network(X, targets, n_outputs)

    def _prepare_fit(self, X, y):
        from specauth.training.streams import is_stream

        if is_stream(X):
            return self._prepare_stream(X, y)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        _refuse_sparse(self, X)
        values = check_regression_targets(y)
        n_x = _n_samples(X)
        if n_x is not None and n_x != values.shape[0]:
            raise ValueError(
                f"`X` and `y` have inconsistent numbers of samples: {n_x} spectra "
                f"and {values.shape[0]} targets."
            )
        X, _ = self._validate_X(X, reset=True, y=values)
        return X, self._standardized(values), self.n_outputs_, None

    def _prepare_stream(self, X, y):
        """``fit`` on an HDF5Dataset: its labels (or ``y``) are the targets."""
        from specauth.training.streams import labelled_stream

        X, raw = labelled_stream(
            X, y, owner=f"{type(self).__name__}.fit", what="targets"
        )
        values = check_regression_targets(raw)
        targets = self._standardized(values)
        every_row = np.zeros((X.n_rows, self.n_outputs_), dtype=np.float32)
        every_row[X.rows_] = targets
        self.input_shape_ = tuple(int(d) for d in X.sample_shape)
        self.n_features_in_ = self.input_shape_[0]
        return X.with_labels(every_row), targets, self.n_outputs_, None

    def _standardized(self, values):
        """Record the targets' standardisation; return them standardised."""
        self.target_ndim_ = values.ndim
        columns = values.reshape(len(values), -1)
        self.n_outputs_ = columns.shape[1]
        if self.standardize_targets:
            mean = columns.mean(axis=0)
            scale = columns.std(axis=0)
            scale = np.where(scale > 0, scale, 1.0)
        else:
            mean = np.zeros(self.n_outputs_)
            scale = np.ones(self.n_outputs_)
        self.target_mean_, self.target_scale_ = mean, scale
        return ((columns - mean) / scale).astype(np.float32)

    def _model_defaults(self):
        """``input_norm="standard"`` and ``derivative=True`` for cnn1d (Notes)."""
        if isinstance(self.model, str) and self.model in _STANDARDIZED_MODELS:
            return {"input_norm": "standard", "derivative": True}
        return {}

    def _validate_X(self, X, *, reset, y="no_validation"):
        _refuse_sparse(self, X)
        return validate_network_input(self, X, reset=reset, y=y, multi_output=True)

    def _loss(self):
        from specauth._lazy import import_keras

        keras = import_keras()
        if not isinstance(self.loss, str):
            return self.loss
        return {
            "mse": keras.losses.MeanSquaredError,
            "mae": keras.losses.MeanAbsoluteError,
            "huber": keras.losses.Huber,
        }[self.loss]()

    def _metrics(self):
        return []

    def set_fitted_state(self, state: dict[str, Any]) -> CNNRegressor:
        """Restore a saved fitted state (see ``BaseCNNEstimator.set_fitted_state``)."""
        super().set_fitted_state(state)
        if hasattr(self, "target_mean_"):
            self.target_mean_ = np.asarray(self.target_mean_, dtype=np.float64)
            self.target_scale_ = np.asarray(self.target_scale_, dtype=np.float64)
            self.n_outputs_ = int(self.target_mean_.size)
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Return the predicted targets, in the units of the training ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points), or HDF5Dataset
            Spectra.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            1D when the training ``y`` was 1D.
        """
        check_is_fitted(self, "network_")
        outputs = np.asarray(self._predict_outputs(X), dtype=np.float64)
        values = outputs * self.target_scale_ + self.target_mean_
        return values[:, 0] if self.target_ndim_ == 1 else values

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


def _refuse_sparse(estimator, X):
    if scipy.sparse.issparse(X):
        raise TypeError(
            f"{type(estimator).__name__} does not support sparse input `X`; got a "
            f"{type(X).__name__} of shape {X.shape}. Pass a dense array, "
            "e.g. `X.toarray()`."
        )


def _n_samples(X):
    """Rows of ``X`` when it has a length, else None (validation reports it)."""
    try:
        return len(X)
    except TypeError:
        return None
