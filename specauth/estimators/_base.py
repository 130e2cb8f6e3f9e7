"""Shared machinery of the scikit-learn estimators that wrap a Keras network.

:class:`BaseCNNEstimator` owns parameter routing, input validation, network
building, training (schedules, learning-rate finder, progress), batched
inference, the embedding used by the OOD detectors, memory hygiene between
fits and pickling. Subclasses supply the loss, the target encoding and the
public prediction methods.
"""

from __future__ import annotations

import gc
import math
import os
import tempfile
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from specauth._lazy import import_keras
from specauth._state import FittedStateMixin
from specauth._validation import (
    Interval,
    Options,
    check_is_fitted,
    check_params,
    validate_data,
)
from specauth.estimators._optim import SCHEDULES, make_optimizer, make_schedule
from specauth.estimators._routing import (
    check_routed_names,
    route,
    routed_params,
)
from specauth.estimators._seeding import keras_seed, seed_from_random_state

__all__ = ["BaseCNNEstimator"]

_FIT_RESERVED = ("x", "y", "epochs", "batch_size", "validation_data", "verbose")


#: Largest default peak learning rate of the fine-tuning phase (fastai's
#: ``fine_tune`` peaks at 1e-3 with its default ``base_lr``): a rate tuned for
#: training a head on a frozen base (say 1e-2) wrecks pretrained features.
_FINE_TUNE_MAX_PEAK = 1e-3

#: Defaults of the ``fine_tune__...`` options (see ``fine_tune_epochs``).
_FINE_TUNE_OPTIONS = {
    "unfreeze": "all",
    "lr_mult": 100.0,
    "learning_rate": None,
    "pct_start": 0.3,
}


def _takes_images(builder):
    """Whether a network builder takes images (its ``input_kind`` says so)."""
    from specauth.models import CNNFactory

    return isinstance(builder, CNNFactory) or getattr(builder, "input_kind", None) in (
        "image",
        "any",
    )


def _model_names():
    from specauth.models import list_models

    return set(list_models())


class BaseCNNEstimator(FittedStateMixin, TransformerMixin, BaseEstimator):
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
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [
            Interval(Real, 0, None, closed="neither"),
            Options(str, {"find"}),
        ],
        "optimizer": [str, type, object],
        "schedule": [Options(str, set(SCHEDULES)), None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "fine_tune_epochs": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both"), "boolean"],
    }

    def __init__(
        self,
        model="cnn1d",
        *,
        epochs=60,
        batch_size=32,
        learning_rate=3e-3,
        optimizer="adam",
        schedule="one_cycle",
        validation_fraction=None,
        fine_tune_epochs=0,
        random_state=None,
        verbose=0,
        **routed,
    ):
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
        for key, value in routed.items():
            setattr(self, key, value)

    # ------------------------------------------------------------------ params
    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update(routed_params(self))
        return params

    def set_params(self, **params):
        routed = {k: v for k, v in params.items() if "__" in k}
        check_routed_names(routed, f"{type(self).__name__}.set_params")
        for key, value in routed.items():
            setattr(self, key, value)
        plain = {k: v for k, v in params.items() if k not in routed}
        if plain:
            super().set_params(**plain)
        return self

    def _check_params(self):
        check_routed_names(routed_params(self), type(self).__name__)
        check_params(self, super().get_params(deep=False))
        if isinstance(self.model, str) and self.model not in _model_names():
            raise ValueError(
                f"`model` must be one of {sorted(_model_names())} or a callable "
                f"builder(input_shape, n_outputs, **options); got {self.model!r}."
            )

    # -------------------------------------------------------------------- data
    def _validate_X(self, X, *, reset, y="no_validation"):
        """Validate inputs; return float32 ``(n, length, channels)`` or images.

        With ``y`` given (``fit``), return ``(X, y)``; ``y=None`` is an error.
        """
        kwargs = dict(allow_nd=True, dtype=np.float32, reset=reset)
        if isinstance(y, str) and y == "no_validation":
            X = validate_data(self, X, ensure_min_samples=1, **kwargs)
        elif y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        else:
            X, y = validate_data(self, X, y, ensure_min_samples=2, **kwargs)
        if X.ndim > 4:
            raise ValueError(
                "`X` must be spectra (n_samples, n_points), multichannel spectra "
                "(n_samples, n_points, n_channels) or images (n_samples, height, "
                f"width, channels); got an array of shape {X.shape}."
            )
        if X.ndim == 2:
            X = X[:, :, np.newaxis]
        if reset:
            self.input_shape_ = tuple(int(d) for d in X.shape[1:])
        elif tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"`X` has samples of shape {X.shape[1:]}, but {type(self).__name__} "
                f"was fitted on samples of shape {self.input_shape_}."
            )
        return X if isinstance(y, str) and y == "no_validation" else (X, y)

    # ----------------------------------------------------------------- network
    def _build_network(self, n_outputs, seed):
        options = route(self.get_params(deep=False), "model")
        if callable(self.model):
            builder, name = self.model, getattr(self.model, "__name__", "model")
        else:
            from specauth.models import get_model

            builder, name = get_model(self.model), self.model
        if len(self.input_shape_) == 3 and not _takes_images(builder):
            raise ValueError(
                f"`model={self.model!r}` is a 1D network but `X` holds images of "
                f"shape {self.input_shape_}; pass a 2D model such as "
                "'mobilenetv2' (see specauth.models.list_bases) or a 2D builder."
            )
        network = builder(self.input_shape_, n_outputs, seed=seed, **options)
        keras = import_keras()
        if not isinstance(network, keras.Model):
            raise TypeError(
                f"The model builder {name!r} must return a keras.Model; got "
                f"{type(network).__name__}."
            )
        head = network.layers[-1]
        if not isinstance(head, keras.layers.Dense) or head.units != n_outputs:
            raise ValueError(
                f"The last layer of the network built by {name!r} must be a Dense "
                f"layer with {n_outputs} units (the logits); got {head!r}."
            )
        return network

    def _compile(self, network, learning_rate, rate_factors=None):
        optimizer = make_optimizer(
            self.optimizer, learning_rate, route(self.get_params(), "optimizer")
        )
        if rate_factors is not None:
            from specauth.training.discriminative import discriminative_optimizer

            optimizer = discriminative_optimizer(optimizer, rate_factors)
        network.compile(optimizer=optimizer, loss=self._loss(), metrics=self._metrics())

    # ---------------------------------------------------------------- training
    def _fit_network(self, X, targets, n_outputs, *, stratify=None):
        """Build, optionally lr-find, and train a network; set fitted state."""
        self.__dict__.pop("network_", None)
        self.__dict__.pop("_embedding_network", None)
        gc.collect()  # release the previous network before building a new one
        seed = seed_from_random_state(self.random_state)
        self._fine_tune_options()  # unknown or bad options fail before training
        with keras_seed(seed):
            network = self._build_network(n_outputs, seed)
            self._check_fine_tune(network)
            lr = self.learning_rate
            if lr == "find":
                lr = self._find_learning_rate(network, X, targets, seed)
            train, valid = self._split_validation(X, targets, stratify, seed)
            history = self._train(network, lr, train, valid)
            if self.fine_tune_epochs:
                history = self._fine_tune(network, lr, train, valid, history)
        self._set_network(network)
        self.learning_rate_ = float(lr)
        self.history_ = history
        return self

    def _find_learning_rate(self, network, X, targets, seed):
        from specauth.training import lr_find

        self._compile(network, 1e-7)
        result = lr_find(
            network,
            X,
            targets,
            batch_size=self.batch_size,
            random_state=seed,
            **route(self.get_params(), "lr_find"),
        )
        self.lr_finder_ = result
        return float(result.valley)

    def _split_validation(self, X, targets, stratify, seed):
        if self.validation_fraction is None:
            return (X, targets), None
        from sklearn.model_selection import train_test_split

        try:
            parts = train_test_split(
                X,
                targets,
                test_size=self.validation_fraction,
                random_state=seed,
                stratify=stratify,
            )
        except ValueError as err:
            raise ValueError(
                f"`validation_fraction={self.validation_fraction}` cannot hold out a "
                f"stratified validation set from {len(X)} samples: {err}"
            ) from err
        return (parts[0], parts[2]), (parts[1], parts[3])

    def _fine_tune_options(self):
        """Validated ``fine_tune__...`` options merged with their defaults."""
        options = route(self.get_params(), "fine_tune")
        unknown = sorted(set(options) - set(_FINE_TUNE_OPTIONS))
        if unknown:
            raise ValueError(
                f"Unknown `fine_tune__...` option(s) {unknown}; valid: "
                f"{sorted(_FINE_TUNE_OPTIONS)}."
            )
        options = {**_FINE_TUNE_OPTIONS, **options}
        unfreeze = options["unfreeze"]
        if not (isinstance(unfreeze, str) and unfreeze == "all") and (
            isinstance(unfreeze, bool) or not isinstance(unfreeze, Integral)
        ):
            raise ValueError(
                f"`fine_tune__unfreeze` must be 'all' or an int >= 1; got {unfreeze!r}."
            )
        if isinstance(unfreeze, Integral) and unfreeze < 1:
            raise ValueError(
                f"`fine_tune__unfreeze` must be 'all' or an int >= 1; got {unfreeze}."
            )
        checks = (
            ("lr_mult", 1.0, True, "a number >= 1"),
            ("learning_rate", 0.0, False, "a number > 0 or None"),
            ("pct_start", 0.0, True, "a number in [0, 1)"),
        )
        for key, low, closed, expected in checks:
            value = options[key]
            if key == "learning_rate" and value is None:
                continue
            bad = isinstance(value, bool) or not isinstance(value, Real)
            bad = bad or not math.isfinite(value)
            bad = bad or value < low or (value == low and not closed)
            bad = bad or (key == "pct_start" and value >= 1)
            if bad:
                raise ValueError(
                    f"`fine_tune__{key}` must be {expected}; got {value!r}."
                )
        return options

    def _check_fine_tune(self, network):
        """Fail before any training when fine-tuning cannot work."""
        options = self._fine_tune_options()
        if not self.fine_tune_epochs:
            return
        from specauth.training.fine_tuning import base_weighted_layers

        try:
            count = len(base_weighted_layers(network))
        except ValueError as err:
            raise ValueError(
                f"`fine_tune_epochs={self.fine_tune_epochs}` needs a network on a "
                f"pretrained base: {err}"
            ) from err
        unfreeze = options["unfreeze"]
        if not isinstance(unfreeze, str) and unfreeze > count:
            raise ValueError(
                f"`fine_tune__unfreeze` must be 'all' or at most {count} (the "
                f"weighted layers of the base); got {unfreeze}."
            )

    def _fine_tune(self, network, lr, train, valid, history):
        """Unfreeze the pretrained base and train on with discriminative rates."""
        from specauth.training.discriminative import layer_rate_factors
        from specauth.training.fine_tuning import unfreeze_base

        options = self._fine_tune_options()
        layers = unfreeze_base(network, options["unfreeze"])
        factors = layer_rate_factors(layers, options["lr_mult"])
        peak = options["learning_rate"] or min(lr / 2, _FINE_TUNE_MAX_PEAK)
        schedule_options = {"pct_start": options["pct_start"]}
        tuned = self._train(
            network,
            peak,
            train,
            valid,
            epochs=self.fine_tune_epochs,
            rate_factors=factors,
            schedule=("one_cycle", schedule_options),
        )
        phases = ["head"] * self.epochs + ["fine_tune"] * self.fine_tune_epochs
        merged = {k: history.get(k, []) + tuned.get(k, []) for k in {*history, *tuned}}
        merged["phase"] = phases
        return merged

    def _train(
        self,
        network,
        lr,
        train,
        valid,
        *,
        epochs=None,
        rate_factors=None,
        schedule=None,
    ):
        from specauth.training import LearningRateRecorder
        from specauth.training.progress import EpochProgressBar

        epochs = self.epochs if epochs is None else epochs
        steps = math.ceil(len(train[0]) / self.batch_size) * epochs
        name, options = schedule or (
            self.schedule,
            route(self.get_params(), "schedule"),
        )
        lr_or_schedule, callbacks = make_schedule(
            name, lr, total_steps=steps, options=options
        )
        self._compile(network, lr_or_schedule, rate_factors)
        recorder = LearningRateRecorder()
        fit_options = route(self.get_params(), "fit")
        reserved = sorted(set(fit_options) & set(_FIT_RESERVED))
        if reserved:
            raise ValueError(
                f"`fit__{reserved[0]}` is set by {type(self).__name__} itself; use "
                "the estimator's own parameter instead."
            )
        callbacks = [*callbacks, recorder, *fit_options.pop("callbacks", [])]
        if self.verbose == 1:
            callbacks.append(EpochProgressBar(epochs))
        fit_options.setdefault("class_weight", self._keras_class_weight(train[1]))
        result = network.fit(
            train[0],
            train[1],
            epochs=epochs,
            batch_size=self.batch_size,
            validation_data=valid,
            callbacks=callbacks,
            verbose=2 if self.verbose == 2 else 0,
            **fit_options,
        )
        history = {k: [float(v) for v in vals] for k, vals in result.history.items()}
        history["lr_per_batch"] = [float(v) for v in recorder.lrs]
        return history

    def _keras_class_weight(self, targets):
        return None

    def build_network(self, X, y):
        """Build a fresh, untrained network for ``(X, y)``, as ``fit`` would.

        The network is built with the seed ``fit`` would use for the same
        ``random_state`` and compiled with the estimator's optimizer (at a
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
        targets : ndarray of shape (n_samples,)
            ``y`` encoded as the network's loss takes it.

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
        self._check_params()
        clone = type(self)(**self.get_params(deep=False))
        X, targets, n_outputs, _ = clone._prepare_fit(X, y)
        seed = seed_from_random_state(self.random_state)
        with keras_seed(seed):
            network = clone._build_network(n_outputs, seed)
            clone._compile(network, 1e-7)
        return network, X, targets

    def validate_input(self, X):
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

    def head_weights(self):
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
        X = self.validate_input(X)
        return self._run(self.network_, X)

    def _run(self, network, X):
        # predict_on_batch reuses one compiled step; Model.predict would build
        # a data pipeline per call, about 3x slower for the small arrays of
        # predict/transform/score calls.
        # ``X`` comes from _validate_X, which requires at least one sample.
        #
        # 1D networks run every chunk padded to exactly ``size`` rows: the
        # kernels a backend picks depend on the batch size, so without padding
        # a spectrum's probabilities would change in the 7th digit with the
        # other spectra passed alongside it (scikit-learn's subset-invariance
        # check); one shape also means one compiled step. Networks with 2D
        # maps skip the padding: a lone image would cost a whole batch.
        size = self._inference_batch
        keras = import_keras()
        parts = []
        for start in range(0, len(X), size):
            chunk = X[start : start + size]
            n = len(chunk)
            if self._pad_batches and n < size:
                pad = np.zeros((size - n,) + chunk.shape[1:], dtype=chunk.dtype)
                chunk = np.concatenate([chunk, pad])
            out = keras.ops.convert_to_numpy(network.predict_on_batch(chunk))
            parts.append(out[:n])
        return np.concatenate(parts).astype(np.float64)

    def _set_network(self, network):
        """Store the trained network and the model computing its embedding."""
        keras = import_keras()
        self.network_ = network
        self._embedding_network = keras.Model(
            network.input, network.layers[-1].input, name="embedding"
        )
        # 1D networks are small: predict in large batches. A network with 2D
        # feature maps (an ImageNet base at 224x224 holds ~5 MB of activations
        # per image and layer) predicts in training-size batches, so that
        # inference never needs more memory than training did.
        images = any(_output_rank(layer) >= 4 for layer in network.layers[1:])
        self._inference_batch = self.batch_size if images else max(self.batch_size, 256)
        self._pad_batches = not images

    def set_fitted_state(self, state):
        """Restore a saved fitted state; ``network_`` (a Keras model) included.

        ``encoder_`` is rebuilt from ``classes_`` and the embedding model from
        the network (see :meth:`get_fitted_state`, which leaves them out).

        Parameters
        ----------
        state : dict
            Attribute name -> value, as :meth:`get_fitted_state` returned it.

        Returns
        -------
        self
        """
        state = dict(state)
        network = state.pop("network_", None)
        super().set_fitted_state(state)
        if hasattr(self, "classes_"):
            from sklearn.preprocessing import LabelEncoder

            self.encoder_ = LabelEncoder()
            self.encoder_.classes_ = self.classes_
        if network is not None:
            self._set_network(network)
        return self

    def transform(self, X):
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
        X = self.validate_input(X)
        return self._run(self._embedding_network, X)

    # ----------------------------------------------------------------- pickle
    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_embedding_network", None)
        state.pop("_inference_batch", None)
        state.pop("_pad_batches", None)
        network = state.pop("network_", None)
        if network is not None:
            state["_network_bytes"] = _network_to_bytes(network)
        return state

    def __setstate__(self, state):
        payload = state.pop("_network_bytes", None)
        self.__dict__.update(state)
        if payload is not None:
            self._set_network(_network_from_bytes(payload))

    def __sklearn_tags__(self):
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        # ``transform`` returns the embedding used by the OOD detectors.
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags


def _output_rank(layer):
    """Rank of a layer's output in its functional network (0 if ambiguous)."""
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):  # several outputs or inbound nodes
        return 0


def _network_to_bytes(network):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "network.keras")
        network.save(path)
        with open(path, "rb") as handle:
            return handle.read()


def _network_from_bytes(payload):
    keras = import_keras()
    import specauth.models.layers  # noqa: F401  (registers the custom layers)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "network.keras")
        with open(path, "wb") as handle:
            handle.write(payload)
        return keras.saving.load_model(path, compile=False)
