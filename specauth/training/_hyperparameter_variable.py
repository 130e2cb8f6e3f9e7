"""A scalar variable standing in for a float hyperparameter of an optimizer.

Keras optimizers read hyperparameters such as Adam's ``beta_1`` as Python
floats, which the compiled (``tf.function``) train step bakes in as
constants when it is traced: assigning a new float later changes nothing.
Putting a variable in their place makes the compiled step read its current
value at every step. Optimizer code also branches on these values in Python
(SGD's ``if self.momentum != 0:`` decides whether momentum buffers are used);
the branch must keep matching the buffers that were built for the original
float, so comparisons with plain numbers are answered from that float.
"""

from __future__ import annotations

import operator
from numbers import Real
from typing import TYPE_CHECKING

from specauth._lazy import import_keras

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()

__all__ = ["HyperparameterVariable"]


class HyperparameterVariable(keras.Variable):
    """Non-trainable float32 scalar replacing the float ``reference``.

    Parameters
    ----------
    reference : float
        The float the variable replaces; comparisons with Python numbers
        (``<``, ``<=``, ``>``, ``>=``, ``!=``) use it, everything else uses the
        variable's value.
    name : str
        Variable name.

    Examples
    --------
    >>> v = HyperparameterVariable(0.9, name="beta_1")
    >>> _ = v.assign(0.5)
    >>> float(v), v > 0, v != 0.9
    (0.5, True, False)
    """

    def __init__(self, reference: float, *, name: str) -> None:
        super().__init__(
            float(reference),
            dtype="float32",
            trainable=False,
            aggregation="only_first_replica",
            name=name,
        )
        self._reference = float(reference)

    def _compare(self, other, python_op, tensor_op):
        if isinstance(other, Real):
            return python_op(self._reference, other)
        return tensor_op(other)

    def __lt__(self, other):
        return self._compare(other, operator.lt, super().__lt__)

    def __le__(self, other):
        return self._compare(other, operator.le, super().__le__)

    def __gt__(self, other):
        return self._compare(other, operator.gt, super().__gt__)

    def __ge__(self, other):
        return self._compare(other, operator.ge, super().__ge__)

    def __ne__(self, other):
        return self._compare(other, operator.ne, super().__ne__)
