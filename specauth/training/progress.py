"""A single progress bar over epochs, for ``verbose=1`` training."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from specauth._lazy import import_keras

if TYPE_CHECKING:
    import keras
else:
    keras = import_keras()

__all__ = ["EpochProgressBar"]


class EpochProgressBar(keras.callbacks.Callback):
    """Show one progress bar for the whole training run.

    Keras' own ``verbose=1`` draws a bar per epoch, which floods a notebook
    when training for many short epochs; this callback draws one bar that
    advances once per epoch and shows the latest loss and metrics.

    Parameters
    ----------
    epochs : int
        Number of epochs the bar spans.

    Examples
    --------
    >>> bar = EpochProgressBar(3)
    >>> bar.epochs
    3
    """

    def __init__(self, epochs: int) -> None:
        super().__init__()
        if int(epochs) < 1:
            raise ValueError(f"`epochs` must be >= 1; got {epochs}.")
        self.epochs = int(epochs)
        self._bar: Any = None  # a keras.utils.Progbar once training starts

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._bar = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        values = [(k, float(v)) for k, v in (logs or {}).items() if k != "lr"]
        if self._bar is None:
            # Epoch metrics are shown as they are, not averaged over epochs.
            names = [name for name, _ in values]
            self._bar = keras.utils.Progbar(
                self.epochs, unit_name="epoch", stateful_metrics=names
            )
        self._bar.update(epoch + 1, values=values, finalize=epoch + 1 >= self.epochs)
