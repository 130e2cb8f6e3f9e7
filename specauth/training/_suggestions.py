"""Learning-rate suggestions from a loss-versus-learning-rate curve.

Pure numpy functions of ``lrs`` (increasing, log-spaced) and ``losses`` (the
smoothed losses) used by :class:`~specauth.training.LRFinderResult`. Each
returns a float learning rate, or NaN for an empty curve. Slopes are taken
with respect to ``log10(lr)``, so they do not depend on the spacing of the
sweep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = [
    "VALLEY_FRACTION",
    "SLIDE_FRACTION",
    "longest_descent",
    "suggest_valley",
    "suggest_slide",
    "suggest_minimum",
    "suggest_steep",
]

#: Where in the longest descent the valley suggestion sits (0 = its top).
VALLEY_FRACTION = 2.0 / 3.0
#: A slope counts as steep if it is at least this fraction of the steepest.
SLIDE_FRACTION = 0.5


def _slopes(lrs, losses):
    """d(loss) / d(log10 lr) at every point (one-sided at the ends)."""
    return np.gradient(losses, np.log10(lrs))


def longest_descent(losses: ArrayLike) -> tuple[int, int]:
    """Return ``(start, end)`` of the longest valley of decreasing loss.

    The valley is found as the longest strictly decreasing subsequence of
    ``losses`` (dynamic programming, so small bumps are stepped over); it
    ends at ``end`` (the earliest end if several are longest) and is taken to
    span the ``length`` points up to ``end``: ``start = end - length + 1``.

    Examples
    --------
    >>> longest_descent([3.0, 3.0, 2.0, 2.5, 1.0, 0.5, 4.0])
    (2, 5)
    """
    losses = np.asarray(losses, dtype=float)
    length = np.ones(losses.size, dtype=int)
    for i in range(1, losses.size):
        higher = losses[:i] > losses[i]
        if higher.any():
            length[i] = length[:i][higher].max() + 1
    end = int(np.argmax(length))
    return end - int(length[end]) + 1, end


def suggest_valley(
    lrs: Sequence[float] | np.ndarray, losses: Sequence[float] | np.ndarray
) -> float:
    """fastai's "valley": a point two thirds of the way down the longest valley.

    fastai takes the point half-way along; two thirds lies a little deeper in
    the descent, where the loss still falls fast.

    Examples
    --------
    >>> lrs = np.logspace(-4, 0, 5)
    >>> float(suggest_valley(lrs, [1.0, 0.9, 0.5, 0.1, 3.0]))
    0.01
    """
    if len(losses) == 0:
        return float("nan")
    start, end = longest_descent(losses)
    return float(lrs[start + int(round(VALLEY_FRACTION * (end - start)))])


def suggest_slide(
    lrs: Sequence[float] | np.ndarray, losses: Sequence[float] | np.ndarray
) -> float:
    """Largest rate before the minimum where the loss still falls steeply.

    Our version of fastai's slide rule: search back from the minimum of the
    loss for the first point whose slope ``d loss / d log10(lr)`` is at least
    ``SLIDE_FRACTION`` (half) of the steepest slope before the minimum, i.e.
    the point where, going up in learning rate, the loss stops falling
    steeply and starts to level off into the minimum. The minimum's rate is
    returned when the loss never falls.

    Examples
    --------
    >>> lrs = np.logspace(-4, 0, 5)
    >>> float(suggest_slide(lrs, [1.0, 0.9, 0.5, 0.1, 3.0]))
    0.01
    """
    if len(losses) < 2:
        return float(lrs[0]) if len(losses) else float("nan")
    lowest = int(np.argmin(losses))
    slopes = _slopes(lrs, losses)[: lowest + 1]
    steepest = slopes.min()
    if steepest >= 0:
        return float(lrs[lowest])
    steep = np.flatnonzero(slopes <= SLIDE_FRACTION * steepest)
    return float(lrs[steep[-1]])


def suggest_minimum(
    lrs: Sequence[float] | np.ndarray, losses: Sequence[float] | np.ndarray
) -> float:
    """fastai's "minimum": the rate of the lowest loss divided by 10.

    Examples
    --------
    >>> float(suggest_minimum([1e-3, 1e-2, 1e-1], [1.0, 0.2, 5.0]))
    0.001
    """
    if len(losses) == 0:
        return float("nan")
    return float(lrs[int(np.argmin(losses))]) / 10.0


def suggest_steep(
    lrs: Sequence[float] | np.ndarray, losses: Sequence[float] | np.ndarray
) -> float:
    """fastai's "steep": the rate where the loss falls fastest.

    The steepest descent (most negative ``d loss / d log10(lr)``) is searched
    for up to the minimum of the loss only, so that noise in the divergent
    tail cannot win.

    Examples
    --------
    >>> lrs = np.logspace(-4, 0, 5)
    >>> float(suggest_steep(lrs, [1.0, 0.9, 0.5, 0.1, 3.0]))
    0.01
    """
    if len(losses) < 2:
        return float(lrs[0]) if len(losses) else float("nan")
    lowest = int(np.argmin(losses))
    return float(lrs[int(np.argmin(_slopes(lrs, losses)[: lowest + 1]))])
