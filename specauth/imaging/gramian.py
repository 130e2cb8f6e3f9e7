"""Gramian angular fields (summation and difference) of spectra."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specauth._validation import Options
from specauth.imaging._base import BaseImager, check_image_size
from specauth.imaging._paa import minmax_rows, paa

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import DTypeLike

__all__ = ["GramianAngularField", "gramian_factors"]


def gramian_factors(
    X: np.ndarray,
    image_size: int,
    sample_range: Sequence[float],
    method: str,
    dtype: DTypeLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``A, B`` such that the field of row ``s`` is ``A[s] @ B[s]``.

    With ``x`` the scaled spectrum and ``r = sqrt(1 - x**2)``, GASF is
    ``x x^T - r r^T`` and GADF is ``r x^T - x r^T``: a rank-2 product, so an
    image costs one ``(size, 2) @ (2, size)`` matrix product and no trigonometry.
    """
    x = minmax_rows(paa(X, image_size), sample_range)
    r = np.sqrt(np.clip(1.0 - x * x, 0.0, 1.0))
    if method == "summation":
        A, B = np.stack([x, r], axis=2), np.stack([x, -r], axis=1)
    else:
        A, B = np.stack([r, -x], axis=2), np.stack([x, r], axis=1)
    return A.astype(dtype), B.astype(dtype)


class GramianAngularField(BaseImager):
    """Gramian angular summation / difference field of each spectrum.

    Each spectrum is optionally downsampled to ``image_size`` points by
    piecewise aggregate approximation (PAA), min-max scaled to
    ``sample_range``, and read as angles ``phi = arccos(x)``. The summation
    field is ``cos(phi_i + phi_j)`` and the difference field
    ``sin(phi_i - phi_j)`` (the convention of pyts), computed without
    trigonometry as ``x_i x_j - r_i r_j`` and ``r_i x_j - x_i r_j`` with
    ``r = sqrt(1 - x**2)``.

    The transformer is stateless: ``fit`` only validates and records
    ``n_features_in_``.

    Parameters
    ----------
    image_size : int, default=None
        Side of the output images, at most the number of points per spectrum;
        None keeps every point (an ``n_points x n_points`` image).
    method : {"summation", "difference"}, default="summation"
        GASF or GADF.
    sample_range : tuple of (float, float), default=(-1, 1)
        Range the (downsampled) spectrum is scaled to, within ``[-1, 1]``.
        A constant spectrum is mapped to the middle of the range.
    n_channels : int, default=1
        Copies of the field along the last axis (3 for an RGB network).
        :class:`StackedFields` gives a network three *different* fields
        instead, which carries more information for the same cost.
    batch_size : int, default=256
        Spectra imaged at a time by ``transform`` (bounds the temporaries).
    dtype : {"float32", "float64"}, default="float32"
        Output dtype; the field itself is computed in this precision.

    Attributes
    ----------
    n_features_in_ : int
        Number of points per spectrum seen in ``fit``.

    See Also
    --------
    MarkovTransitionField : Transition probabilities between amplitude bins.
    RecurrencePlot : Pairwise distances between points.
    StackedFields : Several fields as the channels of one image.

    Notes
    -----
    Order of operations (as in pyts): PAA first, then min-max scaling, so the
    downsampled spectrum spans the whole ``sample_range``. PAA segment ``k``
    of ``n`` points is ``[floor(k n / size), floor((k + 1) n / size))``.

    References
    ----------
    Z. Wang and T. Oates, "Imaging time-series to improve classification and
    imputation", IJCAI 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from specauth.imaging import GramianAngularField
    >>> X = np.array([[0.0, 1.0, 2.0, 3.0]])
    >>> images = GramianAngularField(image_size=2).fit_transform(X)
    >>> images.shape, images.dtype
    ((1, 2, 2, 1), dtype('float32'))
    >>> images[0, :, :, 0]
    array([[ 1., -1.],
           [-1.,  1.]], dtype=float32)
    """

    _parameter_constraints = {
        **BaseImager._parameter_constraints,
        "method": [Options(str, {"summation", "difference"})],
        "sample_range": [tuple, list],
    }

    def __init__(
        self,
        image_size: int | None = None,
        *,
        method: str = "summation",
        sample_range: Sequence[float] = (-1, 1),
        n_channels: int = 1,
        batch_size: int = 256,
        dtype: str = "float32",
    ) -> None:
        self.image_size = image_size
        self.method = method
        self.sample_range = sample_range
        self.n_channels = n_channels
        self.batch_size = batch_size
        self.dtype = dtype

    def _size(self, n_points):
        _check_sample_range(self.sample_range)
        return check_image_size(self.image_size, n_points)

    def _field(self, X, out):
        A, B = gramian_factors(
            X, out.shape[1], self.sample_range, self.method, self.dtype
        )
        if out.flags.c_contiguous:
            np.matmul(A, B, out=out)
            return
        scratch = np.empty(out.shape[1:], dtype=self.dtype)
        for i in range(len(out)):
            np.matmul(A[i], B[i], out=scratch)
            out[i] = scratch


def _check_sample_range(sample_range):
    try:
        low, high = (float(v) for v in sample_range)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"`sample_range` must be a pair of numbers (min, max); "
            f"got {sample_range!r}."
        ) from err
    if not -1.0 <= low < high <= 1.0:
        raise ValueError(
            "`sample_range` must satisfy -1 <= min < max <= 1; "
            f"got {tuple(sample_range)!r}."
        )
