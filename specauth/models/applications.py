"""The ``keras.applications`` bases that :class:`CNNFactory` can build, by name.

Each entry records what the factory must know about a base and Keras does not
say in one place: the class name in ``keras.applications``, its pixel
convention (the ``mode`` of its ``preprocess_input``, see
:data:`specauth.models.layers.pixel_scaling.PIXEL_MODES`), the smallest image
side it accepts, its default (ImageNet) image side and which constructor
switches turn off preprocessing built into the base.

Names are the lower-cased Keras class names: ``"mobilenetv2"``,
``"efficientnetb0"``, ``"convnexttiny"``, ``"resnet50v2"``, ...
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

__all__ = ["BaseSpec", "base_spec", "list_bases"]


@dataclass(frozen=True)
class BaseSpec:
    """What the factory needs to know about one ``keras.applications`` base.

    Attributes
    ----------
    name : str
        Registry name (the lower-cased Keras class name).
    keras_name : str
        Attribute of ``keras.applications`` that builds the base.
    pixel_mode : {"tf", "torch", "caffe", "none"}
        Pixel convention of the ImageNet weights; ``"none"``: the base takes
        0-255 pixels and rescales them itself.
    min_size : int
        Smallest height and width the base accepts.
    default_size : int
        Image side of its ImageNet training.
    family : str
        Keras module the base belongs to (for documentation and grouping).
    """

    name: str
    keras_name: str
    pixel_mode: str
    min_size: int
    default_size: int
    family: str


def _family(keras_names, family, pixel_mode, min_size=32, default_size=224, sizes=()):
    sizes = sizes or (default_size,) * len(keras_names)
    return {
        name.lower(): BaseSpec(name.lower(), name, pixel_mode, min_size, size, family)
        for name, size in zip(keras_names, sizes, strict=True)
    }


_BASES: dict[str, BaseSpec] = {
    **_family(
        [
            "ConvNeXtTiny",
            "ConvNeXtSmall",
            "ConvNeXtBase",
            "ConvNeXtLarge",
            "ConvNeXtXLarge",
        ],
        "convnext",
        "none",
    ),
    **_family(["DenseNet121", "DenseNet169", "DenseNet201"], "densenet", "torch"),
    **_family(
        [f"EfficientNetB{i}" for i in range(8)],
        "efficientnet",
        "none",
        sizes=(224, 240, 260, 300, 380, 456, 528, 600),
    ),
    **_family(
        [
            "EfficientNetV2B0",
            "EfficientNetV2B1",
            "EfficientNetV2B2",
            "EfficientNetV2B3",
            "EfficientNetV2S",
            "EfficientNetV2M",
            "EfficientNetV2L",
        ],
        "efficientnet_v2",
        "none",
        sizes=(224, 240, 260, 300, 384, 480, 480),
    ),
    **_family(["InceptionV3"], "inception_v3", "tf", 75, 299),
    **_family(["InceptionResNetV2"], "inception_resnet_v2", "tf", 75, 299),
    **_family(["MobileNet"], "mobilenet", "tf"),
    **_family(["MobileNetV2"], "mobilenet_v2", "tf"),
    **_family(["MobileNetV3Small", "MobileNetV3Large"], "mobilenet_v3", "none"),
    **_family(["NASNetMobile", "NASNetLarge"], "nasnet", "tf", sizes=(224, 331)),
    **_family(["ResNet50", "ResNet101", "ResNet152"], "resnet", "caffe"),
    **_family(["ResNet50V2", "ResNet101V2", "ResNet152V2"], "resnet_v2", "tf"),
    **_family(["VGG16"], "vgg16", "caffe"),
    **_family(["VGG19"], "vgg19", "caffe"),
    **_family(["Xception"], "xception", "tf", 71, 299),
}

#: Families whose constructor has ``include_preprocessing`` (on by default):
#: they expect 0-255 pixels and rescale inside.
INTERNAL_PREPROCESSING = frozenset({"convnext", "efficientnet_v2", "mobilenet_v3"})


def list_bases() -> list[str]:
    """Return the sorted names of the pretrained bases :class:`CNNFactory` builds.

    Returns
    -------
    names : list of str
        Lower-cased ``keras.applications`` class names.

    See Also
    --------
    specauth.models.CNNFactory : Builds a classifier on one of them.

    Examples
    --------
    >>> from specauth.models import list_bases
    >>> "mobilenetv2" in list_bases(), len(list_bases())
    (True, 40)
    """
    return sorted(_BASES)


def base_spec(name: str) -> BaseSpec:
    """Return the :class:`BaseSpec` of base ``name``.

    Parameters
    ----------
    name : str
        A name from :func:`list_bases`; the case is ignored, so the Keras class
        name (``"MobileNetV2"``) works too.

    Returns
    -------
    spec : BaseSpec

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If ``name`` is unknown; the message lists the closest names.

    Examples
    --------
    >>> from specauth.models.applications import base_spec
    >>> base_spec("MobileNetV2").pixel_mode
    'tf'
    >>> base_spec("mobilenet_v2")
    Traceback (most recent call last):
    ...
    ValueError: Unknown base 'mobilenet_v2'; did you mean 'mobilenetv2', ...
    """
    if not isinstance(name, str):
        raise TypeError(
            f"`base` must be a str naming a keras.applications base; got {name!r} "
            f"of type {type(name).__name__}."
        )
    key = name.lower()
    if key in _BASES:
        return _BASES[key]
    close = difflib.get_close_matches(
        key.replace("_", ""), list(_BASES), n=3, cutoff=0.5
    )
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else "."
    raise ValueError(
        f"Unknown base {name!r}{hint} All bases: {', '.join(list_bases())}."
    )
