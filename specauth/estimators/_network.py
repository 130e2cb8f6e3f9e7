"""The estimators' Keras network: built and checked, run in batches, serialised."""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras
from specauth._validation import validate_data

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import keras
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "NetworkStoreMixin",
    "batch_plan",
    "build_checked_network",
    "check_model_name",
    "network_from_bytes",
    "network_to_bytes",
    "run_batched",
    "validate_network_input",
]


def _takes_images(builder):
    """Whether a network builder takes images (its ``input_kind`` says so)."""
    from specauth.models import CNNFactory

    return isinstance(builder, CNNFactory) or getattr(builder, "input_kind", None) in (
        "image",
        "any",
    )


def _sample_rank(model):
    """Rank of one sample of ``model`` with its channel axis (2 or 3).

    3 for a builder declaring ``input_rank = 3`` (one that takes only images,
    such as the pattern networks), else 2 (spectra; images already have
    their channel axis).
    """
    if isinstance(model, str):
        from specauth.models import get_model, list_models

        if model not in list_models():
            return 2  # refused by check_model_name
        model = get_model(model)
    rank = getattr(model, "input_rank", 2)
    return rank if rank in (2, 3) else 2


def check_model_name(model: object) -> None:
    """Raise naming the registered networks if ``model`` is an unknown name."""
    if not isinstance(model, str):
        return
    from specauth.models import list_models

    names = set(list_models())
    if model not in names:
        raise ValueError(
            f"`model` must be one of {sorted(names)} or a callable "
            f"builder(input_shape, n_outputs, **options); got {model!r}."
        )


def build_checked_network(
    model: str | Callable[..., Any],
    input_shape: tuple[int, ...],
    n_outputs: int,
    seed: int,
    options: Mapping[str, Any],
) -> keras.Model:
    """Build the network of ``model`` (a name or a builder) and check its head.

    The network must be a ``keras.Model`` whose last layer is a Dense layer of
    ``n_outputs`` units (the logits): the estimators' contract
    (``head_weights``, ``transform``) relies on it.
    """
    if callable(model):
        builder, name = model, getattr(model, "__name__", "model")
    else:
        from specauth.models import get_model

        builder, name = get_model(model), model
    if len(input_shape) == 3 and not _takes_images(builder):
        raise ValueError(
            f"`model={model!r}` is a 1D network but `X` holds images of "
            f"shape {input_shape}; pass a 2D model such as "
            "'mobilenetv2' (see specauth.models.list_bases) or a 2D builder."
        )
    if getattr(builder, "input_rank", 2) == 3 and len(input_shape) != 3:
        sample = input_shape[:-1] if len(input_shape) == 2 else input_shape
        raise ValueError(
            f"`model={model!r}` takes 2D patterns -- `X` of shape (n_samples, "
            "height, width) or (n_samples, height, width, 1) -- but `X` holds "
            f"samples of shape {sample} (spectra); pass a 1D network such as "
            "'cnn1d' for spectra."
        )
    network = builder(input_shape, n_outputs, seed=seed, **options)
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


def batch_plan(network: keras.Model, batch_size: int) -> tuple[int, bool]:
    """Return ``(size, pad)``: the inference batch size and whether to pad.

    1D networks are small: they predict in large batches (at least 256),
    every chunk padded to exactly ``size`` rows -- the kernels a backend picks
    depend on the batch size, so without padding a spectrum's probabilities
    would change in the 7th digit with the other spectra passed alongside it
    (scikit-learn's subset-invariance check); one shape also means one
    compiled step. A network with 2D feature maps (an ImageNet base at
    224x224 holds ~5 MB of activations per image and layer) predicts in
    training-size batches, unpadded, so that inference never needs more
    memory than training did and a lone image does not cost a whole batch.
    """
    images = any(_output_rank(layer) >= 4 for layer in network.layers[1:])
    return (batch_size, False) if images else (max(batch_size, 256), True)


def run_batched(
    network: keras.Model, X: np.ndarray, size: int, pad: bool
) -> NDArray[np.float64]:
    """Outputs of ``network`` on ``X`` (at least one sample), as float64.

    ``predict_on_batch`` reuses one compiled step; ``Model.predict`` would
    build a data pipeline per call, about 3x slower for the small arrays of
    predict/transform/score calls.
    """
    keras = import_keras()
    parts = []
    for start in range(0, len(X), size):
        chunk = X[start : start + size]
        n = len(chunk)
        if pad and n < size:
            filler = np.zeros((size - n,) + chunk.shape[1:], dtype=chunk.dtype)
            chunk = np.concatenate([chunk, filler])
        out = keras.ops.convert_to_numpy(network.predict_on_batch(chunk))
        parts.append(out[:n])
    return np.concatenate(parts).astype(np.float64)


def _output_rank(layer):
    """Rank of a layer's output in its functional network (0 if ambiguous)."""
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):  # several outputs or inbound nodes
        return 0


def network_to_bytes(network: keras.Model) -> bytes:
    """The ``.keras`` archive of ``network``, as bytes (for pickling)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "network.keras")
        network.save(path)
        with open(path, "rb") as handle:
            return handle.read()


def network_from_bytes(payload: bytes) -> keras.Model:
    """The network saved by :func:`network_to_bytes` (uncompiled)."""
    keras = import_keras()
    import specauth.models.layers  # noqa: F401  (registers the custom layers)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "network.keras")
        with open(path, "wb") as handle:
            handle.write(payload)
        return keras.saving.load_model(path, compile=False)


class NetworkStoreMixin:
    """Hold ``network_`` with its embedding model; run both; pickle them.

    The embedding model maps the input to the input of the last Dense layer.
    Pickling stores the network as its ``.keras`` archive.
    """

    def _run(self, network, X):
        return run_batched(network, X, self._inference_batch, self._pad_batches)

    def _set_network(self, network):
        """Store the trained network and the model computing its embedding."""
        keras = import_keras()
        self.network_ = network
        self._embedding_network = keras.Model(
            network.input, network.layers[-1].input, name="embedding"
        )
        self._inference_batch, self._pad_batches = batch_plan(network, self.batch_size)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_embedding_network", None)
        state.pop("_inference_batch", None)
        state.pop("_pad_batches", None)
        network = state.pop("network_", None)
        if network is not None:
            state["_network_bytes"] = network_to_bytes(network)
        return state

    def __setstate__(self, state):
        payload = state.pop("_network_bytes", None)
        self.__dict__.update(state)
        if payload is not None:
            self._set_network(network_from_bytes(payload))


def validate_network_input(
    estimator: Any,
    X: ArrayLike,
    *,
    reset: bool,
    y: Any = "no_validation",
    multi_output: bool = False,
) -> Any:
    """Validate an estimator's inputs as its network takes them.

    Returns float32 ``(n, length, channels)`` spectra or ``(n, height, width,
    channels)`` images; with ``y`` given (``fit``), ``(X, y)``, and ``y=None``
    is an error. Spectra ``(n, length)`` get a channel axis, and so do
    patterns ``(n, height, width)`` for a model whose builder declares
    ``input_rank = 3`` (it takes only images, e.g. ``"resnet2d"``).
    ``reset=True`` records ``input_shape_``; otherwise ``X`` must have that
    sample shape. ``multi_output`` accepts a 2D ``y`` (a regressor's
    several targets).
    """
    kwargs = dict(allow_nd=True, dtype=np.float32, reset=reset)
    if isinstance(y, str) and y == "no_validation":
        arr = validate_data(estimator, X, ensure_min_samples=1, **kwargs)
    elif y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y "
            "is None."
        )
    else:
        arr, y = validate_data(
            estimator, X, y, ensure_min_samples=2, multi_output=multi_output, **kwargs
        )
    if arr.ndim > 4:
        raise ValueError(
            "`X` must be spectra (n_samples, n_points), multichannel spectra "
            "(n_samples, n_points, n_channels) or images (n_samples, height, "
            f"width, channels); got an array of shape {arr.shape}."
        )
    if arr.ndim == _sample_rank(getattr(estimator, "model", None)):
        arr = arr[..., np.newaxis]  # the channel axis
    if reset:
        estimator.input_shape_ = tuple(int(d) for d in arr.shape[1:])
    elif tuple(arr.shape[1:]) != estimator.input_shape_:
        raise ValueError(
            f"`X` has samples of shape {arr.shape[1:]}, but {type(estimator).__name__} "
            f"was fitted on samples of shape {estimator.input_shape_}."
        )
    return arr if isinstance(y, str) and y == "no_validation" else (arr, y)
