"""Synthetic peak spectra with known ground truth (diffraction / gamma-like).

Each class is a set of pseudo-Voigt peaks at known positions; every sample
jitters the peaks' positions, widths and heights, sits on a random sloping
background and carries Poisson counting noise. Classes can share peaks, so
that the few peaks that tell two classes apart are known exactly -- which is
what tests of explanation methods need.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch

from specauth._validation import (
    Interval,
    check_pair,
    check_random_state_value,
    check_scalar,
)

__all__ = ["make_spectra"]

_HEIGHTS = (0.2, 1.0)  # range of the relative peak heights
_BACKGROUND_LEVEL = (0.02, 0.1)  # range of the background level at channel 0
_POSITIVE = Interval(Real, 0, None, closed="neither")
_NON_NEGATIVE = Interval(Real, 0, None)


def _int(name, value, minimum):
    return check_scalar(name, value, Interval(Integral, minimum, None))


def _pseudo_voigt(x, center, fwhm, eta=0.5):
    """Pseudo-Voigt profile of unit height: ``eta * L + (1 - eta) * G``.

    The Lorentzian ``L`` and the Gaussian ``G`` share the full width at half
    maximum ``fwhm``, so the profile is 1 at ``center`` and 0.5 at
    ``center +- fwhm / 2`` whatever ``eta``.

    Parameters
    ----------
    x : array-like
        Positions.
    center, fwhm : float or array-like
        Peak centre and full width at half maximum (broadcast against ``x``).
    eta : float, default=0.5
        Lorentzian fraction, in [0, 1].

    Returns
    -------
    profile : ndarray
        The profile at ``x``.

    Examples
    --------
    >>> _pseudo_voigt([10.0, 12.0, 14.0], center=10.0, fwhm=4.0).round(3)
    array([1.   , 0.5  , 0.131])
    """
    z = (np.asarray(x, dtype=float) - center) / fwhm
    z2 = 4.0 * z * z
    return eta / (1.0 + z2) + (1.0 - eta) * np.exp(-np.log(2.0) * z2)


def _generator(random_state):
    random_state = check_random_state_value("random_state", random_state, high=None)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    return np.random.default_rng(random_state)


def _draw_layout(rng, n_total, n_peaks, shared, fwhm, length):
    """Peak tables (center, fwhm, height) per class and their specific masks.

    Centres sit in distinct slots one maximum FWHM apart, so no two peaks of
    the whole data set coincide. Classes are drawn one after the other, so
    adding unknown classes leaves the known ones unchanged.
    """
    step = fwhm[1]
    slots = np.arange(step, length - 1 - step + 1e-9, step)
    free = np.ones(slots.size, dtype=bool)

    def take(count, what):
        if count > free.sum():
            raise ValueError(
                f"`length`={length} leaves room for {slots.size} separated peaks "
                f"of FWHM up to {fwhm[1]:g}, too few for {what}; use a larger "
                "`length`, fewer `n_peaks`/`shared_peaks`/classes or a "
                "narrower `fwhm`."
            )
        chosen = rng.choice(np.flatnonzero(free), size=count, replace=False)
        free[chosen] = False
        centers = slots[chosen] + rng.uniform(-step / 4, step / 4, size=count)
        widths = rng.uniform(fwhm[0], fwhm[1], size=count)
        heights = rng.uniform(*_HEIGHTS, size=count)
        return np.column_stack([centers, widths, heights])

    common = take(shared, f"{shared} shared peaks")
    tables, masks = [], []
    for index in range(n_total):
        count = int(rng.integers(n_peaks[0], n_peaks[1] + 1))
        own = take(count, f"class {index} as well")
        table = np.vstack([common, own])
        order = np.argsort(table[:, 0])
        tables.append(table[order])
        masks.append(np.r_[np.zeros(shared, bool), np.ones(count, bool)][order])
    return tables, masks


def _background(rng, n, x):
    """Random sloping backgrounds: exponential decay plus a linear ramp."""
    t = x / max(x[-1], 1.0)
    level = rng.uniform(*_BACKGROUND_LEVEL, size=(n, 1))
    mix = rng.uniform(0.0, 1.0, size=(n, 1))
    decay = rng.uniform(0.1, 0.5, size=(n, 1))
    return level * (mix * np.exp(-t / decay) + (1.0 - mix) * (1.0 - 0.5 * t))


def _peak_sum(x, c, w, h, eta):
    """Sum of pseudo-Voigt peaks, rows of ``c``, ``w``, ``h`` per spectrum.

    Same values as summing :func:`_pseudo_voigt`, computed in float32 in place.
    """
    x = x.astype(np.float32)
    c, w, h = (a.astype(np.float32) for a in (c, w, h))
    total = np.zeros((c.shape[0], x.size), dtype=np.float32)
    lorentz = np.empty_like(total)
    z2 = np.empty_like(total)
    for j in range(c.shape[1]):
        np.subtract(x, c[:, j, None], out=z2)
        z2 /= w[:, j, None]
        z2 *= z2
        z2 *= 4.0
        np.add(z2, 1.0, out=lorentz)
        np.reciprocal(lorentz, out=lorentz)
        lorentz *= eta * h[:, j, None]
        total += lorentz
        z2 *= -np.log(2.0)
        np.exp(z2, out=z2)
        z2 *= (1.0 - eta) * h[:, j, None]
        total += z2
    return total


def _draw_samples(rng, table, n, x, settings):
    """``n`` noisy spectra of the class whose peaks are ``table``."""
    shift, width_jitter, intensity_jitter, eta, background, counts = settings
    centers, widths, heights = (table[:, i] for i in range(3))
    k = table.shape[0]
    c = centers + rng.normal(0.0, shift, size=(n, k)) * widths
    w = widths * np.exp(rng.normal(0.0, width_jitter, size=(n, k)))
    h = heights * np.exp(rng.normal(0.0, intensity_jitter, size=(n, k)))
    spectra = _peak_sum(x, c, w, h, eta)
    if background:
        spectra += _background(rng, n, x).astype(np.float32)
    if counts is not None:
        spectra *= counts / spectra.sum(axis=1, keepdims=True, dtype=np.float64)
        spectra = rng.poisson(spectra).astype(np.float32)
    return spectra


def make_spectra(
    n_classes: int = 5,
    n_samples_per_class: int = 50,
    length: int = 1024,
    *,
    n_unknown_classes: int = 0,
    n_peaks: int | tuple[int, int] = (3, 8),
    shared_peaks: int = 0,
    fwhm: float | tuple[float, float] | None = None,
    eta: float = 0.5,
    peak_shift: float = 0.25,
    width_jitter: float = 0.1,
    intensity_jitter: float = 0.2,
    background: bool = True,
    counts: float | None = 1e4,
    shuffle: bool = True,
    random_state: int | np.random.Generator | np.random.RandomState | None = None,
) -> Bunch:
    """Generate labelled synthetic peak spectra, with held-out unknown classes.

    Every class is a set of pseudo-Voigt peaks (``eta * Lorentzian +
    (1 - eta) * Gaussian`` of equal FWHM): ``shared_peaks`` peaks common to
    all classes plus ``n_peaks`` peaks of its own. No two peaks of the data
    set share a position, so the class-specific peaks tell the classes apart.
    Each sample shifts, widens and scales every peak at random, adds a random
    sloping background (exponential decay plus linear ramp) and Poisson
    counting noise.

    With the defaults the classes are easy to separate (a logistic regression
    on ``log1p(X)`` is near perfect). For a harder task let the classes
    differ by few peaks (``shared_peaks=4, n_peaks=1``) and lower ``counts``
    (e.g. 300), or raise ``peak_shift`` and ``intensity_jitter``.

    Parameters
    ----------
    n_classes : int, default=5
        Number of known classes (returned in ``X``, ``y``).
    n_samples_per_class : int, default=50
        Spectra per class (known and unknown).
    length : int, default=1024
        Points per spectrum (channels ``0 .. length - 1``).
    n_unknown_classes : int, default=0
        Extra classes returned separately in ``X_unknown``, ``y_unknown``;
        they never occur in ``y``. Adding them leaves the known classes'
        peaks and spectra unchanged.
    n_peaks : int or (int, int), default=(3, 8)
        Number of class-specific peaks per class, or the inclusive range it
        is drawn from.
    shared_peaks : int, default=0
        Number of peaks common to all classes (the same centre, width and
        height in each).
    fwhm : float or (float, float), default=None
        Range of the peak full widths at half maximum, in channels; ``None``
        means ``(max(1.5, length / 256), max(3, length / 96))``.
    eta : float, default=0.5
        Lorentzian fraction of every peak, in [0, 1].
    peak_shift : float, default=0.25
        Standard deviation of each peak's per-sample shift, as a fraction of
        its FWHM.
    width_jitter : float, default=0.1
        Standard deviation of the log of each peak's per-sample width factor.
    intensity_jitter : float, default=0.2
        Standard deviation of the log of each peak's per-sample height factor.
    background : bool, default=True
        Add a random sloping background to every spectrum.
    counts : float or None, default=1e4
        Expected total counts per spectrum; values are Poisson draws. ``None``
        returns the noiseless spectra, in the units of the peak heights.
    shuffle : bool, default=True
        Shuffle the samples (otherwise they are grouped by class).
    random_state : int, numpy Generator or RandomState, default=None
        Seed; the same value gives identical output.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - ``X`` : ndarray of shape (n_classes * n_samples_per_class, length),
          float32, non-negative.
        - ``y`` : ndarray of str, labels ``"phase_0"``, ``"phase_1"``, ...
        - ``X_unknown``, ``y_unknown`` : the unknown classes' spectra and
          labels (``"phase_<n_classes>"``, ...; empty when
          ``n_unknown_classes=0``).
        - ``positions`` : ndarray of shape (length,), the channel index.
        - ``peaks`` : dict mapping every class name (known and unknown) to an
          ndarray of shape (n_class_peaks, 3) of ``(center, fwhm, height)``
          rows sorted by centre, in channel units; heights are those of the
          noiseless spectrum (before jitter and background).
        - ``discriminating`` : dict mapping every class name to a bool array
          marking the rows of ``peaks[name]`` that are specific to the class
          (``False`` for the shared peaks).
        - ``target_names`` : the sorted known class names.

    Raises
    ------
    ValueError
        If a parameter is out of range, or ``length`` is too short for the
        number of peaks requested.
    TypeError
        If a parameter has the wrong type.

    See Also
    --------
    load_pgaa : Real gamma-ray spectra.

    Examples
    --------
    >>> data = make_spectra(3, 10, length=256, n_unknown_classes=1,
    ...                     shared_peaks=2, random_state=0)
    >>> data.X.shape, data.X_unknown.shape
    ((30, 256), (10, 256))
    >>> sorted(data.peaks)
    ['phase_0', 'phase_1', 'phase_2', 'phase_3']
    >>> int((~data.discriminating["phase_0"]).sum())
    2
    """
    n_classes = _int("n_classes", n_classes, 1)
    n_samples = _int("n_samples_per_class", n_samples_per_class, 1)
    length = _int("length", length, 8)
    n_unknown = _int("n_unknown_classes", n_unknown_classes, 0)
    shared = _int("shared_peaks", shared_peaks, 0)
    peak_range = check_pair(
        "n_peaks", n_peaks, Interval(Integral, 1, None), allow_scalar=True
    )
    if fwhm is None:
        fwhm = (max(1.5, length / 256), max(3.0, length / 96))
    widths = check_pair("fwhm", fwhm, _POSITIVE, allow_scalar=True)
    counts = check_scalar("counts", counts, _POSITIVE, allow_none=True)
    settings = (
        check_scalar("peak_shift", peak_shift, _NON_NEGATIVE),
        check_scalar("width_jitter", width_jitter, _NON_NEGATIVE),
        check_scalar("intensity_jitter", intensity_jitter, _NON_NEGATIVE),
        check_scalar("eta", eta, Interval(Real, 0, 1)),
        bool(background),
        counts,
    )
    seeds = np.random.SeedSequence(int(_generator(random_state).integers(2**63)))
    layout_seed, shuffle_seed, class_seed = seeds.spawn(3)
    n_total = n_classes + n_unknown
    tables, masks = _draw_layout(
        np.random.default_rng(layout_seed), n_total, peak_range, shared, widths, length
    )
    x = np.arange(length, dtype=float)
    names = [f"phase_{i}" for i in range(n_total)]
    spectra = [
        _draw_samples(np.random.default_rng(seed), table, n_samples, x, settings)
        for seed, table in zip(class_seed.spawn(n_total), tables, strict=True)
    ]
    labels = np.repeat(np.array(names), n_samples)
    X, unknown_spectra = np.vstack(spectra[:n_classes]), spectra[n_classes:]
    y, y_unknown = labels[: X.shape[0]], labels[X.shape[0] :]
    X_unknown = (
        np.vstack(unknown_spectra)
        if unknown_spectra
        else np.empty((0, length), np.float32)
    )
    if shuffle:
        rng = np.random.default_rng(shuffle_seed)
        order = rng.permutation(X.shape[0])
        X, y = X[order], y[order]
        order = rng.permutation(X_unknown.shape[0])
        X_unknown, y_unknown = X_unknown[order], y_unknown[order]
    return Bunch(
        X=X,
        y=y,
        X_unknown=X_unknown,
        y_unknown=y_unknown,
        positions=x.astype(np.float32),
        peaks=dict(zip(names, tables, strict=True)),
        discriminating=dict(zip(names, masks, strict=True)),
        target_names=np.array(sorted(names[:n_classes])),
    )
