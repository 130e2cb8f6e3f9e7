"""Callback recording the learning rate (and momentum) used at every batch."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth.training._momentum_slot import momentum_slot

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()

__all__ = ["LearningRateRecorder"]


class LearningRateRecorder(keras.callbacks.Callback):
    """Record the optimizer's learning rate and momentum at every batch.

    The learning rate is read before each batch, when the optimizer's
    ``learning_rate`` (a schedule evaluated at the current iteration, or the
    current value of a float rate) is the one the coming step uses. The
    momentum (Adam-family ``beta_1`` or SGD/RMSprop ``momentum``) is read after
    each batch, so that it is the value the step used whichever callback set
    it. At the end of each epoch the last learning rate is written to
    ``logs["lr"]``, so that it lands in the ``History``.

    Attributes
    ----------
    lrs : list of float
        Learning rate of each training step of the last ``fit``.
    momentums : list of float
        Momentum of each step; empty when the optimizer has none.
    iterations : list of int
        Optimizer iteration of each step.

    See Also
    --------
    OneCycleMomentum, OneCycleSchedule, CyclicalLearningRate

    Examples
    --------
    >>> import numpy as np, keras
    >>> from specauth.training import CyclicalLearningRate
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> clr = CyclicalLearningRate(0.001, 0.005, step_size=2)
    >>> model.compile(keras.optimizers.SGD(clr, momentum=0.9), loss="mse")
    >>> recorder = LearningRateRecorder()
    >>> X, y = np.ones((16, 3), "float32"), np.ones(16, "float32")
    >>> history = model.fit(X, y, batch_size=4, epochs=2, callbacks=[recorder],
    ...                     verbose=0)
    >>> [round(lr, 4) for lr in recorder.lrs]
    [0.001, 0.003, 0.005, 0.003, 0.001, 0.003, 0.005, 0.003]
    >>> recorder.momentums[:2], recorder.iterations[-1]
    ([0.9, 0.9], 7)
    >>> [round(lr, 4) for lr in history.history["lr"]]
    [0.003, 0.003]
    """

    def __init__(self) -> None:
        super().__init__()
        self.lrs: list[float] = []
        self.momentums: list[float] = []
        self.iterations: list[int] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.lrs = []
        self.momentums = []
        self.iterations = []

    def on_train_batch_begin(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        optimizer = self.model.optimizer
        self.lrs.append(float(optimizer.learning_rate))
        self.iterations.append(int(optimizer.iterations))

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        slot = momentum_slot(self.model.optimizer)
        if slot is None:
            return
        value = getattr(*slot)
        if not isinstance(value, Real):  # a float32 variable standing in for it
            value = round(float(value), 7)
        self.momentums.append(float(value))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None and self.lrs:
            logs["lr"] = self.lrs[-1]
