"""LITE network (Ismail-Fawaz et al., 2023): a light inception for spectra."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras
from specauth.models import _checks, _parts
from specauth.models._seeds import SeedStream
from specauth.models.registry import register_model

if TYPE_CHECKING:
    import keras

__all__ = ["lite"]


def _trend_filter(size, increasing):
    """Return the ``size``-long ``-1, +1, -1, +1, ...`` trend detection filter.

    Keras convolutions are cross-correlations, so ``[-1, +1]`` responds with
    ``x[t + 1] - x[t]``: the increasing filter sums the rises over ``size / 2``
    pairs of points; the decreasing one is its negative.
    """
    weights = np.where(np.arange(size) % 2 == 0, -1.0, 1.0)
    return weights if increasing else -weights


def _peak_filter(size):
    """Return the ``1.5 * size``-long peak detection filter (zero sum).

    Six quarter-``size`` pieces built from the parabola ``p = (j / q) ** 2``,
    ``j = 1..q`` with ``q = size // 4``: ``-p, -reversed(p), 2 p,
    2 reversed(p), -p, -reversed(p)``, a positive bump of width ``size / 2``
    between two negative lobes.
    """
    rise = np.linspace(0.0, 1.0, size // 4 + 1)[1:] ** 2
    fall = rise[::-1]
    return np.concatenate([-rise, -fall, 2 * rise, 2 * fall, -rise, -fall])


def _fixed_filters(sizes):
    """Return ``[(layer name, 1D filter)]``: increasing, decreasing, then peaks."""
    filters = [(f"increase{k}", _trend_filter(k, True)) for k in sizes]
    filters += [(f"decrease{k}", _trend_filter(k, False)) for k in sizes]
    filters += [(f"peak{k + k // 2}", _peak_filter(k)) for k in sizes if k % 4 == 0]
    return filters


def _custom_filters(keras, x, sizes):
    """Frozen bias-free ``Conv1D(1)`` per fixed filter, concatenated, then ReLU.

    Each filter is applied to every input channel with the same weights and
    the responses are summed (a kernel of shape ``(k, channels, 1)``), as in
    the paper. The weights live in the ``Constant`` initializers, so the
    layers are plain built-in ones and the network loads without specauth.
    """
    channels = x.shape[-1]
    outputs = []
    for name, weights in _fixed_filters(sizes):
        kernel = np.repeat(weights[:, None, None], channels, axis=1)
        outputs.append(
            keras.layers.Conv1D(
                1,
                len(weights),
                padding="same",
                use_bias=False,
                kernel_initializer=keras.initializers.Constant(kernel.tolist()),
                trainable=False,
                name=name,
            )(x)
        )
    y = keras.layers.Concatenate(axis=-1, name="custom_concat")(outputs)
    return keras.layers.ReLU(name="custom_relu")(y)


def _multiplexing_module(keras, x, n_filters, kernel_size, options, seeds):
    """Parallel convolutions (+ the fixed filters), concatenated, BatchNorm, ReLU.

    ``options = (multiplexing, sizes, log)``; ``log``: a LogActivation
    ``"multiplex_log"`` in place of the ReLU.
    """
    multiplexing, sizes, log = options
    if multiplexing:
        convs = [(n_filters, kernel_size // 2**i) for i in range(3)]
    else:
        convs = [(3 * n_filters, kernel_size)]
    branches = [
        keras.layers.Conv1D(
            filters,
            k,
            padding="same",
            use_bias=False,
            kernel_initializer=keras.initializers.HeUniform(seed=seeds.next()),
            name=f"multiplex_conv{k}",
        )(x)
        for filters, k in convs
    ]
    if sizes:
        branches.append(_custom_filters(keras, x, sizes))
    if len(branches) > 1:
        x = keras.layers.Concatenate(axis=-1, name="multiplex_concat")(branches)
    else:
        x = branches[0]
    x = _parts.batch_norm(keras, "multiplex_bn")(x)
    return _parts.activation(keras, "multiplex_relu", log)(x)


def _separable_module(keras, x, index, n_filters, kernel_size, dilation, seeds):
    """``SeparableConv1D`` (dilated, bias-free) -> BatchNorm -> ReLU."""
    prefix = f"separable{index}"
    x = keras.layers.SeparableConv1D(
        n_filters,
        kernel_size,
        padding="same",
        dilation_rate=dilation,
        use_bias=False,
        depthwise_initializer=keras.initializers.HeUniform(seed=seeds.next()),
        pointwise_initializer=keras.initializers.HeUniform(seed=seeds.next()),
        name=f"{prefix}_conv",
    )(x)
    x = _parts.batch_norm(keras, f"{prefix}_bn")(x)
    return keras.layers.ReLU(name=f"{prefix}_relu")(x)


def _check_kernel_size(kernel_size):
    kernel_size = _checks.check_int(kernel_size, "kernel_size")
    if kernel_size < 4:
        raise ValueError(
            "`kernel_size` must be an int >= 4, so that kernel_size // 2 and "
            f"kernel_size // 4 are >= 1; got {kernel_size}."
        )
    return kernel_size


def _check_filter_sizes(sizes):
    """Return ``custom_filter_sizes`` as a tuple of even ints (``()`` for None)."""
    if sizes is None:
        return ()
    sizes = _checks.check_int_tuple(sizes, "custom_filter_sizes")
    odd = [k for k in sizes if k % 2]
    if odd:
        raise ValueError(
            "`custom_filter_sizes` must hold even ints >= 2 (a trend filter "
            f"pairs points); got {sizes} with odd sizes {odd}."
        )
    return sizes


def lite(
    input_shape: tuple[int, int],
    n_classes: int,
    *,
    n_filters: int = 32,
    kernel_size: int = 40,
    custom_filter_sizes: tuple[int, ...] | None = (2, 4, 8, 16, 32, 64),
    use_multiplexing: bool = True,
    use_dilation: bool = True,
    dropout: float = 0.0,
    input_norm: bool | str = True,
    derivative: bool = False,
    position_channel: bool = True,
    log_activation: bool = False,
    seed: int | None = None,
    name: str = "lite",
) -> keras.Model:
    """Build the LITE network (Ismail-Fawaz et al., 2023) for spectra.

    ``Input -> BatchNormalization("input_norm") -> position ramp ("position")
    -> multiplexing module -> 2 x depthwise-separable module ->
    GlobalAveragePooling1D("gap") -> [Dropout] -> Dense(n_classes, "logits")``.

    LITE keeps the ideas of InceptionTime at a small fraction of its
    parameters with four "boosting" techniques:

    - **multiplexing**: the first module runs three bias-free
      ``Conv1D(n_filters, k, "same")`` in parallel with
      ``k = kernel_size, kernel_size // 2, kernel_size // 4`` (40, 20, 10 by
      default; layers ``"multiplex_conv<k>"``);
    - **custom filters**: beside them, frozen hand-crafted ``Conv1D(1)``
      filters (``trainable=False``) for each size ``k`` of
      ``custom_filter_sizes``: an increasing-trend detector ``-1, +1, -1,
      ...`` (layer ``"increase<k>"``), its negative, a decreasing-trend
      detector (``"decrease<k>"``), and for ``k`` divisible by 4 a peak
      detector of length ``1.5 k`` (``"peak<1.5k>"``); their responses are
      concatenated and pass through a ReLU (``"custom_relu"``). With the
      default sizes that is 6 + 6 + 5 = 17 channels. All branches are
      concatenated (``"multiplex_concat"``) and pass through BatchNorm and
      ReLU;
    - **depthwise-separable convolutions**: two ``SeparableConv1D(n_filters)``
      modules (``"separable1_conv"``, ``"separable2_conv"``, each followed by
      BatchNorm and ReLU) with kernels ``kernel_size // 2`` and
      ``kernel_size // 4``;
    - **dilation**: their dilation rates are 2 and 4.

    No layer pools or strides, so inputs of any length work, 1 point
    included.

    Parameters
    ----------
    input_shape : tuple of int
        ``(length, channels)``; pass ``(length, 1)`` for spectra of shape
        ``(n_samples, length)``. Any length >= 1 works.
    n_classes : int
        Number of classes (>= 2), the width of the ``"logits"`` layer.
    n_filters : int, default=32
        Filters of each multiplexed convolution and of the separable modules
        (the embedding width).
    kernel_size : int, default=40
        Largest multiplexed kernel; the separable modules use
        ``kernel_size // 2`` and ``kernel_size // 4``. Must be >= 4.
    custom_filter_sizes : tuple of int or None, default=(2, 4, 8, 16, 32, 64)
        Sizes of the frozen hand-crafted filters; each must be even. None or
        ``()`` for no custom filters.
    use_multiplexing : bool, default=True
        Whether the first module runs three kernel sizes in parallel; if
        False it runs one ``Conv1D(3 * n_filters, kernel_size)`` instead
        (layer ``"multiplex_conv<kernel_size>"``).
    use_dilation : bool, default=True
        Whether the separable modules have dilation rates 2 and 4 (else 1).
    dropout : float, default=0.0
        Dropout rate between ``"gap"`` and the logits; 0 for none.
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
    log_activation : bool, default=False
        Whether the activation after the first convolution is a
        :class:`~specauth.models.layers.LogActivation` (layer ``"multiplex_log"``,
        in place of ``"multiplex_relu"``; the hand-crafted filters keep their
        ``"custom_relu"``), which compresses intensities that span
        orders of magnitude (Zimmermann et al., 2019). The network then
        holds a specauth layer: its ``.keras`` file loads once
        ``specauth.models.layers`` is imported.
    seed : int, default=None
        Seed of all initializers and of the dropout: two builds with the same
        seed have identical initial weights. ``None`` draws fresh weights.
    name : str, default="lite"
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
        If an argument is out of range (e.g. ``n_classes < 2``,
        ``kernel_size < 4``, an odd custom filter size, a length of 0).

    See Also
    --------
    inception_time : The network LITE lightens.
    specauth.models.get_model : Registered variants ``"lite"`` and
        ``"lite_small"``.

    Notes
    -----
    As in the paper, a custom filter sums its response over all input
    channels (here the spectrum and the position ramp, on which the trend
    filters add a small constant and the zero-sum peak filters nothing away
    from the ends). The trainable convolutions have no bias (a BatchNorm
    follows each) and He-uniform initial weights like the other specauth
    networks; every BatchNorm uses ``momentum=0.9``. With the defaults and 3
    classes LITE has 12,155 trainable parameters, 2.5 % of the 490,245 of
    :func:`inception_time` (without ``input_norm`` and ``position_channel``,
    9,913: 9,814 before the logits layer, the count of the paper).

    References
    ----------
    .. [1] Ismail-Fawaz, Devanne, Berretti, Weber & Forestier, "LITE: Light
       Inception with boosTing tEchniques for time series classification",
       IEEE DSAA 2023.
    .. [2] Ismail-Fawaz, Devanne, Weber & Forestier, "Deep learning for time
       series classification using new hand-crafted convolution filters",
       IEEE Big Data 2022.

    Examples
    --------
    >>> from specauth.models import lite
    >>> model = lite((500, 1), n_classes=4, seed=0)
    >>> model.output_shape
    (None, 4)
    >>> model.get_layer("multiplex_concat").output.shape  # 3 x 32 + 17 fixed
    (None, 500, 113)
    >>> model.get_layer("separable2_conv").dilation_rate
    (4,)
    >>> model.get_layer("peak6").get_weights()[0][:, 0, 0].tolist()
    [-1.0, -1.0, 2.0, 2.0, -1.0, -1.0]
    """
    length, channels = _checks.check_input_shape(input_shape)
    n_classes = _checks.check_n_classes(n_classes)
    n_filters = _checks.check_int(n_filters, "n_filters")
    kernel_size = _check_kernel_size(kernel_size)
    sizes = _check_filter_sizes(custom_filter_sizes)
    multiplexing = _checks.check_bool(use_multiplexing, "use_multiplexing")
    use_dilation = _checks.check_bool(use_dilation, "use_dilation")
    dropout = _checks.check_rate(dropout, "dropout")
    norm = _checks.check_input_norm(input_norm)
    derivative = _checks.check_bool(derivative, "derivative")
    position_channel = _checks.check_bool(position_channel, "position_channel")
    log = _checks.check_bool(log_activation, "log_activation")
    seeds = SeedStream(_checks.check_seed(seed))
    name = _checks.check_name(name)

    keras = import_keras()
    inputs, x = _parts.spectrum_input(
        keras, (length, channels), norm, position_channel, derivative
    )
    x = _multiplexing_module(
        keras, x, n_filters, kernel_size, (multiplexing, sizes, log), seeds
    )
    for index in (1, 2):
        dilation = 2**index if use_dilation else 1
        kernel = kernel_size // 2**index
        x = _separable_module(keras, x, index, n_filters, kernel, dilation, seeds)
    logits = _parts.logits_head(
        keras, x, n_classes, head="gap", dense_units=None, dropout=dropout, seeds=seeds
    )
    return keras.Model(inputs, logits, name=name)


register_model("lite")(lite)


@register_model("lite_small")
def lite_small(
    input_shape: tuple[int, int],
    n_classes: int,
    *,
    seed: int | None = None,
    **options: Any,
) -> keras.Model:
    """:func:`lite` with ``n_filters=16, kernel_size=20``, for tests and tiny data.

    Custom filter sizes ``(2, 4, 8, 16)``. Any :func:`lite` option can be
    passed and overrides these defaults.

    Examples
    --------
    >>> from specauth.models import get_model
    >>> get_model("lite_small")((64, 1), 3, seed=0).get_layer("gap").input.shape
    (None, 64, 16)
    """
    options = {
        "n_filters": 16,
        "kernel_size": 20,
        "custom_filter_sizes": (2, 4, 8, 16),
        "name": "lite_small",
        **options,
    }
    return lite(input_shape, n_classes, seed=seed, **options)
