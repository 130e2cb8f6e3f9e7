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
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()

__all__ = ["HyperparameterFloat", "HyperparameterVariable"]


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
        #: The value last assigned from a Python number, as the float32 it is
        #: stored as (None after an assignment of a tensor): callbacks read it
        #: without waiting for the device.
        self.host_value: float | None = round(float(np.float32(reference)), 7)

    def assign(self, value: Any) -> Any:
        self.host_value = (
            round(float(np.float32(value)), 7) if isinstance(value, Real) else None
        )
        return super().assign(value)

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


class HyperparameterFloat(float):
    """A float hyperparameter's scheduled value, compared as ``reference``.

    The eager (PyTorch) train step reads the float at every step, so a
    scheduled value can simply replace it; but optimizer code branches on it
    (SGD's ``if self.momentum != 0:`` decides whether the momentum buffers
    are updated), and that branch must keep matching the buffers built for
    the original float, as with :class:`HyperparameterVariable`.

    Examples
    --------
    >>> value = HyperparameterFloat(0.0, reference=0.9)
    >>> value * 2, value != 0, value == 0
    (0.0, True, False)
    """

    _reference: float

    def __new__(cls, value: float, *, reference: float) -> HyperparameterFloat:
        self = super().__new__(cls, value)
        self._reference = float(reference)
        return self

    def __eq__(self, other):
        if isinstance(other, Real):
            return self._reference == other
        return NotImplemented

    def __ne__(self, other):
        if isinstance(other, Real):
            return self._reference != other
        return NotImplemented

    def __lt__(self, other):
        return self._reference < other

    def __le__(self, other):
        return self._reference <= other

    def __gt__(self, other):
        return self._reference > other

    def __ge__(self, other):
        return self._reference >= other

    def __hash__(self) -> int:
        return hash(self._reference)
