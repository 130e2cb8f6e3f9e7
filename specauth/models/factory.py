"""CNNFactory: classifiers on pretrained ``keras.applications`` bases."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth._validation import check_choice
from specauth.models import _checks
from specauth.models._seeds import SeedStream
from specauth.models.applications import INTERNAL_PREPROCESSING, base_spec, list_bases

if TYPE_CHECKING:
    from collections.abc import Sequence

    import keras

__all__ = ["CNNFactory", "BASE_LAYER"]

#: Name of the nested pretrained base inside every factory network.
BASE_LAYER = "base"

_IMAGING = {"gasf": "summation", "gadf": "difference"}
_ADAPTERS = ("fixed", "learned")
_HEADS = ("gap", "flatten")
_PREPROCESSING = ("auto", "tf", "torch", "caffe", "none")


def _check_weights(weights):
    if weights is None or (isinstance(weights, str) and weights == "imagenet"):
        return weights
    if not isinstance(weights, str | os.PathLike):
        raise TypeError(
            "`weights` must be 'imagenet', a path to a weights file or None; got "
            f"{weights!r} of type {type(weights).__name__}."
        )
    path = Path(os.fspath(weights))
    if not path.is_file():
        raise FileNotFoundError(
            f"`weights` file {str(path)!r} does not exist. Pass 'imagenet' (Keras "
            "downloads the weights), the path of a Keras weights file, or None."
        )
    return str(path)


def _check_image_size(image_size, imaging):
    if image_size is None:
        return None
    if imaging is not None:
        if isinstance(image_size, tuple | list) and (
            len(image_size) == 2 and image_size[0] == image_size[1]
        ):
            image_size = image_size[0]
        if isinstance(image_size, tuple | list):
            raise ValueError(
                f"`image_size` must be one int with `imaging={imaging!r}`: Gramian "
                f"angular fields are square; got {tuple(image_size)!r}."
            )
        return _checks.check_int(image_size, "image_size")
    if isinstance(image_size, tuple | list):
        if len(image_size) != 2:
            raise ValueError(
                "`image_size` must be an int or a pair (height, width); got "
                f"{tuple(image_size)!r}."
            )
        return _checks.check_int_tuple(image_size, "image_size")
    size = _checks.check_int(image_size, "image_size")
    return size, size


class CNNFactory:
    """Build classifiers on a pretrained ``keras.applications`` base.

    The reference recipe for spectra -- image each spectrum, feed a frozen
    ImageNet base, train a small class-activation-map head -- as one builder,
    with the imaging, the channel mixing and the base's own pixel
    preprocessing all *inside* the network, so a saved ``.keras`` file is the
    whole model. The network is::

        Input -> [GramianAngularLayer "imaging"] -> [Resizing "resize"]
              -> [EinsumDense "channel_adapter"] -> EinsumDense "pixel_scaling"
              -> base "base" (pretrained BatchNorm frozen, inference mode)
              -> GlobalAveragePooling2D "gap" | Flatten "flatten"
              -> [Dense "dense"] -> [Dropout "dropout"] -> Dense "logits"

    The channel adapter and the pixel scaling are per-pixel affine maps over
    the channels, built as single ``keras.layers.EinsumDense`` layers by
    :func:`~specauth.models.layers.fixed_channel_adapter` and
    :func:`~specauth.models.layers.fixed_pixel_scaling`. So a network taking
    images is made of built-in Keras layers only, and its ``.keras`` file
    loads with plain ``keras.saving.load_model(path)`` (safe mode) where
    specauth is not installed. A network with ``imaging`` also holds the
    custom :class:`~specauth.models.layers.GramianAngularLayer`: its file
    loads once ``specauth.models.layers`` has been imported, which registers
    that layer with Keras.

    Calling the factory, ``factory(input_shape, n_classes, seed=0)``, returns
    an uncompiled ``keras.Model`` that outputs logits, so an instance can be
    passed as ``model=`` to :class:`~specauth.estimators.CNNClassifier`; every
    base is also registered by name (``CNNClassifier("mobilenetv2",
    model__weights=..., model__imaging="gasf")``).

    Parameters
    ----------
    base : str, default="mobilenetv2"
        A name from :func:`list_bases` (lower-cased Keras class name; the Keras
        spelling ``"MobileNetV2"`` works too).
    weights : "imagenet", str, path-like or None, default="imagenet"
        ``"imagenet"``: Keras downloads the ImageNet weights (needs the
        internet once; cached in ``~/.keras/models``). A path: a Keras
        ``.weights.h5`` file of the base without its top (e.g. one written by
        ``base.save_weights``). None: random initial weights.
    imaging : {"gasf", "gadf"} or None, default=None
        Image 1D spectra inside the network with a
        :class:`~specauth.models.layers.GramianAngularLayer` (summation or
        difference field), so the model takes raw spectra ``(length, 1)``.
        None: the model takes images ``(height, width, channels)``.
    image_size : int, (int, int) or None, default=None
        With ``imaging``: side of the Gramian field (piecewise-aggregate
        downsampling of the spectrum); None uses the spectrum length, capped
        at the base's ImageNet size. Without ``imaging``: images are resized
        (bilinear, layer ``"resize"``) to this size; None keeps their size.
    input_range : (float, float) or None, default=None
        Input values mapped to pixel 0 and 255 before the base's own
        preprocessing. None: ``(-1, 1)`` with ``imaging`` (the range of a
        Gramian field), else ``(0, 255)`` (images already in pixels).
    preprocessing : {"auto", "tf", "torch", "caffe", "none"}, default="auto"
        Pixel convention the base is fed (see
        :func:`~specauth.models.layers.fixed_pixel_scaling`). ``"auto"``: that of
        the base's Keras ``preprocess_input``. Weights converted from PyTorch
        (such as the MobileNetV2 file of ``../shared/weights``) want
        ``"torch"``.
    channel_adapter : {"fixed", "learned"}, default="fixed"
        How inputs without 3 channels become RGB (layer ``"channel_adapter"``,
        a 1x1 linear map initialised to copy 1 channel to all 3, or to average
        channel groups, see
        :func:`~specauth.models.layers.channel_adapter.channel_mixing_matrix`
        and :func:`~specauth.models.layers.fixed_channel_adapter`).
        ``"fixed"`` keeps that map and adds the layer only for inputs without
        3 channels; ``"learned"`` always adds it and trains it with the head.
    head : {"gap", "flatten"}, default="gap"
        Global average pooling (class-activation-map compatible) or flatten.
    dense_units : int or None, default=None
        Units of an optional ReLU layer before the logits.
    dropout : float, default=0.2
        Dropout rate before the logits.
    freeze_base : bool or None, default=None
        Whether the base's weights stay fixed in training. None: frozen when
        ``weights`` is given, trained when ``weights=None`` (a random frozen
        base would be useless). With pretrained ``weights`` the base's
        BatchNormalization layers are always frozen and run in inference mode
        (their ImageNet statistics never change), also with
        ``freeze_base=False`` and in :func:`specauth.training.fine_tune`, as
        Keras recommends for transfer learning. With ``weights=None`` and a
        trainable base they train normally (batch statistics): the base learns
        from scratch.
    base_options : dict or None, default=None
        Extra arguments of the Keras constructor (``{"alpha": 0.35}`` for a
        slim MobileNetV2).

    Raises
    ------
    TypeError, ValueError
        When called: for an unknown base (the message lists the closest
        names), an option outside its choices, images smaller than the base
        accepts, spectra given without ``imaging`` (or images with it), a
        non-square ``image_size`` with ``imaging``, or a weights file that does
        not fit the base. FileNotFoundError for a missing weights file.

    See Also
    --------
    list_bases : The base names.
    specauth.training.fine_tune : Unfreeze the base with discriminative rates.
    specauth.imaging.GramianAngularField : The same field, computed in numpy.

    Examples
    --------
    >>> from specauth.models import CNNFactory
    >>> factory = CNNFactory("mobilenetv2", weights=None, imaging="gasf",
    ...                      image_size=32, base_options={"alpha": 0.35})
    >>> model = factory((128, 1), n_classes=3, seed=0)
    >>> model.input_shape, model.output_shape
    ((None, 128, 1), (None, 3))
    >>> [layer.name for layer in model.layers[1:4]]
    ['imaging', 'channel_adapter', 'pixel_scaling']
    """

    def __init__(
        self,
        base: str = "mobilenetv2",
        *,
        weights: str | os.PathLike[str] | None = "imagenet",
        imaging: str | None = None,
        image_size: int | tuple[int, int] | None = None,
        input_range: Sequence[float] | None = None,
        preprocessing: str = "auto",
        channel_adapter: str = "fixed",
        head: str = "gap",
        dense_units: int | None = None,
        dropout: float = 0.2,
        freeze_base: bool | None = None,
        base_options: dict[str, Any] | None = None,
    ) -> None:
        self.base = base
        self.weights = weights
        self.imaging = imaging
        self.image_size = image_size
        self.input_range = input_range
        self.preprocessing = preprocessing
        self.channel_adapter = channel_adapter
        self.head = head
        self.dense_units = dense_units
        self.dropout = dropout
        self.freeze_base = freeze_base
        self.base_options = base_options

    _PARAMS = (
        "base",
        "weights",
        "imaging",
        "image_size",
        "input_range",
        "preprocessing",
        "channel_adapter",
        "head",
        "dense_units",
        "dropout",
        "freeze_base",
        "base_options",
    )

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a dict."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def __repr__(self) -> str:
        changed = [
            f"{k}={v!r}"
            for k, v in self.get_config().items()
            if v != _DEFAULTS[k] and k != "base"
        ]
        return f"CNNFactory({', '.join([repr(self.base), *changed])})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    # Defining __eq__ without __hash__ sets __hash__ to None: unhashable.

    # --------------------------------------------------------------- building
    def __call__(
        self,
        input_shape: tuple[int, ...],
        n_classes: int,
        *,
        seed: int | None = None,
        **overrides: Any,
    ) -> keras.Model:
        """Build the network; ``overrides`` replace constructor arguments.

        Parameters
        ----------
        input_shape : tuple
            ``(length, 1)`` spectra with ``imaging``, else ``(height, width,
            channels)`` images.
        n_classes : int
            Units of the logits layer (>= 2).
        seed : int or None, default=None
            Seed of the head's initial weights and dropout.
        **overrides
            Constructor arguments for this build only (how the estimator's
            ``model__...`` parameters reach the factory).

        Returns
        -------
        model : keras.Model
            Uncompiled; outputs logits.
        """
        unknown = sorted(set(overrides) - set(self._PARAMS))
        if unknown:
            raise TypeError(
                f"Unknown CNNFactory option(s) {unknown}; valid options: "
                f"{list(self._PARAMS)}."
            )
        config = {**self.get_config(), **overrides}
        return _build(config, input_shape, n_classes, seed)

    build = __call__


_DEFAULTS = CNNFactory().get_config()


def _resolved_options(config):
    spec = base_spec(config["base"])
    imaging = check_choice(
        "imaging", config["imaging"], tuple(_IMAGING), allow_none=True
    )
    options = dict(
        spec=spec,
        weights=_check_weights(config["weights"]),
        imaging=imaging,
        image_size=_check_image_size(config["image_size"], imaging),
        preprocessing=check_choice(
            "preprocessing", config["preprocessing"], _PREPROCESSING
        ),
        channel_adapter=check_choice(
            "channel_adapter", config["channel_adapter"], _ADAPTERS
        ),
        head=check_choice("head", config["head"], _HEADS),
        dense_units=None
        if config["dense_units"] is None
        else _checks.check_int(config["dense_units"], "dense_units"),
        dropout=_checks.check_rate(config["dropout"], "dropout"),
        base_options=dict(config["base_options"] or {}),
    )
    freeze = config["freeze_base"]
    options["freeze_base"] = (
        options["weights"] is not None
        if freeze is None
        else _checks.check_bool(freeze, "freeze_base")
    )
    if not isinstance(options["base_options"], dict):
        raise TypeError("`base_options` must be a dict or None.")
    reserved = {"include_top", "weights", "input_shape", "input_tensor", "name"}
    clash = sorted(reserved & set(options["base_options"]))
    if clash:
        raise ValueError(
            f"`base_options` must not set {clash}: the factory sets them itself."
        )
    input_range = config["input_range"]
    if input_range is None:
        input_range = (-1.0, 1.0) if imaging is not None else (0.0, 255.0)
    options["input_range"] = input_range
    return options


def _image_input(keras, input_shape, options):
    """Return ``(inputs, x, (height, width, channels))`` up to the resize."""
    spec, imaging = options["spec"], options["imaging"]
    if not isinstance(input_shape, tuple | list):
        raise TypeError(
            f"`input_shape` must be a tuple; got {input_shape!r} of type "
            f"{type(input_shape).__name__}."
        )
    input_shape = tuple(input_shape)
    if imaging is not None:
        if len(input_shape) != 2 or input_shape[1] != 1:
            raise ValueError(
                f"`imaging={imaging!r}` turns single-channel spectra (length, 1) "
                f"into images; got input shape {input_shape}. Pass imaging=None "
                "for images (height, width, channels)."
            )
        length = _checks.check_int(input_shape[0], "input_shape[0] (length)")
        size = options["image_size"] or min(length, spec.default_size)
        if size > length:
            raise ValueError(
                f"`image_size={size}` is larger than the spectra ({length} points); "
                "a Gramian field has at most one row per point."
            )
        _check_min_size(spec, (size, size), "the Gramian field")
        from specauth.models.layers import GramianAngularLayer

        inputs = keras.Input(shape=(length, 1), name="spectrum")
        x = GramianAngularLayer(
            image_size=size, method=_IMAGING[imaging], name="imaging"
        )(inputs)
        return inputs, x, (size, size, 1)
    if len(input_shape) != 3:
        raise ValueError(
            f"Base {spec.name!r} takes images (height, width, channels); got input "
            f"shape {input_shape}. For spectra (length, 1) set imaging='gasf' or "
            "'gadf'."
        )
    height, width, channels = (
        _checks.check_int(v, f"input_shape[{i}]") for i, v in enumerate(input_shape)
    )
    inputs = keras.Input(shape=(height, width, channels), name="image")
    x, shape = inputs, (height, width, channels)
    if options["image_size"] is not None and options["image_size"] != (height, width):
        shape = (*options["image_size"], channels)
        x = keras.layers.Resizing(*options["image_size"], name="resize")(x)
    _check_min_size(spec, shape[:2], "the images")
    return inputs, x, shape


def _check_min_size(spec, hw, what):
    if min(hw) < spec.min_size:
        raise ValueError(
            f"Base {spec.name!r} needs images of at least {spec.min_size}x"
            f"{spec.min_size}; {what} would be {hw[0]}x{hw[1]}. Pass a larger "
            "`image_size`, or pick a base that accepts smaller images (most take "
            "32x32)."
        )


def _keras_base(keras, options, shape):
    spec = options["spec"]
    constructor = getattr(keras.applications, spec.keras_name)
    kwargs = dict(options["base_options"])
    weights = options["weights"]
    try:
        base = constructor(
            include_top=False,
            weights="imagenet" if weights == "imagenet" else None,
            input_shape=(shape[0], shape[1], 3),
            **kwargs,
        )
    except TypeError as err:
        raise TypeError(
            f"keras.applications.{spec.keras_name} rejected `base_options` "
            f"{sorted(kwargs)}: {err}"
        ) from err
    except Exception as err:  # Keras reports a failed download as a bare Exception
        if weights == "imagenet" and _failed_download(err):
            raise ConnectionError(
                f"Could not get the ImageNet weights of {spec.keras_name} ({err}). "
                "Keras downloads them on first use; without internet access, "
                "download the no-top weights file elsewhere and pass its path as "
                "`weights`."
            ) from err
        raise
    # Renamed afterwards: EfficientNetV2 looks its block layout up by `name`.
    base.name = BASE_LAYER
    if weights not in (None, "imagenet"):
        try:
            base.load_weights(weights)
        except Exception as err:
            raise ValueError(
                f"The `weights` file {weights!r} does not fit base {spec.name!r} "
                f"(keras.applications.{spec.keras_name} without its top"
                f"{', options ' + str(kwargs) if kwargs else ''}): {err}"
            ) from err
    return base


def _build(config, input_shape, n_classes, seed):
    keras = import_keras()
    from specauth.models.layers import fixed_channel_adapter, fixed_pixel_scaling

    options = _resolved_options(config)
    n_classes = _checks.check_n_classes(n_classes)
    seed = _checks.check_seed(seed)
    seeds = SeedStream(seed)
    spec = options["spec"]
    inputs, x, shape = _image_input(keras, input_shape, options)
    if shape[2] != 3 or options["channel_adapter"] == "learned":
        x = fixed_channel_adapter(
            shape[2],
            3,
            image_shape=shape[:2],
            trainable=options["channel_adapter"] == "learned",
            name="channel_adapter",
        )(x)
    mode = (
        spec.pixel_mode
        if options["preprocessing"] == "auto"
        else options["preprocessing"]
    )
    if spec.family in INTERNAL_PREPROCESSING and mode != "none":
        options["base_options"].setdefault("include_preprocessing", False)
    if spec.family == "efficientnet" and mode != "none":
        raise ValueError(
            f"Base {spec.name!r} rescales 0-255 pixels inside itself and cannot "
            f"turn that off; `preprocessing={options['preprocessing']!r}` would "
            "preprocess twice. Use preprocessing='auto' or 'none'."
        )
    x = fixed_pixel_scaling(
        options["input_range"],
        mode,
        image_shape=shape[:2],
        channels=3,
        name="pixel_scaling",
    )(x)
    base = _keras_base(keras, options, shape)
    base.trainable = not options["freeze_base"]
    if options["weights"] is not None:
        for layer in base._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
    features = base(x, training=False)
    if options["head"] == "gap":
        x = keras.layers.GlobalAveragePooling2D(name="gap")(features)
    else:
        x = keras.layers.Flatten(name="flatten")(features)
    if options["dense_units"] is not None:
        x = keras.layers.Dense(
            options["dense_units"],
            activation="relu",
            kernel_initializer=keras.initializers.HeUniform(seed=seeds.next()),
            name="dense",
        )(x)
    if options["dropout"] > 0:
        x = keras.layers.Dropout(options["dropout"], seed=seeds.next(), name="dropout")(
            x
        )
    logits = keras.layers.Dense(
        n_classes,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeds.next()),
        name="logits",
    )(x)
    return keras.Model(inputs, logits, name=f"{spec.name}_classifier")


def _register_bases():
    from specauth.models.registry import register_model

    for name in list_bases():

        def builder(input_shape, n_classes, *, seed=None, _name=name, **options):
            return CNNFactory(_name)(input_shape, n_classes, seed=seed, **options)

        builder.__name__ = name
        builder.__qualname__ = f"CNNFactory({name!r})"
        builder.__doc__ = (
            f"Build a classifier on keras.applications base {name!r}; options are "
            "those of :class:`specauth.models.CNNFactory`."
        )
        builder.input_kind = "image"
        register_model(name)(builder)


_register_bases()


def _failed_download(err):
    """Whether ``err`` is Keras failing to fetch a weights file.

    ``keras.utils.get_file`` raises a bare ``Exception("URL fetch failure on
    ...")`` for HTTP and URL errors; sockets and the file system raise
    ``OSError``. Any other error is the constructor's own and is re-raised as
    it is, not reported as a download problem.
    """
    return isinstance(err, OSError) or str(err).startswith("URL fetch failure")
