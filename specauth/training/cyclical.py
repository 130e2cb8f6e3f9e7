"""Cyclical learning rate (Smith, 2017) as a Keras learning-rate schedule."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth._validation import Interval, check_choice, check_scalar

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()

__all__ = ["CyclicalLearningRate"]

_MODES = ("triangular", "triangular2", "exp_range")


@keras.saving.register_keras_serializable(package="specauth")
class CyclicalLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate cycling between ``base_lr`` and ``max_lr`` (Smith, 2017).

    The optimizer evaluates the schedule at every step (batch). With
    ``it`` the optimizer iteration and ``s = step_size``::

        cycle = floor(1 + it / (2 s))
        x = |it / s - 2 cycle + 1|
        lr = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale

    where ``scale`` is 1 (``"triangular"``), ``1 / 2 ** (cycle - 1)``
    (``"triangular2"``: the amplitude halves every cycle) or ``gamma ** it``
    (``"exp_range"``).

    Parameters
    ----------
    base_lr : float
        Lower bound of the cycle, > 0; the rate at step 0.
    max_lr : float
        Upper bound of the cycle, >= ``base_lr``; reached at ``step_size``
        (scaled by the mode's amplitude factor).
    step_size : float
        Half-cycle length in optimizer steps (batches), > 0; Smith suggests 2 to
        10 epochs' worth. See :meth:`from_epochs`.
    mode : {"triangular", "triangular2", "exp_range"}, default="triangular"
        Amplitude policy (see above).
    gamma : float, default=1.0
        Decay per step of the amplitude in ``"exp_range"`` mode, in (0, 1];
        ignored by the other modes.
    name : str, default="CyclicalLearningRate"
        Name of the schedule.

    Raises
    ------
    ValueError
        If a value is out of range, ``base_lr > max_lr`` or ``mode`` unknown.
    TypeError
        If a numeric argument is not a number.

    See Also
    --------
    OneCycleSchedule : a single warm-up and annealing cycle.
    lr_find : picks ``max_lr``.

    References
    ----------
    L. N. Smith, "Cyclical Learning Rates for Training Neural Networks",
    WACV 2017, arXiv:1506.01186.

    Examples
    --------
    >>> clr = CyclicalLearningRate(0.001, 0.01, step_size=4)
    >>> [round(float(clr(step)), 4) for step in (0, 2, 4, 6, 8)]
    [0.001, 0.0055, 0.01, 0.0055, 0.001]
    >>> import keras
    >>> optimizer = keras.optimizers.SGD(learning_rate=clr)
    """

    def __init__(
        self,
        base_lr: float,
        max_lr: float,
        step_size: float,
        mode: str = "triangular",
        gamma: float = 1.0,
        name: str = "CyclicalLearningRate",
    ) -> None:
        super().__init__()
        positive = Interval(Real, 0, None, closed="neither", finite=True)
        check_scalar("base_lr", base_lr, positive)
        check_scalar("max_lr", max_lr, positive)
        if max_lr < base_lr:
            raise ValueError(
                f"`max_lr` must be >= `base_lr`; got max_lr={max_lr!r} < "
                f"base_lr={base_lr!r}."
            )
        check_scalar("step_size", step_size, positive)
        check_choice("mode", mode, _MODES)
        if mode == "exp_range":
            check_scalar("gamma", gamma, Interval(Real, 0, 1, closed="right"))
        else:
            check_scalar("gamma", gamma, Interval(Real, None, None))
        self.base_lr = float(base_lr)
        self.max_lr = float(max_lr)
        self.step_size = float(step_size)
        self.mode = mode
        self.gamma = float(gamma)
        self.name = name

    @classmethod
    def from_epochs(
        cls,
        base_lr: float,
        max_lr: float,
        step_size_epochs: float,
        steps_per_epoch: int,
        mode: str = "triangular",
        gamma: float = 1.0,
        name: str = "CyclicalLearningRate",
    ) -> CyclicalLearningRate:
        """Build the schedule with a half-cycle given in epochs.

        Parameters
        ----------
        base_lr, max_lr : float
            As in the constructor.
        step_size_epochs : float
            Half-cycle length in epochs, > 0; may be fractional.
        steps_per_epoch : int
            Optimizer steps (batches) per epoch, >= 1, e.g.
            ``ceil(n_samples / batch_size)``.
        mode, gamma, name
            As in the constructor.

        Returns
        -------
        schedule : CyclicalLearningRate
            With ``step_size = step_size_epochs * steps_per_epoch``.

        Examples
        --------
        >>> clr = CyclicalLearningRate.from_epochs(1e-3, 1e-2, 2.5, steps_per_epoch=8)
        >>> clr.step_size
        20.0
        """
        check_scalar(
            "step_size_epochs",
            step_size_epochs,
            Interval(Real, 0, None, closed="neither"),
        )
        check_scalar("steps_per_epoch", steps_per_epoch, Interval(Integral, 1, None))
        return cls(
            base_lr,
            max_lr,
            step_size_epochs * steps_per_epoch,
            mode=mode,
            gamma=gamma,
            name=name,
        )

    def __call__(self, step: Any) -> Any:
        ops = keras.ops
        iteration = ops.cast(step, "float32")
        cycle = ops.floor(1.0 + iteration / (2.0 * self.step_size))
        x = ops.abs(iteration / self.step_size - 2.0 * cycle + 1.0)
        amplitude = (self.max_lr - self.base_lr) * ops.maximum(0.0, 1.0 - x)
        if self.mode == "triangular2":
            amplitude = amplitude * ops.power(0.5, cycle - 1.0)
        elif self.mode == "exp_range":
            # gamma ** it, written as an exponential so that it underflows to 0
            amplitude = amplitude * ops.exp(iteration * math.log(self.gamma))
        return ops.cast(self.base_lr + amplitude, "float32")

    def get_config(self) -> dict[str, Any]:
        return {
            "base_lr": self.base_lr,
            "max_lr": self.max_lr,
            "step_size": self.step_size,
            "mode": self.mode,
            "gamma": self.gamma,
            "name": self.name,
        }
