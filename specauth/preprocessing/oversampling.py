"""AugmentingOverSampler: oversample minority classes with perturbed spectra."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils import check_random_state

from specauth._lazy import import_optional
from specauth._validation import Interval, Options, check_params, validate_data
from specauth.preprocessing.perturbations import (
    _PRESET_NAMES,
    _check_strengths,
    augmentation_preset,
    perturb_spectra,
)

_PURPOSE = "oversample imbalanced classes (AugmentingOverSampler)"
if TYPE_CHECKING:
    from imblearn.base import BaseSampler
    from imblearn.utils import check_target_type
    from numpy.typing import ArrayLike
else:  # imbalanced-learn is optional: a clear ImportError names it
    BaseSampler = import_optional(
        "imblearn.base", package="imbalanced-learn", purpose=_PURPOSE
    ).BaseSampler
    check_target_type = import_optional(
        "imblearn.utils", package="imbalanced-learn", purpose=_PURPOSE
    ).check_target_type

__all__ = ["AugmentingOverSampler"]

_STRENGTHS = ("shift", "scale", "offset", "slope", "noise", "poisson")
_NON_NEGATIVE = Interval(Real, 0, None, closed="left", finite=True)
_STRATEGIES = ("auto", "minority", "not minority", "not majority", "all")


class AugmentingOverSampler(BaseSampler):
    """Oversample minority classes with perturbed copies of their spectra.

    Each new spectrum of a class is one of the class's spectra, drawn at
    random with replacement, with the perturbations of
    :func:`perturb_spectra` applied: a sub-point shift, an intensity
    factor, an offset and slope (baseline drift) and noise, the changes a
    measurement of the same sample could show. Unlike SMOTE, no spectrum is
    an interpolation between two spectra, which for spectra makes
    double-peaked mixtures that no measurement gives.

    An imbalanced-learn sampler: ``fit_resample(X, y)`` returns the original
    spectra, unchanged and first, then the new ones; it works as a step of
    ``imblearn.pipeline.Pipeline`` before any classifier (the new spectra are
    made only when the pipeline is fitted, never at prediction). Needs
    ``pip install imbalanced-learn``.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        How many spectra each class has after resampling, as in
        imbalanced-learn's over-samplers: ``"auto"`` (= ``"not majority"``:
        every class but the largest grows to the size of the largest),
        ``"minority"``, ``"not minority"``, ``"all"``; a float, the ratio of
        the minority to the majority class (two classes only); a dict
        ``{class: n_samples}``, each at least the class's present count; or
        a callable ``y -> dict``.
    preset : {"spectra", "counts", "nir", "absorbance"} or None, \
default="spectra"
        Strengths of the perturbations (:func:`augmentation_preset`); None
        for none (every transform off unless given below).
    shift, scale, offset, slope, noise, poisson : float or None, default=None
        Strength of each perturbation, overriding the preset's (None keeps
        the preset's; 0 turns a transform off): ``shift`` in points,
        ``scale`` in [0, 1), ``offset``, ``slope`` and ``noise`` in units of
        each spectrum's standard deviation, ``poisson`` in counts per unit
        of the input; see :func:`perturb_spectra`.
    random_state : int, RandomState or None, default=None
        Source of the draws (which spectra are copied, and the
        perturbations).

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of spectra added to each class.
    sample_indices_ : ndarray of shape (n_samples_resampled,)
        Index in ``X`` of the original of each returned spectrum.
    n_features_in_ : int
        Number of points of the spectra.

    See Also
    --------
    perturb_spectra : The perturbations.
    specauth.models.layers.SpectrumAugmentation : The same perturbations as
        a Keras layer, for augmentation in every epoch.

    Examples
    --------
    >>> from specauth.preprocessing import AugmentingOverSampler
    >>> X = np.random.default_rng(0).random((10, 40))
    >>> y = np.array(["a"] * 8 + ["b"] * 2)
    >>> X_res, y_res = AugmentingOverSampler(random_state=0).fit_resample(X, y)
    >>> X_res.shape, sorted(np.unique(y_res, return_counts=True)[1].tolist())
    ((16, 40), [8, 8])
    >>> bool((X_res[:10] == X).all())
    True
    """

    _sampling_type = "over-sampling"
    _parameter_constraints = {
        "sampling_strategy": [
            Interval(Real, 0, 1, closed="right"),
            Options(str, set(_STRATEGIES)),
            dict,
            "callable",
        ],
        "preset": [Options(str, set(_PRESET_NAMES)), None],
        "shift": [_NON_NEGATIVE, None],
        "scale": [Interval(Real, 0, 1, closed="left"), None],
        "offset": [_NON_NEGATIVE, None],
        "slope": [_NON_NEGATIVE, None],
        "noise": [_NON_NEGATIVE, None],
        "poisson": [Interval(Real, 0, None, closed="neither", finite=True), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        preset: str | None = "spectra",
        shift: float | None = None,
        scale: float | None = None,
        offset: float | None = None,
        slope: float | None = None,
        noise: float | None = None,
        poisson: float | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.sampling_strategy = sampling_strategy
        self.preset = preset
        self.shift = shift
        self.scale = scale
        self.offset = offset
        self.slope = slope
        self.noise = noise
        self.poisson = poisson
        self.random_state = random_state

    def fit_resample(
        self, X: ArrayLike, y: ArrayLike, **params: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the spectra and labels with the minority classes grown.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_points)
            Spectra, one per row; not modified.
        y : array-like of shape (n_samples,)
            Class labels; not modified.
        **params : dict
            Unused, for imbalanced-learn's interface.

        Returns
        -------
        X_resampled : ndarray of shape (n_samples_resampled, n_points)
            ``X`` (float32 stays float32, other dtypes become float64) then
            the new spectra.
        y_resampled : ndarray of shape (n_samples_resampled,)
            Their labels, of the dtype of ``y``.

        Raises
        ------
        ValueError
            If a parameter is out of range, or ``sampling_strategy`` asks for
            fewer spectra of a class than it has.
        """
        _check_requested_counts(self.sampling_strategy, y)
        return super().fit_resample(X, y, **params)

    def _validate_params(self) -> None:
        # Called by imbalanced-learn's fit and fit_resample (through
        # scikit-learn's _fit_context): specauth's constraints, not sklearn's.
        check_params(self)

    def _check_X_y(self, X, y, accept_sparse=None):
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        X, y = validate_data(self, X=X, y=y, reset=True, dtype=[np.float64, np.float32])
        return X, y, binarize_y

    def _fit_resample(self, X, y, **params):
        rng = check_random_state(self.random_state)
        strengths = self._strengths()
        indices = [np.arange(len(y))]
        new_spectra = []
        for label, n_new in self.sampling_strategy_.items():
            if n_new == 0:
                continue
            picks = rng.choice(np.flatnonzero(y == label), size=n_new, replace=True)
            new_spectra.append(perturb_spectra(X[picks], **strengths, random_state=rng))
            indices.append(picks)
        self.sample_indices_ = np.concatenate(indices)
        X_resampled = np.concatenate([X, *new_spectra]).astype(X.dtype, copy=False)
        return X_resampled, y[self.sample_indices_]

    def _strengths(self) -> dict[str, float | None]:
        base: dict[str, Any] = dict.fromkeys(_STRENGTHS, 0.0)
        base["poisson"] = None
        if self.preset is not None:
            base = augmentation_preset(self.preset)
        given = {
            k: getattr(self, k) for k in _STRENGTHS if getattr(self, k) is not None
        }
        return _check_strengths(**{**base, **given})

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.sampler_tags.sample_indices = True
        return tags


def _check_requested_counts(strategy: Any, y: ArrayLike) -> None:
    """Refuse a dict ``sampling_strategy`` asking to remove spectra."""
    y = np.asarray(y)
    if not isinstance(strategy, dict) or y.ndim != 1:
        return
    labels, counts = np.unique(y, return_counts=True)
    present = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    for label, asked in strategy.items():
        have = present.get(label)
        if have is not None and asked < have:
            raise ValueError(
                f"`sampling_strategy` asks for {asked} spectra of class {label!r}, "
                f"which has {have}; an over-sampler only adds spectra: ask for at "
                f"least {have} (or leave the class out of the dict)."
            )
