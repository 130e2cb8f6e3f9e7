"""Small residual network for 2D diffraction patterns of any size."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from specauth.models import _checks, _parts
from specauth.models.registry import register_model

if TYPE_CHECKING:
    import keras

__all__ = ["resnet2d"]


def _basic_block(keras, x, name, filters, stride, seeds):
    """``3x3 conv (stride) -> BN -> ReLU -> 3x3 conv -> BN`` + shortcut, ReLU."""
    y = _parts.conv2d_bn(keras, x, filters, 3, stride, f"{name}_1", seeds)
    y = keras.layers.ReLU(name=f"{name}_1_relu")(y)
    y = _parts.conv2d_bn(keras, y, filters, 3, 1, f"{name}_2", seeds)
    shortcut = x
    if stride > 1 or x.shape[-1] != filters:
        shortcut = _parts.conv2d_bn(
            keras, x, filters, 1, stride, f"{name}_shortcut", seeds
        )
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.ReLU(name=f"{name}_out")(y)


def _stages(keras, x, filters, seeds, *, n_blocks):
    """``len(filters)`` stages of ``n_blocks`` blocks; stages > 1 halve the map."""
    for s, stage_filters in enumerate(filters, start=1):
        for b in range(1, n_blocks + 1):
            stride = 2 if s > 1 and b == 1 else 1
            block = f"stage{s}_block{b}"
            x = _basic_block(keras, x, block, stage_filters, stride, seeds)
    return x


def resnet2d(
    input_shape: tuple[int, int, int],
    n_classes: int,
    *,
    filters: tuple[int, ...] = (16, 32, 64),
    blocks_per_stage: int = 1,
    stem_kernel_size: int = 7,
    stem_stride: int = 2,
    stem_pool: int = 2,
    dropout: float = 0.0,
    input_norm: bool | str = True,
    augment: bool | dict[str, Any] = False,
    log_activation: bool = False,
    seed: int | None = None,
    name: str = "resnet2d",
) -> keras.Model:
    """Build a small residual network for single-channel 2D patterns.

    ``Input("pattern") -> [PatternAugmentation("augment")] ->
    BatchNormalization("input_norm") -> stem -> len(filters) stages of
    blocks_per_stage residual blocks -> GlobalAveragePooling2D("gap") ->
    [Dropout] -> Dense(n_classes, "logits")``.

    The stem, ``Conv2D(filters[0], stem_kernel_size, stem_stride) ->
    BatchNorm -> ReLU -> MaxPooling2D(3, stem_pool)``, divides the height and
    the width by ``stem_stride * stem_pool`` (4 by default: 260 x 257 ->
    65 x 65), so that large detector images are classified fast on a CPU.
    Stage ``s`` has ``filters[s]`` filters; its first block halves the
    resolution, except in the first stage. A residual block (ResNet-18's
    "basic block", He et al. [1]_) is ``Conv2D 3x3 -> BatchNorm -> ReLU ->
    Conv2D 3x3 -> BatchNorm``, added to a shortcut (the identity, or a
    strided ``Conv2D 1x1 + BatchNorm`` when the shape changes), then a ReLU;
    layers are named ``stage<s>_block<b>_*``. Every convolution pads
    ``"same"`` and the head averages over the map, so patterns of any size
    work, and the logits are a linear function of the averaged last feature
    map: :class:`~specauth.explain.CAM2D` explains the network directly.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)``, e.g. ``(260, 257, 1)`` for detector
        images; any size works.
    n_classes : int
        Number of classes (>= 2), the width of the ``"logits"`` layer.
    filters : tuple of int, default=(16, 32, 64)
        Filters of each stage (one stage per entry); ``filters[0]`` also sets
        the stem's width.
    blocks_per_stage : int, default=1
        Residual blocks in each stage.
    stem_kernel_size : int, default=7
        Kernel size of the stem convolution.
    stem_stride : int, default=2
        Stride of the stem convolution.
    stem_pool : int, default=2
        Stride of the stem's 3 x 3 max pooling; 1 for none.
    dropout : float, default=0.0
        Dropout rate between ``"gap"`` and the logits; 0 for none.
    input_norm : {"batch", "standard"} or bool, default=True
        ``"batch"`` (or True): ``BatchNormalization(name="input_norm")``
        after the input, one scale for all pixels (raw counts included).
        ``"standard"``: a ``Normalization`` layer ``"input_std"`` standardises
        every pixel with the training data's mean and standard deviation
        (set by :func:`specauth.training.adapt_normalization`). False: none.
    augment : bool or dict, default=False
        True puts a :class:`~specauth.models.layers.PatternAugmentation`
        layer ``"augment"`` (random rotation by any angle, flips, small
        shifts, intensity scaling; active in training only) after the input;
        a dict passes its options, e.g. ``{"poisson": 1.0}`` to add counting
        noise to raw counts. With a :class:`~specauth.estimators.CNNClassifier`
        pass ``model__augment=True``.
    log_activation : bool, default=False
        Whether the stem's activation is a
        :class:`~specauth.models.layers.LogActivation` (layer ``"stem_log"``
        in place of ``"stem_relu"``), as in Zimmermann et al. [2]_ for raw
        counts.
    seed : int, default=None
        Seed of all initializers, of the augmentation and of the dropout: two
        builds with the same seed have identical initial weights.
    name : str, default="resnet2d"
        Name of the returned model.

    Returns
    -------
    model : keras.Model
        An uncompiled functional model mapping ``(batch, height, width,
        channels)`` to logits ``(batch, n_classes)`` (no softmax). With
        ``augment`` or ``log_activation`` it holds specauth layers: its
        ``.keras`` file loads once ``specauth.models.layers`` is imported.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If an argument is out of range (e.g. ``n_classes < 2``, an
        ``input_shape`` without 3 entries, a size of 0).

    See Also
    --------
    vgg2d : A plain convolutional network on the same stem.
    specauth.explain.CAM2D : Class activation maps of the network.

    Notes
    -----
    With the defaults and 3 classes the network has about 80,000
    parameters. A :class:`~specauth.estimators.CNNClassifier` given patterns
    ``(n, height, width)`` adds the channel axis itself.

    References
    ----------
    .. [1] He, Zhang, Ren & Sun, "Deep residual learning for image
       recognition", CVPR 2016.
    .. [2] Zimmermann, Kroll, Strehlau et al., "Machine learning analysis of
       X-ray diffraction patterns", Phys. Rev. E 99, 063309 (2019).

    Examples
    --------
    >>> from specauth.models import resnet2d
    >>> model = resnet2d((260, 257, 1), n_classes=3, seed=0)
    >>> model.output_shape
    (None, 3)
    >>> model.get_layer("gap").input.shape  # stem: / 4, two stages: / 2 each
    (None, 17, 17, 64)
    """
    n_blocks = _checks.check_int(blocks_per_stage, "blocks_per_stage")
    options = {
        "filters": filters,
        "stem_kernel_size": stem_kernel_size,
        "stem_stride": stem_stride,
        "stem_pool": stem_pool,
        "dropout": dropout,
        "input_norm": input_norm,
        "augment": augment,
        "log_activation": log_activation,
        "seed": seed,
        "name": name,
    }
    return _parts.pattern_network(
        input_shape, n_classes, partial(_stages, n_blocks=n_blocks), options
    )


resnet2d.input_kind = "image"  # type: ignore[attr-defined]
resnet2d.input_rank = 3  # type: ignore[attr-defined]
register_model("resnet2d")(resnet2d)
