"""Map an input value range to the pixels a pretrained base expects.

:func:`fixed_pixel_scaling` does it with one built-in Keras layer, so
networks built with it need no specauth to load;
:class:`~specauth.models.CNNFactory` uses it. ``PixelScaling``, the custom
layer that earlier versions used, is kept (registered with Keras) only so
that their saved ``.keras`` files load.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras
from specauth.models.layers.channel_adapter import _check_image_shape

if TYPE_CHECKING:
    from collections.abc import Sequence

    import keras
else:
    keras = import_keras()
ops = keras.ops

__all__ = ["PIXEL_MODES", "fixed_pixel_scaling"]

#: Per-channel mean and standard deviation of ImageNet in RGB order, on the
#: 0-1 scale ("torch" mode) and the BGR means on the 0-255 scale ("caffe").
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)

#: The input conventions of ``keras.applications`` bases: ``"tf"`` scales
#: 0-255 pixels to [-1, 1]; ``"torch"`` to 0-1 then standardises each RGB
#: channel with the ImageNet mean and std; ``"caffe"`` flips RGB to BGR and
#: subtracts the ImageNet BGR mean; ``"none"`` leaves 0-255 pixels as they are
#: (for bases that rescale inside themselves: EfficientNet, ConvNeXt,
#: MobileNetV3).
PIXEL_MODES = ("tf", "torch", "caffe", "none")


def _check_range(value):
    message = (
        "`input_range` must be a pair of finite numbers (low, high) with low < "
        f"high; got {value!r}."
    )
    if isinstance(value, str | bytes) or not hasattr(value, "__len__"):
        raise TypeError(message)
    if len(value) != 2:
        raise ValueError(message)
    for end in value:
        if isinstance(end, bool) or not isinstance(end, Real):
            raise TypeError(message)
    low, high = float(value[0]), float(value[1])
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise ValueError(message)
    return low, high


def _check_mode(mode):
    if not isinstance(mode, str):
        raise TypeError(
            f"`mode` must be one of {list(PIXEL_MODES)}; got {mode!r} "
            f"of type {type(mode).__name__}."
        )
    if mode not in PIXEL_MODES:
        raise ValueError(f"`mode` must be one of {list(PIXEL_MODES)}; got {mode!r}.")
    return mode


def _check_mode_channels(mode, channels):
    if mode in ("torch", "caffe") and channels != 3:
        raise ValueError(
            f"`mode={mode!r}` needs RGB images with 3 channels; got "
            f"{channels} channels."
        )


@keras.saving.register_keras_serializable(package="specauth")
class PixelScaling(keras.layers.Layer):
    """Map inputs in ``input_range`` to 0-255 pixels, then to a base's convention.

    A pretrained ``keras.applications`` base was trained on RGB pixels in
    0-255 passed through its module's ``preprocess_input``. This layer does
    both steps inside the network, so a model can take images in any range
    (a Gramian angular field in [-1, 1], an intensity map in [0, 1], ...) and
    a saved ``.keras`` file needs no separate preprocessing code:

    1. ``pixels = (x - low) / (high - low) * 255`` with
       ``(low, high) = input_range``;
    2. ``mode="tf"``: ``pixels / 127.5 - 1``; ``"torch"``: ``pixels / 255``
       minus the ImageNet RGB mean, divided by its std; ``"caffe"``: RGB to
       BGR, minus the ImageNet BGR mean; ``"none"``: ``pixels`` unchanged.

    Input and output shape ``(batch, height, width, channels)``; ``"torch"``
    and ``"caffe"`` need 3 channels.

    Parameters
    ----------
    input_range : tuple of (float, float), default=(0.0, 255.0)
        Values mapped to pixel 0 and pixel 255.
    mode : {"tf", "torch", "caffe", "none"}, default="tf"
        The base's pixel convention, as in
        ``keras.applications.imagenet_utils.preprocess_input``.
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ...).

    Raises
    ------
    TypeError
        If ``input_range`` is not a pair of numbers or ``mode`` is not a str.
    ValueError
        If ``low >= high``, an end is not finite or ``mode`` is unknown; when
        built, if ``mode`` is ``"torch"`` or ``"caffe"`` and the input does not
        have 3 channels.

    See Also
    --------
    fixed_pixel_scaling : The same map as a built-in Keras layer, which
        :class:`specauth.models.CNNFactory` puts (layer ``"pixel_scaling"``)
        in front of every pretrained base.

    Notes
    -----
    Legacy: no specauth builder uses this layer any more. It is kept only so
    that ``.keras`` files saved by earlier versions load (in safe mode, once
    ``specauth.models.layers`` has been imported).

    Examples
    --------
    >>> import numpy as np
    >>> layer = PixelScaling(input_range=(-1.0, 1.0), mode="tf")
    >>> np.asarray(layer(np.array([[[[-1.0, 0.0, 1.0]]]]))).round(6)
    array([[[[-1.,  0.,  1.]]]], dtype=float32)
    """

    def __init__(
        self,
        input_range: Sequence[float] = (0.0, 255.0),
        mode: str = "tf",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.input_range = _check_range(input_range)
        self.mode = _check_mode(mode)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = input_shape[-1]
        if len(input_shape) != 4:
            raise ValueError(
                "PixelScaling expects images (batch, height, width, channels); got "
                f"input shape {tuple(input_shape)}."
            )
        _check_mode_channels(self.mode, channels)
        self.built = True

    def call(self, inputs: Any) -> Any:
        low, high = self.input_range
        x = ops.cast(inputs, self.compute_dtype)
        pixels = (x - low) * (255.0 / (high - low))
        if self.mode == "tf":
            return pixels / 127.5 - 1.0
        if self.mode == "torch":
            mean = ops.convert_to_tensor(_TORCH_MEAN, dtype=self.compute_dtype)
            std = ops.convert_to_tensor(_TORCH_STD, dtype=self.compute_dtype)
            return (pixels / 255.0 - mean) / std
        if self.mode == "caffe":
            mean = ops.convert_to_tensor(_CAFFE_BGR_MEAN, dtype=self.compute_dtype)
            return ops.flip(pixels, axis=-1) - mean
        return pixels

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "input_range": list(self.input_range),
            "mode": self.mode,
        }


def _affine_map(input_range, mode, channels):
    """Return ``(kernel, bias)`` in float64 with ``output = x @ kernel + bias``."""
    low, high = input_range
    scale = 255.0 / (high - low)  # pixels = x * scale - low * scale
    offset = np.full(channels, -low * scale)
    if mode == "tf":
        gain, bias = np.full(channels, scale / 127.5), offset / 127.5 - 1.0
    elif mode == "torch":
        std, mean = np.asarray(_TORCH_STD), np.asarray(_TORCH_MEAN)
        gain, bias = scale / 255.0 / std, (offset / 255.0 - mean) / std
    elif mode == "caffe":
        gain, bias = np.full(channels, scale), offset - np.asarray(_CAFFE_BGR_MEAN)
    else:
        gain, bias = np.full(channels, scale), offset
    kernel = np.diag(gain)
    if mode == "caffe":  # output channel k reads input channel 2 - k (RGB -> BGR)
        kernel = kernel[::-1]
    return kernel, bias


def fixed_pixel_scaling(
    input_range: Sequence[float] = (0.0, 255.0),
    mode: str = "tf",
    *,
    image_shape: tuple[int, int],
    channels: int = 3,
    name: str = "pixel_scaling",
) -> keras.layers.EinsumDense:
    """Return a built-in Keras layer mapping ``input_range`` to a base's pixels.

    ``pixels = (x - low) / (high - low) * 255`` with ``(low, high) =
    input_range``, then the ``"tf"``, ``"torch"``, ``"caffe"`` or ``"none"``
    convention of ``keras.applications.imagenet_utils.preprocess_input``
    (see ``PIXEL_MODES``) --
    made of a single frozen ``keras.layers.EinsumDense`` layer (equation
    ``"abcd,de->abce"``, one bias per output channel) for images of a known
    ``image_shape``. Every mode is an
    affine map per channel, and ``"caffe"``'s RGB to BGR flip a permutation
    of the channels, so ``output = x @ kernel + bias`` with a diagonal (for
    ``"caffe"`` anti-diagonal) ``kernel``. Built-in layers only, so a network
    that uses it loads with plain ``keras.saving.load_model`` on a machine
    where specauth is not installed. :class:`~specauth.models.CNNFactory`
    uses it (layer ``"pixel_scaling"``).

    The kernel and bias are worked out in float64 and rounded to float32; the
    layer computes ``x * a + b``, which equals ``(x - low) * a'`` (the
    two-step map above) to float32 rounding of the output (of order ``1e-7``
    times ``|b|``). The layer is not trainable; its
    initialisers hold the values, so ``keras.models.clone_model`` rebuilds it
    unchanged.

    Input and output shape ``(batch, height, width, channels)``.

    Parameters
    ----------
    input_range : tuple of (float, float), default=(0.0, 255.0)
        Values mapped to pixel 0 and pixel 255.
    mode : {"tf", "torch", "caffe", "none"}, default="tf"
        The base's pixel convention, as in
        ``keras.applications.imagenet_utils.preprocess_input``.
    image_shape : (int, int)
        ``(height, width)`` of the images, which the layer's static output
        shape carries (a following ``Flatten`` or pretrained base needs it).
    channels : int, default=3
        Channels of the input (>= 1); ``"torch"`` and ``"caffe"`` need 3.
    name : str, default="pixel_scaling"
        Name of the layer.

    Returns
    -------
    keras.layers.EinsumDense
        The layer, unbuilt; once built its ``kernel`` has shape
        ``(channels, channels)`` and its ``bias`` shape ``(channels,)``.

    Raises
    ------
    TypeError
        If ``input_range`` is not a pair of numbers, ``mode`` not a str,
        ``image_shape`` or ``channels`` not made of ints, or ``name`` not a
        non-empty str.
    ValueError
        If ``low >= high``, an end is not finite, ``mode`` is unknown,
        ``image_shape`` is not a pair of ints >= 1, ``channels < 1``, or
        ``mode`` is ``"torch"`` or ``"caffe"`` and ``channels != 3``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = fixed_pixel_scaling((-1.0, 1.0), "caffe", image_shape=(1, 1))
    >>> x = np.array([[[[-1.0, 0.0, 1.0]]]], dtype="float32")
    >>> np.asarray(layer(x)).round(3)  # BGR pixels 255, 127.5, 0 minus the means
    array([[[[ 151.061,   10.721, -123.68 ]]]], dtype=float32)
    >>> type(layer).__name__, layer.trainable
    ('EinsumDense', False)
    """
    from specauth.models import _checks

    input_range = _check_range(input_range)
    mode = _check_mode(mode)
    height, width = _check_image_shape(image_shape)
    channels = _checks.check_positive_int(channels, "channels")
    _check_mode_channels(mode, channels)
    name = _checks.check_name(name)
    kernel, bias = _affine_map(input_range, mode, channels)
    return keras.layers.EinsumDense(
        "abcd,de->abce",
        output_shape=(height, width, channels),
        bias_axes="e",
        kernel_initializer=keras.initializers.Constant(kernel.tolist()),
        bias_initializer=keras.initializers.Constant(bias.tolist()),
        trainable=False,
        name=name,
    )
