"""RAdam: Adam whose adaptive step is switched on gradually (Liu et al., 2019)."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth._validation import Interval, check_scalar

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()

ops = keras.ops

__all__ = ["RAdam"]


@keras.saving.register_keras_serializable(package="specauth")
class RAdam(keras.optimizers.Optimizer):
    """Rectified Adam: Adam that starts as SGD with momentum.

    Early in training the second-moment estimate rests on a handful of
    gradients, and Adam's adaptive step ``1 / sqrt(v_hat)`` has a large
    variance. RAdam measures that variance through the length of the
    approximated simple moving average at step ``t`` (``t`` counts from 1)::

        rho_inf = 2 / (1 - beta_2) - 1
        rho_t = rho_inf - 2 t beta_2**t / (1 - beta_2**t)

    With ``m_hat`` and ``v_hat`` Adam's bias-corrected moments, a step
    where ``rho_t > rectify_threshold`` is Adam's step scaled by the
    rectification term ``r_t``::

        r_t = sqrt((rho_t - 4) (rho_t - 2) rho_inf
                   / ((rho_inf - 4) (rho_inf - 2) rho_t))
        variable -= learning_rate * r_t * m_hat / (sqrt(v_hat) + epsilon)

    and any earlier step is SGD with (bias-corrected) momentum,
    ``variable -= learning_rate * m_hat``. With the default ``beta_2=0.999``,
    ``rho_t`` is close to ``t - 0.001 t**2``: steps 1 to 5 are momentum
    steps and the adaptive step starts at step 6.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable, default=1e-3
        The learning rate.
    beta_1 : float, default=0.9
        Decay rate of the first moment (the momentum), in [0, 1). The
        training loop's one-cycle schedule cycles it.
    beta_2 : float, default=0.999
        Decay rate of the second moment, in [0, 1).
    epsilon : float, default=1e-7
        Added to ``sqrt(v_hat)``, > 0.
    rectify_threshold : float, default=5.0
        The adaptive step is used once ``rho_t`` exceeds it; >= 4, where
        ``r_t`` is defined. The paper's algorithm uses 4; 5, the value of
        PyTorch's and fastai's RAdam, skips the first adaptive step, whose
        ``r_t`` is about 0.017 at ``beta_2=0.999``.
    **kwargs
        Arguments of ``keras.optimizers.Optimizer``: ``weight_decay``,
        ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
        ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
        ``gradient_accumulation_steps``, ``name``.

    See Also
    --------
    Lookahead : wrapper that, around RAdam, makes the Ranger optimizer.
    specauth.training.make_optimizer : builds ``"radam"`` and ``"ranger"``.

    References
    ----------
    L. Liu, H. Jiang, P. He, W. Chen, X. Liu, J. Gao and J. Han, "On the
    variance of the adaptive learning rate and beyond", ICLR 2020,
    arXiv:1908.03265.

    Examples
    --------
    >>> import keras
    >>> optimizer = RAdam(0.1)
    >>> w = keras.Variable([1.0, 2.0])
    >>> optimizer.apply([keras.ops.array([1.0, -1.0])], [w])
    >>> w.numpy().round(4).tolist()  # step 1: SGD with momentum
    [0.9, 2.1]
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        rectify_threshold: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        unit = Interval(Real, 0, 1, closed="left")
        self.beta_1 = check_scalar("beta_1", beta_1, unit)
        self.beta_2 = check_scalar("beta_2", beta_2, unit)
        self.epsilon = check_scalar(
            "epsilon", epsilon, Interval(Real, 0, None, closed="neither", finite=True)
        )
        self.rectify_threshold = check_scalar(
            "rectify_threshold",
            rectify_threshold,
            Interval(Real, 4, None, closed="left", finite=True),
        )

    def build(self, var_list: list[keras.Variable]) -> None:
        """Create the first- and second-moment slots of ``var_list``."""
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        """Update ``variable`` and its moments from ``gradient``."""
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - beta_1))
        self.assign_add(
            v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - beta_2)
        )
        m_hat = ops.divide(m, 1 - ops.power(beta_1, step))
        rho_t, rectifier, beta_2_debias = _rectification(beta_2, step)
        v_hat = ops.divide(v, beta_2_debias)
        adaptive = ops.divide(
            ops.multiply(m_hat, rectifier), ops.add(ops.sqrt(v_hat), self.epsilon)
        )
        direction = ops.where(rho_t > self.rectify_threshold, adaptive, m_hat)
        self.assign_sub(variable, ops.multiply(lr, direction))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "rectify_threshold": self.rectify_threshold,
            }
        )
        return config


def _rectification(beta_2: Any, step: Any) -> tuple[Any, Any, Any]:
    """Return ``(rho_t, r_t, 1 - beta_2**t)`` for ``beta_2`` at ``step`` (from 1).

    ``1 - beta_2**t`` is computed as ``-expm1(t * log1p(-(1 - beta_2)))``:
    ``rho_t`` is a difference of two numbers near ``rho_inf`` (1999 at
    ``beta_2=0.999``), and the direct float32 form loses the few thousandths
    that separate ``rho_5`` (4.996) from a threshold of 5. ``r_t`` is clipped
    at 0 where the formula has no real value (``rho_t < 4``; never used).
    """
    one_minus_beta = 1 - beta_2
    rho_inf = 2 / one_minus_beta - 1
    power = step * ops.log1p(-one_minus_beta)
    one_minus_power = -ops.expm1(power)
    rho_t = rho_inf - 2 * step * ops.exp(power) / one_minus_power
    ratio = ((rho_t - 4) * (rho_t - 2) * rho_inf) / (
        (rho_inf - 4) * (rho_inf - 2) * rho_t
    )
    return rho_t, ops.sqrt(ops.maximum(ratio, 0)), one_minus_power
