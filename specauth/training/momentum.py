"""One-cycle momentum: momentum moves opposite to the one-cycle learning rate."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth._validation import Interval, check_scalar
from specauth.training._hyperparameter_variable import (
    HyperparameterFloat,
    HyperparameterVariable,
)
from specauth.training._momentum_slot import momentum_slot
from specauth.training._one_cycle_curve import one_cycle_curve

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()

__all__ = ["OneCycleMomentum"]


class OneCycleMomentum(keras.callbacks.Callback):
    """Cycle the optimizer's momentum from high to low and back (fastai style).

    While :class:`OneCycleSchedule` warms the learning rate up, the momentum
    falls from ``max_momentum`` to ``min_momentum`` along a half cosine; while
    the rate anneals, the momentum climbs back to ``max_momentum``, and stays
    there past ``total_steps``. The position in the cycle is the optimizer's
    ``iterations``, as for learning-rate schedules, so the two stay in step.

    The momentum is Adam-family optimizers' ``beta_1`` (Adam, AdamW, Adamax,
    Nadam, Lamb, Lion) or SGD's and RMSprop's ``momentum`` when it is > 0 (with
    ``momentum=0`` these optimizers build no momentum buffers). With any other
    optimizer the callback warns once and does nothing.

    Keras optimizers hold these hyperparameters as Python floats. On the
    PyTorch backend, whose train step runs eagerly, the callback simply puts
    the scheduled float there before each batch. On TensorFlow the compiled
    (``tf.function``) step bakes the float in when it is traced, so the
    callback puts a non-trainable scalar variable in its place for the span
    of each batch, assigns it the scheduled value before the batch, and
    forces the train step to be traced again at the start of training, so
    that the compiled step really uses the scheduled value; between batches
    the attribute holds the current value as a plain float (so a model saved
    mid-training by a checkpoint callback stays loadable). Either way the
    optimizer's variable list is never changed, the original float is put
    back at the end of training, and the position in the cycle is counted on
    the host (``iterations`` is read once per epoch), so the callback never
    waits for the device. Not supported on the JAX backend, whose compiled
    step cannot read a changing value (the callback warns and does nothing).
    With ``steps_per_execution > 1`` the momentum changes once per execution.

    Parameters
    ----------
    total_steps : int
        Length of the cycle in optimizer steps (batches), >= 1; use the same
        value as the :class:`OneCycleSchedule`.
    pct_start : float, default=0.25
        Fraction of the cycle spent in the first (decreasing) phase, in [0, 1).
    max_momentum : float, default=0.95
        Momentum at the start and end of the cycle, in [0, 1).
    min_momentum : float, default=0.85
        Momentum at the end of the first phase, in [0, ``max_momentum``].

    Attributes
    ----------
    momentums : list of float
        The momentum used at each training step of the last ``fit``.
    iterations : list of int
        The optimizer iteration of each of those steps.

    See Also
    --------
    OneCycleSchedule : the learning-rate half of the one-cycle policy.
    LearningRateRecorder : records learning rate and momentum per batch.

    References
    ----------
    L. N. Smith, "A disciplined approach to neural network hyper-parameters:
    Part 1", arXiv:1803.09820, 2018.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from specauth.training import OneCycleSchedule
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> schedule = OneCycleSchedule(0.01, total_steps=8)
    >>> model.compile(keras.optimizers.Adam(schedule), loss="mse")
    >>> momentum = OneCycleMomentum(total_steps=8)
    >>> X, y = np.ones((16, 3), "float32"), np.ones(16, "float32")
    >>> _ = model.fit(X, y, batch_size=4, epochs=2, callbacks=[momentum], verbose=0)
    >>> [round(m, 3) for m in momentum.momentums]
    [0.95, 0.9, 0.85, 0.857, 0.875, 0.9, 0.925, 0.943]
    >>> model.optimizer.beta_1  # the original float is back
    0.9
    """

    def __init__(
        self,
        total_steps: int,
        *,
        pct_start: float = 0.25,
        max_momentum: float = 0.95,
        min_momentum: float = 0.85,
    ) -> None:
        super().__init__()
        check_scalar("total_steps", total_steps, Interval(Integral, 1, None))
        check_scalar("pct_start", pct_start, Interval(Real, 0, 1, closed="left"))
        unit = Interval(Real, 0, 1, closed="left")
        check_scalar("max_momentum", max_momentum, unit)
        check_scalar("min_momentum", min_momentum, unit)
        if min_momentum > max_momentum:
            raise ValueError(
                f"`min_momentum` must be <= `max_momentum`; got min_momentum="
                f"{min_momentum!r} > max_momentum={max_momentum!r}."
            )
        self.total_steps = int(total_steps)
        self.pct_start = float(pct_start)
        self.max_momentum = float(max_momentum)
        self.min_momentum = float(min_momentum)
        self.momentums: list[float] = []
        self.iterations: list[int] = []
        self._slot: tuple[Any, str] | None = None
        # The HyperparameterVariable standing in while training (set with _slot).
        self._variable: Any = None
        self._original: Any = None
        self._warned = False
        # On PyTorch the eager step reads a plain float: no variable, and
        # nothing to do after a batch, so Keras need not wait for each step.
        self._float_mode = keras.backend.backend() == "torch"
        self.async_safe = keras.backend.backend() in ("torch", "jax")
        self._first_step: int | None = None  # optimizer step of the epoch's batch 0

    def momentum_at(self, step: int) -> float:
        """Return the scheduled momentum at optimizer iteration ``step``.

        Examples
        --------
        >>> OneCycleMomentum(100).momentum_at(25)
        0.85
        """
        value = one_cycle_curve(
            step,
            total_steps=self.total_steps,
            pct_start=self.pct_start,
            start=self.max_momentum,
            peak=self.min_momentum,
            end=self.max_momentum,
        )
        return round(float(value), 7)  # float32 -> the float it stands for

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.momentums = []
        self.iterations = []
        self._slot = self._find_slot()
        if self._slot is None:
            return
        owner, attribute = self._slot
        self._original = getattr(owner, attribute)
        if self._float_mode:
            return
        self._variable = HyperparameterVariable(self._original, name=attribute)
        # A train step traced before (by an earlier fit) has the float baked in.
        self.model.make_train_function(force=True)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._first_step = None

    def on_train_batch_begin(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        if self._slot is None:
            return
        if self._first_step is None:  # the epoch's only read from the device
            self._first_step = int(self.model.optimizer.iterations) - int(batch)
        step = self._first_step + int(batch)
        value = self.momentum_at(step)
        if self._float_mode:
            self._put(HyperparameterFloat(value, reference=self._original))
        else:
            self._variable.assign(value)
            self._put(self._variable)
        self.momentums.append(value)
        self.iterations.append(step)

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        if self._slot is not None and not self._float_mode:
            self._put(self.momentums[-1])

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._slot is None:
            return
        self._put(self._original)
        self._slot = None
        if self._variable is not None:
            self._variable = None
            # The cached train step reads the variable; trace it again next time.
            self.model.train_function = None

    def _put(self, value):
        # ``object.__setattr__`` bypasses the optimizer's variable tracking, so
        # the stand-in variable never joins ``optimizer.variables`` (which
        # saving and loading rely on).
        owner, attribute = self._slot
        object.__setattr__(owner, attribute, value)

    def _find_slot(self):
        optimizer = self.model.optimizer
        slot = momentum_slot(optimizer)
        reason = None
        if keras.backend.backend() == "jax":
            reason = "the JAX backend's compiled step cannot read a changing value"
        elif slot is None:
            reason = "it has neither `beta_1` nor `momentum`"
        else:
            value = getattr(*slot)
            if not isinstance(value, Real):
                reason = f"its `{slot[1]}` is not a float ({value!r})"
            elif slot[1] == "momentum" and value <= 0:
                reason = "its `momentum` is 0, so it keeps no momentum buffers"
        if reason is None:
            return slot
        if not self._warned:
            warnings.warn(
                f"OneCycleMomentum cannot cycle the momentum of "
                f"{type(optimizer).__name__}: {reason}. The momentum is left "
                "unchanged.",
                UserWarning,
                stacklevel=2,
            )
            self._warned = True
        return None
