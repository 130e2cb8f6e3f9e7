"""Physically plausible random perturbations of spectra, in numpy.

The numpy counterpart of :class:`specauth.models.layers.SpectrumAugmentation`
(same transforms, same parameters), used by
:class:`specauth.preprocessing.AugmentingOverSampler` to make new spectra of
a minority class, and the presets that both take.
"""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np

from specauth._validation import (
    Interval,
    check_choice,
    check_random_state_value,
    check_scalar,
    check_spectra,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["augmentation_preset", "perturb_spectra", "shift_spectra"]

#: Strength of each transform per preset (see :func:`augmentation_preset`).
_PRESETS: dict[str, dict[str, float | None]] = {
    "spectra": {
        "shift": 1.0,
        "scale": 0.05,
        "offset": 0.05,
        "slope": 0.05,
        "noise": 0.01,
        "poisson": None,
    },
    "counts": {
        "shift": 1.0,
        "scale": 0.1,
        "offset": 0.0,
        "slope": 0.0,
        "noise": 0.0,
        "poisson": 1.0,
    },
    "nir": {
        "shift": 0.5,
        "scale": 0.05,
        "offset": 0.1,
        "slope": 0.1,
        "noise": 0.005,
        "poisson": None,
    },
}
_PRESETS["absorbance"] = _PRESETS["nir"]

#: Names of the presets, in the order error messages list them.
_PRESET_NAMES = ("spectra", "counts", "nir", "absorbance")

_NON_NEGATIVE = Interval(Real, 0, None, closed="left", finite=True)
_SCALE = Interval(Real, 0, 1, closed="left")
_POSITIVE = Interval(Real, 0, None, closed="neither", finite=True)


def augmentation_preset(name: str) -> dict[str, float | None]:
    """Return the strengths of a named augmentation preset.

    The strengths are the keyword arguments of
    :class:`~specauth.models.layers.SpectrumAugmentation`,
    :func:`perturb_spectra` and :class:`AugmentingOverSampler` (which takes
    the name as ``preset``). Additive strengths are in units of each
    spectrum's standard deviation along its axis; ``shift`` is in points.

    ``"spectra"``
        Any spectra (the defaults of the layer): a shift of up to 1 point
        (calibration drift), an intensity factor in ``[0.95, 1.05]``
        (source intensity, acquisition time), offset and slope of standard
        deviation 0.05 (baseline drift), Gaussian noise of 0.01.
    ``"counts"``
        Gamma-ray and X-ray diffraction counts: a shift of up to 1 point
        (energy calibration, sample displacement), an intensity factor in
        ``[0.9, 1.1]`` (live time, activity, sample volume) and Poisson
        counting noise with ``poisson=1.0``, i.e. for inputs in raw counts
        (pass ``poisson`` = counts per unit of the input otherwise). No
        baseline terms: a background of counts is not a free offset, and
        counting noise is the noise of such data.
    ``"nir"`` or ``"absorbance"``
        Absorbance spectra (NIR, IR, UV-Vis): an intensity factor in
        ``[0.95, 1.05]`` and offset and slope of standard deviation 0.1
        (scatter and path length, the effects that MSC and SNV remove), a
        shift of up to 0.5 point (wavelength calibration) and small Gaussian
        noise (0.005): detectors of such spectra are not counting-limited.

    Parameters
    ----------
    name : {"spectra", "counts", "nir", "absorbance"}
        The preset.

    Returns
    -------
    strengths : dict
        ``shift``, ``scale``, ``offset``, ``slope``, ``noise`` and
        ``poisson``; a new dict, free to modify.

    Raises
    ------
    ValueError
        If ``name`` is not a preset.

    See Also
    --------
    perturb_spectra : Apply the perturbations in numpy.
    specauth.models.layers.SpectrumAugmentation : The same, as a Keras layer.

    Examples
    --------
    >>> augmentation_preset("counts")["poisson"]
    1.0
    """
    return dict(_PRESETS[check_choice("name", name, _PRESET_NAMES)])


def _check_strengths(**strengths: Any) -> dict[str, float | None]:
    """Return the transform strengths as floats after checking their ranges.

    Shared by :func:`perturb_spectra` and :class:`AugmentingOverSampler`.
    """
    out: dict[str, float | None] = {}
    for name, value in strengths.items():
        if name == "poisson":
            out[name] = None if value is None else check_scalar(name, value, _POSITIVE)
        else:
            interval = _SCALE if name == "scale" else _NON_NEGATIVE
            out[name] = float(check_scalar(name, value, interval))
    return out


def shift_spectra(X: ArrayLike, shifts: ArrayLike) -> np.ndarray:
    """Shift each spectrum along its axis by a real number of points.

    ``out[i, j] = X[i, j - shifts[i]]``, by linear interpolation between
    the two nearest points; positions before the first point take the first
    value and positions after the last point take the last value (edge
    padding). A positive shift moves features to higher indices.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_points) or (n_samples, n_points, \
n_channels)
        Spectra; the channels of a spectrum move together.
    shifts : array-like of shape (n_samples,)
        Shift of each spectrum, in points.

    Returns
    -------
    shifted : ndarray of the shape of ``X``
        A new array, float64 unless ``X`` is float32.

    Examples
    --------
    >>> shift_spectra([[1.0, 2.0, 3.0, 4.0, 5.0]], [2.0])
    array([[1., 1., 1., 2., 3.]])
    >>> shift_spectra([[1.0, 2.0, 3.0, 4.0, 5.0]], [-0.5])
    array([[1.5, 2.5, 3.5, 4.5, 5. ]])
    """
    X = check_spectra(X, ndim=(2, 3), dtype=None)
    shifts = np.asarray(shifts, dtype=np.float64)
    if shifts.shape != (X.shape[0],):
        raise ValueError(
            f"`shifts` must have one value per spectrum, shape ({X.shape[0]},); "
            f"got shape {shifts.shape}."
        )
    length = X.shape[1]
    positions = np.clip(np.arange(length) - shifts[:, None], 0, length - 1)
    left = np.floor(positions).astype(np.intp)
    right = np.minimum(left + 1, length - 1)
    weight = positions - left
    rows = np.arange(X.shape[0])[:, None]
    if X.ndim == 3:
        weight = weight[:, :, None]
    out = (1.0 - weight) * X[rows, left] + weight * X[rows, right]
    return out.astype(X.dtype, copy=False)


def perturb_spectra(
    X: ArrayLike,
    *,
    shift: float = 1.0,
    scale: float = 0.05,
    offset: float = 0.05,
    slope: float = 0.05,
    noise: float = 0.01,
    poisson: float | None = None,
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
) -> np.ndarray:
    """Apply random shift, scaling, baseline drift and noise to each spectrum.

    The numpy counterpart of
    :class:`~specauth.models.layers.SpectrumAugmentation`, with the same
    parameters and defaults (the ``"spectra"`` preset). Each spectrum draws
    its own values; in this order:

    1. a shift by ``s ~ U(-shift, shift)`` points (:func:`shift_spectra`:
       linear interpolation, edge padding);
    2. multiplication by a factor ``f ~ U(1 - scale, 1 + scale)``;
    3. addition of a baseline ``(a + b * t) * sd``, with
       ``a ~ N(0, offset**2)``, ``b ~ N(0, slope**2)``, ``t`` the position
       along the axis mapped linearly onto ``[-1, 1]`` and ``sd`` the
       standard deviation of the input spectrum along its axis (per
       channel), so that the strengths do not depend on the units;
    4. addition of Gaussian noise of standard deviation ``noise * sd``,
       independent at each point;
    5. with ``poisson`` given, Poisson resampling for counts:
       ``Poisson(poisson * max(x, 0)) / poisson``, with mean ``max(x, 0)``
       and variance ``max(x, 0) / poisson`` (the Keras layer uses the
       Gaussian approximation of this). ``poisson`` is the number of counts
       per unit of the input (1.0 for raw counts).

    A strength of 0 (``None`` for ``poisson``) turns its transform off.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_points) or (n_samples, n_points, \
n_channels)
        Spectra.
    shift : float, default=1.0
        Largest shift, in points, >= 0.
    scale : float, default=0.05
        Largest relative change of intensity, in [0, 1).
    offset : float, default=0.05
        Standard deviation of the offset ``a``, >= 0.
    slope : float, default=0.05
        Standard deviation of the slope ``b``, >= 0 (the baseline changes by
        ``2 * b * sd`` from one end of the spectrum to the other).
    noise : float, default=0.01
        Standard deviation of the Gaussian noise relative to each spectrum's
        standard deviation, >= 0.
    poisson : float or None, default=None
        Counts per unit of the input for Poisson resampling, > 0; None for
        none.
    random_state : int, numpy Generator or RandomState, or None, default=None
        Source of the random draws.

    Returns
    -------
    perturbed : ndarray of the shape of ``X``
        New spectra; ``X`` is not modified. Float32 input stays float32,
        other input becomes float64.

    Raises
    ------
    TypeError, ValueError
        If a strength is of the wrong type or out of range.

    See Also
    --------
    augmentation_preset : Strengths for kinds of spectra.

    Examples
    --------
    >>> X = np.tile(np.sin(np.linspace(0, 6, 50)), (3, 1))
    >>> out = perturb_spectra(X, **augmentation_preset("nir"), random_state=0)
    >>> out.shape, bool(np.allclose(out, X))
    ((3, 50), False)
    """
    strengths = _check_strengths(
        shift=shift,
        scale=scale,
        offset=offset,
        slope=slope,
        noise=noise,
        poisson=poisson,
    )
    rng = _generator(random_state)
    X = check_spectra(X, ndim=(2, 3), dtype=None)
    x = X if X.ndim == 3 else X[:, :, None]
    out = _perturb(x, rng, **strengths)
    return out.reshape(X.shape).astype(X.dtype, copy=False)


def _generator(random_state):
    value = check_random_state_value("random_state", random_state)
    if isinstance(value, (np.random.Generator, np.random.RandomState)):
        return value
    return np.random.default_rng(value)


def _perturb(x, rng, *, shift, scale, offset, slope, noise, poisson):
    """The five steps of :func:`perturb_spectra` on ``(n, length, channels)``."""
    n, length, _ = x.shape
    sd = x.std(axis=1, keepdims=True, dtype=np.float64)
    out = x.astype(np.float64)
    if shift > 0:
        out = shift_spectra(out, rng.uniform(-shift, shift, size=n))
    if scale > 0:
        out = out * rng.uniform(1.0 - scale, 1.0 + scale, size=(n, 1, 1))
    if offset > 0 or slope > 0:
        t = np.linspace(-1.0, 1.0, length)[None, :, None]
        a = rng.normal(0.0, 1.0, size=(n, 1, 1)) * offset
        b = rng.normal(0.0, 1.0, size=(n, 1, 1)) * slope
        out = out + (a + b * t) * sd
    if noise > 0:
        out = out + rng.normal(0.0, 1.0, size=out.shape) * (noise * sd)
    if poisson is not None:
        out = rng.poisson(poisson * np.maximum(out, 0.0)) / poisson
    return out
