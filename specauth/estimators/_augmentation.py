"""The estimators' ``augmentation`` parameter: training-only layers before the network.

``augmentation`` names presets or gives Keras layers; they are put between
the network's input and its first layer, in one flat functional model (the
network's layers keep their names, so ``"gap"``, ``"logits"`` and the head
contract are unchanged). Layers that augment only in training -- such as
:class:`~specauth.models.layers.SpectrumAugmentation` and
:class:`~specauth.models.layers.PatternAugmentation` -- leave inference
untouched; test-time augmentation (:func:`specauth.estimators.tta`) calls
them in training mode on purpose.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AUGMENTATION_PRESETS",
    "augmentation_layers",
    "check_augmentation",
    "with_augmentation",
]

#: Preset names of ``augmentation``: the spectrum presets of
#: :func:`specauth.preprocessing.augmentation_preset` and ``"patterns"``
#: (:class:`~specauth.models.layers.PatternAugmentation` with its defaults).
AUGMENTATION_PRESETS = ("spectra", "counts", "nir", "absorbance", "patterns")


#: Strengths ``augmentation__<name>`` may set, per preset layer.
SPECTRUM_OPTIONS = ("shift", "scale", "offset", "slope", "noise", "poisson")
PATTERN_OPTIONS = ("rotation", "flip", "shift", "intensity", "poisson")


def check_augmentation(spec: Any, options: dict[str, Any] | None = None) -> None:
    """Refuse an ``augmentation`` value before any training (names and types).

    ``options`` are the ``augmentation__...`` strengths: they adjust the
    presets' layers, so they need a preset and a known name.
    """
    options = dict(options or {})
    if spec is None or isinstance(spec, str):
        names = [] if spec is None else [spec]
    elif isinstance(spec, (list, tuple)):
        names = list(spec)
    else:
        names = [spec]
    presets = [n.lower() for n in names if isinstance(n, str)]
    if options:
        valid = set()
        if any(p != "patterns" for p in presets):
            valid |= set(SPECTRUM_OPTIONS)
        if "patterns" in presets:
            valid |= set(PATTERN_OPTIONS)
        unknown = sorted(set(options) - valid)
        if unknown:
            raise ValueError(
                f"`augmentation__{unknown[0]}` adjusts no preset of "
                f"augmentation={spec!r}; the options of the spectrum presets are "
                f"{list(SPECTRUM_OPTIONS)}, of 'patterns' {list(PATTERN_OPTIONS)}."
            )
    if spec is None:
        return
    items = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    for item in items:
        if isinstance(item, str):
            if item.lower() not in AUGMENTATION_PRESETS:
                raise ValueError(
                    f"`augmentation` preset {item!r} is unknown; the presets are "
                    f"{list(AUGMENTATION_PRESETS)} (or give Keras layers)."
                )
            continue
        if not (hasattr(item, "get_config") and callable(item)):
            raise TypeError(
                "`augmentation` must be None, a preset name "
                f"{list(AUGMENTATION_PRESETS)}, a Keras layer or a list of them; "
                f"got {item!r} of type {type(item).__name__}."
            )


def augmentation_layers(
    spec: Any, seed: int | None = None, options: dict[str, Any] | None = None
) -> list[Any]:
    """Fresh Keras layers for an ``augmentation`` value (empty for None).

    A name builds the preset's layer, its strengths updated by ``options``
    (the ``augmentation__...`` parameters that apply to it); a layer is
    copied from its config (the caller's object is never put into a
    network); a list combines both, in order.
    """
    options = dict(options or {})
    if spec is None:
        return []
    items = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    if not items:
        return []
    from specauth._lazy import import_keras

    keras = import_keras()
    import specauth.models.layers as specauth_layers
    from specauth.preprocessing import augmentation_preset

    layers = []
    for position, item in enumerate(items):
        item_seed = None if seed is None else seed + 7919 * (position + 1)
        if isinstance(item, str):
            name = item.lower()
            if name not in AUGMENTATION_PRESETS:
                raise ValueError(
                    f"`augmentation` preset {item!r} is unknown; the presets are "
                    f"{list(AUGMENTATION_PRESETS)} (or give Keras layers)."
                )
            if name == "patterns":
                given = {k: v for k, v in options.items() if k in PATTERN_OPTIONS}
                layers.append(
                    specauth_layers.PatternAugmentation(**given, seed=item_seed)
                )
            else:
                strengths: dict[str, Any] = dict(augmentation_preset(name))
                strengths.update(
                    {k: v for k, v in options.items() if k in SPECTRUM_OPTIONS}
                )
                layers.append(
                    specauth_layers.SpectrumAugmentation(**strengths, seed=item_seed)
                )
        elif isinstance(item, keras.layers.Layer):
            layers.append(type(item).from_config(item.get_config()))
        else:
            raise TypeError(
                "`augmentation` must be None, a preset name "
                f"{list(AUGMENTATION_PRESETS)}, a Keras layer or a list of them; "
                f"got {item!r} of type {type(item).__name__}."
            )
    return layers


def with_augmentation(network: Any, layers: list[Any]) -> Any:
    """``network`` with ``layers`` between its input and its first layer.

    The result is one flat functional model whose other layers are clones of
    ``network``'s (same names, configs and initial weights).
    """
    if not layers:
        return network
    from specauth._lazy import import_keras

    keras = import_keras()
    inputs = keras.Input(shape=network.input_shape[1:], name=network.inputs[0].name)
    augmented = inputs
    for layer in layers:
        augmented = layer(augmented)

    def call(layer, *args, **kwargs):
        # every layer that reads the input reads the augmented input instead
        args = tuple(augmented if arg is inputs else arg for arg in args)
        return layer(*args, **kwargs)

    clone = keras.models.clone_model(network, input_tensors=inputs, call_function=call)
    clone.set_weights(network.get_weights())
    return keras.Model(inputs, clone.outputs, name=network.name)
