"""Callback recording the learning rate (and momentum) used at every batch."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras
from specauth.training._momentum_slot import momentum_slot

if TYPE_CHECKING:
    from collections.abc import Sequence

    import keras
else:
    keras = import_keras()

__all__ = ["LearningRateRecorder"]


class LearningRateRecorder(keras.callbacks.Callback):
    """Record the optimizer's learning rate and momentum at every batch.

    The recorder never makes training wait for the device: it reads the
    optimizer's ``iterations`` and a float learning rate once per epoch (at
    its first batch, after every ``on_epoch_begin`` callback has run) and
    counts the steps on the host. A learning-rate schedule is evaluated for
    the epoch's steps at the end of the epoch, on the same step numbers the
    compiled train step used. The momentum (Adam-family ``beta_1`` or
    SGD/RMSprop ``momentum``) is recorded before each batch, from the Python
    float the optimizer holds, or from the host copy of the value that
    :class:`OneCycleMomentum` assigned; put the recorder after callbacks that
    set the momentum (:func:`~specauth.training.fit_network` does). At the
    end of each epoch the last learning rate is written to ``logs["lr"]``, so
    that it lands in the ``History``.

    Attributes
    ----------
    lrs : list of float
        Learning rate of each training step of the last ``fit`` (a schedule's
        values for the current epoch are filled in at its end).
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
        self._first_step: int | None = None  # optimizer step of the epoch's batch 0
        self._rate: float | None = None  # a float rate, read once per epoch
        self._pending: list[int] = []  # steps whose scheduled rate is not filled in
        self._epoch_momentum: float | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.lrs = []
        self.momentums = []
        self.iterations = []
        self._pending = []

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._first_step = None

    def on_train_batch_begin(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        optimizer = self.model.optimizer
        if self._first_step is None:  # the epoch's only reads from the device
            self._first_step = int(optimizer.iterations) - int(batch)
            schedule = _schedule_of(optimizer)
            self._rate = (
                None if schedule is not None else float(optimizer.learning_rate)
            )
            self._epoch_momentum = None
        step = self._first_step + int(batch)
        self.iterations.append(step)
        if self._rate is None:
            self._pending.append(step)
            self.lrs.append(float("nan"))  # filled in at the end of the epoch
        else:
            self.lrs.append(self._rate)
        momentum = self._momentum(optimizer)
        if momentum is not None:
            self.momentums.append(momentum)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._fill_scheduled_rates()
        if logs is not None and self.lrs:
            logs["lr"] = self.lrs[-1]

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._fill_scheduled_rates()  # an epoch cut short by stop_training

    def _momentum(self, optimizer: Any) -> float | None:
        slot = momentum_slot(optimizer)
        if slot is None:
            return None
        value = getattr(*slot)
        if isinstance(value, Real):
            return float(value)
        host = getattr(value, "host_value", None)
        if host is not None:  # OneCycleMomentum's variable: its value, on the host
            return float(host)
        if self._epoch_momentum is None:  # another variable: once per epoch
            self._epoch_momentum = round(float(value), 7)
        return self._epoch_momentum

    def _fill_scheduled_rates(self) -> None:
        if not self._pending:
            return
        schedule = _schedule_of(self.model.optimizer)
        rates = _scheduled_rates(schedule, self._pending)
        first = len(self.lrs) - len(self._pending)
        self.lrs[first:] = rates
        self._pending = []


def _schedule_of(optimizer: Any) -> Any:
    """The ``LearningRateSchedule`` that sets ``optimizer``'s rate, or None.

    Wrappers (loss scaling, :class:`Lookahead`) are looked through to the
    optimizer that holds the rate.

    Examples
    --------
    >>> import keras
    >>> from specauth.training import OneCycleSchedule
    >>> schedule = OneCycleSchedule(0.01, total_steps=10)
    >>> _schedule_of(keras.optimizers.Adam(schedule)) is schedule
    True
    >>> _schedule_of(keras.optimizers.Adam(0.01)) is None
    True
    """
    seen = set()
    while id(optimizer) not in seen:
        seen.add(id(optimizer))
        rate = getattr(optimizer, "_learning_rate", None)
        if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
            return rate
        inner = getattr(optimizer, "inner_optimizer", None)
        if inner is None:
            return None
        optimizer = inner
    return None


def _scheduled_rates(schedule: Any, steps: Sequence[int]) -> list[float]:
    """``schedule`` evaluated at each of ``steps``, as Python floats.

    The steps are passed as the int64 values an optimizer's ``iterations``
    holds, all at once where the schedule works elementwise (one call, one
    transfer), otherwise one by one.

    Examples
    --------
    >>> from specauth.training import CyclicalLearningRate
    >>> clr = CyclicalLearningRate(0.001, 0.005, step_size=2)
    >>> [round(r, 4) for r in _scheduled_rates(clr, [0, 1, 2, 3])]
    [0.001, 0.003, 0.005, 0.003]
    """
    at = np.asarray(steps, dtype="int64")
    try:
        values = keras.ops.convert_to_numpy(schedule(keras.ops.convert_to_tensor(at)))
    except Exception:  # noqa: BLE001 - a schedule written for scalar steps only
        values = None
    if values is None or np.shape(values) != at.shape:
        values = [keras.ops.convert_to_numpy(schedule(int(step))) for step in at]
    return [float(value) for value in np.asarray(values, dtype=np.float64).ravel()]
