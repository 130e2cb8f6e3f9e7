"""PositionChannel: append the normalised position as an extra input channel."""

from __future__ import annotations

import math
from numbers import Real

from specauth._lazy import import_keras

keras = import_keras()
ops = keras.ops

__all__ = ["PositionChannel"]


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
    specauth.models.cnn1d : Uses it (layer ``"position"``) unless
        ``position_channel=False``.
    specauth.models.resnet1d : Likewise.

    Notes
    -----
    The layer has no weights. A ``.keras`` file holding it loads in safe mode
    once this module has been imported (``import specauth.models.layers``),
    which registers the class with Keras.

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

    def __init__(self, low=-1.0, high=1.0, **kwargs):
        super().__init__(**kwargs)
        low = _check_end(low, "low")
        high = _check_end(high, "high")
        if low == high:
            raise ValueError(
                f"`low` and `high` must differ, or the ramp carries no position; "
                f"got low={low}, high={high}."
            )
        self.low = low
        self.high = high

    def call(self, inputs):
        length = ops.shape(inputs)[1]
        ramp = ops.linspace(self.low, self.high, length)
        ramp = ops.cast(ops.reshape(ramp, (1, length, 1)), inputs.dtype)
        batch = ops.shape(inputs)[0]
        ramp = ops.broadcast_to(ramp, (batch, length, 1))
        return ops.concatenate([inputs, ramp], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = None if input_shape[-1] is None else input_shape[-1] + 1
        return (*input_shape[:-1], channels)

    def get_config(self):
        return {**super().get_config(), "low": self.low, "high": self.high}
