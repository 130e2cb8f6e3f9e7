"""Lookahead: slow weights pulled towards an inner optimizer's (Zhang et al., 2019)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth._validation import Interval, check_scalar

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()

ops = keras.ops

__all__ = ["Lookahead"]


@keras.saving.register_keras_serializable(package="specauth")
class Lookahead(keras.optimizers.Optimizer):
    """Wrap an optimizer so that every ``k`` steps it looks back.

    The wrapped (inner) optimizer updates the network's weights, the *fast*
    weights, at every step. Lookahead keeps a copy, the *slow* weights, taken
    at the start of every period of ``k`` steps; at the end of the period the
    slow weights move a fraction ``alpha`` of the way to the fast weights,
    and training continues from there::

        slow += alpha * (fast - slow)
        fast = slow

    So the weights after steps ``k``, ``2k``, ... are the synchronised slow
    weights. The slow copy is taken from the network's weights at the start
    of each period (not only once, when the optimizer is built), so weights
    set between periods -- restored by a learning-rate finder, loaded from a
    checkpoint -- are taken as they are.

    The learning rate and the step count are the inner optimizer's:
    ``learning_rate`` and ``iterations`` read and set them, so schedules and
    callbacks work unchanged. Its other hyperparameters (``beta_1``,
    ``momentum``) stay on :attr:`inner_optimizer`, where the training loop's
    momentum cycling finds them. Gradient clipping, weight decay, loss
    scaling and the like are set on the inner optimizer too.

    Parameters
    ----------
    optimizer : keras.optimizers.Optimizer
        The inner optimizer, not yet used; it becomes part of this one.
    k : int, default=6
        Steps of the inner optimizer between synchronisations, >= 1 (``k=1``
        with ``alpha=1`` is the inner optimizer alone).
    alpha : float, default=0.5
        Step size of the slow weights towards the fast ones, in (0, 1].
    name : str or None, default=None
        Name of the optimizer (and prefix of its variables).

    Attributes
    ----------
    inner_optimizer : keras.optimizers.Optimizer
        The wrapped optimizer (the ``optimizer`` argument).

    See Also
    --------
    RAdam : with Lookahead around it, the Ranger optimizer
        (``make_optimizer("ranger", ...)``).

    References
    ----------
    M. R. Zhang, J. Lucas, G. Hinton and J. Ba, "Lookahead optimizer: k steps
    forward, 1 step back", NeurIPS 2019, arXiv:1907.08610.

    Examples
    --------
    >>> import keras
    >>> optimizer = Lookahead(keras.optimizers.SGD(1.0), k=2, alpha=0.5)
    >>> w = keras.Variable([0.0])
    >>> for _ in range(2):
    ...     optimizer.apply([keras.ops.array([-1.0])], [w])
    >>> float(w[0])  # fast weights reached 2.0, slow ones 0.0: halfway
    1.0
    """

    def __init__(
        self,
        optimizer: keras.optimizers.Optimizer,
        k: int = 6,
        alpha: float = 0.5,
        name: str | None = None,
    ) -> None:
        super().__init__(learning_rate=0.0, name=name)
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise TypeError(
                "`optimizer` must be a keras.optimizers.Optimizer instance, e.g. "
                f"RAdam(1e-3); got {type(optimizer).__name__}."
            )
        self.inner_optimizer = optimizer
        self.k = check_scalar("k", k, Interval(Integral, 1, None, closed="left"))
        self.alpha = check_scalar("alpha", alpha, Interval(Real, 0, 1, closed="right"))

    def build(self, var_list: list[keras.Variable]) -> None:
        """Build the inner optimizer and the slow weights of ``var_list``."""
        if self.built:
            return
        super().build(var_list)
        self.inner_optimizer.build(var_list)
        self._slow_weights = self.add_optimizer_variables(var_list, "slow")

    @property
    def variables(self) -> list[keras.Variable]:
        return self._variables + self.inner_optimizer.variables

    @property
    def learning_rate(self) -> Any:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self) -> Any:
        return self.inner_optimizer.iterations

    def apply(self, grads: list[Any], trainable_variables: Any = None) -> None:
        """Apply one step of the inner optimizer, then synchronise if due."""
        if not self.built:
            if trainable_variables is None:
                raise ValueError(
                    "Lookahead must be built before `apply` is called without "
                    "`trainable_variables`; call `optimizer.build(variables)`."
                )
            self.build(list(trainable_variables))
        if trainable_variables is None:
            trainable_variables = self._trainable_variables
        pairs = [
            (self._slow_weights[self._get_variable_index(v)], v)
            for v in trainable_variables
        ]
        pairs = [(slow, fast) for slow, fast in pairs if slow is not None]
        # A copy: on torch the variable's tensor is updated in place.
        before = ops.copy(self.inner_optimizer.iterations)
        start = ops.equal(ops.mod(before, self.k), 0)
        for slow, fast in pairs:
            self.assign(slow, ops.where(start, _value(fast), _value(slow)))
        self.inner_optimizer.apply(grads, trainable_variables)
        after = self.inner_optimizer.iterations
        # ``after == before`` while the inner optimizer accumulates gradients.
        sync = ops.logical_and(
            ops.not_equal(after, before), ops.equal(ops.mod(after, self.k), 0)
        )
        for slow, fast in pairs:
            slow_value, fast_value = _value(slow), _value(fast)
            alpha = ops.cast(self.alpha, fast.dtype)
            pulled = slow_value + alpha * (fast_value - slow_value)
            self.assign(fast, ops.where(sync, pulled, fast_value))
            self.assign(slow, ops.where(sync, pulled, slow_value))

    def scale_loss(self, loss: Any) -> Any:
        return self.inner_optimizer.scale_loss(loss)

    def finalize_variable_values(self, var_list: list[keras.Variable]) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "optimizer": keras.optimizers.serialize(self.inner_optimizer),
            "k": self.k,
            "alpha": self.alpha,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Any = None
    ) -> Lookahead:
        config = dict(config)
        optimizer = keras.optimizers.deserialize(
            config.pop("optimizer"), custom_objects=custom_objects
        )
        return cls(optimizer, **config)


def _value(variable: Any) -> Any:
    """The current value of ``variable`` (inside JAX's stateless scope too)."""
    return ops.convert_to_tensor(variable)
