"""Segment bounds shared by PAA (imaging), the Gramian layer (models) and the
resampling of explanations (explain): one rule for how points are grouped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["segment_bounds"]


def segment_bounds(n_points: int, size: int) -> NDArray[np.int64]:
    """Return the ``size + 1`` segment bounds used to aggregate ``n_points``.

    Segment ``k`` covers the indices ``[bounds[k], bounds[k + 1])`` with
    ``bounds = floor(linspace(0, n_points, size + 1))``: the segments differ in
    length by at most one point when ``n_points`` is not a multiple of
    ``size``, and never overlap. This is the rule of pyts'
    ``PiecewiseAggregateApproximation(window_size=None, output_size=size)``.

    Examples
    --------
    >>> segment_bounds(10, 4)
    array([ 0,  2,  5,  7, 10])
    """
    return np.linspace(0, n_points, size + 1).astype(np.int64)
