"""BatchNorm statistics that match the trained network, and a check that they do.

A ``BatchNormalization`` layer normalises with the statistics of the current
batch while training and with running averages (``moving_mean``,
``moving_variance``, updated with ``momentum=0.99``) at inference. On small
data the averages never catch up: 28 training spectra with ``batch_size=32``
are one step per epoch, and after 60 epochs the running averages still carry
``0.99**60 = 55 %`` of their initial values. The network then reports a
training accuracy of 1.0 while predicting one class for every spectrum in
inference mode.

:func:`recompute_batch_norm` replaces the running averages by the exact
statistics of the training data, layer after layer, in inference mode (the
"precise BatchNorm" of Wu & Johnson, 2021): afterwards inference uses the
statistics the trained weights expect, whatever the batch size or the number
of steps. :func:`check_inference_agreement` compares the accuracy the network
reached in training with its inference-mode accuracy on the same data and
warns when they disagree.

Exact statistics are not always enough: with a few spectra per batch the
weights learn to lean on *batch* statistics (5 spectra of 5 classes in a
batch of 5 normalise each other), and inference with population statistics,
however exact, then misclassifies some training spectra. Training a few more
epochs inside :func:`frozen_batch_norm` (BatchNorm layers in inference mode,
their statistics fixed) adapts the weights to the statistics ``predict``
uses; the estimators do so when ``predict`` disagrees with the training
accuracy.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = [
    "InferenceMismatchWarning",
    "check_inference_agreement",
    "frozen_batch_norm",
    "recompute_batch_norm",
]

#: Training samples :func:`recompute_batch_norm` uses at most (evenly spaced).
MAX_STATISTICS_SAMPLES = 4096


class InferenceMismatchWarning(UserWarning):
    """The network's inference-mode predictions disagree with its training.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     check_inference_agreement(1.0, 0.5)
    False
    >>> caught[0].category.__name__
    'InferenceMismatchWarning'
    """


def _batch_norm_layers(model, keras):
    """``(chain, layer)`` for every trainable BatchNorm, in graph order."""
    return layers_where(
        model,
        keras,
        lambda layer: (
            isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
        ),
    )


def layers_where(
    model: Any, keras: Any, wanted: Callable[[Any], bool]
) -> list[tuple[list[Any], Any]]:
    """``(chain, layer)`` for every layer of ``model`` that ``wanted`` accepts.

    In graph order; ``chain`` is the list of nested models from ``model`` down
    to the model that holds ``layer`` directly (nested functional models are
    followed).
    """
    found = []
    for layer in model.layers:
        if wanted(layer):
            found.append(([model], layer))
        elif isinstance(layer, keras.Model) and hasattr(layer, "inputs"):
            found.extend(
                ([model, *chain], inner)
                for chain, inner in layers_where(layer, keras, wanted)
            )
    return found


def input_feed(chain: list[Any], layer: Any, keras: Any) -> Callable[[Any], Any]:
    """A function from the outer network's input to ``layer``'s input.

    ``layer.input`` (``keras.Operation.input``) is the tensor the layer was
    called on in the graph of the model that holds it; each model of the
    chain maps its own ``inputs`` to the call-site input of the next.
    """
    parts = []
    for outer, inner in zip(chain, [*chain[1:], layer], strict=True):
        inputs = outer.inputs[0] if len(outer.inputs) == 1 else outer.inputs
        parts.append(keras.Model(inputs, keras.Operation.input.fget(inner)))

    def feed(x):
        for part in parts:
            x = part(x, training=False)
        return x

    return feed


def moments(
    feed: Callable[[Any], Any],
    x: Any,
    keep: Callable[[int], tuple[int, ...]],
    batch_size: int,
    keras: Any,
) -> tuple[Any, Any]:
    """Mean and (biased) variance of ``feed(x)`` over all axes but ``keep``.

    ``keep(ndim)`` names the axes kept (non-negative, increasing) for
    outputs of ``ndim`` dimensions; sums run in float64, batch by batch.
    """
    total: Any = None
    total_sq: Any = None
    count = 0
    for start in range(0, len(x), batch_size):
        values = keras.ops.convert_to_numpy(feed(x[start : start + batch_size]))
        values = values.astype(np.float64)
        kept = keep(values.ndim)
        reduce = tuple(i for i in range(values.ndim) if i not in kept)
        batch_sum = values.sum(axis=reduce)
        batch_sq = np.square(values).sum(axis=reduce)
        total = batch_sum if total is None else total + batch_sum
        total_sq = batch_sq if total_sq is None else total_sq + batch_sq
        count += values.size // batch_sum.size
    mean = total / count
    return mean, np.maximum(total_sq / count - np.square(mean), 0.0)


def _one_axis(axis: int, ndim: int) -> tuple[int, ...]:
    return (axis % ndim,)


def statistics_sample(x: Any, max_samples: int | None) -> np.ndarray:
    """``x`` as an array, thinned to at most ``max_samples`` evenly spaced rows.

    ``None``: :data:`MAX_STATISTICS_SAMPLES`.
    """
    x = np.asarray(x)
    limit = MAX_STATISTICS_SAMPLES if max_samples is None else max_samples
    if len(x) > limit:
        x = x[np.linspace(0, len(x) - 1, limit).round().astype(int)]
    return x


def recompute_batch_norm(
    network: Any, x: Any, *, batch_size: int = 128, max_samples: int | None = None
) -> int:
    """Set every trainable BatchNorm's running statistics from ``x``.

    Layer by layer in graph order, the inputs a ``BatchNormalization`` layer
    receives in inference mode (earlier layers already updated) are computed
    for ``x`` and their mean and variance replace ``moving_mean`` and
    ``moving_variance``. Frozen BatchNorm layers (``trainable=False``, which
    Keras runs in inference mode, as in a frozen pretrained base) are left
    alone. Networks without a graph (subclassed ``keras.Model``) are left
    unchanged.

    Parameters
    ----------
    network : keras.Model
        A functional or ``Sequential`` network; nested models are followed.
    x : array-like
        Training inputs, as the network takes them.
    batch_size : int, default=128
        Samples per forward pass.
    max_samples : int or None, default=None
        Use at most this many samples of ``x`` (evenly spaced); ``None``:
        :data:`MAX_STATISTICS_SAMPLES`.

    Returns
    -------
    n_layers : int
        How many BatchNorm layers were updated.

    Examples
    --------
    >>> import keras, numpy as np
    >>> network = keras.Sequential([keras.Input((3,)),
    ...                             keras.layers.BatchNormalization()])
    >>> x = np.random.default_rng(0).normal(5.0, 2.0, size=(200, 3))
    >>> recompute_batch_norm(network, x)
    1
    >>> bool(np.allclose(network.layers[0].moving_mean, x.mean(axis=0)))
    True
    """
    from specauth._lazy import import_keras

    keras = import_keras()
    if not getattr(network, "inputs", None):
        return 0
    x = statistics_sample(x, max_samples)
    updated = 0
    for chain, layer in _batch_norm_layers(network, keras):
        feed = input_feed(chain, layer, keras)
        mean, variance = moments(
            feed, x, functools.partial(_one_axis, layer.axis), batch_size, keras
        )
        dtype = layer.moving_mean.dtype
        layer.moving_mean.assign(mean.astype(dtype))
        layer.moving_variance.assign(variance.astype(dtype))
        updated += 1
    return updated


@contextlib.contextmanager
def frozen_batch_norm(network: Any) -> Iterator[int]:
    """Run every trainable BatchNorm of ``network`` in inference mode, for a while.

    Inside the block the layers are frozen (``trainable=False``: Keras then
    normalises with the running statistics and never updates them, in
    training as in inference); on leaving it they are trainable again.
    Training inside the block (compile it there: Keras reads ``trainable``
    when compiling) fits the other weights to the statistics ``predict``
    uses.

    Parameters
    ----------
    network : keras.Model
        A functional or ``Sequential`` network; nested models are followed.

    Yields
    ------
    n_layers : int
        How many BatchNorm layers were frozen (0: nothing to do).

    Examples
    --------
    >>> import keras
    >>> network = keras.Sequential([keras.Input((3,)),
    ...                             keras.layers.BatchNormalization()])
    >>> with frozen_batch_norm(network) as n_frozen:
    ...     print(n_frozen, network.layers[0].trainable)
    1 False
    >>> network.layers[0].trainable
    True
    """
    from specauth._lazy import import_keras

    keras = import_keras()
    layers = (
        [layer for _, layer in _batch_norm_layers(network, keras)]
        if getattr(network, "inputs", None)
        else []
    )
    for layer in layers:
        layer.trainable = False
    try:
        yield len(layers)
    finally:
        for layer in layers:
            layer.trainable = True


def check_inference_agreement(
    training_accuracy: float,
    inference_accuracy: float,
    *,
    tolerance: float = 0.2,
    what: str = "the network",
) -> bool:
    """Warn when inference-mode accuracy falls far below the training accuracy.

    Parameters
    ----------
    training_accuracy : float
        Accuracy of the last training epoch (``history_["accuracy"][-1]``).
    inference_accuracy : float
        Accuracy of the fitted network on the same training data, in
        inference mode (what ``predict`` returns).
    tolerance : float, default=0.2
        Largest drop accepted without a warning.
    what : str, default="the network"
        Named in the message.

    Returns
    -------
    agree : bool
        False when an :class:`InferenceMismatchWarning` was issued.

    Examples
    --------
    >>> check_inference_agreement(0.98, 0.95)
    True
    """
    if training_accuracy - inference_accuracy <= tolerance:
        return True
    warnings.warn(
        f"{what} reached a training accuracy of {training_accuracy:.2f} but "
        f"predicts its own training data with an accuracy of "
        f"{inference_accuracy:.2f} in inference mode: its predictions cannot "
        "be trusted. Layers that behave differently in training and "
        "inference (BatchNormalization with very few or tiny batches, heavy "
        "Dropout or augmentation) are the usual cause; try a smaller "
        "`batch_size`, more `epochs`, or a network without such layers.",
        InferenceMismatchWarning,
        stacklevel=3,
    )
    return False
