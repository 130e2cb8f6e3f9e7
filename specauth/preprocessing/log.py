"""Logarithm of spectra after flooring small and negative values."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from specauth._validation import (
    FLOATS,
    Interval,
    Options,
    check_is_fitted,
    check_params,
    validate_data,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["LogTransform"]

_LOGS = {"e": np.log, 10: np.log10, 2: np.log2}


class LogTransform(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Compute ``log(clip(X, floor, None))`` element-wise.

    Values below ``floor`` (zeros and negatives included) are raised to
    ``floor`` first, so the output is always finite. The transformer is
    stateless: ``fit`` only checks the parameters and records the number of
    columns.

    This is the preprocessing used for the prompt-gamma activation analysis
    (PGAA) spectra of the reference work: normalise each spectrum by its sum,
    then take ``log(clip(x, 1e-7, None))`` -- in specauth,
    ``make_pipeline(SpectrumNormalizer("sum"), LogTransform())``.

    Parameters
    ----------
    floor : float, default=1e-7
        Smallest value kept before the logarithm; must be > 0. It must be
        representable (not rounded to zero) in the dtype of ``X``.
    base : {"e", 10, 2}, default="e"
        Base of the logarithm.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape ``(n_features_in_,)``
        Column names seen in ``fit``; only when ``X`` had string column names.

    See Also
    --------
    SpectrumNormalizer : Normalise each spectrum, e.g. by its sum, first.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from specauth.preprocessing import LogTransform, SpectrumNormalizer
    >>> LogTransform(base=10).fit_transform([[100.0, 0.1, 0.0]])
    array([[ 2., -1., -7.]])
    >>> pgaa = make_pipeline(SpectrumNormalizer("sum"), LogTransform())
    >>> np.round(pgaa.fit_transform([[1.0, 0.0, 3.0]]), 3)
    array([[ -1.386, -16.118,  -0.288]])
    """

    _parameter_constraints = {
        "floor": [Interval(Real, 0, None, closed="neither")],
        "base": [Options(str, {"e"}), Options(Real, {10, 2})],
    }

    def __init__(self, floor: float = 1e-7, base: str | int = "e") -> None:
        self.floor = floor
        self.base = base

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> LogTransform:
        """Check the parameters and ``X``; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.
        y : None
            Ignored; present for pipeline compatibility.

        Returns
        -------
        self : LogTransform
            The fitted transformer.
        """
        check_params(self)
        X_checked = validate_data(self, X, reset=True, dtype=FLOATS)
        self._floor_as(X_checked.dtype)
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Floor ``X`` at ``floor`` and take the logarithm.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.

        Returns
        -------
        X_log : ndarray of shape (n_samples, n_features)
            A new array; float32 input stays float32, other input is float64.
        """
        check_is_fitted(self)
        check_params(self)
        X_checked = validate_data(self, X, reset=False, dtype=FLOATS)
        return _LOGS[self.base](np.maximum(X_checked, self._floor_as(X_checked.dtype)))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _floor_as(self, dtype):
        """``floor`` in ``dtype``; an error if it rounds to 0 or overflows."""
        with np.errstate(over="ignore", under="ignore"):
            floor = np.asarray(self.floor, dtype=dtype)
        if floor == 0 or not np.isfinite(floor):
            raise ValueError(
                f"`floor` must be representable in {np.dtype(dtype).name} (the "
                f"dtype of X); got floor={self.floor!r}, which becomes {floor}. "
                f"Use a value between {np.finfo(dtype).tiny:g} and "
                f"{np.finfo(dtype).max:g}."
            )
        return floor
