"""The two-phase cosine curve shared by the one-cycle lr schedule and momentum.

Written with ``keras.ops`` so that :class:`~specauth.training.OneCycleSchedule`
evaluates it inside the compiled train step, while
:class:`~specauth.training.OneCycleMomentum` evaluates the same code eagerly.
"""

from __future__ import annotations

import math
from typing import Any

from specauth._lazy import import_keras

__all__ = ["cosine_interpolate", "one_cycle_curve"]


def cosine_interpolate(start: float, end: float, pct: Any) -> Any:
    """Cosine interpolation: ``start`` at ``pct=0``, ``end`` at ``pct=1``.

    Examples
    --------
    >>> float(cosine_interpolate(1.0, 3.0, 0.5))
    2.0
    """
    ops = import_keras().ops
    return end + (start - end) * 0.5 * (1.0 + ops.cos(math.pi * pct))


def one_cycle_curve(
    step: Any,
    *,
    total_steps: int,
    pct_start: float,
    start: float,
    peak: float,
    end: float,
) -> Any:
    """Value at ``step`` of a curve going ``start -> peak -> end`` by cosines.

    The first phase covers ``step`` in ``[0, pct_start * total_steps)``, the
    second ``[pct_start * total_steps, total_steps]``; past ``total_steps`` the
    curve stays at ``end``.

    Parameters
    ----------
    step : int or tensor
        Optimizer iteration (0 for the first step).
    total_steps : int
        Length of the cycle in steps.
    pct_start : float
        Fraction of the cycle spent in the first phase, in ``[0, 1)``.
    start, peak, end : float
        Values at step 0, at the end of the first phase and at the end.

    Returns
    -------
    value : float32 tensor
        Scalar tensor.

    Examples
    --------
    >>> curve = dict(total_steps=100, pct_start=0.25, start=1.0, peak=5.0, end=0.0)
    >>> [round(float(one_cycle_curve(s, **curve)), 4) for s in (0, 25, 100, 500)]
    [1.0, 5.0, 0.0, 0.0]
    """
    ops = import_keras().ops
    step = ops.cast(step, "float32")
    warm = pct_start * total_steps
    down = ops.clip((step - warm) / (total_steps - warm), 0.0, 1.0)
    value = cosine_interpolate(peak, end, down)
    if warm > 0:
        up = ops.clip(step / warm, 0.0, 1.0)
        value = ops.where(step < warm, cosine_interpolate(start, peak, up), value)
    return ops.cast(value, "float32")
