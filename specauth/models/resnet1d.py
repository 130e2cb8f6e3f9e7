"""Residual network for time series (Wang, Yan & Oates, 2017), for spectra."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth.models import _checks, _parts
from specauth.models._seeds import SeedStream
from specauth.models.registry import register_model

if TYPE_CHECKING:
    import keras

__all__ = ["resnet1d"]

#: ``downsample="auto"`` adds a stem when the input is longer than this.
_AUTO_MAX_POSITIONS = 1024


def _stem_factor(length, downsample):
    """Return the total downsampling factor of the stem (1 means no stem)."""
    if downsample is None:
        return 1
    if downsample == "auto":
        factor = 1
        while math.ceil(length / factor) > _AUTO_MAX_POSITIONS:
            factor *= 2
        return factor
    factor = downsample
    while factor > 1 and math.ceil(length / factor) < 2:
        factor //= 2  # never leave fewer than 2 positions
    return factor


def _split_factor(factor):
    """Split a power-of-two ``factor`` into ``(conv_stride, pool_size)``."""
    stride = 2 ** math.ceil(math.log2(factor) / 2)
    return stride, factor // stride


def _stem(keras, x, filters, factor, seeds, log):
    """Strided Conv1D -> BatchNorm -> ReLU -> [MaxPooling1D]; length / factor."""
    stride, pool = _split_factor(factor)
    x = keras.layers.Conv1D(
        filters,
        max(7, 2 * stride + 1),
        strides=stride,
        padding="same",
        use_bias=False,
        kernel_initializer=keras.initializers.HeUniform(seed=seeds.next()),
        name="stem_conv",
    )(x)
    x = _parts.batch_norm(keras, "stem_bn")(x)
    x = _parts.activation(keras, "stem_relu", log)(x)
    if pool > 1:
        x = keras.layers.MaxPooling1D(pool, padding="same", name="stem_pool")(x)
    return x


def _conv_bn(keras, x, filters, kernel_size, name, seeds):
    x = keras.layers.Conv1D(
        filters,
        kernel_size,
        padding="same",
        use_bias=False,
        kernel_initializer=keras.initializers.HeUniform(seed=seeds.next()),
        name=f"{name}_conv",
    )(x)
    return _parts.batch_norm(keras, f"{name}_bn")(x)


def _residual_block(keras, x, index, filters, kernel_sizes, seeds, log=False):
    """Convolutions of ``kernel_sizes`` + shortcut, added, then ReLU.

    ``log``: the block's first activation is a LogActivation.
    """
    y = x
    for j, kernel_size in enumerate(kernel_sizes, start=1):
        y = _conv_bn(keras, y, filters, kernel_size, f"block{index}_{j}", seeds)
        if j < len(kernel_sizes):
            y = _parts.activation(keras, f"block{index}_{j}_relu", log and j == 1)(y)
    shortcut = x
    if x.shape[-1] != filters:
        shortcut = _conv_bn(keras, x, filters, 1, f"block{index}_shortcut", seeds)
    y = keras.layers.Add(name=f"block{index}_add")([y, shortcut])
    last_log = log and len(kernel_sizes) == 1  # the block's only activation
    return _parts.activation(keras, f"block{index}_out", last_log)(y)


def _check_downsample(downsample):
    if downsample is None or downsample == "auto":
        return downsample
    if isinstance(downsample, str):
        raise ValueError(
            f"`downsample` must be 'auto', None or a power of 2; got {downsample!r}."
        )
    factor = _checks.check_int(downsample, "downsample")
    if factor & (factor - 1):
        raise ValueError(
            f"`downsample` must be 'auto', None or a power of 2; got {downsample}."
        )
    return factor


def resnet1d(
    input_shape: tuple[int, int],
    n_classes: int,
    *,
    filters: tuple[int, ...] = (64, 128, 128),
    kernel_sizes: tuple[int, ...] = (8, 5, 3),
    input_norm: bool | str = True,
    derivative: bool = False,
    position_channel: bool = True,
    dropout: float = 0.0,
    downsample: int | str | None = "auto",
    log_activation: bool = False,
    seed: int | None = None,
    name: str = "resnet1d",
) -> keras.Model:
    """Build the 1D residual network of Wang, Yan & Oates (2017) for spectra.

    ``Input -> BatchNormalization("input_norm") -> position ramp ("position")
    -> [stem] -> len(filters) x residual block -> GlobalAveragePooling1D("gap")
    -> [Dropout] -> Dense(n_classes, "logits")``. Each residual block has one
    Conv1D + BatchNorm per entry of ``kernel_sizes`` (ReLU between them), a
    shortcut that is the identity, or a 1x1 Conv1D + BatchNorm when the channel
    count changes, an addition and a ReLU. The blocks keep the full resolution,
    which is the strong time-series baseline but is slow on long inputs; hence
    the stem.

    Parameters
    ----------
    input_shape : tuple of int
        ``(length, channels)``; pass ``(length, 1)`` for spectra of shape
        ``(n_samples, length)``. Any length >= 1 works.
    n_classes : int
        Number of classes (>= 2), the width of the ``"logits"`` layer.
    filters : tuple of int, default=(64, 128, 128)
        Filters of each residual block (one block per entry).
    kernel_sizes : tuple of int, default=(8, 5, 3)
        Kernel size of each convolution inside a block.
    input_norm : {"batch", "standard"} or bool, default=True
        ``"batch"`` (or True): the first layer is
        ``BatchNormalization(name="input_norm")``, which standardises the raw
        input scale (counts or log-spectra alike). ``"standard"``: a
        ``Normalization`` layer ``"input_std"`` standardises every point with
        the training data's mean and standard deviation (scikit-learn's
        ``StandardScaler`` inside the network; the estimators set its
        statistics, see :func:`specauth.training.adapt_normalization`), which
        brings out small differences on a large common shape. False: none.
    derivative : bool, default=False
        Whether to append the first derivative of each input channel as a
        channel, before ``input_norm`` (frozen central differences, layer
        ``"derivative"``; 0 at both ends; none below 3 points). With
        ``input_norm="standard"`` it lets the network see changes of slope
        that a common baseline hides.
    position_channel : bool, default=True
        Whether to append the normalised position as an extra input channel
        (layer ``"position"``, a frozen built-in ``EinsumDense`` from
        :func:`~specauth.models.layers.fixed_position_channel`) so the GAP head
        can use *where* a peak is, not only its shape.
    dropout : float, default=0.0
        Dropout rate between ``"gap"`` and the logits; 0 for none.
    downsample : "auto", None or int, default="auto"
        Total downsampling factor of a stem placed before the residual blocks:
        a strided ``Conv1D(filters[0])`` (layer ``"stem_conv"``) + BatchNorm +
        ReLU, then a ``MaxPooling1D`` (``"stem_pool"``); the factor is split
        between the stride and the pool (4 = stride 2 and pool 2, 32 = stride
        8 and pool 4). ``"auto"`` picks the smallest power of 2 that brings
        the length to at most 1,024 positions (no stem for up to 1,024 points,
        factor 4 for 2,631 points, 32 for 20,000); ``None`` means no stem and
        full resolution; an int must be a power of 2 and is reduced where it
        would leave fewer than 2 positions.
    log_activation : bool, default=False
        Whether the activation after the first convolution is a
        :class:`~specauth.models.layers.LogActivation` (layer ``"stem_log"`` in
        place of ``"stem_relu"``; without a stem ``"block1_1_log"`` in place
        of ``"block1_1_relu"``), which compresses intensities that span
        orders of magnitude (Zimmermann et al., 2019). The network then
        holds a specauth layer: its ``.keras`` file loads once
        ``specauth.models.layers`` is imported.
    seed : int, default=None
        Seed of all initializers and of the dropout: two builds with the same
        seed have identical initial weights. ``None`` draws fresh weights.
    name : str, default="resnet1d"
        Name of the returned model.

    Returns
    -------
    model : keras.Model
        An uncompiled functional model mapping ``(batch, length, channels)``
        to logits of shape ``(batch, n_classes)`` (no softmax).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If an argument is out of range (e.g. ``n_classes < 2``, a
        ``downsample`` that is not a power of 2, a length of 0).

    See Also
    --------
    cnn1d : The faster strided network, the default of ``CNNClassifier``.
    specauth.models.get_model : Registered variants ``"resnet1d"`` and
        ``"resnet1d_small"``.

    References
    ----------
    .. [1] Wang, Yan & Oates, "Time series classification from scratch with
       deep neural networks: a strong baseline", IJCNN 2017,
       arXiv:1611.06455.

    Examples
    --------
    >>> from specauth.models import resnet1d
    >>> model = resnet1d((2631, 1), n_classes=10, seed=0)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("gap").input.shape  # stem factor 4: 2631 -> 658
    (None, 658, 128)
    """
    length, channels = _checks.check_input_shape(input_shape)
    n_classes = _checks.check_n_classes(n_classes)
    filters = _checks.check_int_tuple(filters, "filters")
    kernel_sizes = _checks.check_int_tuple(kernel_sizes, "kernel_sizes")
    norm = _checks.check_input_norm(input_norm)
    derivative = _checks.check_bool(derivative, "derivative")
    position_channel = _checks.check_bool(position_channel, "position_channel")
    dropout = _checks.check_rate(dropout, "dropout")
    factor = _stem_factor(length, _check_downsample(downsample))
    log = _checks.check_bool(log_activation, "log_activation")
    seeds = SeedStream(_checks.check_seed(seed))
    name = _checks.check_name(name)

    keras = import_keras()
    inputs, x = _parts.spectrum_input(
        keras, (length, channels), norm, position_channel, derivative
    )
    if factor > 1:
        x = _stem(keras, x, filters[0], factor, seeds, log)
    for i, block_filters in enumerate(filters, start=1):
        first = log and i == 1 and factor == 1
        x = _residual_block(keras, x, i, block_filters, kernel_sizes, seeds, first)
    logits = _parts.logits_head(
        keras, x, n_classes, head="gap", dense_units=None, dropout=dropout, seeds=seeds
    )
    return keras.Model(inputs, logits, name=name)


register_model("resnet1d")(resnet1d)


@register_model("resnet1d_small")
def resnet1d_small(
    input_shape: tuple[int, int],
    n_classes: int,
    *,
    seed: int | None = None,
    **options: Any,
) -> keras.Model:
    """:func:`resnet1d` with ``filters=(16, 32, 32)``, for tests and tiny data.

    Any :func:`resnet1d` option can be passed and overrides these defaults.

    Examples
    --------
    >>> from specauth.models import get_model
    >>> get_model("resnet1d_small")((64, 1), 3, seed=0).get_layer("gap").input.shape
    (None, 64, 32)
    """
    options = {"filters": (16, 32, 32), "name": "resnet1d_small", **options}
    return resnet1d(input_shape, n_classes, seed=seed, **options)
