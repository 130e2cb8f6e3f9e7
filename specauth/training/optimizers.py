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
    "radam": "RAdam",
    "ranger": "Lookahead(RAdam)",
}
# Options of ``"ranger"`` (and of a Lookahead instance) for the Lookahead
# wrapper; the other options go to the inner optimizer.
_LOOKAHEAD_OPTIONS = ("k", "alpha")
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
        caller's object is not changed by training). ``"radam"`` is
        :class:`~specauth.training.RAdam`; ``"ranger"`` is
        :class:`~specauth.training.Lookahead` around ``RAdam`` (``k=6``,
        ``alpha=0.5``).
    learning_rate : float or LearningRateSchedule
        Learning rate given to the new optimizer (to the inner optimizer of a
        Lookahead).
    options : dict
        Extra constructor arguments (the ``optimizer__...`` parameters). For
        ``"ranger"`` or a Lookahead instance, ``k`` and ``alpha`` go to the
        Lookahead wrapper and the others to the inner optimizer.

    Examples
    --------
    >>> optimizer = make_optimizer("adamw", 1e-3, {"weight_decay": 1e-4})
    >>> type(optimizer).__name__, float(optimizer.weight_decay)
    ('AdamW', 0.0001)
    >>> ranger = make_optimizer("ranger", 1e-3, {"k": 5, "beta_1": 0.95})
    >>> type(ranger.inner_optimizer).__name__, ranger.k, ranger.inner_optimizer.beta_1
    ('RAdam', 5, 0.95)
    """
    from specauth._lazy import import_keras
    from specauth.training.lookahead import Lookahead
    from specauth.training.radam import RAdam

    keras = import_keras()
    base = keras.optimizers.Optimizer
    cls: Any
    config: dict[str, Any]
    if isinstance(spec, str):
        key = spec.lower()
        if key not in OPTIMIZERS:
            raise ValueError(
                f"`optimizer` must be one of {sorted(OPTIMIZERS)}, a Keras optimizer "
                f"class or instance; got {spec!r}."
            )
        if key == "ranger":
            return _make_lookahead(RAdam, {}, learning_rate, options)
        if key == "radam":
            cls, config = RAdam, {}
        else:
            cls, config = getattr(keras.optimizers, OPTIMIZERS[key]), {}
    elif isinstance(spec, Lookahead):
        wrapper = spec.get_config()
        del wrapper["optimizer"], wrapper["name"]
        return _make_lookahead(spec.inner_optimizer, wrapper, learning_rate, options)
    elif isinstance(spec, type) and issubclass(spec, Lookahead):
        raise TypeError(
            "`optimizer` cannot be the Lookahead class, which needs an inner "
            "optimizer: give 'ranger' or an instance such as "
            "Lookahead(RAdam(1e-3))."
        )
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


def _make_lookahead(
    inner: Any,
    wrapper: Mapping[str, Any],
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule,
    options: Mapping[str, Any],
) -> keras.optimizers.Optimizer:
    """Lookahead around a fresh ``inner`` optimizer (a class or an instance)."""
    from specauth.training.lookahead import Lookahead

    own = {key: options[key] for key in _LOOKAHEAD_OPTIONS if key in options}
    rest = {key: value for key, value in options.items() if key not in own}
    return Lookahead(make_optimizer(inner, learning_rate, rest), **{**wrapper, **own})


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
