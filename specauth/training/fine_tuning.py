"""fastai-style fine-tuning of a network built on a pretrained base."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from specauth._lazy import import_keras

keras = import_keras()

__all__ = ["base_weighted_layers", "fine_tune", "freeze_base", "unfreeze_base"]


def _base(model, base_layer):
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


def freeze_base(model, *, base_layer="base"):
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
    norm = keras.layers.BatchNormalization
    return [
        layer
        for layer in base._flatten_layers(include_self=False, recursive=True)
        if layer.weights and not isinstance(layer, norm) and not layer._layers
    ]


def base_weighted_layers(model, *, base_layer="base"):
    """Return the base's layers that hold weights, BatchNorm excluded, in order.

    These are the layers :func:`unfreeze_base` counts.

    Raises
    ------
    ValueError
        If ``model`` has no nested base named ``base_layer``.
    """
    return _weighted_layers(_base(model, base_layer))


def unfreeze_base(model, layers="all", *, base_layer="base"):
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


def _optimizer(spec, learning_rate):
    if isinstance(spec, keras.optimizers.Optimizer):
        cls, config = type(spec), spec.get_config()
    else:
        template = keras.optimizers.get(spec)
        cls, config = type(template), template.get_config()
    return cls.from_config({**config, "learning_rate": learning_rate})


def _check_number(value, name, low, *, integer=False, allow_low=True):
    kind = Integral if integer else Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(
            f"`{name}` must be {'an int' if integer else 'a number'}; got "
            f"{value!r} of type {type(value).__name__}."
        )
    if not math.isfinite(value) or value < low or (value == low and not allow_low):
        sign = ">=" if allow_low else ">"
        raise ValueError(f"`{name}` must be finite and {sign} {low}; got {value}.")
    return value


def _fit_one_cycle(
    model,
    x,
    y,
    *,
    epochs,
    lr,
    pct_start,
    optimizer,
    loss,
    metrics,
    batch_size,
    factors,
    validation_data,
    callbacks,
    verbose,
):
    from specauth.training.discriminative import discriminative_optimizer
    from specauth.training.momentum import OneCycleMomentum
    from specauth.training.one_cycle import OneCycleSchedule

    steps = math.ceil(len(x) / batch_size) * epochs
    schedule = OneCycleSchedule(lr, steps, pct_start=pct_start)
    opt = _optimizer(optimizer, schedule)
    if factors is not None:
        opt = discriminative_optimizer(opt, factors)
    model.compile(optimizer=opt, loss=loss, metrics=metrics)
    momentum = OneCycleMomentum(steps, pct_start=pct_start)
    result = model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        callbacks=[momentum, *callbacks],
        verbose=verbose,
    )
    return result.history


def fine_tune(
    model,
    x,
    y,
    *,
    epochs=4,
    learning_rate=2e-3,
    freeze_epochs=1,
    unfreeze="all",
    lr_mult=100.0,
    pct_start=0.3,
    batch_size=32,
    optimizer="adam",
    loss=None,
    metrics=("accuracy",),
    validation_data=None,
    callbacks=(),
    base_layer="base",
    verbose=0,
):
    """Train the head on a frozen base, then unfreeze with discriminative rates.

    fastai's ``fine_tune`` for Keras networks on a pretrained base
    (:class:`~specauth.models.CNNFactory`):

    1. ``freeze_epochs`` epochs of one-cycle training (``pct_start=0.99``)
       with the base frozen, at ``learning_rate``: only the new head learns;
    2. :func:`unfreeze_base` (all weighted layers, or the top ``unfreeze``),
       then ``epochs`` epochs of one-cycle training at ``learning_rate / 2``
       for the head with discriminative rates in the base, from
       ``learning_rate / 2 / lr_mult`` for its earliest unfrozen layer rising
       geometrically towards the head
       (:func:`~specauth.training.discriminative.layer_rate_factors`).

    BatchNormalization layers of the base stay frozen and in inference mode
    throughout.

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
        Peak rate of the frozen phase; the unfrozen phase peaks at half of it.
    freeze_epochs : int, default=1
        Epochs with the base frozen (>= 0).
    unfreeze : "all" or int, default="all"
        Passed to :func:`unfreeze_base` as ``layers``.
    lr_mult : float, default=100.0
        Ratio of the head's rate to that of the earliest unfrozen layer (>= 1).
    pct_start : float, default=0.3
        Warm-up fraction of the unfrozen phase's one-cycle schedule.
    batch_size : int, default=32
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        Copied for each phase, never used in place.
    loss : keras loss or None, default=None
        None: sparse categorical cross-entropy on logits.
    metrics : sequence, default=("accuracy",)
    validation_data : tuple or None, default=None
    callbacks : sequence of keras callbacks, default=()
    base_layer : str, default="base"
    verbose : int, default=0
        Passed to ``Model.fit``.

    Returns
    -------
    history : dict of list
        Per-epoch metrics of both phases, concatenated, plus ``"phase"``
        (``"frozen"`` or ``"unfrozen"`` per epoch).

    Raises
    ------
    ValueError, TypeError
        For a model without a nested base or arguments out of range.

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
    _check_number(epochs, "epochs", 1, integer=True)
    _check_number(freeze_epochs, "freeze_epochs", 0, integer=True)
    _check_number(learning_rate, "learning_rate", 0, allow_low=False)
    _check_number(lr_mult, "lr_mult", 1)
    _check_number(batch_size, "batch_size", 1, integer=True)
    if not 0 <= pct_start < 1:
        raise ValueError(f"`pct_start` must be in [0, 1); got {pct_start!r}.")
    x = np.asarray(x)
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(
            f"`x` and `y` must have the same length; got {len(x)} and {len(y)}."
        )
    if loss is None:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    common = dict(
        optimizer=optimizer,
        loss=loss,
        metrics=list(metrics),
        batch_size=batch_size,
        validation_data=validation_data,
        callbacks=list(callbacks),
        verbose=verbose,
    )
    history, phases = {}, []
    if freeze_epochs:
        freeze_base(model, base_layer=base_layer)
        frozen = _fit_one_cycle(
            model,
            x,
            y,
            epochs=freeze_epochs,
            lr=learning_rate,
            pct_start=0.99,
            factors=None,
            **common,
        )
        _extend(history, frozen)
        phases += ["frozen"] * freeze_epochs
    unfrozen_layers = unfreeze_base(model, unfreeze, base_layer=base_layer)
    from specauth.training.discriminative import layer_rate_factors

    factors = layer_rate_factors(unfrozen_layers, lr_mult)
    unfrozen = _fit_one_cycle(
        model,
        x,
        y,
        epochs=epochs,
        lr=learning_rate / 2,
        pct_start=pct_start,
        factors=factors,
        **common,
    )
    _extend(history, unfrozen)
    history["phase"] = phases + ["unfrozen"] * epochs
    return history


def _extend(history, new):
    for key, values in new.items():
        history.setdefault(key, []).extend(float(v) for v in values)
