"""Append the normalised position as an extra input channel.

:func:`fixed_position_channel` does it with one built-in Keras layer for a
known length, so networks built with it need no specauth to load; the 1D
builders use it. ``PositionChannel``, the custom layer for inputs of any
length that earlier versions used, is kept (registered with Keras) only so
that their saved ``.keras`` files load.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()
ops = keras.ops

__all__ = ["fixed_position_channel"]


def _check_end(value, name):
    """Return ``value`` as a float after checking it is a finite real number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"`{name}` must be a finite number; got {value!r} "
            f"of type {type(value).__name__}."
        )
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be a finite number; got {value!r}.")
    return float(value)


def _check_ends(low, high):
    """Return ``(low, high)`` as floats: finite, and different."""
    low = _check_end(low, "low")
    high = _check_end(high, "high")
    if low == high:
        raise ValueError(
            f"`low` and `high` must differ, or the ramp carries no position; "
            f"got low={low}, high={high}."
        )
    return low, high


@keras.saving.register_keras_serializable(package="specauth")
class PositionChannel(keras.layers.Layer):
    """Concatenate a ``low -> high`` position ramp to the channels of a spectrum.

    A convolution is translation-equivariant and a global-average-pooling head
    discards where a feature occurred, so a plain GAP network cannot tell two
    spectra apart that differ only in *where* a peak sits -- the very thing
    that separates diffraction phases. With the position as an extra channel
    ("CoordConv" [1]_) the filters can respond to a peak *at a
    given place*, while the head stays a GAP head that class activation maps
    can explain.

    Input shape ``(batch, length, channels)``; output
    ``(batch, length, channels + 1)``, the last channel being
    ``linspace(low, high, length)``.

    Parameters
    ----------
    low : float, default=-1.0
        Value of the ramp at the first position.
    high : float, default=1.0
        Value of the ramp at the last position; must differ from ``low``. A
        length-1 input gets ``low``.
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Raises
    ------
    TypeError
        If ``low`` or ``high`` is not a real number (bools are refused).
    ValueError
        If ``low`` or ``high`` is not finite, or ``low == high``.

    See Also
    --------
    fixed_position_channel : The built-in layer the builders use instead.

    Notes
    -----
    Legacy: no specauth builder uses this layer any more. It is kept only so
    that ``.keras`` files saved by earlier versions load: such a file loads in
    safe mode once this module has been imported (``import
    specauth.models.layers``), which registers the class with Keras. The
    layer has no weights.

    References
    ----------
    .. [1] Liu, Lehman, Molino et al., "An intriguing failing of convolutional
       neural networks and the CoordConv solution", NeurIPS 2018,
       arXiv:1807.03247.

    Examples
    --------
    >>> import numpy as np
    >>> out = PositionChannel()(np.zeros((2, 5, 1), dtype="float32"))
    >>> np.asarray(out)[0, :, 1]
    array([-1. , -0.5,  0. ,  0.5,  1. ], dtype=float32)
    """

    def __init__(self, low: float = -1.0, high: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        low, high = _check_ends(low, high)
        self.low = low
        self.high = high

    def call(self, inputs: Any) -> Any:
        length = ops.shape(inputs)[1]
        ramp = ops.linspace(self.low, self.high, length)
        ramp = ops.cast(ops.reshape(ramp, (1, length, 1)), inputs.dtype)
        batch = ops.shape(inputs)[0]
        ramp = ops.broadcast_to(ramp, (batch, length, 1))
        return ops.concatenate([inputs, ramp], axis=-1)

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        channels = None if input_shape[-1] is None else input_shape[-1] + 1
        return (*input_shape[:-1], channels)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "low": self.low, "high": self.high}


def fixed_position_channel(
    length: int,
    channels: int,
    *,
    low: float = -1.0,
    high: float = 1.0,
    name: str = "position",
) -> keras.layers.EinsumDense:
    """Return a built-in Keras layer that appends a ``low -> high`` position ramp.

    For inputs of a known ``length``, made of a single frozen
    ``keras.layers.EinsumDense`` layer:
    its kernel is ``[I | 0]`` (a copy of the ``channels`` input channels and
    one zero column) and its per-position bias is ``[0 | ramp]``. Built-in
    layers only, so a network that uses it loads with plain
    ``keras.saving.load_model`` on a machine where specauth is not installed.
    The builders :func:`~specauth.models.cnn1d` and
    :func:`~specauth.models.resnet1d` use it.

    The copy is exact (each channel is multiplied by 1 and added to zeros);
    the ramp is ``numpy.linspace(low, high, length)`` rounded to float32. The
    layer is not trainable; its initialisers hold the values, so
    ``keras.models.clone_model`` rebuilds it unchanged.

    Parameters
    ----------
    length : int
        Number of positions of the input (``>= 1``).
    channels : int
        Number of input channels (``>= 1``); the output has ``channels + 1``.
    low, high : float, default=-1.0, 1.0
        Ramp values at the first and the last position; must differ.
    name : str, default="position"
        Name of the layer.

    Returns
    -------
    keras.layers.EinsumDense
        A layer mapping ``(batch, length, channels)`` to
        ``(batch, length, channels + 1)``.

    Raises
    ------
    TypeError
        If ``length`` or ``channels`` is not an int, or ``low``/``high`` is
        not a real number.
    ValueError
        If ``length`` or ``channels`` is below 1, ``low``/``high`` is not
        finite, or ``low == high``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = fixed_position_channel(5, 1)
    >>> out = np.asarray(layer(np.full((2, 5, 1), 7.0, dtype="float32")))
    >>> out[0].T
    array([[ 7. ,  7. ,  7. ,  7. ,  7. ],
           [-1. , -0.5,  0. ,  0.5,  1. ]], dtype=float32)
    >>> type(layer).__name__, layer.trainable
    ('EinsumDense', False)
    """
    import numpy as np

    from specauth.models import _checks

    length = _checks.check_positive_int(length, "length")
    channels = _checks.check_positive_int(channels, "channels")
    low, high = _check_ends(low, high)
    ramp = np.linspace(low, high, length) if length > 1 else np.array([low])
    return _frozen_position_features(ramp[:, None], channels, name)


def _frozen_position_features(features, channels, name):
    """Frozen built-in layer appending fixed per-position ``features``.

    ``features`` is an array of shape ``(length, k)``; the layer maps
    ``(batch, length, channels)`` to ``(batch, length, channels + k)``: one
    ``EinsumDense`` whose kernel ``[I | 0]`` copies the channels exactly and
    whose per-position bias ``[0 | features]`` holds the features. The
    initialisers hold the values, so the layer loads with plain Keras and
    ``clone_model`` rebuilds it unchanged. Shared by
    :func:`fixed_position_channel` and the position features of
    :func:`~specauth.models.cnn1d`; the callers check their arguments.
    """
    import numpy as np

    length, extra = features.shape
    width = channels + extra
    kernel = np.zeros((channels, width))
    kernel[:, :channels] = np.eye(channels)
    bias = np.zeros((length, width))
    bias[:, channels:] = features
    return keras.layers.EinsumDense(
        "abc,cd->abd",
        output_shape=(length, width),
        bias_axes="bd",
        kernel_initializer=keras.initializers.Constant(kernel.tolist()),
        bias_initializer=keras.initializers.Constant(bias.tolist()),
        trainable=False,
        name=name,
    )
