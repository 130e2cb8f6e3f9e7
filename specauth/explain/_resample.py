"""Upsampling of low-resolution maps, and Gramian-image maps back to spectra."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specauth._segments import segment_bounds

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = ["interpolation_matrix", "upsample", "image_map_to_spectrum"]


def interpolation_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Return the ``(n_out, n_in)`` matrix of linear interpolation by centres.

    Cell ``p`` of ``n_in`` covers ``[p, p + 1) * n_out / n_in`` of the output
    axis; its value sits at the cell centre. Output points between two centres
    are interpolated linearly; points before the first or after the last
    centre take the nearest value (as ``np.interp``).

    Examples
    --------
    >>> interpolation_matrix(2, 4) @ np.array([0.0, 1.0])
    array([0.  , 0.25, 0.75, 1.  ])
    """
    centres = (np.arange(n_in) + 0.5) * n_out / n_in - 0.5
    eye = np.eye(n_in)
    return np.stack([np.interp(np.arange(n_out), centres, row) for row in eye], axis=1)


def upsample(maps: ArrayLike, shape: Sequence[int]) -> np.ndarray:
    """Linearly upsample ``maps`` of shape ``(n, *small)`` to ``(n, *shape)``."""
    out = np.asarray(maps, dtype=np.float64)
    for axis, size in enumerate(shape, start=1):
        if out.shape[axis] == size:
            continue
        matrix = interpolation_matrix(out.shape[axis], size)
        out = np.moveaxis(np.tensordot(out, matrix, axes=([axis], [1])), -1, axis)
    return out


def image_map_to_spectrum(
    maps: ArrayLike, length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Reduce Gramian-field maps ``(n, size, size)`` to spectrum importances.

    A Gramian field is symmetric (the difference field antisymmetric), pixel
    ``(i, j)`` relating points ``i`` and ``j`` of the downsampled spectrum. The
    map is symmetrised, ``(M + M.T) / 2``, and averaged over one axis: the
    importance of downsampled point ``i`` is the mean attention paid to row
    and column ``i``. Each of the ``length`` spectrum points then takes the
    value of the piecewise-aggregate segment it belongs to.

    Returns
    -------
    symmetric : ndarray of shape (n, size, size)
    importance : ndarray of shape (n, length)
    """
    maps = np.asarray(maps, dtype=np.float64)
    symmetric = 0.5 * (maps + np.swapaxes(maps, 1, 2))
    per_point = symmetric.mean(axis=2)
    size = maps.shape[1]
    bounds = segment_bounds(length, size)
    owner = np.repeat(np.arange(size), np.diff(bounds))
    return symmetric, per_point[:, owner]
