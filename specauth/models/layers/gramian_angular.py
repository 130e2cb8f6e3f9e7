"""GramianAngularLayer: image spectra into Gramian angular fields inside a network."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from specauth._lazy import import_keras
from specauth._segments import segment_bounds

keras = import_keras()
ops = keras.ops

__all__ = ["GramianAngularLayer"]

_METHODS = ("summation", "difference")


def _check_positive_int(value, name, allow_none=False):
    """Return ``value`` as an int after checking it is a positive integer."""
    if value is None and allow_none:
        return None
    expected = "a positive integer or None" if allow_none else "a positive integer"
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(
            f"`{name}` must be {expected}; got {value!r} "
            f"of type {type(value).__name__}."
        )
    if value < 1:
        raise ValueError(f"`{name}` must be {expected}; got {value!r}.")
    return int(value)


def _check_sample_range(sample_range):
    """Return ``sample_range`` as a tuple ``(low, high)`` of floats."""
    message = (
        "`sample_range` must be a pair of numbers (min, max) with "
        f"-1 <= min < max <= 1; got {sample_range!r}."
    )
    if isinstance(sample_range, str | bytes) or not hasattr(sample_range, "__len__"):
        raise TypeError(message)
    if len(sample_range) != 2:
        raise ValueError(message)
    for value in sample_range:
        if isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError(message)
    low, high = float(sample_range[0]), float(sample_range[1])
    if not (math.isfinite(low) and math.isfinite(high)) or not (
        -1.0 <= low < high <= 1.0
    ):
        raise ValueError(message)
    return low, high


def _paa_matrix(length, size):
    """Return the ``(length, size)`` matrix whose column ``k`` averages segment ``k``.

    The segments are those of ``specauth._segments.segment_bounds``, so
    ``X @ M`` equals the piecewise aggregate approximation of
    :class:`~specauth.imaging.GramianAngularField`.
    """
    bounds = segment_bounds(length, size)
    matrix = np.zeros((length, size), dtype=np.float64)
    for k in range(size):
        start, stop = bounds[k], bounds[k + 1]
        matrix[start:stop, k] = 1.0 / (stop - start)
    return matrix.astype(np.float32)


@keras.saving.register_keras_serializable(package="specauth")
class GramianAngularLayer(keras.layers.Layer):
    """Turn each spectrum into its Gramian angular field, on the fly.

    The in-network counterpart of :class:`specauth.imaging.GramianAngularField`:
    a 2D network can take raw spectra as input and image them batch by batch on
    the accelerator, with no ``(n, size, size)`` array held in memory. The
    definition is the same: piecewise aggregate approximation (PAA) down to
    ``image_size`` points, min-max scaling of each spectrum to
    ``sample_range`` (a constant spectrum goes to the middle of the range),
    then, with ``r = sqrt(1 - x**2)``, the summation field
    ``x_i x_j - r_i r_j = cos(phi_i + phi_j)`` or the difference field
    ``r_i x_j - x_i r_j = sin(phi_i - phi_j)``, where ``phi = arccos(x)``.

    Input shape ``(batch, length)`` or ``(batch, length, 1)``, with ``length``
    known when the layer is built; output float32
    ``(batch, size, size, channels)`` with ``size = image_size or length``.

    Parameters
    ----------
    image_size : int, default=None
        Side of the output images, at most ``length``; None keeps every point.
    method : {"summation", "difference"}, default="summation"
        GASF or GADF.
    sample_range : tuple of (float, float), default=(-1.0, 1.0)
        Range each downsampled spectrum is scaled to, within ``[-1, 1]``.
    channels : int, default=1
        Copies of the field along the last axis (3 for an RGB network).
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ...).

    Raises
    ------
    TypeError
        If ``image_size`` or ``channels`` is not an integer (bools are
        refused), ``method`` is not a string or ``sample_range`` is not a pair
        of numbers.
    ValueError
        If ``image_size`` or ``channels`` is below 1, ``method`` is unknown or
        ``sample_range`` is not ``-1 <= min < max <= 1``; when built, if the
        input is not ``(batch, length)`` or ``(batch, length, 1)`` with a known
        ``length >= image_size``.

    See Also
    --------
    specauth.imaging.GramianAngularField : The same field, computed in numpy.

    Notes
    -----
    The PAA is a product with a fixed ``(length, size)`` averaging matrix built
    in ``build`` (a constant, not a weight: nothing is trained or saved). The
    field is computed in float32 whatever the layer's dtype policy, since the
    min-max scaling and the square roots lose too much in float16. A ``.keras``
    file holding the layer loads in safe mode once this module has been
    imported (``import specauth.models.layers``).

    References
    ----------
    Z. Wang and T. Oates, "Imaging time-series to improve classification and
    imputation", IJCAI 2015.

    Examples
    --------
    >>> import numpy as np
    >>> layer = GramianAngularLayer(image_size=2)
    >>> images = np.asarray(layer(np.array([[0.0, 1.0, 2.0, 3.0]])))
    >>> images.shape, images.dtype
    ((1, 2, 2, 1), dtype('float32'))
    >>> images[0, :, :, 0]
    array([[ 1., -1.],
           [-1.,  1.]], dtype=float32)
    """

    def __init__(
        self,
        image_size=None,
        method="summation",
        sample_range=(-1.0, 1.0),
        channels=1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.image_size = _check_positive_int(image_size, "image_size", True)
        if not isinstance(method, str):
            raise TypeError(
                f"`method` must be one of {list(_METHODS)}; got {method!r} "
                f"of type {type(method).__name__}."
            )
        if method not in _METHODS:
            raise ValueError(
                f"`method` must be one of {list(_METHODS)}; got {method!r}."
            )
        self.method = method
        self.sample_range = _check_sample_range(sample_range)
        self.channels = _check_positive_int(channels, "channels")
        self._paa = None

    def _length(self, input_shape):
        """Return the spectrum length of ``input_shape``, checking the shape."""
        shape = tuple(input_shape)
        if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 1):
            raise ValueError(
                "GramianAngularLayer expects inputs of shape (batch, length) or "
                f"(batch, length, 1); got {shape}."
            )
        length = shape[1]
        if length is None:
            raise ValueError(
                "GramianAngularLayer needs the spectrum length when it is built; "
                f"got input shape {shape}. Give the Input a fixed length."
            )
        if self.image_size is not None and self.image_size > length:
            raise ValueError(
                f"`image_size` must be at most the spectrum length {length}; "
                f"got {self.image_size}."
            )
        return int(length)

    def build(self, input_shape):
        length = self._length(input_shape)
        size = self.image_size or length
        if size != length:
            self._paa = ops.convert_to_tensor(_paa_matrix(length, size), "float32")
        self.built = True

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        if len(x.shape) == 3:
            x = ops.squeeze(x, axis=-1)
        if self._paa is not None:
            # Min-max scaling ignores a shift, and shifting by the first point
            # makes a constant spectrum exactly zero, so rounding in the product
            # cannot turn it into a (tiny-span) non-constant one.
            x = ops.matmul(x - x[:, :1], self._paa)
        x = self._scale(x)
        r = ops.sqrt(ops.clip((1.0 - x) * (1.0 + x), 0.0, 1.0))
        x_i, x_j = ops.expand_dims(x, 2), ops.expand_dims(x, 1)
        r_i, r_j = ops.expand_dims(r, 2), ops.expand_dims(r, 1)
        if self.method == "summation":
            field = x_i * x_j - r_i * r_j
        else:
            field = r_i * x_j - x_i * r_j
        field = ops.clip(field, -1.0, 1.0)
        return ops.repeat(ops.expand_dims(field, -1), self.channels, axis=-1)

    def _scale(self, x):
        """Min-max scale rows to ``sample_range``; constant rows go to its middle."""
        low, high = self.sample_range
        mins = ops.min(x, axis=1, keepdims=True)
        spans = ops.max(x, axis=1, keepdims=True) - mins
        constant = ops.equal(spans, 0.0)
        scaled = (x - mins) / ops.where(constant, ops.ones_like(spans), spans)
        scaled = low + scaled * (high - low)
        scaled = ops.where(constant, 0.5 * (low + high), scaled)
        return ops.clip(scaled, low, high)

    def compute_output_shape(self, input_shape):
        size = self.image_size or self._length(input_shape)
        return (input_shape[0], size, size, self.channels)

    def compute_output_spec(self, inputs):
        shape = self.compute_output_shape(inputs.shape)
        return keras.KerasTensor(shape, dtype="float32")

    def get_config(self):
        return {
            **super().get_config(),
            "image_size": self.image_size,
            "method": self.method,
            "sample_range": list(self.sample_range),
            "channels": self.channels,
        }
