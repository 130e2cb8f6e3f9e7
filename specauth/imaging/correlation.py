"""Two-point angular cross-correlation maps C(q, dphi) of diffraction patterns."""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING

import numpy as np
from scipy import fft as sp_fft
from sklearn.base import clone

from specauth._validation import (
    Interval,
    Options,
    check_choice,
    check_params,
)
from specauth.imaging.polar import PolarTransform, _PatternImager, check_patterns

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["CrossCorrelationMap", "angular_correlation"]

_NORMALIZE = ("mean", "zero_lag")


def angular_correlation(
    polar: ArrayLike, *, normalize: str | None = None, half: bool = False
) -> np.ndarray:
    """Return ``C(q, dphi) = <I(q, phi) I(q, phi + dphi)>_phi`` along the last axis.

    The mean runs over the ``n_angles`` angles of each ring, circularly; it is
    computed by FFT (Wiener-Khinchin):
    ``C = irfft(|rfft(I)|**2) / n_angles``. Lag ``k`` is
    ``dphi = 2 pi k / n_angles``.

    Parameters
    ----------
    polar : array-like of shape (..., n_angles)
        Polar images (or single rings), angles along the last axis.
    normalize : {None, "mean", "zero_lag"}, default=None
        None: ``C`` as above. "mean": ``(C - <I>**2) / <I>**2`` with ``<I>``
        the ring mean (the normalisation of the fluctuation-scattering
        literature; 0 on rings whose mean is 0). "zero_lag": ``C / C(q, 0)``
        (0 on rings that are all 0).
    half : bool, default=False
        Keep only the lags ``0 <= dphi <= pi`` (``n_angles // 2 + 1`` of
        them): ``C`` is symmetric, ``C(q, dphi) = C(q, 2 pi - dphi)``.

    Returns
    -------
    correlation : ndarray of shape (..., n_lags)
        float64, ``n_lags = n_angles`` (or ``n_angles // 2 + 1`` with ``half``).

    Examples
    --------
    >>> ring = np.array([[1.0, 0.0, 0.0, 0.0]])
    >>> angular_correlation(ring)
    array([[0.25, 0.  , 0.  , 0.  ]])
    >>> angular_correlation(np.array([1.0, 2.0, 1.0, 2.0]), normalize="mean")
    array([ 0.11111111, -0.11111111,  0.11111111, -0.11111111])
    """
    normalize = check_choice("normalize", normalize, _NORMALIZE, allow_none=True)
    rings = np.asarray(polar, dtype=np.float64)
    n_angles = rings.shape[-1]
    mean = rings.mean(axis=-1, keepdims=True)
    if normalize == "mean":
        # Correlate the fluctuations: (C - <I>^2) without the cancellation.
        rings = rings - mean
    spectrum = sp_fft.rfft(rings, axis=-1)
    power = spectrum.real**2 + spectrum.imag**2
    corr = sp_fft.irfft(power, n=n_angles, axis=-1) / n_angles
    if normalize is not None:
        scale = mean**2 if normalize == "mean" else corr[..., :1]
        corr = np.divide(
            corr,
            scale,
            out=np.zeros_like(corr),
            where=np.broadcast_to(scale > 0, corr.shape),
        )
    return corr[..., : n_angles // 2 + 1] if half else corr


class CrossCorrelationMap(_PatternImager):
    """Angular cross-correlation map ``C(q, dphi)`` of each pattern.

    ``C(q, dphi) = <I(q, phi) I(q, phi + dphi)>_phi`` on every ring ``q`` of
    the polar image (:func:`angular_correlation`): it keeps the angular
    structure of the speckles but not their orientation, and averages the
    noise over each ring, so networks fed ``C`` instead of the intensities
    are more robust to noise (Zimmermann et al., 2019).

    Parameters
    ----------
    polar : PolarTransform, default=None
        Resampling applied first: the input is then raw patterns
        ``(n, h, w)``; it is cloned in ``fit`` (its ``dtype`` set to float64).
        None: the input is polar images ``(n, n_radii, n_angles)``, angles
        along the last axis.
    normalize : {None, "mean", "zero_lag"}, default="mean"
        None: raw ``C``; "mean": ``(C - <I>_phi**2) / <I>_phi**2``;
        "zero_lag": ``C / C(q, 0)``. Rings with a zero denominator give 0.
    half : bool, default=False
        Keep only the lags ``0 <= dphi <= pi``; ``C`` is symmetric in ``dphi``.
    batch_size : int, default=256
        Patterns processed at a time by ``transform``.
    dtype : {"float32", "float64"}, default="float32"
        Output dtype (computed in float64).

    Attributes
    ----------
    polar_ : PolarTransform or None
        The fitted clone of ``polar``.
    sample_shape_ : (int, int)
        Height and width of the samples seen in ``fit`` (patterns, or polar
        images when ``polar`` is None).
    lags_ : ndarray of shape (n_lags,)
        ``dphi`` of the output columns, in radians (``2 pi k / n_angles``).

    See Also
    --------
    PolarTransform : The polar resampling.
    specauth.models.layers.AngularCrossCorrelation : The same map in a network.

    Notes
    -----
    The output is ``(n, n_radii, n_lags)``, or ``(n, n_radii, n_lags, 1)``
    for an input with a trailing axis of size 1. Samples that
    :class:`PolarTransform` fills (all their pixels masked) enter ``C`` with
    ``fill_value``: choose ``r_min`` beyond the beamstop.

    References
    ----------
    J. Zimmermann et al., "Deep neural networks for classifying complex
    features in diffraction images", Phys. Rev. E 99, 063309 (2019).

    Examples
    --------
    >>> polar = np.array([[[1.0, 2.0, 1.0, 2.0], [3.0, 3.0, 3.0, 3.0]]])
    >>> CrossCorrelationMap().fit_transform(polar)[0].round(4)
    array([[ 0.1111, -0.1111,  0.1111, -0.1111],
           [ 0.    ,  0.    ,  0.    ,  0.    ]], dtype=float32)
    """

    _parameter_constraints = {
        "polar": [None, PolarTransform],
        "normalize": [None, Options(str, set(_NORMALIZE))],
        "half": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "dtype": [Options(str, {"float32", "float64"})],
    }

    def __init__(
        self,
        polar: PolarTransform | None = None,
        *,
        normalize: str | None = "mean",
        half: bool = False,
        batch_size: int = 256,
        dtype: str = "float32",
    ) -> None:
        self.polar = polar
        self.normalize = normalize
        self.half = half
        self.batch_size = batch_size
        self.dtype = dtype

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> CrossCorrelationMap:
        """Fit the polar resampling (if any) and record the input shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, h, w) or (n_samples, h, w, 1)
            Patterns, or polar images when ``polar`` is None.
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
        self.polar_ = None
        n_angles = X.shape[2]
        if self.polar is not None:
            self.polar_ = clone(self.polar).set_params(dtype="float64").fit(X)
            n_angles = self.polar_.n_angles
        n_lags = n_angles // 2 + 1 if self.half else n_angles
        self.lags_ = 2.0 * np.pi * np.arange(n_lags) / n_angles
        return self

    def _out_shape(self, X):
        n_radii = X.shape[1] if self.polar_ is None else self.polar_.n_radii
        return (len(X), n_radii, len(self.lags_)) + X.shape[3:]

    def _write(self, X, out):
        polar = X if self.polar_ is None else self.polar_.transform(X)
        if polar.ndim == 4:
            polar = polar[..., 0]
        corr = angular_correlation(polar, normalize=self.normalize, half=self.half)
        out[...] = corr.reshape(out.shape)
