"""Strided 1D convolutional network for spectra (the PGAA reference network)."""

from __future__ import annotations

import math

from specauth._lazy import import_keras
from specauth.models import _checks, _parts
from specauth.models._seeds import SeedStream
from specauth.models.registry import register_model

__all__ = ["cnn1d"]

#: ``n_blocks="auto"`` adds blocks until the feature map has at most this many
#: positions; each block divides the length by ``strides * pool_size`` (4 by
#: default), so the final map has roughly 1 to 4 positions and the last
#: filters see most of the spectrum.
_AUTO_MAX_POSITIONS = 4


def _plan_blocks(length, n_blocks, max_blocks, strides, pool_size):
    """Return ``(plan, final_length)``; ``plan`` holds ``(stride, pool)`` per block.

    A stride or pool that would leave fewer than 2 positions is replaced by 1,
    so short inputs (down to 1 point) keep a valid feature map.
    """
    n_planned = max_blocks if n_blocks == "auto" else n_blocks
    plan, current = [], length
    while len(plan) < n_planned:
        if n_blocks == "auto" and plan and current <= _AUTO_MAX_POSITIONS:
            break
        stride = strides if math.ceil(current / strides) >= 2 else 1
        current = math.ceil(current / stride)
        pool = pool_size if math.ceil(current / pool_size) >= 2 else 1
        current = math.ceil(current / pool)
        plan.append((stride, pool))
    return plan, current


def _conv_block(keras, x, index, filters, kernel_size, stride, pool, bn, seeds):
    """Conv1D -> [BatchNorm] -> ReLU -> [MaxPooling1D], layers named block<i>_*."""
    layers = keras.layers
    x = layers.Conv1D(
        filters,
        kernel_size,
        strides=stride,
        padding="same",
        use_bias=not bn,
        kernel_initializer=keras.initializers.HeUniform(seed=seeds.next()),
        name=f"block{index}_conv",
    )(x)
    if bn:
        x = _parts.batch_norm(keras, f"block{index}_bn")(x)
    x = layers.ReLU(name=f"block{index}_relu")(x)
    if pool > 1:
        x = layers.MaxPooling1D(pool, padding="same", name=f"block{index}_pool")(x)
    return x


def _check_cnn1d_options(n_blocks, filters, head, dense_units):
    filters = _checks.check_int_tuple(filters, "filters")
    if n_blocks != "auto":
        if isinstance(n_blocks, str):
            raise ValueError(f"`n_blocks` must be 'auto' or an int; got {n_blocks!r}.")
        n_blocks = _checks.check_positive_int(n_blocks, "n_blocks")
        if n_blocks > len(filters):
            raise ValueError(
                f"`n_blocks` must be at most len(filters) = {len(filters)}; got "
                f"{n_blocks}. Pass a longer `filters` tuple for more blocks."
            )
    if not isinstance(head, str):
        raise TypeError(f"`head` must be 'gap' or 'flatten'; got {head!r}.")
    if head not in ("gap", "flatten"):
        raise ValueError(f"`head` must be 'gap' or 'flatten'; got {head!r}.")
    if dense_units is not None:
        dense_units = _checks.check_positive_int(dense_units, "dense_units")
    return n_blocks, filters, dense_units


def cnn1d(
    input_shape,
    n_classes,
    *,
    n_blocks="auto",
    filters=(16, 32, 64, 64, 128, 128),
    kernel_size=7,
    strides=2,
    pool_size=2,
    batch_norm=True,
    head="gap",
    dense_units=None,
    dropout=0.25,
    input_norm=True,
    position_channel=True,
    seed=None,
    name="cnn1d",
):
    """Build a strided 1D CNN that maps spectra to class logits.

    The network is ``Input -> BatchNormalization("input_norm") ->
    PositionChannel("position") -> n_blocks x [Conv1D(filters[i], kernel_size,
    strides, "same") -> BatchNorm -> ReLU -> MaxPooling1D(pool_size, "same")]
    -> head -> Dense(n_classes, "logits")``.
    Each block divides the length by ``strides * pool_size``, so long spectra
    are reduced quickly and the network trains fast on a CPU.

    Parameters
    ----------
    input_shape : tuple of int
        ``(length, channels)``; pass ``(length, 1)`` for spectra of shape
        ``(n_samples, length)``. Any length >= 1 works.
    n_classes : int
        Number of classes (>= 2), the width of the ``"logits"`` layer.
    n_blocks : int or "auto", default="auto"
        Number of convolutional blocks. ``"auto"`` uses the fewest blocks
        (at least 1, at most ``len(filters)``) that bring the feature map to at
        most 4 positions (about 1 to 4 with the defaults): 5 blocks for 2,631
        points, 6 for 20,000. A stride or pool that would leave fewer than 2
        positions is set to 1, so very short inputs are not downsampled.
    filters : tuple of int, default=(16, 32, 64, 64, 128, 128)
        Filters of block ``i``; its length is the maximum number of blocks.
    kernel_size : int, default=7
        Convolution kernel size of every block.
    strides : int, default=2
        Convolution stride of every block.
    pool_size : int, default=2
        Max-pooling size (and stride) of every block; 1 for no pooling.
    batch_norm : bool, default=True
        Whether a ``BatchNormalization`` follows each convolution (the
        convolution then has no bias).
    head : {"gap", "flatten"}, default="gap"
        ``"gap"`` averages the last feature map over positions (layer
        ``"gap"``, needed for class activation maps); ``"flatten"``
        concatenates all positions (layer ``"flatten"``).
    dense_units : int, default=None
        If given, a ``Dense(dense_units, relu)`` layer ``"dense"`` before the
        logits; it then is the embedding (CAM needs Grad-CAM in that case).
    dropout : float, default=0.25
        Dropout rate just before the logits; 0 for none.
    input_norm : bool, default=True
        Whether the first layer is ``BatchNormalization(name="input_norm")``,
        which standardises the raw input scale (counts or log-spectra alike).
    position_channel : bool, default=True
        Whether to append the normalised position as an extra input channel
        (layer ``"position"``, :class:`~specauth.models.layers.PositionChannel`)
        so the GAP head can use *where* a peak is, not only its shape.
    seed : int, default=None
        Seed of all initializers and of the dropout: two builds with the same
        seed have identical initial weights. ``None`` draws fresh weights.
    name : str, default="cnn1d"
        Name of the returned model.

    Returns
    -------
    model : keras.Model
        An uncompiled functional model mapping ``(batch, length, channels)``
        to logits of shape ``(batch, n_classes)`` (no softmax).

    Raises
    ------
    TypeError
        If an argument has the wrong type (e.g. a float ``kernel_size``).
    ValueError
        If an argument is out of range (e.g. ``n_classes < 2``, ``head`` not
        ``"gap"``/``"flatten"``, a 3-entry ``input_shape`` or a length of 0).

    See Also
    --------
    resnet1d : A slower, deeper residual baseline.
    specauth.models.get_model : Registered variants ``"cnn1d"``,
        ``"cnn1d_small"`` and ``"cnn1d_flatten"``.

    Notes
    -----
    A GAP head averages over positions, so by itself it cannot tell two
    spectra apart that differ only in *where* a narrow peak sits -- the case
    that separates diffraction phases. Two defaults address this: the
    position channel lets the filters respond to a feature at a given place,
    and ``n_blocks="auto"`` downsamples to at most 4 positions, so the last
    filters see a window of ``1 + 8 * (4**n_blocks - 1) / 3`` points (2,729
    for 5 blocks) -- most of the spectrum. ``head="flatten"`` is the other way
    to keep positions (the logits then see each one), at the cost of class
    activation maps.

    Every ``BatchNormalization`` uses ``momentum=0.9`` (Keras's default of 0.99
    leaves the moving statistics used at inference far from the data after the
    few hundred steps that small data sets train for).

    References
    ----------
    .. [1] Mahynski, Monroe, Sheen et al., "Classification and authentication
       of materials using prompt gamma ray activation analysis", J Radioanal
       Nucl Chem 332, 3259-3271 (2023).

    Examples
    --------
    >>> from specauth.models import cnn1d
    >>> model = cnn1d((2631, 1), n_classes=10, seed=0)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("gap").input.shape  # 5 blocks: 2631 -> 3 positions
    (None, 3, 128)
    """
    length, channels = _checks.check_input_shape(input_shape)
    n_classes = _checks.check_n_classes(n_classes)
    n_blocks, filters, dense_units = _check_cnn1d_options(
        n_blocks, filters, head, dense_units
    )
    kernel_size = _checks.check_positive_int(kernel_size, "kernel_size")
    strides = _checks.check_positive_int(strides, "strides")
    pool_size = _checks.check_positive_int(pool_size, "pool_size")
    bn = _checks.check_bool(batch_norm, "batch_norm")
    dropout = _checks.check_rate(dropout, "dropout")
    input_norm = _checks.check_bool(input_norm, "input_norm")
    position_channel = _checks.check_bool(position_channel, "position_channel")
    seeds = SeedStream(_checks.check_seed(seed))
    name = _checks.check_name(name)
    plan, _ = _plan_blocks(length, n_blocks, len(filters), strides, pool_size)

    keras = import_keras()
    inputs, x = _parts.spectrum_input(
        keras, (length, channels), input_norm, position_channel
    )
    for i, (stride, pool) in enumerate(plan):
        x = _conv_block(
            keras, x, i + 1, filters[i], kernel_size, stride, pool, bn, seeds
        )
    logits = _parts.logits_head(
        keras,
        x,
        n_classes,
        head=head,
        dense_units=dense_units,
        dropout=dropout,
        seeds=seeds,
    )
    return keras.Model(inputs, logits, name=name)


register_model("cnn1d")(cnn1d)


@register_model("cnn1d_small")
def cnn1d_small(input_shape, n_classes, *, seed=None, **options):
    """:func:`cnn1d` with ``filters=(8, 16, 32, 32)``, for tests and tiny data.

    Any :func:`cnn1d` option can be passed and overrides these defaults.

    Examples
    --------
    >>> from specauth.models import get_model
    >>> get_model("cnn1d_small")((64, 1), 3, seed=0).get_layer("gap").input.shape
    (None, 4, 16)
    """
    options = {"filters": (8, 16, 32, 32), "name": "cnn1d_small", **options}
    return cnn1d(input_shape, n_classes, seed=seed, **options)


@register_model("cnn1d_flatten")
def cnn1d_flatten(input_shape, n_classes, *, seed=None, **options):
    """:func:`cnn1d` with ``head="flatten"``: the logits see every position.

    Any :func:`cnn1d` option can be passed and overrides these defaults.

    Examples
    --------
    >>> from specauth.models import get_model
    >>> get_model("cnn1d_flatten")((64, 1), 3, seed=0).get_layer("flatten").output.shape
    (None, 128)
    """
    options = {"head": "flatten", "name": "cnn1d_flatten", **options}
    return cnn1d(input_shape, n_classes, seed=seed, **options)
