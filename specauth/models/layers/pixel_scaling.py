"""PixelScaling: map an input value range to what a pretrained base expects."""

from __future__ import annotations

import math
from numbers import Real

from specauth._lazy import import_keras

keras = import_keras()
ops = keras.ops

__all__ = ["PIXEL_MODES", "PixelScaling"]

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
    specauth.models.CNNFactory : Puts this layer (``"pixel_scaling"``) in
        front of every pretrained base.

    Examples
    --------
    >>> import numpy as np
    >>> layer = PixelScaling(input_range=(-1.0, 1.0), mode="tf")
    >>> np.asarray(layer(np.array([[[[-1.0, 0.0, 1.0]]]]))).round(6)
    array([[[[-1.,  0.,  1.]]]], dtype=float32)
    """

    def __init__(self, input_range=(0.0, 255.0), mode="tf", **kwargs):
        super().__init__(**kwargs)
        self.input_range = _check_range(input_range)
        if not isinstance(mode, str):
            raise TypeError(
                f"`mode` must be one of {list(PIXEL_MODES)}; got {mode!r} "
                f"of type {type(mode).__name__}."
            )
        if mode not in PIXEL_MODES:
            raise ValueError(
                f"`mode` must be one of {list(PIXEL_MODES)}; got {mode!r}."
            )
        self.mode = mode

    def build(self, input_shape):
        channels = input_shape[-1]
        if len(input_shape) != 4:
            raise ValueError(
                "PixelScaling expects images (batch, height, width, channels); got "
                f"input shape {tuple(input_shape)}."
            )
        if self.mode in ("torch", "caffe") and channels != 3:
            raise ValueError(
                f"`mode={self.mode!r}` needs RGB images with 3 channels; got "
                f"{channels} channels."
            )
        self.built = True

    def call(self, inputs):
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

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "input_range": list(self.input_range),
            "mode": self.mode,
        }
