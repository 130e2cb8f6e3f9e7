"""InceptionTime network (Ismail Fawaz et al., 2020), one member, for spectra."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth.models import _checks, _parts
from specauth.models._seeds import SeedStream
from specauth.models.registry import register_model

if TYPE_CHECKING:
    import keras

__all__ = ["inception_time"]

#: A shortcut connection is added after every this many inception modules.
_RESIDUAL_EVERY = 3


def _conv(keras, x, filters, kernel_size, name, seeds):
    """Bias-free ``Conv1D(filters, kernel_size, "same")`` with a seeded init."""
    return keras.layers.Conv1D(
        filters,
        kernel_size,
        padding="same",
        use_bias=False,
        kernel_initializer=keras.initializers.HeUniform(seed=seeds.next()),
        name=name,
    )(x)


def _inception_module(keras, x, index, options, seeds, log=False):
    """Bottleneck -> 3 parallel convolutions, and max-pool -> 1x1, concatenated.

    Layers are named ``module<i>_*``; the output has ``4 * n_filters``
    channels (BatchNorm then ReLU over the concatenation; a LogActivation
    ``module<i>_log`` with ``log``).
    """
    n_filters, kernel_sizes, bottleneck = options
    prefix = f"module{index}"
    branch_input = x
    if bottleneck:
        branch_input = _conv(keras, x, bottleneck, 1, f"{prefix}_bottleneck", seeds)
    branches = [
        _conv(keras, branch_input, n_filters, k, f"{prefix}_conv{k}", seeds)
        for k in kernel_sizes
    ]
    pooled = keras.layers.MaxPooling1D(
        3, strides=1, padding="same", name=f"{prefix}_pool"
    )(x)
    branches.append(_conv(keras, pooled, n_filters, 1, f"{prefix}_pool_conv", seeds))
    y = keras.layers.Concatenate(axis=-1, name=f"{prefix}_concat")(branches)
    y = _parts.batch_norm(keras, f"{prefix}_bn")(y)
    return _parts.activation(keras, f"{prefix}_relu", log)(y)


def _shortcut(keras, residual, x, index, seeds):
    """``ReLU(x + BatchNorm(Conv1D 1x1 (residual)))``, layers ``shortcut<i>_*``."""
    y = _conv(keras, residual, x.shape[-1], 1, f"shortcut{index}_conv", seeds)
    y = _parts.batch_norm(keras, f"shortcut{index}_bn")(y)
    y = keras.layers.Add(name=f"shortcut{index}_add")([x, y])
    return keras.layers.ReLU(name=f"shortcut{index}_relu")(y)


def _check_kernel_size(kernel_size):
    kernel_size = _checks.check_int(kernel_size, "kernel_size")
    if kernel_size < 4:
        raise ValueError(
            "`kernel_size` must be an int >= 4, so that the three parallel "
            f"kernels kernel_size, kernel_size // 2 and kernel_size // 4 are all "
            f">= 1; got {kernel_size}."
        )
    return kernel_size


def inception_time(
    input_shape: tuple[int, int],
    n_classes: int,
    *,
    depth: int = 6,
    n_filters: int = 32,
    kernel_size: int = 40,
    bottleneck_size: int | None = 32,
    use_residual: bool = True,
    dropout: float = 0.0,
    input_norm: bool | str = True,
    derivative: bool = False,
    position_channel: bool = True,
    log_activation: bool = False,
    seed: int | None = None,
    name: str = "inception_time",
) -> keras.Model:
    """Build one InceptionTime network (Ismail Fawaz et al., 2020) for spectra.

    ``Input -> BatchNormalization("input_norm") -> position ramp ("position")
    -> depth x inception module (a shortcut every 3 modules) ->
    GlobalAveragePooling1D("gap") -> [Dropout] -> Dense(n_classes, "logits")``.

    An inception module (layers ``module<i>_*``, ``i`` from 1) is: a
    bottleneck ``Conv1D(bottleneck_size, 1)``, then three parallel
    ``Conv1D(n_filters, k, "same")`` with ``k = kernel_size, kernel_size // 2,
    kernel_size // 4`` (40, 20, 10 by default) on the bottleneck output;
    beside them a ``MaxPooling1D(3, strides=1, "same")`` of the module input
    followed by a ``Conv1D(n_filters, 1)``. The four branches are
    concatenated (``4 * n_filters`` channels) and pass through BatchNorm and
    ReLU. After modules 3, 6, ... a shortcut (layers ``shortcut<i>_*``) adds a
    ``Conv1D(1) + BatchNorm`` projection of the input of the 3 modules and
    applies a ReLU. No layer pools with a stride, so the network keeps the
    full resolution and works on inputs of any length, 1 point included.

    The original classifier is an ensemble of 5 such networks trained from
    different initialisations; this builder returns one of them.

    Parameters
    ----------
    input_shape : tuple of int
        ``(length, channels)``; pass ``(length, 1)`` for spectra of shape
        ``(n_samples, length)``. Any length >= 1 works.
    n_classes : int
        Number of classes (>= 2), the width of the ``"logits"`` layer.
    depth : int, default=6
        Number of inception modules.
    n_filters : int, default=32
        Filters of each branch; a module outputs ``4 * n_filters`` channels.
    kernel_size : int, default=40
        Largest of the three parallel kernels (the others are halved once and
        twice); must be >= 4.
    bottleneck_size : int or None, default=32
        Filters of the 1x1 bottleneck convolution at the start of every
        module (see Notes); None for no bottleneck.
    use_residual : bool, default=True
        Whether to add a shortcut after every 3 modules.
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
        :class:`~specauth.models.layers.LogActivation` (layer ``"module1_log"``,
        in place of ``"module1_relu"``), which compresses intensities that span
        orders of magnitude (Zimmermann et al., 2019). The network then
        holds a specauth layer: its ``.keras`` file loads once
        ``specauth.models.layers`` is imported.
    seed : int, default=None
        Seed of all initializers and of the dropout: two builds with the same
        seed have identical initial weights. ``None`` draws fresh weights.
    name : str, default="inception_time"
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
        ``kernel_size < 4``, a length of 0).

    See Also
    --------
    lite : A network of the same family with about 2-3 % of the parameters.
    resnet1d : The residual baseline of Wang, Yan & Oates (2017).
    specauth.models.get_model : Registered variants ``"inception_time"`` and
        ``"inception_time_small"``.

    Notes
    -----
    The paper's code skips the bottleneck of a module whose input has one
    channel; here the first module always has one (its input has at least 2
    channels anyway unless ``position_channel=False``), so every module has the
    same structure. The convolutions have no bias (a BatchNorm follows each of
    them) and are initialised with He-uniform weights like the other specauth
    networks (the paper's Keras code used Glorot-uniform). Every BatchNorm uses
    ``momentum=0.9``. With the defaults and 3 classes the network has
    490,245 trainable parameters. The network runs at full resolution, so its cost grows
    linearly with the length: for spectra of tens of thousands of points
    :func:`~specauth.models.cnn1d` is much faster.

    References
    ----------
    .. [1] Ismail Fawaz, Lucas, Forestier, Pelletier, Schmidt, Weber, Webb,
       Idoumghar, Muller & Petitjean, "InceptionTime: Finding AlexNet for time
       series classification", Data Mining and Knowledge Discovery 34,
       1936-1962 (2020), arXiv:1909.04939.

    Examples
    --------
    >>> from specauth.models import inception_time
    >>> model = inception_time((500, 1), n_classes=4, seed=0)
    >>> model.output_shape
    (None, 4)
    >>> model.get_layer("gap").input.shape  # 4 branches x 32 filters
    (None, 500, 128)
    >>> [model.get_layer(f"module1_conv{k}").kernel_size[0] for k in (40, 20, 10)]
    [40, 20, 10]
    """
    length, channels = _checks.check_input_shape(input_shape)
    n_classes = _checks.check_n_classes(n_classes)
    depth = _checks.check_int(depth, "depth")
    n_filters = _checks.check_int(n_filters, "n_filters")
    kernel_size = _check_kernel_size(kernel_size)
    if bottleneck_size is not None:
        bottleneck_size = _checks.check_int(bottleneck_size, "bottleneck_size")
    use_residual = _checks.check_bool(use_residual, "use_residual")
    dropout = _checks.check_rate(dropout, "dropout")
    norm = _checks.check_input_norm(input_norm)
    derivative = _checks.check_bool(derivative, "derivative")
    position_channel = _checks.check_bool(position_channel, "position_channel")
    log = _checks.check_bool(log_activation, "log_activation")
    seeds = SeedStream(_checks.check_seed(seed))
    name = _checks.check_name(name)
    kernel_sizes = tuple(kernel_size // 2**i for i in range(3))

    keras = import_keras()
    inputs, x = _parts.spectrum_input(
        keras, (length, channels), norm, position_channel, derivative
    )
    residual = x
    for index in range(1, depth + 1):
        options = (n_filters, kernel_sizes, bottleneck_size)
        x = _inception_module(keras, x, index, options, seeds, log and index == 1)
        if use_residual and index % _RESIDUAL_EVERY == 0:
            x = _shortcut(keras, residual, x, index // _RESIDUAL_EVERY, seeds)
            residual = x
    logits = _parts.logits_head(
        keras, x, n_classes, head="gap", dense_units=None, dropout=dropout, seeds=seeds
    )
    return keras.Model(inputs, logits, name=name)


register_model("inception_time")(inception_time)


@register_model("inception_time_small")
def inception_time_small(
    input_shape: tuple[int, int],
    n_classes: int,
    *,
    seed: int | None = None,
    **options: Any,
) -> keras.Model:
    """:func:`inception_time` with 3 modules of 8 filters, for tests and tiny data.

    ``depth=3, n_filters=8, bottleneck_size=8``: three modules and one
    shortcut. Any :func:`inception_time` option can be
    passed and overrides these defaults.

    Examples
    --------
    >>> from specauth.models import get_model
    >>> builder = get_model("inception_time_small")
    >>> builder((64, 1), 3, seed=0).get_layer("gap").input.shape
    (None, 64, 32)
    """
    options = {
        "depth": 3,
        "n_filters": 8,
        "bottleneck_size": 8,
        "name": "inception_time_small",
        **options,
    }
    return inception_time(input_shape, n_classes, seed=seed, **options)
