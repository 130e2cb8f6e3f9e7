"""Piecewise aggregate approximation (PAA) and per-row scaling helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specauth._segments import segment_bounds

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = ["minmax_rows", "paa", "paa_onehot"]


def paa(X: ArrayLike, size: int) -> np.ndarray:
    """Mean of each segment of each row of the 2D array ``X`` (float64).

    Examples
    --------
    >>> paa(np.arange(10.0)[None], 4)
    array([[0.5, 3. , 5.5, 8. ]])
    """
    X = np.asarray(X, dtype=np.float64)
    if size == X.shape[1]:
        return X
    bounds = segment_bounds(X.shape[1], size)
    # Average deviations from each row's first point, then add it back: the
    # same means, but a constant row stays exactly constant (averaging 0.1
    # directly can give 0.10000000000000002 in one segment, which min-max
    # scaling would then stretch to +-1).
    first = X[:, :1]
    sums = np.add.reduceat(X - first, bounds[:-1], axis=1)
    return sums / np.diff(bounds) + first


def paa_onehot(codes: np.ndarray, n_codes: int, size: int) -> np.ndarray:
    """Fraction of each segment's points holding each integer code.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_points)
        Integers in ``[0, n_codes)``.
    n_codes : int
        Number of distinct codes.
    size : int
        Number of segments.

    Returns
    -------
    H : ndarray of shape (n_samples, size, n_codes)
        ``H[s, k, c]`` = share of segment ``k`` of row ``s`` equal to ``c``;
        rows sum to one. Without aggregation (``size == n_points``) ``H`` is
        the one-hot encoding of ``codes``.
    """
    n_samples, n_points = codes.shape
    bounds = segment_bounds(n_points, size)
    lengths = np.diff(bounds)
    segment = np.repeat(np.arange(size), lengths)
    flat = (np.arange(n_samples)[:, None] * size + segment) * n_codes + codes
    counts = np.bincount(flat.ravel(), minlength=n_samples * size * n_codes)
    H = counts.reshape(n_samples, size, n_codes).astype(np.float64)
    H /= lengths[None, :, None]
    return H


def minmax_rows(X: np.ndarray, sample_range: Sequence[float]) -> np.ndarray:
    """Scale each row of ``X`` to ``sample_range``; constant rows go to its middle.

    Examples
    --------
    >>> minmax_rows(np.array([[0.0, 5.0, 10.0], [3.0, 3.0, 3.0]]), (-1, 1))
    array([[-1.,  0.,  1.],
           [ 0.,  0.,  0.]])
    """
    low, high = float(sample_range[0]), float(sample_range[1])
    mins = X.min(axis=1, keepdims=True)
    spans = X.max(axis=1, keepdims=True) - mins
    constant = spans == 0
    scaled = (X - mins) / np.where(constant, 1.0, spans)
    out = low + scaled * (high - low)
    out[np.broadcast_to(constant, out.shape)] = 0.5 * (low + high)
    return np.clip(out, low, high, out=out)
