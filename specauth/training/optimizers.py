"""Optimizer and learning-rate schedule factories of the training loop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    import keras

__all__ = ["OPTIMIZERS", "SCHEDULES", "make_optimizer", "make_schedule"]

OPTIMIZERS = {
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "nadam": "Nadam",
}
SCHEDULES = ("one_cycle", "clr", "constant")


def make_optimizer(
    spec: str | type[keras.optimizers.Optimizer] | keras.optimizers.Optimizer,
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule,
    options: Mapping[str, Any],
) -> keras.optimizers.Optimizer:
    """Build a fresh Keras optimizer.

    Parameters
    ----------
    spec : str, optimizer class or optimizer instance
        A name from :data:`OPTIMIZERS`, a ``keras.optimizers.Optimizer``
        subclass, or an instance (copied from its config, never reused, so the
        caller's object is not changed by training).
    learning_rate : float or LearningRateSchedule
        Learning rate given to the new optimizer.
    options : dict
        Extra constructor arguments (the ``optimizer__...`` parameters).

    Examples
    --------
    >>> optimizer = make_optimizer("adamw", 1e-3, {"weight_decay": 1e-4})
    >>> type(optimizer).__name__, float(optimizer.weight_decay)
    ('AdamW', 0.0001)
    """
    from specauth._lazy import import_keras

    keras = import_keras()
    base = keras.optimizers.Optimizer
    config: dict[str, Any]
    if isinstance(spec, str):
        key = spec.lower()
        if key not in OPTIMIZERS:
            raise ValueError(
                f"`optimizer` must be one of {sorted(OPTIMIZERS)}, a Keras optimizer "
                f"class or instance; got {spec!r}."
            )
        cls, config = getattr(keras.optimizers, OPTIMIZERS[key]), {}
    elif isinstance(spec, type) and issubclass(spec, base):
        cls, config = spec, {}
    elif isinstance(spec, base):
        cls, config = type(spec), spec.get_config()
    else:
        raise TypeError(
            "`optimizer` must be a name, a keras.optimizers.Optimizer subclass or "
            f"instance; got {type(spec).__name__}."
        )
    config = {**config, **options, "learning_rate": learning_rate}
    try:
        return cls.from_config(config)
    except TypeError as err:
        raise TypeError(
            f"Could not build optimizer {cls.__name__} with options "
            f"{sorted(options)}: {err}. Check the `optimizer__...` parameters."
        ) from err


def make_schedule(
    name: str | None,
    learning_rate: float,
    *,
    total_steps: int,
    options: Mapping[str, Any],
) -> tuple[
    float | keras.optimizers.schedules.LearningRateSchedule,
    list[keras.callbacks.Callback],
]:
    """Return ``(learning_rate_or_schedule, callbacks)`` for a schedule name.

    Parameters
    ----------
    name : {"one_cycle", "clr", "constant"} or None
        ``"one_cycle"``: warm-up then cosine annealing with ``learning_rate``
        as the peak, plus momentum cycling where the optimizer has momentum.
        ``"clr"``: triangular cyclical learning rate between
        ``learning_rate / 10`` and ``learning_rate`` with three cycles over
        training by default. ``"constant"`` or ``None``: a fixed rate.
    learning_rate : float
        Peak (``one_cycle``, ``clr``) or fixed learning rate.
    total_steps : int
        Number of optimizer steps in training (epochs x batches per epoch).
    options : dict
        ``schedule__...`` parameters, passed to the schedule's constructor.

    Examples
    --------
    >>> make_schedule("constant", 1e-3, total_steps=10, options={})
    (0.001, [])
    >>> schedule, _ = make_schedule("clr", 1e-2, total_steps=60, options={})
    >>> type(schedule).__name__, round(float(schedule(0)), 6)
    ('CyclicalLearningRate', 0.001)
    """
    from specauth.training import (
        CyclicalLearningRate,
        OneCycleMomentum,
        OneCycleSchedule,
    )

    if name in (None, "constant"):
        if options:
            raise ValueError(
                f"`schedule__...` options {sorted(options)} were given but "
                f"schedule={name!r} takes none."
            )
        return float(learning_rate), []
    if name == "one_cycle":
        momentum_keys = ("max_momentum", "min_momentum")
        momentum = {k: options[k] for k in momentum_keys if k in options}
        lr_options = {k: v for k, v in options.items() if k not in momentum_keys}
        schedule = OneCycleSchedule(learning_rate, total_steps, **lr_options)
        pct = lr_options.get("pct_start", schedule.pct_start)
        from specauth._lazy import import_keras

        keras = import_keras()
        if keras.backend.backend() == "jax" and not momentum:
            # The compiled JAX step reads the momentum as a constant, so
            # cycling it cannot work there (OneCycleMomentum would warn at
            # every fit); asked for explicitly, the callback still warns.
            return schedule, []
        callback = OneCycleMomentum(total_steps, pct_start=pct, **momentum)
        return schedule, [callback]
    if name == "clr":
        defaults = {
            "base_lr": learning_rate / 10.0,
            "step_size": max(1, round(total_steps / 6)),
        }
        return CyclicalLearningRate(max_lr=learning_rate, **{**defaults, **options}), []
    raise ValueError(
        f"`schedule` must be one of {list(SCHEDULES)} or None; got {name!r}."
    )
