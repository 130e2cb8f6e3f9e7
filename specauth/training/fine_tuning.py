"""fastai-style fine-tuning of a network built on a pretrained base."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras
from specauth._validation import Interval, check_scalar, check_value
from specauth.training.unfrozen import (
    UNFROZEN_CONSTRAINTS,
    check_unfreezable,
    fit_unfrozen,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import keras
    from numpy.typing import ArrayLike

__all__ = [
    "base_weighted_layers",
    "fine_tune",
    "freeze_base",
    "unfreeze_base",
]


def _base(model, base_layer):
    keras = import_keras()
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model; got {type(model).__name__}.")
    try:
        base = model.get_layer(base_layer)
    except ValueError as err:
        raise ValueError(
            f"`model` has no layer named {base_layer!r} holding a pretrained base; "
            "fine-tuning needs a network from specauth.models.CNNFactory (or pass "
            "the name of your base as `base_layer`)."
        ) from err
    if not isinstance(base, keras.Model):
        raise ValueError(
            f"Layer {base_layer!r} of `model` is a {type(base).__name__}, not a "
            "nested keras.Model base."
        )
    return base


def freeze_base(model: keras.Model, *, base_layer: str = "base") -> keras.Model:
    """Freeze every weight of the pretrained base of ``model``.

    Parameters
    ----------
    model : keras.Model
        A network with a nested base model (``CNNFactory`` names it
        ``"base"``).
    base_layer : str, default="base"
        Name of the base inside ``model``.

    Returns
    -------
    base : keras.Model
        The (now frozen) base.

    Raises
    ------
    ValueError
        If ``model`` has no nested base named ``base_layer``.

    See Also
    --------
    unfreeze_base : The reverse, for the top layers.

    Examples
    --------
    A tiny stand-in for a ``CNNFactory`` network: a nested model named
    ``"base"`` under a head.

    >>> import keras
    >>> base = keras.Sequential(
    ...     [keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)], name="base"
    ... )
    >>> inputs = keras.Input((8, 8, 3))
    >>> x = keras.layers.GlobalAveragePooling2D()(base(inputs))
    >>> model = keras.Model(inputs, keras.layers.Dense(2, name="logits")(x))
    >>> freeze_base(model).trainable
    False
    >>> [w.path for w in model.trainable_weights]
    ['logits/kernel', 'logits/bias']
    """
    base = _base(model, base_layer)
    base.trainable = False
    return base


def _weighted_layers(base):
    keras = import_keras()
    norm = keras.layers.BatchNormalization
    return [
        layer
        for layer in base._flatten_layers(include_self=False, recursive=True)
        if layer.weights and not isinstance(layer, norm) and not layer._layers
    ]


def base_weighted_layers(
    model: keras.Model, *, base_layer: str = "base"
) -> list[keras.layers.Layer]:
    """Return the base's layers that hold weights, BatchNorm excluded, in order.

    These are the layers :func:`unfreeze_base` counts.

    Raises
    ------
    ValueError
        If ``model`` has no nested base named ``base_layer``.
    """
    return _weighted_layers(_base(model, base_layer))


def unfreeze_base(
    model: keras.Model, layers: str | int = "all", *, base_layer: str = "base"
) -> list[keras.layers.Layer]:
    """Make the top of the pretrained base trainable; BatchNorm stays frozen.

    Parameters
    ----------
    model : keras.Model
        A network with a nested base model.
    layers : "all" or int, default="all"
        ``"all"`` unfreezes every layer holding weights; an int ``n``
        unfreezes the last ``n`` of them (the top of the base, nearest the
        head) and keeps the earlier ones frozen. BatchNormalization layers are
        not counted and stay frozen: they keep their ImageNet statistics and
        scale, and run in inference mode (the factory calls the base with
        ``training=False``), as Keras recommends when fine-tuning.
    base_layer : str, default="base"
        Name of the base inside ``model``.

    Returns
    -------
    unfrozen : list of keras.layers.Layer
        The layers made trainable, earliest first (the input of
        :func:`~specauth.training.discriminative.layer_rate_factors`).

    Raises
    ------
    ValueError
        If ``model`` has no nested base, or ``layers`` is not ``"all"`` or an
        int from 1 to the number of weighted layers of the base.

    See Also
    --------
    freeze_base : Freeze the whole base again.
    fine_tune : Head training, then this, then discriminative learning rates.

    Examples
    --------
    >>> import keras
    >>> base = keras.Sequential(
    ...     [keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, name="low"),
    ...      keras.layers.BatchNormalization(name="bn"),
    ...      keras.layers.Conv2D(4, 3, name="top")],
    ...     name="base",
    ... )
    >>> inputs = keras.Input((8, 8, 3))
    >>> x = keras.layers.GlobalAveragePooling2D()(base(inputs))
    >>> model = keras.Model(inputs, keras.layers.Dense(2, name="logits")(x))
    >>> _ = freeze_base(model)
    >>> [layer.name for layer in unfreeze_base(model, 1)]
    ['top']
    >>> [layer.name for layer in unfreeze_base(model)]  # BatchNorm stays frozen
    ['low', 'top']
    >>> base.get_layer("bn").trainable
    False
    """
    keras = import_keras()
    base = _base(model, base_layer)
    weighted = _weighted_layers(base)
    if isinstance(layers, str):
        if layers != "all":
            raise ValueError(f"`layers` must be 'all' or an int; got {layers!r}.")
        count = len(weighted)
    elif isinstance(layers, bool) or not isinstance(layers, Integral):
        raise TypeError(
            f"`layers` must be 'all' or an int; got {layers!r} of type "
            f"{type(layers).__name__}."
        )
    elif not 1 <= layers <= len(weighted):
        raise ValueError(
            f"`layers` must be 'all' or an int from 1 to {len(weighted)} (the "
            f"weighted layers of {base.name!r}, BatchNorm excluded); got {layers}."
        )
    else:
        count = int(layers)
    kept_frozen = {id(layer) for layer in weighted[: len(weighted) - count]}
    sublayers = list(base._flatten_layers(include_self=False, recursive=True))
    # Set every flag explicitly: on the TensorFlow backend ``x.trainable = v``
    # is a no-op when ``x.trainable`` already is ``v``, so ``base.trainable =
    # True`` alone would not undo an earlier, partial unfreeze.
    base.trainable = True
    for layer in sublayers:
        layer.trainable = True
    for layer in sublayers:
        if isinstance(layer, keras.layers.BatchNormalization) or (
            id(layer) in kept_frozen
        ):
            layer.trainable = False
    return weighted[len(weighted) - count :]


def fine_tune(
    model: keras.Model,
    x: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int = 4,
    learning_rate: float = 2e-3,
    freeze_epochs: int = 1,
    unfreeze: str | int = "all",
    lr_mult: float = 100.0,
    unfrozen_learning_rate: float | None = None,
    pct_start: float = 0.3,
    batch_size: int = 32,
    optimizer: Any = "adam",
    loss: Any = None,
    metrics: Sequence[Any] = ("accuracy",),
    validation_data: tuple[Any, Any] | None = None,
    callbacks: Sequence[Any] = (),
    base_layer: str = "base",
    verbose: int = 0,
) -> dict[str, list[Any]]:
    """Train the head on a frozen base, then unfreeze with discriminative rates.

    fastai's ``fine_tune`` for Keras networks on a pretrained base
    (:class:`~specauth.models.CNNFactory`):

    1. ``freeze_epochs`` epochs of one-cycle training (``pct_start=0.99``)
       with the base frozen, at ``learning_rate``: only the new head learns;
    2. :func:`unfreeze_base` (all weighted layers, or the top ``unfreeze``),
       then ``epochs`` epochs of one-cycle training peaking at
       ``min(learning_rate / 2, 1e-3)`` (or ``unfrozen_learning_rate``) for
       the head, with discriminative rates in the base down to
       ``1 / lr_mult`` of it for the earliest unfrozen layer
       (:func:`~specauth.training.discriminative.layer_rate_factors`).

    Both phases train through :func:`~specauth.training.loop.fit_network`,
    the loop of ``CNNClassifier(fine_tune_epochs=...)``, with the same
    defaults. BatchNormalization layers of the base stay frozen and in
    inference mode throughout.

    Parameters
    ----------
    model : keras.Model
        Network with a nested base named ``base_layer``; it is trained in
        place (and recompiled).
    x, y : array-like
        Training inputs and integer class targets.
    epochs : int, default=4
        Epochs with the base unfrozen (>= 1).
    learning_rate : float, default=2e-3
        Peak rate of the frozen phase.
    freeze_epochs : int, default=1
        Epochs with the base frozen (>= 0).
    unfreeze : "all" or int, default="all"
        Passed to :func:`unfreeze_base` as ``layers``.
    lr_mult : float, default=100.0
        Ratio of the head's rate to that of the earliest unfrozen layer (>= 1).
    unfrozen_learning_rate : float or None, default=None
        Peak rate of the unfrozen phase; None: ``min(learning_rate / 2,
        1e-3)``.
    pct_start : float, default=0.3
        Warm-up fraction of the unfrozen phase's one-cycle schedule.
    batch_size : int, default=32
    optimizer : str, keras optimizer class or instance, default="adam"
        Copied for each phase, never used in place.
    loss : keras loss or None, default=None
        None: sparse categorical cross-entropy on logits.
    metrics : sequence, default=("accuracy",)
    validation_data : tuple or None, default=None
    callbacks : sequence of keras callbacks, default=()
    base_layer : str, default="base"
    verbose : {0, 1, 2}, default=0
        0: silent; 1: a progress bar over each phase's epochs; 2: a line per
        epoch.

    Returns
    -------
    history : dict of list
        Per-epoch metrics of both phases, concatenated, ``"lr_per_batch"``
        (the rate of every step of both phases) and ``"phase"``
        (``"frozen"`` or ``"unfrozen"`` per epoch).

    Raises
    ------
    ValueError, TypeError
        For a model without a nested base or arguments out of range, before
        any training.

    See Also
    --------
    specauth.estimators.CNNClassifier : ``fine_tune_epochs`` does the same
        inside ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.models import CNNFactory
    >>> model = CNNFactory("mobilenetv2", weights=None, freeze_base=True,
    ...                    base_options={"alpha": 0.35})((32, 32, 3), 2, seed=0)
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.uniform(0, 255, (8, 32, 32, 3)), np.arange(8) % 2
    >>> history = fine_tune(model, x, y, epochs=1, freeze_epochs=1, batch_size=4)
    >>> history["phase"]
    ['frozen', 'unfrozen']
    """
    from specauth.training.loop import fit_network

    check_scalar("epochs", epochs, Interval(Integral, 1, None, closed="left"))
    check_scalar("freeze_epochs", freeze_epochs, Interval(Integral, 0, None, "left"))
    check_scalar(
        "learning_rate", learning_rate, Interval(Real, 0, None, "neither"), finite=True
    )
    check_scalar("batch_size", batch_size, Interval(Integral, 1, None, closed="left"))
    options: dict[str, Any] = {
        "unfreeze": unfreeze,
        "lr_mult": lr_mult,
        "learning_rate": unfrozen_learning_rate,
        "pct_start": pct_start,
    }
    for key, value in options.items():
        name = "unfrozen_learning_rate" if key == "learning_rate" else key
        check_value(name, value, UNFROZEN_CONSTRAINTS[key])
    _base(model, base_layer)
    check_unfreezable(model, unfreeze, what="`fine_tune`", base_layer=base_layer)
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(
            f"`x` and `y` must have the same length; got {len(x)} and {len(y)}."
        )
    training = dict(
        batch_size=batch_size,
        optimizer=optimizer,
        loss=loss,
        metrics=metrics,
        validation_data=validation_data,
        callbacks=callbacks,
        verbose=verbose,
    )
    history: dict[str, list[Any]] = {}
    phases: list[str] = []
    if freeze_epochs:
        freeze_base(model, base_layer=base_layer)
        frozen = fit_network(
            model,
            x,
            y,
            epochs=freeze_epochs,
            learning_rate=learning_rate,
            schedule="one_cycle",
            schedule_options={"pct_start": 0.99},
            **training,
        )
        _extend(history, frozen)
        phases += ["frozen"] * freeze_epochs
    unfrozen = fit_unfrozen(
        model,
        x,
        y,
        epochs=epochs,
        head_learning_rate=learning_rate,
        base_layer=base_layer,
        **options,
        **training,
    )
    _extend(history, unfrozen)
    history["phase"] = phases + ["unfrozen"] * epochs
    return history


def _extend(history, new):
    for key, values in new.items():
        history.setdefault(key, []).extend(float(v) for v in values)
