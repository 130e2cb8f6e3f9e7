"""Logarithmic activation for inputs whose intensities span orders of magnitude."""

from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras
from specauth._validation import check_bool

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()
ops = keras.ops

__all__ = ["LogActivation"]


def _check_finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"`{name}` must be a real number; got {value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite; got {value}.")
    return float(value)


@keras.saving.register_keras_serializable(package="specauth")
class LogActivation(keras.layers.Layer):
    """Signed logarithm ``sign(x) * alpha * (ln(|x| + 1/e) + 1) + beta``.

    The activation of Zimmermann et al. [1]_ for diffraction patterns of raw
    counts: after the first convolution, intensities that span several orders
    of magnitude are compressed logarithmically, so weak reflections are not
    drowned by strong ones. ``ln(1/e) + 1 = 0``, so the function is
    continuous at 0, where it equals ``beta``, and odd around ``(0, beta)``.
    Its slope at 0 is ``alpha * e``.

    Parameters
    ----------
    alpha : float, default=0.2
        Scale of the logarithm; must be > 0.
    beta : float, default=0.0
        Offset added to every output.
    learnable : bool, default=False
        Whether ``alpha`` and ``beta`` are trained (scalar weights ``"alpha"``
        and ``"beta"``, initialised to the given values); they are frozen
        weights otherwise.
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ``dtype``...).

    Attributes
    ----------
    alpha_weight : keras.Variable of shape ()
        The scale, after ``build``.
    beta_weight : keras.Variable of shape ()
        The offset, after ``build``.

    Raises
    ------
    TypeError
        If ``alpha`` or ``beta`` is not a real number, or ``learnable`` not a
        bool.
    ValueError
        If ``alpha`` is not finite and > 0, or ``beta`` is not finite.

    See Also
    --------
    specauth.models.cnn1d : Its ``log_activation=True`` puts this layer after
        the first convolution (every registered builder has the option).

    References
    ----------
    .. [1] Zimmermann, Kroll, Strehlau et al., "Machine learning analysis of
       X-ray diffraction patterns", Phys. Rev. E 99, 063309 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.models.layers import LogActivation
    >>> x = np.array([[-np.e + 1 / np.e, 0.0, np.e - 1 / np.e]], dtype="float32")
    >>> np.round(np.asarray(LogActivation(alpha=1.0)(x)), 4)
    array([[-2.,  0.,  2.]], dtype=float32)
    """

    def __init__(
        self,
        alpha: float = 0.2,
        beta: float = 0.0,
        learnable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha = _check_finite("alpha", alpha)
        if self.alpha <= 0:
            raise ValueError(f"`alpha` must be > 0; got {alpha}.")
        self.beta = _check_finite("beta", beta)
        self.learnable = check_bool("learnable", learnable)

    def build(self, input_shape: Any) -> None:
        self.alpha_weight = self.add_weight(
            name="alpha",
            shape=(),
            initializer=keras.initializers.Constant(self.alpha),
            trainable=self.learnable,
        )
        self.beta_weight = self.add_weight(
            name="beta",
            shape=(),
            initializer=keras.initializers.Constant(self.beta),
            trainable=self.learnable,
        )

    def call(self, inputs: Any) -> Any:
        alpha = ops.cast(self.alpha_weight, inputs.dtype)
        beta = ops.cast(self.beta_weight, inputs.dtype)
        magnitude = ops.log(ops.abs(inputs) + math.exp(-1.0)) + 1.0
        return ops.sign(inputs) * alpha * magnitude + beta

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = {"alpha": self.alpha, "beta": self.beta, "learnable": self.learnable}
        return {**super().get_config(), **config}
