"""XResNet (fastai's ResNet with the "bag of tricks"), for spectra and patterns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from specauth import _validation
from specauth._lazy import import_keras
from specauth.models import _checks, _parts
from specauth.models._seeds import SeedStream
from specauth.models.registry import register_model

if TYPE_CHECKING:
    import keras

__all__ = ["xresnet1d", "xresnet2d"]

#: ``depth -> (expansion, residual blocks per stage)``, as fastai's xresnet.
DEPTHS = {18: (1, (2, 2, 2, 2)), 34: (1, (3, 4, 6, 3)), 50: (4, (3, 4, 6, 3))}


class _Spec(NamedTuple):
    """The checked architecture options shared by the 1D and 2D builders."""

    expansion: int
    blocks: tuple[int, ...]
    widths: tuple[int, ...]
    stem_widths: tuple[int, ...]
    kernel_size: int
    activation: str
    log: bool
    self_attention: bool


def _check_depth(depth: object) -> int:
    depth = _checks.check_int(depth, "depth")
    if depth not in DEPTHS:
        raise ValueError(
            f"`depth` must be one of {', '.join(map(str, DEPTHS))}; got {depth}."
        )
    return depth


def _check_activation(keras: Any, activation: object) -> str:
    """Return ``activation`` after checking Keras knows the name."""
    if not isinstance(activation, str):
        raise TypeError(
            "`activation` must be the name of a Keras activation, such as "
            f"'relu' or 'mish'; got {activation!r} of type "
            f"{type(activation).__name__}."
        )
    try:
        keras.activations.get(activation)
    except ValueError as err:
        raise ValueError(
            "`activation` must be the name of a Keras activation, such as "
            f"'relu' or 'mish'; got {activation!r}."
        ) from err
    return activation


def _check_spec(
    depth: object,
    widths: object,
    stem_widths: object,
    kernel_size: object,
    log_activation: object,
    self_attention: object,
) -> _Spec:
    """Check the architecture options; ``activation`` is checked with Keras."""
    expansion, blocks = DEPTHS[_check_depth(depth)]
    kernel_size = _checks.check_int(kernel_size, "kernel_size")
    if kernel_size % 2 == 0:
        raise ValueError(f"`kernel_size` must be odd; got {kernel_size}.")
    return _Spec(
        expansion=expansion,
        blocks=blocks,
        widths=_validation.check_int_tuple("widths", widths, length=4),
        stem_widths=_checks.check_int_tuple(stem_widths, "stem_widths"),
        kernel_size=kernel_size,
        activation="",  # checked once Keras is imported
        log=_checks.check_bool(log_activation, "log_activation"),
        self_attention=_checks.check_bool(self_attention, "self_attention"),
    )


def _conv_bn(keras, x, filters, kernel_size, stride, name, seeds, zero=False):
    """Bias-free convolution then BatchNorm (gamma 0 with ``zero``).

    Layers ``name + "_conv"`` and ``name + "_bn"``. The kernel is drawn as
    PyTorch's ``kaiming_normal_`` (fastai's ``init_cnn``).
    """
    conv = keras.layers.Conv1D if len(x.shape) == 3 else keras.layers.Conv2D
    x = conv(
        filters,
        kernel_size,
        strides=stride,
        padding="same",
        use_bias=False,
        kernel_initializer=keras.initializers.VarianceScaling(
            2.0, "fan_in", "untruncated_normal", seed=seeds.next()
        ),
        name=f"{name}_conv",
    )(x)
    return keras.layers.BatchNormalization(
        momentum=_parts.BN_MOMENTUM,
        gamma_initializer="zeros" if zero else "ones",
        name=f"{name}_bn",
    )(x)


def _act(keras, name, activation, log=False):
    """``Activation(activation, name=name)``, or a LogActivation ``*_log``."""
    if log:  # "stem_1_act" -> "stem_1_log"
        return _parts.activation(keras, name.removesuffix("_act") + "_relu", log=True)
    return keras.layers.Activation(activation, name=name)


def _stem(keras, x, spec, seeds):
    """``len(stem_widths)`` x [conv -> BN -> act] (the first strided), max-pool."""
    for i, width in enumerate(spec.stem_widths, start=1):
        stride = 2 if i == 1 else 1
        x = _conv_bn(keras, x, width, spec.kernel_size, stride, f"stem_{i}", seeds)
        x = _act(keras, f"stem_{i}_act", spec.activation, spec.log and i == 1)(x)
    pool = keras.layers.MaxPooling1D if len(x.shape) == 3 else keras.layers.MaxPooling2D
    return pool(spec.kernel_size, strides=2, padding="same", name="stem_pool")(x)


def _shortcut(keras, x, filters, stride, name, seeds):
    """Identity, or [AvgPool(stride)] then [1x1 conv + BN] ("ResNet-D")."""
    if stride > 1:
        pool = (
            keras.layers.AveragePooling1D
            if len(x.shape) == 3
            else keras.layers.AveragePooling2D
        )
        x = pool(stride, strides=stride, padding="same", name=f"{name}_pool")(x)
    if x.shape[-1] != filters:
        x = _conv_bn(keras, x, filters, 1, 1, f"{name}_shortcut", seeds)
    return x


def _block(keras, x, name, filters, stride, spec, seeds, attention):
    """One residual block: ``act(residual(x) + shortcut(x))``.

    The residual branch is ``conv k (stride) -> BN -> act -> conv k -> BN0``
    (basic block, expansion 1) or ``conv 1 -> BN -> act -> conv k (stride)
    -> BN -> act -> conv 1 -> BN0`` (bottleneck, ``expansion * filters``
    outputs), where BN0 has gamma = 0, then with ``attention`` a
    :class:`~specauth.models.layers.SelfAttention` (``name + "_attention"``).
    """
    n_out = filters * spec.expansion
    if spec.expansion == 1:
        steps = [(filters, spec.kernel_size, stride), (n_out, spec.kernel_size, 1)]
    else:
        steps = [(filters, 1, 1), (filters, spec.kernel_size, stride), (n_out, 1, 1)]
    y = x
    for j, (width, kernel_size, step) in enumerate(steps, start=1):
        last = j == len(steps)
        y = _conv_bn(keras, y, width, kernel_size, step, f"{name}_{j}", seeds, last)
        if not last:
            y = _act(keras, f"{name}_{j}_act", spec.activation)(y)
    if attention:
        from specauth.models.layers import SelfAttention

        initializer = keras.initializers.VarianceScaling(
            2.0, "fan_in", "untruncated_normal", seed=seeds.next()
        )
        y = SelfAttention(kernel_initializer=initializer, name=f"{name}_attention")(y)
    shortcut = _shortcut(keras, x, n_out, stride, name, seeds)
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return _act(keras, f"{name}_out", spec.activation)(y)


def _body(keras, x, spec, seeds):
    """Stem, then 4 stages ``stage<s>_block<b>``; stages 2-4 halve the map."""
    x = _stem(keras, x, spec, seeds)
    for s, (n_blocks, width) in enumerate(
        zip(spec.blocks, spec.widths, strict=True), start=1
    ):
        for b in range(1, n_blocks + 1):
            stride = 2 if s > 1 and b == 1 else 1
            attention = spec.self_attention and s == 1 and b == n_blocks
            block = f"stage{s}_block{b}"
            x = _block(keras, x, block, width, stride, spec, seeds, attention)
    return x


def _build(inputs, x, keras, spec, n_classes, dropout, seeds, name):
    x = _body(keras, x, spec, seeds)
    logits = _parts.logits_head(
        keras, x, n_classes, head="gap", dense_units=None, dropout=dropout, seeds=seeds
    )
    return keras.Model(inputs, logits, name=name)


def xresnet1d(
    input_shape: tuple[int, int],
    n_classes: int,
    *,
    depth: int = 18,
    widths: tuple[int, ...] = (64, 128, 256, 512),
    stem_widths: tuple[int, ...] = (32, 32, 64),
    kernel_size: int = 3,
    activation: str = "relu",
    self_attention: bool = False,
    dropout: float = 0.0,
    input_norm: bool | str = True,
    derivative: bool = False,
    position_channel: bool = True,
    log_activation: bool = False,
    seed: int | None = None,
    name: str = "xresnet1d",
) -> keras.Model:
    """Build fastai's XResNet (He et al.'s "bag of tricks") for spectra.

    ``Input -> BatchNormalization("input_norm") -> position ramp ("position")
    -> stem -> 4 stages of residual blocks -> GlobalAveragePooling1D("gap")
    -> [Dropout] -> Dense(n_classes, "logits")``, as fastai's ``XResNet``
    with ``ndim=1`` [1]_ [2]_:

    - **stem**: one ``conv -> BatchNorm -> activation`` per entry of
      ``stem_widths`` (3 of them by default, 32, 32 and 64 filters, the first
      of stride 2; layers ``stem_<i>_conv``, ``stem_<i>_bn``,
      ``stem_<i>_act``), then a max pooling of size ``kernel_size`` and
      stride 2 (``"stem_pool"``): the length is divided by 4;
    - **stages** ``s = 1..4`` of ``widths[s - 1]`` filters, with 2, 2, 2, 2
      blocks (``depth=18``) or 3, 4, 6, 3 (``depth=34`` and ``50``); the
      first block of stages 2 to 4 halves the length (layers
      ``stage<s>_block<b>_*``);
    - a **block** (basic for depths 18 and 34, bottleneck with expansion 4
      for 50) returns ``activation(residual + shortcut)``: the residual
      branch is ``conv -> BN -> act -> conv -> BN`` (basic) or ``conv 1 ->
      BN -> act -> conv k -> BN -> act -> conv 1 -> BN`` (bottleneck, stride
      on the middle convolution), whose **last BatchNorm starts with gamma =
      0** (``<block>_2_bn`` or ``<block>_3_bn``), so the branch outputs 0
      at initialisation and the block computes ``activation(shortcut(x))``;
      the **shortcut** is the identity, or, when the block halves the length,
      an ``AveragePooling1D(2)`` (``<block>_pool``) followed, when the width
      changes, by a 1x1 convolution + BatchNorm (``<block>_shortcut_*``;
      "ResNet-D": no strided 1x1 convolution). With ReLU every identity
      block is thus the identity at initialisation (its input is already
      >= 0); with another activation it applies the activation once more;
    - with ``self_attention=True``, a
      :class:`~specauth.models.layers.SelfAttention` layer (``gamma = 0``,
      the identity at initialisation) ends the residual branch of the last
      block of stage 1, after its zeroed BatchNorm, where fastai's
      ``XResNet(sa=True)`` puts it (``_make_blocks``: ``i ==
      len(layers) - 4``).

    Every convolution pads ``"same"``, so any length from 1 point works, and
    the logits are a linear function of the averaged last feature map
    (:class:`~specauth.explain.CAM1D` explains the network directly). The
    length is divided by 32 before ``"gap"``.

    Parameters
    ----------
    input_shape : tuple of int
        ``(length, channels)``; pass ``(length, 1)`` for spectra of shape
        ``(n_samples, length)``.
    n_classes : int
        Number of outputs, the width of the ``"logits"`` layer: the classes,
        or the targets of a regression (1 for one quantity).
    depth : {18, 34, 50}, default=18
        Blocks per stage and block type, as fastai's ``xresnet18``,
        ``xresnet34`` and ``xresnet50``.
    widths : tuple of 4 int, default=(64, 128, 256, 512)
        Filters of each stage (times 4 at the output of a bottleneck block).
        Smaller widths make small networks, e.g. ``(8, 16, 16, 16)`` with
        ``stem_widths=(8, 8, 8)``.
    stem_widths : tuple of int, default=(32, 32, 64)
        Filters of each stem convolution.
    kernel_size : int, default=3
        Kernel size of the stem, of the residual convolutions (but the 1x1
        ones of a bottleneck) and of the stem's max pooling; must be odd.
    activation : str, default="relu"
        Name of the Keras activation used everywhere, e.g. ``"mish"``.
    self_attention : bool, default=False
        Whether to add a :class:`~specauth.models.layers.SelfAttention`
        layer to the last block of stage 1 (layer
        ``"stage1_block<b>_attention"``).
    dropout : float, default=0.0
        Dropout rate between ``"gap"`` and the logits; 0 for none.
    input_norm : {"batch", "standard"} or bool, default=True
        ``"batch"`` (or True): ``BatchNormalization(name="input_norm")``
        after the input; ``"standard"``: a per-point ``Normalization`` layer
        ``"input_std"`` (set by :func:`specauth.training.adapt_normalization`);
        False: none. As :func:`resnet1d`.
    derivative : bool, default=False
        Whether to append each channel's first derivative as a channel
        (layer ``"derivative"``), as :func:`resnet1d`.
    position_channel : bool, default=True
        Whether to append a ``-1 -> 1`` position ramp as a channel (layer
        ``"position"``), as :func:`resnet1d`.
    log_activation : bool, default=False
        Whether the activation after the first stem convolution is a
        :class:`~specauth.models.layers.LogActivation` (layer
        ``"stem_1_log"`` in place of ``"stem_1_act"``).
    seed : int, default=None
        Seed of all initializers and of the dropout: two builds with the same
        seed have identical initial weights.
    name : str, default="xresnet1d"
        Name of the returned model.

    Returns
    -------
    model : keras.Model
        An uncompiled functional model mapping ``(batch, length, channels)``
        to logits ``(batch, n_classes)`` (no softmax). With
        ``self_attention`` or ``log_activation`` it holds specauth layers: its
        ``.keras`` file loads once ``specauth.models.layers`` is imported.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If an argument is out of range: a ``depth`` other than 18, 34 or 50,
        an ``activation`` Keras does not know, an even ``kernel_size``,
        ``widths`` without 4 entries, ``n_classes < 1``...

    See Also
    --------
    xresnet2d : The same network for 2D patterns.
    resnet1d : The full-resolution residual network of Wang et al.

    Notes
    -----
    Registered as ``"xresnet1d"``; pass ``depth`` (``model__depth=50`` to an
    estimator) for the deeper networks. Differences
    from fastai: Keras' BatchNorm epsilon (1e-3) and the project's momentum
    (0.9), ``"same"`` padding
    (Keras pads an even length at the end only) and the Glorot-uniform
    ``"logits"`` kernel of every specauth network; fastai's activation after
    the addition, ``kaiming_normal_`` convolution kernels and ``ceil_mode``
    average pooling are kept.

    References
    ----------
    .. [1] He, Zhang, Zhang, Xie, Li & Li, "Bag of tricks for image
       classification with convolutional neural networks", CVPR 2019,
       arXiv:1812.01187.
    .. [2] fastai, ``fastai/vision/models/xresnet.py`` and ``ResBlock`` in
       ``fastai/layers.py``.

    Examples
    --------
    >>> from specauth.models import xresnet1d
    >>> model = xresnet1d((2631, 1), n_classes=10, seed=0)
    >>> model.get_layer("gap").input.shape  # 2631 / 32, rounded up
    (None, 83, 512)
    """
    length, channels = _checks.check_input_shape(input_shape)
    n_classes = _checks.check_n_classes(n_classes)
    spec = _check_spec(
        depth, widths, stem_widths, kernel_size, log_activation, self_attention
    )
    dropout = _checks.check_rate(dropout, "dropout")
    norm = _checks.check_input_norm(input_norm)
    derivative = _checks.check_bool(derivative, "derivative")
    position_channel = _checks.check_bool(position_channel, "position_channel")
    seeds = SeedStream(_checks.check_seed(seed))
    name = _checks.check_name(name)

    keras = import_keras()
    spec = spec._replace(activation=_check_activation(keras, activation))
    inputs, x = _parts.spectrum_input(
        keras, (length, channels), norm, position_channel, derivative
    )
    return _build(inputs, x, keras, spec, n_classes, dropout, seeds, name)


def xresnet2d(
    input_shape: tuple[int, int, int],
    n_classes: int,
    *,
    depth: int = 18,
    widths: tuple[int, ...] = (64, 128, 256, 512),
    stem_widths: tuple[int, ...] = (32, 32, 64),
    kernel_size: int = 3,
    activation: str = "relu",
    self_attention: bool = False,
    dropout: float = 0.0,
    input_norm: bool | str = True,
    augment: bool | dict[str, Any] = False,
    log_activation: bool = False,
    seed: int | None = None,
    name: str = "xresnet2d",
) -> keras.Model:
    """Build fastai's XResNet for 2D diffraction patterns of any size.

    ``Input("pattern") -> [PatternAugmentation("augment")] ->
    BatchNormalization("input_norm") -> stem -> 4 stages of residual blocks
    -> GlobalAveragePooling2D("gap") -> [Dropout] -> Dense(n_classes,
    "logits")``: the network of :func:`xresnet1d` (see there for the stem,
    the blocks, the zero-initialised BatchNorm, the average-pooling
    shortcut and the self-attention) with ``kernel_size x kernel_size``
    convolutions. The height and the width are divided by 32 before
    ``"gap"``; :class:`~specauth.explain.CAM2D` explains the network.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)``, e.g. ``(64, 64, 1)``; any size works.
    n_classes : int
        Number of outputs, the width of the ``"logits"`` layer: the classes,
        or the targets of a regression (1 for one quantity).
    depth : {18, 34, 50}, default=18
        As :func:`xresnet1d`.
    widths : tuple of 4 int, default=(64, 128, 256, 512)
        Filters of each stage (times 4 at the output of a bottleneck block).
    stem_widths : tuple of int, default=(32, 32, 64)
        Filters of each stem convolution.
    kernel_size : int, default=3
        Kernel size of the stem, of the residual convolutions and of the
        stem's max pooling; must be odd.
    activation : str, default="relu"
        Name of the Keras activation used everywhere, e.g. ``"mish"``.
    self_attention : bool, default=False
        As :func:`xresnet1d` (over the ``height * width`` positions).
    dropout : float, default=0.0
        Dropout rate between ``"gap"`` and the logits; 0 for none.
    input_norm : {"batch", "standard"} or bool, default=True
        As :func:`resnet2d`.
    augment : bool or dict, default=False
        As :func:`resnet2d`: a training-only
        :class:`~specauth.models.layers.PatternAugmentation` after the input.
    log_activation : bool, default=False
        Whether the activation after the first stem convolution is a
        :class:`~specauth.models.layers.LogActivation` (``"stem_1_log"``).
    seed : int, default=None
        Seed of all initializers, of the augmentation and of the dropout.
    name : str, default="xresnet2d"
        Name of the returned model.

    Returns
    -------
    model : keras.Model
        An uncompiled functional model mapping ``(batch, height, width,
        channels)`` to logits ``(batch, n_classes)`` (no softmax).

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If an argument is out of range (see :func:`xresnet1d`), or
        ``input_shape`` has not 3 entries.

    See Also
    --------
    xresnet1d : The same network for spectra.
    resnet2d : A smaller residual network for patterns.

    Notes
    -----
    Registered as ``"xresnet2d"``.

    Examples
    --------
    >>> from specauth.models import xresnet2d
    >>> model = xresnet2d((65, 64, 1), n_classes=3, seed=0)
    >>> model.get_layer("gap").input.shape
    (None, 3, 2, 512)
    """
    shape = _parts.check_pattern_shape(input_shape)
    n_classes = _checks.check_n_classes(n_classes)
    spec = _check_spec(
        depth, widths, stem_widths, kernel_size, log_activation, self_attention
    )
    dropout = _checks.check_rate(dropout, "dropout")
    norm = _checks.check_input_norm(input_norm)
    augment_options = _parts.check_augment(augment)
    seeds = SeedStream(_checks.check_seed(seed))
    name = _checks.check_name(name)

    keras = import_keras()
    spec = spec._replace(activation=_check_activation(keras, activation))
    inputs, x = _parts.pattern_input(keras, shape, norm, augment_options, seeds)
    return _build(inputs, x, keras, spec, n_classes, dropout, seeds, name)


xresnet2d.input_kind = "image"  # type: ignore[attr-defined]
xresnet2d.input_rank = 3  # type: ignore[attr-defined]


register_model("xresnet1d")(xresnet1d)
register_model("xresnet2d")(xresnet2d)
