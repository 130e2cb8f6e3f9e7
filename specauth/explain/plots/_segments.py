"""Split a curve into one short polyline per point, for per-point colours."""

from __future__ import annotations

import numpy as np

__all__ = ["point_segments"]


def point_segments(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One polyline per point, from the midpoint before it to the one after.

    Returns an array of shape ``(n_points, 3, 2)``, so that each point -- not
    each gap between points -- carries one colour.
    """
    mid_x = (x[:-1] + x[1:]) / 2
    mid_y = (y[:-1] + y[1:]) / 2
    start_x = np.concatenate([x[:1], mid_x])
    start_y = np.concatenate([y[:1], mid_y])
    end_x = np.concatenate([mid_x, x[-1:]])
    end_y = np.concatenate([mid_y, y[-1:]])
    return np.stack(
        [
            np.column_stack([start_x, start_y]),
            np.column_stack([x, y]),
            np.column_stack([end_x, end_y]),
        ],
        axis=1,
    )
