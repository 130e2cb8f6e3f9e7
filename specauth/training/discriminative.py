"""Discriminative learning rates: one rate multiplier per layer of a network."""

from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING

from specauth._lazy import import_keras

if TYPE_CHECKING:
    from collections.abc import Iterable

    import keras
else:
    keras = import_keras()

__all__ = ["discriminative_optimizer", "layer_rate_factors"]

_SUBCLASSES: dict[type, type] = {}


class _PerVariableRates:
    """Mixin scaling the learning rate of each variable by a fixed factor.

    Keras calls ``update_step(gradient, variable, learning_rate)`` once per
    variable on every backend (after ``build``), with the current value of the
    schedule; scaling ``learning_rate`` there gives every variable its own
    rate while the schedule, momentum and state stay those of the wrapped
    optimizer.
    """

    def build(self, variables):
        super().build(variables)
        by_path = getattr(self, "_rate_factors", {})
        self._factor_list = [float(by_path.get(v.path, 1.0)) for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        factor = self._factor_list[self._get_variable_index(variable)]
        if factor != 1.0:
            learning_rate = learning_rate * factor
        return super().update_step(gradient, variable, learning_rate)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if keras.backend.backend() == "torch":
            # The torch optimizers update all variables in one fused call that
            # bypasses ``update_step``; go variable by variable instead.
            for grad, variable in zip(grads, trainable_variables, strict=True):
                self.update_step(grad, variable, learning_rate)
            return None
        return super()._backend_update_step(grads, trainable_variables, learning_rate)


def _subclass(cls):
    if cls not in _SUBCLASSES:
        _SUBCLASSES[cls] = type(
            f"Discriminative{cls.__name__}", (_PerVariableRates, cls), {}
        )
    return _SUBCLASSES[cls]


def discriminative_optimizer(
    optimizer: keras.optimizers.Optimizer, factors: dict[str, float]
) -> keras.optimizers.Optimizer:
    """Return a copy of ``optimizer`` that scales each variable's learning rate.

    Parameters
    ----------
    optimizer : keras.optimizers.Optimizer
        Any Keras optimizer (not yet used); it is copied from its config and
        left unchanged.
    factors : dict of str to float
        Learning-rate multiplier per variable path (``variable.path``, e.g.
        ``"base/Conv1/kernel"``); variables not listed get 1. Usually from
        :func:`layer_rate_factors`.

    Returns
    -------
    optimizer : keras.optimizers.Optimizer
        An instance of a subclass of ``type(optimizer)`` with the same config.

    Raises
    ------
    TypeError
        If ``optimizer`` is not a Keras optimizer or ``factors`` is not a dict
        of str to numbers.
    ValueError
        If a factor is not finite and > 0.

    Notes
    -----
    Only the gradient step is scaled: an optimizer's decoupled weight decay
    (``AdamW``) uses the unscaled rate. A :class:`~specauth.training.Lookahead`
    (``"ranger"``) keeps its ``k`` and ``alpha`` around a scaled copy of its
    inner optimizer. The copy is meant for training, not
    for saving: reload saved networks with ``compile=False``.

    Examples
    --------
    >>> import keras
    >>> opt = discriminative_optimizer(keras.optimizers.SGD(0.1), {"w": 0.01})
    >>> type(opt).__name__, isinstance(opt, keras.optimizers.SGD)
    ('DiscriminativeSGD', True)
    """
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            "`optimizer` must be a keras.optimizers.Optimizer instance; got "
            f"{type(optimizer).__name__}."
        )
    if not isinstance(factors, dict):
        raise TypeError(f"`factors` must be a dict; got {type(factors).__name__}.")
    for path, factor in factors.items():
        if not isinstance(path, str):
            raise TypeError(
                f"`factors` keys must be variable paths (str); got {path!r}."
            )
        if isinstance(factor, bool) or not isinstance(factor, Real):
            raise TypeError(
                f"`factors[{path!r}]` must be a positive number; got {factor!r} of "
                f"type {type(factor).__name__}."
            )
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(
                f"`factors[{path!r}]` must be a finite number > 0; got {factor!r}."
            )
    from specauth.training.lookahead import Lookahead

    if isinstance(optimizer, Lookahead):  # Ranger: scale the inner optimizer's steps
        inner = discriminative_optimizer(optimizer.inner_optimizer, factors)
        return Lookahead(inner, k=optimizer.k, alpha=optimizer.alpha)
    base = type(optimizer)
    if issubclass(base, _PerVariableRates):
        base = base.__mro__[2]
    copy = _subclass(base).from_config(optimizer.get_config())
    copy._rate_factors = {k: float(v) for k, v in factors.items()}
    return copy


def layer_rate_factors(
    layers: Iterable[keras.layers.Layer], lr_mult: float
) -> dict[str, float]:
    """Spread learning-rate multipliers geometrically over ``layers``.

    fastai's discriminative rates ``slice(lr / lr_mult, lr)`` split a pretrained
    body into two groups at ``lr / lr_mult`` and ``lr / sqrt(lr_mult)`` and give
    the new head ``lr``. Here the same span is covered layer by layer: for
    layers ordered from input to output, the first gets ``1 / lr_mult``, the
    last ``1 / sqrt(lr_mult)``, the ones between factors spaced geometrically;
    anything not listed (the head) keeps 1.

    Parameters
    ----------
    layers : list of keras.layers.Layer
        The layers to slow down, earliest first.
    lr_mult : float
        Ratio of the head's rate to the first layer's (>= 1).

    Returns
    -------
    factors : dict of str to float
        Multiplier per variable path of the layers' trainable weights.

    Raises
    ------
    TypeError
        If ``lr_mult`` is not a number.
    ValueError
        If ``lr_mult`` is not finite and >= 1.

    Examples
    --------
    >>> import keras
    >>> dense = [keras.layers.Dense(2, name=f"d{i}") for i in range(3)]
    >>> for layer in dense:
    ...     layer.build((None, 2))
    >>> factors = layer_rate_factors(dense, lr_mult=100.0)
    >>> [round(factors[layer.kernel.path], 4) for layer in dense]
    [0.01, 0.0316, 0.1]
    """
    if isinstance(lr_mult, bool) or not isinstance(lr_mult, Real):
        raise TypeError(
            f"`lr_mult` must be a number >= 1; got {lr_mult!r} of type "
            f"{type(lr_mult).__name__}."
        )
    if not (math.isfinite(lr_mult) and lr_mult >= 1):
        raise ValueError(f"`lr_mult` must be a finite number >= 1; got {lr_mult!r}.")
    layers = list(layers)
    factors = {}
    last = max(len(layers) - 1, 1)
    for index, layer in enumerate(layers):
        factor = float(lr_mult) ** (-1.0 + 0.5 * index / last)
        for variable in layer.trainable_weights:
            factors[variable.path] = factor
    return factors
