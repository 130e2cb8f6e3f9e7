"""Simple self-attention over the positions of a 1D or 2D feature map."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()
ops = keras.ops

__all__ = ["SelfAttention"]


@keras.saving.register_keras_serializable(package="specauth")
class SelfAttention(keras.layers.Layer):
    """Simple self-attention ``o = gamma * (x x^T)(W x) + x`` (fastai's).

    The simplified self-attention of fastai's ``SimpleSelfAttention`` (after
    the self-attention GAN of Zhang et al. [1]_, without softmax, keys or
    queries). The feature map is flattened to ``x`` of shape ``(C, N)``
    (``N`` = the length of a ``(batch, length, C)`` map, or ``height *
    width`` of a ``(batch, height, width, C)`` map); ``x x^T`` is the
    ``(C, C)`` Gram matrix of the channels over all positions and ``W`` a
    learned ``(C, C)`` matrix without bias (a 1x1 convolution). Every output
    position is thus a mix of the whole map, at a cost linear in ``N``. The
    scalar ``gamma`` starts at 0, so the layer is the identity until training
    moves it.

    Unlike fastai, ``W`` is not spectrally normalised (its ``sym`` option is
    not offered either).

    Parameters
    ----------
    kernel_initializer : str or keras.initializers.Initializer, default="he_normal"
        Initializer of ``W`` (stored as the ``(C_in, C_out)`` kernel of a
        channels-last 1x1 convolution: ``kernel = W^T``).
    gamma_initializer : str or keras.initializers.Initializer, default="zeros"
        Initializer of ``gamma``.
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ``dtype``...).

    Attributes
    ----------
    kernel : keras.Variable of shape (C, C)
        ``W^T``, after ``build``.
    gamma : keras.Variable of shape ()
        The scale of the attention term, after ``build``.

    See Also
    --------
    specauth.models.xresnet1d : Its ``self_attention=True`` puts this layer in
        the last block of the first stage, as fastai's ``XResNet(sa=True)``.

    References
    ----------
    .. [1] Zhang, Goodfellow, Metaxas & Odena, "Self-attention generative
       adversarial networks", ICML 2019, arXiv:1805.08318.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.models.layers import SelfAttention
    >>> x = np.arange(12, dtype="float32").reshape(1, 4, 3)
    >>> np.asarray(SelfAttention()(x)).tolist() == x.tolist()  # gamma = 0
    True
    """

    def __init__(
        self,
        kernel_initializer: Any = "he_normal",
        gamma_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)

    def build(self, input_shape: Any) -> None:
        if len(input_shape) < 3 or input_shape[-1] is None:
            raise ValueError(
                "`SelfAttention` takes a (batch, length, channels) or (batch, "
                "height, width, channels) map with a known channel count; got "
                f"input_shape={tuple(input_shape)}."
            )
        channels = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel",
            shape=(channels, channels),
            initializer=self.kernel_initializer,
        )
        self.gamma = self.add_weight(
            name="gamma", shape=(), initializer=self.gamma_initializer
        )

    def call(self, inputs: Any) -> Any:
        channels = inputs.shape[-1]
        spatial = inputs.shape[1:-1]
        if None in spatial:
            flat = ops.reshape(inputs, (ops.shape(inputs)[0], -1, channels))
        else:
            flat = ops.reshape(inputs, (-1, math.prod(spatial), channels))
        # Channels-last (N, C) rows: x x^T is flat^T flat, W x is flat W^T.
        gram = ops.matmul(ops.transpose(flat, (0, 2, 1)), flat)
        value = ops.matmul(flat, ops.cast(self.kernel, flat.dtype))
        # ((x x^T)(W x))^T = (W x)^T (x x^T)^T = value @ gram (gram symmetric).
        attended = ops.matmul(value, gram)
        out = ops.cast(self.gamma, flat.dtype) * attended + flat
        return ops.reshape(out, ops.shape(inputs))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = {
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
        }
        return {**super().get_config(), **config}
