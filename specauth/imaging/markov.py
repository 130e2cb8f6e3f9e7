"""Markov transition fields of spectra."""

from __future__ import annotations

from numbers import Integral

import numpy as np

from specauth._validation import Interval, Options
from specauth.imaging._base import BaseImager, check_image_size
from specauth.imaging._paa import paa_onehot

__all__ = ["MarkovTransitionField", "bin_rows", "transition_matrices"]


def bin_rows(X: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    """Bin index in ``[0, n_bins)`` of every point, with per-row bin edges.

    ``"quantile"`` edges are the row's ``k / n_bins`` percentiles (linear
    interpolation), ``"uniform"`` edges split ``[min, max]`` evenly; a point
    equal to an edge goes to the lower bin (pyts' ``KBinsDiscretizer``).
    """
    if strategy == "quantile":
        q = np.linspace(0.0, 100.0, n_bins + 1)[1:-1]
        edges = np.percentile(X, q, axis=1).T
    else:
        mins = X.min(axis=1, keepdims=True)
        step = (X.max(axis=1, keepdims=True) - mins) / n_bins
        edges = mins + np.arange(1, n_bins) * step
    return (X[:, :, None] > edges[:, None, :]).sum(axis=2)


def transition_matrices(bins: np.ndarray, n_bins: int) -> np.ndarray:
    """Row-normalised counts of bin ``a`` followed by bin ``c``, per spectrum."""
    n_samples = bins.shape[0]
    pairs = bins[:, :-1] * n_bins + bins[:, 1:]
    flat = pairs + (np.arange(n_samples) * n_bins * n_bins)[:, None]
    counts = np.bincount(flat.ravel(), minlength=n_samples * n_bins * n_bins)
    W = counts.reshape(n_samples, n_bins, n_bins).astype(np.float64)
    totals = W.sum(axis=2, keepdims=True)
    return W / np.where(totals == 0, 1.0, totals)


class MarkovTransitionField(BaseImager):
    """Markov transition field of each spectrum, optionally block-averaged.

    Each spectrum's points are assigned to ``n_bins`` amplitude bins; ``W``
    holds the probability that a point in bin ``a`` is followed by one in bin
    ``c``; the field is ``M[i, j] = W[bin(x_i), bin(x_j)]``. With
    ``image_size`` the field is averaged over blocks of PAA segments (as in
    pyts); this is computed exactly as ``H W H^T``, with ``H[k, a]`` the share
    of segment ``k`` in bin ``a``, so the full ``n x n`` field is never built.

    Parameters
    ----------
    image_size : int, default=None
        Side of the output images, at most the number of points per spectrum;
        None keeps every point.
    n_bins : int, default=8
        Number of amplitude bins (at least 2).
    strategy : {"quantile", "uniform"}, default="quantile"
        Equal-count bins or equal-width bins, per spectrum.
    n_channels : int, default=1
        Copies of the field along the last axis.
    batch_size : int, default=256
        Spectra imaged at a time by ``transform``.
    dtype : {"float32", "float64"}, default="float32"
        Output dtype.

    Attributes
    ----------
    n_features_in_ : int
        Number of points per spectrum seen in ``fit``.

    See Also
    --------
    GramianAngularField : Angular sums / differences of the scaled spectrum.
    StackedFields : Several fields as the channels of one image.

    Notes
    -----
    Segments follow the rule of :class:`GramianAngularField`; bin edges the
    rule of pyts' ``KBinsDiscretizer`` (a point on an edge goes to the lower
    bin). A bin that is never left has a row of zeros in ``W``.

    References
    ----------
    Z. Wang and T. Oates, "Imaging time-series to improve classification and
    imputation", IJCAI 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.imaging import MarkovTransitionField
    >>> X = np.array([[0.0, 1.0, 0.0, 1.0]])
    >>> MarkovTransitionField(n_bins=2).fit_transform(X)[0, :, :, 0]
    array([[0., 1., 0., 1.],
           [1., 0., 1., 0.],
           [0., 1., 0., 1.],
           [1., 0., 1., 0.]], dtype=float32)
    """

    _parameter_constraints = {
        **BaseImager._parameter_constraints,
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "strategy": [Options(str, {"quantile", "uniform"})],
    }

    def __init__(
        self,
        image_size: int | None = None,
        *,
        n_bins: int = 8,
        strategy: str = "quantile",
        n_channels: int = 1,
        batch_size: int = 256,
        dtype: str = "float32",
    ) -> None:
        self.image_size = image_size
        self.n_bins = n_bins
        self.strategy = strategy
        self.n_channels = n_channels
        self.batch_size = batch_size
        self.dtype = dtype

    def _size(self, n_points):
        return check_image_size(self.image_size, n_points)

    def _field(self, X, out):
        bins = bin_rows(X, self.n_bins, self.strategy)
        W = transition_matrices(bins, self.n_bins)
        H = paa_onehot(bins, self.n_bins, out.shape[1])
        left = np.matmul(H, W).astype(self.dtype)
        right = np.ascontiguousarray(H.transpose(0, 2, 1), dtype=self.dtype)
        if out.flags.c_contiguous:
            np.matmul(left, right, out=out)
        else:
            out[...] = np.matmul(left, right)
