"""Small VGG-style network for 2D diffraction patterns of any size."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from specauth.models import _checks, _parts
from specauth.models.registry import register_model

if TYPE_CHECKING:
    import keras

__all__ = ["vgg2d"]


def _stages(keras, x, filters, seeds, *, n_convs):
    """``n_convs`` x [Conv2D 3x3 -> BN -> ReLU] per stage, 2x2 pooling between."""
    for s, stage_filters in enumerate(filters, start=1):
        for c in range(1, n_convs + 1):
            name = f"stage{s}_conv{c}"
            x = _parts.conv2d_bn(keras, x, stage_filters, 3, 1, name, seeds)
            x = keras.layers.ReLU(name=f"{name}_relu")(x)
        if s < len(filters):
            x = keras.layers.MaxPooling2D(2, padding="same", name=f"stage{s}_pool")(x)
    return x


def vgg2d(
    input_shape: tuple[int, int, int],
    n_classes: int,
    *,
    filters: tuple[int, ...] = (16, 32, 64),
    convs_per_stage: int = 2,
    stem_kernel_size: int = 7,
    stem_stride: int = 2,
    stem_pool: int = 2,
    dropout: float = 0.0,
    input_norm: bool | str = True,
    augment: bool | dict[str, Any] = False,
    log_activation: bool = False,
    seed: int | None = None,
    name: str = "vgg2d",
) -> keras.Model:
    """Build a small VGG-style network for single-channel 2D patterns.

    ``Input("pattern") -> [PatternAugmentation("augment")] ->
    BatchNormalization("input_norm") -> stem -> len(filters) stages ->
    GlobalAveragePooling2D("gap") -> [Dropout] -> Dense(n_classes,
    "logits")``.

    The stem is that of :func:`resnet2d` (``Conv2D(filters[0],
    stem_kernel_size, stem_stride) -> BatchNorm -> ReLU -> MaxPooling2D(3,
    stem_pool)``, height and width divided by 4 by default). Stage ``s`` is
    ``convs_per_stage x [Conv2D(filters[s], 3, "same") -> BatchNorm ->
    ReLU]`` (layers ``stage<s>_conv<c>_*``), followed by a 2 x 2 max pooling
    (``"stage<s>_pool"``) except after the last stage, which keeps its
    resolution for class activation maps (Simonyan & Zisserman [1]_, with
    batch normalisation and a global-average-pooling head instead of the
    dense layers, so that patterns of any size work and
    :class:`~specauth.explain.CAM2D` explains the network directly).

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)``, e.g. ``(260, 257, 1)``; any size works.
    n_classes : int
        Number of classes (>= 2), the width of the ``"logits"`` layer.
    filters : tuple of int, default=(16, 32, 64)
        Filters of each stage (one stage per entry); ``filters[0]`` also sets
        the stem's width.
    convs_per_stage : int, default=2
        Convolutions in each stage.
    stem_kernel_size : int, default=7
        Kernel size of the stem convolution.
    stem_stride : int, default=2
        Stride of the stem convolution.
    stem_pool : int, default=2
        Stride of the stem's 3 x 3 max pooling; 1 for none.
    dropout : float, default=0.0
        Dropout rate between ``"gap"`` and the logits; 0 for none.
    input_norm : {"batch", "standard"} or bool, default=True
        As in :func:`resnet2d`.
    augment : bool or dict, default=False
        As in :func:`resnet2d`: True (or a dict of options) puts a
        :class:`~specauth.models.layers.PatternAugmentation` layer
        ``"augment"`` after the input, active in training only.
    log_activation : bool, default=False
        Whether the stem's activation is a
        :class:`~specauth.models.layers.LogActivation` (layer ``"stem_log"``
        in place of ``"stem_relu"``).
    seed : int, default=None
        Seed of all initializers, of the augmentation and of the dropout: two
        builds with the same seed have identical initial weights.
    name : str, default="vgg2d"
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
        If an argument is out of range.

    See Also
    --------
    resnet2d : The residual network on the same stem.

    References
    ----------
    .. [1] Simonyan & Zisserman, "Very deep convolutional networks for
       large-scale image recognition", ICLR 2015.

    Examples
    --------
    >>> from specauth.models import vgg2d
    >>> model = vgg2d((260, 257, 1), n_classes=3, seed=0)
    >>> model.output_shape
    (None, 3)
    >>> model.get_layer("gap").input.shape  # stem: / 4, two pools: / 2 each
    (None, 17, 17, 64)
    """
    n_convs = _checks.check_int(convs_per_stage, "convs_per_stage")
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
        input_shape, n_classes, partial(_stages, n_convs=n_convs), options
    )


vgg2d.input_kind = "image"  # type: ignore[attr-defined]
vgg2d.input_rank = 3  # type: ignore[attr-defined]
register_model("vgg2d")(vgg2d)
