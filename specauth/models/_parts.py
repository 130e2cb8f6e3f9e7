"""Layer groups shared by the builders: the input and the classification head.

Both builders start with :func:`spectrum_input` and end with
:func:`logits_head`, so every registered network has the same contract:

- with ``derivative=True`` the first derivative of each channel is appended
  as a channel (frozen central differences, layer ``"derivative"``);
- then ``BatchNormalization(name="input_norm")`` (``input_norm="batch"`` or
  True), which standardises the raw input scale, or
  ``Normalization(name="input_std")`` (``input_norm="standard"``), which
  standardises every point of every channel with the training data's mean
  and standard deviation (set by
  :func:`specauth.training.adapt_normalization`);
- the next one is a frozen built-in ``EinsumDense`` layer named
  ``"position"`` (when ``position_channel=True``,
  :func:`~specauth.models.layers.fixed_position_channel`), which appends a
  position ramp as an extra channel;
- with ``log_activation=True`` the activation after the first convolution
  is a :class:`~specauth.models.layers.LogActivation` (:func:`activation`);
- a global-average-pooling head is named ``"gap"`` (over positions, or over
  height and width for 2D feature maps);
- the last layer is ``Dense(n_classes, name="logits")`` without activation,
  and its input is the embedding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from specauth.models import _checks
from specauth.models._seeds import SeedStream

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

__all__ = [
    "BN_MOMENTUM",
    "activation",
    "batch_norm",
    "check_augment",
    "check_pattern_shape",
    "check_stem",
    "conv2d_bn",
    "derivative_channels",
    "logits_head",
    "pattern_input",
    "pattern_network",
    "pattern_stem",
    "spectrum_input",
]

#: Momentum of every BatchNormalization layer. Keras's default (0.99) needs
#: hundreds of steps before the moving statistics used at inference match the
#: data; with small data sets (a few batches per epoch) that is most of the
#: training run, so we use PyTorch's default (0.9 in Keras terms).
BN_MOMENTUM = 0.9


def batch_norm(keras: ModuleType, name: str) -> Any:
    """Return a ``BatchNormalization`` layer with the shared momentum."""
    return keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=name)


def activation(keras: ModuleType, name: str, log: bool = False) -> Any:
    """Return ``ReLU(name=name)``, or the first activation of a log network.

    With ``log=True``: a frozen
    :class:`~specauth.models.layers.LogActivation` (``alpha=0.2, beta=0``),
    named ``name`` with a final ``"_relu"`` replaced by ``"_log"`` (else
    ``name + "_log"``). Every builder calls this for the activation after its
    first convolution, with ``log`` its ``log_activation`` option.
    """
    if not log:
        return keras.layers.ReLU(name=name)
    from specauth.models.layers import LogActivation

    stem = name[: -len("_relu")] if name.endswith("_relu") else name
    return LogActivation(name=f"{stem}_log")


def derivative_channels(keras: ModuleType, x: Any, channels: int) -> Any:
    """Append the first derivative of each of ``channels`` channels to ``x``.

    Central differences ``(x[i + 1] - x[i - 1]) / 2`` by a frozen, bias-free
    ``Conv1D`` (one group per channel, layer ``"derivative"``), 0 at the first
    and the last point (``"derivative_pad"``), concatenated after the input
    channels (``"with_derivative"``). Built-in layers only.
    """
    import numpy as np

    kernel = np.zeros((3, 1, channels))
    kernel[0], kernel[2] = -0.5, 0.5
    slope = keras.layers.Conv1D(
        channels,
        3,
        groups=channels,
        use_bias=False,
        kernel_initializer=keras.initializers.Constant(kernel.tolist()),
        trainable=False,
        name="derivative",
    )(x)
    slope = keras.layers.ZeroPadding1D(1, name="derivative_pad")(slope)
    return keras.layers.Concatenate(name="with_derivative")([x, slope])


def spectrum_input(
    keras: ModuleType,
    input_shape: tuple[int, int],
    input_norm: str | None,
    position_channel: bool = False,
    derivative: bool = False,
) -> tuple[Any, Any]:
    """Return ``(inputs, x)``: the ``Input``, its normalisation and position.

    ``derivative`` first appends each channel's first derivative
    (:func:`derivative_channels`; not for inputs of fewer than 3 points),
    which brings out small changes of shape on a large common curve.
    ``input_norm="batch"``: ``BatchNormalization`` over the channel axis
    standardises each channel with statistics over the batch and all
    positions, so raw counts (values of
    thousands) and log-spectra (values around -10) reach the first convolution
    on the same scale. ``input_norm="standard"``: a ``Normalization`` layer
    over positions and channels, the per-point standardisation of
    scikit-learn's ``StandardScaler``, whose statistics
    :func:`specauth.training.adapt_normalization` sets from the training data
    (the estimators and ``fit_network`` do). ``position_channel`` then
    appends a ``-1 -> 1``
    position ramp (layer ``"position"``,
    :func:`~specauth.models.layers.fixed_position_channel`: built-in Keras
    layers only, so the network loads without specauth) so that a GAP network
    can tell *where* a peak is.
    """
    inputs = keras.Input(shape=input_shape, name="spectrum")
    length, channels = input_shape
    x = inputs
    if derivative and length >= 3:  # central differences need 3 points
        x = derivative_channels(keras, x, channels)
        channels *= 2
    if input_norm == "batch":
        x = batch_norm(keras, "input_norm")(x)
    elif input_norm == "standard":
        x = keras.layers.Normalization(axis=(1, 2), name="input_std")(x)
    if position_channel:
        from specauth.models.layers import fixed_position_channel

        x = fixed_position_channel(length, channels, name="position")(x)
    return inputs, x


def logits_head(
    keras: ModuleType,
    features: Any,
    n_classes: int,
    *,
    head: str,
    dense_units: int | None,
    dropout: float,
    seeds: SeedStream,
) -> Any:
    """Return the logits of ``features``, a ``(batch, positions, filters)`` map.

    ``head="gap"`` averages over positions (layer ``"gap"``; over height and
    width for a ``(batch, height, width, filters)`` map); ``"flatten"``
    concatenates all positions (layer ``"flatten"``). Then an optional
    ``Dense(dense_units, relu)`` layer ``"dense"``, an optional ``Dropout``
    ``"dropout"`` and ``Dense(n_classes, name="logits")``.
    """
    layers = keras.layers
    if head == "gap" and len(features.shape) == 4:
        x = layers.GlobalAveragePooling2D(name="gap")(features)
    elif head == "gap":
        x = layers.GlobalAveragePooling1D(name="gap")(features)
    else:
        x = layers.Flatten(name="flatten")(features)
    if dense_units is not None:
        x = layers.Dense(
            dense_units,
            activation="relu",
            kernel_initializer=keras.initializers.HeUniform(seed=seeds.next()),
            name="dense",
        )(x)
    if dropout > 0:
        x = layers.Dropout(dropout, seed=seeds.next(), name="dropout")(x)
    return layers.Dense(
        n_classes,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeds.next()),
        name="logits",
    )(x)


def check_pattern_shape(input_shape: object) -> tuple[int, int, int]:
    """Return ``(height, width, channels)`` as ints after checking all are >= 1.

    >>> check_pattern_shape([260, 257, 1])
    (260, 257, 1)
    """
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(
            "`input_shape` must be a tuple (height, width, channels); got "
            f"{input_shape!r} of type {type(input_shape).__name__}."
        )
    if len(input_shape) != 3:
        raise ValueError(
            "`input_shape` must be a tuple (height, width, channels) of 3 ints; "
            f"got {tuple(input_shape)!r} with {len(input_shape)} entries. For "
            "patterns of shape (n_samples, height, width) pass (height, width, 1)."
        )
    axes = ("height", "width", "channels")
    return tuple(  # type: ignore[return-value]
        _checks.check_int(d, f"input_shape[{i}] ({axes[i]})")
        for i, d in enumerate(input_shape)
    )


def check_augment(augment: object) -> dict[str, Any] | None:
    """Return the options of a pattern network's augmentation, or None.

    False or None: none; True: the defaults of
    :class:`~specauth.models.layers.PatternAugmentation`; a dict: its options.

    >>> check_augment(True), check_augment({"poisson": 1.0})
    ({}, {'poisson': 1.0})
    """
    if augment is None or augment is False:
        return None
    if augment is True:
        return {}
    if isinstance(augment, dict) and all(isinstance(k, str) for k in augment):
        return dict(augment)
    raise TypeError(
        "`augment` must be a bool or a dict of PatternAugmentation options "
        f"(e.g. {{'rotation': 180, 'poisson': 1.0}}); got {augment!r}."
    )


def check_stem(
    kernel_size: object, stride: object, pool: object, log: object
) -> tuple[int, int, int, bool]:
    """Return the stem options ``(kernel_size, stride, pool, log)`` after checks.

    >>> check_stem(7, 2, 2, False)
    (7, 2, 2, False)
    """
    return (
        _checks.check_int(kernel_size, "stem_kernel_size"),
        _checks.check_int(stride, "stem_stride"),
        _checks.check_int(pool, "stem_pool"),
        _checks.check_bool(log, "log_activation"),
    )


def pattern_input(
    keras: ModuleType,
    input_shape: tuple[int, int, int],
    input_norm: str | None,
    augment: dict[str, Any] | None,
    seeds: SeedStream,
) -> tuple[Any, Any]:
    """Return ``(inputs, x)`` of a pattern network: the ``Input`` and its norm.

    ``Input(name="pattern")``, then with ``augment`` a
    :class:`~specauth.models.layers.PatternAugmentation` layer
    ``"augment"`` (active in training only), then
    ``BatchNormalization(name="input_norm")`` (``input_norm="batch"``) or a
    per-pixel ``Normalization`` layer ``"input_std"`` (``"standard"``).
    """
    inputs = keras.Input(shape=input_shape, name="pattern")
    x = inputs
    if augment is not None:
        from specauth.models.layers import PatternAugmentation

        options = {"seed": seeds.next(), **augment}
        x = PatternAugmentation(**options, name="augment")(x)
    if input_norm == "batch":
        x = batch_norm(keras, "input_norm")(x)
    elif input_norm == "standard":
        x = keras.layers.Normalization(axis=(1, 2, 3), name="input_std")(x)
    return inputs, x


def conv2d_bn(
    keras: ModuleType,
    x: Any,
    filters: int,
    kernel_size: int,
    stride: int,
    name: str,
    seeds: SeedStream,
) -> Any:
    """Bias-free ``Conv2D(padding="same")`` then ``BatchNormalization``.

    Layers ``name + "_conv"`` and ``name + "_bn"``; He-uniform initial
    weights seeded from ``seeds``.
    """
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=stride,
        padding="same",
        use_bias=False,
        kernel_initializer=keras.initializers.HeUniform(seed=seeds.next()),
        name=f"{name}_conv",
    )(x)
    return batch_norm(keras, f"{name}_bn")(x)


def pattern_stem(
    keras: ModuleType,
    x: Any,
    filters: int,
    options: tuple[int, int, int, bool],
    seeds: SeedStream,
) -> Any:
    """Strided ``Conv2D -> BatchNorm -> activation -> [MaxPooling2D]``.

    ``options = (kernel_size, stride, pool, log)``; layers ``"stem_conv"``,
    ``"stem_bn"``, ``"stem_relu"`` (``"stem_log"`` with ``log``) and
    ``"stem_pool"`` (a 3x3 max pooling of stride ``pool``, when > 1).
    """
    kernel_size, stride, pool, log = options
    x = conv2d_bn(keras, x, filters, kernel_size, stride, "stem", seeds)
    x = activation(keras, "stem_relu", log)(x)
    if pool > 1:
        x = keras.layers.MaxPooling2D(
            max(3, pool), strides=pool, padding="same", name="stem_pool"
        )(x)
    return x


def pattern_network(
    input_shape: object,
    n_classes: object,
    stages: Callable[[ModuleType, Any, tuple[int, ...], SeedStream], Any],
    options: dict[str, Any],
) -> Any:
    """Check the options shared by the pattern networks and build one.

    ``Input -> [augmentation] -> [input norm] -> stem -> stages(keras, x,
    filters, seeds) -> GAP -> [Dropout] -> logits``. ``options`` holds the
    shared keyword arguments of :func:`~specauth.models.resnet2d` and
    :func:`~specauth.models.vgg2d` (``filters``, the ``stem_*`` options,
    ``dropout``, ``input_norm``, ``augment``, ``log_activation``, ``seed``,
    ``name``), all checked here before Keras is imported.
    """
    from specauth._lazy import import_keras

    shape = check_pattern_shape(input_shape)
    n_classes = _checks.check_n_classes(n_classes)
    filters = _checks.check_int_tuple(options["filters"], "filters")
    stem = check_stem(
        options["stem_kernel_size"],
        options["stem_stride"],
        options["stem_pool"],
        options["log_activation"],
    )
    dropout = _checks.check_rate(options["dropout"], "dropout")
    norm = _checks.check_input_norm(options["input_norm"])
    augment = check_augment(options["augment"])
    seeds = SeedStream(_checks.check_seed(options["seed"]))
    name = _checks.check_name(options["name"])

    keras = import_keras()
    inputs, x = pattern_input(keras, shape, norm, augment, seeds)
    x = pattern_stem(keras, x, filters[0], stem, seeds)
    x = stages(keras, x, filters, seeds)
    logits = logits_head(
        keras, x, n_classes, head="gap", dense_units=None, dropout=dropout, seeds=seeds
    )
    return keras.Model(inputs, logits, name=name)
