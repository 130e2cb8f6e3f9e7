"""How long to train: a budget in optimizer steps, not only in epochs.

An epoch is one pass over the training data, ``ceil(n / batch_size)``
optimizer steps. With a fixed number of epochs a small data set gets few
steps: 30 spectra in batches of 32 are one step per epoch, so 60 epochs are
60 steps, and the network stops long before it has learnt the training data
(measured in issue 15: training accuracy 0.43-0.50 on a 30-spectrum set).
:func:`auto_epochs` gives a data set at least :data:`AUTO_MIN_STEPS` steps
and at least :data:`AUTO_MIN_EPOCHS` passes, which is what the estimators'
``epochs="auto"`` trains.
"""

from __future__ import annotations

import math
from numbers import Integral

from specauth._validation import Interval, check_scalar

__all__ = ["AUTO_MIN_EPOCHS", "AUTO_MIN_STEPS", "auto_epochs"]

#: Fewest passes over the training data ``epochs="auto"`` trains.
AUTO_MIN_EPOCHS = 60

#: Fewest optimizer steps ``epochs="auto"`` trains (measured in issue 15: see
#: the guide page "Training", section "How long to train").
AUTO_MIN_STEPS = 1000

_COUNT = Interval(Integral, 1, None, closed="left")


def auto_epochs(
    n_samples: int,
    batch_size: int,
    *,
    min_epochs: int | None = None,
    min_steps: int | None = None,
) -> int:
    """Number of epochs that gives at least ``min_steps`` optimizer steps.

    Parameters
    ----------
    n_samples : int
        Number of training samples (after any validation split).
    batch_size : int
        Mini-batch size; an epoch is ``ceil(n_samples / batch_size)`` steps.
    min_epochs : int, default=None
        Fewest epochs returned, however large the data set; None for
        :data:`AUTO_MIN_EPOCHS`.
    min_steps : int, default=None
        Fewest optimizer steps the epochs add up to; None for
        :data:`AUTO_MIN_STEPS`.

    Returns
    -------
    epochs : int
        ``max(min_epochs, ceil(min_steps / steps_per_epoch))``.

    Raises
    ------
    TypeError, ValueError
        If an argument is not an int >= 1 (the message names it).

    Examples
    --------
    >>> auto_epochs(30, 32)  # one step per epoch: 1000 epochs of 1 step
    1000
    >>> auto_epochs(240, 32)  # 8 steps per epoch
    125
    >>> auto_epochs(10_000, 32)  # 313 steps per epoch: the 60-epoch floor
    60
    """
    min_epochs = AUTO_MIN_EPOCHS if min_epochs is None else min_epochs
    min_steps = AUTO_MIN_STEPS if min_steps is None else min_steps
    for name, value in (
        ("n_samples", n_samples),
        ("batch_size", batch_size),
        ("min_epochs", min_epochs),
        ("min_steps", min_steps),
    ):
        check_scalar(name, value, _COUNT)
    steps_per_epoch = math.ceil(n_samples / batch_size)
    return max(int(min_epochs), math.ceil(min_steps / steps_per_epoch))
