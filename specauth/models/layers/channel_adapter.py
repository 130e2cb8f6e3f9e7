"""Turn any number of image channels into the 3 a pretrained base expects.

:func:`fixed_channel_adapter` does it with one built-in Keras layer, so
networks built with it need no specauth to load;
:class:`~specauth.models.CNNFactory` uses it. ``ChannelAdapter``, the custom
layer that earlier versions used, is kept (registered with Keras) only so
that their saved ``.keras`` files load.
"""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()
ops = keras.ops

__all__ = ["channel_mixing_matrix", "fixed_channel_adapter"]


def _check_channels(value, name):
    if isinstance(value, bool | np.bool_) or not isinstance(value, Integral):
        raise TypeError(
            f"`{name}` must be an int >= 1; got {value!r} of type "
            f"{type(value).__name__}."
        )
    if value < 1:
        raise ValueError(f"`{name}` must be an int >= 1; got {value}.")
    return int(value)


def _check_image_shape(image_shape):
    """Return ``(height, width)`` as ints after checking both are >= 1."""
    from specauth.models import _checks

    if isinstance(image_shape, tuple | list) and len(image_shape) != 2:
        raise ValueError(
            "`image_shape` must be a pair (height, width) of ints >= 1; got "
            f"{tuple(image_shape)!r}."
        )
    return _checks.check_int_tuple(image_shape, "image_shape")


def channel_mixing_matrix(in_channels: int, out_channels: int = 3) -> np.ndarray:
    """Return the ``(in_channels, out_channels)`` matrix of the fixed adapter.

    Output channel ``k`` is the mean of the input channels ``i`` with
    ``i % out_channels == k``; an output channel that no input maps to (fewer
    inputs than outputs) is the mean of all input channels. So 1 channel is
    copied to all 3, 3 channels pass through unchanged, and 6 channels are
    averaged in pairs ``(0, 3)``, ``(1, 4)``, ``(2, 5)``.

    Parameters
    ----------
    in_channels : int
        Channels of the input (>= 1).
    out_channels : int, default=3
        Channels of the output (>= 1).

    Returns
    -------
    matrix : ndarray of shape (in_channels, out_channels), dtype float32
        Each column sums to 1.

    Raises
    ------
    TypeError
        If a channel count is not an int.
    ValueError
        If a channel count is < 1.

    Examples
    --------
    >>> channel_mixing_matrix(2)
    array([[1. , 0. , 0.5],
           [0. , 1. , 0.5]], dtype=float32)
    """
    in_channels = _check_channels(in_channels, "in_channels")
    out_channels = _check_channels(out_channels, "out_channels")
    matrix = np.zeros((in_channels, out_channels), dtype=np.float64)
    for k in range(out_channels):
        members = [i for i in range(in_channels) if i % out_channels == k]
        members = members or list(range(in_channels))
        matrix[members, k] = 1.0 / len(members)
    return matrix.astype(np.float32)


@keras.saving.register_keras_serializable(package="specauth")
class ChannelAdapter(keras.layers.Layer):
    """Mix ``c`` input channels into ``out_channels`` (a 1x1 linear map).

    ImageNet bases take RGB images; spectra imaged as one Gramian field, or
    detector images with one or many channels, do not have 3. The adapter is
    a per-pixel linear map ``y = x @ W`` with ``W`` of shape
    ``(c, out_channels)``, initialised to :func:`channel_mixing_matrix`: the
    single channel copied to R, G and B; 3 channels unchanged; more channels
    averaged in groups. With ``trainable=False`` ("fixed" adapter) ``W`` stays
    that matrix; with ``trainable=True`` ("learned" adapter) training moves it
    from there, so the network starts from the sensible copy/average and
    learns a better colour mixing.

    Input shape ``(batch, height, width, c)``; output
    ``(batch, height, width, out_channels)``.

    Parameters
    ----------
    out_channels : int, default=3
        Channels of the output.
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ``trainable``, ...).

    Raises
    ------
    TypeError
        If ``out_channels`` is not an int.
    ValueError
        If ``out_channels < 1``; when built, if the input is not 4D with a
        known channel count.

    See Also
    --------
    fixed_channel_adapter : The same map as a built-in Keras layer, which
        :class:`specauth.models.CNNFactory` uses (layer ``"channel_adapter"``).

    Notes
    -----
    Legacy: no specauth builder uses this layer any more. It is kept only so
    that ``.keras`` files saved by earlier versions load (in safe mode, once
    ``specauth.models.layers`` has been imported).

    Examples
    --------
    >>> import numpy as np
    >>> adapter = ChannelAdapter(trainable=False)
    >>> np.asarray(adapter(np.full((1, 1, 1, 1), 0.5)))
    array([[[[0.5, 0.5, 0.5]]]], dtype=float32)
    """

    def __init__(self, out_channels: int = 3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.out_channels = _check_channels(out_channels, "out_channels")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                "ChannelAdapter expects images (batch, height, width, channels) with "
                f"a known channel count; got input shape {tuple(input_shape)}."
            )
        matrix = channel_mixing_matrix(int(input_shape[-1]), self.out_channels)
        self.kernel = self.add_weight(
            shape=matrix.shape,
            initializer=lambda shape, dtype=None: ops.cast(matrix, dtype or "float32"),
            name="kernel",
        )
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = ops.cast(inputs, self.compute_dtype)
        return ops.einsum("bhwc,ck->bhwk", x, ops.cast(self.kernel, x.dtype))

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.out_channels)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "out_channels": self.out_channels}


def fixed_channel_adapter(
    in_channels: int,
    out_channels: int = 3,
    *,
    image_shape: tuple[int, int],
    trainable: bool = False,
    name: str = "channel_adapter",
) -> keras.layers.EinsumDense:
    """Return a built-in Keras layer mixing ``in_channels`` into ``out_channels``.

    A per-pixel linear map ``y = x @ W``, with ``W`` of shape
    ``(in_channels, out_channels)`` starting at
    :func:`channel_mixing_matrix` (the single channel copied to R, G and B; 3
    channels unchanged; more channels averaged in groups), made of a single
    ``keras.layers.EinsumDense`` layer (equation ``"abcd,de->abce"``, no
    bias) for images of a known ``image_shape``. Built-in layers only, so a
    network that uses it loads with plain ``keras.saving.load_model`` on a
    machine where specauth is not installed.
    :class:`~specauth.models.CNNFactory` uses it (layer
    ``"channel_adapter"``).

    With ``trainable=False`` (the "fixed" adapter) ``W`` stays the mixing
    matrix; with ``trainable=True`` (the "learned" adapter) training moves it
    from there. The layer's initialiser holds the matrix, so
    ``keras.models.clone_model`` rebuilds the layer at its starting point.

    Input shape ``(batch, height, width, in_channels)``; output
    ``(batch, height, width, out_channels)``.

    Parameters
    ----------
    in_channels : int
        Channels of the input (>= 1).
    out_channels : int, default=3
        Channels of the output (>= 1).
    image_shape : (int, int)
        ``(height, width)`` of the images, which the layer's static output
        shape carries (a following ``Flatten`` or pretrained base needs it).
    trainable : bool, default=False
        Whether training updates ``W`` (the layer's ``kernel``).
    name : str, default="channel_adapter"
        Name of the layer.

    Returns
    -------
    keras.layers.EinsumDense
        The layer, unbuilt; its ``kernel`` has shape
        ``(in_channels, out_channels)`` once built.

    Raises
    ------
    TypeError
        If a channel count or ``image_shape`` is not made of ints,
        ``trainable`` is not a bool or ``name`` not a non-empty str.
    ValueError
        If a channel count is < 1, or ``image_shape`` is not a pair of ints
        >= 1.

    See Also
    --------
    channel_mixing_matrix : The initial ``W``.

    Examples
    --------
    >>> import numpy as np
    >>> adapter = fixed_channel_adapter(2, image_shape=(1, 1))
    >>> x = np.array([[[[0.2, 0.4]]]], dtype="float32")
    >>> np.asarray(adapter(x)).round(6)
    array([[[[0.2, 0.4, 0.3]]]], dtype=float32)
    >>> type(adapter).__name__, adapter.trainable
    ('EinsumDense', False)
    """
    from specauth.models import _checks

    matrix = channel_mixing_matrix(in_channels, out_channels)
    height, width = _check_image_shape(image_shape)
    trainable = _checks.check_bool(trainable, "trainable")
    name = _checks.check_name(name)
    return keras.layers.EinsumDense(
        "abcd,de->abce",
        output_shape=(height, width, matrix.shape[1]),
        bias_axes=None,
        kernel_initializer=keras.initializers.Constant(matrix.tolist()),
        trainable=trainable,
        name=name,
    )
