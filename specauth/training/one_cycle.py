"""One-cycle learning-rate schedule (Smith, 2018; fastai's ``fit_one_cycle``)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth._validation import Interval, check_scalar
from specauth.training._one_cycle_curve import one_cycle_curve

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()

__all__ = ["OneCycleSchedule"]


@keras.saving.register_keras_serializable(package="specauth")
class OneCycleSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Cosine warm-up to ``max_lr``, then cosine annealing to a tiny rate.

    With ``initial = max_lr / div_factor``, ``final = initial /
    final_div_factor`` and ``warm = pct_start * total_steps``, the rate rises
    from ``initial`` at step 0 to ``max_lr`` at step ``warm`` along a half
    cosine, then falls along a half cosine to ``final`` at step
    ``total_steps``, and stays there afterwards (fastai's one-cycle policy).

    Parameters
    ----------
    max_lr : float
        Peak learning rate, > 0 (e.g. the ``valley`` suggestion of
        :func:`lr_find`).
    total_steps : int
        Length of the cycle in optimizer steps (batches), >= 1: usually
        ``epochs * ceil(n_samples / batch_size)``.
    pct_start : float, default=0.25
        Fraction of the cycle spent warming up, in [0, 1).
    div_factor : float, default=25.0
        ``max_lr / div_factor`` is the starting rate; > 0.
    final_div_factor : float, default=1e4
        The final rate is ``max_lr / div_factor / final_div_factor``; > 0.
    name : str, default="OneCycleSchedule"
        Name of the schedule.

    Raises
    ------
    ValueError
        If a value is out of range.
    TypeError
        If an argument is not a number of the expected type.

    See Also
    --------
    OneCycleMomentum : the matching momentum cycle.
    CyclicalLearningRate : repeated triangular cycles.

    References
    ----------
    L. N. Smith, "A disciplined approach to neural network hyper-parameters:
    Part 1", arXiv:1803.09820, 2018.

    Examples
    --------
    >>> schedule = OneCycleSchedule(0.01, total_steps=100)
    >>> [float(f"{float(schedule(s)):.3g}") for s in (0, 25, 100, 1000)]
    [0.0004, 0.01, 4e-08, 4e-08]
    """

    def __init__(
        self,
        max_lr: float,
        total_steps: int,
        *,
        pct_start: float = 0.25,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        name: str = "OneCycleSchedule",
    ) -> None:
        super().__init__()
        positive = Interval(Real, 0, None, closed="neither", finite=True)
        check_scalar("max_lr", max_lr, positive)
        check_scalar("total_steps", total_steps, Interval(Integral, 1, None))
        check_scalar("pct_start", pct_start, Interval(Real, 0, 1, closed="left"))
        check_scalar("div_factor", div_factor, positive)
        check_scalar("final_div_factor", final_div_factor, positive)
        self.max_lr = float(max_lr)
        self.total_steps = int(total_steps)
        self.pct_start = float(pct_start)
        self.div_factor = float(div_factor)
        self.final_div_factor = float(final_div_factor)
        self.name = name

    @property
    def initial_lr(self) -> float:
        """Rate at step 0, ``max_lr / div_factor``."""
        return self.max_lr / self.div_factor

    @property
    def final_lr(self) -> float:
        """Rate from ``total_steps`` on, ``initial_lr / final_div_factor``."""
        return self.initial_lr / self.final_div_factor

    def __call__(self, step: Any) -> Any:
        return one_cycle_curve(
            step,
            total_steps=self.total_steps,
            pct_start=self.pct_start,
            start=self.initial_lr,
            peak=self.max_lr,
            end=self.final_lr,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "max_lr": self.max_lr,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "name": self.name,
        }
