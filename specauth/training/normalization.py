"""Per-point input standardisation from the training data.

A network built with ``input_norm="standard"`` starts with a Keras
``Normalization`` layer over positions and channels: scikit-learn's
``StandardScaler`` inside the network, saved with it. Its statistics come
from the training data; :func:`adapt_normalization` sets them (the
estimators call it before training, and :func:`~specauth.training.fit_network`
for any such layer whose statistics were never set).

Spectra whose classes differ by small details on a large common shape (one
sample measured on three instruments, coffee from three origins) lose those
details under a single scale for the whole spectrum; per-point
standardisation removes the common shape and gives every point the same
weight. A point that hardly varies in the training data (an empty region of
a gamma spectrum, always at the log floor) would be magnified without bound
in a new spectrum that has counts there, so standard deviations are floored
at :data:`SD_FLOOR` times the median standard deviation of their channel.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from specauth.training.batch_norm import (
    input_feed,
    layers_where,
    moments,
    statistics_sample,
)

__all__ = ["SD_FLOOR", "adapt_normalization", "refresh_normalization"]

#: Smallest standard deviation a point is divided by, as a fraction of the
#: median standard deviation of the points of its channel.
SD_FLOOR = 0.1


def adapt_normalization(
    network: Any,
    x: Any,
    *,
    only_unset: bool = False,
    batch_size: int = 128,
    max_samples: int | None = None,
) -> int:
    """Set every ``keras.layers.Normalization`` of ``network`` from ``x``.

    Layer by layer in graph order, the inputs a ``Normalization`` layer
    receives (in inference mode, earlier layers already set) are computed for
    ``x``; their mean and variance over the samples, for every position and
    channel the layer keeps, become the layer's statistics. Standard
    deviations below ``SD_FLOOR`` times their channel's median are raised to
    it (see the module docstring).

    Parameters
    ----------
    network : keras.Model
        A functional or ``Sequential`` network; nested models are followed.
        Networks without a graph are left unchanged.
    x : array-like
        Training inputs, as the network takes them.
    only_unset : bool, default=False
        Only set layers that were never adapted (their ``count`` is 0); those
        given ``mean`` and ``variance`` when built are never changed.
    batch_size : int, default=128
        Samples per forward pass.
    max_samples : int or None, default=None
        Use at most this many samples of ``x`` (evenly spaced); ``None``:
        :data:`~specauth.training.batch_norm.MAX_STATISTICS_SAMPLES`.

    Returns
    -------
    n_layers : int
        How many layers were set.

    Examples
    --------
    >>> import keras, numpy as np
    >>> network = keras.Sequential([keras.Input((3,)),
    ...                             keras.layers.Normalization(axis=-1)])
    >>> x = np.random.default_rng(0).normal([1.0, 5.0, -2.0], 2.0, size=(500, 3))
    >>> adapt_normalization(network, x)
    1
    >>> z = network.predict(x, verbose=0)
    >>> z = z.astype(float)
    >>> np.round(z.mean(axis=0), 4) + 0.0, np.round(z.std(axis=0), 4)
    (array([0., 0., 0.]), array([1., 1., 1.]))
    """
    from specauth._lazy import import_keras

    keras = import_keras()
    if not getattr(network, "inputs", None):
        return 0
    x = statistics_sample(x, max_samples)
    updated = 0
    for chain, layer in layers_where(network, keras, _adapted_layer(keras)):
        if only_unset and float(keras.ops.convert_to_numpy(layer.count)) > 0:
            continue
        feed = input_feed(chain, layer, keras)
        keep = functools.partial(_kept_axes, layer.axis)
        mean, variance = moments(feed, x, keep, batch_size, keras)
        variance = _floored(variance)
        layer.adapt_mean.assign(mean.astype(layer.adapt_mean.dtype))
        layer.adapt_variance.assign(variance.astype(layer.adapt_variance.dtype))
        layer.count.assign(len(x))
        layer.finalize_state()
        updated += 1
    return updated


def _kept_axes(axis, ndim):
    """The axes a Normalization layer keeps, non-negative and sorted."""
    return tuple(sorted({i % ndim for i in axis}))


def _floored(variance):
    """``variance`` with each channel's sd at least SD_FLOOR x its median sd.

    The last axis is the channel axis when there is more than one axis;
    a channel whose points are all constant gets variance 1 (no scaling).
    """
    sd = np.sqrt(variance)
    flat = sd.reshape(-1, sd.shape[-1]) if sd.ndim > 1 else sd.reshape(-1, 1)
    floor = SD_FLOOR * np.median(flat, axis=0)
    floor = np.where(floor > 0, floor, 1.0)
    return np.square(np.maximum(sd, floor if sd.ndim > 1 else floor[0]))


def refresh_normalization(network: Any) -> int:
    """Make every adapted ``Normalization`` layer use its stored statistics.

    A Keras ``Normalization`` layer normalises with tensors it derives from
    its ``mean``/``variance`` variables only in ``finalize_state()``;
    ``set_weights`` (as in ``clone_model`` + ``set_weights``) updates the
    variables but not those tensors, so a copied network would standardise
    with mean 0 and variance 1. Call this after copying weights into a
    network. Loading a ``.keras`` file does it already.

    Parameters
    ----------
    network : keras.Model
        A functional or ``Sequential`` network; nested models are followed.

    Returns
    -------
    n_layers : int
        How many layers were refreshed.

    Examples
    --------
    >>> import keras, numpy as np
    >>> network = keras.Sequential([keras.Input((2,)),
    ...                             keras.layers.Normalization(axis=-1)])
    >>> _ = adapt_normalization(network, np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> copy = keras.models.clone_model(network)
    >>> copy.set_weights(network.get_weights())
    >>> refresh_normalization(copy)
    1
    >>> copy.predict(np.array([[1.0, 20.0]]), verbose=0).round(6) + 0.0
    array([[0., 0.]], dtype=float32)
    """
    from specauth._lazy import import_keras

    keras = import_keras()
    if not getattr(network, "layers", None):
        return 0

    wanted = _adapted_layer(keras)
    found = layers_where(network, keras, lambda layer: wanted(layer) and layer.built)
    for _, layer in found:
        layer.finalize_state()
    return len(found)


def _adapted_layer(keras):
    """Predicate: a ``Normalization`` layer whose statistics come from data.

    Layers given ``mean`` and ``variance`` when built hold constants and are
    never set or refreshed.
    """
    return lambda layer: (
        isinstance(layer, keras.layers.Normalization)
        and (getattr(layer, "input_mean", None) is None)
    )
