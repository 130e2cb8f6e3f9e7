"""Shared machinery of the scikit-learn estimators that wrap a Keras network.

:class:`BaseCNNEstimator` owns parameter routing, input validation, network
building, training (schedules, learning-rate finder, progress), batched
inference, the embedding used by the OOD detectors, memory hygiene between
fits and pickling. Subclasses supply the loss, the target encoding and the
public prediction methods.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from specauth._axis_checks import axis_param_constraint
from specauth._lazy import import_keras
from specauth._state import FittedStateMixin
from specauth._validation import (
    Interval,
    Options,
    check_is_fitted,
    check_params,
)
from specauth.estimators._augmentation import (
    augmentation_layers,
    check_augmentation,
    with_augmentation,
)
from specauth.estimators._fitting import NetworkFittingMixin
from specauth.estimators._network import (
    NetworkStoreMixin,
    build_checked_network,
    check_model_name,
    validate_network_input,
)
from specauth.estimators._routing import (
    RoutedParamsMixin,
    check_routed_options,
    route,
    routed_params,
)
from specauth.estimators._seeding import keras_seed, seed_from_random_state
from specauth.models.precision import DTYPE_POLICIES, dtype_policy_scope, float32_head
from specauth.training.optimizers import SCHEDULES
from specauth.training.unfrozen import UNFROZEN_CONSTRAINTS

if TYPE_CHECKING:
    from collections.abc import Callable

    import keras
    from numpy.typing import ArrayLike, NDArray

_EstimatorT = TypeVar("_EstimatorT", bound="BaseCNNEstimator")

__all__ = ["BaseCNNEstimator"]


class BaseCNNEstimator(
    RoutedParamsMixin,
    NetworkFittingMixin,
    NetworkStoreMixin,
    FittedStateMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Base class of the Keras estimators (:class:`CNNClassifier`).

    Not meant to be fitted directly; see the subclasses for the parameters.
    Its public methods are the contract through which the rest of specauth
    (detectors, open set, explanations, the learning-rate finder) reaches a
    fitted network, never through ``network_``'s layers:

    - :meth:`validate_input` -- ``X`` checked and shaped as the network takes it;
    - ``transform`` -- the embedding, the input of the last Dense layer;
    - :meth:`head_weights` -- that layer's kernel and bias (the logits are
      ``transform(X) @ weight + bias``);
    - :meth:`build_network` -- a fresh, untrained network for given data, as
      ``fit`` would build it.

    Examples
    --------
    >>> from specauth.datasets import make_spectra
    >>> from specauth.estimators import BaseCNNEstimator, CNNClassifier
    >>> data = make_spectra(n_classes=2, n_samples_per_class=10, length=64,
    ...                     random_state=0)
    >>> clf = CNNClassifier("cnn1d_small", epochs=2, random_state=0)
    >>> isinstance(clf.fit(data.X, data.y), BaseCNNEstimator)
    True
    >>> weight, bias = clf.head_weights()
    >>> logits = clf.transform(data.X) @ weight + bias
    >>> bool(abs(logits - clf.logits(data.X)).max() < 1e-4)
    True
    """

    # encoder_ is rebuilt from classes_; lr_finder_ records a past sweep.
    _derived_state = ("encoder_", "lr_finder_")

    _parameter_constraints = {
        "model": [str, "callable"],
        "epochs": [Interval(Integral, 1, None, closed="left"), Options(str, {"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [
            Interval(Real, 0, None, closed="neither", finite=True),
            Options(str, {"find"}),
        ],
        "optimizer": [str, type, object],
        "schedule": [Options(str, set(SCHEDULES)), None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "fine_tune_epochs": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both"), "boolean"],
        "axis": axis_param_constraint(),
        "augmentation": [None, str, list, tuple, object],
        "mixup": [Interval(Real, 0, None, closed="left", finite=True)],
        "dtype_policy": [Options(str, set(DTYPE_POLICIES)), None],
        **{f"fine_tune__{k}": v for k, v in UNFROZEN_CONSTRAINTS.items()},
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
        fine_tune_epochs: int = 0,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        verbose: int | bool = 0,
        axis: Any = None,
        augmentation: Any = None,
        mixup: float = 0.0,
        dtype_policy: str | None = None,
        **routed: Any,
    ) -> None:
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.schedule = schedule
        self.validation_fraction = validation_fraction
        self.fine_tune_epochs = fine_tune_epochs
        self.random_state = random_state
        self.verbose = verbose
        self.axis = axis
        self.augmentation = augmentation
        self.mixup = mixup
        self.dtype_policy = dtype_policy
        for key, value in routed.items():
            setattr(self, key, value)

    def _check_params(self):
        """Check every parameter, routed options included, once per fit."""
        routed = routed_params(self)
        check_routed_options(routed, type(self).__name__)
        check_params(self, {**BaseEstimator.get_params(self, deep=False), **routed})
        check_model_name(self.model)
        check_augmentation(self.augmentation, route(routed, "augmentation"))

    # -------------------------------------------------------------------- data
    def _validate_X(self, X, *, reset, y="no_validation"):
        """Validate inputs; return float32 ``(n, length, channels)`` or images.

        With ``y`` given (``fit``), return ``(X, y)``; ``y=None`` is an error.
        """
        return validate_network_input(self, X, reset=reset, y=y)

    # ----------------------------------------------------------------- network
    def _model_defaults(self) -> dict[str, Any]:
        """Builder options this estimator sets unless ``model__...`` does."""
        return {}

    def _build_network(self, n_outputs, seed):
        params = self.get_params(deep=False)
        options = {**self._model_defaults(), **route(params, "model")}
        with dtype_policy_scope(self.dtype_policy):
            network = build_checked_network(
                self.model, self.input_shape_, n_outputs, seed, options
            )
            layers = augmentation_layers(
                self.augmentation, seed, route(params, "augmentation")
            )
            return float32_head(with_augmentation(network, layers))

    def _keras_class_weight(self, targets):
        return None

    if TYPE_CHECKING:
        # Supplied by each subclass: X validated as the network takes it, the
        # encoded targets, the number of outputs and the labels to stratify a
        # validation split by (or None).
        def _prepare_fit(
            self, X: ArrayLike, y: ArrayLike
        ) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]: ...

    def build_network(
        self, X: ArrayLike, y: ArrayLike
    ) -> tuple[keras.Model, np.ndarray, np.ndarray]:
        """Build a fresh, untrained network for ``(X, y)``, as ``fit`` would.

        The network is built with the seed ``fit`` would use for the same
        ``random_state``, its ``Normalization`` layers (``input_norm=
        "standard"``) are set from the training part of ``X`` as in ``fit``,
        and it is compiled with the estimator's optimizer (at a
        placeholder learning rate of 1e-7), so that
        :func:`specauth.training.lr_find` can sweep the learning rate over it.
        The estimator itself is not fitted or changed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points), (n_samples, n_points, \
n_channels) or (n_samples, height, width, channels)
            Training inputs.
        y : array-like of shape (n_samples,)
            Training targets.

        Returns
        -------
        network : keras.Model
            The compiled, untrained network.
        X : ndarray
            ``X`` validated as the network takes it (float32, with a channel
            axis).
        targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
            ``y`` encoded as the network's loss takes it (one-hot for a
            classifier with ``mixup``).

        Examples
        --------
        >>> from specauth.datasets import make_spectra
        >>> from specauth.estimators import CNNClassifier
        >>> data = make_spectra(n_classes=2, n_samples_per_class=5, length=64,
        ...                     random_state=0)
        >>> network, X, targets = CNNClassifier("cnn1d_small").build_network(
        ...     data.X, data.y)
        >>> network.output.shape, X.shape, sorted(set(targets.tolist()))
        ((None, 2), (10, 64, 1), [0, 1])
        """
        from specauth.training.loop import compile_network, split_validation
        from specauth.training.normalization import adapt_normalization

        self._check_params()
        clone = type(self)(**self.get_params(deep=False))
        X, targets, n_outputs, stratify = clone._prepare_fit(X, y)
        seed = seed_from_random_state(self.random_state)
        with keras_seed(seed):
            network = clone._build_network(n_outputs, seed)
            train, _ = split_validation(
                X, targets, self.validation_fraction, stratify=stratify, seed=seed
            )
            adapt_normalization(network, train[0])
            compile_network(network, 1e-7, **clone._compile_options())
        return network, X, targets

    def validate_input(self, X: ArrayLike) -> np.ndarray:
        """Check ``X`` against the fitted input and return it as the network takes it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points), (n_samples, n_points, \
n_channels) or (n_samples, height, width, channels)
            Inputs of the shape the estimator was fitted on.

        Returns
        -------
        X : ndarray of dtype float32
            With a channel axis: ``(n_samples, n_points, n_channels)`` for
            spectra, ``(n_samples, height, width, channels)`` for images.

        Raises
        ------
        ValueError
            If ``X`` is empty, holds NaN or infinite values, or its samples do
            not have the fitted shape.
        """
        check_is_fitted(self, "network_")
        return self._validate_X(X, reset=False)

    def head_weights(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the kernel and bias of the network's last Dense layer (its head).

        The logits are ``transform(X) @ weight + bias``. Detectors such as
        :class:`specauth.ood.ViM` and :class:`specauth.openset.OpenSetClassifier`
        read the head here instead of reaching into ``network_``.

        Returns
        -------
        weight : ndarray of shape (n_embedding, n_outputs), dtype float64
        bias : ndarray of shape (n_outputs,), dtype float64
            Zeros when the head has no bias.
        """
        check_is_fitted(self, "network_")
        arrays = self.network_.layers[-1].get_weights()
        weight = np.asarray(arrays[0], dtype=np.float64)
        if len(arrays) < 2:  # a Dense head built with use_bias=False
            return weight, np.zeros(weight.shape[1])
        return weight, np.asarray(arrays[1], dtype=np.float64)

    # --------------------------------------------------------------- inference
    def _predict_outputs(self, X):
        """Network outputs (logits for a classifier) for validated ``X``."""
        check_is_fitted(self, "network_")
        return self._run_input(self.network_, X)

    def _run_input(self, network, X):
        """``network`` on ``X``: an array, or a stream of batches.

        A ``keras.utils.PyDataset`` (such as
        :class:`specauth.datasets.HDF5Dataset`) is run batch by batch, its
        batches checked against the fitted input shape, so the memory used is
        one batch of inputs plus the outputs; the outputs follow the order of
        its batches.
        """
        keras = import_keras()
        if not isinstance(X, keras.utils.PyDataset):
            return self._run(network, self.validate_input(X))
        check_is_fitted(self, "network_")
        outputs: list[np.ndarray] = []
        filled = None  # one output array when the stream says its size
        row = 0
        for index in range(len(X)):
            batch = X[index]
            x = np.asarray(batch[0] if isinstance(batch, tuple) else batch, np.float32)
            if x.ndim == 2:  # spectra without their channel axis
                x = x[:, :, np.newaxis]
            if tuple(x.shape[1:]) != tuple(self.input_shape_):
                raise ValueError(
                    f"Batch {index} of {X!r} holds samples of shape {x.shape[1:]}, "
                    f"but {type(self).__name__} was fitted on samples of shape "
                    f"{tuple(self.input_shape_)}; a network takes only the sample "
                    "size it was trained on."
                )
            out = self._run(network, x)
            size = getattr(X, "n_samples", None)
            if filled is None and isinstance(size, int) and size > 0:
                filled = np.empty((size, *out.shape[1:]), dtype=out.dtype)
            if filled is not None and row + len(out) <= len(filled):
                filled[row : row + len(out)] = out  # no list and concatenate copy
            else:
                outputs.append(out)
            row += len(out)
        if row == 0:
            raise ValueError(f"{X!r} holds no batches to predict.")
        if filled is None:
            return np.concatenate(outputs)
        if outputs or row != len(filled):  # the stream gave other than n_samples
            return np.concatenate([filled[: min(row, len(filled))], *outputs])
        return filled

    def set_fitted_state(self: _EstimatorT, state: dict[str, Any]) -> _EstimatorT:
        """Restore a saved fitted state, ``network_`` (a Keras model) included.

        The embedding model, which :meth:`get_fitted_state` leaves out, is
        rebuilt from the network. Returns ``self``.
        """
        state = dict(state)
        network = state.pop("network_", None)
        super().set_fitted_state(state)
        if network is not None:
            self._set_network(network)
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return the embedding: the input of the network's last Dense layer.

        This is the feature vector that the OOD detectors of
        :mod:`specauth.ood` use.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points) or (n_samples, n_points, \
n_channels)
            Spectra.

        Returns
        -------
        embedding : ndarray of shape (n_samples, n_embedding)
        """
        check_is_fitted(self, "network_")
        return self._run_input(self._embedding_network, X)

    def __sklearn_tags__(self):
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        # ``transform`` returns the embedding used by the OOD detectors.
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags
