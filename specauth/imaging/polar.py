"""Polar resampling of 2D diffraction patterns about their centre."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import fft as sp_fft
from scipy import sparse
from sklearn.utils import check_array

from specauth._validation import (
    FLOATS,
    Interval,
    Options,
    check_choice,
    check_is_fitted,
    check_params,
    check_scalar,
)
from specauth.imaging._base import BaseImager

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from numpy.typing import ArrayLike

__all__ = ["PolarTransform", "friedel_center", "polar_sampling"]

_INTERPOLATIONS = ("bilinear", "nearest")


def polar_sampling(
    shape: Sequence[int],
    *,
    n_radii: int,
    n_angles: int,
    center: Sequence[float] | None = None,
    r_min: float = 0.0,
    r_max: float | None = None,
    interpolation: str = "bilinear",
    mask: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the gather table that resamples a ``shape`` pattern onto a polar grid.

    Sample ``(i, j)`` of the polar image lies at radius ``radii[i]`` and angle
    ``angles[j]``, at pattern position ``(row, col) = (cy + r sin(phi),
    cx + r cos(phi))``: angles start on the ``+col`` axis and turn towards
    ``+row``. Its value is ``sum_k weights[p, k] * pattern.flat[indices[p, k]]``
    with ``p = i * n_angles + j``, or the fill value where ``valid[p]`` is False.

    Parameters
    ----------
    shape : (int, int)
        Pattern height and width.
    n_radii : int
        Number of radii, evenly spaced from ``r_min`` to ``r_max`` inclusive.
    n_angles : int
        Number of angles ``2 pi j / n_angles``, at least 2.
    center : (float, float), default=None
        ``(row, col)`` of the centre, inside the pattern; None takes the
        geometric centre ``((h - 1) / 2, (w - 1) / 2)``.
    r_min : float, default=0.0
        Smallest radius, in pixels.
    r_max : float, default=None
        Largest radius, at most the distance from the centre to the nearest
        edge (so every circle lies inside the pattern); None takes that distance.
    interpolation : {"bilinear", "nearest"}, default="bilinear"
        Bilinear weights of the 4 surrounding pixels, or the nearest pixel
        (halves rounded up).
    mask : array-like of bool of shape (h, w), default=None
        True marks bad pixels (detector gaps, beamstop), as in ``numpy.ma``.
        The weights of the good pixels are renormalised to sum to 1; a sample
        with no good pixel is invalid.

    Returns
    -------
    indices : ndarray of shape (n_radii * n_angles, k)
        Flat pixel indices, ``k = 4`` (bilinear) or 1 (nearest).
    weights : ndarray of shape (n_radii * n_angles, k)
        Interpolation weights (float64).
    valid : ndarray of bool of shape (n_radii * n_angles,)
        False where every pixel of a sample is masked.
    radii : ndarray of shape (n_radii,)
    angles : ndarray of shape (n_angles,)
        In radians.

    Raises
    ------
    ValueError
        If ``n_radii < 1``, ``n_angles < 2``, ``center`` lies outside the
        pattern, ``r_min`` is negative or not below ``r_max``, ``r_max`` goes
        beyond the pattern, or ``mask`` is not of shape ``shape``.

    Examples
    --------
    >>> indices, weights, valid, radii, angles = polar_sampling(
    ...     (5, 5), n_radii=3, n_angles=4
    ... )
    >>> radii.tolist(), indices.shape
    ([0.0, 1.0, 2.0], (12, 4))
    >>> pattern = np.arange(25.0).reshape(5, 5)
    >>> (pattern.ravel()[indices] * weights).sum(axis=1).reshape(3, 4)[2]
    array([14., 22., 10.,  2.])
    """
    height, width = (int(v) for v in shape)
    n_radii = check_scalar("n_radii", n_radii, Interval(Integral, 1, None))
    n_angles = check_scalar("n_angles", n_angles, Interval(Integral, 2, None))
    interpolation = check_choice("interpolation", interpolation, _INTERPOLATIONS)
    cy, cx = _check_center(center, height, width)
    radii = _radii(
        n_radii, r_min, r_max, limit=min(cy, cx, height - 1 - cy, width - 1 - cx)
    )
    angles = 2.0 * np.pi * np.arange(n_angles) / n_angles
    rows = np.clip(cy + np.outer(radii, np.sin(angles)).ravel(), 0, height - 1)
    cols = np.clip(cx + np.outer(radii, np.cos(angles)).ravel(), 0, width - 1)
    if interpolation == "nearest":
        near_rows = np.minimum(np.floor(rows + 0.5), height - 1)  # half up
        near_cols = np.minimum(np.floor(cols + 0.5), width - 1)
        indices = (near_rows * width + near_cols).astype(np.intp)[:, None]
        weights = np.ones(indices.shape)
    else:
        indices, weights = _bilinear(rows, cols, height, width)
    valid = np.ones(len(indices), dtype=bool)
    if mask is not None:
        weights, valid = _apply_mask(mask, (height, width), indices, weights)
    return indices, weights, valid, radii, angles


def _check_center(center, height, width):
    if center is None:
        return (height - 1) / 2.0, (width - 1) / 2.0
    expected = (
        f"a pair (row, col) inside the pattern, 0 <= row <= {height - 1} and "
        f"0 <= col <= {width - 1}"
    )
    try:
        cy, cx = (float(v) for v in center)
    except (TypeError, ValueError) as err:
        raise ValueError(f"`center` must be {expected}; got {center!r}.") from err
    if not (0.0 <= cy <= height - 1 and 0.0 <= cx <= width - 1):
        raise ValueError(f"`center` must be {expected}; got {(cy, cx)!r}.")
    return cy, cx


def _radii(n_radii, r_min, r_max, limit):
    r_min = check_scalar("r_min", r_min, Interval(Real, 0, None), finite=True)
    r_max = check_scalar("r_max", r_max, Interval(Real, 0, None), allow_none=True)
    if r_max is None:
        r_max = limit
    elif r_max > limit + 1e-9:
        raise ValueError(
            f"`r_max` must be at most {limit:.6g}, the distance from the centre to "
            f"the nearest edge of the pattern; got {r_max:.6g}. Lower it, or "
            "leave it None."
        )
    if r_min > r_max or (r_min == r_max and n_radii > 1):
        raise ValueError(
            f"`r_min` must be below `r_max` ({r_max:.6g}); got {r_min:.6g}."
        )
    return np.linspace(r_min, min(r_max, limit), n_radii)


def _bilinear(rows, cols, height, width):
    r0 = np.clip(np.floor(rows), 0, max(height - 2, 0)).astype(np.intp)
    c0 = np.clip(np.floor(cols), 0, max(width - 2, 0)).astype(np.intp)
    r1, c1 = np.minimum(r0 + 1, height - 1), np.minimum(c0 + 1, width - 1)
    fr, fc = rows - r0, cols - c0
    indices = np.stack(
        [r0 * width + c0, r0 * width + c1, r1 * width + c0, r1 * width + c1], axis=1
    )
    weights = np.stack(
        [(1 - fr) * (1 - fc), (1 - fr) * fc, fr * (1 - fc), fr * fc], axis=1
    )
    return indices, weights


def _apply_mask(mask, shape, indices, weights):
    mask = np.asarray(mask)
    if mask.shape != shape:
        raise ValueError(
            f"`mask` must have the pattern shape {shape}; got shape {mask.shape}."
        )
    good = ~mask.astype(bool).ravel()[indices]
    weights = np.where(good, weights, 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    valid = totals[:, 0] > 0
    weights = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
    return weights, valid


def friedel_center(
    pattern: ArrayLike, mask: ArrayLike | None = None
) -> tuple[float, float]:
    """Return the centre of inversion symmetry ``I(c + d) = I(c - d)`` of a pattern.

    Far-field diffraction patterns obey Friedel's law, so their centre is the
    point about which the pattern best matches itself rotated by 180 degrees.
    The match for a candidate centre ``c = s / 2`` is the correlation
    ``M(s) = sum_p J(p) J(s - p)`` over the good pixels that overlap, with
    ``J`` the pattern minus its mean, computed for all ``s`` at once by FFT;
    candidates whose overlap holds under a quarter of the good pixels are
    skipped. The largest ``M`` gives a first ``s``; within 3 steps of it, the
    normalised match ``M(s) / sum_p J(p)**2`` (the sum over the same overlap)
    is maximised and refined to a fraction of a step by a parabola through
    the peak and its neighbours along each axis.

    Parameters
    ----------
    pattern : array-like of shape (h, w)
        One pattern (or the mean of several taken with the same geometry).
    mask : array-like of bool of shape (h, w), default=None
        True marks bad pixels, which are left out of the match.

    Returns
    -------
    center : (float, float)
        ``(row, col)`` in pixel index units.

    Raises
    ------
    ValueError
        If ``pattern`` is not a finite 2D array or ``mask`` does not match it.

    Examples
    --------
    >>> rows, cols = np.mgrid[:40, :50]
    >>> blob = lambda r, c: np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / 8)
    >>> pattern = blob(14, 20) + blob(26, 30) + 0.5 * blob(10, 35) + 0.5 * blob(30, 15)
    >>> [round(v, 2) for v in friedel_center(pattern)]
    [20.0, 25.0]
    """
    image = check_array(pattern, dtype=np.float64, input_name="pattern")
    good = np.ones(image.shape, dtype=bool)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != image.shape:
            raise ValueError(
                f"`mask` must have the pattern shape {image.shape}; got {mask.shape}."
            )
        good = ~mask
    centred = np.where(good, image - image[good].mean(), 0.0)
    size = [sp_fft.next_fast_len(2 * n - 1) for n in image.shape]
    crop = tuple(slice(0, 2 * n - 1) for n in image.shape)

    def auto_convolve(a, b):
        spectrum = sp_fft.rfft2(a, size) * sp_fft.rfft2(b, size)
        return sp_fft.irfft2(spectrum, size)[crop]

    match = auto_convolve(centred, centred)
    energy = auto_convolve(centred**2, good.astype(float))
    overlap = auto_convolve(good.astype(float), good.astype(float))
    usable = (overlap >= 0.25 * good.sum()) & (energy > 1e-12 * energy.max())
    # Coarse: the largest raw match. Normalising it would let a featureless
    # background (symmetric about any point) win; near the peak it is safe.
    coarse = np.unravel_index(
        int(np.argmax(np.where(usable, match, -np.inf))), match.shape
    )
    ncc = np.where(usable, match / np.where(usable, energy, 1.0), -np.inf)
    window = tuple(slice(max(k - 3, 0), k + 4) for k in coarse)
    local = np.unravel_index(int(np.argmax(ncc[window])), ncc[window].shape)
    peak = tuple(int(k + w.start) for k, w in zip(local, window, strict=True))
    return (_refine(ncc, peak, axis=0) / 2.0, _refine(ncc, peak, axis=1) / 2.0)


def _refine(score, peak, axis):
    k = peak[axis]
    if k == 0 or k == score.shape[axis] - 1:
        return float(k)
    step = np.eye(2, dtype=int)[axis]
    left = score[tuple(np.subtract(peak, step))]
    right = score[tuple(np.add(peak, step))]
    middle = score[peak]
    curvature = left - 2 * middle + right
    if not (np.isfinite(left) and np.isfinite(right)) or curvature >= 0:
        return float(k)
    return float(k + 0.5 * (left - right) / curvature)


class _PatternImager(BaseImager):
    """Batching and checks shared by the transformers of (n, h, w) samples.

    Subclasses set ``sample_shape_`` (the ``(h, w)`` seen in fit) in ``fit``
    and implement ``_out_shape`` and ``_write`` as for :class:`BaseImager`.
    """

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Transform every sample of ``X`` into one new array.

        Parameters
        ----------
        X : array-like of shape (n_samples, h, w) or (n_samples, h, w, 1)
            Samples of the ``(h, w)`` seen in ``fit``.

        Returns
        -------
        images : ndarray of shape (n_samples, n_radii, n_columns[, 1])
            dtype ``dtype``; a trailing axis of size 1 in ``X`` is kept.
        """
        return super().transform(X)

    def iter_transform(
        self,
        X: ArrayLike,
        batch_size: int | None = None,
        out: np.ndarray | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Transform ``X`` chunk by chunk into one reused buffer (bounded memory).

        Parameters
        ----------
        X : array-like of shape (n_samples, h, w) or (n_samples, h, w, 1)
            Samples of the ``(h, w)`` seen in ``fit``.
        batch_size : int, default=None
            Samples per chunk; defaults to ``len(out)`` when ``out`` is given,
            else to the ``batch_size`` parameter.
        out : ndarray of shape (k, n_radii, n_columns[, 1]), default=None
            Buffer to write into (dtype ``dtype``, C-contiguous).

        Yields
        ------
        start : int
            Index in ``X`` of the chunk's first sample.
        images : ndarray of shape (m, n_radii, n_columns[, 1])
            A view of the buffer, overwritten by the next chunk: copy it
            to keep it.
        """
        return super().iter_transform(X, batch_size=batch_size, out=out)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags

    def _validate(self, X):
        check_is_fitted(self)
        check_params(self)
        X = check_patterns(X)
        if X.shape[1:3] != self.sample_shape_:
            raise ValueError(
                f"`X` must hold samples of shape {self.sample_shape_} as seen in "
                f"fit; got samples of shape {X.shape[1:3]}."
            )
        return X


class PolarTransform(_PatternImager):
    """Resample 2D patterns onto a polar grid ``(radius, angle)`` about their centre.

    Sample ``(i, j)`` of the output is the pattern interpolated at radius
    ``radii_[i]`` (evenly spaced from ``r_min`` to ``r_max``) and angle
    ``angles_[j] = 2 pi j / n_angles``, i.e. at ``(row, col) = (cy + r sin(phi),
    cx + r cos(phi))``: the angle starts on the ``+col`` axis and turns towards
    ``+row`` (clockwise on screen when row 0 is drawn at the top). One sparse
    gather table is built in ``fit`` and applied to every pattern.

    Parameters
    ----------
    n_radii : int, default=64
        Number of radii (output rows).
    n_angles : int, default=180
        Number of angles (output columns), at least 2.
    center : None, "auto" or (float, float), default=None
        ``(row, col)`` of the centre, used as given (it must lie inside the
        pattern); None takes the geometric centre ``((h - 1) / 2, (w - 1) / 2)``;
        "auto" finds it in ``fit`` by :func:`friedel_center` on the mean
        training pattern (one centre for the whole data set: the beam centre
        is a property of the set-up).
    r_min : float, default=0.0
        Smallest radius, in pixels.
    r_max : float, default=None
        Largest radius, at most the distance from the centre to the nearest
        edge; None takes that distance.
    interpolation : {"bilinear", "nearest"}, default="bilinear"
        How a sample between pixels is read.
    mask : array-like of bool of shape (h, w), default=None
        True marks bad pixels (as in ``numpy.ma``): samples use only the good
        pixels around them (renormalised weights), and a sample with none
        takes ``fill_value``.
    fill_value : float, default=0.0
        Value of samples whose pixels are all masked.
    batch_size : int, default=256
        Patterns resampled at a time by ``transform``.
    dtype : {"float32", "float64"}, default="float32"
        Output dtype (computed in float64).

    Attributes
    ----------
    center_ : (float, float)
        The centre used, ``(row, col)``.
    radii_ : ndarray of shape (n_radii,)
        Radii of the output rows, in pixels.
    angles_ : ndarray of shape (n_angles,)
        Angles of the output columns, in radians.
    valid_ : ndarray of bool of shape (n_radii, n_angles)
        False where a sample has no good pixel (and holds ``fill_value``).
    sample_shape_ : (int, int)
        Height and width of the patterns seen in ``fit``.

    See Also
    --------
    CrossCorrelationMap : Angular cross-correlation of the polar images.
    specauth.models.layers.PolarResample : The same resampling in a network.

    Notes
    -----
    Input ``(n, h, w)`` gives ``(n, n_radii, n_angles)``; input
    ``(n, h, w, 1)`` gives ``(n, n_radii, n_angles, 1)``.

    Examples
    --------
    >>> rows, cols = np.mgrid[:9, :9]
    >>> X = np.hypot(rows - 4.0, cols - 4.0)[None]  # I = r about (4, 4)
    >>> polar = PolarTransform(n_radii=5, n_angles=8).fit(X)
    >>> polar.radii_.tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0]
    >>> images = polar.transform(X)
    >>> images.shape
    (1, 5, 8)
    >>> images[0, :, 0].tolist()  # along +col: I = r exactly
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """

    _parameter_constraints = {
        "n_radii": [Interval(Integral, 1, None, closed="left")],
        "n_angles": [Interval(Integral, 2, None, closed="left")],
        "center": [None, Options(str, {"auto"}), tuple, list, np.ndarray],
        "r_min": [Interval(Real, 0, None, closed="left", finite=True)],
        "r_max": [Interval(Real, 0, None, closed="neither", finite=True), None],
        "interpolation": [Options(str, set(_INTERPOLATIONS))],
        "mask": [None, "array-like"],
        "fill_value": [Interval(Real, None, None, finite=True)],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "dtype": [Options(str, {"float32", "float64"})],
    }

    def __init__(
        self,
        n_radii: int = 64,
        *,
        n_angles: int = 180,
        center: str | Sequence[float] | None = None,
        r_min: float = 0.0,
        r_max: float | None = None,
        interpolation: str = "bilinear",
        mask: ArrayLike | None = None,
        fill_value: float = 0.0,
        batch_size: int = 256,
        dtype: str = "float32",
    ) -> None:
        self.n_radii = n_radii
        self.n_angles = n_angles
        self.center = center
        self.r_min = r_min
        self.r_max = r_max
        self.interpolation = interpolation
        self.mask = mask
        self.fill_value = fill_value
        self.batch_size = batch_size
        self.dtype = dtype

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> PolarTransform:
        """Find the centre (``center="auto"``) and build the sampling table.

        Parameters
        ----------
        X : array-like of shape (n_samples, h, w) or (n_samples, h, w, 1)
            Patterns.
        y : None
            Ignored; present for pipeline compatibility.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        check_params(self)
        X = check_patterns(X)
        self.sample_shape_ = X.shape[1:3]
        center = self.center
        if isinstance(center, str):
            center = friedel_center(X.mean(axis=0).reshape(X.shape[1:3]), self.mask)
        indices, weights, valid, self.radii_, self.angles_ = polar_sampling(
            self.sample_shape_,
            n_radii=self.n_radii,
            n_angles=self.n_angles,
            center=center,
            r_min=self.r_min,
            r_max=self.r_max,
            interpolation=self.interpolation,
            mask=self.mask,
        )
        self.center_ = _check_center(center, *self.sample_shape_)
        self.valid_ = valid.reshape(self.n_radii, self.n_angles)
        rows = np.repeat(np.arange(len(indices)), indices.shape[1])
        self._table = sparse.csr_matrix(
            (weights.ravel(), (rows, indices.ravel())),
            shape=(len(indices), int(np.prod(self.sample_shape_))),
        )
        return self

    def _out_shape(self, X):
        return (len(X), self.n_radii, self.n_angles) + X.shape[3:]

    def _write(self, X, out):
        flat = X.reshape(len(X), -1)
        images = np.asarray(self._table @ flat.T).T
        images[:, ~self.valid_.ravel()] = self.fill_value
        out[...] = images.reshape(out.shape)


def check_patterns(X: ArrayLike, name: str = "X") -> np.ndarray:
    """Return ``X`` as a finite float array of shape (n, h, w) or (n, h, w, 1).

    Parameters
    ----------
    X : array-like
        Patterns (or polar images).
    name : str, default="X"
        Argument name used in the messages.

    Returns
    -------
    X : ndarray
        float64 or float32 (other dtypes become float64).

    Raises
    ------
    ValueError
        If ``X`` has another shape, no sample or non-finite values.

    Examples
    --------
    >>> check_patterns(np.zeros((2, 3, 4, 1))).shape
    (2, 3, 4, 1)
    """
    arr = check_array(X, dtype=FLOATS, allow_nd=True, ensure_2d=False, input_name=name)
    if arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[3] != 1):
        raise ValueError(
            f"`{name}` must be an array of shape (n_samples, height, width) or "
            f"(n_samples, height, width, 1); got shape {arr.shape}."
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1 or arr.shape[2] < 1:
        raise ValueError(
            f"`{name}` must hold at least one sample; got shape {arr.shape}."
        )
    return arr
