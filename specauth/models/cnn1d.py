"""Strided 1D convolutional network for spectra (the PGAA reference network)."""

from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth.models import _checks, _parts
from specauth.models._seeds import SeedStream
from specauth.models.registry import register_model

if TYPE_CHECKING:
    import keras

__all__ = ["cnn1d"]


def _plan_blocks(length, n_blocks, max_blocks, strides, pool_size, max_positions):
    """Return ``(plan, final_length)``; ``plan`` holds ``(stride, pool)`` per block.

    ``n_blocks="auto"`` adds blocks (at least 1, at most ``max_blocks``) until
    the map has at most ``max_positions`` positions; a block whose strided
    convolution already gets there skips its pooling. A stride or pool that
    would leave fewer than 2 positions is replaced by 1, so short inputs (down
    to 1 point) keep a valid feature map.
    """
    auto = n_blocks == "auto"
    n_planned = max_blocks if auto else n_blocks
    plan, current = [], length
    while len(plan) < n_planned:
        if auto and plan and current <= max_positions:
            break
        stride = strides if math.ceil(current / strides) >= 2 else 1
        current = math.ceil(current / stride)
        pool = pool_size if math.ceil(current / pool_size) >= 2 else 1
        if auto and current <= max_positions:
            pool = 1
        current = math.ceil(current / pool)
        plan.append((stride, pool))
    return plan, current


def _conv_block(keras, x, index, filters, kernel_size, stride, pool, bn, seeds, log):
    """Conv1D -> [BatchNorm] -> ReLU -> [MaxPooling1D], layers named block<i>_*.

    ``log``: a LogActivation ``"block<i>_log"`` in place of the ReLU.
    """
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
    x = _parts.activation(keras, f"block{index}_relu", log)(x)
    if pool > 1:
        x = layers.MaxPooling1D(pool, padding="same", name=f"block{index}_pool")(x)
    return x


def _check_frequencies(frequencies):
    """Return ``position_frequencies`` as a tuple of positive floats."""
    if frequencies is None:
        return ()
    if isinstance(frequencies, (str, bytes)) or not isinstance(
        frequencies, (tuple, list)
    ):
        raise TypeError(
            "`position_frequencies` must be a tuple of positive numbers or None; "
            f"got {frequencies!r} of type {type(frequencies).__name__}."
        )
    for i, f in enumerate(frequencies):
        if isinstance(f, bool) or not isinstance(f, Real):
            raise TypeError(
                f"`position_frequencies[{i}]` must be a positive number; got {f!r}."
            )
        if not (math.isfinite(f) and f > 0):
            raise ValueError(
                f"`position_frequencies[{i}]` must be a finite number > 0; got {f}."
            )
    return tuple(float(f) for f in frequencies)


def _fourier_positions(length, channels, frequencies, name):
    """Frozen layer appending ``sin, cos(2 pi f x)`` of the position ``x``.

    ``x = (i + 0.5) / length`` is the centre of position ``i`` in (0, 1); a
    frequency ``f`` is kept only if ``f <= length / 4`` (a period spans at
    least 4 positions). Built like
    :func:`~specauth.models.layers.fixed_position_channel` (one frozen
    built-in ``EinsumDense``), so the network loads with plain Keras. Returns
    None when no frequency is kept.
    """
    import numpy as np

    from specauth.models.layers.position_channel import _frozen_position_features

    kept = [f for f in frequencies if f <= length / 4]
    if not kept:
        return None
    x = (np.arange(length) + 0.5) / length
    waves = [g(2 * np.pi * f * x) for f in kept for g in (np.sin, np.cos)]
    return _frozen_position_features(np.stack(waves, axis=1), channels, name)


def _check_blocks(n_blocks, filters, local_blocks):
    """Return ``(n_blocks, filters, local_blocks, max_blocks)`` after checks."""
    filters = _checks.check_int_tuple(filters, "filters")
    local_blocks = _checks.check_int(local_blocks, "local_blocks", minimum=0)
    max_blocks = len(filters) - local_blocks
    if max_blocks < 1:
        raise ValueError(
            f"`local_blocks` must be less than len(filters) = {len(filters)}, so "
            f"that at least one block downsamples; got {local_blocks}. Pass a "
            "longer `filters` tuple or fewer `local_blocks`."
        )
    if n_blocks != "auto":
        if isinstance(n_blocks, str):
            raise ValueError(f"`n_blocks` must be 'auto' or an int; got {n_blocks!r}.")
        n_blocks = _checks.check_int(n_blocks, "n_blocks")
        if n_blocks > max_blocks:
            raise ValueError(
                f"`n_blocks` must be at most len(filters) - local_blocks = "
                f"{len(filters)} - {local_blocks} = {max_blocks}; got {n_blocks}. "
                "Pass a longer `filters` tuple for more blocks."
            )
    return n_blocks, filters, local_blocks, max_blocks


def _position_limit(max_positions, length):
    """Return the most positions the auto plan may leave (see ``cnn1d``)."""
    if not isinstance(max_positions, str):
        return _checks.check_int(max_positions, "max_positions")
    if max_positions != "auto":
        raise ValueError(
            f"`max_positions` must be 'auto' or an int; got {max_positions!r}."
        )
    # Measured, not derived: 3 sqrt(n) fits the maps that kept both the
    # accuracy and the logit detectors (docs/guide/networks.md); below 144
    # points the 4-points-per-position rule is the tighter one.
    return max(2, min(math.floor(3 * math.sqrt(length)), -(-length // 4)))


def _check_head(head, dense_units):
    if not isinstance(head, str):
        raise TypeError(f"`head` must be 'gap' or 'flatten'; got {head!r}.")
    if head not in ("gap", "flatten"):
        raise ValueError(f"`head` must be 'gap' or 'flatten'; got {head!r}.")
    if dense_units is not None:
        dense_units = _checks.check_int(dense_units, "dense_units")
    return dense_units


def cnn1d(
    input_shape: tuple[int, int],
    n_classes: int,
    *,
    n_blocks: int | str = "auto",
    max_positions: int | str = "auto",
    local_blocks: int = 2,
    filters: tuple[int, ...] = (16, 32, 64, 128, 128, 128),
    kernel_size: int = 7,
    local_kernel_size: int = 3,
    strides: int = 2,
    pool_size: int = 2,
    batch_norm: bool = True,
    head: str = "gap",
    dense_units: int | None = None,
    dropout: float = 0.25,
    input_norm: bool | str = True,
    derivative: bool = False,
    position_channel: bool = True,
    position_frequencies: tuple[float, ...] | None = (1, 2, 4, 8, 16, 32),
    log_activation: bool = False,
    seed: int | None = None,
    name: str = "cnn1d",
) -> keras.Model:
    """Build a strided 1D CNN that maps spectra to class logits.

    The network is ``Input -> BatchNormalization("input_norm") ->
    position ramp ("position") -> n_blocks x [Conv1D(filters[i], kernel_size,
    strides, "same") -> BatchNorm -> ReLU -> MaxPooling1D(pool_size, "same")]
    -> [position features ("local_position")] -> local_blocks x
    [Conv1D(filters[i], local_kernel_size, "same") -> BatchNorm -> ReLU] ->
    head -> Dense(n_classes, "logits")``.
    The downsampling blocks divide the length by ``strides * pool_size`` each,
    so long spectra are reduced quickly and the network trains fast on a CPU;
    the local blocks keep that resolution and only look at neighbouring
    positions, so the last feature map still says *where* the evidence is and
    class activation maps point at the peaks that decide.

    Parameters
    ----------
    input_shape : tuple of int
        ``(length, channels)``; pass ``(length, 1)`` for spectra of shape
        ``(n_samples, length)``. Any length >= 1 works.
    n_classes : int
        Number of classes (>= 2), the width of the ``"logits"`` layer.
    n_blocks : int or "auto", default="auto"
        Number of downsampling blocks. ``"auto"`` uses the fewest (at least
        1, at most ``len(filters) - local_blocks``) that bring the feature map
        to at most ``max_positions`` positions; a block whose strided
        convolution already gets there skips its pooling. With the defaults:
        2,631 points -> 83 positions (3 blocks, the third without pooling),
        1,536 -> 96 (2 blocks), 20,000 -> 313 (3 blocks), 1,024 -> 64
        (2 blocks), 128 -> 32 (1 block).
        An int gives that many blocks, each with its stride and its pooling.
        A stride or pool that would leave fewer than 2 positions is set to 1,
        so very short inputs are not downsampled.
    max_positions : int or "auto", default="auto"
        With ``n_blocks="auto"``, the most positions the final feature map may
        have. ``"auto"`` allows ``3 * sqrt(length)`` positions, and at most
        one per 4 points (``ceil(length / 4)``, tighter below 144 points):
        the range that kept both the accuracy and the logit-based detectors
        in our benchmarks (see Notes). Smaller values give coarser class
        activation maps (``max_positions=4, local_blocks=0`` is close to the
        plan of earlier versions, whose maps could only name a quarter of the
        spectrum); larger ones give finer maps whose positions see less of
        the spectrum.
    local_blocks : int, default=2
        Blocks after the downsampling ones that keep the resolution:
        ``Conv1D(filters[i], local_kernel_size, "same") -> BatchNorm -> ReLU``
        with stride 1 and no pooling. 0 for none.
    filters : tuple of int, default=(16, 32, 64, 128, 128, 128)
        Filters of block ``i``, downsampling blocks first, then the local
        blocks; its length bounds ``n_blocks + local_blocks``.
    kernel_size : int, default=7
        Convolution kernel size of the downsampling blocks.
    local_kernel_size : int, default=3
        Convolution kernel size of the local blocks.
    strides : int, default=2
        Convolution stride of the downsampling blocks.
    pool_size : int, default=2
        Max-pooling size (and stride) of the downsampling blocks; 1 for no
        pooling.
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
    input_norm : {"batch", "standard"} or bool, default=True
        ``"batch"`` (or True): the first layer is
        ``BatchNormalization(name="input_norm")``, one scale for the whole
        spectrum (counts or log-spectra alike). ``"standard"``: a
        ``Normalization`` layer ``"input_std"`` standardises every point with
        the training data's mean and standard deviation (scikit-learn's
        ``StandardScaler`` inside the network, saved with it), which brings
        out small differences on a large common shape. Its statistics come
        from the training data: the estimators and
        :func:`~specauth.training.fit_network` set them (see
        :func:`specauth.training.adapt_normalization`; a network trained with
        plain ``Model.fit`` must call it first). False: none. See Notes.
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
        can use *where* a peak is, not only its shape. ``False`` also drops
        the ``"local_position"`` features: the network then gets no position
        input.
    position_frequencies : tuple of float or None, default=(1, 2, 4, 8, 16, 32)
        Before the local blocks, a frozen layer ``"local_position"`` appends
        ``sin(2 pi f x)`` and ``cos(2 pi f x)`` of the position ``x`` in
        (0, 1) for each frequency ``f`` (cycles over the spectrum) up to a
        quarter of the map length, so the local blocks can tell nearby
        places apart (the input ramp alone resolves them poorly). None or
        ``()`` for none; no effect without local blocks or with
        ``position_channel=False``.
    log_activation : bool, default=False
        Whether the activation after the first convolution is a
        :class:`~specauth.models.layers.LogActivation` (layer ``"block1_log"``,
        in place of ``"block1_relu"``), which compresses intensities that span
        orders of magnitude (Zimmermann et al., 2019). The network then
        holds a specauth layer: its ``.keras`` file loads once
        ``specauth.models.layers`` is imported.
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
        ``"gap"``/``"flatten"``, more blocks than ``filters``, a 3-entry
        ``input_shape`` or a length of 0).

    See Also
    --------
    resnet1d : A slower, deeper residual baseline.
    specauth.models.get_model : Registered variants ``"cnn1d"``,
        ``"cnn1d_small"`` and ``"cnn1d_flatten"``.

    Notes
    -----
    The default plan is a measured compromise: a last feature map fine
    enough for class activation maps to point at the peaks that decide,
    coarse enough for the logit-based detectors (Energy, MaxLogit) to keep
    their open-set quality; the position inputs let the GAP head use *where*
    a peak is. The measurements behind ``max_positions="auto"`` and the
    position inputs are in the guide page "Choosing a network", section "How
    the default cnn1d plan was chosen" (``docs/guide/networks.md``).

    ``input_norm="standard", derivative=True`` is the most accurate
    closed-set configuration we measured where classes differ by small
    changes of shape (``benchmarks/peers.py``, 5 resamples, corn on three NIR
    instruments: 0.957 with the defaults, 0.997 with both; PGAA 0.987 either
    way; coffee trained on 30 spectra 1.000 with the defaults, 0.980 with
    both). It is not the default yet: its open-set measurements are to be
    repeated on more seeds and data sets.

    Every ``BatchNormalization`` uses ``momentum=0.9`` (Keras's default of
    0.99 leaves the moving statistics used at inference far from the data
    after the few hundred steps that small data sets train for).

    References
    ----------
    .. [1] Mahynski, Monroe, Sheen et al., "Classification and authentication
       of materials using prompt gamma ray activation analysis", J Radioanal
       Nucl Chem 332, 3259-3271 (2023).
    .. [2] Zhou, Khosla, Lapedriza, Oliva & Torralba, "Learning deep features
       for discriminative localization", CVPR 2016.

    Examples
    --------
    >>> from specauth.models import cnn1d
    >>> model = cnn1d((2631, 1), n_classes=10, seed=0)
    >>> model.output_shape
    (None, 10)
    >>> model.get_layer("gap").input.shape  # 3 downsampling blocks: 2631 -> 83
    (None, 83, 128)
    >>> [layer.kernel_size[0] for layer in model.layers if "_conv" in layer.name]
    [7, 7, 7, 3, 3]
    """
    length, channels = _checks.check_input_shape(input_shape)
    n_classes = _checks.check_n_classes(n_classes)
    n_blocks, filters, local_blocks, max_blocks = _check_blocks(
        n_blocks, filters, local_blocks
    )
    dense_units = _check_head(head, dense_units)
    limit = _position_limit(max_positions, length)
    kernel_size = _checks.check_int(kernel_size, "kernel_size")
    local_kernel_size = _checks.check_int(local_kernel_size, "local_kernel_size")
    strides = _checks.check_int(strides, "strides")
    pool_size = _checks.check_int(pool_size, "pool_size")
    bn = _checks.check_bool(batch_norm, "batch_norm")
    dropout = _checks.check_rate(dropout, "dropout")
    norm = _checks.check_input_norm(input_norm)
    derivative = _checks.check_bool(derivative, "derivative")
    position_channel = _checks.check_bool(position_channel, "position_channel")
    frequencies = _check_frequencies(position_frequencies)
    log = _checks.check_bool(log_activation, "log_activation")
    seeds = SeedStream(_checks.check_seed(seed))
    name = _checks.check_name(name)
    plan, _ = _plan_blocks(length, n_blocks, max_blocks, strides, pool_size, limit)
    blocks = [(kernel_size, s, p) for s, p in plan]
    blocks += [(local_kernel_size, 1, 1)] * local_blocks

    keras = import_keras()
    inputs, x = _parts.spectrum_input(
        keras, (length, channels), norm, position_channel, derivative
    )
    for i, (kernel, stride, pool) in enumerate(blocks):
        if i == len(plan) and frequencies and position_channel:
            layer = _fourier_positions(
                x.shape[1], x.shape[2], frequencies, "local_position"
            )
            x = x if layer is None else layer(x)
        x = _conv_block(
            keras, x, i + 1, filters[i], kernel, stride, pool, bn, seeds, log and i == 0
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
def cnn1d_small(
    input_shape: tuple[int, int],
    n_classes: int,
    *,
    seed: int | None = None,
    **options: Any,
) -> keras.Model:
    """:func:`cnn1d` with ``filters=(8, 16, 32, 32)``, for tests and tiny data.

    Any :func:`cnn1d` option can be passed and overrides these defaults.

    Examples
    --------
    >>> from specauth.models import get_model
    >>> get_model("cnn1d_small")((64, 1), 3, seed=0).get_layer("gap").input.shape
    (None, 16, 32)
    """
    options = {"filters": (8, 16, 32, 32), "name": "cnn1d_small", **options}
    return cnn1d(input_shape, n_classes, seed=seed, **options)


@register_model("cnn1d_flatten")
def cnn1d_flatten(
    input_shape: tuple[int, int],
    n_classes: int,
    *,
    seed: int | None = None,
    **options: Any,
) -> keras.Model:
    """:func:`cnn1d` with ``head="flatten"``: the logits see every position.

    Any :func:`cnn1d` option can be passed and overrides these defaults.

    Examples
    --------
    >>> from specauth.models import get_model
    >>> get_model("cnn1d_flatten")((64, 1), 3, seed=0).get_layer("flatten").output.shape
    (None, 1024)
    """
    options = {"head": "flatten", "name": "cnn1d_flatten", **options}
    return cnn1d(input_shape, n_classes, seed=seed, **options)
