"""Training that diverges stops with an error instead of producing a model.

A learning rate far too high (or a broken loss) makes the loss ``inf`` or
``NaN`` within a few steps; the weights follow, ``predict`` then returns the
first class for every sample and ``predict_proba`` NaN. :class:`StopOnNonFiniteLoss`
stops training at the first epoch whose loss is not finite and
:func:`check_trained_network` raises :class:`TrainingDivergedError` for it, or
for non-finite weights, after ``Model.fit`` returns.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._lazy import import_keras

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()

__all__ = ["StopOnNonFiniteLoss", "TrainingDivergedError", "check_trained_network"]


class TrainingDivergedError(ValueError):
    """Training produced a non-finite loss or non-finite weights.

    A subclass of ``ValueError``: the value at fault is a parameter (most
    often the learning rate) or the data.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.training import fit_network
    >>> network = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    >>> x, y = np.full((8, 2), 1e20, "float32"), np.arange(8) % 2
    >>> try:
    ...     fit_network(network, x, y, epochs=2, learning_rate=1e30,
    ...                 schedule="constant")
    ... except TrainingDivergedError as err:
    ...     print(str(err)[:18])
    Training diverged:
    """


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop training at the end of the first epoch whose loss is not finite.

    Unlike ``keras.callbacks.TerminateOnNaN`` it records where training
    diverged (``epoch``, ``loss``) so that the caller can raise a clear error.

    Attributes
    ----------
    epoch : int or None
        The 0-based epoch whose loss was not finite, or None.
    loss : float or None
        That loss.

    Examples
    --------
    >>> stop = StopOnNonFiniteLoss()
    >>> stop.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    >>> stop.on_epoch_end(0, {"loss": float("nan")})
    >>> stop.epoch, stop.model.stop_training
    (0, True)
    """

    def __init__(self) -> None:
        super().__init__()
        self.epoch: int | None = None
        self.loss: float | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.epoch, self.loss = None, None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.epoch, self.loss = epoch, float(loss)
            self.model.stop_training = True


def check_trained_network(
    network: Any, stop: StopOnNonFiniteLoss, learning_rate: Any
) -> None:
    """Raise :class:`TrainingDivergedError` if training diverged.

    Parameters
    ----------
    network : keras.Model
        The network ``Model.fit`` trained.
    stop : StopOnNonFiniteLoss
        The callback that watched the loss during that fit.
    learning_rate : float or schedule
        The rate used, quoted in the message.

    Raises
    ------
    TrainingDivergedError
        When a loss was not finite or a weight of ``network`` is not finite.

    Examples
    --------
    >>> network = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> check_trained_network(network, StopOnNonFiniteLoss(), 1e-3)  # fine
    """
    if stop.epoch is not None:
        where = f"the loss became {stop.loss} in epoch {stop.epoch + 1}"
    else:
        bad = [
            w.path
            for w in network.weights
            if not np.isfinite(keras.ops.convert_to_numpy(w)).all()
        ]
        if not bad:
            return
        where = f"weights became non-finite ({', '.join(bad[:3])})"
    rate = (
        f"learning_rate={learning_rate:g}"
        if isinstance(learning_rate, (int, float))
        else "the learning rate"
    )
    raise TrainingDivergedError(
        f"Training diverged: {where} with {rate}. The network is unusable; "
        "use a lower `learning_rate`, or `learning_rate='find'` to choose one "
        "from the data, and check the inputs and `class_weight` for extreme "
        "values."
    )
