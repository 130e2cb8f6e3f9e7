"""GramianAngularLayer: image spectra into Gramian angular fields inside a network."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras
from specauth._segments import segment_bounds
from specauth._validation import Interval, check_choice, check_pair, check_scalar

if TYPE_CHECKING:
    from collections.abc import Sequence

    import keras
else:
    keras = import_keras()
ops = keras.ops

__all__ = ["GramianAngularLayer"]

_METHODS = ("summation", "difference")
_POSITIVE = Interval(Integral, 1, None)
_UNIT = Interval(Real, -1, 1)


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
        image_size: int | None = None,
        method: str = "summation",
        sample_range: Sequence[float] = (-1.0, 1.0),
        channels: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.image_size = check_scalar(
            "image_size", image_size, _POSITIVE, allow_none=True
        )
        self.method = check_choice("method", method, _METHODS)
        self.sample_range = check_pair("sample_range", sample_range, _UNIT, strict=True)
        self.channels = check_scalar("channels", channels, _POSITIVE)
        self._paa: Any = None

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

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        length = self._length(input_shape)
        size = self.image_size or length
        if size != length:
            self._paa = ops.convert_to_tensor(_paa_matrix(length, size), "float32")
        self.built = True

    def call(self, inputs: Any) -> Any:
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

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        size = self.image_size or self._length(input_shape)
        return (input_shape[0], size, size, self.channels)

    def compute_output_spec(self, inputs: Any) -> keras.KerasTensor:
        shape = self.compute_output_shape(inputs.shape)
        return keras.KerasTensor(shape, dtype="float32")

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "image_size": self.image_size,
            "method": self.method,
            "sample_range": list(self.sample_range),
            "channels": self.channels,
        }
